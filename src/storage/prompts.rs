//! A program's own icebreaker prompts.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{db_id, parse_column, Store};
use crate::domain::ids::{GuildId, ProgramId, UserId};
use crate::domain::prompts::{Category, Prompt};
use crate::on_backend;

/// A custom prompt's key, as stored with the groups that got it.
pub fn custom_key(prompt_id: i64) -> String {
    format!("c{prompt_id}")
}

impl Store {
    /// The program's custom prompts; removed ones only when `include_removed`.
    pub async fn custom_prompts(
        &self,
        program_id: ProgramId,
        include_removed: bool,
    ) -> anyhow::Result<Vec<Prompt>> {
        let rows: Vec<(i64, String, String)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select prompt_id, category, text from prompt
             where program_id = $1 and ($2 or removed_at is null) order by prompt_id",
        )
        .bind(program_id)
        .bind(include_removed)
        .fetch_all(pool)
        .await)
        .context("cannot read the custom prompts")?;
        rows.into_iter()
            .map(|(prompt_id, category, text)| {
                Ok(Prompt {
                    key: custom_key(prompt_id),
                    category: parse_column(&category, "prompt.category")?,
                    text,
                })
            })
            .collect()
    }

    /// Adds a prompt (or brings back a removed one with the same text). Returns its key.
    pub async fn add_prompt(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        category: Category,
        text: &str,
        by: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let id: i64 = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "insert into prompt (guild_id, program_id, category, text, created_by, created_at)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (program_id, text) do update set removed_at = null, category = excluded.category
             returning prompt_id",
        )
        .bind(db_id(guild_id))
        .bind(program_id)
        .bind(category.as_str())
        .bind(text)
        .bind(db_id(by))
        .bind(now)
        .fetch_one(pool)
        .await)
        .context("cannot save the prompt")?;
        Ok(custom_key(id))
    }

    /// Removes a custom prompt by key. Returns false when there is no such prompt.
    pub async fn remove_prompt(
        &self,
        program_id: ProgramId,
        key: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let Some(id) = key.strip_prefix('c').and_then(|n| n.parse::<i64>().ok()) else {
            return Ok(false);
        };
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "update prompt set removed_at = $1 where program_id = $2 and prompt_id = $3 and removed_at is null",
        )
        .bind(now)
        .bind(program_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot remove the prompt")?;
        Ok(done == 1)
    }
}
