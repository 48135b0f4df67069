//! A program: one of a server's mentoring programs, with its own channel, schedule,
//! matching settings, dates and welcome. A server runs any number of them.

use super::ids::{ChannelId, GuildId, ProgramId};
use super::words::word_enum;

/// How members are put together in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// How often a program's rounds come round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// How much a program's matching rewards shared interest tags: a soft preference,
/// below repeats and every hard rule (see `docs/matching.md` for the weights and cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InterestWeight {
    /// Interests play no part in matching.
    Off,
    /// As much as one time-of-day mismatch.
    #[default]
    Light,
    /// Twice that: more than time of day and modality together, less than institution.
    Strong,
}

word_enum!(InterestWeight, "weight for interests", {
    Off => "off", Light => "light", Strong => "strong",
});

/// The smallest and largest group a program can ask for.
pub const GROUP_SIZE_RANGE: std::ops::RangeInclusive<u8> = 2..=4;

/// When rounds happen: every `cadence`, on `weekday` at `hour` in `time_zone`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub cadence: Cadence,
    pub weekday: chrono::Weekday,
    pub hour: u8,
    pub time_zone: chrono_tz::Tz,
}

/// How a program's members are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchingRules {
    pub mode: MatchingMode,
    pub group_size: u8,
    pub cross_institution: bool,
    pub interest_weight: InterestWeight,
}

impl Default for MatchingRules {
    fn default() -> Self {
        MatchingRules {
            mode: MatchingMode::Open,
            group_size: 2,
            cross_institution: false,
            interest_weight: InterestWeight::Light,
        }
    }
}

/// The program's dates and onboarding text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramInfo {
    pub start: Option<chrono::NaiveDate>,
    pub end: Option<chrono::NaiveDate>,
    pub welcome: Option<String>,
}

/// Another program of the server already has this name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameTaken;

/// What a server's first program is called when nobody named it.
pub const DEFAULT_PROGRAM_NAME: &str = "hallway";

/// Everything a program's coordinators have set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub program_id: ProgramId,
    pub guild_id: GuildId,
    /// Unique in the server, whatever the case; what members and coordinators type.
    pub name: String,
    /// Where pair threads and round summaries go.
    pub program_channel_id: Option<ChannelId>,
    /// Where wins and milestones are celebrated; the program channel when unset.
    pub celebrations_channel_id: Option<ChannelId>,
    /// `None` until a coordinator sets one: no round runs on its own before that.
    pub schedule: Option<Schedule>,
    /// Rounds are due from here on: when the schedule was set or the program resumed.
    pub schedule_anchor: Option<chrono::DateTime<chrono::Utc>>,
    pub matching: MatchingRules,
    pub info: ProgramInfo,
    pub paused: bool,
    pub watercooler: Option<Watercooler>,
    /// How long booked chats are, and when their reminder goes.
    pub meeting: super::booking::MeetingRules,
    /// The attention list's threshold, its digest's channel, and automatic surveys.
    pub evaluation: Evaluation,
    /// An archived program runs no more rounds or posts; its history and stats stay.
    pub archived_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How a program is evaluated: who needs attention, where the weekly digest of that
/// goes, and whether members are surveyed at the program's halfway point and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evaluation {
    /// Rounds in a row without a "We met" that put a member on the attention list.
    pub attention_rounds: u8,
    /// Where the weekly attention digest goes; no digest when unset.
    pub coordinators_channel_id: Option<ChannelId>,
    /// Surveys at the halfway point and the end (when the program has both dates).
    pub auto_surveys: bool,
}

/// The range of `attention_rounds`, as the database checks it.
pub const ATTENTION_ROUNDS_RANGE: std::ops::RangeInclusive<u8> = 1..=12;

impl Default for Evaluation {
    fn default() -> Self {
        Evaluation {
            attention_rounds: 3,
            coordinators_channel_id: None,
            auto_surveys: true,
        }
    }
}

/// How often the watercooler posts a discussion prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatercoolerCadence {
    Daily,
    Weekly,
    Biweekly,
}

word_enum!(WatercoolerCadence, "watercooler cadence", {
    Daily => "daily", Weekly => "weekly", Biweekly => "biweekly",
});

impl WatercoolerCadence {
    pub fn period(self) -> chrono::Duration {
        match self {
            WatercoolerCadence::Daily => chrono::Duration::days(1),
            WatercoolerCadence::Weekly => chrono::Duration::weeks(1),
            WatercoolerCadence::Biweekly => chrono::Duration::weeks(2),
        }
    }
}

/// What a coordinator picks for the watercooler: a cadence, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatercoolerSetting {
    Daily,
    Weekly,
    Biweekly,
    Off,
}

word_enum!(WatercoolerSetting, "watercooler setting", {
    Daily => "daily", Weekly => "weekly", Biweekly => "biweekly", Off => "off",
});

impl WatercoolerSetting {
    pub fn cadence(self) -> Option<WatercoolerCadence> {
        match self {
            WatercoolerSetting::Daily => Some(WatercoolerCadence::Daily),
            WatercoolerSetting::Weekly => Some(WatercoolerCadence::Weekly),
            WatercoolerSetting::Biweekly => Some(WatercoolerCadence::Biweekly),
            WatercoolerSetting::Off => None,
        }
    }
}

/// Discussion prompts posted to a channel on their own cadence, from `anchor` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watercooler {
    pub channel_id: ChannelId,
    pub cadence: WatercoolerCadence,
    pub anchor: chrono::DateTime<chrono::Utc>,
}

impl Watercooler {
    /// The number of the latest post due by `now` (0 is due at once), if any.
    /// Only the latest is ever posted: a bot that was down does not post a backlog.
    pub fn due_post(&self, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
        if now < self.anchor {
            return None;
        }
        let period = self.cadence.period().num_seconds();
        Some((now - self.anchor).num_seconds() / period)
    }
}

impl Program {
    /// A program as it is before any coordinator has set anything.
    pub fn new(program_id: ProgramId, guild_id: GuildId, name: &str) -> Self {
        Program {
            program_id,
            guild_id,
            name: name.to_string(),
            program_channel_id: None,
            celebrations_channel_id: None,
            schedule: None,
            schedule_anchor: None,
            matching: MatchingRules::default(),
            info: ProgramInfo::default(),
            paused: false,
            watercooler: None,
            meeting: super::booking::MeetingRules::default(),
            evaluation: Evaluation::default(),
            archived_at: None,
        }
    }

    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }

    /// Where celebrations go: their own channel, else the program channel.
    pub fn celebrations_channel(&self) -> Option<ChannelId> {
        self.celebrations_channel_id.or(self.program_channel_id)
    }
}

/// Why a command could not tell which program it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickError {
    /// The server has no program (or none the caller is in) to act on.
    None,
    /// No program of that name; the names there are.
    Unknown { name: String, names: Vec<String> },
    /// Several programs, and no name given.
    WhichOne { names: Vec<String> },
    /// The named program is archived, and the command needs a live one.
    Archived { name: String },
}

/// The program a command is for: the one named (any case), else the only one. With
/// `live_only`, archived programs are neither picked nor counted.
pub fn pick<'a>(
    programs: &'a [Program],
    name: Option<&str>,
    live_only: bool,
) -> Result<&'a Program, PickError> {
    let eligible: Vec<&Program> = programs
        .iter()
        .filter(|p| !live_only || !p.is_archived())
        .collect();
    let names = || eligible.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    match name.map(str::trim) {
        Some(name) => {
            // The exact name first, then any case.
            let found = programs.iter().find(|p| p.name == name).or_else(|| {
                programs
                    .iter()
                    .find(|p| p.name.to_lowercase() == name.to_lowercase())
            });
            match found {
                Some(p) if live_only && p.is_archived() => Err(PickError::Archived {
                    name: p.name.clone(),
                }),
                Some(p) => Ok(p),
                None => Err(PickError::Unknown {
                    name: name.to_string(),
                    names: names(),
                }),
            }
        }
        None => match eligible.as_slice() {
            [] => Err(PickError::None),
            [only] => Ok(only),
            _ => Err(PickError::WhichOne { names: names() }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn programs(names: &[&str]) -> Vec<Program> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| Program::new(ProgramId(i as i64 + 1), GuildId(1), name))
            .collect()
    }

    #[test]
    fn one_program_is_picked_without_a_name_and_several_ask_which() {
        let one = programs(&["Faculty mentoring"]);
        assert_eq!(pick(&one, None, true).unwrap().name, "Faculty mentoring");
        let two = programs(&["Faculty mentoring", "Postdoc circles"]);
        assert_eq!(
            pick(&two, None, true),
            Err(PickError::WhichOne {
                names: vec!["Faculty mentoring".into(), "Postdoc circles".into()]
            })
        );
        assert_eq!(
            pick(&two, Some(" postdoc CIRCLES "), true)
                .unwrap()
                .program_id,
            ProgramId(2),
            "names match whatever the case"
        );
        assert_eq!(
            pick(&two, Some("Coffee"), true),
            Err(PickError::Unknown {
                name: "Coffee".into(),
                names: vec!["Faculty mentoring".into(), "Postdoc circles".into()]
            })
        );
        assert_eq!(pick(&[], None, true), Err(PickError::None));
    }

    #[test]
    fn an_archived_program_is_picked_only_by_commands_that_read_history() {
        let mut two = programs(&["Autumn 2025", "Spring 2026"]);
        two[0].archived_at = Some(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            pick(&two, None, true).unwrap().name,
            "Spring 2026",
            "the only live program"
        );
        assert!(matches!(
            pick(&two, None, false),
            Err(PickError::WhichOne { .. })
        ));
        assert_eq!(
            pick(&two, Some("autumn 2025"), true),
            Err(PickError::Archived {
                name: "Autumn 2025".into()
            })
        );
        assert_eq!(
            pick(&two, Some("autumn 2025"), false).unwrap().name,
            "Autumn 2025"
        );
    }

    #[test]
    fn the_watercooler_posts_the_latest_due_slot_only() {
        let anchor = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        let w = Watercooler {
            channel_id: ChannelId(1),
            cadence: WatercoolerCadence::Weekly,
            anchor,
        };
        assert_eq!(w.due_post(anchor - chrono::Duration::seconds(1)), None);
        assert_eq!(w.due_post(anchor), Some(0));
        assert_eq!(w.due_post(anchor + chrono::Duration::days(6)), Some(0));
        assert_eq!(w.due_post(anchor + chrono::Duration::days(22)), Some(3));
    }
}
