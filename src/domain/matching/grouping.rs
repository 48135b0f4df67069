//! The result of a grouping step, in local pool indices: shared by the pair, group
//! and mentor steps and kept between rounds in the pool's work space.

/// Groups of local indices, plus members that no group can take.
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    /// Pairs, kept flat: 50,000 of them must not cost 50,000 allocations.
    pub pairs: Vec<(usize, usize)>,
    /// Every other group.
    pub groups: Vec<Vec<usize>>,
    pub unplaced: Vec<usize>,
}

impl Grouping {
    /// Empties it, keeping the memory.
    pub fn clear(&mut self) {
        self.pairs.clear();
        self.groups.clear();
        self.unplaced.clear();
    }
}
