//! This process's gateway shards: which ones (checked against `GET /gateway/bot`), taking
//! the identify turn while they connect, and what they report to health, metrics and logs.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::watch;

use super::StopReason;
use crate::domain::shards::{check_total, ShardRange, MAX_SERVERS_PER_SHARD, NEAR_FULL_SHARD};
use crate::ops::Health;
use crate::storage::IdentifyTurn;

/// Discord's window for IDENTIFY rate limiting: `max_concurrency` per 5 seconds.
const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);

/// How often the shards' heartbeat latency is sampled into the metrics.
const LATENCY_EVERY: Duration = Duration::from_secs(10);

/// The arguments of serenity's `Client::start_shard_range(range, total)` for `shards`.
///
/// serenity 0.12 takes the range's end as the **last shard started**, not one past it:
/// `start_shard_range(a..b, n)` calls `start_connection(a, b, n)`, which boots
/// `b - a + 1` shards from `a`. So `0-1/4` is `0..1`, and one shard `3/4` is the empty
/// Rust range `3..3`, which still starts shard 3.
pub fn start_args(shards: ShardRange) -> (std::ops::Range<u32>, u32) {
    (shards.first..shards.last, shards.total)
}

/// The shards this process runs: the configured range after checking its total against
/// Discord's recommendation, or every shard Discord recommends.
pub async fn plan(
    http: &serenity::Http,
    configured: Option<ShardRange>,
) -> Result<ShardRange, StopReason> {
    let gateway = http
        .get_bot_gateway()
        .await
        .map_err(|err| StopReason::Unreachable(format!("GET /gateway/bot failed: {err}")))?;
    let recommended = gateway.shards.max(1);
    let limit = &gateway.session_start_limit;
    let shards = match configured {
        Some(range) => {
            check_total(range.total, recommended).map_err(|why| {
                StopReason::Config(format!("[discord] shards (HALLWAY_SHARDS) {range}: {why}"))
            })?;
            if range.total < recommended {
                tracing::warn!(
                    shards = %range,
                    recommended,
                    "fewer shards than Discord recommends; raise the total before a shard nears 2,500 servers"
                );
            }
            range
        }
        None => ShardRange::all(recommended),
    };
    if limit.remaining < u64::from(shards.count()) {
        tracing::warn!(
            remaining = limit.remaining,
            reset_after_ms = limit.reset_after,
            shards = shards.count(),
            "Discord allows fewer new gateway sessions today than this process has shards; some will wait"
        );
    }
    tracing::info!(
        shards = %shards,
        recommended,
        max_concurrency = limit.max_concurrency,
        "gateway shards planned"
    );
    Ok(shards)
}

/// Reports every shard's connection to [`Health`], the metrics and the log, and tells
/// [`hold_turn_until_ready`] which shards have had READY.
pub struct ShardWatch {
    pub health: Arc<Health>,
    pub ready: watch::Sender<BTreeSet<u32>>,
}

#[serenity::async_trait]
impl serenity::EventHandler for ShardWatch {
    /// READY lists the shard's servers: the one exact count of them there is.
    async fn ready(&self, ctx: serenity::Context, ready: serenity::Ready) {
        let shard = ctx.shard_id.0;
        let servers = ready.guilds.len() as u64;
        if servers >= NEAR_FULL_SHARD {
            tracing::warn!(
                shard,
                servers,
                "this shard holds {servers} servers, and Discord closes a shard past {MAX_SERVERS_PER_SHARD} (code 4011): raise the total in [discord] shards on every process"
            );
        } else {
            tracing::debug!(shard, servers, "shard ready");
        }
    }

    async fn shard_stage_update(
        &self,
        _ctx: serenity::Context,
        event: serenity::ShardStageUpdateEvent,
    ) {
        let shard = event.shard_id.0;
        let connected = event.new == serenity::ConnectionStage::Connected;
        let was = event.old == serenity::ConnectionStage::Connected;
        if connected == was {
            return;
        }
        record_connection(&self.health, shard, connected);
        if connected {
            tracing::info!(shard, "shard connected");
            self.ready.send_modify(|ready| {
                ready.insert(shard);
            });
        } else {
            tracing::warn!(shard, stage = %event.new, "shard disconnected; serenity reconnects it");
        }
    }
}

/// A shard connected (READY or RESUMED) or lost its connection: `/readyz` and the
/// `hallway_shards_connected` gauge.
fn record_connection(health: &Health, shard: u32, connected: bool) {
    health.shard_connected(shard, connected);
    metrics::gauge!("hallway_shards_connected").set(health.shards().0 as f64);
}

/// A shard's heartbeat latency: the `hallway_shard_latency_seconds{shard}` gauge.
fn record_latency(shard: u32, latency: Duration) {
    metrics::gauge!("hallway_shard_latency_seconds", "shard" => shard.to_string())
        .set(latency.as_secs_f64());
}

/// An interaction arrived: the `hallway_interactions_total{kind}` counter, where `kind` is
/// `command`, `component`, `modal` or `autocomplete`.
pub fn count_interaction(kind: &'static str) {
    metrics::counter!("hallway_interactions_total", "kind" => kind).increment(1);
}

/// Holds this process's identify turn until every shard of `shards` has had READY, then
/// one more identify window (another process's first IDENTIFY must not follow this
/// one's last within 5 s), and releases it. Gives up after `timeout`, so that a shard
/// that cannot connect does not keep other processes from connecting theirs; gives up at
/// once when `stop` is cancelled.
pub async fn hold_turn_until_ready(
    turn: IdentifyTurn,
    ready: watch::Receiver<BTreeSet<u32>>,
    shards: ShardRange,
    timeout: Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    match wait_for_shards(ready, shards, timeout, &stop).await {
        TurnEnd::AllReady => {
            tracing::info!(shards = %shards, "every shard connected; identify turn released")
        }
        TurnEnd::TimedOut => tracing::warn!(
            shards = %shards,
            timeout_s = timeout.as_secs(),
            "not every shard connected in time; identify turn released anyway"
        ),
        TurnEnd::Stopped => tracing::info!("stopping; identify turn released"),
    }
    turn.release().await;
}

/// Why a process gave up its identify turn.
#[derive(Debug, PartialEq, Eq)]
enum TurnEnd {
    /// Every shard had READY, and an identify window passed since.
    AllReady,
    TimedOut,
    Stopped,
}

async fn wait_for_shards(
    mut ready: watch::Receiver<BTreeSet<u32>>,
    shards: ShardRange,
    timeout: Duration,
    stop: &tokio_util::sync::CancellationToken,
) -> TurnEnd {
    let all_ready = async {
        // The Ref it returns is not Send: keep only whether it came.
        ready
            .wait_for(|ready| shards.ids().all(|id| ready.contains(&id)))
            .await
            .is_ok()
    };
    tokio::select! {
        result = tokio::time::timeout(timeout, all_ready) => match result {
            Ok(true) => {
                // Let the identify window pass after the last READY.
                tokio::select! {
                    () = tokio::time::sleep(IDENTIFY_WINDOW) => TurnEnd::AllReady,
                    () = stop.cancelled() => TurnEnd::Stopped,
                }
            }
            // The watch's sender (the client's event handler) is gone: no shard will report.
            Ok(false) => TurnEnd::Stopped,
            Err(_) => TurnEnd::TimedOut,
        },
        () = stop.cancelled() => TurnEnd::Stopped,
    }
}

/// How long a process may hold the identify turn: serenity starts its shards 5 s apart,
/// and each gets a minute to connect.
pub fn turn_timeout(shards: ShardRange) -> Duration {
    IDENTIFY_WINDOW * shards.count() + Duration::from_secs(60)
}

/// Every 10 s, samples each shard's heartbeat latency into the metrics, and its stage
/// into [`Health`]: a shard that serenity restarted from scratch reports no stage change
/// for its old connection, so the events alone could leave it marked connected.
pub async fn sample_runners(
    manager: Arc<serenity::ShardManager>,
    health: Arc<Health>,
    shards: ShardRange,
) {
    let mut every = tokio::time::interval(LATENCY_EVERY);
    loop {
        every.tick().await;
        let runners = manager.runners.lock().await;
        for shard in shards.ids() {
            let runner = runners.get(&serenity::ShardId(shard));
            let connected = runner.is_some_and(|r| r.stage == serenity::ConnectionStage::Connected);
            record_connection(&health, shard, connected);
            if let Some(latency) = runner.and_then(|r| r.latency) {
                record_latency(shard, latency);
            }
        }
    }
}

/// Discord's close codes that no reconnection can fix. serenity 0.12 logs them and then
/// reconnects for ever; hallway stops instead, with a message that says what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalClose {
    /// 4010: a shard id past the total.
    InvalidShard,
    /// 4011: too many servers on one shard.
    ShardingRequired,
}

impl From<FatalClose> for StopReason {
    fn from(close: FatalClose) -> StopReason {
        match close {
            FatalClose::InvalidShard => StopReason::InvalidShard,
            FatalClose::ShardingRequired => StopReason::ShardingRequired,
        }
    }
}

fn fatal_closes() -> &'static watch::Sender<Option<FatalClose>> {
    static FATAL: OnceLock<watch::Sender<Option<FatalClose>>> = OnceLock::new();
    FATAL.get_or_init(|| watch::channel(None).0)
}

/// Resolves when a shard was closed with a code that reconnecting cannot fix.
pub async fn fatal_close() -> FatalClose {
    let mut closes = fatal_closes().subscribe();
    let close = closes.wait_for(Option::is_some).await.map(|close| *close);
    match close {
        Ok(close) => close.expect("waited for Some"),
        // The sender lives in a static: it is never dropped.
        Err(_) => std::future::pending().await,
    }
}

/// A tracing layer that spots serenity's log lines for the close codes 4010 and 4011 (its
/// only trace of them: its shard runner swallows the error and reconnects), so that
/// [`fatal_close`] resolves. `telemetry::init` installs it.
pub struct FatalCloseWatch;

impl FatalCloseWatch {
    /// The layer, listening only to serenity's gateway warnings and errors, whatever the
    /// log filter shows.
    pub fn layer<S>() -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        use tracing_subscriber::Layer as _;
        FatalCloseWatch.with_filter(
            tracing_subscriber::filter::Targets::new()
                .with_target("serenity::gateway", tracing::Level::WARN),
        )
    }

    /// The fatal close a serenity log message reports, if any.
    fn close_in(message: &str) -> Option<FatalClose> {
        if message.contains("Shard has too many guilds") {
            Some(FatalClose::ShardingRequired)
        } else if message.contains("Sent invalid shard data") {
            Some(FatalClose::InvalidShard)
        } else {
            None
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FatalCloseWatch {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        if let Some(close) = Self::close_in(&message.0) {
            fatal_closes().send_replace(Some(close));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_end_given_to_serenity_is_the_last_shard_itself() {
        let range = |text: &str| ShardRange::parse(text).unwrap();
        assert_eq!(start_args(range("0-1/4")), (0..1, 4));
        assert_eq!(start_args(range("2-3/4")), (2..3, 4));
        assert_eq!(start_args(range("3/4")), (3..3, 4));
        assert_eq!(start_args(ShardRange::all(1)), (0..0, 1));
        // serenity boots end - start + 1 shards from start (Client::start_connection).
        for text in ["0-1/4", "2-3/4", "3/4", "0-15/16"] {
            let shards = range(text);
            let (ids, _) = start_args(shards);
            assert_eq!(ids.end - ids.start + 1, shards.count(), "{text}");
        }
    }

    #[test]
    fn serenity_log_lines_for_4010_and_4011_are_recognised() {
        // The exact texts of serenity 0.12.5's gateway/shard.rs.
        let info = "[ShardInfo { id: ShardId(0), total: 1 }]";
        assert_eq!(
            FatalCloseWatch::close_in(&format!("{info} Shard has too many guilds.")),
            Some(FatalClose::ShardingRequired)
        );
        assert_eq!(
            FatalCloseWatch::close_in(&format!("{info} Sent invalid shard data.")),
            Some(FatalClose::InvalidShard)
        );
        assert_eq!(FatalCloseWatch::close_in(&format!("{info} Resumed")), None);
    }

    #[test]
    fn shard_connections_latency_and_interactions_reach_health_and_the_metrics() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let metrics = recorder.handle();
        let health = Health::default();
        health.expect_shards([2, 3]);
        metrics::with_local_recorder(&recorder, || {
            record_connection(&health, 2, true);
            record_connection(&health, 3, true);
            record_connection(&health, 3, false);
            record_latency(2, Duration::from_millis(42));
            count_interaction("command");
            count_interaction("command");
            count_interaction("component");
        });
        assert_eq!(health.shards(), (1, 2));
        let text = metrics.render();
        assert!(text.contains("hallway_shards_connected 1"), "{text}");
        assert!(
            text.contains("hallway_shard_latency_seconds{shard=\"2\"} 0.042"),
            "{text}"
        );
        assert!(
            text.contains("hallway_interactions_total{kind=\"command\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("hallway_interactions_total{kind=\"component\"} 1"),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_turn_is_held_until_every_shard_had_ready_and_one_window_more() {
        let shards = ShardRange::parse("2-3/4").unwrap();
        let (tx, rx) = watch::channel(BTreeSet::new());
        let stop = tokio_util::sync::CancellationToken::new();
        let begun = tokio::time::Instant::now();
        let waiting = tokio::spawn({
            let stop = stop.clone();
            async move { wait_for_shards(rx, shards, Duration::from_secs(70), &stop).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        tx.send_modify(|ready| {
            ready.insert(2);
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiting.is_finished(), "shard 3 has not had READY yet");
        tx.send_modify(|ready| {
            ready.insert(3);
        });
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(
            !waiting.is_finished(),
            "held for the identify window after READY"
        );
        assert_eq!(waiting.await.unwrap(), TurnEnd::AllReady);
        assert_eq!(begun.elapsed(), Duration::from_secs(11));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shard_that_never_connects_holds_the_turn_only_until_the_timeout() {
        let shards = ShardRange::parse("0-1/4").unwrap();
        let (tx, rx) = watch::channel(BTreeSet::from([0]));
        let stop = tokio_util::sync::CancellationToken::new();
        let begun = tokio::time::Instant::now();
        let end = wait_for_shards(rx, shards, turn_timeout(shards), &stop).await;
        assert_eq!(end, TurnEnd::TimedOut);
        assert_eq!(begun.elapsed(), Duration::from_secs(70));
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_gives_the_turn_up_at_once() {
        let shards = ShardRange::parse("0-1/4").unwrap();
        let (_tx, rx) = watch::channel(BTreeSet::new());
        let stop = tokio_util::sync::CancellationToken::new();
        stop.cancel();
        let begun = tokio::time::Instant::now();
        let end = wait_for_shards(rx, shards, turn_timeout(shards), &stop).await;
        assert_eq!(end, TurnEnd::Stopped);
        assert_eq!(begun.elapsed(), Duration::ZERO);
    }

    #[test]
    fn the_turn_lasts_a_window_per_shard_and_a_minute() {
        assert_eq!(
            turn_timeout(ShardRange::parse("0-1/4").unwrap()),
            Duration::from_secs(70)
        );
    }
}
