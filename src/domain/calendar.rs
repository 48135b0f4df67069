//! A booked chat as an iCalendar (RFC 5545) file, for members' calendars.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};

use super::ids::{GroupId, GuildId};

/// One booked chat, as the calendar file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable per group ([`group_uid`]): rebooking replaces the event.
    pub uid: String,
    /// The booking's sequence: a higher one replaces the event in calendars.
    pub sequence: u32,
    pub starts_at: DateTime<Utc>,
    pub minutes: u32,
    pub summary: String,
    pub description: String,
    /// A link back to the group's thread, when it has one.
    pub url: Option<String>,
    /// When it was booked (DTSTAMP).
    pub stamp: DateTime<Utc>,
}

/// The event's UID: the same for every booking of the group.
pub fn group_uid(guild: GuildId, group: GroupId) -> String {
    format!("group-{guild}-{group}@hallway")
}

/// The `.ics` file's text.
///
/// `icalendar` writes it: CRLF line endings, lines folded at 75 octets, TEXT values
/// escaped. UID and DTSTAMP are always set here, because the crate would otherwise
/// invent a random UID and stamp the file with the wall clock.
pub fn ics(event: &CalendarEvent) -> String {
    let ends_at = event.starts_at + Duration::minutes(i64::from(event.minutes));
    let mut vevent = Event::new();
    vevent
        .uid(&event.uid)
        .sequence(event.sequence)
        .timestamp(event.stamp)
        .starts(event.starts_at)
        .ends(ends_at)
        .summary(&plain_text(&event.summary))
        .description(&plain_text(&event.description));
    if let Some(url) = &event.url {
        vevent.url(url);
    }
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .push(vevent.done());
    calendar.to_string()
}

/// Who wrote the file (RFC 5545 3.7.3).
const PRODID: &str = "-//hallway//hallway bot//EN";

/// Text the crate can escape: it turns `\n` into `\n` escapes but leaves a carriage
/// return or other control characters raw, which would break the line structure.
fn plain_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// The file name members' devices see.
pub const ICS_FILE_NAME: &str = "hallway-chat.ics";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{GroupId, GuildId};
    use chrono::TimeZone;
    use ical::parser::ical::component::IcalEvent;

    fn event(sequence: u32) -> CalendarEvent {
        CalendarEvent {
            uid: group_uid(GuildId(42), GroupId(7)),
            sequence,
            starts_at: Utc.with_ymd_and_hms(2026, 12, 2, 14, 30, 0).unwrap(),
            minutes: 50,
            summary: "Hallway chat: Zoë, Ren; and Åsa".to_string(),
            description: "Say hi, then talk.\nThread: see Discord; bring a question".to_string(),
            url: Some("https://discord.com/channels/42/1234567890".to_string()),
            stamp: Utc.with_ymd_and_hms(2026, 11, 30, 9, 5, 7).unwrap(),
        }
    }

    /// Parses with `ical`, a parser independent of the writer.
    fn parse(text: &str) -> ical::parser::ical::component::IcalCalendar {
        let mut calendars = ical::IcalParser::new(text.as_bytes());
        let calendar = calendars
            .next()
            .expect("one calendar")
            .expect("valid calendar");
        assert!(calendars.next().is_none(), "exactly one VCALENDAR");
        calendar
    }

    fn value<'a>(properties: &'a [ical::property::Property], name: &str) -> &'a str {
        let matching: Vec<_> = properties.iter().filter(|p| p.name == name).collect();
        assert_eq!(matching.len(), 1, "exactly one {name}");
        matching[0].value.as_deref().unwrap_or("")
    }

    fn only_event(text: &str) -> IcalEvent {
        let calendar = parse(text);
        assert_eq!(calendar.events.len(), 1, "exactly one VEVENT");
        calendar.events[0].clone()
    }

    /// RFC 5545 3.3.11 TEXT unescaping (`ical` hands values back raw).
    fn unescape(raw: &str) -> String {
        let mut out = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    #[test]
    fn the_calendar_header_names_hallway_and_publishes() {
        let calendar = parse(&ics(&event(1)));
        assert_eq!(value(&calendar.properties, "VERSION"), "2.0");
        assert!(value(&calendar.properties, "PRODID").contains("hallway"));
        assert_eq!(value(&calendar.properties, "METHOD"), "PUBLISH");
        assert_eq!(value(&calendar.properties, "CALSCALE"), "GREGORIAN");
    }

    #[test]
    fn the_event_has_utc_start_end_uid_sequence_stamp_and_url() {
        let vevent = only_event(&ics(&event(3)));
        let props = &vevent.properties;
        assert_eq!(value(props, "DTSTART"), "20261202T143000Z");
        assert_eq!(value(props, "DTEND"), "20261202T152000Z");
        assert_eq!(value(props, "UID"), "group-42-7@hallway");
        assert_eq!(value(props, "SEQUENCE"), "3");
        assert_eq!(value(props, "DTSTAMP"), "20261130T090507Z");
        assert_eq!(
            value(props, "URL"),
            "https://discord.com/channels/42/1234567890"
        );
        // UTC times carry no TZID parameter.
        let start = props.iter().find(|p| p.name == "DTSTART").unwrap();
        assert!(start.params.as_ref().is_none_or(|p| p.is_empty()));
    }

    #[test]
    fn without_a_url_the_event_has_no_url_line() {
        let vevent = only_event(&ics(&CalendarEvent {
            url: None,
            ..event(1)
        }));
        assert!(vevent.properties.iter().all(|p| p.name != "URL"));
    }

    #[test]
    fn summary_and_description_are_escaped_and_round_trip() {
        let sent = event(1);
        let text = ics(&sent);
        let vevent = only_event(&text);
        let summary = value(&vevent.properties, "SUMMARY");
        let description = value(&vevent.properties, "DESCRIPTION");
        // Escaped on the wire: a raw comma, semicolon or newline would change the meaning.
        assert!(summary.contains(r"Zoë\, Ren\; and Åsa"), "{summary}");
        assert!(description.contains(r"talk.\nThread"), "{description}");
        assert_eq!(unescape(summary), sent.summary);
        assert_eq!(unescape(description), sent.description);
    }

    #[test]
    fn carriage_returns_and_control_characters_do_not_break_lines() {
        let vevent = only_event(&ics(&CalendarEvent {
            summary: "one\r\ntwo\u{7}".to_string(),
            description: "a\rb".to_string(),
            ..event(1)
        }));
        assert_eq!(unescape(value(&vevent.properties, "SUMMARY")), "one\ntwo");
        assert_eq!(unescape(value(&vevent.properties, "DESCRIPTION")), "a\nb");
    }

    #[test]
    fn rebooking_the_same_group_keeps_the_uid_and_raises_the_sequence() {
        let uid = group_uid(GuildId(42), GroupId(7));
        assert_eq!(uid, group_uid(GuildId(42), GroupId(7)));
        assert_ne!(uid, group_uid(GuildId(42), GroupId(8)));
        let first = only_event(&ics(&event(1)));
        let second = only_event(&ics(&CalendarEvent {
            starts_at: Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap(),
            ..event(2)
        }));
        assert_eq!(value(&first.properties, "UID"), uid);
        assert_eq!(value(&second.properties, "UID"), uid);
        let sequence = |e: &IcalEvent| value(&e.properties, "SEQUENCE").parse::<u32>().unwrap();
        assert!(sequence(&second) > sequence(&first));
    }

    #[test]
    fn every_line_ends_with_crlf_and_is_at_most_75_octets() {
        let long = CalendarEvent {
            summary: "Ünïcödé ".repeat(20),
            description: format!("{}\n{}", "x".repeat(200), "äöü, ;".repeat(40)),
            ..event(1)
        };
        let text = ics(&long);
        assert!(text.ends_with("\r\n"));
        let body = text.strip_suffix("\r\n").unwrap();
        for line in body.split("\r\n") {
            assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        // Long values were folded (continuation lines start with one space), and
        // unfolding as RFC 5545 3.1 says (drop each CRLF and the one space after it)
        // gives them back exactly, multi-byte characters and trailing spaces included.
        assert!(body.split("\r\n").any(|line| line.starts_with(' ')));
        let unfolded = body.replace("\r\n ", "");
        let unfolded_value = |name: &str| {
            let prefix = format!("{name}:");
            let lines: Vec<_> = unfolded
                .split("\r\n")
                .filter_map(|line| line.strip_prefix(prefix.as_str()))
                .collect();
            assert_eq!(lines.len(), 1, "one {name}");
            unescape(lines[0])
        };
        assert_eq!(unfolded_value("SUMMARY"), long.summary);
        assert_eq!(unfolded_value("DESCRIPTION"), long.description);
        // `ical` reads it as one event too. (It trims trailing whitespace off every
        // physical line, so a space just before a fold is lost to that parser alone;
        // hence the exact comparison above unfolds by hand.)
        let vevent = only_event(&text);
        assert_eq!(
            unescape(value(&vevent.properties, "SUMMARY")).trim_end(),
            long.summary.trim_end()
        );
    }
}
