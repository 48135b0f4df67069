//! `/hallway-admin invite`: a program's post with Join buttons, and what a click does,
//! checked against what the fake Discord received and what the database stored.

use chrono::{DateTime, Utc};

use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::helpers::{query_as, query_scalar};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeChannel, FakeConfig, FakeGuild, FakeMember};
use crate::support::failures::FailRule;
use crate::support::fake_discord::Reply;
use crate::support::interactions::ButtonClick;
use crate::support::state::PostedMessage;

const POSTDOCS: &str = "Postdoc circles";

async fn coordinator(
    env: &TestEnv,
    invocation: crate::support::interactions::SlashInvocation,
) -> Reply {
    run(env, invocation.by(ids::CORA)).await
}

/// The first program in #mentoring, matching in `mode`.
async fn program_in_mentoring(env: &TestEnv, mode: i64) {
    let reply = coordinator(env, admin("setup").channel_opt("channel", ids::MENTORING)).await;
    assert_private(&reply, &["Saved."]);
    let reply = coordinator(
        env,
        admin("matching").opt("mode", mode).opt(
            "group_size",
            if mode == choice::PEER_CIRCLES {
                3i64
            } else {
                2i64
            },
        ),
    )
    .await;
    assert_private(&reply, &["Saved."]);
}

/// The bot's own posts in a channel: interaction replies left out.
fn posts_in(env: &TestEnv, channel: u64) -> Vec<PostedMessage> {
    env.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.interaction_id.is_none() && !m.ephemeral())
        .collect()
}

fn labels(message: &PostedMessage) -> Vec<String> {
    message
        .buttons()
        .into_iter()
        .map(|b| b.label.unwrap_or_default())
        .collect()
}

async fn program_id(env: &TestEnv, name: &str) -> i64 {
    query_scalar("select program_id from program where name = $1")
        .bind(name)
        .fetch_one(&db(env).await)
        .await
        .expect("the program exists")
}

/// Posts the invite and returns it, checking the coordinator's confirmation.
async fn invite(env: &TestEnv, program: Option<&str>, channel: u64) -> PostedMessage {
    let before = posts_in(env, channel).len();
    let mut invocation = admin("invite");
    if let Some(name) = program {
        invocation = invocation.opt("program", name);
    }
    let reply = coordinator(env, invocation).await;
    let posts = posts_in(env, channel);
    assert_eq!(
        posts.len(),
        before + 1,
        "one invite posted: {}",
        reply.content
    );
    let post = posts.last().unwrap().clone();
    assert_private(
        &reply,
        &[
            "Posted the invite",
            &format!("<#{channel}>"),
            &format!(
                "https://discord.com/channels/{}/{channel}/{}",
                ids::GUILD,
                post.id
            ),
        ],
    );
    post
}

async fn click(env: &TestEnv, post: &PostedMessage, label: &str, user: u64) -> Reply {
    click_id(env, post, &post.button_id(label), user).await
}

async fn click_id(env: &TestEnv, post: &PostedMessage, custom_id: &str, user: u64) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(post.id, custom_id).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// The member's (role, left) rows in program_member, for every program.
async fn memberships(env: &TestEnv, user: u64) -> Vec<(i64, String, bool)> {
    query_as(
        "select program_id, role, left_at is not null from program_member where user_id = $1
         order by program_id",
    )
    .bind(user as i64)
    .fetch_all(&db(env).await)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_invite_is_posted_in_the_program_channel_with_exactly_its_modes_buttons() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::MENTOR_MENTEE).await;
    let id = program_id(&env, "hallway").await;
    let post = invite(&env, None, ids::MENTORING).await;
    assert!(post.content.contains("**hallway**"), "{}", post.content);
    assert!(post.content.contains("Mentoring chats"), "{}", post.content);
    assert_eq!(labels(&post), ["Join as mentee", "Join as mentor"]);
    assert_eq!(
        post.button_id("Join as mentee"),
        format!("hw:join:{}:{id}:mentee", ids::GUILD)
    );
    let mentions = post.allowed_mentions.clone().expect("allowed mentions set");
    assert_eq!(
        mentions["parse"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "the post notifies nobody: {mentions}"
    );

    for mode in [choice::PEER_CIRCLES, choice::OPEN] {
        program_in_mentoring(&env, mode).await;
        let post = invite(&env, None, ids::MENTORING).await;
        assert_eq!(labels(&post), ["Join as peer"], "mode {mode}");
    }
}

#[tokio::test]
async fn a_click_joins_with_that_role_and_answers_privately_with_the_welcome_text() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::MENTOR_MENTEE).await;
    let reply = coordinator(
        &env,
        admin("edit")
            .group("program")
            .opt("name", "Faculty mentoring")
            .opt("welcome", "Meet a mentor from another department."),
    )
    .await;
    assert_private(&reply, &["Saved."]);
    let post = invite(&env, None, ids::MENTORING).await;
    assert!(
        post.content
            .contains("Meet a mentor from another department."),
        "{}",
        post.content
    );
    let id = program_id(&env, "Faculty mentoring").await;

    let reply = click(&env, &post, "Join as mentee", ids::ADA).await;
    assert_private(
        &reply,
        &[
            "**Welcome to Faculty mentoring!** You joined as mentee.",
            "Meet a mentor from another department.",
            "Role: mentee",
            "`/hallway join program:Faculty mentoring role:mentee timezone:… institution:…`",
            "`/hallway profile`",
        ],
    );
    assert_eq!(
        memberships(&env, ids::ADA).await,
        [(id, "mentee".into(), false)]
    );
    let name: String = query_scalar("select display_name from member where user_id = $1")
        .bind(ids::ADA as i64)
        .fetch_one(&db(&env).await)
        .await
        .unwrap();
    assert_eq!(name, "Ada Lovelace", "the clicker's display name");
    assert_eq!(
        memberships(&env, ids::BEN).await,
        [],
        "nobody else was enrolled"
    );
}

#[tokio::test]
async fn a_second_click_changes_nothing_and_another_roles_button_changes_the_role() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::MENTOR_MENTEE).await;
    let post = invite(&env, None, ids::MENTORING).await;
    click(&env, &post, "Join as mentee", ids::ADA).await;
    let pool = db(&env).await;
    let stamp = "select updated_at from program_member";
    let before: DateTime<Utc> = query_scalar(stamp).fetch_one(&pool).await.unwrap();

    let again = click(&env, &post, "Join as mentee", ids::ADA).await;
    assert_private(
        &again,
        &["You're already in **hallway** as mentee, so nothing changed."],
    );
    let after: DateTime<Utc> = query_scalar(stamp).fetch_one(&pool).await.unwrap();
    assert_eq!(before, after, "the row was not touched");
    assert_eq!(count(&pool, "select count(*) from program_member").await, 1);
    assert_eq!(count(&pool, "select count(*) from member").await, 1);

    let mentor = click(&env, &post, "Join as mentor", ids::ADA).await;
    assert_private(
        &mentor,
        &[
            "**You're now a mentor in hallway** (you were a mentee)",
            "capacity:…",
        ],
    );
    let row: (String, i64) = query_as("select role, capacity from program_member")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(row, ("mentor".into(), 1), "a mentor starts at capacity 1");
    assert_eq!(count(&pool, "select count(*) from program_member").await, 1);
}

#[tokio::test]
async fn a_member_who_had_left_comes_back_with_a_click() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::OPEN).await;
    let joined = run(&env, hallway("join").opt("role", choice::PEER).by(ids::ADA)).await;
    assert_private(&joined, &["Role: peer"]);
    let left = run(&env, hallway("leave").by(ids::ADA)).await;
    assert_private(&left, &["You've left"]);
    let post = invite(&env, None, ids::MENTORING).await;
    let back = click(&env, &post, "Join as peer", ids::ADA).await;
    assert_private(&back, &["**Welcome back to hallway!**", "Status: active"]);
    let id = program_id(&env, "hallway").await;
    assert_eq!(
        memberships(&env, ids::ADA).await,
        [(id, "peer".into(), false)]
    );
}

#[tokio::test]
async fn a_member_without_manage_server_cannot_post_an_invite() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::OPEN).await;
    let reply = run(&env, admin("invite").by(ids::ADA)).await;
    assert_private(&reply, &["Only coordinators", "Manage Server"]);
    assert!(posts_in(&env, ids::MENTORING).is_empty());
}

#[tokio::test]
async fn a_program_without_a_channel_gets_a_clear_error_and_nothing_is_posted() {
    let env = TestEnv::start().await;
    // A server with no program yet: the invite makes none.
    let none = coordinator(&env, admin("invite")).await;
    assert_private(
        &none,
        &[
            "no running hallway program",
            "/hallway-admin program create",
        ],
    );
    let pool = crate::helpers::db(&env).await;
    assert_eq!(
        crate::helpers::count(&pool, "select count(*) from program").await,
        0
    );
    // A program without a channel (pausing makes the server's first one).
    coordinator(&env, admin("pause-program")).await;
    let reply = coordinator(&env, admin("invite")).await;
    assert_private(
        &reply,
        &[
            "**hallway** has no channel yet",
            "`/hallway-admin setup channel:#… program:hallway`",
            "Nothing was posted.",
        ],
    );
    let posted: Vec<_> = env
        .fake
        .all_messages()
        .into_iter()
        .filter(|m| m.interaction_id.is_none())
        .collect();
    assert!(posted.is_empty(), "{posted:?}");
}

#[tokio::test]
async fn when_discord_refuses_the_post_the_coordinator_is_told_what_to_do() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::OPEN).await;
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/messages", ids::MENTORING)).missing_access(),
    );
    let reply = coordinator(&env, admin("invite")).await;
    assert_private(
        &reply,
        &[
            &format!("hallway may not post in <#{}>", ids::MENTORING),
            "**Send Messages**",
            "nothing was posted",
        ],
    );
    assert!(
        !reply.content.contains("Missing Access"),
        "{}",
        reply.content
    );
    assert!(posts_in(&env, ids::MENTORING).is_empty());
}

#[tokio::test]
async fn with_two_programs_the_invite_goes_to_the_named_ones_channel_and_a_click_joins_it_only() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::MENTOR_MENTEE).await;
    let created = coordinator(
        &env,
        admin("create")
            .group("program")
            .opt("name", POSTDOCS)
            .channel_opt("channel", ids::GENERAL)
            .opt("mode", choice::PEER_CIRCLES),
    )
    .await;
    assert_private(&created, &["Created **Postdoc circles**"]);
    let which = coordinator(&env, admin("invite")).await;
    assert_private(&which, &["several programs", "program:"]);
    assert!(posts_in(&env, ids::GENERAL).is_empty());
    assert!(posts_in(&env, ids::MENTORING).is_empty());

    let post = invite(&env, Some(POSTDOCS), ids::GENERAL).await;
    assert!(
        posts_in(&env, ids::MENTORING).is_empty(),
        "nothing in the other channel"
    );
    assert!(
        post.content.contains("**Postdoc circles**"),
        "{}",
        post.content
    );
    assert_eq!(labels(&post), ["Join as peer"]);
    let reply = click(&env, &post, "Join as peer", ids::ADA).await;
    assert_private(&reply, &["**Welcome to Postdoc circles!**"]);
    let postdocs = program_id(&env, POSTDOCS).await;
    assert_eq!(
        memberships(&env, ids::ADA).await,
        [(postdocs, "peer".into(), false)],
        "in Postdoc circles only"
    );
}

#[tokio::test]
async fn a_click_on_an_archived_programs_invite_is_refused_privately() {
    let env = TestEnv::start().await;
    program_in_mentoring(&env, choice::OPEN).await;
    let post = invite(&env, None, ids::MENTORING).await;
    let archived = coordinator(
        &env,
        admin("archive").group("program").opt("program", "hallway"),
    )
    .await;
    assert_private(&archived, &["is archived"]);
    let reply = click(&env, &post, "Join as peer", ids::ADA).await;
    assert_private(&reply, &["**hallway** is archived", "Nothing was changed."]);
    assert_eq!(memberships(&env, ids::ADA).await, []);
}

#[tokio::test]
async fn a_join_button_naming_another_server_is_refused_and_joins_nothing() {
    const GUILD_B: u64 = 1_220_000_000_000_000_001;
    const OWNER_B: u64 = 1_320_000_000_000_000_001;
    const CHANNEL_B: u64 = 1_220_000_000_000_000_101;
    let second = FakeGuild::new(GUILD_B, "Second Lab", OWNER_B)
        .with_channel(FakeChannel::text(CHANNEL_B, "program"))
        .with_member(FakeMember::new(OWNER_B, "owner-b"))
        .with_member(FakeMember::new(ids::ADA, "ada"));
    let env = TestEnv::start_with(FakeConfig::default().with_guild(second), |o| o).await;
    let setup_b = run(
        &env,
        admin("setup")
            .channel_opt("channel", CHANNEL_B)
            .in_guild(GUILD_B)
            .in_channel(CHANNEL_B)
            .by(OWNER_B),
    )
    .await;
    assert_private(&setup_b, &["Saved."]);
    let program_b = program_id(&env, "hallway").await;
    program_in_mentoring(&env, choice::OPEN).await;
    let post = invite(&env, None, ids::MENTORING).await;
    // A's invite, its id edited to name B's program.
    let forged = format!("hw:join:{GUILD_B}:{program_b}:peer");
    let reply = click_id(&env, &post, &forged, ids::ADA).await;
    assert_private(&reply, &["This button belongs to another server"]);
    assert_eq!(memberships(&env, ids::ADA).await, []);
}
