//! Finding concrete times for a group's chat: slots inside every member's window, in
//! their own time zones, Daylight Saving Time included.
//!
//! Candidates are the UTC :00 and :30 starts from the first one at least [`MIN_NOTICE`]
//! after `after` to [`HORIZON`] after it (a start before the horizon ends), minus the
//! excluded ones. A candidate fits a member when, read in the member's zone at each
//! instant (so DST changes move the UTC time, not the local one), the chat starts at or
//! after their window opens and ends by the time it closes, on one local date. Members
//! without a zone do not constrain; when nobody has one, everyone is read in the
//! fallback zone.
//!
//! Levels, each used only if it can fill a whole offer (so a window open on one or
//! two days only, or mostly used up by `exclude`, gives way to the next level):
//! 1. [`SlotFit::Preferred`]: inside every member's preferred time of day.
//! 2. [`SlotFit::WorkingDay`]: inside everyone's 8:00-21:00.
//! 3. [`SlotFit::NoCommonWindow`]: [`SLOTS_MAX`] slots, no two in the same UTC hour.
//!    Each next one is taken from the next day's worth of candidates after the gap
//!    (below): the one that fits the most members' working day, then is farthest (in
//!    UTC time of day) from the slots already chosen, then is earliest.
//!
//! Within a level, weekdays come first: a candidate on a Saturday or Sunday in any
//! constraining zone is left out, unless that cannot fill the offer; then the weekend
//! candidates join the pool.
//!
//! Spread: each slot is at least [`SLOT_GAP`] (20 hours) after the previous, which is
//! more than any working day is long (13 hours, 14 across a DST change), so no two
//! slots share anyone's local date. At levels 1 and 2 the first slot is the earliest
//! fitting candidate, and the picks alternate between the earliest start the gap allows
//! and the latest start of the common window that start is in (its run of consecutive
//! fitting candidates), so a wide window offers both mornings and evenings.
//!
//! Pure: no clock, no randomness.

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::booking::SlotFit;
use super::profile::TimeOfDay;
use super::suggest::Preference;

/// How many slots one offer holds.
pub const SLOTS_PER_OFFER: usize = 4;
/// How many slots an offer holds when there is no common window: more, spread over the
/// day, so that each member finds some they can make.
pub const SLOTS_MAX: usize = 5;
/// The first slot starts at least this long after the request.
pub const MIN_NOTICE: TimeDelta = TimeDelta::hours(2);
/// Slots start within this long after the request.
pub const HORIZON: TimeDelta = TimeDelta::days(14);
/// Candidate starts are this far apart, on UTC :00 and :30.
pub const SLOT_STEP: TimeDelta = TimeDelta::minutes(30);
/// Each offered slot starts at least this long after the previous one.
pub const SLOT_GAP: TimeDelta = TimeDelta::hours(20);

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

/// The slots to offer a group, sorted ascending: [`SLOTS_PER_OFFER`] of them, or
/// [`SLOTS_MAX`] when there is no common window (fewer only when `exclude` has used up
/// nearly the whole horizon).
pub fn offer(request: &SlotRequest) -> SlotOffer {
    let constraints = constraints(request);
    let length = TimeDelta::minutes(i64::from(request.meeting_minutes));
    let candidates = candidates(request);
    let on_weekday = |slot: &DateTime<Utc>| {
        let mut zones = constraints.iter().map(|c| c.zone).peekable();
        let weekday_in = |zone: Tz| {
            !matches!(
                slot.with_timezone(&zone).weekday(),
                Weekday::Sat | Weekday::Sun
            )
        };
        if zones.peek().is_none() {
            weekday_in(request.fallback_zone)
        } else {
            zones.all(weekday_in)
        }
    };

    // The window everyone is read in at each level: their own, then the working day.
    for (fit, everyones_window) in [
        (SlotFit::Preferred, None),
        (SlotFit::WorkingDay, Some(WORKING_DAY)),
    ] {
        let fitting: Vec<DateTime<Utc>> = candidates
            .iter()
            .copied()
            .filter(|slot| {
                constraints.iter().all(|c| {
                    fits(
                        *slot,
                        length,
                        c.zone,
                        everyones_window.unwrap_or(c.time_of_day),
                    )
                })
            })
            .collect();
        let slots = weekdays_first(&fitting, on_weekday, SLOTS_PER_OFFER, |pool| {
            alternate_ends(pool, SLOTS_PER_OFFER)
        });
        if slots.len() >= SLOTS_PER_OFFER {
            return SlotOffer { slots, fit };
        }
    }

    let scored: Vec<(DateTime<Utc>, usize)> = candidates
        .iter()
        .map(|slot| {
            let fitting = constraints
                .iter()
                .filter(|c| fits(*slot, length, c.zone, WORKING_DAY))
                .count();
            (*slot, fitting)
        })
        .collect();
    let slots = weekdays_first(
        &scored,
        |(slot, _)| on_weekday(slot),
        SLOTS_MAX,
        |pool| spread_over_hours(pool, SLOTS_MAX),
    );
    SlotOffer {
        slots,
        fit: SlotFit::NoCommonWindow,
    }
}

/// Everyone's working day: the widest window a member can have.
const WORKING_DAY: TimeOfDay = TimeOfDay::Flexible;

/// A member whose window limits the slots, in the zone it is read in.
struct Constraint {
    zone: Tz,
    time_of_day: TimeOfDay,
}

fn constraints(request: &SlotRequest) -> Vec<Constraint> {
    let zoned: Vec<Constraint> = request
        .members
        .iter()
        .filter_map(|p| {
            p.time_zone.map(|zone| Constraint {
                zone,
                time_of_day: p.time_of_day,
            })
        })
        .collect();
    if !zoned.is_empty() {
        return zoned;
    }
    request
        .members
        .iter()
        .map(|p| Constraint {
            zone: request.fallback_zone,
            time_of_day: p.time_of_day,
        })
        .collect()
}

/// Every start on the UTC half-hour grid inside the notice and horizon, not excluded.
fn candidates(request: &SlotRequest) -> Vec<DateTime<Utc>> {
    let earliest = request.after + MIN_NOTICE;
    let step = SLOT_STEP.num_seconds();
    let mut seconds = earliest.timestamp();
    if seconds.rem_euclid(step) != 0 || earliest.timestamp_subsec_nanos() != 0 {
        seconds = (seconds.div_euclid(step) + 1) * step;
    }
    let end = request.after + HORIZON;
    std::iter::successors(DateTime::from_timestamp(seconds, 0), |slot| {
        slot.checked_add_signed(SLOT_STEP)
    })
    .take_while(|slot| *slot < end)
    .filter(|slot| !request.exclude.contains(slot))
    .collect()
}

/// Whether a chat of `length` from `start` is inside `window` in `zone`: local start at
/// or after it opens, local end by the time it closes, on the same local date.
fn fits(start: DateTime<Utc>, length: TimeDelta, zone: Tz, window: TimeOfDay) -> bool {
    let hours = window.local_hours();
    let local_start = start.with_timezone(&zone);
    let local_end = (start + length).with_timezone(&zone);
    local_start.date_naive() == local_end.date_naive()
        && local_start.num_seconds_from_midnight() >= u32::from(hours.start) * 3600
        && local_end.num_seconds_from_midnight() <= u32::from(hours.end) * 3600
}

/// `pick` from the weekday candidates; if that falls short of `wanted`, from all.
fn weekdays_first<T: Copy>(
    pool: &[T],
    on_weekday: impl Fn(&T) -> bool,
    wanted: usize,
    pick: impl Fn(&[T]) -> Vec<DateTime<Utc>>,
) -> Vec<DateTime<Utc>> {
    let weekdays: Vec<T> = pool.iter().copied().filter(|c| on_weekday(c)).collect();
    let picked = pick(&weekdays);
    if picked.len() >= wanted || weekdays.len() == pool.len() {
        return picked;
    }
    pick(pool)
}

/// Up to `wanted` slots from `pool` (ascending), each at least [`SLOT_GAP`] after the
/// previous, alternating between the earliest allowed start and the latest start of the
/// run of consecutive candidates it begins.
fn alternate_ends(pool: &[DateTime<Utc>], wanted: usize) -> Vec<DateTime<Utc>> {
    let mut chosen: Vec<DateTime<Utc>> = Vec::with_capacity(wanted);
    let mut latest_next = false;
    while chosen.len() < wanted {
        let allowed =
            |slot: &DateTime<Utc>| chosen.last().is_none_or(|last| *slot >= *last + SLOT_GAP);
        let Some(first) = pool.iter().position(allowed) else {
            break;
        };
        let mut pick = first;
        if latest_next {
            while pool
                .get(pick + 1)
                .is_some_and(|next| *next - pool[pick] == SLOT_STEP)
            {
                pick += 1;
            }
        }
        chosen.push(pool[pick]);
        latest_next = !latest_next;
    }
    chosen
}

/// Up to `wanted` slots, each at least [`SLOT_GAP`] after the previous and in a UTC hour
/// not used yet. Each is chosen from the next day's worth (48) of the candidates so
/// allowed: the one fitting the most members, then farthest in time of day from the
/// slots chosen so far, then earliest. Looking a day's worth ahead keeps the offer near
/// (every time of day comes round within a day) and leaves room in the horizon for the
/// rest; counting candidates rather than hours steps over a weekend that the pool
/// leaves out.
fn spread_over_hours(pool: &[(DateTime<Utc>, usize)], wanted: usize) -> Vec<DateTime<Utc>> {
    const DAY_MINUTES: i64 = 24 * 60;
    const CANDIDATES_PER_DAY: usize = 48;
    let minute_of_day = |slot: &DateTime<Utc>| i64::from(slot.num_seconds_from_midnight() / 60);
    let mut chosen: Vec<DateTime<Utc>> = Vec::with_capacity(wanted);
    while chosen.len() < wanted {
        let allowed: Vec<(DateTime<Utc>, usize)> = pool
            .iter()
            .copied()
            .filter(|(slot, _)| {
                chosen.last().is_none_or(|last| *slot >= *last + SLOT_GAP)
                    && chosen.iter().all(|other| other.hour() != slot.hour())
            })
            .collect();
        let distance = |slot: &DateTime<Utc>| {
            chosen
                .iter()
                .map(|other| {
                    let apart =
                        (minute_of_day(slot) - minute_of_day(other)).rem_euclid(DAY_MINUTES);
                    apart.min(DAY_MINUTES - apart)
                })
                .min()
                .unwrap_or(0)
        };
        let best = allowed
            .iter()
            .take(CANDIDATES_PER_DAY)
            // `min_by_key` keeps the first of equals: the earliest.
            .min_by_key(|(slot, fitting)| std::cmp::Reverse((*fitting, distance(slot))));
        let Some((slot, _)) = best else { break };
        chosen.push(*slot);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::Modality;
    use chrono::TimeZone;
    use chrono_tz::{America, Asia, Australia, Europe, Pacific};
    use proptest::prelude::*;

    fn member(zone: Option<Tz>, time_of_day: TimeOfDay) -> Preference {
        Preference {
            time_zone: zone,
            time_of_day,
            modality: Modality::Any,
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn request<'a>(
        members: &'a [Preference],
        after: DateTime<Utc>,
        minutes: u32,
        exclude: &'a [DateTime<Utc>],
    ) -> SlotRequest<'a> {
        SlotRequest {
            members,
            fallback_zone: chrono_tz::UTC,
            meeting_minutes: minutes,
            after,
            exclude,
        }
    }

    /// Checked apart from `fits`: local clock hours and minutes of start and end.
    fn inside(slot: DateTime<Utc>, minutes: u32, zone: Tz, hours: std::ops::Range<u8>) -> bool {
        let start = slot.with_timezone(&zone);
        let end = (slot + TimeDelta::minutes(i64::from(minutes))).with_timezone(&zone);
        let (open, close) = (u32::from(hours.start), u32::from(hours.end));
        start.date_naive() == end.date_naive()
            && start.hour() >= open
            && (end.hour() < close || (end.hour() == close && end.minute() == 0))
    }

    fn local_hm(slot: DateTime<Utc>, zone: Tz) -> (u32, u32) {
        let local = slot.with_timezone(&zone);
        (local.hour(), local.minute())
    }

    #[test]
    fn berlin_morning_keeps_8_local_across_the_march_2027_change() {
        // Friday 26 March 2027; Berlin moves to summer time on Sunday the 28th.
        let members = [member(Some(Europe::Berlin), TimeOfDay::Morning)];
        let got = offer(&request(&members, utc(2027, 3, 26, 0, 0), 50, &[]));
        assert_eq!(got.fit, SlotFit::Preferred);
        // Earliest Friday (8:00 CET), latest Monday (11:00 CEST), earliest Tuesday, ...
        assert_eq!(
            got.slots,
            vec![
                utc(2027, 3, 26, 7, 0),
                utc(2027, 3, 29, 9, 0),
                utc(2027, 3, 30, 6, 0),
                utc(2027, 3, 31, 9, 0),
            ]
        );
        let at_eight: Vec<_> = got
            .slots
            .iter()
            .filter(|s| local_hm(**s, Europe::Berlin) == (8, 0))
            .map(|s| s.hour())
            .collect();
        assert_eq!(
            at_eight,
            vec![7, 6],
            "8:00 local is 07:00 UTC, then 06:00 UTC"
        );
    }

    #[test]
    fn new_york_morning_keeps_8_local_across_the_november_2026_change() {
        // Friday 30 October 2026; New York goes back to standard time on 1 November.
        let members = [member(Some(America::New_York), TimeOfDay::Morning)];
        let got = offer(&request(&members, utc(2026, 10, 30, 0, 0), 50, &[]));
        assert_eq!(got.fit, SlotFit::Preferred);
        assert_eq!(
            got.slots,
            vec![
                utc(2026, 10, 30, 12, 0),
                utc(2026, 11, 2, 16, 0),
                utc(2026, 11, 3, 13, 0),
                utc(2026, 11, 4, 16, 0),
            ]
        );
        let at_eight: Vec<_> = got
            .slots
            .iter()
            .filter(|s| local_hm(**s, America::New_York) == (8, 0))
            .map(|s| s.hour())
            .collect();
        assert_eq!(
            at_eight,
            vec![12, 13],
            "8:00 local is 12:00 UTC, then 13:00 UTC"
        );
    }

    #[test]
    fn tokyo_and_new_york_evenings_fall_back_to_both_working_days() {
        let members = [
            member(Some(Asia::Tokyo), TimeOfDay::Evening),
            member(Some(America::New_York), TimeOfDay::Evening),
        ];
        let got = offer(&request(&members, utc(2026, 12, 1, 0, 0), 50, &[]));
        assert_eq!(got.fit, SlotFit::WorkingDay);
        assert_eq!(got.slots.len(), SLOTS_PER_OFFER);
        for slot in &got.slots {
            assert!(inside(*slot, 50, Asia::Tokyo, 8..21), "{slot}");
            assert!(inside(*slot, 50, America::New_York, 8..21), "{slot}");
        }
    }

    #[test]
    fn three_zones_8_hours_apart_get_5_slots_at_distinct_hours_each_member_can_make_some() {
        let zones = [chrono_tz::UTC, Asia::Shanghai, America::Los_Angeles];
        let members: Vec<_> = zones
            .iter()
            .zip([TimeOfDay::Morning, TimeOfDay::Evening, TimeOfDay::Flexible])
            .map(|(zone, time)| member(Some(*zone), time))
            .collect();
        let got = offer(&request(&members, utc(2026, 12, 1, 0, 0), 50, &[]));
        assert_eq!(got.fit, SlotFit::NoCommonWindow);
        assert_eq!(got.slots.len(), SLOTS_MAX);
        let mut hours: Vec<_> = got.slots.iter().map(|s| s.hour()).collect();
        hours.sort();
        hours.dedup();
        assert_eq!(hours.len(), SLOTS_MAX, "distinct hours: {:?}", got.slots);
        // Each slot suits two of the three (the most any time can), and each member
        // can make at least one.
        for slot in &got.slots {
            let suits = zones
                .iter()
                .filter(|z| inside(*slot, 50, **z, 8..21))
                .count();
            assert_eq!(suits, 2, "{slot}");
        }
        for zone in zones {
            assert!(
                got.slots.iter().any(|s| inside(*s, 50, zone, 8..21)),
                "{zone}"
            );
        }
    }

    #[test]
    fn none_of_these_work_gives_new_slots_each_time() {
        let members = [
            member(Some(Europe::Berlin), TimeOfDay::Afternoon),
            member(Some(Asia::Kolkata), TimeOfDay::Afternoon),
        ];
        let mut after = utc(2026, 6, 8, 9, 17);
        let mut offered: Vec<DateTime<Utc>> = Vec::new();
        for _ in 0..3 {
            let got = offer(&request(&members, after, 45, &offered));
            assert_eq!(got.fit, SlotFit::Preferred);
            assert_eq!(got.slots.len(), SLOTS_PER_OFFER);
            assert!(got.slots.iter().all(|s| !offered.contains(s)), "{got:?}");
            offered.extend(&got.slots);
            after += TimeDelta::minutes(10);
        }
    }

    #[test]
    fn weekends_are_left_out_while_weekdays_fill_the_offer() {
        // Friday evening: the next weekday slots are next week, not Saturday.
        let members = [member(Some(Europe::Berlin), TimeOfDay::Flexible)];
        let got = offer(&request(&members, utc(2026, 12, 4, 18, 0), 30, &[]));
        for slot in &got.slots {
            let day = slot.with_timezone(&Europe::Berlin).weekday();
            assert!(!matches!(day, Weekday::Sat | Weekday::Sun), "{slot}");
        }
    }

    #[test]
    fn a_wide_window_alternates_early_and_late_starts() {
        let members = [member(Some(chrono_tz::UTC), TimeOfDay::Flexible)];
        // Tuesday 1 December 2026, 05:00 UTC.
        let got = offer(&request(&members, utc(2026, 12, 1, 5, 0), 60, &[]));
        assert_eq!(
            got.slots,
            vec![
                utc(2026, 12, 1, 8, 0),
                utc(2026, 12, 2, 20, 0),
                utc(2026, 12, 3, 16, 0),
                utc(2026, 12, 4, 20, 0),
            ]
        );
    }

    #[test]
    fn without_zones_everyone_is_read_in_the_fallback_zone() {
        let members = [
            member(None, TimeOfDay::Morning),
            member(None, TimeOfDay::Morning),
        ];
        let got = offer(&SlotRequest {
            fallback_zone: Asia::Tokyo,
            ..request(&members, utc(2026, 12, 1, 0, 0), 50, &[])
        });
        assert_eq!(got.fit, SlotFit::Preferred);
        assert!(got.slots.iter().all(|s| inside(*s, 50, Asia::Tokyo, 8..12)));
    }

    #[test]
    fn a_member_without_a_zone_does_not_constrain_the_others() {
        let members = [
            member(Some(Asia::Tokyo), TimeOfDay::Morning),
            member(None, TimeOfDay::Evening),
        ];
        let got = offer(&request(&members, utc(2026, 12, 1, 0, 0), 50, &[]));
        assert_eq!(got.fit, SlotFit::Preferred);
        assert!(got.slots.iter().all(|s| inside(*s, 50, Asia::Tokyo, 8..12)));
    }

    #[test]
    fn the_first_slot_gives_two_hours_notice_on_the_half_hour_grid() {
        let members = [member(Some(chrono_tz::UTC), TimeOfDay::Flexible)];
        let got = offer(&request(&members, utc(2026, 12, 1, 9, 1), 30, &[]));
        assert_eq!(got.slots[0], utc(2026, 12, 1, 11, 30));
        let exact = offer(&request(&members, utc(2026, 12, 1, 9, 0), 30, &[]));
        assert_eq!(exact.slots[0], utc(2026, 12, 1, 11, 0));
    }

    fn any_zone() -> impl Strategy<Value = Option<Tz>> {
        prop::sample::select(vec![
            Some(Asia::Kolkata),
            Some(Australia::Sydney),
            Some(America::New_York),
            Some(Europe::Berlin),
            Some(Asia::Tokyo),
            Some(Pacific::Auckland),
            Some(chrono_tz::UTC),
            None,
        ])
    }

    fn any_member() -> impl Strategy<Value = Preference> {
        (any_zone(), prop::sample::select(TimeOfDay::ALL.to_vec()))
            .prop_map(|(zone, time)| member(zone, time))
    }

    /// The invariants every offer keeps, checked from its request alone.
    fn check_offer(request: &SlotRequest, got: &SlotOffer) -> Result<(), TestCaseError> {
        let notice = request.after + MIN_NOTICE;
        prop_assert!((3..=5).contains(&got.slots.len()), "{:?}", got);
        prop_assert!(
            got.slots.windows(2).all(|w| w[0] < w[1]),
            "sorted, distinct"
        );
        for slot in &got.slots {
            prop_assert!(*slot >= notice && *slot < request.after + HORIZON, "{slot}");
            prop_assert!(slot.minute() % 30 == 0 && slot.second() == 0, "{slot}");
            prop_assert!(!request.exclude.contains(slot), "{slot} was excluded");
        }
        let zoned: Vec<(Tz, TimeOfDay)> = request
            .members
            .iter()
            .filter_map(|p| p.time_zone.map(|z| (z, p.time_of_day)))
            .collect();
        let read_in: Vec<(Tz, TimeOfDay)> = if zoned.is_empty() {
            request
                .members
                .iter()
                .map(|p| (request.fallback_zone, p.time_of_day))
                .collect()
        } else {
            zoned
        };
        for slot in &got.slots {
            for (zone, time) in &read_in {
                let hours = match got.fit {
                    SlotFit::Preferred => time.local_hours(),
                    SlotFit::WorkingDay => 8..21,
                    SlotFit::NoCommonWindow => continue,
                };
                prop_assert!(
                    inside(*slot, request.meeting_minutes, *zone, hours.clone()),
                    "{slot} outside {hours:?} in {zone} ({:?})",
                    got.fit
                );
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn offers_are_sorted_fresh_noticed_and_inside_the_windows_they_claim(
            members in prop::collection::vec(any_member(), 1..=4),
            fallback in any_zone(),
            // 2026-01-01 to 2027-12-31.
            after_seconds in 1_767_225_600i64..1_830_297_600,
            minutes in 15u32..=60,
            later_by_minutes in 0i64..3000,
        ) {
            let after = DateTime::from_timestamp(after_seconds, 0).unwrap();
            let first_request = SlotRequest {
                members: &members,
                fallback_zone: fallback.unwrap_or(chrono_tz::UTC),
                meeting_minutes: minutes,
                after,
                exclude: &[],
            };
            let first = offer(&first_request);
            check_offer(&first_request, &first)?;
            // "None of these work", a while later: the next slots, none repeated.
            let retry_request = SlotRequest {
                after: after + TimeDelta::minutes(later_by_minutes),
                exclude: &first.slots,
                ..first_request.clone()
            };
            let retry = offer(&retry_request);
            check_offer(&retry_request, &retry)?;
        }
    }
}
