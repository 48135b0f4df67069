//! Occasions worth celebrating, as pure functions of dates and counts. Each has a key;
//! the store posts a key at most once, so these may be asked again and again.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ProgramId, UserId};
use super::program::Program;

/// Completed chats that earn a shout-out.
pub const CHAT_MILESTONES: [u32; 4] = [1, 5, 10, 25];

/// How long after the day itself a late bot still posts an anniversary.
const ANNIVERSARY_GRACE_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Milestone {
    /// The program is half over.
    ProgramHalfway {
        name: Option<String>,
        end: NaiveDate,
    },
    /// The program's last month has begun.
    ProgramLastMonth {
        name: Option<String>,
        end: NaiveDate,
    },
    /// A member's 1st, 5th, 10th or 25th completed chat.
    Chats { user_id: UserId, count: u32 },
    /// A year (or more) since a member joined.
    Anniversary { user_id: UserId, years: u32 },
}

impl Milestone {
    /// The occasion's identity, posted at most once: a program's milestones in that
    /// program, a member's in the server (their chats in every program count, and a
    /// second program is no second first chat). A member's keys begin with their id, so
    /// forget-me finds them by prefix.
    pub fn key(&self, program: ProgramId) -> String {
        match self {
            Milestone::ProgramHalfway { end, .. } => format!("program-halfway:{program}:{end}"),
            Milestone::ProgramLastMonth { end, .. } => {
                format!("program-last-month:{program}:{end}")
            }
            Milestone::Chats { user_id, count } => format!("chats:{user_id}:{count}"),
            Milestone::Anniversary { user_id, years } => format!("anniversary:{user_id}:{years}"),
        }
    }
}

/// The program milestones due on `today` (the community's local date). Each stays due
/// until the program ends, so a bot that was down on the day still posts it once.
pub fn program_milestones(program: &Program, today: NaiveDate) -> Vec<Milestone> {
    let (Some(start), Some(end)) = (program.info.start, program.info.end) else {
        return Vec::new();
    };
    if end <= start || today >= end || today < start {
        return Vec::new();
    }
    let mut due = Vec::new();
    let last_month_starts = end - Duration::days(30);
    let halfway = start + (end - start) / 2;
    // When the last month begins first (a short program), only that one is worth saying.
    if today >= halfway && halfway < last_month_starts {
        due.push(Milestone::ProgramHalfway {
            name: Some(program.name.clone()),
            end,
        });
    }
    if today >= last_month_starts {
        due.push(Milestone::ProgramLastMonth {
            name: Some(program.name.clone()),
            end,
        });
    }
    due
}

/// The highest chat milestone reached with `completed` chats. Only the highest, so a
/// member who already had 12 chats when shout-outs began gets one post, not three.
pub fn chat_milestone(completed: u32) -> Option<u32> {
    CHAT_MILESTONES
        .iter()
        .rev()
        .copied()
        .find(|m| completed >= *m)
}

/// The anniversary to celebrate on `today`, if a whole number of years since `joined`
/// fell within the last week.
pub fn anniversary(joined: DateTime<Utc>, today: NaiveDate) -> Option<u32> {
    let joined = joined.date_naive();
    let years = today.year() - joined.year();
    for years in [years, years - 1] {
        if years < 1 {
            continue;
        }
        let Some(day) = add_years(joined, years) else {
            continue;
        };
        let late = (today - day).num_days();
        if (0..=ANNIVERSARY_GRACE_DAYS).contains(&late) {
            return u32::try_from(years).ok();
        }
    }
    None
}

/// The same day `years` later; 29 February becomes 28 February in other years.
fn add_years(date: NaiveDate, years: i32) -> Option<NaiveDate> {
    let year = date.year() + years;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const PROGRAM: ProgramId = ProgramId(3);

    fn program(start: NaiveDate, end: NaiveDate) -> Program {
        let mut program = Program::new(PROGRAM, crate::domain::ids::GuildId(1), "Spring cohort");
        program.info.start = Some(start);
        program.info.end = Some(end);
        program
    }

    fn key(milestone: &Milestone) -> String {
        milestone.key(PROGRAM)
    }

    #[test]
    fn halfway_and_last_month_of_a_six_month_program() {
        let p = program(d(2026, 1, 1), d(2026, 7, 1));
        assert!(program_milestones(&p, d(2026, 3, 31)).is_empty());
        let halfway = program_milestones(&p, d(2026, 4, 1));
        assert_eq!(halfway.len(), 1);
        assert_eq!(key(&halfway[0]), "program-halfway:3:2026-07-01");
        let late = program_milestones(&p, d(2026, 6, 5));
        let keys: Vec<String> = late.iter().map(key).collect();
        assert_eq!(
            keys,
            [
                "program-halfway:3:2026-07-01",
                "program-last-month:3:2026-07-01"
            ]
        );
        assert!(program_milestones(&p, d(2026, 7, 1)).is_empty(), "over");
    }

    #[test]
    fn programs_without_dates_or_with_short_spans() {
        let undated = Program::new(PROGRAM, crate::domain::ids::GuildId(1), "Undated");
        assert!(program_milestones(&undated, d(2026, 1, 1)).is_empty());
        let short = program(d(2026, 1, 1), d(2026, 2, 10));
        let keys: Vec<String> = program_milestones(&short, d(2026, 1, 25))
            .iter()
            .map(key)
            .collect();
        assert_eq!(
            keys,
            ["program-last-month:3:2026-02-10"],
            "halfway falls inside the last month"
        );
        let backwards = program(d(2026, 5, 1), d(2026, 1, 1));
        assert!(program_milestones(&backwards, d(2026, 3, 1)).is_empty());
    }

    #[test]
    fn a_members_milestones_are_the_servers_and_a_programs_are_its_own() {
        let other = ProgramId(4);
        let chats = Milestone::Chats {
            user_id: UserId(9),
            count: 1,
        };
        assert_eq!(
            chats.key(PROGRAM),
            chats.key(other),
            "one first chat per server"
        );
        assert_eq!(
            chats.key(PROGRAM),
            "chats:9:1",
            "the key of earlier versions"
        );
        let halfway = Milestone::ProgramHalfway {
            name: None,
            end: d(2026, 7, 1),
        };
        assert_ne!(halfway.key(PROGRAM), halfway.key(other));
    }

    #[test]
    fn chat_milestones_take_the_highest_reached() {
        assert_eq!(chat_milestone(0), None);
        assert_eq!(chat_milestone(1), Some(1));
        assert_eq!(chat_milestone(4), Some(1));
        assert_eq!(chat_milestone(5), Some(5));
        assert_eq!(chat_milestone(12), Some(10));
        assert_eq!(chat_milestone(300), Some(25));
    }

    #[test]
    fn anniversaries_within_a_week_of_the_day() {
        let joined = Utc.with_ymd_and_hms(2025, 3, 10, 15, 0, 0).unwrap();
        assert_eq!(anniversary(joined, d(2026, 3, 9)), None);
        assert_eq!(anniversary(joined, d(2026, 3, 10)), Some(1));
        assert_eq!(anniversary(joined, d(2026, 3, 17)), Some(1));
        assert_eq!(anniversary(joined, d(2026, 3, 18)), None);
        assert_eq!(anniversary(joined, d(2027, 3, 12)), Some(2));
        assert_eq!(
            anniversary(joined, d(2025, 3, 12)),
            None,
            "not on the day they joined"
        );
        let leap = Utc.with_ymd_and_hms(2024, 2, 29, 0, 0, 0).unwrap();
        assert_eq!(anniversary(leap, d(2025, 2, 28)), Some(1));
        let new_year = Utc.with_ymd_and_hms(2025, 12, 29, 0, 0, 0).unwrap();
        assert_eq!(
            anniversary(new_year, d(2027, 1, 2)),
            Some(1),
            "a week that crosses New Year"
        );
    }

    proptest! {
        #[test]
        fn each_milestone_key_is_stable_and_unique(user in any::<u64>(), count in 1u32..100) {
            let a = Milestone::Chats { user_id: UserId(user), count };
            let b = Milestone::Anniversary { user_id: UserId(user), years: count };
            prop_assert_ne!(key(&a), key(&b));
            prop_assert_eq!(key(&a), key(&a.clone()));
        }

        #[test]
        fn program_milestones_only_inside_the_program(
            start in 0i64..2000, length in 1i64..800, offset in -100i64..1000,
        ) {
            let start = d(2024, 1, 1) + Duration::days(start);
            let end = start + Duration::days(length);
            let today = start + Duration::days(offset);
            let due = program_milestones(&program(start, end), today);
            if today < start || today >= end {
                prop_assert!(due.is_empty());
            }
            prop_assert!(due.len() <= 2);
        }
    }
}
