//! All SQL lives here. Functions take and return domain types; a write that touches
//! several rows runs in one transaction.

mod answers;
mod attention;
mod backend;
mod booking;
mod celebrations;
mod copy;
mod export;
mod fit;
mod groups;
mod history;
mod identify;
mod interests;
mod leases;
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

pub use backend::{Backend, ByBackend, Conn, Pool, PoolConn, Tx};
pub use backend::{POSTGRES_MIGRATOR, SQLITE_MIGRATOR};
pub use booking::NextSlots;
pub use copy::{lock_copy_source, CopiedTable, CopyReport};
pub use identify::{is_postgres_url, IdentifyTurn};
pub use leases::{
    fenced, is_lease_lost, on_shards, scoped_fence_fresh, Fence, HeldLeases, Holder, Lease,
    LeaseClock, LeaseLost, LeaseRecord,
};

use backend::sqlite_options;
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

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// Each program's matching history, kept between rounds (see `history.rs`).
    kept: std::sync::Arc<history::KeptHistories>,
}

impl Store {
    /// Opens the database at `url` (a SQLite file, created if missing, or a PostgreSQL
    /// database, which must exist) and applies pending migrations.
    pub async fn open(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
    ) -> anyhow::Result<Store> {
        Store::connect(url, max_connections, busy_timeout, true).await
    }

    /// Like [`Store::open`], but fails when the SQLite file does not exist: a tool that
    /// only reads (`hallway export`) must not leave an empty database at a mistyped path.
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
        let pool = backend::connect(url, max_connections, busy_timeout, create_if_missing).await?;
        Ok(Store {
            pool,
            kept: Default::default(),
        })
    }

    /// A write transaction that waits for every other writer first (see
    /// [`backend::begin_write`]).
    ///
    /// Inside a server's fence ([`fenced`]: the scheduled work of a server whose lease this
    /// process holds), the transaction first checks the lease, so that every write of that
    /// work is refused with [`LeaseLost`] once another process has taken the server over.
    pub(crate) async fn write(&self) -> anyhow::Result<Tx> {
        let mut tx = backend::begin_write(&self.pool)
            .await
            .context("cannot start a database transaction")?;
        leases::check_scoped_fence(tx.conn()).await?;
        Ok(tx)
    }

    /// A read-only transaction whose queries all see one snapshot.
    pub(crate) async fn read(&self) -> anyhow::Result<Tx> {
        backend::begin_read(&self.pool)
            .await
            .context("cannot start a database transaction")
    }

    /// The SQLite pool, for tests about SQLite itself (its pragmas, an upgraded file).
    /// Panics on PostgreSQL.
    pub fn sqlite_pool(&self) -> &sqlx::SqlitePool {
        match &self.pool {
            ByBackend::Sqlite(pool) => pool,
            ByBackend::Postgres(_) => panic!("sqlite_pool() on a PostgreSQL store"),
        }
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// The pool, for tests and tools that inspect the database directly (through
    /// [`on_backend!`](crate::on_backend)).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Closes the pool: the last step of a shutdown.
    pub async fn close(&self) {
        self.pool.close().await
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

/// Claims the SQLite database for this process: one running bot per file, or both would
/// deliver the same outbox. The lock is on `<database>.lock` and the OS releases it when
/// the process ends, even by a crash, so a restart never waits. (PostgreSQL needs no such
/// lock: its processes share the work through leases.)
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

        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <i64 as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <i64 as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <i64 as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, sqlx::Postgres>>::encode(self.to_db(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(Self::from_db(
                    <i64 as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?,
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

        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?.parse()?)
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
            postgres.contains("is a PostgreSQL URL, not a SQLite file"),
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
