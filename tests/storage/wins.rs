//! The queries behind the limits on `/win`: what they count, and that a refused win
//! stores nothing.

use chrono::Duration;
use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::limits::{WinActivity, WinLimits, WinRefusal};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::wins::{NewWin, WinKind};
use hallway::storage::Store;

use crate::{another_program, at, first_program, fresh_store};

const OFF: WinLimits = WinLimits {
    member_cooldown: Duration::zero(),
    server_per_hour: 0,
};

fn a_win(program: &Program, user_id: u64) -> NewWin<'static> {
    NewWin {
        guild_id: program.guild_id,
        program_id: program.program_id,
        user_id: UserId(user_id),
        kind: WinKind::Grant,
        description: "A grant",
        link: None,
        detail: "{}",
    }
}

async fn post(
    store: &Store,
    guild: u64,
    user: u64,
    limits: &WinLimits,
    when: chrono::DateTime<chrono::Utc>,
) -> Result<i64, WinRefusal> {
    // Only members of the program post wins; joining again changes nothing.
    let program = first_program(store, GuildId(guild)).await;
    store
        .join(
            &program,
            UserId(user),
            "a member",
            &ProfileChange::role(Role::Peer),
            at(1, 9),
        )
        .await
        .unwrap();
    store
        .record_win(&a_win(&program, user), limits, when)
        .await
        .unwrap()
}

#[tokio::test]
async fn win_activity_counts_only_this_server_newest_first_and_this_members_last() {
    let (store, _dir) = fresh_store().await;
    post(&store, 9, 1, &OFF, at(2, 9)).await.unwrap();
    post(&store, 9, 2, &OFF, at(2, 11)).await.unwrap();
    post(&store, 9, 1, &OFF, at(2, 10)).await.unwrap();
    // Another server's wins, later than all of these, count for nothing here.
    post(&store, 8, 1, &OFF, at(3, 9)).await.unwrap();

    let activity = store.win_activity(GuildId(9), UserId(1), 2).await.unwrap();
    assert_eq!(
        activity,
        WinActivity {
            member_last: Some(at(2, 10)),
            server_recent: vec![at(2, 11), at(2, 10)],
        }
    );
    let nobody = store.win_activity(GuildId(9), UserId(3), 5).await.unwrap();
    assert_eq!(nobody.member_last, None);
    assert_eq!(nobody.server_recent, vec![at(2, 11), at(2, 10), at(2, 9)]);
    assert_eq!(
        store.win_activity(GuildId(7), UserId(1), 5).await.unwrap(),
        WinActivity::default()
    );
}

#[tokio::test]
async fn a_win_the_limits_refuse_stores_no_win_and_queues_no_post() {
    let (store, _dir) = fresh_store().await;
    let limits = WinLimits {
        member_cooldown: Duration::minutes(10),
        server_per_hour: 2,
    };
    post(&store, 9, 1, &limits, at(2, 9)).await.unwrap();
    let again = at(2, 9) + Duration::minutes(4);
    assert_eq!(
        post(&store, 9, 1, &limits, again).await,
        Err(WinRefusal::MemberCooldown {
            until: at(2, 9) + Duration::minutes(10)
        })
    );
    post(&store, 9, 2, &limits, again).await.unwrap();
    assert_eq!(
        post(&store, 9, 3, &limits, again).await,
        Err(WinRefusal::ServerCeiling { until: at(2, 10) })
    );
    // Another server has its own ceiling.
    post(&store, 8, 3, &limits, again).await.unwrap();
    let stored: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select count(*) from win where guild_id = 9")
        .fetch_one(pool)
        .await)
        .unwrap();
    let queued: i64 = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_scalar("select count(*) from outbox where guild_id = 9 and key like 'win:%'")
            .fetch_one(pool)
            .await)
    .unwrap();
    assert_eq!((stored, queued), (2, 2));
    // An hour after the first win, the ceiling lets the next one through.
    post(&store, 9, 3, &limits, at(2, 10)).await.unwrap();
}

#[tokio::test]
async fn a_win_from_someone_not_in_the_program_is_refused_in_the_saving_transaction() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(9)).await;
    let never_joined = store
        .record_win(&a_win(&program, 5), &OFF, at(2, 9))
        .await
        .unwrap();
    assert_eq!(never_joined, Err(WinRefusal::NotAMember));
    post(&store, 9, 6, &OFF, at(2, 9)).await.unwrap();
    store
        .leave(program.program_id, UserId(6), at(2, 10))
        .await
        .unwrap();
    let left = store
        .record_win(&a_win(&program, 6), &OFF, at(2, 11))
        .await
        .unwrap();
    assert_eq!(left, Err(WinRefusal::Left));
    let stored: i64 =
        hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select count(*) from win")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(stored, 1, "only the win posted while a member");
}

#[tokio::test]
async fn a_win_is_saved_in_its_program_and_refused_for_a_program_the_member_is_not_in() {
    let (store, _dir) = fresh_store().await;
    post(&store, 9, 1, &OFF, at(2, 9)).await.unwrap();
    let first = first_program(&store, GuildId(9)).await.program_id;
    let circles = another_program(&store, GuildId(9), "Postdoc circles").await;
    assert_eq!(
        store
            .record_win(&a_win(&circles, 1), &OFF, at(2, 10))
            .await
            .unwrap(),
        Err(WinRefusal::NotAMember)
    );
    let saved: Vec<(i64, i64)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as(
        "select w.program_id, o.program_id from win w
         join outbox o on o.key = 'win:' || cast(w.win_id as text)",
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(saved, [(first.0, first.0)], "the win and its post");
}
