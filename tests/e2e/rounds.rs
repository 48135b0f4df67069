//! Rounds end to end: matching, private threads, intros, buttons, follow-ups, failures
//! and restarts.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::helpers::{query, query_as, query_scalar};
use crate::support::bot::{BotOptions, TestEnv};
use crate::support::config::{ids, FakeConfig};
use crate::support::failures::FailRule;
use crate::support::interactions::ButtonClick;
use crate::support::state::PostedMessage;

/// Settings that make the scheduler and retries quick enough for tests.
pub const FAST: &str =
    "[scheduler]\ntick_seconds = 0.2\n[delivery]\nfirst_wait_ms = 20\nmax_wait_ms = 300\n";

pub async fn start(members: usize) -> TestEnv {
    start_with(FakeConfig::default().with_generated_members(members)).await
}

pub async fn start_with(config: FakeConfig) -> TestEnv {
    TestEnv::start_with(config, fast).await
}

/// [`start`] on a SQLite file whatever the test backend (e.g. to copy it elsewhere).
#[allow(dead_code)] // for the tests of what SQLite's file holds, e.g. migrate_to.rs
pub async fn start_on_sqlite(members: usize) -> TestEnv {
    TestEnv::start_on_sqlite_with(FakeConfig::default().with_generated_members(members), fast).await
}

/// The bot runs with the [`FAST`] settings.
fn fast(options: BotOptions) -> BotOptions {
    let path = options.db_path.with_file_name("fast.toml");
    std::fs::write(&path, FAST).unwrap();
    let path = path.display().to_string();
    options.args(&["--config", &path, "run"])
}

pub fn member(n: usize) -> u64 {
    ids::generated(n)
}

/// The coordinator picks #mentoring for the program.
pub async fn set_up_program(env: &TestEnv) {
    let reply = run(
        env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved."]);
}

/// A running bot with the program channel set and `members` members joined in `role`.
pub async fn program_with(members: usize, role: i64) -> TestEnv {
    let env = start(members).await;
    set_up_program(&env).await;
    for n in 1..=members {
        join(&env, member(n), role).await;
    }
    env
}

pub async fn join(env: &TestEnv, user: u64, role: i64) {
    let reply = run(env, hallway("join").opt("role", role).by(user)).await;
    assert!(reply.content.contains("Role:"), "{}", reply.content);
}

pub async fn match_now(env: &TestEnv) -> String {
    let reply = run(env, admin("match-now").by(ids::CORA)).await;
    assert!(reply.ephemeral);
    reply.content
}

/// Waits for a round's summary in the program channel.
pub async fn summary(env: &TestEnv, round: u32) -> PostedMessage {
    let needle = format!("**Round {round}**");
    env.fake
        .wait_for_message(ids::MENTORING, |m| m.content.contains(&needle), WAIT)
        .await
}

/// The bot's private threads under #mentoring, with their intro messages.
pub fn threads_with_intros(env: &TestEnv) -> Vec<(u64, Vec<PostedMessage>)> {
    env.fake
        .threads()
        .into_iter()
        .filter(|t| t.parent_id == Some(ids::MENTORING))
        .map(|t| (t.id, env.fake.messages_in(t.id)))
        .collect()
}

fn mentioned(message: &PostedMessage) -> BTreeSet<u64> {
    message.mentioned_ids().into_iter().collect()
}

#[tokio::test]
async fn a_round_for_nine_members_gives_every_group_a_private_thread_and_posts_a_summary() {
    let env = program_with(9, choice::PEER).await;
    let started = match_now(&env).await;
    assert!(
        started.contains("Round 1 is matched: 4 chats for 9 people"),
        "{started}"
    );
    let summary = summary(&env, 1).await;
    assert!(
        summary.content.contains("4 chats this round, 9 people"),
        "{}",
        summary.content
    );

    let threads = threads_with_intros(&env);
    assert_eq!(threads.len(), 4, "three pairs and one trio");
    let mut everyone = BTreeSet::new();
    let mut sizes = Vec::new();
    for (thread_id, messages) in &threads {
        let thread = env.fake.channel(*thread_id).unwrap();
        assert_eq!(thread.kind, 12, "a private thread");
        assert!(!thread.invitable, "members cannot invite others");
        assert!(thread.name.ends_with("· round 1"), "{}", thread.name);
        assert_eq!(messages.len(), 1, "exactly one intro in {}", thread.name);
        let intro = &messages[0];
        let members = mentioned(intro);
        sizes.push(members.len());
        // The @mention in the first message is what adds them to the private thread.
        let in_thread: BTreeSet<u64> = env
            .fake
            .thread_members(*thread_id)
            .into_iter()
            .filter(|u| *u != ids::BOT_USER)
            .collect();
        assert_eq!(in_thread, members);
        for needle in [
            "Who's here",
            "peer",
            "**Icebreaker:**",
            "**How:**",
            "**Pick a time** for a 50-minute chat",
        ] {
            assert!(
                intro.content.contains(needle),
                "intro lacks {needle:?}:\n{}",
                intro.content
            );
        }
        let labels: Vec<String> = intro
            .buttons()
            .into_iter()
            .filter_map(|b| b.label)
            .collect();
        assert_eq!(
            labels,
            ["None of these work", "We met", "Not yet", "Skip this round"]
        );
        everyone.extend(members);
    }
    sizes.sort();
    assert_eq!(sizes, [2, 2, 2, 3]);
    assert_eq!(everyone, (1..=9).map(member).collect());

    // Two calls per group (create the thread, post the intro) and one summary: nothing else.
    let threads_made = env.fake.calls_to("POST", "/channels/*/threads").len();
    let posts = env.fake.calls_to("POST", "/channels/*/messages").len();
    assert_eq!((threads_made, posts), (4, 5));
    assert!(env
        .fake
        .calls_to("PUT", "/channels/*/thread-members/*")
        .is_empty());
    assert!(env.fake.unknown_routes().is_empty());

    let pool = db(&env).await;
    assert_eq!(
        count(&pool, "select count(*) from round where state = 'matched'").await,
        1
    );
    assert_eq!(count(&pool, "select count(*) from match_group where thread_id is not null and intro_message_id is not null").await, 4);
    assert_eq!(count(&pool, "select count(*) from group_member").await, 9);
    // The summary reaches the fake a moment before its row is marked done.
    crate::helpers::wait_for_count(
        &pool,
        "select count(*) from outbox where kind in ('intro', 'summary') and state = 'done'",
        5,
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind in ('nudge', 'feedback') and state = 'pending'"
        )
        .await,
        8
    );
}

#[tokio::test]
async fn we_met_skip_and_a_click_from_outside_the_group() {
    let env = program_with(4, choice::PEER).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let threads = threads_with_intros(&env);
    let intro = threads[0].1[0].clone();
    let pair: Vec<u64> = mentioned(&intro).into_iter().collect();
    let outsider = (1..=4).map(member).find(|m| !pair.contains(m)).unwrap();
    let met = intro.button_id("We met");

    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &met).by(pair[0]))
        .await;
    let update = env.fake.reply_to(&handle, WAIT).await;
    assert!(!update.ephemeral);
    assert!(
        update.content.contains("✅ **We met:**"),
        "{}",
        update.content
    );
    assert_eq!(
        update.buttons().len(),
        4,
        "the buttons stay for the other member: None of these work and the answers"
    );
    // Once per member: a second click shows the same intro again, the member counted once.
    let again = env
        .fake
        .click(ButtonClick::new(intro.id, &met).by(pair[0]))
        .await;
    let unchanged = env.fake.reply_to(&again, WAIT).await;
    assert_eq!(
        unchanged.kind,
        crate::support::fake_discord::ReplyKind::Update,
        "{}",
        unchanged.content
    );
    assert!(!unchanged.ephemeral);
    assert_eq!(
        unchanged.content, update.content,
        "the intro reads the same"
    );
    assert_eq!(unchanged.components, update.components, "the same buttons");
    assert_eq!(
        env.fake.message(intro.id).unwrap().content,
        update.content,
        "the message in the thread is unchanged"
    );
    let pool = db(&env).await;

    let stranger = env
        .fake
        .click(ButtonClick::new(intro.id, &met).by(outsider))
        .await;
    let refused = env.fake.reply_to(&stranger, WAIT).await;
    assert_private_reply(&refused, "for the members of this chat only");
    assert_eq!(
        count(
            &pool,
            &format!(
                "select count(*) from outcome where user_id = {}",
                outsider as i64
            )
        )
        .await,
        0
    );

    let skip = intro.button_id("Skip this round");
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &skip).by(pair[1]))
        .await;
    let told = env.fake.reply_to(&handle, WAIT).await;
    assert!(!told.ephemeral, "the rest of the group is told");
    assert!(
        told.content
            .contains("can't make it this round, and that's completely fine"),
        "{}",
        told.content
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from outcome where status = 'skipped'"
        )
        .await,
        1
    );
    let twice = env
        .fake
        .click(ButtonClick::new(intro.id, &skip).by(pair[1]))
        .await;
    assert_private_reply(&env.fake.reply_to(&twice, WAIT).await, "already skipped");
}

fn assert_private_reply(reply: &crate::support::fake_discord::Reply, needle: &str) {
    assert!(reply.ephemeral, "{}", reply.content);
    assert!(reply.content.contains(needle), "{}", reply.content);
}

#[tokio::test]
async fn groups_without_a_we_met_get_a_nudge_halfway_and_then_the_feedback_question() {
    let env = program_with(4, choice::MENTEE).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let threads = threads_with_intros(&env);
    let (met_thread, met_intro) = (threads[0].0, threads[0].1[0].clone());
    let quiet_thread = threads[1].0;
    let first = *mentioned(&met_intro).iter().next().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(met_intro.id, &met_intro.button_id("We met")).by(first))
        .await;
    env.fake.reply_to(&handle, WAIT).await;

    // Halfway through the round: move the nudges' due time to now.
    let pool = db(&env).await;
    query("update outbox set due_at = '2000-01-01T00:00:00Z' where kind = 'nudge'")
        .execute(&pool)
        .await
        .unwrap();
    let nudge = env
        .fake
        .wait_for_message(quiet_thread, |m| m.content.contains("gentle nudge"), WAIT)
        .await;
    assert!(nudge
        .content
        .contains("Don't cancel just because there's not much to talk about"));
    assert_eq!(mentioned(&nudge).len(), 2);
    crate::helpers::wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'nudge' and state = 'done'",
        2,
    )
    .await;
    assert_eq!(
        env.fake.messages_in(met_thread).len(),
        1,
        "a group that met is not nudged"
    );

    query("update outbox set due_at = '2000-01-01T00:00:00Z' where kind = 'feedback'")
        .execute(&pool)
        .await
        .unwrap();
    let question = env
        .fake
        .wait_for_message(
            quiet_thread,
            |m| m.content.contains("How was your round 1 chat?"),
            WAIT,
        )
        .await;
    let great = question.button_id("😊 Great");
    let asker = *mentioned(&nudge).iter().next().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(question.id, &great).by(asker))
        .await;
    assert_private_reply(&env.fake.reply_to(&handle, WAIT).await, "Thanks!");
    assert_eq!(
        count(
            &pool,
            "select count(*) from feedback where rating = 'great'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_429_storm_and_500s_during_delivery_lose_nothing_and_double_nothing() {
    let env = program_with(8, choice::PEER).await;
    env.fake.fail(
        FailRule::new("POST", "/channels/*/threads")
            .times(6)
            .rate_limited(0.05),
    );
    env.fake.fail(
        FailRule::new("POST", "/channels/*/messages")
            .times(3)
            .server_error(500),
    );
    env.fake.fail(
        FailRule::new("POST", "/channels/*/messages")
            .times(4)
            .rate_limited(0.05),
    );
    match_now(&env).await;
    summary(&env, 1).await;
    let threads = threads_with_intros(&env);
    assert_eq!(threads.len(), 4, "one thread per group, none doubled");
    for (_, messages) in &threads {
        assert_eq!(messages.len(), 1, "one intro per thread");
    }
    let summaries = env
        .fake
        .messages_in(ids::MENTORING)
        .into_iter()
        .filter(|m| m.content.contains("**Round 1**"))
        .count();
    assert_eq!(summaries, 1);
    let injected = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.injected.is_some())
        .count();
    assert_eq!(injected, 13, "every injected failure was met and retried");
    let pool = db(&env).await;
    // The summary reaches the fake a moment before its row is marked done.
    crate::helpers::wait_for_count(
        &pool,
        "select count(*) from outbox where kind in ('intro', 'summary') and state = 'done'",
        5,
    )
    .await;
}

#[tokio::test]
async fn a_bot_killed_mid_delivery_resumes_after_restart_without_doubles() {
    let mut env = program_with(8, choice::PEER).await;
    // The second intro reaches Discord, but the bot dies before it hears back.
    env.fake.fail(
        FailRule::new("POST", "/channels/*/messages")
            .times(1)
            .act_then_delay(Duration::ZERO),
    );
    env.fake.fail(
        FailRule::new("POST", "/channels/*/messages")
            .times(1)
            .act_then_delay(Duration::from_secs(30)),
    );
    match_now(&env).await;
    env.fake
        .wait_until(WAIT, "the second intro to reach Discord", |f| {
            let intros = f
                .threads()
                .iter()
                .filter(|t| !f.messages_in(t.id).is_empty())
                .count();
            (intros >= 2).then_some(())
        })
        .await;
    env.restart_bot().await;
    summary(&env, 1).await;
    // The restarted bot looked in the thread and adopted the intro instead of resending it.
    env.bot
        .wait_for_log("found the message an earlier attempt sent", WAIT)
        .await;
    let threads = threads_with_intros(&env);
    assert_eq!(threads.len(), 4);
    for (thread, messages) in &threads {
        assert_eq!(
            messages.len(),
            1,
            "thread {thread} got {} intros",
            messages.len()
        );
    }
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from round").await, 1);
    // The summary reaches the fake a moment before its row is marked done.
    crate::helpers::wait_for_count(
        &pool,
        "select count(*) from outbox where kind in ('intro', 'summary') and state = 'done'",
        5,
    )
    .await;
}

/// Two members joined, and a round whose one thread the channel refuses (403).
async fn pair_whose_thread_is_refused(env: &TestEnv, first: u64, second: u64) {
    set_up_program(env).await;
    join(env, first, choice::PEER).await;
    join(env, second, choice::PEER).await;
    env.fake.fail(
        FailRule::new("POST", "/channels/*/threads")
            .times(1)
            .missing_permissions(),
    );
    match_now(env).await;
}

#[tokio::test]
async fn a_thread_that_cannot_be_created_falls_back_to_dms_and_the_summary_says_why() {
    let env = start(2).await;
    pair_whose_thread_is_refused(&env, member(1), member(2)).await;
    let summary = summary(&env, 1).await;
    assert!(
        summary.content.contains("1 group(s) were told by DM"),
        "{}",
        summary.content
    );
    // In plain words that say what to fix, and no raw Discord error text: the summary is
    // posted in the public program channel.
    assert!(
        summary
            .content
            .contains("hallway lacks the **Create Private Threads** permission"),
        "{}",
        summary.content
    );
    assert!(
        !summary.content.contains("Missing Permissions") && !summary.content.contains("50013"),
        "{}",
        summary.content
    );
    for n in [1, 2] {
        let dms = env.fake.dms_to(member(n));
        assert_eq!(dms.len(), 1, "one DM each");
        assert!(dms[0].content.contains("You're matched for **round 1**"));
    }
}

#[tokio::test]
async fn a_paused_member_is_not_matched() {
    let env = program_with(3, choice::PEER).await;
    run(&env, hallway("pause").opt("weeks", 1i64).by(member(3))).await;
    let started = match_now(&env).await;
    assert!(started.contains("1 chat for 2 people"), "{started}");
    summary(&env, 1).await;
    let pool = db(&env).await;
    let matched = count(
        &pool,
        &format!(
            "select count(*) from group_member where user_id = {}",
            member(3) as i64
        ),
    )
    .await;
    assert_eq!(matched, 0);
}

#[tokio::test]
async fn a_preview_then_confirm_runs_exactly_the_previewed_groups() {
    let env = program_with(6, choice::PEER).await;
    let preview = run(&env, admin("match-now").opt("preview", true).by(ids::CORA)).await;
    assert_private(
        &preview,
        &[
            "Preview: 3 chats for 6 people",
            "Nothing is sent until you click Confirm",
        ],
    );
    let pool = db(&env).await;
    assert_eq!(
        count(&pool, "select count(*) from round").await,
        0,
        "a preview starts nothing"
    );
    assert!(env.fake.threads().is_empty());
    let proposed: Value = serde_json::from_str(
        &query_scalar("select groups_json from round_preview")
            .fetch_one::<String>(&pool)
            .await
            .unwrap(),
    )
    .unwrap();

    let message_id = preview.message_id.expect("the preview is a message");
    let confirm = preview.buttons()[0].custom_id.clone().unwrap();
    // Only a coordinator may confirm.
    let handle = env
        .fake
        .click(ButtonClick::new(message_id, &confirm).by(ids::ADA))
        .await;
    assert_private_reply(&env.fake.reply_to(&handle, WAIT).await, "Only coordinators");
    let handle = env
        .fake
        .click(ButtonClick::new(message_id, &confirm).by(ids::CORA))
        .await;
    let confirmed = env.fake.reply_to(&handle, WAIT).await;
    assert!(
        confirmed.content.contains("✅ Confirmed"),
        "{}",
        confirmed.content
    );
    summary(&env, 1).await;

    let stored: Vec<(i64, i64, i64)> = query_as(
        "select g.position, gm.user_id, r.seed from group_member gm join match_group g using (group_id)
         join round r using (round_id) order by g.position, gm.user_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected = Vec::new();
    for (position, group) in proposed["groups"].as_array().unwrap().iter().enumerate() {
        for member in group["members"].as_array().unwrap() {
            expected.push((
                position as i64,
                member[0].as_u64().unwrap() as i64,
                proposed["seed"].as_i64().unwrap(),
            ));
        }
    }
    // Within a group, by user id: the store keeps a group's members as a set.
    expected.sort();
    assert_eq!(
        stored, expected,
        "the same groups, in the same order, with the same seed"
    );
    // A second Confirm does not run it again.
    let handle = env
        .fake
        .click(ButtonClick::new(message_id, &confirm).by(ids::CORA))
        .await;
    assert_private_reply(&env.fake.reply_to(&handle, WAIT).await, "already confirmed");
    assert_eq!(count(&pool, "select count(*) from round").await, 1);
}

#[tokio::test]
async fn a_member_whose_dms_are_closed_is_counted_and_the_summary_says_why() {
    use crate::support::config::FakeMember;
    const CLOSED: u64 = 1_300_000_000_000_000_099;
    let env = start_with(
        FakeConfig::default()
            .with_generated_members(1)
            .with_member(FakeMember::new(CLOSED, "closed").dms_closed()),
    )
    .await;
    pair_whose_thread_is_refused(&env, member(1), CLOSED).await;
    let summary = summary(&env, 1).await;
    // Delivered counts only what arrived: one member of the pair got the DM.
    assert!(
        summary.content.contains("1 chat this round, 1 person."),
        "{}",
        summary.content
    );
    assert!(
        summary.content.contains(
            "1 member(s) could not be sent their DM: some members do not accept direct messages"
        ),
        "{}",
        summary.content
    );
    assert_eq!(env.fake.dms_to(member(1)).len(), 1);
    let pool = db(&env).await;
    let refused = count(
        &pool,
        "select count(*) from outbox where kind = 'dm-intro' and state = 'failed'",
    )
    .await;
    assert_eq!(refused, 1);
}
