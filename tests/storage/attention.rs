//! The attention list's reads and the weekly digest's rows against a real file: the
//! history holds what the rules need (each member's recent groups, however old, and the
//! program's recent rounds, with every answer) and nothing of other programs or
//! servers, and which groups hallway delivered; digests are queued once a week for live
//! programs with a coordinators' channel, each program on its own; a posted digest keeps
//! only whom it names, by id, and one given up keeps nothing; forget-me deletes the posts
//! that name the member and withdraws a digest in flight that does.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hallway::domain::attention::{self, AttentionReport, GroupSeen, MemberSeen, Person};
use hallway::domain::attention::{NoMeeting, SilentGroup};
use hallway::domain::group::OutcomeStatus;
use hallway::domain::ids::{ChannelId, GroupId, GuildId, MessageId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::outbox::OutboxRow;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::on_backend;
use hallway::storage::{Backend, Store};

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

/// Saves a round of `program` at `when`, its groups' intros not yet delivered, and
/// returns its groups' ids, in order.
async fn undelivered_round(
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
    on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select group_id from match_group where round_id = $1 order by position",
    )
    .bind(record.round_id.get())
    .fetch_all(pool)
    .await)
    .unwrap()
}

/// Saves a round of `program` at `when`, each group's intro posted in its thread, and
/// returns its groups' ids, in order.
async fn round(
    store: &Store,
    program: &Program,
    when: DateTime<Utc>,
    groups: &[&[u64]],
) -> Vec<GroupId> {
    let ids = undelivered_round(store, program, when, groups).await;
    for group in &ids {
        deliver_in_thread(store, *group).await;
    }
    ids
}

async fn deliver_in_thread(store: &Store, group: GroupId) {
    let thread = ChannelId(5_000 + group.get() as u64);
    store.save_group_thread(group, thread).await.unwrap();
    store
        .save_group_intro(group, MessageId(6_000 + group.get() as u64))
        .await
        .unwrap();
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
    on_backend!(store.pool(), pool => sqlx::query_as(
        "select key, program_id, due_at, state from outbox where kind = 'attention-digest'
         order by outbox_id",
    )
    .fetch_all(pool)
    .await)
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

/// The intro row of `group`, as the outbox worker reads it.
async fn intro_row(store: &Store, group: GroupId) -> OutboxRow {
    store
        .due_outbox(at(30, 9), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.group_id == Some(group) && r.kind.as_str() == "intro")
        .expect("the group's intro row")
}

#[tokio::test]
async fn groups_whose_intro_reached_nobody_are_read_as_undelivered_and_never_blamed() {
    let (store, _dir) = fresh_store().await;
    let mut program = first_program(&store, GUILD).await;
    program.evaluation.attention_rounds = 1;
    peers(&store, &program, 1..=6).await;
    // Round 1: one group in its thread, one told by DM, one whose intro failed for good.
    let groups = undelivered_round(&store, &program, at(2, 9), &[&[1, 2], &[3, 4], &[5, 6]]).await;
    deliver_in_thread(&store, groups[0]).await;
    let by_dm = intro_row(&store, groups[1]).await;
    store
        .fall_back_to_dms(
            &by_dm,
            &[UserId(3), UserId(4)],
            "no threads",
            true,
            at(2, 9),
        )
        .await
        .unwrap();
    let failed = intro_row(&store, groups[2]).await;
    store
        .fail_group_delivery(&failed, "Discord was unavailable", "503", at(2, 9))
        .await
        .unwrap();
    // Round 2 finishes round 1.
    round(&store, &program, at(9, 9), &[&[1, 3], &[2, 4]]).await;
    let delivered = |history: &attention::History| -> Vec<(Vec<u64>, bool)> {
        history
            .groups
            .iter()
            .filter(|g| g.round_number == 1)
            .map(|g| (members_of(g), g.delivered))
            .collect()
    };

    // The DMs are still waiting: not delivered yet.
    let history = store.attention_history(&program).await.unwrap();
    assert_eq!(
        delivered(&history),
        [(vec![1, 2], true), (vec![3, 4], false), (vec![5, 6], false)]
    );
    // One DM out: the group was told.
    let dm = store
        .due_outbox(at(30, 9), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.group_id == Some(groups[1]) && r.kind.as_str() == "dm-intro")
        .expect("a DM intro");
    store
        .complete_outbox(&dm, Some((ChannelId(90), MessageId(91))), at(2, 9))
        .await
        .unwrap();
    let history = store.attention_history(&program).await.unwrap();
    assert_eq!(
        delivered(&history),
        [(vec![1, 2], true), (vec![3, 4], true), (vec![5, 6], false)]
    );

    // Nobody answered round 1: the two delivered groups are silent and their members
    // have no "We met"; 5 and 6 were never told of theirs, so neither list has them.
    let report = attention::report(&history, at(9, 10));
    assert_eq!(report.running_round, Some(2));
    let silent: Vec<Vec<u64>> = report
        .silent_groups
        .iter()
        .map(|g| g.members.iter().map(|p| p.user_id.get()).collect())
        .collect();
    assert_eq!(silent, [vec![1, 2], vec![3, 4]]);
    let listed: Vec<u64> = report
        .no_meeting
        .iter()
        .map(|e| e.member.user_id.get())
        .collect();
    assert_eq!(listed, [1, 2, 3, 4]);
}

#[tokio::test]
async fn one_programs_failing_digest_does_not_stop_the_others_and_an_unknown_time_zone_reads_utc() {
    let (store, _dir) = fresh_store().await;
    let failing = first_program(&store, GUILD).await;
    let odd_zone = another_program(&store, GUILD, "Odd zone").await;
    let elsewhere = first_program(&store, OTHER_GUILD).await;
    for p in [&failing, &odd_zone, &elsewhere] {
        store
            .set_coordinators_channel(p.program_id, Some(ChannelId(77)), at(1, 9))
            .await
            .unwrap();
    }
    on_backend!(store.pool(), pool => sqlx::query(
        "update program set time_zone = 'Mars/Olympus_Mons' where program_id = $1",
    )
    .bind(odd_zone.program_id.get())
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    // The first program's insert fails, as a full disk or a broken row would.
    let failing_id = failing.program_id.get();
    let (refuse, allow) = match store.backend() {
        Backend::Sqlite => (
            format!(
                "create trigger refuse_digest before insert on outbox
                 when new.kind = 'attention-digest' and new.program_id = {failing_id}
                 begin select raise(abort, 'refused for the test'); end"
            ),
            "drop trigger refuse_digest",
        ),
        Backend::Postgres => (
            format!(
                "create function refuse_digest() returns trigger language plpgsql as $$
                 begin
                     if new.kind = 'attention-digest' and new.program_id = {failing_id} then
                         raise exception 'refused for the test';
                     end if;
                     return new;
                 end $$;
                 create trigger refuse_digest before insert on outbox
                 for each row execute function refuse_digest()"
            ),
            "drop trigger refuse_digest on outbox",
        ),
    };
    on_backend!(store.pool(), pool => sqlx::raw_sql(&refuse).execute(pool).await.map(|_| ()))
        .unwrap();

    // Wednesday 25 November 2026: the next Monday at 09:00, in UTC for the odd zone.
    let wednesday = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    assert_eq!(store.queue_attention_digests(wednesday).await.unwrap(), 2);
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    let queued: Vec<(String, i64, DateTime<Utc>, String)> = digests(&store).await;
    assert_eq!(
        queued,
        [
            (
                format!("attention-digest:{}:2026-W49", odd_zone.program_id),
                odd_zone.program_id.get(),
                monday,
                "pending".into()
            ),
            (
                format!("attention-digest:{}:2026-W49", elsewhere.program_id),
                elsewhere.program_id.get(),
                monday,
                "pending".into()
            ),
        ]
    );

    // Fixed: the next pass queues the one that failed.
    on_backend!(store.pool(), pool => sqlx::raw_sql(allow).execute(pool).await.map(|_| ()))
        .unwrap();
    assert_eq!(store.queue_attention_digests(wednesday).await.unwrap(), 1);
}

const ADA: u64 = 1_300_000_000_000_000_001;
const BEN: u64 = 1_300_000_000_000_000_002;

fn person(user: u64) -> Person {
    Person {
        user_id: UserId(user),
        name: format!("user {user}"),
    }
}

/// A list naming `users`: each without a "We met", and all of them in a silent group.
fn list_naming(users: &[u64]) -> AttentionReport {
    AttentionReport {
        attention_rounds: 3,
        running_round: None,
        no_meeting: users
            .iter()
            .map(|u| NoMeeting {
                member: person(*u),
                rounds: vec![1, 2, 3],
                paused_until: None,
            })
            .collect(),
        silent_groups: vec![SilentGroup {
            round: 3,
            members: users.iter().map(|u| person(*u)).collect(),
        }],
        pauses_over: Vec::new(),
        full_mentors: Vec::new(),
    }
}

/// A program with Ada and Ben and a coordinators' channel.
async fn program_with_a_digest(store: &Store) -> Program {
    let program = first_program(store, GUILD).await;
    peers(store, &program, [ADA, BEN]).await;
    store
        .set_coordinators_channel(program.program_id, Some(ChannelId(77)), at(1, 9))
        .await
        .unwrap();
    program
}

/// Queues the digest of the week after `now` and returns its row as the outbox worker
/// reads it when it is due.
async fn due_digest(store: &Store, now: DateTime<Utc>) -> OutboxRow {
    assert_eq!(store.queue_attention_digests(now).await.unwrap(), 1);
    let key: String = on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select key from outbox where kind = 'attention-digest' order by outbox_id desc limit 1",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    store
        .due_outbox(now + Duration::weeks(2), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.key == key)
        .expect("the digest is due")
}

async fn detail_of(store: &Store, outbox_id: i64) -> Option<String> {
    on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select detail from outbox where outbox_id = $1",
    )
    .bind(outbox_id)
    .fetch_one(pool)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_posted_digest_keeps_only_the_ids_it_names_and_one_given_up_or_posting_nothing_keeps_no_list(
) {
    let (store, _dir) = fresh_store().await;
    program_with_a_digest(&store).await;

    // Posted: its row keeps whom it names, by id, and no name.
    let posted = due_digest(&store, at(1, 9)).await;
    assert!(store
        .keep_digest_snapshot(posted.outbox_id, &list_naming(&[BEN, ADA]))
        .await
        .unwrap());
    let kept = detail_of(&store, posted.outbox_id).await.unwrap();
    assert!(kept.contains("user "), "the list kept for a retry: {kept}");
    store
        .complete_outbox(&posted, Some((ChannelId(77), MessageId(500))), at(2, 9))
        .await
        .unwrap();
    assert_eq!(
        detail_of(&store, posted.outbox_id).await.as_deref(),
        Some(format!("{{\"named\":[{ADA},{BEN}]}}").as_str())
    );

    // Given up (refused, or out of retries): the list goes.
    let given_up = due_digest(&store, at(2, 10)).await;
    assert!(store
        .keep_digest_snapshot(given_up.outbox_id, &list_naming(&[ADA]))
        .await
        .unwrap());
    store
        .fail_outbox(given_up.outbox_id, "50001: Missing Access", at(9, 9))
        .await
        .unwrap();
    assert_eq!(detail_of(&store, given_up.outbox_id).await, None);

    // Done without a post (the digest was turned off since): nothing is kept either.
    let unposted = due_digest(&store, at(9, 10)).await;
    assert!(store
        .keep_digest_snapshot(unposted.outbox_id, &list_naming(&[ADA]))
        .await
        .unwrap());
    store
        .complete_outbox(&unposted, None, at(16, 9))
        .await
        .unwrap();
    assert_eq!(detail_of(&store, unposted.outbox_id).await, None);
}

/// Every table, every column: no value is `user`'s id, and no text contains it.
async fn assert_nothing_holds(store: &Store, user: u64) {
    use sqlx::{Column, Row, ValueRef};
    let tables_sql = match store.backend() {
        Backend::Sqlite => {
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
        }
        Backend::Postgres => {
            "select table_name::text from information_schema.tables
             where table_schema = current_schema() and table_type = 'BASE TABLE'"
        }
    };
    let tables: Vec<String> =
        on_backend!(store.pool(), pool => sqlx::query_scalar(tables_sql).fetch_all(pool).await)
            .unwrap();
    for table in tables {
        let sql = format!("select * from {table}");
        on_backend!(store.pool(), pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await.unwrap();
            for row in rows {
                for column in row.columns() {
                    if row.try_get_raw(column.ordinal()).unwrap().is_null() {
                        continue;
                    }
                    if let Ok(value) = row.try_get::<i64, _>(column.ordinal()) {
                        assert_ne!(value, user as i64, "{table}.{} holds the id", column.name());
                    }
                    if let Ok(text) = row.try_get::<String, _>(column.ordinal()) {
                        assert!(
                            !text.contains(&user.to_string()),
                            "{table}.{} still names them: {text}",
                            column.name()
                        );
                    }
                }
            }
        });
    }
}

async fn deletions(store: &Store) -> Vec<String> {
    on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select key from outbox where kind = 'delete-message' and state = 'pending'
         order by outbox_id",
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

#[tokio::test]
async fn forget_me_deletes_the_posted_digests_that_name_the_member_and_withdraws_one_in_flight_that_does(
) {
    let (store, _dir) = fresh_store().await;
    program_with_a_digest(&store).await;
    let post = |row: &OutboxRow, list: AttentionReport, message: u64| {
        let (store, row) = (&store, row.clone());
        async move {
            assert!(store
                .keep_digest_snapshot(row.outbox_id, &list)
                .await
                .unwrap());
            store
                .complete_outbox(&row, Some((ChannelId(77), MessageId(message))), at(2, 9))
                .await
                .unwrap();
        }
    };
    // Week 45 named Ada and Ben; week 46 Ben alone; week 47's, naming Ada, is being tried.
    let both = due_digest(&store, at(1, 9)).await;
    post(&both, list_naming(&[ADA, BEN]), 500).await;
    let bens = due_digest(&store, at(2, 10)).await;
    post(&bens, list_naming(&[BEN]), 501).await;
    let in_flight = due_digest(&store, at(9, 10)).await;
    assert!(store
        .keep_digest_snapshot(in_flight.outbox_id, &list_naming(&[ADA]))
        .await
        .unwrap());
    store
        .begin_outbox_attempt(in_flight.outbox_id)
        .await
        .unwrap();

    let now = at(17, 9);
    store.forget_member(GUILD, UserId(ADA), now).await.unwrap();

    // The post naming Ada is queued for deletion; its row keeps nothing of whom it named.
    assert_eq!(deletions(&store).await, ["delete-message:500"]);
    assert_eq!(detail_of(&store, both.outbox_id).await, None);
    // Ben's own digest stays, with his id only.
    assert_eq!(
        detail_of(&store, bens.outbox_id).await.as_deref(),
        Some(format!("{{\"named\":[{BEN}]}}").as_str())
    );
    // The one in flight is withdrawn and the week's digest queued afresh, due now, to be
    // worked out without Ada.
    // Its id, state, due time, tries and detail.
    type Row = (i64, String, DateTime<Utc>, i64, Option<String>);
    let week: Vec<Row> = on_backend!(store.pool(), pool => sqlx::query_as(
        "select outbox_id, state, due_at, attempts, detail from outbox where key = $1",
    )
    .bind(&in_flight.key)
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(week.len(), 1);
    let (fresh, state, due, attempts, detail) = week[0].clone();
    assert_ne!(fresh, in_flight.outbox_id);
    assert_eq!(
        (state.as_str(), due, attempts, detail),
        ("pending", now, 0, None)
    );
    assert!(!store.digest_pending(in_flight.outbox_id).await.unwrap());
    assert_nothing_holds(&store, ADA).await;

    // The withdrawn try lands after all: its post is deleted, and the fresh row waits.
    store
        .complete_outbox(
            &in_flight,
            Some((ChannelId(77), MessageId(502))),
            at(17, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        deletions(&store).await,
        ["delete-message:500", "delete-message:502"]
    );
    assert!(store.digest_pending(fresh).await.unwrap());
    // Forgetting Ben now takes his two posts: the one left of week 45 is being deleted
    // already, so only week 46's is new.
    store
        .forget_member(GUILD, UserId(BEN), at(17, 11))
        .await
        .unwrap();
    assert_eq!(
        deletions(&store).await,
        [
            "delete-message:500",
            "delete-message:502",
            "delete-message:501"
        ]
    );
    assert_nothing_holds(&store, BEN).await;
}

#[tokio::test]
async fn a_list_naming_a_member_forgotten_after_it_was_read_is_not_kept() {
    let (store, _dir) = fresh_store().await;
    program_with_a_digest(&store).await;
    let row = due_digest(&store, at(1, 9)).await;
    // The list was read with Ada in it; she is forgotten before it is kept.
    let read_before = list_naming(&[ADA, BEN]);
    store
        .forget_member(GUILD, UserId(ADA), at(2, 9))
        .await
        .unwrap();
    assert!(!store
        .keep_digest_snapshot(row.outbox_id, &read_before)
        .await
        .unwrap());
    assert_eq!(detail_of(&store, row.outbox_id).await, None);
    assert!(store.digest_pending(row.outbox_id).await.unwrap());
    // Read again, without her: kept.
    assert!(store
        .keep_digest_snapshot(row.outbox_id, &list_naming(&[BEN]))
        .await
        .unwrap());
    assert!(detail_of(&store, row.outbox_id).await.is_some());
}
