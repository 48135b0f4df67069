//! The offline search for the starters of the planned year (see `design.rs`), and the
//! generator that writes them to `starters.rs` (`bench/starters.sh` runs it). Only
//! tests and the generator use it: the engine reads the table.
//!
//! For a shape and a layout (two copies of Z_m and a few fixed points), a starter is
//! built in three steps: the differences of each copy are split into triangles (pure
//! trios) and singles, the shapes are tiled into each copy at random offsets, and an
//! exact cover (Algorithm X) joins the copies so that each shift between them is used
//! at most once. Every result is checked with [`is_starter`].

use super::design::{is_starter, splitmix, Layout};

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

/// How hard the search tries for one shape.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Ways of counting block types tried for one layout, the most even first.
    pub counts_tried: usize,
    /// Attempts (triangles, tiling and join) per way of counting.
    pub attempts_per_count: usize,
    /// Nodes of the exact-cover search that joins the two copies, per attempt.
    pub join_nodes: usize,
}

/// A plan is only worth its rigidity when one cycle meets nearly every pair: layouts
/// below this share of all pairs are not searched.
const MIN_COVERAGE: f64 = 0.9;
/// Fixed points tried, from none up.
const MOST_FIXED: usize = 4;

/// A starter for circles of 3 (trios and at most two pairs) on two copies of Z_period
/// and a few fixed points, fewest fixed points (longest cycle) first: its layout and
/// its blocks, largest first. Deterministic for a shape and a budget.
pub(super) fn search_starter(sizes: &[usize], budget: Budget) -> Option<(Layout, Vec<Vec<u16>>)> {
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
            .take(budget.counts_tried)
        {
            for _ in 0..budget.attempts_per_count {
                let Some(mut starter) = try_starter(layout, counts, budget.join_nodes, &mut rng)
                else {
                    continue;
                };
                if is_starter(layout, &starter) {
                    starter.sort_by_key(|b| std::cmp::Reverse(b.len()));
                    return Some((layout, starter));
                }
            }
        }
    }
    None
}

/// One randomised attempt: differences of each copy into triangles and dominoes, the
/// shapes tiled into each copy, then the copies joined by an exact cover that uses each
/// shift between them at most once.
fn try_starter(
    layout: Layout,
    counts: Counts,
    join_nodes: usize,
    rng: &mut SearchRng,
) -> Option<Vec<Vec<u16>>> {
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
    let joined = join_copies(layout, counts, &dominoes, &singles, join_nodes, rng)?;
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
    join_nodes: usize,
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
    let chosen = exact_cover(&rows, exactly_once, primary + m, join_nodes, rng)?;
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
    use crate::domain::matching::design::{trio_shape, PLAN_MEMBERS};
    use std::fmt::Write as _;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    /// The generator's budget per shape: large enough for the tight layouts (two copies
    /// of Z_50 at 100 members uses every orbit), small enough that the whole table takes
    /// a few minutes on 2 cores.
    const OFFLINE: Budget = Budget {
        counts_tried: 12,
        attempts_per_count: 48,
        join_nodes: 200_000,
    };

    /// Roster sizes to search: `STARTERS_SIZES` ("99" or "99-110"), else the plan's.
    fn sizes_to_search() -> Vec<usize> {
        match std::env::var("STARTERS_SIZES") {
            Ok(s) => {
                let (lo, hi) = s.split_once('-').unwrap_or((&s, &s));
                (lo.trim().parse().unwrap()..=hi.trim().parse().unwrap()).collect()
            }
            Err(_) => PLAN_MEMBERS.collect(),
        }
    }

    #[test]
    #[ignore = "writes src/domain/matching/starters.rs (minutes): run by bench/starters.sh"]
    fn write_starter_table() {
        let sizes = sizes_to_search();
        let threads = std::env::var("STARTERS_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(2usize);
        let next = AtomicUsize::new(0);
        let found = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&n) = sizes.get(i) else { break };
                    let started = Instant::now();
                    let starter = search_starter(&trio_shape(n), OFFLINE);
                    let layout = starter.as_ref().map(|(l, _)| (l.period, l.fixed));
                    eprintln!("n = {n}: {layout:?} in {:.1?}", started.elapsed());
                    found.lock().unwrap().push((n, starter));
                });
            }
        });
        let mut found = found.into_inner().unwrap();
        found.sort_by_key(|&(n, _)| n);
        let missing: Vec<String> = found
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(n, _)| n.to_string())
            .collect();
        let commit = std::env::var("STARTERS_COMMIT").unwrap_or_else(|_| "unknown".into());
        let mut out = String::new();
        writeln!(
            out,
            "//! Starters for the planned year of circles of 3, one per roster size (see\n\
             //! `design.rs`). Written by `bench/starters.sh` at commit {commit} (the ignored\n\
             //! test `starter_search::tests::write_starter_table`, budget {OFFLINE:?}).\n\
             //! Do not edit: rerun the script. The engine checks every entry when it loads\n\
             //! them, and `design::tests` checks them all."
        )
        .unwrap();
        if missing.is_empty() {
            writeln!(
                out,
                "//! Every roster size from {} to {} has one.",
                sizes[0],
                sizes[sizes.len() - 1]
            )
            .unwrap();
        } else {
            writeln!(
                out,
                "//! No starter was found for {} members: they get today's search.",
                missing.join(", ")
            )
            .unwrap();
        }
        out.push_str(
            "\n/// One starter on two copies of Z_`period` (the rounds of one cycle) and `fixed`\n\
             /// fixed points (`members` = 2 `period` + `fixed`): its blocks, trios first and then\n\
             /// pairs, as point numbers one after another.\n\
             pub(super) struct Starter {\n    pub members: u8,\n    pub period: u8,\n    pub fixed: u8,\n    pub points: &'static [u8],\n}\n\n\
             #[rustfmt::skip]\npub(super) const STARTERS: &[Starter] = &[\n",
        );
        for (n, starter) in &found {
            let Some((layout, blocks)) = starter else {
                continue;
            };
            let points: Vec<String> = blocks.iter().flatten().map(|p| p.to_string()).collect();
            writeln!(
                out,
                "    Starter {{ members: {n}, period: {}, fixed: {}, points: &[{}] }},",
                layout.period,
                layout.fixed,
                points.join(",")
            )
            .unwrap();
        }
        out.push_str("];\n");
        let path = std::env::var("STARTERS_OUT").unwrap_or_else(|_| {
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/domain/matching/starters.rs"
            )
            .into()
        });
        std::fs::write(&path, out).unwrap();
    }
}
