//! What the engine is given for a round: the members, the do-not-match pairs and the
//! community's settings.

use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::program::MatchingMode;

/// One member, as the engine sees them this round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Discord user id.
    pub id: u64,
    pub role: Role,
    pub institution: Option<String>,
    /// The caller converts the member's IANA zone to an offset at round time.
    pub utc_offset_minutes: Option<i32>,
    pub time_of_day: TimeOfDay,
    pub modality: Modality,
    /// Mentors: the most mentees they meet this round (0-5). Ignored for others.
    pub capacity: u8,
    /// False when paused or departed: such a member is never matched.
    pub available: bool,
}

impl Candidate {
    /// A peer with no preferences, for tests and simple callers.
    pub fn peer(id: u64) -> Self {
        Candidate {
            id,
            role: Role::Peer,
            institution: None,
            utc_offset_minutes: None,
            time_of_day: TimeOfDay::Flexible,
            modality: Modality::Any,
            capacity: 0,
            available: true,
        }
    }
}

/// How a community wants its rounds matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchSettings {
    pub mode: MatchingMode,
    /// 2 for pairs, 3-4 for small groups. In mentor-mentee mode, a mentor's chat holds
    /// the mentor and `group_size - 1` mentees.
    pub group_size: u8,
    /// Prefer pairs from different institutions.
    pub cross_institution: bool,
    /// Peer circles: only members of this role are grouped; `None` groups every role
    /// separately.
    pub circle_role: Option<Role>,
}

impl MatchSettings {
    /// Settings for a mode and group size, with cross-institution off and mentee circles.
    pub fn new(mode: MatchingMode, group_size: u8) -> Self {
        MatchSettings {
            mode,
            group_size,
            cross_institution: false,
            circle_role: Some(Role::Mentee),
        }
    }
}

/// Confidential do-not-match pairs. Unordered: `(a, b)` also forbids `(b, a)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvoidList {
    /// Sorted, deduplicated, each pair as `(smaller, larger)`.
    pairs: Vec<(u64, u64)>,
}

impl AvoidList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the pair must never be matched.
    pub fn contains(&self, a: u64, b: u64) -> bool {
        self.pairs.binary_search(&ordered(a, b)).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The pairs, each as `(smaller, larger)`, sorted.
    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.pairs
    }
}

impl FromIterator<(u64, u64)> for AvoidList {
    fn from_iter<I: IntoIterator<Item = (u64, u64)>>(iter: I) -> Self {
        let mut pairs: Vec<(u64, u64)> = iter
            .into_iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| ordered(a, b))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        AvoidList { pairs }
    }
}

fn ordered(a: u64, b: u64) -> (u64, u64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}
