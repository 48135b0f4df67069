//! The matching engine: who meets whom this round.
//!
//! [`match_round`] is a pure function of the members, their [`History`], the
//! [`AvoidList`], the [`MatchSettings`] and an RNG passed in, so the same seed and the
//! same input give the same groups. Rules, in priority order:
//! 1. hard: never an avoided pair, never an unavailable member, never past a mentor's
//!    capacity, everyone available placed exactly once (mentors once per chat);
//! 2. no repeat while a repeat-free grouping exists; otherwise the fewest repeats,
//!    of the pairs that met longest ago;
//! 3. fairness: the extra seat of an odd-size group rotates;
//! 4. soft preferences as a cost among the partners rules 1-3 allow: institution, time
//!    of day across time zones, modality, and shared interest tags (by
//!    [`InterestWeight`]: off, light or strong; at most two shared tags count, so the
//!    reward stays a nudge that can never outweigh a repeat or a fairness seat).
//!
//! See `docs/matching.md` for the algorithms and measurements.

mod blossom;
mod context;
mod design;
mod factor;
mod grouping;
mod groups;
mod history;
mod input;
mod mentor;
mod outcome;
mod pairs;
mod sink;
#[cfg(test)]
mod starter_search;
mod starters;

pub use history::History;
pub use input::{
    shared_interests, AvoidList, Candidate, InterestWeight, MatchSettings, INTEREST_TAGS,
    MEMBER_INTERESTS,
};
pub use outcome::{Group, MatchOutcome};

use crate::domain::profile::Role;
use crate::domain::program::MatchingMode;
use sink::Sink;

/// Buffers kept between rounds by a caller that matches many rounds in a row (the
/// simulator, a benchmark): with [`match_round_reusing`] and
/// [`History::record_matched`], a round at 100,000 members allocates almost nothing
/// and recording skips the id lookups. The groups are the same as [`match_round`]'s.
#[derive(Debug, Default)]
pub struct MatchScratch {
    pool: context::PoolBuffers,
    /// Id and history slot of each member of the outcome's groups, in order, and the
    /// history's stamp when they were taken.
    out_ids: Vec<u64>,
    out_slots: Vec<u32>,
    stamp: (u64, usize),
    record: history::SlotGroups,
}

impl MatchScratch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl History {
    /// Like [`History::record_round`] for the outcome of [`match_round_reusing`] with
    /// the same scratch and this history, unchanged since: it takes each member's slot
    /// from the scratch instead of looking the id up, which saves a random memory
    /// access per member. Anything else (another history, groups edited since) is
    /// detected and recorded by looking ids up; the result is always the same as
    /// `record_round`'s.
    pub fn record_matched(
        &mut self,
        round_number: u32,
        outcome: &MatchOutcome,
        scratch: &mut MatchScratch,
    ) {
        let hint = (scratch.stamp == self.stamp())
            .then_some((&scratch.out_ids[..], &scratch.out_slots[..]));
        self.record_hinted(round_number, &outcome.groups, hint, &mut scratch.record);
    }
}

/// Matches one round. Deterministic for a given RNG state and input (including order).
pub fn match_round(
    members: &[Candidate],
    history: &History,
    avoid: &AvoidList,
    settings: &MatchSettings,
    rng: &mut impl rand::Rng,
) -> MatchOutcome {
    let mut out = MatchOutcome::default();
    let mut scratch = MatchScratch::default();
    match_round_reusing(
        members,
        history,
        avoid,
        settings,
        rng,
        &mut scratch,
        &mut out,
    );
    out
}

/// [`match_round`] into `out`, reusing `out`'s groups and `scratch`'s buffers from an
/// earlier round. Gives exactly the groups `match_round` gives.
pub fn match_round_reusing(
    members: &[Candidate],
    history: &History,
    avoid: &AvoidList,
    settings: &MatchSettings,
    rng: &mut impl rand::Rng,
    scratch: &mut MatchScratch,
    out: &mut MatchOutcome,
) {
    out.compromises.clear();
    out.unplaced.clear();
    scratch.out_ids.clear();
    scratch.out_slots.clear();
    scratch.stamp = history.stamp();
    let mut bufs = std::mem::take(&mut scratch.pool);
    let mut sink = Sink::new(out, &mut scratch.out_ids, &mut scratch.out_slots);
    let group_size = settings.group_size.clamp(2, 4) as usize;
    if settings.group_size != group_size as u8 {
        sink.out.compromises.push(format!(
            "group size {} is outside 2-4; used {group_size}",
            settings.group_size
        ));
    }
    match settings.mode {
        MatchingMode::Open => {
            bufs = groups::match_everyone(
                members,
                |_| true,
                history,
                avoid,
                settings,
                group_size,
                rng,
                &mut sink,
                bufs,
            );
        }
        MatchingMode::PeerCircles => {
            let size = group_size.max(3);
            if size != group_size {
                sink.out
                    .compromises
                    .push("peer circles have 3 or 4 members; used circles of 3".into());
            }
            let roles: Vec<Role> = match settings.circle_role {
                Some(role) => vec![role],
                None => Role::ALL.to_vec(),
            };
            for role in roles {
                bufs = groups::match_everyone(
                    members,
                    |c| c.role == role,
                    history,
                    avoid,
                    settings,
                    size,
                    rng,
                    &mut sink,
                    bufs,
                );
            }
            if let Some(role) = settings.circle_role {
                let others = members
                    .iter()
                    .filter(|c| c.available && c.role != role)
                    .count();
                if others > 0 {
                    sink.out.compromises.push(format!(
                        "{others} available member(s) are not {role}s and sit out {role} circles"
                    ));
                }
            }
        }
        MatchingMode::MentorMentee => {
            bufs = mentor::match_mentors(
                members, history, avoid, settings, group_size, rng, &mut sink, bufs,
            );
        }
    }
    let written = sink.written();
    out.groups.truncate(written);
    scratch.pool = bufs;
}
