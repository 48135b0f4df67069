//! A booked chat as an iCalendar (RFC 5545) file, for members' calendars.

use chrono::{DateTime, Utc};

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
pub fn ics(event: &CalendarEvent) -> String {
    let _ = event;
    todo!("filled in by the calendar helper")
}

/// The file name members' devices see.
pub const ICS_FILE_NAME: &str = "hallway-chat.ics";
