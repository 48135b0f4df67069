//! Posts outside rounds (wins, milestones, watercooler prompts): claimed once by key,
//! then delivered, with the same crash-safety as the round outbox.

use std::collections::BTreeSet;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, discord_id, Store};
use crate::domain::member::{GuildId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub guild_id: GuildId,
    pub key: String,
    /// JSON of what to post.
    pub detail: String,
    pub attempts: u32,
}

impl Store {
    /// Claims an occasion. Returns false when it was claimed before (posted or not).
    pub async fn claim_announcement(
        &self,
        guild_id: GuildId,
        key: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.write().await?;
        super::communities::ensure_community(&mut tx, guild_id, now).await?;
        let done = claim(&mut tx, guild_id, key, detail, now).await?;
        tx.commit().await?;
        Ok(done)
    }

    pub async fn announcement_exists(&self, guild_id: GuildId, key: &str) -> anyhow::Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("select 1 from announcement where guild_id = ? and key = ?")
                .bind(db_id(guild_id))
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    pub async fn pending_announcements(&self, limit: u32) -> anyhow::Result<Vec<Announcement>> {
        let rows = sqlx::query(
            "select guild_id, key, detail, attempts from announcement
             where state = 'pending' order by created_at, rowid limit ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("cannot read pending announcements")?;
        rows.iter()
            .map(|row| {
                Ok(Announcement {
                    guild_id: discord_id(row.try_get("guild_id")?),
                    key: row.try_get("key")?,
                    detail: row.try_get("detail")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    pub async fn begin_announcement_attempt(
        &self,
        guild_id: GuildId,
        key: &str,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "update announcement set attempts = attempts + 1 where guild_id = ? and key = ?",
        )
        .bind(db_id(guild_id))
        .bind(key)
        .execute(&self.pool)
        .await
        .context("cannot record an announcement attempt")?;
        Ok(())
    }

    pub async fn complete_announcement(
        &self,
        guild_id: GuildId,
        key: &str,
        channel_id: Option<u64>,
        message_id: Option<u64>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "update announcement set state = 'done', channel_id = ?, message_id = ?, done_at = ?, last_error = null
             where guild_id = ? and key = ?",
        )
        .bind(channel_id.map(db_id))
        .bind(message_id.map(db_id))
        .bind(now)
        .bind(db_id(guild_id))
        .bind(key)
        .execute(&mut *tx)
        .await
        .context("cannot complete an announcement")?;
        // A win remembers where it was celebrated.
        if let Some(win_id) = key
            .strip_prefix("win:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            sqlx::query(
                "update win set channel_id = ?, message_id = ? where guild_id = ? and win_id = ?",
            )
            .bind(channel_id.map(db_id))
            .bind(message_id.map(db_id))
            .bind(db_id(guild_id))
            .bind(win_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn fail_announcement(
        &self,
        guild_id: GuildId,
        key: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "update announcement set state = 'failed', last_error = ?, done_at = ? where guild_id = ? and key = ?",
        )
        .bind(error)
        .bind(now)
        .bind(db_id(guild_id))
        .bind(key)
        .execute(&self.pool)
        .await
        .context("cannot record a failed announcement")?;
        Ok(())
    }

    pub async fn postpone_announcement(
        &self,
        guild_id: GuildId,
        key: &str,
        error: &str,
    ) -> anyhow::Result<()> {
        sqlx::query("update announcement set last_error = ? where guild_id = ? and key = ?")
            .bind(error)
            .bind(db_id(guild_id))
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Each current member who allows shout-outs, with their completed chats: groups in
    /// which they clicked "We met".
    pub async fn completed_chats(&self, guild_id: GuildId) -> anyhow::Result<Vec<(UserId, u32)>> {
        let rows = sqlx::query(
            "select m.user_id, count(o.group_id) as chats
             from member m join outcome o on o.guild_id = m.guild_id and o.user_id = m.user_id and o.status = 'met'
             where m.guild_id = ? and m.left_at is null and m.shoutouts = 1
             group by m.user_id order by m.user_id",
        )
        .bind(db_id(guild_id))
        .fetch_all(&self.pool)
        .await
        .context("cannot count completed chats")?;
        rows.iter()
            .map(|row| {
                Ok((
                    discord_id(row.try_get("user_id")?),
                    u32::try_from(row.try_get::<i64, _>("chats")?).unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Prompt keys the watercooler has already posted in this community.
    pub async fn watercooler_prompts_used(
        &self,
        guild_id: GuildId,
    ) -> anyhow::Result<BTreeSet<String>> {
        let details: Vec<String> = sqlx::query_scalar(
            "select detail from announcement where guild_id = ? and key like 'watercooler:%'",
        )
        .bind(db_id(guild_id))
        .fetch_all(&self.pool)
        .await
        .context("cannot read past watercooler prompts")?;
        Ok(details
            .iter()
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter_map(|v| v["prompt_key"].as_str().map(str::to_string))
            .collect())
    }
}

pub(super) async fn claim(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    key: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into announcement (guild_id, key, detail, created_at) values (?, ?, ?, ?)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(key)
    .bind(detail)
    .bind(now)
    .execute(tx)
    .await
    .context("cannot claim an announcement")?;
    Ok(done.rows_affected() == 1)
}
