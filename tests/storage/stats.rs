//! The stats aggregates and the export rows, checked against hand-counted numbers, with a
//! second server, and a second program of the same server, whose rows must never show up.

use chrono::{DateTime, Utc};
use hallway::domain::export::{FeedbackRow, GroupRow, OutcomeRow, WinRow};
use hallway::domain::group::{OutcomeStatus, Rating};
use hallway::domain::ids::{GroupId, GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::stats::evaluation::Scores;
use hallway::domain::stats::{FitReport, PendingFit, Rate, RoundFit, Standings, Tally};
use hallway::domain::survey::{QuestionKind, SurveyOccasion};
use hallway::domain::wins::WinKind;
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store, peer_round};

const GUILD: u64 = 1;
const OTHER: u64 = 2;

/// The server's one program.
async fn program(store: &Store, guild: u64) -> Program {
    first_program(store, GuildId(guild)).await
}

async fn join(store: &Store, program: &Program, user: u64, role: Role) {
    store
        .join(
            program,
            UserId(user),
            &format!("user {user}"),
            &ProfileChange::role(role),
            at(1, 9),
        )
        .await
        .unwrap();
}

/// Saves a round of `groups` (all peers) due at `due`, and returns its group ids in order.
async fn round(
    store: &Store,
    program: &Program,
    due: DateTime<Utc>,
    groups: &[&[u64]],
) -> Vec<i64> {
    let saved = store
        .create_round(&peer_round(program, due, groups))
        .await
        .unwrap()
        .expect("a manual round is always saved");
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select group_id from match_group where round_id = $1 order by position")
        .bind(saved.round_id)
        .fetch_all(pool)
        .await
        .unwrap())
}

async fn outcome(store: &Store, guild: u64, group: i64, user: u64, status: OutcomeStatus) {
    store
        .record_outcome(
            GuildId(guild),
            GroupId(group),
            UserId(user),
            status,
            at(10, 12),
        )
        .await
        .unwrap();
}

async fn win(store: &Store, program: &Program, user: u64, kind: &str, when: DateTime<Utc>) {
    // The wins feature has its own store API; a plain insert keeps this test independent.
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into win (guild_id, program_id, user_id, kind, description, link, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(program.guild_id.0 as i64)
    .bind(program.program_id.0)
    .bind(user as i64)
    .bind(kind)
    .bind(format!("{kind} by {user}"))
    .bind(Some("https://example.org/paper"))
    .bind(when)
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
}

/// A group's booking row as the booking storage leaves it: `starts_at` is `None` after a
/// Reschedule, until the group books again.
async fn booking(store: &Store, guild: u64, group: i64, starts_at: Option<DateTime<Utc>>) {
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into booking (group_id, guild_id, starts_at, minutes, sequence, booked_at)
         values ($1, $2, $3, 50, 1, $4)",
    )
    .bind(group)
    .bind(guild as i64)
    .bind(starts_at)
    .bind(at(3, 12))
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
}

/// One round of four pairs in GUILD, hand-counted:
///
/// - {1,2} booked for the 5th, 1 met: booked and met;
/// - {3,4} booked for the 6th, 3 not yet: booked, not met;
/// - {5,6} never booked, 5 skipped: unbooked, not met;
/// - {7,8} rescheduled and not booked again, 7 met: unbooked and met.
///
/// Booked 2 of 4; met 1 of 2 booked and 1 of 2 unbooked.
async fn a_round_with_bookings(store: &Store) -> (Program, Vec<i64>) {
    let guild = program(store, GUILD).await;
    for user in 1..=8 {
        join(store, &guild, user, Role::Peer).await;
    }
    let groups = round(
        store,
        &guild,
        at(2, 9),
        &[&[1, 2], &[3, 4], &[5, 6], &[7, 8]],
    )
    .await;
    booking(store, GUILD, groups[0], Some(at(5, 15))).await;
    booking(store, GUILD, groups[1], Some(at(6, 15))).await;
    booking(store, GUILD, groups[3], None).await;
    outcome(store, GUILD, groups[0], 1, OutcomeStatus::Met).await;
    outcome(store, GUILD, groups[1], 3, OutcomeStatus::NotYet).await;
    outcome(store, GUILD, groups[2], 5, OutcomeStatus::Skipped).await;
    outcome(store, GUILD, groups[3], 7, OutcomeStatus::Met).await;
    (guild, groups)
}

/// Two rounds in GUILD and one in OTHER, with outcomes, feedback and wins:
///
/// - round 1: {1,2} both met, {3,4} 3 skipped, {5,6} 5 not yet;
/// - OTHER's round: {1,3}, both met (the same user ids, another server);
/// - round 2: {1,2,3} 3 met, {4,5} both skipped. 1-2 is a repeat; 1-3 is not (that pair
///   met in OTHER).
async fn two_rounds(store: &Store) -> (Vec<i64>, Vec<i64>) {
    let (guild, other_server) = (program(store, GUILD).await, program(store, OTHER).await);
    for user in 1..=6 {
        join(store, &guild, user, Role::Peer).await;
    }
    join(store, &other_server, 1, Role::Peer).await;
    join(store, &other_server, 3, Role::Peer).await;

    let first = round(store, &guild, at(2, 9), &[&[1, 2], &[3, 4], &[5, 6]]).await;
    outcome(store, GUILD, first[0], 1, OutcomeStatus::Met).await;
    outcome(store, GUILD, first[0], 2, OutcomeStatus::Met).await;
    outcome(store, GUILD, first[1], 3, OutcomeStatus::Skipped).await;
    outcome(store, GUILD, first[2], 5, OutcomeStatus::NotYet).await;
    store
        .record_feedback(
            GuildId(GUILD),
            GroupId(first[0]),
            UserId(1),
            Rating::Great,
            at(12, 9),
        )
        .await
        .unwrap();
    store
        .record_feedback(
            GuildId(GUILD),
            GroupId(first[0]),
            UserId(2),
            Rating::Good,
            at(12, 9),
        )
        .await
        .unwrap();

    let other = round(store, &other_server, at(3, 9), &[&[1, 3]]).await;
    outcome(store, OTHER, other[0], 1, OutcomeStatus::Met).await;
    outcome(store, OTHER, other[0], 3, OutcomeStatus::Met).await;
    store
        .record_feedback(
            GuildId(OTHER),
            GroupId(other[0]),
            UserId(1),
            Rating::Meh,
            at(12, 9),
        )
        .await
        .unwrap();

    let second = round(store, &guild, at(16, 9), &[&[1, 2, 3], &[4, 5]]).await;
    outcome(store, GUILD, second[0], 3, OutcomeStatus::Met).await;
    outcome(store, GUILD, second[1], 4, OutcomeStatus::Skipped).await;
    outcome(store, GUILD, second[1], 5, OutcomeStatus::Skipped).await;
    store
        .record_feedback(
            GuildId(GUILD),
            GroupId(second[0]),
            UserId(3),
            Rating::Meh,
            at(20, 9),
        )
        .await
        .unwrap();

    win(store, &guild, 1, "publication", at(5, 9)).await;
    win(store, &guild, 2, "grant", at(17, 9)).await;
    win(store, &guild, 3, "publication", at(18, 9)).await;
    win(store, &other_server, 1, "award", at(18, 9)).await;
    (first, second)
}

#[tokio::test]
async fn members_are_counted_by_role_and_standing() {
    let (store, _dir) = fresh_store().await;
    let (guild, other) = (program(&store, GUILD).await, program(&store, OTHER).await);
    join(&store, &guild, 1, Role::Mentor).await;
    join(&store, &guild, 2, Role::Mentor).await;
    join(&store, &guild, 3, Role::Mentee).await;
    join(&store, &guild, 4, Role::Mentee).await;
    join(&store, &guild, 5, Role::Peer).await;
    join(&store, &other, 6, Role::Mentor).await;
    let now = at(10, 9);
    let id = guild.program_id;
    // 2 is paused past `now`; 5's pause is over; 4 left (a pause before leaving is moot).
    assert!(store
        .pause(id, UserId(2), at(20, 9), at(3, 9))
        .await
        .unwrap());
    assert!(store
        .pause(id, UserId(5), at(9, 9), at(3, 9))
        .await
        .unwrap());
    assert!(store.leave(id, UserId(4), at(4, 9)).await.unwrap());

    let stats = store.stats(GuildId(GUILD), id, None, now).await.unwrap();
    let standing = |active, paused, left| Standings {
        active,
        paused,
        left,
    };
    assert_eq!(
        stats.members,
        [
            (Role::Mentor, standing(1, 1, 0)),
            (Role::Mentee, standing(1, 0, 1)),
            (Role::Peer, standing(1, 0, 0)),
        ]
    );
    assert!(stats.rounds.is_empty());
    assert_eq!(stats.totals(), Tally::default());

    let nobody = program(&store, 99).await;
    let nobody = store
        .stats(GuildId(99), nobody.program_id, None, now)
        .await
        .unwrap();
    assert!(nobody.members.iter().all(|(_, s)| s.total() == 0));
}

#[tokio::test]
async fn each_round_counts_chats_people_meetings_skips_and_repeats() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    let guild = program(&store, GUILD).await;
    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();

    assert_eq!(stats.rounds.len(), 2);
    let (first, second) = (&stats.rounds[0], &stats.rounds[1]);
    assert_eq!((first.number, first.due_at), (1, at(2, 9)));
    assert_eq!(
        first.tally,
        Tally {
            chats: 3,
            people: 6,
            met_chats: 1,
            skipped: 1,
            pairs: 3,
            repeat_pairs: 0,
            booked_chats: 0,
            booked_met_chats: 0,
        }
    );
    assert_eq!((second.number, second.due_at), (2, at(16, 9)));
    assert_eq!(
        second.tally,
        Tally {
            chats: 2,
            people: 5,
            met_chats: 1,
            skipped: 2,
            pairs: 4,
            repeat_pairs: 1,
            booked_chats: 0,
            booked_met_chats: 0,
        }
    );
    let totals = stats.totals();
    assert_eq!(totals.meeting_rate(), Rate::new(2, 5));
    assert_eq!(totals.repeat_rate(), Rate::new(1, 7));
    assert_eq!(totals.skip_rate(), Rate::new(3, 11));
    assert_eq!(stats.window_start, None);
    assert_eq!(
        stats.wins,
        [
            (WinKind::Publication, 2),
            (WinKind::Grant, 1),
            (WinKind::Award, 0),
            (WinKind::Talk, 0),
            (WinKind::Milestone, 0),
            (WinKind::Other, 0)
        ]
    );
    assert_eq!(
        stats.feedback,
        [(Rating::Great, 1), (Rating::Good, 1), (Rating::Meh, 1)]
    );

    // The other server sees only its own round: its 1-3 pair is new there.
    let other = program(&store, OTHER).await;
    let other = store
        .stats(GuildId(OTHER), other.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(other.rounds.len(), 1);
    assert_eq!(
        other.rounds[0].tally,
        Tally {
            chats: 1,
            people: 2,
            met_chats: 1,
            skipped: 0,
            pairs: 1,
            repeat_pairs: 0,
            booked_chats: 0,
            booked_met_chats: 0,
        }
    );
    assert_eq!(other.wins_total(), 1);
    assert_eq!(
        other.feedback,
        [(Rating::Great, 0), (Rating::Good, 0), (Rating::Meh, 1)]
    );
}

#[tokio::test]
async fn a_window_of_rounds_still_finds_repeats_from_before_it() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    let id = program(&store, GUILD).await.program_id;
    let stats = store
        .stats(GuildId(GUILD), id, Some(1), at(25, 9))
        .await
        .unwrap();
    assert_eq!(stats.rounds.len(), 1);
    assert_eq!(stats.rounds[0].number, 2);
    assert_eq!(stats.rounds[0].tally.repeat_pairs, 1);
    assert_eq!(stats.window_start, Some(at(16, 9)));
    // Wins from round 2's date on, and round 2's feedback only.
    assert_eq!(stats.wins[0], (WinKind::Publication, 1));
    assert_eq!(stats.wins[1], (WinKind::Grant, 1));
    assert_eq!(
        stats.feedback,
        [(Rating::Great, 0), (Rating::Good, 0), (Rating::Meh, 1)]
    );

    // A window as long as the history is the whole history.
    let all = store
        .stats(GuildId(GUILD), id, Some(10), at(25, 9))
        .await
        .unwrap();
    assert_eq!(all.rounds.len(), 2);
    assert_eq!(all.window_start, None);
}

#[tokio::test]
async fn a_forgotten_member_still_counts_as_a_person_but_not_in_pairs() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    // What forget-me leaves: the group's size, no row naming the member.
    hallway::on_backend!(store.pool(), pool => sqlx::query("delete from group_member where guild_id = $1 and user_id = 6")
        .bind(GUILD as i64)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    let id = program(&store, GUILD).await.program_id;
    let stats = store
        .stats(GuildId(GUILD), id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(stats.rounds[0].tally.people, 6);
    assert_eq!(stats.rounds[0].tally.pairs, 2);
}

#[tokio::test]
async fn booked_and_unbooked_chats_are_counted_apart_with_their_meeting_rates() {
    let (store, _dir) = fresh_store().await;
    let (guild, groups) = a_round_with_bookings(&store).await;
    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    let tally = stats.rounds[0].tally;
    assert_eq!((tally.chats, tally.met_chats), (4, 2));
    assert_eq!(tally.booking_rate(), Rate::new(2, 4));
    assert_eq!(tally.booked_meeting_rate(), Rate::new(1, 2));
    assert_eq!(
        tally.unbooked_meeting_rate(),
        Rate::new(1, 2),
        "the rescheduled group that met counts as unbooked"
    );

    // A second round whose one chat booked and met: the totals pool both rounds, and a
    // window of one round counts only its own bookings.
    let second = round(&store, &guild, at(16, 9), &[&[1, 3]]).await;
    booking(&store, GUILD, second[0], Some(at(18, 15))).await;
    outcome(&store, GUILD, second[0], 3, OutcomeStatus::Met).await;
    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    let totals = stats.totals();
    assert_eq!(totals.booking_rate(), Rate::new(3, 5));
    assert_eq!(totals.booked_meeting_rate(), Rate::new(2, 3));
    assert_eq!(totals.unbooked_meeting_rate(), Rate::new(1, 2));
    let last = store
        .stats(GuildId(GUILD), guild.program_id, Some(1), at(25, 9))
        .await
        .unwrap()
        .totals();
    assert_eq!(
        (last.chats, last.booked_chats, last.booked_met_chats),
        (1, 1, 1)
    );

    // Rebooking the rescheduled group makes it a booked chat that met.
    hallway::on_backend!(store.pool(), pool => sqlx::query("update booking set starts_at = $1, sequence = 2 where group_id = $2")
        .bind(at(9, 15))
        .bind(groups[3])
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    let first = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap()
        .rounds[0]
        .tally;
    assert_eq!(first.booking_rate(), Rate::new(3, 4));
    assert_eq!(first.booked_meeting_rate(), Rate::new(2, 3));
    assert_eq!(first.unbooked_meeting_rate(), Rate::new(0, 1));
}

#[tokio::test]
async fn the_export_gives_booked_groups_their_start_time_and_others_none() {
    let (store, _dir) = fresh_store().await;
    let (guild, _) = a_round_with_bookings(&store).await;
    let rows = store
        .export_rows(GuildId(GUILD), guild.program_id)
        .await
        .unwrap();
    assert_eq!(
        rows.groups
            .iter()
            .map(|g| (g.group, g.user_id, g.booked_for))
            .collect::<Vec<_>>(),
        [
            (1, UserId(1), Some(at(5, 15))),
            (1, UserId(2), Some(at(5, 15))),
            (2, UserId(3), Some(at(6, 15))),
            (2, UserId(4), Some(at(6, 15))),
            (3, UserId(5), None),
            (3, UserId(6), None),
            (4, UserId(7), None),
            (4, UserId(8), None),
        ],
        "the rescheduled group 4 has no booked time"
    );
}

#[tokio::test]
async fn the_export_holds_one_servers_rows_in_order_and_feedback_as_counts() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into avoid (guild_id, user_id, avoided_user_id, created_at) values (1, 1, 2, '2026-11-01T00:00:00Z')",
    )
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
    let id = program(&store, GUILD).await.program_id;
    let rows = store.export_rows(GuildId(GUILD), id).await.unwrap();

    assert_eq!(
        rows.rounds
            .iter()
            .map(|r| (r.round, r.due_at, r.trigger.as_str(), r.chats, r.people))
            .collect::<Vec<_>>(),
        [
            (1, at(2, 9), "manual", 3, 6),
            (2, at(16, 9), "manual", 2, 5)
        ]
    );
    let group = |round, group, group_size, user_id| GroupRow {
        round,
        group,
        group_size,
        user_id,
        role: Role::Peer,
        booked_for: None,
    };
    assert_eq!(
        rows.groups,
        [
            group(1, 1, 2, UserId(1)),
            group(1, 1, 2, UserId(2)),
            group(1, 2, 2, UserId(3)),
            group(1, 2, 2, UserId(4)),
            group(1, 3, 2, UserId(5)),
            group(1, 3, 2, UserId(6)),
            group(2, 1, 3, UserId(1)),
            group(2, 1, 3, UserId(2)),
            group(2, 1, 3, UserId(3)),
            group(2, 2, 2, UserId(4)),
            group(2, 2, 2, UserId(5)),
        ]
    );
    let outcome = |round, group, user_id, status| OutcomeRow {
        round,
        group,
        user_id,
        status,
        recorded_at: at(10, 12),
    };
    assert_eq!(
        rows.outcomes,
        [
            outcome(1, 1, UserId(1), OutcomeStatus::Met),
            outcome(1, 1, UserId(2), OutcomeStatus::Met),
            outcome(1, 2, UserId(3), OutcomeStatus::Skipped),
            outcome(1, 3, UserId(5), OutcomeStatus::NotYet),
            outcome(2, 1, UserId(3), OutcomeStatus::Met),
            outcome(2, 2, UserId(4), OutcomeStatus::Skipped),
            outcome(2, 2, UserId(5), OutcomeStatus::Skipped),
        ]
    );
    let feedback = |round, rating, answers| FeedbackRow {
        round,
        rating,
        answers,
    };
    assert_eq!(
        rows.feedback,
        [
            feedback(1, Rating::Great, 1),
            feedback(1, Rating::Good, 1),
            feedback(2, Rating::Meh, 1)
        ]
    );
    assert_eq!(
        rows.wins,
        [
            WinRow {
                created_at: at(5, 9),
                user_id: UserId(1),
                kind: WinKind::Publication,
                description: "publication by 1".into(),
                link: Some("https://example.org/paper".into()),
            },
            WinRow {
                created_at: at(17, 9),
                user_id: UserId(2),
                kind: WinKind::Grant,
                description: "grant by 2".into(),
                link: Some("https://example.org/paper".into()),
            },
            WinRow {
                created_at: at(18, 9),
                user_id: UserId(3),
                kind: WinKind::Publication,
                description: "publication by 3".into(),
                link: Some("https://example.org/paper".into()),
            },
        ]
    );

    assert!(store.knows_community(GuildId(GUILD)).await.unwrap());
    assert!(!store.knows_community(GuildId(99)).await.unwrap());
    let other = program(&store, OTHER).await;
    let other = store
        .export_rows(GuildId(OTHER), other.program_id)
        .await
        .unwrap();
    assert_eq!(other.groups.len(), 2);
    assert_eq!(other.wins.len(), 1);
    assert_eq!(other.wins[0].kind, WinKind::Award);
}

#[tokio::test]
async fn stats_and_export_of_one_program_never_count_another_programs_rounds_members_or_wins() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    let faculty = program(&store, GUILD).await;
    let now = at(25, 9);
    let stats_before = store
        .stats(GuildId(GUILD), faculty.program_id, None, now)
        .await
        .unwrap();
    let export_before = store
        .export_rows(GuildId(GUILD), faculty.program_id)
        .await
        .unwrap();

    // A second program of the same server, with some of the same people: 1 and 2, who
    // met in faculty's round 1, meet again here, and 2 leaves it; 7 is only here.
    let circles = another_program(&store, GuildId(GUILD), "Postdoc circles").await;
    join(&store, &circles, 1, Role::Peer).await;
    join(&store, &circles, 2, Role::Peer).await;
    join(&store, &circles, 7, Role::Mentor).await;
    let groups = round(&store, &circles, at(9, 9), &[&[1, 2, 7]]).await;
    store
        .leave(circles.program_id, UserId(2), at(24, 9))
        .await
        .unwrap();
    booking(&store, GUILD, groups[0], Some(at(11, 15))).await;
    outcome(&store, GUILD, groups[0], 1, OutcomeStatus::Met).await;
    outcome(&store, GUILD, groups[0], 7, OutcomeStatus::Skipped).await;
    store
        .record_feedback(
            GuildId(GUILD),
            GroupId(groups[0]),
            UserId(7),
            Rating::Great,
            at(12, 9),
        )
        .await
        .unwrap();
    win(&store, &circles, 7, "talk", at(20, 9)).await;

    assert_eq!(
        store
            .stats(GuildId(GUILD), faculty.program_id, None, now)
            .await
            .unwrap(),
        stats_before,
        "faculty's stats are as they were"
    );
    assert_eq!(
        store
            .export_rows(GuildId(GUILD), faculty.program_id)
            .await
            .unwrap(),
        export_before,
        "faculty's export is as it was"
    );

    let stats = store
        .stats(GuildId(GUILD), circles.program_id, None, now)
        .await
        .unwrap();
    let standing = |active, paused, left| Standings {
        active,
        paused,
        left,
    };
    assert_eq!(
        stats.members,
        [
            (Role::Mentor, standing(1, 0, 0)),
            (Role::Mentee, standing(0, 0, 0)),
            (Role::Peer, standing(1, 0, 1)),
        ]
    );
    assert_eq!(stats.rounds.len(), 1);
    assert_eq!(stats.rounds[0].number, 1);
    assert_eq!(
        stats.rounds[0].tally,
        Tally {
            chats: 1,
            people: 3,
            met_chats: 1,
            skipped: 1,
            pairs: 3,
            repeat_pairs: 0,
            booked_chats: 1,
            booked_met_chats: 1,
        },
        "1 and 2 met before in faculty, which is no repeat here"
    );
    assert_eq!(stats.wins_total(), 1);
    assert_eq!(stats.wins[3], (WinKind::Talk, 1));
    assert_eq!(
        stats.feedback,
        [(Rating::Great, 1), (Rating::Good, 0), (Rating::Meh, 0)]
    );

    let export = store
        .export_rows(GuildId(GUILD), circles.program_id)
        .await
        .unwrap();
    assert_eq!(
        export
            .rounds
            .iter()
            .map(|r| (r.round, r.due_at, r.chats, r.people))
            .collect::<Vec<_>>(),
        [(1, at(9, 9), 1, 3)]
    );
    assert_eq!(
        export
            .groups
            .iter()
            .map(|g| (g.round, g.group, g.user_id, g.booked_for))
            .collect::<Vec<_>>(),
        [
            (1, 1, UserId(1), Some(at(11, 15))),
            (1, 1, UserId(2), Some(at(11, 15))),
            (1, 1, UserId(7), Some(at(11, 15)))
        ]
    );
    assert_eq!(
        export
            .outcomes
            .iter()
            .map(|o| (o.user_id, o.status))
            .collect::<Vec<_>>(),
        [
            (UserId(1), OutcomeStatus::Met),
            (UserId(7), OutcomeStatus::Skipped)
        ]
    );
    assert_eq!(
        export.feedback,
        [FeedbackRow {
            round: 1,
            rating: Rating::Great,
            answers: 1
        }]
    );
    assert_eq!(
        export
            .wins
            .iter()
            .map(|w| (w.user_id, w.kind))
            .collect::<Vec<_>>(),
        [(UserId(7), WinKind::Talk)]
    );
}

/// A "How was the fit?" answer, as the fit check stores it.
async fn fit(store: &Store, program: &Program, group: i64, user: u64, partner: u64, fit: &str) {
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit,
                                 avoiding, answered_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(group)
    .bind(program.guild_id.0 as i64)
    .bind(program.program_id.0)
    .bind(user as i64)
    .bind(partner as i64)
    .bind(fit)
    .bind(fit == "not-a-fit")
    .bind(at(12, 10))
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
}

async fn round_id(store: &Store, program: &Program, number: i64) -> i64 {
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select round_id from round where program_id = $1 and number = $2")
        .bind(program.program_id.0)
        .bind(number)
        .fetch_one(pool)
        .await
        .unwrap())
}

/// A survey of `program` with the given questions, belonging to `round` (a round id),
/// as the survey flow stores one; returns its id.
async fn survey(
    store: &Store,
    program: &Program,
    occasion: &str,
    round: Option<i64>,
    started: DateTime<Utc>,
    questions: &[(&str, &str)],
) -> i64 {
    let id: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "insert into survey (program_id, guild_id, occasion, round_id, started_at, remind_at,
                             closes_at)
         values ($1, $2, $3, $4, $5, $6, $7) returning survey_id",
    )
    .bind(program.program_id.0)
    .bind(program.guild_id.0 as i64)
    .bind(occasion)
    .bind(round)
    .bind(started)
    .bind(started + chrono::Duration::days(7))
    .bind(started + chrono::Duration::days(14))
    .fetch_one(pool)
    .await
    .unwrap());
    for (position, (kind, prompt)) in questions.iter().enumerate() {
        hallway::on_backend!(store.pool(), pool => sqlx::query(
            "insert into survey_question (survey_id, position, kind, prompt) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position as i64 + 1)
        .bind(kind)
        .bind(prompt)
        .execute(pool)
        .await
        .map(|_| ())
        .unwrap());
    }
    id
}

/// Invites `user` to the survey under the respondent key `respondent`, in `state`.
async fn invite(store: &Store, survey: i64, guild: u64, user: u64, respondent: &str, state: &str) {
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into survey_invite (survey_id, guild_id, user_id, respondent, state, invited_at,
                                    answered_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(survey)
    .bind(guild as i64)
    .bind(user as i64)
    .bind(respondent)
    .bind(state)
    .bind(at(20, 9))
    .bind((state == "answered").then(|| at(21, 9)))
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
}

enum Answer<'a> {
    Score(i64),
    Text(&'a str),
}

async fn answer(store: &Store, survey: i64, respondent: &str, position: i64, given: Answer<'_>) {
    let (score, text) = match given {
        Answer::Score(score) => (Some(score), None),
        Answer::Text(text) => (None, Some(text)),
    };
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into survey_answer (survey_id, respondent, position, score, answer, answered_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(survey)
    .bind(respondent)
    .bind(position)
    .bind(score)
    .bind(text)
    .bind(at(21, 9))
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
}

const QUESTIONS: [(&str, &str); 3] = [
    ("scale", "I felt connected to others in this program."),
    ("scale", "My chats happened as often as I hoped."),
    ("text", "One thing that would make this program better."),
];

#[tokio::test]
async fn fit_answers_are_counted_per_round_for_the_program_and_server_only() {
    let (store, _dir) = fresh_store().await;
    let (first, second) = two_rounds(&store).await;
    let (guild, other_server) = (program(&store, GUILD).await, program(&store, OTHER).await);
    // Round 1: {1,2} one good, one not a fit; {3,4} good. Round 2: {1,2,3} good, good.
    fit(&store, &guild, first[0], 1, 2, "good").await;
    fit(&store, &guild, first[0], 2, 1, "not-a-fit").await;
    fit(&store, &guild, first[1], 3, 4, "good").await;
    fit(&store, &guild, second[0], 1, 3, "good").await;
    fit(&store, &guild, second[0], 3, 1, "good").await;
    // The other server's round, and another program of this server: never counted here.
    let other = round(&store, &other_server, at(20, 9), &[&[1, 3]]).await;
    fit(&store, &other_server, other[0], 1, 3, "not-a-fit").await;
    let circles = another_program(&store, GuildId(GUILD), "Postdoc circles").await;
    join(&store, &circles, 1, Role::Peer).await;
    join(&store, &circles, 2, Role::Peer).await;
    let theirs = round(&store, &circles, at(9, 9), &[&[1, 2]]).await;
    fit(&store, &circles, theirs[0], 1, 2, "not-a-fit").await;

    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        stats.fit_by_round,
        [
            RoundFit {
                number: 1,
                answers: 3,
                good: 2
            },
            RoundFit {
                number: 2,
                answers: 2,
                good: 2
            },
        ]
    );
    // Round 1's three answers are shown; round 2's two wait for more.
    assert_eq!(
        stats.fit(),
        FitReport {
            rate: Rate::new(2, 3),
            rounds: Some((1, 1)),
            pending: Some(PendingFit {
                since: 2,
                answers: 2
            }),
        }
    );
    let series = stats.evaluation_series();
    assert_eq!(series[0].fit_rate, Some(2.0 / 3.0));
    assert_eq!(series[1].fit_rate, None, "two answers: no point");

    // The last round only: its two answers are all there is, and no rate.
    let last = store
        .stats(GuildId(GUILD), guild.program_id, Some(1), at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        last.fit_by_round, stats.fit_by_round,
        "every round's, always"
    );
    assert_eq!(
        last.fit().rate,
        Rate::default(),
        "round 2's two answers only"
    );
    assert_eq!(last.evaluation_series()[0].fit_rate, None);

    // A third answer about round 2: now it has a rate, and a point.
    fit(&store, &guild, second[0], 2, 1, "not-a-fit").await;
    let last = store
        .stats(GuildId(GUILD), guild.program_id, Some(1), at(25, 9))
        .await
        .unwrap();
    assert_eq!(last.fit().rate, Rate::new(2, 3));
    assert_eq!(last.fit().pending, None);
    assert_eq!(last.evaluation_series()[0].fit_rate, Some(2.0 / 3.0));

    let theirs = store
        .stats(GuildId(GUILD), circles.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        theirs.fit_by_round,
        [RoundFit {
            number: 1,
            answers: 1,
            good: 0
        }]
    );
    assert_eq!(theirs.fit().rate, Rate::default(), "one answer, no rate");
    let other = store
        .stats(GuildId(OTHER), other_server.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        other
            .fit_by_round
            .iter()
            .map(|r| r.answers)
            .collect::<Vec<_>>(),
        [0, 1],
        "the other server's own rounds"
    );
}

#[tokio::test]
async fn surveys_come_with_their_round_invitations_means_and_texts_in_respondent_order() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    let guild = program(&store, GUILD).await;
    let (round_one, round_two) = (
        round_id(&store, &guild, 1).await,
        round_id(&store, &guild, 2).await,
    );
    // Started before the first round: shown with every round only.
    survey(&store, &guild, "manual", None, at(1, 12), &QUESTIONS).await;
    let halfway = survey(
        &store,
        &guild,
        "halfway",
        Some(round_one),
        at(9, 9),
        &QUESTIONS,
    )
    .await;
    let end = survey(
        &store,
        &guild,
        "end",
        Some(round_two),
        at(23, 9),
        &QUESTIONS[..1],
    )
    .await;
    // Halfway: 1-3 answered, 4 declined, 5 did nothing. Respondent keys sort c, a, b.
    for (user, key, state) in [
        (1, "c-key", "answered"),
        (2, "a-key", "answered"),
        (3, "b-key", "answered"),
        (4, "d-key", "declined"),
        (5, "e-key", "invited"),
    ] {
        invite(&store, halfway, GUILD, user, key, state).await;
    }
    for (key, first, second) in [
        ("c-key", 4, Some(2)),
        ("a-key", 5, Some(3)),
        ("b-key", 3, None),
    ] {
        answer(&store, halfway, key, 1, Answer::Score(first)).await;
        if let Some(second) = second {
            answer(&store, halfway, key, 2, Answer::Score(second)).await;
        }
    }
    answer(&store, halfway, "c-key", 3, Answer::Text("from c")).await;
    answer(&store, halfway, "a-key", 3, Answer::Text("from a")).await;
    invite(&store, end, GUILD, 1, "end-1", "answered").await;
    answer(&store, end, "end-1", 1, Answer::Score(5)).await;
    // Another program's survey, and the other server's: never shown here.
    let circles = another_program(&store, GuildId(GUILD), "Postdoc circles").await;
    survey(&store, &circles, "manual", None, at(5, 9), &QUESTIONS).await;
    let other = program(&store, OTHER).await;
    survey(&store, &other, "manual", None, at(5, 9), &QUESTIONS).await;

    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    let order: Vec<(SurveyOccasion, Option<u32>)> = stats
        .surveys
        .iter()
        .map(|s| (s.occasion, s.round))
        .collect();
    assert_eq!(
        order,
        [
            (SurveyOccasion::Manual, None),
            (SurveyOccasion::Halfway, Some(1)),
            (SurveyOccasion::End, Some(2)),
        ]
    );
    let empty = &stats.surveys[0];
    assert_eq!((empty.invited, empty.answered, empty.declined), (0, 0, 0));
    assert_eq!(empty.started_at, at(1, 12));
    assert_eq!(empty.closes_at, at(15, 12));
    assert_eq!(empty.questions.len(), 3);
    assert!(empty.questions.iter().all(|q| q.answers() == 0));

    let half = &stats.surveys[1];
    assert_eq!((half.invited, half.answered, half.declined), (5, 3, 1));
    assert_eq!(half.response_rate(), Rate::new(3, 5));
    let q: Vec<(u32, QuestionKind, &str, Scores)> = half
        .questions
        .iter()
        .map(|q| (q.position, q.kind, q.prompt.as_str(), q.scores))
        .collect();
    assert_eq!(
        q,
        [
            (1, QuestionKind::Scale, QUESTIONS[0].1, Scores::new(3, 12)),
            (2, QuestionKind::Scale, QUESTIONS[1].1, Scores::new(2, 5)),
            (3, QuestionKind::Text, QUESTIONS[2].1, Scores::default()),
        ]
    );
    assert_eq!(
        half.questions[2].texts,
        ["from a", "from c"],
        "by respondent key, not by who or when"
    );
    assert!(
        half.questions[2].texts_to_show().is_empty(),
        "two answers only"
    );
    assert_eq!(half.questions[0].shown_scores(), Some(Scores::new(3, 12)));
    assert_eq!(
        half.questions[1].shown_scores(),
        None,
        "two answers: no mean"
    );
    assert_eq!(
        half.shown_scores(),
        Scores::new(3, 12),
        "the survey's mean leaves out the question of two answers"
    );

    let series = stats.evaluation_series();
    assert_eq!(series[0].survey_mean, Some(4.0));
    assert_eq!(series[1].survey_mean, None, "the end survey has one answer");

    // A third text makes them showable.
    invite(&store, halfway, GUILD, 6, "0-key", "answered").await;
    answer(&store, halfway, "0-key", 3, Answer::Text("from 0")).await;
    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        stats.surveys[1].questions[2].texts_to_show(),
        ["from 0", "from a", "from c"]
    );

    // The last round only: the survey of round 2. The survey from before the first round
    // shows only with every round.
    let last = store
        .stats(GuildId(GUILD), guild.program_id, Some(1), at(25, 9))
        .await
        .unwrap();
    assert_eq!(
        last.surveys.iter().map(|s| s.round).collect::<Vec<_>>(),
        [Some(2)]
    );
    let both = store
        .stats(GuildId(GUILD), guild.program_id, Some(2), at(25, 9))
        .await
        .unwrap();
    assert_eq!(both.surveys.len(), 3, "two rounds are every round");
    let theirs = store
        .stats(GuildId(GUILD), circles.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(theirs.surveys.len(), 1);
    assert_eq!(theirs.surveys[0].occasion, SurveyOccasion::Manual);
}

#[tokio::test]
async fn many_surveys_are_read_whole_with_every_answer_in_its_place() {
    let (store, _dir) = fresh_store().await;
    two_rounds(&store).await;
    let guild = program(&store, GUILD).await;
    let round_two = round_id(&store, &guild, 2).await;
    let five: Vec<(&str, &str)> = (0..5).map(|i| QUESTIONS[i % 3]).collect();
    for n in 0..25 {
        let id = survey(
            &store,
            &guild,
            "manual",
            Some(round_two),
            at(17, 9) + chrono::Duration::hours(n),
            &five,
        )
        .await;
        for user in 1..=4u64 {
            let key = format!("s{id}-u{user}");
            invite(&store, id, GUILD, user, &key, "answered").await;
            for position in 1..=5 {
                let kind = five[position as usize - 1].0;
                let given = if kind == "scale" {
                    Answer::Score((n + position + user as i64) % 5 + 1)
                } else {
                    Answer::Text("same text")
                };
                answer(&store, id, &key, position, given).await;
            }
        }
    }
    let stats = store
        .stats(GuildId(GUILD), guild.program_id, None, at(25, 9))
        .await
        .unwrap();
    assert_eq!(stats.surveys.len(), 25);
    for (n, survey) in stats.surveys.iter().enumerate() {
        assert_eq!(
            survey.started_at,
            at(17, 9) + chrono::Duration::hours(n as i64)
        );
        assert_eq!((survey.invited, survey.answered), (4, 4));
        assert_eq!(survey.questions.len(), 5);
        for q in &survey.questions {
            assert_eq!(q.answers(), 4, "survey {n} question {}", q.position);
            if q.kind == QuestionKind::Scale {
                let expected: u32 = (1..=4u32)
                    .map(|user| (n as u32 + q.position + user) % 5 + 1)
                    .sum();
                assert_eq!(q.scores, Scores::new(4, expected));
            } else {
                assert_eq!(q.texts, ["same text"; 4]);
            }
        }
    }
    let pooled: Scores = stats.surveys.iter().map(|s| s.shown_scores()).sum();
    assert_eq!(stats.evaluation_series()[1].survey_mean, pooled.mean());
    assert_eq!(stats.evaluation_series()[0].survey_mean, None);
}
