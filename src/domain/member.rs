//! A member of a community's program, and whether they can be matched now.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::profile::{Modality, Role, TimeOfDay};

/// Discord ids: a server (guild) and a user.
pub type GuildId = u64;
pub type UserId = u64;

/// How a member likes to be matched; what `/hallway join` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub role: Role,
    pub time_zone: Option<Tz>,
    pub institution: Option<String>,
    pub time_of_day: TimeOfDay,
    pub modality: Modality,
    /// Mentees a mentor meets per round at most; 0 for everyone else.
    pub capacity: u8,
}

/// Mentors meet one mentee a round unless they ask for more: fewer, better meetings.
pub const DEFAULT_MENTOR_CAPACITY: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub guild_id: GuildId,
    pub user_id: UserId,
    /// The name Discord showed when the member last ran a command; used to name threads.
    pub display_name: String,
    pub profile: Profile,
    pub paused_until: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub joined_at: DateTime<Utc>,
    /// Whether the member's chat milestones may be celebrated in public.
    pub shoutouts: bool,
}

/// Where a member stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    PausedUntil(DateTime<Utc>),
    Left(DateTime<Utc>),
}

impl Member {
    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        match (self.left_at, self.paused_until) {
            (Some(left), _) => Standing::Left(left),
            (None, Some(until)) if until > now => Standing::PausedUntil(until),
            _ => Standing::Active,
        }
    }

    /// Only active members are ever matched.
    pub fn is_matchable(&self, now: DateTime<Utc>) -> bool {
        self.standing(now) == Standing::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn member() -> Member {
        Member {
            guild_id: 1,
            user_id: 2,
            display_name: "Ada".into(),
            profile: Profile {
                role: Role::Mentee,
                time_zone: None,
                institution: None,
                time_of_day: TimeOfDay::Flexible,
                modality: Modality::Any,
                capacity: 0,
            },
            paused_until: None,
            left_at: None,
            joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            shoutouts: true,
        }
    }

    #[test]
    fn a_pause_ends_at_its_date_and_leaving_wins_over_pausing() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let mut m = member();
        assert!(m.is_matchable(now));
        m.paused_until = Some(now + chrono::Duration::days(14));
        assert_eq!(
            m.standing(now),
            Standing::PausedUntil(now + chrono::Duration::days(14))
        );
        assert!(!m.is_matchable(now));
        assert!(m.is_matchable(now + chrono::Duration::days(14)));
        m.left_at = Some(now);
        assert_eq!(
            m.standing(now + chrono::Duration::days(30)),
            Standing::Left(now)
        );
    }
}
