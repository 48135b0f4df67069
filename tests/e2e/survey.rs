//! Evaluation surveys end to end: a coordinator starts one, active members get it by DM,
//! answer each kind of question through buttons and a modal (or decline), the one
//! reminder reaches only those who did neither, the export's `survey.csv`, bad input,
//! and the automatic halfway survey.

use chrono::Utc;

use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, run, wait_for_count,
    wait_for_the_bot_to_settle, wait_for_the_outbox_to_drain, WAIT,
};
use crate::helpers::{query, query_as, query_scalar, Db};
use crate::rounds::{member, program_with};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::fake_discord::{Reply, ReplyKind};
use crate::support::interactions::{ButtonClick, ModalSubmit};
use crate::support::state::PostedMessage;

fn survey(sub: &str) -> crate::support::interactions::SlashInvocation {
    admin(sub).group("survey").by(ids::CORA)
}

/// The messages the bot posted to the member's DM, not its answers to their clicks there.
fn posted_dms(env: &TestEnv, user: u64) -> Vec<PostedMessage> {
    env.fake
        .dms_to(user)
        .into_iter()
        .filter(|m| m.interaction_id.is_none())
        .collect()
}

async fn invitation(env: &TestEnv, user: u64) -> PostedMessage {
    env.fake
        .wait_until(WAIT, "a survey invitation by DM", |f| {
            f.dms_to(user)
                .into_iter()
                .find(|m| m.content.contains("A short survey from"))
        })
        .await
}

fn button(reply: &Reply, label: &str) -> String {
    reply
        .buttons()
        .into_iter()
        .find(|b| b.label.as_deref() == Some(label))
        .and_then(|b| b.custom_id)
        .unwrap_or_else(|| panic!("no {label:?} button on {}", reply.content))
}

async fn click(env: &TestEnv, message: u64, custom_id: &str, user: u64) -> Reply {
    let handle = env
        .fake
        .click(ButtonClick::new(message, custom_id).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// Clicks the button labelled `label` on the private question message `on`.
async fn press(env: &TestEnv, on: &Reply, label: &str, user: u64) -> Reply {
    let message = on.message_id.expect("the question's message");
    click(env, message, &button(on, label), user).await
}

/// Answer on the invitation: the first question, privately.
async fn open(env: &TestEnv, user: u64) -> Reply {
    let invite = invitation(env, user).await;
    let reply = click(env, invite.id, &invite.button_id("Answer"), user).await;
    assert_eq!(reply.kind, ReplyKind::Message, "{}", reply.content);
    assert!(reply.ephemeral, "the questions are private");
    reply
}

/// Write an answer, then the modal's text.
async fn write(env: &TestEnv, on: &Reply, text: &str, user: u64) -> Reply {
    let modal = press(env, on, "Write an answer", user).await;
    assert_eq!(modal.kind, ReplyKind::Modal, "{}", modal.content);
    let custom_id = modal.raw["custom_id"].as_str().unwrap().to_string();
    let handle = env
        .fake
        .submit_modal(
            ModalSubmit::new(on.message_id.unwrap(), &custom_id)
                .by(user)
                .field("answer", text),
        )
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// A program whose members 1 and 2 are active, 3 paused and 4 gone.
async fn four_members_two_active() -> TestEnv {
    let env = program_with(4, choice::PEER).await;
    let paused = run(&env, hallway("pause").opt("weeks", 2i64).by(member(3))).await;
    assert!(paused.ephemeral, "{}", paused.content);
    let left = run(&env, hallway("leave").by(member(4))).await;
    assert!(left.ephemeral, "{}", left.content);
    env
}

async fn start_survey(env: &TestEnv) -> Reply {
    let reply = run(env, survey("start")).await;
    assert_private(&reply, &["Started a survey of **hallway**"]);
    reply
}

/// (position, score, text) of the member's answers, by their invitation's key.
async fn answers_of(pool: &Db, user: u64) -> Vec<(i64, Option<i64>, Option<String>)> {
    query_as(
        "select a.position, a.score, a.answer from survey_answer a
         join survey_invite i on i.respondent = a.respondent and i.survey_id = a.survey_id
         where i.user_id = $1 order by a.position",
    )
    .bind(user as i64)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn state_of(pool: &Db, user: u64) -> String {
    query_scalar("select state from survey_invite where user_id = $1")
        .bind(user as i64)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_survey_reaches_each_active_member_once_and_takes_scores_skips_and_a_written_answer() {
    let env = four_members_two_active().await;
    let started = start_survey(&env).await;
    assert_private(
        &started,
        &["(5 questions): 2 members are invited by DM", "it closes"],
    );
    let pool = db(&env).await;
    for n in [1, 2] {
        let invite = invitation(&env, member(n)).await;
        for needle in [
            "5 questions, about 2 minutes",
            "anonymous",
            "at least 3 people",
            "It closes <t:",
        ] {
            assert!(
                invite.content.contains(needle),
                "{needle:?} in {}",
                invite.content
            );
        }
        assert_eq!(invite.buttons().len(), 2, "Answer and No thanks");
    }
    wait_for_the_outbox_to_drain(&pool).await;
    for n in [1, 2] {
        assert_eq!(posted_dms(&env, member(n)).len(), 1, "one invitation each");
    }
    assert!(env.fake.dms_to(member(3)).is_empty(), "paused: not asked");
    assert!(env.fake.dms_to(member(4)).is_empty(), "left: not asked");
    assert_eq!(count(&pool, "select count(*) from survey_invite").await, 2);

    let me = member(1);
    let first = open(&env, me).await;
    assert!(
        first.content.contains("Question 1 of 5"),
        "{}",
        first.content
    );
    assert!(first.content.contains("**1** = strongly disagree"));
    let labels: Vec<String> = first
        .buttons()
        .into_iter()
        .filter_map(|b| b.label)
        .collect();
    assert_eq!(labels, ["1", "2", "3", "4", "5", "Skip"]);

    let second = press(&env, &first, "4", me).await;
    assert_eq!(second.kind, ReplyKind::Update);
    assert_eq!(
        second.message_id, first.message_id,
        "the same private message"
    );
    assert!(
        second.content.contains("Question 2 of 5"),
        "{}",
        second.content
    );
    assert_eq!(answers_of(&pool, me).await, [(1, Some(4), None)]);
    assert_eq!(state_of(&pool, me).await, "answered");

    let third = press(&env, &second, "Skip", me).await;
    assert!(
        third.content.contains("Question 3 of 5"),
        "{}",
        third.content
    );
    let fourth = press(&env, &third, "5", me).await;
    let fifth = press(&env, &fourth, "2", me).await;
    assert!(
        fifth.content.contains("Question 5 of 5"),
        "{}",
        fifth.content
    );
    assert!(fifth
        .content
        .contains("One thing that would make this program better."));

    let modal = press(&env, &fifth, "Write an answer", me).await;
    assert_eq!(modal.kind, ReplyKind::Modal);
    assert_eq!(modal.raw["title"], "Question 5 of 5");
    let input = &modal.raw["components"][0]["components"][0];
    assert_eq!(
        (input["type"].as_u64(), input["max_length"].as_u64()),
        (Some(4), Some(500))
    );
    let done = write(&env, &fifth, "  More evening slots, please  ", me).await;
    assert_eq!(done.kind, ReplyKind::Update, "{}", done.content);
    assert!(
        done.content.contains("You answered 4 of 5 questions"),
        "{}",
        done.content
    );
    let shown = env.fake.message(fifth.message_id.unwrap()).unwrap();
    assert!(shown.content.contains("Thank you!"), "{}", shown.content);
    assert!(shown.buttons().is_empty(), "nothing left to click");
    assert_eq!(
        answers_of(&pool, me).await,
        [
            (1, Some(4), None),
            (3, Some(5), None),
            (4, Some(2), None),
            (5, None, Some("More evening slots, please".into()))
        ]
    );

    // Answer again on the invitation: only the skipped question is left.
    let again = open(&env, me).await;
    assert!(
        again.content.contains("Question 2 of 5"),
        "{}",
        again.content
    );
    let finished = press(&env, &again, "3", me).await;
    assert!(
        finished.content.contains("You answered 5 of 5"),
        "{}",
        finished.content
    );
    let all = open(&env, me).await;
    assert!(
        all.content.contains("answered every question"),
        "{}",
        all.content
    );
}

#[tokio::test]
async fn the_reminder_goes_once_to_those_who_neither_answered_nor_declined() {
    let env = program_with(3, choice::PEER).await;
    start_survey(&env).await;
    let pool = db(&env).await;
    let (answers, declines, silent) = (member(1), member(2), member(3));
    let first = open(&env, answers).await;
    press(&env, &first, "5", answers).await;

    let invite = invitation(&env, declines).await;
    let no = click(&env, invite.id, &invite.button_id("No thanks"), declines).await;
    assert_private(&no, &["you won't hear about this survey again"]);
    assert_eq!(state_of(&pool, declines).await, "declined");
    let invite = invitation(&env, answers).await;
    let late = click(&env, invite.id, &invite.button_id("No thanks"), answers).await;
    assert_private(&late, &["already answered"]);
    assert_eq!(state_of(&pool, answers).await, "answered");
    assert_eq!(answers_of(&pool, answers).await, [(1, Some(5), None)]);

    query(
        "update outbox set due_at = '2000-01-01T00:00:00Z'
         where kind = 'survey-reminder' and state = 'pending'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let reminder = env
        .fake
        .wait_until(WAIT, "the reminder", |f| {
            f.dms_to(silent)
                .into_iter()
                .find(|m| m.content.contains("Reminder: the hallway survey closes"))
        })
        .await;
    assert_eq!(reminder.buttons().len(), 2, "Answer and No thanks");
    // Every reminder has been dealt with by now: the others posted nothing.
    wait_for_the_outbox_to_drain(&pool).await;
    assert_eq!(posted_dms(&env, answers).len(), 1, "the invitation only");
    assert_eq!(posted_dms(&env, declines).len(), 1, "the invitation only");
    assert_eq!(posted_dms(&env, silent).len(), 2);
    assert_eq!(
        count(
            &pool,
            "select count(*) from outbox where kind = 'survey-reminder' and state = 'done'
             and message_id is not null"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn survey_csv_and_stats_aggregate_the_answers_under_random_keys_and_show_text_once_three_answered(
) {
    let env = program_with(4, choice::PEER).await;
    // Down to two questions: the first scale, and the text one.
    for _ in 0..3 {
        let removed = run(&env, survey("remove").opt("position", 2i64)).await;
        assert_private(&removed, &["Saved."]);
    }
    let list = run(&env, survey("questions")).await;
    assert_private(
        &list,
        &[
            "set by a coordinator",
            "1. (scale 1-5) I felt connected to others in this program.",
            "2. (text) One thing that would make this program better.",
        ],
    );
    start_survey(&env).await;
    let texts = ["More evenings", "=SUM(A1)", "Fewer emails"];
    for n in 1..=4 {
        let first = open(&env, member(n)).await;
        let second = press(&env, &first, &n.to_string(), member(n)).await;
        assert!(
            second.content.contains("Question 2 of 2"),
            "{}",
            second.content
        );
        if n <= 2 {
            let done = write(&env, &second, texts[n - 1], member(n)).await;
            assert!(
                done.content.contains("You answered 2 of 2"),
                "{}",
                done.content
            );
        }
    }
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from survey_answer").await, 6);

    let reply = run(&env, admin("export").by(ids::CORA)).await;
    assert_private(&reply, &["`hallway-survey.csv` (6 rows)"]);
    let rows = survey_rows(&reply);
    assert_eq!(rows.len(), 6, "one row per answer");
    assert!(
        rows.iter().all(|r| r["text"].is_empty()),
        "two written answers are too few to show: {rows:?}"
    );
    let keys: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["respondent"].as_str()).collect();
    assert_eq!(keys.len(), 4, "one key per member");
    assert!(keys
        .iter()
        .all(|k| k.len() == 16 && k.chars().all(|c| c.is_ascii_hexdigit())));
    let mut scores: Vec<&str> = rows
        .iter()
        .filter(|r| r["question"] == "1")
        .map(|r| r["score"].as_str())
        .collect();
    scores.sort();
    assert_eq!(scores, ["1", "2", "3", "4"]);
    assert_no_discord_id(&env, &reply);
    // Stats give the same aggregates: everyone answered, the scale's mean, and the two
    // written answers held back.
    let stats = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &stats,
        &[
            "4 invited · 4 answered · 0 declined · response rate 100% (4 of 4)",
            "1. I felt connected to others in this program. · 4 answers · mean 2.5",
            "2 answers · texts are shown from 3 answers on",
        ],
    );
    assert!(
        !stats.content.contains("More evenings"),
        "{}",
        stats.content
    );

    // A third written answer: now all three are shown, without names.
    let again = open(&env, member(3)).await;
    write(&env, &again, texts[2], member(3)).await;
    let stats = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(&stats, &["More evenings", "Fewer emails", "=SUM(A1)"]);
    let reply = run(&env, admin("export").by(ids::CORA)).await;
    let rows = survey_rows(&reply);
    assert_eq!(rows.len(), 7);
    let mut written: Vec<&str> = rows
        .iter()
        .filter(|r| r["kind"] == "text")
        .map(|r| r["text"].as_str())
        .collect();
    written.sort();
    assert_eq!(written, ["'=SUM(A1)", "Fewer emails", "More evenings"]);
    assert!(rows.iter().all(|r| r["occasion"] == "manual"));
    assert_no_discord_id(&env, &reply);
}

fn survey_rows(reply: &Reply) -> Vec<std::collections::BTreeMap<String, String>> {
    let file = reply
        .attachments
        .iter()
        .find(|f| f.filename == "hallway-survey.csv")
        .expect("survey.csv attached");
    let mut reader = csv::Reader::from_reader(file.bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "survey",
            "occasion",
            "started",
            "respondent",
            "question",
            "kind",
            "prompt",
            "score",
            "text"
        ]
    );
    reader.deserialize().collect::<Result<_, _>>().unwrap()
}

fn assert_no_discord_id(env: &TestEnv, reply: &Reply) {
    let file = reply
        .attachments
        .iter()
        .find(|f| f.filename == "hallway-survey.csv")
        .unwrap();
    let text = String::from_utf8_lossy(&file.bytes);
    for id in (1..=4).map(member).chain([ids::GUILD, ids::CORA]) {
        assert!(
            !text.contains(&id.to_string()),
            "{id} in survey.csv:\n{text}"
        );
    }
    for name in env.fake.config().guilds[0]
        .members
        .iter()
        .map(|m| m.display_name())
    {
        assert!(!text.contains(name), "{name} in survey.csv:\n{text}");
    }
}

#[tokio::test]
async fn bad_survey_input_is_refused_privately_and_changes_nothing() {
    let env = four_members_two_active().await;
    let pool = db(&env).await;
    let refusals = [
        (
            survey("question")
                .opt("position", 7i64)
                .opt("kind", 0i64)
                .opt("text", "Fine?"),
            "not one of 1 to 5",
        ),
        (
            survey("question")
                .opt("position", 1i64)
                .opt("kind", 0i64)
                .opt("text", "   "),
            "cannot be empty",
        ),
        (
            survey("question")
                .opt("position", 1i64)
                .opt("kind", 1i64)
                .opt("text", "x".repeat(101).as_str()),
            "the limit is 100",
        ),
        (survey("remove").opt("position", 6i64), "not one of 1 to 5"),
    ];
    for (invocation, needle) in refusals {
        let reply = run(&env, invocation).await;
        assert_private(&reply, &[needle]);
        assert_eq!(
            count(&pool, "select count(*) from program_survey_question").await,
            0,
            "still the defaults after {needle:?}"
        );
    }
    // Down to one question; the last one stays.
    let one = run(
        &env,
        survey("question")
            .opt("position", 1i64)
            .opt("kind", 1i64)
            .opt("text", "What helped?"),
    )
    .await;
    assert_private(&one, &["Saved.", "1. (text) What helped?"]);
    for _ in 0..4 {
        run(&env, survey("remove").opt("position", 2i64)).await;
    }
    let last = run(&env, survey("remove").opt("position", 1i64)).await;
    assert_private(&last, &["at least one question"]);
    assert_eq!(
        count(&pool, "select count(*) from program_survey_question").await,
        1
    );
    let gap = run(
        &env,
        survey("question")
            .opt("position", 3i64)
            .opt("kind", 0i64)
            .opt("text", "How often?"),
    )
    .await;
    assert_private(&gap, &["would leave a gap", "position 2"]);

    start_survey(&env).await;
    wait_for_the_outbox_to_drain(&pool).await;
    let outbox = count(&pool, "select count(*) from outbox").await;
    let again = run(&env, survey("start")).await;
    assert_private(&again, &["still open", "Nothing was changed"]);
    assert_eq!(count(&pool, "select count(*) from survey").await, 1);
    assert_eq!(count(&pool, "select count(*) from outbox").await, outbox);

    // The paused member was not invited: the invitation's button does nothing for them.
    let invite = invitation(&env, member(1)).await;
    let stranger = click(&env, invite.id, &invite.button_id("Answer"), member(3)).await;
    assert_private(&stranger, &["for the members who were invited"]);

    // A written answer over 500 characters, or of spaces only, saves nothing.
    let question = open(&env, member(1)).await;
    assert!(
        question.content.contains("What helped?"),
        "{}",
        question.content
    );
    for (text, needle) in [
        ("é".repeat(501), "501 characters long; the limit is 500"),
        ("   ".to_string(), "was empty"),
    ] {
        let refused = write(&env, &question, &text, member(1)).await;
        assert_eq!(refused.kind, ReplyKind::Message);
        assert_private(&refused, &[needle, "nothing was saved"]);
        let still = env.fake.message(question.message_id.unwrap()).unwrap();
        assert!(
            still.content.contains("Question 1 of 1"),
            "{}",
            still.content
        );
    }
    assert_eq!(count(&pool, "select count(*) from survey_answer").await, 0);
    assert_eq!(state_of(&pool, member(1)).await, "invited");
    let fine = write(&env, &question, &"é".repeat(500), member(1)).await;
    assert!(
        fine.content.contains("You answered 1 of 1"),
        "{}",
        fine.content
    );
}

#[tokio::test]
async fn the_scheduler_starts_the_halfway_survey_once() {
    let env = program_with(2, choice::PEER).await;
    let auto = run(&env, survey("questions")).await;
    assert_private(
        &auto,
        &["Automatic surveys are **on**", "start and an end date"],
    );
    let today = Utc::now().date_naive();
    let (start, end) = (
        today - chrono::Duration::days(30),
        today + chrono::Duration::days(30),
    );
    let edit = run(
        &env,
        admin("edit")
            .group("program")
            .opt("start", start.to_string().as_str())
            .opt("end", end.to_string().as_str())
            .by(ids::CORA),
    )
    .await;
    assert!(edit.content.contains("Saved."), "{}", edit.content);
    let pool = db(&env).await;
    wait_for_count(
        &pool,
        "select count(*) from survey where occasion = 'halfway'",
        1,
    )
    .await;
    for n in [1, 2] {
        let invite = invitation(&env, member(n)).await;
        assert!(
            invite.content.contains("at its halfway point"),
            "{}",
            invite.content
        );
    }
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 2).await;
    assert_eq!(count(&pool, "select count(*) from survey").await, 1);
    for n in [1, 2] {
        assert_eq!(posted_dms(&env, member(n)).len(), 1, "invited once");
    }
    let listed = run(&env, survey("questions")).await;
    assert_private(
        &listed,
        &[
            &format!("at its halfway point ({today})"),
            "**Open survey**",
            "0 of 2 answered",
        ],
    );
    let off = run(&env, survey("auto").opt("setting", 1i64)).await;
    assert_private(&off, &["Automatic surveys are **off**"]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where auto_surveys = false"
        )
        .await,
        1
    );
}
