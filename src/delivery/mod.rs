//! Delivering everything hallway posts, from one outbox. Rows drain concurrently (many
//! servers at once, a few rows per server), each failure only reschedules its own row,
//! and a row that may have reached Discord before a crash is looked up there before it
//! is sent again.

pub mod attention;
pub mod fit;
mod outbox;
pub mod pace;
mod row;
mod send;
pub mod survey;

use std::future::Future;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use outbox::{deliver_and_record, Concurrency, Outbox};

use crate::domain::booking::MeetingRules;
use crate::domain::booking::{Booking, SlotChoice};
use crate::domain::group::{GroupDetail, OutcomeStatus, RoundFigures};
use crate::domain::ids::{ChannelId, GroupId, GuildId, InterestId, MessageId, ProgramId, UserId};
use crate::domain::interests;
use crate::domain::outbox::FORMER_MEMBER;
use crate::domain::profile::Role;
use crate::domain::program::Program;
use crate::domain::prompts;
use crate::domain::slots::{self, SlotOffer, SlotRequest};
use crate::domain::suggest::{self, Suggestion};
use crate::storage::Store;

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
        guild_id: GuildId,
        round_number: u32,
        group_id: GroupId,
    },
    /// "Booked", with the chat's calendar file, in the group's thread or a member's DM.
    Booked(BookedView),
    /// A booked chat starts soon.
    Reminder {
        starts_at: DateTime<Utc>,
        /// Mentioned in a thread; empty in a DM.
        members: Vec<UserId>,
    },
    /// After a booked chat's time, in its thread: did you meet? With the answer buttons.
    CheckIn {
        guild_id: GuildId,
        group_id: GroupId,
        starts_at: DateTime<Utc>,
        members: Vec<UserId>,
    },
    /// A booked chat was called off: in a thread, a pointer to the intro's new slots; in
    /// a DM, the new slots themselves.
    Rescheduled(RescheduledView),
    /// "How was the fit?", by DM to one member of a pair after its first "We met".
    FitCheck(fit::FitCheckView),
    /// The weekly attention list, in the coordinators' channel.
    AttentionDigest(attention::DigestView),
    /// A survey's invitation, by DM.
    SurveyInvite(survey::SurveyInviteView),
    /// A survey's one reminder, by DM.
    SurveyReminder(survey::SurveyInviteView),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BookedView {
    pub guild_id: GuildId,
    pub group_id: GroupId,
    pub booking: Booking,
    /// Mentioned in a thread; empty in a DM.
    pub members: Vec<UserId>,
    /// The `.ics` file attached.
    pub calendar: String,
    pub by_dm: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RescheduledView {
    pub guild_id: GuildId,
    pub group_id: GroupId,
    /// Mentioned in a thread; empty in a DM.
    pub members: Vec<UserId>,
    /// In a DM, the slots to pick from (with names for each member's local time).
    pub dm_picker: Option<(SlotChoice, Vec<MemberView>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntroView {
    pub guild_id: GuildId,
    pub round_number: u32,
    pub group_id: GroupId,
    pub members: Vec<MemberView>,
    pub prompt: Option<String>,
    pub suggestion: Suggestion,
    /// When the round started: the moment time zones and windows are read at.
    pub at: DateTime<Utc>,
    /// The group's answers so far, shown when the intro is rewritten.
    pub answers: Vec<(UserId, OutcomeStatus)>,
    /// The interest tags every member of the group picked.
    pub shared_interests: Vec<String>,
    /// The slots offered and picked, and the booking; `None` for groups from before
    /// booking existed.
    pub slots: Option<SlotChoice>,
    /// The program's meeting length.
    pub meeting_minutes: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    /// `None` for a member who asked to be forgotten: named "a former member", with
    /// nothing else about them.
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: Role,
    pub institution: Option<String>,
    pub time_zone: Option<Tz>,
    /// "Ask me about …".
    pub about: Option<String>,
    /// The interest tags they picked in the program.
    pub interests: Vec<String>,
}

/// Why Discord did not take a message. The text is Discord's, for the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 5xx, a timeout or a dropped connection: the request may have landed, so the next
    /// try looks first.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// 429: refused before anything happened.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// Any other 4xx, with Discord's JSON error code: retrying would not help.
    #[error("refused with HTTP {status}, code {code}: {detail}")]
    Refused {
        status: u16,
        code: u64,
        detail: String,
    },
}

/// Discord's JSON error codes that delivery acts on.
pub mod codes {
    /// 403: the bot cannot see the channel.
    pub const MISSING_ACCESS: u64 = 50001;
    /// 400: the thread is archived (and, for a message, locked).
    pub const THREAD_ARCHIVED: u64 = 50083;
    /// 400: the server has Discord's maximum of active threads.
    pub const MAX_ACTIVE_THREADS: u64 = 160006;
    /// 404: the channel (or thread) was deleted.
    pub const UNKNOWN_CHANNEL: u64 = 10003;
    /// 404: the message was deleted.
    pub const UNKNOWN_MESSAGE: u64 = 10008;
}

impl SendError {
    pub fn is_refusal(&self, wanted: u64) -> bool {
        matches!(self, SendError::Refused { code, .. } if *code == wanted)
    }

    /// The channel or message no longer exists: there is nothing left to change.
    pub fn is_gone(&self) -> bool {
        self.is_refusal(codes::UNKNOWN_CHANNEL)
            || self.is_refusal(codes::UNKNOWN_MESSAGE)
            || self.status() == Some(404)
    }

    fn status(&self) -> Option<u16> {
        match self {
            SendError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Sends messages to Discord. `recovering` means an earlier attempt may have reached
/// Discord before hallway stopped: look for its result before sending again.
pub trait Courier: Send + Sync {
    fn open_thread(
        &self,
        guild_id: GuildId,
        channel_id: ChannelId,
        name: &str,
        recovering: bool,
    ) -> impl Future<Output = Result<ChannelId, SendError>> + Send;

    fn post(
        &self,
        channel_id: ChannelId,
        message: &Message,
        recovering: bool,
    ) -> impl Future<Output = Result<MessageId, SendError>> + Send;

    fn open_dm(&self, user_id: UserId)
        -> impl Future<Output = Result<ChannelId, SendError>> + Send;

    /// Archives a thread; a member's message reopens it.
    fn archive_thread(
        &self,
        thread_id: ChannelId,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    fn react(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: &str,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Renames a thread. Discord refuses this in an archived thread (50083).
    fn rename_thread(
        &self,
        thread_id: ChannelId,
        name: &str,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Makes an archived thread active again, so it can be changed.
    fn unarchive_thread(
        &self,
        thread_id: ChannelId,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Rewrites one of hallway's messages, without notifying anyone again. Discord refuses
    /// this in an archived thread (50083).
    fn edit(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
        message: &Message,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    fn delete_message(
        &self,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> impl Future<Output = Result<(), SendError>> + Send;
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
        Some(key) => prompt_text(store, group.program_id, key).await?,
        None => None,
    };
    let tags = store.interests(group.program_id).await?;
    let mut picks: Vec<Vec<InterestId>> = Vec::with_capacity(group.members.len());
    for m in &group.members {
        picks.push(store.member_interests(group.program_id, m.user_id).await?);
    }
    let picked: Vec<&[InterestId]> = picks.iter().map(Vec::as_slice).collect();
    let shared_interests = interests::shared(&tags, &picked)
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut members: Vec<MemberView> = group
        .members
        .iter()
        .zip(&picks)
        .map(|(m, picked)| MemberView {
            about: m.profile.as_ref().and_then(|p| p.about.clone()),
            interests: tags
                .iter()
                .filter(|t| picked.contains(&t.interest_id))
                .map(|t| t.name.clone())
                .collect(),
            user_id: Some(m.user_id),
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
    // Those who asked to be forgotten keep their seat, last, and nothing else.
    for _ in 0..store.forgotten_seats(group.group_id).await? {
        members.push(MemberView {
            user_id: None,
            name: FORMER_MEMBER.to_string(),
            role: crate::domain::profile::Role::Peer,
            institution: None,
            time_zone: None,
            about: None,
            interests: Vec::new(),
        });
    }
    let preferences = preferences(group);
    let at = group.round_due_at;
    let meeting_minutes = store
        .program(group.guild_id, group.program_id)
        .await?
        .map_or(MeetingRules::default().minutes, |p| p.meeting.minutes);
    Ok(IntroView {
        slots: store.slot_choice(group.group_id).await?,
        meeting_minutes,
        guild_id: group.guild_id,
        round_number: group.round_number,
        group_id: group.group_id,
        members,
        prompt,
        suggestion: suggest::suggest(&preferences, at),
        at,
        answers: Vec::new(),
        shared_interests,
    })
}

/// The group's slots: the first offer is made once, from its members' time zones and
/// windows as of `now`, and kept, so every retry and every DM shows the same times.
pub async fn offer_slots(
    store: &Store,
    group: &GroupDetail,
    now: DateTime<Utc>,
) -> anyhow::Result<SlotChoice> {
    if let Some(choice) = store.slot_choice(group.group_id).await? {
        return Ok(choice);
    }
    let program = store.program(group.guild_id, group.program_id).await?;
    let offer = find_slots(group, program.as_ref(), now, &[]);
    store
        .offer_first_slots(group.guild_id, group.group_id, &offer, now)
        .await
}

/// Slots for the group after `after`, never one of `exclude`.
pub fn find_slots(
    group: &GroupDetail,
    program: Option<&Program>,
    after: DateTime<Utc>,
    exclude: &[DateTime<Utc>],
) -> SlotOffer {
    let preferences = preferences(group);
    let fallback_zone = program
        .and_then(|p| p.schedule.map(|s| s.time_zone))
        .unwrap_or(chrono_tz::UTC);
    slots::offer(&SlotRequest {
        members: &preferences,
        fallback_zone,
        meeting_minutes: program.map_or(MeetingRules::default().minutes, |p| p.meeting.minutes),
        after,
        exclude,
    })
}

fn preferences(group: &GroupDetail) -> Vec<suggest::Preference> {
    group
        .members
        .iter()
        .filter_map(|m| m.profile.as_ref())
        .map(|m| suggest::Preference {
            time_zone: m.profile.time_zone,
            time_of_day: m.profile.time_of_day,
            modality: m.profile.modality,
        })
        .collect()
}

/// A prompt's text by key: built-in, or one of the program's (removed ones too).
pub async fn prompt_text(
    store: &Store,
    program_id: ProgramId,
    key: &str,
) -> anyhow::Result<Option<String>> {
    if let Some(text) = prompts::built_in_text(key) {
        return Ok(Some(text.to_string()));
    }
    let custom = store.custom_prompts(program_id, true).await?;
    Ok(custom.into_iter().find(|p| p.key == key).map(|p| p.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(names: &[&str]) -> IntroView {
        IntroView {
            guild_id: GuildId(1),
            round_number: 12,
            group_id: GroupId(1),
            members: names
                .iter()
                .enumerate()
                .map(|(i, name)| MemberView {
                    user_id: Some(UserId(i as u64)),
                    name: name.to_string(),
                    role: Role::Peer,
                    institution: None,
                    time_zone: None,
                    about: None,
                    interests: Vec::new(),
                })
                .collect(),
            prompt: None,
            suggestion: suggest::suggest(&[], Utc::now()),
            at: Utc::now(),
            answers: Vec::new(),
            shared_interests: Vec::new(),
            slots: None,
            meeting_minutes: 50,
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
}
