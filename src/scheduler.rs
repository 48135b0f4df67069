//! The background work of one process: a loop that starts due rounds and queues due
//! celebrations, attention digests and surveys, the outbox worker that delivers everything
//! ([`delivery::Outbox`]), and the lease loop that decides which servers this process may
//! do that work for. One server's failure is logged and holds up no other server.
//!
//! Several processes may share one PostgreSQL database. Each server's scheduled work is
//! done by the process that holds the server's lease (see `storage/leases.rs`): a process
//! acquires the leases of the servers on its own shards, renews them every third of the
//! lease, and takes over a lease another process let expire (it died, or was paused), so
//! a server is never left without a process. A server taken over stays with its new
//! holder until that process stops (it releases its leases on SIGTERM) or loses it; its
//! own shard's process then takes it back at once, before any other process may (others
//! wait a third of a lease more). A server of another shard that was never leased (its
//! process has not started) is left alone for ten minutes of this process's uptime. On
//! SQLite there is one process, holding every lease.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::celebrations;
use crate::delivery::{self, Concurrency, Courier};
use crate::domain::ids::GuildId;
use crate::domain::outbox::RetryPolicy;
use crate::domain::program::Program;
use crate::domain::schedule;
use crate::ops::Health;
use crate::rounds;
use crate::storage::{fenced, is_lease_lost, on_shards, Backend, HeldLeases, Holder, Store};

/// The gateway shards this process runs, `first..=last` of `total`: the servers it takes
/// leases on first, `(guild_id >> 22) % total` within the range. A process running every
/// shard ([`OwnShards::ALL`]) owns every server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnShards {
    pub first: u32,
    /// Inclusive.
    pub last: u32,
    pub total: u32,
}

impl OwnShards {
    /// One process running every shard.
    pub const ALL: OwnShards = OwnShards {
        first: 0,
        last: 0,
        total: 1,
    };

    /// Whether the server is on one of these shards.
    pub fn owns(&self, guild_id: GuildId) -> bool {
        on_shards(guild_id, self.first, self.last, self.total)
    }
}

pub struct Scheduler<C> {
    pub store: Store,
    pub courier: Arc<C>,
    pub retry: RetryPolicy,
    pub concurrency: Concurrency,
    /// How often the loop looks for due rounds and celebrations.
    pub tick: Duration,
    /// Wakes the outbox worker at once, e.g. after a coordinator started a round by hand.
    pub wake: Arc<Notify>,
    /// Cancelled on SIGTERM: stop claiming work, finish what is in hand, release leases.
    pub stop: CancellationToken,
    /// How long a server's lease lasts unrenewed (`[scheduler] lease_seconds`); the lease
    /// loop renews every third of it.
    pub lease: Duration,
    /// This process's shards: whose servers it leases first.
    pub shards: OwnShards,
    /// Told after each pass of the lease loop (`/readyz` checks it is fresh).
    pub health: Arc<Health>,
}

impl<C: Courier + 'static> Scheduler<C> {
    /// Starts the lease loop and the outbox worker, then runs the rounds loop until `stop`
    /// is cancelled: then it stops claiming, lets the worker finish the rows in hand,
    /// releases this process's leases and returns.
    pub async fn run(self) {
        let holder = Holder::for_this_process();
        tracing::info!(tick = ?self.tick, lease = ?self.lease, %holder, shards = ?self.shards, "scheduler started");
        let leases = Arc::new(HeldLeases::new(holder, self.lease));
        let keeper = LeaseKeeper {
            store: self.store.clone(),
            leases: leases.clone(),
            shards: self.shards,
            health: self.health.clone(),
            wake: self.wake.clone(),
            started: Instant::now(),
        };
        // The first pass before any work, so a start-up round is not left for a tick.
        keeper.pass().await;
        let keeper_stop = CancellationToken::new();
        let lease_loop = tokio::spawn(keeper.run(keeper_stop.clone()));
        let outbox = delivery::Outbox {
            store: self.store.clone(),
            courier: self.courier.clone(),
            retry: self.retry.clone(),
            concurrency: self.concurrency,
            idle_wait: self.tick.min(self.lease / 3),
            wake: self.wake.clone(),
            leases: leases.clone(),
            stop: self.stop.clone(),
        };
        let worker = tokio::spawn(outbox.run());
        for pass in 1u64.. {
            if self.stop.is_cancelled() {
                break;
            }
            let started = Utc::now();
            self.tick_with(&leases, started).await;
            // What the e2e tests wait for before they check that a pass did nothing: a
            // pass whose start they know came after what they did.
            tracing::debug!(
                pass,
                started = %started.to_rfc3339_opts(SecondsFormat::Micros, true),
                "scheduler pass done"
            );
            tokio::select! {
                () = tokio::time::sleep(self.tick) => {}
                () = self.stop.cancelled() => {}
            }
        }
        tracing::info!("scheduler stopping: no more claims; finishing the rows in hand");
        if let Err(err) = worker.await {
            tracing::error!(%err, "the outbox worker panicked");
        }
        keeper_stop.cancel();
        if let Err(err) = lease_loop.await {
            tracing::error!(%err, "the lease loop panicked");
        }
        let held = leases.clear();
        match self.store.release_leases(&leases.holder, Utc::now()).await {
            Ok(released) => tracing::info!(held, released, "leases released"),
            Err(err) => tracing::error!(
                error = format!("{err:#}"),
                "could not release the leases; they expire on their own"
            ),
        }
        metrics::gauge!("hallway_leases_held").set(0.0);
        tracing::info!("scheduler stopped");
    }

    /// One pass: start the rounds that are due, queue the celebrations, and wake the
    /// outbox worker for what they queued, for the servers whose lease this process holds.
    async fn tick_with(&self, leases: &HeldLeases, now: DateTime<Utc>) {
        match self.store.scheduled_programs().await {
            Ok(programs) => {
                for program in programs {
                    if self.stop.is_cancelled() {
                        return;
                    }
                    let Some(fence) = leases.fence(program.guild_id) else {
                        // Paused past the lease, or a server nobody leased yet (a new
                        // one): the lease loop looks at once; its holder runs the round.
                        leases.want_pass();
                        continue;
                    };
                    // A cheap fenced read just before the round; the round's own keys
                    // (program and number, program and due time) keep it to one.
                    match self.store.lease_held(&fence).await {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(err) => {
                            tracing::warn!(guild = %program.guild_id, error = format!("{err:#}"), "cannot check the lease");
                            continue;
                        }
                    }
                    let started = fenced(fence, self.start_due_round(&program, now)).await;
                    if let Err(err) = started {
                        if is_lease_lost(&err) {
                            tracing::warn!(guild = %program.guild_id, "lease lost; the round is left to its next holder");
                            continue;
                        }
                        tracing::error!(
                            guild = %program.guild_id,
                            program = %program.program_id,
                            error = format!("{err:#}"),
                            "could not start a round"
                        );
                    }
                }
            }
            Err(err) => tracing::error!(error = format!("{err:#}"), "cannot read the schedules"),
        }
        if let Err(err) = celebrations::claim_due(&self.store, leases, now).await {
            tracing::error!(error = format!("{err:#}"), "could not queue celebrations");
        }
        // These two queue for every server at once (their rows are keyed, so two
        // processes cannot queue one twice, and only the lease holder delivers them).
        if leases.guilds().is_empty() {
            return;
        }
        if let Err(err) = self.store.queue_attention_digests(now).await {
            tracing::error!(
                error = format!("{err:#}"),
                "could not queue attention digests"
            );
        }
        if let Err(err) = self.store.start_due_surveys(now).await {
            tracing::error!(error = format!("{err:#}"), "could not start due surveys");
        }
        self.wake.notify_one();
    }

    async fn start_due_round(&self, program: &Program, now: DateTime<Utc>) -> anyhow::Result<()> {
        let Some(schedule) = program.schedule else {
            return Ok(());
        };
        let anchor = program.schedule_anchor.unwrap_or(now);
        let last = self
            .store
            .last_round(program.program_id)
            .await?
            .map(|r| r.due_at);
        let Some(due) = schedule::due_slot(&schedule, last, anchor, now) else {
            return Ok(());
        };
        match rounds::start_scheduled_round(&self.store, program, due, now).await? {
            Some(round) => tracing::info!(
                guild = %program.guild_id,
                program = %program.program_id,
                round = round.number,
                due = %due,
                "round started"
            ),
            None => tracing::debug!(
                guild = %program.guild_id,
                program = %program.program_id,
                due = %due,
                "round already ran"
            ),
        }
        Ok(())
    }
}

/// How long a process leaves the never-leased servers of other shards to their own
/// process before it takes them.
const NEVER_LEASED_WAIT: Duration = Duration::from_secs(600);

/// The lease loop: renews this process's leases, acquires the free or expired ones of its
/// own shards, and takes over those of other shards that stayed expired a third of a lease
/// longer (their own process, if alive, takes them first).
struct LeaseKeeper {
    store: Store,
    leases: Arc<HeldLeases>,
    shards: OwnShards,
    health: Arc<Health>,
    wake: Arc<Notify>,
    started: Instant,
}

impl LeaseKeeper {
    async fn run(self, stop: CancellationToken) {
        let every = (self.leases.clock.lease() / 3).max(Duration::from_millis(50));
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.leases.pass_wanted() => {}
                () = stop.cancelled() => return,
            }
            self.pass().await;
        }
    }

    async fn pass(&self) {
        let lease = self.leases.clock.lease();
        let chrono_lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let grace = chrono_lease / 3;
        let paused = !self.leases.clock.fresh() && !self.leases.is_empty();
        if paused {
            // Paused past the lease (or the database was out of reach as long): what was
            // held may have been taken over. Nothing is done under it until renewed.
            tracing::warn!(
                held = self.leases.len(),
                "no lease renewal for longer than the lease; acting under none until renewed"
            );
        }
        let sent = Instant::now();
        let now = Utc::now();
        let until = now + chrono_lease;
        let renewed = match self
            .store
            .renew_leases(&self.leases.holder, now, until)
            .await
        {
            Ok(renewed) => renewed,
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "cannot renew the leases");
                return;
            }
        };
        // On SQLite one process runs per file (its lock file sees to that): a lease held by
        // anyone else is a dead process's, taken over at once, not after its expiry.
        let horizon = match self.store.backend() {
            Backend::Sqlite => now + chrono::Duration::days(36_500),
            Backend::Postgres => now,
        };
        let mut held = renewed;
        match self.store.free_leases(horizon).await {
            Ok(free) => {
                let free = free
                    .into_iter()
                    .filter(|(guild, _)| !held.iter().any(|l| l.guild_id == *guild));
                // Expired leases of other shards are taken after the grace. A server of
                // another shard that was never leased is left to its own process, which
                // has not started yet, unless none came in ten minutes.
                let settled = self.started.elapsed() > NEVER_LEASED_WAIT;
                let (mut own, mut foreign) = (Vec::new(), Vec::new());
                for (guild, expired_at) in free {
                    if self.shards.owns(guild) {
                        own.push(guild);
                    } else if expired_at.map_or(settled, |at| at <= now - grace) {
                        foreign.push(guild);
                    }
                }
                for (guilds, expired_by) in [(own, horizon), (foreign, now - grace)] {
                    match self
                        .store
                        .acquire_leases(&self.leases.holder, &guilds, now, until, expired_by)
                        .await
                    {
                        Ok(acquired) => {
                            for lease in &acquired {
                                tracing::info!(guild = %lease.guild_id, epoch = lease.epoch, own = self.shards.owns(lease.guild_id), "lease acquired");
                            }
                            held.extend(acquired);
                        }
                        Err(err) => {
                            tracing::error!(error = format!("{err:#}"), "cannot acquire leases")
                        }
                    }
                }
            }
            Err(err) => tracing::error!(error = format!("{err:#}"), "cannot read the free leases"),
        }
        let before = self.leases.len();
        let lost = self.leases.replace(&held);
        self.leases.clock.renewed(sent);
        if lost > 0 {
            tracing::warn!(lost, "leases lost to another process");
            metrics::counter!("hallway_lease_lost_total").increment(lost as u64);
        }
        metrics::gauge!("hallway_leases_held").set(self.leases.len() as f64);
        if self.leases.len() > before - lost.min(before) {
            self.wake.notify_one();
        }
        self.health.lease_loop_ticked();
    }
}
