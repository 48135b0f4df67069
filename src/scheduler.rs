//! The background work of one process: a loop that starts due rounds and queues due
//! celebrations, attention digests and surveys, and the outbox worker that delivers everything ([`delivery::Outbox`]).
//! One server's failure is logged and holds up no other server.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::Notify;

use crate::celebrations;
use crate::delivery::{self, Concurrency, Courier};
use crate::domain::outbox::RetryPolicy;
use crate::domain::program::Program;
use crate::domain::schedule;
use crate::rounds;
use crate::storage::Store;

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
    pub stop: tokio_util::sync::CancellationToken,
}

impl<C: Courier + 'static> Scheduler<C> {
    /// Starts the outbox worker, then runs the rounds loop forever.
    pub async fn run(self) {
        tracing::info!(tick = ?self.tick, "scheduler started");
        let outbox = delivery::Outbox {
            store: self.store.clone(),
            courier: self.courier.clone(),
            retry: self.retry.clone(),
            concurrency: self.concurrency,
            idle_wait: self.tick,
            wake: self.wake.clone(),
        };
        tokio::spawn(outbox.run());
        for pass in 1u64.. {
            let started = Utc::now();
            self.tick_once(started).await;
            // What the e2e tests wait for before they check that a pass did nothing: a
            // pass whose start they know came after what they did.
            tracing::debug!(
                pass,
                started = %started.to_rfc3339_opts(SecondsFormat::Micros, true),
                "scheduler pass done"
            );
            tokio::time::sleep(self.tick).await;
        }
    }

    /// One pass: start the rounds that are due, queue the celebrations, and wake the
    /// outbox worker for what they queued.
    pub async fn tick_once(&self, now: DateTime<Utc>) {
        match self.store.scheduled_programs().await {
            Ok(programs) => {
                for program in programs {
                    if let Err(err) = self.start_due_round(&program, now).await {
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
        if let Err(err) = celebrations::claim_due(&self.store, now).await {
            tracing::error!(error = format!("{err:#}"), "could not queue celebrations");
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
