use crate::helpers::execute_script;
use crate::helpers::{assert_private, assert_still_answers, choice, count, db, hallway, run, WAIT};
use crate::support::bot::TestEnv;
use hallway::storage::Backend;

#[tokio::test]
async fn after_a_gateway_drop_the_bot_resumes_and_still_answers() {
    let env = TestEnv::start().await;
    env.fake.drop_gateway().await;
    env.fake
        .wait_until(WAIT, "the bot resumed", |f| {
            (f.resume_count() >= 1).then_some(())
        })
        .await;
    assert_still_answers(&env, choice::PEER).await;
    assert_eq!(env.fake.identify_count(), 1, "resumed, not re-identified");
}

#[tokio::test]
async fn after_a_silent_tcp_drop_the_bot_reconnects_and_still_answers() {
    let env = TestEnv::start().await;
    env.fake.drop_gateway_tcp().await;
    env.fake
        .wait_until(WAIT, "the bot reconnected", |f| {
            (f.connection_count() >= 2).then_some(())
        })
        .await;
    assert_still_answers(&env, choice::MENTEE).await;
}

#[tokio::test]
async fn a_failed_database_write_gets_a_generic_reply_and_the_cause_goes_to_the_log() {
    let env = TestEnv::start().await;
    let pool = db(&env).await;
    // Make every new member row fail, as a full disk or a corrupt page would.
    let trigger = match pool.backend() {
        Backend::Sqlite => {
            "create trigger break_member_insert before insert on member
             begin select raise(abort, 'simulated disk failure 7f3a'); end"
        }
        Backend::Postgres => {
            "create function break_member_insert() returns trigger language plpgsql as
             $$ begin raise exception 'simulated disk failure 7f3a'; end $$;
             create trigger break_member_insert before insert on member
             for each row execute function break_member_insert();"
        }
    };
    execute_script(&pool, trigger).await.unwrap();
    let reply = run(&env, hallway("join").opt("role", choice::PEER)).await;
    assert_private(
        &reply,
        &["something went wrong on our side", "nothing was changed"],
    );
    assert!(
        !reply.content.contains("7f3a"),
        "internal error shown to the user"
    );
    env.bot
        .wait_for_log("simulated disk failure 7f3a", WAIT)
        .await;
    assert_eq!(count(&pool, "select count(*) from member").await, 0);
}

#[tokio::test]
async fn a_member_who_leaves_the_server_is_no_longer_matched() {
    let env = crate::rounds::program_with(3, choice::PEER).await;
    env.fake
        .member_leave(crate::support::config::ids::GUILD, crate::rounds::member(3))
        .await;
    let pool = db(&env).await;
    crate::helpers::wait_for_count(
        &pool,
        "select count(*) from program_member where left_at is not null",
        1,
    )
    .await;
    let started = crate::rounds::match_now(&env).await;
    assert!(started.contains("1 chat for 2 people"), "{started}");
}

#[tokio::test]
async fn sigterm_stops_the_bot_cleanly() {
    let mut env = TestEnv::start().await;
    env.bot.terminate();
    let status = env.bot.wait_exit(WAIT).await;
    assert!(status.success(), "{status}: {}", env.bot.logs());
    assert!(env.bot.logs().contains("shutting down"));
}

#[tokio::test]
async fn a_second_bot_on_the_same_database_refuses_to_start() {
    if !crate::helpers::sqlite_only("the lock file that keeps a second bot off a SQLite file") {
        return;
    }
    let env = TestEnv::start().await;
    let mut second = crate::support::bot::BotProcess::spawn(&env.fake, &env.options);
    let status = second.wait_exit(WAIT).await;
    assert!(!status.success());
    assert!(
        second.logs().contains("another hallway is already running"),
        "{}",
        second.logs()
    );
    // The first one still answers.
    let reply = run(&env, hallway("join").opt("role", choice::PEER)).await;
    assert_private(&reply, &["Welcome to hallway!"]);
}
