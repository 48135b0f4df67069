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

use super::blossom::{Blossom, NONE};
use super::context::{
    soft_cost, Level, Pool, Soft, AVOID, AVOID_COST, DENSE_LIMIT, NEVER, REPEAT_COST,
    SAME_INSTITUTION, SOFT_AVOID,
};
use super::factor::factorize;
use super::grouping::Grouping;

/// How many unmet candidates the greedy compares on soft cost.
const WINDOW: usize = 8;
/// Plan the remaining rounds once each member has at most this many unmet partners.
/// Why this early: rounds before planning favour soft preferences, so the pairs left
/// unmet are not random. By 10 unmet partners that graph can already have no
/// 1-factorization (about 1 run in 10 at n = 466 had repeats when planning began at
/// 10); at 24 it still looks random and the search succeeds.
const PLAN_DEGREE: usize = 24;

/// Pairs up `members` (local pool indices); an odd count gets one trio.
pub(crate) fn pair_up(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
    notes: &mut Vec<String>,
) -> Grouping {
    let mut out = Grouping::default();
    pair_up_into(pool, members, rng, notes, &mut out, &mut Vec::new());
    out
}

/// [`pair_up`] into an empty `out` whose memory is reused; `rest` is work space.
pub(crate) fn pair_up_into(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
    notes: &mut Vec<String>,
    out: &mut Grouping,
    rest: &mut Vec<usize>,
) {
    match members.len() {
        0 => return,
        1 => {
            out.unplaced.push(members[0]);
            notes.push("only one member was available, so nobody was matched this round".into());
            return;
        }
        _ => {}
    }
    let mut trio: Option<[usize; 3]> = None;
    let rest: &[usize] = if members.len() % 2 == 1 {
        let t = choose_trio(pool, members);
        rest.clear();
        rest.extend(members.iter().copied().filter(|x| !t.contains(x)));
        trio = Some(t);
        rest
    } else {
        members
    };
    let mut leftover = Vec::new();
    let repeats = if pool.has_levels() {
        let (pairs, left, repeats) = pair_dense(pool, rest, rng);
        out.pairs.extend(pairs);
        leftover = left;
        repeats
    } else {
        pair_sparse(pool, rest, rng, &mut out.pairs, &mut leftover)
    };
    let mut repeats = repeats;
    if let Some(t) = trio {
        let cost = group_cost(pool, &t);
        if (REPEAT_COST..AVOID_COST).contains(&cost) {
            repeats += 1;
        }
        if cost >= AVOID_COST {
            // Every trio would break a do-not-match rule: pair two of them, seat the third.
            let (a, b, c) = (t[0], t[1], t[2]);
            let (pair, lone) = [(a, b, c), (a, c, b), (b, c, a)]
                .into_iter()
                .map(|(x, y, z)| ((x, y), z))
                .find(|((x, y), _)| pool.level(*x, *y) != AVOID)
                .unwrap_or(((a, b), c));
            if pool.level(pair.0, pair.1) != AVOID {
                out.pairs.push(pair);
                seat_leftovers(pool, &[lone], out, notes);
            } else {
                seat_leftovers(pool, &t, out, notes);
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
    seat_leftovers(pool, &leftover, out, notes);
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
        let fits = |g: &[usize]| g.iter().all(|&y| pool.level(x, y) != AVOID);
        let key = |g: &[usize]| {
            (
                g.len(),
                g.iter().map(|&y| pool.pair_cost(x, y)).sum::<i64>(),
            )
        };
        // Pairs first (the smallest groups), then the others; the first best wins.
        let mut best: Option<((usize, i64), bool, usize)> = None;
        for (k, &(a, b)) in out.pairs.iter().enumerate() {
            if fits(&[a, b]) && best.is_none_or(|(b0, _, _)| key(&[a, b]) < b0) {
                best = Some((key(&[a, b]), true, k));
            }
        }
        for (k, g) in out.groups.iter().enumerate() {
            if fits(g) && best.is_none_or(|(b0, _, _)| key(g) < b0) {
                best = Some((key(g), false, k));
            }
        }
        match best {
            Some((_, true, k)) => {
                let (a, b) = out.pairs.remove(k);
                out.groups.push(vec![a, b, x]);
                seated += 1;
            }
            Some((_, false, k)) => {
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
/// repeat. Why first: the extra seat must rotate fairly. In a small pool with "Not a
/// fit" answers, a trio that keeps every such pair apart, inside it and among the
/// others, comes before all that.
pub(crate) fn choose_trio(pool: &Pool, members: &[usize]) -> [usize; 3] {
    let trio = trio_by_repeats(pool, members);
    if pool.has_soft_avoids() && pool.has_levels() && members.len() <= SOFT_TRIO_SEARCH {
        return trio_keeping_soft_avoids_apart(pool, members, trio).unwrap_or(trio);
    }
    trio
}

/// Pools up to this size search every trio for one that keeps "Not a fit" pairs apart.
const SOFT_TRIO_SEARCH: usize = 16;

/// `trio` if it keeps every soft-avoided pair apart (inside it and among the others);
/// otherwise the trio that does, with the fewest off-size seats, then the cheapest;
/// `None` when no trio can.
fn trio_keeping_soft_avoids_apart(
    pool: &Pool,
    members: &[usize],
    trio: [usize; 3],
) -> Option<[usize; 3]> {
    let below_soft = |l: Level| l < SOFT_AVOID;
    let keeps_apart = |t: &[usize; 3]| {
        below_soft(pool.level(t[0], t[1]))
            && below_soft(pool.level(t[0], t[2]))
            && below_soft(pool.level(t[1], t[2]))
            && {
                let rest: Vec<usize> = members.iter().copied().filter(|m| !t.contains(m)).collect();
                pairs_within(pool, &rest, below_soft)
            }
    };
    if keeps_apart(&trio) {
        return Some(trio);
    }
    let sorted = by_off_size(pool, members);
    let mut best: Option<((u32, i64), [usize; 3])> = None;
    for (i, &x) in sorted.iter().enumerate() {
        for (j, &y) in sorted.iter().enumerate().skip(i + 1) {
            for &z in sorted.iter().skip(j + 1) {
                let t = [x, y, z];
                let key = (
                    t.iter().map(|&m| u32::from(pool.off(m))).sum(),
                    group_cost(pool, &t),
                );
                if best.is_none_or(|(b, _)| key < b) && keeps_apart(&t) {
                    best = Some((key, t));
                }
            }
        }
    }
    best.map(|(_, t)| t)
}

/// The trio by off-size seats and repeats alone.
fn trio_by_repeats(pool: &Pool, members: &[usize]) -> [usize; 3] {
    let dense = pool.has_levels();
    let sorted = if dense {
        by_off_size(pool, members)
    } else {
        least_seated(pool, members, 512)
    };
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
    pairs_within(pool, members, |l| l == NEVER)
}

/// Whether `members` (an even count, small pool) can all pair using only pairs whose
/// level is `allowed`.
fn pairs_within(pool: &Pool, members: &[usize], allowed: impl Fn(Level) -> bool) -> bool {
    let k = members.len();
    let ok = |a: usize, b: usize| allowed(pool.level(members[a], members[b]));
    let mut mate = vec![NONE; k];
    greedy_extend(&mut mate, ok);
    Blossom::new(k).augment_all(&mut mate, ok);
    mate.iter().all(|&m| m != NONE)
}

/// The first `count` members of [`by_off_size`]'s order, without sorting everyone.
fn least_seated(pool: &Pool, members: &[usize], count: usize) -> Vec<usize> {
    const LEVELS: usize = 65;
    let mut histogram = [0usize; LEVELS];
    for &x in members {
        histogram[(pool.off(x) as usize).min(LEVELS - 1)] += 1;
    }
    // The highest level needed to have `count` members.
    let mut top = 0;
    let mut have = 0;
    while top < LEVELS - 1 && have + histogram[top] < count {
        have += histogram[top];
        top += 1;
    }
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); top + 1];
    for &x in members {
        let level = (pool.off(x) as usize).min(LEVELS - 1);
        if level <= top && buckets[level].len() < count {
            buckets[level].push(x);
        }
    }
    let mut out: Vec<usize> = buckets.into_iter().flatten().collect();
    out.truncate(count);
    out
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

/// Large pools: windowed greedy on soft cost, then check and repair against history.
/// Appends to `pairs` and `leftover`; returns the repeated pairs used.
fn pair_sparse(
    pool: &Pool,
    members: &[usize],
    rng: &mut impl Rng,
    pairs: &mut Vec<(usize, usize)>,
    leftover: &mut Vec<usize>,
) -> usize {
    let k = members.len();
    let start = pairs.len();
    // Each member in order pairs with the best of the next `WINDOW` unpaired ones; the
    // pool spread the largest institution evenly through the order, so it always has
    // others in view. `window` holds the next `WINDOW + 1` unpaired members (the member
    // to pair is the earliest of them) with their soft attributes, so each step compares
    // a few values side by side without branches. Slots are unordered: the position in
    // the order is part of each key, so ties still go to the earliest, as in a scan.
    const SLOTS: usize = WINDOW + 1;
    // Lanes padded to a multiple of four (vector width); padding lanes stay empty.
    const LANES: usize = SLOTS.div_ceil(4) * 4;
    const EMPTY: u64 = u64::MAX;
    let (rules, counts) = (pool.rules, pool.inst_counts());
    let mut position = [EMPTY; SLOTS];
    let mut inst = [0u32; LANES];
    let mut hours_modality = [0u32; LANES];
    let mut interests = [0u32; LANES];
    // The part of each slot's key that does not depend on the member being paired:
    // the scarcer institution first, then the earliest position; EMPTY for no member.
    let mut base = [EMPTY; LANES];
    let mut next = 0usize;
    let mut fill = |t: usize,
                    position: &mut [u64; SLOTS],
                    inst: &mut [u32; LANES],
                    hours_modality: &mut [u32; LANES],
                    interests: &mut [u32; LANES],
                    base: &mut [u64; LANES]| {
        if next < k {
            let s = pool.soft_of(members[next]);
            let count = counts[s.inst()].min(0xFF_FFFF) as u64;
            position[t] = next as u64;
            inst[t] = s.inst() as u32;
            hours_modality[t] = s.hours_modality();
            interests[t] = s.interests();
            base[t] = (0xFF_FFFF - count) << 28 | (next as u64 & 0xFF_FFFF) << 4 | t as u64;
            next += 1;
        } else {
            position[t] = EMPTY;
            base[t] = EMPTY;
        }
    };
    for t in 0..SLOTS {
        fill(
            t,
            &mut position,
            &mut inst,
            &mut hours_modality,
            &mut interests,
            &mut base,
        );
    }
    loop {
        // The earliest member: the slot number sits in the low bits of the minimum.
        let first = (0..SLOTS)
            .map(|t| position[t].min(EMPTY >> 4) << 4 | t as u64)
            .min()
            .unwrap_or(EMPTY);
        let ta = (first & 15) as usize;
        if position[ta] == EMPTY {
            break;
        }
        // Its best partner: soft cost, then the scarcer institution, then the earliest.
        base[ta] = EMPTY;
        let a_soft = Soft {
            inst: inst[ta],
            hours_modality: hours_modality[ta],
            interests: interests[ta],
        };
        let mut cost = [0u32; LANES];
        for t in 0..LANES {
            let b = Soft {
                inst: inst[t],
                hours_modality: hours_modality[t],
                interests: interests[t],
            };
            cost[t] = soft_cost(rules, a_soft, b);
        }
        let mut best = EMPTY;
        for t in 0..LANES {
            best = best.min((cost[t] as u64) << 52 | base[t]);
        }
        let a = members[position[ta] as usize];
        if best == EMPTY {
            leftover.push(a);
            break;
        }
        let tb = (best & 15) as usize;
        pairs.push((a, members[position[tb] as usize]));
        for t in [ta, tb] {
            fill(
                t,
                &mut position,
                &mut inst,
                &mut hours_modality,
                &mut interests,
                &mut base,
            );
        }
    }
    if rules.interest > 0 && rules.cross && counts.len() > 1 {
        improve_near(pool, &mut pairs[start..]);
    }
    // Check every pair against history and avoid; repair the few that fail by swapping.
    // Far enough ahead that the filter arrives before it is needed (a check takes a
    // few nanoseconds, a trip to memory a hundred or more).
    const AHEAD: usize = 32;
    let all = &mut *pairs;
    let pairs = &mut all[start..];
    let n = pairs.len();
    let mut repeats = 0;
    for p in 0..n {
        if let Some(&(c, _)) = pairs.get(p + AHEAD) {
            // The first member's filter rules out almost every pair on its own.
            pool.prefetch(c);
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
    let mut k = start;
    all.retain(|&(a, _)| {
        k += 1;
        k <= start || a != NONE as usize
    });
    repeats
}

/// Large pools with interests, institutions and cross-institution on: swaps partners between each
/// pair and the next few made after it when that lowers the soft cost. Why: with one
/// big institution, the greedy's window often holds a single member of another
/// institution, so that choice ignores interests (measured once while writing this:
/// 3,000 members, half in one of two institutions, one tag of four each, strong: 27%
/// of pairs shared a tag, where a shuffle gets 25%; with this pass 67%). Pairs made
/// one after another can still trade partners. Without cross-institution the window
/// has its full choice and the pass adds little (92% to 93% there), so it does not run. Only soft attributes are read, and pairs made close
/// together in the scan order have their members close together in memory; the
/// history check that follows catches a swap that made a repeat.
fn improve_near(pool: &Pool, pairs: &mut [(usize, usize)]) {
    const NEAR: usize = 4;
    // A swap never adds a same-institution pair, even where the other preferences of
    // both pairs together would pay for it: institution stays above interests. With
    // cross-institution on, a pair is same-institution exactly when its soft cost is
    // 8 or more (everything else adds up to at most 7).
    let same = |cost: i64| (cost >= SAME_INSTITUTION) as u32;
    let n = pairs.len();
    for p in 0..n {
        let (a, b) = pairs[p];
        let ab = pool.soft_cost(a, b);
        if ab == 0 {
            continue;
        }
        for q in p + 1..(p + 1 + NEAR).min(n) {
            let (c, d) = pairs[q];
            let cd = pool.soft_cost(c, d);
            let before = ab + cd;
            let same_before = same(ab) + same(cd);
            let (ac, bd) = (pool.soft_cost(a, c), pool.soft_cost(b, d));
            let (ad, bc) = (pool.soft_cost(a, d), pool.soft_cost(b, c));
            let x = if same(ac) + same(bd) > same_before {
                i64::MAX
            } else {
                ac + bd
            };
            let y = if same(ad) + same(bc) > same_before {
                i64::MAX
            } else {
                ad + bc
            };
            if x < before && x <= y {
                pairs[p] = (a, c);
                pairs[q] = (b, d);
                break;
            }
            if y < before {
                pairs[p] = (a, d);
                pairs[q] = (b, c);
                break;
            }
        }
    }
}
