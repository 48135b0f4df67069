//! "Needs attention" end to end: the list on a history of real rounds and clicks (and a
//! pause that ran out), its setting checked before anything is saved, and the weekly
//! digest in the coordinators' channel: posted once, pinging nobody, and not at all once
//! it is turned off; after a member's forget-me, the digests that name them are deleted
//! (one still in flight is posted again without them) and nothing stored keeps their id.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, run, wait_for_count,
    wait_for_scheduler_passes, WAIT,
};
use crate::helpers::{query, query_as, query_scalar, Db};
use crate::helpers::{stored_values, Stored};
use crate::rounds::{join, match_now, member, set_up_program, start, summary, threads_with_intros};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::failures::FailRule;
use crate::support::fake_discord::Reply;
use crate::support::interactions::{ButtonClick, OptionValue};
use crate::support::state::PostedMessage;

/// The intro of `user`'s group in round `round`, and who is in it.
fn group_of(env: &TestEnv, round: u32, user: u64) -> (PostedMessage, Vec<u64>) {
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
            let members = intro.mentioned_ids();
            (intro, members)
        })
        .find(|(_, members)| members.contains(&user))
        .unwrap_or_else(|| panic!("no group of {user} in round {round}"))
}

async fn click(env: &TestEnv, intro: &PostedMessage, label: &str, user: u64) {
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &intro.button_id(label)).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
}

/// Whom a message may notify: nobody, for everything this file checks.
#[track_caller]
fn assert_pings_nobody(allowed: Option<&Value>) {
    let allowed = allowed.expect("allowed mentions set");
    assert_eq!(
        allowed["parse"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "{allowed}"
    );
    for list in ["users", "roles"] {
        assert!(
            allowed
                .get(list)
                .is_none_or(|l| l.as_array().is_some_and(|l| l.is_empty())),
            "{allowed}"
        );
    }
}

/// What a posted digest's row keeps: whom it names, by id.
fn named(users: &[u64]) -> String {
    let ids: Vec<String> = users.iter().map(u64::to_string).collect();
    format!("{{\"named\":[{}]}}", ids.join(","))
}

/// `<@id> (member<n>)`: how an entry names a generated member.
fn who(user: u64) -> String {
    format!("<@{user}> (member{})", user - ids::GENERATED_BASE)
}

async fn edit_program(env: &TestEnv, option: &str, value: impl Into<OptionValue>) -> Reply {
    run(
        env,
        admin("edit")
            .group("program")
            .opt(option, value)
            .by(ids::CORA),
    )
    .await
}

#[tokio::test]
async fn the_attention_list_shows_each_kind_of_entry_from_real_rounds_and_not_those_who_met() {
    let env = start(5).await;
    set_up_program(&env).await;
    let reply = run(
        &env,
        admin("matching")
            .opt("mode", choice::MENTOR_MENTEE)
            .opt("group_size", 2i64)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved."]);
    let (mentors, met, slipping, paused) =
        ([member(1), member(2)], member(3), member(4), member(5));
    for mentor in mentors {
        let reply = run(
            &env,
            hallway("join")
                .opt("role", choice::MENTOR)
                .opt("capacity", 1i64)
                .by(mentor),
        )
        .await;
        assert!(reply.content.contains("Role:"), "{}", reply.content);
    }
    for mentee in [met, slipping, paused] {
        join(&env, mentee, choice::MENTEE).await;
    }
    let reply = run(&env, hallway("pause").opt("weeks", 1i64).by(paused)).await;
    assert!(reply.ephemeral, "{}", reply.content);
    let reply = edit_program(&env, "attention_rounds", 2i64).await;
    assert_private(
        &reply,
        &["Attention list: after 2 rounds without a \"We met\""],
    );

    // Round 1: one group met, the other answered "Not yet". Round 2: one group met, the
    // other never answered. Round 3 is still running.
    let mut slipping_mentor = Vec::new();
    for round in 1..=2u32 {
        match_now(&env).await;
        summary(&env, round).await;
        let (intro, _) = group_of(&env, round, met);
        click(&env, &intro, "We met", met).await;
        let (intro, members) = group_of(&env, round, slipping);
        if round == 1 {
            click(&env, &intro, "Not yet", slipping).await;
        }
        let mentor = members.into_iter().find(|m| *m != slipping).unwrap();
        slipping_mentor.push(mentor);
    }
    match_now(&env).await;
    summary(&env, 3).await;
    // The pause ran out as round 1 started, and nobody matched them since.
    let pool = db(&env).await;
    query(
        "update program_member set paused_until = (select due_at from round where number = 1)
         where user_id = $1",
    )
    .bind(paused as i64)
    .execute(&pool)
    .await
    .unwrap();
    let round_1: DateTime<Utc> = query_scalar("select due_at from round where number = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        count(&pool, "select count(*) from outcome where status = 'met'").await,
        2
    );
    let outbox_before = count(&pool, "select count(*) from outbox").await;

    let reply = run(&env, admin("attention").by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "**Needs attention in hallway**",
            "_Round 3 is still running: its answers count once it ends._",
            "**No \"We met\" in their last 2 rounds**",
            &format!("• {}: rounds 1, 2", who(slipping)),
            "**Groups where nobody answered**",
            &format!("• Round 2: {}, {}", who(slipping_mentor[1]), who(slipping)),
            "**Pause over, not matched since**",
            &format!(
                "• {}: pause ended <t:{}:D>; since then rounds 1, 2, 3",
                who(paused),
                round_1.timestamp()
            ),
            "**Mentors at capacity every round**",
            &format!("• {}: 1 mentee in each of rounds 2, 3", who(mentors[0])),
            &format!("• {}: 1 mentee in each of rounds 2, 3", who(mentors[1])),
        ],
    );
    assert!(
        !reply.content.contains(&format!("<@{met}>")),
        "the member who met every round is not listed:\n{}",
        reply.content
    );
    // A mentor is listed as not meeting only if both their groups were the slipping ones.
    for mentor in mentors {
        let slipped_both = slipping_mentor.iter().all(|m| *m == mentor);
        let line = format!("{}: rounds 1, 2", who(mentor));
        assert_eq!(
            reply.content.contains(&line),
            slipped_both,
            "{}",
            reply.content
        );
    }
    assert_pings_nobody(reply.allowed_mentions.as_ref());
    assert_eq!(
        count(&pool, "select count(*) from outbox").await,
        outbox_before,
        "reading the list changes nothing"
    );
}

#[tokio::test]
async fn an_unknown_program_or_a_bad_attention_setting_gets_a_clear_private_error_and_changes_nothing(
) {
    let env = start(2).await;
    set_up_program(&env).await;
    let pool = db(&env).await;
    let settings =
        "select cast(attention_rounds as text) || ':' || coalesce(cast(coordinators_channel_id as text), '-') from program";
    let before: String = query_scalar(settings).fetch_one(&pool).await.unwrap();
    assert_eq!(before, "3:-");

    let reply = run(
        &env,
        admin("attention").opt("program", "Nope").by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["There's no program called 'Nope'", "**hallway**"]);
    for rounds in [13i64, 0] {
        let reply = edit_program(&env, "attention_rounds", rounds).await;
        assert_private(&reply, &[&format!("must be from 1 to 12, not {rounds}")]);
    }
    let reply = run(
        &env,
        admin("edit")
            .group("program")
            .opt("attention_rounds", 5i64)
            .opt("program", "Nope")
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["There's no program called 'Nope'"]);
    let reply = edit_program(&env, "weekly_digest", true).await;
    assert_private(&reply, &["coordinators_channel:#"]);
    let after: String = query_scalar(settings).fetch_one(&pool).await.unwrap();
    assert_eq!(after, before, "nothing was saved");
    assert_eq!(count(&pool, "select count(*) from program").await, 1);

    // An empty program needs nobody; the list says so.
    let reply = run(&env, admin("attention").by(ids::CORA)).await;
    assert_private(
        &reply,
        &["Nobody needs your attention in hallway right now."],
    );
}

#[tokio::test]
async fn the_weekly_digest_is_posted_once_in_the_coordinators_channel_pinging_nobody_and_not_after_it_is_turned_off(
) {
    let env = start(2).await;
    for n in 1..=2 {
        join(&env, member(n), choice::PEER).await;
    }
    let reply = run(
        &env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .channel_opt("coordinators_channel", ids::GENERAL)
            .by(ids::CORA),
    )
    .await;
    assert_private(
        &reply,
        &[
            "Saved.",
            &format!(
                "weekly digest in <#{}> on Mondays at 09:00 (UTC)",
                ids::GENERAL
            ),
            "Stop it with `/hallway-admin program edit weekly_digest:false`",
        ],
    );
    let pool = db(&env).await;
    let program: i64 = query_scalar("select program_id from program")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where coordinators_channel_id is not null"
        )
        .await,
        1
    );
    // A finished round of two where nobody answered: something for the digest to show.
    match_now(&env).await;
    summary(&env, 1).await;
    query("update round set due_at = '2020-01-06T09:00:00+00:00'")
        .execute(&pool)
        .await
        .unwrap();

    // A pass queues this week's digest, due next Monday at 09:00 UTC.
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest'",
        1,
    )
    .await;
    let (key, due, state): (String, DateTime<Utc>, String) =
        query_as("select key, due_at, state from outbox where kind = 'attention-digest'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "pending");
    assert!(
        due > Utc::now() && due <= Utc::now() + chrono::Duration::weeks(1),
        "{due}"
    );
    assert_eq!(
        (due.weekday(), due.hour(), due.minute()),
        (chrono::Weekday::Mon, 9, 0)
    );
    let week = due.iso_week();
    assert_eq!(
        key,
        format!(
            "attention-digest:{program}:{}-W{:02}",
            week.year(),
            week.week()
        )
    );

    // Made due: it is posted in the coordinators' channel, names the members, pings nobody.
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    let digest = env
        .fake
        .wait_for_message(
            ids::GENERAL,
            |m| m.content.contains("Weekly attention digest"),
            WAIT,
        )
        .await;
    assert!(
        digest
            .content
            .starts_with("📋 **Weekly attention digest: hallway**"),
        "{}",
        digest.content
    );
    assert!(
        digest.content.contains(&format!(
            "**Groups where nobody answered**\n• Round 1: {}, {}",
            who(member(1)),
            who(member(2))
        )),
        "{}",
        digest.content
    );
    assert_pings_nobody(digest.allowed_mentions.as_ref());
    // Its row keeps whom it names, by id only: what forget-me needs to find it.
    wait_for_count(
        &pool,
        &format!(
            "select count(*) from outbox where kind = 'attention-digest' and state = 'done'
             and message_id = {} and detail = '{}'",
            digest.id,
            named(&[member(1), member(2)])
        ),
        1,
    )
    .await;

    // More passes in the same week queue nothing new.
    wait_for_scheduler_passes(&env.bot, Utc::now(), 2).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'attention-digest'"
        )
        .await,
        1
    );

    // As if that digest had been last week's: this week's is queued again.
    query(format!(
        "update outbox set key = 'attention-digest:{program}:2020-W01' where kind = 'attention-digest'"
    ))
    .execute(&pool)
    .await
    .unwrap();
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest'",
        2,
    )
    .await;

    // Turned off: nothing more is queued, and the digest already queued posts nothing.
    let reply = edit_program(&env, "weekly_digest", false).await;
    assert_private(
        &reply,
        &["Attention list: after 3 rounds without a \"We met\"; no weekly digest"],
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where coordinators_channel_id is null"
        )
        .await,
        1
    );
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest' and state = 'done'",
        2,
    )
    .await;
    wait_for_scheduler_passes(&env.bot, Utc::now(), 2).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'attention-digest'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'attention-digest' and message_id is null"
        )
        .await,
        1,
        "the second was never posted"
    );
    let digests = env
        .fake
        .messages_in(ids::GENERAL)
        .into_iter()
        .filter(|m| m.content.contains("Weekly attention digest"))
        .count();
    assert_eq!(digests, 1);
}

/// Two peers in a finished round where nobody answered, and the digest going to #general,
/// its row queued for next Monday. Returns the bot's database.
async fn a_silent_round_with_a_digest(env: &TestEnv) -> Db {
    for n in 1..=2 {
        join(env, member(n), choice::PEER).await;
    }
    let reply = run(
        env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .channel_opt("coordinators_channel", ids::GENERAL)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved."]);
    match_now(env).await;
    summary(env, 1).await;
    let pool = db(env).await;
    query("update round set due_at = '2020-01-06T09:00:00+00:00'")
        .execute(&pool)
        .await
        .unwrap();
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest'",
        1,
    )
    .await;
    pool
}

#[tokio::test]
async fn a_digest_that_reached_discord_before_a_crash_is_found_and_not_posted_again_though_the_list_changed(
) {
    let mut env = start(2).await;
    let pool = a_silent_round_with_a_digest(&env).await;
    // The post lands, but the bot never hears back before it is killed.
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/messages", ids::GENERAL))
            .times(1)
            .act_then_delay(std::time::Duration::from_secs(30)),
    );
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    let digest = env
        .fake
        .wait_for_message(
            ids::GENERAL,
            |m| m.content.contains("Weekly attention digest"),
            WAIT,
        )
        .await;
    assert!(
        digest.content.contains("Groups where nobody answered"),
        "{}",
        digest.content
    );
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest' and attempts = 1
         and detail is not null",
        1,
    )
    .await;
    // Meanwhile the group said it met: worked out again, the list would now be empty.
    query(
        "insert into outcome (group_id, guild_id, user_id, status, recorded_at)
         select group_id, guild_id, user_id, 'met', '2026-11-20T09:00:00+00:00'
         from group_member limit 1",
    )
    .execute(&pool)
    .await
    .unwrap();
    env.restart_bot().await;
    env.bot
        .wait_for_log("found the message an earlier attempt sent", WAIT)
        .await;
    wait_for_count(
        &pool,
        &format!(
            "select count(*) from outbox where kind = 'attention-digest' and state = 'done'
             and message_id = {} and detail = '{}'",
            digest.id,
            named(&[member(1), member(2)])
        ),
        1,
    )
    .await;
    let digests = env
        .fake
        .messages_in(ids::GENERAL)
        .into_iter()
        .filter(|m| m.content.contains("Weekly attention digest"))
        .count();
    assert_eq!(digests, 1, "posted once");
}

#[tokio::test]
async fn a_digest_discord_refuses_fails_with_its_reason_and_keeps_no_names() {
    let env = start(2).await;
    let pool = a_silent_round_with_a_digest(&env).await;
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/messages", ids::GENERAL))
            .times(1)
            .missing_access(),
    );
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest' and state = 'failed'
         and last_error like '%50001%' and detail is null",
        1,
    )
    .await;
    assert!(env
        .fake
        .messages_in(ids::GENERAL)
        .iter()
        .all(|m| !m.content.contains("Weekly attention digest")));
}

/// `user` runs forget-me and confirms it.
async fn forget(env: &TestEnv, user: u64) {
    let ask = run(env, hallway("forget-me").by(user)).await;
    let confirm = ask.buttons()[0].custom_id.clone().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(ask.message_id.unwrap(), &confirm).by(user))
        .await;
    let done = env.fake.reply_to(&handle, WAIT).await;
    assert!(
        done.content
            .contains("Everything hallway stored about you in this server is deleted"),
        "{}",
        done.content
    );
}

/// Every table, every column: no value is `user`'s id, and no text contains it.
async fn assert_nothing_stored_holds(pool: &Db, user: u64) {
    for (table, column, value) in stored_values(pool).await {
        match value {
            Stored::Int(v) => assert_ne!(v, user as i64, "{table}.{column} holds the id"),
            Stored::Text(text) => assert!(
                !text.contains(&user.to_string()),
                "{table}.{column} still names them: {text}"
            ),
            Stored::Other => {}
        }
    }
}

const OPEN_DELETIONS: &str =
    "select count(*) from outbox where kind = 'delete-message' and state <> 'done'";

fn is_digest(message: &PostedMessage) -> bool {
    message.content.contains("Weekly attention digest")
}

#[tokio::test]
async fn a_posted_digest_naming_a_member_is_deleted_after_their_forget_me_and_nothing_stored_keeps_their_id(
) {
    let env = start(2).await;
    let pool = a_silent_round_with_a_digest(&env).await;
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    let digest = env
        .fake
        .wait_for_message(ids::GENERAL, is_digest, WAIT)
        .await;
    assert!(
        digest.content.contains(&who(member(1))),
        "{}",
        digest.content
    );
    wait_for_count(
        &pool,
        &format!(
            "select count(*) from outbox where kind = 'attention-digest' and state = 'done'
             and detail = '{}'",
            named(&[member(1), member(2)])
        ),
        1,
    )
    .await;

    forget(&env, member(1)).await;
    env.fake
        .wait_until(WAIT, "the digest naming the member deleted", |f| {
            f.message(digest.id)
                .is_some_and(|m| m.deleted)
                .then_some(())
        })
        .await;
    wait_for_count(&pool, OPEN_DELETIONS, 0).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'attention-digest' and detail is null"
        )
        .await,
        1,
        "the digest's row keeps nothing of whom it named"
    );
    assert_nothing_stored_holds(&pool, member(1)).await;
}

#[tokio::test]
async fn a_digest_in_flight_when_a_member_it_names_is_forgotten_is_withdrawn_its_late_post_deleted_and_the_week_posted_again_without_them(
) {
    let env = start(2).await;
    let pool = a_silent_round_with_a_digest(&env).await;
    // The post lands, but the bot hears back only a few seconds later.
    env.fake.fail(
        FailRule::new("POST", &format!("/channels/{}/messages", ids::GENERAL))
            .times(1)
            .act_then_delay(std::time::Duration::from_secs(4)),
    );
    query("update outbox set due_at = '2020-01-01T00:00:00+00:00' where kind = 'attention-digest'")
        .execute(&pool)
        .await
        .unwrap();
    let late = env
        .fake
        .wait_for_message(ids::GENERAL, is_digest, WAIT)
        .await;
    assert!(late.content.contains(&who(member(1))), "{}", late.content);
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'attention-digest' and state = 'pending'
         and attempts = 1 and detail is not null",
        1,
    )
    .await;

    forget(&env, member(1)).await;
    // The week's digest is worked out again, without them, and posted at once.
    let fresh = env
        .fake
        .wait_for_message(ids::GENERAL, |m| is_digest(m) && m.id != late.id, WAIT)
        .await;
    assert!(
        fresh.content.contains(&format!(
            "**Groups where nobody answered**\n• Round 1: {}",
            who(member(2))
        )),
        "{}",
        fresh.content
    );
    assert!(
        !fresh.content.contains(&member(1).to_string()),
        "{}",
        fresh.content
    );
    // The withdrawn try's post, once the bot hears of it, is deleted.
    env.fake
        .wait_until(WAIT, "the late digest deleted", |f| {
            f.message(late.id).is_some_and(|m| m.deleted).then_some(())
        })
        .await;
    wait_for_count(&pool, OPEN_DELETIONS, 0).await;
    let rows: Vec<(String, Option<i64>, Option<String>)> =
        query_as("select state, message_id, detail from outbox where kind = 'attention-digest'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [(
            "done".to_string(),
            Some(fresh.id as i64),
            Some(named(&[member(2)]))
        )],
        "one row for the week, the fresh post's"
    );
    let digests: Vec<u64> = env
        .fake
        .messages_in(ids::GENERAL)
        .into_iter()
        .filter(is_digest)
        .map(|m| m.id)
        .collect();
    assert_eq!(digests, [fresh.id], "one digest left in the channel");
    assert_nothing_stored_holds(&pool, member(1)).await;
}
