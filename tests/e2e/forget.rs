//! forget-me takes the member's name out of Discord too, through the outbox: their chats'
//! threads are renamed, and hallway's intros there, its DM intros and its nudges are
//! rewritten, so none names them or their institution while the others keep their names;
//! their win, their shout-outs and their skip notes are deleted. It survives a 5xx and a
//! restart, is done once, and afterwards nothing stored names them.

use crate::helpers::query;
use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, run, wait_for_count, WAIT,
};
use crate::helpers::{stored_values, Stored};
use crate::rounds::{match_now, start_with, summary};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeConfig, FakeMember};
use crate::support::failures::FailRule;
use crate::support::interactions::{ButtonClick, SlashInvocation};
use crate::support::state::PostedMessage;

const ADA: u64 = ids::GENERATED_BASE + 101;
const GRACE: u64 = ids::GENERATED_BASE + 102;
const ADA_NAME: &str = "Ada Lovelace";
const ADA_PLACE: &str = "Analytical Engines Ltd";
const GRACE_NAME: &str = "Grace Hopper";
const GRACE_PLACE: &str = "Navy Labs";

/// Ada and Grace joined, with their institutions, in a program whose wins and
/// milestones go to #celebrations.
async fn joined() -> TestEnv {
    let config = FakeConfig::default()
        .with_member(FakeMember::new(ADA, "ada").global_name(ADA_NAME))
        .with_member(FakeMember::new(GRACE, "grace").global_name(GRACE_NAME));
    let env = start_with(config).await;
    let setup = run(
        &env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .channel_opt("celebrations_channel", ids::CELEBRATIONS)
            .by(ids::CORA),
    )
    .await;
    assert_private(&setup, &["Saved."]);
    for (user, place) in [(ADA, ADA_PLACE), (GRACE, GRACE_PLACE)] {
        let joined = run(
            &env,
            hallway("join")
                .opt("role", choice::PEER)
                .opt("institution", place)
                .by(user),
        )
        .await;
        assert!(joined.content.contains("Role:"), "{}", joined.content);
    }
    env
}

/// Ada and Grace joined, with their institutions, and were matched in round 1: their
/// thread is made and its intro posted. Ada's win is posted in #celebrations.
async fn matched() -> (TestEnv, u64, PostedMessage, PostedMessage) {
    let env = joined().await;
    let won = run(
        &env,
        SlashInvocation::new("win")
            .opt("kind", 0)
            .opt("description", "Proved the engine can compose music")
            .by(ADA),
    )
    .await;
    assert!(won.ephemeral, "{}", won.content);
    let win = env
        .fake
        .wait_for_message(
            ids::CELEBRATIONS,
            |m| m.content.contains(&format!("<@{ADA}>")),
            WAIT,
        )
        .await;
    match_now(&env).await;
    summary(&env, 1).await;
    let thread = env
        .fake
        .threads()
        .into_iter()
        .find(|t| t.parent_id == Some(ids::MENTORING))
        .expect("the pair's thread");
    assert!(
        thread.name.contains(ADA_NAME) && thread.name.contains(GRACE_NAME),
        "{}",
        thread.name
    );
    let intro = env.fake.messages_in(thread.id).remove(0);
    assert!(intro.content.contains(ADA_PLACE), "{}", intro.content);
    (env, thread.id, intro, win)
}

/// Ada runs forget-me and confirms; returns the confirmation she reads.
async fn forget_ada(env: &TestEnv) -> String {
    let ask = run(env, hallway("forget-me").by(ADA)).await;
    assert_private(
        &ask,
        &[
            "renamed",
            "a former member",
            "What you wrote yourself stays yours",
            "cannot be undone",
        ],
    );
    let confirm = ask.buttons()[0].custom_id.clone().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(ask.message_id.unwrap(), &confirm).by(ADA))
        .await;
    let done = env.fake.reply_to(&handle, WAIT).await;
    assert!(
        done.content
            .contains("Everything hallway stored about you in this server is deleted"),
        "{}",
        done.content
    );
    done.content
}

/// Waits until the thread's name and its intro no longer name Ada; returns them.
async fn until_ada_is_gone(env: &TestEnv, thread: u64, intro: u64) -> (String, String) {
    env.fake
        .wait_until(WAIT, "the thread and its intro without Ada", |f| {
            let name = f.channel(thread)?.name;
            let text = f.message(intro)?.content;
            (!name.contains(ADA_NAME) && !text.contains(ADA_NAME)).then_some((name, text))
        })
        .await
}

#[track_caller]
fn assert_only_grace_is_named(name: &str, intro: &str) {
    assert_eq!(name, format!("{GRACE_NAME} & a former member · round 1"));
    for gone in [ADA_NAME, ADA_PLACE, &format!("<@{ADA}>")] {
        assert!(
            !intro.contains(gone),
            "the intro still has {gone:?}:\n{intro}"
        );
    }
    for kept in [
        GRACE_NAME,
        GRACE_PLACE,
        &format!("<@{GRACE}>"),
        "a former member",
    ] {
        assert!(intro.contains(kept), "the intro lost {kept:?}:\n{intro}");
    }
}

/// Every text column of every table: none holds Ada's name, institution or id.
async fn assert_nothing_stored_names_ada(env: &TestEnv) {
    let pool = db(env).await;
    for (table, column, value) in stored_values(&pool).await {
        match value {
            Stored::Int(v) => assert_ne!(v, ADA as i64, "{table}.{column} holds Ada's id"),
            Stored::Text(text) => {
                for needle in [ADA_NAME, ADA_PLACE, &ADA.to_string()] {
                    assert!(
                        !text.contains(needle),
                        "{table}.{column} still has {needle:?}: {text}"
                    );
                }
            }
            Stored::Other => {}
        }
    }
}

const OPEN_REDACTIONS: &str = "select count(*) from outbox
     where kind in ('rename-thread', 'redact-message', 'delete-message') and state <> 'done'";

#[tokio::test]
async fn forget_me_renames_the_thread_and_rewrites_the_intro_without_the_member_and_deletes_their_win(
) {
    let (env, thread, intro, win) = matched().await;
    let done = forget_ada(&env).await;
    assert!(done.contains("taking your name out"), "{done}");

    let (name, text) = until_ada_is_gone(&env, thread, intro.id).await;
    assert_only_grace_is_named(&name, &text);
    // The buttons stay, for Grace: None of these work, and the three answers.
    assert_eq!(env.fake.message(intro.id).unwrap().buttons().len(), 4);
    env.fake
        .wait_until(WAIT, "Ada's win deleted", |f| {
            f.message(win.id).is_some_and(|m| m.deleted).then_some(())
        })
        .await;
    let pool = db(&env).await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    assert_nothing_stored_names_ada(&env).await;
    // Grace's later answer rewrites the intro the same way: Ada does not come back.
    let met = intro.button_id("We met");
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &met).by(GRACE))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
    let after = env.fake.message(intro.id).unwrap().content;
    assert!(after.contains("We met:** Grace Hopper"), "{after}");
    assert!(
        !after.contains(ADA_NAME) && after.contains("a former member"),
        "{after}"
    );
    assert!(
        env.fake.unknown_routes().is_empty(),
        "{}",
        env.fake.describe_requests()
    );
}

#[tokio::test]
async fn a_5xx_on_the_rename_is_retried_and_the_thread_renamed_once() {
    let (env, thread, intro, _) = matched().await;
    let rename = format!("/channels/{thread}");
    env.fake
        .fail(FailRule::new("PATCH", &rename).server_error(502).times(1));
    forget_ada(&env).await;

    let (name, text) = until_ada_is_gone(&env, thread, intro.id).await;
    assert_only_grace_is_named(&name, &text);
    let pool = db(&env).await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    let calls = env.fake.calls_to("PATCH", &rename);
    let failed = calls.iter().filter(|c| c.injected.is_some()).count();
    let renamed = calls.iter().filter(|c| c.status == 200).count();
    assert_eq!(
        (failed, renamed),
        (1, 1),
        "{}",
        env.fake.describe_requests()
    );
    assert_eq!(
        count(
            &pool,
            "select failures from outbox where kind = 'rename-thread'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_restart_between_forget_me_and_delivery_still_renames_and_rewrites() {
    let (mut env, thread, intro, _) = matched().await;
    // Discord fails every change until the restart, so the rows are still pending then.
    env.fake.fail(
        FailRule::new("PATCH", "/channels/*")
            .server_error(503)
            .times(usize::MAX),
    );
    env.fake.fail(
        FailRule::new("PATCH", "/channels/*/messages/*")
            .server_error(503)
            .times(usize::MAX),
    );
    forget_ada(&env).await;
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'rename-thread' and state = 'pending' and failures > 0",
        1,
    )
    .await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'redact-message' and state = 'pending'"
        )
        .await,
        1
    );
    env.bot.kill().await;
    env.fake.clear_failures();
    env.restart_bot().await;

    let (name, text) = until_ada_is_gone(&env, thread, intro.id).await;
    assert_only_grace_is_named(&name, &text);
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    assert_nothing_stored_names_ada(&env).await;
}

#[tokio::test]
async fn an_archived_thread_is_reopened_to_be_renamed_and_archived_again() {
    let (env, thread, intro, _) = matched().await;
    env.fake.archive_thread(thread);
    forget_ada(&env).await;

    let (name, text) = until_ada_is_gone(&env, thread, intro.id).await;
    assert_only_grace_is_named(&name, &text);
    let pool = db(&env).await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    assert!(env.fake.channel(thread).unwrap().archived, "archived again");
    // Discord refused the rename and the edit while archived (50083), as it does; each
    // was made once the thread was reopened.
    let thread_path = format!("/channels/{thread}");
    let edit_path = format!("/channels/{thread}/messages/{}", intro.id);
    let statuses = |path: &str| -> Vec<u16> {
        env.fake
            .calls_to("PATCH", path)
            .iter()
            .map(|c| c.status)
            .collect()
    };
    // Rename refused, reopen, rename, archive; then the edit refused, reopen, edit, archive.
    assert_eq!(statuses(&thread_path), [400, 200, 200, 200, 200, 200]);
    assert_eq!(statuses(&edit_path), [400, 200]);
}

#[tokio::test]
async fn the_note_that_the_member_skipped_a_round_is_deleted() {
    let (env, thread, intro, _) = matched().await;
    let skip = intro.button_id("Skip this round");
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &skip).by(ADA))
        .await;
    let note = env.fake.reply_to(&handle, WAIT).await;
    assert!(
        !note.ephemeral && note.content.contains(ADA_NAME),
        "{}",
        note.content
    );
    let note_id = note
        .message_id
        .expect("the note is a message in the thread");
    assert_eq!(env.fake.message(note_id).unwrap().channel_id, thread);
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        &format!("select count(*) from skip_note where message_id = {note_id}"),
        1,
    )
    .await;

    forget_ada(&env).await;
    env.fake
        .wait_until(WAIT, "the skip note deleted", |f| {
            f.message(note_id).is_some_and(|m| m.deleted).then_some(())
        })
        .await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    assert_eq!(count(&pool, "select count(*) from skip_note").await, 0);
    assert_nothing_stored_names_ada(&env).await;
}

/// Ada and Grace joined, with their institutions, and were matched in round 1, but the
/// channel refused their thread (403): each was sent the intro by DM. Returns the DMs,
/// Ada's first.
async fn matched_by_dm() -> (TestEnv, [PostedMessage; 2]) {
    let env = joined().await;
    env.fake.fail(
        FailRule::new("POST", "/channels/*/threads")
            .times(1)
            .missing_permissions(),
    );
    match_now(&env).await;
    let summary = summary(&env, 1).await;
    assert!(
        summary.content.contains("1 group(s) were told by DM"),
        "{}",
        summary.content
    );
    let dms = [ADA, GRACE].map(|user| {
        let mut dms = env.fake.dms_to(user);
        assert_eq!(dms.len(), 1, "one DM each: {dms:?}");
        dms.remove(0)
    });
    for dm in &dms {
        for named in [ADA_NAME, ADA_PLACE, GRACE_NAME, GRACE_PLACE] {
            assert!(dm.content.contains(named), "{named:?}:\n{}", dm.content);
        }
    }
    (env, dms)
}

#[tokio::test]
async fn a_group_told_by_dm_has_both_dm_intros_rewritten_without_the_member() {
    let (env, dms) = matched_by_dm().await;
    forget_ada(&env).await;

    let pool = db(&env).await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    // Both DMs, Ada's own too, read as the group is now: Grace, and a former member.
    let expected = format!(
        "👋 You're matched for **round 1** of hallway with <@{GRACE}>! (I couldn't open a private \
         thread, so I'm writing to each of you.)\n\n**Who's here**\n\
         • <@{GRACE}> ({GRACE_NAME}): peer · {GRACE_PLACE}\n• a former member\n"
    );
    for dm in &dms {
        let now = env.fake.message(dm.id).unwrap();
        assert_eq!(now.edits, 1, "edited once:\n{}", now.content);
        assert!(
            now.content.starts_with(&expected),
            "expected it to start with:\n{expected}\nbut it reads:\n{}",
            now.content
        );
        for gone in [ADA_NAME, ADA_PLACE, &format!("<@{ADA}>")] {
            assert!(
                !now.content.contains(gone),
                "the DM still has {gone:?}:\n{}",
                now.content
            );
        }
    }
    // There is no thread to rename or intro in one to rewrite.
    assert!(env.fake.threads().is_empty());
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'rename-thread'"
        )
        .await,
        0
    );
    assert_nothing_stored_names_ada(&env).await;
}

#[tokio::test]
async fn a_posted_halfway_nudge_is_rewritten_without_the_members_mention() {
    let (env, thread, intro, _) = matched().await;
    // Halfway through the round: move the nudge's due time to now.
    let pool = db(&env).await;
    query("update outbox set due_at = '2000-01-01T00:00:00Z' where kind = 'nudge'")
        .execute(&pool)
        .await
        .unwrap();
    let nudge = env
        .fake
        .wait_for_message(thread, |m| m.content.contains("gentle nudge"), WAIT)
        .await;
    assert!(
        nudge.content.contains(&format!("<@{ADA}>")),
        "{}",
        nudge.content
    );
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'nudge' and state = 'done'",
        1,
    )
    .await;

    forget_ada(&env).await;
    let (name, text) = until_ada_is_gone(&env, thread, intro.id).await;
    assert_only_grace_is_named(&name, &text);
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    let now = env.fake.message(nudge.id).unwrap();
    assert!(!now.deleted);
    assert_eq!(now.edits, 1, "edited once:\n{}", now.content);
    assert!(
        now.content
            .starts_with(&format!("🌱 <@{GRACE}>: a gentle nudge for round 1.")),
        "{}",
        now.content
    );
    assert!(
        !now.content.contains(&ADA.to_string()),
        "the nudge still mentions Ada:\n{}",
        now.content
    );
    assert_nothing_stored_names_ada(&env).await;
}

#[tokio::test]
async fn the_members_first_chat_shout_out_is_deleted() {
    let (env, _, intro, win) = matched().await;
    let met = intro.button_id("We met");
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &met).by(ADA))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
    let shout = env
        .fake
        .wait_for_message(
            ids::CELEBRATIONS,
            |m| {
                m.content.contains("first hallway chat") && m.content.contains(&format!("<@{ADA}>"))
            },
            WAIT,
        )
        .await;
    let pool = db(&env).await;
    // The post reaches Discord a moment before its row records where it is, and forget-me
    // finds it by that record.
    wait_for_count(
        &pool,
        &format!("select count(*) from outbox where key like 'chats:{ADA}:%' and state = 'done'"),
        1,
    )
    .await;

    forget_ada(&env).await;
    env.fake
        .wait_until(WAIT, "Ada's shout-out and win deleted", |f| {
            [shout.id, win.id]
                .iter()
                .all(|id| f.message(*id).is_some_and(|m| m.deleted))
                .then_some(())
        })
        .await;
    wait_for_count(&pool, OPEN_REDACTIONS, 0).await;
    let about_ada: Vec<String> = env
        .fake
        .messages_in(ids::CELEBRATIONS)
        .into_iter()
        .map(|m| m.content)
        .filter(|text| text.contains(&ADA.to_string()) || text.contains(ADA_NAME))
        .collect();
    assert!(about_ada.is_empty(), "{about_ada:?}");
    assert_nothing_stored_names_ada(&env).await;
}
