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
//! The starter is found by a min-conflicts search (swap two points between blocks,
//! tabu on recently moved points, a little noise), deterministic for a shape, and
//! memoised for the process: it is a pure function of the shape, so the memo changes
//! no result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A plan is only worth its rigidity when one cycle meets nearly every pair: layouts
/// below this share of all pairs are not searched.
const MIN_COVERAGE: f64 = 0.9;
/// Attempts at a starter for one way of counting its block types.
const ATTEMPTS_PER_COUNT: usize = 8;
/// Ways of counting block types tried for one layout.
const COUNTS_TRIED: usize = 3;
/// Nodes of the exact-cover search that joins the two copies, per attempt.
const JOIN_NODES: usize = 3_000;
/// Fixed points tried, from none up.
const MOST_FIXED: usize = 4;

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
    #[cfg(test)]
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
    #[cfg(test)]
    fn sizes(&self) -> Vec<usize> {
        self.starter.iter().map(Vec::len).collect()
    }
}

/// The plan for rounds of these group sizes (their sum is the number of members), or
/// `None` when no layout meets nearly every pair or the search found no starter.
/// Memoised: the search runs once per shape per process.
pub(crate) fn design_for(sizes: &[usize]) -> Option<Arc<Design>> {
    type Memo = Mutex<HashMap<Vec<usize>, Option<Arc<Design>>>>;
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let memo = MEMO.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = memo.lock().ok().and_then(|m| m.get(sizes).cloned()) {
        return found;
    }
    // Searched outside the lock: another thread may search the same shape at the same
    // time and find the same design (the search is deterministic).
    let found = search_design(sizes).map(Arc::new);
    if let Ok(mut m) = memo.lock() {
        m.insert(sizes.to_vec(), found.clone());
    }
    found
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

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small deterministic generator for the search (the search must give the same
/// starter for a shape in every process, whatever the round's RNG).
struct SearchRng(u64);

impl SearchRng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

/// Copies of Z_period and fixed points, and the orbits of their pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    copies: usize,
    period: usize,
    fixed: usize,
}

impl Layout {
    /// Orbits of full length (`period` pairs each): the ones a starter may use.
    #[cfg(test)]
    fn full_orbits(self) -> usize {
        let (c, m) = (self.copies, self.period);
        c * ((m - 1) / 2) + c * (c - 1) / 2 * m + self.fixed * c
    }

    fn half(self) -> usize {
        self.period / 2
    }

    fn pure_base(self) -> usize {
        0
    }

    fn mixed_base(self) -> usize {
        self.copies * self.half()
    }

    fn fixed_base(self) -> usize {
        self.mixed_base() + self.copies * (self.copies - 1) / 2 * self.period
    }

    /// The one orbit of pairs of fixed points (never usable).
    fn fixed_pair_orbit(self) -> usize {
        self.fixed_base() + self.fixed * self.copies
    }

    fn orbit_count(self) -> usize {
        self.fixed_pair_orbit() + 1
    }

    /// Pairs of this orbit a starter may hold: 1, or 0 for an orbit translation maps
    /// onto itself.
    fn capacity(self, orbit: usize) -> u16 {
        if orbit == self.fixed_pair_orbit() {
            return 0;
        }
        let short = self.period.is_multiple_of(2) && orbit < self.mixed_base() && {
            let d = orbit % self.half() + 1;
            d == self.half()
        };
        u16::from(!short)
    }

    fn orbit(self, p: usize, q: usize) -> usize {
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

/// How many blocks of each type a starter on two copies has. Trios: `pure[a]` inside
/// copy `a`; `split[a]` with two points in copy `a` and one in the other; `fixed_trios`
/// with a fixed point and one point of each copy. Pairs: `pure_pairs[a]` inside copy
/// `a`, `mixed_pairs` across, `fixed_pairs[a]` a fixed point and a point of copy `a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    pure: [usize; 2],
    split: [usize; 2],
    fixed_trios: usize,
    pure_pairs: [usize; 2],
    mixed_pairs: usize,
    fixed_pairs: [usize; 2],
}

/// Every way to count the block types of a starter for `trios` trios and `pairs` pairs
/// on two copies of Z_period and `fixed` fixed points that covers each point once and
/// uses no orbit twice, the most even first.
fn counts_for(period: usize, fixed: usize, trios: usize, pairs: usize) -> Vec<Counts> {
    let usable = (period - 1) / 2;
    let mut found = Vec::new();
    for t0 in 0..=usable / 3 {
        for t1 in 0..=usable / 3 {
            for ft in 0..=fixed.min(trios) {
                for pf0 in 0..=(fixed - ft).min(pairs) {
                    let pf1 = fixed - ft - pf0;
                    if pf0 + pf1 > pairs {
                        continue;
                    }
                    for p0 in 0..=pairs - pf0 - pf1 {
                        for p1 in 0..=pairs - pf0 - pf1 - p0 {
                            let pm = pairs - pf0 - pf1 - p0 - p1;
                            // Points of each copy left for split trios: 2 d0 + d1 and
                            // d0 + 2 d1.
                            let a = period as i64 - (3 * t0 + ft + 2 * p0 + pm + pf0) as i64;
                            let b = period as i64 - (3 * t1 + ft + 2 * p1 + pm + pf1) as i64;
                            let (d0, d1) = (2 * a - b, 2 * b - a);
                            if d0 < 0 || d1 < 0 || d0 % 3 != 0 || d1 % 3 != 0 {
                                continue;
                            }
                            let (d0, d1) = (d0 as usize / 3, d1 as usize / 3);
                            let c = Counts {
                                pure: [t0, t1],
                                split: [d0, d1],
                                fixed_trios: ft,
                                pure_pairs: [p0, p1],
                                mixed_pairs: pm,
                                fixed_pairs: [pf0, pf1],
                            };
                            let fits = t0 + t1 + d0 + d1 + ft == trios
                                && 3 * t0 + d0 + p0 <= usable
                                && 3 * t1 + d1 + p1 <= usable
                                && 2 * d0 + 2 * d1 + ft + pm <= period;
                            if fits {
                                found.push(c);
                            }
                        }
                    }
                }
            }
        }
    }
    found.sort_by_key(|c| {
        (
            c.pure[0].abs_diff(c.pure[1]),
            c.split[0].abs_diff(c.split[1]),
        )
    });
    found
}

/// Circles of 3 (trios and at most two pairs) on two copies of Z_period and a few fixed
/// points, fewest fixed points (longest cycle) first.
fn search_design(sizes: &[usize]) -> Option<Design> {
    let n: usize = sizes.iter().sum();
    let trios = sizes.iter().filter(|&&s| s == 3).count();
    let pairs = sizes.iter().filter(|&&s| s == 2).count();
    if trios + pairs != sizes.len() || pairs > 2 || trios == 0 {
        return None;
    }
    let all_pairs = n * (n - 1) / 2;
    let pairs_a_round = 3 * trios + pairs;
    let seed = sizes
        .iter()
        .fold(0x0D15_C0DE_u64, |h, &s| splitmix(h ^ s as u64));
    let mut rng = SearchRng(seed);
    for fixed in 0..=MOST_FIXED.min(n) {
        if !(n - fixed).is_multiple_of(2) || (n - fixed) / 2 < 7 {
            continue;
        }
        let period = (n - fixed) / 2;
        if ((period * pairs_a_round) as f64) < MIN_COVERAGE * all_pairs as f64 {
            break;
        }
        let layout = Layout {
            copies: 2,
            period,
            fixed,
        };
        for counts in counts_for(period, fixed, trios, pairs)
            .into_iter()
            .take(COUNTS_TRIED)
        {
            for _ in 0..ATTEMPTS_PER_COUNT {
                let Some(mut starter) = try_starter(layout, counts, &mut rng) else {
                    continue;
                };
                if is_starter(layout, &starter) {
                    starter.sort_by_key(|b| std::cmp::Reverse(b.len()));
                    return Some(Design {
                        copies: 2,
                        period,
                        fixed,
                        starter,
                    });
                }
            }
        }
    }
    None
}

/// Whether `blocks` partition the layout's points and use each orbit at most its
/// capacity: checked on the result, whatever the construction did.
fn is_starter(layout: Layout, blocks: &[Vec<u16>]) -> bool {
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

/// One randomised attempt: differences of each copy into triangles and dominoes, the
/// shapes tiled into each copy, then the copies joined by an exact cover that uses each
/// shift between them at most once.
fn try_starter(layout: Layout, counts: Counts, rng: &mut SearchRng) -> Option<Vec<Vec<u16>>> {
    let m = layout.period;
    let usable = (m - 1) / 2;
    let mut blocks: Vec<Vec<u16>> = Vec::new();
    // Per copy: the dominoes of split trios (two points), and the points left single.
    let mut dominoes: [Vec<(usize, usize)>; 2] = [Vec::new(), Vec::new()];
    let mut singles: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for copy in 0..2 {
        let (triangles, mut rest) = pick_triangles(m, usable, counts.pure[copy], rng)?;
        shuffle(&mut rest, rng);
        let split = counts.split[copy];
        let domino_diffs = &rest[..split];
        let pair_diffs = &rest[split..split + counts.pure_pairs[copy]];
        let mut shapes: Vec<Vec<usize>> =
            triangles.iter().map(|&(a, b)| vec![0, a, a + b]).collect();
        shapes.extend(domino_diffs.iter().chain(pair_diffs).map(|&d| vec![0, d]));
        let placed = tile(m, &shapes, rng)?;
        let base = copy * m;
        let to_point = |x: usize| (base + x) as u16;
        let mut taken = vec![false; m];
        for (k, shape) in placed.iter().enumerate() {
            for &x in shape {
                taken[x] = true;
            }
            if k < triangles.len() || k >= triangles.len() + split {
                blocks.push(shape.iter().map(|&x| to_point(x)).collect());
            } else {
                dominoes[copy].push((shape[0], shape[1]));
            }
        }
        singles[copy] = (0..m).filter(|&x| !taken[x]).collect();
    }
    let joined = join_copies(layout, counts, &dominoes, &singles, rng)?;
    blocks.extend(joined);
    Some(blocks)
}

/// Triangles as their first two differences `(a, b)`, and the differences left.
type Triangles = (Vec<(usize, usize)>, Vec<usize>);

/// `count` disjoint triangles of differences (a, b, and a + b or m - a - b, all usable
/// and distinct) and the differences left, at random.
fn pick_triangles(m: usize, usable: usize, count: usize, rng: &mut SearchRng) -> Option<Triangles> {
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    for a in 1..=usable {
        for b in a + 1..=usable {
            for c in [a + b, m.wrapping_sub(a + b)] {
                if (1..=usable).contains(&c) && c != a && c != b {
                    all.push((a, b, c));
                }
            }
        }
    }
    for _ in 0..20 {
        shuffle(&mut all, rng);
        let mut used = vec![false; usable + 1];
        let mut picked = Vec::new();
        for &(a, b, c) in &all {
            if picked.len() == count {
                break;
            }
            if !used[a] && !used[b] && !used[c] {
                used[a] = true;
                used[b] = true;
                used[c] = true;
                picked.push((a, b));
            }
        }
        if picked.len() == count {
            let rest = (1..=usable).filter(|&d| !used[d]).collect();
            return Some((picked, rest));
        }
    }
    None
}

/// Translates of `shapes` (offsets from 0) placed disjointly in Z_m, in order, at
/// random free offsets; `None` after a few failed tries.
fn tile(m: usize, shapes: &[Vec<usize>], rng: &mut SearchRng) -> Option<Vec<Vec<usize>>> {
    'attempt: for _ in 0..30 {
        let mut taken = vec![false; m];
        let mut placed = Vec::with_capacity(shapes.len());
        for shape in shapes {
            let start = rng.below(m);
            let offset = (0..m)
                .map(|k| (start + k) % m)
                .find(|&o| shape.iter().all(|&x| !taken[(o + x) % m]));
            let Some(o) = offset else {
                continue 'attempt;
            };
            let points: Vec<usize> = shape.iter().map(|&x| (o + x) % m).collect();
            for &x in &points {
                taken[x] = true;
            }
            placed.push(points);
        }
        return Some(placed);
    }
    None
}

fn shuffle<T>(items: &mut [T], rng: &mut SearchRng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// The blocks that cross the copies: each domino of one copy takes a single point of
/// the other, fixed points take a single point of one or both copies, and the singles
/// left pair across; every shift between the copies at most once. An exact cover
/// (Knuth's Algorithm X) with the shifts as columns used at most once.
fn join_copies(
    layout: Layout,
    counts: Counts,
    dominoes: &[Vec<(usize, usize)>; 2],
    singles: &[Vec<usize>; 2],
    rng: &mut SearchRng,
) -> Option<Vec<Vec<u16>>> {
    let m = layout.period;
    let fixed_base = 2 * m;
    // Columns: dominoes of copy 0, of copy 1, singles of copy 0, of copy 1, fixed points
    // (all primary), then the m shifts (secondary).
    let d0 = dominoes[0].len();
    let d1 = dominoes[1].len();
    let s0 = singles[0].len();
    let s1 = singles[1].len();
    let f = layout.fixed;
    let single0 = d0 + d1;
    let single1 = single0 + s0;
    let fixed_col = single1 + s1;
    let primary = fixed_col + f;
    let shift_col = |x0: usize, x1: usize| primary + (x1 + m - x0) % m;
    // When the blocks use as many shifts as there are, each is used exactly once:
    // searched as such, the shifts with the fewest options are filled first.
    let shifts_used = 2 * (d0 + d1) + counts.fixed_trios + counts.mixed_pairs;
    let exactly_once = if shifts_used == m {
        primary + m
    } else {
        primary
    };
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut blocks: Vec<Vec<u16>> = Vec::new();
    let p0 = |x: usize| x as u16;
    let p1 = |x: usize| (m + x) as u16;
    for (i, &(x, x2)) in dominoes[0].iter().enumerate() {
        for (j, &y) in singles[1].iter().enumerate() {
            rows.push(vec![i, single1 + j, shift_col(x, y), shift_col(x2, y)]);
            blocks.push(vec![p0(x), p0(x2), p1(y)]);
        }
    }
    for (i, &(y, y2)) in dominoes[1].iter().enumerate() {
        for (j, &x) in singles[0].iter().enumerate() {
            rows.push(vec![d0 + i, single0 + j, shift_col(x, y), shift_col(x, y2)]);
            blocks.push(vec![p0(x), p1(y), p1(y2)]);
        }
    }
    // Fixed points by kind: trios first, then pairs with copy 0, then with copy 1.
    for k in 0..f {
        let point = (fixed_base + k) as u16;
        if k < counts.fixed_trios {
            for (i, &x) in singles[0].iter().enumerate() {
                for (j, &y) in singles[1].iter().enumerate() {
                    rows.push(vec![
                        fixed_col + k,
                        single0 + i,
                        single1 + j,
                        shift_col(x, y),
                    ]);
                    blocks.push(vec![point, p0(x), p1(y)]);
                }
            }
        } else {
            let copy = usize::from(k >= counts.fixed_trios + counts.fixed_pairs[0]);
            for (i, &x) in singles[copy].iter().enumerate() {
                let col = if copy == 0 { single0 } else { single1 } + i;
                rows.push(vec![fixed_col + k, col]);
                blocks.push(vec![point, if copy == 0 { p0(x) } else { p1(x) }]);
            }
        }
    }
    for (i, &x) in singles[0].iter().enumerate() {
        for (j, &y) in singles[1].iter().enumerate() {
            rows.push(vec![single0 + i, single1 + j, shift_col(x, y)]);
            blocks.push(vec![p0(x), p1(y)]);
        }
    }
    let chosen = exact_cover(&rows, exactly_once, primary + m, JOIN_NODES, rng)?;
    Some(chosen.into_iter().map(|r| blocks[r].clone()).collect())
}

/// Rows covering every primary column (0..primary) exactly once and every secondary
/// column (primary..columns) at most once, or `None` within `node_limit` nodes.
fn exact_cover(
    rows: &[Vec<usize>],
    primary: usize,
    columns: usize,
    node_limit: usize,
    rng: &mut SearchRng,
) -> Option<Vec<usize>> {
    struct Search<'r> {
        rows: &'r [Vec<usize>],
        col_rows: Vec<Vec<usize>>,
        /// How many chosen rows conflict with each row: 0 is still possible.
        blocked: Vec<u32>,
        alive: Vec<usize>,
        done: Vec<bool>,
        primary: usize,
        chosen: Vec<usize>,
        nodes: usize,
        limit: usize,
    }
    impl Search<'_> {
        fn choose(&mut self, r: usize) {
            for &c in &self.rows[r] {
                self.done[c] = true;
                for &r2 in &self.col_rows[c] {
                    self.blocked[r2] += 1;
                    if self.blocked[r2] == 1 {
                        for &c2 in &self.rows[r2] {
                            self.alive[c2] -= 1;
                        }
                    }
                }
            }
        }

        fn unchoose(&mut self, r: usize) {
            for &c in self.rows[r].iter().rev() {
                for &r2 in self.col_rows[c].iter().rev() {
                    self.blocked[r2] -= 1;
                    if self.blocked[r2] == 0 {
                        for &c2 in &self.rows[r2] {
                            self.alive[c2] += 1;
                        }
                    }
                }
                self.done[c] = false;
            }
        }

        fn solve(&mut self, rng: &mut SearchRng) -> bool {
            self.nodes += 1;
            if self.nodes > self.limit {
                return false;
            }
            // The open primary column with the fewest rows left.
            let Some(col) = (0..self.primary)
                .filter(|&c| !self.done[c])
                .min_by_key(|&c| self.alive[c])
            else {
                return true;
            };
            if self.alive[col] == 0 {
                return false;
            }
            let options: Vec<usize> = self.col_rows[col]
                .iter()
                .copied()
                .filter(|&r| self.blocked[r] == 0)
                .collect();
            let start = rng.below(options.len());
            for k in 0..options.len() {
                let r = options[(start + k) % options.len()];
                self.choose(r);
                self.chosen.push(r);
                if self.solve(rng) {
                    return true;
                }
                self.chosen.pop();
                self.unchoose(r);
                if self.nodes > self.limit {
                    return false;
                }
            }
            false
        }
    }
    let mut col_rows = vec![Vec::new(); columns];
    for (r, row) in rows.iter().enumerate() {
        for &c in row {
            col_rows[c].push(r);
        }
    }
    let alive = col_rows.iter().map(Vec::len).collect();
    let mut search = Search {
        rows,
        col_rows,
        blocked: vec![0; rows.len()],
        alive,
        done: vec![false; columns],
        primary,
        chosen: Vec::new(),
        nodes: 0,
        limit: node_limit,
    };
    search.solve(rng).then_some(search.chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Circles of 3 as the engine shapes them: trios, then one or two pairs.
    fn trio_sizes(n: usize) -> Vec<usize> {
        match n % 3 {
            0 => vec![3; n / 3],
            1 => [vec![3; n / 3 - 1], vec![2, 2]].concat(),
            _ => [vec![3; n / 3], vec![2]].concat(),
        }
    }

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
    fn circles_of_three_at_100_use_each_orbit_once_so_each_cycle_round_meets_only_new_pairs() {
        let sizes = trio_sizes(100);
        let d = design_for(&sizes).expect("a starter for 32 trios and 2 pairs");
        // Two copies of Z_49 and two fixed points (the search's budget finds this one
        // before a starter on two copies of Z_50).
        assert_eq!((d.copies, d.period, d.fixed), (2, 49, 2));
        assert_eq!(d.sizes(), sizes);
        let layout = Layout {
            copies: d.copies,
            period: d.period,
            fixed: d.fixed,
        };
        let mut used = vec![0; layout.orbit_count()];
        for block in &d.starter {
            for (i, &a) in block.iter().enumerate() {
                for &b in &block[i + 1..] {
                    used[layout.orbit(a as usize, b as usize)] += 1;
                }
            }
        }
        assert!(used.iter().all(|&u| u <= 1), "an orbit used twice");
        assert_eq!(used.iter().sum::<usize>(), 98);
        let counts = pair_counts(&d);
        assert!(counts.values().all(|&c| c == 1), "a pair met twice");
        assert_eq!(counts.len(), 49 * 98, "4,802 distinct pairs in 49 rounds");
    }

    #[test]
    fn plans_for_small_rosters_are_repeat_free_over_their_cycle() {
        for n in [12, 20, 31, 47, 62, 80] {
            let Some(d) = design_for(&trio_sizes(n)) else {
                continue;
            };
            assert_eq!(d.points(), n);
            let counts = pair_counts(&d);
            assert!(counts.values().all(|&c| c == 1), "n = {n}");
            // A round of trios and one or two pairs meets n, n - 2 or n - 1 pairs.
            assert_eq!(counts.len(), d.classes() * (n - [0, 2, 1][n % 3]));
        }
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
