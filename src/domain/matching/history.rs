//! Who has met whom, kept compact enough for 100,000 members and years of rounds.
//!
//! Why this layout: the engine asks "have these two met, and when last?" hundreds of
//! thousands of times a round, and records a round of 100,000 members every round. A
//! global hash set of pairs spills out of the cache and every question goes to main
//! memory. Instead each member gets a dense slot, and:
//! - each recorded round is one array indexed by slot: the next member of the slot's
//!   group, so every group is a short cycle (4 bytes per member per round). Recording
//!   a round writes that array, which is small enough to stay in the CPU's cache while
//!   it is written (400 KB at 100,000 members), instead of appending to 100,000 lists
//!   scattered over memory;
//! - each slot has a Bloom filter of its partners, updated in one sequential pass per
//!   round. "Never met" is one filter read for almost every random pair (both members'
//!   filters must agree before the rounds are searched);
//! - how many times each slot sat in an off-size group (the extra seat of a trio).
//!
//! A member in several groups of one round (a mentor with several chats) has one extra
//! "occurrence" per further group, kept in a short sorted list beside the round's array.

use super::outcome::Group;

/// Marks "no slot" in the id index and "absent" in a round.
pub(crate) const NO_SLOT: u32 = u32::MAX;
/// Slots and occurrence ids must stay below the marker.
const MAX_SLOTS: usize = (u32::MAX / 2) as usize;
/// Bloom filter hash functions per partner.
const BLOOM_HASHES: u32 = 3;
/// Filter bits per partner (on average over all slots) before the filters double.
const BLOOM_BITS_PER_PARTNER: usize = 8;
const MIN_BLOOM_WORDS: usize = 4;
const MAX_BLOOM_WORDS: usize = 64;

/// A round's links, bit-packed: each entry takes as many bits as the largest
/// occurrence id needs (17 bits at 100,000 members, 7 at 100), so a year of weekly
/// rounds for 100,000 members is 11 MB rather than 21 MB of 4-byte entries.
#[derive(Debug, Clone, Default)]
struct Links {
    /// Entries, `bits` each, then one spare word so every read may take two words.
    words: Vec<u64>,
    len: usize,
    bits: u32,
}

impl Links {
    /// Packs `next` (`NO_SLOT` for absent); `occurrences` is one more than the largest
    /// occurrence id it can hold.
    fn pack(next: &[u32], occurrences: usize) -> Links {
        // 2^bits > occurrences: every id fits and the all-ones value stays free.
        let bits = (64 - (occurrences as u64).leading_zeros()).clamp(1, 32);
        let none = (1u64 << bits) - 1;
        let mut words = vec![0u64; (next.len() * bits as usize).div_ceil(64) + 1];
        for (s, &v) in next.iter().enumerate() {
            let v = if v == NO_SLOT { none } else { v as u64 };
            let at = s * bits as usize;
            let (w, off) = (at / 64, at % 64);
            words[w] |= v << off;
            if off + bits as usize > 64 {
                words[w + 1] |= v >> (64 - off);
            }
        }
        Links {
            words,
            len: next.len(),
            bits,
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    /// The link of slot (or occurrence) `s < len`.
    #[inline]
    fn at(&self, s: usize) -> u32 {
        let at = s * self.bits as usize;
        let (w, off) = (at / 64, at % 64);
        let two = self.words[w] as u128 | (self.words[w + 1] as u128) << 64;
        let none = (1u64 << self.bits) - 1;
        let v = (two >> off) as u64 & none;
        if v == none {
            NO_SLOT
        } else {
            v as u32
        }
    }
}

/// One recorded round.
#[derive(Debug, Clone, Default)]
struct Round {
    /// Per slot (as many as existed when the round was recorded): the occurrence id of
    /// the next member of the slot's first group in this round, or `NO_SLOT` if the
    /// slot was not in a group. An occurrence id below `next.len()` is that slot itself;
    /// `next.len() + k` is `extra[k]`.
    next: Links,
    /// Further groups of a slot in this round: `(slot, next occurrence)`, sorted.
    extra: Vec<(u32, u32)>,
}

impl Round {
    #[inline]
    fn slot_of(&self, occurrence: u32) -> u32 {
        let len = self.next.len();
        if (occurrence as usize) < len {
            occurrence
        } else {
            self.extra[occurrence as usize - len].0
        }
    }

    #[inline]
    fn succ(&self, occurrence: u32) -> u32 {
        let len = self.next.len();
        if (occurrence as usize) < len {
            self.next.at(occurrence as usize)
        } else {
            self.extra[occurrence as usize - len].1
        }
    }

    /// Calls `f` with each partner of `slot` in this round until it returns true;
    /// returns whether it did.
    #[inline]
    fn any_partner(&self, slot: u32, f: impl FnMut(u32) -> bool) -> bool {
        if (slot as usize) >= self.next.len() {
            return false;
        }
        walk_partners(self.next.at(slot as usize), slot, self, f)
    }

    #[inline]
    fn met(&self, a: u32, b: u32) -> bool {
        (b as usize) < self.next.len() && self.any_partner(a, |p| p == b)
    }
}

/// The links of a round, packed or not, for [`walk_partners`].
trait Linked {
    fn len(&self) -> usize;
    fn succ(&self, occurrence: u32) -> u32;
    fn slot_of(&self, occurrence: u32) -> u32;
    fn extra(&self) -> &[(u32, u32)];
}

impl Linked for Round {
    fn len(&self) -> usize {
        self.next.len()
    }
    fn succ(&self, o: u32) -> u32 {
        Round::succ(self, o)
    }
    fn slot_of(&self, o: u32) -> u32 {
        Round::slot_of(self, o)
    }
    fn extra(&self) -> &[(u32, u32)] {
        &self.extra
    }
}

/// A round being recorded: plain links and extra occurrences.
struct Unpacked<'r> {
    next: &'r [u32],
    extra: &'r [(u32, u32)],
}

impl Linked for Unpacked<'_> {
    fn len(&self) -> usize {
        self.next.len()
    }
    #[inline]
    fn succ(&self, o: u32) -> u32 {
        let len = self.next.len();
        if (o as usize) < len {
            self.next[o as usize]
        } else {
            self.extra[o as usize - len].1
        }
    }
    #[inline]
    fn slot_of(&self, o: u32) -> u32 {
        let len = self.next.len();
        if (o as usize) < len {
            o
        } else {
            self.extra[o as usize - len].0
        }
    }
    fn extra(&self) -> &[(u32, u32)] {
        self.extra
    }
}

/// Calls `f` with each partner of `slot` (whose own link is `first`) until it returns
/// true; returns whether it did.
#[inline]
fn walk_partners(first: u32, slot: u32, r: &impl Linked, mut f: impl FnMut(u32) -> bool) -> bool {
    if first == NO_SLOT {
        return false;
    }
    let mut o = first;
    while o != slot {
        if f(r.slot_of(o)) {
            return true;
        }
        o = r.succ(o);
    }
    let extra = r.extra();
    if extra.is_empty() {
        return false;
    }
    let len = r.len() as u32;
    let start = extra.partition_point(|&(s, _)| s < slot);
    for (k, &(s, succ)) in extra.iter().enumerate().skip(start) {
        if s != slot {
            break;
        }
        let own = len + k as u32;
        let mut o = succ;
        while o != own {
            if f(r.slot_of(o)) {
                return true;
            }
            o = r.succ(o);
        }
    }
    false
}

/// Asks the CPU to start loading `p`'s cache line; a hint with no effect on results.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults or reads memory into the program, whatever the
    // address; SSE is part of the x86_64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[inline]
fn hash_id(id: u64) -> u64 {
    // Fibonacci hashing: Discord snowflakes differ mostly in low and middle bits,
    // which the multiply spreads into the high bits we index with.
    (id ^ (id >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Open-addressing map from member id to dense slot. The table holds slots only; the
/// ids live in `History::ids`, which the engine needs anyway, so the table is a
/// quarter of the size. Lookups only, never iterated, so it cannot make the output
/// depend on a hash order.
#[derive(Debug, Clone, Default)]
struct IdIndex {
    table: Vec<u32>,
    shift: u32,
}

impl IdIndex {
    #[inline]
    fn find(&self, ids: &[u64], id: u64) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut pos = (hash_id(id) >> self.shift) as usize;
        loop {
            let slot = self.table[pos];
            if slot == NO_SLOT {
                return None;
            }
            if ids[slot as usize] == id {
                return Some(slot);
            }
            pos = (pos + 1) & mask;
        }
    }

    #[inline]
    fn prefetch(&self, id: u64) {
        if !self.table.is_empty() {
            prefetch(&self.table[(hash_id(id) >> self.shift) as usize]);
        }
    }

    /// Starts loading the id that `id`'s home entry points to (call after `prefetch`).
    #[inline]
    fn prefetch_id(&self, ids: &[u64], id: u64) {
        if !self.table.is_empty() {
            let slot = self.table[(hash_id(id) >> self.shift) as usize];
            if let Some(x) = ids.get(slot as usize) {
                prefetch(x);
            }
        }
    }

    /// Adds `slot` (the newest, so `ids[slot]` is its id); `ids` holds every slot.
    fn insert(&mut self, ids: &[u64], slot: u32) {
        // Keep the load factor at most 1/2: probes stay short, and 100,000 members take
        // 1 MB.
        if ids.len() * 2 > self.table.len() {
            let size = (ids.len() * 2).next_power_of_two().max(64);
            self.table = vec![NO_SLOT; size];
            self.shift = 64 - size.trailing_zeros();
            for s in 0..ids.len() as u32 {
                self.place(ids, s);
            }
        } else {
            self.place(ids, slot);
        }
    }

    fn place(&mut self, ids: &[u64], slot: u32) {
        let mask = self.table.len() - 1;
        let mut pos = (hash_id(ids[slot as usize]) >> self.shift) as usize;
        while self.table[pos] != NO_SLOT {
            pos = (pos + 1) & mask;
        }
        self.table[pos] = slot;
    }
}

/// Each slot's Bloom filter: `per_slot` words (a power of two, at least 4), stored so
/// that no filter straddles two cache lines (a 64-byte filter is one memory access,
/// not two).
#[derive(Debug, Clone, Default)]
struct Filters {
    words: Vec<u64>,
    /// Index of the first word on a 64-byte boundary.
    offset: usize,
    per_slot: usize,
    slots: usize,
}

impl Filters {
    fn new(per_slot: usize, slots: usize) -> Self {
        let mut f = Filters {
            words: Vec::new(),
            offset: 0,
            per_slot,
            slots: 0,
        };
        f.reserve(slots);
        f.words.resize(f.offset + slots * per_slot, 0);
        f.slots = slots;
        f
    }

    /// Room for `slots` filters, keeping the alignment.
    fn reserve(&mut self, slots: usize) {
        let need = slots * self.per_slot + 8;
        if need <= self.words.capacity() {
            return;
        }
        let mut words: Vec<u64> = Vec::with_capacity(need.max(self.words.capacity() * 2));
        let misaligned = (words.as_ptr() as usize % 64) / 8;
        let offset = (8 - misaligned) % 8;
        words.resize(offset, 0);
        words.extend_from_slice(&self.words[self.offset.min(self.words.len())..]);
        self.words = words;
        self.offset = offset;
    }

    fn push_slot(&mut self) {
        self.reserve(self.slots + 1);
        self.words.extend(std::iter::repeat_n(0, self.per_slot));
        self.slots += 1;
    }

    #[inline]
    fn of(&self, slot: u32) -> &[u64] {
        let at = self.offset + slot as usize * self.per_slot;
        &self.words[at..at + self.per_slot]
    }

    #[inline]
    fn of_mut(&mut self, slot: u32) -> &mut [u64] {
        let at = self.offset + slot as usize * self.per_slot;
        &mut self.words[at..at + self.per_slot]
    }

    #[inline]
    fn prefetch(&self, slot: u32) {
        if let Some(w) = self.words.get(self.offset + slot as usize * self.per_slot) {
            prefetch(w);
        }
    }
}

#[inline]
fn bloom_bits(partner: u32, bits: u32) -> [u32; BLOOM_HASHES as usize] {
    let h = (partner as u64 ^ 0x5bd1_e995).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mask = bits - 1;
    [
        (h >> 40) as u32 & mask,
        (h >> 20) as u32 & mask,
        h.rotate_left(12) as u32 & mask,
    ]
}

/// Every past meeting of a community, rebuilt by the bot from stored rounds before
/// each new round. Rounds must be recorded oldest first ([`History::from_rounds`] sorts).
#[derive(Debug, Clone)]
pub struct History {
    index: IdIndex,
    /// Member id of each slot.
    ids: Vec<u64>,
    bloom: Filters,
    /// Partner entries added to the filters since they were last sized.
    entries: usize,
    off_size: Vec<u16>,
    rounds: Vec<Round>,
    /// The caller's round number of each recorded round, in recording order.
    round_numbers: Vec<u32>,
    /// A hash of `ids` in slot order: two histories with the same fingerprint and
    /// slot count map every id to the same slot (up to a 1-in-2^64 collision).
    fingerprint: u64,
    /// Work space of `record_slots`, kept so that recording allocates little.
    work: Vec<u32>,
    /// While there are at most [`LAST_MET_SLOTS`] slots: the last meeting of every pair
    /// of slots, `last_met[a * stride + b]`, 0 for never, else 1 + the round index
    /// (capped at [`LAST_MET_CAP`]). Why: a small pool's matrix of pair levels is then
    /// copied from it instead of being rebuilt from every round each time (at 2,000
    /// members and 2,000 rounds the rebuild took most of the round). It costs 2 bytes a
    /// pair of slots, 8 MB at the limit; beyond it the table is dropped for good.
    last_met: Vec<u16>,
    last_met_stride: usize,
}

/// Slots up to which [`History`] keeps its table of last meetings (the engine's small
/// pools go to 2,048 members).
const LAST_MET_SLOTS: usize = 2048;
/// The largest value in the table of last meetings: 1 + the round index, capped so it
/// stays below the levels the engine keeps for avoided pairs.
pub(crate) const LAST_MET_CAP: u16 = u16::MAX - 2;

impl Default for History {
    fn default() -> Self {
        History {
            index: IdIndex::default(),
            ids: Vec::new(),
            bloom: Filters::new(MIN_BLOOM_WORDS, 0),
            entries: 0,
            off_size: Vec::new(),
            rounds: Vec::new(),
            round_numbers: Vec::new(),
            fingerprint: 0,
            work: Vec::new(),
            last_met: Vec::new(),
            last_met_stride: 0,
        }
    }
}

/// A round's groups as slots: members of group `g` are `slots[ends[g-1]..ends[g]]`.
#[derive(Debug, Default, Clone)]
pub(crate) struct SlotGroups {
    pub slots: Vec<u32>,
    pub ends: Vec<u32>,
    /// The group sizes as given (before removing duplicates), for off-size seats.
    pub sizes: Vec<u32>,
}

impl SlotGroups {
    pub fn clear(&mut self) {
        self.slots.clear();
        self.ends.clear();
        self.sizes.clear();
    }
}

impl History {
    /// An empty history: nobody has met anybody.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the history from stored rounds: each a round number and each group's
    /// member ids (in mentor-mentee mode the mentor first, as [`Group`] has them).
    /// Rounds may come in any order; they are recorded by round number.
    pub fn from_rounds<I>(rounds: I) -> Self
    where
        I: IntoIterator<Item = (u32, Vec<Vec<u64>>)>,
    {
        let mut rounds: Vec<(u32, Vec<Vec<u64>>)> = rounds.into_iter().collect();
        rounds.sort_by_key(|(number, _)| *number);
        let mut history = History::new();
        for (number, groups) in rounds {
            let groups: Vec<Group> = groups
                .into_iter()
                .map(|members| Group { members })
                .collect();
            history.record_round(number, &groups);
        }
        history
    }

    /// How many rounds have been recorded.
    pub fn rounds_recorded(&self) -> usize {
        self.round_numbers.len()
    }

    /// Records one round's groups. Every pair inside a group counts as a meeting.
    /// Members of a group whose size differs from the round's most common size
    /// (the trio among pairs, say) get one more off-size seat, so the next extra
    /// seat goes to someone else.
    pub fn record_round(&mut self, round_number: u32, groups: &[Group]) {
        let mut slot_groups = SlotGroups::default();
        self.resolve(groups, &mut slot_groups);
        self.record_slots(round_number, &slot_groups);
    }

    /// Records one round's groups, taking each member's slot from `hint` (the ids and
    /// slots the engine wrote, in order, under this history's current stamp) where the
    /// id matches, and looking the id up otherwise; `slot_groups` is reused memory.
    /// The result is always the same as `record_round`'s.
    pub(crate) fn record_hinted(
        &mut self,
        round_number: u32,
        groups: &[Group],
        hint: Option<(&[u64], &[u32])>,
        slot_groups: &mut SlotGroups,
    ) {
        match hint {
            Some((ids, slots)) => self.resolve_hinted(groups, ids, slots, slot_groups),
            None => self.resolve(groups, slot_groups),
        }
        self.record_slots(round_number, slot_groups);
    }

    /// Each group's slots, new members getting one.
    fn resolve(&mut self, groups: &[Group], out: &mut SlotGroups) {
        out.clear();
        // The lookups are independent, so fetching a few members ahead lets the CPU
        // overlap their cache misses: the table entry 16 ahead, the id it names 8 ahead.
        let mut far = groups.iter().flat_map(|g| g.members.iter()).skip(16);
        let mut near = groups.iter().flat_map(|g| g.members.iter()).skip(8);
        for group in groups {
            for &id in &group.members {
                if let Some(&a) = far.next() {
                    self.index.prefetch(a);
                }
                if let Some(&a) = near.next() {
                    self.index.prefetch_id(&self.ids, a);
                }
                let slot = self.slot_or_insert(id).unwrap_or(NO_SLOT);
                out.slots.push(slot);
            }
            out.ends.push(out.slots.len() as u32);
            out.sizes.push(group.members.len() as u32);
        }
    }

    /// [`History::resolve`] given the ids and slots the engine wrote, in order, under
    /// this history's current stamp: where the id is the same, so is the slot.
    fn resolve_hinted(
        &mut self,
        groups: &[Group],
        ids: &[u64],
        slots: &[u32],
        out: &mut SlotGroups,
    ) {
        out.clear();
        let mut k = 0usize;
        for group in groups {
            for &id in &group.members {
                let slot = match (ids.get(k), slots.get(k)) {
                    (Some(&same), Some(&slot)) if same == id && slot != NO_SLOT => slot,
                    _ => self.slot_or_insert(id).unwrap_or(NO_SLOT),
                };
                out.slots.push(slot);
                k += 1;
            }
            out.ends.push(out.slots.len() as u32);
            out.sizes.push(group.members.len() as u32);
        }
    }

    /// Records one round given as slots.
    pub(crate) fn record_slots(&mut self, round_number: u32, groups: &SlotGroups) {
        let usual = usual_group_size(groups.sizes.iter().map(|&s| s as usize));
        let len = self.ids.len();
        let mut next = std::mem::take(&mut self.work);
        next.clear();
        next.resize(len, NO_SLOT);
        // Each group becomes a cycle of occurrences. A slot's first group in the round
        // is its primary occurrence (the slot itself); a later one (a mentor's further
        // chat) is an extra occurrence, numbered from `len` in order of appearance for
        // now. Duplicates inside a group are dropped.
        let mut extra: Vec<(u32, u32)> = Vec::new();
        let mut cycle: Vec<u32> = Vec::with_capacity(8);
        let mut start = 0usize;
        for (g, &end) in groups.ends.iter().enumerate() {
            let end = end as usize;
            let members = &groups.slots[start..end];
            let off = groups.sizes[g] as usize != usual;
            start = end;
            // The common case, a pair of two members new to this round, in one step.
            if let [a, b] = *members {
                if a != b
                    && a != NO_SLOT
                    && b != NO_SLOT
                    && next[a as usize] == NO_SLOT
                    && next[b as usize] == NO_SLOT
                {
                    next[a as usize] = b;
                    next[b as usize] = a;
                    if off {
                        for s in [a, b] {
                            let c = &mut self.off_size[s as usize];
                            *c = c.saturating_add(1);
                        }
                    }
                    continue;
                }
            }
            cycle.clear();
            for (k, &s) in members.iter().enumerate() {
                if s == NO_SLOT || members[..k].contains(&s) {
                    continue;
                }
                if off {
                    let c = &mut self.off_size[s as usize];
                    *c = c.saturating_add(1);
                }
                if next[s as usize] == NO_SLOT {
                    cycle.push(s);
                } else {
                    cycle.push((len + extra.len()) as u32);
                    extra.push((s, NO_SLOT));
                }
            }
            if cycle.len() < 2 {
                // A group of one (after dropping duplicates) is no meeting; undo any
                // extra occurrence it took.
                let taken = cycle.iter().filter(|&&o| o as usize >= len).count();
                extra.truncate(extra.len() - taken);
                continue;
            }
            for (i, &o) in cycle.iter().enumerate() {
                let succ = cycle[(i + 1) % cycle.len()];
                if (o as usize) < len {
                    next[o as usize] = succ;
                } else {
                    extra[o as usize - len].1 = succ;
                }
            }
        }
        if !extra.is_empty() {
            // Sort the extra occurrences by slot (lookups binary-search them) and renumber
            // every link that points at one.
            let mut order: Vec<u32> = (0..extra.len() as u32).collect();
            order.sort_by_key(|&k| (extra[k as usize].0, k));
            let mut renumber = vec![0u32; extra.len()];
            for (new, &old) in order.iter().enumerate() {
                renumber[old as usize] = (len + new) as u32;
            }
            let fix = |o: u32| {
                if o != NO_SLOT && o as usize >= len {
                    renumber[o as usize - len]
                } else {
                    o
                }
            };
            for o in next.iter_mut() {
                *o = fix(*o);
            }
            extra = order
                .iter()
                .map(|&old| {
                    let (s, succ) = extra[old as usize];
                    (s, fix(succ))
                })
                .collect();
        }
        // The filters, in slot order (sequential memory).
        let bits = (self.bloom.per_slot * 64) as u32;
        let mut added = 0usize;
        let links = Unpacked {
            next: &next,
            extra: &extra,
        };
        for s in 0..len as u32 {
            let first = next[s as usize];
            if first == NO_SLOT {
                continue;
            }
            let filter = self.bloom.of_mut(s);
            walk_partners(first, s, &links, |p| {
                for bit in bloom_bits(p, bits) {
                    filter[(bit >> 6) as usize] |= 1 << (bit & 63);
                }
                added += 1;
                false
            });
        }
        self.entries += added;
        self.note_last_met(&next, &extra, len);
        let round = Round {
            next: Links::pack(&next, len + extra.len()),
            extra,
        };
        self.work = next;
        self.rounds.push(round);
        self.round_numbers.push(round_number);
        self.resize_filters_if_full();
    }

    /// Writes this round's meetings into the table of last meetings (growing it, or
    /// dropping it past [`LAST_MET_SLOTS`]).
    fn note_last_met(&mut self, next: &[u32], extra: &[(u32, u32)], len: usize) {
        if len > LAST_MET_SLOTS {
            if self.last_met_stride != usize::MAX {
                self.last_met = Vec::new();
                self.last_met_stride = usize::MAX;
            }
            return;
        }
        if self.last_met_stride == usize::MAX {
            return;
        }
        if len > self.last_met_stride {
            let stride = len.next_power_of_two().max(64);
            let mut table = vec![0u16; stride * stride];
            let old = self.last_met_stride;
            for a in 0..old {
                table[a * stride..a * stride + old]
                    .copy_from_slice(&self.last_met[a * old..(a + 1) * old]);
            }
            self.last_met = table;
            self.last_met_stride = stride;
        }
        let stride = self.last_met_stride;
        let value = (self.rounds.len() + 1).min(LAST_MET_CAP as usize) as u16;
        let links = Unpacked { next, extra };
        for s in 0..len as u32 {
            let first = next[s as usize];
            if first == NO_SLOT {
                continue;
            }
            let row = &mut self.last_met[s as usize * stride..(s as usize + 1) * stride];
            walk_partners(first, s, &links, |p| {
                row[p as usize] = value;
                false
            });
        }
    }

    /// The table of last meetings, if kept: row `a` is `table[a * stride..][..stride]`,
    /// and an entry is 0 for never, else 1 + the round index of the last meeting
    /// (capped at [`LAST_MET_CAP`]).
    pub(crate) fn last_met_table(&self) -> Option<(&[u16], usize)> {
        let stride = self.last_met_stride;
        (stride != usize::MAX && self.ids.len() <= stride).then_some((&self.last_met[..], stride))
    }

    /// Doubles the filters once they hold more than their share of partners, and
    /// rebuilds them from the rounds.
    fn resize_filters_if_full(&mut self) {
        let slots = self.ids.len().max(1);
        let wanted = (self.entries * BLOOM_BITS_PER_PARTNER)
            .div_ceil(64 * slots)
            .next_power_of_two()
            .clamp(MIN_BLOOM_WORDS, MAX_BLOOM_WORDS);
        if wanted <= self.bloom.per_slot {
            return;
        }
        self.bloom = Filters::new(wanted, self.ids.len());
        let bits = (wanted * 64) as u32;
        for round in &self.rounds {
            for s in 0..round.next.len() as u32 {
                let filter = self.bloom.of_mut(s);
                round.any_partner(s, |p| {
                    for bit in bloom_bits(p, bits) {
                        filter[(bit >> 6) as usize] |= 1 << (bit & 63);
                    }
                    false
                });
            }
        }
    }

    /// Whether two members have ever been in a group together.
    pub fn met(&self, a: u64, b: u64) -> bool {
        match (self.slot(a), self.slot(b)) {
            (Some(x), Some(y)) => self.met_slots(x, y),
            _ => false,
        }
    }

    /// The round number in which two members last met, if ever.
    pub fn last_met(&self, a: u64, b: u64) -> Option<u32> {
        let (x, y) = (self.slot(a)?, self.slot(b)?);
        self.last_epoch(x, y)
            .map(|epoch| self.round_numbers[epoch as usize])
    }

    /// How many times two members have met.
    pub fn times_met(&self, a: u64, b: u64) -> u32 {
        match (self.slot(a), self.slot(b)) {
            (Some(x), Some(y)) if self.maybe_met(x, y) => {
                self.rounds.iter().filter(|r| r.met(x, y)).count() as u32
            }
            _ => 0,
        }
    }

    /// How many times a member sat in an off-size group (a trio among pairs).
    pub fn off_size_groups(&self, id: u64) -> u16 {
        self.slot(id).map_or(0, |s| self.off_size[s as usize])
    }

    #[inline]
    pub(crate) fn slot(&self, id: u64) -> Option<u32> {
        self.index.find(&self.ids, id)
    }

    /// The member id of a slot.
    #[inline]
    pub(crate) fn id_of(&self, slot: u32) -> Option<u64> {
        self.ids.get(slot as usize).copied()
    }

    /// Starts loading what a lookup of `id` reads first.
    #[inline]
    pub(crate) fn prefetch_id(&self, id: u64) {
        self.index.prefetch(id);
    }

    /// Starts loading the id of `slot`, for an `id_of` a few steps later.
    #[inline]
    pub(crate) fn prefetch_id_of(&self, slot: u32) {
        if let Some(x) = self.ids.get(slot as usize) {
            prefetch(x);
        }
    }

    /// Starts loading a slot's filter, for a check a few steps later.
    #[inline]
    pub(crate) fn prefetch_slot(&self, slot: u32) {
        self.bloom.prefetch(slot);
    }

    pub(crate) fn off_size_of_slot(&self, slot: u32) -> u16 {
        self.off_size[slot as usize]
    }

    /// Identifies the id-to-slot mapping: `(fingerprint, slot count)`. Slots only ever
    /// get added, so a slot handed out under one stamp stays right while the stamp's
    /// fingerprint and count are a prefix of the history's (checked as equality here).
    pub(crate) fn stamp(&self) -> (u64, usize) {
        (self.fingerprint, self.ids.len())
    }

    /// How many slots exist (the size of a slot-indexed array).
    pub(crate) fn slot_count(&self) -> usize {
        self.ids.len()
    }

    #[inline]
    fn bloom_has(&self, a: u32, b: u32) -> bool {
        let filter = self.bloom.of(a);
        let bits = (filter.len() * 64) as u32;
        bloom_bits(b, bits)
            .iter()
            .all(|&bit| filter[(bit >> 6) as usize] & (1 << (bit & 63)) != 0)
    }

    /// False only if the two slots have certainly never met.
    #[inline]
    fn maybe_met(&self, a: u32, b: u32) -> bool {
        self.bloom_has(a, b) && self.bloom_has(b, a)
    }

    /// Whether two slots have met: both filters first, then the rounds, newest first.
    #[inline]
    pub(crate) fn met_slots(&self, a: u32, b: u32) -> bool {
        self.maybe_met(a, b) && self.rounds.iter().rev().any(|r| r.met(a, b))
    }

    /// The round index (0-based, in recording order) in which two slots last met.
    pub(crate) fn last_epoch(&self, a: u32, b: u32) -> Option<u32> {
        if !self.maybe_met(a, b) {
            return None;
        }
        self.rounds
            .iter()
            .rposition(|r| r.met(a, b))
            .map(|e| e as u32)
    }

    /// Calls `f(k, partner slot, round index)` for each meeting of `slots[k]`, round by
    /// round, oldest first; `slots` must be sorted. Why round by round: each round's
    /// array is then read in order while it sits in the cache, where walking one slot
    /// through every round reads each round's array at a random place (at 2,000
    /// members and 2,000 rounds that was most of a round's time).
    pub(crate) fn for_each_meeting_by_round(
        &self,
        slots: &[u32],
        mut f: impl FnMut(usize, u32, u32),
    ) {
        debug_assert!(slots.is_sorted());
        for (epoch, round) in self.rounds.iter().enumerate() {
            let len = round.next.len();
            for (k, &slot) in slots.iter().enumerate() {
                if slot as usize >= len {
                    break;
                }
                round.any_partner(slot, |p| {
                    f(k, p, epoch as u32);
                    false
                });
            }
        }
    }

    fn slot_or_insert(&mut self, id: u64) -> Option<u32> {
        if let Some(slot) = self.slot(id) {
            return Some(slot);
        }
        if self.ids.len() >= MAX_SLOTS {
            // Beyond two billion members a community is not a hallway any more;
            // such members are matched but not remembered rather than panicking.
            return None;
        }
        let slot = self.ids.len() as u32;
        self.fingerprint = (self.fingerprint.rotate_left(23) ^ id)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ slot as u64;
        self.ids.push(id);
        self.off_size.push(0);
        self.bloom.push_slot();
        self.index.insert(&self.ids, slot);
        Some(slot)
    }
}

/// The most common group size of a round (the smaller on a tie); 2 for no groups.
/// Every group of another size is off-size. The engine plans with this same rule, so
/// the members it seats in off-size groups are the ones whose seats get counted.
pub(crate) fn usual_group_size(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut counts = [0usize; 9];
    for s in sizes {
        counts[s.min(8)] += 1;
    }
    let mut best = 2;
    for size in 2..=8 {
        if counts[size] > counts[best] {
            best = size;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(members: &[u64]) -> Group {
        Group {
            members: members.to_vec(),
        }
    }

    #[test]
    fn remembers_pairs_and_rounds() {
        let mut h = History::new();
        h.record_round(1, &[g(&[10, 20]), g(&[30, 40, 50])]);
        h.record_round(2, &[g(&[10, 30]), g(&[20, 40])]);
        assert!(h.met(10, 20) && h.met(20, 10));
        assert!(h.met(30, 50) && h.met(40, 50));
        assert!(!h.met(10, 40));
        assert!(!h.met(10, 999));
        assert_eq!(h.last_met(10, 30), Some(2));
        assert_eq!(h.last_met(40, 30), Some(1));
        assert_eq!(h.times_met(10, 20), 1);
        assert_eq!(h.off_size_groups(30), 1);
        assert_eq!(h.off_size_groups(10), 0);
    }

    #[test]
    fn long_gaps_keep_round_numbers_right() {
        let mut h = History::new();
        h.record_round(0, &[g(&[1, 2])]);
        for r in 1..700 {
            h.record_round(r, &[g(&[3, 4])]);
        }
        h.record_round(700, &[g(&[1, 2])]);
        assert_eq!(h.last_met(1, 2), Some(700));
        assert_eq!(h.times_met(1, 2), 2);
        assert_eq!(h.times_met(3, 4), 699);
    }

    #[test]
    fn from_rounds_sorts_by_round_number() {
        let h = History::from_rounds(vec![
            (5, vec![vec![1, 2]]),
            (3, vec![vec![1, 2], vec![3, 4]]),
        ]);
        assert_eq!(h.last_met(1, 2), Some(5));
        assert_eq!(h.rounds_recorded(), 2);
    }

    #[test]
    fn many_members_index_correctly() {
        let mut h = History::new();
        let groups: Vec<Group> = (0..5000u64)
            .map(|i| g(&[i * 7919 + 1, i * 7919 + 2]))
            .collect();
        h.record_round(1, &groups);
        for i in 0..5000u64 {
            assert!(h.met(i * 7919 + 1, i * 7919 + 2));
            assert!(!h.met(i * 7919 + 1, i * 7919 + 7921));
        }
    }

    #[test]
    fn a_member_in_several_groups_meets_each() {
        // A mentor (1) with three chats, and a duplicate id inside one group.
        let mut h = History::new();
        h.record_round(
            4,
            &[g(&[1, 2]), g(&[1, 3, 3]), g(&[5, 6]), g(&[1, 4]), g(&[7])],
        );
        for m in [2, 3, 4] {
            assert!(h.met(1, m) && h.met(m, 1), "1-{m}");
            assert_eq!(h.last_met(m, 1), Some(4));
        }
        assert!(!h.met(2, 3) && !h.met(3, 4) && !h.met(1, 5) && !h.met(3, 3));
        assert!(h.met(5, 6));
        assert!(!h.met(7, 1));
        h.record_round(5, &[g(&[2, 1]), g(&[3, 4])]);
        assert_eq!(h.times_met(1, 2), 2);
        assert_eq!(h.times_met(1, 3), 1);
        assert!(h.met(3, 4));
    }

    #[test]
    fn filters_grow_and_stay_exact() {
        // Many rounds of a small roster push the filters through several sizes; every
        // answer must still match a plain set of pairs.
        let n = 40u64;
        let mut h = History::new();
        let mut seen = std::collections::BTreeMap::new();
        let mut x = 12345u64;
        for r in 0..120u32 {
            let mut ids: Vec<u64> = (0..n).collect();
            for i in (1..ids.len()).rev() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ids.swap(i, (x >> 33) as usize % (i + 1));
            }
            let groups: Vec<Group> = ids.chunks(3).map(g).collect();
            for grp in &groups {
                for (k, &a) in grp.members.iter().enumerate() {
                    for &b in &grp.members[k + 1..] {
                        seen.insert((a.min(b), a.max(b)), r);
                    }
                }
            }
            h.record_round(r, &groups);
        }
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    let want = seen.get(&(a.min(b), a.max(b))).copied();
                    assert_eq!(h.last_met(a, b), want, "{a}-{b}");
                }
            }
        }
    }

    /// The table of last meetings must say exactly what the rounds say, through growth
    /// of the slot count, mentors in several groups, duplicates and groups of one.
    #[test]
    fn the_table_of_last_meetings_agrees_with_the_rounds() {
        use rand::seq::SliceRandom;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        let mut h = History::new();
        for round in 0..40u32 {
            // More members join over time, so the table grows past its first stride.
            let n = 20 + 5 * round as u64;
            let mut ids: Vec<u64> = (1..=n).collect();
            ids.shuffle(&mut rng);
            let mut groups: Vec<Group> = ids.chunks(rng.random_range(1..5)).map(g).collect();
            // A mentor in two chats, and a duplicate inside a group.
            groups.push(g(&[ids[0], ids[3]]));
            groups.push(g(&[ids[1], ids[1], ids[2]]));
            h.record_round(round * 2, &groups);
        }
        let (table, stride) = h.last_met_table().expect("220 slots keep the table");
        for a in 0..h.slot_count() as u32 {
            for b in 0..h.slot_count() as u32 {
                let want = h.last_epoch(a, b).map_or(0, |e| e as u16 + 1);
                assert_eq!(table[a as usize * stride + b as usize], want, "{a} {b}");
            }
        }
    }

    #[test]
    fn the_table_of_last_meetings_is_dropped_past_its_size() {
        let mut h = History::new();
        let ids: Vec<u64> = (1..=LAST_MET_SLOTS as u64 + 2).collect();
        h.record_round(1, &[g(&ids[..2])]);
        assert!(h.last_met_table().is_some());
        let pairs: Vec<Group> = ids.chunks(2).map(g).collect();
        h.record_round(2, &pairs);
        assert!(h.last_met_table().is_none());
        assert!(h.met(ids[0], ids[1]) && h.met(ids[2], ids[3]));
    }
}
