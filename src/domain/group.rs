//! A matched group as delivery, buttons and a member's history see it, and what its
//! members said about their chat.

use chrono::{DateTime, Utc};

use super::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId, UserId};
use super::member::Member;
use super::profile::Role;
use super::words::word_enum;

/// A group as delivery and buttons see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetail {
    pub group_id: GroupId,
    pub guild_id: GuildId,
    pub program_id: ProgramId,
    pub round_id: RoundId,
    pub round_number: u32,
    pub round_due_at: DateTime<Utc>,
    pub members: Vec<GroupMember>,
    pub prompt_key: Option<String>,
    pub thread_id: Option<ChannelId>,
    pub intro_message_id: Option<MessageId>,
    pub delivered_via: Option<DeliveredVia>,
    /// hallway archived the group's thread (a member's message may have reopened it).
    pub thread_archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub user_id: UserId,
    pub role: Role,
    /// `None` when the member has since asked to be forgotten.
    pub profile: Option<Member>,
}

/// How a group got its intro.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveredVia {
    /// In a private thread in the program channel.
    Thread,
    /// By DM to each member, when a thread could not be made.
    Dm,
}
word_enum!(DeliveredVia, "delivery route", { Thread => "thread", Dm => "dm" });

/// What a member said about their chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutcomeStatus {
    Met,
    NotYet,
    Skipped,
}
word_enum!(OutcomeStatus, "chat outcome", {
    Met => "met",
    NotYet => "not-yet",
    Skipped => "skipped",
});

/// An answer to "how was it?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    Great,
    Good,
    Meh,
}
word_enum!(Rating, "rating", { Great => "great", Good => "good", Meh => "meh" });

/// Figures for the summary a round posts when its intros are out.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundFigures {
    pub number: u32,
    /// Groups the round matched.
    pub groups: u32,
    /// Groups whose intro reached them: in their thread, or by DM to at least one member.
    pub reached: u32,
    /// People who got an intro.
    pub people: u32,
    /// Of the groups reached, those told by DM instead of a thread.
    pub by_dm: u32,
    /// Groups nobody could be told about.
    pub undelivered: u32,
    /// Members of DM groups whose DM Discord refused (most often: closed DMs).
    pub dms_refused: u32,
    /// Why some groups were told by DM or not at all, in plain words.
    pub notes: Vec<String>,
    /// Share of the previous round's groups where someone clicked "We met".
    pub previous_met_rate: Option<f64>,
}

/// One past chat, as its member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastChat {
    /// The name of the program the round was in.
    pub program: String,
    pub round_number: u32,
    pub due_at: DateTime<Utc>,
    /// The others in the group: id, role, and name (`None` if they were forgotten).
    pub others: Vec<(UserId, Role, Option<String>)>,
    pub my_answer: Option<OutcomeStatus>,
}
