//! A round of matching: what starts one, what the matching step needs and produces,
//! and what is saved.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, InterestId, PreviewId, ProgramId, RoundId, UserId};
use super::interests::Interest;
use super::matching::History;
use super::member::Member;
use super::profile::Role;
use super::prompts::PromptsSeen;
use super::words::word_enum;

/// What started a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trigger {
    Schedule,
    Manual,
}
word_enum!(Trigger, "round trigger", { Schedule => "schedule", Manual => "manual" });

/// Where a round is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoundState {
    Claimed,
    Matched,
    Delivered,
    Failed,
}
word_enum!(RoundState, "round state", {
    Claimed => "claimed",
    Matched => "matched",
    Delivered => "delivered",
    Failed => "failed",
});

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRecord {
    pub round_id: RoundId,
    pub guild_id: GuildId,
    pub program_id: ProgramId,
    pub number: u32,
    pub due_at: DateTime<Utc>,
    pub seed: u64,
    pub state: RoundState,
    pub notes: String,
}

/// A group as the round step saves it (and as a preview keeps it until Confirm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGroup {
    pub members: Vec<(UserId, Role)>,
    pub prompt_key: Option<String>,
}

/// A round's groups before they are saved: what a preview shows and Confirm saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub seed: u64,
    pub groups: Vec<NewGroup>,
    /// Compromises, worded for coordinators; they name nobody.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn people(&self) -> usize {
        self.groups.iter().map(|g| g.members.len()).sum()
    }
}

/// A matched round, saved with its outbox in one transaction.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub guild_id: GuildId,
    pub program_id: ProgramId,
    pub due_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub seed: u64,
    pub notes: Vec<String>,
    pub groups: Vec<NewGroup>,
    /// When each group without a "We met" gets its nudge.
    pub nudge_at: DateTime<Utc>,
    /// When each group is asked how it went.
    pub feedback_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The preview this round confirms: claimed in the same transaction, so a double
    /// click on Confirm runs it once.
    pub confirms_preview: Option<PreviewId>,
}

/// A round's groups no longer stand by the time it is saved: someone left or was
/// forgotten, or a do-not-match entry now falls inside a group. Nothing was saved; the
/// round is matched again (a scheduled one on the scheduler's next pass).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the groups changed while the round was being saved (a leave, a forget-me or a do-not-match entry)")]
pub struct GroupsChanged;

/// Everything the matching engine needs about a community, read in one go.
#[derive(Debug, Clone, Default)]
pub struct MatchingInput {
    /// Every member who has not left (paused ones included: the caller decides).
    pub members: Vec<Member>,
    pub avoid: Vec<(UserId, UserId)>,
    /// The program's past rounds as the engine keeps them, shared with the store, which
    /// keeps it between rounds (never written through here).
    pub history: Arc<History>,
    /// The number of the program's latest round with groups (0 for none): the rounds of
    /// other programs this week are laid over the history as the round after it.
    pub latest_round: u32,
    /// Groups of the server's other programs matched in the week before the round: two
    /// people who meet there are not matched here too while anyone else is available.
    pub met_elsewhere_this_week: Vec<Vec<UserId>>,
    /// Prompt keys each member has already had.
    pub prompts_seen: Arc<PromptsSeen>,
    /// The program's interest tags, oldest first, and the members' picks of them.
    pub interests: Vec<Interest>,
    pub picks: Vec<(UserId, InterestId)>,
}

/// A previewed round waiting for Confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub preview_id: PreviewId,
    pub plan: Plan,
    pub confirmed_round_id: Option<RoundId>,
    pub made_at: DateTime<Utc>,
    pub program_id: ProgramId,
    /// Whether any round of the server started after the preview was made: one in this
    /// program dates its groups, one in another may pair the same people this week.
    pub round_started_since: bool,
}
