//! The words hallway shows people. Plain functions of data, so tests can read them.

mod attention;
mod booking;
mod celebration;
mod fit_check;
mod member;
mod round;
mod survey;

use crate::domain::ids::{ChannelId, UserId};
use crate::domain::member::{Member, Standing};
use crate::domain::profile::Role;
use crate::domain::program::{Program, Schedule};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

pub use attention::*;
pub use booking::*;
pub use celebration::*;
pub use fit_check::*;
pub use member::*;
pub use round::*;
pub use survey::*;

/// A date as people write it, in the member's own time zone (UTC when unknown).
pub fn date(at: DateTime<Utc>, zone: Option<Tz>) -> String {
    let zone = zone.unwrap_or(chrono_tz::UTC);
    at.with_timezone(&zone).format("%A %-d %B %Y").to_string()
}

fn mention(user: UserId) -> String {
    format!("<@{user}>")
}

fn chats(n: usize) -> String {
    if n == 1 {
        "1 chat".into()
    } else {
        format!("{n} chats")
    }
}

/// Discord's limit on a message's text, in characters.
pub const MESSAGE_LIMIT: usize = 2_000;

/// Discord refuses messages over 2,000 characters; long lists are cut with a note.
pub fn fit(text: &str) -> String {
    fit_to(text, MESSAGE_LIMIT)
}

/// `text` within `limit` characters, cut at a line with a note when it is longer.
pub fn fit_to(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let marker = "\n… (cut to fit Discord's message limit)";
    let keep = limit.saturating_sub(marker.chars().count());
    let mut cut: String = text.chars().take(keep).collect();
    if let Some(newline) = cut.rfind('\n') {
        cut.truncate(newline);
    }
    cut + marker
}

/// "Monday 30 November 2026 at 09:00 (Europe/Berlin)", or why there is none.
pub fn next_round(next: Option<DateTime<Utc>>, program: &Program) -> String {
    match (next, program.schedule.as_ref()) {
        (Some(at), Some(schedule)) => {
            let local = at.with_timezone(&schedule.time_zone);
            format!(
                "{} ({})",
                local.format("%A %-d %B %Y at %H:%M"),
                schedule.time_zone.name()
            )
        }
        _ if program.paused => "none while the program is paused".into(),
        _ if program.program_channel_id.is_none() => {
            "none yet: a coordinator must choose the program channel (`/hallway-admin setup`)"
                .into()
        }
        _ => "none yet: a coordinator must set the schedule (`/hallway-admin schedule`)".into(),
    }
}
