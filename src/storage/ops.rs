//! What the operator's listener reads: whether the database answers, and how far behind
//! the outbox is. Plain SQL that runs the same on SQLite and PostgreSQL.

use super::Store;
use crate::on_backend;
use anyhow::Context as _;
use chrono::{DateTime, Utc};

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
        on_backend!(&self.pool, pool => sqlx::query("select 1")
            .execute(pool)
            .await
            .map(|_| ()))
        .context("the database does not answer")?;
        Ok(())
    }

    /// How many outbox rows are unsent, and when the oldest of those due by `now` was due.
    pub async fn outbox_backlog(&self, now: DateTime<Utc>) -> anyhow::Result<OutboxBacklog> {
        let (unsent, oldest_due): (i64, Option<DateTime<Utc>>) =
            on_backend!(&self.pool, pool => sqlx::query_as(
            "select cast(count(*) as bigint) as unsent,
                    min(case when due_at <= $1 then due_at end) as oldest_due
             from outbox where state = 'pending'",
        )
        .bind(now)
        .fetch_one(pool)
        .await)
            .context("cannot read the outbox's backlog")?;
        Ok(OutboxBacklog {
            unsent: u64::try_from(unsent).unwrap_or(0),
            oldest_due,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone as _;

    use super::*;

    async fn queue(store: &Store, key: &str, state: &str, due_at: DateTime<Utc>) {
        sqlx::query(
            "insert into outbox (guild_id, kind, key, state, due_at, created_at)
             values (1, 'celebration', $1, $2, $3, $3)",
        )
        .bind(key)
        .bind(state)
        .bind(due_at)
        .execute(store.sqlite_pool())
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn the_backlog_counts_every_unsent_row_and_dates_the_oldest_one_due() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hallway.db").display());
        let store = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        store.ping().await.unwrap();
        let empty = store.outbox_backlog(now).await.unwrap();
        assert_eq!(
            empty,
            OutboxBacklog {
                unsent: 0,
                oldest_due: None
            }
        );

        let hour = chrono::Duration::hours(1);
        queue(&store, "sent-long-ago", "done", now - hour * 5).await;
        queue(&store, "given-up", "failed", now - hour * 4).await;
        queue(&store, "late", "pending", now - hour * 2).await;
        queue(&store, "due", "pending", now - hour).await;
        queue(&store, "next-week", "pending", now + hour * 24 * 7).await;
        let backlog = store.outbox_backlog(now).await.unwrap();
        assert_eq!(
            backlog,
            OutboxBacklog {
                unsent: 3,
                oldest_due: Some(now - hour * 2)
            }
        );
        // Nothing due yet: rows waiting for later are unsent, but none is late.
        let earlier = store.outbox_backlog(now - hour * 3).await.unwrap();
        assert_eq!(earlier.unsent, 3);
        assert_eq!(earlier.oldest_due, None);
    }
}
