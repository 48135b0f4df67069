//! Who ran a command, and in which server: what every command file needs first.

use crate::discord::state::{Context, Error};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::validate::InputError;

/// The server the command ran in; `guild_only` commands always have one.
pub(crate) fn guild(ctx: Context<'_>) -> Result<GuildId, Error> {
    ctx.guild_id()
        .map(GuildId::from)
        .ok_or_else(|| InputError::new(crate::discord::errors::NOT_IN_A_SERVER).into())
}

pub(crate) fn author(ctx: Context<'_>) -> UserId {
    ctx.author().id.into()
}

/// The member's server nickname, else their global display name, else their username.
pub(crate) async fn display_name(ctx: Context<'_>) -> String {
    match ctx.author_member().await {
        Some(member) => member.display_name().to_string(),
        None => ctx.author().display_name().to_string(),
    }
}

/// The invoker's membership, or a user error telling them how to join.
pub(crate) async fn current_member(
    ctx: Context<'_>,
    guild_id: GuildId,
) -> Result<crate::domain::member::Member, Error> {
    let member = ctx.data().store.member(guild_id, author(ctx)).await?;
    match member {
        Some(member) if member.left_at.is_none() => Ok(member),
        Some(_) => Err(InputError::new(
            "You left hallway. Run `/hallway join role:<mentor|mentee|peer>` to come back.",
        )
        .into()),
        None => Err(not_a_member()),
    }
}

pub(crate) fn not_a_member() -> Error {
    InputError::new("You haven't joined yet. Run `/hallway join role:<mentor|mentee|peer>` first.")
        .into()
}
