//! The store against a real SQLite file: migrations, settings, members, and isolation
//! between servers.

mod communities;
mod members;
mod outbox;
mod privacy;
mod stats;
mod upgrade;
mod wins;

use std::time::Duration;

use hallway::storage::Store;

/// A fresh database file in its own temporary directory (kept alive by the returned guard).
pub async fn fresh_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("hallway.db").display());
    let store = Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("open store");
    (store, dir)
}

pub fn at(day: u32, hour: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .unwrap()
}

#[tokio::test]
async fn the_file_is_created_with_wal_foreign_keys_and_every_table() {
    let (store, dir) = fresh_store().await;
    assert!(dir.path().join("hallway.db").exists());
    let mode: String = sqlx::query_scalar("pragma journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("pragma foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\' order by name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "avoid",
            "community",
            "feedback",
            "group_member",
            "match_group",
            "member",
            "outbox",
            "outcome",
            "prompt",
            "round",
            "round_preview",
            "win"
        ]
    );
}

#[tokio::test]
async fn opening_twice_applies_migrations_once() {
    let (store, dir) = fresh_store().await;
    drop(store);
    let url = format!("sqlite://{}", dir.path().join("hallway.db").display());
    let again = Store::open(&url, 1, Duration::from_secs(1)).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(applied, hallway::storage::MIGRATOR.iter().count() as i64);
}

#[tokio::test]
async fn the_outbox_check_list_holds_exactly_the_outbox_kinds() {
    use hallway::domain::outbox::OutboxKind;
    let (store, _dir) = fresh_store().await;
    let schema: String = sqlx::query_scalar(
        "select sql from sqlite_master where type = 'table' and name = 'outbox'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let start = schema.find("kind in (").expect("a CHECK on kind") + "kind in (".len();
    let list = &schema[start..start + schema[start..].find(')').unwrap()];
    let mut in_schema: Vec<String> = list
        .split(',')
        .map(|w| w.trim().trim_matches('\'').to_string())
        .collect();
    let mut in_code: Vec<String> = OutboxKind::ALL.iter().map(|k| k.to_string()).collect();
    in_schema.sort();
    in_code.sort();
    assert_eq!(in_schema, in_code);
}
