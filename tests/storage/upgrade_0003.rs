//! A database made by bf679f4 (migrations 0001 and 0002) upgrades through migration 0003,
//! which rebuilds the outbox for forget-me's kinds, and 0004, which adds the skip_note
//! table: every row of every table is kept with every value, the outbox's indexes are
//! back, and the new kinds are accepted. The file is migrated up to 0004 only, the step
//! this tests; what 0005 does to such a file is upgrade_0005.rs's.

use sqlx::sqlite::SqlitePool;
use sqlx::Row as _;

const SCHEMA_0001: &str = include_str!("../../migrations/sqlite/0001_schema.sql");
const OUTBOX_0002: &str = include_str!("../../migrations/sqlite/0002_outbox.sql");
const FORGET_OUTBOX_KINDS_0003: &str =
    include_str!("../../migrations/sqlite/0003_forget_outbox_kinds.sql");
const SKIP_NOTE_0004: &str = include_str!("../../migrations/sqlite/0004_skip_note.sql");
const ROWS_AT_BF679F4: &str = include_str!("fixtures/main-bf679f4.sql");

/// The file exactly as bf679f4 left it, still open, and every table in it.
async fn database_from_bf679f4(dir: &std::path::Path) -> (SqlitePool, Vec<TableDump>) {
    let (pool, _url) = crate::database_made_by(
        dir,
        "bf679f4",
        &[
            ("0001_schema.sql", SCHEMA_0001),
            ("0002_outbox.sql", OUTBOX_0002),
        ],
        ROWS_AT_BF679F4,
    )
    .await;
    let before = dump(&pool).await;
    (pool, before)
}

/// A table's columns, and each row as the SQL literal of every value, in rowid order.
#[derive(Debug, PartialEq)]
pub(crate) struct TableDump {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: Vec<String>,
}

/// Every table of the file but sqlx's and SQLite's own.
pub(crate) async fn dump(pool: &SqlitePool) -> Vec<TableDump> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'
           and name not like 'sqlite%' order by name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut dumps = Vec::new();
    for table in tables {
        let mut columns: Vec<String> =
            sqlx::query_scalar(&format!("select name from pragma_table_info('{table}')"))
                .fetch_all(pool)
                .await
                .unwrap();
        // The same columns, whatever order a rebuild left them in.
        columns.sort();
        let literals: Vec<String> = columns.iter().map(|c| format!("quote({c})")).collect();
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "select {} from {table} order by rowid",
            literals.join(" || ' | ' || ")
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        dumps.push(TableDump {
            table,
            columns,
            rows,
        });
    }
    dumps
}

#[tokio::test]
async fn upgrading_a_database_made_by_bf679f4_to_0004_keeps_every_row_and_value_of_every_table() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pool, before) = database_from_bf679f4(dir.path()).await;
    // The fixture has rows in every table, and outbox rows of every kind and state of
    // that version.
    for table in &before {
        assert!(
            !table.rows.is_empty(),
            "the fixture has no {} rows",
            table.table
        );
    }
    crate::migrate_with(
        &pool,
        dir.path(),
        "0004",
        &[
            ("0001_schema.sql", SCHEMA_0001),
            ("0002_outbox.sql", OUTBOX_0002),
            ("0003_forget_outbox_kinds.sql", FORGET_OUTBOX_KINDS_0003),
            ("0004_skip_note.sql", SKIP_NOTE_0004),
        ],
    )
    .await;
    let kinds_and_states: Vec<(String, String)> =
        sqlx::query_as("select distinct kind, state from outbox order by kind, state")
            .fetch_all(&pool)
            .await
            .unwrap();
    for kind in [
        "intro",
        "dm-intro",
        "summary",
        "nudge",
        "feedback",
        "celebration",
        "archive-thread",
    ] {
        assert!(
            kinds_and_states.iter().any(|(k, _)| k == kind),
            "no {kind} row"
        );
    }
    for state in ["pending", "done", "failed"] {
        assert!(
            kinds_and_states.iter().any(|(_, s)| s == state),
            "no {state} row"
        );
    }

    // 0004 only adds a table (skip_note, empty: earlier notes were never recorded); every
    // table the file had is as it was.
    let after = dump(&pool).await;
    let (kept, added): (Vec<TableDump>, Vec<TableDump>) = after
        .into_iter()
        .partition(|t| before.iter().any(|b| b.table == t.table));
    assert_eq!(kept, before);
    assert_eq!(
        added
            .iter()
            .map(|t| (t.table.as_str(), t.rows.len()))
            .collect::<Vec<_>>(),
        [("skip_note", 0)]
    );

    let indexes: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'index' and tbl_name = 'outbox'
           and name not like 'sqlite_autoindex%' order by name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(indexes, ["outbox_due", "outbox_round"]);
    let broken: Vec<String> = sqlx::query_scalar("select \"table\" from pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    // The key is still unique per server.
    let again = sqlx::query(
        "insert into outbox (guild_id, kind, key, due_at, created_at)
         values (1200000000000000001, 'intro', 'intro:1:1:0', '2026-11-20T00:00:00+00:00', '2026-11-20T00:00:00+00:00')",
    )
    .execute(&pool)
    .await;
    assert!(again.is_err(), "a key queued twice");
    // The new kinds go in, and new rows number on from the kept ones.
    for kind in ["rename-thread", "redact-message", "delete-message"] {
        let row = sqlx::query(
            "insert into outbox (guild_id, kind, key, group_id, due_at, created_at)
             values (1200000000000000001, ?, ?, 1, '2026-11-20T00:00:00+00:00', '2026-11-20T00:00:00+00:00')
             returning outbox_id",
        )
        .bind(kind)
        .bind(format!("{kind}:1:1"))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(row.get::<i64, _>("outbox_id") > 17);
    }
}
