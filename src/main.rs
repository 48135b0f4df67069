use clap::Parser;
use hallway::cli::{Cli, Command};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Simulate(args) => hallway::simulate::run(&args, &mut std::io::stdout().lock()),
        Command::Run | Command::Migrate => anyhow::bail!("not built yet"),
    }
}
