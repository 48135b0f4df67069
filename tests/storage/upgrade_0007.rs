//! A database made by the previous `main` (566e2bd: migrations 0001-0006), with rows in
//! every table (booking, slots and picks included) for two servers and four programs,
//! upgraded by migration 0007 (evaluation): every row of every table is kept with every
//! value, the outbox (rebuilt for the evaluation kinds) keeps each row's id, key and
//! state and is read by today's store, programs get the default attention threshold, no
//! coordinators' channel and automatic surveys, the new tables start empty, every index
//! is there, and the upgraded file gives an attention list and queues a digest like a
//! new one.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use hallway::domain::attention;
use hallway::domain::booking::MeetingRules;
use hallway::domain::ids::{ChannelId, GuildId, ProgramId, UserId};
use hallway::domain::program::Evaluation;

use crate::old_files::{columns_of, indexes, literals, outbox_keys, Upgraded};
use crate::upgrade_0003::{dump, TableDump};

const ROWS_AT_566E2BD: &str = include_str!("fixtures/main-566e2bd.sql");

const GUILD_A: GuildId = GuildId(1_200_000_000_000_000_001);
const GUILD_B: GuildId = GuildId(1_200_000_000_000_000_002);

/// The tables 0007 makes, by name.
const EVALUATION_TABLES: [&str; 6] = [
    "fit_answer",
    "program_survey_question",
    "survey",
    "survey_answer",
    "survey_invite",
    "survey_question",
];

fn find<'a>(dumps: &'a [TableDump], table: &str) -> Option<&'a TableDump> {
    dumps.iter().find(|t| t.table == table)
}

#[tokio::test]
async fn upgrading_a_database_made_by_566e2bd_keeps_every_value_of_every_table_and_adds_empty_evaluation_tables(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("566e2bd", 6, ROWS_AT_566E2BD).await;
    let before = dump(&up.old).await;
    assert_eq!(before.len(), 21, "every table of 0006");
    for table in &before {
        assert!(
            !table.rows.is_empty(),
            "the fixture has no {} rows",
            table.table
        );
    }
    let after = dump(&up.new).await;
    let added: Vec<(&str, usize)> = after
        .iter()
        .filter(|t| find(&before, &t.table).is_none())
        .map(|t| (t.table.as_str(), t.rows.len()))
        .collect();
    assert_eq!(added, EVALUATION_TABLES.map(|t| (t, 0)));

    // The outbox was rebuilt: the same columns, and every row with every value.
    for table in &before {
        let name = table.table.as_str();
        if name == "program" {
            continue; // Below: it gains three columns.
        }
        assert_eq!(find(&after, name), Some(table), "{name}");
    }
    let old = columns_of(&up.old, "program").await;
    let new = columns_of(&up.new, "program").await;
    assert_eq!(
        new.difference(&old).map(String::as_str).collect::<Vec<_>>(),
        [
            "attention_rounds",
            "auto_surveys",
            "coordinators_channel_id"
        ]
    );
    assert!(old.is_subset(&new));
    let kept: Vec<&str> = old.iter().map(String::as_str).collect();
    let order = "program order by program_id";
    assert_eq!(
        literals(&up.new, &kept, order).await,
        literals(&up.old, &kept, order).await
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_566e2bd_gives_every_program_the_default_evaluation_without_automatic_surveys_and_keeps_its_meetings(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("566e2bd", 6, ROWS_AT_566E2BD).await;
    let settings: Vec<(i64, i64, Option<i64>, i64)> = sqlx::query_as(
        "select program_id, attention_rounds, coordinators_channel_id, auto_surveys
         from program order by program_id",
    )
    .fetch_all(&up.new)
    .await
    .unwrap();
    assert_eq!(
        settings,
        [
            (1, 3, None, 0),
            (2, 3, None, 0),
            (3, 3, None, 0),
            (4, 3, None, 0)
        ]
    );
    // The store reads them as the defaults but for automatic surveys, which an upgrade
    // leaves off (no unannounced DMs), archived program included, next to the meeting
    // settings 566e2bd's coordinators chose.
    let upgraded = Evaluation {
        auto_surveys: false,
        ..Evaluation::default()
    };
    let store = up.store().await;
    let mut programs = store.programs(GUILD_A).await.unwrap();
    programs.extend(store.programs(GUILD_B).await.unwrap());
    programs.sort_by_key(|p| p.program_id);
    let read: Vec<(i64, Evaluation, MeetingRules)> = programs
        .iter()
        .map(|p| (p.program_id.get(), p.evaluation, p.meeting))
        .collect();
    let meeting = |minutes, reminder_minutes| MeetingRules {
        minutes,
        reminder_minutes,
    };
    assert_eq!(
        read,
        [
            (1, upgraded, meeting(30, 60)),
            (2, upgraded, meeting(45, 0)),
            (3, upgraded, meeting(50, 15)),
            (4, upgraded, meeting(50, 15))
        ]
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_566e2bd_keeps_each_outbox_rows_id_key_and_state_and_queues_digests_like_new_ones(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("566e2bd", 6, ROWS_AT_566E2BD).await;
    let before = outbox_keys(&up.old).await;
    assert_eq!(outbox_keys(&up.new).await, before);
    let kinds: BTreeSet<&str> = before.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "archive-thread",
            "booked",
            "celebration",
            "check-in",
            "delete-message",
            "dm-intro",
            "feedback",
            "intro",
            "nudge",
            "redact-message",
            "rename-thread",
            "reminder",
            "rescheduled",
            "summary"
        ]
        .into_iter()
        .collect()
    );
    let states: BTreeSet<&str> = before.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(states, ["done", "failed", "pending"].into_iter().collect());
    for kind in ["booked", "reminder", "check-in", "rescheduled"] {
        let of_kind: BTreeSet<&str> = before
            .iter()
            .filter(|r| r.1 == kind)
            .map(|r| r.3.as_str())
            .collect();
        assert!(!of_kind.is_empty(), "no {kind} rows in the fixture");
    }
    // Every pending row is still read (none is marked failed as unreadable).
    let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let store = up.store().await;
    let due = store.due_outbox(far, 100, 100).await.unwrap();
    let pending = before.iter().filter(|r| r.3 == "pending").count();
    assert_eq!(due.len(), pending);
    assert_eq!(outbox_keys(&up.new).await, before);

    // The Autumn cohort (weekly in Europe/Berlin) gets its digest after the old rows.
    let autumn = ProgramId(1);
    store
        .set_coordinators_channel(autumn, Some(ChannelId(1_200_000_000_000_000_109)), far)
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    assert_eq!(store.queue_attention_digests(now).await.unwrap(), 1);
    let queued: Vec<(i64, String, i64, chrono::DateTime<Utc>)> = sqlx::query_as(
        "select outbox_id, key, program_id, due_at from outbox where outbox_id > 49",
    )
    .fetch_all(&up.new)
    .await
    .unwrap();
    assert_eq!(
        queued,
        [(
            50,
            "attention-digest:1:2026-W48".to_string(),
            1,
            Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
        )]
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_566e2bd_gives_an_attention_list_from_its_history() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("566e2bd", 6, ROWS_AT_566E2BD).await;
    let store = up.store().await;
    store
        .set_attention_rounds(ProgramId(1), 1, Utc::now())
        .await
        .unwrap();
    let autumn = store.program(GUILD_A, ProgramId(1)).await.unwrap().unwrap();
    let history = store.attention_history(&autumn).await.unwrap();
    // On 22 November round 2 is still running; round 1 is finished. Chloe left; Dev's
    // round 1 group (with Chloe, who skipped) never said "We met"; Ada's and Ben's did.
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let report = attention::report(&history, now);
    assert_eq!(report.running_round, Some(2));
    let listed: Vec<(UserId, &str, &[u32])> = report
        .no_meeting
        .iter()
        .map(|e| {
            (
                e.member.user_id,
                e.member.name.as_str(),
                e.rounds.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(UserId(1_300_000_000_000_000_014), "Dev", &[1u32][..])]
    );
    assert!(report.silent_groups.is_empty(), "{report:?}");
    assert!(
        report.pauses_over.is_empty(),
        "Ben is paused until December"
    );
    assert!(report.full_mentors.is_empty(), "Ada has room for two");
}

#[tokio::test]
async fn upgrading_a_database_made_by_566e2bd_leaves_a_consistent_file_with_every_index() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("566e2bd", 6, ROWS_AT_566E2BD).await;
    let broken: Vec<String> = sqlx::query_scalar("select \"table\" from pragma_foreign_key_check")
        .fetch_all(&up.new)
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let integrity: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&up.new)
        .await
        .unwrap();
    assert_eq!(integrity, ["ok"]);
    let leftovers: i64 =
        sqlx::query_scalar("select count(*) from sqlite_master where name = 'outbox_new'")
            .fetch_one(&up.new)
            .await
            .unwrap();
    assert_eq!(leftovers, 0);

    let before = indexes(&up.old).await;
    for name in [
        "outbox_due",
        "outbox_round",
        "outbox_group",
        "round_scheduled_slot",
        "slot_pick_member",
    ] {
        assert!(before.iter().any(|(n, _, _)| n == name), "no {name} before");
    }
    let mut expected: BTreeSet<_> = before.into_iter().collect();
    for (name, table, columns) in [
        (
            "fit_answer_by_program",
            "fit_answer",
            "program_id, avoiding",
        ),
        ("survey_once", "survey", "program_id, occasion"),
    ] {
        expected.insert((name.into(), table.into(), columns.into()));
    }
    let after: BTreeSet<_> = indexes(&up.new).await.into_iter().collect();
    assert_eq!(after, expected);
}
