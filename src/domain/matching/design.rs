//! A year of circles planned at once: a cyclic design whose rounds never repeat a pair.
//!
//! The points are `copies` copies of the integers mod `period`, plus a few `fixed`
//! points. One *starter* round (a partition of the points into the round's shape) is
//! translated by `t = 0..period`: round `t` adds `t` to every point of every copy and
//! leaves the fixed points alone. Two points meet again in two translated rounds exactly
//! when the starter holds two pairs of one *difference orbit* (the same difference in
//! one copy, the same shift between two copies, or the same fixed point and copy), so a
//! starter that uses each orbit at most once gives `period` rounds without a repeat.
//! Orbits that translation maps onto themselves are never used: the difference
//! `period / 2` in one copy (its orbit has only `period / 2` pairs) and a pair of two
//! fixed points (which translation never moves).
//!
//! For circles of 3 at 100 members the shape is 32 trios and 2 pairs (98 pairs a round)
//! on two copies of Z_50: 24 differences in each copy and 50 shifts between them are
//! exactly 98 orbits, so 50 rounds meet 4,900 distinct pairs, and only the 50 pairs of
//! difference 25 are left. For circles of 4 at 100, three copies of Z_33 and one fixed
//! point give 150 orbits for 150 pairs a round: 33 rounds meet all 4,950 pairs.
//!
//! The starters are not searched at run time: `starters.rs` is a table written offline
//! by `bench/starters.sh` (a deterministic search with a large budget, in
//! `starter_search.rs`), one starter per roster size the plan covers. The engine
//! checks each entry once per process ([`is_starter`]) and drops any that fails, so a
//! bad table costs a plan, never a repeat; a roster size missing from the table gets
//! today's round-by-round search.

use std::sync::{Arc, OnceLock};

use super::starters::STARTERS;

/// Rosters planned as a year of circles of 3: below, today's search is already at its
/// best; above, 52 rounds of circles of 3 (two new people a member a round) stay far
/// from meeting everyone, and a plan would only cost soft preferences. The table of
/// starters covers these sizes.
pub(crate) const PLAN_MEMBERS: std::ops::RangeInclusive<usize> = 12..=110;

/// A cyclic plan of rounds for one shape: `period` rounds, each a partition of
/// `points()` points into blocks of the shape's sizes, no two rounds sharing a pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Design {
    copies: usize,
    period: usize,
    fixed: usize,
    /// The starter round's blocks, as point numbers: point `a * period + x` is residue
    /// `x` of copy `a`; point `copies * period + i` is fixed point `i`.
    starter: Vec<Vec<u16>>,
}

impl Design {
    /// How many points (members) the plan is for.
    pub fn points(&self) -> usize {
        self.copies * self.period + self.fixed
    }

    /// Rounds in one cycle of the plan: every one of them is repeat-free against the
    /// others.
    pub fn classes(&self) -> usize {
        self.period
    }

    /// The blocks of round `t` (0..classes()), as point numbers.
    pub fn class(&self, t: usize) -> impl Iterator<Item = impl Iterator<Item = usize> + '_> + '_ {
        let cyclic = self.copies * self.period;
        let period = self.period;
        self.starter.iter().map(move |block| {
            block.iter().map(move |&p| {
                let p = p as usize;
                if p < cyclic {
                    (p / period) * period + (p % period + t) % period
                } else {
                    p
                }
            })
        })
    }

    /// The sizes of the starter's blocks, in order.
    fn sizes(&self) -> Vec<usize> {
        self.starter.iter().map(Vec::len).collect()
    }
}

/// The plan for rounds of these group sizes (their sum is the number of members) from
/// the table of starters, or `None` when the table has none for this shape.
pub(crate) fn design_for(sizes: &[usize]) -> Option<Arc<Design>> {
    let n: usize = sizes.iter().sum();
    let mut shape = sizes.to_vec();
    shape.sort_unstable_by(|a, b| b.cmp(a));
    tabled_designs()
        .iter()
        .find(|d| d.points() == n && d.sizes() == shape)
        .cloned()
}

/// The table's starters as designs, each checked (the table is data, not a result to
/// trust): built once per process.
fn tabled_designs() -> &'static [Arc<Design>] {
    static DESIGNS: OnceLock<Vec<Arc<Design>>> = OnceLock::new();
    DESIGNS.get_or_init(|| {
        STARTERS
            .iter()
            .filter_map(|s| tabled_design(s.members, s.period, s.fixed, s.points))
            .map(Arc::new)
            .collect()
    })
}

/// One table entry as a design: the points, in blocks of the circles-of-3 shape for
/// its member count (largest first), if they form a starter.
pub(super) fn tabled_design(members: u8, period: u8, fixed: u8, points: &[u8]) -> Option<Design> {
    let (members, period, fixed) = (members as usize, period as usize, fixed as usize);
    if members != 2 * period + fixed || points.len() != members || period < 2 {
        return None;
    }
    let mut shape = trio_shape(members);
    shape.sort_unstable_by(|a, b| b.cmp(a));
    let mut rest = points;
    let mut starter = Vec::with_capacity(shape.len());
    for size in shape {
        let (block, tail) = rest.split_at(size);
        starter.push(block.iter().map(|&p| u16::from(p)).collect());
        rest = tail;
    }
    let layout = Layout {
        copies: 2,
        period,
        fixed,
    };
    is_starter(layout, &starter).then_some(Design {
        copies: 2,
        period,
        fixed,
        starter,
    })
}

/// Circles of 3 as the engine shapes `n` members (`groups::group_sizes(n, 3)`): trios,
/// and one or two pairs when 3 does not divide `n`.
pub(super) fn trio_shape(n: usize) -> Vec<usize> {
    match n % 3 {
        0 => vec![3; n / 3],
        1 => [vec![3; n / 3 - 1], vec![2, 2]].concat(),
        _ => [vec![3; n / 3], vec![2]].concat(),
    }
}

/// Members in the order of the plan's points: sorted by a keyed hash of the plan seed
/// and the id, so the plan looks random and the same roster gets the same labels
/// whoever is available.
pub(crate) fn plan_order(ids: &mut [u64], plan_seed: u64) {
    ids.sort_unstable_by_key(|&id| (keyed_hash(plan_seed, id), id));
}

fn keyed_hash(key: u64, id: u64) -> u64 {
    splitmix(splitmix(key ^ 0x9E37_79B9_7F4A_7C15) ^ id)
}

pub(super) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Copies of Z_period and fixed points, and the orbits of their pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub copies: usize,
    pub period: usize,
    pub fixed: usize,
}

impl Layout {
    /// Orbits of full length (`period` pairs each): the ones a starter may use.
    #[cfg(test)]
    fn full_orbits(self) -> usize {
        let (c, m) = (self.copies, self.period);
        c * ((m - 1) / 2) + c * (c - 1) / 2 * m + self.fixed * c
    }

    pub(super) fn half(self) -> usize {
        self.period / 2
    }

    pub(super) fn pure_base(self) -> usize {
        0
    }

    pub(super) fn mixed_base(self) -> usize {
        self.copies * self.half()
    }

    pub(super) fn fixed_base(self) -> usize {
        self.mixed_base() + self.copies * (self.copies - 1) / 2 * self.period
    }

    /// The one orbit of pairs of fixed points (never usable).
    pub(super) fn fixed_pair_orbit(self) -> usize {
        self.fixed_base() + self.fixed * self.copies
    }

    pub(super) fn orbit_count(self) -> usize {
        self.fixed_pair_orbit() + 1
    }

    /// Pairs of this orbit a starter may hold: 1, or 0 for an orbit translation maps
    /// onto itself.
    pub(super) fn capacity(self, orbit: usize) -> u16 {
        if orbit == self.fixed_pair_orbit() {
            return 0;
        }
        let short = self.period.is_multiple_of(2) && orbit < self.mixed_base() && {
            let d = orbit % self.half() + 1;
            d == self.half()
        };
        u16::from(!short)
    }

    pub(super) fn orbit(self, p: usize, q: usize) -> usize {
        let (c, m) = (self.copies, self.period);
        let cyclic = c * m;
        let (p, q) = if p <= q { (p, q) } else { (q, p) };
        if q >= cyclic {
            if p >= cyclic {
                return self.fixed_pair_orbit();
            }
            return self.fixed_base() + (q - cyclic) * c + p / m;
        }
        let (a, x) = (p / m, p % m);
        let (b, y) = (q / m, q % m);
        if a == b {
            let d = (y + m - x) % m;
            let d = d.min(m - d);
            return self.pure_base() + a * self.half() + d - 1;
        }
        // Copies a < b; pair index among the c(c-1)/2 pairs of copies.
        let k = a * (2 * c - a - 1) / 2 + (b - a - 1);
        self.mixed_base() + k * m + (y + m - x) % m
    }
}

/// Whether `blocks` partition the layout's points and use each orbit at most its
/// capacity: checked on the result, whatever the construction did.
pub(super) fn is_starter(layout: Layout, blocks: &[Vec<u16>]) -> bool {
    let n = layout.copies * layout.period + layout.fixed;
    let mut seen = vec![false; n];
    let mut used = vec![0u16; layout.orbit_count()];
    for block in blocks {
        for (i, &p) in block.iter().enumerate() {
            let p = p as usize;
            if p >= n || seen[p] {
                return false;
            }
            seen[p] = true;
            for &q in &block[i + 1..] {
                // A point twice in one block has no orbit (and is no partition).
                if q as usize == p || q as usize >= n {
                    return false;
                }
                let o = layout.orbit(p, q as usize);
                used[o] += 1;
                if used[o] > layout.capacity(o) {
                    return false;
                }
            }
        }
    }
    seen.iter().all(|&s| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every pair any round of the cycle holds, counted; checked directly from the
    /// rounds, not from the orbits the search counts.
    fn pair_counts(d: &Design) -> HashMap<(usize, usize), usize> {
        let mut counts = HashMap::new();
        for t in 0..d.classes() {
            let mut seen = vec![false; d.points()];
            for block in d.class(t) {
                let block: Vec<usize> = block.collect();
                for (i, &a) in block.iter().enumerate() {
                    assert!(!seen[a], "point {a} twice in round {t}");
                    seen[a] = true;
                    for &b in &block[i + 1..] {
                        *counts.entry((a.min(b), a.max(b))).or_insert(0) += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&s| s), "round {t} places every point");
        }
        counts
    }

    #[test]
    fn every_tabled_starter_partitions_its_roster_into_the_round_shape_and_its_cycle_meets_only_new_pairs(
    ) {
        assert!(!STARTERS.is_empty());
        for s in STARTERS {
            let n = s.members as usize;
            let (period, fixed) = (s.period as usize, s.fixed as usize);
            assert!(PLAN_MEMBERS.contains(&n), "n = {n} is planned");
            assert_eq!(2 * period + fixed, n, "n = {n}: layout");
            assert!(fixed <= 4, "n = {n}");
            let d = tabled_design(s.members, s.period, s.fixed, s.points)
                .unwrap_or_else(|| panic!("n = {n}: the engine would drop this entry"));
            // The round's shape (groups.rs's tests check it is `group_sizes(n, 3)`).
            let mut shape = trio_shape(n);
            shape.sort_unstable_by(|a, b| b.cmp(a));
            assert_eq!(d.sizes(), shape, "n = {n}: shape");
            // Each orbit within its capacity, from the orbit numbering...
            let layout = Layout {
                copies: 2,
                period,
                fixed,
            };
            let mut used = vec![0u16; layout.orbit_count()];
            for block in &d.starter {
                for (i, &a) in block.iter().enumerate() {
                    for &b in &block[i + 1..] {
                        used[layout.orbit(a as usize, b as usize)] += 1;
                    }
                }
            }
            for (o, &u) in used.iter().enumerate() {
                assert!(u <= layout.capacity(o), "n = {n}: orbit {o} used {u} times");
            }
            // ...and, independently, from the rounds themselves: the cycle it claims
            // (`period` rounds, each placing every point once) holds no pair twice.
            let counts = pair_counts(&d);
            assert!(
                counts.values().all(|&c| c == 1),
                "n = {n}: a pair met twice"
            );
            let per_round: usize = shape.iter().map(|k| k * (k - 1) / 2).sum();
            assert_eq!(counts.len(), period * per_round, "n = {n}");
            assert_eq!(
                design_for(&shape).as_deref(),
                Some(&d),
                "n = {n}: looked up"
            );
        }
    }

    #[test]
    fn circles_of_three_at_100_are_planned_on_two_copies_of_z50_for_50_rounds_of_new_pairs() {
        // 32 trios and 2 pairs meet 98 pairs a round: 24 differences in each copy and
        // 50 shifts between them are exactly 98 orbits, so this is the longest cycle a
        // plan on two copies can have (the floor of 146 repeats over 52 rounds).
        let d = design_for(&trio_shape(100)).expect("a starter for 100 members");
        assert_eq!((d.copies, d.period, d.fixed), (2, 50, 0));
        let counts = pair_counts(&d);
        assert_eq!(counts.len(), 50 * 98, "4,900 distinct pairs in 50 rounds");
    }

    #[test]
    fn every_planned_roster_size_but_the_few_without_a_layout_has_a_starter() {
        // Today's table: 12 and 13 are too small for two copies of Z_7; the others have
        // no way to count block types that fits, or one the search did not find.
        let missing: Vec<usize> = PLAN_MEMBERS
            .filter(|&n| design_for(&trio_shape(n)).is_none())
            .collect();
        assert_eq!(missing, [12, 13, 16, 17, 18, 19, 28]);
    }

    #[test]
    fn a_corrupt_table_entry_is_dropped_not_used() {
        let s = STARTERS.iter().find(|s| s.members == 100).expect("n = 100");
        let mut points = s.points.to_vec();
        assert!(tabled_design(s.members, s.period, s.fixed, &points).is_some());
        points.swap(0, 3); // two trios now share a difference orbit or more
        points[1] = points[0]; // and one point twice
        assert!(tabled_design(s.members, s.period, s.fixed, &points).is_none());
        assert!(tabled_design(s.members, s.period + 1, s.fixed, s.points).is_none());
    }

    #[test]
    fn orbits_are_numbered_densely_and_two_fixed_points_have_no_usable_orbit() {
        let layout = Layout {
            copies: 3,
            period: 6,
            fixed: 2,
        };
        let n = 20;
        let mut seen = vec![false; layout.orbit_count()];
        for p in 0..n {
            for q in p + 1..n {
                let o = layout.orbit(p, q);
                assert_eq!(o, layout.orbit(q, p));
                seen[o] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(layout.capacity(layout.orbit(18, 19)), 0);
        assert_eq!(layout.capacity(layout.orbit(0, 3)), 0, "difference 3 of 6");
        assert_eq!(layout.capacity(layout.orbit(0, 2)), 1);
        let usable = (0..layout.orbit_count())
            .filter(|&o| layout.capacity(o) == 1)
            .count();
        assert_eq!(usable, layout.full_orbits());
    }

    #[test]
    fn the_plan_order_depends_on_the_seed_and_not_on_the_input_order() {
        let ids: Vec<u64> = (1..=50).collect();
        let mut a = ids.clone();
        let mut b: Vec<u64> = ids.iter().rev().copied().collect();
        plan_order(&mut a, 7);
        plan_order(&mut b, 7);
        assert_eq!(a, b);
        let mut c = ids.clone();
        plan_order(&mut c, 8);
        assert_ne!(a, c);
        assert_ne!(a, ids, "relabelled");
    }
}
