//! A community's program settings: how and when its members are matched.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::profile::{word_enum, UnknownWord};

/// How members are put together in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchingMode {
    /// Anyone with anyone, in groups of `group_size`.
    Open,
    /// Each group has one mentor and mentees, up to the mentor's capacity.
    MentorMentee,
    /// Groups of 3-4 members of the same role (mentees by default).
    PeerCircles,
}

word_enum!(MatchingMode, "matching mode", {
    Open => "open", MentorMentee => "mentor-mentee", PeerCircles => "peer-circles",
});

/// How often a community's rounds come round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    Weekly,
    Biweekly,
    Every3Weeks,
    Every4Weeks,
    Monthly,
}

word_enum!(Cadence, "cadence", {
    Weekly => "weekly", Biweekly => "biweekly", Every3Weeks => "every-3-weeks",
    Every4Weeks => "every-4-weeks", Monthly => "monthly",
});

/// The smallest and largest group a community can ask for.
pub const GROUP_SIZE_RANGE: std::ops::RangeInclusive<u8> = 2..=4;
