//! One round's view of its members: dense local indices in a random order, their
//! history slots, soft-preference attributes, and fast "have they met" answers.
//!
//! Why local indices in shuffled order: every algorithm can then scan members in
//! index order and still be random, and arrays indexed by position stay small and
//! sequential (cache-friendly) even at 100,000 members.

use rand::seq::SliceRandom;

use super::history::{History, NO_SLOT};
use super::{AvoidList, Candidate};
use crate::domain::profile::Modality;

/// Above this many members the per-round level matrix (2 bytes a pair) gets too big;
/// the engine then asks the history's Bloom filters and lists directly.
pub(crate) const DENSE_LIMIT: usize = 2048;

/// Level of a pair: 0 never met, `AVOID` never allowed, otherwise 1 + the round index
/// of their last meeting (so a higher level is a more recent meeting).
pub(crate) type Level = u16;
pub(crate) const NEVER: Level = 0;
pub(crate) const AVOID: Level = Level::MAX;

/// Cost of a repeated pair in group searches: dominates any soft cost, and a more
/// recent repeat costs more, so the oldest pairs are repeated first.
pub(crate) const REPEAT_COST: i64 = 1_000_000;
/// Cost of an avoided pair: never worth it.
pub(crate) const AVOID_COST: i64 = 1_000_000_000_000;

/// Soft-preference attributes of one member.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Soft {
    /// Hash of the institution, 0 for none.
    inst: u64,
    /// UTC hours (bits 0-23) of the member's preferred time of day.
    hours: u32,
    /// Modality as a bit set (any = all bits), so "compatible" is one AND.
    modality: u8,
}

const ALL_HOURS: u32 = (1 << 24) - 1;

impl Soft {
    fn of(c: &Candidate) -> Soft {
        let inst = c
            .institution
            .as_deref()
            .map_or(0, |s| hash_words(s.trim().as_bytes()).max(1));
        let hours = match c.utc_offset_minutes {
            None => ALL_HOURS,
            Some(offset) => {
                // The local window as a bit mask, rotated into UTC within 24 bits.
                let local = c.time_of_day.local_hours();
                let mask = ((1u32 << (local.end - local.start)) - 1) << local.start;
                let shift = (offset + 30).div_euclid(60).rem_euclid(24) as u32;
                ((mask >> shift) | (mask << (24 - shift))) & ALL_HOURS
            }
        };
        Soft {
            inst,
            hours,
            modality: match c.modality {
                Modality::Video => 1,
                Modality::Phone => 2,
                Modality::Walking => 4,
                Modality::Text => 8,
                Modality::Any => 15,
            },
        }
    }
}

/// A 64-bit hash of a short string, eight bytes at a time (names are compared by it;
/// a collision between two institutions is a 1-in-10^19 event).
fn hash_words(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    let mut word = [0u8; 8];
    word[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 32)
}

/// The members of one matching problem, in random order.
pub(crate) struct Pool<'a> {
    pub cands: Vec<&'a Candidate>,
    ids: Vec<u64>,
    pub slot: Vec<u32>,
    pub soft: Vec<Soft>,
    /// Off-size seats so far (the extra seat of a trio), read only when needed.
    off: std::cell::OnceCell<Vec<u16>>,
    /// How many members of the pool share this member's institution (0 for none).
    pub inst_count: Vec<u32>,
    pub cross: bool,
    history: &'a History,
    /// Avoided pairs among the pool, `(min, max)` local indices, sorted.
    avoid: Vec<(u32, u32)>,
    /// `m * m` levels when the pool is small enough.
    levels: Option<Vec<Level>>,
}

impl<'a> Pool<'a> {
    pub fn new(
        members: &[&'a Candidate],
        history: &'a History,
        avoid: &AvoidList,
        cross: bool,
        rng: &mut impl rand::Rng,
    ) -> Pool<'a> {
        let m = members.len();
        let mut order: Vec<u32> = (0..m as u32).collect();
        order.shuffle(rng);
        // Read the members in their given order (sequential memory), then permute the
        // compact results: a shuffled walk over the members themselves would miss the
        // cache on every step at 100,000 members.
        // Each array is permuted right after it is read, so only one unpermuted copy
        // is alive at a time (peak memory matters at 100,000 members).
        let soft_given: Vec<Soft> = members.iter().map(|c| Soft::of(c)).collect();
        let count_given = if cross {
            count_institutions(&soft_given)
        } else {
            vec![0; m]
        };
        if cross {
            order = interleave_largest(order, &count_given);
        }
        let inst_count: Vec<u32> = order.iter().map(|&p| count_given[p as usize]).collect();
        drop(count_given);
        let soft: Vec<Soft> = order.iter().map(|&p| soft_given[p as usize]).collect();
        drop(soft_given);
        let slot_given: Vec<u32> = history.slots_of(members.iter().map(|c| c.id));
        let slot: Vec<u32> = order.iter().map(|&p| slot_given[p as usize]).collect();
        drop(slot_given);
        let ids_given: Vec<u64> = members.iter().map(|c| c.id).collect();
        let ids: Vec<u64> = order.iter().map(|&p| ids_given[p as usize]).collect();
        drop(ids_given);
        let cands: Vec<&Candidate> = order.iter().map(|&p| members[p as usize]).collect();
        drop(order);
        let avoid_local = local_avoid_pairs(&ids, avoid);
        let mut pool = Pool {
            cands,
            ids,
            slot,
            soft,
            off: std::cell::OnceCell::new(),
            inst_count,
            cross,
            history,
            avoid: avoid_local,
            levels: None,
        };
        if m <= DENSE_LIMIT {
            pool.levels = Some(pool.build_levels());
        }
        pool
    }

    pub fn len(&self) -> usize {
        self.cands.len()
    }

    pub fn id(&self, i: usize) -> u64 {
        self.ids[i]
    }

    /// Off-size seats of member `i` so far.
    pub fn off(&self, i: usize) -> u16 {
        self.off.get_or_init(|| {
            self.slot
                .iter()
                .map(|&s| {
                    if s == NO_SLOT {
                        0
                    } else {
                        self.history.off_size_of_slot(s)
                    }
                })
                .collect()
        })[i]
    }

    fn build_levels(&self) -> Vec<Level> {
        let m = self.len();
        let mut levels = vec![NEVER; m * m];
        let mut local_of_slot = vec![NO_SLOT; self.history.slot_count()];
        for (i, &s) in self.slot.iter().enumerate() {
            if s != NO_SLOT {
                local_of_slot[s as usize] = i as u32;
            }
        }
        for (i, &s) in self.slot.iter().enumerate() {
            if s == NO_SLOT {
                continue;
            }
            for (p, epoch) in self.history.entries(s) {
                let j = local_of_slot[p as usize];
                if j != NO_SLOT {
                    // Entries are chronological, so the last write is the latest meeting.
                    levels[i * m + j as usize] = epoch_level(epoch);
                }
            }
        }
        for &(a, b) in &self.avoid {
            levels[a as usize * m + b as usize] = AVOID;
            levels[b as usize * m + a as usize] = AVOID;
        }
        levels
    }

    #[inline]
    pub fn avoided(&self, i: usize, j: usize) -> bool {
        if self.avoid.is_empty() {
            return false;
        }
        let key = if i < j {
            (i as u32, j as u32)
        } else {
            (j as u32, i as u32)
        };
        self.avoid.binary_search(&key).is_ok()
    }

    /// Starts loading member `i`'s history line, for a check a few steps later.
    #[inline]
    pub fn prefetch(&self, i: usize) {
        if self.slot[i] != NO_SLOT {
            self.history.prefetch_slot(self.slot[i]);
        }
    }

    fn met_history(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.slot[i], self.slot[j]);
        a != NO_SLOT && b != NO_SLOT && self.history.met_slots(a, b)
    }

    /// The pair's level: `NEVER`, `AVOID`, or how recently they met.
    #[inline]
    pub fn level(&self, i: usize, j: usize) -> Level {
        if let Some(levels) = &self.levels {
            return levels[i * self.len() + j];
        }
        if self.avoided(i, j) {
            return AVOID;
        }
        let (a, b) = (self.slot[i], self.slot[j]);
        if a == NO_SLOT || b == NO_SLOT {
            return NEVER;
        }
        self.history.last_epoch(a, b).map_or(NEVER, epoch_level)
    }

    /// Whether the pair may meet without a repeat or an avoid.
    #[inline]
    pub fn fresh(&self, i: usize, j: usize) -> bool {
        if let Some(levels) = &self.levels {
            return levels[i * self.len() + j] == NEVER;
        }
        !self.met_history(i, j) && !self.avoided(i, j)
    }

    /// Soft-preference cost of a pair, 0 (ideal) to 11.
    #[inline]
    pub fn soft_cost(&self, i: usize, j: usize) -> i64 {
        // Branch-free: this runs millions of times a round at 100,000 members.
        let (a, b) = (&self.soft[i], &self.soft[j]);
        // Same institution outweighs time and modality on both pairs of a swap, so a
        // swap that splits a same-institution pair always pays.
        let same = (self.cross & (a.inst != 0) & (a.inst == b.inst)) as i64 * 8;
        // No common hour costs 2, a single one 1 (without a popcount instruction).
        let common = a.hours & b.hours;
        let hours = (common == 0) as i64 * 2
            + ((common != 0) & (common & common.wrapping_sub(1) == 0)) as i64;
        let modality = ((a.modality & b.modality) == 0) as i64;
        same + hours + modality
    }

    /// Full cost of a pair for group searches: avoid, then repeats (recent worse), then soft.
    pub fn pair_cost(&self, i: usize, j: usize) -> i64 {
        match self.level(i, j) {
            NEVER => self.soft_cost(i, j),
            AVOID => AVOID_COST,
            l => REPEAT_COST + l as i64 + self.soft_cost(i, j),
        }
    }

    /// Sort key for choosing a partner: low soft cost first, then the scarcer choice
    /// (a member of a big institution, so the big one is spread across pairs).
    #[inline]
    pub fn choice_key(&self, i: usize, j: usize) -> (i64, i64) {
        (self.soft_cost(i, j), -(self.inst_count[j] as i64))
    }

    /// `choice_key` packed in one integer (smaller is better), so a window scan can
    /// keep the minimum without branches.
    #[inline]
    pub fn choice_rank(&self, i: usize, j: usize) -> u64 {
        ((self.soft_cost(i, j) as u64) << 32) | (u32::MAX - self.inst_count[j]) as u64
    }

    pub fn has_levels(&self) -> bool {
        self.levels.is_some()
    }
}

/// Spreads the largest institution evenly through the random order (each part keeps
/// its random order). Why: every greedy pass scans forward from each member, so a big
/// institution that is evenly spread always has other members in view; left to chance,
/// the others pair among themselves early and the big one pairs with itself at the end.
fn interleave_largest(order: Vec<u32>, count: &[u32]) -> Vec<u32> {
    let largest = count.iter().copied().max().unwrap_or(0);
    if largest < 2 || largest as usize == count.len() {
        return order;
    }
    let (big, rest): (Vec<u32>, Vec<u32>) =
        order.iter().partition(|&&p| count[p as usize] == largest);
    let (nb, nr) = (big.len(), rest.len());
    let mut out = Vec::with_capacity(order.len());
    let (mut i, mut j) = (0, 0);
    while i < nb || j < nr {
        // Take from whichever part is behind its share.
        if j == nr || (i < nb && i * nr <= j * nb) {
            out.push(big[i]);
            i += 1;
        } else {
            out.push(rest[j]);
            j += 1;
        }
    }
    out
}

fn epoch_level(epoch: u32) -> Level {
    (epoch + 1).min(AVOID as u32 - 1) as Level
}

/// Per member, how many members of the pool share their institution. Uses a small
/// open-addressing table keyed by the institution hash (looked up, never iterated).
fn count_institutions(soft: &[Soft]) -> Vec<u32> {
    let mut size = 64usize;
    let mut keys: Vec<u64> = vec![0; size];
    let mut counts: Vec<u32> = vec![0; size];
    let mut used = 0usize;
    let mut position = vec![usize::MAX; soft.len()];
    for (i, s) in soft.iter().enumerate() {
        if s.inst == 0 {
            continue;
        }
        if used * 2 >= size {
            // Grow and re-insert.
            let old: Vec<(u64, u32)> = keys
                .iter()
                .zip(&counts)
                .filter(|(k, _)| **k != 0)
                .map(|(k, c)| (*k, *c))
                .collect();
            size *= 4;
            keys = vec![0; size];
            counts = vec![0; size];
            for (k, c) in old {
                let p = probe(&keys, k);
                keys[p] = k;
                counts[p] = c;
            }
            for (pi, ps) in soft[..i].iter().enumerate() {
                if ps.inst != 0 {
                    position[pi] = probe(&keys, ps.inst);
                }
            }
        }
        let p = probe(&keys, s.inst);
        if keys[p] == 0 {
            keys[p] = s.inst;
            used += 1;
        }
        counts[p] += 1;
        position[i] = p;
    }
    position
        .iter()
        .map(|&p| if p == usize::MAX { 0 } else { counts[p] })
        .collect()
}

fn probe(keys: &[u64], key: u64) -> usize {
    let mask = keys.len() - 1;
    let mut p = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & mask;
    while keys[p] != 0 && keys[p] != key {
        p = (p + 1) & mask;
    }
    p
}

fn local_avoid_pairs(ids: &[u64], avoid: &AvoidList) -> Vec<(u32, u32)> {
    if avoid.is_empty() {
        return Vec::new();
    }
    // The ids that appear in any avoid pair, sorted: usually far fewer than members.
    let mut named: Vec<u64> = avoid.pairs().iter().flat_map(|&(a, b)| [a, b]).collect();
    named.sort_unstable();
    named.dedup();
    let mut local_of: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| named.binary_search(id).is_ok())
        .map(|(i, &id)| (id, i as u32))
        .collect();
    local_of.sort_unstable();
    let find = |id: u64| {
        local_of
            .binary_search_by_key(&id, |&(x, _)| x)
            .ok()
            .map(|k| local_of[k].1)
    };
    let mut pairs: Vec<(u32, u32)> = avoid
        .pairs()
        .iter()
        .filter_map(|&(a, b)| {
            let (x, y) = (find(a)?, find(b)?);
            Some((x.min(y), x.max(y)))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
