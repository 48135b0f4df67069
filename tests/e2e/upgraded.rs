//! The upgrade, reached through the commands: a database file as the previous `main`
//! (be6ad99, migrations 0001-0004) left it, with rows in every table, is opened by today's
//! bot, and every value is still there for members and coordinators to see.

use std::path::Path;

use chrono::Utc;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

use crate::helpers::{
    admin, assert_private, db, hallway, run, wait_for_count, wait_for_the_bot_to_settle, WAIT,
};
use crate::helpers::{query, query_as, sqlite_only, AsDb, Db};
use crate::rounds::FAST;
use crate::support::bot::TestEnv;
use crate::support::config::{channel_kind, ids, FakeChannel, FakeConfig, FakeGuild, FakeMember};

const SCHEMA_0001: &str = include_str!("../../migrations/sqlite/0001_schema.sql");
const OUTBOX_0002: &str = include_str!("../../migrations/sqlite/0002_outbox.sql");
const FORGET_OUTBOX_KINDS_0003: &str =
    include_str!("../../migrations/sqlite/0003_forget_outbox_kinds.sql");
const SKIP_NOTE_0004: &str = include_str!("../../migrations/sqlite/0004_skip_note.sql");
const ROWS_AT_BE6AD99: &str = include_str!("../storage/fixtures/main-be6ad99.sql");

/// The fixture's first server is the harness's default one (same guild, channel and member
/// ids); its second server is this one.
const GUILD_B: u64 = 1_200_000_000_000_000_002;
const PROGRAM_CHANNEL_B: u64 = 1_200_000_000_000_000_202;
const OWNER_B: u64 = 1_300_000_000_000_000_020;
const FEMI: u64 = 1_300_000_000_000_000_021;
const GUS: u64 = 1_300_000_000_000_000_022;
/// Server A's watercooler channel.
const WATERCOOLER: u64 = 1_200_000_000_000_000_104;
/// The private threads of round 1's group 1 and round 2's group 3.
const THREAD_1: u64 = 1_500_000_000_000_000_001;
const THREAD_3: u64 = 1_500_000_000_000_000_020;

/// Writes, at `path`, the file be6ad99 would have left: its migrations applied by sqlx's
/// migrator (so today's bot sees them as applied), then the fixture's rows.
async fn database_made_by_be6ad99(path: &Path) {
    let folder = path.with_file_name("migrations-be6ad99");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, sql) in [
        ("0001_schema.sql", SCHEMA_0001),
        ("0002_outbox.sql", OUTBOX_0002),
        ("0003_forget_outbox_kinds.sql", FORGET_OUTBOX_KINDS_0003),
        ("0004_skip_note.sql", SKIP_NOTE_0004),
    ] {
        std::fs::write(folder.join(name), sql).unwrap();
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Delete);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    sqlx::raw_sql(ROWS_AT_BE6AD99).execute(&pool).await.unwrap();
    with_a_pause_still_to_come(&AsDb::as_db(&pool)).await;
    pool.close().await;
}

/// What the clock has overtaken: Ben's pause ended on 2026-12-01; it is moved to three
/// weeks from now, so that there is a pause to show.
async fn with_a_pause_still_to_come(pool: &Db) {
    query("update member set paused_until = $1 where user_id = $2")
        .bind(Utc::now() + chrono::Duration::weeks(3))
        .bind(ids::BEN as i64)
        .execute(pool)
        .await
        .unwrap();
}

/// The default world, plus what the fixture's rows point at: server A's watercooler
/// channel and two of its private threads, and server B with its channel and members.
fn world() -> FakeConfig {
    let thread = |id, name: &str| FakeChannel {
        id,
        name: name.to_string(),
        kind: channel_kind::PRIVATE_THREAD,
        parent_id: Some(ids::MENTORING),
    };
    let guild_b = FakeGuild::new(GUILD_B, "Second Lab", OWNER_B)
        .with_channel(FakeChannel::text(PROGRAM_CHANNEL_B, "program"))
        .with_member(FakeMember::new(OWNER_B, "owner-b"))
        .with_member(FakeMember::new(FEMI, "femi"))
        .with_member(FakeMember::new(GUS, "gus"));
    FakeConfig::default()
        .with_channel(FakeChannel::text(WATERCOOLER, "watercooler"))
        .with_channel(thread(THREAD_1, "Ada & Ben · round 1"))
        .with_channel(thread(THREAD_3, "Ada & Ben · round 2"))
        .with_guild(guild_b)
}

/// The bot started on the file be6ad99 left, which it upgrades as it opens it.
async fn upgraded() -> TestEnv {
    let prepared = tempfile::tempdir().unwrap();
    let file = prepared.path().join("hallway.db");
    database_made_by_be6ad99(&file).await;
    TestEnv::start_on_sqlite_with(world(), |options| {
        std::fs::copy(&file, &options.db_path).unwrap();
        let config = options.db_path.with_file_name("fast.toml");
        std::fs::write(&config, FAST).unwrap();
        let config = config.display().to_string();
        options.args(&["--config", &config, "run"])
    })
    .await
}

/// How many of the bot's own posts in `channel` (not answers to commands) say `needle`,
/// in their text or their embeds.
fn posts_saying(env: &TestEnv, channel: u64, needle: &str) -> usize {
    env.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.interaction_id.is_none())
        .filter(|m| {
            m.content.contains(needle) || m.embeds.iter().any(|e| e.to_string().contains(needle))
        })
        .count()
}

#[tokio::test]
async fn members_upgraded_from_be6ad99_see_their_profile_pause_and_past_chats() {
    if !sqlite_only("upgrading a SQLite file an earlier hallway left") {
        return;
    }
    let env = upgraded().await;
    let ada = run(&env, hallway("profile").by(ids::ADA)).await;
    assert_private(
        &ada,
        &[
            "Time zone: Europe/London",
            "Institution: Uni North",
            "Time of day: morning",
            "Modality: video",
            "Role: mentor",
            "Capacity: up to 2 mentees a round",
            "Status: active",
            "Rounds: every week on Monday at 09:00 (Europe/Berlin)",
            &format!(
                "**Your do-not-match list** (only you can see it): <@{}>",
                ids::DEV
            ),
        ],
    );
    let ben = run(&env, hallway("profile").by(ids::BEN)).await;
    assert_private(
        &ben,
        &[
            "Time zone: America/New_York",
            "Institution: Uni South",
            "Time of day: evening",
            "Modality: phone",
            "Role: mentee",
            "Status: paused until",
            "`/hallway resume`",
        ],
    );
    assert!(!ben.content.contains("do-not-match"), "{}", ben.content);
    let dev = run(&env, hallway("profile").by(ids::DEV)).await;
    assert_private(
        &dev,
        &[
            "Time zone: Asia/Kolkata",
            "Institution: Lab East",
            "Modality: walking",
            "Role: mentee",
            &format!("<@{}>", ids::CHLOE),
        ],
    );
    let chloe = run(&env, hallway("profile").by(ids::CHLOE)).await;
    assert_private(&chloe, &["You left hallway"]);

    let history = run(&env, hallway("history").by(ids::ADA)).await;
    assert_private(
        &history,
        &[
            "**Your past chats**",
            &format!("Round 2 · 16 Nov 2026: with <@{}> (mentee)", ids::BEN),
            &format!(
                "Round 1 · 9 Nov 2026: with <@{}> (mentee) · you met ✅",
                ids::BEN
            ),
        ],
    );
    let history = run(&env, hallway("history").by(ids::BEN)).await;
    assert_private(
        &history,
        &[&format!(
            "Round 1 · 9 Nov 2026: with <@{}> (mentor) · not yet",
            ids::ADA
        )],
    );
    let history = run(&env, hallway("history").by(ids::CHLOE)).await;
    assert_private(
        &history,
        &[&format!(
            "Round 1 · 9 Nov 2026: with <@{}> (mentee) · you skipped",
            ids::DEV
        )],
    );

    // What the commands showed is what the upgrade stored, in the program's rows.
    let pool = db(&env).await;
    let standing: Vec<(i64, String, i64, bool, bool)> = query_as(
        "select pm.user_id, pm.role, pm.capacity, pm.paused_until is not null,
                pm.left_at is not null
         from program_member pm join program p using (program_id)
         where p.name = 'Autumn cohort' order by pm.user_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        standing,
        [
            (ids::ADA as i64, "mentor".into(), 2, false, false),
            (ids::BEN as i64, "mentee".into(), 0, true, false),
            (ids::CHLOE as i64, "peer".into(), 0, false, true),
            (ids::DEV as i64, "mentee".into(), 0, false, false),
        ]
    );
}

#[tokio::test]
async fn the_upgraded_program_keeps_its_name_settings_rounds_outcomes_wins_and_prompts() {
    if !sqlite_only("upgrading a SQLite file an earlier hallway left") {
        return;
    }
    let env = upgraded().await;
    let list = run(&env, admin("list").group("program").by(ids::CORA)).await;
    assert_private(
        &list,
        &[
            "**Programs in this server** (1)",
            &format!(
                "**Autumn cohort**: mentor-mentee, groups of 3 · <#{}> · every week on Monday \
                 at 09:00 (Europe/Berlin) · 3 members",
                ids::MENTORING
            ),
        ],
    );
    let stats = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &stats,
        &[
            "**Autumn cohort stats**",
            "Mentors: 1 active · 0 paused · 0 left",
            "Mentees: 1 active · 1 paused · 0 left",
            "Peers: 0 active · 0 paused · 1 left",
            "Round 1 (9 Nov 2026): 2 chats, 5 people · met 50% (1 of 2) · repeats 0% (0 of 2) \
             · skipped 20% (1 of 5)",
            "Round 2 (16 Nov 2026): 1 chats, 2 people · met 0% (0 of 1) · repeats 100% (1 of 1) \
             · skipped 0% (0 of 2)",
            "**Wins**: grant 1 · talk 1 (2 in all)",
            "**How was it?** great 1 · good 0 · meh 1",
        ],
    );
    let prompts = run(
        &env,
        crate::support::interactions::SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub("list")
            .by(ids::CORA),
    )
    .await;
    assert_private(
        &prompts,
        &[
            "**This program's prompts**",
            "`c1` (light) What did you build this week?",
        ],
    );
    assert!(
        !prompts.content.contains("Who taught you the most?"),
        "a removed prompt stays removed: {}",
        prompts.content
    );
    // The second server's program is its own, named "hallway", paused, with its own round.
    let list_b = run(
        &env,
        admin("list").group("program").in_guild(GUILD_B).by(OWNER_B),
    )
    .await;
    assert_private(
        &list_b,
        &[&format!(
            "**hallway** (paused): peer-circles, groups of 4 · <#{PROGRAM_CHANNEL_B}> ·"
        )],
    );
    assert!(
        list_b.content.ends_with("· 2 members"),
        "{}",
        list_b.content
    );
    let stats_b = run(&env, admin("stats").in_guild(GUILD_B).by(OWNER_B)).await;
    assert_private(
        &stats_b,
        &[
            "**hallway stats** · every round (round 1)",
            "Peers: 2 active",
            "1 chats, 2 people · met 100% (1 of 1)",
            "**Wins**: publication 1 (1 in all)",
        ],
    );

    // The settings, as program edit shows them after a change that keeps them the same.
    let edit = run(
        &env,
        admin("edit")
            .group("program")
            .opt("program", "autumn COHORT")
            .opt("cross_institution", true)
            .by(ids::CORA),
    )
    .await;
    assert_private(
        &edit,
        &[
            "Saved. **Autumn cohort** runs from 2026-09-01 to 2027-01-01",
            &format!("Program channel: <#{}>", ids::MENTORING),
            &format!("Celebrations channel: <#{}>", ids::CELEBRATIONS),
            "Schedule: every week on Monday at 09:00 (Europe/Berlin)",
            "Matching: mentor-mentee, groups of 3, cross-institution preferred",
            "Program: Autumn cohort, running",
            &format!("Watercooler: daily in <#{WATERCOOLER}>"),
        ],
    );
    // A newcomer reads the program's welcome.
    let joined = run(
        &env,
        hallway("join")
            .opt("role", crate::helpers::choice::MENTEE)
            .by(ids::OLIVE),
    )
    .await;
    assert_private(
        &joined,
        &["**Welcome to Autumn cohort!**", "Welcome, everyone!"],
    );
}

#[tokio::test]
async fn deliveries_pending_before_the_upgrade_are_made_once_after_it_even_across_a_restart() {
    if !sqlite_only("upgrading a SQLite file an earlier hallway left") {
        return;
    }
    let mut env = upgraded().await;
    let pool = db(&env).await;
    // Round 2's summary waits for its intro, and looks again every few seconds.
    summary_of_round_2(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where outbox_id <= 30 and state = 'pending'",
        0,
    )
    .await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    let expected = expected_deliveries();
    for (channel, needle) in &expected {
        assert_eq!(
            posts_saying(&env, *channel, needle),
            1,
            "{needle:?} in {channel}"
        );
    }
    // Round 2's intro names the custom prompt its group was given before the upgrade.
    assert_eq!(
        posts_saying(
            &env,
            THREAD_3,
            "**Icebreaker:** What did you build this week?"
        ),
        1
    );
    assert_eq!(
        env.fake
            .calls_to("PATCH", &format!("/channels/{THREAD_3}"))
            .len(),
        1
    );
    // What was done, or failed for good, before the upgrade is not sent again.
    for (channel, needle) in [
        (ids::CELEBRATIONS, "Got the fellowship".to_string()),
        (
            ids::CELEBRATIONS,
            format!("<@{}> just had their first", ids::ADA),
        ),
        (
            ids::CELEBRATIONS,
            format!("<@{}> just had their first", ids::BEN),
        ),
        (ids::CELEBRATIONS, "is halfway through".to_string()),
        (ids::MENTORING, "**Round 1**".to_string()),
        (THREAD_1, "gentle nudge".to_string()),
        (PROGRAM_CHANNEL_B, "First paper out".to_string()),
    ] {
        assert_eq!(
            posts_saying(&env, channel, &needle),
            0,
            "{needle:?} in {channel}"
        );
    }
    let states_before_restart = outbox_states(&pool).await;

    env.restart_bot().await;
    let restarted = Utc::now();
    wait_for_the_bot_to_settle(&env.bot, &pool, restarted, 2).await;
    for (channel, needle) in &expected {
        assert_eq!(
            posts_saying(&env, *channel, needle),
            1,
            "{needle:?} in {channel} after a restart"
        );
    }
    assert_eq!(outbox_states(&pool).await, states_before_restart);
}

/// The posts that rows pending at be6ad99 make, each with where it goes.
fn expected_deliveries() -> Vec<(u64, String)> {
    vec![
        (THREAD_1, "How was your round 1 chat?".into()),
        (ids::CELEBRATIONS, "Keynote at the workshop".into()),
        (THREAD_3, "you're matched for **round 2**".into()),
        (ids::MENTORING, "**Round 2**".into()),
        (THREAD_3, "a gentle nudge for round 2".into()),
        (
            ids::CELEBRATIONS,
            format!("Happy hallway anniversary, <@{}>", ids::DEV),
        ),
        (
            ids::CELEBRATIONS,
            "**Autumn cohort** has one month to go".into(),
        ),
        (WATERCOOLER, "What did you build this week?".into()),
        (
            PROGRAM_CHANNEL_B,
            format!("<@{FEMI}> just had their first hallway chat"),
        ),
    ]
}

async fn summary_of_round_2(env: &TestEnv) {
    env.fake
        .wait_for_message(ids::MENTORING, |m| m.content.contains("**Round 2**"), WAIT)
        .await;
}

/// Each of the fixture's outbox rows: (outbox_id, key, state).
async fn outbox_states(pool: &Db) -> Vec<(i64, String, String)> {
    query_as("select outbox_id, key, state from outbox order by outbox_id")
        .fetch_all(pool)
        .await
        .unwrap()
}
