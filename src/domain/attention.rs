//! Who needs a coordinator's attention: members slipping away, silent groups, pauses that
//! ran out without a match, mentors at capacity every round. Nothing confidential: no
//! avoid lists and no fit answers.
//!
//! The rules read a program's history as of `now` and nothing else:
//! - A round is **finished** once a later round of the program has started, or once the
//!   next round is due by the program's schedule (a week after it started when the
//!   program has no schedule). Only the latest round can still be running, and answers
//!   count only from finished rounds: nobody is listed for a chat that may still happen.
//! - Only groups hallway **delivered** (their intro reached the thread, or at least one
//!   member's DM) count for answers: nobody is blamed for a chat they were never told of.
//! - **No "We met"**: a current member whose last N delivered groups in finished rounds
//!   (N is the program's `attention_rounds`) all lack a "We met" from anyone in the
//!   group. A "We met" in the running round clears them. Fewer than N groups: not yet.
//! - **Nobody answered**: a delivered group of one of the program's last N finished
//!   rounds with no answer at all from any member, shown with its current members.
//! - **Pause over**: a current member whose pause ran out (not ended early with
//!   `/hallway resume`), at least one round started since it ended, and who has been in
//!   no group since.
//! - **Mentors at capacity**: in mentor-mentee programs, a current mentor whose group held
//!   their full capacity of mentees (peers count as mentees there) in each of the
//!   program's last N rounds, the running one included: a group's size is known as soon
//!   as the round starts. Capacity is the mentor's capacity now.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::group::OutcomeStatus;
use super::ids::UserId;
use super::profile::Role;
use super::program::{MatchingMode, Schedule};
use super::schedule::round_length;

/// A round of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundSeen {
    pub number: u32,
    /// When it started.
    pub due_at: DateTime<Utc>,
}

/// A group of one of the program's rounds: its members as matched (those forgotten since
/// are gone) and what each said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSeen {
    pub round_number: u32,
    pub members: Vec<(UserId, Role)>,
    pub answers: Vec<(UserId, OutcomeStatus)>,
    /// Its intro reached its thread or at least one member's DMs. A group whose delivery
    /// failed (or is still waiting) could not answer: it counts for neither "No We met"
    /// nor "Nobody answered".
    pub delivered: bool,
}

impl GroupSeen {
    fn met(&self) -> bool {
        self.answers.iter().any(|(_, s)| *s == OutcomeStatus::Met)
    }

    fn has(&self, user: UserId) -> bool {
        self.members.iter().any(|(u, _)| *u == user)
    }
}

/// A current member of the program (not left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSeen {
    pub user_id: UserId,
    pub name: String,
    pub role: Role,
    pub capacity: u8,
    pub paused_until: Option<DateTime<Utc>>,
}

/// What the rules read about one program.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub attention_rounds: u8,
    pub mode: MatchingMode,
    pub schedule: Option<Schedule>,
    /// Every round of the program.
    pub rounds: Vec<RoundSeen>,
    /// At least every group of the program's last `attention_rounds + 1` rounds and each
    /// current member's last `attention_rounds + 1` delivered groups (with everyone in
    /// them); the rules read nothing older, so more does no harm.
    pub groups: Vec<GroupSeen>,
    pub members: Vec<MemberSeen>,
}

impl History {
    /// How many groups and rounds back the rules look, at most: what storage must read.
    pub fn depth(attention_rounds: u8) -> u32 {
        u32::from(attention_rounds) + 1
    }
}

/// A member as an entry names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
}

/// No "We met" in the member's last N groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoMeeting {
    pub member: Person,
    /// The rounds of those groups, oldest first.
    pub rounds: Vec<u32>,
    /// Paused now, until then: they may already have said why.
    pub paused_until: Option<DateTime<Utc>>,
}

/// A group in which nobody answered at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilentGroup {
    pub round: u32,
    pub members: Vec<Person>,
}

/// A pause that ran out, with no group since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseOver {
    pub member: Person,
    pub ended: DateTime<Utc>,
    /// The rounds started since, oldest first.
    pub rounds_since: Vec<u32>,
}

/// A mentor whose group was full in each of the last N rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullMentor {
    pub member: Person,
    pub capacity: u8,
    /// Oldest first.
    pub rounds: Vec<u32>,
}

/// The attention list of one program.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttentionReport {
    /// The program's N.
    pub attention_rounds: u8,
    /// The latest round, while it is still running (its answers do not count yet).
    pub running_round: Option<u32>,
    pub no_meeting: Vec<NoMeeting>,
    pub silent_groups: Vec<SilentGroup>,
    pub pauses_over: Vec<PauseOver>,
    pub full_mentors: Vec<FullMentor>,
}

impl AttentionReport {
    /// Nobody needs attention.
    pub fn is_empty(&self) -> bool {
        self.no_meeting.is_empty()
            && self.silent_groups.is_empty()
            && self.pauses_over.is_empty()
            && self.full_mentors.is_empty()
    }

    /// Everyone an entry names, each once, in id order: what forget-me must find in a
    /// posted digest.
    pub fn named(&self) -> Vec<UserId> {
        let mut named: Vec<UserId> = self
            .no_meeting
            .iter()
            .map(|e| e.member.user_id)
            .chain(
                self.silent_groups
                    .iter()
                    .flat_map(|g| g.members.iter().map(|p| p.user_id)),
            )
            .chain(self.pauses_over.iter().map(|p| p.member.user_id))
            .chain(self.full_mentors.iter().map(|m| m.member.user_id))
            .collect();
        named.sort_unstable();
        named.dedup();
        named
    }
}

/// What a posted digest's outbox row keeps: whom its post names, by Discord id only (no
/// names), so forget-me can find and delete the posts that name a member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PostedDigest {
    pub named: Vec<UserId>,
}

/// The latest round, if it is still running at `now` (see the module's rules).
pub fn running_round(
    rounds: &[RoundSeen],
    schedule: Option<&Schedule>,
    now: DateTime<Utc>,
) -> Option<u32> {
    let latest = rounds.iter().max_by_key(|r| r.number)?;
    let ends = latest.due_at + round_length(schedule, latest.due_at);
    (now < ends).then_some(latest.number)
}

/// The attention list of the program whose history this is, as of `now`.
pub fn report(history: &History, now: DateTime<Utc>) -> AttentionReport {
    let n = usize::from(history.attention_rounds.max(1));
    let running = running_round(&history.rounds, history.schedule.as_ref(), now);
    let finished = |round: u32| Some(round) != running;
    let person = |m: &MemberSeen| Person {
        user_id: m.user_id,
        name: m.name.clone(),
    };
    let mut by_round: Vec<&GroupSeen> = history.groups.iter().collect();
    by_round.sort_by_key(|g| std::cmp::Reverse(g.round_number));
    let mut members: Vec<&MemberSeen> = history.members.iter().collect();
    members.sort_by_key(|m| (m.name.to_lowercase(), m.user_id));

    let mut no_meeting = Vec::new();
    for member in &members {
        let theirs: Vec<&&GroupSeen> = by_round
            .iter()
            .filter(|g| g.delivered && g.has(member.user_id))
            .collect();
        let met_now = theirs.iter().any(|g| !finished(g.round_number) && g.met());
        let last: Vec<&&&GroupSeen> = theirs
            .iter()
            .filter(|g| finished(g.round_number))
            .take(n)
            .collect();
        if !met_now && last.len() == n && last.iter().all(|g| !g.met()) {
            let mut rounds: Vec<u32> = last.iter().map(|g| g.round_number).collect();
            rounds.reverse();
            no_meeting.push(NoMeeting {
                member: person(member),
                rounds,
                paused_until: member.paused_until.filter(|until| *until > now),
            });
        }
    }

    let mut numbers: Vec<u32> = history.rounds.iter().map(|r| r.number).collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    let last_finished: Vec<u32> = numbers
        .iter()
        .copied()
        .filter(|r| finished(*r))
        .take(n)
        .collect();
    let mut silent_groups = Vec::new();
    for group in &by_round {
        if !group.delivered
            || !last_finished.contains(&group.round_number)
            || !group.answers.is_empty()
        {
            continue;
        }
        let mut present: Vec<Person> = members
            .iter()
            .filter(|m| group.has(m.user_id))
            .map(|m| person(m))
            .collect();
        // Nobody left to act on: everyone in it left the program or was forgotten.
        if present.is_empty() {
            continue;
        }
        present.sort_by_key(|p| (p.name.to_lowercase(), p.user_id));
        silent_groups.push(SilentGroup {
            round: group.round_number,
            members: present,
        });
    }
    silent_groups.sort_by(|a, b| {
        b.round.cmp(&a.round).then_with(|| {
            a.members[0]
                .name
                .to_lowercase()
                .cmp(&b.members[0].name.to_lowercase())
        })
    });

    let mut pauses_over = Vec::new();
    for member in &members {
        let Some(ended) = member.paused_until.filter(|until| *until <= now) else {
            continue;
        };
        let mut since: Vec<u32> = history
            .rounds
            .iter()
            .filter(|r| r.due_at >= ended)
            .map(|r| r.number)
            .collect();
        since.sort_unstable();
        let matched_since = by_round
            .iter()
            .any(|g| g.has(member.user_id) && since.contains(&g.round_number));
        if !since.is_empty() && !matched_since {
            pauses_over.push(PauseOver {
                member: person(member),
                ended,
                rounds_since: since,
            });
        }
    }
    // Those waiting longest first.
    pauses_over.sort_by_key(|p| p.ended);

    let mut full_mentors = Vec::new();
    let last_rounds: Vec<u32> = numbers.iter().copied().take(n).collect();
    if history.mode == MatchingMode::MentorMentee && last_rounds.len() == n {
        for member in &members {
            if member.role != Role::Mentor || member.capacity == 0 {
                continue;
            }
            let full_every_round = last_rounds.iter().all(|round| {
                by_round.iter().any(|g| {
                    g.round_number == *round
                        && g.members
                            .iter()
                            .any(|(u, role)| *u == member.user_id && *role == Role::Mentor)
                        && g.members
                            .iter()
                            .filter(|(_, role)| *role != Role::Mentor)
                            .count()
                            >= usize::from(member.capacity)
                })
            });
            if full_every_round {
                let mut rounds = last_rounds.clone();
                rounds.reverse();
                full_mentors.push(FullMentor {
                    member: person(member),
                    capacity: member.capacity,
                    rounds,
                });
            }
        }
    }

    AttentionReport {
        attention_rounds: history.attention_rounds,
        running_round: running,
        no_meeting,
        silent_groups,
        pauses_over,
        full_mentors,
    }
}

/// The weekday and local hour the weekly digest goes out.
pub const DIGEST_WEEKDAY: Weekday = Weekday::Mon;
pub const DIGEST_HOUR: u32 = 9;

/// One week's digest: when it is due, and the ISO week it is for (`2026-W49`), which
/// names it in its outbox key so a week has one at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSlot {
    pub due_at: DateTime<Utc>,
    pub week: String,
}

/// The next digest after `now`: the first Monday 09:00 in `zone` (the program's schedule
/// time zone, else UTC) later than `now`.
pub fn next_digest(now: DateTime<Utc>, zone: Tz) -> DigestSlot {
    let today = now.with_timezone(&zone).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let at = NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let due = |date: chrono::NaiveDate| {
        let local = date.and_time(at);
        // 09:00 falls in no real zone's DST gap; an hour later if one ever did.
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
    };
    let mut date = monday;
    let mut due_at = due(date);
    if due_at <= now {
        date += Duration::weeks(1);
        due_at = due(date);
    }
    let week = date.iso_week();
    DigestSlot {
        due_at,
        week: format!("{}-W{:02}", week.year(), week.week()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::Cadence;
    use proptest::prelude::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap()
    }

    const M1: UserId = UserId(1);
    const M2: UserId = UserId(2);
    const E1: UserId = UserId(11);
    const E2: UserId = UserId(12);
    const E3: UserId = UserId(13);

    fn member(user: UserId, name: &str, role: Role) -> MemberSeen {
        MemberSeen {
            user_id: user,
            name: name.into(),
            role,
            capacity: if role == Role::Mentor { 1 } else { 0 },
            paused_until: None,
        }
    }

    fn group(
        round: u32,
        members: &[(UserId, Role)],
        answers: &[(UserId, OutcomeStatus)],
    ) -> GroupSeen {
        GroupSeen {
            round_number: round,
            members: members.to_vec(),
            answers: answers.to_vec(),
            delivered: true,
        }
    }

    /// Weekly rounds by hand (no schedule) on the 2nd, 9th, 16th and 23rd.
    fn rounds(count: u32) -> Vec<RoundSeen> {
        (1..=count)
            .map(|n| RoundSeen {
                number: n,
                due_at: day(2 + 7 * (n - 1)),
            })
            .collect()
    }

    fn history(groups: Vec<GroupSeen>, members: Vec<MemberSeen>) -> History {
        History {
            attention_rounds: 3,
            mode: MatchingMode::Open,
            schedule: None,
            rounds: rounds(4),
            groups,
            members,
        }
    }

    use OutcomeStatus::{Met, NotYet, Skipped};
    const PEER: Role = Role::Peer;

    /// Four weekly rounds: Ada and Ben met in round 1 only; Chloe and Dev never did, and
    /// Dev's last group had nobody answer. Round 4 (the 23rd) is running on the 25th.
    fn slipping() -> History {
        let (ada, ben, chloe, dev) = (UserId(1), UserId(2), UserId(3), UserId(4));
        history(
            vec![
                group(1, &[(ada, PEER), (ben, PEER)], &[(ada, Met)]),
                group(1, &[(chloe, PEER), (dev, PEER)], &[(chloe, NotYet)]),
                group(2, &[(ada, PEER), (chloe, PEER)], &[(chloe, NotYet)]),
                group(2, &[(ben, PEER), (dev, PEER)], &[(ben, Skipped)]),
                group(3, &[(ada, PEER), (dev, PEER)], &[]),
                group(3, &[(ben, PEER), (chloe, PEER)], &[(ben, Met)]),
                group(4, &[(ada, PEER), (ben, PEER)], &[]),
                group(4, &[(chloe, PEER), (dev, PEER)], &[]),
            ],
            vec![
                member(ada, "Ada", PEER),
                member(ben, "Ben", PEER),
                member(chloe, "Chloe", PEER),
                member(dev, "Dev", PEER),
            ],
        )
    }

    fn names(people: &[Person]) -> Vec<&str> {
        people.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn only_members_whose_last_finished_groups_all_lack_a_we_met_are_listed() {
        let report = report(&slipping(), day(25));
        assert_eq!(report.running_round, Some(4));
        let listed: Vec<(&str, &[u32])> = report
            .no_meeting
            .iter()
            .map(|e| (e.member.name.as_str(), e.rounds.as_slice()))
            .collect();
        // Ada met in round 1, Ben (via his group) in round 3, Chloe's round 3 group met.
        assert_eq!(listed, [("Dev", &[1u32, 2, 3][..])]);
    }

    #[test]
    fn the_running_round_counts_only_once_it_is_finished_or_when_it_brings_a_we_met() {
        let mut history = slipping();
        // A week after round 4 started it is finished: Ada's last three (2, 3, 4) lack a
        // "We met" now, and Dev's (2, 3, 4) too; both round 4 groups were silent.
        let later = report(&history, day(30) + Duration::hours(1));
        assert_eq!(later.running_round, None);
        let listed: Vec<&str> = later
            .no_meeting
            .iter()
            .map(|e| e.member.name.as_str())
            .collect();
        assert_eq!(listed, ["Ada", "Dev"]);
        assert_eq!(
            later
                .silent_groups
                .iter()
                .map(|g| g.round)
                .collect::<Vec<_>>(),
            [4, 4, 3]
        );
        // A later round started: round 4 is finished at once, whatever the clock says.
        history.rounds.push(RoundSeen {
            number: 5,
            due_at: day(25),
        });
        assert_eq!(report(&history, day(25)).running_round, Some(5));
        // A "We met" in the running round clears Dev before it ends.
        let mut history = slipping();
        history.groups[7].answers.push((UserId(4), Met));
        assert!(report(&history, day(25)).no_meeting.is_empty());
    }

    #[test]
    fn a_member_with_fewer_groups_than_the_setting_is_not_listed_yet() {
        let mut history = slipping();
        history.attention_rounds = 4;
        // Round 4 is running: nobody has four finished groups.
        assert!(report(&history, day(25)).no_meeting.is_empty());
        history.attention_rounds = 1;
        let narrow = report(&history, day(25));
        let listed: Vec<&str> = narrow
            .no_meeting
            .iter()
            .map(|e| e.member.name.as_str())
            .collect();
        assert_eq!(listed, ["Ada", "Dev"], "round 3 alone");
    }

    #[test]
    fn silent_groups_come_from_the_last_finished_rounds_with_their_current_members() {
        let mut history = slipping();
        history
            .groups
            .push(group(1, &[(UserId(9), PEER), (UserId(8), PEER)], &[]));
        let report = report(&history, day(25));
        let silent: Vec<(u32, Vec<&str>)> = report
            .silent_groups
            .iter()
            .map(|g| (g.round, names(&g.members)))
            .collect();
        // Round 4 is running; round 1's silent group has nobody left in the program.
        assert_eq!(silent, [(3, vec!["Ada", "Dev"])]);
        // A Skip is an answer: once Ada skipped, round 3's group is not silent.
        let mut narrow = slipping();
        narrow.attention_rounds = 1;
        narrow.groups[4].answers.push((UserId(1), Skipped));
        assert!(super::report(&narrow, day(25)).silent_groups.is_empty());
    }

    #[test]
    fn groups_hallway_never_delivered_count_for_neither_no_we_met_nor_nobody_answered() {
        let mut history = slipping();
        // Dev's round 3 group (with Ada) never got its intro: nobody could answer it.
        history.groups[4].delivered = false;
        let report = report(&history, day(25));
        assert!(
            report.silent_groups.is_empty(),
            "{:?}",
            report.silent_groups
        );
        // Dev has two delivered finished groups now, fewer than three: not listed yet.
        assert!(report.no_meeting.is_empty(), "{:?}", report.no_meeting);

        // Once round 4 is over, Dev's last three delivered groups are 1, 2 and 4; round
        // 4's groups were delivered and silent, round 3's undelivered one is left out.
        let later = super::report(&history, day(30) + Duration::hours(1));
        let listed: Vec<(&str, &[u32])> = later
            .no_meeting
            .iter()
            .map(|e| (e.member.name.as_str(), e.rounds.as_slice()))
            .collect();
        assert_eq!(listed, [("Dev", &[1u32, 2, 4][..])]);
        let silent: Vec<u32> = later.silent_groups.iter().map(|g| g.round).collect();
        assert_eq!(silent, [4, 4]);
    }

    #[test]
    fn a_report_names_each_listed_member_once() {
        let mut history = slipping();
        history.members.push(MemberSeen {
            paused_until: Some(day(10)),
            ..member(UserId(5), "Eve", PEER)
        });
        let report = report(&history, day(25));
        // Dev (no "We met", and in the silent group with Ada), Ada, and Eve (pause over).
        assert_eq!(report.named(), [UserId(1), UserId(4), UserId(5)]);
        assert!(AttentionReport::default().named().is_empty());
    }

    #[test]
    fn a_pause_that_ran_out_is_listed_until_the_member_is_in_a_group_again() {
        let mut history = slipping();
        let eve = UserId(5);
        history.members.push(MemberSeen {
            paused_until: Some(day(10)),
            ..member(eve, "Eve", PEER)
        });
        let report = report(&history, day(25));
        assert_eq!(
            report.pauses_over,
            [PauseOver {
                member: Person {
                    user_id: eve,
                    name: "Eve".into()
                },
                ended: day(10),
                rounds_since: vec![3, 4],
            }]
        );
        // Matched in the running round: fine.
        let mut matched = history.clone();
        matched
            .groups
            .push(group(4, &[(eve, PEER), (UserId(1), PEER)], &[]));
        assert!(super::report(&matched, day(25)).pauses_over.is_empty());
        // Still paused, or no round since the pause ended: nothing to act on yet.
        assert!(super::report(&history, day(9)).pauses_over.is_empty());
        let mut quiet = history.clone();
        quiet.members[4].paused_until = Some(day(24));
        assert!(super::report(&quiet, day(25)).pauses_over.is_empty());
        // A group from before the pause does not count as matched since.
        let mut before = history;
        before
            .groups
            .push(group(1, &[(eve, PEER), (UserId(2), PEER)], &[(eve, Met)]));
        assert_eq!(super::report(&before, day(25)).pauses_over.len(), 1);
    }

    fn mentoring(groups: Vec<GroupSeen>) -> History {
        let mut mentor2 = member(M2, "Mina", Role::Mentor);
        mentor2.capacity = 2;
        History {
            attention_rounds: 2,
            mode: MatchingMode::MentorMentee,
            schedule: None,
            rounds: rounds(3),
            groups,
            members: vec![
                member(M1, "Moss", Role::Mentor),
                mentor2,
                member(E1, "Eli", Role::Mentee),
                member(E2, "Ezra", Role::Mentee),
                member(E3, "Ema", Role::Mentee),
            ],
        }
    }

    #[test]
    fn mentors_full_in_each_of_the_last_rounds_are_listed_with_their_capacity() {
        use Role::{Mentee, Mentor};
        let history = mentoring(vec![
            group(1, &[(M1, Mentor), (E1, Mentee)], &[(E1, Met)]),
            group(1, &[(M2, Mentor), (E2, Mentee), (E3, Mentee)], &[(E2, Met)]),
            group(2, &[(M1, Mentor), (E2, Mentee)], &[(E2, Met)]),
            group(2, &[(M2, Mentor), (E1, Mentee), (E3, Mentee)], &[(E1, Met)]),
            // The running round counts: its groups are known.
            group(3, &[(M1, Mentor), (E3, Mentee)], &[]),
            group(3, &[(M2, Mentor), (E1, Mentee)], &[]),
        ]);
        let report = report(&history, day(17));
        let full: Vec<(&str, u8, &[u32])> = report
            .full_mentors
            .iter()
            .map(|f| (f.member.name.as_str(), f.capacity, f.rounds.as_slice()))
            .collect();
        // Mina has room for two and had one in round 3.
        assert_eq!(full, [("Moss", 1, &[2u32, 3][..])]);
        assert!(report.no_meeting.is_empty());

        // Not in an open program, and not before the program has N rounds.
        let mut open = history.clone();
        open.mode = MatchingMode::Open;
        assert!(super::report(&open, day(17)).full_mentors.is_empty());
        let mut young = history;
        young.attention_rounds = 4;
        assert!(super::report(&young, day(17)).full_mentors.is_empty());
    }

    #[test]
    fn a_mentor_missing_from_one_of_the_rounds_is_not_at_capacity_every_round() {
        use Role::{Mentee, Mentor};
        let history = mentoring(vec![
            group(2, &[(M1, Mentor), (E2, Mentee)], &[(E2, Met)]),
            group(3, &[(M2, Mentor), (E1, Mentee), (E3, Mentee)], &[]),
        ]);
        let report = report(&history, day(17));
        let full: Vec<&str> = report
            .full_mentors
            .iter()
            .map(|f| f.member.name.as_str())
            .collect();
        assert!(full.is_empty(), "{full:?}");
    }

    #[test]
    fn a_scheduled_round_is_finished_when_the_next_slot_is_due() {
        let schedule = Schedule {
            cadence: Cadence::Biweekly,
            weekday: Weekday::Mon,
            hour: 9,
            time_zone: chrono_tz::UTC,
        };
        let round = [RoundSeen {
            number: 1,
            due_at: day(2),
        }];
        assert_eq!(running_round(&round, Some(&schedule), day(15)), Some(1));
        assert_eq!(running_round(&round, Some(&schedule), day(16)), None);
        assert_eq!(running_round(&round, None, day(8)), Some(1));
        assert_eq!(running_round(&round, None, day(9)), None);
        assert_eq!(running_round(&[], None, day(9)), None);
    }

    #[test]
    fn an_empty_history_needs_nobody() {
        let report = report(&history(Vec::new(), Vec::new()), day(25));
        assert!(report.is_empty());
        assert_eq!(report.attention_rounds, 3);
    }

    #[test]
    fn the_digest_is_due_on_the_next_monday_at_nine_in_the_programs_time_zone() {
        // Wednesday 25 November 2026.
        let now = day(25);
        assert_eq!(
            next_digest(now, chrono_tz::UTC),
            DigestSlot {
                due_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
                week: "2026-W49".into()
            }
        );
        let berlin = next_digest(now, chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.due_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap()
        );
        // Monday before nine: today; at nine: next week.
        let monday = Utc.with_ymd_and_hms(2026, 11, 30, 8, 59, 0).unwrap();
        assert_eq!(next_digest(monday, chrono_tz::UTC).week, "2026-W49");
        let nine = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
        assert_eq!(next_digest(nine, chrono_tz::UTC).week, "2026-W50");
        // ISO weeks: 28 December 2026 is in week 53 of 2026, 4 January 2027 in week 1.
        let late = Utc.with_ymd_and_hms(2026, 12, 23, 12, 0, 0).unwrap();
        assert_eq!(next_digest(late, chrono_tz::UTC).week, "2026-W53");
        let new_year = Utc.with_ymd_and_hms(2026, 12, 29, 12, 0, 0).unwrap();
        assert_eq!(next_digest(new_year, chrono_tz::UTC).week, "2027-W01");
        // West of UTC, Sunday evening local is Monday in UTC: still the local Monday.
        let chicago = Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap();
        let slot = next_digest(chicago, chrono_tz::America::Chicago);
        assert_eq!(
            slot.due_at,
            Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap()
        );
        assert_eq!(slot.week, "2026-W49");
    }

    proptest! {
        #[test]
        fn the_next_digest_is_a_monday_at_nine_within_a_week_and_one_per_week(
            secs in 1_700_000_000i64..1_900_000_000,
            zone in prop::sample::select(vec![
                chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::America::Chicago,
                chrono_tz::Australia::Sydney, chrono_tz::Asia::Kolkata,
            ]),
        ) {
            let now = Utc.timestamp_opt(secs, 0).unwrap();
            let slot = next_digest(now, zone);
            prop_assert!(slot.due_at > now);
            prop_assert!(slot.due_at <= now + Duration::weeks(1) + Duration::hours(1));
            let local = slot.due_at.with_timezone(&zone);
            prop_assert_eq!(local.weekday(), DIGEST_WEEKDAY);
            prop_assert_eq!(chrono::Timelike::hour(&local), DIGEST_HOUR);
            // Any moment before it names the same week; the moment it is due names the next.
            let earlier = next_digest(slot.due_at - Duration::hours(100), zone);
            prop_assert_eq!(&earlier.week, &slot.week);
            prop_assert_ne!(&next_digest(slot.due_at, zone).week, &slot.week);
        }
    }
}
