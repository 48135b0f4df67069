//! What the engine is given for a round: the members, the do-not-match pairs and the
//! community's settings.

use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::program::MatchingMode;

/// Interest tags a program can define: bits 0-24 of [`Candidate::interests`].
pub const INTEREST_TAGS: u32 = 25;
/// Tags a member can pick.
pub const MEMBER_INTERESTS: u32 = 5;

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
    /// The program's interest tags the member picked: bit `i` for tag number `i`
    /// (0-24). Bits above 24 are ignored.
    pub interests: u32,
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
            interests: 0,
        }
    }
}

/// The tags two members share, as a bitmask like [`Candidate::interests`].
pub fn shared_interests(a: u32, b: u32) -> u32 {
    a & b & ((1 << INTEREST_TAGS) - 1)
}

pub use crate::domain::program::InterestWeight;

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
    /// How much shared interest tags count.
    pub interest_weight: InterestWeight,
    /// Seeds the labelling of a small pool's planned year of circles (see
    /// `docs/matching.md`): the same seed keeps the same plan from round to round.
    pub plan_seed: u64,
}

impl MatchSettings {
    /// Settings for a mode and group size, with cross-institution off, mentee circles,
    /// a light interest weight and plan seed 0.
    pub fn new(mode: MatchingMode, group_size: u8) -> Self {
        MatchSettings {
            mode,
            group_size,
            cross_institution: false,
            circle_role: Some(Role::Mentee),
            interest_weight: InterestWeight::Light,
            plan_seed: 0,
        }
    }
}

/// Pairs kept apart. Unordered: `(a, b)` also covers `(b, a)`.
///
/// Hard pairs (a member's confidential do-not-match list) are never matched. Soft pairs
/// (one of the two said "Not a fit" after their chat) are matched only when no grouping
/// without them exists: each costs more than any number of repeats a grouping could
/// trade for it, and less than breaking a hard pair. A pair that is both is hard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvoidList {
    /// Hard pairs: sorted, deduplicated, each as `(smaller, larger)`.
    pairs: Vec<(u64, u64)>,
    /// Soft pairs, the same way, none of them hard.
    soft: Vec<(u64, u64)>,
}

impl AvoidList {
    pub fn new() -> Self {
        Self::default()
    }

    /// The same hard pairs, and these soft ones (a pair already hard stays hard).
    pub fn with_soft(mut self, pairs: impl IntoIterator<Item = (u64, u64)>) -> Self {
        let mut soft = normalized(pairs.into_iter().chain(self.soft.iter().copied()));
        soft.retain(|pair| self.pairs.binary_search(pair).is_err());
        self.soft = soft;
        self
    }

    /// Whether the pair must never be matched.
    pub fn contains(&self, a: u64, b: u64) -> bool {
        self.pairs.binary_search(&ordered(a, b)).is_ok()
    }

    /// Whether the pair is matched only when nothing else is possible.
    pub fn soft_contains(&self, a: u64, b: u64) -> bool {
        self.soft.binary_search(&ordered(a, b)).is_ok()
    }

    /// Whether there are no hard pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// How many hard pairs there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The hard pairs, each as `(smaller, larger)`, sorted.
    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.pairs
    }

    /// The soft pairs, each as `(smaller, larger)`, sorted.
    pub fn soft_pairs(&self) -> &[(u64, u64)] {
        &self.soft
    }
}

impl FromIterator<(u64, u64)> for AvoidList {
    /// Hard pairs.
    fn from_iter<I: IntoIterator<Item = (u64, u64)>>(iter: I) -> Self {
        AvoidList {
            pairs: normalized(iter),
            soft: Vec::new(),
        }
    }
}

/// Pairs as `(smaller, larger)`, sorted and deduplicated, without anyone paired with
/// themselves.
fn normalized(pairs: impl IntoIterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    let mut pairs: Vec<(u64, u64)> = pairs
        .into_iter()
        .filter(|(a, b)| a != b)
        .map(|(a, b)| ordered(a, b))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn ordered(a: u64, b: u64) -> (u64, u64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_weight_is_a_word_and_light_by_default() {
        assert_eq!(InterestWeight::default(), InterestWeight::Light);
        assert_eq!(
            MatchSettings::new(MatchingMode::Open, 2).interest_weight,
            InterestWeight::Light
        );
        for w in InterestWeight::ALL {
            assert_eq!(w.as_str().parse::<InterestWeight>(), Ok(*w));
        }
        assert_eq!(
            "Strong".parse::<InterestWeight>(),
            Ok(InterestWeight::Strong)
        );
        let err = "heavy".parse::<InterestWeight>().unwrap_err().to_string();
        assert_eq!(
            err,
            "'heavy' is not a weight for interests; use one of: off light strong"
        );
    }

    #[test]
    fn a_soft_pair_is_unordered_and_a_hard_pair_stays_hard() {
        let list: AvoidList = [(1, 2)].into_iter().collect();
        let list = list.with_soft([(2, 1), (4, 3), (3, 4), (5, 5)]);
        assert!(
            list.contains(1, 2) && !list.soft_contains(1, 2),
            "hard wins"
        );
        assert!(list.soft_contains(3, 4) && list.soft_contains(4, 3));
        assert!(!list.contains(3, 4));
        assert_eq!(list.soft_pairs(), &[(3, 4)]);
        assert_eq!((list.len(), list.is_empty()), (1, false));
        let soft_only = AvoidList::new().with_soft([(7, 8)]);
        assert!(soft_only.is_empty(), "is_empty counts hard pairs");
        assert!(
            soft_only.with_soft([(9, 10)]).soft_contains(7, 8),
            "soft pairs add up"
        );
    }

    #[test]
    fn shared_interests_are_the_common_tags_of_the_25() {
        assert_eq!(shared_interests(0b1011, 0b0110), 0b0010);
        assert_eq!(shared_interests(0, u32::MAX), 0);
        assert_eq!(shared_interests(u32::MAX, u32::MAX), (1 << 25) - 1);
    }
}
