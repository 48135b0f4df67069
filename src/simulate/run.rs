//! The runners: the engine and the plain-shuffle baseline, round by round, each
//! checked by the checker and timed (matching plus recording into a `History`).

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::args::SimulateArgs;
use super::check::{Checker, RunStats};
use crate::domain::matching::{
    match_round_reusing, AvoidList, Candidate, Group, History, MatchOutcome, MatchScratch,
    MatchSettings,
};

/// The members available this round: each skips with probability `churn`.
pub(super) fn churn_round(population: &mut [Candidate], churn: f64, rng: &mut ChaCha8Rng) {
    for c in population.iter_mut() {
        c.available = churn == 0.0 || !rng.random_bool(churn);
    }
}

/// The engine's run of one seed: match, check, record, round after round.
pub(super) fn simulate_engine(
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
    // Each seed's own plan labelling, as each program has its own in the bot.
    let settings = &MatchSettings {
        plan_seed: seed,
        ..settings.clone()
    };
    let mut history = History::new();
    let mut churn_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let mut checker = Checker::new(members);
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
        checker.round(members, &outcome.groups, avoid, settings, round);
        for g in &outcome.groups {
            if g.members.len() != settings.group_size as usize {
                for id in &g.members {
                    if let Some(i) = checker.index.get(*id) {
                        off_size[i] += 1;
                    }
                }
            }
        }
        for note in &outcome.compromises {
            *checker.stats.compromises.entry(generic(note)).or_insert(0) += 1;
        }
        let start = Instant::now();
        history.record_matched(round, &outcome, &mut scratch);
        let recorded = start.elapsed();
        times.push((matched + recorded).as_secs_f64() * 1e3);
        parts.0.push(matched.as_secs_f64() * 1e3);
        parts.1.push(recorded.as_secs_f64() * 1e3);
    }
    let mut stats = checker.stats;
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
pub(super) fn simulate_shuffle(
    population: &[Candidate],
    settings: &MatchSettings,
    args: &SimulateArgs,
    seed: u64,
    times: &mut Vec<f64>,
) -> RunStats {
    let mut members = population.to_vec();
    let mut history = History::new();
    let mut churn_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00C0_FFEE);
    let mut checker = Checker::new(&members);
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
        checker.round(&members, &groups, &AvoidList::new(), settings, round);
        let start = Instant::now();
        history.record_round(round, &groups);
        times.push((matched + start.elapsed()).as_secs_f64() * 1e3);
    }
    checker.stats
}
