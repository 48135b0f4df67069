//! Two `hallway` processes on disjoint shard ranges (`0-1/4` and `2-3/4`), one
//! PostgreSQL database and one fake Discord with eight servers, every one with a round
//! due: each round runs once and each group gets one thread; after a `kill -9` in the
//! middle of a delivery the other process takes the dead one's servers over once their
//! leases expire and finishes with nothing lost or doubled; a process paused (SIGSTOP)
//! past its lease and resumed after the other took over writes nothing more.
//!
//! These run only when `HALLWAY_TEST_POSTGRES_URL` names a PostgreSQL server (each test
//! makes its own database there); otherwise each prints one line saying it was skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;
use tempfile::TempDir;

use hallway::domain::ids::{ChannelId, GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::{Cadence, Schedule};
use hallway::storage::Store;

use crate::support::bot::{BotOptions, BotProcess};
use crate::support::config::{ids, FakeConfig};
use crate::support::failures::FailRule;
use crate::support::fake_discord::FakeDiscord;

const SERVERS: usize = 8;
const MEMBERS: usize = 4;
/// The lease the processes run with: short, so that a takeover happens within the test.
const LEASE_SECONDS: u64 = 3;
const LONG: Duration = Duration::from_secs(90);

/// The PostgreSQL server to make the test's database on, or `None` (printing why).
fn postgres_server(test: &str) -> Option<String> {
    match std::env::var("HALLWAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped {test}: set HALLWAY_TEST_POSTGRES_URL (two processes need PostgreSQL)"
            );
            None
        }
    }
}

/// A new empty database on `server`, for one test.
async fn fresh_database(server: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "hallway_e2e_multi_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

fn guild(k: usize) -> GuildId {
    GuildId(ids::generated_guild(k))
}

/// Every server with a program in its #general, four peers, and a weekly schedule set
/// eight days ago: a round is due in each as soon as a process holds its lease.
async fn seed(url: &str) {
    let store = Store::open(url, 2, Duration::from_secs(5)).await.unwrap();
    let now = Utc::now();
    let schedule = Schedule {
        cadence: Cadence::Weekly,
        weekday: chrono::Weekday::Mon,
        hour: 9,
        time_zone: chrono_tz::UTC,
    };
    for k in 1..=SERVERS {
        let program = store
            .programs_or_first(guild(k), now)
            .await
            .unwrap()
            .remove(0);
        store
            .set_channels(
                program.program_id,
                ChannelId(ids::generated_guild_channel(k)),
                None,
                now,
            )
            .await
            .unwrap();
        for m in 1..=MEMBERS {
            let change = ProfileChange {
                time_zone: Some(chrono_tz::Europe::Berlin),
                ..ProfileChange::role(Role::Peer)
            };
            store
                .join(
                    &program,
                    UserId(ids::generated_guild_member(k, m)),
                    &format!("g{k}-m{m}"),
                    &change,
                    now,
                )
                .await
                .unwrap();
        }
        store
            .set_schedule(
                program.program_id,
                &schedule,
                now - chrono::Duration::days(8),
            )
            .await
            .unwrap();
    }
    store.close().await;
}

/// Two processes on one database and one fake, the test's own view of the database, and
/// the config file they share.
struct Cluster {
    // Field order is drop order: the bots go before the fake and the files.
    bots: Vec<BotProcess>,
    fake: FakeDiscord,
    db: PgPool,
    _dir: TempDir,
}

impl Cluster {
    /// Seeds a new database on `server`, starts the fake (with `rules` in place), then
    /// process A on shards 0-1 of 4 and process B on shards 2-3.
    async fn start(server: &str, rules: Vec<FailRule>) -> Cluster {
        let url = fresh_database(server).await;
        seed(&url).await;
        let fake =
            FakeDiscord::start(FakeConfig::default().with_generated_guilds(SERVERS, MEMBERS)).await;
        for rule in rules {
            fake.fail(rule);
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("leases.toml");
        std::fs::write(
            &config,
            format!("[scheduler]\ntick_seconds = 1\nlease_seconds = {LEASE_SECONDS}\n"),
        )
        .unwrap();
        let config = config.display().to_string();
        let mut bots = Vec::new();
        for (label, shards, live) in [
            ("A", "0-1/4", [(0, 4), (1, 4)]),
            ("B", "2-3/4", [(2, 4), (3, 4)]),
        ] {
            let options = BotOptions::with_database(&url)
                .shards(shards)
                .label(label)
                .args(&["--config", &config, "run"]);
            let mut bot = BotProcess::spawn(&fake, &options);
            bot.wait_for_shards(&fake, &live, LONG).await;
            bots.push(bot);
        }
        let db = PgPool::connect(&url).await.unwrap();
        Cluster {
            bots,
            fake,
            db,
            _dir: dir,
        }
    }

    /// The process whose run holds `guild`'s lease now (its holder names its pid).
    async fn holder_of(&self, guild: GuildId) -> Option<usize> {
        let holder: Option<String> =
            sqlx::query_scalar("select holder from server_lease where guild_id = $1")
                .bind(guild.0 as i64)
                .fetch_optional(&self.db)
                .await
                .unwrap();
        let pid = holder?.split(':').nth(1)?.parse::<u32>().ok()?;
        self.bots.iter().position(|b| b.pid() == Some(pid))
    }

    /// Waits until every intro and every summary is done; fails on any failed row.
    async fn wait_for_every_delivery(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let (groups, intros, summaries, failed): (i64, i64, i64, i64) = sqlx::query_as(
                "select (select count(*) from match_group),
                        (select count(*) from outbox where kind = 'intro' and state = 'done'),
                        (select count(*) from outbox where kind = 'summary' and state = 'done'),
                        (select count(*) from outbox where state = 'failed')",
            )
            .fetch_one(&self.db)
            .await
            .unwrap();
            assert_eq!(failed, 0, "no row failed:\n{}", self.logs());
            if groups > 0 && intros == groups && summaries == SERVERS as i64 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not every round was delivered within {timeout:?}: {groups} groups, {intros} intros, \
                 {summaries} summaries\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn logs(&self) -> String {
        self.bots
            .iter()
            .map(|b| format!("--- {} ---\n{}", b.label(), b.logs()))
            .collect()
    }

    /// Each server's round ran once, and each group has exactly one thread with exactly
    /// one intro in it; each server's summary was posted once.
    async fn assert_exactly_once(&self) {
        let rounds: Vec<(i64, i64)> = sqlx::query_as(
            "select guild_id, count(*) from round group by guild_id order by guild_id",
        )
        .fetch_all(&self.db)
        .await
        .unwrap();
        let expected: Vec<(i64, i64)> = {
            let mut g: Vec<i64> = (1..=SERVERS).map(|k| guild(k).0 as i64).collect();
            g.sort();
            g.into_iter().map(|g| (g, 1)).collect()
        };
        assert_eq!(rounds, expected, "one round per server");
        let groups: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "select g.guild_id, g.group_id, g.thread_id from match_group g order by g.group_id",
        )
        .fetch_all(&self.db)
        .await
        .unwrap();
        assert!(groups.len() >= SERVERS, "{groups:?}");
        let threads = self.fake.threads();
        let mut per_guild: BTreeMap<u64, usize> = BTreeMap::new();
        for t in &threads {
            *per_guild.entry(t.guild_id.unwrap_or(0)).or_default() += 1;
        }
        let mut groups_per_guild: BTreeMap<u64, usize> = BTreeMap::new();
        let mut thread_ids = BTreeSet::new();
        for (guild_id, group_id, thread) in &groups {
            *groups_per_guild.entry(*guild_id as u64).or_default() += 1;
            let thread = thread.unwrap_or_else(|| panic!("group {group_id} has a thread"));
            assert!(
                thread_ids.insert(thread),
                "group {group_id} shares a thread"
            );
            let intros = self.fake.messages_in(thread as u64).len();
            assert_eq!(
                intros, 1,
                "group {group_id}'s thread has one message, its intro"
            );
        }
        assert_eq!(
            per_guild, groups_per_guild,
            "one thread per group in every server, no more"
        );
        for k in 1..=SERVERS {
            let summaries = self
                .fake
                .messages_in(ids::generated_guild_channel(k))
                .into_iter()
                .filter(|m| m.content.contains("**Round 1**"))
                .count();
            assert_eq!(summaries, 1, "server {k}'s summary posted once");
        }
    }

    /// Every row the processes write for the servers' work, without the lease expiries
    /// the holder's renewals move: what must not change after a process lost its leases.
    async fn snapshot(&self) -> Vec<String> {
        sqlx::query_scalar(
            "select 'outbox ' || outbox_id || ' ' || state || ' ' || attempts || ' ' || failures || ' '
                    || due_at || ' ' || coalesce(channel_id::text, '-') || ' ' || coalesce(message_id::text, '-')
             from outbox
             union all
             select 'group ' || group_id || ' ' || coalesce(thread_id::text, '-') || ' '
                    || coalesce(intro_message_id::text, '-') || ' ' || coalesce(delivered_via, '-')
             from match_group
             union all
             select 'round ' || round_id || ' ' || state from round
             union all
             select 'lease ' || guild_id || ' ' || holder || ' ' || epoch from server_lease
             order by 1",
        )
        .fetch_all(&self.db)
        .await
        .unwrap()
    }
}

/// The server whose intro thread the fake was asked for first (the one held up by the
/// rule), once it exists.
async fn first_thread_guild(fake: &FakeDiscord) -> GuildId {
    let thread = fake
        .wait_until(LONG, "a first thread", |f| f.threads().into_iter().next())
        .await;
    GuildId(thread.guild_id.expect("a thread in a server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_run_each_servers_round_once_and_give_each_group_one_thread() {
    let Some(server) = postgres_server("two_processes_run_each_servers_round_once") else {
        return;
    };
    let cluster = Cluster::start(&server, Vec::new()).await;
    cluster.wait_for_every_delivery(LONG).await;
    cluster.assert_exactly_once().await;
    // The work was shared: each process holds the leases of its own shards' servers.
    for k in 1..=SERVERS {
        let shard = (guild(k).0 >> 22) % 4;
        let expected = if shard <= 1 { 0 } else { 1 };
        assert_eq!(
            cluster.holder_of(guild(k)).await,
            Some(expected),
            "server {k} (shard {shard}) is leased by its own shard's process\n{}",
            cluster.logs()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_mid_delivery_the_other_process_takes_over_and_nothing_is_lost_or_doubled() {
    let Some(server) = postgres_server("after_kill_9_mid_delivery") else {
        return;
    };
    // The first thread is made at once, but its answer comes late: a process killed while
    // it waits has reached Discord without knowing it.
    let held_up = FailRule::new("POST", "/channels/*/threads")
        .times(1)
        .act_then_delay(Duration::from_secs(30));
    let mut cluster = Cluster::start(&server, vec![held_up]).await;
    let victim_guild = first_thread_guild(&cluster.fake).await;
    let victim = cluster
        .holder_of(victim_guild)
        .await
        .expect("the server's lease is held by one of the two");
    let survivor = 1 - victim;
    let victim_pid = cluster.bots[victim].pid().unwrap();
    cluster.bots[victim].kill_9().await;
    let killed = Instant::now();

    // The survivor takes the dead process's servers once their leases expire.
    let taken_over = loop {
        if cluster.holder_of(victim_guild).await == Some(survivor) {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < LONG,
            "no takeover of {victim_guild} after kill -9 of pid {victim_pid}\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    cluster.wait_for_every_delivery(LONG).await;
    let finished = killed.elapsed();
    println!(
        "failover: kill -9 at t=0; lease of server {victim_guild} taken over at {:.2} s \
         (lease {LEASE_SECONDS} s); every round delivered at {:.2} s",
        taken_over.as_secs_f64(),
        finished.as_secs_f64()
    );
    cluster.assert_exactly_once().await;
    for k in 1..=SERVERS {
        assert_eq!(
            cluster.holder_of(guild(k)).await,
            Some(survivor),
            "server {k}: every server is the survivor's now"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_paused_past_its_lease_writes_nothing_after_it_resumes() {
    let Some(server) = postgres_server("a_process_paused_past_its_lease") else {
        return;
    };
    // The first thread is made at once and answered 5 s later: while its process is
    // stopped, so the answer waits for it to resume.
    let held_up = FailRule::new("POST", "/channels/*/threads")
        .times(1)
        .act_then_delay(Duration::from_secs(5));
    let cluster = Cluster::start(&server, vec![held_up]).await;
    let paused_guild = first_thread_guild(&cluster.fake).await;
    let paused = cluster
        .holder_of(paused_guild)
        .await
        .expect("the server's lease is held by one of the two");
    let other = 1 - paused;
    cluster.bots[paused].pause().await;

    // The other process takes every server over and finishes everything, the held-up
    // group included (it finds the thread the paused one had asked for).
    let paused_at = Instant::now();
    for k in 1..=SERVERS {
        while cluster.holder_of(guild(k)).await != Some(other) {
            assert!(
                paused_at.elapsed() < LONG,
                "server {k} not taken over\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    cluster.wait_for_every_delivery(LONG).await;
    cluster.assert_exactly_once().await;
    let before = cluster.snapshot().await;
    let calls = cluster.fake.requests().len();
    let logged = cluster.bots[paused].logs().len();

    cluster.bots[paused].resume().await;
    // What the resumed process does first: its lease loop finds every lease lost. Then
    // scheduler passes of its own, after which nothing it did may show.
    let resumed = &cluster.bots[paused];
    resumed
        .wait_for_log("leases lost to another process", LONG)
        .await;
    let passes_at_resume = resumed.logs()[logged..]
        .matches("scheduler pass done")
        .count();
    let deadline = Instant::now() + LONG;
    while resumed.logs()[logged..]
        .matches("scheduler pass done")
        .count()
        <= passes_at_resume + 1
    {
        assert!(
            Instant::now() < deadline,
            "no scheduler pass after resuming\n{}",
            resumed.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(
        cluster.snapshot().await,
        before,
        "no row changed after the resume"
    );
    let after: Vec<String> = cluster.fake.requests()[calls..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        after.is_empty(),
        "no call to Discord after the resume: {after:?}"
    );
    cluster.assert_exactly_once().await;
}

/// SIGTERM on one process (SQLite, so it runs everywhere): the scheduler stops claiming,
/// finishes what it has, and releases its lease, so the next process need not wait for
/// it to expire.
#[tokio::test]
async fn on_sigterm_the_scheduler_releases_its_leases_before_the_process_exits() {
    use crate::helpers::{choice, hallway, run};
    use crate::support::bot::TestEnv;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("leases.toml");
    std::fs::write(
        &config,
        "[scheduler]\ntick_seconds = 0.2\nlease_seconds = 3\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let mut env = TestEnv::start_on_sqlite_with(FakeConfig::default(), |o| {
        o.args(&["--config", &config, "run"])
    })
    .await;
    // A first command makes the server known; its lease is taken on the next pass.
    run(&env, hallway("join").opt("role", choice::PEER)).await;
    env.bot.wait_for_log("lease acquired", LONG).await;
    env.bot.terminate();
    let status = env.bot.wait_exit(LONG).await;
    assert!(status.success(), "{status}\n{}", env.bot.logs());
    let logs = env.bot.logs();
    assert!(logs.contains("leases released"), "{logs}");
    let pool = crate::helpers::sqlite_db(&env).await;
    let (epoch, expired): (i64, bool) =
        sqlx::query_as("select epoch, julianday(expires_at) <= julianday('now') from server_lease")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(epoch, 1);
    assert!(
        expired,
        "the lease was released, not left to run out\n{logs}"
    );
}
