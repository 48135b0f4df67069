//! `/hallway-admin survey …` and answering a survey: its buttons, and the text box
//! (a modal) of a text question.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, ModalInteraction};

use crate::discord::button_id::SurveyAction;
use crate::discord::buttons::{private, respond};
use crate::discord::errors::reply_private;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{GuildId, SurveyId};

/// Evaluation surveys: start one now, edit the questions, see how one is going.
#[poise::command(slash_command, guild_only, subcommands("start"), subcommand_required)]
pub async fn survey(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Invite the program's active members to a short survey now.
#[poise::command(slash_command, guild_only)]
async fn start(ctx: Context<'_>) -> Result<(), Error> {
    reply_private(ctx, "Not built yet.").await?;
    Ok(())
}

/// A survey button: open, decline, a score, write, skip.
pub async fn survey_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    survey: SurveyId,
    action: SurveyAction,
) -> anyhow::Result<()> {
    let _ = (data, guild, survey, action);
    respond(ctx, click, private("Not built yet.")).await
}

/// A text question's answer, from its modal.
pub async fn survey_modal(
    ctx: &serenity::Context,
    data: &Data,
    submit: &ModalInteraction,
) -> anyhow::Result<()> {
    let _ = (ctx, data, submit);
    Ok(())
}
