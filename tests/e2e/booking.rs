//! Booking a chat end to end: the slots in the intro, picks that overlap, "Booked" with
//! a calendar file read back by an iCalendar parser, the reminder across a restart, the
//! nudge a booked group is spared, Reschedule, "None of these work", DM groups, and
//! clicks from outside the group.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::helpers::{admin, assert_private, choice, count, db, run, wait_for_count, WAIT};
use crate::helpers::{query, query_scalar, Db};
use crate::rounds::{
    join, match_now, member, program_with, set_up_program, start, summary, threads_with_intros,
};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::failures::FailRule;
use crate::support::fake_discord::{Reply, ReplyKind};
use crate::support::interactions::ButtonClick;
use crate::support::state::PostedMessage;

/// The slot menu of a message: its custom id and each option's Unix time.
fn slot_menu(components: &[Value]) -> (String, Vec<String>) {
    let menu = components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["type"] == 3)
        .unwrap_or_else(|| panic!("no slot menu in {components:?}"));
    let values = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap().to_string())
        .collect();
    (menu["custom_id"].as_str().unwrap().to_string(), values)
}

fn time_of(value: &str) -> DateTime<Utc> {
    DateTime::from_timestamp(value.parse().unwrap(), 0).unwrap()
}

/// Picks `values` in the menu `custom_id` on message `message` as `user`; the reply.
async fn pick(env: &TestEnv, message: u64, custom_id: &str, user: u64, values: &[&str]) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message, custom_id).by(user).select(values))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

async fn click(env: &TestEnv, message: u64, custom_id: &str, user: u64) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message, custom_id).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// A pair's first round: its thread, its intro, and its two members.
async fn one_pair(env: &TestEnv) -> (u64, PostedMessage, [u64; 2]) {
    match_now(env).await;
    summary(env, 1).await;
    let threads = threads_with_intros(env);
    let (thread, messages) = threads[0].clone();
    let intro = messages[0].clone();
    let pair: Vec<u64> = intro.mentioned_ids();
    (thread, intro, [pair[0], pair[1]])
}

/// The pair picks overlapping slots (the first picks 1 and 2, the second 2 and 3): the
/// time booked is the second slot. Returns it.
async fn book_second_slot(env: &TestEnv, intro: &PostedMessage, pair: [u64; 2]) -> DateTime<Utc> {
    let (menu, values) = slot_menu(&intro.components);
    let first = pick(env, intro.id, &menu, pair[0], &[&values[0], &values[1]]).await;
    assert_eq!(first.kind, ReplyKind::Update, "{}", first.content);
    let (menu, values) = slot_menu(&first.components);
    let second = pick(env, intro.id, &menu, pair[1], &[&values[1], &values[2]]).await;
    assert!(
        second.content.contains("📅 **Booked:**"),
        "{}",
        second.content
    );
    time_of(&values[1])
}

/// The thread's messages that contain `needle`.
fn posts_with(env: &TestEnv, channel: u64, needle: &str) -> Vec<PostedMessage> {
    env.fake
        .messages_in(channel)
        .into_iter()
        .filter(|m| m.content.contains(needle))
        .collect()
}

/// The single VEVENT of an `.ics` file, parsed by the `ical` crate: property name to value.
fn parse_event(ics: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(ics));
    let calendar = calendars
        .next()
        .expect("one calendar")
        .expect("a calendar the parser reads");
    assert!(calendars.next().is_none(), "one calendar in the file");
    assert_eq!(calendar.events.len(), 1, "one event");
    calendar.events[0]
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

async fn make_due(pool: &Db, kind: &str) {
    query(
        "update outbox set due_at = '2000-01-01T00:00:00Z' where kind = $1 and state = 'pending'",
    )
    .bind(kind)
    .execute(pool)
    .await
    .unwrap();
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

#[tokio::test]
async fn two_members_who_pick_overlapping_slots_get_booked_with_a_calendar_file() {
    let env = program_with(2, choice::PEER).await;
    let (thread, intro, pair) = one_pair(&env).await;
    assert!(
        intro.content.contains("**Pick a time**"),
        "{}",
        intro.content
    );
    let (menu, values) = slot_menu(&intro.components);
    assert!((3..=5).contains(&values.len()), "{values:?}");
    for value in &values {
        assert!(
            intro.content.contains(&format!("<t:{value}:F>")),
            "each slot is a Discord timestamp in the text:\n{}",
            intro.content
        );
        assert!(time_of(value) > Utc::now(), "slots are ahead");
    }

    let first = pick(&env, intro.id, &menu, pair[0], &[&values[0], &values[1]]).await;
    assert_eq!(first.kind, ReplyKind::Update);
    assert!(
        first.content.contains("· ✓"),
        "who picked shows:\n{}",
        first.content
    );
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from slot_pick").await, 2);
    assert_eq!(
        count(&pool, "select count(*) from booking").await,
        0,
        "not everyone has picked"
    );

    let (menu, values) = slot_menu(&first.components);
    let booked = pick(&env, intro.id, &menu, pair[1], &[&values[1], &values[2]]).await;
    let at = time_of(&values[1]);
    assert!(
        booked
            .content
            .contains(&format!("📅 **Booked:** <t:{}:F>", at.timestamp())),
        "{}",
        booked.content
    );
    let labels: Vec<String> = booked
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect();
    assert_eq!(
        labels.first().map(String::as_str),
        Some("We met"),
        "booked: the answers come first: {labels:?}"
    );
    assert!(labels.contains(&"Reschedule".to_string()), "{labels:?}");

    let message = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    assert!(
        message.content.contains(&format!(
            "<t:{}:F> (<t:{}:R>)",
            at.timestamp(),
            at.timestamp()
        )),
        "{}",
        message.content
    );
    let mut mentioned = message.mentioned_ids();
    mentioned.sort();
    let mut both = pair.to_vec();
    both.sort();
    assert_eq!(mentioned, both, "the Booked message mentions the pair");
    assert_eq!(message.files.len(), 1, "one calendar file");
    assert!(message.files[0].filename.ends_with(".ics"));
    let event = parse_event(&message.files[0].bytes);
    assert_eq!(event["DTSTART"], utc(at), "DTSTART in UTC");
    assert_eq!(
        event["DTEND"],
        utc(at + Duration::minutes(50)),
        "the default 50 minutes"
    );
    let group: i64 = query_scalar("select group_id from match_group")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        event["UID"],
        format!("group-{}-{group}@hallway", ids::GUILD)
    );
    assert_eq!(event["SEQUENCE"], "1");

    let stored: DateTime<Utc> = query_scalar("select starts_at from booking")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, at);
    let reminder_due: DateTime<Utc> =
        query_scalar("select due_at from outbox where kind = 'reminder'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        reminder_due,
        at - Duration::minutes(15),
        "the default reminder, 15 minutes before"
    );
    // A third pick after booking changes nothing.
    let late = pick(&env, intro.id, &menu, pair[0], &[&values[0]]).await;
    assert_private(&late, &["booked already"]);
    assert_eq!(
        count(&pool, "select count(*) from outbox where kind = 'booked'").await,
        1
    );
}

#[tokio::test]
async fn the_reminder_arrives_once_even_with_a_restart_in_between() {
    let mut env = program_with(2, choice::PEER).await;
    let (thread, intro, pair) = one_pair(&env).await;
    let at = book_second_slot(&env, &intro, pair).await;
    env.fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    env.restart_bot().await;
    let pool = db(&env).await;
    make_due(&pool, "reminder").await;
    let reminder = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("⏰"), WAIT)
        .await;
    assert!(
        reminder
            .content
            .contains(&format!("<t:{}:R>", at.timestamp())),
        "{}",
        reminder.content
    );
    assert_eq!(reminder.mentioned_ids().len(), 2);
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'reminder' and state = 'done'",
        1,
    )
    .await;
    env.restart_bot().await;
    crate::helpers::wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 2).await;
    assert_eq!(posts_with(&env, thread, "⏰").len(), 1, "one reminder");
}

#[tokio::test]
async fn a_group_booked_ahead_is_not_nudged_halfway_and_an_unbooked_one_is() {
    let env = program_with(4, choice::PEER).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let threads = threads_with_intros(&env);
    let (booked_thread, booked_intro) = (threads[0].0, threads[0].1[0].clone());
    let quiet_thread = threads[1].0;
    let pair = booked_intro.mentioned_ids();
    book_second_slot(&env, &booked_intro, [pair[0], pair[1]]).await;
    let pool = db(&env).await;
    env.fake
        .wait_for_message(booked_thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    make_due(&pool, "nudge").await;
    env.fake
        .wait_for_message(quiet_thread, |m| m.content.contains("gentle nudge"), WAIT)
        .await;
    wait_for_count(
        &pool,
        "select count(*) from outbox where kind = 'nudge' and state = 'done'",
        2,
    )
    .await;
    assert!(
        posts_with(&env, booked_thread, "gentle nudge").is_empty(),
        "the booked group is not nudged"
    );
}

#[tokio::test]
async fn reschedule_calls_off_the_booking_and_its_reminder_and_rebooking_replaces_the_calendar_event(
) {
    let env = program_with(2, choice::PEER).await;
    let (thread, intro, pair) = one_pair(&env).await;
    let first_time = book_second_slot(&env, &intro, pair).await;
    let first = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    let booked_intro = env.fake.message(intro.id).unwrap();
    let reschedule = booked_intro.button_id("Reschedule");
    let reopened = click(&env, intro.id, &reschedule, pair[1]).await;
    assert_eq!(reopened.kind, ReplyKind::Update);
    assert!(
        reopened.content.contains("**Pick a time**"),
        "{}",
        reopened.content
    );
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from booking where starts_at is not null"
        )
        .await,
        0
    );
    assert_eq!(
        count(&pool, "select count(*) from outbox where kind in ('reminder', 'check-in') and state = 'pending'").await,
        0,
        "the reminder is called off with the booking"
    );
    let notice = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("🔄"), WAIT)
        .await;
    assert!(notice.content.contains("called off"), "{}", notice.content);
    assert_eq!(notice.mentioned_ids().len(), 2);

    // A second Reschedule with nothing booked changes nothing.
    let twice = click(&env, intro.id, &reschedule, pair[0]).await;
    assert_private(&twice, &["Nothing is booked"]);

    let (menu, values) = slot_menu(&reopened.components);
    assert!(
        !values.contains(&first_time.timestamp().to_string()),
        "the time that stopped working is not offered again"
    );
    pick(&env, intro.id, &menu, pair[0], &[&values[0]]).await;
    let rebooked = pick(&env, intro.id, &menu, pair[1], &[&values[0]]).await;
    assert!(
        rebooked.content.contains("📅 **Booked:**"),
        "{}",
        rebooked.content
    );
    let second = env
        .fake
        .wait_until(WAIT, "a second Booked message", |f| {
            f.messages_in(thread)
                .into_iter()
                .filter(|m| m.content.starts_with("📅"))
                .nth(1)
        })
        .await;
    let (before, after) = (
        parse_event(&first.files[0].bytes),
        parse_event(&second.files[0].bytes),
    );
    assert_eq!(before["UID"], after["UID"], "the same event, replaced");
    assert_eq!(
        (before["SEQUENCE"].as_str(), after["SEQUENCE"].as_str()),
        ("1", "2")
    );
    assert_eq!(after["DTSTART"], utc(time_of(&values[0])));
    assert_eq!(
        count(&pool, "select count(*) from outbox where kind = 'reminder' and state = 'pending' and key like 'reminder:%:2:0'").await,
        1,
        "the reminder moved with the booking"
    );
}

#[tokio::test]
async fn a_click_from_outside_the_group_on_the_slots_is_refused_privately_and_saves_nothing() {
    let env = program_with(4, choice::PEER).await;
    match_now(&env).await;
    summary(&env, 1).await;
    let threads = threads_with_intros(&env);
    let intro = threads[0].1[0].clone();
    let pair = intro.mentioned_ids();
    let outsider = (1..=4).map(member).find(|m| !pair.contains(m)).unwrap();
    let (menu, values) = slot_menu(&intro.components);
    let refused = pick(&env, intro.id, &menu, outsider, &[&values[0]]).await;
    assert_private(&refused, &["for the members of this chat only"]);
    let none = intro.button_id("None of these work");
    assert_private(
        &click(&env, intro.id, &none, outsider).await,
        &["for the members of this chat only"],
    );
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from slot_pick").await, 0);
    assert_eq!(
        count(&pool, "select count(*) from slot_batch").await,
        2,
        "one batch per group, no more"
    );
}

#[tokio::test]
async fn none_of_these_work_offers_the_next_slots_and_the_old_ones_can_no_longer_be_picked() {
    let env = program_with(2, choice::PEER).await;
    let (_thread, intro, pair) = one_pair(&env).await;
    let (old_menu, old_values) = slot_menu(&intro.components);
    let none = intro.button_id("None of these work");
    let next = click(&env, intro.id, &none, pair[0]).await;
    assert_eq!(next.kind, ReplyKind::Update);
    let (menu, values) = slot_menu(&next.components);
    assert_ne!(menu, old_menu);
    assert!(
        values.iter().all(|v| !old_values.contains(v)),
        "new times: {old_values:?} then {values:?}"
    );
    let last_old = old_values.iter().map(|v| time_of(v)).max().unwrap();
    assert!(
        values.iter().all(|v| time_of(v) > last_old),
        "after the ones offered"
    );
    let stale = pick(&env, intro.id, &old_menu, pair[1], &[&old_values[0]]).await;
    assert_private(&stale, &["replaced"]);
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from slot_pick").await, 0);
    pick(&env, intro.id, &menu, pair[0], &[&values[3]]).await;
    let booked = pick(&env, intro.id, &menu, pair[1], &[&values[3]]).await;
    assert!(
        booked.content.contains(&format!("<t:{}:F>", values[3])),
        "{}",
        booked.content
    );
}

#[tokio::test]
async fn a_group_told_by_dm_picks_and_is_booked_in_each_dm() {
    let env = start(2).await;
    let intros = a_dm_pair(&env).await;
    let mut first_at = None;
    for (n, intro) in [1, 2].into_iter().zip(&intros) {
        assert_eq!(env.fake.dms_to(member(n)).len(), 1);
        let (menu, values) = slot_menu(&intro.components);
        let picked = pick(&env, intro.id, &menu, member(n), &[&values[0]]).await;
        assert_eq!(picked.kind, ReplyKind::Update, "{}", picked.content);
        first_at = Some(time_of(&values[0]));
    }
    let at = first_at.unwrap();
    for n in [1, 2] {
        let booked = env
            .fake
            .wait_until(WAIT, "a Booked DM", |f| {
                f.dms_to(member(n))
                    .into_iter()
                    .find(|m| m.content.starts_with("📅"))
            })
            .await;
        assert!(booked
            .content
            .contains(&format!("<t:{}:F>", at.timestamp())));
        assert_eq!(parse_event(&booked.files[0].bytes)["DTSTART"], utc(at));
    }
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'reminder' and user_id is not null"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn after_the_booked_time_the_check_in_asks_with_the_we_met_buttons_first() {
    let env = program_with(2, choice::PEER).await;
    let (thread, intro, pair) = one_pair(&env).await;
    book_second_slot(&env, &intro, pair).await;
    let pool = db(&env).await;
    make_due(&pool, "check-in").await;
    let check_in = env
        .fake
        .wait_for_message(thread, |m| m.content.contains("Did you meet?"), WAIT)
        .await;
    let labels: Vec<String> = check_in
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect();
    assert_eq!(
        labels.first().map(String::as_str),
        Some("We met"),
        "{labels:?}"
    );
    let met = click(&env, check_in.id, &check_in.button_id("We met"), pair[0]).await;
    assert!(
        met.content.contains("Did you meet?") && met.content.contains("✅ **We met:**"),
        "{}",
        met.content
    );
    assert_eq!(
        count(&pool, "select count(*) from outcome where status = 'met'").await,
        1
    );
}

#[tokio::test]
async fn meeting_length_and_reminder_are_program_settings_checked_before_saving() {
    let env = program_with(2, choice::PEER).await;
    let refused = run(
        &env,
        admin("edit")
            .group("program")
            .opt("meeting_length", 10)
            .by(ids::CORA),
    )
    .await;
    assert_private(&refused, &["from 15 to 60, not 10"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where meeting_minutes = 50"
        )
        .await,
        1
    );
    let saved = run(
        &env,
        admin("edit")
            .group("program")
            .opt("meeting_length", 30)
            .opt("reminder", 0)
            .by(ids::CORA),
    )
    .await;
    assert_private(&saved, &["Booked chats: 30 minutes, no reminder"]);
    let (thread, intro, pair) = one_pair(&env).await;
    assert!(
        intro.content.contains("30-minute chat"),
        "{}",
        intro.content
    );
    let at = book_second_slot(&env, &intro, pair).await;
    let message = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    assert_eq!(
        parse_event(&message.files[0].bytes)["DTEND"],
        utc(at + Duration::minutes(30))
    );
    assert_eq!(
        count(&pool, "select count(*) from outbox where kind = 'reminder'").await,
        0,
        "reminders off"
    );
}

#[tokio::test]
async fn forget_me_deletes_the_booking_notices_that_name_the_member_and_their_picks() {
    let env = program_with(2, choice::PEER).await;
    let (thread, intro, pair) = one_pair(&env).await;
    book_second_slot(&env, &intro, pair).await;
    let booked = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    let ask = run(&env, crate::helpers::hallway("forget-me").by(pair[0])).await;
    let confirm = ask.buttons()[0].custom_id.clone().unwrap();
    click(&env, ask.message_id.unwrap(), &confirm, pair[0]).await;
    env.fake
        .wait_until(WAIT, "the Booked post deleted", |f| {
            f.message(booked.id)
                .is_some_and(|m| m.deleted)
                .then_some(())
        })
        .await;
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            &format!(
                "select count(*) from slot_pick where user_id = {}",
                pair[0] as i64
            )
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            &format!(
                "select count(*) from slot_pick where user_id = {}",
                pair[1] as i64
            )
        )
        .await,
        2,
        "the other member's two picks stay"
    );
}

/// Two members told by DM, and each one's DM intro.
async fn a_dm_pair(env: &TestEnv) -> [PostedMessage; 2] {
    set_up_program(env).await;
    join(env, member(1), choice::PEER).await;
    join(env, member(2), choice::PEER).await;
    env.fake.fail(
        FailRule::new("POST", "/channels/*/threads")
            .times(1)
            .missing_permissions(),
    );
    match_now(env).await;
    summary(env, 1).await;
    [1, 2].map(|n| env.fake.dms_to(member(n))[0].clone())
}

#[tokio::test]
async fn in_a_dm_group_new_times_redraw_every_members_dm_and_a_booked_dm_can_be_rescheduled() {
    let env = start(2).await;
    let [ada_dm, ben_dm] = a_dm_pair(&env).await;
    let (_, first_values) = slot_menu(&ben_dm.components);
    let none = ada_dm.button_id("None of these work");
    let next = click(&env, ada_dm.id, &none, member(1)).await;
    let (_, values) = slot_menu(&next.components);
    // Ben's DM is rewritten with the new times, without a ping.
    let redrawn = env
        .fake
        .wait_until(WAIT, "Ben's DM intro redrawn", |f| {
            f.message(ben_dm.id)
                .filter(|m| slot_menu(&m.components).1 == values)
        })
        .await;
    assert!(redrawn.content.contains(&format!("<t:{}:F>", values[0])));
    assert_ne!(values, first_values);

    let (ben_menu, _) = slot_menu(&redrawn.components);
    let (ada_menu, _) = slot_menu(&next.components);
    pick(&env, ada_dm.id, &ada_menu, member(1), &[&values[0]]).await;
    let booked_for_ben = pick(&env, ben_dm.id, &ben_menu, member(2), &[&values[0]]).await;
    assert!(booked_for_ben.content.contains("📅 **Booked:**"));
    let ada_booked = env
        .fake
        .wait_until(WAIT, "Ada's Booked DM", |f| {
            f.dms_to(member(1))
                .into_iter()
                .find(|m| m.content.starts_with("📅"))
        })
        .await;
    // Ada's DM intro shows the booking too, with Reschedule.
    env.fake
        .wait_until(WAIT, "Ada's DM intro shows the booking", |f| {
            f.message(ada_dm.id)
                .filter(|m| m.content.contains("📅 **Booked:**"))
        })
        .await;
    let reschedule = ada_booked.button_id("Reschedule");
    let reopened = click(&env, ada_booked.id, &reschedule, member(1)).await;
    assert_eq!(reopened.kind, ReplyKind::Update);
    assert!(
        reopened.content.contains("called off") && reopened.content.contains("**Pick a time**"),
        "{}",
        reopened.content
    );
    slot_menu(&reopened.components);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from booking where starts_at is not null"
        )
        .await,
        0
    );
    // Ben hears it by DM; Ada, who asked, sees the new times where she clicked.
    env.fake
        .wait_until(WAIT, "Ben's Rescheduled DM", |f| {
            f.dms_to(member(2))
                .into_iter()
                .find(|m| m.content.starts_with("🔄"))
        })
        .await;
    let notices_to_ada = env
        .fake
        .dms_to(member(1))
        .into_iter()
        .filter(|m| m.id != ada_booked.id && m.content.starts_with("🔄"))
        .count();
    assert_eq!(notices_to_ada, 0);
    // Her DM intro no longer shows the booking either.
    env.fake
        .wait_until(WAIT, "Ada's DM intro shows the new times", |f| {
            f.message(ada_dm.id).filter(|m| {
                !m.content.contains("📅 **Booked:**") && m.content.contains("**Pick a time**")
            })
        })
        .await;
}

#[tokio::test]
async fn when_the_only_member_yet_to_pick_skips_the_others_common_time_is_booked() {
    let env = start(3).await;
    set_up_program(&env).await;
    let circles = run(
        &env,
        admin("edit")
            .group("program")
            .opt("group_size", 3)
            .by(ids::CORA),
    )
    .await;
    assert_private(&circles, &["groups of 3"]);
    for n in 1..=3 {
        join(&env, member(n), choice::PEER).await;
    }
    let (thread, intro, _) = one_pair(&env).await;
    let three = intro.mentioned_ids();
    assert_eq!(three.len(), 3);
    let (menu, values) = slot_menu(&intro.components);
    let first = pick(&env, intro.id, &menu, three[0], &[&values[2]]).await;
    let (menu, _) = slot_menu(&first.components);
    let second = pick(&env, intro.id, &menu, three[1], &[&values[2]]).await;
    assert!(
        !second.content.contains("📅 **Booked:**"),
        "one member has not picked yet"
    );
    let skip = intro.button_id("Skip this round");
    click(&env, intro.id, &skip, three[2]).await;
    let booked = env
        .fake
        .wait_for_message(thread, |m| m.content.starts_with("📅"), WAIT)
        .await;
    assert!(
        booked.content.contains(&format!("<t:{}:F>", values[2])),
        "{}",
        booked.content
    );
}
