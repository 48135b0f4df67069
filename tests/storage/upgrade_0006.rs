//! A database made by the previous `main` (3ac39f3: migrations 0001-0005), with rows in
//! every table for two servers and three programs, opened by today's store, which applies
//! migration 0006 (booking): every row of every table is kept with every value, the
//! outbox (rebuilt for the booking kinds) keeps each row's id, key and state, programs get
//! the default meeting length and reminder, the booking tables start empty, and the
//! upgraded file books a chat like a new one.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use hallway::domain::booking::{MeetingRules, PickOutcome, SlotFit};
use hallway::domain::ids::{GroupId, GuildId, UserId};
use hallway::domain::slots::SlotOffer;

use crate::old_files::{columns_of, indexes, literals, outbox_keys, Upgraded};
use crate::upgrade_0003::{dump, TableDump};

const ROWS_AT_3AC39F3: &str = include_str!("fixtures/main-3ac39f3.sql");

const GUILD_A: GuildId = GuildId(1_200_000_000_000_000_001);
const GUILD_B: GuildId = GuildId(1_200_000_000_000_000_002);

/// The tables 0006 makes.
const BOOKING_TABLES: [&str; 4] = ["booking", "slot_batch", "slot_offer", "slot_pick"];

fn find<'a>(dumps: &'a [TableDump], table: &str) -> Option<&'a TableDump> {
    dumps.iter().find(|t| t.table == table)
}

#[tokio::test]
async fn upgrading_a_database_made_by_3ac39f3_keeps_every_value_of_every_table_and_adds_empty_booking_tables(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("3ac39f3", 5, ROWS_AT_3AC39F3).await;
    let before = dump(&up.old).await;
    assert_eq!(before.len(), 17, "every table of 0005");
    for table in &before {
        assert!(
            !table.rows.is_empty(),
            "the fixture has no {} rows",
            table.table
        );
    }
    let after = dump(up.new_pool()).await;
    let added: Vec<(&str, usize)> = after
        .iter()
        .filter(|t| find(&before, &t.table).is_none())
        .map(|t| (t.table.as_str(), t.rows.len()))
        .collect();
    assert_eq!(added, BOOKING_TABLES.map(|t| (t, 0)));

    for table in &before {
        let name = table.table.as_str();
        if name == "program" {
            continue; // Below: it gains two columns.
        }
        assert_eq!(find(&after, name), Some(table), "{name}");
    }
    let old = columns_of(&up.old, "program").await;
    let new = columns_of(up.new_pool(), "program").await;
    assert_eq!(
        new.difference(&old).map(String::as_str).collect::<Vec<_>>(),
        ["meeting_minutes", "reminder_minutes"]
    );
    assert!(old.is_subset(&new));
    let kept: Vec<&str> = old.iter().map(String::as_str).collect();
    let order = "program order by program_id";
    assert_eq!(
        literals(up.new_pool(), &kept, order).await,
        literals(&up.old, &kept, order).await
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_3ac39f3_gives_every_program_50_minute_chats_with_a_15_minute_reminder(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("3ac39f3", 5, ROWS_AT_3AC39F3).await;
    let meetings: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select program_id, meeting_minutes, reminder_minutes from program order by program_id",
    )
    .fetch_all(up.new_pool())
    .await
    .unwrap();
    assert_eq!(
        meetings,
        [(1, 50, 15), (2, 50, 15), (3, 50, 15), (4, 50, 15)]
    );
    // The store reads them as the defaults, archived program included.
    let store = up.store().await;
    let mut programs = store.programs(GUILD_A).await.unwrap();
    programs.extend(store.programs(GUILD_B).await.unwrap());
    assert_eq!(programs.len(), 4);
    for program in programs {
        assert_eq!(program.meeting, MeetingRules::default(), "{}", program.name);
    }
}

#[tokio::test]
async fn upgrading_a_database_made_by_3ac39f3_keeps_each_outbox_rows_id_key_and_state_and_books_its_groups_like_new_ones(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("3ac39f3", 5, ROWS_AT_3AC39F3).await;
    let before = outbox_keys(&up.old).await;
    assert_eq!(outbox_keys(up.new_pool()).await, before);
    let kinds: BTreeSet<&str> = before.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "archive-thread",
            "celebration",
            "delete-message",
            "dm-intro",
            "feedback",
            "intro",
            "nudge",
            "redact-message",
            "rename-thread",
            "summary"
        ]
        .into_iter()
        .collect()
    );
    let states: BTreeSet<&str> = before.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(states, ["done", "failed", "pending"].into_iter().collect());
    // Every pending row is still read (none is marked failed as unreadable).
    let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let store = up.store().await;
    let due = store.due_outbox(far, 100, 100).await.unwrap();
    let pending = before.iter().filter(|r| r.3 == "pending").count();
    assert_eq!(due.len(), pending);
    assert_eq!(outbox_keys(up.new_pool()).await, before);

    // A group from before 0006 was never offered slots; once it is, it books as any.
    let group = GroupId(5);
    assert_eq!(store.slot_choice(group).await.unwrap(), None);
    let slot: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 3, 15, 0, 0).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let offer = SlotOffer {
        slots: vec![slot],
        fit: SlotFit::Preferred,
    };
    store
        .offer_first_slots(GUILD_A, group, &offer, now)
        .await
        .unwrap();
    // Ada said Skip for this round, and a chat of one is never booked: with only Dev
    // left, his pick books nothing. Once Ada takes her Skip back, their picks book it.
    let (ada, dev) = (
        UserId(1_300_000_000_000_000_011),
        UserId(1_300_000_000_000_000_014),
    );
    let alone = store
        .pick_slots(GUILD_A, group, dev, 0, &[slot], now)
        .await
        .unwrap();
    assert!(matches!(alone, PickOutcome::Saved(_)), "{alone:?}");
    sqlx::query("update outcome set status = 'not-yet' where group_id = 5 and user_id = ?")
        .bind(ada.0 as i64)
        .execute(up.new_pool())
        .await
        .unwrap();
    let outcome = store
        .pick_slots(GUILD_A, group, ada, 0, &[slot], now)
        .await
        .unwrap();
    assert!(matches!(outcome, PickOutcome::Booked(_)), "{outcome:?}");
    let queued: Vec<(String, i64, i64)> = sqlx::query_as(
        "select key, program_id, round_id from outbox where outbox_id > 37 order by outbox_id",
    )
    .fetch_all(up.new_pool())
    .await
    .unwrap();
    assert_eq!(
        queued,
        [
            ("booked:5:1:0".to_string(), 3, 4),
            ("reminder:5:1:0".to_string(), 3, 4),
            ("check-in:5:1:0".to_string(), 3, 4)
        ]
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_3ac39f3_leaves_a_consistent_file_with_every_index() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("3ac39f3", 5, ROWS_AT_3AC39F3).await;
    let broken: Vec<String> = sqlx::query_scalar("select \"table\" from pragma_foreign_key_check")
        .fetch_all(up.new_pool())
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let integrity: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(up.new_pool())
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    let leftovers: i64 =
        sqlx::query_scalar("select count(*) from sqlite_master where name = 'outbox_new'")
            .fetch_one(up.new_pool())
            .await
            .unwrap();
    assert_eq!(leftovers, 0);

    let before = indexes(&up.old).await;
    for name in ["outbox_due", "outbox_round", "round_scheduled_slot"] {
        assert!(before.iter().any(|(n, _, _)| n == name), "no {name} before");
    }
    let mut expected: BTreeSet<_> = before.into_iter().collect();
    for (name, table, columns) in [
        ("outbox_group", "outbox", "group_id, kind, state"),
        ("slot_pick_member", "slot_pick", "guild_id, user_id"),
    ] {
        expected.insert((name.into(), table.into(), columns.into()));
    }
    let after: BTreeSet<_> = indexes(up.new_pool()).await.into_iter().collect();
    assert_eq!(after, expected);
}
