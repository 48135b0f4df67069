//! `hallway migrate-to URL`: copies every row of this bot's SQLite database into an
//! empty PostgreSQL database, then checks that every table has as many rows in both.
//!
//! Supported: SQLite to PostgreSQL, the one move a growing community makes. Refused, with
//! what to do instead: into SQLite (copy the file), from PostgreSQL (pg_dump).

use std::time::Duration;

use anyhow::Context as _;

use crate::storage::{redact_url, Backend, CopyReport, Store};

#[derive(Debug, clap::Args)]
pub struct MigrateToArgs {
    /// The database to copy into, e.g. postgres://hallway@db/hallway. It must be empty.
    pub url: String,
}

/// Copies the database in the settings into `args.url`.
pub async fn run(settings: crate::config::Settings, args: &MigrateToArgs) -> anyhow::Result<()> {
    let db = &settings.database;
    let from = redact_url(&db.url);
    let to = redact_url(&args.url);
    refuse_unsupported(&db.url, &args.url)?;
    // Held until the copy ends: no bot may run on the database while it is read.
    let _lock = crate::storage::lock_copy_source(&db.url)?;
    let busy = Duration::from_millis(db.busy_timeout_ms);
    let source = Store::open_existing(&db.url, 2, busy).await.context(
        "cannot read the bot's database (set DATABASE_URL, or [database] url in the config)",
    )?;
    let target = Store::open_copy_target(&args.url, 2, busy).await?;
    println!("copying {from} into {to} ...");
    let report = source
        .copy_into(&target)
        .await
        .with_context(|| format!("cannot copy {from} into {to}"))?;
    target.close().await;
    source.close().await;
    print!("{}", describe(&report, &to));
    Ok(())
}

/// Only SQLite into PostgreSQL is a migration; anything else gets what to do instead.
fn refuse_unsupported(source: &str, target: &str) -> anyhow::Result<()> {
    let (from, to) = (redact_url(source), redact_url(target));
    if Backend::of_url(source) == Backend::Postgres {
        anyhow::bail!(
            "DATABASE_URL {from} is PostgreSQL already; migrate-to copies a SQLite database into PostgreSQL. \
             To copy one PostgreSQL database into another, use pg_dump and pg_restore"
        );
    }
    if Backend::of_url(target) != Backend::Postgres {
        anyhow::bail!(
            "{to} is not a PostgreSQL URL; migrate-to copies the bot's SQLite database into PostgreSQL, \
             e.g. hallway migrate-to postgres://hallway:PASSWORD@localhost:5432/hallway. \
             To copy a SQLite file, stop the bot and use sqlite3's .backup"
        );
    }
    Ok(())
}

/// The summary printed after a copy: each table's rows, checked equal on both sides.
fn describe(report: &CopyReport, to: &str) -> String {
    let width = report
        .tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!(
        "{:<width$}  {:>10}  {:>10}\n",
        "table", "SQLite", "PostgreSQL"
    );
    for table in &report.tables {
        out.push_str(&format!(
            "{:<width$}  {:>10}  {:>10}\n",
            table.name, table.source_rows, table.target_rows
        ));
    }
    out.push_str(&format!(
        "copied {} rows in {} tables; every table has as many rows in both databases.\n\
         Next: set DATABASE_URL={to}{} for the bots, and start them.\n",
        report.total_rows(),
        report.tables.len(),
        if to.contains("***") {
            " (with its password)"
        } else {
            ""
        }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::CopiedTable;

    #[test]
    fn only_sqlite_into_postgresql_is_accepted_and_the_rest_says_what_to_use() {
        assert!(refuse_unsupported("sqlite://hallway.db", "postgres://u:pw@db/hallway").is_ok());
        assert!(refuse_unsupported("hallway.db", "postgresql://db/hallway").is_ok());
        let into_sqlite = format!(
            "{:#}",
            refuse_unsupported("sqlite://a.db", "sqlite://b.db").unwrap_err()
        );
        assert!(
            into_sqlite.contains("is not a PostgreSQL URL"),
            "{into_sqlite}"
        );
        assert!(into_sqlite.contains(".backup"), "{into_sqlite}");
        let from_postgres = format!(
            "{:#}",
            refuse_unsupported("postgres://u:secret@a/x", "postgres://b/y").unwrap_err()
        );
        assert!(from_postgres.contains("pg_dump"), "{from_postgres}");
        assert!(!from_postgres.contains("secret"), "{from_postgres}");
    }

    #[test]
    fn the_summary_lists_each_table_with_both_counts_and_the_total() {
        let report = CopyReport {
            tables: vec![
                CopiedTable {
                    name: "community".into(),
                    source_rows: 2,
                    target_rows: 2,
                },
                CopiedTable {
                    name: "member".into(),
                    source_rows: 40,
                    target_rows: 40,
                },
            ],
        };
        let text = describe(&report, "postgres://u:***@db/hallway");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "table          SQLite  PostgreSQL");
        assert_eq!(lines[1], "community           2           2");
        assert_eq!(lines[2], "member             40          40");
        assert!(lines[3].starts_with("copied 42 rows in 2 tables"), "{text}");
        assert!(
            text.contains("DATABASE_URL=postgres://u:***@db/hallway"),
            "{text}"
        );
    }
}
