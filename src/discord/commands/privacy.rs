//! `/hallway avoid | unavoid | history | forget-me`: what members control about their data.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::{ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton};

use super::caller::{author, current_member, guild};
use crate::discord::button_id::ButtonId;
use crate::discord::buttons::{private, respond};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::validate::InputError;

/// Never be matched with someone. Confidential: nobody else can see this list.
#[poise::command(slash_command, guild_only)]
pub async fn avoid(
    ctx: Context<'_>,
    #[description = "Who you'd rather not be matched with"] member: serenity::User,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let me = current_member(ctx, guild_id).await?;
    if UserId::from(member.id) == me.user_id {
        return Err(InputError::new("You can't avoid yourself. Pick someone else.").into());
    }
    if member.bot {
        return Err(
            InputError::new("Bots are never matched, so there's no need to avoid one.").into(),
        );
    }
    let added = ctx
        .data()
        .store
        .avoid(guild_id, me.user_id, member.id.into(), Utc::now())
        .await?;
    let text = if added {
        format!(
            "Got it: you won't be matched with <@{}>. This list is confidential: nobody else can see it, \
             coordinators included. Undo with `/hallway unavoid`.",
            member.id
        )
    } else {
        format!("<@{}> is already on your do-not-match list.", member.id)
    };
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Take someone off your do-not-match list.
#[poise::command(slash_command, guild_only)]
pub async fn unavoid(
    ctx: Context<'_>,
    #[description = "Who to take off your do-not-match list"] member: serenity::User,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let me = current_member(ctx, guild_id).await?;
    let removed = ctx
        .data()
        .store
        .unavoid(guild_id, me.user_id, member.id.into())
        .await?;
    let text = if removed {
        format!("Done: <@{}> can be matched with you again.", member.id)
    } else {
        format!(
            "<@{}> wasn't on your do-not-match list, so nothing changed.",
            member.id
        )
    };
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Your past chats in this server.
#[poise::command(slash_command, guild_only)]
pub async fn history(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let me = author(ctx);
    let chats = ctx.data().store.history(guild_id, me, 25).await?;
    reply_private(ctx, &render::history(&chats)).await?;
    Ok(())
}

/// Delete everything hallway stores about you here (asks you to confirm first).
#[poise::command(slash_command, guild_only, rename = "forget-me")]
pub async fn forget_me(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let me = author(ctx);
    let confirm = CreateButton::new(
        ButtonId::ForgetMe {
            guild: guild_id,
            user: me,
        }
        .to_string(),
    )
    .label("Delete everything about me")
    .style(ButtonStyle::Danger);
    ctx.send(
        CreateReply::default()
            .content(
                "This deletes your profile, your do-not-match list, your answers, your wins and your place \
                 in past chats, in this server. Past chats stay only as anonymous counts in the program's \
                 statistics. It cannot be undone. Only you can see this message.",
            )
            .ephemeral(true)
            .components(vec![CreateActionRow::Buttons(vec![confirm])]),
    )
    .await?;
    Ok(())
}

/// The click on "Delete everything about me".
pub async fn confirm_forget(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<()> {
    let clicker = UserId::from(click.user.id);
    if clicker != user_id {
        return respond(
            ctx,
            click,
            private("Only the person who asked can confirm this."),
        )
        .await;
    }
    data.store.forget_member(guild_id, clicker).await?;
    tracing::info!(guild = %guild_id, "a member was forgotten at their request");
    let done = serenity::CreateInteractionResponseMessage::new()
        .content("Done. Everything hallway stored about you in this server is deleted. You're welcome back any time with `/hallway join`.")
        .components(Vec::new());
    respond(
        ctx,
        click,
        serenity::CreateInteractionResponse::UpdateMessage(done),
    )
    .await
}
