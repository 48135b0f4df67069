//! What members say about their chats: "We met" / "Not yet" / "Skip" (outcomes), and
//! the answers to "how was it?" (feedback).

use super::{db_id, Backend, Store};
use crate::domain::group::{OutcomeStatus, Rating};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, UserId};
use crate::on_backend;
use anyhow::Context as _;
use chrono::{DateTime, Utc};

/// A column that orders rows the way they were first inserted, to break ties between
/// equal times: SQLite's `rowid`; PostgreSQL has none, and its tables here have no
/// sequence of their own, so it is the row's place in the heap (`ctid`), which follows
/// insertion order for rows that are inserted and not moved by a later update.
pub(super) fn insertion_order(backend: Backend, alias: &str) -> String {
    match backend {
        Backend::Sqlite => format!("{alias}rowid"),
        Backend::Postgres => format!("{alias}ctid"),
    }
}

impl Store {
    /// Records a member's outcome for their group. Returns the previous status, if any.
    /// A pair's first "We met" also queues its fit check, in the same transaction.
    pub async fn record_outcome(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        status: OutcomeStatus,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<OutcomeStatus>> {
        let mut tx = self.write().await?;
        let previous: Option<String> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "select status from outcome where group_id = $1 and user_id = $2 and guild_id = $3",
        )
        .bind(db_id(group_id))
        .bind(db_id(user_id))
        .bind(db_id(guild_id))
        .fetch_optional(conn)
        .await)?;
        on_backend!(tx.conn(), conn => sqlx::query(
            "insert into outcome (group_id, guild_id, user_id, status, recorded_at) values ($1, $2, $3, $4, $5)
             on conflict (group_id, user_id) do update set status = excluded.status, recorded_at = excluded.recorded_at",
        )
        .bind(db_id(group_id))
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(status.as_str())
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot record the outcome")?;
        if status == OutcomeStatus::Met {
            super::fit::queue_fit_checks(tx.conn(), guild_id, group_id, now).await?;
        }
        tx.commit().await?;
        previous
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(Into::into)
    }

    /// Each member's outcome in a group, in the order they answered.
    pub async fn group_outcomes(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
    ) -> anyhow::Result<Vec<(UserId, OutcomeStatus)>> {
        let backend = self.backend();
        let recorded_at = backend.instant("recorded_at");
        let rowid = insertion_order(backend, "");
        on_backend!(&self.pool, pool => sqlx::query_as(&format!(
            "select user_id, status from outcome where guild_id = $1 and group_id = $2
             order by {recorded_at}, {rowid}",
        ))
        .bind(db_id(guild_id))
        .bind(db_id(group_id))
        .fetch_all(pool)
        .await)
        .context("cannot read the group's outcomes")
    }

    /// Records a member's "how was it?" answer; the last answer counts.
    pub async fn record_feedback(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        rating: Rating,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "insert into feedback (group_id, guild_id, user_id, rating, recorded_at) values ($1, $2, $3, $4, $5)
             on conflict (group_id, user_id) do update set rating = excluded.rating, recorded_at = excluded.recorded_at",
        )
        .bind(db_id(group_id))
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(rating)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot record the feedback")?;
        Ok(())
    }

    /// Records where the "can't make it this round" note of a member's Skip was posted,
    /// so that forget-me can delete it.
    pub async fn save_skip_note(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        channel_id: ChannelId,
        message_id: MessageId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "insert into skip_note (message_id, channel_id, guild_id, group_id, user_id, posted_at)
             values ($1, $2, $3, $4, $5, $6) on conflict (message_id) do nothing",
        )
        .bind(db_id(message_id))
        .bind(db_id(channel_id))
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot record the skip note")?;
        Ok(())
    }
}
