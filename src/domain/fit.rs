//! The fit check: after a pair's first "We met", each of the two is asked privately how
//! the fit was. "Not a fit" becomes a soft avoid that only its author sees and can undo.

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
