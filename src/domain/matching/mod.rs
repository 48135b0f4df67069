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
//! 4. soft preferences (institution, time of day across time zones, modality) as a cost.
//!
//! See `docs/matching.md` for the algorithms and measurements.

mod blossom;
mod context;
mod factor;
mod groups;
mod history;
mod mentor;
mod pairs;

pub use history::History;

use crate::domain::community::MatchingMode;
use crate::domain::profile::{Modality, Role, TimeOfDay};

/// One member, as the engine sees them this round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Discord user id.
    pub id: u64,
    pub role: Role,
    pub institution: Option<String>,
    /// The caller converts the member's IANA zone to an offset at round time.
    pub utc_offset_minutes: Option<i32>,
    pub time_of_day: TimeOfDay,
    pub modality: Modality,
    /// Mentors: the most mentees they meet this round (0-5). Ignored for others.
    pub capacity: u8,
    /// False when paused or departed: such a member is never matched.
    pub available: bool,
}

impl Candidate {
    /// A peer with no preferences, for tests and simple callers.
    pub fn peer(id: u64) -> Self {
        Candidate {
            id,
            role: Role::Peer,
            institution: None,
            utc_offset_minutes: None,
            time_of_day: TimeOfDay::Flexible,
            modality: Modality::Any,
            capacity: 0,
            available: true,
        }
    }
}

/// How a community wants its rounds matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchSettings {
    pub mode: MatchingMode,
    /// 2 for pairs, 3-4 for small groups. In mentor-mentee mode, a mentor's chat holds
    /// the mentor and `group_size - 1` mentees.
    pub group_size: u8,
    /// Prefer pairs from different institutions.
    pub cross_institution: bool,
    /// Peer circles: only members of this role are grouped; `None` groups every role
    /// separately.
    pub circle_role: Option<Role>,
}

impl MatchSettings {
    /// Settings for a mode and group size, with cross-institution off and mentee circles.
    pub fn new(mode: MatchingMode, group_size: u8) -> Self {
        MatchSettings {
            mode,
            group_size,
            cross_institution: false,
            circle_role: Some(Role::Mentee),
        }
    }
}

/// Confidential do-not-match pairs. Unordered: `(a, b)` also forbids `(b, a)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvoidList {
    /// Sorted, deduplicated, each pair as `(smaller, larger)`.
    pairs: Vec<(u64, u64)>,
}

impl AvoidList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the pair must never be matched.
    pub fn contains(&self, a: u64, b: u64) -> bool {
        self.pairs.binary_search(&ordered(a, b)).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The pairs, each as `(smaller, larger)`, sorted.
    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.pairs
    }
}

impl FromIterator<(u64, u64)> for AvoidList {
    fn from_iter<I: IntoIterator<Item = (u64, u64)>>(iter: I) -> Self {
        let mut pairs: Vec<(u64, u64)> = iter
            .into_iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| ordered(a, b))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        AvoidList { pairs }
    }
}

fn ordered(a: u64, b: u64) -> (u64, u64) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// One chat. In mentor-mentee mode the mentor comes first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group {
    pub members: Vec<u64>,
}

/// The groups of a round and why, if the engine had to give something up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchOutcome {
    pub groups: Vec<Group>,
    /// Short explanations of each compromise: repeats used, avoid forced a trio, etc.
    pub compromises: Vec<String>,
    /// Available members left without a group (a lone member, or one every possible
    /// partner avoids). Everyone else available is in `groups`.
    pub unplaced: Vec<u64>,
}

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

/// Where the engine writes a round's groups: over the groups of a reused outcome.
pub(crate) struct Sink<'o> {
    pub out: &'o mut MatchOutcome,
    written: usize,
    ids: &'o mut Vec<u64>,
    slots: &'o mut Vec<u32>,
}

impl Sink<'_> {
    /// Appends a pair of local members of `pool`.
    #[inline]
    pub fn push_pair(&mut self, pool: &context::Pool, a: usize, b: usize) {
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
    pub fn push(&mut self, pool: &context::Pool, members: &[usize]) {
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
    let mut sink = Sink {
        out,
        written: 0,
        ids: &mut scratch.out_ids,
        slots: &mut scratch.out_slots,
    };
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
                |c| c.available,
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
                    |c| c.available && c.role == role,
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
    let written = sink.written;
    out.groups.truncate(written);
    scratch.pool = bufs;
}
