//! Pure program logic: no Discord, no database, no clock and no global RNG.
//! Callers pass in `now` and the random number generator.

pub mod attention;
pub mod booking;
pub mod calendar;
pub mod export;
pub mod fit;
pub mod group;
pub mod ids;
pub mod interests;
pub mod limits;
pub mod matching;
pub mod member;
pub mod milestones;
pub mod outbox;
pub mod preview;
pub mod profile;
pub mod program;
pub mod prompts;
pub mod round;
pub mod schedule;
pub mod shards;
pub mod slots;
pub mod stats;
pub mod suggest;
pub mod survey;
pub mod validate;
pub mod wins;
pub mod words;
