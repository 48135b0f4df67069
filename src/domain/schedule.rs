//! When rounds are due. Pure functions of the schedule, the last round and `now`.
//!
//! Slots are wall-clock times in the community's time zone (a weekday at an hour), so a
//! round stays at 9:00 local across daylight-saving changes. The next round is the slot
//! nearest to one period after the last round; after a schedule change or a program
//! resume, it is the first slot from that moment on.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::program::{Cadence, Schedule};

/// The UTC instant of `date` at `hour` local time. A local hour that does not exist
/// (skipped by a spring-forward change) moves to the first instant after the gap; an
/// hour that happens twice (fall back) takes the first.
pub fn local_slot(zone: Tz, date: NaiveDate, hour: u8) -> DateTime<Utc> {
    let mut local =
        date.and_time(NaiveTime::from_hms_opt(u32::from(hour), 0, 0).unwrap_or_default());
    // Gaps are at most a few hours; step forward in 15-minute increments until it exists.
    for _ in 0..16 {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += Duration::minutes(15);
    }
    // Unreachable for real zones; fall back to reading the hour as UTC.
    Utc.from_utc_datetime(&local)
}

/// The first slot at or after `from`.
pub fn first_slot_from(schedule: &Schedule, from: DateTime<Utc>) -> DateTime<Utc> {
    let local_date = from.with_timezone(&schedule.time_zone).date_naive();
    match schedule.cadence {
        Cadence::Monthly => {
            let mut month_start = local_date.with_day(1).unwrap_or(local_date);
            loop {
                let slot = local_slot(
                    schedule.time_zone,
                    first_weekday_of_month(month_start, schedule.weekday),
                    schedule.hour,
                );
                if slot >= from {
                    return slot;
                }
                month_start = next_month(month_start);
            }
        }
        _ => {
            // Look at most 8 days ahead: one of them is the weekday, and its slot is due.
            let mut date = local_date;
            loop {
                if date.weekday() == schedule.weekday {
                    let slot = local_slot(schedule.time_zone, date, schedule.hour);
                    if slot >= from {
                        return slot;
                    }
                }
                date = date.succ_opt().unwrap_or(date);
            }
        }
    }
}

/// The slot after a round that was due at `last`.
pub fn slot_after(schedule: &Schedule, last: DateTime<Utc>) -> DateTime<Utc> {
    let weeks = match schedule.cadence {
        Cadence::Weekly => 1,
        Cadence::Biweekly => 2,
        Cadence::Every3Weeks => 3,
        Cadence::Every4Weeks => 4,
        Cadence::Monthly => {
            let local = last.with_timezone(&schedule.time_zone).date_naive();
            let month = next_month(local.with_day(1).unwrap_or(local));
            return local_slot(
                schedule.time_zone,
                first_weekday_of_month(month, schedule.weekday),
                schedule.hour,
            );
        }
    };
    // The slot nearest to `weeks` after the last round: the first slot from half a week
    // before that. With an unchanged schedule this is exactly `weeks` later in local time.
    let target = last + Duration::weeks(weeks) - Duration::hours(84);
    first_slot_from(schedule, target)
}

/// The round due at `now`, if any: the latest slot that has passed since the last round
/// (or since `anchor`, when the schedule was set or the program resumed after it).
/// Slots missed while the bot was down collapse into this one round.
pub fn due_slot(
    schedule: &Schedule,
    last_round_due: Option<DateTime<Utc>>,
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut slot = next_slot(schedule, last_round_due, anchor);
    if slot > now {
        return None;
    }
    loop {
        let following = slot_after(schedule, slot);
        if following > now {
            return Some(slot);
        }
        slot = following;
    }
}

/// The next slot still to come after the last round (or from `anchor`).
pub fn next_slot(
    schedule: &Schedule,
    last_round_due: Option<DateTime<Utc>>,
    anchor: DateTime<Utc>,
) -> DateTime<Utc> {
    match last_round_due {
        Some(last) if last >= anchor => slot_after(schedule, last),
        _ => first_slot_from(schedule, anchor),
    }
}

/// The length of one round: from its due time to the next slot.
pub fn round_length(schedule: Option<&Schedule>, due: DateTime<Utc>) -> Duration {
    match schedule {
        Some(schedule) => slot_after(schedule, due) - due,
        // Rounds run by hand, with no schedule, last a week.
        None => Duration::weeks(1),
    }
}

fn first_weekday_of_month(month_start: NaiveDate, weekday: chrono::Weekday) -> NaiveDate {
    let offset =
        (7 + weekday.num_days_from_monday() - month_start.weekday().num_days_from_monday()) % 7;
    month_start + Duration::days(i64::from(offset))
}

fn next_month(month_start: NaiveDate) -> NaiveDate {
    let (year, month) = if month_start.month() == 12 {
        (month_start.year() + 1, 1)
    } else {
        (month_start.year(), month_start.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(month_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use chrono_tz::{America, Europe};
    use proptest::prelude::*;

    fn schedule(cadence: Cadence, weekday: Weekday, hour: u8, zone: Tz) -> Schedule {
        Schedule {
            cadence,
            weekday,
            hour,
            time_zone: zone,
        }
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn weekly_rounds_keep_the_local_hour_across_both_dst_changes() {
        // Berlin: CEST ends 25 Oct 2026, starts 28 Mar 2027.
        let s = schedule(Cadence::Weekly, Weekday::Mon, 9, Europe::Berlin);
        let oct19 = first_slot_from(&s, utc(2026, 10, 15, 0, 0));
        assert_eq!(oct19, utc(2026, 10, 19, 7, 0), "09:00 CEST is 07:00 UTC");
        let oct26 = slot_after(&s, oct19);
        assert_eq!(oct26, utc(2026, 10, 26, 8, 0), "09:00 CET is 08:00 UTC");
        let mar22 = first_slot_from(&s, utc(2027, 3, 20, 0, 0));
        assert_eq!(mar22, utc(2027, 3, 22, 8, 0));
        assert_eq!(slot_after(&s, mar22), utc(2027, 3, 29, 7, 0));
    }

    #[test]
    fn a_slot_inside_the_spring_gap_moves_past_it() {
        // New York skips 02:00-03:00 on 14 Mar 2027.
        let s = schedule(Cadence::Weekly, Weekday::Sun, 2, America::New_York);
        let slot = first_slot_from(&s, utc(2027, 3, 13, 0, 0));
        assert_eq!(
            slot,
            utc(2027, 3, 14, 7, 0),
            "03:00 EDT, the first instant after the gap"
        );
        // Fall back (7 Nov 2027): 01:00 happens twice; the first one is taken.
        let s = schedule(Cadence::Weekly, Weekday::Sun, 1, America::New_York);
        assert_eq!(
            first_slot_from(&s, utc(2027, 11, 6, 0, 0)),
            utc(2027, 11, 7, 5, 0)
        );
    }

    #[test]
    fn multi_week_and_monthly_cadences() {
        let s = schedule(Cadence::Biweekly, Weekday::Wed, 17, chrono_tz::UTC);
        let first = first_slot_from(&s, utc(2026, 11, 27, 12, 0));
        assert_eq!(first, utc(2026, 12, 2, 17, 0));
        assert_eq!(slot_after(&s, first), utc(2026, 12, 16, 17, 0));
        let s4 = Schedule {
            cadence: Cadence::Every4Weeks,
            ..s
        };
        assert_eq!(slot_after(&s4, first), utc(2026, 12, 30, 17, 0));

        let m = schedule(Cadence::Monthly, Weekday::Mon, 9, chrono_tz::UTC);
        let first = first_slot_from(&m, utc(2026, 11, 27, 0, 0));
        assert_eq!(first, utc(2026, 12, 7, 9, 0), "first Monday of December");
        assert_eq!(
            slot_after(&m, first),
            utc(2027, 1, 4, 9, 0),
            "first Monday of January"
        );
    }

    #[test]
    fn a_changed_weekday_lands_nearest_one_period_after_the_last_round() {
        let last = utc(2026, 11, 2, 9, 0); // a Monday
        let wed = schedule(Cadence::Biweekly, Weekday::Wed, 9, chrono_tz::UTC);
        assert_eq!(slot_after(&wed, last), utc(2026, 11, 18, 9, 0));
        let fri = schedule(Cadence::Weekly, Weekday::Fri, 9, chrono_tz::UTC);
        assert_eq!(slot_after(&fri, last), utc(2026, 11, 6, 9, 0));
    }

    #[test]
    fn rounds_missed_while_down_run_once() {
        let s = schedule(Cadence::Weekly, Weekday::Mon, 9, chrono_tz::UTC);
        let anchor = utc(2026, 11, 1, 0, 0);
        let last = Some(utc(2026, 11, 2, 9, 0));
        assert_eq!(due_slot(&s, last, anchor, utc(2026, 11, 9, 8, 59)), None);
        assert_eq!(
            due_slot(&s, last, anchor, utc(2026, 11, 9, 9, 0)),
            Some(utc(2026, 11, 9, 9, 0))
        );
        // Down for three weeks: one round, for the latest slot.
        assert_eq!(
            due_slot(&s, last, anchor, utc(2026, 11, 25, 0, 0)),
            Some(utc(2026, 11, 23, 9, 0))
        );
        // After that round ran, nothing more is due until the next slot.
        assert_eq!(
            due_slot(
                &s,
                Some(utc(2026, 11, 23, 9, 0)),
                anchor,
                utc(2026, 11, 25, 0, 0)
            ),
            None
        );
    }

    #[test]
    fn a_schedule_set_or_resumed_after_the_last_round_starts_from_then() {
        let s = schedule(Cadence::Weekly, Weekday::Mon, 9, chrono_tz::UTC);
        let last = Some(utc(2026, 10, 5, 9, 0));
        let resumed = utc(2026, 11, 27, 12, 0);
        assert_eq!(next_slot(&s, last, resumed), utc(2026, 11, 30, 9, 0));
        assert_eq!(
            due_slot(&s, last, resumed, utc(2026, 11, 28, 0, 0)),
            None,
            "no catch-up for paused weeks"
        );
        assert_eq!(next_slot(&s, None, resumed), utc(2026, 11, 30, 9, 0));
    }

    fn any_zone() -> impl Strategy<Value = Tz> {
        prop::sample::select(vec![
            chrono_tz::UTC,
            Europe::Berlin,
            America::New_York,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kolkata,
            chrono_tz::America::Sao_Paulo,
        ])
    }

    fn any_cadence() -> impl Strategy<Value = Cadence> {
        prop::sample::select(Cadence::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn slots_move_forward_on_the_right_weekday(
            zone in any_zone(),
            cadence in any_cadence(),
            weekday in 0u8..7,
            hour in 0u8..24,
            start in 0i64..(3 * 365 * 24 * 3600),
        ) {
            let weekday = Weekday::try_from(weekday).unwrap();
            let s = schedule(cadence, weekday, hour, zone);
            let from = utc(2026, 1, 1, 0, 0) + Duration::seconds(start);
            let first = first_slot_from(&s, from);
            prop_assert!(first >= from);
            prop_assert!(first - from <= Duration::days(38));
            let mut slot = first;
            for _ in 0..6 {
                let local = slot.with_timezone(&zone);
                prop_assert_eq!(local.weekday(), weekday);
                let next = slot_after(&s, slot);
                let gap = next - slot;
                let expected = match cadence {
                    Cadence::Weekly => 7, Cadence::Biweekly => 14,
                    Cadence::Every3Weeks => 21, Cadence::Every4Weeks => 28, Cadence::Monthly => 0,
                };
                if expected > 0 {
                    // A DST change shifts the gap by at most a couple of hours.
                    prop_assert!((gap - Duration::days(expected)).num_hours().abs() <= 3, "gap {gap}");
                } else {
                    prop_assert!(gap >= Duration::days(28) - Duration::hours(3) && gap <= Duration::days(35) + Duration::hours(3));
                    prop_assert!(next.with_timezone(&zone).day() <= 7);
                }
                slot = next;
            }
        }

        #[test]
        fn due_slot_never_returns_a_future_slot_or_repeats(
            cadence in any_cadence(),
            offset_hours in 0i64..2000,
        ) {
            let s = schedule(cadence, Weekday::Tue, 10, Europe::Berlin);
            let anchor = utc(2026, 1, 1, 0, 0);
            let now = anchor + Duration::hours(offset_hours);
            if let Some(due) = due_slot(&s, None, anchor, now) {
                prop_assert!(due <= now);
                prop_assert!(due_slot(&s, Some(due), anchor, now).is_none());
            }
        }
    }
}
