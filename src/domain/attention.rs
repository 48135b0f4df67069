//! Who needs a coordinator's attention: members slipping away, silent groups, pauses that
//! ran out without a match, mentors at capacity every round. Nothing confidential: no
//! avoid lists and no fit answers.

/// The attention list of one program. (Filled in by the attention work.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttentionReport {}
