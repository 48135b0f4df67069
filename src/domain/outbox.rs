//! The outbox's rules, free of I/O: what kinds of post there are, in which order they go,
//! how long a failed one waits before its next try, and how a delivery problem is worded
//! for coordinators.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId, UserId};
use serde::{Deserialize, Serialize};

use super::words::word_enum;

/// Everything hallway posts is one of these, in one outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxKind {
    /// The first message in a group's private thread.
    Intro,
    /// The intro sent to one member by DM, when the group's thread could not be made.
    DmIntro,
    /// The round's summary in the program channel.
    Summary,
    Nudge,
    Feedback,
    /// A win, a milestone or a watercooler prompt.
    Celebration,
    /// Archive a finished round's thread, to stay under Discord's active-thread cap.
    ArchiveThread,
    /// Rename a group's thread after a member of it asked to be forgotten.
    RenameThread,
    /// Rewrite one of hallway's messages about a group (its intro, a DM intro, a nudge)
    /// after a member of it asked to be forgotten, or a DM intro after the group's picks,
    /// times or booking changed.
    RedactMessage,
    /// Delete a post that was all about a member who asked to be forgotten: their win,
    /// their milestone.
    DeleteMessage,
    /// "Booked": the group's chat time, with a calendar file, in its thread or each DM.
    Booked,
    /// A booked chat is about to start.
    Reminder,
    /// After a booked chat's time: did you meet? (threads only, with the answer buttons)
    CheckIn,
    /// A booked chat was called off with Reschedule: new slots to pick from.
    Rescheduled,
    /// "How was the fit?", by DM to one member of a pair after its first "We met".
    FitCheck,
    /// The weekly "needs attention" list, in a program's coordinators' channel.
    AttentionDigest,
    /// A survey's invitation, by DM to one member.
    SurveyInvite,
    /// The one reminder of a survey, by DM to a member who has neither answered nor declined.
    SurveyReminder,
}

word_enum!(OutboxKind, "outbox kind", {
    Intro => "intro",
    DmIntro => "dm-intro",
    Summary => "summary",
    Nudge => "nudge",
    Feedback => "feedback",
    Celebration => "celebration",
    ArchiveThread => "archive-thread",
    RenameThread => "rename-thread",
    RedactMessage => "redact-message",
    DeleteMessage => "delete-message",
    Booked => "booked",
    Reminder => "reminder",
    CheckIn => "check-in",
    Rescheduled => "rescheduled",
    FitCheck => "fit-check",
    AttentionDigest => "attention-digest",
    SurveyInvite => "survey-invite",
    SurveyReminder => "survey-reminder",
});

/// What a forgotten member is called in what hallway posted about their group.
pub const FORMER_MEMBER: &str = "a former member";

/// Which of hallway's messages a `redact-message` row rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Redraw {
    /// The group's intro in its thread (the group's own record says where it is).
    Intro,
    /// An intro sent by DM, at `at`.
    DmIntro,
    /// The halfway nudge in the group's thread, at `at`.
    Nudge,
}

/// A message hallway posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub channel_id: ChannelId,
    pub message_id: MessageId,
}

/// The detail of a forget-me row. It names nobody: the new text is drawn when the row
/// goes out, from the group as it is then, so a second member forgotten from the same
/// group is left out too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// `None` for a deletion.
    pub redraw: Option<Redraw>,
    /// `None` for what the group's record points at (its thread, its intro).
    pub at: Option<Posted>,
}

impl OutboxKind {
    /// Among rows due at the same moment, lower goes first: old threads are archived
    /// before new ones are opened, and a summary comes after the intros it reports on.
    pub fn priority(self) -> u8 {
        match self {
            OutboxKind::ArchiveThread => 0,
            OutboxKind::Intro | OutboxKind::DmIntro => 1,
            OutboxKind::Summary => 3,
            _ => 2,
        }
    }
}

/// How a failing row is retried: each retry is a later due time in the outbox, never a
/// sleep, so one failing row holds up nothing else.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each failure after that.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// Failures (429s included) before a row is given up and marked failed.
    pub max_failures: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
            // About a day and a half of trying at the longest wait before a message is
            // given up: long enough to ride out any Discord outage on record.
            max_failures: 160,
        }
    }
}

/// What to do with a row after a failure that may heal (5xx, timeout, 429).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    RetryAfter(Duration),
    GiveUp,
}

impl RetryPolicy {
    /// `failures` counts this one: 1 after the first failure.
    pub fn after_failure(&self, failures: u32, rate_limited: bool) -> RetryDecision {
        if failures >= self.max_failures {
            return RetryDecision::GiveUp;
        }
        if rate_limited {
            // Rate limits reset within seconds: a short fixed step, not a long backoff.
            return RetryDecision::RetryAfter(self.first_wait.min(self.max_wait));
        }
        let exponent = failures.saturating_sub(1).min(20);
        let wait = self
            .first_wait
            .saturating_mul(1 << exponent)
            .min(self.max_wait);
        RetryDecision::RetryAfter(wait)
    }
}

/// Why a group was told by DM, or not at all, in words a coordinator can act on. Discord's
/// own error text goes to the log, never here: the summary is posted in a public channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryProblem {
    NoProgramChannel,
    /// hallway lacks a permission in the channel; the name is Discord's.
    MissingPermission {
        permission: &'static str,
        channel_id: ChannelId,
    },
    /// The program channel no longer exists.
    ChannelGone {
        channel_id: ChannelId,
    },
    /// The server has Discord's maximum of active threads, and none of them are hallway's
    /// to archive.
    ThreadCap,
    /// Some members do not accept direct messages from this server.
    DmsClosed,
    /// Discord kept failing for longer than the retry policy allows.
    DiscordUnavailable,
    /// Anything else Discord refused.
    Refused,
}

impl DeliveryProblem {
    pub fn describe(&self) -> String {
        match self {
            DeliveryProblem::NoProgramChannel => {
                "no program channel is set: a coordinator can set one with `/hallway-admin setup`."
                    .into()
            }
            DeliveryProblem::MissingPermission {
                permission,
                channel_id,
            } => format!(
                "hallway lacks the **{permission}** permission in <#{channel_id}>: give it to hallway's role in the channel settings."
            ),
            DeliveryProblem::ChannelGone { channel_id } => format!(
                "the program channel <#{channel_id}> no longer exists: set a new one with `/hallway-admin setup`."
            ),
            DeliveryProblem::ThreadCap => {
                "this server has reached Discord's limit of 1,000 active threads, none of them hallway's to archive: archive some threads, and hallway uses threads again."
                    .into()
            }
            DeliveryProblem::DmsClosed => {
                "some members do not accept direct messages from server members (Privacy Settings in the server menu)."
                    .into()
            }
            DeliveryProblem::DiscordUnavailable => {
                "Discord kept failing for hours, so hallway gave up on some messages.".into()
            }
            DeliveryProblem::Refused => {
                "Discord refused some messages; the bot's log has the details.".into()
            }
        }
    }
}

/// One pending row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub outbox_id: i64,
    pub guild_id: GuildId,
    /// The program whose channels a round's post or a celebration goes to; `None` for
    /// forget-me's rows, which change messages where they are.
    pub program_id: Option<ProgramId>,
    pub kind: OutboxKind,
    pub key: String,
    pub round_id: Option<RoundId>,
    pub group_id: Option<GroupId>,
    pub user_id: Option<UserId>,
    /// What a celebration posts, as JSON.
    pub detail: Option<String>,
    /// Tries that may have reached Discord; after one, look before sending again.
    pub attempts: u32,
    /// Failed tries so far, 429s included.
    pub failures: u32,
}

impl OutboxRow {
    /// An earlier try may have reached Discord: look for its result first.
    pub fn recovering(&self) -> bool {
        self.attempts > 0
    }
}

/// When, and how, a pending row is tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryAt {
    pub at: DateTime<Utc>,
    /// A failed try, counted against the retry policy; a row that only waits (a summary
    /// waiting for its intros) does not count one.
    pub counts_as_failure: bool,
    /// Discord refused the try before acting (a 429): it takes its attempt back, so the
    /// next try needs no look-up.
    pub refused_before_acting: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_then_give_up() {
        let policy = RetryPolicy {
            first_wait: Duration::from_millis(100),
            max_wait: Duration::from_millis(500),
            max_failures: 6,
        };
        let waits: Vec<RetryDecision> = (1..=6).map(|n| policy.after_failure(n, false)).collect();
        let ms = |n| RetryDecision::RetryAfter(Duration::from_millis(n));
        assert_eq!(
            waits,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(500),
                ms(500),
                RetryDecision::GiveUp
            ]
        );
    }

    #[test]
    fn a_rate_limit_waits_one_short_step_every_time() {
        let policy = RetryPolicy::default();
        for failures in [1, 5, 50] {
            assert_eq!(
                policy.after_failure(failures, true),
                RetryDecision::RetryAfter(Duration::from_secs(1))
            );
        }
    }

    #[test]
    fn the_default_policy_tries_for_more_than_a_day() {
        let policy = RetryPolicy::default();
        let mut total = Duration::ZERO;
        for failures in 1.. {
            match policy.after_failure(failures, false) {
                RetryDecision::RetryAfter(wait) => total += wait,
                RetryDecision::GiveUp => break,
            }
        }
        assert!(total > Duration::from_secs(24 * 3600), "{total:?}");
    }

    #[test]
    fn problems_name_no_raw_discord_text() {
        let text = DeliveryProblem::MissingPermission {
            permission: "Create Private Threads",
            channel_id: ChannelId(7),
        }
        .describe();
        assert!(text.contains("Create Private Threads") && text.contains("<#7>"));
        assert!(!text.contains("50013"));
    }

    #[test]
    fn archives_go_before_intros_and_summaries_last() {
        let mut kinds = OutboxKind::ALL.to_vec();
        kinds.sort_by_key(|k| k.priority());
        assert_eq!(kinds.first(), Some(&OutboxKind::ArchiveThread));
        assert_eq!(kinds.last(), Some(&OutboxKind::Summary));
    }
}
