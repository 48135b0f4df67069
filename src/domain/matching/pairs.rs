//! Pairs (with one trio for an odd count): the heart of open mode.
//!
//! Small pools (up to `DENSE_LIMIT`):
//! 1. near the horizon, when the unmet graph is d-regular with small d, plan the
//!    remaining rounds as a 1-factorization and take its cheapest factor;
//! 2. otherwise a random greedy "pick someone unmet" (soft cost breaks ties), then
//!    Edmonds' blossom augmenting paths, so a repeat-free pairing is found whenever
//!    one exists;
//! 3. if none exists, raise a threshold on "last met" until a perfect matching
//!    exists, extending the unmet matching: the fewest repeats, of the oldest pairs.
//!
//! Large pools: the unmet graph is nearly complete, so a windowed greedy on soft cost,
//! a check of each pair against the history and random swaps repair the rare repeat.

use rand::Rng;

use super::context::{Pool, AVOID, DENSE_LIMIT, NEVER, REPEAT_COST};
use super::factor::factorize;

const NONE: u32 = u32::MAX;
/// How many unmet candidates the greedy compares on soft cost.
const WINDOW: usize = 8;
/// Plan the remaining rounds once each member has at most this many unmet partners.
const PLAN_DEGREE: usize = 10;

/// Groups of local indices, plus members that no group can take.
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    pub groups: Vec<Vec<usize>>,
    pub unplaced: Vec<usize>,
}

/// Pairs up `members` (local pool indices); an odd count gets one trio.
pub(crate) fn pair_up(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
    notes: &mut Vec<String>,
) -> Grouping {
    let mut out = Grouping::default();
    match members.len() {
        0 => return out,
        1 => {
            out.unplaced.push(members[0]);
            notes.push("only one member was available, so nobody was matched this round".into());
            return out;
        }
        _ => {}
    }
    let mut rest: Vec<usize> = members.to_vec();
    let mut trio: Option<[usize; 3]> = None;
    if members.len() % 2 == 1 {
        let t = choose_trio(pool, members);
        rest.retain(|x| !t.contains(x));
        trio = Some(t);
    }
    let (pairs, leftover, repeats) = if pool.has_levels() {
        pair_dense(pool, &rest, rng)
    } else {
        pair_sparse(pool, &rest, rng)
    };
    out.groups = pairs.into_iter().map(|(a, b)| vec![a, b]).collect();
    let mut repeats = repeats;
    if let Some(t) = trio {
        let cost = group_cost(pool, &t);
        if (REPEAT_COST..super::context::AVOID_COST).contains(&cost) {
            repeats += 1;
        }
        if cost >= super::context::AVOID_COST {
            // Every trio would break a do-not-match rule: pair two of them, seat the third.
            let (a, b, c) = (t[0], t[1], t[2]);
            let (pair, lone) = [(a, b, c), (a, c, b), (b, c, a)]
                .into_iter()
                .map(|(x, y, z)| ((x, y), z))
                .find(|((x, y), _)| pool.level(*x, *y) != AVOID)
                .unwrap_or(((a, b), c));
            if pool.level(pair.0, pair.1) != AVOID {
                out.groups.push(vec![pair.0, pair.1]);
                seat_leftovers(pool, &[lone], &mut out, notes);
            } else {
                seat_leftovers(pool, &t, &mut out, notes);
            }
        } else {
            out.groups.push(t.to_vec());
        }
    }
    if repeats > 0 {
        notes.push(format!(
            "{repeats} repeated pair(s): no repeat-free grouping was found, so the pairs that met longest ago meet again"
        ));
    }
    seat_leftovers(pool, &leftover, &mut out, notes);
    out
}

fn group_cost(pool: &Pool, g: &[usize]) -> i64 {
    let mut cost = 0;
    for (k, &a) in g.iter().enumerate() {
        for &b in &g[k + 1..] {
            cost += pool.pair_cost(a, b);
        }
    }
    cost
}

/// Members that no pair can take (every partner avoids them): join a group they avoid
/// nobody in (the smallest, then the cheapest), or stay unplaced.
pub(crate) fn seat_leftovers(
    pool: &Pool,
    leftover: &[usize],
    out: &mut Grouping,
    notes: &mut Vec<String>,
) {
    let mut seated = 0;
    let mut left = 0;
    for &x in leftover {
        let best = out
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.iter().all(|&y| pool.level(x, y) != AVOID))
            .min_by_key(|(_, g)| {
                (
                    g.len(),
                    g.iter().map(|&y| pool.pair_cost(x, y)).sum::<i64>(),
                )
            })
            .map(|(k, _)| k);
        match best {
            Some(k) => {
                out.groups[k].push(x);
                seated += 1;
            }
            None => {
                out.unplaced.push(x);
                left += 1;
            }
        }
    }
    if seated > 0 {
        notes.push(format!(
            "{seated} member(s) joined a bigger group because a do-not-match rule left them no partner"
        ));
    }
    if left > 0 {
        notes.push(format!(
            "{left} member(s) left unplaced: every possible group would break a do-not-match rule"
        ));
    }
}

/// Picks the trio: members with the fewest off-size seats first, mutually unmet if
/// possible, and (in small pools) such that the others can still pair without a
/// repeat. Why first: the extra seat must rotate fairly.
pub(crate) fn choose_trio(pool: &Pool, members: &[usize]) -> [usize; 3] {
    let sorted = by_off_size(pool, members);
    let dense = pool.has_levels();
    // Small pools try every unmet trio; large ones take the first, as the rest of a
    // large pool always pairs up.
    let limit = if !dense {
        1
    } else if members.len() <= 16 {
        usize::MAX
    } else {
        48
    };
    let reach = sorted.len().min(if dense { DENSE_LIMIT } else { 512 });
    let mut first: Option<[usize; 3]> = None;
    let mut tried = 0usize;
    for (xi, &x) in sorted.iter().take(reach.min(64)).enumerate() {
        for (yi, &y) in sorted.iter().enumerate().take(reach).skip(xi + 1) {
            if !pool.fresh(x, y) {
                continue;
            }
            for &z in sorted.iter().take(reach).skip(yi + 1) {
                if !(pool.fresh(x, z) && pool.fresh(y, z)) {
                    continue;
                }
                let t = [x, y, z];
                first.get_or_insert(t);
                if limit == 1 {
                    return t;
                }
                let rest: Vec<usize> = members.iter().copied().filter(|m| !t.contains(m)).collect();
                if pairs_without_repeat(pool, &rest) {
                    return t;
                }
                tried += 1;
                if tried >= limit {
                    return first.unwrap_or(t);
                }
            }
        }
    }
    if let Some(t) = first {
        return t;
    }
    // No repeat-free trio: the cheapest among the least-seated.
    let few = &sorted[..sorted.len().min(24)];
    let mut best = [few[0], few[1], few[2]];
    let mut best_cost = i64::MAX;
    for (i, &x) in few.iter().enumerate() {
        for (j, &y) in few.iter().enumerate().skip(i + 1) {
            for &z in few.iter().skip(j + 1) {
                let cost = group_cost(pool, &[x, y, z]);
                if cost < best_cost {
                    best_cost = cost;
                    best = [x, y, z];
                }
            }
        }
    }
    best
}

/// Whether `members` (an even count, small pool) can all pair with unmet partners.
fn pairs_without_repeat(pool: &Pool, members: &[usize]) -> bool {
    let k = members.len();
    let fresh = |a: usize, b: usize| pool.level(members[a], members[b]) == NEVER;
    let mut mate = vec![NONE; k];
    greedy_extend(&mut mate, fresh);
    Blossom::new(k).augment_all(&mut mate, fresh);
    mate.iter().all(|&m| m != NONE)
}

/// Members ordered by off-size seats (counting sort, stable: keeps the random order).
pub(crate) fn by_off_size(pool: &Pool, members: &[usize]) -> Vec<usize> {
    let max = members.iter().map(|&x| pool.off(x)).max().unwrap_or(0) as usize;
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); max.min(64) + 1];
    for &x in members {
        buckets[(pool.off(x) as usize).min(64)].push(x);
    }
    buckets.into_iter().flatten().collect()
}

/// Returns (pairs, members left unmatched, repeated pairs used).
fn pair_dense(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
) -> (Vec<(usize, usize)>, Vec<usize>, usize) {
    let k = members.len();
    let level = |a: usize, b: usize| pool.level(members[a], members[b]);

    if let Some(pairs) = plan_ahead(pool, members, rng) {
        return (pairs, Vec::new(), 0);
    }

    // Greedy on unmet pairs, soft cost deciding among a window of candidates (the
    // pool spread the largest institution evenly through the order).
    let mut mate = vec![NONE; k];
    let order = (0..k).map(|a| (a, a + 1));
    for (a, from) in order {
        if mate[a] != NONE {
            continue;
        }
        let mut best: Option<(usize, (i64, i64))> = None;
        let mut seen = 0;
        for b in from..k {
            if b == a || mate[b] != NONE || level(a, b) != NEVER {
                continue;
            }
            let key = pool.choice_key(members[a], members[b]);
            if best.is_none_or(|(_, k0)| key < k0) {
                best = Some((b, key));
            }
            seen += 1;
            if seen == WINDOW {
                break;
            }
        }
        if let Some((b, _)) = best {
            mate[a] = b as u32;
            mate[b] = a as u32;
        }
    }
    let mut blossom = Blossom::new(k);
    blossom.augment_all(&mut mate, |a, b| level(a, b) == NEVER);
    let matched = mate.iter().filter(|&&m| m != NONE).count();
    let mut repeats = 0;
    if matched < k {
        // The most any grouping can do, with repeats but without avoided pairs.
        let mut full = mate.clone();
        greedy_extend(&mut full, |a, b| level(a, b) != AVOID);
        blossom.augment_all(&mut full, |a, b| level(a, b) != AVOID);
        let target = full.iter().filter(|&&m| m != NONE).count();
        // The lowest "last met" threshold that reaches it.
        let mut levels: Vec<u16> = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                let l = level(a, b);
                if l != NEVER && l != AVOID {
                    levels.push(l);
                }
            }
        }
        levels.sort_unstable();
        levels.dedup();
        let try_level = |t: u16, blossom: &mut Blossom| {
            let mut m = mate.clone();
            greedy_extend(&mut m, |a, b| level(a, b) <= t);
            blossom.augment_all(&mut m, |a, b| level(a, b) <= t);
            m
        };
        let (mut lo, mut hi) = (0usize, levels.len());
        let mut best = full;
        while lo < hi {
            let mid = (lo + hi) / 2;
            let m = try_level(levels[mid], &mut blossom);
            if m.iter().filter(|&&x| x != NONE).count() == target {
                best = m;
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        mate = best;
    }
    let mut pairs = Vec::with_capacity(k / 2);
    let mut leftover = Vec::new();
    for a in 0..k {
        let b = mate[a];
        if b == NONE {
            leftover.push(members[a]);
        } else if (b as usize) > a {
            if level(a, b as usize) != NEVER {
                repeats += 1;
            }
            pairs.push((members[a], members[b as usize]));
        }
    }
    improve_pairs(pool, &mut pairs, rng, 64);
    (pairs, leftover, repeats)
}

/// Pairs free vertices directly where allowed: each such pair costs one repeat at most,
/// which is the least an augmenting path could do.
fn greedy_extend(mate: &mut [u32], allowed: impl Fn(usize, usize) -> bool) {
    let k = mate.len();
    for a in 0..k {
        if mate[a] != NONE {
            continue;
        }
        for b in a + 1..k {
            if mate[b] == NONE && allowed(a, b) {
                mate[a] = b as u32;
                mate[b] = a as u32;
                break;
            }
        }
    }
}

/// Near the horizon on a stable roster: if the unmet graph among `members` is
/// d-regular with small d, find a 1-factorization and return its cheapest factor.
fn plan_ahead(pool: &Pool, members: &[usize], rng: &mut impl Rng) -> Option<Vec<(usize, usize)>> {
    let k = members.len();
    if k < 2 || k % 2 == 1 {
        return None;
    }
    let mut degree = 0usize;
    for a in 0..k {
        let d = (0..k)
            .filter(|&b| b != a && pool.level(members[a], members[b]) == NEVER)
            .count();
        if a == 0 {
            degree = d;
        }
        if d != degree || d == 0 || d > PLAN_DEGREE {
            return None;
        }
    }
    let mut edges = Vec::with_capacity(k * degree / 2);
    for a in 0..k {
        for b in a + 1..k {
            if pool.level(members[a], members[b]) == NEVER {
                edges.push((a as u32, b as u32));
            }
        }
    }
    let colours = factorize(k, &edges, degree, rng, 200)?;
    // The factor with the lowest soft cost; the rest remain for later rounds.
    let mut cost = vec![0i64; degree];
    for (e, &(a, b)) in edges.iter().enumerate() {
        cost[colours[e] as usize] += pool.soft_cost(members[a as usize], members[b as usize]);
    }
    let best = (0..degree).min_by_key(|&c| cost[c])?;
    Some(
        edges
            .iter()
            .zip(&colours)
            .filter(|(_, &c)| c as usize == best)
            .map(|(&(a, b), _)| (members[a as usize], members[b as usize]))
            .collect(),
    )
}

/// Swaps partners between two pairs when that lowers the total cost (soft cost, or an
/// older repeat) and breaks no rule. `tries` other pairs are sampled per costly pair.
fn improve_pairs(pool: &Pool, pairs: &mut [(usize, usize)], rng: &mut impl Rng, tries: usize) {
    let n = pairs.len();
    if n < 2 {
        return;
    }
    for p in 0..n {
        let (a, b) = pairs[p];
        if pool.pair_cost(a, b) == 0 {
            continue;
        }
        for _ in 0..tries.min(4 * n) {
            let q = rng.random_range(0..n);
            if q == p {
                continue;
            }
            let (a, b) = pairs[p];
            let (c, d) = pairs[q];
            let before = pool.pair_cost(a, b) + pool.pair_cost(c, d);
            let x = pool.pair_cost(a, c) + pool.pair_cost(b, d);
            let y = pool.pair_cost(a, d) + pool.pair_cost(b, c);
            if x < before && x <= y {
                pairs[p] = (a, c);
                pairs[q] = (b, d);
            } else if y < before {
                pairs[p] = (a, d);
                pairs[q] = (b, c);
            }
            if pool.pair_cost(pairs[p].0, pairs[p].1) == 0 {
                break;
            }
        }
    }
}

/// The large-pool version: compares soft costs (local arrays, cheap) and asks the
/// history only about a swap that would help. Pairs are all repeat-free here.
fn improve_pairs_soft(pool: &Pool, pairs: &mut [(usize, usize)], rng: &mut impl Rng, tries: usize) {
    let n = pairs.len();
    if n < 2 {
        return;
    }
    for p in 0..n {
        let (a, b) = pairs[p];
        let here = pool.soft_cost(a, b);
        if here == 0 {
            continue;
        }
        for _ in 0..tries {
            let q = rng.random_range(0..n);
            if q == p {
                continue;
            }
            let (a, b) = pairs[p];
            let (c, d) = pairs[q];
            let before = pool.soft_cost(a, b) + pool.soft_cost(c, d);
            let x = pool.soft_cost(a, c) + pool.soft_cost(b, d);
            let y = pool.soft_cost(a, d) + pool.soft_cost(b, c);
            if x < before && x <= y && pool.fresh(a, c) && pool.fresh(b, d) {
                pairs[p] = (a, c);
                pairs[q] = (b, d);
            } else if y < before && pool.fresh(a, d) && pool.fresh(b, c) {
                pairs[p] = (a, d);
                pairs[q] = (b, c);
            }
            if pool.soft_cost(pairs[p].0, pairs[p].1) == 0 {
                break;
            }
        }
    }
}

/// Large pools: windowed greedy on soft cost, then check and repair against history.
fn pair_sparse(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
) -> (Vec<(usize, usize)>, Vec<usize>, usize) {
    let k = members.len();
    let mut taken = vec![false; k];
    let mut pairs = Vec::with_capacity(k / 2);
    let mut leftover = Vec::new();
    // Scan forward from each member over the next few free ones; the pool spread the
    // largest institution evenly through the order, so it always has others in view.
    for i in 0..k {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        let a = members[i];
        // (rank, position): the minimum is the best, earliest on a tie.
        let mut best = (u64::MAX, usize::MAX);
        let mut seen = 0;
        for (j, &free) in taken.iter().enumerate().skip(i + 1) {
            if free {
                continue;
            }
            best = best.min((pool.choice_rank(a, members[j]), j));
            seen += 1;
            if seen == WINDOW {
                break;
            }
        }
        if best.1 == usize::MAX {
            leftover.push(a);
        } else {
            taken[best.1] = true;
            pairs.push((a, members[best.1]));
        }
    }
    // Check every pair against history and avoid; repair the few that fail by swapping.
    let n = pairs.len();
    let mut repeats = 0;
    for p in 0..n {
        if let Some(&(ahead, _)) = pairs.get(p + 8) {
            pool.prefetch(ahead);
        }
        let (a, b) = pairs[p];
        if pool.fresh(a, b) {
            continue;
        }
        let mut fixed = false;
        for _ in 0..256 {
            let q = rng.random_range(0..n);
            if q == p {
                continue;
            }
            let (c, d) = pairs[q];
            if pool.fresh(a, c) && pool.fresh(b, d) {
                pairs[p] = (a, c);
                pairs[q] = (b, d);
                fixed = true;
                break;
            }
            if pool.fresh(a, d) && pool.fresh(b, c) {
                pairs[p] = (a, d);
                pairs[q] = (b, c);
                fixed = true;
                break;
            }
        }
        if !fixed {
            let (a, b) = pairs[p];
            if pool.level(a, b) == AVOID {
                // Keep the rule hard even if the swap search failed: split the pair.
                leftover.push(a);
                leftover.push(b);
                pairs[p] = (NONE as usize, NONE as usize);
            } else {
                repeats += 1;
            }
        }
    }
    pairs.retain(|&(a, _)| a != NONE as usize);
    improve_pairs_soft(pool, &mut pairs, rng, 0);
    (pairs, leftover, repeats)
}

/// Edmonds' blossom algorithm over an implicit graph given by `allowed`.
pub(crate) struct Blossom {
    base: Vec<u32>,
    parent: Vec<u32>,
    used: Vec<bool>,
    in_blossom: Vec<bool>,
    lca_mark: Vec<bool>,
    queue: Vec<u32>,
}

impl Blossom {
    pub fn new(n: usize) -> Self {
        Blossom {
            base: vec![0; n],
            parent: vec![NONE; n],
            used: vec![false; n],
            in_blossom: vec![false; n],
            lca_mark: vec![false; n],
            queue: Vec::with_capacity(n),
        }
    }

    /// Augments `mate` (NONE = free) until no augmenting path is left.
    pub fn augment_all(&mut self, mate: &mut [u32], allowed: impl Fn(usize, usize) -> bool) {
        for root in 0..mate.len() {
            if mate[root] == NONE {
                if let Some(end) = self.find_path(root, mate, &allowed) {
                    let mut v = end;
                    while v != NONE {
                        let pv = self.parent[v as usize];
                        let ppv = mate[pv as usize];
                        mate[v as usize] = pv;
                        mate[pv as usize] = v;
                        v = ppv;
                    }
                }
            }
        }
    }

    fn find_path(
        &mut self,
        root: usize,
        mate: &[u32],
        allowed: &impl Fn(usize, usize) -> bool,
    ) -> Option<u32> {
        let n = mate.len();
        self.used.fill(false);
        self.parent.fill(NONE);
        for (i, b) in self.base.iter_mut().enumerate() {
            *b = i as u32;
        }
        self.used[root] = true;
        self.queue.clear();
        self.queue.push(root as u32);
        let mut head = 0;
        while head < self.queue.len() {
            let v = self.queue[head] as usize;
            head += 1;
            for to in 0..n {
                if to == v
                    || self.base[v] == self.base[to]
                    || mate[v] == to as u32
                    || !allowed(v, to)
                {
                    continue;
                }
                if to == root || (mate[to] != NONE && self.parent[mate[to] as usize] != NONE) {
                    let cur = self.lca(v as u32, to as u32, mate, root as u32);
                    self.in_blossom.fill(false);
                    self.mark_path(v as u32, cur, to as u32, mate);
                    self.mark_path(to as u32, cur, v as u32, mate);
                    for i in 0..n {
                        if self.in_blossom[self.base[i] as usize] {
                            self.base[i] = cur;
                            if !self.used[i] {
                                self.used[i] = true;
                                self.queue.push(i as u32);
                            }
                        }
                    }
                } else if self.parent[to] == NONE {
                    self.parent[to] = v as u32;
                    if mate[to] == NONE {
                        return Some(to as u32);
                    }
                    let next = mate[to];
                    self.used[next as usize] = true;
                    self.queue.push(next);
                }
            }
        }
        None
    }

    fn lca(&mut self, mut a: u32, mut b: u32, mate: &[u32], root: u32) -> u32 {
        self.lca_mark.fill(false);
        loop {
            a = self.base[a as usize];
            self.lca_mark[a as usize] = true;
            if mate[a as usize] == NONE || a == root {
                break;
            }
            a = self.parent[mate[a as usize] as usize];
        }
        loop {
            b = self.base[b as usize];
            if self.lca_mark[b as usize] {
                return b;
            }
            b = self.parent[mate[b as usize] as usize];
        }
    }

    fn mark_path(&mut self, mut v: u32, b: u32, mut child: u32, mate: &[u32]) {
        while self.base[v as usize] != b {
            let mv = mate[v as usize];
            self.in_blossom[self.base[v as usize] as usize] = true;
            self.in_blossom[self.base[mv as usize] as usize] = true;
            self.parent[v as usize] = child;
            child = mv;
            v = self.parent[mv as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blossom_finds_a_perfect_matching_through_an_odd_cycle() {
        // A 5-cycle 0-1-2-3-4 plus a pendant 5 attached to 0, and 6-7 attached to 2.
        let edges = [
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (4, 0),
            (0, 5),
            (2, 6),
            (6, 7),
        ];
        let allowed = |a: usize, b: usize| {
            edges
                .iter()
                .any(|&(x, y)| (x, y) == (a, b) || (y, x) == (a, b))
        };
        let mut mate = vec![NONE; 8];
        // A bad start: 0-1 and 2-3 block the obvious answer.
        mate[0] = 1;
        mate[1] = 0;
        mate[3] = 4;
        mate[4] = 3;
        Blossom::new(8).augment_all(&mut mate, allowed);
        assert!(mate.iter().all(|&m| m != NONE), "{mate:?}");
    }
}
