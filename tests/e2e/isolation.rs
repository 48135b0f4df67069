//! One server's trouble never holds up another's: rows that hang, rows Discord refuses,
//! and rows that can never succeed are handled on their own while a second server's
//! round goes out.

use std::time::Duration;

use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, run, wait_for_count, WAIT,
};
use crate::helpers::{execute_script, query};
use crate::rounds::{join, match_now, member, set_up_program, start_with, summary};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeChannel, FakeConfig, FakeGuild, FakeMember};
use crate::support::failures::FailRule;
use hallway::storage::Backend;

const GUILD_B: u64 = 1_210_000_000_000_000_001;
const OWNER_B: u64 = 1_310_000_000_000_000_001;
const GENERAL_B: u64 = 1_210_000_000_000_000_101;
const PROGRAM_B: u64 = 1_210_000_000_000_000_102;
const MEMBERS: usize = 8;

fn member_b(n: usize) -> u64 {
    1_410_000_000_000_000_000 + n as u64
}

/// The default server with `MEMBERS` members, and a second one with as many.
async fn two_servers() -> TestEnv {
    let mut second = FakeGuild::new(GUILD_B, "Second Lab", OWNER_B)
        .with_channel(FakeChannel::text(GENERAL_B, "general"))
        .with_channel(FakeChannel::text(PROGRAM_B, "program"))
        .with_member(FakeMember::new(OWNER_B, "owner-b"));
    for n in 1..=MEMBERS {
        second = second.with_member(FakeMember::new(member_b(n), &format!("b-member{n}")));
    }
    let env = start_with(
        FakeConfig::default()
            .with_generated_members(MEMBERS)
            .with_guild(second),
    )
    .await;
    set_up_program(&env).await;
    for n in 1..=MEMBERS {
        join(&env, member(n), choice::PEER).await;
    }
    let reply = run(
        &env,
        in_b(admin("setup").channel_opt("channel", PROGRAM_B)).by(OWNER_B),
    )
    .await;
    assert_private(&reply, &["Saved."]);
    for n in 1..=MEMBERS {
        let reply = run(
            &env,
            in_b(hallway("join").opt("role", choice::PEER)).by(member_b(n)),
        )
        .await;
        assert!(reply.content.contains("Role:"), "{}", reply.content);
    }
    env
}

fn in_b(
    invocation: crate::support::interactions::SlashInvocation,
) -> crate::support::interactions::SlashInvocation {
    invocation.in_guild(GUILD_B).in_channel(GENERAL_B)
}

async fn round_in_b(env: &TestEnv) {
    let reply = run(env, in_b(admin("match-now")).by(OWNER_B)).await;
    assert!(
        reply.content.contains("Round 1 is matched"),
        "{}",
        reply.content
    );
}

async fn summary_in_b(env: &TestEnv) -> String {
    env.fake
        .wait_for_message(PROGRAM_B, |m| m.content.contains("**Round 1**"), WAIT)
        .await
        .content
}

#[tokio::test]
async fn a_server_whose_requests_hang_does_not_hold_up_another_servers_round() {
    let env = two_servers().await;
    // Every thread creation in the first server hangs for 20 s (the courier gives up
    // after 30): its rows keep their slots busy all through the second server's round.
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/threads", ids::MENTORING))
            .times(100)
            .delay(Duration::from_secs(20)),
    );
    match_now(&env).await;
    round_in_b(&env).await;
    let text = summary_in_b(&env).await;
    assert!(text.contains("4 chats this round, 8 people"), "{text}");
    // The second server is fully delivered while the first still has no intro out.
    let pool = db(&env).await;
    let first_pending = count(
        &pool,
        &format!("select count(*) from outbox where guild_id = {} and kind = 'intro' and state = 'pending'", ids::GUILD as i64),
    )
    .await;
    assert_eq!(first_pending, 4);
    let second_done = count(
        &pool,
        &format!(
            "select count(*) from outbox where guild_id = {} and kind = 'intro' and state = 'done'",
            GUILD_B as i64
        ),
    )
    .await;
    assert_eq!(second_done, 4);
}

#[tokio::test]
async fn a_server_whose_channel_refuses_with_403_does_not_slow_another_and_is_asked_only_a_few_times(
) {
    let env = two_servers().await;
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/threads", ids::MENTORING))
            .times(100)
            .missing_permissions(),
    );
    match_now(&env).await;
    round_in_b(&env).await;
    let second = summary_in_b(&env).await;
    assert!(second.contains("4 chats this round, 8 people"), "{second}");
    assert!(!second.contains("DM"), "{second}");
    let first = summary(&env, 1).await;
    assert!(
        first.content.contains("4 group(s) were told by DM"),
        "{}",
        first.content
    );
    assert!(
        first
            .content
            .contains("lacks the **Create Private Threads** permission"),
        "{}",
        first.content
    );
    // Once the channel refused a thread, the round's other groups go straight to DMs:
    // at most one refused request per row in flight for that server (per_server = 4),
    // since each refusal counts towards Discord's ban on invalid requests.
    let refused = env
        .fake
        .calls_to("POST", &format!("/channels/{}/threads", ids::MENTORING))
        .len();
    assert!(refused <= 4, "{refused} refused thread creations");
}

#[tokio::test]
async fn a_poisoned_row_and_a_row_discord_keeps_refusing_do_not_delay_another_servers_round() {
    let env = two_servers().await;
    let pool = db(&env).await;
    // A row whose group was deleted under it, and a celebration Discord answers with 400,
    // both due before anything the second server will queue.
    let detail = r#"{"occasion":"win","user_id":1,"name":"Ada","kind":"grant","description":"A grant","link":null}"#;
    let rows = format!(
        "insert into outbox (guild_id, kind, key, round_id, group_id, due_at, created_at)
         values ({guild}, 'intro', 'intro:999:999:0', 999, 999, '2000-01-01T00:00:00+00:00', '2000-01-01T00:00:00+00:00');
         insert into outbox (guild_id, program_id, kind, key, detail, due_at, created_at)
         values ({guild}, (select program_id from program where guild_id = {guild}), 'celebration', 'win:999', '{detail}',
                 '2000-01-01T00:00:00+00:00', '2000-01-01T00:00:00+00:00');",
        guild = ids::GUILD as i64
    );
    // The first row's round and group do not exist: foreign keys are off while it is
    // written (on PostgreSQL by replica mode, which the test server's superuser may set).
    let script = match pool.backend() {
        Backend::Sqlite => {
            format!("pragma foreign_keys = off; {rows} pragma foreign_keys = on;")
        }
        Backend::Postgres => format!(
            "set session_replication_role = replica; {rows} set session_replication_role = default;"
        ),
    };
    execute_script(&pool, &script).await.unwrap();
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/messages", ids::MENTORING))
            .times(100)
            .status(400, 50035, "Invalid Form Body"),
    );
    round_in_b(&env).await;
    let second = summary_in_b(&env).await;
    assert!(second.contains("4 chats this round, 8 people"), "{second}");
    // Each bad row ended on its own, with its reason, and the refused one was sent once.
    wait_for_count(
        &pool,
        "select count(*) from outbox where key = 'intro:999:999:0' and state = 'failed' and last_error like '%no longer exists%'",
        1,
    )
    .await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where key = 'win:999' and state = 'failed' and last_error like '%50035%'",
        1,
    )
    .await;
    let posts = env
        .fake
        .calls_to("POST", &format!("/channels/{}/messages", ids::MENTORING))
        .len();
    assert_eq!(posts, 1, "a 400 is not retried");
}

#[tokio::test]
async fn a_server_whose_round_cannot_start_does_not_stop_the_next_servers_scheduled_round() {
    let env = two_servers().await;
    let pool = db(&env).await;
    // Both programs have a weekly slot already due. The first server, which the scheduler
    // reaches first, has a row its round cannot read.
    // The bad row first: a pass between the two statements must not start the round
    // before it is there.
    query("update member set time_zone = 'Not/A_Zone' where guild_id = $1 and user_id = $2")
        .bind(ids::GUILD as i64)
        .bind(member(1) as i64)
        .execute(&pool)
        .await
        .unwrap();
    crate::helpers::make_a_weekly_slot_due(&pool).await;
    let text = summary_in_b(&env).await;
    assert!(text.contains("4 chats this round, 8 people"), "{text}");
    env.bot.wait_for_log("could not start a round", WAIT).await;
    let first_rounds = count(
        &pool,
        &format!(
            "select count(*) from round where guild_id = {}",
            ids::GUILD as i64
        ),
    )
    .await;
    assert_eq!(first_rounds, 0);
}
