//! Where the engine writes a round's groups, reusing the caller's outcome, and the ids
//! and history slots it wrote, for `History::record_matched`.

use super::context::Pool;
use super::outcome::{Group, MatchOutcome};

/// Where the engine writes a round's groups: over the groups of a reused outcome.
pub(crate) struct Sink<'o> {
    pub out: &'o mut MatchOutcome,
    written: usize,
    ids: &'o mut Vec<u64>,
    slots: &'o mut Vec<u32>,
}

impl<'o> Sink<'o> {
    /// Writes over `out`'s groups from the first; `ids` and `slots` are appended to.
    pub fn new(out: &'o mut MatchOutcome, ids: &'o mut Vec<u64>, slots: &'o mut Vec<u32>) -> Self {
        Sink {
            out,
            written: 0,
            ids,
            slots,
        }
    }

    /// How many groups have been written.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Appends a pair of local members of `pool`.
    #[inline]
    pub fn push_pair(&mut self, pool: &Pool, a: usize, b: usize) {
        let (x, y) = (pool.id(a), pool.id(b));
        match self.out.groups.get_mut(self.written) {
            Some(g) => {
                g.members.clear();
                g.members.push(x);
                g.members.push(y);
            }
            None => self.out.groups.push(Group {
                members: vec![x, y],
            }),
        }
        self.written += 1;
        self.ids.push(x);
        self.ids.push(y);
        self.slots.push(pool.slot(a));
        self.slots.push(pool.slot(b));
    }

    /// Appends a group of local members of `pool`.
    pub fn push(&mut self, pool: &Pool, members: &[usize]) {
        let ids = members.iter().map(|&i| pool.id(i));
        match self.out.groups.get_mut(self.written) {
            Some(g) => {
                g.members.clear();
                g.members.extend(ids);
            }
            None => self.out.groups.push(Group {
                members: ids.collect(),
            }),
        }
        self.written += 1;
        self.ids.extend(members.iter().map(|&i| pool.id(i)));
        self.slots.extend(members.iter().map(|&i| pool.slot(i)));
    }
}
