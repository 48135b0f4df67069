//! One process among several: the shard range it runs, the start-up refusals, command
//! registration once per deploy, JSON logs, fatal close codes and a graceful SIGTERM.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{admin, run};
use crate::support::bot::{BotOptions, BotProcess, TestEnv};
use crate::support::config::ids;
use crate::support::fake_discord::FakeDiscord;

const EXIT_WAIT: Duration = Duration::from_secs(20);

/// The bot's `error:` lines: there is exactly one, and it is returned.
#[track_caller]
fn one_error_line(logs: &str) -> String {
    let errors: Vec<&str> = logs.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{logs}");
    errors[0].to_string()
}

/// Runs `hallway run` with `HALLWAY_SHARDS=shards` on a fresh SQLite path; returns its
/// output once it has exited non-zero, after checking it touched neither Discord nor
/// the database.
async fn refused_run(shards: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let db = dir.path().join("hallway.db");
    let options = BotOptions::new(&db).env("HALLWAY_SHARDS", shards);
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(EXIT_WAIT).await;
    let logs = bot.logs();
    assert!(!status.success(), "{logs}");
    assert!(
        fake.requests().is_empty(),
        "nothing reaches Discord: {}",
        fake.describe_requests()
    );
    assert_eq!(fake.connection_count(), 0, "no gateway connection");
    assert!(!db.exists(), "no database was created");
    assert!(!dir.path().join("hallway.db.lock").exists(), "no lock file");
    logs
}

#[tokio::test]
async fn a_shard_past_the_total_exits_at_once_saying_what_to_write() {
    let logs = refused_run("5-6/4").await;
    let error = one_error_line(&logs);
    assert!(
        error.contains(
            "[discord] shards (HALLWAY_SHARDS) \"5-6/4\": shard 6 is past the last shard (3) of 4; \
             give FIRST-LAST/TOTAL with LAST < TOTAL"
        ),
        "{logs}"
    );
}

#[tokio::test]
async fn a_malformed_shard_range_exits_at_once_with_the_reason() {
    let logs = refused_run("0-1").await;
    let error = one_error_line(&logs);
    assert!(
        error.contains("\"0-1\": no total shard count after a '/'"),
        "{logs}"
    );
}

#[tokio::test]
async fn sqlite_refuses_a_shard_range_that_leaves_shards_to_other_processes() {
    for shards in ["0-1/4", "3/4"] {
        let logs = refused_run(shards).await;
        let error = one_error_line(&logs);
        assert!(
            error.contains(&format!("[discord] shards (HALLWAY_SHARDS) is {shards}")),
            "{logs}"
        );
        assert!(
            error.contains("several processes need PostgreSQL"),
            "{logs}"
        );
        assert!(error.contains("docs/scale.md"), "{logs}");
    }
}

#[tokio::test]
async fn a_range_of_every_shard_identifies_as_that_shard_and_registers_the_commands() {
    // 0-0/1 is serenity's start_shard_range(0..0, 1): an empty Rust range, one shard.
    let env = TestEnv::start_with(Default::default(), |o| o.env("HALLWAY_SHARDS", "0-0/1")).await;
    let identifies: Vec<Value> = env
        .fake
        .frames_from_bot()
        .into_iter()
        .filter(|f| f.op() == 2)
        .map(|f| f.payload["d"]["shard"].clone())
        .collect();
    assert_eq!(identifies, [serde_json::json!([0, 1])]);
    // The identify turn is held from before IDENTIFY until after the shard's READY.
    env.bot
        .wait_for_log("every shard connected; identify turn released", EXIT_WAIT)
        .await;
    let logs = env.bot.logs();
    let lines: Vec<&str> = logs.lines().collect();
    let taken = line_after(&lines, 0, "identify turn taken; connecting the shards");
    let connected = line_after(&lines, taken, "shard connected");
    line_after(
        &lines,
        connected,
        "every shard connected; identify turn released",
    );
    assert_eq!(env.fake.command_registrations(), 1);
    assert_eq!(
        env.fake.calls_to("GET", "/gateway/bot").len(),
        1,
        "the total was checked against Discord's recommendation: {}",
        env.fake.describe_requests()
    );
}

/// A config file in `dir` with `body`, and the arguments that pass it.
fn config_file(dir: &std::path::Path, body: &str) -> String {
    let path = dir.join("hallway.toml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn register_commands_registers_over_http_alone_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let db = dir.path().join("hallway.db");
    let mut bot = BotProcess::spawn(&fake, &BotOptions::new(&db).args(&["register-commands"]));
    let status = bot.wait_exit(EXIT_WAIT).await;
    let logs = bot.logs();
    assert!(status.success(), "{logs}");
    assert!(
        logs.contains("registered 3 commands (/hallway, /hallway-admin, /win) globally"),
        "{logs}"
    );
    assert_eq!(fake.command_registrations(), 1);
    let names: Vec<Value> = fake
        .commands(None)
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, ["hallway", "hallway-admin", "win"]);
    assert_eq!(fake.connection_count(), 0, "no gateway connection");
    assert!(!db.exists(), "no database needed");

    // In the development server when one is set.
    let mut bot = BotProcess::spawn(
        &fake,
        &BotOptions::new(&db)
            .args(&["register-commands"])
            .env("HALLWAY_DEV_GUILD_ID", &ids::GUILD.to_string()),
    );
    let status = bot.wait_exit(EXIT_WAIT).await;
    let logs = bot.logs();
    assert!(status.success(), "{logs}");
    assert!(
        logs.contains(&format!("in the server {} (dev_guild_id)", ids::GUILD)),
        "{logs}"
    );
    assert_eq!(fake.commands(Some(ids::GUILD)).len(), 3);
    assert_eq!(fake.connection_count(), 0);
}

#[tokio::test]
async fn register_commands_with_a_rejected_token_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let options = BotOptions::new(dir.path().join("h.db"))
        .args(&["register-commands"])
        .token("not-the-right-token-1234567890");
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(EXIT_WAIT).await;
    assert!(!status.success());
    let error = one_error_line(&bot.logs());
    assert!(error.contains("Discord rejected the bot token"), "{error}");
    assert_eq!(fake.command_registrations(), 0);
}

#[tokio::test]
async fn run_with_register_commands_never_connects_without_registering() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let config = config_file(dir.path(), "[discord]\nregister_commands = \"never\"\n");
    let options =
        BotOptions::new(dir.path().join("hallway.db")).args(&["--config", &config, "run"]);
    let bot = BotProcess::spawn(&fake, &options);
    // The line poise's setup logs once READY is handled, where it would have registered.
    bot.wait_for_log("connected; commands not registered at start-up", EXIT_WAIT)
        .await;
    assert_eq!(
        fake.command_registrations(),
        0,
        "{}",
        fake.describe_requests()
    );
    assert!(fake.is_live());
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_shard_and_guild_id_fields() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), "[log]\nformat = \"json\"\n");
    let env = TestEnv::start_with(Default::default(), |o| {
        o.args(&["--config", &config, "run"])
    })
    .await;
    env.bot
        .wait_for_log("connected and commands registered", EXIT_WAIT)
        .await;
    // An interaction whose handling logs: a member without Manage Server is refused.
    let reply = run(&env, admin("stats").by(ids::ADA)).await;
    assert!(reply.content.contains("Only coordinators"), "{reply:?}");
    env.bot
        .wait_for_log("refused: not a coordinator", EXIT_WAIT)
        .await;

    let logs = env.bot.logs();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect();
    assert!(lines.len() > 3, "{logs}");
    for line in &lines {
        assert!(
            line["level"].is_string() && line["message"].is_string(),
            "{line}"
        );
    }
    let connected = lines
        .iter()
        .find(|l| l["message"] == "shard connected")
        .unwrap_or_else(|| panic!("no shard connected line: {logs}"));
    assert_eq!(connected["shard"], 0, "{connected}");
    let refused = lines
        .iter()
        .find(|l| l["message"] == "refused: not a coordinator")
        .unwrap();
    assert_eq!(refused["span"]["guild_id"], ids::GUILD, "{refused}");
    assert_eq!(refused["span"]["shard"], 0, "{refused}");
    assert_eq!(refused["span"]["kind"], "command", "{refused}");
}

/// The index of the first line after `from` that contains `needle`.
#[track_caller]
fn line_after(lines: &[&str], from: usize, needle: &str) -> usize {
    lines[from..]
        .iter()
        .position(|l| l.contains(needle))
        .map(|i| from + i)
        .unwrap_or_else(|| panic!("no {needle:?} after line {from}:\n{}", lines.join("\n")))
}

#[tokio::test]
async fn sigterm_stops_the_scheduler_then_the_shards_then_the_database_and_exits_zero() {
    let mut env = TestEnv::start().await;
    env.bot.wait_for_log("scheduler started", EXIT_WAIT).await;
    env.bot.terminate();
    let status = env.bot.wait_exit(Duration::from_secs(40)).await;
    let logs = env.bot.logs();
    assert!(status.success(), "{status}: {logs}");
    let lines: Vec<&str> = logs.lines().collect();
    let mut at = line_after(&lines, 0, "shutting down: stopping the scheduler");
    for step in [
        "shutting down: scheduler stopped",
        "shutting down: closing the gateway shards",
        "shutting down: shards closed",
        "shutting down: closing the database",
        "shutting down: done",
    ] {
        at = line_after(&lines, at, step);
    }
    assert!(!logs.contains("did not stop in time"), "{logs}");
}

#[tokio::test]
async fn a_shard_closed_with_4011_stops_the_bot_with_what_to_change() {
    let mut env = TestEnv::start().await;
    env.fake.close_gateway(4011, "Sharding required").await;
    // The scheduler gets up to 30 s to finish the item in hand.
    let status = env.bot.wait_exit(Duration::from_secs(45)).await;
    assert!(!status.success(), "{}", env.bot.logs());
    let error = one_error_line(&env.bot.logs());
    assert!(
        error.contains("code 4011 (Sharding required)") && error.contains("Raise the total"),
        "{error}"
    );
}

#[tokio::test]
async fn a_shard_closed_with_4010_stops_the_bot_with_what_to_check() {
    let mut env = TestEnv::start().await;
    env.fake.close_gateway(4010, "Invalid shard").await;
    // The scheduler gets up to 30 s to finish the item in hand.
    let status = env.bot.wait_exit(Duration::from_secs(45)).await;
    assert!(!status.success(), "{}", env.bot.logs());
    let error = one_error_line(&env.bot.logs());
    assert!(
        error.contains("code 4010 (Invalid shard)") && error.contains("HALLWAY_SHARDS"),
        "{error}"
    );
}
