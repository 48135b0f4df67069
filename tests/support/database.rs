//! The database a test's bot runs on, on either backend, and a way for the test to read
//! and write it with the same SQL on both.
//!
//! The backend is SQLite unless `HALLWAY_TEST_BACKEND=postgres`; then each test gets a new
//! database on the server at `HALLWAY_TEST_POSTGRES_URL` (`scripts/test` sets both), and
//! drops it when the test passes (a failed test keeps it, and says which, to look into).
//!
//! ```ignore
//! let pool = open(&env.database_url()).await;
//! query("update outbox set due_at = '2000-01-01T00:00:00Z' where kind = $1").bind("nudge").execute(&pool).await?;
//! let due: DateTime<Utc> = query_scalar("select due_at from outbox").fetch_one(&pool).await?;
//! ```
//!
//! The SQL must be what both accept: `$1` placeholders, `true`/`false` for flags, times
//! bound as `DateTime<Utc>` (or written as literals), `coalesce`, no `rowid`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use hallway::storage::{Backend, ByBackend, Pool};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow};

/// A pool on the bot's database, of either backend (`hallway::on_backend!` runs a query
/// on it directly).
pub type Db = Pool;

/// The backend the tests run the bot on: SQLite unless `HALLWAY_TEST_BACKEND=postgres`.
pub fn test_backend() -> Backend {
    match std::env::var("HALLWAY_TEST_BACKEND").as_deref() {
        Ok("postgres") | Ok("postgresql") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// Whether a test about something only SQLite has (its files, its lock file, an upgraded
/// file) runs: on another backend it prints one line saying why not, and returns false.
pub fn sqlite_only(what: &str) -> bool {
    let backend = test_backend();
    if backend != Backend::Sqlite {
        eprintln!("not on {}: {what} is about SQLite", backend.name());
        return false;
    }
    true
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_server_url() -> String {
    std::env::var("HALLWAY_TEST_POSTGRES_URL").expect(
        "a PostgreSQL test needs HALLWAY_TEST_POSTGRES_URL, e.g. \
         postgres://postgres@127.0.0.1:5432/postgres (scripts/test sets it)",
    )
}

/// One test's database: a SQLite file, or a new PostgreSQL database that is dropped when
/// this goes out of scope, unless the test failed.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    /// The server's URL and the database's name, on PostgreSQL.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A new empty database on the test backend: `dir/hallway.db` on SQLite (not created
    /// here: the bot creates it), a new database on PostgreSQL.
    pub async fn fresh(dir: &Path) -> Self {
        match test_backend() {
            Backend::Sqlite => Self::sqlite(&dir.join("hallway.db")),
            Backend::Postgres => Self::fresh_postgres().await,
        }
    }

    /// The SQLite file at `path`.
    pub fn sqlite(path: &Path) -> Self {
        Self {
            url: format!("sqlite://{}", path.display()),
            postgres: None,
        }
    }

    /// A new empty database on the server at `HALLWAY_TEST_POSTGRES_URL`, whatever the
    /// test backend (for tests that need PostgreSQL, e.g. several processes).
    pub async fn fresh_postgres() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let server = postgres_server_url();
        let name = format!(
            "hallway_e2e_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("connect to the test PostgreSQL server: {e}"));
        sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
        let _ = sqlx::Connection::close(admin).await;
        let mut url = url::Url::parse(&server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            postgres: Some((server, name)),
        }
    }

    /// What the bot gets as `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        if std::thread::panicking() {
            eprintln!("kept the PostgreSQL database {name} of the failed test");
            return;
        }
        // Drop runs inside the test's runtime, which must not block on itself: a thread
        // of its own does it. `with (force)` ends the connections of a bot just killed.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async move {
                let Ok(mut admin) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&server).await
                else {
                    return;
                };
                let sql = format!("drop database if exists {name} with (force)");
                for _ in 0..3 {
                    if sqlx::Executor::execute(&mut admin, sql.as_str())
                        .await
                        .is_ok()
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let _ = sqlx::Connection::close(admin).await;
            });
        })
        .join();
    }
}

/// A second connection to the database at `url` (`sqlite://...` or `postgres://...`), to
/// check what the bot stored or to set up what a test needs. A few connections: the bot
/// is the one under load.
pub async fn open(url: &str) -> Db {
    match Backend::of_url(url) {
        Backend::Sqlite => {
            let options: SqliteConnectOptions = url
                .parse::<SqliteConnectOptions>()
                .expect("a SQLite URL")
                .busy_timeout(Duration::from_secs(5));
            ByBackend::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .expect("open the bot's SQLite database"),
            )
        }
        Backend::Postgres => {
            let options: PgConnectOptions = url.parse().expect("a PostgreSQL URL");
            ByBackend::Postgres(
                PgPoolOptions::new()
                    .max_connections(3)
                    .connect_with(options)
                    .await
                    .expect("connect to the bot's PostgreSQL database"),
            )
        }
    }
}

/// A value bound to a placeholder: what the tests bind, each encoded as its backend's own
/// type (a time as timestamptz on PostgreSQL, as RFC 3339 text on SQLite).
#[derive(Debug, Clone)]
pub enum Arg {
    I64(Option<i64>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
}

macro_rules! arg_from {
    ($($t:ty => $variant:ident via $conv:expr),* $(,)?) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                Arg::$variant(Some($conv(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Self {
                Arg::$variant(v.map($conv))
            }
        }
    )*};
}

arg_from! {
    i64 => I64 via |v| v,
    i32 => I64 via i64::from,
    u32 => I64 via i64::from,
    u64 => I64 via |v: u64| i64::try_from(v).expect("an id that fits i64"),
    f64 => F64 via |v| v,
    bool => Bool via |v| v,
    String => Text via |v| v,
    &str => Text via |v: &str| v.to_string(),
    &String => Text via |v: &String| v.clone(),
    DateTime<Utc> => Time via |v| v,
    NaiveDate => Date via |v| v,
}

/// Binds every argument to a sqlx query (plain, `query_as` or `query_scalar`) of either
/// backend.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for arg in $args {
            q = match arg {
                Arg::I64(v) => q.bind(*v),
                Arg::F64(v) => q.bind(*v),
                Arg::Bool(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Time(v) => q.bind(*v),
                Arg::Date(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A row type both backends decode: a tuple or a `FromRow` struct of `i64`, `bool`,
/// `String`, `DateTime<Utc>`, `Option`s of those, ...
pub trait FromEitherRow:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> FromEitherRow for T where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

/// A query with its arguments, run on a [`Db`] of either backend; the sqlx calls it
/// stands for keep their names (`execute`, `fetch_one`, `fetch_all`, `fetch_optional`).
#[derive(Debug, Clone)]
pub struct Query {
    sql: String,
    args: Vec<Arg>,
}

/// A statement or a query whose rows are tuples or `FromRow` structs.
pub fn query(sql: impl Into<String>) -> Query {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

/// Same as [`query`], named as sqlx names it, for a query that returns rows.
pub fn query_as(sql: impl Into<String>) -> Query {
    query(sql)
}

/// A query whose rows are one value each.
pub fn query_scalar(sql: impl Into<String>) -> Scalar {
    Scalar(query(sql))
}

impl Query {
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&self, db: &Db) -> Result<u64, sqlx::Error> {
        let args = &self.args;
        hallway::on_backend!(db, pool => bind_all!(sqlx::query(&self.sql), args)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
    }

    pub async fn fetch_one<T: FromEitherRow>(&self, db: &Db) -> Result<T, sqlx::Error> {
        let args = &self.args;
        hallway::on_backend!(db, pool => bind_all!(sqlx::query_as::<_, T>(&self.sql), args)
            .fetch_one(pool)
            .await)
    }

    pub async fn fetch_all<T: FromEitherRow>(&self, db: &Db) -> Result<Vec<T>, sqlx::Error> {
        let args = &self.args;
        hallway::on_backend!(db, pool => bind_all!(sqlx::query_as::<_, T>(&self.sql), args)
            .fetch_all(pool)
            .await)
    }

    pub async fn fetch_optional<T: FromEitherRow>(
        &self,
        db: &Db,
    ) -> Result<Option<T>, sqlx::Error> {
        let args = &self.args;
        hallway::on_backend!(db, pool => bind_all!(sqlx::query_as::<_, T>(&self.sql), args)
            .fetch_optional(pool)
            .await)
    }
}

/// A query of one column: see [`query_scalar`].
#[derive(Debug, Clone)]
pub struct Scalar(Query);

impl Scalar {
    pub fn bind(self, value: impl Into<Arg>) -> Self {
        Self(self.0.bind(value))
    }

    pub async fn fetch_one<T>(&self, db: &Db) -> Result<T, sqlx::Error>
    where
        (T,): FromEitherRow,
    {
        self.0.fetch_one::<(T,)>(db).await.map(|(v,)| v)
    }

    pub async fn fetch_all<T>(&self, db: &Db) -> Result<Vec<T>, sqlx::Error>
    where
        (T,): FromEitherRow,
    {
        let rows = self.0.fetch_all::<(T,)>(db).await?;
        Ok(rows.into_iter().map(|(v,)| v).collect())
    }

    pub async fn fetch_optional<T>(&self, db: &Db) -> Result<Option<T>, sqlx::Error>
    where
        (T,): FromEitherRow,
    {
        Ok(self.0.fetch_optional::<(T,)>(db).await?.map(|(v,)| v))
    }
}

/// Runs several statements separated by `;`, with no arguments (e.g. a test's setup).
pub async fn execute_script(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
    hallway::on_backend!(db, pool => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()))
}

/// hallway's tables (not sqlx's migration table), by name.
pub async fn tables(db: &Db) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "select name from sqlite_master where type = 'table'
             and name not like 'sqlite_%' and name <> '_sqlx_migrations' order by name"
        }
        Backend::Postgres => {
            "select table_name::text from information_schema.tables
             where table_schema = current_schema() and table_type = 'BASE TABLE'
             and table_name <> '_sqlx_migrations' order by table_name"
        }
    };
    query_scalar(sql)
        .fetch_all(db)
        .await
        .expect("list the tables")
}

/// The columns of `table`, in their order in the table.
pub async fn columns(db: &Db, table: &str) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Sqlite => "select name from pragma_table_info($1) order by cid",
        Backend::Postgres => {
            "select column_name::text from information_schema.columns
             where table_schema = current_schema() and table_name = $1 order by ordinal_position"
        }
    };
    query_scalar(sql)
        .bind(table)
        .fetch_all(db)
        .await
        .expect("list a table's columns")
}

/// One stored value, as a check for what must not be stored reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    Int(i64),
    Text(String),
    /// A value of another kind (a float, a flag, bytes), or NULL.
    Other,
}

/// Every value of every column of every table: `(table, column, value)`. For checks that
/// nothing still holds an id or a name (on PostgreSQL, times and JSON come as text).
pub async fn stored_values(db: &Db) -> Vec<(String, String, Stored)> {
    use sqlx::{Column, Row, ValueRef};
    let mut all = Vec::new();
    for table in tables(db).await {
        match db {
            ByBackend::Sqlite(pool) => {
                let rows = sqlx::query(&format!("select * from \"{table}\""))
                    .fetch_all(pool)
                    .await
                    .unwrap_or_else(|e| panic!("read {table}: {e}"));
                for row in rows {
                    for column in row.columns() {
                        let i = column.ordinal();
                        let value = if row.try_get_raw(i).unwrap().is_null() {
                            Stored::Other
                        } else if let Ok(v) = row.try_get::<i64, _>(i) {
                            Stored::Int(v)
                        } else if let Ok(v) = row.try_get::<String, _>(i) {
                            Stored::Text(v)
                        } else {
                            Stored::Other
                        };
                        all.push((table.clone(), column.name().to_string(), value));
                    }
                }
            }
            ByBackend::Postgres(pool) => {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("select row_to_json(t)::text from \"{table}\" t"))
                        .fetch_all(pool)
                        .await
                        .unwrap_or_else(|e| panic!("read {table}: {e}"));
                for row in rows {
                    let serde_json::Value::Object(fields) =
                        serde_json::from_str(&row).expect("row_to_json gives an object")
                    else {
                        unreachable!("row_to_json gives an object")
                    };
                    for (column, v) in fields {
                        let value = match v {
                            serde_json::Value::Number(n) => {
                                n.as_i64().map(Stored::Int).unwrap_or(Stored::Other)
                            }
                            serde_json::Value::String(s) => Stored::Text(s),
                            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                                Stored::Text(v.to_string())
                            }
                            serde_json::Value::Null | serde_json::Value::Bool(_) => Stored::Other,
                        };
                        all.push((table.clone(), column, value));
                    }
                }
            }
        }
    }
    all
}

/// Tables the bot rewrites on its own clock, whatever the commands do: the lease loop
/// renews each server's lease every few seconds.
const CHANGE_ON_THEIR_OWN: &[&str] = &["server_lease"];

/// Every row of every table, each as one line of text, sorted: to show that a command
/// changed nothing (the tables the bot rewrites on its own clock left out).
pub async fn every_row(db: &Db) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut all = std::collections::BTreeMap::new();
    for table in tables(db).await {
        if CHANGE_ON_THEIR_OWN.contains(&table.as_str()) {
            continue;
        }
        let sql = match db.backend() {
            Backend::Sqlite => {
                let quoted: Vec<String> = columns(db, &table)
                    .await
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect();
                format!(
                    "select {} from \"{table}\" order by 1",
                    quoted.join(" || ' | ' || ")
                )
            }
            Backend::Postgres => {
                format!("select row_to_json(t)::text from \"{table}\" t order by 1")
            }
        };
        let rows: Vec<String> = query_scalar(sql)
            .fetch_all(db)
            .await
            .unwrap_or_else(|e| panic!("read {table}: {e}"));
        all.insert(table, rows);
    }
    all
}

/// Anything a test reads as a pool: a [`Db`], or a SQLite pool of its own.
pub trait AsDb {
    fn as_db(&self) -> Db;
}

impl AsDb for Db {
    fn as_db(&self) -> Db {
        self.clone()
    }
}

impl AsDb for sqlx::SqlitePool {
    fn as_db(&self) -> Db {
        ByBackend::Sqlite(self.clone())
    }
}

impl AsDb for sqlx::PgPool {
    fn as_db(&self) -> Db {
        ByBackend::Postgres(self.clone())
    }
}

/// After a bot was killed (SIGKILL, so it released nothing): its servers' leases are made
/// to have run out, as if the test had waited `[scheduler] lease_seconds` (30 s by
/// default) for them to, so the next bot takes the servers over at once. The takeover is
/// the real one (a new holder, the epoch bumped). Does nothing on a database without
/// leases.
pub async fn expire_leases(db: &Db) {
    if !tables(db).await.iter().any(|t| t == "server_lease") {
        return;
    }
    query("update server_lease set expires_at = $1")
        .bind(Utc::now() - chrono::Duration::hours(1))
        .execute(db)
        .await
        .expect("expire the killed bot's leases");
    // On PostgreSQL the killed bot's claims (rows it held, due one lease ahead) would
    // wait out the lease too: end them as that wait would, so the test need not sleep.
    if db.backend() == hallway::storage::Backend::Postgres {
        let now = Utc::now();
        query("update outbox set due_at = $1 where state = 'pending' and due_at > $1 and due_at <= $2")
            .bind(now)
            .bind(now + chrono::Duration::seconds(31))
            .execute(db)
            .await
            .expect("end the killed bot's outbox claims");
    }
}
