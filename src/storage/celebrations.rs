//! Posts outside rounds (wins, milestones, watercooler prompts): each occasion is queued
//! in the outbox once, under its key.

use std::collections::BTreeSet;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{db_id, id_from_db, Store};
use crate::domain::ids::{GuildId, ProgramId, UserId};
use crate::on_backend;

impl Store {
    /// Queues an occasion. Returns false when it was queued before (posted or not).
    pub async fn queue_celebration(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        key: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.write().await?;
        let done =
            super::outbox::queue_celebration(tx.conn(), guild_id, program_id, key, detail, now)
                .await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn celebration_queued(&self, guild_id: GuildId, key: &str) -> anyhow::Result<bool> {
        let found: Option<String> = on_backend!(&self.pool, pool => sqlx::query_scalar("select key from outbox where guild_id = $1 and key = $2")
                .bind(db_id(guild_id))
                .bind(key)
                .fetch_optional(pool)
                .await)?;
        Ok(found.is_some())
    }

    /// Each current member of the program who allows shout-outs, with their completed
    /// chats in the whole server: groups in which they clicked "We met", in any program.
    pub async fn completed_chats(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(UserId, u32)>> {
        let rows: Vec<(i64, i64)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select pm.user_id, count(o.group_id) as chats
             from program_member pm
             join member m on m.guild_id = pm.guild_id and m.user_id = pm.user_id
             join outcome o on o.guild_id = pm.guild_id and o.user_id = pm.user_id and o.status = 'met'
             where pm.program_id = $1 and pm.left_at is null and m.shoutouts = true
             group by pm.user_id order by pm.user_id",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
        .context("cannot count completed chats")?;
        Ok(rows
            .into_iter()
            .map(|(user_id, chats)| (id_from_db(user_id), u32::try_from(chats).unwrap_or(0)))
            .collect())
    }

    /// Prompt keys the program's watercooler has already posted.
    pub async fn watercooler_prompts_used(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<BTreeSet<String>> {
        let details: Vec<String> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select detail from outbox
             where program_id = $1 and kind = 'celebration' and key like 'watercooler:%'",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
        .context("cannot read past watercooler prompts")?;
        Ok(details
            .iter()
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter_map(|v| v["prompt_key"].as_str().map(str::to_string))
            .collect())
    }
}
