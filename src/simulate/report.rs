//! What a run reports: the JSON object (its keys are read by tests/matching.rs and
//! bench/matching.sh), the summary for people, and the totals over seeds.

use std::collections::BTreeMap;

use serde::Serialize;

use super::check::RunStats;

/// What a run measured; the JSON output.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub members: usize,
    pub rounds: u32,
    pub mode: String,
    pub group_size: u8,
    pub churn: f64,
    /// Distinct interest tags in the population, and the weight they were matched with.
    pub interest_tags: u32,
    pub interest_weight: String,
    pub seeds: u64,
    pub seeds_with_repeats: u64,
    pub repeats: u64,
    pub first_repeat_round: u32,
    pub max_trios_per_member: u32,
    pub unmatched_member_rounds: u64,
    pub avoid_violations: u64,
    pub capacity_violations: u64,
    pub unavailable_matched: u64,
    pub double_placements: u64,
    pub same_institution_pairs: u64,
    /// The fewest same-institution pairs any pairing could have (pairs modes only).
    pub same_institution_min: Option<u64>,
    /// Pairs that could have been cross-institution: all pairs minus that minimum.
    pub cross_institution_possible: Option<u64>,
    pub pairs_total: u64,
    pub groups_total: u64,
    /// Groups in which at least two members share an interest tag, and pairs in a
    /// group who share one.
    pub shared_interest_groups: u64,
    pub shared_interest_pairs: u64,
    pub ms_per_round_median: f64,
    pub ms_per_round_max: f64,
    /// The two parts of a round's time, medians.
    pub ms_match_median: f64,
    pub ms_record_median: f64,
    /// Peak resident memory of the whole process (VmHWM), MB: the population, the
    /// engine and its `History`, and the checker's list of pairs met.
    pub peak_rss_mb: f64,
    /// Of that, the checker's list of pairs met (8 bytes a pair), largest over seeds.
    pub checker_mb: f64,
    /// Every round's time (matching plus recording), in order, for the first seed.
    pub ms_per_round: Vec<f64>,
    pub baseline_repeats: Option<u64>,
    pub baseline_first_repeat_round: Option<u32>,
    pub baseline_same_institution_pairs: Option<u64>,
    pub baseline_groups_total: Option<u64>,
    pub baseline_shared_interest_groups: Option<u64>,
    pub baseline_pairs_total: Option<u64>,
    pub baseline_shared_interest_pairs: Option<u64>,
    pub baseline_ms_per_round_median: Option<f64>,
    pub compromises: BTreeMap<String, u64>,
}

impl Report {
    /// Adds one seed's counts to the totals.
    pub(super) fn add_run(&mut self, run: RunStats) {
        self.repeats += run.repeats;
        if run.repeats > 0 {
            self.seeds_with_repeats += 1;
            if self.first_repeat_round == 0 || run.first_repeat_round < self.first_repeat_round {
                self.first_repeat_round = run.first_repeat_round;
            }
        }
        self.max_trios_per_member = self.max_trios_per_member.max(run.max_off_size);
        self.unmatched_member_rounds += run.unmatched;
        self.avoid_violations += run.avoid_violations;
        self.capacity_violations += run.capacity_violations;
        self.unavailable_matched += run.unavailable_matched;
        self.double_placements += run.double_placements;
        self.same_institution_pairs += run.same_institution;
        self.pairs_total += run.pairs;
        self.groups_total += run.groups;
        self.shared_interest_groups += run.interest_groups;
        self.shared_interest_pairs += run.interest_pairs;
        self.checker_mb = self.checker_mb.max(run.checker_mb);
        if let Some(min) = run.same_institution_min {
            *self.same_institution_min.get_or_insert(0) += min;
        }
        for (note, n) in run.compromises {
            *self.compromises.entry(note).or_insert(0) += n;
        }
    }
}

/// The summary a person reads (without --json).
pub(super) fn write_summary(r: &Report, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} members, {} rounds, {} mode, groups of {}, churn {}, {} seed(s)",
        r.members, r.rounds, r.mode, r.group_size, r.churn, r.seeds
    )?;
    let first = if r.first_repeat_round == 0 {
        "none".to_string()
    } else {
        format!("round {}", r.first_repeat_round)
    };
    writeln!(out, "repeated pairs:        {} (first: {first})", r.repeats)?;
    if let Some(b) = r.baseline_repeats {
        writeln!(
            out,
            "  plain shuffle:       {b} (first: round {})",
            r.baseline_first_repeat_round.unwrap_or(0)
        )?;
    }
    writeln!(
        out,
        "most off-size groups:  {} per member",
        r.max_trios_per_member
    )?;
    writeln!(
        out,
        "unmatched member-rounds: {}",
        r.unmatched_member_rounds
    )?;
    writeln!(
        out,
        "rule violations:       avoid {}, capacity {}, paused matched {}, double {}",
        r.avoid_violations, r.capacity_violations, r.unavailable_matched, r.double_placements
    )?;
    write!(
        out,
        "same-institution pairs: {} of {}",
        r.same_institution_pairs, r.pairs_total
    )?;
    if let Some(min) = r.same_institution_min {
        write!(out, " (fewest possible: {min})")?;
    }
    writeln!(out)?;
    if r.interest_tags > 0 {
        writeln!(
            out,
            "shared interest:       {} of {} groups ({}), weight {}",
            r.shared_interest_groups,
            r.groups_total,
            percent(r.shared_interest_groups, r.groups_total),
            r.interest_weight
        )?;
        if let (Some(b), Some(total)) = (r.baseline_shared_interest_groups, r.baseline_groups_total)
        {
            writeln!(
                out,
                "  plain shuffle:       {b} of {total} groups ({})",
                percent(b, total)
            )?;
        }
    }
    writeln!(
        out,
        "time per round:        median {:.3} ms, max {:.3} ms (matching + recording)",
        r.ms_per_round_median, r.ms_per_round_max
    )?;
    if let Some(b) = r.baseline_ms_per_round_median {
        writeln!(out, "  plain shuffle:       median {b:.3} ms")?;
    }
    writeln!(
        out,
        "peak memory:           {:.1} MB (of which the checker's pairs met: {:.1} MB)",
        r.peak_rss_mb, r.checker_mb
    )?;
    if !r.compromises.is_empty() {
        writeln!(out, "compromises (rounds):")?;
        for (note, n) in &r.compromises {
            writeln!(out, "  {n:>4} x {note}")?;
        }
    }
    Ok(())
}

/// `part` of `whole` as a percentage with one decimal.
pub(super) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.1}%", 100.0 * part as f64 / whole as f64)
}

/// Median and maximum; sorts `times`.
pub(super) fn median_max(times: &mut [f64]) -> (f64, f64) {
    if times.is_empty() {
        return (0.0, 0.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    (median, times[n - 1])
}

/// Peak resident memory of this process so far (VmHWM), in MB.
pub(super) fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
