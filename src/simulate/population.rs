//! The synthetic population: roles by mode, institutions, time zones, times of day and
//! modalities, drawn from a fixed seed so every run sees the same members.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::args::SimulateArgs;
use crate::domain::matching::{Candidate, MEMBER_INTERESTS};
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::program::MatchingMode;

/// Offsets of a spread of real zones (minutes), for synthetic members.
const SYNTHETIC_OFFSETS: [i32; 8] = [-480, -300, 0, 60, 120, 330, 480, 600];

/// The synthetic population `args` describe: the same for the same `--members` (and
/// `--interests`).
pub(super) fn synthetic(args: &SimulateArgs) -> Vec<Candidate> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED ^ args.members as u64);
    // Interests come from their own stream, so adding them changes nothing else.
    let mut tag_rng = ChaCha8Rng::seed_from_u64(0x7A65 ^ args.members as u64);
    let k = args.mentor_ratio as usize;
    let capacity = args.capacity.unwrap_or(k.min(5) as u8);
    (0..args.members)
        .map(|i| {
            let role = match args.mode {
                MatchingMode::Open => Role::Peer,
                MatchingMode::PeerCircles => Role::Mentee,
                MatchingMode::MentorMentee => {
                    if i % (k + 1) == 0 {
                        Role::Mentor
                    } else {
                        Role::Mentee
                    }
                }
            };
            // Drawn at random, so institution does not follow role.
            let institution = match args.institutions {
                0 => None,
                1 => Some("institution-0".to_string()),
                _ if rng.random_bool(0.5) => Some("institution-0".to_string()),
                n => Some(format!("institution-{}", rng.random_range(1..n))),
            };
            Candidate {
                // Snowflake-like ids: large, increasing, not dense.
                id: 170_000_000_000_000_000 + (i as u64) * 4_194_304 + (i as u64 * 7919) % 4096,
                role,
                institution,
                utc_offset_minutes: Some(
                    SYNTHETIC_OFFSETS[rng.random_range(0..SYNTHETIC_OFFSETS.len())],
                ),
                time_of_day: TimeOfDay::ALL[rng.random_range(0..TimeOfDay::ALL.len())],
                modality: Modality::ALL[rng.random_range(0..Modality::ALL.len())],
                capacity: if role == Role::Mentor { capacity } else { 0 },
                available: true,
                interests: pick_interests(args.interests, &mut tag_rng),
            }
        })
        .collect()
}

/// A member's tags out of `tags`: 1-5 of them (at most `tags`), tag `k` drawn with
/// weight 1/(k+1), so the first few are popular and the last ones rare, as in a real
/// program.
pub(super) fn pick_interests(tags: u32, rng: &mut impl Rng) -> u32 {
    if tags == 0 {
        return 0;
    }
    let want = rng.random_range(1..=MEMBER_INTERESTS.min(tags));
    // Weights 1/(k+1), scaled to whole numbers: 27,720 is divisible by 1 to 12; beyond
    // that the rounding is below 0.1%.
    let weight = |k: u32| 27_720 / (k + 1);
    let mut mask = 0u32;
    while mask.count_ones() < want {
        let free = (0..tags).filter(|&k| mask & 1 << k == 0);
        let total: u32 = free.clone().map(weight).sum();
        let mut draw = rng.random_range(0..total);
        for k in free {
            if draw < weight(k) {
                mask |= 1 << k;
                break;
            }
            draw -= weight(k);
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_pick_one_to_five_tags_and_the_first_tags_are_the_popular_ones() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut per_tag = [0u32; 12];
        for _ in 0..2000 {
            let mask = pick_interests(12, &mut rng);
            assert!((1..=5).contains(&mask.count_ones()), "{mask:b}");
            assert_eq!(mask >> 12, 0, "{mask:b}");
            for (k, n) in per_tag.iter_mut().enumerate() {
                *n += mask >> k & 1;
            }
        }
        assert!(per_tag[0] > 2 * per_tag[11], "{per_tag:?}");
        assert!(per_tag.iter().all(|&n| n > 0), "{per_tag:?}");
        assert_eq!(pick_interests(0, &mut rng), 0);
        for _ in 0..20 {
            let mask = pick_interests(2, &mut rng);
            assert!(mask != 0 && mask >> 2 == 0, "{mask:b}");
        }
    }
}
