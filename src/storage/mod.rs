//! All SQL lives here. Functions take and return domain types; a write that touches
//! several rows runs in one transaction.

mod celebrations;
mod communities;
mod export;
mod groups;
mod members;
mod outbox;
mod privacy;
mod prompts;
mod rounds;
mod stats;
mod wins;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use export::{ExportRows, FeedbackRow, GroupRow, OutcomeRow, RoundRow, WinRow};
pub use groups::{GroupDetail, GroupMember, OutcomeStatus, RoundFigures};
pub use members::{Joined, ProfileChange};
pub use outbox::{OutboxRow, RetryAt};
pub use privacy::PastChat;
pub use rounds::{MatchingInput, NewGroup, NewRound, RoundRecord, Trigger};
pub use wins::{NewWin, WinActivity};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the SQLite database at `url` and applies pending migrations.
    pub async fn open(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
    ) -> anyhow::Result<Store> {
        Store::connect(url, max_connections, busy_timeout, true).await
    }

    /// Like [`Store::open`], but fails when the file does not exist: a tool that only
    /// reads (`hallway export`) must not leave an empty database at a mistyped path.
    pub async fn open_existing(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
    ) -> anyhow::Result<Store> {
        Store::connect(url, max_connections, busy_timeout, false).await
    }

    async fn connect(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
        create_if_missing: bool,
    ) -> anyhow::Result<Store> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| {
                format!("DATABASE_URL '{url}' is not a SQLite URL (e.g. sqlite://hallway.db)")
            })?
            .create_if_missing(create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable enough in WAL mode, and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database at {url}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .context("cannot apply the database migrations")?;
        Ok(Store { pool })
    }

    /// A write transaction that takes SQLite's write lock up front. A deferred one would
    /// start as a reader and fail with "database is locked", not wait, when two writers
    /// race to upgrade.
    pub(crate) async fn write(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("cannot start a database transaction")
    }

    /// The pool, for tests and tools that inspect the database directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Claims the database for this process: one running bot per database, or both would
/// deliver the same outbox. The lock is on `<database>.lock` and the OS releases it when
/// the process ends, even by a crash, so a restart never waits.
pub fn lock_single_instance(url: &str) -> anyhow::Result<std::fs::File> {
    let options = SqliteConnectOptions::from_str(url).with_context(|| {
        format!("DATABASE_URL '{url}' is not a SQLite URL (e.g. sqlite://hallway.db)")
    })?;
    let mut path = options.get_filename().as_os_str().to_owned();
    path.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.to_string_lossy()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("another hallway is already running on {url}; run one bot per database")
        }
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock {}", path.to_string_lossy()))
        }
    }
}

/// Discord ids are u64; SQLite integers are i64. Stored bit for bit (ids fit in 63 bits).
pub(crate) fn db_id(id: u64) -> i64 {
    id as i64
}

pub(crate) fn discord_id(value: i64) -> u64 {
    value as u64
}

/// Parses a word column through the domain's `FromStr`, naming the column on failure.
pub(crate) fn parse_column<T: FromStr>(value: &str, column: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|err| anyhow::anyhow!("bad value in column {column}: {err}"))
}
