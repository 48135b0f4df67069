//! All SQL lives here. Functions take and return domain types; a write that touches
//! several rows runs in one transaction.

mod answers;
mod attention;
mod booking;
mod celebrations;
mod export;
mod fit;
mod groups;
mod history;
mod interests;
mod members;
mod ops;
mod outbox;
mod privacy;
mod programs;
mod prompts;
mod rounds;
mod stats;
mod survey;
mod wins;

pub use booking::NextSlots;

use std::str::FromStr;
use std::time::Duration;

use crate::domain::group::{DeliveredVia, OutcomeStatus, Rating};
use crate::domain::ids::{
    ChannelId, GroupId, GuildId, InterestId, MessageId, PreviewId, ProgramId, RoundId, UserId,
};
use crate::domain::outbox::OutboxKind;
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::program::{Cadence, InterestWeight, MatchingMode, WatercoolerCadence};
use crate::domain::round::{RoundState, Trigger};
use crate::domain::wins::WinKind;
use anyhow::Context as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Each program's matching history, kept between rounds (see `history.rs`).
    kept: std::sync::Arc<history::KeptHistories>,
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
        let options = sqlite_options(url)?
            .create_if_missing(create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable enough in WAL mode, and much faster than FULL.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // 32 MB of pages per connection, not SQLite's 2 MB: saving a round of 100,000
            // members writes its seats all over the indexes of a year of seats.
            .pragma("cache_size", "-8192")
            .busy_timeout(busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database at {}", redact_url(url)))?;
        MIGRATOR
            .run(&pool)
            .await
            .context("cannot apply the database migrations")?;
        Ok(Store {
            pool,
            kept: Default::default(),
        })
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

    /// The program's matching history as this store keeps it between rounds, without
    /// checking it against the database; `None` when none is kept. For tests and tools.
    pub fn kept_history(
        &self,
        program_id: ProgramId,
    ) -> Option<std::sync::Arc<crate::domain::matching::History>> {
        self.kept.peek(program_id)
    }
}

/// Claims the database for this process: one running bot per database, or both would
/// deliver the same outbox. The lock is on `<database>.lock` and the OS releases it when
/// the process ends, even by a crash, so a restart never waits.
pub fn lock_single_instance(url: &str) -> anyhow::Result<std::fs::File> {
    let options = sqlite_options(url)?;
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
            anyhow::bail!(
                "another hallway is already running on {}; run one bot per database",
                redact_url(url)
            )
        }
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock {}", path.to_string_lossy()))
        }
    }
}

/// What a database URL must look like, for the messages that refuse one.
const SQLITE_EXAMPLE: &str = "use a SQLite file, e.g. DATABASE_URL=sqlite://hallway.db";

/// The SQLite options for `url`, or one line that says what is wrong with it. The
/// message shows the URL only with its password hidden.
fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    let shown = redact_url(url);
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        // A bare file path (no scheme) has always worked; it still does.
        Some("sqlite") | None => {}
        Some("postgres" | "postgresql") => {
            anyhow::bail!("DATABASE_URL {shown}: PostgreSQL is not supported yet; {SQLITE_EXAMPLE}")
        }
        _ => anyhow::bail!(
            "DATABASE_URL {shown} is not a database URL hallway supports; {SQLITE_EXAMPLE}"
        ),
    }
    if shown != url {
        // A password here would only ever end up in a file name, and in messages.
        anyhow::bail!(
            "DATABASE_URL {shown}: a SQLite URL names a file and takes no user or password; {SQLITE_EXAMPLE}"
        );
    }
    let options = SqliteConnectOptions::from_str(url).with_context(|| {
        format!("DATABASE_URL {shown} is not a valid SQLite URL; {SQLITE_EXAMPLE}")
    })?;
    let file = options.get_filename();
    let in_memory = file.as_os_str() == ":memory:" || url.contains("mode=memory");
    if let Some(dir) = file
        .parent()
        .filter(|d| !in_memory && !d.as_os_str().is_empty())
    {
        if !dir.is_dir() {
            anyhow::bail!(
                "the directory {} for the database does not exist; create it, or set DATABASE_URL \
                 to a file in a directory that exists",
                dir.display()
            );
        }
    }
    Ok(options)
}

/// `url` with its password, if it has one, replaced by `***`: the only form in which a
/// database URL may appear in a log line or an error. Covers `scheme://user:password@host`
/// and a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let mut shown = url.to_string();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let rest = &url[start..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                shown = format!("{}***{}", &url[..start + colon + 1], &url[start + at..]);
            }
        }
    }
    if let Some(query_start) = shown.find('?') {
        let (head, query) = shown.split_at(query_start + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        shown = format!("{head}{query}");
    }
    shown
}

/// An id as SQLite stores it. Discord ids are u64 and SQLite integers are i64: they are
/// stored bit for bit (snowflakes fit in 63 bits). This is the one conversion; the typed
/// ids also bind and decode through it, so queries take and return them directly.
pub(crate) trait StoredId: Copy {
    fn to_db(self) -> i64;
    fn from_db(value: i64) -> Self;
}

macro_rules! stored_id {
    ($ty:ty, |$id:ident| $to_db:expr, |$value:ident| $from_db:expr) => {
        impl StoredId for $ty {
            fn to_db(self) -> i64 {
                let $id = self;
                $to_db
            }
            fn from_db($value: i64) -> Self {
                $from_db
            }
        }

        impl sqlx::Type<sqlx::Sqlite> for $ty {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <i64 as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <i64 as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, sqlx::Sqlite>>::encode(self.to_db(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $ty {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(Self::from_db(
                    <i64 as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?,
                ))
            }
        }
    };
}
stored_id!(GuildId, |id| id.0 as i64, |value| GuildId(value as u64));
stored_id!(UserId, |id| id.0 as i64, |value| UserId(value as u64));
stored_id!(ChannelId, |id| id.0 as i64, |value| ChannelId(value as u64));
stored_id!(MessageId, |id| id.0 as i64, |value| MessageId(value as u64));
stored_id!(RoundId, |id| id.0, |value| RoundId(value));
stored_id!(GroupId, |id| id.0, |value| GroupId(value));
stored_id!(PreviewId, |id| id.0, |value| PreviewId(value));
stored_id!(ProgramId, |id| id.0, |value| ProgramId(value));
stored_id!(InterestId, |id| id.0, |value| InterestId(value));

/// Enums of plain words (`domain::words`) are stored as their word: they bind and decode
/// through the same list that parses and shows them, and the schema's CHECK lists hold
/// exactly those words (a test reads them back from the schema).
macro_rules! stored_word {
    ($($ty:ty),+ $(,)?) => {$(
        impl sqlx::Type<sqlx::Sqlite> for $ty {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <str as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Sqlite>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $ty {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?.parse()?)
            }
        }
    )+};
}
stored_word!(
    DeliveredVia,
    OutcomeStatus,
    Rating,
    Trigger,
    RoundState,
    OutboxKind,
    Role,
    TimeOfDay,
    Modality,
    WinKind,
    MatchingMode,
    Cadence,
    WatercoolerCadence,
    InterestWeight,
);

pub(crate) fn db_id(id: impl StoredId) -> i64 {
    id.to_db()
}

pub(crate) fn id_from_db<T: StoredId>(value: i64) -> T {
    T::from_db(value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_hidden_wherever_it_sits_in_a_url() {
        let cases = [
            ("postgres://u:secret@host/db", "postgres://u:***@host/db"),
            (
                "postgresql://u:secret@host:5432",
                "postgresql://u:***@host:5432",
            ),
            ("postgres://u:p@ss:w@host/db", "postgres://u:***@host/db"),
            (
                "postgres://host/db?user=u&password=secret",
                "postgres://host/db?user=u&password=***",
            ),
            ("postgres://u@host/db", "postgres://u@host/db"),
            ("sqlite://hallway.db", "sqlite://hallway.db"),
            ("sqlite:///data/a@b.db", "sqlite:///data/a@b.db"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn unusable_urls_get_one_reason_that_never_shows_the_password() {
        let reason = |url: &str| format!("{:#}", sqlite_options(url).unwrap_err());
        let postgres = reason("postgres://u:secret@host/db");
        assert!(
            postgres.contains("PostgreSQL is not supported yet"),
            "{postgres}"
        );
        assert!(postgres.contains("postgres://u:***@host/db"), "{postgres}");
        let other = reason("mysql://u:secret@host/db");
        assert!(
            other.contains("is not a database URL hallway supports"),
            "{other}"
        );
        let missing = reason("sqlite:///nonexistent-hallway-dir/x/hallway.db");
        assert!(
            missing.contains(
                "the directory /nonexistent-hallway-dir/x for the database does not exist"
            ),
            "{missing}"
        );
        let with_password = reason("sqlite://u:secret@hallway.db");
        assert!(
            with_password.contains("takes no user or password"),
            "{with_password}"
        );
        for text in [postgres, other, missing, with_password] {
            assert!(!text.contains("secret"), "{text}");
        }
        assert!(sqlite_options("sqlite://hallway.db").is_ok());
        assert!(sqlite_options("sqlite::memory:").is_ok());
        assert!(sqlite_options("hallway.db").is_ok(), "a bare path");
    }
}
