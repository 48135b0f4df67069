//! Look-ahead near the horizon: split the regular graph of unmet pairs into perfect
//! matchings (a 1-factorization), so every remaining round can still be repeat-free.
//!
//! Why: a fresh maximum matching each round gets stuck a round or two before the
//! n-1 horizon (what is left is, say, a 2-regular graph with an odd cycle). Edge-
//! colouring the remaining d-regular graph with d colours and taking one colour class
//! this round guarantees the rest stays factorable.
//!
//! The search is a randomised Kempe-chain walk: colour edges one by one; when an
//! edge's ends have no free colour in common, flip an alternating (a, b) path so one
//! appears. When that path closes on the edge itself (an odd cycle), first rotate the
//! free colour of one end with an (a, c) flip for another colour c and try again; only
//! if a few rotations fail, colour the edge anyway and evict the clashing edge (a
//! random walk step).
//!
//! Why the rotations: a walk that gets stuck is stuck on its last two uncoloured
//! edges. With one free colour at each of their four ends, every (a, b) path pairs
//! them up the same way, so evictions alone only move the two defects around (at
//! n = 462 a stuck walk ran 20 steps per edge without finishing, and one round spent
//! 1.1 s in restarts). An (a, c) flip at one end changes which paths exist, and one of
//! the few tried almost always frees the edge. A successful walk takes about 1.1
//! steps per edge, so a short step limit and a bounded number of attempts keep a round
//! fast even on a graph with no 1-factorization at all.

use rand::seq::SliceRandom;
use rand::Rng;

const NONE: u32 = u32::MAX;

/// Steps one walk may take, per edge: a successful walk needs about 1.1.
const STEPS_PER_EDGE: usize = 3;
/// (a, c) rotations tried on an edge whose (a, b) path closes, before an eviction.
const ROTATIONS: usize = 8;
/// Path edges all attempts together may walk, per edge of the graph: bounds the time
/// of a search that cannot succeed (a successful one walks a few dozen).
const WORK_PER_EDGE: usize = 200;

/// Colours the edges of a `d`-regular graph on `n` vertices with `d` colours so each
/// colour is a perfect matching. Returns each edge's colour, or `None` if the search
/// ran out of attempts or work.
pub(crate) fn factorize(
    n: usize,
    edges: &[(u32, u32)],
    d: usize,
    rng: &mut impl Rng,
    attempts: usize,
) -> Option<Vec<u8>> {
    if d == 0 || d > 32 || edges.len() != n * d / 2 {
        return None;
    }
    let mut walk = Walk::new(n, edges, d, WORK_PER_EDGE * edges.len() + 100_000);
    for _ in 0..attempts {
        if let Some(colours) = walk.attempt(rng, STEPS_PER_EDGE * edges.len() + 1000) {
            return Some(colours);
        }
        if walk.work_left == 0 {
            break;
        }
    }
    None
}

/// One colouring in progress.
struct Walk<'e> {
    edges: &'e [(u32, u32)],
    d: usize,
    full: u32,
    /// `at[v * d + c]`: the edge of colour c at v.
    at: Vec<u32>,
    colour: Vec<u8>,
    /// Colours used at each vertex, one bit each.
    used: Vec<u32>,
    path: Vec<u32>,
    /// Path edges that may still be walked, over all attempts.
    work_left: usize,
}

impl<'e> Walk<'e> {
    fn new(n: usize, edges: &'e [(u32, u32)], d: usize, work: usize) -> Self {
        Walk {
            edges,
            d,
            full: if d == 32 { u32::MAX } else { (1u32 << d) - 1 },
            at: vec![NONE; n * d],
            colour: vec![u8::MAX; edges.len()],
            used: vec![0; n],
            path: Vec::new(),
            work_left: work,
        }
    }

    fn attempt(&mut self, rng: &mut impl Rng, max_steps: usize) -> Option<Vec<u8>> {
        self.at.fill(NONE);
        self.colour.fill(u8::MAX);
        self.used.fill(0);
        let mut stack: Vec<u32> = (0..self.edges.len() as u32).collect();
        stack.shuffle(rng);
        let mut steps = 0usize;
        while let Some(e) = stack.pop() {
            steps += 1;
            if steps > max_steps || self.work_left == 0 {
                return None;
            }
            if self.try_colour(e, rng) {
                continue;
            }
            let mut coloured = false;
            for _ in 0..ROTATIONS {
                steps += 1;
                let (u, v) = self.edges[e as usize];
                let x = if rng.random_bool(0.5) { u } else { v };
                self.rotate(x, rng);
                if self.try_colour(e, rng) {
                    coloured = true;
                    break;
                }
            }
            if coloured {
                continue;
            }
            // Colour it anyway with a colour free at one end, and evict the edge of that
            // colour at the other end.
            let (u, v) = self.edges[e as usize];
            let (x, y) = if rng.random_bool(0.5) { (u, v) } else { (v, u) };
            let a = random_bit(self.free(x), rng);
            let f = self.at[y as usize * self.d + a as usize];
            self.unset(f);
            self.set(e, a);
            stack.push(f);
            // Occasionally pick a random uncoloured edge next, so the walk does not cycle.
            if stack.len() > 1 && rng.random_range(0..8) == 0 {
                let k = rng.random_range(0..stack.len());
                let last = stack.len() - 1;
                stack.swap(k, last);
            }
        }
        Some(self.colour.clone())
    }

    #[inline]
    fn free(&self, x: u32) -> u32 {
        self.full & !self.used[x as usize]
    }

    #[inline]
    fn other(&self, e: u32, x: u32) -> u32 {
        let (a, b) = self.edges[e as usize];
        if a == x {
            b
        } else {
            a
        }
    }

    fn set(&mut self, e: u32, c: u32) {
        let (x, y) = self.edges[e as usize];
        self.at[x as usize * self.d + c as usize] = e;
        self.at[y as usize * self.d + c as usize] = e;
        self.used[x as usize] |= 1 << c;
        self.used[y as usize] |= 1 << c;
        self.colour[e as usize] = c as u8;
    }

    fn unset(&mut self, e: u32) {
        let c = self.colour[e as usize] as u32;
        let (x, y) = self.edges[e as usize];
        self.at[x as usize * self.d + c as usize] = NONE;
        self.at[y as usize * self.d + c as usize] = NONE;
        self.used[x as usize] &= !(1 << c);
        self.used[y as usize] &= !(1 << c);
        self.colour[e as usize] = u8::MAX;
    }

    /// Walks the path that leaves `x` by its `first`-coloured edge and alternates
    /// `first` and `second`, into `self.path`; returns the vertex where it ends.
    fn walk(&mut self, x: u32, first: u32, second: u32) -> u32 {
        self.path.clear();
        let mut x = x;
        let mut c = first;
        loop {
            let f = self.at[x as usize * self.d + c as usize];
            if f == NONE {
                break;
            }
            self.path.push(f);
            x = self.other(f, x);
            c = if c == first { second } else { first };
        }
        self.work_left = self.work_left.saturating_sub(self.path.len() + 1);
        x
    }

    /// Swaps `first` and `second` on the walked path, which left its start by a
    /// `first` edge: a Kempe flip, so the colouring stays proper.
    fn flip(&mut self, first: u32, second: u32) {
        let path = std::mem::take(&mut self.path);
        for &f in &path {
            self.unset(f);
        }
        for (k, &f) in path.iter().enumerate() {
            self.set(f, if k % 2 == 0 { second } else { first });
        }
        self.path = path;
    }

    /// Colours `e` with a colour free at both ends, or after flipping an (a, b) path
    /// that makes one so; false when that path closes on `e` (nothing changed).
    fn try_colour(&mut self, e: u32, rng: &mut impl Rng) -> bool {
        let (u, v) = self.edges[e as usize];
        let (free_u, free_v) = (self.free(u), self.free(v));
        let common = free_u & free_v;
        if common != 0 {
            let c = random_bit(common, rng);
            self.set(e, c);
            return true;
        }
        // a is free at u but used at v; b is free at v but used at u.
        let a = random_bit(free_u, rng);
        let b = random_bit(free_v, rng);
        if self.walk(v, a, b) == u {
            return false;
        }
        // Flip the path: then a is free at v too.
        self.flip(a, b);
        self.set(e, a);
        true
    }

    /// Changes the colour free at `x`: for a free colour a and a used colour c, flips the
    /// (c, a) path that leaves `x` by its c edge, so c becomes free at `x` instead of a.
    fn rotate(&mut self, x: u32, rng: &mut impl Rng) {
        let free = self.free(x);
        let used = self.used[x as usize];
        if free == 0 || used == 0 {
            return;
        }
        let a = random_bit(free, rng);
        let c = random_bit(used, rng);
        self.walk(x, c, a);
        self.flip(c, a);
    }
}

fn random_bit(mask: u32, rng: &mut impl Rng) -> u32 {
    let count = mask.count_ones();
    let mut k = rng.random_range(0..count);
    let mut m = mask;
    loop {
        let bit = m.trailing_zeros();
        if k == 0 {
            return bit;
        }
        k -= 1;
        m &= m - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn check(n: usize, edges: &[(u32, u32)], d: usize, colours: &[u8]) {
        for c in 0..d as u8 {
            let mut seen = vec![false; n];
            for (e, &(a, b)) in edges.iter().enumerate() {
                if colours[e] == c {
                    assert!(!seen[a as usize] && !seen[b as usize]);
                    seen[a as usize] = true;
                    seen[b as usize] = true;
                }
            }
            assert!(seen.iter().all(|&s| s), "colour {c} is not perfect");
        }
    }

    #[test]
    fn factorizes_complete_graphs() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in (4..=20).step_by(2) {
            let mut edges = Vec::new();
            for a in 0..n as u32 {
                for b in a + 1..n as u32 {
                    edges.push((a, b));
                }
            }
            let colours = factorize(n, &edges, n - 1, &mut rng, 20).expect("K_n is 1-factorable");
            check(n, &edges, n - 1, &colours);
        }
    }

    #[test]
    fn refuses_a_graph_with_an_odd_cycle() {
        // Two disjoint triangles: 2-regular but not 1-factorable.
        let edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(factorize(6, &edges, 2, &mut rng, 3).is_none());
    }

    /// A d-regular graph that has a 1-factorization: d of the n-1 round-robin rounds of
    /// K_n (the circle method), chosen at random, on randomly relabelled vertices, with
    /// the edges in random order.
    fn union_of_matchings(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Vec<(u32, u32)> {
        let mut label: Vec<u32> = (0..n as u32).collect();
        label.shuffle(rng);
        let mut rounds: Vec<usize> = (0..n - 1).collect();
        rounds.shuffle(rng);
        let mut edges = Vec::new();
        for &r in &rounds[..d] {
            // Round r: n-1 against r, and i against j where i + j = 2r (mod n-1).
            let m = n - 1;
            let mut pair = |i: usize, j: usize| {
                let (a, b) = (label[i], label[j]);
                edges.push((a.min(b), a.max(b)));
            };
            pair(m, r);
            for k in 1..n / 2 {
                pair((r + k) % m, (r + m - k) % m);
            }
        }
        edges.shuffle(rng);
        edges
    }

    /// Regular graphs that have a 1-factorization, as planning meets them near the
    /// horizon (d <= 24, up to 1,000 members here), are factorized within the attempts
    /// `pairs.rs` allows.
    #[test]
    fn factorizes_unions_of_relabelled_round_robin_rounds() {
        let mut rng = ChaCha8Rng::seed_from_u64(466);
        for (n, d) in [
            (6, 3),
            (40, 2),
            (100, 3),
            (100, 7),
            (200, 24),
            (462, 24),
            (462, 18),
            (1000, 12),
        ] {
            for _ in 0..3 {
                let edges = union_of_matchings(n, d, &mut rng);
                let colours = factorize(n, &edges, d, &mut rng, 200)
                    .unwrap_or_else(|| panic!("n = {n}, d = {d}: no factorization found"));
                check(n, &edges, d, &colours);
            }
        }
    }

    /// A 4-regular graph on two odd components has no perfect matching at all: the
    /// search gives up (within its work bound) instead of running on.
    #[test]
    fn gives_up_on_a_regular_graph_with_odd_components() {
        // Circulants C(n; 1, 2) on 501 and 499 vertices.
        let mut edges = Vec::new();
        for (start, len) in [(0u32, 501u32), (501, 499)] {
            for k in 0..len {
                for step in [1, 2] {
                    let (a, b) = (start + k, start + (k + step) % len);
                    edges.push((a.min(b), a.max(b)));
                }
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        assert!(factorize(1000, &edges, 4, &mut rng, 200).is_none());
    }
}
