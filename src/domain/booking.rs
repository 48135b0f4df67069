//! Booking a group's chat: the slots offered to it, which of them each member said work,
//! and the time it booked. The rules are pure; `storage` keeps the state and
//! `domain::slots` finds the slots.

use chrono::{DateTime, Utc};

use super::ids::{GroupId, UserId};

/// How long a program's chats are booked for, in minutes: the study's 50 minutes by
/// default, from 15 to 60.
pub const MEETING_MINUTES_DEFAULT: u32 = 50;
pub const MEETING_MINUTES_RANGE: std::ops::RangeInclusive<u32> = 15..=60;
/// How long before a booked chat its reminder goes out; 0 turns reminders off.
pub const REMINDER_MINUTES_DEFAULT: u32 = 15;
pub const REMINDER_MINUTES_RANGE: std::ops::RangeInclusive<u32> = 0..=1440;

/// A program's meeting settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRules {
    /// The length of a booked chat, in minutes.
    pub minutes: u32,
    /// Minutes before a booked chat that its reminder goes out; 0 for none.
    pub reminder_minutes: u32,
}

impl Default for MeetingRules {
    fn default() -> Self {
        MeetingRules {
            minutes: MEETING_MINUTES_DEFAULT,
            reminder_minutes: REMINDER_MINUTES_DEFAULT,
        }
    }
}

/// How well a batch of offered slots fits the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotFit {
    /// Inside every member's preferred time of day.
    Preferred,
    /// Inside everyone's working day (8:00-21:00 local), not everyone's preferred part.
    WorkingDay,
    /// No time is inside everyone's working day: the slots are spread over the day, and
    /// the group is told so honestly.
    NoCommonWindow,
}

super::words::word_enum!(SlotFit, "slot fit", {
    Preferred => "preferred", WorkingDay => "working-day", NoCommonWindow => "no-common-window",
});

/// A booked chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booking {
    pub group_id: GroupId,
    pub starts_at: DateTime<Utc>,
    /// The program's meeting length when it was booked.
    pub minutes: u32,
    /// 1 for the group's first booking, one more for each rebooking: the calendar
    /// file's SEQUENCE, and part of the reminder's outbox key.
    pub sequence: u32,
    pub booked_at: DateTime<Utc>,
}

impl Booking {
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.starts_at + chrono::Duration::minutes(i64::from(self.minutes))
    }
}

/// Where a group is in booking its chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotChoice {
    pub group_id: GroupId,
    /// 0 for the slots in the intro; one more for each "None of these work" or
    /// Reschedule. Only the latest batch can be picked from.
    pub batch: u32,
    /// The latest batch's slots, earliest first.
    pub slots: Vec<DateTime<Utc>>,
    pub fit: SlotFit,
    /// Each member's picks from the latest batch, for those who picked (possibly none).
    pub picks: Vec<(UserId, Vec<DateTime<Utc>>)>,
    /// The current booking, if the group has one (a Reschedule clears it).
    pub booking: Option<Booking>,
}

impl SlotChoice {
    /// The same times without anyone's picks: how a post is first drawn, since picks
    /// change between tries and a retry finds the earlier post by its text.
    pub fn without_picks(self) -> SlotChoice {
        SlotChoice {
            picks: Vec::new(),
            ..self
        }
    }

    /// Who picked `slot`, in the order of `picks`.
    pub fn who_picked(&self, slot: DateTime<Utc>) -> Vec<UserId> {
        self.picks
            .iter()
            .filter(|(_, picked)| picked.contains(&slot))
            .map(|(user, _)| *user)
            .collect()
    }
}

/// The earliest offered slot still ahead of `now` that every one of `attendees` picked;
/// `None` while anyone has not picked one (or with nobody to attend). A slot that has
/// passed while the others were picking is never booked.
pub fn common_slot(
    offered: &[DateTime<Utc>],
    picks: &[(UserId, Vec<DateTime<Utc>>)],
    attendees: &[UserId],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if attendees.is_empty() {
        return None;
    }
    let mut slots = offered.to_vec();
    slots.sort();
    slots.into_iter().filter(|slot| *slot > now).find(|slot| {
        attendees.iter().all(|who| {
            picks
                .iter()
                .any(|(user, picked)| user == who && picked.contains(slot))
        })
    })
}

/// What became of a member's picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickOutcome {
    /// Saved; the group has no slot everyone picked yet.
    Saved(SlotChoice),
    /// Saved, and it completed a slot everyone picked: the chat is booked.
    Booked(SlotChoice),
    /// The picks were from a batch that has been replaced: nothing was saved.
    Stale(SlotChoice),
    /// The group has a booking already: nothing was saved (Reschedule reopens it).
    AlreadyBooked(SlotChoice),
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_earliest_slot_ahead_that_everyone_picked_is_booked() {
        let (ada, ben) = (UserId(1), UserId(2));
        let offered = [at(14), at(9), at(11)];
        let picks = vec![
            (ada, vec![at(14), at(11)]),
            (ben, vec![at(14), at(11), at(9)]),
        ];
        let early = at(0);
        assert_eq!(
            common_slot(&offered, &picks, &[ada, ben], early),
            Some(at(11))
        );
        assert_eq!(common_slot(&offered, &picks[..1], &[ada, ben], early), None);
        assert_eq!(common_slot(&offered, &picks, &[], early), None);
        // Once 11:00 has passed, the next time both picked is booked.
        assert_eq!(
            common_slot(&offered, &picks, &[ada, ben], at(11)),
            Some(at(14))
        );
        // A pick of something never offered books nothing.
        let odd = vec![(ada, vec![at(3)]), (ben, vec![at(3)])];
        assert_eq!(common_slot(&offered, &odd, &[ada, ben], early), None);
    }
}
