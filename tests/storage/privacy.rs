//! Forget-me against a real file: the member's rows go, in every program of the server.

use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store};

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

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

#[tokio::test]
async fn forget_member_removes_their_place_and_interests_in_every_program_of_the_server_only() {
    let (store, _dir) = fresh_store().await;
    let faculty = first_program(&store, GuildId(9)).await;
    let circles = another_program(&store, GuildId(9), "Postdoc circles").await;
    let elsewhere = first_program(&store, GuildId(8)).await;
    for program in [&faculty, &circles, &elsewhere] {
        for user in [1, 2] {
            store
                .join(
                    program,
                    UserId(user),
                    "x",
                    &ProfileChange::role(Role::Peer),
                    at(2, 9),
                )
                .await
                .unwrap();
        }
        // The interests feature has its own store API; plain inserts keep this test
        // independent of it. One tag per program, picked by both members.
        let interest: i64 = sqlx::query_scalar(
            "insert into interest (program_id, guild_id, name, created_at)
             values (?, ?, 'grant writing', ?) returning interest_id",
        )
        .bind(program.program_id.0)
        .bind(program.guild_id.0 as i64)
        .bind(at(2, 9))
        .fetch_one(store.pool())
        .await
        .unwrap();
        for user in [1, 2] {
            sqlx::query(
                "insert into member_interest (program_id, user_id, interest_id, guild_id)
                 values (?, ?, ?, ?)",
            )
            .bind(program.program_id.0)
            .bind(user)
            .bind(interest)
            .bind(program.guild_id.0 as i64)
            .execute(store.pool())
            .await
            .unwrap();
        }
    }
    // One program left already: its row goes too.
    store
        .leave(circles.program_id, UserId(1), at(3, 9))
        .await
        .unwrap();

    store
        .forget_member(GuildId(9), UserId(1), at(4, 9))
        .await
        .unwrap();

    for program in [&faculty, &circles] {
        assert!(store
            .member(program.program_id, UserId(1))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .member(program.program_id, UserId(2))
            .await
            .unwrap()
            .is_some());
    }
    assert!(store
        .memberships(GuildId(9), UserId(1))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        count(
            &store,
            "select count(*) from program_member where guild_id = 9 and user_id = 1"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &store,
            "select count(*) from member_interest where guild_id = 9 and user_id = 1"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &store,
            "select count(*) from member_interest where guild_id = 9 and user_id = 2"
        )
        .await,
        2,
        "the other member keeps their picks in both programs"
    );
    assert_eq!(
        count(&store, "select count(*) from interest where guild_id = 9").await,
        2,
        "the programs keep their tags"
    );
    // The same person in another server is untouched.
    assert!(store
        .member(elsewhere.program_id, UserId(1))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        count(
            &store,
            "select count(*) from member_interest where guild_id = 8 and user_id = 1"
        )
        .await,
        1
    );
}
