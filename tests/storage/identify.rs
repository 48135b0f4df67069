//! The identify turn: on PostgreSQL, one process at a time connects its gateway shards.

use std::time::Duration;

use hallway::storage::{Backend, Store};

use crate::{fresh_store, test_backend};

#[tokio::test]
async fn a_second_process_waits_for_the_identify_turn_until_the_first_releases_it() {
    if test_backend() != Backend::Postgres {
        eprintln!("not on sqlite: the identify turn is immediate with one process per file");
        return;
    }
    let (first, _dir) = fresh_store().await;
    let url = database_url_of(&first).await;
    // Another process: its own store and pool on the same database.
    let second = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();

    let held = first.identify_turn().await.unwrap();
    let (taken_tx, mut taken) = tokio::sync::oneshot::channel();
    let waiting = tokio::spawn(async move {
        let turn = second.identify_turn().await.unwrap();
        let _ = taken_tx.send(());
        turn.release().await;
    });
    // The second is blocked in pg_advisory_lock: the server shows its session waiting on
    // an advisory lock. Wait for that, so the check below is not a race.
    wait_for_an_advisory_lock_wait(&first).await;
    assert!(
        taken.try_recv().is_err(),
        "the second process took the turn while the first held it"
    );
    held.release().await;
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the second process gets the turn once the first releases it")
        .unwrap();
}

#[tokio::test]
async fn a_turn_dropped_without_release_frees_the_next_process() {
    if test_backend() != Backend::Postgres {
        eprintln!("not on sqlite: the identify turn is immediate with one process per file");
        return;
    }
    let (first, _dir) = fresh_store().await;
    let url = database_url_of(&first).await;
    let second = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();
    drop(first.identify_turn().await.unwrap());
    tokio::time::timeout(Duration::from_secs(10), second.identify_turn())
        .await
        .expect("a dropped turn's connection closes, and its lock with it")
        .unwrap()
        .release()
        .await;
}

/// The URL of the database `store` runs on (the test server's URL with its name).
async fn database_url_of(store: &Store) -> String {
    let name: String = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select current_database()::text")
        .fetch_one(pool)
        .await)
    .unwrap();
    let server = std::env::var("HALLWAY_TEST_POSTGRES_URL").unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    url.to_string()
}

async fn wait_for_an_advisory_lock_wait(store: &Store) {
    for _ in 0..200 {
        let waiting: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
            "select count(*) from pg_locks where locktype = 'advisory' and not granted
             and database = (select oid from pg_database where datname = current_database())",
        )
        .fetch_one(pool)
        .await)
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the second process never waited for the turn");
}
