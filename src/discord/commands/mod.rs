//! Every slash command, one file per area.

mod admin;
mod member;

use super::state::Command;

/// The full command set, in the order Discord lists it.
pub fn all() -> Vec<Command> {
    vec![member::hallway(), admin::hallway_admin()]
}
