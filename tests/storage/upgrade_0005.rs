//! A database made by the previous `main` (be6ad99: migrations 0001-0004), with rows in
//! every table for two servers, upgrades through migration 0005 (programs): each server's
//! community becomes its first program, with every setting, named after its program name
//! or "hallway"; every member, round, group, outcome, win, prompt, milestone key and
//! pending delivery is kept, each in its own server's program.

use std::collections::BTreeSet;

use sqlx::sqlite::SqlitePool;

use crate::old_files::{columns_of, indexes, literals, outbox_keys, Upgraded};
use crate::upgrade_0003::{dump, TableDump};

const ROWS_AT_BE6AD99: &str = include_str!("fixtures/main-be6ad99.sql");

const GUILD_A: i64 = 1_200_000_000_000_000_001;
const GUILD_B: i64 = 1_200_000_000_000_000_002;

/// What a coordinator set, which moves from `community` to `program` (with the times).
const SETTINGS: [&str; 19] = [
    "program_channel_id",
    "celebrations_channel_id",
    "cadence",
    "weekday",
    "hour",
    "time_zone",
    "schedule_anchor",
    "matching_mode",
    "group_size",
    "cross_institution",
    "program_start",
    "program_end",
    "welcome_text",
    "paused",
    "watercooler_channel_id",
    "watercooler_cadence",
    "watercooler_anchor",
    "created_at",
    "updated_at",
];

/// A member's standing in the program, which moves from `member` to `program_member`.
const STANDING: [&str; 6] = [
    "role",
    "capacity",
    "paused_until",
    "left_at",
    "joined_at",
    "updated_at",
];

/// The program of the server in the upgraded file.
async fn program_of(up: &Upgraded, guild: i64) -> i64 {
    sqlx::query_scalar("select program_id from program where guild_id = ?")
        .bind(guild)
        .fetch_one(up.new_pool())
        .await
        .unwrap()
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_makes_each_community_its_first_program_with_every_setting(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    // Server A set everything; server B set only values A does not have (peer circles
    // of 4, paused).
    let columns: Vec<&str> = ["guild_id"].into_iter().chain(SETTINGS).collect();
    let before = literals(&up.old, &columns, "community order by guild_id").await;
    assert_eq!(before.len(), 2);
    assert!(!before[0].contains("NULL"), "server A left a setting unset");
    assert!(before[1].contains("'peer-circles' | 4"), "{}", before[1]);

    // Exactly one program per server, with every value its community had.
    let after = literals(up.new_pool(), &columns, "program order by guild_id").await;
    assert_eq!(after, before);
    let programs: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("select guild_id, name, archived_at from program order by program_id")
            .fetch_all(up.new_pool())
            .await
            .unwrap();
    assert_eq!(
        programs,
        [
            (GUILD_A, "Autumn cohort".to_string(), None),
            (GUILD_B, "hallway".to_string(), None)
        ]
    );

    // The community is the server's own row now: its id and times, nothing else.
    assert_eq!(
        columns_of(up.new_pool(), "community").await,
        names(&["guild_id", "created_at", "updated_at"])
    );
    let kept = ["guild_id", "created_at", "updated_at"];
    assert_eq!(
        literals(up.new_pool(), &kept, "community order by guild_id").await,
        literals(&up.old, &kept, "community order by guild_id").await
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_keeps_each_profile_and_moves_each_members_standing_to_their_servers_program(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    // Mentors, mentees and peers; one paused, one gone, a mentor taking two.
    let standing = literals(
        &up.old,
        &["role", "capacity", "paused_until", "left_at"],
        "member where guild_id = 1200000000000000001 order by user_id",
    )
    .await;
    assert_eq!(
        standing,
        [
            "'mentor' | 2 | NULL | NULL",
            "'mentee' | 0 | '2026-12-01T09:00:00+00:00' | NULL",
            "'peer' | 0 | NULL | '2026-11-10T09:00:00+00:00'",
            "'mentee' | 0 | NULL | NULL",
        ]
    );

    let profile = [
        "guild_id",
        "user_id",
        "display_name",
        "time_zone",
        "institution",
        "time_of_day",
        "modality",
        "shoutouts",
        "joined_at",
        "updated_at",
    ];
    assert_eq!(
        columns_of(up.new_pool(), "member").await,
        profile
            .iter()
            .chain(&["about"])
            .map(|c| c.to_string())
            .collect()
    );
    let order = "member order by guild_id, user_id";
    assert_eq!(
        literals(up.new_pool(), &profile, order).await,
        literals(&up.old, &profile, order).await
    );
    assert_eq!(
        count(
            up.new_pool(),
            "select count(*) from member where about is not null"
        )
        .await,
        0
    );

    // Each member's old standing, now in their own server's program (`p.guild_id`, not
    // the row's copy of it).
    let mut old_columns = vec!["guild_id", "user_id"];
    old_columns.extend(STANDING);
    let mut new_columns = vec!["p.guild_id", "pm.user_id"];
    let qualified: Vec<String> = STANDING.iter().map(|c| format!("pm.{c}")).collect();
    new_columns.extend(qualified.iter().map(String::as_str));
    assert_eq!(
        literals(
            up.new_pool(),
            &new_columns,
            "program_member pm join program p on p.program_id = pm.program_id
             where pm.guild_id = p.guild_id order by pm.guild_id, pm.user_id"
        )
        .await,
        literals(&up.old, &old_columns, order).await
    );
    assert_eq!(
        count(up.new_pool(), "select count(*) from program_member").await,
        6
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_keeps_every_round_in_its_servers_program_and_numbers_rounds_per_program(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    let columns = [
        "round_id",
        "guild_id",
        "number",
        "due_at",
        "trigger",
        "seed",
        "state",
        "notes",
        "created_at",
        "delivered_at",
    ];
    assert_eq!(
        literals(up.new_pool(), &columns, "round order by round_id").await,
        literals(&up.old, &columns, "round order by round_id").await
    );
    let (a, b) = (
        program_of(&up, GUILD_A).await,
        program_of(&up, GUILD_B).await,
    );
    let programs: Vec<(i64, i64)> =
        sqlx::query_as("select round_id, program_id from round order by round_id")
            .fetch_all(up.new_pool())
            .await
            .unwrap();
    assert_eq!(programs, [(1, a), (2, a), (3, b)]);

    // A second program in server A numbers its rounds from 1 and may have a scheduled
    // round at the same moment as the first program's round 1.
    let spring: i64 = sqlx::query_scalar(
        "insert into program (guild_id, name, created_at, updated_at)
         values (?, 'Spring cohort', '2026-12-01T09:00:00+00:00', '2026-12-01T09:00:00+00:00')
         returning program_id",
    )
    .bind(GUILD_A)
    .fetch_one(up.new_pool())
    .await
    .unwrap();
    let insert_round = |program: i64, number: i64, due: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "insert into round (guild_id, program_id, number, due_at, trigger, seed, created_at)
             values (?, ?, ?, ?, 'schedule', 1, ?) returning round_id",
        )
        .bind(GUILD_A)
        .bind(program)
        .bind(number)
        .bind(due)
        .bind(due)
        .fetch_one(up.new_pool())
    };
    let first = insert_round(spring, 1, "2026-11-09T08:00:00+00:00")
        .await
        .unwrap();
    assert!(first > 3, "new rounds number on from the kept ones");
    // Within one program both keys still hold.
    assert!(
        insert_round(a, 1, "2026-12-07T08:00:00+00:00")
            .await
            .is_err(),
        "round number 1 twice in one program"
    );
    assert!(
        insert_round(a, 3, "2026-11-09T08:00:00+00:00")
            .await
            .is_err(),
        "one scheduled slot twice in one program"
    );
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_leaves_every_group_member_outcome_feedback_avoid_and_skip_note_as_it_was(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    let before = dump(&up.old).await;
    let after = dump(up.new_pool()).await;
    for table in [
        "match_group",
        "group_member",
        "outcome",
        "feedback",
        "avoid",
        "skip_note",
    ] {
        let find = |dumps: &[TableDump]| {
            let found = dumps.iter().find(|t| t.table == table);
            found.map(|t| (t.columns.clone(), t.rows.clone()))
        };
        let was = find(&before).unwrap();
        assert!(!was.1.is_empty(), "the fixture has no {table} rows");
        assert_eq!(find(&after), Some(was), "{table}");
    }
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_keeps_every_value_of_every_table_and_gives_rows_their_servers_program(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    let before = dump(&up.old).await;
    for table in &before {
        assert!(
            !table.rows.is_empty(),
            "the fixture has no {} rows",
            table.table
        );
    }
    // Every table stays; four are new, and only the lead's features fill the interest ones.
    let after = dump(up.new_pool()).await;
    let added: Vec<(&str, usize)> = after
        .iter()
        .filter(|t| !before.iter().any(|b| b.table == t.table))
        .map(|t| (t.table.as_str(), t.rows.len()))
        .collect();
    assert_eq!(
        added,
        [
            ("interest", 0),
            ("member_interest", 0),
            ("program", 2),
            ("program_member", 6)
        ]
    );

    // Each column a table kept has every row's value (the outbox's key aside: it is the
    // next test's); the columns that went are the ones the programs took.
    for table in &before {
        let name = table.table.as_str();
        let old = columns_of(&up.old, name).await;
        let new = columns_of(up.new_pool(), name).await;
        let gone: BTreeSet<String> = old.difference(&new).cloned().collect();
        let came: BTreeSet<String> = new.difference(&old).cloned().collect();
        let (want_gone, want_came): (BTreeSet<String>, BTreeSet<String>) = match name {
            "community" => (
                SETTINGS[..17]
                    .iter()
                    .chain(&["program_name"])
                    .map(|c| c.to_string())
                    .collect(),
                BTreeSet::new(),
            ),
            "member" => (
                names(&["role", "capacity", "paused_until", "left_at"]),
                names(&["about"]),
            ),
            "round" | "round_preview" | "prompt" | "win" | "outbox" => {
                (BTreeSet::new(), names(&["program_id"]))
            }
            _ => (BTreeSet::new(), BTreeSet::new()),
        };
        assert_eq!((gone, came), (want_gone, want_came), "{name}");
        let kept: Vec<&str> = old
            .intersection(&new)
            .map(String::as_str)
            .filter(|c| !(name == "outbox" && *c == "key"))
            .collect();
        let mut was = literals(&up.old, &kept, name).await;
        let mut is = literals(up.new_pool(), &kept, name).await;
        was.sort();
        is.sort();
        assert_eq!(is, was, "{name}");
    }

    // Every preview, prompt, win and outbox row belongs to its own server's program.
    for table in ["round_preview", "prompt", "win", "outbox", "round"] {
        let astray = count(
            up.new_pool(),
            &format!(
                "select count(*) from {table} t
                 where t.program_id is not (select p.program_id from program p where p.guild_id = t.guild_id)"
            ),
        )
        .await;
        assert_eq!(astray, 0, "{table} rows outside their server's program");
        let in_b = count(
            up.new_pool(),
            &format!("select count(*) from {table} where guild_id = {GUILD_B}"),
        )
        .await;
        assert!(in_b > 0 || table == "round_preview", "no {table} row in B");
    }
    // A text is unique per program now: server A's second program may reuse one.
    sqlx::query(
        "insert into program (guild_id, name, created_at, updated_at)
         values (?, 'Spring cohort', '2026-12-01T09:00:00+00:00', '2026-12-01T09:00:00+00:00')",
    )
    .bind(GUILD_A)
    .execute(up.new_pool())
    .await
    .unwrap();
    let reuse = "insert into prompt (guild_id, program_id, category, text, created_by, created_at)
                 values (?1, (select program_id from program where guild_id = ?1 and name = ?2),
                         'light', 'What did you build this week?', 1, '2026-12-01T09:00:00+00:00')";
    for (program, allowed) in [("Spring cohort", true), ("Autumn cohort", false)] {
        let done = sqlx::query(reuse)
            .bind(GUILD_A)
            .bind(program)
            .execute(up.new_pool())
            .await;
        assert_eq!(done.is_ok(), allowed, "{program}: {done:?}");
    }
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_names_the_program_in_per_program_occasion_keys_and_keeps_every_other_key(
) {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
    let a = program_of(&up, GUILD_A).await;
    let before = outbox_keys(&up.old).await;
    let after = outbox_keys(up.new_pool()).await;

    // Every kind of 0003's list, in every state, and every occasion of a celebration.
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

    let renamed = [
        (10, format!("watercooler:{a}:3")),
        (20, format!("program-halfway:{a}:2027-01-01")),
        (21, format!("program-last-month:{a}:2027-01-01")),
        (22, format!("watercooler:{a}:30")),
    ];
    let expected: Vec<(i64, String, String, String)> = before
        .iter()
        .map(|(id, kind, key, state)| {
            let key = renamed
                .iter()
                .find(|(renamed, _)| renamed == id)
                .map_or(key.clone(), |(_, new)| new.clone());
            (*id, kind.clone(), key, state.clone())
        })
        .collect();
    assert_eq!(after, expected);
    // The occasions renamed are the per-program ones, and they were what the rows had:
    // win keys, members' milestone keys (the server's), round keys and forget-me keys are
    // as they were.
    let old_keys: Vec<&str> = renamed
        .iter()
        .map(|(id, _)| before.iter().find(|r| r.0 == *id).unwrap().2.as_str())
        .collect();
    assert_eq!(
        old_keys,
        [
            "watercooler:3",
            "program-halfway:2027-01-01",
            "program-last-month:2027-01-01",
            "watercooler:30",
        ]
    );
    let pending = |rows: &[(i64, String, String, String)]| {
        rows.iter()
            .filter(|r| r.3 == "pending")
            .map(|r| r.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(pending(&after), pending(&before));
    assert_eq!(pending(&after).len(), 12);
}

#[tokio::test]
async fn upgrading_a_database_made_by_be6ad99_leaves_a_consistent_file_with_every_index() {
    if !crate::sqlite_only("an upgrade of an old SQLite file") {
        return;
    }
    let up = Upgraded::from("be6ad99", 4, ROWS_AT_BE6AD99).await;
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
    let leftovers = count(
        up.new_pool(),
        "select count(*) from sqlite_master where name in ('round_before_0005', 'prompt_0005')",
    )
    .await;
    assert_eq!(leftovers, 0);

    // Every index the file had is there, with the same columns, but the scheduled slot:
    // once per program now, not per server.
    let before = indexes(&up.old).await;
    let after = indexes(up.new_pool()).await;
    let expected: Vec<(String, String, String)> = before
        .iter()
        .map(|(name, table, columns)| {
            let columns = match name.as_str() {
                "round_scheduled_slot" => "program_id, due_at".to_string(),
                _ => columns.clone(),
            };
            (name.clone(), table.clone(), columns)
        })
        .chain([(
            "program_member_by_user".to_string(),
            "program_member".to_string(),
            "guild_id, user_id".to_string(),
        )])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(after, expected);
    for name in ["outbox_due", "outbox_round", "round_scheduled_slot"] {
        assert!(after.iter().any(|(n, _, _)| n == name), "no {name}");
    }
    let slot: String =
        sqlx::query_scalar("select sql from sqlite_master where name = 'round_scheduled_slot'")
            .fetch_one(up.new_pool())
            .await
            .unwrap();
    assert!(
        slot.to_lowercase().contains("unique index") && slot.contains("where trigger = 'schedule'"),
        "{slot}"
    );
}
