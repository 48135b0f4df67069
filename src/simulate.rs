//! `hallway simulate`: run the matching engine offline on a synthetic or CSV population.
//!
//! It runs R rounds, records each into a [`History`] as the bot would, and reports
//! quality (repeats, trios, rule violations, same-institution pairs) and speed
//! (matching plus recording, per round), beside a plain shuffle measured in the same run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{Offset, TimeZone};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::domain::community::MatchingMode;
use crate::domain::matching::{
    match_round_reusing, AvoidList, Candidate, Group, History, MatchOutcome, MatchScratch,
    MatchSettings,
};
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::validate;

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

/// What a run measured; the JSON output.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub members: usize,
    pub rounds: u32,
    pub mode: String,
    pub group_size: u8,
    pub churn: f64,
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
    pub ms_per_round_median: f64,
    pub ms_per_round_max: f64,
    /// The two parts of a round's time, medians.
    pub ms_match_median: f64,
    pub ms_record_median: f64,
    pub peak_rss_mb: f64,
    /// Every round's time (matching plus recording), in order, for the first seed.
    pub ms_per_round: Vec<f64>,
    pub baseline_repeats: Option<u64>,
    pub baseline_first_repeat_round: Option<u32>,
    pub baseline_same_institution_pairs: Option<u64>,
    pub baseline_ms_per_round_median: Option<f64>,
    pub compromises: BTreeMap<String, u64>,
}

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
            parse_population(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        }
        None => (synthetic(args), AvoidList::new()),
    };
    let mut settings = MatchSettings::new(args.mode, group_size);
    settings.cross_institution = args.cross_institution;
    let mut report = Report {
        members: population.len(),
        rounds: args.rounds,
        mode: args.mode.to_string(),
        group_size,
        churn: args.churn,
        seeds: args.seeds.max(1),
        ..Report::default()
    };
    let mut times: Vec<f64> = Vec::new();
    let mut parts: (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    for k in 0..report.seeds {
        let seed = args.seed.wrapping_add(k);
        let run = simulate_engine(
            &mut population,
            &avoid,
            &settings,
            args,
            seed,
            &mut times,
            &mut parts,
        );
        report.repeats += run.repeats;
        if run.repeats > 0 {
            report.seeds_with_repeats += 1;
            if report.first_repeat_round == 0 || run.first_repeat_round < report.first_repeat_round
            {
                report.first_repeat_round = run.first_repeat_round;
            }
        }
        report.max_trios_per_member = report.max_trios_per_member.max(run.max_off_size);
        report.unmatched_member_rounds += run.unmatched;
        report.avoid_violations += run.avoid_violations;
        report.capacity_violations += run.capacity_violations;
        report.unavailable_matched += run.unavailable_matched;
        report.double_placements += run.double_placements;
        report.same_institution_pairs += run.same_institution;
        report.pairs_total += run.pairs;
        if let Some(min) = run.same_institution_min {
            *report.same_institution_min.get_or_insert(0) += min;
        }
        for (note, n) in run.compromises {
            *report.compromises.entry(note).or_insert(0) += n;
        }
    }
    report.cross_institution_possible = report.same_institution_min.map(|m| report.pairs_total - m);
    report.peak_rss_mb = peak_rss_mb();
    report.ms_per_round = times
        .iter()
        .take(args.rounds as usize)
        .map(|t| (t * 1000.0).round() / 1000.0)
        .collect();
    let (median, max) = median_max(&mut times);
    report.ms_per_round_median = median;
    report.ms_per_round_max = max;
    report.ms_match_median = median_max(&mut parts.0).0;
    report.ms_record_median = median_max(&mut parts.1).0;
    if !args.no_baseline {
        let mut base_times = Vec::new();
        let base = simulate_shuffle(&population, &settings, args, args.seed, &mut base_times);
        report.baseline_repeats = Some(base.repeats);
        report.baseline_first_repeat_round = Some(base.first_repeat_round);
        report.baseline_same_institution_pairs = Some(base.same_institution);
        report.baseline_ms_per_round_median = Some(median_max(&mut base_times).0);
    }
    if args.json {
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_summary(&report, out)?;
    }
    Ok(())
}

fn write_summary(r: &Report, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
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
    writeln!(
        out,
        "time per round:        median {:.3} ms, max {:.3} ms (matching + recording)",
        r.ms_per_round_median, r.ms_per_round_max
    )?;
    if let Some(b) = r.baseline_ms_per_round_median {
        writeln!(out, "  plain shuffle:       median {b:.3} ms")?;
    }
    writeln!(out, "peak memory:           {:.1} MB", r.peak_rss_mb)?;
    if !r.compromises.is_empty() {
        writeln!(out, "compromises (rounds):")?;
        for (note, n) in &r.compromises {
            writeln!(out, "  {n:>4} x {note}")?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct RunStats {
    repeats: u64,
    first_repeat_round: u32,
    max_off_size: u32,
    unmatched: u64,
    avoid_violations: u64,
    capacity_violations: u64,
    unavailable_matched: u64,
    double_placements: u64,
    same_institution: u64,
    same_institution_min: Option<u64>,
    pairs: u64,
    compromises: BTreeMap<String, u64>,
}

/// The members available this round: each skips with probability `churn`.
fn churn_round(population: &mut [Candidate], churn: f64, rng: &mut ChaCha8Rng) {
    for c in population.iter_mut() {
        c.available = churn == 0.0 || !rng.random_bool(churn);
    }
}

fn simulate_engine(
    population: &mut [Candidate],
    avoid: &AvoidList,
    settings: &MatchSettings,
    args: &SimulateArgs,
    seed: u64,
    times: &mut Vec<f64>,
    parts: &mut (Vec<f64>, Vec<f64>),
) -> RunStats {
    // Churn flips `available` in place: no second copy of 100,000 members.
    let members = population;
    let mut history = History::new();
    let mut churn_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let mut stats = RunStats::default();
    let index = Index::new(members);
    let mut off_size = vec![0u32; members.len()];
    // Buffers and the outcome's groups are reused from round to round, as a long-running
    // caller would; the groups are the same as `match_round`'s.
    let mut scratch = MatchScratch::new();
    let mut outcome = MatchOutcome::default();
    for round in 1..=args.rounds {
        churn_round(members, args.churn, &mut churn_rng);
        // The bot stores this seed per round, so the round can be replayed exactly.
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(round as u64));
        let start = Instant::now();
        match_round_reusing(
            members,
            &history,
            avoid,
            settings,
            &mut rng,
            &mut scratch,
            &mut outcome,
        );
        let matched = start.elapsed();
        check_round(
            members,
            &index,
            &outcome.groups,
            &history,
            avoid,
            settings,
            round,
            &mut stats,
        );
        for g in &outcome.groups {
            if g.members.len() != settings.group_size as usize {
                for id in &g.members {
                    if let Some(i) = index.get(*id) {
                        off_size[i] += 1;
                    }
                }
            }
        }
        for note in &outcome.compromises {
            *stats.compromises.entry(generic(note)).or_insert(0) += 1;
        }
        let start = Instant::now();
        history.record_matched(round, &outcome, &mut scratch);
        let recorded = start.elapsed();
        times.push((matched + recorded).as_secs_f64() * 1e3);
        parts.0.push(matched.as_secs_f64() * 1e3);
        parts.1.push(recorded.as_secs_f64() * 1e3);
    }
    stats.max_off_size = off_size.iter().copied().max().unwrap_or(0);
    stats
}

/// A note with its numbers taken out, so rounds can be counted per kind.
fn generic(note: &str) -> String {
    let mut out = String::with_capacity(note.len());
    let mut in_number = false;
    for c in note.chars() {
        if c.is_ascii_digit() || (in_number && c == ',') {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// The baseline: shuffle the available members and cut them into groups.
fn simulate_shuffle(
    population: &[Candidate],
    settings: &MatchSettings,
    args: &SimulateArgs,
    seed: u64,
    times: &mut Vec<f64>,
) -> RunStats {
    let mut members = population.to_vec();
    let mut history = History::new();
    let mut churn_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let mut stats = RunStats::default();
    let index = Index::new(&members);
    let size = settings.group_size as usize;
    // Reused between rounds like the engine's buffers, so the two are timed alike.
    let mut ids: Vec<u64> = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for round in 1..=args.rounds {
        churn_round(&mut members, args.churn, &mut churn_rng);
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(round as u64));
        let start = Instant::now();
        ids.clear();
        ids.extend(members.iter().filter(|c| c.available).map(|c| c.id));
        ids.shuffle(&mut rng);
        let mut count = 0;
        for chunk in ids.chunks(size) {
            match groups.get_mut(count) {
                Some(g) => {
                    g.members.clear();
                    g.members.extend_from_slice(chunk);
                }
                None => groups.push(Group {
                    members: chunk.to_vec(),
                }),
            }
            count += 1;
        }
        groups.truncate(count);
        if groups.len() > 1 && groups.last().is_some_and(|g| g.members.len() < size.max(2)) {
            let last = groups.pop().map(|g| g.members).unwrap_or_default();
            if let Some(g) = groups.last_mut() {
                g.members.extend(last);
            }
        }
        let matched = start.elapsed();
        check_round(
            &members,
            &index,
            &groups,
            &history,
            &AvoidList::new(),
            settings,
            round,
            &mut stats,
        );
        let start = Instant::now();
        history.record_round(round, &groups);
        times.push((matched + start.elapsed()).as_secs_f64() * 1e3);
    }
    stats
}

/// Member id to position in the population (sorted ids, binary search).
struct Index(Vec<(u64, usize)>);

impl Index {
    fn new(members: &[Candidate]) -> Self {
        let mut v: Vec<(u64, usize)> = members.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        v.sort_unstable();
        Index(v)
    }
    fn get(&self, id: u64) -> Option<usize> {
        self.0
            .binary_search_by_key(&id, |&(x, _)| x)
            .ok()
            .map(|k| self.0[k].1)
    }
}

#[allow(clippy::too_many_arguments)]
fn check_round(
    members: &[Candidate],
    index: &Index,
    groups: &[Group],
    history: &History,
    avoid: &AvoidList,
    settings: &MatchSettings,
    round: u32,
    stats: &mut RunStats,
) {
    let mut seen = vec![0u32; members.len()];
    let mut mentees_of = vec![0u32; members.len()];
    let mut round_same = 0u64;
    for g in groups {
        for (k, &a) in g.members.iter().enumerate() {
            let Some(ia) = index.get(a) else { continue };
            seen[ia] += 1;
            if !members[ia].available {
                stats.unavailable_matched += 1;
            }
            for &b in &g.members[k + 1..] {
                stats.pairs += 1;
                if history.met(a, b) {
                    stats.repeats += 1;
                    if stats.first_repeat_round == 0 {
                        stats.first_repeat_round = round;
                    }
                }
                if avoid.contains(a, b) {
                    stats.avoid_violations += 1;
                }
                if let Some(ib) = index.get(b) {
                    let (x, y) = (&members[ia].institution, &members[ib].institution);
                    if x.is_some() && x == y {
                        round_same += 1;
                    }
                }
            }
        }
        if settings.mode == MatchingMode::MentorMentee {
            if let Some(first) = g.members.first().and_then(|&id| index.get(id)) {
                if members[first].role == Role::Mentor {
                    mentees_of[first] += g
                        .members
                        .iter()
                        .filter_map(|&id| index.get(id))
                        .filter(|&i| members[i].role != Role::Mentor)
                        .count() as u32;
                }
            }
        }
    }
    stats.same_institution += round_same;
    for (i, c) in members.iter().enumerate() {
        if c.available && seen[i] == 0 {
            let counts = !(settings.mode == MatchingMode::PeerCircles
                && settings.circle_role.is_some_and(|r| r != c.role));
            if counts {
                stats.unmatched += 1;
            }
        }
        let is_mentor_mode = settings.mode == MatchingMode::MentorMentee && c.role == Role::Mentor;
        if seen[i] > 1 && !is_mentor_mode {
            stats.double_placements += 1;
        }
        if is_mentor_mode && mentees_of[i] > c.capacity as u32 {
            stats.capacity_violations += 1;
        }
    }
    if settings.group_size == 2 && settings.mode == MatchingMode::Open {
        // With classes of sizes c_i, a pairing can avoid same-class pairs except for
        // what the largest class has over everyone else.
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut active = 0u64;
        for c in members.iter().filter(|c| c.available) {
            active += 1;
            if let Some(inst) = &c.institution {
                *counts.entry(inst.as_str()).or_insert(0) += 1;
            }
        }
        let largest = counts.values().copied().max().unwrap_or(0);
        let min = (2 * largest).saturating_sub(active).div_ceil(2);
        *stats.same_institution_min.get_or_insert(0) += min;
    }
}

fn median_max(times: &mut [f64]) -> (f64, f64) {
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
fn peak_rss_mb() -> f64 {
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

/// Offsets of a spread of real zones (minutes), for synthetic members.
const SYNTHETIC_OFFSETS: [i32; 8] = [-480, -300, 0, 60, 120, 330, 480, 600];

fn synthetic(args: &SimulateArgs) -> Vec<Candidate> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED ^ args.members as u64);
    let k = args.mentor_ratio as usize;
    let capacity = args.capacity.unwrap_or(k.min(5) as u8);
    (0..args.members)
        .map(|i| {
            let role = match args.mode {
                MatchingMode::Open => Role::Peer,
                MatchingMode::PeerCircles => Role::Mentee,
                MatchingMode::MentorMentee => {
                    if i % (k + 1) == 0 {
                        Role::Mentor
                    } else {
                        Role::Mentee
                    }
                }
            };
            // Drawn at random, so institution does not follow role.
            let institution = match args.institutions {
                0 => None,
                1 => Some("institution-0".to_string()),
                _ if rng.random_bool(0.5) => Some("institution-0".to_string()),
                n => Some(format!("institution-{}", rng.random_range(1..n))),
            };
            Candidate {
                // Snowflake-like ids: large, increasing, not dense.
                id: 170_000_000_000_000_000 + (i as u64) * 4_194_304 + (i as u64 * 7919) % 4096,
                role,
                institution,
                utc_offset_minutes: Some(
                    SYNTHETIC_OFFSETS[rng.random_range(0..SYNTHETIC_OFFSETS.len())],
                ),
                time_of_day: TimeOfDay::ALL[rng.random_range(0..TimeOfDay::ALL.len())],
                modality: Modality::ALL[rng.random_range(0..Modality::ALL.len())],
                capacity: if role == Role::Mentor { capacity } else { 0 },
                available: true,
            }
        })
        .collect()
}

/// The columns a population file must have.
const COLUMNS: [&str; 8] = [
    "id",
    "role",
    "institution",
    "timezone",
    "time_of_day",
    "modality",
    "capacity",
    "avoid",
];

/// Parses a population CSV. Errors are one line and name the line number.
pub fn parse_population(text: &str) -> Result<(Vec<Candidate>, AvoidList), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("line 1: {}", one_line(&e.to_string())))?
        .clone();
    let mut col = [0usize; 8];
    for (k, name) in COLUMNS.iter().enumerate() {
        col[k] = headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "line 1: missing column '{name}' (need: {})",
                    COLUMNS.join(",")
                )
            })?;
    }
    // A fixed instant, so a CSV run is reproducible whatever the date.
    let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 15)
        .and_then(|d| d.and_hms_opt(15, 0, 0))
        .ok_or("internal: bad reference date")?;
    let mut members: Vec<Candidate> = Vec::new();
    let mut lines: BTreeMap<u64, u64> = BTreeMap::new();
    let mut avoid_raw: Vec<(u64, u64, u64)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("line {line}: {}", one_line(&e.to_string()))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |k: usize| record.get(col[k]).unwrap_or("").trim();
        let err = |msg: String| format!("line {line}: {}", one_line(&msg));
        let id: u64 = field(0).parse().map_err(|_| {
            err(format!(
                "id '{}' is not a Discord id (a positive whole number)",
                field(0)
            ))
        })?;
        if let Some(first) = lines.insert(id, line) {
            return Err(err(format!("duplicate id {id} (first on line {first})")));
        }
        let role: Role = field(1)
            .parse()
            .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?;
        let institution = Some(field(2)).filter(|s| !s.is_empty()).map(str::to_string);
        let utc_offset_minutes = match field(3) {
            "" => None,
            zone => {
                let tz = validate::time_zone(zone).map_err(|e| err(e.0))?;
                Some(tz.offset_from_utc_datetime(&at).fix().local_minus_utc() / 60)
            }
        };
        let time_of_day = match field(4) {
            "" => TimeOfDay::Flexible,
            s => s
                .parse()
                .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?,
        };
        let modality = match field(5) {
            "" => Modality::Any,
            s => s
                .parse()
                .map_err(|e: crate::domain::profile::UnknownWord| err(e.to_string()))?,
        };
        let capacity = match field(6) {
            "" => u8::from(role == Role::Mentor),
            s => match s.parse::<u8>() {
                Ok(c) if c <= 5 => c,
                _ => {
                    return Err(err(format!(
                        "capacity '{s}' must be a whole number from 0 to 5"
                    )))
                }
            },
        };
        for other in field(7).split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let other: u64 = other
                .parse()
                .map_err(|_| err(format!("avoid id '{other}' is not a Discord id")))?;
            avoid_raw.push((id, other, line));
        }
        members.push(Candidate {
            id,
            role,
            institution,
            utc_offset_minutes,
            time_of_day,
            modality,
            capacity,
            available: true,
        });
    }
    for &(a, b, line) in &avoid_raw {
        if !lines.contains_key(&b) {
            return Err(format!(
                "line {line}: avoid lists id {b}, which is not in the file"
            ));
        }
        if a == b {
            return Err(format!("line {line}: a member cannot avoid themselves"));
        }
    }
    let avoid: AvoidList = avoid_raw.iter().map(|&(a, b, _)| (a, b)).collect();
    Ok((members, avoid))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,role,institution,timezone,time_of_day,modality,capacity,avoid\n";

    #[test]
    fn parses_a_good_file() {
        let text = format!(
            "{HEADER}1,mentor,MIT,Europe/Berlin,morning,video,3,2\n2,mentee,,America/New_York,,,,\n3,peer,Yale,,evening,phone,,1;2\n"
        );
        let (members, avoid) = parse_population(&text).unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].utc_offset_minutes, Some(60));
        assert_eq!(members[1].utc_offset_minutes, Some(-300));
        assert_eq!(members[0].capacity, 3);
        assert!(avoid.contains(2, 1) && avoid.contains(3, 1) && avoid.contains(2, 3));
    }

    #[test]
    fn bad_files_get_one_line_errors_with_line_numbers() {
        let cases = [
            ("id,role\n1,peer\n", "line 1: missing column 'institution'"),
            (
                &format!("{HEADER}1,peer,,,,,,\n2,boss,,,,,,\n") as &str,
                "line 3: 'boss' is not a role",
            ),
            (
                &format!("{HEADER}1,peer,,Mars/Base,,,,\n"),
                "line 2: 'Mars/Base' is not a time zone",
            ),
            (
                &format!("{HEADER}1,peer,,,,,,\n1,peer,,,,,,\n"),
                "line 3: duplicate id 1 (first on line 2)",
            ),
            (&format!("{HEADER}x,peer,,,,,,\n"), "line 2: id 'x'"),
            (&format!("{HEADER}1,peer,,,,,\n"), "line 2:"),
            (
                &format!("{HEADER}1,mentor,,,,,9,\n"),
                "line 2: capacity '9'",
            ),
            (
                &format!("{HEADER}1,peer,,,,,,7\n"),
                "line 2: avoid lists id 7",
            ),
        ];
        for (text, want) in cases {
            let err = parse_population(text).unwrap_err();
            assert!(err.starts_with(want), "{err:?} should start with {want:?}");
            assert!(!err.contains('\n'), "{err:?}");
        }
    }

    #[test]
    fn ratio_parses() {
        assert_eq!(parse_ratio("1:3"), Ok(3));
        assert!(parse_ratio("2:3").is_err());
        assert!(parse_ratio("1:0").is_err());
    }
}
