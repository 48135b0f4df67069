//! Taking turns to connect to Discord's gateway across processes, and the end of a store.
//!
//! Discord allows a bot `max_concurrency` IDENTIFYs per 5 seconds across all its
//! processes; serenity paces only the shards of its own process. Before its shards
//! connect, a process takes the identify turn and holds it until they have all had READY.
//! On SQLite there is only ever one process (see `hallway run`), so the turn is immediate.

use super::Store;

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
}

impl Store {
    /// Waits for this process's turn to connect its gateway shards.
    pub async fn identify_turn(&self) -> anyhow::Result<IdentifyTurn> {
        Ok(IdentifyTurn { held: Held::Alone })
    }

    /// Closes the pool: waits for the connections in use to come back, then closes them all.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl IdentifyTurn {
    /// Lets the next process connect its shards.
    pub async fn release(self) {
        match self.held {
            Held::Alone => {}
        }
    }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`), which
/// several processes can share; anything else is SQLite, for one process only.
pub fn is_postgres_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
    })
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
        assert!(store.pool().is_closed());
    }
}
