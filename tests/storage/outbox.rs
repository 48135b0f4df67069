//! The outbox's reads and writes against a real file.

use hallway::domain::ids::GuildId;
use hallway::domain::outbox::OutboxKind;
use hallway::domain::outbox::RetryAt;

use crate::{at, first_program, fresh_store};

const BUSY: u64 = 1_200_000_000_000_000_001;
const QUIET: u64 = 1_200_000_000_000_000_002;

#[tokio::test]
async fn a_servers_backlog_cannot_crowd_another_server_out_of_the_due_rows() {
    let (store, _dir) = fresh_store().await;
    let busy = first_program(&store, GuildId(BUSY)).await.program_id;
    let quiet = first_program(&store, GuildId(QUIET)).await.program_id;
    // 200 rows of one server, all due before the other server's single row.
    for n in 0..200 {
        store
            .queue_celebration(
                GuildId(BUSY),
                busy,
                &format!("watercooler:{busy}:{n}"),
                "{}",
                at(1, 9),
            )
            .await
            .unwrap();
    }
    store
        .queue_celebration(
            GuildId(QUIET),
            quiet,
            &format!("watercooler:{quiet}:1"),
            "{}",
            at(2, 9),
        )
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
    let oldest: Vec<String> = (0..4).map(|n| format!("watercooler:{busy}:{n}")).collect();
    assert_eq!(keys, oldest);
    assert!(due.iter().all(|r| r.kind == OutboxKind::Celebration));
}

#[tokio::test]
async fn a_retry_is_a_later_due_time_and_a_429_takes_back_its_attempt() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(BUSY)).await.program_id;
    store
        .queue_celebration(GuildId(BUSY), program, "win:1", "{}", at(1, 9))
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
        .queue_celebration(GuildId(BUSY), program, "win:1", "{}", at(1, 11))
        .await
        .unwrap());
}

#[tokio::test]
async fn a_post_that_lands_after_forget_me_withdrew_its_row_is_queued_for_deletion() {
    use hallway::domain::ids::{ChannelId, MessageId};
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(BUSY)).await.program_id;
    let milestone = "chats:42:1".to_string();
    store
        .queue_celebration(GuildId(BUSY), program, &milestone, "{}", at(1, 9))
        .await
        .unwrap();
    let row = store.due_outbox(at(2, 9), 4, 10).await.unwrap().remove(0);
    // forget-me deletes the row while Discord is taking the post.
    hallway::on_backend!(store.pool(), pool => sqlx::query("delete from outbox where key = $1")
        .bind(&milestone)
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
    store
        .complete_outbox(&row, Some((ChannelId(77), MessageId(88))), at(2, 9))
        .await
        .unwrap();
    let queued: Vec<(String, String, String)> = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_as("select kind, key, state from outbox order by outbox_id")
            .fetch_all(pool)
            .await)
    .unwrap();
    assert_eq!(
        queued,
        [(
            "delete-message".to_string(),
            "delete-message:88".to_string(),
            "pending".to_string()
        )]
    );
    let detail: String = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_scalar("select detail from outbox").fetch_one(pool).await)
    .unwrap();
    assert!(detail.contains("77") && detail.contains("88"), "{detail}");
    assert!(!detail.contains("42"), "the detail names nobody: {detail}");

    // A row still there is simply done, and queues nothing more.
    let watercooler = format!("watercooler:{program}:1");
    store
        .queue_celebration(GuildId(BUSY), program, &watercooler, "{}", at(3, 9))
        .await
        .unwrap();
    let row = store
        .due_outbox(at(4, 9), 4, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.key == watercooler)
        .unwrap();
    store
        .complete_outbox(&row, Some((ChannelId(77), MessageId(99))), at(4, 9))
        .await
        .unwrap();
    let rows: i64 = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_scalar("select count(*) from outbox").fetch_one(pool).await)
    .unwrap();
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn a_nudge_that_lands_after_someone_in_its_group_was_forgotten_is_rewritten() {
    use hallway::domain::ids::{ChannelId, MessageId, UserId};
    use hallway::domain::member::ProfileChange;
    use hallway::domain::profile::Role;
    let (store, _dir) = fresh_store().await;
    let guild = GuildId(QUIET);
    let program = first_program(&store, guild).await;
    for user in [1, 2, 3] {
        store
            .join(
                &program,
                UserId(user),
                "someone",
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
    store
        .create_round(&crate::peer_round(&program, at(2, 9), &[&[1, 2, 3]]))
        .await
        .unwrap()
        .unwrap();
    // The nudge is on its way (drawn with member 3 in it) when member 3 is forgotten.
    let nudge = store
        .due_outbox(at(5, 9), 10, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == OutboxKind::Nudge)
        .unwrap();
    store
        .forget_member(guild, UserId(3), at(5, 9))
        .await
        .unwrap();
    store
        .complete_outbox(&nudge, Some((ChannelId(500), MessageId(600))), at(5, 9))
        .await
        .unwrap();
    let rewrites: Vec<String> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select key from outbox where kind = 'redact-message' and key like 'redact-message:600:%'",
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(rewrites, ["redact-message:600:2"]);
}

#[tokio::test]
async fn a_due_row_is_read_with_its_program_and_stays_pending() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(BUSY)).await.program_id;
    store
        .queue_celebration(GuildId(BUSY), program, "win:1", "{}", at(1, 9))
        .await
        .unwrap();
    let due = store.due_outbox(at(1, 9), 4, 10).await.unwrap();
    assert_eq!(
        due.iter()
            .map(|r| (r.key.as_str(), r.program_id))
            .collect::<Vec<_>>(),
        [("win:1", Some(program))]
    );
    let state: (String, Option<String>) = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_as("select state, last_error from outbox").fetch_one(pool).await)
    .unwrap();
    assert_eq!(state, ("pending".to_string(), None));
}
