//! Every slash command, one file per area.

mod admin;
mod attention;
mod booking;
mod caller;
mod fit;
mod interests;
mod invite;
mod member;
mod privacy;
mod program;
mod prompts;
mod rounds;
mod stats;
mod survey;
mod wins;

pub use booking::{none_of_these_work, pick_slots, reschedule};
pub use fit::{fit_click, fit_undo};
pub use interests::pick_interests;
pub use invite::join_click;
pub use privacy::confirm_forget;
pub use rounds::confirm_preview;
pub use survey::{survey_click, survey_modal};

use super::state::{Command, Context, Error};

/// The full command set, in the order Discord lists it.
pub fn all() -> Vec<Command> {
    vec![hallway(), admin::hallway_admin(), wins::win()]
}

/// Random coffee chats with other members of this server.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "member::join",
        "member::profile",
        "member::pause",
        "member::resume",
        "member::leave",
        "interests::member_interests",
        "privacy::avoid",
        "privacy::unavoid",
        "privacy::history",
        "privacy::forget_me"
    ),
    subcommand_required
)]
async fn hallway(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}
