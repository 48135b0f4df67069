//! A program's interest tags and members' picks, on a real database file.

use hallway::domain::ids::{GuildId, InterestId, UserId};
use hallway::domain::interests::TagRefusal;
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;

use crate::{another_program, at, first_program, fresh_store};

const GUILD: GuildId = GuildId(1);
const ADA: UserId = UserId(11);

#[tokio::test]
async fn tags_are_unique_per_program_whatever_the_case_and_at_most_25() {
    let (store, _dir) = fresh_store().await;
    let first = first_program(&store, GUILD).await;
    let other = another_program(&store, GUILD, "Postdoc circles").await;
    let grant = store
        .add_interest(GUILD, first.program_id, "grant writing", at(1, 9))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .add_interest(GUILD, first.program_id, "Grant Writing", at(1, 9))
            .await
            .unwrap(),
        Err(TagRefusal::Taken)
    );
    assert!(
        store
            .add_interest(GUILD, other.program_id, "grant writing", at(1, 9))
            .await
            .unwrap()
            .is_ok(),
        "another program may have the same tag"
    );
    for n in 2..=25 {
        store
            .add_interest(GUILD, first.program_id, &format!("topic {n}"), at(1, 9))
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        store
            .add_interest(GUILD, first.program_id, "one more", at(1, 9))
            .await
            .unwrap(),
        Err(TagRefusal::Full)
    );
    let tags = store.interests(first.program_id).await.unwrap();
    assert_eq!(tags.len(), 25);
    assert_eq!(
        tags[0], grant,
        "oldest first: the order of the engine's bits"
    );
}

#[tokio::test]
async fn picks_are_replaced_whole_and_refused_for_outsiders_foreign_tags_and_more_than_five() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    let other = another_program(&store, GUILD, "Postdoc circles").await;
    let mut ids = Vec::new();
    for n in 1..=6 {
        let tag = store
            .add_interest(GUILD, program.program_id, &format!("t{n}"), at(1, 9))
            .await
            .unwrap()
            .unwrap();
        ids.push(tag.interest_id);
    }
    let foreign = store
        .add_interest(GUILD, other.program_id, "elsewhere", at(1, 9))
        .await
        .unwrap()
        .unwrap();
    let set = |picks: Vec<InterestId>| {
        let store = store.clone();
        async move {
            store
                .set_member_interests(GUILD, program.program_id, ADA, &picks)
                .await
        }
    };
    assert!(!set(vec![ids[0]]).await.unwrap(), "not a member yet");
    store
        .join(
            &program,
            ADA,
            "Ada",
            &ProfileChange::role(Role::Peer),
            at(1, 9),
        )
        .await
        .unwrap();
    assert!(set(vec![ids[0], ids[1], ids[1]]).await.unwrap());
    assert_eq!(
        store
            .member_interests(program.program_id, ADA)
            .await
            .unwrap(),
        [ids[0], ids[1]]
    );
    assert!(set(ids.clone()).await.is_err(), "six picks");
    assert!(
        !set(vec![ids[2], foreign.interest_id]).await.unwrap(),
        "another program's tag"
    );
    assert_eq!(
        store
            .member_interests(program.program_id, ADA)
            .await
            .unwrap(),
        [ids[0], ids[1]],
        "a refused pick changes nothing"
    );
    assert!(set(vec![ids[5]]).await.unwrap());
    assert_eq!(
        store
            .member_interests(program.program_id, ADA)
            .await
            .unwrap(),
        [ids[5]],
        "the picks are replaced whole"
    );
    assert_eq!(
        store
            .remove_interest(program.program_id, "T6")
            .await
            .unwrap()
            .as_deref(),
        Some("t6")
    );
    assert!(store
        .member_interests(program.program_id, ADA)
        .await
        .unwrap()
        .is_empty());
    let input = store
        .matching_input(GUILD, program.program_id, at(2, 9))
        .await
        .unwrap();
    assert_eq!(input.interests.len(), 5);
    assert!(input.picks.is_empty());
}
