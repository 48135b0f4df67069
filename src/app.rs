//! What each subcommand does, from settings to a running bot.

use std::time::Duration;

use anyhow::Context as _;

use crate::config::Settings;
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
    // Held until the process exits.
    let _lock = crate::storage::lock_single_instance(&settings.database.url)?;
    let store = open_store(&settings).await?;
    let database = crate::storage::redact_url(&settings.database.url);
    tracing::info!(%database, "database ready");
    // The operator's listener, when [http] listen is set.
    let ops = match &settings.http.listen {
        Some(listen) => Some(
            crate::ops::serve(
                listen,
                std::sync::Arc::new(crate::ops::Health::default()),
                store.clone(),
                Some(
                    Duration::try_from_secs_f64(settings.scheduler.lease_seconds)
                        .ok()
                        .filter(|lease| !lease.is_zero())
                        .context(
                            "[scheduler] lease_seconds must be a positive number of seconds",
                        )?,
                ),
            )
            .await?,
        ),
        None => None,
    };
    let ran = crate::discord::run(&settings, store).await;
    if let Some(ops) = ops {
        ops.stop().await;
    }
    ran?;
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
