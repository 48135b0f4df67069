//! `/hallway avoid | unavoid | history | forget-me`: what members control about their data.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::{ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton};

use super::caller::{author, guild, my_programs};
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
    // The list is the server's: it holds in every program.
    let me = my_programs(ctx, None).await?.remove(0).1;
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
    let me = my_programs(ctx, None).await?.remove(0).1;
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

/// What forget-me does, and what it cannot do, before the member confirms.
const FORGET_ME_WARNING: &str = "This deletes your profile, your do-not-match list, your answers, your wins and your \
place in past chats, in this server. Past chats stay only as anonymous counts in the program's statistics.\n\n\
It also takes your name out of what hallway posted: the private threads it made for your chats are renamed, \
and its intros and reminders there, and the intros it sent by DM (to you and to the others), are rewritten to \
say \"a former member\", without your institution. Its posts celebrating your wins and milestones, and its notes \
that you could not make a round, are deleted (except skip notes from before hallway recorded where it posted them: \
those it cannot find, and they keep your name).\n\n\
What you wrote yourself stays yours: delete your own messages in Discord if you want them gone.\n\n\
It cannot be undone. Only you can see this message.";

/// The answer once the member is forgotten.
fn forgotten(changes: u32) -> String {
    let discord = if changes == 0 {
        "Nothing hallway posted named you, so nothing in Discord needed changing.".to_string()
    } else {
        "hallway is now taking your name out of its threads and messages; that goes on in the \
         background, and carries on if hallway restarts."
            .to_string()
    };
    format!(
        "Done. Everything hallway stored about you in this server is deleted. {discord} \
         Messages you wrote yourself are still yours to delete. You're welcome back any time with `/hallway join`."
    )
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
            .content(FORGET_ME_WARNING)
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
    let changes = data
        .store
        .forget_member(guild_id, clicker, Utc::now())
        .await?;
    data.wake.notify_one();
    tracing::info!(
        guild = %guild_id,
        changes,
        "a member was forgotten at their request"
    );
    let done = serenity::CreateInteractionResponseMessage::new()
        .content(forgotten(changes))
        .components(Vec::new());
    respond(
        ctx,
        click,
        serenity::CreateInteractionResponse::UpdateMessage(done),
    )
    .await
}
