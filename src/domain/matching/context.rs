//! One round's view of its members: dense local indices in a random order, their
//! history slots, soft-preference attributes, and fast "have they met" answers.
//!
//! Why local indices in shuffled order: every algorithm can then scan members in
//! index order and still be random, and arrays indexed by position stay small and
//! sequential (cache-friendly) even at 100,000 members.

use super::grouping::Grouping;
use super::history::{prefetch, History, LAST_MET_CAP, NO_SLOT};
use super::input::{AvoidList, Candidate, InterestWeight, INTEREST_TAGS};
use crate::domain::profile::{Modality, Role};

/// Above this many members the per-round level matrix (2 bytes a pair) gets too big;
/// the engine then asks the history's Bloom filters and lists directly.
pub(crate) const DENSE_LIMIT: usize = 2048;

/// Level of a pair: 0 never met, `AVOID` never allowed, `SOFT_AVOID` only when nothing
/// else is possible, otherwise 1 + the round index of their last meeting (so a higher
/// level is a more recent meeting).
pub(crate) type Level = u16;
pub(crate) const NEVER: Level = 0;
pub(crate) const AVOID: Level = Level::MAX;
/// One of the two said "Not a fit". Just above every repeat, so whatever treats a
/// higher level as a more recent repeat (the thresholds on "last met" of pairs and
/// mentors, the choice of whom to take a mentee from) turns to it last.
pub(crate) const SOFT_AVOID: Level = AVOID - 1;

/// Cost of a repeated pair in group searches: dominates any soft cost, and a more
/// recent repeat costs more, so the oldest pairs are repeated first.
pub(crate) const REPEAT_COST: i64 = 1_000_000;
/// Cost of an avoided pair: never worth it.
pub(crate) const AVOID_COST: i64 = 1_000_000_000_000;
/// Cost of a soft-avoided pair: more than the repeats of any swap or group (a thousand
/// of the most recent ones), far less than an avoided pair.
pub(crate) const SOFT_AVOID_COST: i64 = 1_000_000_000;

/// Soft-preference attributes of one member, packed in 12 bytes so a window of
/// candidates is one or two cache lines.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Soft {
    /// Institution number in this pool (1-based), 0 for none.
    pub inst: u32,
    /// UTC hours (bits 0-23) of the member's preferred time of day, and the modality
    /// as a bit set in bits 24-27 (any = all bits), so "compatible" is one AND.
    pub hours_modality: u32,
    /// Interest tags, one bit each (bits 0-24), so "shared" is one AND.
    pub interests: u32,
}

/// How a pool turns soft attributes into a cost: the community's settings, as the
/// cost function reads them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SoftRules {
    /// Same institution costs (cross-institution is on).
    pub cross: bool,
    /// Cost of each shared tag short of [`INTEREST_CAP`]: 0 (off, or nobody in the
    /// pool picked a tag), 1 (light) or 2 (strong).
    pub interest: u32,
}

/// Shared tags beyond this many earn nothing more: two members who share two tags
/// are as good a match as two who share five, so the reward spreads over many
/// partners instead of pulling the same few together.
pub(crate) const INTEREST_CAP: u32 = 2;

/// Cost of a same-institution pair when cross-institution is on: more than all the
/// other soft costs of a pair together.
pub(crate) const SAME_INSTITUTION: i64 = 8;

/// The most [`soft_cost`] can be: institution 8, hours 2, modality 1, interests 2 x 2.
pub(crate) const MAX_SOFT_COST: i64 = SAME_INSTITUTION + 2 + 1 + 2 * INTEREST_CAP as i64;

const _: () = assert!(MAX_SOFT_COST - SAME_INSTITUTION < SAME_INSTITUTION);
// A swap between two groups of four changes twelve pairs: all of them repeats cost less
// than one soft avoid, and a group of four made only of soft avoids less than one avoid.
const _: () = assert!(12 * (REPEAT_COST + SOFT_AVOID as i64 + MAX_SOFT_COST) < SOFT_AVOID_COST);
const _: () = assert!(12 * (SOFT_AVOID_COST + MAX_SOFT_COST) < AVOID_COST);

/// Cost per shared tag short of the cap, for a weight.
fn interest_unit(weight: InterestWeight) -> u32 {
    match weight {
        InterestWeight::Off => 0,
        InterestWeight::Light => 1,
        InterestWeight::Strong => 2,
    }
}

const TAG_BITS: u32 = (1 << INTEREST_TAGS) - 1;

const ALL_HOURS: u32 = (1 << 24) - 1;

impl Soft {
    /// The institution number (0 for none).
    #[inline]
    pub fn inst(self) -> usize {
        self.inst as usize
    }

    /// Hours and modality, packed.
    #[inline]
    pub fn hours_modality(self) -> u32 {
        self.hours_modality
    }

    /// Interest tags.
    #[inline]
    pub fn interests(self) -> u32 {
        self.interests
    }
}

/// Hours and modality of a candidate, packed as in [`Soft`].
fn hours_modality(c: &Candidate) -> u32 {
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
    let modality: u32 = match c.modality {
        Modality::Video => 1,
        Modality::Phone => 2,
        Modality::Walking => 4,
        Modality::Text => 8,
        Modality::Any => 15,
    };
    hours | modality << 24
}

/// A 64-bit hash of a short string, eight bytes at a time (names are compared by it;
/// a collision between two institutions is a 1-in-10^19 event). The last word overlaps
/// the one before instead of being copied into a padded buffer: the copy made every
/// member wait on a stalled load.
fn hash_words(bytes: &[u8]) -> u64 {
    #[inline]
    fn mix(h: u64, word: u64) -> u64 {
        let h = (h ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 29)
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let half = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&bytes[at..at + 4]);
        u32::from_le_bytes(w) as u64
    };
    let n = bytes.len();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ n as u64;
    if n >= 8 {
        let mut at = 0;
        while at + 8 <= n {
            h = mix(h, word(at));
            at += 8;
        }
        if at < n {
            h = mix(h, word(n - 8));
        }
    } else if n >= 4 {
        h = mix(h, half(0) | half(n - 4) << 32);
    } else if n > 0 {
        h = mix(
            h,
            bytes[0] as u64 | (bytes[n / 2] as u64) << 8 | (bytes[n - 1] as u64) << 16,
        );
    }
    h.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (h >> 32)
}

/// The name without surrounding white space; names rarely have any, so two byte
/// checks usually settle it.
#[inline]
fn trimmed(name: &str) -> &[u8] {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last))
            if first > b' ' && first < 0x80 && last > b' ' && last < 0x80 =>
        {
            bytes
        }
        _ => name.trim().as_bytes(),
    }
}

/// Institution names of a pool, numbered in order of first appearance: an
/// open-addressing table from name hash to number (looked up, never iterated), and
/// how many pool members each has.
#[derive(Debug, Default)]
struct Institutions {
    keys: Vec<u64>,
    numbers: Vec<u32>,
    /// Members per institution number; index 0 (no institution) stays 0.
    counts: Vec<u32>,
}

impl Institutions {
    fn clear(&mut self) {
        self.keys.clear();
        self.numbers.clear();
        self.counts.clear();
        self.counts.push(0);
    }

    /// The number of the institution with this name hash, counting one more member.
    #[inline]
    fn add(&mut self, key: u64) -> u32 {
        if (self.counts.len()) * 2 >= self.keys.len() {
            self.grow();
        }
        let p = self.probe(key);
        if self.keys[p] != key {
            self.keys[p] = key;
            self.numbers[p] = self.counts.len() as u32;
            self.counts.push(0);
        }
        let n = self.numbers[p];
        self.counts[n as usize] += 1;
        n
    }

    #[inline]
    fn probe(&self, key: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut p = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & mask;
        while self.keys[p] != 0 && self.keys[p] != key {
            p = (p + 1) & mask;
        }
        p
    }

    fn grow(&mut self) {
        let size = (self.keys.len() * 4).max(64);
        let old: Vec<(u64, u32)> = self
            .keys
            .iter()
            .zip(&self.numbers)
            .filter(|(k, _)| **k != 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        self.keys = vec![0; size];
        self.numbers = vec![0; size];
        for (k, n) in old {
            let p = self.probe(k);
            self.keys[p] = k;
            self.numbers[p] = n;
        }
    }
}

/// The arrays of a [`Pool`], kept between rounds by a `MatchScratch` so that a
/// round at 100,000 members allocates (and page-faults) almost nothing.
#[derive(Debug, Default)]
pub(crate) struct PoolBuffers {
    members: Vec<Member>,
    order: Vec<usize>,
    institutions: Institutions,
    /// Per candidate position in the caller's slice: the id and the history slot seen
    /// last time, so an unchanged member list needs no id lookups (each hit is checked
    /// against the history).
    cache_ids: Vec<u64>,
    cache_slots: Vec<u32>,
    local_of_slot: Vec<u32>,
    /// `(slot, local index)` of the pool's members, sorted, and the slots alone.
    by_slot: Vec<(u32, u32)>,
    slots: Vec<u32>,
    levels: Vec<Level>,
    /// Work space of the grouping steps.
    pub work: Work,
}

/// Work space of the grouping steps, kept between rounds.
#[derive(Debug, Default)]
pub(crate) struct Work {
    pub rest: Vec<usize>,
    pub grouping: Grouping,
}

/// What the engine keeps of one member for a round, in one 32-byte record: shuffling
/// the records moves everything about a member at once.
#[derive(Debug, Clone, Copy)]
struct Member {
    id: u64,
    soft: Soft,
    slot: u32,
    /// The candidate's role and mentor capacity, copied so that mentor-mentee mode
    /// never reads the candidates in random order (a cache miss each at 100,000).
    role: Role,
    capacity: u8,
}

const _: () = assert!(std::mem::size_of::<Member>() == 32);

/// The members of one matching problem, in random order.
pub(crate) struct Pool<'a> {
    /// The members; local index `i` is `members[i]`.
    members: Vec<Member>,
    /// The order every algorithm scans members in: random, with the largest
    /// institution spread evenly through it when cross-institution is on.
    order: Vec<usize>,
    /// Members of the pool per institution number.
    inst_count: Vec<u32>,
    /// Off-size seats so far (the extra seat of a trio), read only when needed.
    off: std::cell::OnceCell<Vec<u16>>,
    pub rules: SoftRules,
    history: &'a History,
    /// Avoided pairs among the pool, `(min, max)` local indices, sorted.
    avoid: Vec<(u32, u32)>,
    /// Soft-avoided pairs among the pool, the same way (none of them avoided).
    soft_avoid: Vec<(u32, u32)>,
    /// `m * m` levels when the pool is small enough.
    levels: Option<Vec<Level>>,
    spare: PoolBuffers,
}

impl<'a> Pool<'a> {
    /// The members of `cands` that `keep` selects, in a random order. Interests count
    /// with `weight` only if someone in the pool picked a tag: otherwise every pair
    /// would cost the same and the groups would only differ by accident.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cands: &'a [Candidate],
        keep: impl Fn(&Candidate) -> bool,
        history: &'a History,
        avoid: &AvoidList,
        cross: bool,
        weight: InterestWeight,
        rng: &mut impl rand::Rng,
        mut b: PoolBuffers,
    ) -> Pool<'a> {
        // Read the candidates in their given order (sequential memory) into compact
        // records, then shuffle those: a shuffled walk over the candidates themselves
        // would miss the cache on every step at 100,000 members.
        b.members.clear();
        b.institutions.clear();
        let cached = b.cache_ids.len() == cands.len();
        if !cached {
            b.cache_ids.clear();
            b.cache_ids.resize(cands.len(), 0);
            b.cache_slots.clear();
            b.cache_slots.resize(cands.len(), NO_SLOT);
        }
        const AHEAD: usize = 16;
        let mut any_tag = 0u32;
        for (c, cand) in cands.iter().enumerate() {
            if let Some(next) = cands.get(c + AHEAD) {
                // The institution name lives elsewhere on the heap; so do the history
                // entries of the id.
                if let Some(name) = &next.institution {
                    prefetch(name.as_ptr());
                }
                if cached && b.cache_ids[c + AHEAD] == next.id {
                    if let Some(s) = b.cache_slots.get(c + AHEAD) {
                        history.prefetch_id_of(*s);
                    }
                } else {
                    history.prefetch_id(next.id);
                }
            }
            if !keep(cand) {
                continue;
            }
            let inst = match cand.institution.as_deref() {
                Some(name) => b.institutions.add(hash_words(trimmed(name)).max(1)),
                None => 0,
            };
            let interests = cand.interests & TAG_BITS;
            any_tag |= interests;
            let soft = Soft {
                inst,
                hours_modality: hours_modality(cand),
                interests,
            };
            let hinted = b.cache_slots[c];
            let slot = if b.cache_ids[c] == cand.id
                && hinted != NO_SLOT
                && history.id_of(hinted) == Some(cand.id)
            {
                hinted
            } else {
                history.slot(cand.id).unwrap_or(NO_SLOT)
            };
            b.cache_ids[c] = cand.id;
            b.cache_slots[c] = slot;
            b.members.push(Member {
                id: cand.id,
                soft,
                slot,
                role: cand.role,
                capacity: cand.capacity,
            });
        }
        let m = b.members.len();
        arrange(
            &mut b.members,
            &mut b.order,
            cross.then_some(&b.institutions.counts[..]),
            rng,
        );
        let avoid_local = local_pairs(&b.members, avoid.pairs());
        let soft_avoid_local = local_pairs(&b.members, avoid.soft_pairs());
        let mut pool = Pool {
            members: std::mem::take(&mut b.members),
            order: std::mem::take(&mut b.order),
            inst_count: std::mem::take(&mut b.institutions.counts),
            off: std::cell::OnceCell::new(),
            rules: SoftRules {
                cross,
                interest: if any_tag == 0 {
                    0
                } else {
                    interest_unit(weight)
                },
            },
            history,
            avoid: avoid_local,
            soft_avoid: soft_avoid_local,
            levels: None,
            spare: b,
        };
        if m <= DENSE_LIMIT {
            pool.levels = Some(pool.build_levels());
        }
        pool
    }

    /// Gives the arrays back for the next round.
    pub fn release(mut self) -> PoolBuffers {
        let mut b = std::mem::take(&mut self.spare);
        b.members = self.members;
        b.order = self.order;
        b.institutions.counts = self.inst_count;
        if let Some(levels) = self.levels {
            b.levels = levels;
        }
        b
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Every local member, in the order algorithms should scan them.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    #[inline]
    pub fn id(&self, i: usize) -> u64 {
        self.members[i].id
    }

    /// The history slot of member `i` (`NO_SLOT` if new).
    #[inline]
    pub fn slot(&self, i: usize) -> u32 {
        self.members[i].slot
    }

    /// The role of local member `i`.
    #[inline]
    pub fn role(&self, i: usize) -> Role {
        self.members[i].role
    }

    /// The mentor capacity of local member `i`.
    #[inline]
    pub fn capacity(&self, i: usize) -> u8 {
        self.members[i].capacity
    }

    /// Cost of a pair from the do-not-match lists and soft preferences alone, without
    /// asking the history: what a large pool's greedy pass compares, leaving repeats
    /// to the history check after it.
    #[inline]
    pub fn cost_without_history(&self, i: usize, j: usize) -> i64 {
        let soft = self.soft_cost(i, j);
        if self.avoided(i, j) {
            AVOID_COST
        } else if self.soft_avoided(i, j) {
            SOFT_AVOID_COST + soft
        } else {
            soft
        }
    }

    /// Off-size seats of member `i` so far.
    pub fn off(&self, i: usize) -> u16 {
        self.off.get_or_init(|| {
            self.members
                .iter()
                .map(|&Member { slot: s, .. }| {
                    if s == NO_SLOT {
                        0
                    } else {
                        self.history.off_size_of_slot(s)
                    }
                })
                .collect()
        })[i]
    }

    fn build_levels(&mut self) -> Vec<Level> {
        let m = self.len();
        let mut levels = std::mem::take(&mut self.spare.levels);
        levels.clear();
        levels.resize(m * m, NEVER);
        if let Some((table, stride)) = self.history.last_met_table() {
            // Copy each member's row from the history's table: one short gather per pair.
            let slots = &mut self.spare.slots;
            slots.clear();
            slots.extend(self.members.iter().map(|member| member.slot));
            for (i, &a) in slots.iter().enumerate() {
                if a == NO_SLOT {
                    continue;
                }
                let from = &table[a as usize * stride..(a as usize + 1) * stride];
                let row = &mut levels[i * m..(i + 1) * m];
                for (level, &b) in row.iter_mut().zip(slots.iter()) {
                    if b != NO_SLOT {
                        *level = from[b as usize];
                    }
                }
            }
        } else {
            self.levels_from_rounds(&mut levels);
        }
        // Soft first: an avoided pair is avoided whatever else is said about it.
        for (pairs, level) in [(&self.soft_avoid, SOFT_AVOID), (&self.avoid, AVOID)] {
            for &(a, b) in pairs {
                levels[a as usize * m + b as usize] = level;
                levels[b as usize * m + a as usize] = level;
            }
        }
        levels
    }

    /// The levels from every recorded round, when the history keeps no table.
    fn levels_from_rounds(&mut self, levels: &mut [Level]) {
        let m = self.len();
        let local_of_slot = &mut self.spare.local_of_slot;
        local_of_slot.clear();
        local_of_slot.resize(self.history.slot_count(), NO_SLOT);
        for (i, member) in self.members.iter().enumerate() {
            if member.slot != NO_SLOT {
                local_of_slot[member.slot as usize] = i as u32;
            }
        }
        // The pool's slots in slot order, with their local index: the history is then
        // read round by round, each round's array in order.
        let by_slot = &mut self.spare.by_slot;
        by_slot.clear();
        by_slot.extend(
            self.members
                .iter()
                .enumerate()
                .filter(|(_, member)| member.slot != NO_SLOT)
                .map(|(i, member)| (member.slot, i as u32)),
        );
        by_slot.sort_unstable();
        let slots = &mut self.spare.slots;
        slots.clear();
        slots.extend(by_slot.iter().map(|&(s, _)| s));
        self.history
            .for_each_meeting_by_round(slots, |k, p, epoch| {
                let i = by_slot[k].1 as usize;
                let j = local_of_slot[p as usize];
                if j != NO_SLOT {
                    // Rounds come oldest first, so the last write is the latest meeting.
                    levels[i * m + j as usize] = epoch_level(epoch);
                }
            });
    }

    #[inline]
    pub fn avoided(&self, i: usize, j: usize) -> bool {
        contains_local(&self.avoid, i, j)
    }

    #[inline]
    fn soft_avoided(&self, i: usize, j: usize) -> bool {
        contains_local(&self.soft_avoid, i, j)
    }

    /// Starts loading member `i`'s history filter, for a check a few steps later.
    #[inline]
    pub fn prefetch(&self, i: usize) {
        let s = self.members[i].slot;
        if s != NO_SLOT {
            self.history.prefetch_slot(s);
        }
    }

    fn met_history(&self, i: usize, j: usize) -> bool {
        let (a, b) = (self.members[i].slot, self.members[j].slot);
        a != NO_SLOT && b != NO_SLOT && self.history.met_slots(a, b)
    }

    /// The pair's level: `NEVER`, `AVOID`, `SOFT_AVOID`, or how recently they met.
    #[inline]
    pub fn level(&self, i: usize, j: usize) -> Level {
        if let Some(levels) = &self.levels {
            return levels[i * self.len() + j];
        }
        if self.avoided(i, j) {
            return AVOID;
        }
        if self.soft_avoided(i, j) {
            return SOFT_AVOID;
        }
        let (a, b) = (self.members[i].slot, self.members[j].slot);
        if a == NO_SLOT || b == NO_SLOT {
            return NEVER;
        }
        self.history.last_epoch(a, b).map_or(NEVER, epoch_level)
    }

    /// Whether the pair may meet without a repeat or an avoid (soft or not).
    #[inline]
    pub fn fresh(&self, i: usize, j: usize) -> bool {
        if let Some(levels) = &self.levels {
            return levels[i * self.len() + j] == NEVER;
        }
        !self.met_history(i, j) && !self.avoided(i, j) && !self.soft_avoided(i, j)
    }

    /// Soft-preference cost of a pair, 0 (ideal) to [`MAX_SOFT_COST`].
    #[inline]
    pub fn soft_cost(&self, i: usize, j: usize) -> i64 {
        soft_cost(self.rules, self.members[i].soft, self.members[j].soft) as i64
    }

    /// Full cost of a pair for group searches: avoid, then soft avoid, then repeats
    /// (recent worse), then soft preferences.
    pub fn pair_cost(&self, i: usize, j: usize) -> i64 {
        match self.level(i, j) {
            NEVER => self.soft_cost(i, j),
            AVOID => AVOID_COST,
            SOFT_AVOID => SOFT_AVOID_COST + self.soft_cost(i, j),
            l => REPEAT_COST + l as i64 + self.soft_cost(i, j),
        }
    }

    /// Sort key for choosing a partner: low soft cost first, then the scarcer choice
    /// (a member of a big institution, so the big one is spread across pairs).
    #[inline]
    pub fn choice_key(&self, i: usize, j: usize) -> (i64, i64) {
        (
            self.soft_cost(i, j),
            -(self.inst_count[self.members[j].soft.inst as usize] as i64),
        )
    }

    /// Soft attributes of member `i`, for tight loops.
    #[inline]
    pub fn soft_of(&self, i: usize) -> Soft {
        self.members[i].soft
    }

    /// Members per institution number.
    pub fn inst_counts(&self) -> &[u32] {
        &self.inst_count
    }

    pub fn has_levels(&self) -> bool {
        self.levels.is_some()
    }

    /// Whether any pair of the pool is soft-avoided.
    pub fn has_soft_avoids(&self) -> bool {
        !self.soft_avoid.is_empty()
    }
}

/// Soft-preference cost of a pair, 0 (ideal) to [`MAX_SOFT_COST`], all in 32-bit
/// lanes: a loop over a few candidates compiles to vector instructions.
#[inline(always)]
pub(crate) fn soft_cost(rules: SoftRules, a: Soft, b: Soft) -> u32 {
    // Branch-free: this runs millions of times a round at 100,000 members.
    // Same institution outweighs time, modality and interests on both pairs of a
    // swap, so a swap that splits a same-institution pair always pays.
    let same = (rules.cross & (a.inst != 0) & (a.inst == b.inst)) as u32 * SAME_INSTITUTION as u32;
    let both = a.hours_modality & b.hours_modality;
    // No common hour costs 2, a single one 1 (without a popcount instruction).
    let common = both & ALL_HOURS;
    let hours = short_of_two(common);
    let modality = (both >> 24 == 0) as u32;
    // Each shared tag short of the cap (2) costs the weight's unit.
    let interests = rules.interest * short_of_two(a.interests & b.interests);
    same + hours + modality + interests
}

/// 2 - min(bits set, 2), without a popcount instruction.
#[inline(always)]
fn short_of_two(bits: u32) -> u32 {
    (bits == 0) as u32 * 2 + ((bits != 0) & (bits & bits.wrapping_sub(1) == 0)) as u32
}

// `short_of_two` is the interest cap.
const _: () = assert!(INTEREST_CAP == 2);

/// Shuffles `members` and sets `order`, the scan order. With institution counts
/// (cross-institution on), the largest institution is spread evenly through the order,
/// each part in random order. Why: every greedy pass scans forward from each member, so
/// a big institution that is evenly spread always has other members in view; left to
/// chance, the others pair among themselves early and the big one pairs with itself at
/// the end.
fn arrange(
    members: &mut [Member],
    order: &mut Vec<usize>,
    counts: Option<&[u32]>,
    rng: &mut impl rand::Rng,
) {
    let m = members.len();
    order.clear();
    let largest = counts.map_or(0, |c| c.iter().copied().max().unwrap_or(0));
    if largest < 2 || largest as usize == m {
        shuffle(members, rng);
        order.extend(0..m);
        return;
    }
    let counts = counts.unwrap_or_default();
    // The big ones first (a sequential pass), then each part shuffled.
    let mut nb = 0;
    for i in 0..m {
        if counts[members[i].soft.inst as usize] == largest {
            members.swap(i, nb);
            nb += 1;
        }
    }
    let (big, rest) = members.split_at_mut(nb);
    shuffle(big, rng);
    shuffle(rest, rng);
    let nr = m - nb;
    let (mut i, mut j) = (0, 0);
    while i < nb || j < nr {
        // Take from whichever part is behind its share.
        if j == nr || (i < nb && i * nr <= j * nb) {
            order.push(i);
            i += 1;
        } else {
            order.push(nb + j);
            j += 1;
        }
    }
}

/// Fisher-Yates with one 64-bit draw per step (the index is the high half of the
/// draw times the range: a bias below one in 10^13 at a million members). Half the
/// random bits of the general-purpose shuffle, which matters at 100,000 members.
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut impl rand::Rng) {
    for i in (1..items.len()).rev() {
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        items.swap(i, j);
    }
}

fn epoch_level(epoch: u32) -> Level {
    (epoch + 1).min(LAST_MET_CAP as u32) as Level
}

// The history's table of last meetings holds levels as they are here.
const _: () = assert!(LAST_MET_CAP == SOFT_AVOID - 1);

/// Whether `(i, j)`, either way round, is one of `pairs` (sorted `(min, max)`).
#[inline]
fn contains_local(pairs: &[(u32, u32)], i: usize, j: usize) -> bool {
    if pairs.is_empty() {
        return false;
    }
    let key = if i < j {
        (i as u32, j as u32)
    } else {
        (j as u32, i as u32)
    };
    pairs.binary_search(&key).is_ok()
}

/// Id pairs as pairs of local indices, for the pairs whose members are both in the pool.
fn local_pairs(members: &[Member], avoid: &[(u64, u64)]) -> Vec<(u32, u32)> {
    if avoid.is_empty() {
        return Vec::new();
    }
    // The ids that appear in any pair, sorted: usually far fewer than members.
    let mut named: Vec<u64> = avoid.iter().flat_map(|&(a, b)| [a, b]).collect();
    named.sort_unstable();
    named.dedup();
    let mut local_of: Vec<(u64, u32)> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| named.binary_search(&m.id).is_ok())
        .map(|(i, m)| (m.id, i as u32))
        .collect();
    local_of.sort_unstable();
    let find = |id: u64| {
        local_of
            .binary_search_by_key(&id, |&(x, _)| x)
            .ok()
            .map(|k| local_of[k].1)
    };
    let mut pairs: Vec<(u32, u32)> = avoid
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn soft(inst: u32, hours_modality: u32, interests: u32) -> Soft {
        Soft {
            inst,
            hours_modality,
            interests,
        }
    }

    proptest! {
        #[test]
        fn shared_tags_cost_the_unit_for_each_tag_short_of_two(
            a in any::<u32>(), b in any::<u32>(), hm_a in any::<u32>(), hm_b in any::<u32>(),
            inst_a in 0u32..4, inst_b in 0u32..4, cross in any::<bool>(), weight in 0usize..3,
        ) {
            let (a, b) = (a & TAG_BITS, b & TAG_BITS);
            let (hm_a, hm_b) = (hm_a & ((1 << 28) - 1), hm_b & ((1 << 28) - 1));
            let weight = InterestWeight::ALL[weight];
            let unit = interest_unit(weight);
            let with = SoftRules { cross, interest: unit };
            let without = SoftRules { cross, interest: 0 };
            let (x, y) = (soft(inst_a, hm_a, a), soft(inst_b, hm_b, b));
            let shared = (a & b).count_ones().min(INTEREST_CAP);
            prop_assert_eq!(
                soft_cost(with, x, y),
                soft_cost(without, x, y) + unit * (INTEREST_CAP - shared)
            );
            prop_assert_eq!(soft_cost(with, x, y), soft_cost(with, y, x));
            prop_assert!(soft_cost(with, x, y) as i64 <= MAX_SOFT_COST);
            // Interests never reach a same-institution pair's cost.
            prop_assert!(unit * INTEREST_CAP < 8);
        }
    }

    #[test]
    fn the_weights_are_off_light_and_strong_and_the_worst_pair_costs_the_maximum() {
        assert_eq!(interest_unit(InterestWeight::Off), 0);
        assert_eq!(interest_unit(InterestWeight::Light), 1);
        assert_eq!(interest_unit(InterestWeight::Strong), 2);
        let strong = SoftRules {
            cross: true,
            interest: interest_unit(InterestWeight::Strong),
        };
        // Same institution, no common hour, other modalities, no shared tag.
        let worst = soft_cost(
            strong,
            soft(1, 1 | 1 << 24, 0b01),
            soft(1, 2 | 2 << 24, 0b10),
        );
        assert_eq!(worst as i64, MAX_SOFT_COST);
        // Two shared tags earn all there is; a third earns nothing more.
        let two = soft_cost(strong, soft(0, ALL_HOURS, 0b011), soft(0, ALL_HOURS, 0b111));
        let three = soft_cost(strong, soft(0, ALL_HOURS, 0b111), soft(0, ALL_HOURS, 0b111));
        assert_eq!((two, three), (1, 1)); // the 1 is the modality: none given here
    }
}
