//! Around the rounds: wins, milestones, onboarding, the watercooler, privacy controls,
//! and coordinator-only commands.

use chrono::Utc;

use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, run, wait_for_count,
    wait_for_the_bot_to_settle, WAIT,
};
use crate::rounds::{join, match_now, member, set_up_program, start, summary, threads_with_intros};
use crate::support::config::ids;
use crate::support::interactions::{ButtonClick, SlashInvocation};

use crate::helpers::{stored_values, Stored};

const PUBLICATION: i64 = 0;
const WEEKLY: i64 = 1;

fn win() -> SlashInvocation {
    SlashInvocation::new("win")
}

async fn celebrations_setup(env: &crate::support::bot::TestEnv) {
    let reply = run(
        env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .channel_opt("celebrations_channel", ids::CELEBRATIONS)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved."]);
}

#[tokio::test]
async fn a_win_is_celebrated_with_an_embed_a_reaction_and_no_pings() {
    let env = start(2).await;
    celebrations_setup(&env).await;
    join(&env, member(1), choice::PEER).await;
    let reply = run(
        &env,
        win()
            .opt("kind", PUBLICATION)
            .opt(
                "description",
                "Our paper on virtual mentoring is out! @everyone <@&1200000000000000201>",
            )
            .opt("link", "https://doi.org/10.1186/s12909-024-05930-2")
            .by(member(1)),
    )
    .await;
    assert_private(
        &reply,
        &[
            "Your win is on its way",
            &format!("<#{}>", ids::CELEBRATIONS),
        ],
    );
    let post = env
        .fake
        .wait_for_message(ids::CELEBRATIONS, |m| !m.embeds.is_empty(), WAIT)
        .await;
    let embed = &post.embeds[0];
    assert_eq!(embed["title"], "📄 New publication!");
    let text = embed["description"].as_str().unwrap();
    assert!(
        text.contains(&format!("<@{}>", member(1))),
        "names the member: {text}"
    );
    assert!(text.contains("Our paper on virtual mentoring is out!"));
    assert_eq!(embed["url"], "https://doi.org/10.1186/s12909-024-05930-2");
    // Nothing in it may ping @everyone, a role or anyone.
    let allowed = post.allowed_mentions.clone().expect("allowed_mentions set");
    assert_eq!(allowed["parse"], serde_json::json!([]), "{allowed}");
    assert!(allowed
        .get("roles")
        .is_none_or(|r| r.as_array().is_some_and(|r| r.is_empty())));
    env.fake
        .wait_until(WAIT, "the reaction under the win", |f| {
            f.message(post.id)
                .filter(|m| !m.reactions.is_empty())
                .map(|_| ())
        })
        .await;
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from win where kind = 'publication' and message_id is not null",
        1,
    )
    .await;
}

#[tokio::test]
async fn bad_wins_are_refused_and_nothing_is_posted() {
    let env = start(1).await;
    celebrations_setup(&env).await;
    let long = "x".repeat(5_000);
    let cases = [
        (
            win()
                .opt("kind", PUBLICATION)
                .opt("description", long.as_str()),
            "the limit is 500",
        ),
        (
            win()
                .opt("kind", PUBLICATION)
                .opt("description", "yay")
                .opt("link", "javascript:alert(1)"),
            "is not a web link",
        ),
        (
            win().opt("kind", PUBLICATION).opt("description", "   "),
            "cannot be empty",
        ),
    ];
    for (invocation, expected) in cases {
        assert_private(&run(&env, invocation.by(member(1))).await, &[expected]);
    }
    let pool = db(&env).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    assert!(env.fake.messages_in(ids::CELEBRATIONS).is_empty());
    assert_eq!(count(&pool, "select count(*) from win").await, 0);
    assert_eq!(count(&pool, "select count(*) from outbox").await, 0);
}

#[tokio::test]
async fn the_program_halfway_point_is_posted_once_even_across_a_restart() {
    let mut env = start(1).await;
    celebrations_setup(&env).await;
    let today = chrono::Utc::now().date_naive();
    let start_date = (today - chrono::Duration::days(100)).to_string();
    let end_date = (today + chrono::Duration::days(50)).to_string();
    let reply = run(
        &env,
        admin("edit")
            .group("program")
            .opt("name", "Spring cohort")
            .opt("start", start_date.as_str())
            .opt("end", end_date.as_str())
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved. **Spring cohort**", "halfway point"]);
    env.fake
        .wait_for_message(
            ids::CELEBRATIONS,
            |m| m.content.contains("is halfway through"),
            WAIT,
        )
        .await;
    env.restart_bot().await;
    wait_for_the_bot_to_settle(&env.bot, &db(&env).await, Utc::now(), 1).await;
    let posts = env
        .fake
        .messages_in(ids::CELEBRATIONS)
        .into_iter()
        .filter(|m| m.content.contains("halfway"))
        .count();
    assert_eq!(posts, 1);
    let bad = run(
        &env,
        admin("edit")
            .group("program")
            .opt("name", "x")
            .opt("start", "2026-13-01")
            .by(ids::CORA),
    )
    .await;
    assert_private(&bad, &["YYYY-MM-DD"]);
}

#[tokio::test]
async fn a_first_chat_gets_a_shout_out_unless_the_member_turned_them_off() {
    let env = start(2).await;
    celebrations_setup(&env).await;
    join(&env, member(1), choice::PEER).await;
    let quiet = run(
        &env,
        hallway("join")
            .opt("role", choice::PEER)
            .opt("shoutouts", false)
            .by(member(2)),
    )
    .await;
    assert!(quiet.content.contains("Role: peer"));
    match_now(&env).await;
    summary(&env, 1).await;
    let intro = threads_with_intros(&env)[0].1[0].clone();
    let met = intro.button_id("We met");
    for n in [1, 2] {
        let handle = env
            .fake
            .click(ButtonClick::new(intro.id, &met).by(member(n)))
            .await;
        env.fake.reply_to(&handle, WAIT).await;
    }
    let shout = env
        .fake
        .wait_for_message(
            ids::CELEBRATIONS,
            |m| m.content.contains("first hallway chat"),
            WAIT,
        )
        .await;
    assert!(shout.content.contains(&format!("<@{}>", member(1))));
    let pool = db(&env).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    let about_two = env
        .fake
        .messages_in(ids::CELEBRATIONS)
        .into_iter()
        .filter(|m| m.content.contains(&member(2).to_string()))
        .count();
    assert_eq!(about_two, 0, "member 2 turned shout-outs off");
    let queued_for_two = format!(
        "select count(*) from outbox where key like 'chats:{}:%'",
        member(2)
    );
    assert_eq!(
        count(&pool, &queued_for_two).await,
        0,
        "nothing queued for member 2"
    );
}

#[tokio::test]
async fn join_shows_the_welcome_text_and_what_happens_next() {
    let env = start(1).await;
    set_up_program(&env).await;
    run(
        &env,
        admin("edit")
            .group("program")
            .opt("name", "Faculty Mentoring 2026")
            .opt(
                "welcome",
                "Each week you'll meet someone new. Be kind, be curious.",
            )
            .by(ids::CORA),
    )
    .await;
    run(
        &env,
        admin("schedule")
            .opt("every", 0i64)
            .opt("day", 0i64)
            .opt("hour", 9i64)
            .opt("timezone", "Europe/Berlin")
            .by(ids::CORA),
    )
    .await;
    let reply = run(
        &env,
        hallway("join").opt("role", choice::MENTEE).by(member(1)),
    )
    .await;
    assert_private(
        &reply,
        &[
            "Welcome to Faculty Mentoring 2026!",
            "Each week you'll meet someone new. Be kind, be curious.",
            "Next round: Monday",
            "at 09:00 (Europe/Berlin)",
            "/hallway pause",
            "/hallway leave",
        ],
    );
}

#[tokio::test]
async fn the_watercooler_posts_a_prompt_and_can_be_turned_off() {
    let env = start(1).await;
    let reply = run(
        &env,
        admin("watercooler")
            .opt("every", WEEKLY)
            .channel_opt("channel", ids::GENERAL)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["The watercooler is on", "every week"]);
    let post = env
        .fake
        .wait_for_message(
            ids::GENERAL,
            |m| m.content.contains("Watercooler question"),
            WAIT,
        )
        .await;
    assert!(post.content.len() > 40);
    let missing = run(
        &env,
        admin("watercooler").opt("every", WEEKLY).by(ids::CORA),
    )
    .await;
    assert_private(&missing, &["Pick a channel"]);
    let off = run(&env, admin("watercooler").opt("every", 3i64).by(ids::CORA)).await;
    assert_private(&off, &["The watercooler is off"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where watercooler_channel_id is null"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where key like 'watercooler:%'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_do_not_match_list_is_honoured_and_stays_confidential() {
    let env = crate::rounds::program_with(4, choice::PEER).await;
    let reply = run(
        &env,
        hallway("avoid").user_opt("member", member(2)).by(member(1)),
    )
    .await;
    assert_private(
        &reply,
        &["you won't be matched with", "nobody else can see it"],
    );
    assert_private(
        &run(
            &env,
            hallway("avoid").user_opt("member", member(1)).by(member(1)),
        )
        .await,
        &["can't avoid yourself"],
    );
    let profile = run(&env, hallway("profile").by(member(1))).await;
    assert_private(
        &profile,
        &["Your do-not-match list", &format!("<@{}>", member(2))],
    );
    // Nobody else sees it: not the avoided member, not a coordinator.
    for viewer in [member(2), ids::CORA] {
        let other = run(&env, hallway("profile").by(viewer)).await;
        assert!(
            !other.content.contains("do-not-match list"),
            "{}",
            other.content
        );
    }
    for round in 1..=3 {
        match_now(&env).await;
        summary(&env, round).await;
    }
    let pool = db(&env).await;
    let together = count(
        &pool,
        &format!(
            "select count(*) from group_member a join group_member b on a.group_id = b.group_id
             where a.user_id = {} and b.user_id = {}",
            member(1) as i64,
            member(2) as i64
        ),
    )
    .await;
    assert_eq!(together, 0, "never matched across three rounds");
    let undo = run(
        &env,
        hallway("unavoid")
            .user_opt("member", member(2))
            .by(member(1)),
    )
    .await;
    assert_private(&undo, &["can be matched with you again"]);
    let history = run(&env, hallway("history").by(member(1))).await;
    assert_private(&history, &["Your past chats", "Round 3", "Round 1"]);
}

#[tokio::test]
async fn forget_me_deletes_every_row_that_names_the_member() {
    let env = start(4).await;
    celebrations_setup(&env).await;
    for n in 1..=4 {
        join(&env, member(n), choice::PEER).await;
    }
    let me = member(1);
    // I avoid member 2, and member 4 avoids me: I can only be matched with member 3.
    run(&env, hallway("avoid").user_opt("member", member(2)).by(me)).await;
    run(&env, hallway("avoid").user_opt("member", me).by(member(4))).await;
    run(
        &env,
        win()
            .opt("kind", PUBLICATION)
            .opt("description", "A paper!")
            .by(me),
    )
    .await;
    run(&env, admin("match-now").opt("preview", true).by(ids::CORA)).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let pool = db(&env).await;
    // Click "We met" in my group, and wait for the shout-out to be claimed.
    let (_, intros) = threads_with_intros(&env)
        .into_iter()
        .find(|(_, m)| m[0].mentioned_ids().contains(&me))
        .unwrap();
    let met = intros[0].button_id("We met");
    let handle = env
        .fake
        .click(ButtonClick::new(intros[0].id, &met).by(me))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
    wait_for_count(
        &pool,
        &format!("select count(*) from outbox where key like 'chats:{me}:%'"),
        1,
    )
    .await;

    let ask = run(&env, hallway("forget-me").by(me)).await;
    assert_private(&ask, &["cannot be undone"]);
    let confirm = ask.buttons()[0].custom_id.clone().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(ask.message_id.unwrap(), &confirm).by(me))
        .await;
    let done = env.fake.reply_to(&handle, WAIT).await;
    assert!(done
        .content
        .contains("Everything hallway stored about you in this server is deleted"));

    // Every table, every column: no value is my id, and no text contains it.
    for (table, column, value) in stored_values(&pool).await {
        match value {
            Stored::Int(v) => {
                assert_ne!(v, me as i64, "{table}.{column} still holds the member's id")
            }
            Stored::Text(text) => assert!(
                !text.contains(&me.to_string()),
                "{table}.{column} still names the member: {text}"
            ),
            Stored::Other => {}
        }
    }
    // The chat still counts, anonymously.
    assert_eq!(
        count(
            &pool,
            "select cast(coalesce(sum(size), 0) as bigint) from match_group"
        )
        .await,
        4
    );
    assert_eq!(count(&pool, "select count(*) from group_member").await, 3);
}

#[tokio::test]
async fn every_coordinator_command_refuses_a_member_without_manage_server() {
    let env = start(1).await;
    let attempts = [
        admin("setup").channel_opt("channel", ids::MENTORING),
        admin("schedule")
            .opt("every", 0i64)
            .opt("day", 0i64)
            .opt("hour", 9i64)
            .opt("timezone", "UTC"),
        admin("matching").opt("mode", 0i64).opt("group_size", 2i64),
        admin("edit").group("program").opt("name", "x"),
        admin("create")
            .group("program")
            .opt("name", "x")
            .channel_opt("channel", ids::MENTORING),
        admin("list").group("program"),
        admin("archive").group("program").opt("program", "hallway"),
        admin("watercooler").opt("every", 3i64),
        admin("match-now"),
        admin("pause-program"),
        admin("resume-program"),
        admin("stats"),
        admin("export"),
        SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub("list"),
        SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub("add")
            .opt("category", 0i64)
            .opt("text", "x"),
        SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub("remove")
            .opt("key", "c1"),
    ];
    for attempt in attempts {
        let name = format!("{:?}", attempt.subcommand);
        let reply = run(&env, attempt.by(member(1))).await;
        assert!(
            reply.ephemeral && reply.content.contains("Only coordinators"),
            "{name}: {}",
            reply.content
        );
    }
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from community").await, 0);
    assert_eq!(count(&pool, "select count(*) from program").await, 0);
    assert_eq!(count(&pool, "select count(*) from prompt").await, 0);
}
