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
    let store = open_store(&settings).await?;
    tracing::info!(database = %settings.database.url, "database ready");
    crate::discord::run(&settings, store).await?;
    Ok(())
}

/// `hallway migrate`: create or upgrade the database, then exit.
pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    open_store(&settings).await.context("migration failed")?;
    println!("database {} is up to date", settings.database.url);
    Ok(())
}
