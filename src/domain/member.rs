//! A member of one of a server's programs, and whether they can be matched now. Their
//! profile (time zone, institution, time of day, modality, shout-outs, the "ask me
//! about" line) is one per server; their role, capacity, pause and departure are per
//! program.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::profile::{Modality, Role, TimeOfDay};

use super::ids::{GuildId, ProgramId, UserId};

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

/// The longest "ask me about" line, in characters.
pub const ABOUT_MAX_CHARS: usize = 150;

/// Mentors meet one mentee a round unless they ask for more: fewer, better meetings.
pub const DEFAULT_MENTOR_CAPACITY: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub guild_id: GuildId,
    pub program_id: ProgramId,
    pub user_id: UserId,
    /// The name Discord showed when the member last ran a command; used to name threads.
    pub display_name: String,
    pub profile: Profile,
    pub paused_until: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    /// When they joined this program.
    pub joined_at: DateTime<Utc>,
    /// When they first joined any program of the server: their anniversaries count from it.
    pub first_joined_at: DateTime<Utc>,
    /// Whether the member's chat milestones may be celebrated in public.
    pub shoutouts: bool,
    /// "Ask me about …", shown in intros under their name.
    pub about: Option<String>,
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

/// What `/hallway join` asks for: the role, and any settings the member gave.
/// `None` keeps the member's current value (or the default, for a new member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChange {
    pub role: Role,
    pub time_zone: Option<Tz>,
    pub institution: Option<String>,
    pub time_of_day: Option<TimeOfDay>,
    pub modality: Option<Modality>,
    pub capacity: Option<u8>,
    /// Whether chat milestones and anniversaries may be celebrated in public.
    pub shoutouts: Option<bool>,
    /// `Some(None)` removes the "ask me about" line.
    pub about: Option<Option<String>>,
}

impl ProfileChange {
    /// A change that sets the role and keeps everything else.
    pub fn role(role: Role) -> Self {
        ProfileChange {
            role,
            time_zone: None,
            institution: None,
            time_of_day: None,
            modality: None,
            capacity: None,
            shoutouts: None,
            about: None,
        }
    }

    /// The profile after applying this change to `current` (or to the defaults).
    pub fn apply(&self, current: Option<&Profile>) -> Profile {
        let capacity = match self.role {
            Role::Mentor => self
                .capacity
                .or(current
                    .filter(|p| p.role == Role::Mentor)
                    .map(|p| p.capacity))
                .unwrap_or(DEFAULT_MENTOR_CAPACITY),
            Role::Mentee | Role::Peer => 0,
        };
        Profile {
            role: self.role,
            time_zone: self.time_zone.or(current.and_then(|p| p.time_zone)),
            institution: self
                .institution
                .clone()
                .or_else(|| current.and_then(|p| p.institution.clone())),
            time_of_day: self
                .time_of_day
                .or(current.map(|p| p.time_of_day))
                .unwrap_or(TimeOfDay::Flexible),
            modality: self
                .modality
                .or(current.map(|p| p.modality))
                .unwrap_or(Modality::Any),
            capacity,
        }
    }
}

/// The result of `join`: the member as stored, and whether they are new.
#[derive(Debug, Clone)]
pub struct Joined {
    pub member: Member,
    pub first_time: bool,
    pub was_away: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn member() -> Member {
        Member {
            guild_id: GuildId(1),
            program_id: ProgramId(1),
            user_id: UserId(2),
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
            first_joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            shoutouts: true,
            about: None,
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

    #[test]
    fn a_change_keeps_what_it_does_not_mention() {
        let first = ProfileChange {
            time_zone: Some(chrono_tz::Europe::Berlin),
            institution: Some("MIT".into()),
            modality: Some(Modality::Phone),
            capacity: Some(3),
            ..ProfileChange::role(Role::Mentor)
        }
        .apply(None);
        assert_eq!(first.capacity, 3);
        let second = ProfileChange::role(Role::Mentor).apply(Some(&first));
        assert_eq!(second, first);
        let as_mentee = ProfileChange::role(Role::Mentee).apply(Some(&first));
        assert_eq!(as_mentee.capacity, 0, "only mentors have a capacity");
        assert_eq!(as_mentee.institution.as_deref(), Some("MIT"));
        let back_to_mentor = ProfileChange::role(Role::Mentor).apply(Some(&as_mentee));
        assert_eq!(back_to_mentor.capacity, DEFAULT_MENTOR_CAPACITY);
    }
}
