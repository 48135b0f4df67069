//! Taking turns to connect to Discord's gateway across processes, and the end of a store.
//!
//! Discord allows a bot `max_concurrency` IDENTIFYs per 5 seconds across all its
//! processes; serenity paces only the shards of its own process. Before its shards
//! connect, a process takes the identify turn and holds it until they have all had READY.
//! On SQLite there is only ever one process (see `hallway run`), so the turn is immediate.

use super::{Backend, ByBackend, Store};

/// The key of the session advisory lock that is the identify turn ("hall" + 1).
const IDENTIFY_LOCK_KEY: i64 = 0x6861_6c6c + 1;

/// This process's turn to IDENTIFY; other processes wait for it until [`IdentifyTurn::release`].
///
/// The PostgreSQL version holds a session advisory lock on a connection of its own; that
/// lock outlives nothing but the connection, so a crashed process frees the turn too.
#[derive(Debug)]
#[must_use = "the turn is held until released"]
pub struct IdentifyTurn {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// SQLite: nobody else to wait for.
    Alone,
    /// PostgreSQL: the session lock, on a connection taken out of the pool so that it is
    /// closed, not reused, when the turn ends (closing it releases the lock, even when the
    /// turn is dropped without `release`).
    Postgres(sqlx::PgConnection),
}

impl Store {
    /// Waits for this process's turn to connect its gateway shards.
    /// On PostgreSQL this waits as long as another process holds the turn: its shards
    /// connecting take a few seconds each.
    pub async fn identify_turn(&self) -> anyhow::Result<IdentifyTurn> {
        let ByBackend::Postgres(pool) = &self.pool else {
            return Ok(IdentifyTurn { held: Held::Alone });
        };
        let mut conn = pool.acquire().await.map_err(anyhow::Error::from)?.detach();
        // No lock_timeout for this one wait: the turn is held for as long as it takes.
        sqlx::query("set lock_timeout = 0")
            .execute(&mut conn)
            .await?;
        sqlx::query("select pg_advisory_lock($1)")
            .bind(IDENTIFY_LOCK_KEY)
            .execute(&mut conn)
            .await
            .map_err(|err| anyhow::anyhow!("cannot take the identify turn: {err}"))?;
        Ok(IdentifyTurn {
            held: Held::Postgres(conn),
        })
    }
}

impl IdentifyTurn {
    /// Lets the next process connect its shards.
    pub async fn release(self) {
        match self.held {
            Held::Alone => {}
            Held::Postgres(conn) => {
                // Closing the session releases its lock; an explicit unlock is not needed.
                if let Err(err) = sqlx::Connection::close(conn).await {
                    tracing::warn!(error = %err, "closing the identify turn's connection failed; the server frees the lock when it notices");
                }
            }
        }
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`), which
/// several processes can share; anything else is SQLite, for one process only.
pub fn is_postgres_url(url: &str) -> bool {
    Backend::of_url(url) == Backend::Postgres
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_schemes_are_postgres() {
        assert!(is_postgres_url("postgres://u:p@db/hallway"));
        assert!(is_postgres_url("postgresql://db/hallway"));
        assert!(is_postgres_url("PostgreSQL://db/hallway"));
        assert!(!is_postgres_url("sqlite://hallway.db"));
        assert!(!is_postgres_url("hallway.db"));
        assert!(!is_postgres_url("postgres.db"));
        assert!(!is_postgres_url("mysql://db/hallway"));
    }

    #[tokio::test]
    async fn on_sqlite_the_turn_is_immediate_and_released() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 1, std::time::Duration::from_secs(1))
            .await
            .unwrap();
        let first = store.identify_turn().await.unwrap();
        first.release().await;
        store.identify_turn().await.unwrap().release().await;
        store.close().await;
        assert!(store.sqlite_pool().is_closed());
    }
}
