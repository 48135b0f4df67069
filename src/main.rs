use std::process::ExitCode;

use clap::Parser;
use hallway::cli::{Cli, Command};
use hallway::config::Settings;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, with the cause chain; never the token (it is only in a SecretString).
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::Simulate(args) = &command {
        return hallway::simulate::run(args, &mut std::io::stdout().lock());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    hallway::telemetry::init(&settings.log.filter, settings.log.format);
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(async {
        match command {
            Command::Run => hallway::app::run(settings).await,
            Command::Migrate => hallway::app::migrate(settings).await,
            Command::RegisterCommands => hallway::app::register_commands(settings).await,
            Command::Export(args) => hallway::app::export(settings, &args).await,
            Command::MigrateTo(args) => hallway::migrate_to::run(settings, &args).await,
            Command::Simulate(_) => unreachable!("handled above"),
        }
    });
    // Whatever is still running (say a shard runner still reconnecting after a fatal close
    // code, or a blocking call it made) must not keep the process from exiting.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}
