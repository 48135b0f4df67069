//! `/win` is for the program's members, at most once per cooldown each, and at most so
//! many per server and hour; a refusal says when the next win can go, and posts nothing.

use chrono::{DateTime, Utc};

use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::helpers::{query, query_scalar, Db};
use crate::rounds::{join, member, FAST};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeConfig};
use crate::support::interactions::SlashInvocation;

const TALK: i64 = 3;
const POSTED: &str = "Your win is on its way";

/// A bot with `extra` settings, the celebrations channel set, and `members` joined.
async fn wins_env(members: usize, extra: &str) -> TestEnv {
    let env = TestEnv::start_with(
        FakeConfig::default().with_generated_members(members),
        |options| {
            let path = options.db_path.with_file_name("wins.toml");
            std::fs::write(&path, format!("{FAST}{extra}")).unwrap();
            let path = path.display().to_string();
            options.args(&["--config", &path, "run"])
        },
    )
    .await;
    let reply = run(
        &env,
        admin("setup")
            .channel_opt("channel", ids::MENTORING)
            .channel_opt("celebrations_channel", ids::CELEBRATIONS)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Saved."]);
    for n in 1..=members {
        join(&env, member(n), choice::PEER).await;
    }
    env
}

fn win(text: &str) -> SlashInvocation {
    SlashInvocation::new("win")
        .opt("kind", TALK)
        .opt("description", text)
}

async fn win_times(pool: &Db) -> Vec<DateTime<Utc>> {
    query_scalar("select created_at from win order by win_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Discord's relative timestamp for `at`, rounded up to a whole second as the bot does.
fn discord_time(at: DateTime<Utc>) -> String {
    let seconds = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
    format!("<t:{seconds}:R>")
}

/// A refusal stores nothing, so nothing can ever be posted for it.
async fn assert_stored_wins(pool: &Db, wins: i64) {
    assert_eq!(count(pool, "select count(*) from win").await, wins);
    assert_eq!(
        count(pool, "select count(*) from outbox where key like 'win:%'").await,
        wins
    );
}

#[tokio::test]
async fn someone_who_never_joined_or_left_cannot_post_a_win_and_a_paused_member_can() {
    let env = wins_env(2, "").await;
    // Dev is in the server but never joined the program.
    let outsider = ids::DEV;
    let refused = run(&env, win("I crashed the bot").by(outsider)).await;
    assert_private(&refused, &["You haven't joined yet", "/hallway join"]);
    let left = run(&env, hallway("leave").by(member(2))).await;
    assert!(left.ephemeral, "{}", left.content);
    let refused = run(&env, win("Me again").by(member(2))).await;
    assert_private(&refused, &["You left hallway", "/hallway join"]);
    let pool = db(&env).await;
    assert_stored_wins(&pool, 0).await;

    let paused = run(&env, hallway("pause").opt("weeks", 2).by(member(1))).await;
    assert!(paused.ephemeral, "{}", paused.content);
    assert_private(
        &run(&env, win("A talk at a conference").by(member(1))).await,
        &[POSTED],
    );
    env.fake
        .wait_for_message(ids::CELEBRATIONS, |m| !m.embeds.is_empty(), WAIT)
        .await;
    assert_stored_wins(&pool, 1).await;
}

#[tokio::test]
async fn a_second_win_within_the_cooldown_is_refused_with_the_time_it_can_go() {
    let env = wins_env(1, "").await;
    assert_private(&run(&env, win("First talk").by(member(1))).await, &[POSTED]);
    let refused = run(&env, win("Second talk").by(member(1))).await;
    let pool = db(&env).await;
    let first = win_times(&pool).await[0];
    // The default cooldown: 10 minutes after the first win.
    let until = discord_time(first + chrono::Duration::minutes(10));
    assert_private(
        &refused,
        &[
            "one win every 10 minutes",
            "Nothing was posted",
            &format!("you can post your next one {until}"),
        ],
    );
    assert_stored_wins(&pool, 1).await;
}

#[tokio::test]
async fn a_win_after_the_cooldown_is_posted() {
    let env = wins_env(1, "").await;
    assert_private(&run(&env, win("First talk").by(member(1))).await, &[POSTED]);
    let pool = db(&env).await;
    // The first win was 11 minutes ago: past the 10-minute cooldown.
    let earlier = Utc::now() - chrono::Duration::minutes(11);
    query("update win set created_at = $1")
        .bind(earlier)
        .execute(&pool)
        .await
        .unwrap();
    assert_private(
        &run(&env, win("Second talk").by(member(1))).await,
        &[POSTED],
    );
    assert_stored_wins(&pool, 2).await;
    env.fake
        .wait_until(WAIT, "both wins posted", |f| {
            (f.messages_in(ids::CELEBRATIONS)
                .iter()
                .filter(|m| !m.embeds.is_empty())
                .count()
                == 2)
                .then_some(())
        })
        .await;
}

#[tokio::test]
async fn once_the_server_ceiling_is_reached_the_next_win_waits_for_the_oldest_to_age_out() {
    let env = wins_env(3, "[wins]\nper_server_per_hour = 2\n").await;
    for n in [1, 2] {
        let text = format!("Talk number {n}");
        assert_private(&run(&env, win(&text).by(member(n))).await, &[POSTED]);
    }
    let refused = run(&env, win("Talk number 3").by(member(3))).await;
    let pool = db(&env).await;
    let oldest = win_times(&pool).await[0];
    let until = discord_time(oldest + chrono::Duration::hours(1));
    assert_private(
        &refused,
        &[
            "already celebrated 2 wins in the last hour",
            "Nothing was posted",
            &format!("you can try again {until}"),
        ],
    );
    assert_stored_wins(&pool, 2).await;
}
