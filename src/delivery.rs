//! Delivering what a round (or a celebration) posts: the outbox, drained oldest first.
//! A message that may have reached Discord before a crash is looked up there before it
//! is sent again; 429s, 5xx and timeouts are retried and never drop a message.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::community::Community;
use crate::domain::member::UserId;
use crate::domain::profile::Role;
use crate::domain::prompts;
use crate::domain::suggest::{self, Suggestion};
use crate::storage::{Delivery, DeliveryKind, GroupDetail, RoundFigures, Store};

/// What a message is about. The Discord adapter turns these into text and buttons.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The first message in a group's private thread, mentioning everyone.
    Intro(IntroView),
    /// The same introduction by DM, when the thread could not be made.
    DmIntro(IntroView),
    /// The round's summary in the program channel.
    Summary(RoundFigures),
    /// Halfway through, for groups that have not said they met.
    Nudge {
        round_number: u32,
        members: Vec<UserId>,
    },
    /// A win, a milestone or a watercooler prompt.
    Celebration(crate::celebrations::Occasion),
    /// Near the end of the round: how was it?
    Feedback {
        guild_id: u64,
        round_number: u32,
        group_id: i64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntroView {
    pub guild_id: u64,
    pub round_number: u32,
    pub group_id: i64,
    pub members: Vec<MemberView>,
    pub prompt: Option<String>,
    pub suggestion: Suggestion,
    /// When the round started: the moment time zones and windows are read at.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub role: Role,
    pub institution: Option<String>,
    pub time_zone: Option<Tz>,
}

/// Why Discord did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 429, 5xx, a timeout or a dropped connection: try again later, never give up.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// 429: Discord asks us to slow down. Its `retry_after` does not reach us when
    /// serenity's rate limiter is off (see the README), so we wait a short fixed step.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// 403: hallway lacks a permission there.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: the channel or user is gone.
    #[error("not found: {0}")]
    NotFound(String),
    /// Any other refusal; retrying would not help.
    #[error("rejected: {0}")]
    Rejected(String),
}

/// Sends messages to Discord. `recovering` means an earlier attempt may have reached
/// Discord before hallway stopped: look for its result before sending again.
pub trait Courier: Send + Sync {
    fn open_thread(
        &self,
        guild_id: u64,
        channel_id: u64,
        name: &str,
        recovering: bool,
    ) -> impl Future<Output = Result<u64, SendError>> + Send;

    fn post(
        &self,
        channel_id: u64,
        message: &Message,
        recovering: bool,
    ) -> impl Future<Output = Result<u64, SendError>> + Send;

    fn open_dm(&self, user_id: u64) -> impl Future<Output = Result<u64, SendError>> + Send;

    fn react(
        &self,
        channel_id: u64,
        message_id: u64,
        emoji: &str,
    ) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// How hard delivery tries before leaving a message for the next pass.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Tries per delivery in one pass; after that it waits for the next pass.
    pub tries_per_pass: u32,
    /// Total tries before a delivery that keeps failing is given up (with a log line).
    pub max_total_tries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
            tries_per_pass: 8,
            // Only failures that may heal count; at the longest wait this is hours of
            // trying before a message is given up (and logged).
            max_total_tries: 1_000,
        }
    }
}

impl RetryPolicy {
    fn wait(&self, failures: u32) -> Duration {
        let doubled = self.first_wait.saturating_mul(1 << failures.min(16));
        doubled.min(self.max_wait)
    }
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    pub delivered: u32,
    pub postponed: u32,
    pub failed: u32,
}

/// Delivers every due outbox entry, oldest first. Stops early when Discord keeps
/// failing, leaving the rest pending for the next pass.
pub async fn deliver_due<C: Courier>(
    store: &Store,
    courier: &C,
    retry: &RetryPolicy,
) -> anyhow::Result<PassReport> {
    let mut report = PassReport::default();
    // Settings are read once per community per pass, not once per message.
    let mut communities: BTreeMap<u64, Community> = BTreeMap::new();
    loop {
        let batch = store.due_deliveries(Utc::now(), 50).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        for delivery in batch {
            let community = match communities.entry(delivery.guild_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(store.community(delivery.guild_id).await?),
            };
            match deliver_with_retries(store, courier, retry, community, &delivery).await? {
                Attempt::Done => report.delivered += 1,
                Attempt::Failed => report.failed += 1,
                Attempt::Later(reason, wait) => {
                    report.postponed += 1;
                    // The scheduler wakes up for it.
                    let retry_at = Utc::now() + chrono::Duration::from_std(wait)?;
                    store
                        .postpone_delivery(delivery.delivery_id, &reason, retry_at)
                        .await?;
                    tracing::warn!(delivery = delivery.delivery_id, %reason, "Discord keeps failing; will retry later");
                    // Discord is unwell: leave the rest for the next pass.
                    return Ok(report);
                }
                Attempt::Waiting => {}
            }
        }
    }
}

enum Attempt {
    Done,
    Failed,
    /// Transient failures used up this pass's tries; try again after the wait.
    Later(String, Duration),
    /// Not ready yet (a summary waiting for its intros); it was rescheduled.
    Waiting,
}

async fn deliver_with_retries<C: Courier>(
    store: &Store,
    courier: &C,
    retry: &RetryPolicy,
    community: &Community,
    delivery: &Delivery,
) -> anyhow::Result<Attempt> {
    let mut failures = 0;
    let mut attempts = delivery.attempts;
    // Tries that may have reached Discord: only these make the next try look first.
    // A 429 was refused before anything happened.
    let mut uncertain = delivery.attempts;
    loop {
        if attempts >= retry.max_total_tries {
            let reason = format!("gave up after {attempts} tries");
            store
                .fail_delivery(delivery.delivery_id, &reason, Utc::now())
                .await?;
            tracing::error!(delivery = delivery.delivery_id, "delivery {reason}");
            return Ok(Attempt::Failed);
        }
        let current = Delivery {
            attempts: uncertain,
            ..delivery.clone()
        };
        match deliver_one(store, courier, community, &current).await {
            Ok(outcome) => return Ok(outcome),
            Err(Failure::Send(err @ (SendError::Transient(_) | SendError::RateLimited(_)))) => {
                failures += 1;
                attempts += 1;
                if matches!(err, SendError::Transient(_)) {
                    uncertain += 1;
                }
                // Rate limits reset within seconds, so a 429 waits the first step each
                // time; server errors and timeouts back off exponentially.
                let wait = match err {
                    SendError::RateLimited(_) => retry.first_wait,
                    _ => retry.wait(failures - 1),
                };
                if failures >= retry.tries_per_pass {
                    return Ok(Attempt::Later(err.to_string(), wait));
                }
                tracing::info!(delivery = delivery.delivery_id, %err, ?wait, "retrying");
                tokio::time::sleep(wait).await;
            }
            Err(Failure::Send(permanent)) => {
                let reason = permanent.to_string();
                store
                    .fail_delivery(delivery.delivery_id, &reason, Utc::now())
                    .await?;
                tracing::warn!(delivery = delivery.delivery_id, %reason, "delivery failed for good");
                return Ok(Attempt::Failed);
            }
            Err(Failure::Internal(err)) => return Err(err),
        }
    }
}

enum Failure {
    Send(SendError),
    Internal(anyhow::Error),
}

impl From<SendError> for Failure {
    fn from(err: SendError) -> Self {
        Failure::Send(err)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::Internal(err)
    }
}

async fn deliver_one<C: Courier>(
    store: &Store,
    courier: &C,
    community: &Community,
    delivery: &Delivery,
) -> Result<Attempt, Failure> {
    let now = Utc::now();
    let group = match delivery.group_id {
        Some(id) => Some(
            store
                .group(delivery.guild_id, id)
                .await?
                .context("the delivery's group is gone")?,
        ),
        None => None,
    };
    match (delivery.kind, group) {
        (DeliveryKind::Intro, Some(group)) => {
            deliver_intro(store, courier, delivery, community, &group).await
        }
        (DeliveryKind::DmIntro, Some(group)) => {
            let user = delivery.user_id.context("a DM has a recipient")?;
            let recovering = delivery.attempts > 0;
            store.begin_delivery_attempt(delivery.delivery_id).await?;
            let dm = courier.open_dm(user).await?;
            let view = intro_view(store, &group).await?;
            courier
                .post(dm, &Message::DmIntro(view), recovering)
                .await?;
            store.complete_delivery(delivery.delivery_id, now).await?;
            Ok(Attempt::Done)
        }
        (DeliveryKind::Summary, _) => {
            if let Some(intros_due) = store.pending_intros_due(delivery.round_id).await? {
                // Report once every group has its space: right after the last intro.
                store
                    .postpone_delivery(delivery.delivery_id, "waiting for intros", intros_due)
                    .await?;
                return Ok(Attempt::Waiting);
            }
            let Some(channel) = community.program_channel_id else {
                store.complete_delivery(delivery.delivery_id, now).await?;
                return Ok(Attempt::Done);
            };
            let figures = store
                .round_figures(delivery.guild_id, delivery.round_id)
                .await?;
            let recovering = delivery.attempts > 0;
            store.begin_delivery_attempt(delivery.delivery_id).await?;
            courier
                .post(channel, &Message::Summary(figures), recovering)
                .await?;
            store.complete_delivery(delivery.delivery_id, now).await?;
            Ok(Attempt::Done)
        }
        (DeliveryKind::Nudge, Some(group)) => {
            let outcomes = store
                .group_outcomes(delivery.guild_id, group.group_id)
                .await?;
            let met = outcomes
                .iter()
                .any(|(_, status)| *status == crate::storage::OutcomeStatus::Met);
            // Only groups with a thread get follow-ups there; DM groups are not chased.
            if met || group.thread_id.is_none() {
                store.complete_delivery(delivery.delivery_id, now).await?;
                return Ok(Attempt::Done);
            }
            let skipped: Vec<UserId> = outcomes
                .iter()
                .filter(|(_, status)| *status == crate::storage::OutcomeStatus::Skipped)
                .map(|(user, _)| *user)
                .collect();
            let members: Vec<UserId> = group
                .members
                .iter()
                .map(|m| m.user_id)
                .filter(|user| !skipped.contains(user))
                .collect();
            if members.len() < 2 {
                store.complete_delivery(delivery.delivery_id, now).await?;
                return Ok(Attempt::Done);
            }
            let thread = group.thread_id.unwrap_or_default();
            let recovering = delivery.attempts > 0;
            store.begin_delivery_attempt(delivery.delivery_id).await?;
            let message = Message::Nudge {
                round_number: group.round_number,
                members,
            };
            courier.post(thread, &message, recovering).await?;
            store.complete_delivery(delivery.delivery_id, now).await?;
            Ok(Attempt::Done)
        }
        (DeliveryKind::Feedback, Some(group)) => {
            let Some(thread) = group.thread_id else {
                store.complete_delivery(delivery.delivery_id, now).await?;
                return Ok(Attempt::Done);
            };
            let recovering = delivery.attempts > 0;
            store.begin_delivery_attempt(delivery.delivery_id).await?;
            let message = Message::Feedback {
                guild_id: group.guild_id,
                round_number: group.round_number,
                group_id: group.group_id,
            };
            courier.post(thread, &message, recovering).await?;
            store.complete_delivery(delivery.delivery_id, now).await?;
            Ok(Attempt::Done)
        }
        (kind, None) => Err(Failure::Internal(anyhow::anyhow!(
            "a {kind:?} delivery without a group"
        ))),
    }
}

/// Creates the group's thread (unless an earlier attempt did), then posts the intro.
/// If the thread cannot be made, the group is told by DM and the reason is kept for the
/// coordinators' summary.
async fn deliver_intro<C: Courier>(
    store: &Store,
    courier: &C,
    delivery: &Delivery,
    community: &Community,
    group: &GroupDetail,
) -> Result<Attempt, Failure> {
    let now = Utc::now();
    let recovering = delivery.attempts > 0;
    let members: Vec<UserId> = group.members.iter().map(|m| m.user_id).collect();
    let Some(channel) = community.program_channel_id else {
        let reason = "no program channel is set (`/hallway-admin setup`)";
        store
            .fall_back_to_dms(delivery, &members, reason, now)
            .await?;
        return Ok(Attempt::Done);
    };
    let view = intro_view(store, group).await?;
    let thread = match group.thread_id {
        Some(thread) => thread,
        None => {
            store.begin_delivery_attempt(delivery.delivery_id).await?;
            let name = thread_name(&view);
            match courier
                .open_thread(community.guild_id, channel, &name, recovering)
                .await
            {
                Ok(thread) => {
                    store.save_group_thread(group.group_id, thread).await?;
                    thread
                }
                Err(SendError::Forbidden(why) | SendError::NotFound(why)) => {
                    let reason =
                        format!("could not create private threads in <#{channel}> ({why})");
                    store
                        .fall_back_to_dms(delivery, &members, &reason, now)
                        .await?;
                    return Ok(Attempt::Done);
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    if group.intro_message_id.is_none() {
        store.begin_delivery_attempt(delivery.delivery_id).await?;
        // After a try that may have reached Discord, the thread's history tells whether
        // the intro went out.
        let message_id = courier
            .post(thread, &Message::Intro(view), recovering)
            .await?;
        store.save_group_intro(group.group_id, message_id).await?;
    }
    store.complete_delivery(delivery.delivery_id, now).await?;
    Ok(Attempt::Done)
}

/// "Ada, Grace & Lin · round 3", within Discord's 100 characters.
pub fn thread_name(view: &IntroView) -> String {
    let names: Vec<&str> = view.members.iter().map(|m| m.name.as_str()).collect();
    let joined = match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} & {last}", rest.join(", ")),
        None => "hallway".to_string(),
    };
    let suffix = format!(" · round {}", view.round_number);
    let room = 100 - suffix.chars().count();
    let mut name: String = joined.chars().take(room).collect();
    if joined.chars().count() > room {
        name.pop();
        name.push('…');
    }
    name + &suffix
}

pub async fn intro_view(store: &Store, group: &GroupDetail) -> anyhow::Result<IntroView> {
    let prompt = match &group.prompt_key {
        Some(key) => prompt_text(store, group.guild_id, key).await?,
        None => None,
    };
    let members: Vec<MemberView> = group
        .members
        .iter()
        .map(|m| MemberView {
            user_id: m.user_id,
            name: m
                .profile
                .as_ref()
                .map_or_else(|| "a member".to_string(), |p| p.display_name.clone()),
            role: m.role,
            institution: m
                .profile
                .as_ref()
                .and_then(|p| p.profile.institution.clone()),
            time_zone: m.profile.as_ref().and_then(|p| p.profile.time_zone),
        })
        .collect();
    let preferences: Vec<suggest::Preference> = group
        .members
        .iter()
        .filter_map(|m| m.profile.as_ref())
        .map(|m| suggest::Preference {
            time_zone: m.profile.time_zone,
            time_of_day: m.profile.time_of_day,
            modality: m.profile.modality,
        })
        .collect();
    let at = group.round_due_at;
    Ok(IntroView {
        guild_id: group.guild_id,
        round_number: group.round_number,
        group_id: group.group_id,
        members,
        prompt,
        suggestion: suggest::suggest(&preferences, at),
        at,
    })
}

/// A prompt's text by key: built-in, or one of the community's (removed ones too).
pub async fn prompt_text(
    store: &Store,
    guild_id: u64,
    key: &str,
) -> anyhow::Result<Option<String>> {
    if let Some(text) = prompts::built_in_text(key) {
        return Ok(Some(text.to_string()));
    }
    let custom = store.custom_prompts(guild_id, true).await?;
    Ok(custom.into_iter().find(|p| p.key == key).map(|p| p.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(names: &[&str]) -> IntroView {
        IntroView {
            guild_id: 1,
            round_number: 12,
            group_id: 1,
            members: names
                .iter()
                .enumerate()
                .map(|(i, name)| MemberView {
                    user_id: i as u64,
                    name: name.to_string(),
                    role: Role::Peer,
                    institution: None,
                    time_zone: None,
                })
                .collect(),
            prompt: None,
            suggestion: suggest::suggest(&[], Utc::now()),
            at: Utc::now(),
        }
    }

    #[test]
    fn thread_names_list_the_members_and_fit_discord() {
        assert_eq!(
            thread_name(&view(&["Ada", "Grace"])),
            "Ada & Grace · round 12"
        );
        assert_eq!(
            thread_name(&view(&["Ada", "Grace", "Lin"])),
            "Ada, Grace & Lin · round 12"
        );
        let long = "x".repeat(80);
        let name = thread_name(&view(&[&long, &long]));
        assert_eq!(name.chars().count(), 100);
        assert!(name.ends_with("… · round 12"));
    }

    #[test]
    fn retry_waits_double_up_to_the_cap() {
        let policy = RetryPolicy {
            first_wait: Duration::from_millis(100),
            max_wait: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let waits: Vec<u128> = (0..5).map(|n| policy.wait(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }
}
