//! The synthetic population: roles by mode, institutions, time zones, times of day and
//! modalities, drawn from a fixed seed so every run sees the same members.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::args::SimulateArgs;
use crate::domain::community::MatchingMode;
use crate::domain::matching::Candidate;
use crate::domain::profile::{Modality, Role, TimeOfDay};

/// Offsets of a spread of real zones (minutes), for synthetic members.
const SYNTHETIC_OFFSETS: [i32; 8] = [-480, -300, 0, 60, 120, 330, 480, 600];

/// The synthetic population `args` describe: the same for the same `--members`.
pub(super) fn synthetic(args: &SimulateArgs) -> Vec<Candidate> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED ^ args.members as u64);
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
                interests: 0,
            }
        })
        .collect()
}
