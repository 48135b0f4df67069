//! The fit check end to end: one DM to each member of a pair after its first "We met"
//! and none after later ones, answers by the member asked only, "Not a fit" keeping the
//! pair apart in later rounds, and undoing it from `/hallway profile`.

use std::collections::BTreeSet;

use chrono::Utc;
use serde_json::Value;

use crate::helpers::{
    assert_private, choice, count, db, hallway, run, wait_for_count, wait_for_the_bot_to_settle,
    WAIT,
};
use crate::helpers::{query_as, Db};
use crate::rounds::{match_now, member, program_with, summary, threads_with_intros};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::fake_discord::{Reply, ReplyKind};
use crate::support::interactions::ButtonClick;
use crate::support::state::PostedMessage;

const QUESTION: &str = "How was the fit with";

async fn click(env: &TestEnv, message: u64, custom_id: &str, user: u64) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message, custom_id).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// The intros of round `round`, each with the two or more members it mentions.
fn intros_of_round(env: &TestEnv, round: u32) -> Vec<(PostedMessage, Vec<u64>)> {
    let suffix = format!("· round {round}");
    threads_with_intros(env)
        .into_iter()
        .filter(|(thread, _)| {
            env.fake
                .channel(*thread)
                .is_some_and(|t| t.name.ends_with(&suffix))
        })
        .map(|(_, messages)| {
            let intro = messages[0].clone();
            let mut members = intro.mentioned_ids();
            members.sort();
            (intro, members)
        })
        .collect()
}

/// Clicks "We met" on an intro as `user`.
async fn we_met(env: &TestEnv, intro: &PostedMessage, user: u64) {
    let reply = click(env, intro.id, &intro.button_id("We met"), user).await;
    assert!(
        reply.content.contains("We met") || reply.ephemeral,
        "{}",
        reply.content
    );
}

/// The fit checks DMed to `user` so far.
fn fit_checks_to(env: &TestEnv, user: u64) -> Vec<PostedMessage> {
    env.fake
        .dms_to(user)
        .into_iter()
        .filter(|m| m.content.contains(QUESTION))
        .collect()
}

/// Waits for `user`'s one fit check and returns it.
async fn fit_check_of(env: &TestEnv, user: u64) -> PostedMessage {
    env.fake
        .wait_until(WAIT, "a fit check DM", |f| {
            f.dms_to(user)
                .into_iter()
                .find(|m| m.content.contains(QUESTION))
        })
        .await
}

fn labels(message: &PostedMessage) -> Vec<String> {
    message
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect()
}

/// (user, partner, fit, avoiding) of every fit answer stored.
async fn answers(pool: &Db) -> Vec<(i64, i64, String, bool)> {
    query_as("select user_id, partner_id, fit, avoiding from fit_answer order by user_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// A round for the two members, its intro and the pair, and a We met from the first.
async fn a_pair_that_met(env: &TestEnv) -> (PostedMessage, [u64; 2]) {
    match_now(env).await;
    summary(env, 1).await;
    let (intro, pair) = intros_of_round(env, 1).remove(0);
    we_met(env, &intro, pair[0]).await;
    (intro, [pair[0], pair[1]])
}

#[tokio::test]
async fn after_a_pairs_first_we_met_each_gets_one_fit_check_and_no_later_we_met_sends_another() {
    let env = program_with(2, choice::PEER).await;
    let (intro, pair) = a_pair_that_met(&env).await;
    for (asked, partner) in [(pair[0], pair[1]), (pair[1], pair[0])] {
        let dm = fit_check_of(&env, asked).await;
        let n = if partner == member(1) { 1 } else { 2 };
        assert!(
            dm.content.starts_with(&format!(
                "**How was the fit with member{n} (<@{partner}>) in hallway?**"
            )),
            "{}",
            dm.content
        );
        for needle in [
            "Only you see your answer",
            "will not match you with",
            "unless nothing else is possible",
            "is never told",
            "`/hallway profile`",
        ] {
            assert!(
                dm.content.contains(needle),
                "lacks {needle:?}:\n{}",
                dm.content
            );
        }
        assert_eq!(labels(&dm), ["Good fit", "Not a fit"]);
    }
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'fit-check' and state = 'done'",
        2,
    )
    .await;

    // A second click, the other member's, then the same pair in the next round.
    we_met(&env, &intro, pair[0]).await;
    we_met(&env, &intro, pair[1]).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    match_now(&env).await;
    summary(&env, 2).await;
    let (again, members) = intros_of_round(&env, 2).remove(0);
    assert_eq!(members, pair.to_vec(), "two members always meet each other");
    we_met(&env, &again, pair[1]).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    for user in pair {
        assert_eq!(
            fit_checks_to(&env, user).len(),
            1,
            "one fit check for {user}"
        );
    }
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'fit-check'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn not_a_fit_is_stored_and_shown_in_the_dm_and_a_strangers_click_changes_nothing() {
    let env = program_with(2, choice::PEER).await;
    let (_, pair) = a_pair_that_met(&env).await;
    let dm = fit_check_of(&env, pair[0]).await;
    let not_a_fit = dm.button_id("Not a fit");
    let pool = db(&env).await;

    let refused = click(&env, dm.id, &not_a_fit, ids::CORA).await;
    assert_private(
        &refused,
        &["only they can answer it", "Nothing was changed."],
    );
    assert!(answers(&pool).await.is_empty());
    assert!(
        !env.fake
            .message(dm.id)
            .unwrap()
            .content
            .contains("You said:"),
        "the DM is as it was"
    );

    let answered = click(&env, dm.id, &not_a_fit, pair[0]).await;
    assert_eq!(answered.kind, ReplyKind::Update, "{}", answered.content);
    assert!(
        answered.content.contains("You said: **Not a fit**."),
        "{}",
        answered.content
    );
    assert_eq!(answered.buttons().len(), 2, "they can change their mind");
    assert_eq!(
        answers(&pool).await,
        [(
            pair[0] as i64,
            pair[1] as i64,
            "not-a-fit".to_string(),
            true
        )]
    );
    let redrawn = env.fake.message(dm.id).unwrap();
    assert!(
        redrawn.content.contains("You said: **Not a fit**."),
        "{}",
        redrawn.content
    );

    // The last answer counts.
    let good = click(&env, dm.id, &dm.button_id("Good fit"), pair[0]).await;
    assert!(
        good.content.contains("You said: **Good fit**."),
        "{}",
        good.content
    );
    assert_eq!(
        answers(&pool).await,
        [(pair[0] as i64, pair[1] as i64, "good".to_string(), false)]
    );
}

#[tokio::test]
async fn not_a_fit_keeps_the_pair_apart_in_the_next_round_while_others_are_available() {
    // Four members meet everyone in three rounds; round 4 must repeat a pair, and the
    // engine repeats the pairs that met longest ago: round 1's. One of round 1's pairs
    // said "Not a fit", so round 4 repeats round 2's pairs instead.
    let env = program_with(4, choice::PEER).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let (intro, apart) = intros_of_round(&env, 1).remove(0);
    we_met(&env, &intro, apart[0]).await;
    let dm = fit_check_of(&env, apart[1]).await;
    click(&env, dm.id, &dm.button_id("Not a fit"), apart[1]).await;
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from fit_answer where avoiding = true"
        )
        .await,
        1
    );

    let mut met: BTreeSet<Vec<u64>> = BTreeSet::new();
    met.extend(intros_of_round(&env, 1).into_iter().map(|(_, m)| m));
    for round in 2..=3 {
        match_now(&env).await;
        summary(&env, round).await;
        for (_, members) in intros_of_round(&env, round) {
            assert!(
                met.insert(members.clone()),
                "no repeat before round 4: {members:?}"
            );
        }
    }
    assert_eq!(met.len(), 6, "everyone met everyone");

    match_now(&env).await;
    summary(&env, 4).await;
    let round_four: Vec<Vec<u64>> = intros_of_round(&env, 4)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(round_four.len(), 2, "{round_four:?}");
    assert!(
        !round_four.contains(&apart),
        "the pair who said Not a fit stays apart: {round_four:?}"
    );
}

/// The profile's "Match me again with …" menu: its custom id and (label, value) options.
fn undo_menu(reply: &Reply) -> Option<(String, Vec<(String, String)>)> {
    let menu: Value = reply
        .components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["type"] == 3)?;
    let options = menu["options"]
        .as_array()?
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap_or_default().to_string(),
                o["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Some((menu["custom_id"].as_str()?.to_string(), options))
}

async fn pick(env: &TestEnv, message: u64, custom_id: &str, user: u64, values: &[&str]) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message, custom_id).by(user).select(values))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

#[tokio::test]
async fn undoing_not_a_fit_from_the_profile_clears_the_avoid_and_the_profile_stops_listing_it() {
    let env = program_with(2, choice::PEER).await;
    let (_, pair) = a_pair_that_met(&env).await;
    let [ada, ben] = pair;
    let dm = fit_check_of(&env, ada).await;
    click(&env, dm.id, &dm.button_id("Not a fit"), ada).await;
    let pool = db(&env).await;

    let profile = run(&env, hallway("profile").by(ada)).await;
    assert_private(
        &profile,
        &["**Not a fit** (only you can see this)", "1 person"],
    );
    let (menu, options) = undo_menu(&profile).expect("a menu to undo it");
    let ben_name = if ben == member(1) {
        "member1"
    } else {
        "member2"
    };
    assert_eq!(options, [(ben_name.to_string(), ben.to_string())]);
    let theirs = run(&env, hallway("profile").by(ben)).await;
    assert!(!theirs.content.contains("Not a fit"), "{}", theirs.content);
    assert!(undo_menu(&theirs).is_none(), "Ben never sees Ada's answer");

    // A forged pick names someone who is not on the clicker's list: nothing changes.
    let message = profile.message_id.unwrap();
    let forged = pick(&env, message, &menu, ben, &[&ada.to_string()]).await;
    assert_private(&forged, &["Nothing was changed."]);
    let forged = pick(&env, message, &menu, ada, &["not-an-id"]).await;
    assert_private(&forged, &["Nothing was changed."]);
    assert_eq!(
        answers(&pool).await,
        [(ada as i64, ben as i64, "not-a-fit".to_string(), true)]
    );

    let undone = pick(&env, message, &menu, ada, &[&ben.to_string()]).await;
    assert_eq!(undone.kind, ReplyKind::Update, "{}", undone.content);
    assert!(
        undone.content.starts_with(&format!(
            "Done: hallway can match you with {ben_name} again."
        )),
        "{}",
        undone.content
    );
    assert!(
        undone.content.contains("**Your hallway profile**"),
        "{}",
        undone.content
    );
    assert!(
        !undone.content.contains("**Not a fit**"),
        "{}",
        undone.content
    );
    assert!(undo_menu(&undone).is_none());
    assert_eq!(
        answers(&pool).await,
        [(ada as i64, ben as i64, "not-a-fit".to_string(), false)],
        "the answer stays for the counts; the avoid is gone"
    );
    let again = run(&env, hallway("profile").by(ada)).await;
    assert!(!again.content.contains("Not a fit"), "{}", again.content);
    assert!(undo_menu(&again).is_none());
}

#[tokio::test]
async fn a_member_who_left_the_server_is_not_asked_about_and_not_asked() {
    let env = program_with(2, choice::PEER).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let (intro, pair) = intros_of_round(&env, 1).remove(0);
    env.fake.member_leave(ids::GUILD, pair[1]).await;
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from program_member where left_at is not null",
        1,
    )
    .await;
    we_met(&env, &intro, pair[0]).await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'fit-check'",
        2,
    )
    .await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'fit-check' and state = 'done' and message_id is null"
        )
        .await,
        2,
        "done without a post"
    );
    for user in pair {
        assert!(
            fit_checks_to(&env, user).is_empty(),
            "no fit check to {user}"
        );
    }
}
