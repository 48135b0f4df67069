//! The round a user waits for, end to end on the suite's backend (a SQLite file, or
//! PostgreSQL with `HALLWAY_TEST_BACKEND=postgres`): from "due" to the groups and
//! the outbox saved (load the members, the do-not-match lists and the history, match,
//! save). Ignored benchmarks, run one at a time by `bench/round.sh` on a release build;
//! each prints one `round-bench:` line.
//!
//! Each size has 52 rounds of open pairs already saved through `create_round`, with a
//! prompt per group and a few do-not-match pairs. Then rounds run alternately warm (the
//! store kept the history since its last round) and cold (a fresh `Store::open` on the
//! file, as after a restart). Figures are medians over the measured rounds.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::round::{NewRound, Trigger};
use hallway::on_backend;
use hallway::rounds;
use hallway::storage::{Backend, Store};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{at, first_program};

const GUILD: GuildId = GuildId(1);
/// Rounds of history saved before the measured ones: a year of weekly rounds.
pub const HISTORY_ROUNDS: u32 = 52;
/// Do-not-match pairs in the server.
const AVOID_PAIRS: u64 = 20;

/// Members `1..=n` join the program as peers: the first through `Store::join`, the rest
/// as copies of its rows (joining 100,000 one transaction at a time takes minutes and is
/// not what is measured).
pub async fn seed_members(store: &Store, program: &Program, n: u64) {
    store
        .join(
            program,
            UserId(1),
            "user 1",
            &ProfileChange::role(Role::Peer),
            at(1, 9),
        )
        .await
        .unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    let columns_sql = match store.backend() {
        Backend::Sqlite => "select name from pragma_table_info($1)",
        Backend::Postgres => {
            "select column_name::text from information_schema.columns
             where table_schema = current_schema() and table_name = $1
             order by ordinal_position"
        }
    };
    // Every column copied from member 1's rows, but the id (and the display name).
    for (table, key, key_value) in [
        ("member", "guild_id", GUILD.get() as i64),
        ("program_member", "program_id", program.program_id.get()),
    ] {
        let columns: Vec<String> = on_backend!(tx.conn(), conn => sqlx::query_scalar(columns_sql)
            .bind(table)
            .fetch_all(conn)
            .await)
        .unwrap();
        let values: Vec<String> = columns
            .iter()
            .map(|c| match c.as_str() {
                "user_id" => "x".to_string(),
                "display_name" => "'user ' || x".to_string(),
                other => format!("t.{other}"),
            })
            .collect();
        let sql = format!(
            "with recursive seq(x) as (select cast(2 as bigint) union all
                                       select x + 1 from seq where x < $1)
             insert into {table} ({}) select {} from {table} t, seq
             where t.{key} = $2 and t.user_id = 1",
            columns.join(", "),
            values.join(", ")
        );
        on_backend!(tx.conn(), conn => sqlx::query(&sql)
            .bind(n as i64)
            .bind(key_value)
            .execute(conn)
            .await
            .map(|_| ()))
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A few do-not-match pairs, spread over the members.
async fn seed_avoid(store: &Store, n: u64) -> Vec<(u64, u64)> {
    let mut pairs = Vec::new();
    for k in 0..AVOID_PAIRS.min(n / 4) {
        let (a, b) = (1 + 2 * k * (n / (2 * AVOID_PAIRS)).max(1), 2 + 2 * k);
        if a != b && a <= n && b <= n {
            store
                .avoid(GUILD, UserId(a), UserId(b), at(1, 10))
                .await
                .unwrap();
            pairs.push((a, b));
        }
    }
    pairs
}

/// A round of random pairs of members `1..=n` (a trio when n is odd), none of them a
/// do-not-match pair, each group with a built-in prompt.
pub fn random_pairs(
    program: &Program,
    n: u64,
    avoid: &[(u64, u64)],
    when: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> NewRound {
    let mut ids: Vec<u64> = (1..=n).collect();
    ids.shuffle(rng);
    let avoided = |a: u64, b: u64| {
        avoid
            .iter()
            .any(|&(x, y)| (x, y) == (a, b) || (x, y) == (b, a))
    };
    // An avoided pair swaps its second member with the next pair's.
    let mut k = 0;
    while k + 3 < ids.len() {
        if avoided(ids[k], ids[k + 1]) {
            ids.swap(k + 1, k + 3);
        }
        k += 2;
    }
    let mut groups: Vec<Vec<u64>> = ids.chunks(2).map(<[u64]>::to_vec).collect();
    if groups.len() > 1 && groups.last().is_some_and(|g| g.len() == 1) {
        let last = groups.pop().unwrap();
        groups.last_mut().unwrap().extend(last);
    }
    let mut round = crate::peer_round(
        program,
        when,
        &groups.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    );
    for (g, group) in round.groups.iter_mut().enumerate() {
        group.prompt_key = Some(format!(
            "b{}",
            (g as u64 * 7 + when.timestamp() as u64) % 120
        ));
    }
    round
}

fn week(k: u32) -> DateTime<Utc> {
    at(2, 9) + chrono::Duration::weeks(k.into())
}

fn rss_peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Resets the process's peak resident memory to what it holds now.
fn reset_rss_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("write /proc/self/clear_refs");
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let m = values.len() / 2;
    if values.len() % 2 == 1 {
        values[m]
    } else {
        (values[m - 1] + values[m]) / 2.0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timed {
    whole: f64,
    load: f64,
    plan: f64,
    save: f64,
}

/// One round as `rounds::plan_for` then `rounds::save_round` run it, with the load, the
/// engine's `plan` call and the save timed apart.
async fn one_round(store: &Store, program: &Program, due: DateTime<Utc>, seed: u64) -> Timed {
    let started = Instant::now();
    let input = store
        .matching_input(program.guild_id, program.program_id, due)
        .await
        .unwrap();
    let not_a_fit = store.fit_soft_avoids(program.program_id).await.unwrap();
    let custom = store
        .custom_prompts(program.program_id, false)
        .await
        .unwrap();
    let loaded = started.elapsed();
    let planning = Instant::now();
    let plan = rounds::plan(program, &input, &not_a_fit, &custom, due, seed);
    let planned = planning.elapsed();
    drop(input);
    let saving = Instant::now();
    let saved = rounds::save_round(store, program, &plan, Trigger::Manual, due, due, None)
        .await
        .unwrap();
    let save = saving.elapsed();
    assert!(saved.is_some(), "the round is saved");
    Timed {
        whole: ms(started.elapsed()),
        load: ms(loaded),
        plan: ms(planned),
        save: ms(save),
    }
}

async fn bench(n: u64, measured: usize) {
    let dir = tempfile::tempdir().unwrap();
    // The suite's backend: a SQLite file, or a new PostgreSQL database.
    let url = crate::fresh_database_url(dir.path()).await;
    // ROUND_BENCH_KEEP=1 keeps the SQLite file (PostgreSQL's database stays anyway), to
    // look at its query plans afterwards.
    if std::env::var_os("ROUND_BENCH_KEEP").is_some() {
        println!("round-bench database: {url}");
        let _ = dir.keep();
    }
    let open = || Store::open(&url, 4, Duration::from_secs(30));
    let store = open().await.unwrap();
    let program = first_program(&store, GUILD).await;
    let seeding = Instant::now();
    seed_members(&store, &program, n).await;
    let avoid = seed_avoid(&store, n).await;
    let mut rng = ChaCha8Rng::seed_from_u64(n);
    for k in 0..HISTORY_ROUNDS {
        let round = random_pairs(&program, n, &avoid, week(k), &mut rng);
        store.create_round(&round).await.unwrap().expect("saved");
    }
    let seeded = seeding.elapsed();
    drop(store);

    let mut warm = Vec::new();
    let mut cold = Vec::new();
    let (mut peak_warm, mut peak_cold) = (0f64, 0f64);
    let mut k = HISTORY_ROUNDS;
    let mut store = open().await.unwrap();
    // The first round after seeding loads the history; it is not measured.
    one_round(&store, &program, week(k), u64::from(k)).await;
    k += 1;
    for _ in 0..measured {
        reset_rss_peak();
        warm.push(one_round(&store, &program, week(k), u64::from(k)).await);
        peak_warm = peak_warm.max(rss_peak_mb());
        k += 1;
        drop(store);
        store = open().await.unwrap();
        reset_rss_peak();
        cold.push(one_round(&store, &program, week(k), u64::from(k)).await);
        peak_cold = peak_cold.max(rss_peak_mb());
        k += 1;
    }
    let m = |rounds: &[Timed], f: fn(&Timed) -> f64| median(rounds.iter().map(f).collect());
    println!(
        "round-bench: backend={} members={n} history_rounds={HISTORY_ROUNDS} measured={measured} \
         warm_ms={:.1} cold_ms={:.1} plan_ms={:.1} save_ms={:.1} load_warm_ms={:.1} \
         load_cold_ms={:.1} peak_warm_mb={peak_warm:.0} peak_cold_mb={peak_cold:.0} \
         seed_s={:.0}",
        crate::test_backend().name(),
        m(&warm, |t| t.whole),
        m(&cold, |t| t.whole),
        m(&warm, |t| t.plan),
        m(&warm, |t| t.save),
        m(&warm, |t| t.load),
        m(&cold, |t| t.load),
        seeded.as_secs_f64(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: bench/round.sh runs it on a release build"]
async fn round_bench_1000_members() {
    bench(1_000, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: bench/round.sh runs it on a release build"]
async fn round_bench_10000_members() {
    bench(10_000, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: bench/round.sh runs it on a release build"]
async fn round_bench_100000_members() {
    bench(100_000, 3).await;
}
