//! What the upgrade tests share: hallway's migrations as files of their own, a kept copy of
//! a database as an older version left it, and ways to read a file's rows and schema to
//! compare before and after.

use std::collections::BTreeSet;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// A file as an older version of hallway left it (`old`, a kept copy to compare with) and
/// the same file upgraded by the one migration after that version's (`new`): what an
/// upgrade test checks. Later steps have their own tests.
pub struct Upgraded {
    pub old: SqlitePool,
    pub new: SqlitePool,
    url: String,
    _dir: tempfile::TempDir,
}

impl Upgraded {
    /// The database `version` made, which had the first `applied` migrations, holding
    /// `rows`, then upgraded by migration `applied + 1`.
    pub async fn from(version: &str, applied: usize, rows: &str) -> Upgraded {
        let dir = tempfile::tempdir().unwrap();
        let (pool, url) =
            crate::database_made_by(dir.path(), version, &MIGRATIONS[..applied], rows).await;
        pool.close().await;
        let old = kept_copy(dir.path(), version).await;
        let new = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(
                url.parse::<SqliteConnectOptions>()
                    .unwrap()
                    .foreign_keys(true),
            )
            .await
            .unwrap();
        let upgraded_by = MIGRATIONS[applied].0;
        crate::migrate_with(&new, dir.path(), upgraded_by, &MIGRATIONS[..=applied]).await;
        Upgraded {
            old,
            new,
            url,
            _dir: dir,
        }
    }

    pub fn new_pool(&self) -> &SqlitePool {
        &self.new
    }

    /// Today's store on the upgraded file (which applies the later migrations too), for
    /// what the migration made to be used.
    pub async fn store(&self) -> hallway::storage::Store {
        hallway::storage::Store::open(&self.url, 2, std::time::Duration::from_secs(5))
            .await
            .unwrap()
    }
}

/// Every migration under its file name, in order: an upgrade test applies the first few,
/// as the version it starts from had them.
pub const MIGRATIONS: [(&str, &str); 7] = [
    (
        "0001_schema.sql",
        include_str!("../../migrations/sqlite/0001_schema.sql"),
    ),
    (
        "0002_outbox.sql",
        include_str!("../../migrations/sqlite/0002_outbox.sql"),
    ),
    (
        "0003_forget_outbox_kinds.sql",
        include_str!("../../migrations/sqlite/0003_forget_outbox_kinds.sql"),
    ),
    (
        "0004_skip_note.sql",
        include_str!("../../migrations/sqlite/0004_skip_note.sql"),
    ),
    (
        "0005_programs.sql",
        include_str!("../../migrations/sqlite/0005_programs.sql"),
    ),
    (
        "0006_booking.sql",
        include_str!("../../migrations/sqlite/0006_booking.sql"),
    ),
    (
        "0007_evaluation.sql",
        include_str!("../../migrations/sqlite/0007_evaluation.sql"),
    ),
];

/// A read-only copy of `dir/hallway.db` as it is now, named after `version`: the file
/// as that version left it, to compare the upgraded one with.
pub async fn kept_copy(dir: &std::path::Path, version: &str) -> SqlitePool {
    let copy = dir.join(format!("{version}.db"));
    std::fs::copy(dir.join("hallway.db"), &copy).unwrap();
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&copy).read_only(true))
        .await
        .unwrap()
}

pub async fn columns_of(pool: &SqlitePool, table: &str) -> BTreeSet<String> {
    sqlx::query_scalar(&format!("select name from pragma_table_info('{table}')"))
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Each row of `select <columns> from <from>` as the SQL literals of its values.
pub async fn literals(pool: &SqlitePool, columns: &[&str], from: &str) -> Vec<String> {
    let quoted: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
    sqlx::query_scalar(&format!(
        "select {} from {from}",
        quoted.join(" || ' | ' || ")
    ))
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Each outbox row: (outbox_id, kind, key, state).
pub async fn outbox_keys(pool: &SqlitePool) -> Vec<(i64, String, String, String)> {
    sqlx::query_as("select outbox_id, kind, key, state from outbox order by outbox_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Each index we made (not SQLite's for a unique key): (name, table, its columns), by
/// name.
pub async fn indexes(pool: &SqlitePool) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "select m.name, m.tbl_name, group_concat(i.name, ', ')
         from sqlite_master m, pragma_index_info(m.name) i
         where m.type = 'index' and m.name not like 'sqlite_autoindex%'
         group by m.name order by m.name",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}
