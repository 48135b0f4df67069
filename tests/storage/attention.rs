//! The attention list's reads and the weekly digest's rows against a real file: the
//! history holds what the rules need (each member's recent groups, however old, and the
//! program's recent rounds, with every answer) and nothing of other programs or
//! servers; digests are queued once a week for live programs with a coordinators'
//! channel; forget-me drops a digest's kept list.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hallway::domain::attention::{self, GroupSeen, MemberSeen};
use hallway::domain::group::OutcomeStatus;
use hallway::domain::ids::{ChannelId, GroupId, GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store, peer_round};

const GUILD: GuildId = GuildId(1);
const OTHER_GUILD: GuildId = GuildId(2);

async fn peers(store: &Store, program: &Program, users: impl IntoIterator<Item = u64>) {
    for user in users {
        store
            .join(
                program,
                UserId(user),
                &format!("user {user}"),
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
}

/// Saves a round of `program` at `when` and returns its groups' ids, in order.
async fn round(
    store: &Store,
    program: &Program,
    when: DateTime<Utc>,
    groups: &[&[u64]],
) -> Vec<GroupId> {
    let record = store
        .create_round(&peer_round(program, when, groups))
        .await
        .unwrap()
        .expect("a manual round is saved");
    sqlx::query_scalar("select group_id from match_group where round_id = ? order by position")
        .bind(record.round_id.get())
        .fetch_all(store.pool())
        .await
        .unwrap()
}

async fn answer(store: &Store, group: GroupId, user: u64, status: OutcomeStatus) {
    store
        .record_outcome(GUILD, group, UserId(user), status, at(20, 9))
        .await
        .unwrap();
}

fn members_of(group: &GroupSeen) -> Vec<u64> {
    let mut users: Vec<u64> = group.members.iter().map(|(u, _)| u.get()).collect();
    users.sort();
    users
}

#[tokio::test]
async fn the_history_holds_each_members_last_groups_however_old_and_the_programs_last_rounds() {
    let (store, _dir) = fresh_store().await;
    let mut program = first_program(&store, GUILD).await;
    peers(&store, &program, 1..=6).await;
    // Member 5 is only in round 1; the others meet in pairs every week after that.
    let first = round(&store, &program, at(2, 9), &[&[5, 6], &[1, 2]]).await;
    answer(&store, first[0], 5, OutcomeStatus::NotYet).await;
    for week in 1..=5 {
        let groups = round(
            &store,
            &program,
            at(2, 9) + Duration::weeks(week),
            &[&[1, 2], &[3, 4]],
        )
        .await;
        answer(&store, groups[0], 1, OutcomeStatus::Met).await;
    }
    // Other programs and servers are never read.
    let other = another_program(&store, GUILD, "Postdocs").await;
    peers(&store, &other, [1, 5]).await;
    round(&store, &other, at(30, 9), &[&[1, 5]]).await;
    let elsewhere = first_program(&store, OTHER_GUILD).await;
    store
        .join(
            &elsewhere,
            UserId(5),
            "user 5",
            &ProfileChange::role(Role::Peer),
            at(1, 9),
        )
        .await
        .unwrap();

    program.evaluation.attention_rounds = 1;
    let history = store.attention_history(&program).await.unwrap();
    assert_eq!(history.rounds.len(), 6);
    assert_eq!(
        history.rounds.iter().map(|r| r.number).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(history.members.len(), 6);
    // Depth 2: the last two rounds' groups, and each member's last two groups, which for
    // members 5 and 6 is round 1's.
    let read: Vec<(u32, Vec<u64>)> = history
        .groups
        .iter()
        .map(|g| (g.round_number, members_of(g)))
        .collect();
    assert_eq!(
        read,
        [
            (1, vec![5, 6]),
            (5, vec![1, 2]),
            (5, vec![3, 4]),
            (6, vec![1, 2]),
            (6, vec![3, 4])
        ]
    );
    assert_eq!(
        history.groups[0].answers,
        [(UserId(5), OutcomeStatus::NotYet)]
    );
    assert_eq!(history.groups[3].answers, [(UserId(1), OutcomeStatus::Met)]);

    // On the day of round 6 it is running: members 3 and 4 had round 5 without a "We met"
    // and round 5's group of theirs is silent; 5 and 6 last met in round 1.
    let report = attention::report(&history, at(2, 9) + Duration::weeks(5) + Duration::hours(1));
    assert_eq!(report.running_round, Some(6));
    let listed: Vec<(u64, Vec<u32>)> = report
        .no_meeting
        .iter()
        .map(|e| (e.member.user_id.get(), e.rounds.clone()))
        .collect();
    assert_eq!(
        listed,
        [(3, vec![5]), (4, vec![5]), (5, vec![1]), (6, vec![1])]
    );
    let silent: Vec<(u32, Vec<u64>)> = report
        .silent_groups
        .iter()
        .map(|g| (g.round, g.members.iter().map(|p| p.user_id.get()).collect()))
        .collect();
    assert_eq!(silent, [(5, vec![3, 4])]);
}

#[tokio::test]
async fn members_who_left_are_not_read_and_pauses_and_capacities_are() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    peers(&store, &program, 1..=3).await;
    store
        .join(
            &program,
            UserId(9),
            "Mentor Moss",
            &ProfileChange {
                capacity: Some(3),
                ..ProfileChange::role(Role::Mentor)
            },
            at(1, 9),
        )
        .await
        .unwrap();
    round(&store, &program, at(2, 9), &[&[1, 3]]).await;
    store
        .leave(program.program_id, UserId(3), at(3, 9))
        .await
        .unwrap();
    store
        .pause(program.program_id, UserId(2), at(10, 9), at(3, 9))
        .await
        .unwrap();

    let history = store.attention_history(&program).await.unwrap();
    let members: Vec<MemberSeen> = history.members.clone();
    let member = |user: u64, name: &str, role, capacity, paused_until| MemberSeen {
        user_id: UserId(user),
        name: name.into(),
        role,
        capacity,
        paused_until,
    };
    assert_eq!(
        members,
        [
            member(1, "user 1", Role::Peer, 0, None),
            member(2, "user 2", Role::Peer, 0, Some(at(10, 9))),
            member(9, "Mentor Moss", Role::Mentor, 3, None)
        ]
    );
    // The group of the last round is read whole, the member who left included.
    assert_eq!(members_of(&history.groups[0]), [1, 3]);
}

async fn digests(store: &Store) -> Vec<(String, i64, DateTime<Utc>, String)> {
    sqlx::query_as(
        "select key, program_id, due_at, state from outbox where kind = 'attention-digest'
         order by outbox_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_digest_is_queued_once_a_week_for_each_live_program_with_a_coordinators_channel() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    let paused = another_program(&store, GUILD, "Paused").await;
    let archived = another_program(&store, GUILD, "Archived").await;
    // A program without a coordinators' channel gets none.
    another_program(&store, GUILD, "No channel").await;
    for p in [&program, &paused, &archived] {
        store
            .set_coordinators_channel(p.program_id, Some(ChannelId(77)), at(1, 9))
            .await
            .unwrap();
    }
    store
        .set_program_paused(paused.program_id, true, at(1, 9))
        .await
        .unwrap();
    store
        .archive_program(archived.program_id, at(1, 9))
        .await
        .unwrap();

    // Wednesday 25 November 2026: the next is Monday 30 November at 09:00 UTC.
    let wednesday = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    assert_eq!(store.queue_attention_digests(wednesday).await.unwrap(), 1);
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    let key = format!("attention-digest:{}:2026-W49", program.program_id);
    assert_eq!(
        digests(&store).await,
        [(
            key.clone(),
            program.program_id.get(),
            monday,
            "pending".into()
        )]
    );
    // Every pass of that week finds it queued.
    for later in [
        wednesday + Duration::hours(1),
        monday - Duration::seconds(1),
    ] {
        assert_eq!(store.queue_attention_digests(later).await.unwrap(), 0);
    }
    // Once it is due, the next week's is queued, in the program's own time zone.
    let schedule = hallway::domain::program::Schedule {
        cadence: hallway::domain::program::Cadence::Weekly,
        weekday: chrono::Weekday::Wed,
        hour: 9,
        time_zone: chrono_tz::Europe::Berlin,
    };
    store
        .set_schedule(program.program_id, &schedule, monday)
        .await
        .unwrap();
    assert_eq!(store.queue_attention_digests(monday).await.unwrap(), 1);
    let rows = digests(&store).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].0,
        format!("attention-digest:{}:2026-W50", program.program_id)
    );
    assert_eq!(
        rows[1].2,
        Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
    );

    // Turned off: nothing more is queued.
    store
        .set_coordinators_channel(program.program_id, None, monday)
        .await
        .unwrap();
    let next_week = monday + Duration::weeks(1);
    assert_eq!(store.queue_attention_digests(next_week).await.unwrap(), 0);
    assert_eq!(digests(&store).await.len(), 2);
}

#[tokio::test]
async fn forget_me_drops_the_list_a_digest_kept_and_a_posted_digest_keeps_none() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    peers(&store, &program, 1..=2).await;
    store
        .set_coordinators_channel(program.program_id, Some(ChannelId(77)), at(1, 9))
        .await
        .unwrap();
    store.queue_attention_digests(at(1, 9)).await.unwrap();
    let id: i64 =
        sqlx::query_scalar("select outbox_id from outbox where kind = 'attention-digest'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    let detail = || async {
        sqlx::query_scalar::<_, Option<String>>("select detail from outbox where outbox_id = ?")
            .bind(id)
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    store
        .keep_digest_snapshot(id, "{\"names\":\"user 1\"}")
        .await
        .unwrap();
    assert!(detail().await.is_some());
    store.drop_digest_snapshot(id).await.unwrap();
    assert_eq!(detail().await, None);

    store
        .keep_digest_snapshot(id, "{\"names\":\"user 1\"}")
        .await
        .unwrap();
    store
        .forget_member(GUILD, UserId(1), at(2, 9))
        .await
        .unwrap();
    assert_eq!(
        detail().await,
        None,
        "forget-me leaves no list that may name them"
    );
}
