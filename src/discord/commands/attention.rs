//! `/hallway-admin attention`: who needs a coordinator's attention, privately.

use chrono::Utc;

use super::caller::live_program;
use crate::delivery::attention::report;
use crate::discord::choices::autocomplete_program;
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};

/// Who needs your attention: members slipping away, silent groups, pauses, full mentors.
#[poise::command(slash_command, guild_only)]
pub async fn attention(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let list = report(&ctx.data().store, &program, Utc::now()).await?;
    // Private and pinging nobody: the members are named, not notified.
    reply_private(ctx, &render::attention_reply(&program.name, &list)).await?;
    Ok(())
}
