//! The checker: counts each round's repeats, rule violations, same-institution pairs
//! and groups with a shared interest from the groups alone.
//!
//! It keeps its own plain record of who has met ([`PairsMet`], a sorted list of
//! pairs) and never asks the engine's `History`: `History` answers "never met" from
//! Bloom filters and bit-packed links, and a wrong "never met" there would hide a
//! repeat from the engine and from the checker alike.

use std::collections::BTreeMap;

use crate::domain::matching::{shared_interests, AvoidList, Candidate, Group, MatchSettings};
use crate::domain::profile::Role;
use crate::domain::program::MatchingMode;

/// What the checker counted over one seed's rounds.
#[derive(Debug, Default)]
pub(super) struct RunStats {
    pub repeats: u64,
    pub first_repeat_round: u32,
    pub max_off_size: u32,
    pub unmatched: u64,
    pub avoid_violations: u64,
    pub capacity_violations: u64,
    pub unavailable_matched: u64,
    pub double_placements: u64,
    pub same_institution: u64,
    pub same_institution_min: Option<u64>,
    pub pairs: u64,
    /// Pairs in a group whose two members share an interest tag.
    pub interest_pairs: u64,
    pub groups: u64,
    /// Groups in which at least two members share an interest tag.
    pub interest_groups: u64,
    /// The checker's list of pairs met, in MB (8 bytes a pair), at the end.
    pub checker_mb: f64,
    pub compromises: BTreeMap<String, u64>,
}

/// Member id to position in the population (sorted ids, binary search).
pub(super) struct Index(Vec<(u64, usize)>);

impl Index {
    pub fn new(members: &[Candidate]) -> Self {
        let mut v: Vec<(u64, usize)> = members.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        v.sort_unstable();
        Index(v)
    }

    pub fn get(&self, id: u64) -> Option<usize> {
        self.0
            .binary_search_by_key(&id, |&(x, _)| x)
            .ok()
            .map(|k| self.0[k].1)
    }
}

/// Every pair of population positions that met in an earlier round: a sorted list of
/// `smaller << 32 | larger`, 8 bytes a pair. A round's pairs are answered against
/// the earlier rounds only, then merged in at [`PairsMet::end_round`].
#[derive(Debug, Default)]
pub(super) struct PairsMet {
    past: Vec<u64>,
    this_round: Vec<u64>,
}

fn pair_key(a: usize, b: usize) -> u64 {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    (x as u64) << 32 | y as u64
}

impl PairsMet {
    /// Whether `a` and `b` (population positions) met in an earlier round.
    pub fn met_before(&self, a: usize, b: usize) -> bool {
        self.past.binary_search(&pair_key(a, b)).is_ok()
    }

    /// Notes that `a` and `b` meet this round.
    pub fn meet(&mut self, a: usize, b: usize) {
        self.this_round.push(pair_key(a, b));
    }

    /// Adds this round's pairs to the earlier rounds'.
    pub fn end_round(&mut self) {
        let new = &mut self.this_round;
        new.sort_unstable();
        new.dedup();
        let past = &mut self.past;
        new.retain(|k| past.binary_search(k).is_err());
        // Merge from the back, in place: both lists are sorted and share no key.
        let (mut i, mut j) = (past.len(), new.len());
        past.resize(i + j, 0);
        let mut w = past.len();
        while j > 0 {
            w -= 1;
            if i > 0 && past[i - 1] > new[j - 1] {
                past[w] = past[i - 1];
                i -= 1;
            } else {
                past[w] = new[j - 1];
                j -= 1;
            }
        }
        new.clear();
    }

    /// The size of the list of pairs met, in MB.
    pub fn mb(&self) -> f64 {
        (self.past.len() * std::mem::size_of::<u64>()) as f64 / (1024.0 * 1024.0)
    }
}

/// Checks a run's rounds one after another.
pub(super) struct Checker {
    pub index: Index,
    met: PairsMet,
    pub stats: RunStats,
}

impl Checker {
    pub fn new(members: &[Candidate]) -> Self {
        Checker {
            index: Index::new(members),
            met: PairsMet::default(),
            stats: RunStats::default(),
        }
    }

    /// Counts round `round`'s groups; `members` are as they were this round.
    pub fn round(
        &mut self,
        members: &[Candidate],
        groups: &[Group],
        avoid: &AvoidList,
        settings: &MatchSettings,
        round: u32,
    ) {
        let (index, stats, met) = (&self.index, &mut self.stats, &mut self.met);
        let mut seen = vec![0u32; members.len()];
        let mut mentees_of = vec![0u32; members.len()];
        let mut round_same = 0u64;
        for g in groups {
            stats.groups += 1;
            let mut shared = false;
            for (k, &a) in g.members.iter().enumerate() {
                let Some(ia) = index.get(a) else { continue };
                seen[ia] += 1;
                if !members[ia].available {
                    stats.unavailable_matched += 1;
                }
                for &b in &g.members[k + 1..] {
                    stats.pairs += 1;
                    if avoid.contains(a, b) {
                        stats.avoid_violations += 1;
                    }
                    let Some(ib) = index.get(b) else { continue };
                    if met.met_before(ia, ib) {
                        stats.repeats += 1;
                        if stats.first_repeat_round == 0 {
                            stats.first_repeat_round = round;
                        }
                    }
                    met.meet(ia, ib);
                    if shared_interests(members[ia].interests, members[ib].interests) != 0 {
                        stats.interest_pairs += 1;
                        shared = true;
                    }
                    let (x, y) = (&members[ia].institution, &members[ib].institution);
                    if x.is_some() && x == y {
                        round_same += 1;
                    }
                }
            }
            stats.interest_groups += u64::from(shared);
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
        met.end_round();
        stats.checker_mb = met.mb();
        stats.same_institution += round_same;
        for (i, c) in members.iter().enumerate() {
            if c.available && seen[i] == 0 {
                let counts = !(settings.mode == MatchingMode::PeerCircles
                    && settings.circle_role.is_some_and(|r| r != c.role));
                if counts {
                    stats.unmatched += 1;
                }
            }
            let is_mentor_mode =
                settings.mode == MatchingMode::MentorMentee && c.role == Role::Mentor;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matching::History;
    use proptest::prelude::*;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn groups(round: &[&[u64]]) -> Vec<Group> {
        round
            .iter()
            .map(|g| Group {
                members: g.to_vec(),
            })
            .collect()
    }

    #[test]
    fn counts_each_meeting_after_a_pairs_first_and_the_round_of_the_first() {
        let members: Vec<Candidate> = (1..=5).map(Candidate::peer).collect();
        let s = MatchSettings::new(MatchingMode::Open, 2);
        let rounds: [&[&[u64]]; 4] = [
            &[&[1, 2], &[3, 4]],
            &[&[1, 3], &[2, 4]],
            // 1-2 and 3-4 again; 3-5 and 4-5 are new.
            &[&[1, 2], &[3, 4, 5]],
            // 2-1 again, in the other order; 5-3 again.
            &[&[2, 1], &[5, 3]],
        ];
        let mut checker = Checker::new(&members);
        for (r, round) in rounds.iter().enumerate() {
            checker.round(
                &members,
                &groups(round),
                &AvoidList::new(),
                &s,
                r as u32 + 1,
            );
        }
        assert_eq!(checker.stats.repeats, 4);
        assert_eq!(checker.stats.first_repeat_round, 3);
        assert_eq!(checker.stats.pairs, 2 + 2 + 4 + 2);
    }

    #[test]
    fn counts_groups_in_which_two_members_share_a_tag() {
        let tags = [0b001, 0b011, 0b100, 0, 0b100];
        let members: Vec<Candidate> = (1..=5)
            .map(|id| Candidate {
                interests: tags[id as usize - 1],
                ..Candidate::peer(id)
            })
            .collect();
        let s = MatchSettings::new(MatchingMode::Open, 2);
        let mut checker = Checker::new(&members);
        // 1-2 share tag 0; 3-4 share nothing; 3-5 share tag 2 in the trio 3-4-5.
        checker.round(
            &members,
            &groups(&[&[1, 2], &[3, 4]]),
            &AvoidList::new(),
            &s,
            1,
        );
        checker.round(
            &members,
            &groups(&[&[1, 3], &[2, 4, 5]]),
            &AvoidList::new(),
            &s,
            2,
        );
        checker.round(
            &members,
            &groups(&[&[1, 4], &[2, 3, 5]]),
            &AvoidList::new(),
            &s,
            3,
        );
        assert_eq!(checker.stats.groups, 6);
        assert_eq!(checker.stats.interest_groups, 2);
        assert_eq!(checker.stats.interest_pairs, 2);
    }

    #[test]
    fn a_pair_twice_in_one_round_is_a_double_placement_not_a_repeat() {
        // As History answers it: a round is checked against the rounds before it.
        let members: Vec<Candidate> = (1..=3).map(Candidate::peer).collect();
        let s = MatchSettings::new(MatchingMode::Open, 2);
        let mut checker = Checker::new(&members);
        checker.round(
            &members,
            &groups(&[&[1, 2], &[1, 2]]),
            &AvoidList::new(),
            &s,
            1,
        );
        assert_eq!(checker.stats.repeats, 0);
        assert_eq!(checker.stats.double_placements, 2);
        checker.round(&members, &groups(&[&[2, 1, 3]]), &AvoidList::new(), &s, 2);
        assert_eq!(checker.stats.repeats, 1);
        assert_eq!(checker.stats.first_repeat_round, 2);
    }

    /// Random rounds of random groups (sizes 2-4, some members sitting out).
    fn random_rounds(seed: u64) -> (Vec<u64>, Vec<Vec<Group>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(2..=400usize);
        let ids: Vec<u64> = (0..n as u64).map(|i| 1_000_000 + i * 7919).collect();
        let rounds = (0..rng.random_range(1..=30))
            .map(|_| {
                let mut v: Vec<u64> = ids
                    .iter()
                    .copied()
                    .filter(|_| rng.random_bool(0.9))
                    .collect();
                v.shuffle(&mut rng);
                let mut out = Vec::new();
                while v.len() >= 2 {
                    let size = rng.random_range(2..=4usize).min(v.len());
                    out.push(Group {
                        members: v.split_off(v.len() - size),
                    });
                }
                out
            })
            .collect();
        (ids, rounds)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn the_plain_count_equals_the_engine_historys_answers(seed in any::<u64>()) {
            let (ids, rounds) = random_rounds(seed);
            let members: Vec<Candidate> = ids.iter().map(|&id| Candidate::peer(id)).collect();
            let s = MatchSettings::new(MatchingMode::Open, 2);
            let mut checker = Checker::new(&members);
            let mut history = History::new();
            let mut plain = PairsMet::default();
            let mut history_repeats = 0u64;
            for (r, groups) in rounds.iter().enumerate() {
                for g in groups {
                    for (k, &a) in g.members.iter().enumerate() {
                        for &b in &g.members[k + 1..] {
                            let said = history.met(a, b);
                            let (ia, ib) = (checker.index.get(a).unwrap(), checker.index.get(b).unwrap());
                            prop_assert_eq!(plain.met_before(ia, ib), said, "{}-{} in round {}", a, b, r + 1);
                            plain.meet(ia, ib);
                            history_repeats += u64::from(said);
                        }
                    }
                }
                plain.end_round();
                checker.round(&members, groups, &AvoidList::new(), &s, r as u32 + 1);
                prop_assert_eq!(checker.stats.repeats, history_repeats, "round {}", r + 1);
                history.record_round(r as u32 + 1, groups);
            }
        }
    }
}
