//! Draining the outbox: many servers' rows at once, up to a limit, and a few rows per
//! server, so a server whose requests fail or hang never holds up another. Each row's
//! failure is handled on that row alone: rescheduled by the retry policy (a due time in
//! the database, never a sleep here), or marked failed with its reason.
//!
//! Several processes may share one PostgreSQL database: each worker claims only the rows
//! of servers whose lease its process holds ([`Store::claim_outbox`]), and delivers each
//! row inside that server's fence ([`crate::storage::fenced`]), so every write about it,
//! and the attempt noted just before each request to Discord, first checks that the lease
//! is still this process's. A row whose lease was lost is left alone: its next holder
//! delivers it, looking first if an attempt may have reached Discord.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::row::{RowError, Sent};
use super::send;
use super::{Courier, SendError};
use crate::domain::ids::GuildId;
use crate::domain::outbox::{DeliveryProblem, OutboxKind, RetryDecision, RetryPolicy};
use crate::domain::outbox::{OutboxRow, RetryAt};
use crate::storage::{fenced, is_lease_lost, HeldLeases, Store};

/// How many rows are in flight at once.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    pub total: usize,
    /// Per server, so one server's slow or failing rows cannot take every slot.
    pub per_server: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            total: 16,
            per_server: 4,
        }
    }
}

/// The outbox worker. One per process.
pub struct Outbox<C> {
    pub store: Store,
    pub courier: Arc<C>,
    pub retry: RetryPolicy,
    pub concurrency: Concurrency,
    /// The longest the worker sleeps before it looks at the outbox again.
    pub idle_wait: Duration,
    /// Wakes the worker at once, e.g. when a round was just saved.
    pub wake: Arc<Notify>,
    /// The leases this process holds (kept by the scheduler's lease loop): rows are
    /// claimed and delivered only for these servers, and none after a pause past the lease.
    pub leases: Arc<HeldLeases>,
    /// Cancelled on SIGTERM: claim nothing more, finish the rows in hand, then return.
    pub stop: CancellationToken,
}

/// How long a row whose result could not even be recorded (the database failing) is
/// left alone, so it cannot spin.
const COOL_DOWN: Duration = Duration::from_secs(30);

impl<C: Courier + 'static> Outbox<C> {
    /// Runs until `stop` is cancelled and the rows in hand are done.
    pub async fn run(self) {
        let mut in_flight: JoinSet<bool> = JoinSet::new();
        // The row and server of each task in flight: what is busy, per server, comes from it.
        let mut tasks: HashMap<tokio::task::Id, (i64, GuildId)> = HashMap::new();
        let mut cooling: HashMap<i64, Instant> = HashMap::new();
        loop {
            if self.stop.is_cancelled() {
                let in_hand = in_flight.len();
                while in_flight.join_next().await.is_some() {}
                tracing::info!(in_hand, "outbox worker stopped");
                return;
            }
            cooling.retain(|_, until| *until > Instant::now());
            let blocked = self.start_due(&mut in_flight, &mut tasks, &cooling).await;
            // Rows are due but every slot they could use is taken: wait for one to free.
            let wait = if blocked {
                None
            } else {
                Some(self.until_next_due().await)
            };
            tokio::select! {
                Some(finished) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                    let (task, recorded) = match finished {
                        Ok((task, recorded)) => (task, recorded),
                        Err(err) => {
                            // A panic in one row's task: that row alone cools down.
                            tracing::error!(%err, "a delivery task panicked");
                            (err.id(), false)
                        }
                    };
                    if let Some((id, _)) = tasks.remove(&task) {
                        if !recorded {
                            cooling.insert(id, Instant::now() + COOL_DOWN);
                        }
                    }
                }
                () = self.wake.notified() => {
                    // New work may be for a server not leased yet: the lease loop looks now.
                    self.leases.want_pass();
                }
                () = self.stop.cancelled() => {}
                () = sleep_or_forever(wait) => {}
            }
        }
    }

    /// Starts every due row that has a free slot. Returns true when some due row had to
    /// wait for a slot.
    async fn start_due(
        &self,
        in_flight: &mut JoinSet<bool>,
        tasks: &mut HashMap<tokio::task::Id, (i64, GuildId)>,
        cooling: &HashMap<i64, Instant>,
    ) -> bool {
        if tasks.len() >= self.concurrency.total {
            return true;
        }
        // Paused past the lease, or nothing held: nothing to claim.
        if self.leases.guilds().is_empty() {
            return false;
        }
        let busy: HashSet<i64> = tasks.values().map(|(id, _)| *id).collect();
        let mut per_server: HashMap<GuildId, usize> = HashMap::new();
        for (_, guild) in tasks.values() {
            *per_server.entry(*guild).or_default() += 1;
        }
        // Enough of each server's head to fill its free slots past rows busy or cooling.
        let per_server_turns = (2 * self.concurrency.per_server + cooling.len()) as u32;
        let limit = (busy.len() + cooling.len() + 4 * self.concurrency.total) as u32;
        let now = Utc::now();
        let claim_until =
            now + chrono::Duration::from_std(self.leases.clock.lease()).unwrap_or_default();
        // Only the rows this worker starts now are claimed (on PostgreSQL a claim holds a
        // row for a lease): those of servers it holds, with a free slot.
        let mut blocked = false;
        let mut starting = tasks.len();
        let mut fences = HashMap::new();
        let choose = |row: &OutboxRow| {
            if busy.contains(&row.outbox_id) || cooling.contains_key(&row.outbox_id) {
                return false;
            }
            let Some(fence) = self.leases.fence(row.guild_id) else {
                return false;
            };
            let server = per_server.entry(row.guild_id).or_default();
            if starting >= self.concurrency.total || *server >= self.concurrency.per_server {
                blocked = true;
                return false;
            }
            *server += 1;
            starting += 1;
            fences.insert(row.guild_id, fence);
            true
        };
        let due = match self
            .store
            .claim_outbox(
                &self.leases.holder,
                now,
                claim_until,
                per_server_turns,
                limit,
                choose,
            )
            .await
        {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "cannot claim outbox rows");
                return false;
            }
        };
        for row in due {
            let Some(fence) = fences.get(&row.guild_id).cloned() else {
                continue;
            };
            let (store, courier, retry) =
                (self.store.clone(), self.courier.clone(), self.retry.clone());
            let (id, guild) = (row.outbox_id, row.guild_id);
            let task = in_flight.spawn(fenced(fence.clone(), async move {
                // A cheap fenced read before anything else; each request to Discord is
                // preceded by a fenced write as well (the attempt it notes).
                match store.lease_held(&fence).await {
                    Ok(true) => deliver_and_record(&store, &*courier, &retry, row).await,
                    Ok(false) => {
                        tracing::info!(guild = %row.guild_id, outbox = row.outbox_id, "lease lost before delivery; leaving the row to its next holder");
                        true
                    }
                    Err(err) => {
                        tracing::warn!(outbox = row.outbox_id, error = format!("{err:#}"), "cannot check the lease before delivery");
                        false
                    }
                }
            }));
            tasks.insert(task.id(), (id, guild));
        }
        blocked
    }

    async fn until_next_due(&self) -> Duration {
        if self.leases.guilds().is_empty() {
            return self.idle_wait;
        }
        match self
            .store
            .next_claimable_due(&self.leases.holder, Utc::now())
            .await
        {
            Ok(Some(due)) => (due - Utc::now())
                .to_std()
                .unwrap_or_default()
                // Never spin, never oversleep a retry.
                .clamp(Duration::from_millis(20), self.idle_wait),
            Ok(None) => self.idle_wait,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), "cannot read the outbox");
                self.idle_wait
            }
        }
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// Delivers one row and records what became of it. Returns false when even that could
/// not be recorded. Inside a fence ([`crate::storage::fenced`]), a lease found lost stops
/// the row where it is: nothing more is sent or written for it.
pub async fn deliver_and_record<C: Courier>(
    store: &Store,
    courier: &C,
    retry: &RetryPolicy,
    row: OutboxRow,
) -> bool {
    let outcome = send::deliver(store, courier, &row).await;
    let now = Utc::now();
    if let Err(RowError::Internal(err)) = &outcome {
        if is_lease_lost(err) {
            lease_lost(&row, err);
            return true;
        }
    }
    let recorded = match outcome {
        Ok(Sent::Done(posted)) => store.complete_outbox(&row, posted, now).await,
        Ok(Sent::Recorded) => Ok(()),
        Ok(Sent::NotYet(at)) => {
            let wait = RetryAt {
                at,
                counts_as_failure: false,
                refused_before_acting: false,
            };
            store.retry_outbox_at(row.outbox_id, "waiting", wait).await
        }
        Err(RowError::Poisoned(why)) => {
            tracing::error!(outbox = row.outbox_id, kind = %row.kind, %why, "a post can never go out; marking it failed");
            store.fail_outbox(row.outbox_id, &why, now).await
        }
        Err(RowError::Send(err @ SendError::Refused { .. })) => {
            tracing::warn!(outbox = row.outbox_id, kind = %row.kind, %err, "Discord refused a post; marking it failed");
            store
                .fail_outbox(row.outbox_id, &err.to_string(), now)
                .await
        }
        Err(RowError::Send(err)) => {
            let rate_limited = matches!(err, SendError::RateLimited(_));
            retry_later(store, retry, &row, &err.to_string(), rate_limited).await
        }
        Err(RowError::Internal(err)) => {
            let reason = format!("{err:#}");
            tracing::error!(outbox = row.outbox_id, kind = %row.kind, error = %reason, "delivering a post failed inside hallway");
            retry_later(store, retry, &row, &reason, false).await
        }
    };
    match recorded {
        Ok(()) => true,
        Err(err) if is_lease_lost(&err) => {
            lease_lost(&row, &err);
            true
        }
        Err(err) => {
            tracing::error!(
                outbox = row.outbox_id,
                error = format!("{err:#}"),
                "cannot record a delivery's result"
            );
            false
        }
    }
}

fn lease_lost(row: &OutboxRow, err: &anyhow::Error) {
    tracing::warn!(
        guild = %row.guild_id,
        outbox = row.outbox_id,
        error = format!("{err:#}"),
        "lease lost while delivering; leaving the row to its next holder"
    );
}

async fn retry_later(
    store: &Store,
    retry: &RetryPolicy,
    row: &OutboxRow,
    reason: &str,
    rate_limited: bool,
) -> anyhow::Result<()> {
    let now = Utc::now();
    match retry.after_failure(row.failures + 1, rate_limited) {
        RetryDecision::RetryAfter(wait) => {
            tracing::info!(outbox = row.outbox_id, kind = %row.kind, %reason, ?wait, "will retry");
            let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
            // A 429 was refused before anything happened: it takes its try back, so the
            // next one needs no look-up.
            let retry = RetryAt {
                at,
                counts_as_failure: true,
                refused_before_acting: rate_limited,
            };
            store.retry_outbox_at(row.outbox_id, reason, retry).await
        }
        RetryDecision::GiveUp => {
            tracing::error!(outbox = row.outbox_id, kind = %row.kind, %reason, failures = row.failures + 1, "giving up on a post");
            if matches!(row.kind, OutboxKind::Intro | OutboxKind::DmIntro) {
                let note = DeliveryProblem::DiscordUnavailable.describe();
                store.fail_group_delivery(row, &note, reason, now).await
            } else {
                store.fail_outbox(row.outbox_id, reason, now).await
            }
        }
    }
}
