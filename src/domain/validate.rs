//! Parse, don't validate: every value a user types becomes a checked type here,
//! or an [`InputError`] whose text tells them what to do instead.

use chrono_tz::Tz;

use super::program::{MatchingMode, MatchingRules, ProgramInfo};

/// A rejected input, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError(message.into())
    }
}

impl From<super::words::UnknownWord> for InputError {
    fn from(err: super::words::UnknownWord) -> Self {
        InputError(err.to_string())
    }
}

/// Longest institution name we keep.
pub const INSTITUTION_MAX_CHARS: usize = 100;
/// Longest program name.
pub const PROGRAM_NAME_MAX_CHARS: usize = 100;
/// Longest welcome text; Discord messages stop at 2,000 and the reply adds its own lines.
pub const WELCOME_MAX_CHARS: usize = 1_500;
/// Longest custom icebreaker prompt.
pub const PROMPT_MAX_CHARS: usize = 300;
/// Longest win description.
pub const WIN_DESCRIPTION_MAX_CHARS: usize = 500;

/// An IANA time-zone name such as `Europe/Berlin`.
pub fn time_zone(input: &str) -> Result<Tz, InputError> {
    let trimmed = input.trim();
    trimmed.parse::<Tz>().map_err(|_| {
        InputError::new(format!(
            "'{}' is not a time zone I know. Use an IANA name such as `Europe/Berlin`, \
             `America/New_York` or `UTC` (the list: https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).",
            shorten(trimmed, 60)
        ))
    })
}

/// An hour of the day, 0 to 23.
pub fn hour(value: i64) -> Result<u8, InputError> {
    in_range(
        value,
        0,
        23,
        "The hour",
        "for example 9 for 9:00 or 17 for 17:00",
    )
}

/// A group size, 2 to 4.
pub fn group_size(value: i64) -> Result<u8, InputError> {
    let range = super::program::GROUP_SIZE_RANGE;
    in_range(
        value,
        (*range.start()).into(),
        (*range.end()).into(),
        "The group size",
        "2 for pairs, 3 or 4 for small circles",
    )
}

/// A program's meeting settings with the given options changed: a chat of 15 to 60
/// minutes, a reminder 0 (none) to 1,440 minutes (a day) before it.
pub fn meeting_rules(
    current: super::booking::MeetingRules,
    minutes: Option<i64>,
    reminder_minutes: Option<i64>,
) -> Result<super::booking::MeetingRules, InputError> {
    use super::booking::{MEETING_MINUTES_RANGE, REMINDER_MINUTES_RANGE};
    let minutes = match minutes {
        Some(value) => within(
            value,
            (*MEETING_MINUTES_RANGE.start()).into(),
            (*MEETING_MINUTES_RANGE.end()).into(),
            "The meeting length",
            "minutes per chat; the study behind hallway suggests 50",
        )?,
        None => current.minutes,
    };
    let reminder_minutes = match reminder_minutes {
        Some(value) => within(
            value,
            (*REMINDER_MINUTES_RANGE.start()).into(),
            (*REMINDER_MINUTES_RANGE.end()).into(),
            "The reminder",
            "minutes before a booked chat, or 0 for no reminder",
        )?,
        None => current.reminder_minutes,
    };
    Ok(super::booking::MeetingRules {
        minutes,
        reminder_minutes,
    })
}

/// How many mentees a mentor meets per round, 1 to 5.
pub fn mentor_capacity(value: i64) -> Result<u8, InputError> {
    in_range(
        value,
        1,
        5,
        "The capacity",
        "the most mentees you want to meet each round",
    )
}

/// How many rounds in a row without a "We met" put a member on the attention list, 1 to 12.
pub fn attention_rounds(value: i64) -> Result<u8, InputError> {
    let range = super::program::ATTENTION_ROUNDS_RANGE;
    in_range(
        value,
        (*range.start()).into(),
        (*range.end()).into(),
        "The number of rounds for the attention list",
        "how many rounds in a row without a \"We met\" put a member on it (default 3)",
    )
}

/// How many weeks a member pauses for, 1 to 12.
pub fn pause_weeks(value: i64) -> Result<u8, InputError> {
    in_range(
        value,
        1,
        12,
        "The number of weeks",
        "for a longer break, use `/hallway leave`",
    )
}

/// Free text, trimmed, non-empty and at most `max_chars` characters.
pub fn text(input: &str, what: &str, max_chars: usize) -> Result<String, InputError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(InputError::new(format!("{what} cannot be empty.")));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(InputError::new(format!(
            "{what} is {chars} characters long; the limit is {max_chars}. Please shorten it."
        )));
    }
    Ok(trimmed.to_string())
}

/// Checks a program's name: what members and coordinators type to pick it.
pub fn program_name(name: &str) -> Result<String, InputError> {
    text(name, "The program name", PROGRAM_NAME_MAX_CHARS)
}

/// The program's dates and welcome text after an edit: what the coordinator gave
/// replaces, and the rest stays as `current` has it.
pub fn program_info(
    current: &ProgramInfo,
    start: Option<&str>,
    end: Option<&str>,
    welcome: Option<&str>,
) -> Result<ProgramInfo, InputError> {
    let date = |label: &str, value: &str| {
        chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
            InputError::new(format!(
                "The {label} date '{}' is not a date. Write it as YYYY-MM-DD, e.g. 2026-09-01.",
                shorten(value.trim(), 30)
            ))
        })
    };
    let start = match start {
        Some(s) => Some(date("start", s)?),
        None => current.start,
    };
    let end = match end {
        Some(e) => Some(date("end", e)?),
        None => current.end,
    };
    if let (Some(start), Some(end)) = (start, end) {
        if end <= start {
            return Err(InputError::new(format!(
                "The program must end after it starts ({start} to {end}). Check the dates."
            )));
        }
    }
    Ok(ProgramInfo {
        start,
        end,
        welcome: match welcome {
            Some(w) => Some(text(w, "The welcome text", WELCOME_MAX_CHARS)?),
            None => current.welcome.clone(),
        },
    })
}

/// The "ask me about" line: `-` removes it.
pub fn about(about: &str) -> Result<Option<String>, InputError> {
    if about.trim() == "-" {
        return Ok(None);
    }
    text(
        about,
        "The \"ask me about\" line",
        super::member::ABOUT_MAX_CHARS,
    )
    .map(Some)
}

/// Checks that a mode and a group size go together. The interest weight is the default;
/// a caller that keeps a program's own sets it after.
pub fn matching_rules(
    mode: MatchingMode,
    group_size: u8,
    cross_institution: bool,
) -> Result<MatchingRules, InputError> {
    if mode == MatchingMode::PeerCircles && group_size < 3 {
        return Err(InputError::new(
            "Peer circles are groups of 3 or 4: use group_size 3 or 4, or mode open for pairs.",
        ));
    }
    Ok(MatchingRules {
        mode,
        group_size,
        cross_institution,
        interest_weight: super::program::InterestWeight::Light,
    })
}

fn in_range(value: i64, min: i64, max: i64, what: &str, hint: &str) -> Result<u8, InputError> {
    // The ranges are within u8 by construction.
    within(value, min, max, what, hint).map(|v| v as u8)
}

fn within(value: i64, min: i64, max: i64, what: &str, hint: &str) -> Result<u32, InputError> {
    if (min..=max).contains(&value) {
        // The ranges are within u32 by construction.
        Ok(value as u32)
    } else {
        Err(InputError::new(format!(
            "{what} must be from {min} to {max}, not {value}: {hint}."
        )))
    }
}

/// The first `max` characters of `s`, marked with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_settings_keep_what_is_left_out_and_refuse_outside_their_ranges() {
        use crate::domain::booking::MeetingRules;
        let current = MeetingRules::default();
        assert_eq!(meeting_rules(current, None, None).unwrap(), current);
        let changed = meeting_rules(current, Some(30), Some(0)).unwrap();
        assert_eq!((changed.minutes, changed.reminder_minutes), (30, 0));
        assert_eq!(
            meeting_rules(current, None, Some(1440))
                .unwrap()
                .reminder_minutes,
            1440
        );
        let short = meeting_rules(current, Some(10), None)
            .unwrap_err()
            .to_string();
        assert!(short.contains("from 15 to 60, not 10"), "{short}");
        assert!(meeting_rules(current, Some(61), None).is_err());
        assert!(meeting_rules(current, None, Some(-1)).is_err());
        assert!(meeting_rules(current, None, Some(1441)).is_err());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            time_zone("Europe/Berlin").unwrap(),
            chrono_tz::Europe::Berlin
        );
        assert_eq!(time_zone(" UTC ").unwrap(), chrono_tz::UTC);
        let err = time_zone("Mars/Olympus").unwrap_err();
        assert!(err.0.contains("'Mars/Olympus' is not a time zone"), "{err}");
    }

    #[test]
    fn numbers_outside_their_range_are_refused_with_the_range() {
        assert_eq!(hour(0).unwrap(), 0);
        assert_eq!(hour(23).unwrap(), 23);
        assert_eq!(
            hour(25).unwrap_err().0,
            "The hour must be from 0 to 23, not 25: for example 9 for 9:00 or 17 for 17:00."
        );
        assert!(group_size(9).unwrap_err().0.contains("from 2 to 4, not 9"));
        assert!(group_size(1).is_err());
        assert_eq!(group_size(4).unwrap(), 4);
        assert!(mentor_capacity(0).is_err());
        assert!(pause_weeks(13).is_err());
        assert_eq!(pause_weeks(12).unwrap(), 12);
    }

    #[test]
    fn the_attention_setting_is_from_1_to_12_rounds() {
        assert_eq!(attention_rounds(1).unwrap(), 1);
        assert_eq!(attention_rounds(12).unwrap(), 12);
        let err = attention_rounds(13).unwrap_err().0;
        assert!(err.contains("must be from 1 to 12, not 13"), "{err}");
        assert!(attention_rounds(0).is_err());
        assert!(attention_rounds(-3).is_err());
    }

    #[test]
    fn text_is_trimmed_and_limited() {
        assert_eq!(text("  MIT ", "The institution", 10).unwrap(), "MIT");
        assert!(text("   ", "The institution", 10)
            .unwrap_err()
            .0
            .contains("cannot be empty"));
        let long = "x".repeat(5_000);
        let err = text(&long, "The description", WIN_DESCRIPTION_MAX_CHARS).unwrap_err();
        assert!(
            err.0.contains("5000 characters long; the limit is 500"),
            "{err}"
        );
        // Characters, not bytes.
        assert!(text(&"é".repeat(10), "Name", 10).is_ok());
    }

    #[test]
    fn program_dates_must_be_dates_in_order_and_an_edit_keeps_what_it_does_not_name() {
        let none = ProgramInfo::default();
        let ok = program_info(
            &none,
            Some("2026-01-05"),
            Some("2026-06-30"),
            Some("Welcome!"),
        )
        .unwrap();
        assert_eq!(ok.start, chrono::NaiveDate::from_ymd_opt(2026, 1, 5));
        assert_eq!(program_name(" Spring cohort ").unwrap(), "Spring cohort");
        assert!(program_name("   ").is_err());
        let later_end = program_info(&ok, None, Some("2026-07-31"), None).unwrap();
        assert_eq!(later_end.start, ok.start, "the start stays");
        assert_eq!(
            later_end.welcome.as_deref(),
            Some("Welcome!"),
            "the welcome stays"
        );
        assert!(program_info(&none, Some("5 Jan"), None, None)
            .unwrap_err()
            .0
            .contains("YYYY-MM-DD"));
        assert!(
            program_info(&none, Some("2026-06-30"), Some("2026-01-05"), None)
                .unwrap_err()
                .0
                .contains("must end after")
        );
        assert!(
            program_info(&ok, None, Some("2025-12-31"), None)
                .unwrap_err()
                .0
                .contains("must end after"),
            "an edited end is checked against the kept start"
        );
        assert!(program_info(&none, None, None, Some(&"w".repeat(2_000)))
            .unwrap_err()
            .0
            .contains("limit is 1500"));
    }

    #[test]
    fn the_about_line_is_at_most_150_characters_and_a_dash_removes_it() {
        assert_eq!(
            about(" grant writing, R ").unwrap().as_deref(),
            Some("grant writing, R")
        );
        assert_eq!(about("-").unwrap(), None);
        assert!(about(&"a".repeat(151))
            .unwrap_err()
            .0
            .contains("limit is 150"));
    }
}
