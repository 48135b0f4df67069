use hallway::domain::profile::Role;
use hallway::storage::ProfileChange;

use crate::{at, fresh_store};

#[tokio::test]
async fn forget_member_removes_the_member_and_their_avoid_entries_both_ways() {
    let (store, _dir) = fresh_store().await;
    for user in [1, 2, 3] {
        store
            .join(9, user, "x", &ProfileChange::role(Role::Peer), at(2, 9))
            .await
            .unwrap();
    }
    store.avoid(9, 1, 2, at(2, 9)).await.unwrap();
    store.avoid(9, 3, 1, at(2, 9)).await.unwrap();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.forget_member(9, 1, at(3, 9)),
    )
    .await
    .expect("forget-me must not hang")
    .unwrap();
    assert!(store.member(9, 1).await.unwrap().is_none());
    assert!(store.avoid_list(9, 3).await.unwrap().is_empty());
    assert!(store.member(9, 2).await.unwrap().is_some());
}
