//! The `hallway` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hallway",
    version,
    about = "Random coffee chats for mentoring communities on Discord"
)]
pub struct Cli {
    /// A TOML file whose settings override the built-in defaults (see config/default.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to Discord and run the bot (the default).
    Run,
    /// Create the database if missing, apply migrations, and exit.
    Migrate,
    /// Register the slash commands with Discord (over HTTP, without connecting the bot),
    /// globally or in `dev_guild_id`, then exit. Run it once per deploy when several
    /// processes share the shards.
    RegisterCommands,
    /// Preview matching quality offline on a synthetic or CSV population.
    Simulate(crate::simulate::SimulateArgs),
    /// Write one server's rounds, groups, outcomes, feedback and wins as CSV files.
    Export(crate::export::ExportArgs),
    /// Copy every row of this database into an empty one, e.g. from SQLite to PostgreSQL.
    MigrateTo(crate::migrate_to::MigrateToArgs),
}
