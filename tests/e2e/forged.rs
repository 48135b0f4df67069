//! Buttons are only as trustworthy as the ids they carry, and anyone can send any id:
//! a forget-me button clicked by someone else, or an id that names another server than
//! the one it is clicked in, is refused and changes nothing.

use crate::helpers::query_scalar;
use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::rounds::{join, start_with};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeChannel, FakeConfig, FakeGuild, FakeMember};
use crate::support::fake_discord::Reply;
use crate::support::interactions::{ButtonClick, SlashInvocation};

const GUILD_B: u64 = 1_220_000_000_000_000_001;
const OWNER_B: u64 = 1_320_000_000_000_000_001;
const GENERAL_B: u64 = 1_220_000_000_000_000_101;
const PROGRAM_B: u64 = 1_220_000_000_000_000_102;
const ZOE_B: u64 = 1_420_000_000_000_000_001;
const WRONG_SERVER: &str = "This button belongs to another server";

/// The default server, and a second one whose members include Ada.
async fn two_servers() -> TestEnv {
    let second = FakeGuild::new(GUILD_B, "Second Lab", OWNER_B)
        .with_channel(FakeChannel::text(GENERAL_B, "general"))
        .with_channel(FakeChannel::text(PROGRAM_B, "program"))
        .with_member(FakeMember::new(OWNER_B, "owner-b"))
        .with_member(FakeMember::new(ids::ADA, "ada").global_name("Ada Lovelace"))
        .with_member(FakeMember::new(ZOE_B, "zoe"));
    start_with(FakeConfig::default().with_guild(second)).await
}

fn in_b(invocation: SlashInvocation) -> SlashInvocation {
    invocation.in_guild(GUILD_B).in_channel(GENERAL_B)
}

async fn click(env: &TestEnv, message: &Reply, custom_id: &str, user: u64) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message.message_id.unwrap(), custom_id).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

async fn members_in(env: &TestEnv, guild: u64) -> i64 {
    count(
        &db(env).await,
        &format!(
            "select count(*) from member where guild_id = {}",
            guild as i64
        ),
    )
    .await
}

#[tokio::test]
async fn a_forget_me_button_clicked_by_another_member_is_refused_and_deletes_nothing() {
    let env = two_servers().await;
    join(&env, ids::ADA, choice::PEER).await;
    join(&env, ids::BEN, choice::PEER).await;
    let ask = run(&env, hallway("forget-me").by(ids::ADA)).await;
    let button = ask.buttons()[0].custom_id.clone().unwrap();
    let refused = click(&env, &ask, &button, ids::BEN).await;
    assert_private(&refused, &["Only the person who asked can confirm this"]);
    assert_eq!(
        members_in(&env, ids::GUILD).await,
        2,
        "nobody was forgotten"
    );
}

#[tokio::test]
async fn a_forget_me_id_naming_another_server_is_refused_in_this_one() {
    let env = two_servers().await;
    join(&env, ids::ADA, choice::PEER).await;
    let joined_b = run(
        &env,
        in_b(hallway("join").opt("role", choice::PEER)).by(ids::ADA),
    )
    .await;
    assert!(joined_b.content.contains("Role:"), "{}", joined_b.content);
    let ask = run(&env, hallway("forget-me").by(ids::ADA)).await;
    // Ada's own forget-me, edited to name the second server.
    let forged = format!("hw:forget:{GUILD_B}:{}", ids::ADA);
    let refused = click(&env, &ask, &forged, ids::ADA).await;
    assert_private(&refused, &[WRONG_SERVER]);
    assert_eq!(
        members_in(&env, GUILD_B).await,
        1,
        "Ada is still in server B"
    );
    assert_eq!(members_in(&env, ids::GUILD).await, 1, "and in server A");
}

#[tokio::test]
async fn a_we_met_id_naming_another_servers_group_is_refused_and_stores_nothing() {
    let env = two_servers().await;
    let setup = run(
        &env,
        in_b(admin("setup").channel_opt("channel", PROGRAM_B)).by(OWNER_B),
    )
    .await;
    assert_private(&setup, &["Saved."]);
    for user in [ids::ADA, ZOE_B] {
        let joined = run(
            &env,
            in_b(hallway("join").opt("role", choice::PEER)).by(user),
        )
        .await;
        assert!(joined.content.contains("Role:"), "{}", joined.content);
    }
    let started = run(&env, in_b(admin("match-now")).by(OWNER_B)).await;
    assert!(
        started.content.contains("Round 1 is matched"),
        "{}",
        started.content
    );
    let pool = db(&env).await;
    let group_b: i64 = query_scalar("select group_id from match_group")
        .fetch_one(&pool)
        .await
        .unwrap();

    // In server A, on a message there, Ada clicks an id that names her group in B.
    join(&env, ids::ADA, choice::PEER).await;
    let here = run(&env, hallway("forget-me").by(ids::ADA)).await;
    for action in ["met", "notyet", "skip"] {
        let forged = format!("hw:{action}:{GUILD_B}:{group_b}");
        let refused = click(&env, &here, &forged, ids::ADA).await;
        assert_private(&refused, &[WRONG_SERVER]);
    }
    let forged = format!("hw:fb:{GUILD_B}:{group_b}:great");
    assert_private(
        &click(&env, &here, &forged, ids::ADA).await,
        &[WRONG_SERVER],
    );
    assert_eq!(count(&pool, "select count(*) from outcome").await, 0);
    assert_eq!(count(&pool, "select count(*) from feedback").await, 0);
}

#[tokio::test]
async fn a_confirm_from_another_servers_preview_runs_nothing_in_either() {
    let env = two_servers().await;
    // Server A: a program with a preview waiting for Confirm.
    let setup = run(
        &env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .by(ids::CORA),
    )
    .await;
    assert_private(&setup, &["Saved."]);
    join(&env, ids::ADA, choice::PEER).await;
    join(&env, ids::BEN, choice::PEER).await;
    let preview_a = run(&env, admin("match-now").opt("preview", true).by(ids::CORA)).await;
    let confirm_a = preview_a.buttons()[0].custom_id.clone().unwrap();
    // Server B: a program and its own preview, whose message B's owner clicks.
    let setup = run(
        &env,
        in_b(admin("setup").channel_opt("channel", PROGRAM_B)).by(OWNER_B),
    )
    .await;
    assert_private(&setup, &["Saved."]);
    for user in [ids::ADA, ZOE_B] {
        run(
            &env,
            in_b(hallway("join").opt("role", choice::PEER)).by(user),
        )
        .await;
    }
    let preview_b = run(
        &env,
        in_b(admin("match-now").opt("preview", true)).by(OWNER_B),
    )
    .await;
    assert_private(&preview_b, &["Nothing is sent until you click Confirm"]);

    // A's Confirm, clicked in B by B's owner.
    let refused = click(&env, &preview_b, &confirm_a, OWNER_B).await;
    assert_private(&refused, &[WRONG_SERVER]);
    // A's preview id under B's name: B has no such preview.
    let preview_id_a = confirm_a.rsplit(':').next().unwrap();
    let renamed = format!("hw:confirm:{GUILD_B}:{preview_id_a}");
    let refused = click(&env, &preview_b, &renamed, OWNER_B).await;
    assert_private(&refused, &["This preview no longer exists"]);

    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from round").await, 0);
    assert_eq!(count(&pool, "select count(*) from outbox").await, 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from round_preview where confirmed_round_id is not null"
        )
        .await,
        0
    );
    assert!(env.fake.threads().is_empty());
}
