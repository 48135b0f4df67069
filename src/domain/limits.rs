//! Limits on what a click or a command can make hallway do: how long a round preview
//! stays good, and how often wins may be posted (a cooldown per member and a ceiling per
//! server and hour, so nobody can make hallway flood a celebrations channel).

use chrono::{DateTime, Duration, Utc};

/// Every limit, as the settings set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long Confirm on a round preview works after the preview was made.
    pub preview_expires_after: Duration,
    pub wins: WinLimits,
}

/// The limits on `/win`. A zero turns that limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WinLimits {
    /// After a win, how long before the same member may post the next one.
    pub member_cooldown: Duration,
    /// At most this many wins per server in any hour.
    pub server_per_hour: u32,
}

/// The window the server ceiling counts over.
pub const SERVER_WINDOW: Duration = Duration::hours(1);

/// Why a win is refused, and when it could be posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WinRefusal {
    /// Never joined the program (or was forgotten). Paused members may post: a pause is a
    /// break from chats, not from the community.
    NotAMember,
    /// Left the program.
    Left,
    MemberCooldown {
        until: DateTime<Utc>,
    },
    ServerCeiling {
        until: DateTime<Utc>,
    },
}

/// Whether a win may be posted `now`, given when the member last posted one and the
/// server's most recent wins (newest first; at least `server_per_hour` of them when
/// there are that many).
pub fn check_win(
    limits: &WinLimits,
    member_last: Option<DateTime<Utc>>,
    server_recent: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Result<(), WinRefusal> {
    if let Some(last) = member_last {
        let until = last + limits.member_cooldown;
        if limits.member_cooldown > Duration::zero() && until > now {
            return Err(WinRefusal::MemberCooldown { until });
        }
    }
    let ceiling = limits.server_per_hour as usize;
    if ceiling > 0 {
        // With `ceiling` wins in the last hour, the next one may go when the oldest of
        // them is an hour old.
        if let Some(oldest_counted) = server_recent.get(ceiling - 1) {
            let until = *oldest_counted + SERVER_WINDOW;
            if until > now {
                return Err(WinRefusal::ServerCeiling { until });
            }
        }
    }
    Ok(())
}

/// What the limits on wins look at: when the member last posted one, and the server's
/// latest wins, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WinActivity {
    pub member_last: Option<DateTime<Utc>>,
    /// At most as many as asked for.
    pub server_recent: Vec<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
    }

    fn minutes_ago(m: i64) -> DateTime<Utc> {
        now() - Duration::minutes(m)
    }

    const LIMITS: WinLimits = WinLimits {
        member_cooldown: Duration::minutes(10),
        server_per_hour: 3,
    };

    #[test]
    fn a_member_waits_out_the_cooldown_to_the_minute() {
        let last = minutes_ago(4);
        assert_eq!(
            check_win(&LIMITS, Some(last), &[last], now()),
            Err(WinRefusal::MemberCooldown {
                until: now() + Duration::minutes(6)
            })
        );
        let last = minutes_ago(10);
        assert_eq!(check_win(&LIMITS, Some(last), &[last], now()), Ok(()));
        assert_eq!(check_win(&LIMITS, None, &[], now()), Ok(()));
    }

    #[test]
    fn the_server_ceiling_frees_up_when_the_oldest_counted_win_is_an_hour_old() {
        let recent = [minutes_ago(1), minutes_ago(20), minutes_ago(50)];
        assert_eq!(
            check_win(&LIMITS, None, &recent, now()),
            Err(WinRefusal::ServerCeiling {
                until: now() + Duration::minutes(10)
            })
        );
        let recent = [minutes_ago(1), minutes_ago(20), minutes_ago(60)];
        assert_eq!(check_win(&LIMITS, None, &recent, now()), Ok(()));
        // Fewer than the ceiling: fine, however recent.
        assert_eq!(
            check_win(&LIMITS, None, &recent[..2], now()),
            Ok(()),
            "two wins in the hour, ceiling three"
        );
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let off = WinLimits {
            member_cooldown: Duration::zero(),
            server_per_hour: 0,
        };
        let recent = [minutes_ago(0); 50];
        assert_eq!(
            check_win(&off, Some(minutes_ago(0)), &recent, now()),
            Ok(())
        );
    }
}
