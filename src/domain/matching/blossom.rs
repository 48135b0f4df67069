//! Edmonds' blossom algorithm: a maximum matching in a general (non-bipartite) graph.
//!
//! Why it is here: open-mode pairing must find a repeat-free pairing whenever one
//! exists (rule 2 of the engine), and a greedy pass alone can miss one when the unmet
//! graph has odd cycles. Augmenting paths through contracted odd cycles ("blossoms")
//! turn any matching into a maximum one. The graph is implicit (`allowed(a, b)`), so
//! the same code serves the unmet graph and every "met before round t" threshold of
//! the fewest-repeats search in `pairs.rs`.

/// A free vertex in `mate`.
pub(crate) const NONE: u32 = u32::MAX;

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
