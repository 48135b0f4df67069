use crate::helpers::query_as;
use crate::helpers::{admin, assert_private, choice, count, db, run};
use crate::support::bot::TestEnv;
use crate::support::config::ids;

fn as_coordinator(
    invocation: crate::support::interactions::SlashInvocation,
) -> crate::support::interactions::SlashInvocation {
    invocation.by(ids::CORA)
}

#[tokio::test]
async fn a_member_without_manage_server_is_refused_and_nothing_changes() {
    let env = TestEnv::start().await;
    let attempts = [
        admin("setup").channel_opt("channel", ids::MENTORING),
        admin("schedule")
            .opt("every", choice::WEEKLY)
            .opt("day", choice::MON)
            .opt("hour", 9i64)
            .opt("timezone", "UTC"),
        admin("matching")
            .opt("mode", choice::OPEN)
            .opt("group_size", 2i64),
    ];
    for attempt in attempts {
        // Ada has no Manage Server; Discord would hide the command, but a stale client
        // or a crafted request still reaches the bot.
        let reply = run(&env, attempt.by(ids::ADA)).await;
        assert_private(&reply, &["Only coordinators", "Manage Server"]);
    }
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from community").await, 0);
}

#[tokio::test]
async fn coordinators_store_channels_schedule_and_matching_rules() {
    let env = TestEnv::start().await;
    let reply = run(
        &env,
        as_coordinator(
            admin("setup")
                .channel_opt("channel", ids::MENTORING)
                .channel_opt("celebrations_channel", ids::CELEBRATIONS),
        ),
    )
    .await;
    assert_private(&reply, &["Saved.", &format!("<#{}>", ids::MENTORING)]);

    let reply = run(
        &env,
        as_coordinator(
            admin("schedule")
                .opt("every", choice::BIWEEKLY)
                .opt("day", choice::WED)
                .opt("hour", 17i64)
                .opt("timezone", "America/New_York"),
        ),
    )
    .await;
    assert_private(
        &reply,
        &["every 2 weeks on Wednesday at 17:00 (America/New_York)"],
    );

    let reply = run(
        &env,
        as_coordinator(
            admin("matching")
                .opt("mode", choice::PEER_CIRCLES)
                .opt("group_size", 3i64)
                .opt("cross_institution", true),
        ),
    )
    .await;
    assert_private(
        &reply,
        &["peer-circles, groups of 3, cross-institution preferred"],
    );

    let pool = db(&env).await;
    let row: (i64, i64, String, i64, i64, String, String, i64, bool) = query_as(
        "select program_channel_id, celebrations_channel_id, cadence, weekday, hour, time_zone,
                matching_mode, group_size, cross_institution from program where guild_id = $1",
    )
    .bind(ids::GUILD as i64)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            ids::MENTORING as i64,
            ids::CELEBRATIONS as i64,
            "biweekly".into(),
            2,
            17,
            "America/New_York".into(),
            "peer-circles".into(),
            3,
            true
        )
    );
}

#[tokio::test]
async fn bad_admin_options_are_refused_and_change_nothing() {
    let env = TestEnv::start().await;
    let cases = [
        (
            admin("schedule")
                .opt("every", choice::WEEKLY)
                .opt("day", choice::MON)
                .opt("hour", 25i64)
                .opt("timezone", "UTC"),
            "The hour must be from 0 to 23, not 25",
        ),
        (
            admin("schedule")
                .opt("every", choice::WEEKLY)
                .opt("day", choice::MON)
                .opt("hour", 9i64)
                .opt("timezone", "Berlin"),
            "'Berlin' is not a time zone",
        ),
        (
            admin("matching")
                .opt("mode", choice::OPEN)
                .opt("group_size", 9i64),
            "from 2 to 4, not 9",
        ),
        (
            admin("matching")
                .opt("mode", choice::PEER_CIRCLES)
                .opt("group_size", 2i64),
            "Peer circles are groups of 3 or 4",
        ),
        (
            admin("setup")
                .channel_opt("channel", ids::MENTORING)
                .in_dm(),
            "not in direct messages",
        ),
    ];
    for (invocation, expected) in cases {
        let reply = run(&env, as_coordinator(invocation)).await;
        assert_private(&reply, &[expected]);
    }
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from community").await, 0);
}

#[tokio::test]
async fn mentor_mentee_mode_is_stored() {
    let env = TestEnv::start().await;
    run(
        &env,
        as_coordinator(
            admin("matching")
                .opt("mode", choice::MENTOR_MENTEE)
                .opt("group_size", 2i64),
        ),
    )
    .await;
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where matching_mode = 'mentor-mentee' and group_size = 2"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn coordinators_add_list_and_remove_their_own_prompts() {
    let env = TestEnv::start().await;
    let prompts = |sub: &str| {
        crate::support::interactions::SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub(sub)
            .by(ids::CORA)
    };
    // Category choices: light, career, uninterrupted, check-in, mentor-self-care.
    let added = run(
        &env,
        prompts("add")
            .opt("category", 3i64)
            .opt("text", "What recharged you this month?"),
    )
    .await;
    assert_private(
        &added,
        &["Added `c1` (check-in): What recharged you this month?"],
    );
    let listed = run(&env, prompts("list")).await;
    assert_private(
        &listed,
        &[
            "**Built-in library:** 104 prompts",
            "`c1` (check-in) What recharged you this month?",
        ],
    );
    let too_long = run(
        &env,
        prompts("add")
            .opt("category", 0i64)
            .opt("text", "x".repeat(400).as_str()),
    )
    .await;
    assert_private(&too_long, &["the limit is 300"]);
    let unknown = run(&env, prompts("remove").opt("key", "b4")).await;
    assert_private(&unknown, &["built-in prompts cannot be removed"]);
    let removed = run(&env, prompts("remove").opt("key", "c1")).await;
    assert_private(&removed, &["Removed `c1`"]);
    assert_private(&run(&env, prompts("list")).await, &["none yet"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from prompt where removed_at is not null"
        )
        .await,
        1
    );
    // Members cannot touch them.
    let refused = run(&env, prompts("list").by(ids::ADA)).await;
    assert_private(&refused, &["Only coordinators"]);
}
