//! Button clicks: a group's answers (We met, Not yet, Skip), "how was it?", a
//! coordinator's Confirm on a previewed round, forget-me, and an invite's Join buttons.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateAllowedMentions, CreateInteractionResponse,
    CreateInteractionResponseMessage,
};

use super::button_id::ButtonId;
use super::button_id::SlotsOn;
use super::courier::{intro_buttons, intro_components};
use super::render;
use super::state::Data;
use crate::delivery;
use crate::domain::group::{GroupDetail, OutcomeStatus};
use crate::domain::ids::{GroupId, GuildId, UserId};

const NOT_YOURS: &str = "These buttons are for the members of this chat only.";
const OTHER_SERVER: &str =
    "This button belongs to another server, so it does nothing here. Nothing was changed.";

/// Handles a click on one of hallway's buttons; other components are ignored.
pub async fn handle(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
) -> anyhow::Result<()> {
    let Some(button) = ButtonId::parse(&click.data.custom_id) else {
        return Ok(());
    };
    // A button clicked in a server belongs to that server; only DMs carry no server.
    // Anyone can send any custom id: one clicked in a server must name that server, or it
    // is forged (or stale) and must not reach another server's data. Only DMs carry none.
    if click
        .guild_id
        .is_some_and(|here| GuildId::from(here) != button.guild())
    {
        tracing::info!(guild = ?click.guild_id, named = %button.guild(), "refused a button naming another server");
        return respond(ctx, click, private(OTHER_SERVER)).await;
    }
    let user = UserId::from(click.user.id);
    match button {
        ButtonId::Answer {
            guild,
            group,
            answer: status,
        } => {
            let Some(group) = member_group(data, guild, group, user).await? else {
                return respond(ctx, click, private(NOT_YOURS)).await;
            };
            answer(ctx, data, click, &group, status, user).await
        }
        ButtonId::Feedback {
            guild,
            group,
            rating,
        } => {
            let Some(group) = member_group(data, guild, group, user).await? else {
                return respond(ctx, click, private(NOT_YOURS)).await;
            };
            data.store
                .record_feedback(guild, group.group_id, user, rating, Utc::now())
                .await?;
            respond(
                ctx,
                click,
                private("Thanks! Only overall numbers reach the coordinators."),
            )
            .await
        }
        ButtonId::ConfirmPreview { guild, preview } => {
            super::commands::confirm_preview(ctx, data, click, guild, preview).await
        }
        ButtonId::ForgetMe { guild, user } => {
            super::commands::confirm_forget(ctx, data, click, guild, user).await
        }
        ButtonId::Interests { guild, program } => {
            super::commands::pick_interests(ctx, data, click, guild, program).await
        }
        ButtonId::Join {
            guild,
            program,
            role,
        } => super::commands::join_click(ctx, data, click, guild, program, role).await,
        ButtonId::Slots {
            guild,
            group,
            batch,
            on,
        } => {
            let Some(group) = member_group(data, guild, group, user).await? else {
                return respond(ctx, click, private(NOT_YOURS)).await;
            };
            super::commands::pick_slots(ctx, data, click, &group, batch, on).await
        }
        ButtonId::NoSlot {
            guild,
            group,
            batch,
            on,
        } => {
            let Some(group) = member_group(data, guild, group, user).await? else {
                return respond(ctx, click, private(NOT_YOURS)).await;
            };
            super::commands::none_of_these_work(ctx, data, click, &group, batch, on).await
        }
        ButtonId::Reschedule { guild, group, on } => {
            let Some(group) = member_group(data, guild, group, user).await? else {
                return respond(ctx, click, private(NOT_YOURS)).await;
            };
            super::commands::reschedule(ctx, data, click, &group, on).await
        }
        // Fit checks and surveys come by DM: who may answer is checked against what
        // was asked of whom, inside these handlers.
        ButtonId::Fit { guild, group, fit } => {
            super::commands::fit_click(ctx, data, click, guild, group, fit).await
        }
        ButtonId::FitUndo { guild, program } => {
            super::commands::fit_undo(ctx, data, click, guild, program).await
        }
        ButtonId::Survey {
            guild,
            survey,
            action,
        } => super::commands::survey_click(ctx, data, click, guild, survey, action).await,
    }
}

/// The group, if the clicker is in it.
async fn member_group(
    data: &Data,
    guild_id: GuildId,
    group_id: GroupId,
    user: UserId,
) -> anyhow::Result<Option<GroupDetail>> {
    let group = data.store.group(guild_id, group_id).await?;
    Ok(group.filter(|g| g.members.iter().any(|m| m.user_id == user)))
}

async fn answer(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    status: OutcomeStatus,
    user: UserId,
) -> anyhow::Result<()> {
    let previous = data
        .store
        .record_outcome(group.guild_id, group.group_id, user, status, Utc::now())
        .await?;
    if status == OutcomeStatus::Met {
        // A pair's first "We met" queued its fit check: send it now, not at the next pass.
        data.wake.notify_one();
    }
    let changed_met = (previous == Some(OutcomeStatus::Met)) != (status == OutcomeStatus::Met);
    match status {
        OutcomeStatus::Met => refresh_intro(ctx, data, click, group).await,
        OutcomeStatus::NotYet if changed_met => refresh_intro(ctx, data, click, group).await,
        OutcomeStatus::NotYet => {
            respond(
                ctx,
                click,
                private("No problem, there's still time this round. Even a short chat counts; click **We met** when you've talked."),
            )
            .await
        }
        OutcomeStatus::Skipped if previous == Some(OutcomeStatus::Skipped) => {
            respond(ctx, click, private("You've already skipped this round. See you in the next one!")).await
        }
        OutcomeStatus::Skipped => {
            let name = group
                .members
                .iter()
                .find(|m| m.user_id == user)
                .and_then(|m| m.profile.as_ref())
                .map_or_else(|| "One of you".to_string(), |p| p.display_name.clone());
            let others: Vec<UserId> = group.members.iter().map(|m| m.user_id).filter(|m| *m != user).collect();
            // Said in the thread, so the others know without anyone having to ask.
            let message = CreateInteractionResponseMessage::new()
                .content(render::skipped(&name, &others))
                .allowed_mentions(CreateAllowedMentions::new().users(others.iter().map(|u| serenity::UserId::from(*u))));
            if respond_in_thread(ctx, click, CreateInteractionResponse::Message(message)).await? {
                remember_skip_note(ctx, data, click, group, user).await;
            }
            // Those left may all have picked a time already.
            if data.store.book_if_agreed(group.guild_id, group.group_id, Utc::now()).await? {
                tracing::info!(guild = %group.guild_id, group = %group.group_id, "booked once a member skipped");
            }
            Ok(())
        }
    }
}

/// Records where the skip note went, for forget-me. The note is out already; if Discord
/// cannot say where, it stays unrecorded, and the log says so.
async fn remember_skip_note(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    user: UserId,
) {
    let saved = match click.get_response(&ctx.http).await {
        Ok(note) => {
            data.store
                .save_skip_note(
                    group.guild_id,
                    group.group_id,
                    user,
                    note.channel_id.into(),
                    note.id.into(),
                    Utc::now(),
                )
                .await
        }
        Err(err) => Err(err.into()),
    };
    if let Err(err) = saved {
        tracing::warn!(guild = %group.guild_id, group = %group.group_id, error = format!("{err:#}"), "could not record where a skip note was posted; forget-me cannot delete it");
    }
}

/// Rewrites the intro with who has met so far; the buttons stay.
async fn refresh_intro(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
) -> anyhow::Result<()> {
    let view = delivery::intro_view(&data.store, group).await?;
    let answers = data
        .store
        .group_outcomes(group.guild_id, group.group_id)
        .await?;
    // The answer buttons are on the intro and on the check-in after a booked chat.
    let on_intro =
        group.intro_message_id == Some(crate::domain::ids::MessageId::from(click.message.id));
    let (content, components) = if on_intro {
        (
            render::intro(&view, false, &answers),
            intro_components(&view, SlotsOn::Intro),
        )
    } else {
        (
            render::check_in_answered(&click.message.content, &view, &answers),
            vec![intro_buttons(group.guild_id, group.group_id)],
        )
    };
    let message = CreateInteractionResponseMessage::new()
        .content(render::fit(&content))
        .components(components)
        .allowed_mentions(CreateAllowedMentions::new());
    respond_in_thread(
        ctx,
        click,
        CreateInteractionResponse::UpdateMessage(message),
    )
    .await?;
    Ok(())
}

/// Answers in the group's thread, and says whether it did. Discord refuses that in an
/// archived thread (hallway archives a round's threads when the next round starts); the
/// answer is saved, so it says so privately instead.
pub async fn respond_in_thread(
    ctx: &serenity::Context,
    click: &ComponentInteraction,
    response: CreateInteractionResponse,
) -> anyhow::Result<bool> {
    match click.create_response(&ctx.http, response).await {
        Ok(()) => Ok(true),
        Err(err) if is_archived_thread(&err) => {
            respond(ctx, click, private(SAVED_IN_ARCHIVED_THREAD)).await?;
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

const SAVED_IN_ARCHIVED_THREAD: &str =
    "Saved, thanks! This chat's thread is archived now, so its message stays as it was; post in the thread to reopen it.";

fn is_archived_thread(err: &serenity::Error) -> bool {
    matches!(
        err,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if response.error.code == crate::delivery::codes::THREAD_ARCHIVED as isize
    )
}

pub fn private(text: &str) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(CreateAllowedMentions::new()),
    )
}

pub async fn respond(
    ctx: &serenity::Context,
    click: &ComponentInteraction,
    response: CreateInteractionResponse,
) -> anyhow::Result<()> {
    click.create_response(&ctx.http, response).await?;
    Ok(())
}
