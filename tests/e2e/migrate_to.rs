//! `hallway migrate-to URL` end to end: the real binary copies a SQLite file that a bot
//! made (members, a round, its threads and outbox) into an empty PostgreSQL database,
//! prints each table's rows, and refuses while the bot runs, and a second time. Needs a
//! PostgreSQL server at `HALLWAY_TEST_POSTGRES_URL`; skipped with one line without it.

use std::time::Duration;

use crate::helpers::{choice, count, WAIT};
use crate::rounds::{join, match_now, member, set_up_program, summary};
use crate::support::bot::BotProcess;

/// Runs `hallway migrate-to <url>` on `database_url`: (success, stdout, stderr).
async fn migrate_to(database_url: &str, url: &str) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_hallway"))
        .args(["migrate-to", url])
        .env("DATABASE_URL", database_url)
        .env_remove("DISCORD_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run hallway migrate-to");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A new empty database on the test server, and the URL to it.
async fn fresh_postgres(server: &str) -> String {
    let name = format!("hallway_e2e_migrate_{}", std::process::id());
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(
        &mut admin,
        format!("drop database if exists {name}").as_str(),
    )
    .await
    .unwrap();
    sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// The row count printed for `table` (the SQLite and PostgreSQL columns must agree).
fn printed_rows(stdout: &str, table: &str) -> i64 {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(table))
        .unwrap_or_else(|| panic!("no line for {table}:\n{stdout}"));
    let numbers: Vec<i64> = line
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_eq!(numbers[0], numbers[1], "{line}");
    numbers[0]
}

#[tokio::test]
async fn migrate_to_copies_the_bots_sqlite_file_into_postgresql_and_prints_each_tables_rows() {
    let Ok(server) = std::env::var("HALLWAY_TEST_POSTGRES_URL") else {
        eprintln!("skipped migrate_to: set HALLWAY_TEST_POSTGRES_URL to run it against PostgreSQL");
        return;
    };
    let mut env = crate::rounds::start_on_sqlite(4).await; // the source is SQLite whatever the test backend
    set_up_program(&env).await;
    for n in 1..=4 {
        join(&env, member(n), choice::PEER).await;
    }
    let started = match_now(&env).await;
    assert!(started.contains("Round 1 is matched"), "{started}");
    summary(&env, 1).await;
    let target = fresh_postgres(&server).await;
    let source = env.database_url();

    // While the bot runs, its database is not copied: it could change under the copy.
    let (ok, stdout, stderr) = migrate_to(&source, &target).await;
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("stop the bot before migrating"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // Stopped as an operator stops it: SIGTERM, which also releases its server leases
    // (a copied lease of a killed process would hold the copy's first delivery back
    // until it expires).
    env.bot.terminate();
    let status = env.bot.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "{}", env.bot.logs());
    let pool = crate::helpers::sqlite_db(&env).await;
    let members = count(&pool, "select count(*) from member").await;
    let groups = count(&pool, "select count(*) from match_group").await;
    let outbox = count(&pool, "select count(*) from outbox").await;
    let (ok, stdout, stderr) = migrate_to(&source, &target).await;
    assert!(ok, "migrate-to failed: {stderr}\n{stdout}");
    assert!(stdout.contains("table"), "{stdout}");
    assert_eq!(printed_rows(&stdout, "member"), members);
    assert_eq!(printed_rows(&stdout, "match_group"), groups);
    assert_eq!(printed_rows(&stdout, "outbox"), outbox);
    assert_eq!(printed_rows(&stdout, "round"), 1);
    assert!(
        stdout.contains("every table has as many rows in both databases"),
        "{stdout}"
    );

    // The rows are in PostgreSQL, in its types.
    let pg = sqlx::PgPool::connect(&target).await.unwrap();
    let names: Vec<String> = sqlx::query_scalar("select display_name from member order by user_id")
        .fetch_all(&pg)
        .await
        .unwrap();
    let sqlite_names: Vec<String> =
        sqlx::query_scalar("select display_name from member order by user_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(names, sqlite_names);
    type RoundRow = (
        i64,
        String,
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let copied: RoundRow = sqlx::query_as("select number, state, due_at, delivered_at from round")
        .fetch_one(&pg)
        .await
        .unwrap();
    let original: RoundRow =
        sqlx::query_as("select number, state, due_at, delivered_at from round")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(copied.0, 1);
    assert_eq!(copied.1, original.1);
    // PostgreSQL keeps microseconds.
    assert_eq!(copied.2.timestamp_micros(), original.2.timestamp_micros());
    assert_eq!(
        copied.3.map(|t| t.timestamp_micros()),
        original.3.map(|t| t.timestamp_micros())
    );
    let threads: i64 = sqlx::query_scalar(
        "select count(*) from match_group where thread_id is not null and not thread_refused",
    )
    .fetch_one(&pg)
    .await
    .unwrap();
    assert_eq!(threads, groups);

    // Run again, it refuses: the target holds rows now.
    let (ok, stdout, stderr) = migrate_to(&source, &target).await;
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("already holds rows"), "{stderr}");
    assert!(stderr.contains(&format!("member: {members}")), "{stderr}");
    let after: i64 = sqlx::query_scalar("select count(*) from member")
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(after, members, "nothing was added");

    // The bot runs on the copy: its next round is round 2, matched from the copied
    // members and history, and its groups get new ids past the copied ones.
    env.options = env.options.clone().with_database_url(&target);
    let registered = env.fake.command_registrations();
    env.bot = BotProcess::spawn(&env.fake, &env.options);
    env.fake
        .wait_until(WAIT, "the bot on PostgreSQL registered its commands", |f| {
            (f.command_registrations() > registered).then_some(())
        })
        .await;
    let started = match_now(&env).await;
    assert!(started.contains("Round 2 is matched"), "{started}");
    // (On PostgreSQL the summary can wait for a claim of the outbox to expire, up to
    // lease_seconds after the intros: hence more than WAIT.)
    env.fake
        .wait_for_message(
            crate::support::config::ids::MENTORING,
            |m| m.content.contains("**Round 2**"),
            Duration::from_secs(90),
        )
        .await;
    let rounds: i64 = sqlx::query_scalar("select count(distinct round_id) from match_group")
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(rounds, 2);
    pg.close().await;
    tokio::time::timeout(Duration::from_secs(5), pool.close())
        .await
        .ok();
}
