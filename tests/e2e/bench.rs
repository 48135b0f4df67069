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

// ---- scale: thousands of servers due at once --------------------------

/// The scale benchmark's size: `HALLWAY_BENCH_SERVERS` servers (default 10,000), each
/// with `SCALE_MEMBERS` members.
fn scale_servers() -> usize {
    std::env::var("HALLWAY_BENCH_SERVERS")
        .ok()
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(10_000)
}

const SCALE_MEMBERS: usize = 20;

/// Rows per multi-row INSERT: 2,000 rows of at most 11 values stay under SQLite's 32,766
/// bound values (and PostgreSQL's 65,535).
const SEED_BATCH: usize = 2_000;

/// Writes `servers` generated servers (`ids::generated_guild(k)`, k from 1) straight into
/// the database at `url` (SQLite or PostgreSQL, migrated by `Store::open`), as if every
/// one had set up its program in #general with a weekly schedule whose slot (Monday 00:00
/// UTC) has passed, and `members` peers (`ids::generated_guild_member(k, m)`) had joined:
/// every server's round is due at once. Multi-row INSERTs, in one transaction per table.
pub async fn seed_scheduled_servers(url: &str, servers: usize, members: usize) {
    use chrono::TimeZone;
    use hallway::domain::program::DEFAULT_PROGRAM_NAME;
    use sqlx::QueryBuilder;

    let store = Store::open(url, 2, Duration::from_secs(30)).await.unwrap();
    let now = chrono::Utc::now();
    let anchor = chrono::Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let guilds: Vec<i64> = (1..=servers)
        .map(|k| ids::generated_guild(k) as i64)
        .collect();
    // Program k is server k's: explicit ids, so the members' rows can name them.
    let seats: Vec<(i64, i64, i64, String)> = (1..=servers)
        .flat_map(|k| {
            (1..=members).map(move |m| {
                (
                    k as i64,
                    ids::generated_guild(k) as i64,
                    ids::generated_guild_member(k, m) as i64,
                    format!("g{k}-m{m}"),
                )
            })
        })
        .collect();

    macro_rules! insert_all {
        ($pool:expr, $db:ty, $rows:expr, $head:expr, |$b:ident, $row:ident| $push:expr) => {{
            let mut tx = $pool.begin().await.unwrap();
            for chunk in $rows.chunks(SEED_BATCH) {
                let mut insert = QueryBuilder::<$db>::new($head);
                insert.push_values(chunk, |mut $b, $row| {
                    $push;
                });
                insert.build().execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }};
    }
    macro_rules! seed_on {
        ($pool:expr, $db:ty) => {{
            insert_all!($pool, $db, guilds, "insert into community (guild_id, created_at, updated_at) ", |b, g| {
                b.push_bind(*g).push_bind(now).push_bind(now)
            });
            let programs: Vec<(i64, i64, i64)> = (1..=servers)
                .map(|k| (k as i64, guilds[k - 1], ids::generated_guild_channel(k) as i64))
                .collect();
            insert_all!(
                $pool,
                $db,
                programs,
                "insert into program (program_id, guild_id, name, program_channel_id, cadence, weekday, hour, time_zone, schedule_anchor, created_at, updated_at) ",
                |b, p| b
                    .push_bind(p.0)
                    .push_bind(p.1)
                    .push_bind(DEFAULT_PROGRAM_NAME)
                    .push_bind(p.2)
                    .push_bind("weekly")
                    .push_bind(0_i64)
                    .push_bind(0_i64)
                    .push_bind("UTC")
                    .push_bind(anchor)
                    .push_bind(now)
                    .push_bind(now)
            );
            insert_all!(
                $pool,
                $db,
                seats,
                "insert into member (guild_id, user_id, display_name, time_zone, joined_at, updated_at) ",
                |b, s| b
                    .push_bind(s.1)
                    .push_bind(s.2)
                    .push_bind(s.3.as_str())
                    .push_bind("Europe/Berlin")
                    .push_bind(now)
                    .push_bind(now)
            );
            insert_all!(
                $pool,
                $db,
                seats,
                "insert into program_member (program_id, guild_id, user_id, role, joined_at, updated_at) ",
                |b, s| b
                    .push_bind(s.0)
                    .push_bind(s.1)
                    .push_bind(s.2)
                    .push_bind("peer")
                    .push_bind(now)
                    .push_bind(now)
            );
        }};
    }
    match store.pool() {
        hallway::storage::ByBackend::Sqlite(pool) => seed_on!(pool, sqlx::Sqlite),
        hallway::storage::ByBackend::Postgres(pool) => {
            seed_on!(pool, sqlx::Postgres);
            // The ids were given: the next program PostgreSQL numbers comes after them.
            sqlx::query(
                "select setval(pg_get_serial_sequence('program', 'program_id'), max(program_id)) from program",
            )
            .execute(pool)
            .await
            .unwrap();
        }
    }
    store.close().await;
}

/// A new empty PostgreSQL database on `HALLWAY_TEST_POSTGRES_URL`, or `None` (and one line
/// saying the benchmark was skipped).
async fn bench_postgres_database(label: &str) -> Option<String> {
    let Ok(server) = std::env::var("HALLWAY_TEST_POSTGRES_URL") else {
        eprintln!("skipped {label}: set HALLWAY_TEST_POSTGRES_URL to run it against PostgreSQL");
        return None;
    };
    let name = format!("hallway_bench_{label}_{}", std::process::id());
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
        .await
        .expect("connect to the test PostgreSQL server");
    for sql in [
        format!("drop database if exists {name}"),
        format!("create database {name}"),
    ] {
        sqlx::Executor::execute(&mut admin, sql.as_str())
            .await
            .unwrap();
    }
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

/// What one scale run measured.
struct Scale {
    servers: usize,
    processes: usize,
    backend: &'static str,
    shards: String,
    /// From spawning the bots until the first round was saved, and until every one was.
    first_round: Duration,
    all_rounds: Duration,
    /// REST calls that count against Discord's global limit, from the first delivery
    /// call until every round was saved, and their rate.
    delivery_calls: usize,
    delivery_rate: f64,
    /// The same over a minute after every round was saved (delivery goes on).
    after_calls: usize,
    after_rate: f64,
}

impl Scale {
    fn figures(&self) -> String {
        format!(
            "scale | {} | {} servers x {SCALE_MEMBERS} members | {} process{} ({}) | first round saved {:.1} s, all {} matched and saved {:.1} s after start | {:.1} REST calls/s while delivering ({} calls), {:.1}/s in the minute after ({} calls)",
            self.backend,
            self.servers,
            self.processes,
            if self.processes == 1 { "" } else { "es" },
            self.shards,
            self.first_round.as_secs_f64(),
            self.servers,
            self.all_rounds.as_secs_f64(),
            self.delivery_rate,
            self.delivery_calls,
            self.after_rate,
            self.after_calls,
        )
    }
}

/// Each process's `HALLWAY_SHARDS`: the total is what the fake's `GET /gateway/bot`
/// recommends (one shard per 1,000 servers, under Discord's 2,500), at least one per
/// process, split into equal ranges.
fn shard_ranges(recommended: u32, processes: u32) -> Vec<Option<String>> {
    let total = recommended.max(processes);
    if total == 1 {
        return vec![None];
    }
    let per = total.div_ceil(processes);
    (0..processes)
        .map(|p| {
            let first = p * per;
            let last = ((p + 1) * per).min(total) - 1;
            Some(format!("{first}-{last}/{total}"))
        })
        .collect()
}

/// Seeds `servers` due servers on `url`, starts `processes` bots on it against one fake
/// with those servers, and waits until every round is matched and saved.
async fn scale_run(url: &str, backend: &'static str, servers: usize, processes: u32) -> Scale {
    let seeding = Instant::now();
    seed_scheduled_servers(url, servers, SCALE_MEMBERS).await;
    println!(
        "seeded {servers} servers of {SCALE_MEMBERS} members on {backend} in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let fake =
        FakeDiscord::start(FakeConfig::empty().with_generated_guilds(servers, SCALE_MEMBERS)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scale.toml");
    std::fs::write(&config, "[scheduler]\ntick_seconds = 1\n").unwrap();
    let config = config.display().to_string();
    let ranges = shard_ranges(fake.config().recommended_shard_count(), processes);
    let shards = ranges
        .iter()
        .map(|r| r.clone().unwrap_or_else(|| "one shard".into()))
        .collect::<Vec<_>>()
        .join(" and ");
    let started = Instant::now();
    let mut bots = Vec::new();
    for (n, range) in ranges.iter().enumerate() {
        let mut options = BotOptions::with_database(url)
            .args(&["--config", &config, "run"])
            .label(&format!("bot {n}"));
        options.log_filter = "warn,hallway=info".into();
        if let Some(range) = range {
            options = options.shards(range);
        }
        bots.push(BotProcess::spawn(&fake, &options));
    }
    let store = Store::open(url, 1, Duration::from_secs(30)).await.unwrap();
    let saved = || async {
        hallway::on_backend!(store.pool(), pool => sqlx::query_scalar::<_, i64>(
            "select count(*) from round where state in ('matched', 'delivered')"
        )
        .fetch_one(pool)
        .await)
        .unwrap() as usize
    };
    let timeout = Duration::from_secs(4 * 3600);
    let mut first_round = None;
    loop {
        let n = saved().await;
        if n > 0 && first_round.is_none() {
            first_round = Some(started.elapsed());
        }
        if n >= servers {
            break;
        }
        assert!(
            started.elapsed() < timeout,
            "{n}/{servers} rounds saved after {timeout:?}"
        );
        for bot in &mut bots {
            assert!(
                bot.try_status().is_none(),
                "{} exited:\n{}",
                bot.label(),
                bot.logs()
            );
        }
        // A benchmark's progress poll, not a wait for something not to happen.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_rounds = started.elapsed();
    let done_at = Instant::now();
    // Delivery goes on: a minute of it, for the rate once matching is over.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let app = fake.config().app_id;
    let calls: Vec<Instant> = fake
        .requests()
        .into_iter()
        .filter(|r| counts_against_global_limit(&r.path, app) && r.path.starts_with("/channels/"))
        .map(|r| r.received_at)
        .collect();
    let first_delivery = calls.iter().min().copied().unwrap_or(done_at);
    let during = calls.iter().filter(|t| **t <= done_at).count();
    let after = calls.len() - during;
    let span = done_at
        .saturating_duration_since(first_delivery)
        .as_secs_f64();
    let total = saved().await;
    assert_eq!(total, servers, "one round per server, none twice");
    store.close().await;
    drop(bots);
    Scale {
        servers,
        processes: ranges.len(),
        backend,
        shards,
        first_round: first_round.unwrap_or(all_rounds),
        all_rounds,
        delivery_calls: during,
        delivery_rate: if span > 0.0 {
            during as f64 / span
        } else {
            0.0
        },
        after_calls: after,
        after_rate: after as f64 / 60.0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release (bench/scale.sh)"]
async fn bench_scale_one_process_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("scale.db").display());
    let scale = scale_run(&url, "sqlite", scale_servers(), 1).await;
    println!("figures: {}", scale.figures());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release (bench/scale.sh)"]
async fn bench_scale_two_processes_on_postgres() {
    let Some(url) = bench_postgres_database("scale").await else {
        return;
    };
    let scale = scale_run(&url, "postgres", scale_servers(), 2).await;
    println!("figures: {}", scale.figures());
}

#[test]
fn the_scale_benchmarks_shard_ranges_split_the_recommended_total_between_the_processes() {
    assert_eq!(shard_ranges(1, 1), vec![None]);
    assert_eq!(
        shard_ranges(1, 2),
        vec![Some("0-0/2".to_string()), Some("1-1/2".to_string())]
    );
    assert_eq!(
        shard_ranges(10, 2),
        vec![Some("0-4/10".to_string()), Some("5-9/10".to_string())]
    );
    assert_eq!(shard_ranges(10, 1), vec![Some("0-9/10".to_string())]);
}

/// How long `hallway migrate-to` takes to copy a SQLite database of
/// `HALLWAY_BENCH_SERVERS` servers (default 10,000) of 20 members, with no rounds yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --release (bench/scale.sh)"]
async fn bench_scale_migrate_to_postgres() {
    let Some(target) = bench_postgres_database("migrate").await else {
        return;
    };
    let servers = scale_servers();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("scale.db").display());
    seed_scheduled_servers(&url, servers, SCALE_MEMBERS).await;
    let started = Instant::now();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_hallway"))
        .args(["migrate-to", &target])
        .env("DATABASE_URL", &url)
        .env_remove("DISCORD_TOKEN")
        .output()
        .await
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copied = stdout
        .lines()
        .find(|l| l.starts_with("copied "))
        .unwrap_or_default()
        .to_string();
    println!(
        "figures: migrate-to | {servers} servers x {SCALE_MEMBERS} members | {:.1} s | {copied}",
        took.as_secs_f64()
    );
}
