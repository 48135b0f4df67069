//! Rounds of a program. Saving one checks its groups again under the write lock: a leave
//! or a do-not-match entry made while the round was being matched stops it, and nothing
//! of it is saved. Numbers, history and matching input are per program; the server's
//! do-not-match lists and this week's groups of its other programs are read by each.

use chrono::Duration;
use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::round::{GroupsChanged, NewRound};
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store, peer_round};

const GUILD: GuildId = GuildId(1);

/// Users `users` join `program` as peers.
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

/// The server's program with four peers in it.
async fn four_peers(store: &Store) -> Program {
    let program = first_program(store, GUILD).await;
    peers(store, &program, 1..=4).await;
    program
}

fn round_of(program: &Program, groups: &[&[u64]]) -> NewRound {
    peer_round(program, at(2, 9), groups)
}

/// Saves a round of `program` made at `when`; it must be saved.
async fn saved(
    store: &Store,
    program: &Program,
    when: chrono::DateTime<chrono::Utc>,
    groups: &[&[u64]],
) -> hallway::domain::round::RoundRecord {
    store
        .create_round(&peer_round(program, when, groups))
        .await
        .unwrap()
        .expect("a manual round is always saved")
}

fn ids(groups: &[&[u64]]) -> Vec<Vec<UserId>> {
    groups
        .iter()
        .map(|g| g.iter().copied().map(UserId).collect())
        .collect()
}

async fn rows(store: &Store, table: &str) -> i64 {
    let sql = format!("select count(*) from {table}");
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(&sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

#[tokio::test]
async fn a_do_not_match_entry_inside_a_group_stops_the_save_and_nothing_is_stored() {
    let (store, _dir) = fresh_store().await;
    let program = four_peers(&store).await;
    // Made after matching read the lists: 4 now avoids 3, whom the round pairs them with.
    store
        .avoid(GUILD, UserId(4), UserId(3), at(2, 8))
        .await
        .unwrap();
    let err = store
        .create_round(&round_of(&program, &[&[1, 2], &[3, 4]]))
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<GroupsChanged>().is_some(), "{err:#}");
    for table in ["round", "match_group", "group_member", "outbox"] {
        assert_eq!(rows(&store, table).await, 0, "{table}");
    }
    // The same entry across two groups is no obstacle.
    assert!(store
        .create_round(&round_of(&program, &[&[1, 3], &[2, 4]]))
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_member_who_left_or_was_forgotten_meanwhile_stops_the_save() {
    let (store, _dir) = fresh_store().await;
    let program = four_peers(&store).await;
    store
        .leave(program.program_id, UserId(2), at(2, 8))
        .await
        .unwrap();
    let err = store
        .create_round(&round_of(&program, &[&[1, 2], &[3, 4]]))
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<GroupsChanged>().is_some(), "{err:#}");
    store
        .forget_member(GUILD, UserId(4), at(2, 8))
        .await
        .unwrap();
    let err = store
        .create_round(&round_of(&program, &[&[1, 3, 4]]))
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<GroupsChanged>().is_some(), "{err:#}");
    assert_eq!(rows(&store, "round").await, 0);
}

#[tokio::test]
async fn a_group_with_someone_only_in_another_program_of_the_server_is_not_saved() {
    let (store, _dir) = fresh_store().await;
    let program = four_peers(&store).await;
    let circles = another_program(&store, GUILD, "Postdoc circles").await;
    peers(&store, &circles, [5]).await;
    let err = store
        .create_round(&round_of(&program, &[&[1, 2], &[3, 5]]))
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<GroupsChanged>().is_some(), "{err:#}");
    assert_eq!(rows(&store, "round").await, 0);
}

#[tokio::test]
async fn the_do_not_match_list_holds_in_every_program_of_the_server() {
    let (store, _dir) = fresh_store().await;
    let faculty = four_peers(&store).await;
    let circles = another_program(&store, GUILD, "Postdoc circles").await;
    peers(&store, &circles, 1..=4).await;
    let elsewhere = first_program(&store, GuildId(2)).await;
    peers(&store, &elsewhere, 1..=4).await;
    store
        .avoid(GUILD, UserId(1), UserId(2), at(1, 10))
        .await
        .unwrap();
    for program in [&faculty, &circles] {
        let input = store
            .matching_input(GUILD, program.program_id, at(2, 9))
            .await
            .unwrap();
        assert_eq!(input.avoid, [(UserId(1), UserId(2))], "{}", program.name);
        let err = store
            .create_round(&round_of(program, &[&[1, 2], &[3, 4]]))
            .await
            .unwrap_err();
        assert!(err.downcast_ref::<GroupsChanged>().is_some(), "{err:#}");
    }
    let theirs = store
        .matching_input(GuildId(2), elsewhere.program_id, at(2, 9))
        .await
        .unwrap();
    assert!(theirs.avoid.is_empty(), "another server's list is its own");
}

#[tokio::test]
async fn round_numbers_last_round_and_past_rounds_are_per_program() {
    let (store, _dir) = fresh_store().await;
    let faculty = four_peers(&store).await;
    let circles = another_program(&store, GUILD, "Postdoc circles").await;
    peers(&store, &circles, [1, 2, 5, 6]).await;
    assert_eq!(store.last_round(faculty.program_id).await.unwrap(), None);

    let f1 = saved(&store, &faculty, at(2, 9), &[&[1, 2], &[3, 4]]).await;
    let c1 = saved(&store, &circles, at(3, 9), &[&[1, 5], &[2, 6]]).await;
    let f2 = saved(&store, &faculty, at(16, 9), &[&[1, 3], &[2, 4]]).await;
    assert_eq!((f1.number, c1.number, f2.number), (1, 1, 2));
    assert_eq!(
        (f1.program_id, c1.program_id),
        (faculty.program_id, circles.program_id)
    );
    assert_eq!(
        store.last_round(faculty.program_id).await.unwrap(),
        Some(f2)
    );
    assert_eq!(
        store.last_round(circles.program_id).await.unwrap(),
        Some(c1.clone())
    );

    let input = store
        .matching_input(GUILD, faculty.program_id, at(23, 9))
        .await
        .unwrap();
    assert_eq!(
        store.past_rounds(faculty.program_id).await.unwrap(),
        [(1, ids(&[&[1, 2], &[3, 4]])), (2, ids(&[&[1, 3], &[2, 4]]))]
    );
    let members: Vec<UserId> = input.members.iter().map(|m| m.user_id).collect();
    assert_eq!(members, [1, 2, 3, 4].map(UserId));
    let input = store
        .matching_input(GUILD, circles.program_id, at(23, 9))
        .await
        .unwrap();
    assert_eq!(
        store.past_rounds(circles.program_id).await.unwrap(),
        [(1, ids(&[&[1, 5], &[2, 6]]))]
    );
    let members: Vec<UserId> = input.members.iter().map(|m| m.user_id).collect();
    assert_eq!(members, [1, 2, 5, 6].map(UserId));
}

#[tokio::test]
async fn met_elsewhere_this_week_holds_the_other_programs_groups_of_the_last_seven_days_only() {
    let (store, _dir) = fresh_store().await;
    let faculty = four_peers(&store).await;
    let circles = another_program(&store, GUILD, "Postdoc circles").await;
    let writing = another_program(&store, GUILD, "Writing group").await;
    peers(&store, &circles, 1..=4).await;
    peers(&store, &writing, 1..=4).await;
    let elsewhere = first_program(&store, GuildId(2)).await;
    peers(&store, &elsewhere, 1..=4).await;
    let round_at = at(20, 9);

    // Too old: eight days, and a minute more than seven, before the round.
    saved(&store, &circles, round_at - Duration::days(8), &[&[1, 2]]).await;
    saved(
        &store,
        &circles,
        round_at - Duration::days(7) - Duration::minutes(1),
        &[&[3, 4]],
    )
    .await;
    // This week, in the server's two other programs.
    saved(
        &store,
        &circles,
        round_at - Duration::days(7) + Duration::minutes(1),
        &[&[1, 3], &[2, 4]],
    )
    .await;
    saved(
        &store,
        &writing,
        round_at - Duration::hours(1),
        &[&[1, 2, 4]],
    )
    .await;
    // The program's own round this week, another server's, and one after the round.
    saved(&store, &faculty, round_at - Duration::days(2), &[&[1, 4]]).await;
    saved(&store, &elsewhere, round_at - Duration::days(1), &[&[2, 3]]).await;
    saved(&store, &writing, round_at + Duration::hours(1), &[&[3, 4]]).await;

    let input = store
        .matching_input(GUILD, faculty.program_id, round_at)
        .await
        .unwrap();
    assert_eq!(
        input.met_elsewhere_this_week,
        ids(&[&[1, 3], &[2, 4], &[1, 2, 4]])
    );
    assert_eq!(
        store.past_rounds(faculty.program_id).await.unwrap(),
        [(1, ids(&[&[1, 4]]))]
    );

    // Seen from circles, faculty's round is elsewhere, and circles' own is not.
    let input = store
        .matching_input(GUILD, circles.program_id, round_at)
        .await
        .unwrap();
    assert_eq!(input.met_elsewhere_this_week, ids(&[&[1, 2, 4], &[1, 4]]));
}
