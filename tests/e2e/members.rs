use chrono::{DateTime, Utc};

use crate::helpers::query_as;
use crate::helpers::{assert_private, choice, count, db, hallway, run};
use crate::support::bot::TestEnv;
use crate::support::config::ids;

#[tokio::test]
async fn join_then_profile_shows_exactly_what_was_given_and_the_row_is_stored() {
    let env = TestEnv::start().await;
    let reply = run(
        &env,
        hallway("join")
            .opt("role", choice::MENTOR)
            .opt("timezone", "Europe/Berlin")
            .opt("institution", "Charité")
            .opt("time_of_day", choice::EVENING)
            .opt("modality", choice::WALKING)
            .opt("capacity", 3i64),
    )
    .await;
    assert_private(&reply, &["Welcome to hallway!", "Role: mentor"]);

    let profile = run(&env, hallway("profile")).await;
    assert_private(
        &profile,
        &[
            "Role: mentor",
            "Capacity: up to 3 mentees a round",
            "Time zone: Europe/Berlin",
            "Institution: Charité",
            "Time of day: evening",
            "Modality: walking",
            "Status: active",
            "/hallway pause",
            "/hallway leave",
        ],
    );

    let pool = db(&env).await;
    let row: (
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<DateTime<Utc>>,
    ) = query_as(
        "select pm.role, m.time_zone, m.institution, m.time_of_day, m.modality, pm.capacity,
                pm.left_at
         from member m join program_member pm on pm.guild_id = m.guild_id and pm.user_id = m.user_id
         where m.guild_id = $1 and m.user_id = $2",
    )
    .bind(ids::GUILD as i64)
    .bind(ids::ADA as i64)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "mentor".into(),
            "Europe/Berlin".into(),
            "Charité".into(),
            "evening".into(),
            "walking".into(),
            3,
            None
        )
    );
}

#[tokio::test]
async fn a_bad_time_zone_is_refused_privately_and_nothing_is_stored() {
    let env = TestEnv::start().await;
    let reply = run(
        &env,
        hallway("join")
            .opt("role", choice::MENTEE)
            .opt("timezone", "Mars/Olympus"),
    )
    .await;
    assert_private(
        &reply,
        &["'Mars/Olympus' is not a time zone", "Europe/Berlin"],
    );
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from member").await, 0);
}

#[tokio::test]
async fn other_bad_options_are_refused_with_what_to_do() {
    let env = TestEnv::start().await;
    let too_long = "x".repeat(150);
    let cases = [
        (
            hallway("join")
                .opt("role", choice::MENTEE)
                .opt("capacity", 2i64),
            "Capacity is for mentors only",
        ),
        (
            hallway("join")
                .opt("role", choice::MENTOR)
                .opt("capacity", 9i64),
            "The capacity must be from 1 to 5, not 9",
        ),
        (
            hallway("join")
                .opt("role", choice::PEER)
                .opt("institution", too_long.as_str()),
            "the limit is 100",
        ),
        (
            hallway("pause").opt("weeks", 2i64),
            "You haven't joined yet",
        ),
    ];
    for (invocation, expected) in cases {
        let reply = run(&env, invocation).await;
        assert_private(&reply, &[expected]);
    }
    run(&env, hallway("join").opt("role", choice::PEER)).await;
    let reply = run(&env, hallway("pause").opt("weeks", 13i64)).await;
    assert_private(&reply, &["from 1 to 12, not 13"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program_member where paused_until is not null"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn pause_for_two_weeks_then_profile_shows_the_date_of_return() {
    let env = TestEnv::start().await;
    run(
        &env,
        hallway("join")
            .opt("role", choice::MENTEE)
            .opt("timezone", "UTC"),
    )
    .await;
    let before = chrono::Utc::now();
    let reply = run(&env, hallway("pause").opt("weeks", 2i64)).await;
    let after = chrono::Utc::now();
    // The date of return, as the bot writes it; the clock may cross midnight mid-test.
    let expected: Vec<String> = [before, after]
        .iter()
        .map(|t| {
            (*t + chrono::Duration::weeks(2))
                .format("%A %-d %B %Y")
                .to_string()
        })
        .collect();
    assert!(reply.ephemeral);
    assert!(
        expected.iter().any(|d| reply.content.contains(d)),
        "{}",
        reply.content
    );

    let profile = run(&env, hallway("profile")).await;
    assert!(
        expected
            .iter()
            .any(|d| profile.content.contains(&format!("paused until {d}"))),
        "{}",
        profile.content
    );
    let resumed = run(&env, hallway("resume")).await;
    assert_private(&resumed, &["Welcome back"]);
    assert_private(&run(&env, hallway("profile")).await, &["Status: active"]);
}

#[tokio::test]
async fn leave_keeps_the_history_and_join_brings_the_member_back() {
    let env = TestEnv::start().await;
    run(&env, hallway("join").opt("role", choice::PEER)).await;
    let left = run(&env, hallway("leave")).await;
    assert_private(&left, &["You've left hallway", "/hallway join"]);
    assert_private(&run(&env, hallway("profile")).await, &["You left hallway"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program_member where left_at is not null"
        )
        .await,
        1
    );
    let back = run(&env, hallway("join").opt("role", choice::PEER)).await;
    assert_private(&back, &["Status: active"]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from program_member where left_at is null"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn commands_in_a_direct_message_are_refused() {
    let env = TestEnv::start().await;
    let reply = run(&env, hallway("join").opt("role", choice::PEER).in_dm()).await;
    assert_private(&reply, &["inside a server, not in direct messages"]);
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from member").await, 0);
}

#[tokio::test]
async fn time_zones_autocomplete_from_what_was_typed() {
    let env = TestEnv::start().await;
    let handle = env
        .fake
        .autocomplete(
            hallway("join")
                .opt("role", choice::PEER)
                .focus("timezone", "new_y"),
        )
        .await;
    let reply = env.fake.reply_to(&handle, crate::helpers::WAIT).await;
    let names: Vec<&str> = reply
        .choices
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"America/New_York"), "{names:?}");
}
