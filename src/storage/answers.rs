//! What members say about their chats: "We met" / "Not yet" / "Skip" (outcomes), and
//! the answers to "how was it?" (feedback).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, Store};
use crate::domain::group::{OutcomeStatus, Rating};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, UserId};

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
        let mut tx = self.write_sqlite().await?;
        let previous: Option<String> = sqlx::query_scalar(
            "select status from outcome where group_id = ? and user_id = ? and guild_id = ?",
        )
        .bind(db_id(group_id))
        .bind(db_id(user_id))
        .bind(db_id(guild_id))
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "insert into outcome (group_id, guild_id, user_id, status, recorded_at) values (?, ?, ?, ?, ?)
             on conflict (group_id, user_id) do update set status = excluded.status, recorded_at = excluded.recorded_at",
        )
        .bind(db_id(group_id))
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot record the outcome")?;
        if status == OutcomeStatus::Met {
            super::fit::queue_fit_checks(&mut tx, guild_id, group_id, now).await?;
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
        let rows = sqlx::query(
            "select user_id, status from outcome where guild_id = ? and group_id = ? order by recorded_at, rowid",
        )
        .bind(db_id(guild_id))
        .bind(db_id(group_id))
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the group's outcomes")?;
        rows.iter()
            .map(|row| Ok((row.try_get("user_id")?, row.try_get("status")?)))
            .collect()
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
        sqlx::query(
            "insert into feedback (group_id, guild_id, user_id, rating, recorded_at) values (?, ?, ?, ?, ?)
             on conflict (group_id, user_id) do update set rating = excluded.rating, recorded_at = excluded.recorded_at",
        )
        .bind(db_id(group_id))
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(rating)
        .bind(now)
        .execute(self.sqlite_pool())
        .await
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
        sqlx::query(
            "insert into skip_note (message_id, channel_id, guild_id, group_id, user_id, posted_at)
             values (?, ?, ?, ?, ?, ?) on conflict (message_id) do nothing",
        )
        .bind(db_id(message_id))
        .bind(db_id(channel_id))
        .bind(guild_id)
        .bind(group_id)
        .bind(user_id)
        .bind(now)
        .execute(self.sqlite_pool())
        .await
        .context("cannot record the skip note")?;
        Ok(())
    }
}
