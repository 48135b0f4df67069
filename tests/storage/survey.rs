//! Surveys against a real file: starting one (by hand and at a program's halfway point
//! and end, each once), answering, declining, the reminder's rule, forget-me and the
//! export's rows.

use chrono::{NaiveDate, TimeZone, Utc};
use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::{Program, ProgramInfo};
use hallway::domain::survey::{
    default_questions, Answer, InviteState, NotStarted, Question, QuestionKind, Started,
    SurveyOccasion,
};
use hallway::storage::Store;

use crate::{at, first_program, fresh_store};

const GUILD: GuildId = GuildId(9);

async fn count(store: &Store, sql: &str) -> i64 {
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap())
}

/// A program with members 1..=n joined.
async fn program_with(store: &Store, members: u64) -> Program {
    let program = first_program(store, GUILD).await;
    for user in 1..=members {
        store
            .join(
                &program,
                UserId(user),
                "x",
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
    program
}

async fn start(store: &Store, program: &Program, now: chrono::DateTime<Utc>) -> Started {
    store
        .start_survey(program.guild_id, program.program_id, now)
        .await
        .unwrap()
        .expect("a survey starts")
}

#[tokio::test]
async fn a_survey_invites_each_active_member_once_under_a_random_key_with_both_rows_queued() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 4).await;
    store
        .pause(program.program_id, UserId(3), at(20, 9), at(2, 9))
        .await
        .unwrap();
    store
        .leave(program.program_id, UserId(4), at(2, 9))
        .await
        .unwrap();
    let round = store
        .create_round(&crate::peer_round(&program, at(2, 9), &[&[1, 2]]))
        .await
        .unwrap()
        .unwrap();

    let started = start(&store, &program, at(3, 9)).await;
    assert_eq!(
        started.invited, 2,
        "the paused and the departed are not asked"
    );
    assert_eq!(started.remind_at, at(6, 9));
    assert_eq!(started.closes_at, at(10, 9));

    let survey = store
        .survey(GUILD, started.survey_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(survey.questions, default_questions());
    assert_eq!(survey.occasion, SurveyOccasion::Manual);
    let round_id: Option<i64> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select round_id from survey")
        .fetch_one(pool)
        .await
        .unwrap());
    assert_eq!(
        round_id,
        Some(round.round_id.0),
        "the program's latest round"
    );

    let invites: Vec<(i64, String)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select user_id, respondent from survey_invite order by user_id")
            .fetch_all(pool)
            .await
            .unwrap());
    assert_eq!(invites.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [1, 2]);
    assert_ne!(invites[0].1, invites[1].1);
    for (user, key) in &invites {
        assert_eq!(key.len(), 16);
        assert!(key.chars().all(|c| c.is_ascii_hexdigit()), "{key}");
        assert_ne!(key, &user.to_string());
    }
    let rows: Vec<(String, String, i64, chrono::DateTime<Utc>)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select kind, key, user_id, due_at from outbox where kind like 'survey-%'
         order by kind, user_id")
    .fetch_all(pool)
    .await
    .unwrap());
    let id = started.survey_id.0;
    assert_eq!(
        rows,
        [
            (
                "survey-invite".into(),
                format!("survey-invite:{id}:1"),
                1,
                at(3, 9)
            ),
            (
                "survey-invite".into(),
                format!("survey-invite:{id}:2"),
                2,
                at(3, 9)
            ),
            (
                "survey-reminder".into(),
                format!("survey-reminder:{id}:1"),
                1,
                at(6, 9)
            ),
            (
                "survey-reminder".into(),
                format!("survey-reminder:{id}:2"),
                2,
                at(6, 9)
            ),
        ]
    );
}

#[tokio::test]
async fn a_second_survey_waits_until_the_open_one_closes_and_asks_the_questions_of_its_day() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    let first = start(&store, &program, at(3, 9)).await;
    let refused = store
        .start_survey(GUILD, program.program_id, at(9, 9))
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(NotStarted::AlreadyOpen {
            closes_at: first.closes_at
        })
    );
    assert_eq!(count(&store, "select count(*) from survey").await, 1);
    assert_eq!(count(&store, "select count(*) from survey_invite").await, 2);

    let own = vec![Question {
        kind: QuestionKind::Text,
        prompt: "What would you change?".into(),
    }];
    store
        .set_program_survey_questions(program.program_id, Some(&own))
        .await
        .unwrap();
    let kept = store.survey(GUILD, first.survey_id).await.unwrap().unwrap();
    assert_eq!(
        kept.questions,
        default_questions(),
        "the open one keeps its own"
    );
    let second = start(&store, &program, first.closes_at).await;
    let asked = store
        .survey(GUILD, second.survey_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(asked.questions, own);
    store
        .set_program_survey_questions(program.program_id, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .program_survey_questions(program.program_id)
            .await
            .unwrap(),
        None,
        "reset: the defaults again"
    );
}

#[tokio::test]
async fn a_program_with_nobody_active_starts_no_survey() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 1).await;
    store
        .pause(program.program_id, UserId(1), at(20, 9), at(2, 9))
        .await
        .unwrap();
    assert_eq!(
        store
            .start_survey(GUILD, program.program_id, at(3, 9))
            .await
            .unwrap(),
        Err(NotStarted::NoActiveMembers)
    );
    assert_eq!(count(&store, "select count(*) from survey").await, 0);
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn noon(date: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
}

#[tokio::test]
async fn the_halfway_and_end_surveys_start_once_each_and_never_long_after_the_fact() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    let info = ProgramInfo {
        start: Some(day(1, 1)),
        end: Some(day(6, 30)),
        welcome: None,
    };
    store
        .set_program_info(program.program_id, &info, at(1, 9))
        .await
        .unwrap();
    let occasions = || async {
        hallway::on_backend!(store.pool(), pool => sqlx::query_scalar::<_, String>("select occasion from survey order by survey_id")
            .fetch_all(pool)
            .await
            .unwrap())
    };
    assert_eq!(store.start_due_surveys(noon(day(3, 31))).await.unwrap(), 0);
    assert_eq!(store.start_due_surveys(noon(day(4, 1))).await.unwrap(), 1);
    assert_eq!(store.start_due_surveys(noon(day(4, 1))).await.unwrap(), 0);
    assert_eq!(
        store.start_due_surveys(noon(day(4, 20))).await.unwrap(),
        0,
        "closed, and it ran"
    );
    assert_eq!(store.start_due_surveys(noon(day(6, 30))).await.unwrap(), 1);
    assert_eq!(store.start_due_surveys(noon(day(7, 3))).await.unwrap(), 0);
    assert_eq!(occasions().await, ["halfway", "end"]);
    assert_eq!(count(&store, "select count(*) from survey_invite").await, 4);

    // A program whose last day is more than a week gone asks nothing any more.
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    store
        .set_program_info(program.program_id, &info, at(1, 9))
        .await
        .unwrap();
    assert_eq!(store.start_due_surveys(noon(day(7, 7))).await.unwrap(), 0);
    // Nor one with automatic surveys off, or archived.
    store
        .set_auto_surveys(program.program_id, false, at(1, 9))
        .await
        .unwrap();
    assert_eq!(store.start_due_surveys(noon(day(4, 1))).await.unwrap(), 0);
    store
        .set_auto_surveys(program.program_id, true, at(1, 9))
        .await
        .unwrap();
    store
        .archive_program(program.program_id, at(1, 9))
        .await
        .unwrap();
    assert_eq!(store.start_due_surveys(noon(day(4, 1))).await.unwrap(), 0);
    assert_eq!(count(&store, "select count(*) from survey").await, 0);
}

#[tokio::test]
async fn an_automatic_survey_waits_while_a_coordinators_survey_is_open() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    let info = ProgramInfo {
        start: Some(day(1, 1)),
        end: Some(day(6, 30)),
        welcome: None,
    };
    store
        .set_program_info(program.program_id, &info, at(1, 9))
        .await
        .unwrap();
    let manual = start(&store, &program, noon(day(3, 30))).await;
    assert_eq!(store.start_due_surveys(noon(day(4, 1))).await.unwrap(), 0);
    assert_eq!(store.start_due_surveys(manual.closes_at).await.unwrap(), 1);
}

#[tokio::test]
async fn answers_are_kept_per_respondent_and_question_and_an_answer_again_replaces_it() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    let started = start(&store, &program, at(3, 9)).await;
    let id = started.survey_id;
    let save = |user: u64, position: u8, answer: Answer, when| {
        let store = store.clone();
        async move {
            store
                .save_survey_answer(id, UserId(user), position, &answer, when)
                .await
                .unwrap()
        }
    };
    assert!(save(1, 1, Answer::Score(4), at(3, 10)).await);
    assert!(save(1, 1, Answer::Score(2), at(3, 11)).await);
    assert!(save(1, 5, Answer::Text("More evenings".into()), at(3, 11)).await);
    assert!(
        !save(7, 1, Answer::Score(5), at(3, 11)).await,
        "not invited"
    );
    assert!(
        !save(2, 1, Answer::Score(5), started.closes_at).await,
        "closed"
    );
    let answers: Vec<(i64, Option<i64>, Option<String>)> = hallway::on_backend!(store.pool(), pool => sqlx::query_as("select position, score, answer from survey_answer order by position")
            .fetch_all(pool)
            .await
            .unwrap());
    assert_eq!(
        answers,
        [(1, Some(2), None), (5, None, Some("More evenings".into()))]
    );
    let invite = store.survey_invite(id, UserId(1)).await.unwrap().unwrap();
    assert_eq!(invite.state, InviteState::Answered);
    assert_eq!(
        store
            .answered_positions(id, &invite.respondent)
            .await
            .unwrap(),
        [1, 5]
    );
    let first: chrono::DateTime<Utc> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select answered_at from survey_invite where user_id = 1")
            .fetch_one(pool)
            .await
            .unwrap());
    assert_eq!(first, at(3, 10), "when they first answered");
    assert_eq!(
        store
            .survey_invite(id, UserId(2))
            .await
            .unwrap()
            .unwrap()
            .state,
        InviteState::Invited
    );
}

#[tokio::test]
async fn the_reminder_goes_only_to_those_still_invited_and_invitations_only_to_those_still_in_the_program_while_it_is_open(
) {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 4).await;
    let started = start(&store, &program, at(3, 9)).await;
    let id = started.survey_id;
    store
        .save_survey_answer(id, UserId(1), 2, &Answer::Score(3), at(3, 10))
        .await
        .unwrap();
    assert_eq!(
        store.decline_survey(id, UserId(2)).await.unwrap(),
        Some(InviteState::Invited)
    );
    assert_eq!(
        store.decline_survey(id, UserId(2)).await.unwrap(),
        Some(InviteState::Declined)
    );
    assert_eq!(
        store.decline_survey(id, UserId(1)).await.unwrap(),
        Some(InviteState::Answered),
        "an answer stays an answer"
    );
    assert_eq!(store.decline_survey(id, UserId(9)).await.unwrap(), None);
    store
        .leave(program.program_id, UserId(4), at(4, 9))
        .await
        .unwrap();
    let due = |user: u64, when| {
        let store = store.clone();
        async move {
            store
                .survey_dm_due(id, UserId(user), when, true)
                .await
                .unwrap()
        }
    };
    let invitation_due = |user: u64, when| {
        let store = store.clone();
        async move {
            store
                .survey_dm_due(id, UserId(user), when, false)
                .await
                .unwrap()
        }
    };
    let remind_at = started.remind_at;
    assert!(!due(1, remind_at).await, "answered");
    assert!(!due(2, remind_at).await, "declined");
    assert!(due(3, remind_at).await, "still invited");
    assert!(!due(4, remind_at).await, "left the program");
    assert!(!due(3, started.closes_at).await, "closed");
    // A late invitation (a bot that was down) still goes to whoever is in the program,
    // but not to a member who left meanwhile, nor once the survey closed.
    assert!(
        invitation_due(2, remind_at).await,
        "declined ones were invited"
    );
    assert!(!invitation_due(4, remind_at).await, "left the program");
    assert!(!invitation_due(3, started.closes_at).await, "closed");
    assert_eq!(store.survey_response_counts(id).await.unwrap(), (4, 1, 1));
}

#[tokio::test]
async fn forget_me_takes_the_members_invitations_answers_and_survey_posts_only() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 2).await;
    let started = start(&store, &program, at(3, 9)).await;
    for user in [1, 2] {
        store
            .save_survey_answer(
                started.survey_id,
                UserId(user),
                1,
                &Answer::Score(5),
                at(3, 10),
            )
            .await
            .unwrap();
    }
    let theirs = store
        .survey_invite(started.survey_id, UserId(2))
        .await
        .unwrap()
        .unwrap()
        .respondent;
    store
        .forget_member(GUILD, UserId(1), at(4, 9))
        .await
        .unwrap();
    assert_eq!(
        count(
            &store,
            "select count(*) from survey_invite where user_id = 1"
        )
        .await,
        0
    );
    let left: Vec<String> = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select respondent from survey_answer")
        .fetch_all(pool)
        .await
        .unwrap());
    assert_eq!(left, [theirs], "the other member's answer stays");
    assert_eq!(
        count(
            &store,
            "select count(*) from outbox where kind like 'survey-%' and user_id = 1"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &store,
            "select count(*) from outbox where kind like 'survey-%' and user_id = 2"
        )
        .await,
        2
    );
    assert_eq!(count(&store, "select count(*) from survey").await, 1);
}

#[tokio::test]
async fn the_export_has_a_row_per_answer_under_keys_and_text_only_where_three_answered() {
    let (store, _dir) = fresh_store().await;
    let program = program_with(&store, 4).await;
    let started = start(&store, &program, at(3, 9)).await;
    let id = started.survey_id;
    for user in 1..=3u64 {
        store
            .save_survey_answer(id, UserId(user), 1, &Answer::Score(user as u8), at(3, 10))
            .await
            .unwrap();
        store
            .save_survey_answer(
                id,
                UserId(user),
                5,
                &Answer::Text(format!("idea {user}")),
                at(3, 10),
            )
            .await
            .unwrap();
    }
    store
        .save_survey_answer(id, UserId(4), 1, &Answer::Score(5), at(3, 10))
        .await
        .unwrap();
    let rows = store
        .export_rows(GUILD, program.program_id)
        .await
        .unwrap()
        .survey;
    assert_eq!(rows.len(), 7);
    let mut texts: Vec<String> = rows.iter().filter_map(|r| r.text.clone()).collect();
    texts.sort();
    assert_eq!(texts, ["idea 1", "idea 2", "idea 3"]);
    assert!(rows.iter().all(|r| r.started == at(3, 9).date_naive()));
    assert!(rows.iter().all(|r| r.occasion == SurveyOccasion::Manual));

    // Forgotten, one of the three: the other two texts are withheld from then on.
    store
        .forget_member(GUILD, UserId(1), at(4, 9))
        .await
        .unwrap();
    let rows = store
        .export_rows(GUILD, program.program_id)
        .await
        .unwrap()
        .survey;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.text.is_none()), "{rows:?}");
    assert_eq!(
        rows.iter().filter(|r| r.kind == QuestionKind::Text).count(),
        2,
        "their rows stay, blank"
    );
    // Another program's export has none of them.
    let other = crate::another_program(&store, GUILD, "Postdoc circles").await;
    assert!(store
        .export_rows(GUILD, other.program_id)
        .await
        .unwrap()
        .survey
        .is_empty());
}
