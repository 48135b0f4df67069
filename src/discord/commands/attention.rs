//! `/hallway-admin attention`: who needs a coordinator's attention, privately.

use crate::discord::errors::reply_private;
use crate::discord::state::{Context, Error};

/// Who needs your attention: members slipping away, silent groups, pauses, full mentors.
#[poise::command(slash_command, guild_only)]
pub async fn attention(ctx: Context<'_>) -> Result<(), Error> {
    reply_private(ctx, "Not built yet.").await?;
    Ok(())
}
