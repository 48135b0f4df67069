//! Mentor-mentee mode: a b-matching (each mentor up to their capacity) on the
//! bipartite graph of unmet mentor-mentee pairs.
//!
//! Why augmenting paths: the graph of unmet pairs on a stable roster is biregular, and
//! a biregular bipartite graph always has a full b-matching (König), so augmenting
//! paths never dead-end before the horizon, with no look-ahead needed. Phase one gives
//! every mentor one mentee (nobody sits out), phase two fills capacity. Past the
//! horizon a threshold on "last met" rises until the assignment is as full as it can
//! be, so the oldest pairs repeat first. Peers count as mentees here.

// Mentors, mentees, capacities and loads are parallel arrays: index loops read best.
#![allow(clippy::needless_range_loop)]

use rand::seq::SliceRandom;
use rand::Rng;

use super::context::{soft_cost, Pool, PoolBuffers, Soft, AVOID, NEVER, SOFT_AVOID};
use super::grouping::Grouping;
use super::groups::{circles, emit};
use super::history::History;
use super::input::{AvoidList, Candidate, MatchSettings};
use super::pairs::pair_up;
use super::sink::Sink;
use crate::domain::profile::Role;

const NONE: u32 = u32::MAX;
const WINDOW: usize = 8;
/// How far ahead a history check starts loading the mentor's filter (a check takes a
/// few nanoseconds, a trip to memory a hundred or more).
const AHEAD: usize = 32;

#[allow(clippy::too_many_arguments)]
pub(crate) fn match_mentors(
    members: &[Candidate],
    history: &History,
    avoid: &AvoidList,
    settings: &MatchSettings,
    group_size: usize,
    rng: &mut impl Rng,
    sink: &mut Sink,
    bufs: PoolBuffers,
) -> PoolBuffers {
    let pool = Pool::new(
        members,
        |c| c.available,
        history,
        avoid,
        settings.cross_institution,
        settings.interest_weight,
        rng,
        bufs,
    );
    if pool.len() == 0 {
        return pool.release();
    }
    match_pool(&pool, group_size, rng, sink);
    pool.release()
}

fn match_pool(pool: &Pool, group_size: usize, rng: &mut impl Rng, sink: &mut Sink) {
    let mentors: Vec<usize> = pool
        .order()
        .iter()
        .copied()
        .filter(|&i| pool.role(i) == Role::Mentor)
        .collect();
    let mentees: Vec<usize> = pool
        .order()
        .iter()
        .copied()
        .filter(|&i| pool.role(i) != Role::Mentor)
        .collect();
    let mut notes_vec = Vec::new();
    let notes = &mut notes_vec;
    if mentors.is_empty() || mentees.is_empty() {
        let (who, whom) = if mentors.is_empty() {
            ("mentor", "mentees")
        } else {
            ("mentee", "mentors")
        };
        if pool.len() > 1 {
            notes.push(format!(
                "no {who} is available this round, so {whom} were matched with each other"
            ));
        }
        let all: Vec<usize> = pool.order().to_vec();
        let grouping = if group_size == 2 {
            pair_up(pool, &all, rng, notes)
        } else {
            circles(pool, &all, group_size, rng, notes)
        };
        emit(pool, &grouping, sink);
        sink.out.compromises.append(notes);
        return;
    }
    let cap: Vec<usize> = mentors.iter().map(|&r| pool.capacity(r) as usize).collect();
    let mut state = if pool.has_levels() {
        dense_assign(pool, &mentors, &mentees, &cap, rng)
    } else {
        sparse_assign(pool, &mentors, &mentees, &cap, rng)
    };
    let repeats = state
        .assigned
        .iter()
        .enumerate()
        .filter(|(e, &r)| r != NONE && pool.level(mentors[r as usize], mentees[*e]) != NEVER)
        .count();
    if repeats > 0 {
        notes.push(format!(
            "{repeats} repeated mentor-mentee pair(s): every mentee has met every mentor they could, so the pairs that met longest ago meet again"
        ));
    }

    // Extra mentees: one alone takes a mentee from a mentor who has two or more, so
    // nobody is left out; then they pair with each other. They only ever join groups
    // of mentees, so no mentor goes past capacity.
    let mut mentee_groups = Grouping::default();
    let mut extra: Vec<usize> = (0..mentees.len())
        .filter(|&e| state.assigned[e] == NONE)
        .collect();
    // Room left with mentors, before any mentee is taken back for a lone extra one.
    let spare: usize = (0..mentors.len())
        .map(|r| cap[r].saturating_sub(state.load(r)))
        .sum();
    if extra.len() == 1 {
        if let Some(e2) = steal_for(pool, &mentees, &mut state, mentees[extra[0]], 2) {
            extra.push(e2);
        }
    }
    if !extra.is_empty() {
        notes.push(if spare > 0 {
            format!(
                "{} mentee(s) without a mentor (do-not-match rules or capacity 0) were paired with each other",
                extra.len()
            )
        } else {
            format!(
                "{} mentee(s) more than the mentors' capacity were paired with each other",
                extra.len()
            )
        });
        let ids: Vec<usize> = extra.iter().map(|&e| mentees[e]).collect();
        mentee_groups = pair_up(pool, &ids, rng, notes);
    }
    // Mentors without a mentee meet each other; a lone one with capacity takes a mentee.
    let mut spare_mentors: Vec<usize> =
        (0..mentors.len()).filter(|&r| state.load(r) == 0).collect();
    if spare_mentors.len() == 1 && cap[spare_mentors[0]] > 0 {
        let r = spare_mentors[0];
        if let Some(e) = steal_for(pool, &mentees, &mut state, mentors[r], 2) {
            state.give(e, r as u32);
            spare_mentors.clear();
        }
    }
    let mut mentor_pairs = Grouping::default();
    if spare_mentors.len() > 1 {
        notes.push(format!(
            "{} mentor(s) had no mentee this round and were paired with each other",
            spare_mentors.len()
        ));
        let ids: Vec<usize> = spare_mentors.iter().map(|&r| mentors[r]).collect();
        mentor_pairs = pair_up(pool, &ids, rng, notes);
    } else if let Some(&r) = spare_mentors.first() {
        notes.push(
            "1 mentor had no mentee this round (capacity 0 or do-not-match rules) and no other free mentor to meet".into(),
        );
        mentor_pairs.unplaced.push(mentors[r]);
    }
    // Written as `emit` would write one grouping of the chats, then the mentee groups,
    // then the mentor groups: pairs first, then groups in that order, then the unplaced.
    // The chats go straight to the sink, without a list of their own per chat.
    for &(a, b) in mentee_groups.pairs.iter().chain(&mentor_pairs.pairs) {
        sink.push_pair(pool, a, b);
    }
    // Each mentor's mentees, split into chats of `group_size - 1` mentees.
    let per_chat = group_size.saturating_sub(1).max(1);
    let mut chats: Vec<Vec<usize>> = Vec::new();
    let mut group: Vec<usize> = Vec::new();
    for (r, list) in state.lists.iter().enumerate() {
        if per_chat == 1 {
            // One mentee a chat: nobody else in it to avoid.
            for &e in list {
                sink.push_pair(pool, mentors[r], mentees[e as usize]);
            }
            continue;
        }
        if list.is_empty() {
            continue;
        }
        // Mentees sharing a chat meet each other too: never an avoided pair (soft or
        // not: a chat of their own is always possible), and the fewest repeats; a
        // mentee who fits nowhere gets a chat of their own.
        chats.clear();
        chats.resize(list.len().div_ceil(per_chat), Vec::new());
        for &e in list {
            let e = mentees[e as usize];
            let best = chats
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.len() < per_chat
                        && c.iter()
                            .all(|&x| !matches!(pool.level(x, e), AVOID | SOFT_AVOID))
                })
                .min_by_key(|(_, c)| {
                    (
                        c.iter().map(|&x| pool.pair_cost(x, e)).sum::<i64>(),
                        c.len(),
                    )
                })
                .map(|(k, _)| k);
            match best {
                Some(k) => chats[k].push(e),
                None => chats.push(vec![e]),
            }
        }
        for chat in chats.iter().filter(|c| !c.is_empty()) {
            group.clear();
            group.push(mentors[r]);
            group.extend_from_slice(chat);
            sink.push(pool, &group);
        }
    }
    for g in mentee_groups.groups.iter().chain(&mentor_pairs.groups) {
        sink.push(pool, g);
    }
    for &i in mentee_groups.unplaced.iter().chain(&mentor_pairs.unplaced) {
        sink.out.unplaced.push(pool.id(i));
    }
    sink.out.compromises.append(notes);
}

/// Who has which mentee: positions into the `mentors` and `mentees` lists.
#[derive(Clone)]
struct State {
    assigned: Vec<u32>,
    lists: Vec<Vec<u32>>,
}

impl State {
    fn new(nr: usize, ne: usize) -> Self {
        State {
            assigned: vec![NONE; ne],
            lists: vec![Vec::new(); nr],
        }
    }

    /// [`State::new`] with room for each mentor's capacity, so that large pools do not
    /// grow a hundred thousand short lists one push at a time.
    fn with_capacity(cap: &[usize], ne: usize) -> Self {
        State {
            assigned: vec![NONE; ne],
            lists: cap.iter().map(|&c| Vec::with_capacity(c.min(8))).collect(),
        }
    }

    fn load(&self, r: usize) -> usize {
        self.lists[r].len()
    }

    fn give(&mut self, e: usize, r: u32) {
        let prev = self.assigned[e];
        if prev != NONE {
            self.lists[prev as usize].retain(|&x| x as usize != e);
        }
        self.assigned[e] = r;
        if r != NONE {
            self.lists[r as usize].push(e as u32);
        }
    }

    fn score(&self) -> (usize, usize) {
        (
            self.assigned.iter().filter(|&&r| r != NONE).count(),
            self.lists.iter().filter(|l| !l.is_empty()).count(),
        )
    }
}

/// Takes a mentee (returned as a position in `mentees`) from a mentor who has at least
/// `min_load`, for `member` to meet, preferring one `member` has not met.
fn steal_for(
    pool: &Pool,
    mentees: &[usize],
    state: &mut State,
    member: usize,
    min_load: usize,
) -> Option<usize> {
    let mut best: Option<(usize, u16)> = None;
    for (e, &r) in state.assigned.iter().enumerate() {
        if r == NONE || state.load(r as usize) < min_load || mentees[e] == member {
            continue;
        }
        let l = pool.level(member, mentees[e]);
        if l == AVOID {
            continue;
        }
        if best.is_none_or(|(_, b)| l < b) {
            best = Some((e, l));
        }
    }
    let (e, _) = best?;
    state.give(e, NONE);
    Some(e)
}

fn dense_assign(
    pool: &Pool,
    mentors: &[usize],
    mentees: &[usize],
    cap: &[usize],
    rng: &mut impl Rng,
) -> State {
    let level = |r: usize, e: usize| pool.level(mentors[r], mentees[e]);
    let mut state = State::new(mentors.len(), mentees.len());
    run_phases(pool, mentors, mentees, cap, &mut state, &|r, e| {
        level(r, e) == NEVER
    });
    let mut full = state.clone();
    run_phases(pool, mentors, mentees, cap, &mut full, &|r, e| {
        level(r, e) != AVOID
    });
    let target = full.score();
    if state.score() == target {
        return state;
    }
    let mut levels: Vec<u16> = Vec::new();
    for r in 0..mentors.len() {
        for e in 0..mentees.len() {
            let l = level(r, e);
            if l != NEVER && l != AVOID {
                levels.push(l);
            }
        }
    }
    levels.sort_unstable();
    levels.dedup();
    let (mut lo, mut hi) = (0usize, levels.len());
    let mut best = full;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let t = levels[mid];
        let mut s = state.clone();
        run_phases(pool, mentors, mentees, cap, &mut s, &|r, e| {
            level(r, e) <= t
        });
        if s.score() == target {
            best = s;
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let _ = rng;
    best
}

/// Phase one: every mentor one mentee; phase two: up to capacity.
fn run_phases(
    pool: &Pool,
    mentors: &[usize],
    mentees: &[usize],
    cap: &[usize],
    state: &mut State,
    allowed: &dyn Fn(usize, usize) -> bool,
) {
    let one: Vec<usize> = cap.iter().map(|&c| c.min(1)).collect();
    for caps in [&one[..], cap] {
        // Greedy: each free mentee takes the best mentor with room (soft cost).
        for e in 0..mentees.len() {
            if state.assigned[e] != NONE {
                continue;
            }
            let mut best: Option<(usize, (i64, i64))> = None;
            for r in 0..mentors.len() {
                if state.load(r) >= caps[r] || !allowed(r, e) {
                    continue;
                }
                let key = pool.choice_key(mentees[e], mentors[r]);
                if best.is_none_or(|(_, k)| key < k) {
                    best = Some((r, key));
                }
            }
            if let Some((r, _)) = best {
                state.give(e, r as u32);
            }
        }
        for e in 0..mentees.len() {
            // A path needs a mentor with room at its end; once none has, stop.
            if (0..mentors.len()).all(|r| state.load(r) >= caps[r]) {
                break;
            }
            if state.assigned[e] == NONE {
                augment_from_mentee(state, e, caps, allowed);
            }
        }
        if std::ptr::eq(caps.as_ptr(), one.as_ptr()) {
            for r in 0..mentors.len() {
                if state.load(r) == 0 && caps[r] > 0 {
                    cover_mentor(state, r, mentees.len(), allowed);
                }
            }
        }
    }
}

/// Alternating path from a free mentee to a mentor with room.
fn augment_from_mentee(
    state: &mut State,
    e0: usize,
    caps: &[usize],
    allowed: &dyn Fn(usize, usize) -> bool,
) -> bool {
    let nr = state.lists.len();
    let mut via = vec![NONE; nr];
    let mut seen_e = vec![false; state.assigned.len()];
    let mut queue = vec![e0 as u32];
    seen_e[e0] = true;
    let mut head = 0;
    while head < queue.len() {
        let e = queue[head] as usize;
        head += 1;
        for r in 0..nr {
            if via[r] != NONE || state.assigned[e] == r as u32 || !allowed(r, e) {
                continue;
            }
            via[r] = e as u32;
            if state.load(r) < caps[r] {
                let mut r = r as u32;
                loop {
                    let e = via[r as usize] as usize;
                    let prev = state.assigned[e];
                    state.give(e, r);
                    if e == e0 {
                        return true;
                    }
                    r = prev;
                }
            }
            for &e2 in &state.lists[r] {
                if !seen_e[e2 as usize] {
                    seen_e[e2 as usize] = true;
                    queue.push(e2);
                }
            }
        }
    }
    false
}

/// Alternating path giving a mentor with no mentee one, taken from a mentor with two
/// or more (or a free mentee).
fn cover_mentor(
    state: &mut State,
    r0: usize,
    ne: usize,
    allowed: &dyn Fn(usize, usize) -> bool,
) -> bool {
    let nr = state.lists.len();
    let mut reach = vec![NONE; ne]; // mentor that wants this mentee
    let mut lost = vec![NONE; nr]; // mentee this mentor would give up
    let mut seen_r = vec![false; nr];
    seen_r[r0] = true;
    let mut queue = vec![r0 as u32];
    let mut head = 0;
    while head < queue.len() {
        let r = queue[head] as usize;
        head += 1;
        for e in 0..ne {
            if reach[e] != NONE || state.assigned[e] == r as u32 || !allowed(r, e) {
                continue;
            }
            reach[e] = r as u32;
            let owner = state.assigned[e];
            if owner == NONE || state.load(owner as usize) >= 2 {
                let mut e = e;
                loop {
                    let to = reach[e];
                    state.give(e, to);
                    if to as usize == r0 {
                        return true;
                    }
                    e = lost[to as usize] as usize;
                }
            }
            if !seen_r[owner as usize] {
                seen_r[owner as usize] = true;
                lost[owner as usize] = e as u32;
                queue.push(owner);
            }
        }
    }
    false
}

/// Large pools: seats (one per mentor first, then up to capacity), dealt to mentees in
/// a windowed greedy on soft cost, then checked against history and repaired by swaps.
fn sparse_assign(
    pool: &Pool,
    mentors: &[usize],
    mentees: &[usize],
    cap: &[usize],
    rng: &mut impl Rng,
) -> State {
    let ne = mentees.len();
    let mut seats: Vec<u32> = (0..mentors.len())
        .filter(|&r| cap[r] > 0)
        .map(|r| r as u32)
        .collect();
    seats.truncate(ne);
    if seats.len() < ne {
        let mut extra: Vec<u32> = (0..mentors.len())
            .flat_map(|r| std::iter::repeat_n(r as u32, cap[r].saturating_sub(1)))
            .collect();
        extra.shuffle(rng);
        extra.truncate(ne - seats.len());
        seats.extend(extra);
    }
    seats.shuffle(rng);
    let mut state = State::with_capacity(cap, ne);
    let mut free_seat = vec![true; seats.len()];
    // Each seat's mentor's soft attributes, side by side in seat order: the window
    // then reads consecutive records instead of a random mentor each time.
    let mentor_soft: Vec<Soft> = mentors.iter().map(|&r| pool.soft_of(r)).collect();
    let seat_soft: Vec<Soft> = seats.iter().map(|&r| mentor_soft[r as usize]).collect();
    let (rules, counts) = (pool.rules, pool.inst_counts());
    let key_of = |e: Soft, s: usize| {
        let r = seat_soft[s];
        (soft_cost(rules, e, r) as i64, -(counts[r.inst()] as i64))
    };
    let mut cursor = 0;
    for e in 0..ne {
        let e_soft = pool.soft_of(mentees[e]);
        while cursor < seats.len() && !free_seat[cursor] {
            cursor += 1;
        }
        let mut best: Option<(usize, (i64, i64))> = None;
        let mut seen = 0;
        let mut s = cursor;
        while s < seats.len() && seen < WINDOW {
            if free_seat[s] {
                seen += 1;
                // The same key as `pool.choice_key(mentee, mentor)`.
                let key = key_of(e_soft, s);
                if best.is_none_or(|(_, k)| key < k) {
                    best = Some((s, key));
                }
            }
            s += 1;
        }
        if let Some((s, _)) = best {
            free_seat[s] = false;
            state.give(e, seats[s]);
        }
    }
    // Repair repeats and avoided pairs by swapping mentors between two mentees.
    let assigned: Vec<usize> = (0..ne).filter(|&e| state.assigned[e] != NONE).collect();
    let fresh = |r: u32, e: usize| pool.fresh(mentors[r as usize], mentees[e]);
    for (k, &e) in assigned.iter().enumerate() {
        if let Some(&e2) = assigned.get(k + AHEAD) {
            if let Some(&r2) = mentors.get(state.assigned[e2] as usize) {
                pool.prefetch(r2);
            }
        }
        let r = state.assigned[e];
        if fresh(r, e) {
            continue;
        }
        for _ in 0..256 {
            let e2 = assigned[rng.random_range(0..assigned.len())];
            let r2 = state.assigned[e2];
            if e2 == e || r2 == r {
                continue;
            }
            if fresh(r2, e) && fresh(r, e2) {
                state.give(e, r2);
                state.give(e2, r);
                break;
            }
        }
        let r = state.assigned[e];
        if pool.level(mentors[r as usize], mentees[e]) == AVOID {
            state.give(e, NONE);
        }
    }
    state
}
