//! A community's program settings: how and when its members are matched.

use serde::{Deserialize, Serialize};

use super::words::word_enum;

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

/// A day of the week, as coordinators pick it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

word_enum!(Day, "day", {
    Mon => "mon", Tue => "tue", Wed => "wed", Thu => "thu", Fri => "fri", Sat => "sat", Sun => "sun",
});

impl From<Day> for chrono::Weekday {
    fn from(day: Day) -> Self {
        match day {
            Day::Mon => chrono::Weekday::Mon,
            Day::Tue => chrono::Weekday::Tue,
            Day::Wed => chrono::Weekday::Wed,
            Day::Thu => chrono::Weekday::Thu,
            Day::Fri => chrono::Weekday::Fri,
            Day::Sat => chrono::Weekday::Sat,
            Day::Sun => chrono::Weekday::Sun,
        }
    }
}

/// The smallest and largest group a community can ask for.
pub const GROUP_SIZE_RANGE: std::ops::RangeInclusive<u8> = 2..=4;

/// When rounds happen: every `cadence`, on `weekday` at `hour` in `time_zone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    pub weekday: chrono::Weekday,
    pub hour: u8,
    pub time_zone: chrono_tz::Tz,
}

/// How a community's members are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchingRules {
    pub mode: MatchingMode,
    pub group_size: u8,
    pub cross_institution: bool,
}

impl Default for MatchingRules {
    fn default() -> Self {
        MatchingRules {
            mode: MatchingMode::Open,
            group_size: 2,
            cross_institution: false,
        }
    }
}

/// The program's name, dates and onboarding text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    pub name: Option<String>,
    pub start: Option<chrono::NaiveDate>,
    pub end: Option<chrono::NaiveDate>,
    pub welcome: Option<String>,
}

/// Everything a community's coordinators have set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    pub guild_id: u64,
    /// Where pair threads and round summaries go.
    pub program_channel_id: Option<u64>,
    /// Where wins and milestones are celebrated; the program channel when unset.
    pub celebrations_channel_id: Option<u64>,
    /// `None` until a coordinator sets one: no round runs on its own before that.
    pub schedule: Option<Schedule>,
    /// Rounds are due from here on: when the schedule was set or the program resumed.
    pub schedule_anchor: Option<chrono::DateTime<chrono::Utc>>,
    pub matching: MatchingRules,
    pub program: Program,
    pub paused: bool,
}

impl Community {
    /// A community as it is before any coordinator has set anything.
    pub fn new(guild_id: u64) -> Self {
        Community {
            guild_id,
            program_channel_id: None,
            celebrations_channel_id: None,
            schedule: None,
            schedule_anchor: None,
            matching: MatchingRules::default(),
            program: Program::default(),
            paused: false,
        }
    }
}

/// Checks that a mode and a group size go together.
pub fn matching_rules(
    mode: MatchingMode,
    group_size: u8,
    cross_institution: bool,
) -> Result<MatchingRules, super::validate::InputError> {
    if mode == MatchingMode::PeerCircles && group_size < 3 {
        return Err(super::validate::InputError::new(
            "Peer circles are groups of 3 or 4: use group_size 3 or 4, or mode open for pairs.",
        ));
    }
    Ok(MatchingRules {
        mode,
        group_size,
        cross_institution,
    })
}
