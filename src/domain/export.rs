//! The rows of a community's export (`/hallway-admin export`, `hallway export`), for
//! program evaluation: one struct per CSV file. Avoid lists are never part of it, and
//! feedback leaves as counts per round, so coordinators only see aggregates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::group::{OutcomeStatus, Rating};
use super::ids::UserId;
use super::profile::Role;
use super::round::{RoundState, Trigger};
use super::wins::WinKind;

/// One row of `rounds.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoundRow {
    pub round: u32,
    pub due_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub state: RoundState,
    pub chats: u32,
    pub people: u32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One row of `groups.csv`: a member of a group. Members who asked to be forgotten have
/// no row; `group_size` still counts them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupRow {
    pub round: u32,
    /// The group's number within its round, from 1.
    pub group: u32,
    pub group_size: u32,
    pub user_id: UserId,
    pub role: Role,
    /// When the group's booked chat starts; `None` while it has no booked time (never
    /// booked, or rescheduled and not booked again). Last, so readers of the older
    /// columns keep working.
    pub booked_for: Option<DateTime<Utc>>,
}

/// One row of `outcomes.csv`: what a member said happened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub round: u32,
    pub group: u32,
    pub user_id: UserId,
    pub status: OutcomeStatus,
    pub recorded_at: DateTime<Utc>,
}

/// One row of `feedback.csv`: how many answers of one rating a round had. No member and
/// no group, so no answer can be traced to a person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub round: u32,
    pub rating: Rating,
    pub answers: u32,
}

/// One row of `wins.csv`: a celebrated win, public when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WinRow {
    pub created_at: DateTime<Utc>,
    pub user_id: UserId,
    pub kind: WinKind,
    pub description: String,
    pub link: Option<String>,
}

/// Everything the export holds, read in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRows {
    pub rounds: Vec<RoundRow>,
    pub groups: Vec<GroupRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub feedback: Vec<FeedbackRow>,
    pub wins: Vec<WinRow>,
}
