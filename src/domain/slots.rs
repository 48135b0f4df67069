//! Finding concrete times for a group's chat: slots inside every member's window, in
//! their own time zones, Daylight Saving Time included.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::booking::SlotFit;
use super::suggest::Preference;

/// How many slots one offer holds.
pub const SLOTS_PER_OFFER: usize = 4;

/// What to find slots for.
#[derive(Debug, Clone)]
pub struct SlotRequest<'a> {
    pub members: &'a [Preference],
    /// Where the day is read when no member gave a time zone (the program's schedule
    /// zone, else UTC).
    pub fallback_zone: Tz,
    pub meeting_minutes: u32,
    /// Slots start after this moment (plus some notice).
    pub after: DateTime<Utc>,
    /// Slots offered before, never offered again.
    pub exclude: &'a [DateTime<Utc>],
}

/// Slots for one batch, earliest first, and how well they fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotOffer {
    pub slots: Vec<DateTime<Utc>>,
    pub fit: SlotFit,
}

pub fn offer(request: &SlotRequest) -> SlotOffer {
    let _ = request;
    todo!("filled in by the slots helper")
}
