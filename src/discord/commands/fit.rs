//! The fit check's buttons, and undoing a "Not a fit" from `/hallway profile`.

use poise::serenity_prelude as serenity;
use serenity::ComponentInteraction;

use crate::discord::buttons::{private, respond};
use crate::discord::state::Data;
use crate::domain::fit::Fit;
use crate::domain::ids::{GroupId, GuildId, ProgramId};

/// "Good fit" / "Not a fit", clicked in a fit check's DM.
pub async fn fit_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    group: GroupId,
    fit: Fit,
) -> anyhow::Result<()> {
    let _ = (data, guild, group, fit);
    respond(ctx, click, private("Not built yet.")).await
}

/// The profile's "match me again with …" menu.
pub async fn fit_undo(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    program: ProgramId,
) -> anyhow::Result<()> {
    let _ = (data, guild, program);
    respond(ctx, click, private("Not built yet.")).await
}
