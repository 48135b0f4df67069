//! Booking a chat: the offered slots, "Booked", the reminder, the check-in after the
//! chat's time, and the new slots after a Reschedule. Every time is a Discord timestamp,
//! so each reader sees it in their own time zone.

use super::*;
use crate::delivery::{BookedView, MemberView, RescheduledView};
use crate::domain::booking::{SlotChoice, SlotFit};

/// `<t:…:F>`: the full date and time, in the reader's time zone.
pub fn full_time(at: DateTime<Utc>) -> String {
    format!("<t:{}:F>", at.timestamp())
}

/// `<t:…:R>`: "in 2 days", "5 minutes ago".
pub fn relative_time(at: DateTime<Utc>) -> String {
    format!("<t:{}:R>", at.timestamp())
}

fn mentions(members: &[UserId]) -> String {
    let everyone: Vec<String> = members.iter().map(|m| mention(*m)).collect();
    everyone.join(", ")
}

/// The booking part of an intro: the slots to pick from (with who picked each), or the
/// booked time.
pub fn slot_section(choice: &SlotChoice, members: &[MemberView], minutes: u32) -> String {
    if let Some(booking) = &choice.booking {
        return format!(
            "\n📅 **Booked:** {} ({}), {} minutes. If it stops working, click **Reschedule**.\n",
            full_time(booking.starts_at),
            relative_time(booking.starts_at),
            booking.minutes
        );
    }
    pick_a_time(
        &format!("for a {minutes}-minute chat "),
        choice,
        members,
        "in the menu below",
    )
}

/// "Pick a time …", the slots with who picked each, and how booking works.
fn pick_a_time(what: &str, choice: &SlotChoice, members: &[MemberView], menu: &str) -> String {
    let mut text = format!(
        "\n**Pick a time** {what}(shown in your own time zone{}):\n",
        fit_note(choice.fit)
    );
    text.push_str(&slot_list(choice, members));
    text.push_str(&format!(
        "Pick every time that works for you {menu}: as soon as one works for everyone, it's booked.\n"
    ));
    text
}

fn fit_note(fit: SlotFit) -> &'static str {
    match fit {
        SlotFit::Preferred => ", inside everyone's preferred time of day",
        SlotFit::WorkingDay => {
            "; outside someone's preferred time of day, but inside everyone's working day"
        }
        SlotFit::NoCommonWindow => {
            "; no time falls inside everyone's working day, so these are spread over the day: pick any you can make"
        }
    }
}

/// "1. <t:…:F> · ✓ Ada, Ben", one line per slot.
fn slot_list(choice: &SlotChoice, members: &[MemberView]) -> String {
    let mut text = String::new();
    for (n, slot) in choice.slots.iter().enumerate() {
        let who: Vec<&str> = choice
            .who_picked(*slot)
            .into_iter()
            .filter_map(|user| members.iter().find(|m| m.user_id == Some(user)))
            .map(|m| m.name.as_str())
            .collect();
        text.push_str(&format!("{}. {}", n + 1, full_time(*slot)));
        if !who.is_empty() {
            text.push_str(&format!(" · ✓ {}", who.join(", ")));
        }
        text.push('\n');
    }
    text
}

/// A select option's label and description for a slot: plain text, since Discord shows
/// no timestamps there, so each member's own local time is spelled out.
pub fn slot_option(n: usize, slot: DateTime<Utc>, members: &[MemberView]) -> (String, String) {
    let label = format!("Time {n}");
    let local: Vec<String> = members
        .iter()
        .filter(|m| m.user_id.is_some())
        .filter_map(|m| {
            m.time_zone.map(|zone| {
                format!(
                    "{} {}",
                    m.name,
                    slot.with_timezone(&zone).format("%a %-d %b %H:%M")
                )
            })
        })
        .collect();
    let description = if local.is_empty() {
        slot.format("%a %-d %b %H:%M UTC").to_string()
    } else {
        local.join(" · ")
    };
    // Discord's limit for an option's description.
    (label, description.chars().take(100).collect())
}

pub fn booked(view: &BookedView) -> String {
    let b = &view.booking;
    let whom = if view.by_dm {
        String::new()
    } else {
        format!("{}: ", mentions(&view.members))
    };
    let reschedule = if view.by_dm {
        "below"
    } else {
        "on the intro above"
    };
    format!(
        "📅 {whom}**Booked:** {} ({}), {} minutes. The calendar file below adds it to your calendar. \
         If the time stops working, click **Reschedule** {reschedule}.",
        full_time(b.starts_at),
        relative_time(b.starts_at),
        b.minutes
    )
}

pub fn reminder(starts_at: DateTime<Utc>, members: &[UserId]) -> String {
    let whom = if members.is_empty() {
        String::new()
    } else {
        format!("{}: ", mentions(members))
    };
    format!(
        "⏰ {whom}your hallway chat starts {} ({}).",
        relative_time(starts_at),
        full_time(starts_at)
    )
}

pub fn check_in(starts_at: DateTime<Utc>, members: &[UserId]) -> String {
    format!(
        "👋 {}: your chat was booked for {}. Did you meet? One click below.",
        mentions(members),
        full_time(starts_at)
    )
}

pub fn rescheduled(view: &RescheduledView) -> String {
    match &view.dm_picker {
        None => format!(
            "🔄 {}: the booked time no longer works for someone in your group, so it's called off. \
             Pick every time that works on the intro above: as soon as one works for everyone, it's booked.",
            mentions(&view.members)
        ),
        Some((choice, members)) => {
            let mut text = String::from(
                "🔄 The booked time for your hallway chat no longer works for someone in your group, so it's called off.\n",
            );
            if let Some(booking) = &choice.booking {
                text.push_str(&format!(
                    "\n📅 **Booked again:** {} ({}).\n",
                    full_time(booking.starts_at),
                    relative_time(booking.starts_at)
                ));
                return text;
            }
            text.push_str(&pick_a_time("", choice, members, "below"));
            text
        }
    }
}
