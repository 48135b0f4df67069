//! The matching history the store keeps between rounds gives exactly what a load from the
//! database gives: the same plan, the same meetings, whatever path saved the rounds, and
//! nothing of a forgotten member. Saving a round in multi-row inserts stores the rows one
//! insert per row did.

use std::collections::HashMap;
use std::time::Duration;

use chrono::DateTime;
use chrono::Utc;
use hallway::domain::ids::{GroupId, GuildId, ProgramId, RoundId, UserId};
use hallway::domain::matching::History;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::round::{NewGroup, Trigger};
use hallway::on_backend;
use hallway::rounds;
use hallway::storage::Store;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::round_bench::{random_pairs, seed_members};
use crate::{another_program, at, first_program, peer_round};

const GUILD: GuildId = GuildId(1);

/// A new empty database of the suite's backend: its URL, and the guard that keeps it.
async fn fresh_database() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::fresh_database_url(dir.path()).await;
    (url, dir)
}

/// A store just opened on the database at `url`: another process, or a restart.
async fn store_at(url: &str) -> Store {
    Store::open(url, 2, Duration::from_secs(5)).await.unwrap()
}

fn week(k: u32) -> DateTime<Utc> {
    at(2, 9) + chrono::Duration::weeks(k.into())
}

/// The history a load from the database builds, from the rounds as stored.
async fn loaded_history(store: &Store, program: ProgramId) -> History {
    let rounds = store.past_rounds(program).await.unwrap();
    History::from_rounds(rounds.into_iter().map(|(number, groups)| {
        let groups = groups
            .into_iter()
            .map(|g| g.into_iter().map(UserId::get).collect())
            .collect();
        (number, groups)
    }))
}

/// Every question the engine asks of a history, for every pair of members `1..=n`.
fn same_meetings(kept: &History, loaded: &History, n: u64) {
    assert_eq!(kept.rounds_recorded(), loaded.rounds_recorded());
    for a in 1..=n {
        assert_eq!(kept.off_size_groups(a), loaded.off_size_groups(a), "{a}");
        for b in a + 1..=n {
            assert_eq!(kept.times_met(a, b), loaded.times_met(a, b), "{a} {b}");
            assert_eq!(kept.last_met(a, b), loaded.last_met(a, b), "{a} {b}");
        }
    }
}

/// Plans the program's round at `due` with `store` and with a store just opened on the
/// same database (a cold load); both must be the same.
async fn plans_agree(store: &Store, url: &str, program: &Program, due: DateTime<Utc>) {
    let kept = rounds::plan_for(store, program, due, 11).await.unwrap();
    let cold = rounds::plan_for(&store_at(url).await, program, due, 11)
        .await
        .unwrap();
    assert_eq!(kept, cold, "the plan at {due}");
}

/// The bot's round `k`: planned and saved.
async fn bot_round(store: &Store, program: &Program, k: u32) {
    let plan = rounds::plan_for(store, program, week(k), u64::from(k))
        .await
        .unwrap();
    let saved = rounds::save_round(
        store,
        program,
        &plan,
        Trigger::Manual,
        week(k),
        week(k),
        None,
    )
    .await
    .unwrap();
    assert!(saved.is_some(), "round {k} saved");
}

#[tokio::test]
async fn the_kept_history_plans_as_a_cold_load_across_rounds_saved_by_any_path() {
    const N: u64 = 30;
    let (url, _dir) = fresh_database().await;
    let store = store_at(&url).await;
    let program = first_program(&store, GUILD).await;
    seed_members(&store, &program, N).await;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for k in 0..3 {
        let round = random_pairs(&program, N, &[], week(k), &mut rng);
        store.create_round(&round).await.unwrap().unwrap();
    }
    let mut k = 3;
    // Rounds saved by this store, which records them into the history it keeps.
    for _ in 0..3 {
        bot_round(&store, &program, k).await;
        k += 1;
    }
    let store = store_at(&url).await;
    let program = first_program(&store, GUILD).await;
    rounds::plan_for(&store, &program, week(k), 1)
        .await
        .unwrap();
    for _ in 0..2 {
        bot_round(&store, &program, k).await;
        k += 1;
        plans_agree(&store, &url, &program, week(k)).await;
    }
    assert!(store.kept_history(program.program_id).is_some(), "kept");

    // A round saved by another path (a second store: a confirmed preview, a manual round
    // the kept history never saw) is read in before the next plan.
    let other = store_at(&url).await;
    let round = random_pairs(&program, N, &[], week(k), &mut rng);
    other.create_round(&round).await.unwrap().unwrap();
    k += 1;
    plans_agree(&store, &url, &program, week(k)).await;
    let kept = store.kept_history(program.program_id).unwrap();
    same_meetings(&kept, &loaded_history(&store, program.program_id).await, N);
    assert_eq!(kept.rounds_recorded(), 9);

    // Groups of another program this week steer the plan, and stay out of the history.
    let circles = another_program(&store, GUILD, "Postdoc circles").await;
    seed_members_into(&store, &circles, N).await;
    let elsewhere: Vec<&[u64]> = vec![&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    let never_met: Vec<(u64, u64)> = (1..=10u64)
        .flat_map(|a| (a + 1..=10).map(move |b| (a, b)))
        .filter(|&(a, b)| !kept.met(a, b))
        .collect();
    assert!(
        !never_met.is_empty(),
        "the test needs a pair that never met"
    );
    store
        .create_round(&peer_round(
            &circles,
            week(k) - chrono::Duration::hours(1),
            &elsewhere,
        ))
        .await
        .unwrap()
        .unwrap();
    plans_agree(&store, &url, &program, week(k)).await;
    let kept = store.kept_history(program.program_id).unwrap();
    for (a, b) in never_met {
        assert!(!kept.met(a, b), "{a} and {b} met only in another program");
    }
    same_meetings(&kept, &loaded_history(&store, program.program_id).await, N);
}

/// Members `1..=n`, already in the server, join `program` as peers.
async fn seed_members_into(store: &Store, program: &Program, n: u64) {
    on_backend!(store.pool(), pool => sqlx::query(
        "insert into program_member (program_id, guild_id, user_id, role, capacity, joined_at,
                                     updated_at)
         select $1, guild_id, user_id, 'peer', 0, joined_at, updated_at from member
         where guild_id = $2 and user_id <= $3",
    )
    .bind(program.program_id)
    .bind(GUILD.get() as i64)
    .bind(n as i64)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

#[tokio::test]
async fn forget_me_takes_the_member_out_of_the_kept_history() {
    const N: u64 = 12;
    let (url, _dir) = fresh_database().await;
    let store = store_at(&url).await;
    let program = first_program(&store, GUILD).await;
    seed_members(&store, &program, N).await;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for k in 0..4 {
        let round = random_pairs(&program, N, &[], week(k), &mut rng);
        store.create_round(&round).await.unwrap().unwrap();
    }
    rounds::plan_for(&store, &program, week(4), 1)
        .await
        .unwrap();
    let kept = store.kept_history(program.program_id).unwrap();
    let forgotten = 3;
    assert!((1..=N).any(|b| kept.met(forgotten, b)), "3 has met someone");
    drop(kept);

    store
        .forget_member(GUILD, UserId(forgotten), week(4))
        .await
        .unwrap();
    assert!(
        store.kept_history(program.program_id).is_none(),
        "dropped with the forget"
    );
    plans_agree(&store, &url, &program, week(4)).await;
    let kept = store.kept_history(program.program_id).unwrap();
    for b in 1..=N {
        assert!(!kept.met(forgotten, b), "3 is forgotten, and met nobody");
    }
    same_meetings(&kept, &loaded_history(&store, program.program_id).await, N);
}

#[tokio::test]
async fn a_forget_me_through_another_store_on_the_database_reloads_the_kept_history() {
    const N: u64 = 12;
    let (url, _dir) = fresh_database().await;
    // Two processes on one database: `forgets` does the forget-me, `plans` keeps the
    // history and never hears of it but through the database.
    let forgets = store_at(&url).await;
    let plans = store_at(&url).await;
    let program = first_program(&forgets, GUILD).await;
    seed_members(&forgets, &program, N).await;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for k in 0..4 {
        let round = random_pairs(&program, N, &[], week(k), &mut rng);
        forgets.create_round(&round).await.unwrap().unwrap();
    }
    rounds::plan_for(&plans, &program, week(4), 1)
        .await
        .unwrap();
    let forgotten = 3;
    let kept = plans.kept_history(program.program_id).unwrap();
    assert!((1..=N).any(|b| kept.met(forgotten, b)), "3 has met someone");
    drop(kept);

    forgets
        .forget_member(GUILD, UserId(forgotten), week(4))
        .await
        .unwrap();
    // Nothing in `plans` saw it: its kept history still holds the member's meetings.
    let stale = plans.kept_history(program.program_id).unwrap();
    assert!(
        (1..=N).any(|b| stale.met(forgotten, b)),
        "not dropped in-process"
    );
    drop(stale);

    // Its next round checks the history against the database, and reloads it.
    plans_agree(&plans, &url, &program, week(4)).await;
    let kept = plans.kept_history(program.program_id).unwrap();
    for b in 1..=N {
        assert!(!kept.met(forgotten, b), "3 is forgotten, and met nobody");
    }
    same_meetings(&kept, &loaded_history(&plans, program.program_id).await, N);
    let plan = rounds::plan_for(&plans, &program, week(4), 2)
        .await
        .unwrap();
    assert!(
        plan.groups
            .iter()
            .all(|g| g.members.iter().all(|(user, _)| *user != UserId(forgotten))),
        "the forgotten member is in no group"
    );
}

type OutboxRow = (
    String,
    String,
    RoundId,
    Option<GroupId>,
    ProgramId,
    Option<i64>,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// What a round's rows look like, read back in insertion order.
#[derive(Debug, PartialEq)]
struct SavedRows {
    /// Position, size, prompt of each group.
    groups: Vec<(i64, i64, Option<String>)>,
    /// Each group's members and roles, by the seats' key (the user id): the order a load
    /// reads them in on either backend.
    seats: Vec<Vec<(UserId, Role)>>,
    /// Kind, key, round, group, program, user, due time and creation time of each outbox
    /// row, in id order.
    outbox: Vec<OutboxRow>,
}

async fn saved_rows(store: &Store, round: RoundId, since_outbox_id: i64) -> SavedRows {
    let groups: Vec<(GroupId, i64, i64, Option<String>)> =
        on_backend!(store.pool(), pool => sqlx::query_as(
        "select group_id, position, size, prompt_key from match_group where round_id = $1
         order by group_id",
    )
    .bind(round.get())
    .fetch_all(pool)
    .await)
        .unwrap();
    let mut seats = Vec::new();
    for (group, ..) in &groups {
        let members: Vec<(i64, String)> = on_backend!(store.pool(), pool => sqlx::query_as(
            "select user_id, role from group_member where group_id = $1 order by user_id",
        )
        .bind(group.get())
        .fetch_all(pool)
        .await)
        .unwrap();
        let members: Vec<(UserId, Role)> = members
            .into_iter()
            .map(|(user, role)| (UserId(user as u64), role.parse().unwrap()))
            .collect();
        seats.push(members);
    }
    let outbox = on_backend!(store.pool(), pool => sqlx::query_as(
        "select kind, key, round_id, group_id, program_id, user_id, due_at, created_at
         from outbox where outbox_id > $1 order by outbox_id",
    )
    .bind(since_outbox_id)
    .fetch_all(pool)
    .await)
    .unwrap();
    SavedRows {
        groups: groups.into_iter().map(|(_, p, s, k)| (p, s, k)).collect(),
        seats,
        outbox,
    }
}

#[tokio::test]
async fn a_round_of_more_groups_than_one_insert_holds_saves_the_rows_one_insert_per_row_did() {
    // 8,500 groups and 17,001 seats: past one multi-row insert's 6,553 groups, 8,191
    // seats and 3,640 outbox rows, so every kind of row crosses a batch boundary.
    const N: u64 = 17_001;
    let (store, _dir) = crate::fresh_store().await;
    let program = first_program(&store, GUILD).await;
    seed_members(&store, &program, N).await;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let first_round = random_pairs(&program, N, &[], week(0), &mut rng);
    let first_groups = first_round.groups.len();
    let first = store.create_round(&first_round).await.unwrap().unwrap();
    // Threads of the first round still open: the second round archives them.
    on_backend!(store.pool(), pool => sqlx::query(
        "update match_group set thread_id = 1000 + position where round_id = $1 and position % 3 = 0",
    )
    .bind(first.round_id.get())
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    let outbox_before: i64 = on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select max(outbox_id) from outbox",
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    let mut round = random_pairs(&program, N, &[], week(1), &mut rng);
    // Mixed roles, and a group without a prompt, as a mentor-mentee round has them.
    for (g, group) in round.groups.iter_mut().enumerate() {
        if g % 2 == 0 {
            group.members[0].1 = Role::Mentor;
            group.members[1].1 = Role::Mentee;
        }
    }
    round.groups[5].prompt_key = None;
    round.nudge_at = week(1) + chrono::Duration::days(3);
    round.feedback_at = week(1) + chrono::Duration::days(5);
    let second = store.create_round(&round).await.unwrap().unwrap();
    let rows = saved_rows(&store, second.round_id, outbox_before).await;

    // What one insert per row saved: groups by position, seats in order, then per group
    // its intro, nudge and feedback, the summary, and the archiving of each open thread
    // of the earlier round, oldest group first.
    let group_ids: Vec<GroupId> = on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select group_id from match_group where round_id = $1 order by position",
    )
    .bind(second.round_id.get())
    .fetch_all(pool)
    .await)
    .unwrap();
    let open: Vec<GroupId> = on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select group_id from match_group where round_id = $1 and thread_id is not null
         order by group_id",
    )
    .bind(first.round_id.get())
    .fetch_all(pool)
    .await)
    .unwrap();
    let as_stored = |t: DateTime<Utc>| t;
    let mut outbox = Vec::new();
    let (r, p) = (second.round_id, program.program_id);
    for &g in &group_ids {
        for (kind, due) in [
            ("intro", round.created_at),
            ("nudge", round.nudge_at),
            ("feedback", round.feedback_at),
        ] {
            outbox.push((
                kind.to_string(),
                format!("{kind}:{r}:{g}:0"),
                r,
                Some(g),
                p,
                None,
                as_stored(due),
                as_stored(round.created_at),
            ));
        }
    }
    outbox.push((
        "summary".into(),
        format!("summary:{r}:0:0"),
        r,
        None,
        p,
        None,
        as_stored(round.created_at),
        as_stored(round.created_at),
    ));
    for &g in &open {
        outbox.push((
            "archive-thread".into(),
            format!("archive-thread:{}:{g}:0", first.round_id),
            first.round_id,
            Some(g),
            p,
            None,
            as_stored(round.created_at),
            as_stored(round.created_at),
        ));
    }
    let expected = SavedRows {
        groups: round
            .groups
            .iter()
            .enumerate()
            .map(|(k, g): (usize, &NewGroup)| {
                (k as i64, g.members.len() as i64, g.prompt_key.clone())
            })
            .collect(),
        seats: round
            .groups
            .iter()
            .map(|g| {
                let mut members = g.members.clone();
                members.sort_by_key(|(user, _)| user.get());
                members
            })
            .collect(),
        outbox,
    };
    assert_eq!(rows.groups, expected.groups);
    assert_eq!(rows.seats, expected.seats);
    assert_eq!(rows.outbox.len(), expected.outbox.len());
    assert_eq!(rows.outbox, expected.outbox);
    assert!(first_groups > 6_553, "{first_groups} groups fit one insert");
    assert_eq!(
        open.len(),
        first_groups.div_ceil(3),
        "every third group of the first round had a thread"
    );
}

#[tokio::test]
async fn a_round_of_3000_members_with_history_seats_every_member_once() {
    const N: u64 = 3_000;
    let (store, _dir) = crate::fresh_store().await;
    let program = first_program(&store, GUILD).await;
    seed_members(&store, &program, N).await;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for k in 0..3 {
        let round = random_pairs(&program, N, &[], week(k), &mut rng);
        store.create_round(&round).await.unwrap().unwrap();
    }
    let plan = rounds::plan_for(&store, &program, week(3), 4)
        .await
        .unwrap();
    let saved = rounds::save_round(
        &store,
        &program,
        &plan,
        Trigger::Manual,
        week(3),
        week(3),
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let seats: Vec<(i64, i64)> = on_backend!(store.pool(), pool => sqlx::query_as(
        "select gm.user_id, count(*) from group_member gm join match_group g using (group_id)
         where g.round_id = $1 group by gm.user_id",
    )
    .bind(saved.round_id.get())
    .fetch_all(pool)
    .await)
    .unwrap();
    let counts: HashMap<i64, i64> = seats.into_iter().collect();
    assert_eq!(counts.len(), N as usize, "every member is seated");
    assert!(counts.values().all(|&c| c == 1), "once each");
    // The round was recorded into the kept history as saved.
    let kept = store.kept_history(program.program_id).unwrap();
    assert_eq!(kept.rounds_recorded(), 4);
}
