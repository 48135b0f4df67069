//! What the engine gives back for a round: the groups, and why, if it had to give
//! something up.

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
