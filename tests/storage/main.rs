//! The store against a real SQLite file: migrations, programs and their settings,
//! members, and isolation between servers and between the programs of one server.

mod attention;
mod booking;
mod copy;
mod fit;
mod interests;
mod kept_history;
mod members;
mod old_files;
mod outbox;
mod privacy;
mod programs;
mod round_bench;
mod rounds;
mod stats;
mod survey;
mod upgrade;
mod upgrade_0003;
mod upgrade_0005;
mod upgrade_0006;
mod upgrade_0007;
mod wins;

use std::time::Duration;

use hallway::storage::Store;

/// A fresh, empty database (kept alive by the returned guard): a SQLite file in its own
/// temporary directory, or, when `HALLWAY_TEST_BACKEND=postgres`, a new database on the
/// PostgreSQL server at `HALLWAY_TEST_POSTGRES_URL` (see `scripts/test`).
pub async fn fresh_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(dir.path()).await;
    let store = Store::open(&url, 4, Duration::from_secs(5))
        .await
        .expect("open store");
    (store, dir)
}

/// The backend the suite runs on: `sqlite` unless `HALLWAY_TEST_BACKEND=postgres`.
pub fn test_backend() -> hallway::storage::Backend {
    match std::env::var("HALLWAY_TEST_BACKEND").as_deref() {
        Ok("postgres") => hallway::storage::Backend::Postgres,
        _ => hallway::storage::Backend::Sqlite,
    }
}

/// Whether this test checks something only SQLite has (its files, its upgrades, its
/// schema text); prints why it is not run on another backend.
pub fn sqlite_only(what: &str) -> bool {
    let backend = test_backend();
    if backend != hallway::storage::Backend::Sqlite {
        eprintln!("not on {}: {what} is about SQLite", backend.name());
        return false;
    }
    true
}

/// The URL of a new empty database for one test: a file in `dir`, or a new PostgreSQL
/// database named after the process and a counter.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if test_backend() != hallway::storage::Backend::Postgres {
        return format!("sqlite://{}", dir.join("hallway.db").display());
    }
    let server = std::env::var("HALLWAY_TEST_POSTGRES_URL").expect(
        "HALLWAY_TEST_BACKEND=postgres needs HALLWAY_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres",
    );
    let name = format!(
        "hallway_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(&server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// A database file as an earlier `main` left it: that version's migrations, applied by
/// sqlx's migrator (so an upgrade sees them as applied), then its rows. Returns the pool,
/// still open, and the URL to open the file with.
pub async fn database_made_by(
    dir: &std::path::Path,
    version: &str,
    migrations: &[(&str, &str)],
    rows: &str,
) -> (sqlx::SqlitePool, String) {
    let path = dir.join("hallway.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    migrate_with(&pool, dir, version, migrations).await;
    sqlx::raw_sql(rows).execute(&pool).await.unwrap();
    (pool, format!("sqlite://{}", path.display()))
}

/// Applies `migrations` (copies of some of `migrations/`, under their file names) to
/// `pool` with sqlx's migrator, as the version `label` of hallway would have: an upgrade
/// test stops at the step it tests this way, and today's `Store::open` sees them applied.
pub async fn migrate_with(
    pool: &sqlx::SqlitePool,
    dir: &std::path::Path,
    label: &str,
    migrations: &[(&str, &str)],
) {
    let folder = dir.join(format!("migrations-{label}"));
    std::fs::create_dir_all(&folder).unwrap();
    for (name, sql) in migrations {
        std::fs::write(folder.join(name), sql).unwrap();
    }
    sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
}

/// The server's program, made with the default name when it has none: what a server
/// that never created a program runs.
pub async fn first_program(
    store: &Store,
    guild: hallway::domain::ids::GuildId,
) -> hallway::domain::program::Program {
    let mut programs = store.programs_or_first(guild, at(1, 8)).await.unwrap();
    assert_eq!(programs.len(), 1, "one program in server {guild}");
    programs.remove(0)
}

/// Another program of the server, named `name`, with the default matching rules.
pub async fn another_program(
    store: &Store,
    guild: hallway::domain::ids::GuildId,
    name: &str,
) -> hallway::domain::program::Program {
    store
        .create_program(guild, name, None, &Default::default(), at(1, 8))
        .await
        .unwrap()
        .expect("a name the server does not use yet")
}

/// A manual round of peers of `program` (`groups` by user number) made at `due`, its
/// follow-ups due at once.
pub fn peer_round(
    program: &hallway::domain::program::Program,
    due: chrono::DateTime<chrono::Utc>,
    groups: &[&[u64]],
) -> hallway::domain::round::NewRound {
    use hallway::domain::ids::UserId;
    use hallway::domain::profile::Role;
    use hallway::domain::round::{NewGroup, NewRound, Trigger};
    NewRound {
        guild_id: program.guild_id,
        program_id: program.program_id,
        due_at: due,
        trigger: Trigger::Manual,
        seed: 7,
        notes: Vec::new(),
        groups: groups
            .iter()
            .map(|members| NewGroup {
                members: members.iter().map(|u| (UserId(*u), Role::Peer)).collect(),
                prompt_key: None,
            })
            .collect(),
        nudge_at: due,
        feedback_at: due,
        created_at: due,
        confirms_preview: None,
    }
}

pub fn at(day: u32, hour: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .unwrap()
}

#[tokio::test]
async fn the_file_is_created_with_wal_foreign_keys_and_every_table() {
    let (store, dir) = fresh_store().await;
    assert!(dir.path().join("hallway.db").exists());
    let mode: String = sqlx::query_scalar("pragma journal_mode")
        .fetch_one(store.sqlite_pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("pragma foreign_keys")
        .fetch_one(store.sqlite_pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\' order by name",
    )
    .fetch_all(store.sqlite_pool())
    .await
    .unwrap();
    assert_eq!(
        tables,
        [
            "avoid",
            "booking",
            "community",
            "feedback",
            "fit_answer",
            "group_member",
            "history_version",
            "interest",
            "match_group",
            "member",
            "member_interest",
            "outbox",
            "outcome",
            "program",
            "program_member",
            "program_survey_question",
            "prompt",
            "round",
            "round_preview",
            "server_lease",
            "skip_note",
            "slot_batch",
            "slot_offer",
            "slot_pick",
            "survey",
            "survey_answer",
            "survey_invite",
            "survey_question",
            "win"
        ]
    );
}

#[tokio::test]
async fn opening_twice_applies_migrations_once() {
    let (store, dir) = fresh_store().await;
    drop(store);
    let url = format!("sqlite://{}", dir.path().join("hallway.db").display());
    let again = Store::open(&url, 1, Duration::from_secs(1)).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(again.sqlite_pool())
        .await
        .unwrap();
    assert_eq!(
        applied,
        hallway::storage::SQLITE_MIGRATOR.iter().count() as i64
    );
}

/// The words a word enum stores, as the schema spells them.
fn words<T: hallway::domain::words::Word>() -> Vec<String> {
    T::ALL.iter().map(|w| w.as_str().to_string()).collect()
}

#[tokio::test]
async fn every_check_list_in_the_schema_holds_exactly_its_word_enums_words() {
    use hallway::domain::booking::SlotFit;
    use hallway::domain::fit::Fit;
    use hallway::domain::group::{DeliveredVia, OutcomeStatus, Rating};
    use hallway::domain::outbox::OutboxKind;
    use hallway::domain::profile::{Modality, Role, TimeOfDay};
    use hallway::domain::program::{Cadence, InterestWeight, MatchingMode, WatercoolerCadence};
    use hallway::domain::round::{RoundState, Trigger};
    use hallway::domain::survey::{QuestionKind, SurveyOccasion};
    use hallway::domain::wins::WinKind;
    let expected: std::collections::BTreeMap<(&str, &str), Vec<String>> = [
        (("program", "cadence"), words::<Cadence>()),
        (("program", "matching_mode"), words::<MatchingMode>()),
        (
            ("program", "watercooler_cadence"),
            words::<WatercoolerCadence>(),
        ),
        (("program", "interest_weight"), words::<InterestWeight>()),
        (("program_member", "role"), words::<Role>()),
        (("member", "time_of_day"), words::<TimeOfDay>()),
        (("member", "modality"), words::<Modality>()),
        (("round", "trigger"), words::<Trigger>()),
        (("round", "state"), words::<RoundState>()),
        (("match_group", "delivered_via"), words::<DeliveredVia>()),
        (("group_member", "role"), words::<Role>()),
        (("outbox", "kind"), words::<OutboxKind>()),
        // Only storage's own SQL writes these states; there is no enum to drift from.
        (
            ("outbox", "state"),
            vec!["pending".into(), "done".into(), "failed".into()],
        ),
        (("outcome", "status"), words::<OutcomeStatus>()),
        (("feedback", "rating"), words::<Rating>()),
        (("win", "kind"), words::<WinKind>()),
        (("slot_batch", "fit"), words::<SlotFit>()),
        (("fit_answer", "fit"), words::<Fit>()),
        (("program_survey_question", "kind"), words::<QuestionKind>()),
        (("survey_question", "kind"), words::<QuestionKind>()),
        (("survey", "occasion"), words::<SurveyOccasion>()),
        // Only storage's own SQL writes these states.
        (
            ("survey_invite", "state"),
            vec!["invited".into(), "answered".into(), "declined".into()],
        ),
    ]
    .into_iter()
    .collect();

    let (store, _dir) = fresh_store().await;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select name, sql from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'",
    )
    .fetch_all(store.sqlite_pool())
    .await
    .unwrap();
    let mut found = std::collections::BTreeMap::new();
    for (table, sql) in &tables {
        for (column, list) in check_lists(sql) {
            found.insert((table.clone(), column), list);
        }
    }
    let found: std::collections::BTreeMap<(&str, &str), Vec<String>> = found
        .iter()
        .map(|((t, c), l)| ((t.as_str(), c.as_str()), l.clone()))
        .collect();
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "every stored word list has its enum here"
    );
    for (place, list) in &found {
        let mut list = list.clone();
        let mut want = expected[place].clone();
        list.sort();
        want.sort();
        assert_eq!(list, want, "{place:?}");
    }
}

/// `check (column in ('a', 'b'))` lists of words in a table's SQL: (column, words).
fn check_lists(sql: &str) -> Vec<(String, Vec<String>)> {
    let lower = sql.to_lowercase();
    let mut out = Vec::new();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("check (") {
        rest = &rest[at + "check (".len()..];
        let Some(close) = rest.find(')') else { break };
        let inside = &rest[..close];
        if let Some((column, list)) = inside.split_once(" in (") {
            if list.trim_start().starts_with('\'') {
                let words = list
                    .split(',')
                    .map(|w| w.trim().trim_matches('\'').to_string())
                    .collect();
                out.push((column.trim().to_string(), words));
            }
        }
    }
    out
}
