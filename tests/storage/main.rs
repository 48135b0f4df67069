//! The store against a real SQLite file: migrations, programs and their settings,
//! members, and isolation between servers and between the programs of one server.

mod attention;
mod booking;
mod copy;
mod fit;
mod identify;
mod interests;
mod kept_history;
mod leases;
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
mod upgrade_0008;
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
    if !sqlite_only("a database file, its pragmas and sqlite_master") {
        return;
    }
    let (store, dir) = fresh_store().await;
    assert!(dir.path().join("hallway.db").exists());
    let hallway::storage::ByBackend::Sqlite(pool) = store.pool() else {
        panic!("the suite runs on SQLite here");
    };
    let mode: String = sqlx::query_scalar("pragma journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("pragma foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\' order by name",
    )
    .fetch_all(pool)
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
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database_url(dir.path()).await;
    let store = Store::open(&url, 1, Duration::from_secs(1)).await.unwrap();
    store.close().await;
    let again = Store::open(&url, 1, Duration::from_secs(1)).await.unwrap();
    let applied: i64 = hallway::on_backend!(again.pool(), pool =>
        sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(pool)
        .await)
    .unwrap();
    let migrator = match again.backend() {
        hallway::storage::Backend::Sqlite => &hallway::storage::SQLITE_MIGRATOR,
        hallway::storage::Backend::Postgres => &hallway::storage::POSTGRES_MIGRATOR,
    };
    assert_eq!(applied, migrator.iter().count() as i64);
}

/// Every table and its column names, as a fresh database of each backend has them
/// (sqlx's own `_sqlx*` tables left out): the two migrations folders must make the same
/// schema, or a query that runs on one fails on the other.
#[tokio::test]
async fn a_fresh_postgresql_database_has_the_same_tables_and_columns_as_a_fresh_sqlite_file() {
    use std::collections::BTreeMap;
    let Ok(server) = std::env::var("HALLWAY_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: set HALLWAY_TEST_POSTGRES_URL to compare the PostgreSQL schema with SQLite's"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("hallway.db").display());
    let sqlite = Store::open(&sqlite_url, 1, Duration::from_secs(5))
        .await
        .unwrap();
    let hallway::storage::ByBackend::Sqlite(pool) = sqlite.pool() else {
        panic!("a sqlite:// URL opens SQLite");
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_sqlx%' escape '\\'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut in_sqlite: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for table in tables {
        let mut columns: Vec<String> = sqlx::query_scalar("select name from pragma_table_info($1)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .unwrap();
        columns.sort();
        in_sqlite.insert(table, columns);
    }

    // A new database of its own on the server, whatever backend the suite runs on.
    let name = format!("hallway_schema_{}", std::process::id());
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(
        &mut admin,
        format!("drop database if exists {name}").as_str(),
    )
    .await
    .unwrap();
    sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(&server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    let postgres = Store::open(url.as_str(), 1, Duration::from_secs(5))
        .await
        .unwrap();
    let hallway::storage::ByBackend::Postgres(pool) = postgres.pool() else {
        panic!("a postgres:// URL opens PostgreSQL");
    };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select c.table_name::text, c.column_name::text
         from information_schema.columns c
         join information_schema.tables t
           on t.table_schema = c.table_schema and t.table_name = c.table_name
         where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
           and c.table_name not like '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut in_postgres: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        in_postgres.entry(table).or_default().push(column);
    }
    for columns in in_postgres.values_mut() {
        columns.sort();
    }
    postgres.close().await;
    sqlx::Executor::execute(&mut admin, format!("drop database {name}").as_str())
        .await
        .unwrap();

    assert!(in_sqlite.contains_key("program"), "read SQLite's tables");
    assert_eq!(
        in_postgres.keys().collect::<Vec<_>>(),
        in_sqlite.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &in_sqlite {
        assert_eq!(&in_postgres[table], columns, "the columns of {table}");
    }
}

/// Groups, outcomes, feedback, skip notes, custom prompts and the export, on rows written
/// directly (so this runs on either backend whatever the rounds' code does): members
/// come back in the order they were put in the group, outcomes in the order answered,
/// and the last feedback counts.
#[tokio::test]
async fn a_group_its_answers_prompts_and_export_read_back_the_same_on_either_backend() {
    use hallway::domain::group::{OutcomeStatus, Rating};
    use hallway::domain::ids::{ChannelId, GroupId, GuildId, MessageId, RoundId, UserId};
    use hallway::domain::member::ProfileChange;
    use hallway::domain::prompts::Category;
    let (store, _dir) = fresh_store().await;
    let g = GuildId(5);
    let program = first_program(&store, g).await;
    for u in [1u64, 2, 3] {
        store
            .join(
                &program,
                UserId(u),
                "x",
                &ProfileChange {
                    role: hallway::domain::profile::Role::Peer,
                    time_zone: None,
                    institution: None,
                    time_of_day: None,
                    modality: None,
                    capacity: None,
                    shoutouts: None,
                    about: None,
                },
                at(1, 9),
            )
            .await
            .unwrap();
    }
    let round_id: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "insert into round (guild_id, program_id, number, due_at, trigger, seed, created_at)
         values ($1, $2, 1, $3, 'manual', 7, $3) returning round_id")
        .bind(5i64).bind(program.program_id).bind(at(2, 9)).fetch_one(pool).await)
    .unwrap();
    let group_id: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "insert into match_group (guild_id, round_id, position, size) values (5, $1, 0, 3) returning group_id")
        .bind(round_id).fetch_one(pool).await).unwrap();
    for u in [3i64, 1, 2] {
        hallway::on_backend!(store.pool(), pool => sqlx::query(
            "insert into group_member (group_id, guild_id, user_id, role) values ($1, 5, $2, 'peer')")
            .bind(group_id).bind(u).execute(pool).await.map(|_| ())).unwrap();
    }
    let gid = GroupId(group_id);
    let detail = store.group(g, gid).await.unwrap().unwrap();
    assert_eq!(
        detail
            .members
            .iter()
            .map(|m| m.user_id.0)
            .collect::<Vec<_>>(),
        [3, 1, 2]
    );
    assert!(detail.members.iter().all(|m| m.profile.is_some()));
    store.save_group_thread(gid, ChannelId(77)).await.unwrap();
    store.save_group_intro(gid, MessageId(78)).await.unwrap();
    assert_eq!(
        store
            .open_threads_before(g, RoundId(round_id + 1), 5)
            .await
            .unwrap(),
        [(gid, ChannelId(77))]
    );
    store.mark_thread_archived(gid, at(3, 9)).await.unwrap();
    assert!(store.group(g, gid).await.unwrap().unwrap().thread_archived);
    assert_eq!(
        store
            .record_outcome(g, gid, UserId(2), OutcomeStatus::NotYet, at(3, 9))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .record_outcome(g, gid, UserId(1), OutcomeStatus::NotYet, at(3, 9))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .record_outcome(g, gid, UserId(2), OutcomeStatus::Skipped, at(3, 10))
            .await
            .unwrap(),
        Some(OutcomeStatus::NotYet)
    );
    assert_eq!(
        store.group_outcomes(g, gid).await.unwrap(),
        [
            (UserId(1), OutcomeStatus::NotYet),
            (UserId(2), OutcomeStatus::Skipped)
        ]
    );
    store
        .record_feedback(g, gid, UserId(1), Rating::Great, at(3, 9))
        .await
        .unwrap();
    store
        .record_feedback(g, gid, UserId(1), Rating::Good, at(3, 9))
        .await
        .unwrap();
    store
        .save_skip_note(g, gid, UserId(2), ChannelId(1), MessageId(2), at(3, 9))
        .await
        .unwrap();
    store
        .save_skip_note(g, gid, UserId(2), ChannelId(1), MessageId(2), at(3, 9))
        .await
        .unwrap();
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into outcome (group_id, guild_id, user_id, status, recorded_at) values ($1, 5, 3, 'met', $2)")
        .bind(group_id).bind(at(3, 11)).execute(pool).await.map(|_| ())).unwrap();
    assert_eq!(
        store.completed_chats(program.program_id).await.unwrap(),
        [(UserId(3), 1)]
    );
    assert!(store
        .watercooler_prompts_used(program.program_id)
        .await
        .unwrap()
        .is_empty());
    assert!(!store.celebration_queued(g, "nope").await.unwrap());
    let key = store
        .add_prompt(
            g,
            program.program_id,
            Category::Light,
            "Hi?",
            UserId(1),
            at(1, 9),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .custom_prompts(program.program_id, false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .remove_prompt(program.program_id, &key, at(1, 10))
        .await
        .unwrap());
    assert!(store
        .custom_prompts(program.program_id, false)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .custom_prompts(program.program_id, true)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store.knows_community(g).await.unwrap());
    assert!(!store.knows_community(GuildId(99)).await.unwrap());
    let rows = store.export_rows(g, program.program_id).await.unwrap();
    assert_eq!(rows.rounds.len(), 1);
    assert_eq!(rows.rounds[0].people, 3);
    assert_eq!(
        rows.groups.iter().map(|r| r.user_id.0).collect::<Vec<_>>(),
        [3, 1, 2]
    );
    assert_eq!(rows.outcomes.len(), 3);
    assert_eq!(
        rows.feedback
            .iter()
            .map(|f| (f.rating, f.answers))
            .collect::<Vec<_>>(),
        [(Rating::Good, 1)],
        "the last answer counts"
    );
    let notes: i64 = hallway::on_backend!(store.pool(), pool =>
        sqlx::query_scalar("select count(*) from skip_note").fetch_one(pool).await)
    .unwrap();
    assert_eq!(notes, 1, "a skip note is recorded once");
}

/// The words a word enum stores, as the schema spells them.
fn words<T: hallway::domain::words::Word>() -> Vec<String> {
    T::ALL.iter().map(|w| w.as_str().to_string()).collect()
}

#[tokio::test]
async fn every_check_list_in_the_schema_holds_exactly_its_word_enums_words() {
    if !sqlite_only("the schema's text in sqlite_master") {
        return;
    }
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
    let hallway::storage::ByBackend::Sqlite(pool) = store.pool() else {
        panic!("the suite runs on SQLite here");
    };
    let tables: Vec<(String, String)> = sqlx::query_as(
        "select name, sql from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'",
    )
    .fetch_all(pool)
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
