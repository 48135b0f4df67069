//! `hallway simulate`: run the matching engine offline on a synthetic or CSV population.

/// Options of `hallway simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {}

/// Runs the simulation and writes its report to `out`.
pub fn run(_args: &SimulateArgs, _out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    anyhow::bail!("simulate is not built yet")
}
