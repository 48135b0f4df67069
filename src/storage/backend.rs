//! The two databases hallway runs on: SQLite (the embedded default, one process) and
//! PostgreSQL (several processes). Each is a concrete sqlx database with its own pool,
//! migrations and connection settings; there is no `sqlx::Any`, which cannot carry chrono
//! types.
//!
//! The queries are written once, in SQL both accept (`$1` placeholders, standard
//! functions), and run on whichever backend the store holds through [`on_backend!`]: it
//! expands its body once per backend, so each copy is compiled against that backend's
//! own types. Where the two dialects differ, the query asks [`Backend`] for its fragment.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// One value per backend: a pool, a transaction or a connection of either database.
#[derive(Debug, Clone)]
pub enum ByBackend<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Runs `$body` with `$x` bound to the backend's own value (pool, transaction or
/// connection). Both copies must have the same type, so map a backend's own result type
/// (a `QueryResult`, a `Row`) to a shared one inside the body.
///
/// ```ignore
/// let n = on_backend!(&self.pool, pool => sqlx::query_scalar::<_, i64>("select 1").fetch_one(pool).await)?;
/// ```
#[macro_export]
macro_rules! on_backend {
    ($target:expr, $x:ident => $body:expr) => {
        match $target {
            $crate::storage::ByBackend::Sqlite($x) => $body,
            $crate::storage::ByBackend::Postgres($x) => $body,
        }
    };
}

/// The store's connection pool.
pub type Pool = ByBackend<SqlitePool, PgPool>;
/// A transaction on either backend.
pub type Tx =
    ByBackend<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Transaction<'static, sqlx::Postgres>>;
/// A connection taken from the pool.
pub type PoolConn =
    ByBackend<sqlx::pool::PoolConnection<sqlx::Sqlite>, sqlx::pool::PoolConnection<sqlx::Postgres>>;
/// A borrowed connection (of a transaction or of the pool), for helpers that run on either.
pub type Conn<'c> = ByBackend<&'c mut sqlx::SqliteConnection, &'c mut sqlx::PgConnection>;

/// Which database a store runs on, for the few queries the dialects write differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names: `postgres://` and `postgresql://` are
    /// PostgreSQL; `sqlite://`, a bare file path, and anything else (refused later with a
    /// message) SQLite.
    pub fn of_url(url: &str) -> Backend {
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// An expression that compares and orders the stored instant `expr` (a column or a
    /// placeholder): SQLite keeps instants as RFC 3339 text whose digits of a second vary,
    /// so it compares `julianday(...)`; PostgreSQL's timestamptz compares as it is.
    pub fn instant(self, expr: &str) -> String {
        match self {
            Backend::Sqlite => format!("julianday({expr})"),
            Backend::Postgres => expr.to_string(),
        }
    }

    /// `sqlite` or `postgres`, for messages and test names.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl<S, P> ByBackend<S, P> {
    pub fn backend(&self) -> Backend {
        match self {
            ByBackend::Sqlite(_) => Backend::Sqlite,
            ByBackend::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Pool {
    /// A connection from the pool.
    pub async fn acquire(&self) -> Result<PoolConn, sqlx::Error> {
        Ok(match self {
            ByBackend::Sqlite(pool) => ByBackend::Sqlite(pool.acquire().await?),
            ByBackend::Postgres(pool) => ByBackend::Postgres(pool.acquire().await?),
        })
    }

    /// A plain transaction: on SQLite a deferred one, on PostgreSQL READ COMMITTED. For
    /// writes use [`crate::storage::Store::write`], which serializes writers on both.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            ByBackend::Sqlite(pool) => ByBackend::Sqlite(pool.begin().await?),
            ByBackend::Postgres(pool) => ByBackend::Postgres(pool.begin().await?),
        })
    }

    /// Closes every connection, waiting for those in use to come back.
    pub async fn close(&self) {
        on_backend!(self, pool => pool.close().await)
    }
}

impl Tx {
    /// The transaction's connection, for a query or a helper.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            ByBackend::Sqlite(tx) => ByBackend::Sqlite(&mut **tx),
            ByBackend::Postgres(tx) => ByBackend::Postgres(&mut **tx),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        on_backend!(self, tx => tx.commit().await)
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        on_backend!(self, tx => tx.rollback().await)
    }
}

impl PoolConn {
    /// The pooled connection, for a query or a helper.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            ByBackend::Sqlite(conn) => ByBackend::Sqlite(&mut **conn),
            ByBackend::Postgres(conn) => ByBackend::Postgres(&mut **conn),
        }
    }
}

impl<'c> Conn<'c> {
    /// The same connection, borrowed again: for running several queries on it.
    pub fn re(&mut self) -> Conn<'_> {
        match self {
            ByBackend::Sqlite(conn) => ByBackend::Sqlite(&mut **conn),
            ByBackend::Postgres(conn) => ByBackend::Postgres(&mut **conn),
        }
    }

    /// A transaction inside this connection (a savepoint when it is one already).
    pub async fn begin(
        &mut self,
    ) -> Result<
        ByBackend<sqlx::Transaction<'_, sqlx::Sqlite>, sqlx::Transaction<'_, sqlx::Postgres>>,
        sqlx::Error,
    > {
        Ok(match self {
            ByBackend::Sqlite(conn) => {
                ByBackend::Sqlite(sqlx::Connection::begin(&mut **conn).await?)
            }
            ByBackend::Postgres(conn) => {
                ByBackend::Postgres(sqlx::Connection::begin(&mut **conn).await?)
            }
        })
    }
}

/// The key of the transaction-level advisory lock every PostgreSQL write transaction
/// takes first ("hall" in ASCII). See [`begin_write`].
const WRITE_LOCK_KEY: i64 = 0x6861_6c6c;

/// A write transaction that waits for any other writer first, on either backend.
///
/// SQLite allows one writer at a time, and the store's read-then-write steps (a cooldown
/// checked before a win is saved, a round number read before it is taken) were written
/// for that: `BEGIN IMMEDIATE` takes the write lock up front. A deferred one would start as
/// a reader and fail with "database is locked", not wait, when two writers race to
/// upgrade. On PostgreSQL, several processes write at once, so each write transaction
/// takes one transaction-level advisory lock before anything else: the same one-writer
/// rule, across processes, released by commit or rollback. The outbox's claim of due rows
/// does not need it and uses `FOR UPDATE SKIP LOCKED` instead.
pub async fn begin_write(pool: &Pool) -> Result<Tx, sqlx::Error> {
    Ok(match pool {
        ByBackend::Sqlite(pool) => ByBackend::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
        ByBackend::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("select pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
            ByBackend::Postgres(tx)
        }
    })
}

/// A read-only transaction that sees one snapshot of the database for all its queries:
/// SQLite's deferred transaction does; PostgreSQL needs REPEATABLE READ for it.
pub async fn begin_read(pool: &Pool) -> Result<Tx, sqlx::Error> {
    Ok(match pool {
        ByBackend::Sqlite(pool) => ByBackend::Sqlite(pool.begin().await?),
        ByBackend::Postgres(pool) => ByBackend::Postgres(
            pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await?,
        ),
    })
}

/// The migrations of each backend, compiled into the binary.
pub static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Opens the pool `url` names and applies its backend's pending migrations.
pub(super) async fn connect(
    url: &str,
    max_connections: u32,
    busy_timeout: Duration,
    create_if_missing: bool,
) -> anyhow::Result<Pool> {
    let shown = super::redact_url(url);
    match Backend::of_url(url) {
        Backend::Sqlite => {
            let options = sqlite_options(url)?
                .create_if_missing(create_if_missing)
                .journal_mode(SqliteJournalMode::Wal)
                // Durable enough in WAL mode, and much faster than FULL.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // 8 MB of pages per connection, not SQLite's 2 MB: saving a round of 100,000
                // members writes its seats all over the indexes of a year of seats.
                .pragma("cache_size", "-8192")
                .busy_timeout(busy_timeout);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open the database at {shown}"))?;
            SQLITE_MIGRATOR
                .run(&pool)
                .await
                .context("cannot apply the database migrations")?;
            Ok(ByBackend::Sqlite(pool))
        }
        Backend::Postgres => {
            let options = PgConnectOptions::from_str(url).with_context(|| {
                format!("DATABASE_URL {shown} is not a valid PostgreSQL URL; {POSTGRES_EXAMPLE}")
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                // A lock wait as long as SQLite's busy timeout, then an error, not a hang.
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        let ms = busy_timeout.as_millis().max(1);
                        sqlx::query(&format!("set lock_timeout = {ms}"))
                            .execute(conn)
                            .await?;
                        Ok(())
                    })
                })
                .connect_with(options)
                .await
                .with_context(|| format!("cannot connect to the database at {shown}"))?;
            POSTGRES_MIGRATOR
                .run(&pool)
                .await
                .context("cannot apply the database migrations")?;
            Ok(ByBackend::Postgres(pool))
        }
    }
}

/// What a database URL must look like, for the messages that refuse one.
pub(super) const SQLITE_EXAMPLE: &str =
    "use a SQLite file, e.g. DATABASE_URL=sqlite://hallway.db, or PostgreSQL, e.g. DATABASE_URL=postgres://hallway@localhost/hallway";
const POSTGRES_EXAMPLE: &str =
    "e.g. DATABASE_URL=postgres://hallway:PASSWORD@localhost:5432/hallway";

/// The SQLite options for `url`, or one line that says what is wrong with it. The
/// message shows the URL only with its password hidden.
pub(super) fn sqlite_options(url: &str) -> anyhow::Result<SqliteConnectOptions> {
    let shown = super::redact_url(url);
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        // A bare file path (no scheme) has always worked; it still does.
        Some("sqlite") | None => {}
        Some("postgres" | "postgresql") => {
            anyhow::bail!("DATABASE_URL {shown} is a PostgreSQL URL, not a SQLite file")
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
