//! Saving a round checks its groups again under the write lock: a leave or a do-not-match
//! entry made while the round was being matched stops it, and nothing of it is saved.

use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::round::{GroupsChanged, NewRound};
use hallway::storage::Store;

use crate::{at, first_program, fresh_store, peer_round};

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

async fn rows(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(store.pool())
        .await
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
