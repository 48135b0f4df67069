//! Delivery benchmarks, not run by default (timings belong in benchmarks, not tests):
//! `cargo test --release --test e2e -- --ignored --nocapture bench_` (or
//! `bench/delivery.sh`, which writes their figure lines into `docs/delivery.md`).
//! Each prints one line of figures per case: rounds of 500 and 1,000 groups, with and
//! without a 429 storm or Discord's global limit, and bursts of joins.
//!
//! One small test here does run by default: a 60-group round paced under a 20/s global
//! limit, whose assertion is the count of 429s and delivered rows, not a time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;
use tempfile::TempDir;

use hallway::domain::ids::{ChannelId, GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::storage::Store;

use crate::helpers::{admin, choice, count, hallway};
use crate::rounds::member;
use crate::support::bot::{BotOptions, BotProcess};
use crate::support::config::{ids, FakeConfig};
use crate::support::failures::FailRule;
use crate::support::fake_discord::FakeDiscord;
use crate::support::interactions::InteractionHandle;
use crate::support::state::counts_against_global_limit;

/// Writes `members` peers (`member(1..=members)`, Europe/Berlin) and #mentoring as the
/// program channel straight into a new SQLite file, as if they had all joined.
pub async fn seed(db: &Path, members: usize) {
    let store = Store::open(
        &format!("sqlite://{}", db.display()),
        1,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    let program = store
        .programs_or_first(GuildId(ids::GUILD), now)
        .await
        .unwrap()
        .remove(0);
    store
        .set_channels(program.program_id, ChannelId(ids::MENTORING), None, now)
        .await
        .unwrap();
    for n in 1..=members {
        let change = ProfileChange {
            time_zone: Some(chrono_tz::Europe::Berlin),
            ..ProfileChange::role(Role::Peer)
        };
        store
            .join(
                &program,
                UserId(member(n)),
                &format!("member{n}"),
                &change,
                now,
            )
            .await
            .unwrap();
    }
    drop(store);
}

/// A bot on a seeded database, connected to its own fake, with its commands registered.
pub struct Seeded {
    // Field order is drop order: the bot goes before its fake and its files. Only kept
    // alive (dropping it kills the bot, printing its logs if the test is panicking).
    _bot: BotProcess,
    pub fake: FakeDiscord,
    pub db: PathBuf,
    _dir: TempDir,
}

impl Seeded {
    /// Seeds `members` members (see [`seed`]), then starts `fake` and the bot with the
    /// config file `settings` (empty: the defaults).
    pub async fn start(members: usize, fake: FakeConfig, settings: &str) -> Seeded {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hallway.db");
        seed(&db, members).await;
        let fake = FakeDiscord::start(fake).await;
        let config = dir.path().join("bench.toml");
        std::fs::write(&config, settings).unwrap();
        let options =
            BotOptions::new(&db).args(&["--config", &config.display().to_string(), "run"]);
        let bot = BotProcess::spawn(&fake, &options);
        fake.wait_until(Duration::from_secs(60), "commands registered", |f| {
            (f.command_registrations() >= 1).then_some(())
        })
        .await;
        fake.wait_for_live(Duration::from_secs(10)).await;
        Seeded {
            _bot: bot,
            fake,
            db,
            _dir: dir,
        }
    }

    /// A second connection to the bot's database.
    pub async fn pool(&self) -> SqlitePool {
        let options = SqliteConnectOptions::new()
            .filename(&self.db)
            .busy_timeout(Duration::from_secs(5));
        SqlitePool::connect_with(options).await.unwrap()
    }

    /// The calls that count against the global limit in the busiest second, with their
    /// times from the first of them: what to look at when a test sees a global 429.
    pub fn busiest_second(&self) -> String {
        let app = self.fake.config().app_id;
        let mut calls: Vec<_> = self
            .fake
            .requests()
            .into_iter()
            .filter(|r| counts_against_global_limit(&r.path, app))
            .collect();
        calls.sort_by_key(|r| r.received_at);
        let (mut start, mut best) = (0, (0, 0));
        for end in 0..calls.len() {
            while calls[end].received_at - calls[start].received_at >= Duration::from_secs(1) {
                start += 1;
            }
            if end - start + 1 > best.1 - best.0 {
                best = (start, end + 1);
            }
        }
        let Some(first) = calls.get(best.0).map(|r| r.received_at) else {
            return String::new();
        };
        calls[best.0..best.1]
            .iter()
            .map(|r| {
                format!(
                    "+{:>4} ms {} {} {}{}",
                    (r.received_at - first).as_millis(),
                    r.status,
                    r.method,
                    r.path,
                    if r.global_rate_limited {
                        " (global 429)"
                    } else {
                        ""
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the bot's start-up calls (the token check, the gateway URL, the
    /// application, the command registration) are more than a second old, so they are out
    /// of any one-second window a delivery started now could share. Its rate gate does not
    /// pace them. Re-checked at every change of the fake's state; the bot heartbeats every
    /// second.
    pub async fn wait_out_start_up_calls(&self) {
        self.fake
            .wait_until(
                Duration::from_secs(10),
                "a second without REST calls",
                |f| {
                    let last = f.requests().last().map(|r| r.received_at)?;
                    (last.elapsed() > Duration::from_secs(1)).then_some(())
                },
            )
            .await
    }

    /// REST calls from index `from` on that count against Discord's global limit.
    pub fn limited_calls_since(&self, from: usize) -> usize {
        let app = self.fake.config().app_id;
        self.fake.requests()[from..]
            .iter()
            .filter(|r| counts_against_global_limit(&r.path, app))
            .count()
    }
}

// ---- rounds ------------------------------------------------------------

/// What one round's delivery took.
struct Delivered {
    groups: usize,
    /// From dispatching match-now to the summary in #mentoring.
    took: Duration,
    calls: usize,
    intros_done: i64,
    global_429s: usize,
    max_per_second: usize,
}

/// Starts a round with match-now on a running bot and waits for its summary; the
/// summary goes out only once every intro has.
async fn deliver(env: &Seeded, timeout: Duration) -> Delivered {
    let before = env.fake.requests().len();
    let started = Instant::now();
    let handle = env.fake.slash(admin("match-now").by(ids::CORA)).await;
    let reply = env.fake.reply_to(&handle, Duration::from_secs(30)).await;
    assert!(
        reply.content.contains("Round 1 is matched"),
        "{}",
        reply.content
    );
    env.fake
        .wait_for_message(
            ids::MENTORING,
            |m| m.content.contains("**Round 1**"),
            timeout,
        )
        .await;
    let took = started.elapsed();
    let pool = env.pool().await;
    let intros_done = count(
        &pool,
        "select count(*) from outbox where kind = 'intro' and state = 'done'",
    )
    .await;
    let groups = count(&pool, "select count(*) from match_group").await as usize;
    Delivered {
        groups,
        took,
        calls: env.limited_calls_since(before),
        intros_done,
        global_429s: env.fake.global_rate_limited_count(),
        max_per_second: env.fake.max_requests_in_any_second(),
    }
}

/// The round of 500 groups the earlier benchmarks measured, with the REST calls per group.
async fn deliver_round(storm: Option<usize>, settings: &str) -> Delivered {
    const MEMBERS: usize = 1_000;
    let env = Seeded::start(
        MEMBERS,
        FakeConfig::default().with_generated_members(MEMBERS),
        settings,
    )
    .await;
    if let Some(n) = storm {
        env.fake.fail(
            FailRule::new("POST", "/channels/*/threads")
                .times(n / 2)
                .rate_limited(0.3),
        );
        env.fake.fail(
            FailRule::new("POST", "/channels/*/messages")
                .times(n / 2)
                .rate_limited(0.3),
        );
    }
    deliver(&env, Duration::from_secs(600)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release"]
async fn bench_deliver_a_1000_member_round() {
    let defaults = "";
    let d = deliver_round(None, defaults).await;
    println!(
        "figures: 1,000 members, no failures, default settings: {} groups, {} REST calls ({:.2} per group incl. the summary), summary after {:.2?}",
        d.groups,
        d.calls,
        d.calls as f64 / d.groups as f64,
        d.took
    );
    // A storm: 10 consecutive 429s on thread creation, then 10 on posting.
    let d = deliver_round(Some(20), defaults).await;
    println!(
        "figures: 1,000 members, 20 injected 429s (retry_after 0.3 s), default retry settings: {} groups, {} REST calls, summary after {:.2?}",
        d.groups, d.calls, d.took
    );
    let quick = "[delivery]\nfirst_wait_ms = 300\nmax_wait_ms = 2000\n";
    let d = deliver_round(Some(20), quick).await;
    println!(
        "figures: 1,000 members, 20 injected 429s, first wait 300 ms: {} groups, {} REST calls, summary after {:.2?}",
        d.groups, d.calls, d.took
    );
}

/// `2 * groups` peers against a fake that enforces `limit` requests a second. With
/// `right_after_start_up`, the round starts as soon as the bot is ready; otherwise once
/// its start-up calls are a second old.
async fn round_under_a_global_limit(
    groups: usize,
    limit: u32,
    settings: &str,
    right_after_start_up: bool,
) -> Delivered {
    let members = 2 * groups;
    let env = Seeded::start(
        members,
        FakeConfig::default()
            .with_generated_members(members)
            .global_rate_limit(limit),
        settings,
    )
    .await;
    if !right_after_start_up {
        env.wait_out_start_up_calls().await;
    }
    let d = deliver(&env, Duration::from_secs(900)).await;
    assert_eq!(d.groups, groups);
    if d.global_429s > 0 {
        println!("busiest second:\n{}", env.busiest_second());
    }
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release"]
async fn bench_a_1000_group_round_under_a_50_per_second_global_limit() {
    let d = round_under_a_global_limit(1_000, 50, "", true).await;
    println!(
        "figures: 1,000-group round (2,000 members), fake limited to 50/s, default settings (45/s): summary {:.1} s after match-now; {} global 429s; at most {} requests in any second; {} REST calls (ideal at 45/s: {:.1} s); {}/{} intros done",
        d.took.as_secs_f64(),
        d.global_429s,
        d.max_per_second,
        d.calls,
        d.calls as f64 / 45.0,
        d.intros_done,
        d.groups
    );
    assert_eq!(d.global_429s, 0, "the bot passed Discord's global limit");
    assert_eq!(d.intros_done, d.groups as i64);
}

/// Small enough for CI: 60 groups, paced at 18/s by the bot's config, against a fake that
/// answers a 21st request within a second with a global 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_paced_at_18_per_second_under_a_20_per_second_global_limit_gets_no_429_and_delivers_every_intro(
) {
    paced_round_gets_no_429(false).await;
}

/// The same round started right after start-up: the start-up calls (4) do not pass through
/// hallway's rate gate, which holds off for a second after them instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_started_right_after_start_up_stays_under_the_global_limit() {
    paced_round_gets_no_429(true).await;
}

async fn paced_round_gets_no_429(right_after_start_up: bool) {
    let settings = "[delivery]\nrequests_per_second = 18\n";
    let d = round_under_a_global_limit(60, 20, settings, right_after_start_up).await;
    println!(
        "figures: 60 groups at 18/s under a 20/s limit, started {}: {} global 429s, at most {} requests in any second, {} REST calls, {}/{} intros done, summary after {:.1?}",
        if right_after_start_up {
            "right after start-up"
        } else {
            "a second after start-up"
        },
        d.global_429s,
        d.max_per_second,
        d.calls,
        d.intros_done,
        d.groups,
        d.took
    );
    assert_eq!(d.global_429s, 0, "the bot passed the global limit");
    assert_eq!(d.intros_done, 60, "every group got its intro");
}

// ---- bursts of joins ---------------------------------------------------

/// Peers already in the database: the round's members.
const ROUND_MEMBERS: usize = 2_000;
const BURST: usize = 500;

struct Burst {
    single: Duration,
    /// Sorted.
    latencies: Vec<Duration>,
    stored: i64,
}

impl Burst {
    /// Nearest rank.
    fn percentile(&self, p: f64) -> Duration {
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn max(&self) -> Duration {
        *self.latencies.last().unwrap()
    }

    fn describe(&self, target: Duration) -> String {
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        let p99 = self.percentile(99.0);
        format!(
            "single join {}; burst min {}, p50 {}, p99 {}, max {}; {}/{BURST} stored; target p99 < {}: {}",
            ms(self.single),
            ms(self.latencies[0]),
            ms(self.percentile(50.0)),
            ms(p99),
            ms(self.max()),
            self.stored,
            ms(target),
            if p99 < target && self.stored == BURST as i64 {
                "met"
            } else {
                "missed"
            }
        )
    }
}

fn join_as(n: usize) -> crate::support::interactions::SlashInvocation {
    hallway("join").opt("role", choice::PEER).by(member(n))
}

/// One join by `member(first)`, then `BURST` joins by the next members, all dispatched at
/// once. Latency is from the moment each interaction was handed to the gateway to the
/// bot's callback (`callback_latency` counts from `prepare_slash`, which for the burst is
/// earlier).
async fn join_burst(env: &Seeded, first: usize) -> Burst {
    let fake = &env.fake;
    // The bot's first interaction pays for warming up (caches, database connections):
    // one profile look-up first, so the single join is like for like with the burst.
    let warm_up = fake.slash(hallway("profile").by(member(1))).await;
    fake.reply_to(&warm_up, Duration::from_secs(30)).await;
    let single = fake.slash(join_as(first)).await;
    let single = fake
        .wait_until(Duration::from_secs(30), "the single join's callback", |f| {
            f.callback_latency(&single)
        })
        .await;

    let prepared: Vec<_> = (first + 1..=first + BURST)
        .map(|n| fake.prepare_slash(&join_as(n)))
        .collect();
    let mut sent: Vec<(InteractionHandle, Instant)> = Vec::with_capacity(BURST);
    for (handle, payload) in prepared {
        let at = Instant::now();
        fake.dispatch("INTERACTION_CREATE", payload).await;
        sent.push((handle, at));
    }
    let mut pending: Vec<InteractionHandle> = sent.iter().map(|(h, _)| h.clone()).collect();
    fake.wait_until(Duration::from_secs(120), "every join's callback", |f| {
        pending.retain(|h| f.interaction(h).and_then(|r| r.callback_kind()).is_none());
        pending.is_empty().then_some(())
    })
    .await;
    // The fake records a call's answer before the call itself: wait for the records too.
    let callbacks: Vec<Duration> = fake
        .wait_until(Duration::from_secs(10), "every callback recorded", |f| {
            sent.iter()
                .map(|(h, _)| f.callback_latency(h))
                .collect::<Option<Vec<_>>>()
        })
        .await;
    let mut latencies: Vec<Duration> = sent
        .iter()
        .zip(callbacks)
        .map(|((h, at), latency)| {
            let prepared_at = fake.interaction(h).unwrap().dispatched_at;
            (prepared_at + latency).saturating_duration_since(*at)
        })
        .collect();
    latencies.sort();

    let pool = env.pool().await;
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from program_member where guild_id = ? and user_id between ? and ? and left_at is null",
    )
    .bind(ids::GUILD as i64)
    .bind(member(first + 1) as i64)
    .bind(member(first + BURST) as i64)
    .fetch_one(&pool)
    .await
    .unwrap();
    Burst {
        single,
        latencies,
        stored,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release"]
async fn bench_a_burst_of_500_joins_idle_and_during_a_1000_group_round() {
    let world = || {
        FakeConfig::default()
            .with_generated_members(ROUND_MEMBERS + 1 + BURST)
            .global_rate_limit(50)
    };

    let idle = Seeded::start(ROUND_MEMBERS, world(), "").await;
    let burst = join_burst(&idle, ROUND_MEMBERS + 1).await;
    println!(
        "figures: 500 joins at once, idle bot (2,000 members): {}",
        burst.describe(Duration::from_millis(250))
    );
    assert_eq!(burst.stored, BURST as i64, "every join was stored");
    drop(idle);

    let busy = Seeded::start(ROUND_MEMBERS, world(), "").await;
    let before = busy.fake.requests().len();
    let started = Instant::now();
    let handle = busy.fake.slash(admin("match-now").by(ids::CORA)).await;
    busy.fake.reply_to(&handle, Duration::from_secs(30)).await;
    busy.fake
        .wait_for_request(
            |r| {
                r.method == "POST"
                    && r.status == 200
                    && r.path.starts_with("/channels/")
                    && r.path.ends_with("/messages")
            },
            Duration::from_secs(30),
        )
        .await;
    let burst = join_burst(&busy, ROUND_MEMBERS + 1).await;
    let pool = busy.pool().await;
    let done = count(
        &pool,
        "select count(*) from outbox where kind = 'intro' and state = 'done'",
    )
    .await;
    println!(
        "figures: 500 joins at once, during a 1,000-group round under a 50/s limit (after its first intro): {}; {} global 429s; {done} intros done {:.1} s after match-now; {} REST calls so far",
        burst.describe(Duration::from_secs(1)),
        busy.fake.global_rate_limited_count(),
        started.elapsed().as_secs_f64(),
        busy.limited_calls_since(before),
    );
    assert_eq!(burst.stored, BURST as i64, "every join was stored");
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
        "figures: idle after connecting: VmRSS {} kB, VmHWM {} kB",
        field("VmRSS:"),
        field("VmHWM:")
    );
}
