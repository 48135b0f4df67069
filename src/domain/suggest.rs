//! What a group is told about how and when to meet: a modality everyone accepts, and
//! hours that fall inside everyone's preferred time of day, in their own time zones.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::profile::{Modality, TimeOfDay};

/// One member's preferences, as far as meeting logistics go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preference {
    pub time_zone: Option<Tz>,
    pub time_of_day: TimeOfDay,
    pub modality: Modality,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// A modality every member accepts; `None` when they want different things.
    pub modality: Option<Modality>,
    /// A window of whole UTC hours `[start, start + len)` inside everyone's window;
    /// `None` when it could not be found or nobody gave a time zone.
    pub window: Option<UtcWindow>,
    /// Whether the window needed everyone's full working day rather than their
    /// preferred part of it.
    pub relaxed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcWindow {
    pub start_hour: u8,
    pub hours: u8,
}

impl UtcWindow {
    /// The window's local start and end hour in `zone`, on the day of `at`.
    pub fn local_hours(self, zone: Tz, at: DateTime<Utc>) -> (u8, u8) {
        let offset_hours = zone
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
            / 3600;
        let start = (i32::from(self.start_hour) + offset_hours).rem_euclid(24) as u8;
        (start, (start + self.hours) % 24)
    }
}

pub fn suggest(members: &[Preference], at: DateTime<Utc>) -> Suggestion {
    let modality = [
        Modality::Video,
        Modality::Phone,
        Modality::Walking,
        Modality::Text,
    ]
    .into_iter()
    .find(|m| members.iter().all(|p| p.modality == *m))
    .or_else(|| {
        // Everyone accepts it: either they chose it, or they chose "any".
        [
            Modality::Video,
            Modality::Phone,
            Modality::Walking,
            Modality::Text,
        ]
        .into_iter()
        .find(|m| members.iter().all(|p| p.modality.compatible(*m)))
    });
    let preferred = common_window(members, at, |p| p.time_of_day);
    let (window, relaxed) = match preferred {
        Some(window) => (Some(window), false),
        None => (common_window(members, at, |_| TimeOfDay::Flexible), true),
    };
    Suggestion {
        modality,
        window,
        relaxed: relaxed && window.is_some(),
    }
}

/// The longest run of UTC hours inside every member's local window. Members without a
/// time zone don't constrain it; with nobody's zone known there is no window.
fn common_window(
    members: &[Preference],
    at: DateTime<Utc>,
    window_of: impl Fn(&Preference) -> TimeOfDay,
) -> Option<UtcWindow> {
    let mut common: u32 = (1 << 24) - 1;
    let mut known = 0;
    for p in members {
        let Some(zone) = p.time_zone else { continue };
        known += 1;
        let offset_hours = zone
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
            / 3600;
        let mut hours: u32 = 0;
        for local in window_of(p).local_hours() {
            let utc = (i32::from(local) - offset_hours).rem_euclid(24);
            hours |= 1 << utc;
        }
        common &= hours;
    }
    if known == 0 || common == 0 {
        return None;
    }
    // Longest circular run of set bits.
    let mut best = UtcWindow {
        start_hour: 0,
        hours: 0,
    };
    for start in 0..24u8 {
        let before = (start + 23) % 24;
        if common & (1 << start) == 0 || (common & (1 << before) != 0 && common != (1 << 24) - 1) {
            continue;
        }
        let mut len = 0;
        while len < 24 && common & (1 << ((start + len) % 24)) != 0 {
            len += 1;
        }
        if len > best.hours {
            best = UtcWindow {
                start_hour: start,
                hours: len,
            };
        }
    }
    (best.hours > 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe};

    fn p(zone: Option<Tz>, time: TimeOfDay, modality: Modality) -> Preference {
        Preference {
            time_zone: zone,
            time_of_day: time,
            modality,
        }
    }

    fn winter() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn berlin_afternoon_meets_new_york_morning() {
        let s = suggest(
            &[
                p(Some(Europe::Berlin), TimeOfDay::Afternoon, Modality::Video),
                p(Some(America::New_York), TimeOfDay::Morning, Modality::Any),
            ],
            winter(),
        );
        assert_eq!(s.modality, Some(Modality::Video));
        // Berlin 12-17 local = 11-16 UTC; New York 8-12 local = 13-17 UTC. Overlap 13-16.
        let w = s.window.unwrap();
        assert_eq!((w.start_hour, w.hours), (13, 3));
        assert!(!s.relaxed);
        assert_eq!(w.local_hours(Europe::Berlin, winter()), (14, 17));
        assert_eq!(w.local_hours(America::New_York, winter()), (8, 11));
    }

    #[test]
    fn far_apart_evenings_relax_to_the_working_day_or_give_up() {
        let tokyo_ny = [
            p(Some(Asia::Tokyo), TimeOfDay::Evening, Modality::Any),
            p(Some(America::New_York), TimeOfDay::Evening, Modality::Any),
        ];
        let s = suggest(&tokyo_ny, winter());
        assert!(s.relaxed);
        let w = s.window.unwrap();
        // Tokyo 8-21 = 23-12 UTC; New York 8-21 = 13-2 UTC: overlap 23-2 UTC.
        assert_eq!((w.start_hour, w.hours), (23, 3));
        assert_eq!(s.modality, Some(Modality::Video), "any + any: a video call");
    }

    #[test]
    fn different_modalities_and_unknown_zones() {
        let s = suggest(
            &[
                p(None, TimeOfDay::Morning, Modality::Walking),
                p(None, TimeOfDay::Evening, Modality::Text),
            ],
            winter(),
        );
        assert_eq!(s.modality, None);
        assert_eq!(s.window, None);
        let one_known = suggest(
            &[
                p(Some(chrono_tz::UTC), TimeOfDay::Morning, Modality::Phone),
                p(None, TimeOfDay::Evening, Modality::Phone),
            ],
            winter(),
        );
        assert_eq!(
            one_known.window,
            Some(UtcWindow {
                start_hour: 8,
                hours: 4
            })
        );
        assert_eq!(one_known.modality, Some(Modality::Phone));
    }
}
