//! Short ways to say what the tests do over and over.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::support::bot::{BotProcess, TestEnv};
#[allow(unused_imports)]
pub use crate::support::database::{
    columns, every_row, execute_script, query, query_as, query_scalar, sqlite_only, stored_values,
    tables, test_backend, AsDb, Db, Stored,
};
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

/// A second connection to the bot's database, on either backend, to check what it stored.
/// Its SQL must suit both: see [`crate::support::database`].
pub async fn db(env: &TestEnv) -> Db {
    env.db().await
}

/// The bot's SQLite file, as a SQLite pool: for a test whose bot runs on SQLite whatever
/// the test backend ([`TestEnv::start_on_sqlite_with`]), e.g. `hallway migrate-to`'s source.
#[allow(dead_code)] // for the tests that read the bot's file as SQLite's own
pub async fn sqlite_db(env: &TestEnv) -> sqlx::SqlitePool {
    match env.db().await {
        hallway::storage::ByBackend::Sqlite(pool) => pool,
        hallway::storage::ByBackend::Postgres(_) => {
            panic!("sqlite_db: this bot runs on PostgreSQL; start it with start_on_sqlite_with")
        }
    }
}

/// The number `sql` (a `select count(*) ...`) counts.
pub async fn count(pool: &impl AsDb, sql: &str) -> i64 {
    query_scalar(sql)
        .fetch_one(&pool.as_db())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
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
pub async fn wait_for_count(pool: &Db, sql: &str, expected: i64) {
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

/// When each scheduler pass the bot has completed so far started. The scheduler logs
/// `scheduler pass done pass=N started=<RFC 3339>` after each pass of its rounds loop.
fn scheduler_pass_starts(logs: &str) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    logs.lines()
        .filter(|line| line.contains("scheduler pass done"))
        .filter_map(|line| {
            let started = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("started="))?;
            DateTime::parse_from_rfc3339(started).ok()
        })
        .map(|started| started.with_timezone(&Utc))
}

/// Waits until `passes` scheduler passes that started after `after` are done. Such a pass
/// read its clock after `after`, and the database after that, so it saw whatever the test
/// did before `after`; a pass already under way at `after` does not count.
pub async fn wait_for_scheduler_passes(bot: &BotProcess, after: DateTime<Utc>, passes: usize) {
    bot.wait_for_logs(
        &format!("{passes} scheduler passes started after {after}"),
        WAIT,
        |logs| scheduler_pass_starts(logs).filter(|s| *s > after).count() >= passes,
    )
    .await;
}

/// Waits until no outbox row due by now is pending: each one was delivered (so the fake has
/// it) or failed. Whatever the bot had queued to post by now, it has posted.
pub async fn wait_for_the_outbox_to_drain(pool: &Db) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        // On PostgreSQL a row being delivered is claimed by moving its due time one lease
        // (30 s by default) ahead: such a row is in hand, not drained.
        let in_hand = match pool.backend() {
            hallway::storage::Backend::Sqlite => chrono::Duration::zero(),
            hallway::storage::Backend::Postgres => chrono::Duration::seconds(31),
        };
        let due: i64 = query_scalar(format!(
            "select count(*) from outbox where state = 'pending' and {} <= {}",
            pool.backend().instant("due_at"),
            pool.backend().instant("$1")
        ))
        .bind(Utc::now() + in_hand)
        .fetch_one(pool)
        .await
        .expect("count the due outbox rows");
        if due == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{due} outbox rows were still due after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `passes` scheduler passes that started after `after` are done (they start
/// due rounds and queue celebrations), then until the outbox has delivered all that is due.
/// Anything the bot would post because of what happened before `after` is posted by then,
/// so a test can then check that something was *not* posted or stored.
pub async fn wait_for_the_bot_to_settle(
    bot: &BotProcess,
    pool: &Db,
    after: DateTime<Utc>,
    passes: usize,
) {
    wait_for_scheduler_passes(bot, after, passes).await;
    wait_for_the_outbox_to_drain(pool).await;
}

/// Gives every program a weekly slot that has already passed, so a round is due at once.
pub async fn make_a_weekly_slot_due(pool: &Db) {
    query(
        "update program set cadence = 'weekly', weekday = 0, hour = 0, time_zone = 'UTC',
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
