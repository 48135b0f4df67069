//! What each subcommand does, from settings to a running bot.

use std::time::Duration;

use anyhow::Context as _;

use crate::config::Settings;
use crate::domain::shards::ShardRange;
use crate::storage::Store;

/// Opens the database named in the settings, applying migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let db = &settings.database;
    Store::open(
        &db.url,
        db.max_connections,
        Duration::from_millis(db.busy_timeout_ms),
    )
    .await
}

/// `hallway run`: the bot, until Discord disconnects it for good or it is stopped.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    if settings.discord.token.is_none() {
        anyhow::bail!(
            "DISCORD_TOKEN is not set. Set it to your bot's token from the Discord Developer Portal (Bot, Reset Token)."
        );
    }
    let shards = shard_range(&settings)?;
    let postgres = crate::storage::is_postgres_url(&settings.database.url);
    if let Some(range) = shards.filter(|range| !range.covers_every_shard()) {
        if !postgres {
            anyhow::bail!(
                "[discord] shards (HALLWAY_SHARDS) is {range}: the other shards of {} must run in other \
                 processes, and several processes need PostgreSQL (DATABASE_URL=postgres://...), not \
                 SQLite {}; see docs/scale.md. With SQLite, leave shards empty (or give 0-{}/{}) to run \
                 every shard here",
                range.total,
                crate::storage::redact_url(&settings.database.url),
                range.total - 1,
                range.total,
            );
        }
    }
    // SQLite: one bot per database, held until the process exits. PostgreSQL is shared
    // by design; its leases keep processes apart.
    let _lock = if postgres {
        None
    } else {
        Some(crate::storage::lock_single_instance(
            &settings.database.url,
        )?)
    };
    let store = open_store(&settings).await?;
    let database = crate::storage::redact_url(&settings.database.url);
    tracing::info!(%database, "database ready");

    let health = std::sync::Arc::new(crate::ops::Health::default());
    // The operator's listener, when [http] listen is set.
    let ops = match &settings.http.listen {
        Some(listen) => Some(
            crate::ops::serve(
                listen,
                health.clone(),
                store.clone(),
                Some(lease_seconds(&settings)?),
            )
            .await?,
        ),
        None => None,
    };

    let plan = crate::discord::RunPlan { shards };
    let outcome = crate::discord::run(&settings, store.clone(), health, plan).await;
    if let Some(ops) = ops {
        tracing::info!("shutting down: stopping the HTTP listener");
        ops.stop().await;
    }
    tracing::info!("shutting down: closing the database");
    store.close().await;
    tracing::info!("shutting down: done");
    outcome?;
    Ok(())
}

/// `[scheduler] lease_seconds` as a duration; zero, negative or not a number is refused.
fn lease_seconds(settings: &Settings) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(settings.scheduler.lease_seconds)
        .ok()
        .filter(|lease| !lease.is_zero())
        .context("[scheduler] lease_seconds must be a positive number of seconds")
}

/// `[discord] shards` (or `HALLWAY_SHARDS`) as a range; `None` when empty.
fn shard_range(settings: &Settings) -> anyhow::Result<Option<ShardRange>> {
    settings
        .discord
        .shards
        .as_deref()
        .map(|text| {
            ShardRange::parse(text)
                .map_err(|why| anyhow::anyhow!("[discord] shards (HALLWAY_SHARDS) {why}"))
        })
        .transpose()
}

/// `hallway register-commands`: the slash commands, registered over HTTP alone.
pub async fn register_commands(settings: Settings) -> anyhow::Result<()> {
    if settings.discord.token.is_none() {
        anyhow::bail!(
            "DISCORD_TOKEN is not set. Set it to your bot's token from the Discord Developer Portal (Bot, Reset Token)."
        );
    }
    let done = crate::discord::register_commands(&settings).await?;
    println!("{done}");
    Ok(())
}

/// `hallway export`: one server's CSV files, written to a directory, from the database
/// in the settings (which must exist: a mistyped path is an error, not an empty export).
pub async fn export(settings: Settings, args: &crate::export::ExportArgs) -> anyhow::Result<()> {
    let guild_id = crate::export::parse_guild(&args.guild)?;
    let db = &settings.database;
    let store = Store::open_existing(
        &db.url,
        db.max_connections,
        Duration::from_millis(db.busy_timeout_ms),
    )
    .await
    .context(
        "cannot read the bot's database (set DATABASE_URL, or [database] url in the config)",
    )?;
    if !store.knows_community(guild_id).await? {
        anyhow::bail!(
            "the database {} has no server with id {guild_id}: check --guild (the server's id, not a channel's)",
            crate::storage::redact_url(&db.url)
        );
    }
    let programs = store.programs(guild_id).await?;
    let chosen: Vec<&crate::domain::program::Program> = match &args.program {
        Some(name) => match crate::domain::program::pick(&programs, Some(name), false) {
            Ok(program) => vec![program],
            Err(_) => anyhow::bail!(
                "the server {guild_id} has no program called '{}'; its programs are: {}",
                crate::domain::validate::shorten(name.trim(), 100),
                programs
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => programs.iter().collect(),
    };
    let stems = crate::export::file_stems(&chosen);
    for (program, stem) in chosen.into_iter().zip(&stems) {
        let files = crate::export::read(&store, program, stem).await?;
        let written = crate::export::write_dir(&files, &args.out)?;
        for (file, path) in files.iter().zip(&written) {
            let unit = if file.rows == 1 { "row" } else { "rows" };
            println!("{} ({} {unit})", path.display(), file.rows);
        }
    }
    Ok(())
}

/// `hallway migrate`: create or upgrade the database, then exit.
pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    open_store(&settings).await.context("migration failed")?;
    println!(
        "database {} is up to date",
        crate::storage::redact_url(&settings.database.url)
    );
    Ok(())
}
