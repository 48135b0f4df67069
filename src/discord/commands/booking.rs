//! Clicks on a group's slot picker: the slots a member picks, "None of these work", and
//! Reschedule. Each answers by redrawing the message clicked, as it is after the change;
//! what the rest of the group must hear ("Booked", new slots by DM) goes through the
//! outbox, saved in the same transaction as the change.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, ComponentInteractionDataKind, CreateAllowedMentions,
    CreateInteractionResponse, CreateInteractionResponseMessage,
};

use crate::delivery::{self, RescheduledView};
use crate::discord::button_id::SlotsOn;
use crate::discord::buttons::{private, respond, respond_in_thread};
use crate::discord::courier::{intro_components, slot_rows};
use crate::discord::render;
use crate::discord::state::Data;
use crate::domain::booking::{PickOutcome, SlotChoice};
use crate::domain::group::GroupDetail;
use crate::domain::ids::UserId;
use crate::storage::NextSlots;

const STALE: &str = "These times were replaced by newer ones, so nothing was saved: pick from the latest ones I sent.";
const ALREADY_BOOKED: &str = "Your chat is booked already, so nothing was changed. If the time stops working, click **Reschedule**.";
const NOTHING_BOOKED: &str =
    "Nothing is booked right now, so there is nothing to reschedule: pick the times that work in the menu.";
const NO_MORE_SLOTS: &str = "I have no more times to offer in the next two weeks, so nothing was changed. Agree on a time in your chat, or set your time zone and time of day with `/hallway profile` for better ones.";

/// A member's picks from the menu: saved, and booked when a slot now suits everyone.
pub async fn pick_slots(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    batch: u32,
    on: SlotsOn,
) -> anyhow::Result<()> {
    let ComponentInteractionDataKind::StringSelect { values } = &click.data.kind else {
        return Ok(());
    };
    // Values are the slots' Unix times; anything else is forged and picks nothing.
    let picks: Vec<DateTime<Utc>> = values
        .iter()
        .filter_map(|v| v.parse::<i64>().ok())
        .filter_map(|secs| DateTime::from_timestamp(secs, 0))
        .collect();
    let user = UserId::from(click.user.id);
    let outcome = data
        .store
        .pick_slots(
            group.guild_id,
            group.group_id,
            user,
            batch,
            &picks,
            Utc::now(),
        )
        .await?;
    match outcome {
        PickOutcome::Saved(choice) | PickOutcome::Booked(choice) => {
            redraw(ctx, data, click, group, on, choice).await
        }
        // Picked from an older message (another member asked for other times, or booked
        // and rescheduled): this message is redrawn with the times that count now.
        PickOutcome::Stale(choice) if on != SlotsOn::Intro => {
            redraw(ctx, data, click, group, on, choice).await
        }
        PickOutcome::Stale(_) => respond(ctx, click, private(STALE)).await,
        PickOutcome::AlreadyBooked(_) => respond(ctx, click, private(ALREADY_BOOKED)).await,
    }
}

/// "None of these work": the next few slots, after the ones offered so far.
pub async fn none_of_these_work(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    batch: u32,
    on: SlotsOn,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let offered = data.store.offered_slots(group.group_id).await?;
    // After the times on show, never one offered before.
    let shown = data.store.slot_choice(group.group_id).await?;
    let after = shown
        .and_then(|c| c.slots.iter().copied().max())
        .unwrap_or(now)
        .max(now);
    let program = data.store.program(group.guild_id, group.program_id).await?;
    let offer = delivery::find_slots(group, program.as_ref(), after, &offered);
    if offer.slots.is_empty() {
        return respond(ctx, click, private(NO_MORE_SLOTS)).await;
    }
    match data
        .store
        .offer_next_slots(group.guild_id, group.group_id, batch, &offer, now)
        .await?
    {
        // Someone else asked first: they see the same new slots.
        NextSlots::Offered(choice) | NextSlots::AlreadyMoved(choice) => {
            redraw(ctx, data, click, group, on, choice).await
        }
        NextSlots::Booked(_) => respond(ctx, click, private(ALREADY_BOOKED)).await,
    }
}

/// Reschedule: the booking is called off, its reminder with it, and new slots offered.
pub async fn reschedule(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    on: SlotsOn,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let Some(booking) = data.store.booking(group.group_id).await? else {
        return respond(ctx, click, private(NOTHING_BOOKED)).await;
    };
    let program = data.store.program(group.guild_id, group.program_id).await?;
    // Fresh slots from now on; only the time that stopped working is left out.
    let offer = delivery::find_slots(group, program.as_ref(), now, &[booking.starts_at]);
    match data
        .store
        .reschedule(
            group.guild_id,
            group.group_id,
            UserId::from(click.user.id),
            &offer,
            now,
        )
        .await?
    {
        Some(choice) => redraw(ctx, data, click, group, on, choice).await,
        None => respond(ctx, click, private(NOTHING_BOOKED)).await,
    }
}

/// Redraws the clicked message as it is now: the intro (in its thread or a DM), or the
/// new slots sent by DM after a Reschedule. Nobody is notified again.
async fn redraw(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    group: &GroupDetail,
    on: SlotsOn,
    choice: SlotChoice,
) -> anyhow::Result<()> {
    let mut view = delivery::intro_view(&data.store, group).await?;
    view.slots = Some(choice.clone());
    let (content, components) = match on {
        SlotsOn::Intro => {
            let answers = data
                .store
                .group_outcomes(group.guild_id, group.group_id)
                .await?;
            (
                render::intro(&view, false, &answers),
                intro_components(&view, on),
            )
        }
        SlotsOn::DmIntro => (render::intro(&view, true, &[]), intro_components(&view, on)),
        SlotsOn::Rescheduled => {
            let rescheduled = RescheduledView {
                guild_id: group.guild_id,
                group_id: group.group_id,
                members: Vec::new(),
                dm_picker: Some((choice.clone(), view.members.clone())),
            };
            (
                render::rescheduled(&rescheduled),
                slot_rows(group.guild_id, group.group_id, &choice, &view.members, on),
            )
        }
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
