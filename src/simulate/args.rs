//! The options of `hallway simulate`, as clap parses them.

use std::path::PathBuf;

use crate::domain::matching::{InterestWeight, INTEREST_TAGS};
use crate::domain::program::MatchingMode;

/// Options of `hallway simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Members in the synthetic population (ignored with --population).
    #[arg(long, default_value_t = 100)]
    pub members: usize,
    /// Rounds to run.
    #[arg(long, default_value_t = 52)]
    pub rounds: u32,
    /// open, mentor-mentee or peer-circles.
    #[arg(long, default_value = "open", value_parser = parse_mode)]
    pub mode: MatchingMode,
    /// Group size, 2-4 (default: 2, or 3 for peer circles).
    #[arg(long)]
    pub group_size: Option<u8>,
    /// Mentors to mentees in the synthetic population, as 1:K.
    #[arg(long, default_value = "1:3", value_parser = parse_ratio)]
    pub mentor_ratio: u32,
    /// Mentees each synthetic mentor meets per round (default: K of --mentor-ratio, at most 5).
    #[arg(long)]
    pub capacity: Option<u8>,
    /// Probability that a member skips a round.
    #[arg(long, default_value_t = 0.0)]
    pub churn: f64,
    /// Institutions in the synthetic population: half the members share the first,
    /// the rest spread over the others (0 for none).
    #[arg(long, default_value_t = 0)]
    pub institutions: u32,
    /// Prefer cross-institution pairs.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub cross_institution: bool,
    /// Interest tags in the synthetic program (0-25, 0 for none): each member picks
    /// 1-5, the first tags more often than the last.
    #[arg(long, default_value_t = 0, value_parser = parse_tags)]
    pub interests: u32,
    /// How much shared interests count: off, light or strong.
    #[arg(long, default_value = "light", value_parser = parse_weight)]
    pub interest_weight: InterestWeight,
    /// Seed of the ChaCha8 RNG; with --seeds K, the first of K consecutive seeds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run this many seeds and report totals (and how many seeds saw any repeat).
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// A CSV population: id,role,institution,timezone,time_of_day,modality,capacity,avoid.
    #[arg(long, value_name = "FILE.csv")]
    pub population: Option<PathBuf>,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Skip the plain-shuffle baseline.
    #[arg(long)]
    pub no_baseline: bool,
}

fn parse_mode(s: &str) -> Result<MatchingMode, String> {
    s.parse::<MatchingMode>().map_err(|e| e.to_string())
}

fn parse_weight(s: &str) -> Result<InterestWeight, String> {
    s.parse::<InterestWeight>().map_err(|e| e.to_string())
}

fn parse_tags(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n <= INTEREST_TAGS => Ok(n),
        _ => Err(format!(
            "'{s}' is not a number of interest tags from 0 to {INTEREST_TAGS}"
        )),
    }
}

fn parse_ratio(s: &str) -> Result<u32, String> {
    let bad = || format!("'{s}' is not a ratio like 1:3");
    let (one, k) = s.split_once(':').ok_or_else(bad)?;
    if one.trim() != "1" {
        return Err(bad());
    }
    match k.trim().parse::<u32>() {
        Ok(k) if (1..=1000).contains(&k) => Ok(k),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_parses() {
        assert_eq!(parse_ratio("1:3"), Ok(3));
        assert!(parse_ratio("2:3").is_err());
        assert!(parse_ratio("1:0").is_err());
    }

    #[test]
    fn interest_options_parse_and_refuse_out_of_range() {
        assert_eq!(parse_tags("12"), Ok(12));
        assert_eq!(parse_tags("0"), Ok(0));
        assert!(parse_tags("26").unwrap_err().contains("0 to 25"));
        assert_eq!(parse_weight("strong"), Ok(InterestWeight::Strong));
        assert!(parse_weight("heavy")
            .unwrap_err()
            .contains("off light strong"));
    }
}
