//! The real bot after the gateway asks it to reconnect (op 7 RECONNECT) or tells it its
//! session is invalid (op 9 INVALID_SESSION), as Discord does (Gateway topic, "Resuming").
//! serenity 0.12.5 RESUMEs at once after op 7 and op 9 `true`; after op 9 `false` it
//! restarts the shard (about 5 s) and IDENTIFYs afresh.

use std::time::Duration;

use crate::helpers::{assert_still_answers, choice, WAIT};
use crate::support::bot::TestEnv;

/// serenity's shard restart after op 9 `false` alone takes about 5 s.
const REIDENTIFY_WAIT: Duration = Duration::from_secs(25);

#[tokio::test]
async fn after_op7_reconnect_the_bot_resumes_and_still_answers() {
    let env = TestEnv::start().await;
    env.fake.send_reconnect().await;
    env.fake
        .wait_until(WAIT, "a RESUME after op 7", |f| {
            (f.resume_count() >= 1).then_some(())
        })
        .await;
    assert_still_answers(&env, choice::PEER).await;
    assert_eq!(env.fake.identify_count(), 1, "resumed, not re-identified");
}

#[tokio::test]
async fn after_a_resumable_invalid_session_the_bot_resumes_and_still_answers() {
    let env = TestEnv::start().await;
    env.fake.send_invalid_session(true).await;
    env.fake
        .wait_until(WAIT, "a RESUME after op 9 true", |f| {
            (f.resume_count() >= 1).then_some(())
        })
        .await;
    assert_still_answers(&env, choice::MENTEE).await;
    assert_eq!(env.fake.identify_count(), 1, "resumed, not re-identified");
}

#[tokio::test]
async fn after_a_non_resumable_invalid_session_the_bot_identifies_again_and_still_answers() {
    let env = TestEnv::start().await;
    env.fake.send_invalid_session(false).await;
    env.fake
        .wait_until(REIDENTIFY_WAIT, "a fresh IDENTIFY after op 9 false", |f| {
            (f.identify_count() >= 2).then_some(())
        })
        .await;
    assert_still_answers(&env, choice::PEER).await;
    assert_eq!(env.fake.identify_count(), 2);
    assert_eq!(
        env.fake.resume_count(),
        0,
        "an invalidated session is not resumed"
    );
}
