//! The process's metrics: one Prometheus recorder per process, every metric hallway
//! records described here (so `/metrics` has a HELP line for each), and the outbox
//! gauges this module samples from the database.
//!
//! Until [`install_metrics`] runs (the listener is off), the `metrics` macros elsewhere
//! record nothing and cost next to nothing.

use std::sync::OnceLock;
use std::time::Duration;

use chrono::Utc;
use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::storage::Store;

// The names, in one place. src/rounds.rs, src/delivery/send.rs and the gateway cannot
// use this module (see .ci/check-layers), so they spell them out; the e2e test reads
// each one back from /metrics.

/// Gauge: outbox rows not yet sent (nor given up), including those due later.
pub const OUTBOX_DEPTH: &str = "hallway_outbox_depth";
/// Gauge: how long the oldest unsent row that is due has been due, in seconds.
pub const OUTBOX_OLDEST_AGE: &str = "hallway_outbox_oldest_age_seconds";
/// Counter, label `scope` (global, route): Discord answered 429.
pub const DISCORD_RATE_LIMITED: &str = "hallway_discord_rate_limited_total";
/// Counter, label `outcome` (ok, rate_limited, failed, refused): REST calls made for
/// deliveries.
pub const DISCORD_REQUESTS: &str = "hallway_discord_requests_total";
/// Counter, label `outcome` (sent, retry, gave_up): what became of a try at an outbox row.
pub const DELIVERIES: &str = "hallway_deliveries_total";
/// Histogram: a scheduled round, from its start to its groups and outbox saved.
pub const ROUND_DURATION: &str = "hallway_round_duration_seconds";
/// Counter, label `outcome` (started, already_ran, failed): rounds tried.
pub const ROUNDS: &str = "hallway_rounds_total";
/// Gauge (the gateway records it): this process's connected shards.
pub const SHARDS_CONNECTED: &str = "hallway_shards_connected";
/// Label `shard` (the gateway records it): the shard's heartbeat latency.
pub const SHARD_LATENCY: &str = "hallway_shard_latency_seconds";
/// Counter, label `kind` (the gateway records it): interactions answered.
pub const INTERACTIONS: &str = "hallway_interactions_total";
/// Gauge (the lease loop records it): server leases this process holds.
pub const LEASES_HELD: &str = "hallway_leases_held";
/// Counter (the lease loop records it): leases this process lost to another.
pub const LEASE_LOST: &str = "hallway_lease_lost_total";

/// Every label value of hallway's own counters, registered at 0 when the recorder is
/// installed: a rate over a counter that appears only at its first event misses it.
const COUNTERS_AT_ZERO: &[(&str, &str, &[&str])] = &[
    (DISCORD_RATE_LIMITED, "scope", &["global", "route"]),
    (
        DISCORD_REQUESTS,
        "outcome",
        &["ok", "rate_limited", "failed", "refused"],
    ),
    (DELIVERIES, "outcome", &["sent", "retry", "gave_up"]),
    (ROUNDS, "outcome", &["started", "already_ran", "failed"]),
];

/// A round takes from milliseconds (a few members) to minutes (100,000 members).
const ROUND_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
/// Heartbeat latencies, should the gateway record them as a histogram.
const LATENCY_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's Prometheus recorder, once; later calls return the same handle.
/// Fails only when another recorder was installed first.
pub fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(ROUND_DURATION.into()), ROUND_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(SHARD_LATENCY.into()), LATENCY_BUCKETS)?;
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    // Two callers racing here: the loser's recorder is refused, and it takes the winner's.
    match metrics::set_global_recorder(recorder) {
        Ok(()) => {
            let _ = HANDLE.set(handle);
            describe();
            for (name, label, values) in COUNTERS_AT_ZERO {
                for value in *values {
                    metrics::counter!(*name, *label => *value).increment(0);
                }
            }
        }
        Err(err) => {
            if HANDLE.get().is_none() {
                anyhow::bail!("cannot install the metrics recorder: {err}");
            }
        }
    }
    Ok(HANDLE.get().expect("installed above").clone())
}

/// The HELP text of every metric hallway records, here or elsewhere.
fn describe() {
    describe_gauge!(
        OUTBOX_DEPTH,
        "Outbox rows not yet sent nor given up, including rows due later (nudges, reminders)."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "How long the oldest unsent outbox row that is due has been waiting; 0 when none is due."
    );
    describe_counter!(
        DISCORD_RATE_LIMITED,
        "Discord answered 429 Too Many Requests. scope=global: the bot-wide limit; route: any other."
    );
    describe_counter!(
        DISCORD_REQUESTS,
        "REST calls made to deliver the outbox, by outcome: ok, rate_limited (429), failed (5xx, timeout), refused (other 4xx)."
    );
    describe_counter!(
        DELIVERIES,
        "Tries at an outbox row, by outcome: sent (done), retry (failed, will be tried again), gave_up (will never go out)."
    );
    describe_histogram!(
        ROUND_DURATION,
        Unit::Seconds,
        "A scheduled round, from its start to its groups and outbox saved."
    );
    describe_counter!(
        ROUNDS,
        "Rounds tried, by outcome: started, already_ran (another pass or process ran it), failed."
    );
    describe_gauge!(
        SHARDS_CONNECTED,
        "Gateway shards of this process that are connected."
    );
    describe_gauge!(
        SHARD_LATENCY,
        Unit::Seconds,
        "Gateway heartbeat latency of each shard (label shard)."
    );
    describe_counter!(
        INTERACTIONS,
        "Interactions (commands, buttons, menus) this process answered, by kind."
    );
    describe_gauge!(LEASES_HELD, "Server leases this process holds now.");
    describe_counter!(
        LEASE_LOST,
        "Server leases this process lost (expired or taken over) while it held them."
    );
}

/// A 429 from Discord. `global` when Discord said it was the bot-wide limit.
pub fn count_rate_limited(global: bool) {
    let scope = if global { "global" } else { "route" };
    metrics::counter!(DISCORD_RATE_LIMITED, "scope" => scope).increment(1);
}

/// One REST call's outcome: `ok`, `rate_limited`, `failed` or `refused`.
pub fn count_discord_request(outcome: &'static str) {
    metrics::counter!(DISCORD_REQUESTS, "outcome" => outcome).increment(1);
}

/// How often the outbox gauges are read from the database.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// Reads the outbox's backlog into its gauges.
pub(super) async fn sample_outbox(store: &Store) -> anyhow::Result<()> {
    let now = Utc::now();
    let backlog = store.outbox_backlog(now).await?;
    let age = backlog.oldest_due.map_or(0.0, |due| {
        (now - due).num_milliseconds().max(0) as f64 / 1000.0
    });
    metrics::gauge!(OUTBOX_DEPTH).set(backlog.unsent as f64);
    metrics::gauge!(OUTBOX_OLDEST_AGE).set(age);
    Ok(())
}
