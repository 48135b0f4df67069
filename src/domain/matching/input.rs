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
}

impl MatchSettings {
    /// Settings for a mode and group size, with cross-institution off, mentee circles
    /// and a light interest weight.
    pub fn new(mode: MatchingMode, group_size: u8) -> Self {
        MatchSettings {
            mode,
            group_size,
            cross_institution: false,
            circle_role: Some(Role::Mentee),
            interest_weight: InterestWeight::Light,
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
    fn shared_interests_are_the_common_tags_of_the_25() {
        assert_eq!(shared_interests(0b1011, 0b0110), 0b0010);
        assert_eq!(shared_interests(0, u32::MAX), 0);
        assert_eq!(shared_interests(u32::MAX, u32::MAX), (1 << 25) - 1);
    }
}
