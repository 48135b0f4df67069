//! The fit check against a real file: the checks a pair's first "We met" queues, the
//! answers (recorded, changed, undone), the soft avoids matching reads, and forget-me.

use chrono::{DateTime, Utc};
use hallway::domain::fit::{Fit, FitRefused};
use hallway::domain::group::OutcomeStatus;
use hallway::domain::ids::{GroupId, GuildId, ProgramId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store, peer_round};

const GUILD: GuildId = GuildId(1_300_000_000_000_000_001);
const ADA: UserId = UserId(11);
const BEN: UserId = UserId(22);
const CY: UserId = UserId(33);

async fn join_all(store: &Store, program: &Program, users: &[UserId]) {
    for user in users {
        store
            .join(
                program,
                *user,
                &format!("user {user}"),
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
}

/// A round of `program` at `day` with `groups`; the id of each group, in order.
async fn round(store: &Store, program: &Program, day: u32, groups: &[&[u64]]) -> Vec<GroupId> {
    let round = store
        .create_round(&peer_round(program, at(day, 9), groups))
        .await
        .unwrap()
        .unwrap();
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select group_id from match_group where round_id = $1 order by position",
    )
    .bind(round.round_id.0)
    .fetch_all(pool)
    .await
    .unwrap())
}

async fn met(store: &Store, group: GroupId, user: UserId, day: u32) {
    store
        .record_outcome(GUILD, group, user, OutcomeStatus::Met, at(day, 12))
        .await
        .unwrap();
}

/// The fit checks queued: (key, group, user asked, due at, program).
async fn fit_checks(store: &Store) -> Vec<(String, i64, i64, DateTime<Utc>, i64)> {
    hallway::on_backend!(store.pool(), pool => sqlx::query_as(
        "select key, group_id, user_id, due_at, program_id from outbox
         where kind = 'fit-check' order by outbox_id",
    )
    .fetch_all(pool)
    .await
    .unwrap())
}

#[tokio::test]
async fn a_pairs_first_we_met_queues_one_fit_check_each_and_no_later_we_met_queues_another() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    join_all(&store, &program, &[ADA, BEN, CY]).await;
    let first = round(&store, &program, 2, &[&[11, 22]]).await[0];
    store
        .record_outcome(GUILD, first, ADA, OutcomeStatus::NotYet, at(2, 10))
        .await
        .unwrap();
    assert!(
        fit_checks(&store).await.is_empty(),
        "not yet is not a meeting"
    );
    met(&store, first, ADA, 2).await;
    let p = program.program_id.0;
    let checks = fit_checks(&store).await;
    assert_eq!(
        checks
            .iter()
            .map(|(key, group, user, _, program)| (key.as_str(), *group, *user, *program))
            .collect::<Vec<_>>(),
        [
            (format!("fit-check:{p}:11:22:11").as_str(), first.0, 11, p),
            (format!("fit-check:{p}:11:22:22").as_str(), first.0, 22, p),
        ]
    );
    let due: Vec<DateTime<Utc>> = checks.iter().map(|c| c.3).collect();
    let recorded_at: DateTime<Utc> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select recorded_at from outcome where user_id = 11",
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(due, [recorded_at; 2], "due at once");

    // A second click, the other member's, and the same pair met again in a later round.
    met(&store, first, ADA, 3).await;
    met(&store, first, BEN, 3).await;
    let again = round(&store, &program, 9, &[&[22, 11]]).await[0];
    met(&store, again, BEN, 9).await;
    assert_eq!(fit_checks(&store).await.len(), 2, "one pair is asked once");

    // A circle of three is never asked; a new pair is.
    let trio = round(&store, &program, 16, &[&[11, 22, 33]]).await[0];
    met(&store, trio, CY, 16).await;
    assert_eq!(
        fit_checks(&store).await.len(),
        2,
        "circles get no fit check"
    );
    let pair = round(&store, &program, 23, &[&[33, 11]]).await[0];
    met(&store, pair, CY, 23).await;
    let keys: Vec<String> = fit_checks(&store).await.into_iter().map(|c| c.0).collect();
    assert_eq!(keys.len(), 4);
    assert!(
        keys.contains(&format!("fit-check:{p}:11:33:33")),
        "{keys:?}"
    );

    // The same pair in another program is asked there too.
    let other = another_program(&store, GUILD, "Second").await;
    join_all(&store, &other, &[ADA, BEN]).await;
    let elsewhere = round(&store, &other, 24, &[&[11, 22]]).await[0];
    met(&store, elsewhere, ADA, 24).await;
    assert_eq!(fit_checks(&store).await.len(), 6);
}

#[tokio::test]
async fn an_answer_is_recorded_changed_and_undone_and_only_the_member_asked_can_give_it() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    join_all(&store, &program, &[ADA, BEN, CY]).await;
    let group = round(&store, &program, 2, &[&[11, 22]]).await[0];
    // Nobody was asked before anyone said they met.
    assert_eq!(
        store
            .record_fit(GUILD, group, ADA, Fit::NotAFit, at(2, 11))
            .await
            .unwrap(),
        Err(FitRefused::NotAsked)
    );
    met(&store, group, BEN, 2).await;
    assert_eq!(
        store
            .record_fit(GUILD, group, CY, Fit::NotAFit, at(2, 13))
            .await
            .unwrap(),
        Err(FitRefused::NotAsked),
        "a stranger"
    );
    let answer = store
        .record_fit(GUILD, group, ADA, Fit::NotAFit, at(2, 13))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((answer.partner_id, answer.avoiding), (BEN, true));
    assert_eq!(answer.program_id, program.program_id);
    assert_eq!(
        store.fit_soft_avoids(program.program_id).await.unwrap(),
        [(ADA, BEN)]
    );
    assert_eq!(
        store
            .not_a_fit_partners(GUILD, program.program_id, ADA)
            .await
            .unwrap(),
        [(BEN, Some("user 22".to_string()))]
    );
    assert!(
        store
            .not_a_fit_partners(GUILD, program.program_id, BEN)
            .await
            .unwrap()
            .is_empty(),
        "Ben never sees Ada's answer"
    );

    // The last answer counts.
    store
        .record_fit(GUILD, group, ADA, Fit::Good, at(2, 14))
        .await
        .unwrap()
        .unwrap();
    assert!(store
        .fit_soft_avoids(program.program_id)
        .await
        .unwrap()
        .is_empty());
    store
        .record_fit(GUILD, group, ADA, Fit::NotAFit, at(2, 15))
        .await
        .unwrap()
        .unwrap();
    let rows: Vec<(String, bool)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select fit, avoiding from fit_answer")
        .fetch_all(pool)
        .await
        .unwrap());
    assert_eq!(
        rows,
        [("not-a-fit".to_string(), true)],
        "one row per member and group"
    );

    // Undo: only the clicker's own rows change; ids that are not theirs do nothing.
    assert_eq!(
        store
            .stop_avoiding(GUILD, program.program_id, BEN, &[ADA])
            .await
            .unwrap(),
        0,
        "Ben cannot undo Ada's answer"
    );
    assert_eq!(
        store
            .stop_avoiding(GUILD, ProgramId(program.program_id.0 + 1), ADA, &[BEN])
            .await
            .unwrap(),
        0,
        "another program's menu"
    );
    assert_eq!(
        store
            .stop_avoiding(GUILD, program.program_id, ADA, &[BEN, CY, UserId(999)])
            .await
            .unwrap(),
        1
    );
    assert!(store
        .fit_soft_avoids(program.program_id)
        .await
        .unwrap()
        .is_empty());
    let rows: Vec<(String, bool)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select fit, avoiding from fit_answer")
        .fetch_all(pool)
        .await
        .unwrap());
    assert_eq!(
        rows,
        [("not-a-fit".to_string(), false)],
        "the answer stays recorded for stats"
    );
    assert_eq!(
        store
            .fit_answer(GUILD, group, ADA)
            .await
            .unwrap()
            .map(|a| a.fit),
        Some(Fit::NotAFit)
    );
    assert!(store
        .not_a_fit_partners(GUILD, program.program_id, ADA)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_soft_avoids_matching_reads_are_the_programs_own_and_both_ways_round() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    let other = another_program(&store, GUILD, "Second").await;
    join_all(&store, &program, &[ADA, BEN, CY]).await;
    join_all(&store, &other, &[ADA, BEN]).await;
    let groups = round(&store, &program, 2, &[&[11, 22], &[33, 11]]).await;
    let theirs = round(&store, &other, 3, &[&[11, 22]]).await[0];
    for group in &groups {
        met(&store, *group, ADA, 3).await;
    }
    met(&store, theirs, BEN, 3).await;
    for (group, user) in [(groups[0], BEN), (groups[1], CY)] {
        store
            .record_fit(GUILD, group, user, Fit::NotAFit, at(3, 14))
            .await
            .unwrap()
            .unwrap();
    }
    store
        .record_fit(GUILD, groups[1], ADA, Fit::Good, at(3, 14))
        .await
        .unwrap()
        .unwrap();
    store
        .record_fit(GUILD, theirs, ADA, Fit::Good, at(3, 14))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.fit_soft_avoids(program.program_id).await.unwrap(),
        [(BEN, ADA), (CY, ADA)]
    );
    assert!(
        store
            .fit_soft_avoids(other.program_id)
            .await
            .unwrap()
            .is_empty(),
        "a pair kept apart in one program may meet in another"
    );
}

#[tokio::test]
async fn forget_me_deletes_every_fit_answer_by_or_about_the_member_and_every_fit_check_naming_them()
{
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    join_all(&store, &program, &[ADA, BEN, CY]).await;
    let with_ben = round(&store, &program, 2, &[&[11, 22]]).await[0];
    let ben_and_cy = round(&store, &program, 3, &[&[33, 22]]).await[0];
    let with_cy = round(&store, &program, 9, &[&[11, 33]]).await[0];
    for (group, user) in [(with_ben, ADA), (ben_and_cy, CY), (with_cy, CY)] {
        met(&store, group, user, 9).await;
    }
    // Every check went out but Ada's own.
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "update outbox set state = 'done', channel_id = 800 + user_id, message_id = 7000 + outbox_id
         where kind = 'fit-check' and user_id in (22, 33)",
    )
    .execute(pool)
    .await
    .map(|_| ())
    .unwrap());
    for (group, user, fit) in [
        (with_ben, ADA, Fit::NotAFit),
        (with_ben, BEN, Fit::NotAFit),
        (with_cy, CY, Fit::Good),
        (ben_and_cy, BEN, Fit::NotAFit),
    ] {
        store
            .record_fit(GUILD, group, user, fit, at(9, 14))
            .await
            .unwrap()
            .unwrap();
    }
    let p = program.program_id.0;
    // Ben's check about Ada and Cy's: their DMs name her.
    let naming_ada: Vec<i64> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select message_id from outbox where key in ($1, $2) order by outbox_id",
    )
    .bind(format!("fit-check:{p}:11:22:22"))
    .bind(format!("fit-check:{p}:11:33:33"))
    .fetch_all(pool)
    .await
    .unwrap());
    assert_eq!(naming_ada.len(), 2);

    store.forget_member(GUILD, ADA, at(10, 9)).await.unwrap();

    let answers: Vec<(i64, i64)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select user_id, partner_id from fit_answer order by user_id")
            .fetch_all(pool)
            .await
            .unwrap());
    assert_eq!(answers, [(22, 33)], "only Ben's answer about Cy is left");
    let keys: Vec<String> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select key from outbox where kind = 'fit-check'")
        .fetch_all(pool)
        .await
        .unwrap());
    assert_eq!(
        keys,
        [
            format!("fit-check:{p}:22:33:22"),
            format!("fit-check:{p}:22:33:33")
        ],
        "the checks of the pair without Ada stay"
    );
    // The DMs that named Ada are deleted from Discord.
    let deletions: Vec<String> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select key from outbox where kind = 'delete-message' order by key")
            .fetch_all(pool)
            .await
            .unwrap());
    for message in &naming_ada {
        assert!(
            deletions.contains(&format!("delete-message:{message}")),
            "{message} in {deletions:?}"
        );
    }
    // Cy's check about Ben did not name Ada: it stays in Discord.
    let about_ben: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select message_id from outbox where key = $1",
    )
    .bind(format!("fit-check:{p}:22:33:33"))
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(!deletions.contains(&format!("delete-message:{about_ben}")));
    // Ben, left alone in his pair with Ada, is told she is gone when he clicks his
    // check's buttons (still in his DMs until their deletion goes out).
    assert_eq!(
        store
            .record_fit(GUILD, with_ben, BEN, Fit::Good, at(10, 10))
            .await
            .unwrap(),
        Err(FitRefused::PartnerGone)
    );
}
