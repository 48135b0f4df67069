//! Copying a whole SQLite database into an empty PostgreSQL one (`hallway migrate-to`).
//!
//! Nothing here lists tables or columns: both sides are read from the databases
//! themselves (SQLite's `sqlite_master` and `pragma_table_info`, PostgreSQL's
//! `information_schema` and `pg_constraint`), so a table or column a later migration adds
//! is copied without a change here, and one that exists on one side only is an error,
//! not a silent loss. Each value is converted to the type the PostgreSQL column has:
//! SQLite's RFC 3339 text to `timestamptz`, `YYYY-MM-DD` to `date`, 0/1 to `boolean`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Connection as _, Postgres, QueryBuilder, Row as _};

use super::backend::{begin_write, sqlite_options};
use super::{redact_url, Backend, ByBackend, Store};

/// One table as copied: its rows in the source and in the target, which the copy checked
/// are equal before committing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedTable {
    pub name: String,
    pub source_rows: u64,
    pub target_rows: u64,
}

/// What [`Store::copy_into`] copied, table by table in the order it copied them (parents
/// before the tables whose foreign keys point at them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<CopiedTable>,
}

impl CopyReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.target_rows).sum()
    }
}

/// The most rows one INSERT carries (fewer for wide tables: PostgreSQL takes at most
/// 65,535 bound values in one statement).
const BATCH_ROWS: usize = 1_000;
const MAX_BINDS: usize = 65_535;

/// sqlx's own table, which each side's migrator fills for its own migrations.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Claims the SQLite database at `url` for a copy, as a running bot claims it (see
/// [`super::lock_single_instance`]), so no bot writes to it while it is read. Checks
/// first that the file exists, so a mistyped path leaves no lock file behind.
pub fn lock_copy_source(url: &str) -> anyhow::Result<std::fs::File> {
    let options = sqlite_options(url)?;
    let file = options.get_filename();
    if !file.is_file() {
        anyhow::bail!(
            "there is no SQLite database at {} (DATABASE_URL {}): set DATABASE_URL, or [database] url in the config, to the bot's database file",
            file.display(),
            redact_url(url)
        );
    }
    super::lock_single_instance(url).context(
        "stop the bot before migrating its database: migrate-to must read it while nothing writes to it",
    )
}

impl Store {
    /// Opens the PostgreSQL database at `url` (which must exist) as the target of a copy:
    /// refuses one whose tables hold any row, before applying its migrations, so a
    /// refused database is left exactly as it was; then applies them.
    pub async fn open_copy_target(
        url: &str,
        max_connections: u32,
        busy_timeout: Duration,
    ) -> anyhow::Result<Store> {
        let shown = redact_url(url);
        if Backend::of_url(url) != Backend::Postgres {
            anyhow::bail!(
                "migrate-to copies into PostgreSQL, and {shown} is not a postgres:// URL; \
                 e.g. hallway migrate-to postgres://hallway:PASSWORD@localhost:5432/hallway \
                 (to copy a SQLite file, stop the bot and copy the file with sqlite3's .backup)"
            );
        }
        let mut conn = PgConnection::connect(url)
            .await
            .with_context(|| format!("cannot connect to the database at {shown}"))?;
        let held = rows_held(&mut conn).await?;
        conn.close().await.ok();
        if !held.is_empty() {
            anyhow::bail!(not_empty(&shown, &held));
        }
        Store::open(url, max_connections, busy_timeout).await
    }

    /// Copies every row of this SQLite store into `target`, an empty PostgreSQL store
    /// with its migrations applied, in one transaction of `target`: all or nothing.
    /// Refuses a target that holds any row. Tables go in foreign-key order, in batches;
    /// each identity sequence is then moved past the copied ids, and each table's row
    /// count is checked against the source's before the transaction commits.
    pub async fn copy_into(&self, target: &Store) -> anyhow::Result<CopyReport> {
        let ByBackend::Sqlite(source) = &self.pool else {
            anyhow::bail!(
                "migrate-to copies a SQLite database into PostgreSQL, and this database is PostgreSQL already; \
                 to copy one PostgreSQL database into another use pg_dump and pg_restore"
            );
        };
        if target.backend() != Backend::Postgres {
            anyhow::bail!("migrate-to copies into PostgreSQL, not into another SQLite file");
        }
        // One read transaction: every table is read from the same snapshot.
        let mut src = source
            .begin()
            .await
            .context("cannot read the SQLite database")?;
        let sources = sqlite_tables(&mut src).await?;
        let ByBackend::Postgres(mut dst) = begin_write(&target.pool)
            .await
            .context("cannot start a transaction on the PostgreSQL database")?
        else {
            unreachable!("checked above: the target is PostgreSQL");
        };
        let targets = postgres_tables(&mut dst).await?;
        check_same_tables(&sources, &targets)?;

        // Nothing else writes to the tables until the copy commits or fails.
        let all: Vec<String> = targets.keys().map(|t| quote(t)).collect();
        sqlx::query(&format!("lock table {} in exclusive mode", all.join(", ")))
            .execute(&mut *dst)
            .await
            .context("cannot lock the PostgreSQL tables for the copy")?;
        let held = rows_held(&mut dst).await?;
        if !held.is_empty() {
            anyhow::bail!(not_empty("the target", &held));
        }

        let order = foreign_key_order(&mut dst, &targets).await?;
        let mut report = CopyReport { tables: Vec::new() };
        for name in &order {
            let columns = plan_columns(name, &sources[name], &targets[name])?;
            let source_rows = copy_table(&mut src, &mut dst, name, &columns).await?;
            let target_rows: i64 =
                sqlx::query_scalar(&format!("select count(*) from {}", quote(name)))
                    .fetch_one(&mut *dst)
                    .await
                    .with_context(|| format!("cannot count the rows copied into {name}"))?;
            let target_rows = u64::try_from(target_rows).unwrap_or(0);
            if target_rows != source_rows {
                anyhow::bail!(
                    "the copy of table {name} has {target_rows} rows, and the SQLite table {source_rows}; nothing was copied"
                );
            }
            report.tables.push(CopiedTable {
                name: name.clone(),
                source_rows,
                target_rows,
            });
        }
        for (table, columns) in &targets {
            for column in columns.iter().filter(|c| c.identity) {
                advance_identity(&mut dst, table, &column.name).await?;
            }
        }
        dst.commit()
            .await
            .context("cannot commit the copy to PostgreSQL")?;
        src.rollback().await.ok();
        Ok(report)
    }
}

/// A SQLite table: its columns in order.
struct SourceTable {
    columns: Vec<String>,
}

/// A column of a PostgreSQL table.
struct TargetColumn {
    name: String,
    kind: Kind,
    identity: bool,
}

/// The PostgreSQL types the schema uses, and what a SQLite value becomes for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Time,
    Date,
    Text,
    Float,
    /// A type migrate-to does not know how to fill; an error if a source column maps
    /// onto it.
    Other,
}

impl Kind {
    fn of(data_type: &str) -> Kind {
        match data_type {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "boolean" => Kind::Bool,
            "timestamp with time zone" => Kind::Time,
            "date" => Kind::Date,
            "text" | "character varying" => Kind::Text,
            "double precision" | "real" => Kind::Float,
            _ => Kind::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Bool => "a 0/1 flag",
            Kind::Time => "an RFC 3339 time",
            Kind::Date => "a YYYY-MM-DD date",
            Kind::Text => "text",
            Kind::Float => "a number",
            Kind::Other => "a value",
        }
    }
}

/// One value on its way from SQLite to PostgreSQL.
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Text(Option<String>),
    Float(Option<f64>),
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

fn not_empty(database: &str, held: &[(String, u64)]) -> String {
    let list: Vec<String> = held
        .iter()
        .map(|(table, rows)| format!("{table}: {rows}"))
        .collect();
    format!(
        "{database} already holds rows ({}); migrate-to copies only into an empty database, \
         and changed nothing: create a new database (e.g. createdb hallway) and pass its URL",
        list.join(", ")
    )
}

/// The tables of the current schema (but sqlx's own) that hold rows, with their counts.
async fn rows_held(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, u64)>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> $1
         order by table_name",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .context("cannot list the tables of the PostgreSQL database")?;
    let mut held = Vec::new();
    for table in tables {
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from {}", quote(&table)))
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("cannot count the rows of {table}"))?;
        if rows > 0 {
            held.push((table, rows as u64));
        }
    }
    Ok(held)
}

async fn sqlite_tables(
    conn: &mut SqliteConnection,
) -> anyhow::Result<BTreeMap<String, SourceTable>> {
    let names: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master
         where type = 'table' and name not like 'sqlite\\_%' escape '\\' and name <> $1
         order by name",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .context("cannot list the tables of the SQLite database")?;
    let mut tables = BTreeMap::new();
    for name in names {
        let columns: Vec<String> =
            sqlx::query_scalar("select name from pragma_table_info($1) order by cid")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .with_context(|| format!("cannot read the columns of the SQLite table {name}"))?;
        tables.insert(name, SourceTable { columns });
    }
    Ok(tables)
}

async fn postgres_tables(
    conn: &mut PgConnection,
) -> anyhow::Result<BTreeMap<String, Vec<TargetColumn>>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "select c.table_name::text, c.column_name::text, c.data_type::text, c.is_identity::text
         from information_schema.columns c
         join information_schema.tables t
           on t.table_schema = c.table_schema and t.table_name = c.table_name
         where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
           and c.table_name <> $1
         order by c.table_name, c.ordinal_position",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(&mut *conn)
    .await
    .context("cannot read the PostgreSQL schema")?;
    let mut tables: BTreeMap<String, Vec<TargetColumn>> = BTreeMap::new();
    for (table, name, data_type, identity) in rows {
        tables.entry(table).or_default().push(TargetColumn {
            name,
            kind: Kind::of(&data_type),
            identity: identity == "YES",
        });
    }
    Ok(tables)
}

/// Both databases must have the same tables: each is at its backend's latest migration,
/// and the two migrations folders describe one schema.
fn check_same_tables(
    sources: &BTreeMap<String, SourceTable>,
    targets: &BTreeMap<String, Vec<TargetColumn>>,
) -> anyhow::Result<()> {
    let only_source: Vec<&str> = sources
        .keys()
        .filter(|t| !targets.contains_key(*t))
        .map(String::as_str)
        .collect();
    if !only_source.is_empty() {
        anyhow::bail!(
            "the SQLite database has tables that PostgreSQL's schema lacks ({}): nothing was copied; \
             migrations/postgres must gain them first",
            only_source.join(", ")
        );
    }
    let only_target: Vec<&str> = targets
        .keys()
        .filter(|t| !sources.contains_key(*t))
        .map(String::as_str)
        .collect();
    if !only_target.is_empty() {
        anyhow::bail!(
            "PostgreSQL's schema has tables that the SQLite database lacks ({}): nothing was copied; \
             are both databases opened by the same version of hallway?",
            only_target.join(", ")
        );
    }
    Ok(())
}

/// The tables in an order where each comes after every table its foreign keys point at
/// (PostgreSQL checks each row as it goes in); alphabetical where the order is free.
async fn foreign_key_order(
    conn: &mut PgConnection,
    targets: &BTreeMap<String, Vec<TargetColumn>>,
) -> anyhow::Result<Vec<String>> {
    let edges: Vec<(String, String)> = sqlx::query_as(
        "select child.relname::text, parent.relname::text
         from pg_constraint k
         join pg_class child on child.oid = k.conrelid
         join pg_class parent on parent.oid = k.confrelid
         where k.contype = 'f'
           and child.relnamespace = (select oid from pg_namespace where nspname = current_schema())",
    )
    .fetch_all(&mut *conn)
    .await
    .context("cannot read the foreign keys of the PostgreSQL schema")?;
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = targets
        .keys()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in &edges {
        if child != parent && targets.contains_key(parent) {
            if let Some(set) = parents.get_mut(child.as_str()) {
                set.insert(parent.as_str());
            }
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(parents.len());
    let mut done: BTreeSet<&str> = BTreeSet::new();
    while done.len() < parents.len() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(t, ps)| !done.contains(*t) && ps.iter().all(|p| done.contains(p)))
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            let left: Vec<&str> = parents
                .keys()
                .filter(|t| !done.contains(*t))
                .copied()
                .collect();
            anyhow::bail!(
                "the foreign keys of tables {} form a cycle; migrate-to cannot order them",
                left.join(", ")
            );
        }
        for table in ready {
            done.insert(table);
            order.push(table.to_string());
        }
    }
    Ok(order)
}

/// Each source column with the kind of the target column of the same name; a source
/// column the target lacks is an error (its values would be lost).
fn plan_columns(
    table: &str,
    source: &SourceTable,
    target: &[TargetColumn],
) -> anyhow::Result<Vec<(String, Kind)>> {
    source
        .columns
        .iter()
        .map(|column| {
            let Some(to) = target.iter().find(|c| &c.name == column) else {
                anyhow::bail!(
                    "the SQLite column {table}.{column} has no column in PostgreSQL's schema: \
                     nothing was copied; migrations/postgres must gain it first"
                );
            };
            if to.kind == Kind::Other {
                anyhow::bail!(
                    "the PostgreSQL column {table}.{column} has a type migrate-to cannot fill from SQLite"
                );
            }
            Ok((column.clone(), to.kind))
        })
        .collect()
}

/// Copies the table's rows in pages of the SQLite rowid, one multi-row INSERT per page;
/// returns the number of rows read.
async fn copy_table(
    src: &mut SqliteConnection,
    dst: &mut PgConnection,
    table: &str,
    columns: &[(String, Kind)],
) -> anyhow::Result<u64> {
    let list: Vec<String> = columns.iter().map(|(c, _)| quote(c)).collect();
    let list = list.join(", ");
    let select = format!(
        "select rowid, {list} from {} where rowid > $1 order by rowid limit $2",
        quote(table)
    );
    let batch = BATCH_ROWS.min(MAX_BINDS / columns.len().max(1)).max(1);
    let mut after = i64::MIN;
    let mut copied = 0u64;
    loop {
        let rows: Vec<SqliteRow> = sqlx::query(&select)
            .bind(after)
            .bind(batch as i64)
            .fetch_all(&mut *src)
            .await
            .with_context(|| format!("cannot read the SQLite table {table}"))?;
        let Some(last) = rows.last() else { break };
        after = last.try_get(0)?;
        let mut values: Vec<Vec<Value>> = Vec::with_capacity(rows.len());
        for row in &rows {
            let rowid: i64 = row.try_get(0)?;
            let mut out = Vec::with_capacity(columns.len());
            for (i, (column, kind)) in columns.iter().enumerate() {
                out.push(read_value(row, i + 1, *kind).with_context(|| {
                    format!(
                        "the SQLite column {table}.{column} (rowid {rowid}) does not hold {}",
                        kind.describe()
                    )
                })?);
            }
            values.push(out);
        }
        let read = values.len();
        let mut insert =
            QueryBuilder::<Postgres>::new(format!("insert into {} ({list}) ", quote(table)));
        insert.push_values(values, |mut b, row| {
            for value in row {
                match value {
                    Value::Int(v) => b.push_bind(v),
                    Value::Bool(v) => b.push_bind(v),
                    Value::Time(v) => b.push_bind(v),
                    Value::Date(v) => b.push_bind(v),
                    Value::Text(v) => b.push_bind(v),
                    Value::Float(v) => b.push_bind(v),
                };
            }
        });
        insert
            .build()
            .execute(&mut *dst)
            .await
            .with_context(|| format!("cannot copy rows into the PostgreSQL table {table}"))?;
        copied += read as u64;
        if read < batch {
            break;
        }
    }
    Ok(copied)
}

fn read_value(row: &SqliteRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get(i)?),
        Kind::Bool => Value::Bool(row.try_get(i)?),
        Kind::Time => Value::Time(row.try_get(i)?),
        Kind::Date => Value::Date(row.try_get(i)?),
        Kind::Text => Value::Text(row.try_get(i)?),
        Kind::Float => Value::Float(row.try_get(i)?),
        Kind::Other => unreachable!("refused by plan_columns"),
    })
}

/// Moves the identity sequence of `table.column` past the largest copied id, so the next
/// row PostgreSQL numbers gets a new one; an empty table keeps its sequence as it is.
async fn advance_identity(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
) -> anyhow::Result<()> {
    sqlx::query_scalar::<_, Option<i64>>(&format!(
        "select setval(pg_get_serial_sequence($1, $2), max({})) from {}",
        quote(column),
        quote(table)
    ))
    .bind(quote(table))
    .bind(column)
    .fetch_one(&mut *conn)
    .await
    .with_context(|| {
        format!("cannot move the id sequence of {table}.{column} past the copied ids")
    })?;
    Ok(())
}
