//! `hallway migrate-to URL`: copies every row of this bot's database into another one.

#[derive(Debug, clap::Args)]
pub struct MigrateToArgs {
    /// The database to copy into, e.g. postgres://hallway@db/hallway. It must be empty.
    pub url: String,
}

/// Copies the database in the settings into `args.url`.
pub async fn run(_settings: crate::config::Settings, _args: &MigrateToArgs) -> anyhow::Result<()> {
    anyhow::bail!("hallway migrate-to is being built")
}
