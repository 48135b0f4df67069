//! Look-ahead near the horizon: split the regular graph of unmet pairs into perfect
//! matchings (a 1-factorization), so every remaining round can still be repeat-free.
//!
//! Why: a fresh maximum matching each round gets stuck a round or two before the
//! n-1 horizon (what is left is, say, a 2-regular graph with an odd cycle). Edge-
//! colouring the remaining d-regular graph with d colours and taking one colour class
//! this round guarantees the rest stays factorable.
//!
//! The search is a randomised Kempe-chain walk: colour edges one by one; when an
//! edge's ends have no free colour in common, flip an alternating (a, b) path so one
//! appears; when the path closes on the edge itself, colour it anyway and evict the
//! clashing edge (a random walk step). Restarts bound the time.

use rand::seq::SliceRandom;
use rand::Rng;

const NONE: u32 = u32::MAX;

/// Colours the edges of a `d`-regular graph on `n` vertices with `d` colours so each
/// colour is a perfect matching. Returns each edge's colour, or `None` if the search
/// ran out of steps.
pub(crate) fn factorize(
    n: usize,
    edges: &[(u32, u32)],
    d: usize,
    rng: &mut impl Rng,
    attempts: usize,
) -> Option<Vec<u8>> {
    if d == 0 || d > 32 || edges.len() != n * d / 2 {
        return None;
    }
    // A successful walk is quick (a few steps per edge); a stuck one rarely recovers,
    // so many short attempts beat a few long ones.
    let max_steps = 20 * edges.len() + 1000;
    for _ in 0..attempts {
        if let Some(colours) = attempt(n, edges, d, rng, max_steps) {
            return Some(colours);
        }
    }
    None
}

fn attempt(
    n: usize,
    edges: &[(u32, u32)],
    d: usize,
    rng: &mut impl Rng,
    max_steps: usize,
) -> Option<Vec<u8>> {
    let full: u32 = if d == 32 { u32::MAX } else { (1u32 << d) - 1 };
    // at[v * d + c] = the edge of colour c at v.
    let mut at = vec![NONE; n * d];
    let mut colour = vec![u8::MAX; edges.len()];
    let mut used = vec![0u32; n];
    let mut stack: Vec<u32> = (0..edges.len() as u32).collect();
    stack.shuffle(rng);
    let mut path: Vec<u32> = Vec::new();
    let mut steps = 0usize;

    let other = |e: u32, x: u32| {
        let (a, b) = edges[e as usize];
        if a == x {
            b
        } else {
            a
        }
    };

    while let Some(e) = stack.pop() {
        steps += 1;
        if steps > max_steps {
            return None;
        }
        let (u, v) = edges[e as usize];
        let free_u = full & !used[u as usize];
        let free_v = full & !used[v as usize];
        let common = free_u & free_v;
        let set = |at: &mut Vec<u32>, used: &mut Vec<u32>, colour: &mut Vec<u8>, e: u32, c: u32| {
            let (x, y) = edges[e as usize];
            at[x as usize * d + c as usize] = e;
            at[y as usize * d + c as usize] = e;
            used[x as usize] |= 1 << c;
            used[y as usize] |= 1 << c;
            colour[e as usize] = c as u8;
        };
        let unset = |at: &mut Vec<u32>, used: &mut Vec<u32>, colour: &mut Vec<u8>, e: u32| {
            let c = colour[e as usize] as u32;
            let (x, y) = edges[e as usize];
            at[x as usize * d + c as usize] = NONE;
            at[y as usize * d + c as usize] = NONE;
            used[x as usize] &= !(1 << c);
            used[y as usize] &= !(1 << c);
            colour[e as usize] = u8::MAX;
        };
        if common != 0 {
            let c = random_bit(common, rng);
            set(&mut at, &mut used, &mut colour, e, c);
            continue;
        }
        // a is free at u but used at v; b is free at v but used at u.
        let a = random_bit(free_u, rng);
        let b = random_bit(free_v, rng);
        // Walk the (a, b) path that starts at v with its a-edge.
        path.clear();
        let mut x = v;
        let mut c = a;
        loop {
            let f = at[x as usize * d + c as usize];
            if f == NONE {
                break;
            }
            path.push(f);
            x = other(f, x);
            c = if c == a { b } else { a };
        }
        if x != u {
            // Flip the path: then a is free at v too.
            for &f in &path {
                unset(&mut at, &mut used, &mut colour, f);
            }
            for (k, &f) in path.iter().enumerate() {
                let c = if k % 2 == 0 { b } else { a };
                set(&mut at, &mut used, &mut colour, f, c);
            }
            set(&mut at, &mut used, &mut colour, e, a);
        } else if rng.random_bool(0.5) {
            let f = at[v as usize * d + a as usize];
            unset(&mut at, &mut used, &mut colour, f);
            set(&mut at, &mut used, &mut colour, e, a);
            stack.push(f);
        } else {
            let f = at[u as usize * d + b as usize];
            unset(&mut at, &mut used, &mut colour, f);
            set(&mut at, &mut used, &mut colour, e, b);
            stack.push(f);
        }
        // Occasionally pick a random uncoloured edge next, so the walk does not cycle.
        if stack.len() > 1 && rng.random_range(0..8) == 0 {
            let k = rng.random_range(0..stack.len());
            let last = stack.len() - 1;
            stack.swap(k, last);
        }
    }
    Some(colour)
}

fn random_bit(mask: u32, rng: &mut impl Rng) -> u32 {
    let count = mask.count_ones();
    let mut k = rng.random_range(0..count);
    let mut m = mask;
    loop {
        let bit = m.trailing_zeros();
        if k == 0 {
            return bit;
        }
        k -= 1;
        m &= m - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn check(n: usize, edges: &[(u32, u32)], d: usize, colours: &[u8]) {
        for c in 0..d as u8 {
            let mut seen = vec![false; n];
            for (e, &(a, b)) in edges.iter().enumerate() {
                if colours[e] == c {
                    assert!(!seen[a as usize] && !seen[b as usize]);
                    seen[a as usize] = true;
                    seen[b as usize] = true;
                }
            }
            assert!(seen.iter().all(|&s| s), "colour {c} is not perfect");
        }
    }

    #[test]
    fn factorizes_complete_graphs() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in (4..=20).step_by(2) {
            let mut edges = Vec::new();
            for a in 0..n as u32 {
                for b in a + 1..n as u32 {
                    edges.push((a, b));
                }
            }
            let colours = factorize(n, &edges, n - 1, &mut rng, 20).expect("K_n is 1-factorable");
            check(n, &edges, n - 1, &colours);
        }
    }

    #[test]
    fn refuses_a_graph_with_an_odd_cycle() {
        // Two disjoint triangles: 2-regular but not 1-factorable.
        let edges = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(factorize(6, &edges, 2, &mut rng, 3).is_none());
    }
}
