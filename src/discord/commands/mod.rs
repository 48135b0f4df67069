//! Every slash command, one file per area.

mod admin;
mod member;
mod privacy;
mod program;
mod prompts;
mod stats;
mod wins;

pub use privacy::confirm_forget;
pub use program::confirm_preview;

use super::state::Command;

/// The full command set, in the order Discord lists it.
pub fn all() -> Vec<Command> {
    vec![member::hallway(), admin::hallway_admin(), wins::win()]
}
