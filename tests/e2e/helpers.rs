//! Short ways to say what the tests do over and over.

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;

use crate::support::bot::TestEnv;
use crate::support::fake_discord::Reply;
use crate::support::interactions::SlashInvocation;

pub const WAIT: Duration = Duration::from_secs(15);

/// Choice options arrive as the index of the choice, in the order the command lists them.
pub mod choice {
    pub const MENTOR: i64 = 0;
    pub const MENTEE: i64 = 1;
    pub const PEER: i64 = 2;
    pub const EVENING: i64 = 2;
    pub const WALKING: i64 = 2;
    pub const WEEKLY: i64 = 0;
    pub const BIWEEKLY: i64 = 1;
    pub const MON: i64 = 0;
    pub const WED: i64 = 2;
    pub const OPEN: i64 = 0;
    pub const MENTOR_MENTEE: i64 = 1;
    pub const PEER_CIRCLES: i64 = 2;
}

pub fn hallway(sub: &str) -> SlashInvocation {
    SlashInvocation::new("hallway").sub(sub)
}

pub fn admin(sub: &str) -> SlashInvocation {
    SlashInvocation::new("hallway-admin").sub(sub)
}

/// Runs a slash command and returns what the bot answered.
pub async fn run(env: &TestEnv, invocation: SlashInvocation) -> Reply {
    let handle = env.fake.slash(invocation).await;
    env.fake.reply_to(&handle, WAIT).await
}

/// A second connection to the bot's database, to check what it stored.
pub async fn db(env: &TestEnv) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(env.db_path())
        .busy_timeout(Duration::from_secs(5));
    SqlitePool::connect_with(options)
        .await
        .expect("open the bot's database")
}

pub async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

/// Asserts a reply is private and mentions every `needle`.
#[track_caller]
pub fn assert_private(reply: &Reply, needles: &[&str]) {
    assert!(
        reply.ephemeral,
        "reply should be ephemeral: {:?}",
        reply.content
    );
    for needle in needles {
        assert!(
            reply.content.contains(needle),
            "reply lacks {needle:?}:\n{}",
            reply.content
        );
    }
}

/// Waits until `sql` counts `expected` rows.
pub async fn wait_for_count(pool: &SqlitePool, sql: &str, expected: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = count(pool, sql).await;
        if now == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sql} stayed at {now}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Gives every community a weekly slot that has already passed, so a round is due at once.
pub async fn make_a_weekly_slot_due(pool: &SqlitePool) {
    sqlx::query(
        "update community set cadence = 'weekly', weekday = 0, hour = 0, time_zone = 'UTC',
         schedule_anchor = '2020-01-01T00:00:00Z'",
    )
    .execute(pool)
    .await
    .expect("set a due schedule");
}

/// After the gateway was disrupted: once the bot is connected again, a command still gets
/// its answer.
pub async fn assert_still_answers(env: &TestEnv, role: i64) {
    env.fake.wait_for_live(WAIT).await;
    let reply = run(env, hallway("join").opt("role", role)).await;
    assert_private(&reply, &["Welcome to hallway!"]);
}
