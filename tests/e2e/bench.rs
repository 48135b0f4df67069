//! Delivery benchmark, not run by default (timings belong in benchmarks, not tests):
//! `cargo test --release --test e2e bench -- --ignored --nocapture`
//! Delivers a 1,000-member round against the fake, with and without a 429 storm, and
//! prints the time and the REST calls per group.

use std::time::{Duration, Instant};

use hallway::domain::profile::Role;
use hallway::storage::{ProfileChange, Store};

use crate::helpers::admin;
use crate::rounds::member;
use crate::support::bot::{BotOptions, BotProcess};
use crate::support::config::{ids, FakeConfig};
use crate::support::failures::FailRule;
use crate::support::fake_discord::FakeDiscord;

const MEMBERS: usize = 1_000;

async fn deliver_round(storm: Option<usize>, settings: &str) -> (Duration, usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hallway.db");
    let store = Store::open(
        &format!("sqlite://{}", db.display()),
        1,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    store
        .set_channels(ids::GUILD, ids::MENTORING, None, now)
        .await
        .unwrap();
    for n in 1..=MEMBERS {
        let change = ProfileChange {
            time_zone: Some(chrono_tz::Europe::Berlin),
            ..ProfileChange::role(Role::Peer)
        };
        store
            .join(ids::GUILD, member(n), &format!("member{n}"), &change, now)
            .await
            .unwrap();
    }
    drop(store);
    let fake = FakeDiscord::start(FakeConfig::default().with_generated_members(MEMBERS)).await;
    let config = dir.path().join("bench.toml");
    std::fs::write(&config, settings).unwrap();
    let options = BotOptions::new(&db).args(&["--config", &config.display().to_string(), "run"]);
    let _bot = BotProcess::spawn(&fake, &options);
    fake.wait_until(Duration::from_secs(30), "commands registered", |f| {
        (f.command_registrations() >= 1).then_some(())
    })
    .await;
    fake.wait_for_live(Duration::from_secs(10)).await;
    if let Some(n) = storm {
        fake.fail(
            FailRule::new("POST", "/channels/*/threads")
                .times(n / 2)
                .rate_limited(0.3),
        );
        fake.fail(
            FailRule::new("POST", "/channels/*/messages")
                .times(n / 2)
                .rate_limited(0.3),
        );
    }
    let before = fake.requests().len();
    let started = Instant::now();
    let handle = fake.slash(admin("match-now").by(ids::CORA)).await;
    fake.reply_to(&handle, Duration::from_secs(30)).await;
    fake.wait_for_message(
        ids::MENTORING,
        |m| m.content.contains("**Round 1**"),
        Duration::from_secs(600),
    )
    .await;
    let took = started.elapsed();
    let calls = fake.requests()[before..]
        .iter()
        .filter(|r| !r.path.starts_with("/interactions"))
        .count();
    let groups = fake.threads().len();
    (took, calls, groups)
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored --release"]
async fn bench_deliver_a_1000_member_round() {
    let defaults = "";
    let (took, calls, groups) = deliver_round(None, defaults).await;
    println!(
        "no failures: {groups} groups, {calls} REST calls ({:.2} per group incl. the summary), delivered in {:.2?}",
        calls as f64 / groups as f64,
        took
    );
    // A storm: 10 consecutive 429s on thread creation, then 10 on posting.
    let (took, calls, groups) = deliver_round(Some(20), defaults).await;
    println!(
        "20 injected 429s (retry_after 0.3 s), default retry settings: {groups} groups, {calls} REST calls, delivered in {:.2?}",
        took
    );
    let quick = "[delivery]\nfirst_wait_ms = 300\nmax_wait_ms = 2000\n";
    let (took, calls, groups) = deliver_round(Some(20), quick).await;
    println!(
        "20 injected 429s, first wait 300 ms: {groups} groups, {calls} REST calls, delivered in {:.2?}",
        took
    );
}

/// Resident memory of the bot, idle after connecting and registering its commands.
#[tokio::test]
#[ignore = "benchmark: run with --ignored --release"]
async fn bench_idle_memory_after_connecting() {
    let env = crate::support::bot::TestEnv::start().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = env.bot.pid().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
            .unwrap_or_default()
    };
    println!(
        "idle after connecting: VmRSS {} kB, VmHWM {} kB",
        field("VmRSS:"),
        field("VmHWM:")
    );
}
