//! The fit check: after a pair's first "We met", each of the two is asked privately how
//! the fit was. "Not a fit" becomes a soft avoid that only its author sees and can undo.

use super::ids::{GroupId, ProgramId, UserId};
use super::words::word_enum;

/// A member's answer to "How was the fit?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fit {
    Good,
    NotAFit,
}

word_enum!(Fit, "fit answer", {
    Good => "good", NotAFit => "not-a-fit",
});

impl Fit {
    /// Whether the answer keeps the two apart in matching (until its author undoes it).
    pub fn avoids(self) -> bool {
        self == Fit::NotAFit
    }
}

/// The outbox key of the fit check that asks `asked` about their pair with the other of
/// `a` and `b` in `program`. It names the pair, not the group, so one pair is asked once
/// per program, ever: a second "We met", the other member's, or a later round together
/// queue nothing new.
pub fn fit_check_key(program: ProgramId, a: UserId, b: UserId, asked: UserId) -> String {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    format!("fit-check:{program}:{low}:{high}:{asked}")
}

/// A fit answer as its author recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitAnswer {
    pub group_id: GroupId,
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub partner_id: UserId,
    pub fit: Fit,
    /// Still keeping the two apart: "Not a fit", not undone.
    pub avoiding: bool,
}

/// Why a click on a fit check recorded nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitRefused {
    /// The clicker was never asked about this group.
    NotAsked,
    /// The other member has since asked to be forgotten.
    PartnerGone,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_the_pair_in_order_and_whom_it_asks() {
        let (ada, ben) = (UserId(20), UserId(3));
        let for_ada = fit_check_key(ProgramId(7), ada, ben, ada);
        assert_eq!(for_ada, "fit-check:7:3:20:20");
        assert_eq!(fit_check_key(ProgramId(7), ben, ada, ada), for_ada);
        assert_eq!(
            fit_check_key(ProgramId(7), ada, ben, ben),
            "fit-check:7:3:20:3"
        );
    }

    #[test]
    fn only_not_a_fit_avoids_and_the_words_round_trip() {
        assert!(Fit::NotAFit.avoids() && !Fit::Good.avoids());
        for fit in Fit::ALL {
            assert_eq!(fit.as_str().parse::<Fit>(), Ok(*fit));
        }
    }
}
