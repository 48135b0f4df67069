//! Placeholder until bench/starters.sh writes the table.

pub(super) struct Starter {
    pub members: u8,
    pub period: u8,
    pub fixed: u8,
    pub points: &'static [u8],
}

pub(super) const STARTERS: &[Starter] = &[];
