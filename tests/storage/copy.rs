//! `hallway migrate-to`'s copy: a SQLite database with rows in every table, copied into a
//! fresh PostgreSQL database, has the same rows there (value for value, in PostgreSQL's
//! own types), and the copy answers as the original does. Needs a PostgreSQL server at
//! `HALLWAY_TEST_POSTGRES_URL`; skipped, with one line saying so, without it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Row as _, SqlitePool};

use hallway::domain::booking::SlotFit;
use hallway::domain::fit::Fit;
use hallway::domain::group::{OutcomeStatus, Rating};
use hallway::domain::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, UserId};
use hallway::domain::limits::WinLimits;
use hallway::domain::member::ProfileChange;
use hallway::domain::outbox::OutboxKind;
use hallway::domain::profile::Role;
use hallway::domain::program::{Cadence, Program, ProgramInfo, Schedule};
use hallway::domain::prompts::Category;
use hallway::domain::slots::SlotOffer;
use hallway::domain::survey::{default_questions, Answer};
use hallway::domain::wins::{NewWin, WinKind};
use hallway::storage::{ByBackend, Store};

use crate::{another_program, at, first_program, peer_round};

const GUILD: GuildId = GuildId(1_400_000_000_000_000_001);
const OTHER_GUILD: GuildId = GuildId(1_400_000_000_000_000_002);

fn user(n: u64) -> UserId {
    UserId(1_400_000_000_000_100_000 + n)
}

/// The PostgreSQL server for these tests, or `None` (and one line saying so).
fn postgres_server(test: &str) -> Option<String> {
    match std::env::var("HALLWAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped {test}: set HALLWAY_TEST_POSTGRES_URL to run it against PostgreSQL");
            None
        }
    }
}

/// A new, empty PostgreSQL database on `server`: its URL.
pub async fn fresh_postgres_url(server: &str, label: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "hallway_copy_{label}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(server)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(&mut admin, format!("create database {name}").as_str())
        .await
        .expect("create a test database");
    let mut url = url::Url::parse(server).expect("HALLWAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

fn sqlite(store: &Store) -> &SqlitePool {
    match store.pool() {
        ByBackend::Sqlite(pool) => pool,
        ByBackend::Postgres(_) => panic!("the source is SQLite"),
    }
}

fn postgres(store: &Store) -> &PgPool {
    match store.pool() {
        ByBackend::Postgres(pool) => pool,
        ByBackend::Sqlite(_) => panic!("the target is PostgreSQL"),
    }
}

async fn join(store: &Store, program: &Program, n: u64) {
    let change = ProfileChange {
        time_zone: Some(chrono_tz::Europe::Berlin),
        ..ProfileChange::role(Role::Peer)
    };
    store
        .join(program, user(n), &format!("Member {n}"), &change, at(1, 9))
        .await
        .unwrap();
}

/// The programs of a SQLite database with rows in every table, through the store's own
/// API where it reaches and SQL where it does not (a lease, kept only on PostgreSQL's
/// processes' behalf).
async fn populate(store: &Store) -> Vec<Program> {
    let mut program = first_program(store, GUILD).await;
    let second = another_program(store, GUILD, "Writing Circle").await;
    let elsewhere = first_program(store, OTHER_GUILD).await;
    store
        .set_channels(
            program.program_id,
            ChannelId(1_400_000_000_000_000_500),
            None,
            at(1, 8),
        )
        .await
        .unwrap();
    store
        .set_schedule(
            program.program_id,
            &Schedule {
                cadence: Cadence::Weekly,
                weekday: chrono::Weekday::Mon,
                hour: 9,
                time_zone: chrono_tz::Europe::Berlin,
            },
            at(1, 8),
        )
        .await
        .unwrap();
    store
        .set_program_info(
            program.program_id,
            &ProgramInfo {
                start: NaiveDate::from_ymd_opt(2026, 11, 1),
                end: NaiveDate::from_ymd_opt(2027, 3, 31),
                welcome: Some("Welcome, \"quoted\" and 'single' — ünïcode".into()),
            },
            at(1, 8),
        )
        .await
        .unwrap();
    store
        .set_program_survey_questions(program.program_id, Some(&default_questions()))
        .await
        .unwrap();
    program = store
        .program(GUILD, program.program_id)
        .await
        .unwrap()
        .expect("the program");

    for n in 1..=6 {
        join(store, &program, n).await;
    }
    join(store, &second, 1).await;
    join(store, &second, 7).await;
    join(store, &elsewhere, 8).await;
    join(store, &elsewhere, 9).await;
    store
        .avoid(GUILD, user(1), user(6), at(1, 10))
        .await
        .unwrap();

    let tag = store
        .add_interest(GUILD, program.program_id, "Grant writing", at(1, 10))
        .await
        .unwrap()
        .expect("a new tag");
    store
        .set_member_interests(GUILD, program.program_id, user(2), &[tag.interest_id])
        .await
        .unwrap();
    store
        .add_prompt(
            GUILD,
            program.program_id,
            Category::Light,
            "What made you smile this week?",
            user(1),
            at(1, 10),
        )
        .await
        .unwrap();

    // A preview, then the round: groups, seats, their outbox.
    let plan = hallway::rounds::plan_for(store, &program, at(2, 8), 42)
        .await
        .unwrap();
    store
        .save_preview(GUILD, program.program_id, user(1), &plan, at(2, 8))
        .await
        .unwrap();
    let round = store
        .create_round(&peer_round(
            &program,
            at(2, 9),
            &[
                &[user(1).0, user(2).0][..],
                &[user(3).0, user(4).0, user(5).0][..],
            ],
        ))
        .await
        .unwrap()
        .unwrap();
    let groups: Vec<GroupId> = sqlx::query_scalar(
        "select group_id from match_group where round_id = $1 order by position",
    )
    .bind(round.round_id.0)
    .fetch_all(sqlite(store))
    .await
    .unwrap();
    store
        .save_group_thread(groups[0], ChannelId(1_400_000_000_000_000_900))
        .await
        .unwrap();
    let due = store.due_outbox(at(30, 0), 100, 100).await.unwrap();
    let intro = due.iter().find(|r| r.kind == OutboxKind::Intro).unwrap();
    store
        .complete_outbox(
            intro,
            Some((
                ChannelId(1_400_000_000_000_000_900),
                MessageId(1_400_000_000_000_000_901),
            )),
            at(2, 9),
        )
        .await
        .unwrap();

    // Answers: outcomes, feedback, a skip note, a fit check.
    for (n, status) in [
        (1, OutcomeStatus::Met),
        (2, OutcomeStatus::Met),
        (3, OutcomeStatus::Skipped),
    ] {
        let group = if n <= 2 { groups[0] } else { groups[1] };
        store
            .record_outcome(GUILD, group, user(n), status, at(3, 10))
            .await
            .unwrap();
    }
    store
        .record_feedback(GUILD, groups[0], user(1), Rating::Great, at(3, 11))
        .await
        .unwrap();
    store
        .save_skip_note(
            GUILD,
            groups[1],
            user(3),
            ChannelId(1_400_000_000_000_000_910),
            MessageId(1_400_000_000_000_000_911),
            at(3, 10),
        )
        .await
        .unwrap();
    store
        .record_fit(GUILD, groups[0], user(1), Fit::NotAFit, at(3, 12))
        .await
        .unwrap()
        .expect("a fit answer");

    // Booking: one batch of slots, both pick the same one, the chat is booked.
    let slots = [at(10, 9), at(11, 15)];
    store
        .offer_first_slots(
            GUILD,
            groups[0],
            &SlotOffer {
                slots: slots.to_vec(),
                fit: SlotFit::Preferred,
            },
            at(2, 10),
        )
        .await
        .unwrap();
    for n in [1, 2] {
        store
            .pick_slots(GUILD, groups[0], user(n), 0, &slots[..1], at(2, 11))
            .await
            .unwrap();
    }

    // A win and its celebration.
    store
        .record_win(
            &NewWin {
                guild_id: GUILD,
                program_id: program.program_id,
                user_id: user(2),
                kind: WinKind::Publication,
                description: "Paper accepted",
                link: Some("https://example.org/paper"),
                detail: "{}",
            },
            &WinLimits {
                member_cooldown: chrono::Duration::zero(),
                server_per_hour: 0,
            },
            at(4, 10),
        )
        .await
        .unwrap()
        .expect("the win is saved");

    // A survey: its questions, invitations and answers.
    let survey = store
        .start_survey(GUILD, program.program_id, at(5, 10))
        .await
        .unwrap()
        .expect("a survey")
        .survey_id;
    let invitations: Vec<_> = store
        .due_outbox(at(5, 10), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == OutboxKind::SurveyInvite)
        .collect();
    for (n, row) in invitations.iter().enumerate() {
        let posted = (
            ChannelId(1_400_000_000_000_000_300 + n as u64),
            MessageId(1_400_000_000_000_000_400 + n as u64),
        );
        store
            .complete_outbox(row, Some(posted), at(5, 10))
            .await
            .unwrap();
    }
    assert!(store
        .save_survey_answer(survey, user(1), 1, &Answer::Score(4), at(5, 11))
        .await
        .unwrap());
    assert!(store
        .save_survey_answer(
            survey,
            user(2),
            5,
            &Answer::Text("More peer circles".into()),
            at(5, 12)
        )
        .await
        .unwrap());

    // What only the scheduler of a multi-process deployment writes.
    sqlx::query(
        "insert into server_lease (guild_id, holder, epoch, expires_at, acquired_at)
         values ($1, 'host-1:4242:start', 3, $2, $3)",
    )
    .bind(GUILD)
    .bind(at(6, 10))
    .bind(at(6, 9))
    .execute(sqlite(store))
    .await
    .unwrap();
    sqlx::query(
        "insert into history_version (program_id, version) values ($1, 2)
         on conflict (program_id) do update set version = excluded.version",
    )
    .bind(program.program_id)
    .execute(sqlite(store))
    .await
    .unwrap();

    store
        .programs(GUILD)
        .await
        .unwrap()
        .into_iter()
        .chain(store.programs(OTHER_GUILD).await.unwrap())
        .collect()
}

/// The kind of value a PostgreSQL column holds, as the comparison reads it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Bool,
    Time,
    Date,
    Text,
}

/// Every table of the target (but sqlx's), with its columns: primary key first.
async fn target_tables(pool: &PgPool) -> BTreeMap<String, Vec<(String, Kind)>> {
    let rows: Vec<(String, String, String, bool)> = sqlx::query_as(
        "select c.table_name::text, c.column_name::text, c.data_type::text,
                exists (select 1 from information_schema.table_constraints k
                        join information_schema.key_column_usage u
                          on u.constraint_name = k.constraint_name and u.table_schema = k.table_schema
                        where k.constraint_type = 'PRIMARY KEY' and k.table_schema = c.table_schema
                          and k.table_name = c.table_name and u.column_name = c.column_name)
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
         where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
           and c.table_name <> '_sqlx_migrations'
         order by c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tables: BTreeMap<String, Vec<(String, Kind, bool)>> = BTreeMap::new();
    for (table, column, data_type, key) in rows {
        let kind = match data_type.as_str() {
            "bigint" => Kind::Int,
            "boolean" => Kind::Bool,
            "timestamp with time zone" => Kind::Time,
            "date" => Kind::Date,
            "text" => Kind::Text,
            other => panic!("{table}.{column}: a type this test does not compare: {other}"),
        };
        tables.entry(table).or_default().push((column, kind, key));
    }
    tables
        .into_iter()
        .map(|(table, mut columns)| {
            columns.sort_by_key(|(_, _, key)| !*key);
            (table, columns.into_iter().map(|(c, k, _)| (c, k)).collect())
        })
        .collect()
}

fn show_time(t: Option<DateTime<Utc>>) -> String {
    // PostgreSQL keeps microseconds (sqlx drops the rest): a SQLite time is compared at
    // that precision.
    t.map(|t| {
        DateTime::<Utc>::from_timestamp_micros(t.timestamp_micros())
            .unwrap()
            .to_rfc3339()
    })
    .unwrap_or_else(|| "NULL".into())
}

fn show<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "NULL".into())
}

fn select(table: &str, columns: &[(String, Kind)]) -> String {
    let list: Vec<String> = columns.iter().map(|(c, _)| format!("\"{c}\"")).collect();
    format!("select {} from \"{table}\"", list.join(", "))
}

/// The table's rows on SQLite, each value as the PostgreSQL type reads it, sorted by
/// primary key.
async fn sqlite_rows(
    pool: &SqlitePool,
    table: &str,
    columns: &[(String, Kind)],
) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = sqlx::query(&select(table, columns))
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| match kind {
                    Kind::Int => show(row.get::<Option<i64>, _>(i)),
                    Kind::Bool => show(row.get::<Option<bool>, _>(i)),
                    Kind::Time => show_time(row.get(i)),
                    Kind::Date => show(row.get::<Option<NaiveDate>, _>(i)),
                    Kind::Text => show(row.get::<Option<String>, _>(i)),
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

async fn postgres_rows(pool: &PgPool, table: &str, columns: &[(String, Kind)]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = sqlx::query(&select(table, columns))
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| match kind {
                    Kind::Int => show(row.get::<Option<i64>, _>(i)),
                    Kind::Bool => show(row.get::<Option<bool>, _>(i)),
                    Kind::Time => show_time(row.get(i)),
                    Kind::Date => show(row.get::<Option<NaiveDate>, _>(i)),
                    Kind::Text => show(row.get::<Option<String>, _>(i)),
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

/// Asserts that every table has the same rows in both databases; returns the counts.
async fn assert_same_rows(source: &Store, target: &Store) -> BTreeMap<String, usize> {
    let tables = target_tables(postgres(target)).await;
    let mut counts = BTreeMap::new();
    for (table, columns) in &tables {
        let from = sqlite_rows(sqlite(source), table, columns).await;
        let to = postgres_rows(postgres(target), table, columns).await;
        assert_eq!(from, to, "the rows of {table}");
        counts.insert(table.clone(), to.len());
    }
    counts
}

async fn source_store(dir: &std::path::Path) -> Store {
    Store::open(
        &format!("sqlite://{}", dir.join("source.db").display()),
        2,
        Duration::from_secs(5),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_sqlite_database_with_rows_in_every_table_copies_into_postgresql_row_for_row() {
    let Some(server) = postgres_server(
        "a_sqlite_database_with_rows_in_every_table_copies_into_postgresql_row_for_row",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = source_store(dir.path()).await;
    let programs = populate(&source).await;
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from sqlite_master where type = 'table' and name not like '\\_%' escape '\\'
         and name not like 'sqlite%' order by name",
    )
    .fetch_all(sqlite(&source))
    .await
    .unwrap();
    for table in &tables {
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from \"{table}\""))
            .fetch_one(sqlite(&source))
            .await
            .unwrap();
        assert!(
            rows > 0,
            "the test database has no row in {table}: populate() must fill it"
        );
    }

    let url = fresh_postgres_url(&server, "rows").await;
    let target = Store::open_copy_target(&url, 2, Duration::from_secs(5))
        .await
        .unwrap();
    let report = source.copy_into(&target).await.unwrap();

    // Parents before children, every table once, counts equal on both sides.
    let mut copied: Vec<&str> = report.tables.iter().map(|t| t.name.as_str()).collect();
    let position = |name: &str| copied.iter().position(|t| *t == name).unwrap();
    assert!(position("community") < position("program"));
    assert!(position("match_group") < position("group_member"));
    assert!(position("slot_offer") < position("slot_pick"));
    copied.sort();
    assert_eq!(
        copied,
        tables.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let counts = assert_same_rows(&source, &target).await;
    for table in &report.tables {
        assert_eq!(table.source_rows, table.target_rows, "{}", table.name);
        assert_eq!(
            counts[&table.name] as u64, table.target_rows,
            "{}",
            table.name
        );
    }

    // Every identity sequence is past the copied ids: the next row gets a new one.
    for (table, column) in [
        ("program", "program_id"),
        ("round", "round_id"),
        ("match_group", "group_id"),
        ("outbox", "outbox_id"),
        ("win", "win_id"),
        ("survey", "survey_id"),
    ] {
        let (max, next): (i64, i64) = sqlx::query_as(&format!(
            "select (select max({column}) from {table}),
                    nextval(pg_get_serial_sequence('{table}', '{column}'))"
        ))
        .fetch_one(postgres(&target))
        .await
        .unwrap();
        assert!(
            next > max,
            "{table}.{column}: next {next}, copied up to {max}"
        );
    }

    // The copy answers as the original: each program's export, and its next round.
    for program in &programs {
        let stem = hallway::export::file_stem(&program.name);
        let from = hallway::export::read(&source, program, &stem)
            .await
            .unwrap();
        let to = hallway::export::read(&target, program, &stem)
            .await
            .unwrap();
        assert_eq!(from, to, "the export of {}", program.name);
        let from = hallway::rounds::plan_for(&source, program, at(9, 9), 7)
            .await
            .unwrap();
        let to = hallway::rounds::plan_for(&target, program, at(9, 9), 7)
            .await
            .unwrap();
        assert_eq!(from, to, "the next round of {}", program.name);
    }
    let program_ids: Vec<ProgramId> = programs.iter().map(|p| p.program_id).collect();
    assert_eq!(program_ids.len(), 3);
}

#[tokio::test]
async fn a_second_copy_into_a_database_that_holds_rows_is_refused_and_changes_nothing() {
    let Some(server) = postgres_server(
        "a_second_copy_into_a_database_that_holds_rows_is_refused_and_changes_nothing",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = source_store(dir.path()).await;
    let program = first_program(&source, GUILD).await;
    join(&source, &program, 1).await;
    let url = fresh_postgres_url(&server, "twice").await;
    let target = Store::open_copy_target(&url, 2, Duration::from_secs(5))
        .await
        .unwrap();
    source.copy_into(&target).await.unwrap();
    let before = assert_same_rows(&source, &target).await;

    // More rows in the source since: a second copy would double or mix them.
    join(&source, &program, 2).await;
    let refused = format!(
        "{:#}",
        Store::open_copy_target(&url, 2, Duration::from_secs(5))
            .await
            .unwrap_err()
    );
    assert!(refused.contains("already holds rows"), "{refused}");
    assert!(refused.contains("community: 1"), "{refused}");
    assert!(refused.contains("changed nothing"), "{refused}");
    // The open store is refused too, inside the copy's own transaction.
    let refused = format!("{:#}", source.copy_into(&target).await.unwrap_err());
    assert!(refused.contains("already holds rows"), "{refused}");

    let tables = target_tables(postgres(&target)).await;
    let mut after = BTreeMap::new();
    for (table, columns) in &tables {
        after.insert(
            table.clone(),
            postgres_rows(postgres(&target), table, columns).await.len(),
        );
    }
    assert_eq!(after, before, "the target is as the first copy left it");
    assert_eq!(after["program_member"], 1);
}

#[tokio::test]
async fn a_copy_into_sqlite_or_from_postgresql_is_refused_with_what_to_use_instead() {
    let Some(server) = postgres_server(
        "a_copy_into_sqlite_or_from_postgresql_is_refused_with_what_to_use_instead",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = source_store(dir.path()).await;
    let into_sqlite = format!(
        "{:#}",
        Store::open_copy_target(
            &format!("sqlite://{}", dir.path().join("other.db").display()),
            1,
            Duration::from_secs(5)
        )
        .await
        .unwrap_err()
    );
    assert!(
        into_sqlite.contains("migrate-to copies into PostgreSQL"),
        "{into_sqlite}"
    );
    assert!(!dir.path().join("other.db").exists(), "no file was made");

    let url = fresh_postgres_url(&server, "from_pg").await;
    let postgres_store = Store::open_copy_target(&url, 1, Duration::from_secs(5))
        .await
        .unwrap();
    let from_postgres = format!(
        "{:#}",
        postgres_store.copy_into(&postgres_store).await.unwrap_err()
    );
    assert!(from_postgres.contains("pg_dump"), "{from_postgres}");
    let into_sqlite = format!("{:#}", source.copy_into(&source).await.unwrap_err());
    assert!(
        into_sqlite.contains("not into another SQLite file"),
        "{into_sqlite}"
    );
}

#[tokio::test]
async fn a_sqlite_column_or_table_that_postgresql_lacks_stops_the_copy_before_any_row_is_written() {
    let Some(server) = postgres_server(
        "a_sqlite_column_or_table_that_postgresql_lacks_stops_the_copy_before_any_row_is_written",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = source_store(dir.path()).await;
    let program = first_program(&source, GUILD).await;
    join(&source, &program, 1).await;
    let url = fresh_postgres_url(&server, "lacks").await;
    let target = Store::open_copy_target(&url, 2, Duration::from_secs(5))
        .await
        .unwrap();

    // A column added on SQLite only: its values would be lost.
    sqlx::query("alter table member add column pronouns text")
        .execute(sqlite(&source))
        .await
        .unwrap();
    let refused = format!("{:#}", source.copy_into(&target).await.unwrap_err());
    assert!(
        refused.contains("the SQLite column member.pronouns has no column in PostgreSQL's schema"),
        "{refused}"
    );
    sqlx::query("alter table member drop column pronouns")
        .execute(sqlite(&source))
        .await
        .unwrap();

    // A table on SQLite only.
    sqlx::query("create table nicknames (user_id integer primary key, nick text)")
        .execute(sqlite(&source))
        .await
        .unwrap();
    let refused = format!("{:#}", source.copy_into(&target).await.unwrap_err());
    assert!(
        refused.contains("tables that PostgreSQL's schema lacks (nicknames)"),
        "{refused}"
    );
    for table in ["community", "member", "program", "program_member"] {
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(postgres(&target))
            .await
            .unwrap();
        assert_eq!(rows, 0, "nothing was copied into {table}");
    }

    // Once the schemas agree again, the same target takes the copy.
    sqlx::query("drop table nicknames")
        .execute(sqlite(&source))
        .await
        .unwrap();
    source.copy_into(&target).await.unwrap();
    assert_same_rows(&source, &target).await;
}

#[tokio::test]
async fn a_missing_sqlite_file_is_named_and_leaves_no_lock_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mistyped.db").display());
    let err = format!(
        "{:#}",
        hallway::storage::lock_copy_source(&url).unwrap_err()
    );
    assert!(err.contains("there is no SQLite database at"), "{err}");
    assert!(err.contains("mistyped.db"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file was made"
    );

    // An existing file is claimed as a running bot claims it: a second claim fails.
    let source = source_store(dir.path()).await;
    let url = format!("sqlite://{}", dir.path().join("source.db").display());
    let _held = hallway::storage::lock_copy_source(&url).unwrap();
    let err = format!(
        "{:#}",
        hallway::storage::lock_copy_source(&url).unwrap_err()
    );
    assert!(err.contains("stop the bot before migrating"), "{err}");
    source.close().await;
}
