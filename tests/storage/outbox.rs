//! The outbox's reads and writes against a real file.

use hallway::domain::ids::GuildId;
use hallway::domain::outbox::OutboxKind;
use hallway::domain::outbox::RetryAt;

use crate::{at, fresh_store};

const BUSY: u64 = 1_200_000_000_000_000_001;
const QUIET: u64 = 1_200_000_000_000_000_002;

#[tokio::test]
async fn a_servers_backlog_cannot_crowd_another_server_out_of_the_due_rows() {
    let (store, _dir) = fresh_store().await;
    // 200 rows of one server, all due before the other server's single row.
    for n in 0..200 {
        store
            .queue_celebration(GuildId(BUSY), &format!("watercooler:{n}"), "{}", at(1, 9))
            .await
            .unwrap();
    }
    store
        .queue_celebration(GuildId(QUIET), "watercooler:1", "{}", at(2, 9))
        .await
        .unwrap();
    let due = store.due_outbox(at(3, 9), 4, 10).await.unwrap();
    let quiet: Vec<_> = due
        .iter()
        .filter(|r| r.guild_id == GuildId(QUIET))
        .collect();
    assert_eq!(
        quiet.len(),
        1,
        "the quiet server's row is among the first 10"
    );
    assert_eq!(
        due.iter().filter(|r| r.guild_id == GuildId(BUSY)).count(),
        4,
        "4 per server"
    );
    // Within a server, oldest first.
    let keys: Vec<&str> = due
        .iter()
        .filter(|r| r.guild_id == GuildId(BUSY))
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "watercooler:0",
            "watercooler:1",
            "watercooler:2",
            "watercooler:3"
        ]
    );
    assert!(due.iter().all(|r| r.kind == OutboxKind::Celebration));
}

#[tokio::test]
async fn a_retry_is_a_later_due_time_and_a_429_takes_back_its_attempt() {
    let (store, _dir) = fresh_store().await;
    store
        .queue_celebration(GuildId(BUSY), "win:1", "{}", at(1, 9))
        .await
        .unwrap();
    let row = store.due_outbox(at(1, 9), 4, 10).await.unwrap().remove(0);
    store.begin_outbox_attempt(row.outbox_id).await.unwrap();
    let after_a_429 = RetryAt {
        at: at(1, 10),
        counts_as_failure: true,
        refused_before_acting: true,
    };
    store
        .retry_outbox_at(row.outbox_id, "rate limited", after_a_429)
        .await
        .unwrap();
    assert!(
        store.due_outbox(at(1, 9), 4, 10).await.unwrap().is_empty(),
        "not due before its retry"
    );
    let again = store.due_outbox(at(1, 10), 4, 10).await.unwrap().remove(0);
    assert_eq!((again.attempts, again.failures), (0, 1));
    assert!(
        !again.recovering(),
        "a 429 reached nothing: no look-up next time"
    );
    // A queued occasion is never queued twice.
    assert!(!store
        .queue_celebration(GuildId(BUSY), "win:1", "{}", at(1, 11))
        .await
        .unwrap());
}
