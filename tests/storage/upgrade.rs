//! A database made by the previous `main` (schema 0001, with the two outboxes `delivery`
//! and `announcement`) upgrades to the single outbox with every row kept, in its state,
//! and the rows still pending are delivered afterwards.

use hallway::domain::ids::{ChannelId, GroupId, GuildId, MessageId, UserId};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use hallway::delivery::{self, Courier, Message, SendError};
use hallway::domain::outbox::RetryPolicy;
use hallway::storage::Store;
use sqlx::Row as _;

const SCHEMA_0001: &str = include_str!("../../migrations/sqlite/0001_schema.sql");
const ROWS_AT_0EF0732: &str = include_str!("fixtures/main-0ef0732.sql");

/// The file exactly as the previous `main` (0ef0732) left it.
async fn database_from_previous_main(dir: &std::path::Path) -> String {
    let (pool, url) = crate::database_made_by(
        dir,
        "0ef0732",
        &[("0001_schema.sql", SCHEMA_0001)],
        ROWS_AT_0EF0732,
    )
    .await;
    pool.close().await;
    url
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn every_row_of_both_old_outboxes_is_kept_in_its_state() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = database_from_previous_main(dir.path()).await;
    let store = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();
    let pool = store.sqlite_pool();

    let rows = sqlx::query(
        "select kind, key, state, attempts, failures, last_error, due_at, done_at, detail,
                channel_id, message_id, group_id, user_id
         from outbox order by outbox_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let seen: Vec<(String, String, String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.get("kind"),
                r.get("key"),
                r.get("state"),
                r.get("attempts"),
            )
        })
        .collect();
    let expected = [
        ("intro", "intro:1:1:0", "done", 1),
        ("intro", "intro:1:2:0", "done", 1),
        ("dm-intro", "dm-intro:1:2:1300000000000000013", "done", 1),
        ("dm-intro", "dm-intro:1:2:1300000000000000014", "failed", 1),
        ("summary", "summary:1:0:0", "pending", 3),
        ("nudge", "nudge:1:1:0", "pending", 0),
        ("nudge", "nudge:1:2:0", "pending", 0),
        ("feedback", "feedback:1:1:0", "pending", 0),
        ("feedback", "feedback:1:2:0", "pending", 0),
        ("celebration", "win:1", "done", 1),
        // Migration 0005 names the program (this server's first, 1) in a watercooler key,
        // which 0002 copied as `watercooler:3`.
        ("celebration", "watercooler:1:3", "failed", 1),
        ("celebration", "win:2", "pending", 2),
    ];
    let expected: Vec<(String, String, String, i64)> = expected
        .iter()
        .map(|(k, key, s, a)| (k.to_string(), key.to_string(), s.to_string(), *a))
        .collect();
    assert_eq!(seen, expected);

    // Times, errors, recipients, details and where things were posted, unchanged.
    let summary = &rows[4];
    assert_eq!(
        summary.get::<DateTime<Utc>, _>("due_at"),
        utc("2026-11-20T10:00:05Z")
    );
    assert_eq!(
        summary.get::<Option<String>, _>("last_error").as_deref(),
        Some("temporary failure: HTTP 502")
    );
    let refused_dm = &rows[3];
    assert_eq!(
        refused_dm.get::<Option<i64>, _>("user_id"),
        Some(1_300_000_000_000_000_014)
    );
    assert_eq!(refused_dm.get::<Option<i64>, _>("group_id"), Some(2));
    assert_eq!(
        refused_dm.get::<Option<DateTime<Utc>>, _>("done_at"),
        Some(utc("2026-11-20T10:00:02Z"))
    );
    let posted_win = &rows[9];
    assert_eq!(
        posted_win.get::<Option<i64>, _>("channel_id"),
        Some(1_200_000_000_000_000_103)
    );
    assert_eq!(
        posted_win.get::<Option<i64>, _>("message_id"),
        Some(1_500_000_000_000_000_010)
    );
    assert!(posted_win
        .get::<Option<String>, _>("detail")
        .unwrap()
        .contains("Got the fellowship"));
    let pending_win = &rows[11];
    assert_eq!(pending_win.get::<i64, _>("failures"), 2);
    assert_eq!(
        pending_win.get::<DateTime<Utc>, _>("due_at"),
        utc("2026-11-22T12:00:00Z")
    );

    // Nothing else was touched, and the old tables are gone.
    for (table, count) in [
        ("member", 4),
        ("round", 1),
        ("match_group", 2),
        ("group_member", 4),
        ("win", 2),
    ] {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(n, count, "{table}");
    }
    let old: i64 = sqlx::query_scalar(
        "select count(*) from sqlite_master where name in ('delivery', 'announcement')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(old, 0);
    let group = store
        .group(GuildId(1_200_000_000_000_000_001), GroupId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.thread_id, Some(ChannelId(1_500_000_000_000_000_001)));
    assert_eq!(
        group.intro_message_id,
        Some(MessageId(1_500_000_000_000_000_002))
    );
}

/// Posts into memory, as Discord would take them.
#[derive(Default)]
struct Recorder {
    posts: Mutex<Vec<(u64, String)>>,
}

impl Courier for Recorder {
    async fn open_thread(
        &self,
        _: GuildId,
        _: ChannelId,
        _: &str,
        _: bool,
    ) -> Result<ChannelId, SendError> {
        Ok(ChannelId(9_000))
    }

    async fn post(
        &self,
        channel_id: ChannelId,
        message: &Message,
        _: bool,
    ) -> Result<MessageId, SendError> {
        let what = match message {
            Message::Intro(_) => "intro",
            Message::DmIntro(_) => "dm-intro",
            Message::Summary(_) => "summary",
            Message::Nudge { .. } => "nudge",
            Message::Celebration(_) => "celebration",
            Message::Feedback { .. } => "feedback",
            Message::Booked(_) => "booked",
            Message::Reminder { .. } => "reminder",
            Message::CheckIn { .. } => "check-in",
            Message::Rescheduled(_) => "rescheduled",
            Message::FitCheck(_) => "fit-check",
            Message::AttentionDigest(_) => "attention-digest",
            Message::SurveyInvite(_) => "survey-invite",
            Message::SurveyReminder(_) => "survey-reminder",
        };
        let mut posts = self.posts.lock().unwrap();
        posts.push((channel_id.get(), what.to_string()));
        Ok(MessageId(10_000 + posts.len() as u64))
    }

    async fn open_dm(&self, user_id: UserId) -> Result<ChannelId, SendError> {
        Ok(ChannelId(user_id.get()))
    }

    async fn react(&self, _: ChannelId, _: MessageId, _: &str) -> Result<(), SendError> {
        Ok(())
    }

    async fn archive_thread(&self, _: ChannelId) -> Result<(), SendError> {
        Ok(())
    }

    async fn rename_thread(&self, _: ChannelId, _: &str) -> Result<(), SendError> {
        Ok(())
    }

    async fn unarchive_thread(&self, _: ChannelId) -> Result<(), SendError> {
        Ok(())
    }

    async fn edit(&self, _: ChannelId, _: MessageId, _: &Message) -> Result<(), SendError> {
        Ok(())
    }

    async fn delete_message(&self, _: ChannelId, _: MessageId) -> Result<(), SendError> {
        Ok(())
    }
}

#[tokio::test]
async fn rows_pending_before_the_upgrade_are_delivered_after_it() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = database_from_previous_main(dir.path()).await;
    let store = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();
    let courier = Recorder::default();
    let later = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
    let due = store.due_outbox(later, 100, 100).await.unwrap();
    let keys: Vec<&str> = due.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "summary:1:0:0",
            "win:2",
            "nudge:1:1:0",
            "nudge:1:2:0",
            "feedback:1:1:0",
            "feedback:1:2:0"
        ]
    );
    for row in due {
        assert!(delivery::deliver_and_record(&store, &courier, &RetryPolicy::default(), row).await);
    }
    let posts = courier.posts.lock().unwrap().clone();
    // The summary in the program channel, the nudge and the feedback question in group 1's
    // thread (group 2 was told by DM, so it is not chased there), and the pending win.
    assert_eq!(
        posts,
        [
            (1_200_000_000_000_000_102, "summary".to_string()),
            (1_200_000_000_000_000_103, "celebration".to_string()),
            (1_500_000_000_000_000_001, "nudge".to_string()),
            (1_500_000_000_000_000_001, "feedback".to_string()),
        ]
    );
    let pending: i64 = sqlx::query_scalar("select count(*) from outbox where state = 'pending'")
        .fetch_one(store.sqlite_pool())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    let win_message: Option<i64> =
        sqlx::query_scalar("select message_id from win where win_id = 2")
            .fetch_one(store.sqlite_pool())
            .await
            .unwrap();
    assert!(
        win_message.is_some(),
        "the win remembers where it was celebrated"
    );
}
