//! What the operator's listener reads: whether the database answers, and how far behind
//! the outbox is. Plain SQL that runs the same on SQLite and PostgreSQL.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::Store;

/// The outbox's unsent rows, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Rows not yet sent nor failed, including those due later (nudges, reminders).
    pub unsent: u64,
    /// When the oldest unsent row that is due by now was due; `None` when none is due.
    pub oldest_due: Option<DateTime<Utc>>,
}

impl Store {
    /// Whether the database answers a query: what `/readyz` asks it.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .context("the database does not answer")?;
        Ok(())
    }

    /// How many outbox rows are unsent, and when the oldest of those due by `now` was due.
    pub async fn outbox_backlog(&self, now: DateTime<Utc>) -> anyhow::Result<OutboxBacklog> {
        let row = sqlx::query(
            "select cast(count(*) as bigint) as unsent,
                    min(case when due_at <= $1 then due_at end) as oldest_due
             from outbox where state = 'pending'",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .context("cannot read the outbox's backlog")?;
        let unsent: i64 = row.try_get("unsent")?;
        Ok(OutboxBacklog {
            unsent: u64::try_from(unsent).unwrap_or(0),
            oldest_due: row.try_get("oldest_due")?,
        })
    }
}
