//! A database made by the previous `main` (17a979e: migrations 0001-0007), with rows in
//! every table for two servers and four programs, upgraded by migration 0008 (server
//! leases): every row of every table is kept with every value, the two new tables
//! (`server_lease`, `history_version`) start empty, and the upgraded file hands out
//! leases like a new one.

use std::time::Duration;

use chrono::Utc;
use hallway::domain::ids::GuildId;
use hallway::storage::{Holder, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::old_files::{kept_copy, MIGRATIONS};
use crate::upgrade_0003::{dump, TableDump};
use crate::{database_made_by, migrate_with, sqlite_only};

const ROWS_AT_566E2BD: &str = include_str!("fixtures/main-566e2bd.sql");

/// What 17a979e adds on top of 566e2bd's rows: a row in each table of 0007 (a fit
/// answer, a program's own question, a survey with its question, an invite and an answer).
const ROWS_OF_0007: &str = "
insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit, avoiding, answered_at) values
  (1, 1200000000000000001, 1, 1300000000000000011, 1300000000000000012, 'good', 0, '2026-11-10T09:00:00+00:00');
insert into program_survey_question (program_id, position, kind, prompt) values
  (1, 1, 'scale', 'How useful were the chats?');
insert into survey (survey_id, program_id, guild_id, occasion, round_id, started_at, remind_at, closes_at) values
  (1, 1, 1200000000000000001, 'halfway', 1, '2026-11-12T09:00:00+00:00', '2026-11-15T09:00:00+00:00', '2026-11-19T09:00:00+00:00');
insert into survey_question (survey_id, position, kind, prompt) values
  (1, 1, 'scale', 'How useful were the chats?');
insert into survey_invite (survey_id, guild_id, user_id, respondent, state, invited_at, answered_at) values
  (1, 1200000000000000001, 1300000000000000011, 'r-7f3a', 'answered', '2026-11-12T09:00:01+00:00', '2026-11-13T10:00:00+00:00');
insert into survey_answer (survey_id, respondent, position, score, answer, answered_at) values
  (1, 'r-7f3a', 1, 4, null, '2026-11-13T10:00:00+00:00');
";

const GUILD_A: GuildId = GuildId(1_200_000_000_000_000_001);
const GUILD_B: GuildId = GuildId(1_200_000_000_000_000_002);

fn find<'a>(dumps: &'a [TableDump], table: &str) -> Option<&'a TableDump> {
    dumps.iter().find(|t| t.table == table)
}

#[tokio::test]
async fn upgrading_a_database_made_by_17a979e_keeps_every_row_and_adds_empty_lease_tables() {
    if !sqlite_only("an upgrade from an old SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 17a979e's file: made at 566e2bd, upgraded by 0007 as 17a979e did, then used.
    let (pool, url) =
        database_made_by(dir.path(), "566e2bd", &MIGRATIONS[..6], ROWS_AT_566E2BD).await;
    migrate_with(&pool, dir.path(), "17a979e", &MIGRATIONS[..7]).await;
    sqlx::raw_sql(ROWS_OF_0007).execute(&pool).await.unwrap();
    pool.close().await;
    let old = kept_copy(dir.path(), "17a979e").await;
    let before = dump(&old).await;
    assert_eq!(before.len(), 27, "every table of 0007");
    for table in &before {
        assert!(
            !table.rows.is_empty(),
            "the fixture has no {} rows",
            table.table
        );
    }

    // Today's store applies 0008.
    let store = Store::open(&url, 2, Duration::from_secs(5)).await.unwrap();
    let new = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(url.parse::<SqliteConnectOptions>().unwrap())
        .await
        .unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("select version from _sqlx_migrations order by version")
            .fetch_all(&new)
            .await
            .unwrap();
    assert_eq!(applied, (1..=8).collect::<Vec<i64>>());
    let after = dump(&new).await;
    let added: Vec<(&str, usize)> = after
        .iter()
        .filter(|t| find(&before, &t.table).is_none())
        .map(|t| (t.table.as_str(), t.rows.len()))
        .collect();
    assert_eq!(added, [("history_version", 0), ("server_lease", 0)]);
    for table in &before {
        assert_eq!(find(&after, &table.table), Some(table), "{}", table.table);
    }

    // Both servers are free to lease, and the first lease is epoch 1.
    let now = Utc::now();
    let free: Vec<GuildId> = store
        .free_leases(now)
        .await
        .unwrap()
        .into_iter()
        .map(|(guild, expired)| {
            assert_eq!(expired, None, "never leased");
            guild
        })
        .collect();
    assert_eq!(free, [GUILD_A, GUILD_B]);
    let holder = Holder::named("upgraded");
    let leases = store
        .acquire_leases(
            &holder,
            &free,
            now,
            now + chrono::Duration::seconds(30),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        leases
            .iter()
            .map(|l| (l.guild_id, l.epoch))
            .collect::<Vec<_>>(),
        [(GUILD_A, 1), (GUILD_B, 1)]
    );
    assert!(store.free_leases(now).await.unwrap().is_empty());
}
