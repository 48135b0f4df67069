//! hallway: recurring random pairings for mentoring communities on Discord.

/// Command-line interface: the subcommands and what each runs.
pub mod cli;
/// Pure program logic: profiles, settings, validation and matching.
pub mod domain;
/// `hallway simulate`: matching quality and speed on a synthetic or CSV population.
pub mod simulate;
