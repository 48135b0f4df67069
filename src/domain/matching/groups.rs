//! Groups of 3-4 (open mode with a bigger group size, and peer circles).
//!
//! A greedy pass builds groups of mutually unmet members, then a local search swaps
//! members between groups to remove repeated pairs (and, second, soft-preference
//! cost), with sideways moves to get off plateaus. When the count does not divide,
//! the leftover shape is chosen to add the fewest pair meetings (two pairs rather than
//! a group of four, for circles of three), since fewer meetings mean fewer repeats.

use rand::Rng;

use super::context::{
    Pool, PoolBuffers, AVOID, AVOID_COST, MAX_SOFT_COST, REPEAT_COST, SOFT_AVOID, SOFT_AVOID_COST,
};
use super::design::{design_for, plan_order, Design, PLAN_MEMBERS};
use super::grouping::Grouping;
use super::history::usual_group_size;
use super::history::History;
use super::input::{AvoidList, Candidate, MatchSettings};
use super::pairs::{by_off_size, pair_up, pair_up_into, seat_leftovers};
use super::sink::Sink;

/// Greedy candidates compared per seat in large pools.
const WINDOW: usize = 8;

/// Matches every available member `in_roster` selects from `members` into groups of
/// `size` (2-4) and appends them to `sink`. The roster (available or not) labels a
/// small pool's planned year of circles.
#[allow(clippy::too_many_arguments)]
pub(crate) fn match_everyone(
    members: &[Candidate],
    in_roster: impl Fn(&Candidate) -> bool,
    history: &History,
    avoid: &AvoidList,
    settings: &MatchSettings,
    size: usize,
    rng: &mut impl Rng,
    sink: &mut Sink,
    bufs: PoolBuffers,
) -> PoolBuffers {
    let mut bufs = bufs;
    let mut work = std::mem::take(&mut bufs.work);
    let pool = Pool::new(
        members,
        |c| c.available && in_roster(c),
        history,
        avoid,
        settings.cross_institution,
        settings.interest_weight,
        rng,
        bufs,
    );
    if pool.len() == 0 {
        let mut bufs = pool.release();
        bufs.work = work;
        return bufs;
    }
    work.grouping.clear();
    if size == 2 {
        pair_up_into(
            &pool,
            pool.order(),
            rng,
            &mut sink.out.compromises,
            &mut work.grouping,
            &mut work.rest,
        );
    } else {
        let roster = || members.iter().filter(|c| in_roster(c)).map(|c| c.id);
        work.grouping = planned_or_circles(
            &pool,
            roster,
            settings.plan_seed,
            size,
            rng,
            &mut sink.out.compromises,
        );
    }
    emit(&pool, &work.grouping, sink);
    let mut bufs = pool.release();
    bufs.work = work;
    bufs
}

/// Turns local indices into ids on the outcome.
pub(crate) fn emit(pool: &Pool, grouping: &Grouping, sink: &mut Sink) {
    for &(a, b) in &grouping.pairs {
        sink.push_pair(pool, a, b);
    }
    for g in &grouping.groups {
        sink.push(pool, g);
    }
    sink.out
        .unplaced
        .extend(grouping.unplaced.iter().map(|&i| pool.id(i)));
}

/// The group sizes for `k` members in groups of `size`, adding the fewest pair
/// meetings when `k` does not divide evenly.
pub fn group_sizes(k: usize, size: usize) -> Vec<usize> {
    if k < 2 {
        return Vec::new();
    }
    if k <= size {
        return vec![k];
    }
    let (q, r) = (k / size, k % size);
    let mut sizes = vec![size; q];
    match (size, r) {
        (_, 0) => {}
        (2, _) => {
            sizes.pop();
            sizes.push(3);
        }
        (3, 1) => {
            // Two pairs (1 meeting less than a trio each) beat one group of four.
            sizes.pop();
            sizes.extend([2, 2]);
        }
        (3, 2) => sizes.push(2),
        (4, 1) => {
            if q >= 2 {
                sizes.truncate(q - 2);
                sizes.extend([3, 3, 3]);
            } else {
                sizes = vec![3, 2];
            }
        }
        (4, 2) => {
            sizes.pop();
            sizes.extend([3, 3]);
        }
        (4, 3) => sizes.push(3),
        _ => {
            sizes.push(r);
        }
    }
    sizes
}

/// Builds groups of `size` (3 or 4) from `members`.
pub(crate) fn circles(
    pool: &Pool,
    members: &[usize],
    size: usize,
    rng: &mut impl Rng,
    notes: &mut Vec<String>,
) -> Grouping {
    let k = members.len();
    let mut out = Grouping::default();
    if k == 0 {
        return out;
    }
    if k == 1 {
        out.unplaced.push(members[0]);
        notes.push("only one member was available, so nobody was matched this round".into());
        return out;
    }
    let mut sizes = group_sizes(k, size);
    // "Off-size" as History counts it: not the round's most common size. With 7 members
    // in circles of 3 (a trio and two pairs) that is the trio, not the pairs.
    let usual = usual_group_size(sizes.iter().copied());
    // Off-size groups first, so they get the members with the fewest off-size seats.
    sizes.sort_by_key(|&s| s == usual);
    let off_order = by_off_size(pool, members);
    let dense = pool.has_levels();
    let mut taken = vec![false; pool.len()];
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(sizes.len());
    let mut cursor = 0usize; // next untaken member in the random order
    let mut off_cursor = 0usize;
    for &target in &sizes {
        let seed = if target != usual {
            while taken[off_order[off_cursor]] {
                off_cursor += 1;
            }
            off_order[off_cursor]
        } else {
            while taken[members[cursor]] {
                cursor += 1;
            }
            members[cursor]
        };
        taken[seed] = true;
        let mut group = vec![seed];
        while group.len() < target {
            let pick = pick_member(
                pool,
                members,
                &taken,
                &group,
                cursor,
                dense,
                target != usual,
                &off_order,
            );
            taken[pick] = true;
            group.push(pick);
        }
        groups.push(group);
    }
    let budget = if dense { 60 * k + 2000 } else { 4 * k };
    if has_soft_avoid(pool, &groups) {
        // First keep "Not a fit" pairs apart, free to trade repeats and fairness seats
        // on the way: the full search below never takes a move that adds one, but it
        // cannot cross the plateaus of moves that only swap one for another.
        let avoids = |a, b| avoids_only(pool, a, b);
        repair(pool, &mut groups, usual, rng, budget, dense, avoids, 0);
        // Swaps can be stuck where every one adds a pair for each it removes: a small
        // pool is searched outright for groups of the same sizes without any.
        if k <= APART_SEARCH_MEMBERS && has_soft_avoid(pool, &groups) {
            if let Some(apart) = groups_keeping_avoids_apart(pool, &groups) {
                groups = apart;
            }
        }
    }
    let cost = repair(
        pool,
        &mut groups,
        usual,
        rng,
        budget,
        dense,
        |a, b| pool.pair_cost(a, b),
        FAIRNESS,
    );
    let repeats: usize = groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            if !dense {
                prefetch_group(pool, groups.get(k + AHEAD));
            }
            let mut r = 0;
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    let c = pool.pair_cost(a, b);
                    if (REPEAT_COST..AVOID_COST).contains(&c) {
                        r += 1;
                    }
                }
            }
            r
        })
        .sum();
    if repeats > 0 {
        notes.push(format!(
            "{repeats} repeated pair(s): no repeat-free grouping was found, so pairs that met long ago meet again"
        ));
    }
    // A do-not-match rule the search could not satisfy: take the member out.
    let mut leftover = Vec::new();
    if cost >= AVOID_COST {
        for g in groups.iter_mut() {
            while let Some(x) = worst_avoider(pool, g) {
                g.retain(|&y| y != x);
                leftover.push(x);
            }
        }
        groups.retain(|g| !g.is_empty());
        // A lone member left by the removal joins another group or waits.
        let lone: Vec<usize> = groups
            .iter()
            .filter(|g| g.len() == 1)
            .map(|g| g[0])
            .collect();
        groups.retain(|g| g.len() > 1);
        leftover.extend(lone);
    }
    out.groups = groups;
    if !leftover.is_empty() {
        // Try pairing the leftovers among themselves first.
        let mut sub = pair_up(pool, &leftover, rng, notes);
        out.groups.append(&mut sub.groups);
        out.pairs.append(&mut sub.pairs);
        seat_leftovers(pool, &sub.unplaced, &mut out, notes);
    }
    out
}

/// Circles of 3 for a small roster from its planned year (see [`super::design`]) when
/// one exists, else [`circles`]. The plan's round with the lowest cost against the
/// history is projected onto the available members, its holes filled and repaired by
/// the local search; it is kept when it has no more avoided, "Not a fit" or repeated
/// pairs (weighted by recency) than today's search finds, so the plan never costs a
/// repeat this round for the ones it saves later.
pub(crate) fn planned_or_circles<I: Iterator<Item = u64>>(
    pool: &Pool,
    roster: impl Fn() -> I,
    plan_seed: u64,
    size: usize,
    rng: &mut impl Rng,
    notes: &mut Vec<String>,
) -> Grouping {
    let k = pool.len();
    let roster_size = if size == 3 && pool.has_levels() && PLAN_MEMBERS.contains(&k) {
        roster().count()
    } else {
        0
    };
    let design = PLAN_MEMBERS
        .contains(&roster_size)
        .then(|| design_for(&group_sizes(roster_size, size)))
        .flatten();
    let Some(design) = design else {
        return circles(pool, pool.order(), size, rng, notes);
    };
    let mut ids: Vec<u64> = roster().collect();
    plan_order(&mut ids, plan_seed);
    let Some(planned) = planned_round(pool, &design, &ids, size, rng) else {
        return circles(pool, pool.order(), size, rng, notes);
    };
    let planned_cost = above_soft(pool, &planned);
    if planned_cost == 0 {
        return Grouping {
            groups: planned,
            ..Grouping::default()
        };
    }
    let mut today_notes = Vec::new();
    let today = circles(pool, pool.order(), size, rng, &mut today_notes);
    let today_groups: Vec<Vec<usize>> = today
        .groups
        .iter()
        .cloned()
        .chain(today.pairs.iter().map(|&(a, b)| vec![a, b]))
        .collect();
    if planned_cost >= AVOID_COST
        || !today.unplaced.is_empty()
        || planned_cost > above_soft(pool, &today_groups)
    {
        notes.append(&mut today_notes);
        return today;
    }
    let repeats = repeated_pairs(pool, &planned);
    if repeats > 0 {
        notes.push(format!(
            "{repeats} repeated pair(s): no repeat-free grouping was found, so pairs that met long ago meet again"
        ));
    }
    Grouping {
        groups: planned,
        ..Grouping::default()
    }
}

/// The plan's cheapest round against the history, on the available members, in the
/// shape of this round, repaired; `None` when even that round repeats more pairs than
/// it meets new ones (the plan's cycle is spent, and today's search is as good).
fn planned_round(
    pool: &Pool,
    design: &Design,
    ids: &[u64],
    size: usize,
    rng: &mut impl Rng,
) -> Option<Vec<Vec<usize>>> {
    // Local index of each of the plan's points; unavailable members are holes.
    let mut local_of: Vec<(u64, usize)> = (0..pool.len()).map(|i| (pool.id(i), i)).collect();
    local_of.sort_unstable();
    let point_local: Vec<Option<usize>> = ids
        .iter()
        .map(|id| {
            local_of
                .binary_search_by_key(id, |&(x, _)| x)
                .ok()
                .map(|at| local_of[at].1)
        })
        .collect();
    let project = |t: usize| -> Vec<Vec<usize>> {
        design
            .class(t)
            .map(|block| block.filter_map(|p| point_local[p]).collect::<Vec<usize>>())
            .filter(|g| !g.is_empty())
            .collect()
    };
    let mut sizes = group_sizes(pool.len(), size);
    let usual = usual_group_size(sizes.iter().copied());
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    // Each round as it would be fitted, priced with its real off-size seats: among
    // rounds that repeat nothing, the one whose off-size seats go to the members with
    // the fewest.
    let fitted_cost = |groups: &[Vec<usize>]| -> i64 {
        groups
            .iter()
            .map(|g| cost_of(pool, g, usual, |a, b| pool.pair_cost(a, b), FAIRNESS))
            .sum()
    };
    let (best_class, mut groups) = (0..design.classes())
        .map(|t| (t, fit_to_shape(pool, project(t), &sizes, usual)))
        .min_by_key(|(_, groups)| fitted_cost(groups))?;
    let projected = project(best_class);
    let repeats = repeated_pairs(pool, &projected);
    let pairs: usize = projected.iter().map(|g| g.len() * (g.len() - 1) / 2).sum();
    if 2 * repeats > pairs {
        return None;
    }
    let budget = 60 * pool.len() + 2000;
    repair(
        pool,
        &mut groups,
        usual,
        rng,
        budget,
        true,
        |a, b| pool.pair_cost(a, b),
        FAIRNESS,
    );
    Some(groups)
}

/// The pieces of a planned round (its groups, less the members away) fitted into this
/// round's `sizes` (largest first): the largest pieces take the largest groups, and
/// what is cut off, or left over, fills the holes, cheapest first. Which of several
/// equal pieces become the off-size groups costs no repeat either way, so those seats
/// go to the members with the fewest (the off-size groups are the smallest here: the
/// plan is for circles of 3 from 12 members up, so pairs).
fn fit_to_shape(
    pool: &Pool,
    mut pieces: Vec<Vec<usize>>,
    sizes: &[usize],
    usual: usize,
) -> Vec<Vec<usize>> {
    let seats = |g: &[usize]| {
        let most = g.iter().map(|&x| pool.off(x)).max().unwrap_or(0);
        let total: u32 = g.iter().map(|&x| u32::from(pool.off(x))).sum();
        (most, total)
    };
    // Equal pieces with the most seats first: the last ones reach the off-size groups.
    pieces.sort_by_cached_key(|g| std::cmp::Reverse((g.len(), seats(g))));
    let mut loose: Vec<usize> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::with_capacity(sizes.len());
    let mut pieces = pieces.into_iter();
    for &target in sizes {
        let mut g = pieces.next().unwrap_or_default();
        if g.len() > target && target != usual {
            // Cut down to an off-size group: the members with the most seats go.
            g.sort_by_key(|&x| pool.off(x));
        }
        while g.len() > target {
            loose.extend(g.pop());
        }
        groups.push(g);
    }
    loose.extend(pieces.flatten());
    for (g, &target) in groups.iter_mut().zip(sizes) {
        let seat_cost = |x: usize| {
            if target == usual {
                0
            } else {
                FAIRNESS * i64::from(pool.off(x))
            }
        };
        while g.len() < target {
            let Some(at) = (0..loose.len()).min_by_key(|&i| {
                let x = loose[i];
                g.iter().map(|&y| pool.pair_cost(x, y)).sum::<i64>() + seat_cost(x)
            }) else {
                break;
            };
            g.push(loose.swap_remove(at));
        }
    }
    groups
}

/// The grouping's cost above soft preferences: avoids, "Not a fit" pairs and repeats
/// (weighted by recency); 0 for groups of strangers who may meet.
fn above_soft(pool: &Pool, groups: &[Vec<usize>]) -> i64 {
    let mut cost = 0;
    for g in groups {
        for (i, &a) in g.iter().enumerate() {
            for &b in &g[i + 1..] {
                let c = pool.pair_cost(a, b);
                if c >= REPEAT_COST {
                    cost += c - pool.soft_cost(a, b);
                }
            }
        }
    }
    cost
}

fn repeated_pairs(pool: &Pool, groups: &[Vec<usize>]) -> usize {
    groups
        .iter()
        .map(|g| {
            let mut r = 0;
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    if (REPEAT_COST..AVOID_COST).contains(&pool.pair_cost(a, b)) {
                        r += 1;
                    }
                }
            }
            r
        })
        .sum()
}

/// Whether a group holds a soft-avoided pair.
fn has_soft_avoid(pool: &Pool, groups: &[Vec<usize>]) -> bool {
    pool.has_soft_avoids()
        && groups.iter().any(|g| {
            g.iter()
                .enumerate()
                .any(|(i, &a)| g[i + 1..].iter().any(|&b| pool.level(a, b) == SOFT_AVOID))
        })
}

/// Pools up to this size are searched outright for groups without an avoided pair (the
/// search goes one member deeper per member, so larger pools would risk the stack).
const APART_SEARCH_MEMBERS: usize = 64;
/// Nodes that search may visit: every grouping of a pool of a dozen, and a good part of
/// one of fifteen; beyond, it finds groups only where they are easy to find.
const APART_SEARCH_NODES: usize = 200_000;

/// Groups of the same sizes as `groups`, in the same order, with no avoided pair (soft or
/// not) in any of them; `None` when there are none or the search ran out of nodes.
fn groups_keeping_avoids_apart(pool: &Pool, groups: &[Vec<usize>]) -> Option<Vec<Vec<usize>>> {
    struct Search<'s, 'p> {
        pool: &'s Pool<'p>,
        sizes: Vec<usize>,
        members: Vec<usize>,
        groups: Vec<Vec<usize>>,
        nodes: usize,
    }
    impl Search<'_, '_> {
        /// Seats member `k` and those after it. Of the empty groups of one size only the
        /// first is tried: the others would give the same groupings in another order.
        fn seat(&mut self, k: usize) -> bool {
            self.nodes += 1;
            if self.nodes > APART_SEARCH_NODES {
                return false;
            }
            let Some(&x) = self.members.get(k) else {
                return true;
            };
            let mut empty_sizes_tried: Vec<usize> = Vec::new();
            for g in 0..self.groups.len() {
                let group = &self.groups[g];
                if group.len() == self.sizes[g] {
                    continue;
                }
                if group.is_empty() {
                    if empty_sizes_tried.contains(&self.sizes[g]) {
                        continue;
                    }
                    empty_sizes_tried.push(self.sizes[g]);
                }
                if !group.iter().all(|&y| self.pool.level(x, y) < SOFT_AVOID) {
                    continue;
                }
                self.groups[g].push(x);
                if self.seat(k + 1) {
                    return true;
                }
                self.groups[g].pop();
            }
            false
        }
    }
    let mut search = Search {
        pool,
        sizes: groups.iter().map(Vec::len).collect(),
        members: groups.iter().flatten().copied().collect(),
        groups: vec![Vec::new(); groups.len()],
        nodes: 0,
    };
    search.seat(0).then_some(search.groups)
}

/// A pair's cost counting avoids alone: hard ones as always, soft ones at their cost,
/// everything else nothing.
fn avoids_only(pool: &Pool, a: usize, b: usize) -> i64 {
    match pool.level(a, b) {
        AVOID => AVOID_COST,
        SOFT_AVOID => SOFT_AVOID_COST,
        _ => 0,
    }
}

fn worst_avoider(pool: &Pool, g: &[usize]) -> Option<usize> {
    let mut worst = None;
    let mut most = 0;
    for &a in g {
        let n = g
            .iter()
            .filter(|&&b| b != a && pool.pair_cost(a, b) >= AVOID_COST)
            .count();
        if n > most {
            most = n;
            worst = Some(a);
        }
    }
    worst
}

/// The best next member for `group`: unmet with everyone in it and cheapest on soft
/// cost among a window; failing that, the cheapest of all scanned.
#[allow(clippy::too_many_arguments)]
fn pick_member(
    pool: &Pool,
    members: &[usize],
    taken: &[bool],
    group: &[usize],
    cursor: usize,
    dense: bool,
    off_size: bool,
    off_order: &[usize],
) -> usize {
    let order: &[usize] = if off_size {
        off_order
    } else {
        &members[cursor..]
    };
    let scan_limit = if dense { usize::MAX } else { 64 * WINDOW };
    let mut best: Option<(usize, i64)> = None;
    let mut fresh_seen = 0;
    let mut scanned = 0;
    for &c in order {
        if taken[c] {
            continue;
        }
        scanned += 1;
        // Large pools compare soft cost (and avoids) only: asking the history about
        // every candidate was a cache miss each, most of the round at 100,000 members.
        // The unmet graph is nearly complete there, and the search after this pass
        // repairs the rare repeat.
        let cost: i64 = if dense {
            group.iter().map(|&g| pool.pair_cost(c, g)).sum()
        } else {
            group.iter().map(|&g| pool.cost_without_history(c, g)).sum()
        };
        if best.is_none_or(|(_, b)| cost < b) {
            best = Some((c, cost));
        }
        if cost < REPEAT_COST {
            fresh_seen += 1;
            if fresh_seen >= WINDOW {
                break;
            }
        }
        if scanned >= scan_limit {
            break;
        }
    }
    match best {
        Some((c, _)) => c,
        // Unreachable while sizes add up to the member count; any untaken will do.
        None => members
            .iter()
            .copied()
            .find(|&c| !taken[c])
            .unwrap_or(group[0]),
    }
}

/// Local search: move members between groups (swaps) while the total cost falls, with
/// some sideways moves. The cost is `pair`'s over every pair of a group, plus `fairness`
/// for each earlier off-size seat of a member of an off-size group. Returns the final
/// total cost.
#[allow(clippy::too_many_arguments)]
fn repair(
    pool: &Pool,
    groups: &mut [Vec<usize>],
    usual: usize,
    rng: &mut impl Rng,
    budget: usize,
    dense: bool,
    pair: impl Fn(usize, usize) -> i64 + Copy,
    fairness: i64,
) -> i64 {
    let cost_of = |g: &[usize]| cost_of(pool, g, usual, pair, fairness);
    let ng = groups.len();
    if ng < 2 {
        return groups.iter().map(|g| cost_of(g)).sum();
    }
    let mut cost: Vec<i64> = Vec::with_capacity(ng);
    for g in 0..ng {
        if !dense {
            prefetch_group(pool, groups.get(g + AHEAD));
        }
        cost.push(cost_of(&groups[g]));
    }
    let mut sideways = 0usize;
    let mut steps = 0usize;
    // The groups with a repeat or an avoided pair, in order: kept up to date as groups
    // change, since scanning every group at every step was most of a large pool's
    // search. The same list, in the same order, as scanning would give.
    let mut bad: Vec<usize> = (0..ng).filter(|&g| cost[g] >= REPEAT_COST).collect();
    let mark = |bad: &mut Vec<usize>, g: usize, is_bad: bool| match bad.binary_search(&g) {
        Ok(k) if !is_bad => {
            bad.remove(k);
        }
        Err(k) if is_bad => bad.insert(k, g),
        _ => {}
    };
    while steps < budget {
        if bad.is_empty() {
            break;
        }
        steps += 1;
        let g = bad[rng.random_range(0..bad.len())];
        // A member of g in a repeated pair.
        let culprits: Vec<usize> = (0..groups[g].len())
            .filter(|&i| {
                let x = groups[g][i];
                groups[g]
                    .iter()
                    .any(|&y| y != x && pair(x, y) >= REPEAT_COST)
            })
            .collect();
        if culprits.is_empty() {
            continue;
        }
        let xi = culprits[rng.random_range(0..culprits.len())];
        let x = groups[g][xi];
        let mut best_delta = i64::MAX;
        let mut best_moves: Vec<(usize, usize)> = Vec::new();
        let samples = if dense { ng } else { 64.min(ng) };
        for s in 0..samples {
            let h = if dense { s } else { rng.random_range(0..ng) };
            if h == g {
                continue;
            }
            for yi in 0..groups[h].len() {
                let y = groups[h][yi];
                let mut delta = 0;
                for &z in &groups[g] {
                    if z != x {
                        delta += pair(y, z) - pair(x, z);
                    }
                }
                for &z in &groups[h] {
                    if z != y {
                        delta += pair(x, z) - pair(y, z);
                    }
                }
                let (g_off, h_off) = (groups[g].len() != usual, groups[h].len() != usual);
                if g_off != h_off && fairness != 0 {
                    let shift = fairness * (pool.off(y) as i64 - pool.off(x) as i64);
                    delta += if g_off { shift } else { -shift };
                }
                if delta < best_delta {
                    best_delta = delta;
                    best_moves.clear();
                }
                if delta == best_delta {
                    best_moves.push((h, yi));
                }
            }
        }
        if best_moves.is_empty() {
            continue;
        }
        let accept = best_delta < 0
            || (best_delta == 0 && { sideways += 1; sideways < budget / 2 })
            // Rarely take a worsening move to leave a local minimum.
            || (best_delta < REPEAT_COST && rng.random_range(0..50) == 0);
        if !accept {
            continue;
        }
        let (h, yi) = best_moves[rng.random_range(0..best_moves.len())];
        let y = groups[h][yi];
        groups[g][xi] = y;
        groups[h][yi] = x;
        cost[g] = cost_of(&groups[g]);
        cost[h] = cost_of(&groups[h]);
        mark(&mut bad, g, cost[g] >= REPEAT_COST);
        mark(&mut bad, h, cost[h] >= REPEAT_COST);
    }
    cost.iter().sum()
}

/// How many groups ahead a large pool's history checks start loading the filters.
const AHEAD: usize = 8;

/// Starts loading the history filters of a group's members, for a check a few groups
/// later (a check takes a few nanoseconds, a trip to memory a hundred or more).
fn prefetch_group(pool: &Pool, group: Option<&Vec<usize>>) {
    for &x in group.into_iter().flatten() {
        pool.prefetch(x);
    }
}

/// Weight of one earlier off-size seat for a member of an off-size group: above any
/// soft cost, far below a repeat (fairness ranks between them).
const FAIRNESS: i64 = 100;

// A swap between two groups of four changes six pairs on each side: all the soft cost
// it can win must stay below one seat of fairness, and fairness below a repeat.
const _: () = assert!(6 * MAX_SOFT_COST < FAIRNESS && FAIRNESS < REPEAT_COST);

fn cost_of(
    pool: &Pool,
    g: &[usize],
    usual: usize,
    pair: impl Fn(usize, usize) -> i64,
    fairness: i64,
) -> i64 {
    let mut c = 0;
    if g.len() != usual && fairness != 0 {
        c += g
            .iter()
            .map(|&x| fairness * pool.off(x) as i64)
            .sum::<i64>();
    }
    for (i, &a) in g.iter().enumerate() {
        for &b in &g[i + 1..] {
            c += pair(a, b);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_and_stay_in_range() {
        for size in 2..=4 {
            for k in 2..200 {
                let s = group_sizes(k, size);
                assert_eq!(s.iter().sum::<usize>(), k, "k={k} size={size}");
                assert!(s.iter().all(|&x| (2..=size + 1).contains(&x)), "{s:?}");
            }
        }
        assert_eq!(group_sizes(100, 3).iter().filter(|&&s| s == 2).count(), 2);
    }

    #[test]
    fn the_table_of_starters_is_shaped_as_this_engine_shapes_circles_of_three() {
        for n in PLAN_MEMBERS {
            assert_eq!(
                super::super::design::trio_shape(n),
                group_sizes(n, 3),
                "n = {n}"
            );
        }
    }
}
