//! Who has met whom, kept compact enough for 100,000 members and years of rounds.
//!
//! Why this layout: the engine asks "have these two met, and when last?" hundreds of
//! thousands of times a round. A global hash set of pairs spills out of the cache and
//! every question goes to main memory. Instead each member gets a dense slot, and per
//! slot:
//! - a chronological list of 4-byte entries (partner slot in 24 bits, rounds since the
//!   member's previous entry in 8 bits), so a year of weekly rounds is ~200 bytes;
//! - a 512-bit Bloom filter of partners (one cache line), which answers "never met"
//!   for almost every random pair without touching the list;
//! - how many times they sat in an off-size group (the extra seat of a trio).

use super::Group;

/// Marks "no slot" in the id index and elsewhere.
pub(crate) const NO_SLOT: u32 = u32::MAX;
/// Partner value of a gap entry: it advances the member's clock without a meeting.
const GAP_PARTNER: u32 = 0x00FF_FFFF;
/// Slots must fit in the 24 partner bits (with the gap value reserved).
const MAX_SLOTS: usize = GAP_PARTNER as usize;
const PARTNER_MASK: u32 = 0x00FF_FFFF;
const MAX_DELTA: u32 = 255;

/// 256 Bloom bits per member, in the member's cache line.
type Bloom = [u64; 4];

#[inline]
fn bloom_bits(partner: u32) -> (usize, usize) {
    let h = (partner as u64 ^ 0x5bd1_e995).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((h >> 56) as usize, ((h >> 48) & 255) as usize)
}

/// Everything about one member that a round touches, in one cache line, so checking
/// or recording a member costs one memory access plus their list.
#[derive(Debug, Clone, Default)]
#[repr(C, align(64))]
struct Line {
    bloom: Bloom,
    /// Chronological meetings, `(delta << 24) | partner`.
    meets: Vec<u32>,
    /// The round index of the latest entry, to encode the next delta.
    clock: u32,
    /// Seats in off-size groups (the extra seat of a trio).
    off_size: u16,
}

#[inline]
fn bloom_has(bloom: &Bloom, partner: u32) -> bool {
    let (a, b) = bloom_bits(partner);
    bloom[a >> 6] & (1 << (a & 63)) != 0 && bloom[b >> 6] & (1 << (b & 63)) != 0
}

#[inline]
fn bloom_add(bloom: &mut Bloom, partner: u32) {
    let (a, b) = bloom_bits(partner);
    bloom[a >> 6] |= 1 << (a & 63);
    bloom[b >> 6] |= 1 << (b & 63);
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

/// Open-addressing map from member id to dense slot. Each entry holds the id itself,
/// so a lookup is one memory access. Lookups only, never iterated, so it cannot make
/// the output depend on a hash order.
#[derive(Debug, Clone, Default)]
struct IdIndex {
    table: Vec<(u64, u32)>,
    shift: u32,
    len: usize,
}

impl IdIndex {
    #[inline]
    fn find(&self, id: u64) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut pos = (hash_id(id) >> self.shift) as usize;
        loop {
            let (key, slot) = self.table[pos];
            if slot == NO_SLOT {
                return None;
            }
            if key == id {
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

    fn insert(&mut self, id: u64, slot: u32) {
        // Keep the load factor under 0.8: probes stay short, and 100,000 members fit in
        // 2 MB instead of 4 MB.
        if (self.len + 1) * 5 > self.table.len() * 4 {
            let size = ((self.len + 1) * 2).next_power_of_two().max(64);
            let old = std::mem::replace(&mut self.table, vec![(0, NO_SLOT); size]);
            self.shift = 64 - size.trailing_zeros();
            for (key, s) in old {
                if s != NO_SLOT {
                    self.place(key, s);
                }
            }
        }
        self.place(id, slot);
        self.len += 1;
    }

    fn place(&mut self, id: u64, slot: u32) {
        let mask = self.table.len() - 1;
        let mut pos = (hash_id(id) >> self.shift) as usize;
        while self.table[pos].1 != NO_SLOT {
            pos = (pos + 1) & mask;
        }
        self.table[pos] = (id, slot);
    }
}

/// Every past meeting of a community, rebuilt by the bot from stored rounds before
/// each new round. Rounds must be recorded oldest first ([`History::from_rounds`] sorts).
#[derive(Debug, Clone, Default)]
pub struct History {
    index: IdIndex,
    lines: Vec<Line>,
    /// The caller's round number of each recorded round, in recording order.
    round_numbers: Vec<u32>,
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

    /// How many distinct members have ever been recorded.
    pub fn members_known(&self) -> usize {
        self.lines.len()
    }

    /// Records one round's groups. Every pair inside a group counts as a meeting.
    /// Members of a group whose size differs from the round's most common size
    /// (the trio among pairs, say) get one more off-size seat, so the next extra
    /// seat goes to someone else.
    pub fn record_round(&mut self, round_number: u32, groups: &[Group]) {
        let epoch = self.round_numbers.len() as u32;
        self.round_numbers.push(round_number);
        let usual = usual_group_size(groups);
        // Pass 1: every member's slot. The lookups are independent, so the CPU overlaps
        // their cache misses.
        let total: usize = groups.iter().map(|g| g.members.len()).sum();
        let mut slots: Vec<u32> = Vec::with_capacity(total);
        const AHEAD: usize = 8;
        let mut ahead = groups.iter().flat_map(|g| g.members.iter()).skip(AHEAD);
        for group in groups {
            for &id in &group.members {
                if let Some(&next) = ahead.next() {
                    self.index.prefetch(next);
                }
                slots.push(self.slot_or_insert(id).unwrap_or(NO_SLOT));
            }
        }
        // Pass 2: append the meetings, fetching each member's line 16 members ahead and
        // the end of their list 8 ahead.
        let mut start = 0;
        let mut fetched_line = 0;
        let mut fetched_list = 0;
        for group in groups {
            let end = start + group.members.len();
            while fetched_line < (end + 16).min(total) {
                if let Some(line) = self.lines.get(slots[fetched_line] as usize) {
                    prefetch(line);
                }
                fetched_line += 1;
            }
            while fetched_list < (end + 8).min(total) {
                if let Some(line) = self.lines.get(slots[fetched_list] as usize) {
                    prefetch(line.meets.as_ptr_range().end);
                }
                fetched_list += 1;
            }
            let members = &slots[start..end];
            start += group.members.len();
            let off_size = group.members.len() != usual;
            for (k, &a) in members.iter().enumerate() {
                if a == NO_SLOT || members[..k].contains(&a) {
                    continue;
                }
                for &b in &members[k + 1..] {
                    if b != NO_SLOT && b != a {
                        self.push_meeting(a, b, epoch);
                        self.push_meeting(b, a, epoch);
                    }
                }
                if off_size {
                    let count = &mut self.lines[a as usize].off_size;
                    *count = count.saturating_add(1);
                }
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
            (Some(x), Some(y)) => self.entries(x).filter(|&(p, _)| p == y).count() as u32,
            _ => 0,
        }
    }

    /// How many times a member sat in an off-size group (a trio among pairs).
    pub fn off_size_groups(&self, id: u64) -> u16 {
        self.slot(id).map_or(0, |s| self.lines[s as usize].off_size)
    }

    #[inline]
    pub(crate) fn slot(&self, id: u64) -> Option<u32> {
        self.index.find(id)
    }

    /// Slots of many ids (`NO_SLOT` for new members), fetching table entries ahead.
    pub(crate) fn slots_of(&self, ids: impl ExactSizeIterator<Item = u64> + Clone) -> Vec<u32> {
        const AHEAD: usize = 8;
        let mut ahead = ids.clone().skip(AHEAD);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(next) = ahead.next() {
                self.index.prefetch(next);
            }
            out.push(self.slot(id).unwrap_or(NO_SLOT));
        }
        out
    }

    /// Starts loading a slot's line, for a check a few steps later.
    #[inline]
    pub(crate) fn prefetch_slot(&self, slot: u32) {
        if let Some(line) = self.lines.get(slot as usize) {
            prefetch(line);
        }
    }

    pub(crate) fn off_size_of_slot(&self, slot: u32) -> u16 {
        self.lines[slot as usize].off_size
    }

    /// How many slots exist (the size of a slot-indexed array).
    pub(crate) fn slot_count(&self) -> usize {
        self.lines.len()
    }

    /// Whether two slots have met: `a`'s Bloom filter first, then `a`'s list.
    #[inline]
    pub(crate) fn met_slots(&self, a: u32, b: u32) -> bool {
        let line = &self.lines[a as usize];
        bloom_has(&line.bloom, b) && line.meets.iter().any(|&e| e & PARTNER_MASK == b)
    }

    /// The round index (0-based, in recording order) in which two slots last met.
    pub(crate) fn last_epoch(&self, a: u32, b: u32) -> Option<u32> {
        if !bloom_has(&self.lines[a as usize].bloom, b) {
            return None;
        }
        let mut last = None;
        for (p, epoch) in self.entries(a) {
            if p == b {
                last = Some(epoch);
            }
        }
        last
    }

    /// A slot's meetings as `(partner slot, round index)`, oldest first.
    pub(crate) fn entries(&self, slot: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let mut epoch = 0u32;
        self.lines[slot as usize]
            .meets
            .iter()
            .filter_map(move |&e| {
                epoch += e >> 24;
                let partner = e & PARTNER_MASK;
                (partner != GAP_PARTNER).then_some((partner, epoch))
            })
    }

    fn slot_or_insert(&mut self, id: u64) -> Option<u32> {
        if let Some(slot) = self.slot(id) {
            return Some(slot);
        }
        if self.lines.len() >= MAX_SLOTS {
            // Beyond 16.7 million members a community is not a hallway any more;
            // such members are matched but not remembered rather than panicking.
            return None;
        }
        let slot = self.lines.len() as u32;
        self.index.insert(id, slot);
        self.lines.push(Line::default());
        Some(slot)
    }

    fn push_meeting(&mut self, slot: u32, partner: u32, epoch: u32) {
        let line = &mut self.lines[slot as usize];
        let mut delta = epoch.saturating_sub(line.clock);
        while delta > MAX_DELTA {
            line.meets.push((MAX_DELTA << 24) | GAP_PARTNER);
            delta -= MAX_DELTA;
        }
        line.meets.push((delta << 24) | partner);
        line.clock = epoch.max(line.clock);
        bloom_add(&mut line.bloom, partner);
    }
}

/// The most common group size of a round (the smaller on a tie); 2 for no groups.
fn usual_group_size(groups: &[Group]) -> usize {
    let mut counts = [0usize; 9];
    for g in groups {
        counts[g.members.len().min(8)] += 1;
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
}
