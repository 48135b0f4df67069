//! The background loop: start the rounds that are due, then deliver the outbox.
//! One loop per process, so no message is ever sent by two workers at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::celebrations;
use crate::delivery::{self, Courier, RetryPolicy};
use crate::domain::schedule;
use crate::rounds;
use crate::storage::Store;

pub struct Scheduler<C> {
    pub store: Store,
    pub courier: C,
    pub retry: RetryPolicy,
    /// How often the loop looks for due rounds and deliveries.
    pub tick: Duration,
    /// Wakes the loop at once, e.g. after a coordinator started a round by hand.
    pub wake: Arc<Notify>,
}

impl<C: Courier> Scheduler<C> {
    /// Runs forever. Errors are logged and the loop keeps going.
    pub async fn run(self) {
        tracing::info!(tick = ?self.tick, "scheduler started");
        loop {
            self.tick_once(Utc::now()).await;
            tokio::select! {
                () = tokio::time::sleep(self.until_next_pass().await) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// The tick, or less when a retry or follow-up falls due sooner.
    async fn until_next_pass(&self) -> Duration {
        match self.store.next_delivery_due().await {
            Ok(Some(due)) => {
                let soon = (due - Utc::now()).to_std().unwrap_or_default();
                // Never spin: at least a few milliseconds between passes.
                soon.clamp(Duration::from_millis(20), self.tick)
            }
            Ok(None) => self.tick,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), "cannot read the outbox");
                self.tick
            }
        }
    }

    /// One pass: rounds first, so their intros go out in the same pass.
    pub async fn tick_once(&self, now: DateTime<Utc>) {
        if let Err(err) = self.start_due_rounds(now).await {
            tracing::error!(error = format!("{err:#}"), "could not start due rounds");
        }
        match delivery::deliver_due(&self.store, &self.courier, &self.retry).await {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "delivery pass");
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = format!("{err:#}"), "delivery pass failed"),
        }
        if let Err(err) = celebrations::claim_due(&self.store, now).await {
            tracing::error!(error = format!("{err:#}"), "could not claim celebrations");
        }
        if let Err(err) = celebrations::deliver_pending(&self.store, &self.courier).await {
            tracing::error!(error = format!("{err:#}"), "could not deliver celebrations");
        }
    }

    async fn start_due_rounds(&self, now: DateTime<Utc>) -> anyhow::Result<()> {
        for community in self.store.scheduled_communities().await? {
            let Some(schedule) = community.schedule else {
                continue;
            };
            let anchor = community.schedule_anchor.unwrap_or(now);
            let last = self
                .store
                .last_round(community.guild_id)
                .await?
                .map(|r| r.due_at);
            let Some(due) = schedule::due_slot(&schedule, last, anchor, now) else {
                continue;
            };
            match rounds::start_scheduled_round(&self.store, &community, due, now).await {
                Ok(Some(round)) => tracing::info!(
                    guild = community.guild_id,
                    round = round.number,
                    due = %due,
                    "round started"
                ),
                Ok(None) => {
                    tracing::debug!(guild = community.guild_id, due = %due, "round already ran")
                }
                Err(err) => tracing::error!(
                    guild = community.guild_id,
                    error = format!("{err:#}"),
                    "could not start a round"
                ),
            }
        }
        Ok(())
    }
}
