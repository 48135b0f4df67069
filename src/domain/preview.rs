//! Whether a previewed round may still run as previewed. A preview is a snapshot: by the
//! time a coordinator clicks Confirm, members may have paused, left or been forgotten, a
//! do-not-match entry may now separate two people it groups together, or another round
//! may have run. Running it then would break a promise, so Confirm checks it again.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use super::ids::UserId;

/// Why a preview can no longer be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Older than the configured lifetime.
    Expired,
    /// A round started after the preview was made: its groups ignore that round's pairs.
    RoundRanSince,
    /// Someone in it can no longer be matched, or two people it groups together now
    /// avoid each other. One reason for both, so the reply never tells a coordinator
    /// that a do-not-match entry exists between two named people.
    GroupsChanged,
}

/// What a preview needs to be checked against, as of the click on Confirm.
#[derive(Debug, Clone)]
pub struct PreviewCheck<'a> {
    pub made_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub expires_after: Duration,
    pub round_started_since: bool,
    /// Members who could be matched now.
    pub matchable: &'a HashSet<UserId>,
    /// Every do-not-match entry in the server: (member, who they avoid).
    pub avoid: &'a [(UserId, UserId)],
}

/// `Ok` when the previewed `groups` may run exactly as they are.
pub fn check(groups: &[Vec<UserId>], at: &PreviewCheck<'_>) -> Result<(), Stale> {
    if at.now - at.made_at >= at.expires_after {
        return Err(Stale::Expired);
    }
    if at.round_started_since {
        return Err(Stale::RoundRanSince);
    }
    if !groups_still_hold(groups, at.matchable, at.avoid) {
        return Err(Stale::GroupsChanged);
    }
    Ok(())
}

/// Whether matched `groups` still stand: everyone in them can be matched (`available`),
/// and no do-not-match entry, either way, falls inside a group. Confirm checks a preview
/// with it, and saving any round checks again in the saving transaction, so an entry made
/// while a round was being matched is never broken.
pub fn groups_still_hold(
    groups: &[Vec<UserId>],
    available: &HashSet<UserId>,
    avoid: &[(UserId, UserId)],
) -> bool {
    let avoid: HashSet<(UserId, UserId)> = avoid.iter().copied().collect();
    groups.iter().all(|group| {
        group.iter().all(|a| {
            available.contains(a)
                && group
                    .iter()
                    .all(|b| a == b || !(avoid.contains(&(*a, *b)) || avoid.contains(&(*b, *a))))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn made() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    /// Ids as plain numbers, to keep the cases short.
    fn check_at(
        groups: &[Vec<u64>],
        minutes_later: i64,
        round_since: bool,
        matchable: &[u64],
        avoid: &[(u64, u64)],
    ) -> Result<(), Stale> {
        let groups: Vec<Vec<UserId>> = groups
            .iter()
            .map(|g| g.iter().copied().map(UserId).collect())
            .collect();
        let matchable: HashSet<UserId> = matchable.iter().copied().map(UserId).collect();
        let avoid: Vec<(UserId, UserId)> =
            avoid.iter().map(|&(a, b)| (UserId(a), UserId(b))).collect();
        check(
            &groups,
            &PreviewCheck {
                made_at: made(),
                now: made() + Duration::minutes(minutes_later),
                expires_after: Duration::hours(24),
                round_started_since: round_since,
                matchable: &matchable,
                avoid: &avoid,
            },
        )
    }

    #[test]
    fn a_fresh_unchanged_preview_may_run() {
        let groups = vec![vec![1, 2], vec![3, 4]];
        // An avoid entry between people in different groups changes nothing.
        assert_eq!(
            check_at(&groups, 5, false, &[1, 2, 3, 4], &[(1, 3)]),
            Ok(())
        );
    }

    #[test]
    fn a_preview_expires_at_its_lifetime_not_a_minute_before() {
        let groups = vec![vec![1, 2]];
        let day = 24 * 60;
        assert_eq!(check_at(&groups, day - 1, false, &[1, 2], &[]), Ok(()));
        assert_eq!(
            check_at(&groups, day, false, &[1, 2], &[]),
            Err(Stale::Expired)
        );
    }

    #[test]
    fn a_round_since_the_preview_makes_it_stale() {
        assert_eq!(
            check_at(&[vec![1, 2]], 5, true, &[1, 2], &[]),
            Err(Stale::RoundRanSince)
        );
    }

    #[test]
    fn an_avoid_entry_either_way_inside_a_group_makes_it_stale() {
        let groups = vec![vec![1, 2, 3], vec![4, 5]];
        let everyone = [1, 2, 3, 4, 5];
        for entry in [(3, 1), (1, 3), (5, 4)] {
            assert_eq!(
                check_at(&groups, 5, false, &everyone, &[entry]),
                Err(Stale::GroupsChanged),
                "{entry:?}"
            );
        }
    }

    #[test]
    fn someone_no_longer_matchable_makes_it_stale() {
        assert_eq!(
            check_at(&[vec![1, 2], vec![3, 4]], 5, false, &[1, 2, 3], &[]),
            Err(Stale::GroupsChanged)
        );
    }
}
