//! `hallway simulate`: run the matching engine offline on a synthetic or CSV population.
//!
//! It runs R rounds, records each into a [`History`](crate::domain::matching::History)
//! as the bot would, and reports quality (repeats, trios, rule violations,
//! same-institution pairs, groups with a shared interest) and speed (matching plus
//! recording, per round), beside a plain shuffle measured in the same run. The quality figures come from a checker with
//! its own plain record of who has met, never from the engine's `History`.
//!
//! - `args`: the command-line options;
//! - `population`: the synthetic population;
//! - `csv`: a population read from a CSV file;
//! - `run`: the runners, engine and plain shuffle, round by round;
//! - `check`: the checker, which counts repeats and rule violations;
//! - `report`: the JSON report, the summary and the totals over seeds.

mod args;
mod check;
mod csv;
mod population;
mod report;
mod run;

use anyhow::Context as _;

pub use args::SimulateArgs;
pub use csv::parse_population;
pub use report::Report;

use crate::domain::matching::{AvoidList, MatchSettings};
use crate::domain::program::MatchingMode;
use crate::domain::validate;

/// Runs the simulation and writes its report to `out`.
pub fn run(args: &SimulateArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    if !(0.0..1.0).contains(&args.churn) {
        anyhow::bail!(
            "--churn must be from 0 up to (not including) 1, not {}",
            args.churn
        );
    }
    let group_size = args.group_size.unwrap_or(match args.mode {
        MatchingMode::PeerCircles => 3,
        _ => 2,
    });
    validate::group_size(group_size as i64).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut population, avoid) = match &args.population {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let name = path.display().to_string();
            csv::parse_population(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        }
        None => (population::synthetic(args), AvoidList::new()),
    };
    let mut settings = MatchSettings::new(args.mode, group_size);
    settings.cross_institution = args.cross_institution;
    settings.interest_weight = args.interest_weight;
    let interest_tags = population
        .iter()
        .fold(0u32, |all, c| all | c.interests)
        .count_ones();
    let mut report = Report {
        members: population.len(),
        rounds: args.rounds,
        mode: args.mode.to_string(),
        group_size,
        churn: args.churn,
        interest_tags,
        interest_weight: args.interest_weight.to_string(),
        seeds: args.seeds.max(1),
        ..Report::default()
    };
    let mut times: Vec<f64> = Vec::new();
    let mut parts: (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for k in 0..report.seeds {
        let seed = args.seed.wrapping_add(k);
        let stats = run::simulate_engine(
            &mut population,
            &avoid,
            &settings,
            args,
            seed,
            &mut times,
            &mut parts,
        );
        report.add_run(stats);
    }
    report.cross_institution_possible = report.same_institution_min.map(|m| report.pairs_total - m);
    report.peak_rss_mb = report::peak_rss_mb();
    report.ms_per_round = times
        .iter()
        .take(args.rounds as usize)
        .map(|t| (t * 1000.0).round() / 1000.0)
        .collect();
    let (median, max) = report::median_max(&mut times);
    report.ms_per_round_median = median;
    report.ms_per_round_max = max;
    report.ms_match_median = report::median_max(&mut parts.0).0;
    report.ms_record_median = report::median_max(&mut parts.1).0;
    if !args.no_baseline {
        let mut base_times = Vec::new();
        let base = run::simulate_shuffle(&population, &settings, args, args.seed, &mut base_times);
        report.baseline_repeats = Some(base.repeats);
        report.baseline_first_repeat_round = Some(base.first_repeat_round);
        report.baseline_same_institution_pairs = Some(base.same_institution);
        report.baseline_groups_total = Some(base.groups);
        report.baseline_shared_interest_groups = Some(base.interest_groups);
        report.baseline_pairs_total = Some(base.pairs);
        report.baseline_shared_interest_pairs = Some(base.interest_pairs);
        report.baseline_ms_per_round_median = Some(report::median_max(&mut base_times).0);
    }
    if args.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        report::write_summary(&report, out)?;
    }
    Ok(())
}
