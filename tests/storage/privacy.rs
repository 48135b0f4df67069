//! Forget-me against a real database (either backend): the member's rows go, in every program of the server.

use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::on_backend;
use hallway::storage::{Backend, Store};

use crate::{another_program, at, first_program, fresh_store};

async fn count(store: &Store, sql: &str) -> i64 {
    on_backend!(store.pool(), pool => sqlx::query_scalar(sql).fetch_one(pool).await).unwrap()
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
        let interest: i64 = on_backend!(store.pool(), pool => sqlx::query_scalar(
            "insert into interest (program_id, guild_id, name, created_at)
             values ($1, $2, 'grant writing', $3) returning interest_id",
        )
        .bind(program.program_id.0)
        .bind(program.guild_id.0 as i64)
        .bind(at(2, 9))
        .fetch_one(pool)
        .await)
        .unwrap();
        for user in [1i64, 2] {
            on_backend!(store.pool(), pool => sqlx::query(
                "insert into member_interest (program_id, user_id, interest_id, guild_id)
                 values ($1, $2, $3, $4)",
            )
            .bind(program.program_id.0)
            .bind(user)
            .bind(interest)
            .bind(program.guild_id.0 as i64)
            .execute(pool)
            .await
            .map(|_| ()))
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

#[tokio::test]
async fn forget_member_leaves_no_value_naming_them_in_any_table_with_their_picks_booking_posts_fit_and_survey_answers(
) {
    use chrono::TimeZone;
    use hallway::domain::booking::SlotFit;
    use hallway::domain::ids::{ChannelId, MessageId};
    use hallway::domain::outbox::OutboxKind;
    use hallway::domain::slots::SlotOffer;
    use hallway::domain::survey::Answer;
    use sqlx::{Column as _, Row as _, ValueRef as _};

    const GUILD: GuildId = GuildId(1_200_000_000_000_000_001);
    let (me, other) = (
        UserId(1_300_000_000_000_000_011),
        UserId(1_300_000_000_000_000_012),
    );
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    for user in [me, other] {
        store
            .join(
                &program,
                user,
                "x",
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
    store
        .create_round(&crate::peer_round(&program, at(2, 9), &[&[me.0, other.0]]))
        .await
        .unwrap()
        .unwrap();
    // The group was told by DM, so its booking posts are addressed to each of us.
    let due = store.due_outbox(at(2, 9), 100, 100).await.unwrap();
    let intro = due.iter().find(|r| r.kind == OutboxKind::Intro).unwrap();
    let group = intro.group_id.unwrap();
    store
        .fall_back_to_dms(intro, &[me, other], "no threads", false, at(2, 9))
        .await
        .unwrap();
    let dms = store.due_outbox(at(2, 9), 100, 100).await.unwrap();
    for (n, dm) in dms
        .iter()
        .filter(|r| r.kind == OutboxKind::DmIntro)
        .enumerate()
    {
        let posted = (
            ChannelId(1_500_000_000_000_000_100 + n as u64),
            MessageId(1_500_000_000_000_000_200 + n as u64),
        );
        store
            .complete_outbox(dm, Some(posted), at(2, 9))
            .await
            .unwrap();
    }
    let slot = |hour| {
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, hour, 0, 0)
            .unwrap()
    };
    let offer = |hours: &[u32]| SlotOffer {
        slots: hours.iter().map(|h| slot(*h)).collect(),
        fit: SlotFit::WorkingDay,
    };
    store
        .offer_first_slots(GUILD, group, &offer(&[9, 14]), at(2, 10))
        .await
        .unwrap();
    for user in [me, other] {
        store
            .pick_slots(GUILD, group, user, 0, &[slot(9)], at(2, 10))
            .await
            .unwrap();
    }
    store
        .reschedule(GUILD, group, other, &offer(&[10, 15]), at(2, 11))
        .await
        .unwrap()
        .unwrap();
    // My picks from both batches, and a pending "Rescheduled" DM to me (the other member
    // asked for it, and saw the new times where they clicked).
    store
        .pick_slots(GUILD, group, me, 1, &[slot(10), slot(15)], at(2, 12))
        .await
        .unwrap();
    let mine = format!(
        "select count(*) from slot_pick where user_id = {}",
        me.0 as i64
    );
    assert_eq!(count(&store, &mine).await, 3);
    // Our fit answers about each other: mine names you as my partner, yours names me.
    for (user, partner, fit) in [(me, other, "not-a-fit"), (other, me, "good")] {
        on_backend!(store.pool(), pool => sqlx::query(
            "insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit,
                                     avoiding, answered_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(group.0)
        .bind(GUILD.0 as i64)
        .bind(program.program_id.0)
        .bind(user.0 as i64)
        .bind(partner.0 as i64)
        .bind(fit)
        .bind(fit == "not-a-fit")
        .bind(at(2, 13))
        .execute(pool)
        .await
        .map(|_| ()))
        .unwrap();
    }
    // A survey we were both invited to (its invitation DMs delivered), and both answered.
    let survey = store
        .start_survey(GUILD, program.program_id, at(2, 13))
        .await
        .unwrap()
        .unwrap()
        .survey_id;
    let invitations: Vec<_> = store
        .due_outbox(at(2, 13), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == OutboxKind::SurveyInvite)
        .collect();
    assert_eq!(invitations.len(), 2);
    for (n, row) in invitations.iter().enumerate() {
        let posted = (
            ChannelId(1_500_000_000_000_000_300 + n as u64),
            MessageId(1_500_000_000_000_000_400 + n as u64),
        );
        store
            .complete_outbox(row, Some(posted), at(2, 13))
            .await
            .unwrap();
    }
    for user in [me, other] {
        for (position, answer) in [
            (1, Answer::Score(4)),
            (5, Answer::Text(format!("Ask {user} about grants"))),
        ] {
            assert!(store
                .save_survey_answer(survey, user, position, &answer, at(2, 14))
                .await
                .unwrap());
        }
    }

    store.forget_member(GUILD, me, at(3, 9)).await.unwrap();

    // Every table, every column: no value is my id, and no text contains it. (My fit
    // answers and yours about me go with me, as do my survey invitation, its posts and
    // every answer under my respondent key.)
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
    assert!(tables.iter().any(|t| t == "slot_pick"));
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
                        assert_ne!(value, me.0 as i64, "{table}.{} holds my id", column.name());
                    }
                    if let Ok(text) = row.try_get::<String, _>(column.ordinal()) {
                        assert!(
                            !text.contains(&me.to_string()),
                            "{table}.{} still names me: {text}",
                            column.name()
                        );
                    }
                }
            }
        });
    }
    // The other member keeps their picks, and the group its batches. My "Rescheduled" DM
    // went with me (the other member asked for the new times, so none was queued to them).
    let theirs = format!(
        "select count(*) from slot_pick where user_id = {}",
        other.0 as i64
    );
    assert_eq!(count(&store, &theirs).await, 1);
    assert_eq!(
        count(
            &store,
            "select count(*) from outbox where kind = 'rescheduled' and state = 'pending'"
        )
        .await,
        0
    );
    assert_eq!(count(&store, "select count(*) from slot_batch").await, 2);
    // The other member's survey answers and invitation stay, under their own key.
    assert_eq!(count(&store, "select count(*) from survey_answer").await, 2);
    assert_eq!(count(&store, "select count(*) from survey_invite").await, 1);
}
