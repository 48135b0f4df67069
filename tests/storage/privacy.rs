//! Forget-me against a real file: the member's rows go, in every program of the server.

use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;

use crate::{at, first_program, fresh_store};

#[tokio::test]
async fn forget_member_removes_the_member_and_their_avoid_entries_both_ways() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(9)).await;
    for user in [1, 2, 3] {
        store
            .join(
                &program,
                UserId(user),
                "x",
                &ProfileChange::role(Role::Peer),
                at(2, 9),
            )
            .await
            .unwrap();
    }
    store
        .avoid(GuildId(9), UserId(1), UserId(2), at(2, 9))
        .await
        .unwrap();
    store
        .avoid(GuildId(9), UserId(3), UserId(1), at(2, 9))
        .await
        .unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.forget_member(GuildId(9), UserId(1), at(3, 9)),
    )
    .await
    .expect("forget-me must not hang")
    .unwrap();
    assert!(store
        .member(program.program_id, UserId(1))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .avoid_list(GuildId(9), UserId(3))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .member(program.program_id, UserId(2))
        .await
        .unwrap()
        .is_some());
}
