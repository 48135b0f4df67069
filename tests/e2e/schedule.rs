//! Scheduled rounds across restarts and program pauses.

use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};
use hallway::domain::ids::{ChannelId, GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::{Cadence, Schedule};
use hallway::storage::Store;

use crate::helpers::query_scalar;
use crate::helpers::{
    admin, assert_private, count, db, wait_for_count, wait_for_scheduler_passes,
    wait_for_the_bot_to_settle, WAIT,
};
use crate::rounds::{member, start_with, FAST};
use crate::support::bot::{BotOptions, BotProcess};
use crate::support::config::{ids, FakeConfig};
use crate::support::database::{expire_leases, open, TestDatabase};

/// Before the bot starts: a weekly schedule whose slot passed yesterday, set up ten
/// days ago, and four members.
async fn prepare_missed_round(url: &str) {
    let store = Store::open(url, 1, Duration::from_secs(5)).await.unwrap();
    let ten_days_ago = Utc::now() - chrono::Duration::days(10);
    let yesterday = Utc::now() - chrono::Duration::days(1);
    let program = store
        .programs_or_first(GuildId(ids::GUILD), ten_days_ago)
        .await
        .unwrap()
        .remove(0);
    store
        .set_channels(
            program.program_id,
            ChannelId(ids::MENTORING),
            None,
            ten_days_ago,
        )
        .await
        .unwrap();
    let schedule = Schedule {
        cadence: Cadence::Weekly,
        weekday: yesterday.weekday(),
        hour: 0,
        time_zone: chrono_tz::UTC,
    };
    store
        .set_schedule(program.program_id, &schedule, ten_days_ago)
        .await
        .unwrap();
    for n in 1..=4 {
        let change = ProfileChange::role(Role::Peer);
        store
            .join(
                &program,
                UserId(member(n)),
                &format!("member{n}"),
                &change,
                ten_days_ago,
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_round_due_while_the_bot_was_down_runs_once_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh(dir.path()).await;
    prepare_missed_round(database.url()).await;
    let fake = crate::support::fake_discord::FakeDiscord::start(
        FakeConfig::default().with_generated_members(4),
    )
    .await;
    let config = dir.path().join("fast.toml");
    std::fs::write(&config, FAST).unwrap();
    let options = BotOptions::with_database(database.url()).args(&[
        "--config",
        &config.display().to_string(),
        "run",
    ]);
    let mut bot = BotProcess::spawn(&fake, &options);
    let summary_message = fake
        .wait_for_message(ids::MENTORING, |m| m.content.contains("**Round 1**"), WAIT)
        .await;
    assert!(summary_message
        .content
        .contains("2 chats this round, 4 people"));
    let pool = open(&options.database_url()).await;
    // Two slots were missed (yesterday's and the one a week before): one round, not two.
    assert_eq!(count(&pool, "select count(*) from round").await, 1);
    assert_eq!(
        count(
            &pool,
            "select count(*) from round where trigger = 'schedule'"
        )
        .await,
        1
    );

    // A restart, and two more scheduler passes, run nothing again.
    bot.kill().await;
    expire_leases(&pool).await;
    let registrations = fake.command_registrations();
    let restarted = Utc::now();
    let bot = BotProcess::spawn(&fake, &options);
    fake.wait_until(WAIT, "the restarted bot registered", |f| {
        (f.command_registrations() > registrations).then_some(())
    })
    .await;
    wait_for_the_bot_to_settle(&bot, &pool, restarted, 2).await;
    assert_eq!(count(&pool, "select count(*) from round").await, 1);
    let summaries = fake
        .messages_in(ids::MENTORING)
        .into_iter()
        .filter(|m| m.content.contains("**Round"))
        .count();
    assert_eq!(summaries, 1, "nothing posted twice");
    drop(bot);
}

#[tokio::test]
async fn a_paused_program_starts_no_round_until_it_resumes() {
    let env = start_with(FakeConfig::default().with_generated_members(4)).await;
    let pool = db(&env).await;
    let reply = crate::helpers::run(&env, admin("pause-program").by(ids::CORA)).await;
    assert_private(&reply, &["The program is paused"]);
    // Set a schedule whose slot has already passed, as if it were due now.
    crate::rounds::set_up_program(&env).await;
    for n in 1..=4 {
        crate::rounds::join(&env, member(n), crate::helpers::choice::PEER).await;
    }
    crate::helpers::make_a_weekly_slot_due(&pool).await;
    wait_for_scheduler_passes(&env.bot, Utc::now(), 1).await;
    assert_eq!(
        count(&pool, "select count(*) from round").await,
        0,
        "paused: nothing runs"
    );
    let refused = crate::helpers::run(&env, admin("match-now").by(ids::CORA)).await;
    assert_private(&refused, &["The program is paused"]);

    let reply = crate::helpers::run(&env, admin("resume-program").by(ids::CORA)).await;
    assert_private(&reply, &["running again", "Next round:"]);
    // Resuming starts from the next slot: the weeks spent paused are not caught up.
    wait_for_scheduler_passes(&env.bot, Utc::now(), 1).await;
    assert_eq!(count(&pool, "select count(*) from round").await, 0);
    let next: DateTime<Utc> = query_scalar("select schedule_anchor from program")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(next.date_naive(), Utc::now().date_naive(), "{next}");
}

#[tokio::test]
async fn two_schedulers_racing_for_one_slot_run_it_once() {
    // The database, not memory, guarantees it: the same slot inserted twice fails.
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::fresh(dir.path()).await;
    prepare_missed_round(database.url()).await;
    let store = Store::open(database.url(), 4, Duration::from_secs(5))
        .await
        .unwrap();
    let community = store.programs(GuildId(ids::GUILD)).await.unwrap().remove(0);
    let due = Utc::now() - chrono::Duration::hours(1);
    let (a, b) = tokio::join!(
        hallway::rounds::start_scheduled_round(&store, &community, due, Utc::now()),
        hallway::rounds::start_scheduled_round(&store, &community, due, Utc::now()),
    );
    let started = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|r| r.is_some())
        .count();
    assert_eq!(started, 1);
    wait_for_count(store.pool(), "select count(*) from round", 1).await;
}
