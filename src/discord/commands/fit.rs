//! The fit check's buttons, and undoing a "Not a fit" from `/hallway profile`.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, ComponentInteractionDataKind, CreateAllowedMentions,
    CreateInteractionResponse, CreateInteractionResponseMessage,
};

use super::caller::live_memberships;
use super::member::profile_message;
use crate::delivery::fit::fit_check_view;
use crate::discord::buttons::{private, respond};
use crate::discord::render;
use crate::discord::state::Data;
use crate::domain::fit::{Fit, FitRefused};
use crate::domain::ids::{GroupId, GuildId, ProgramId, UserId};

const NOT_YOURS: &str =
    "This fit check belongs to the member it was sent to, so only they can answer it. \
     Nothing was changed.";
const PARTNER_GONE: &str =
    "The other member of this chat has asked hallway to forget them, so there is nothing \
     left to answer. Nothing was changed.";

/// "Good fit" / "Not a fit", clicked in a fit check's DM. Only the member it was sent
/// to can answer; the last answer counts, and the DM is redrawn with it.
pub async fn fit_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    group: GroupId,
    fit: Fit,
) -> anyhow::Result<()> {
    let user = UserId::from(click.user.id);
    let answer = match data
        .store
        .record_fit(guild, group, user, fit, Utc::now())
        .await?
    {
        Ok(answer) => answer,
        Err(FitRefused::NotAsked) => return respond(ctx, click, private(NOT_YOURS)).await,
        Err(FitRefused::PartnerGone) => return respond(ctx, click, private(PARTNER_GONE)).await,
    };
    // The answer itself stays out of the log: it is the member's alone.
    tracing::info!(guild = %guild, group = %group, program = %answer.program_id, "fit check answered");
    let view = match data.store.group(guild, group).await? {
        Some(detail) => fit_check_view(&data.store, &detail, user).await?,
        None => None,
    };
    let Some(mut view) = view else {
        return respond(
            ctx,
            click,
            private("Saved, thanks! Only you see your answer."),
        )
        .await;
    };
    view.answer = Some(fit);
    let (text, _, components) = render::fit_check_parts(&view);
    let update = CreateInteractionResponseMessage::new()
        .content(text)
        .components(components)
        .allowed_mentions(CreateAllowedMentions::new());
    respond(ctx, click, CreateInteractionResponse::UpdateMessage(update)).await
}

/// The profile's "Match me again with …" menu: undoes the clicker's own "Not a fit"
/// answers about the people picked, in that program, and redraws the profile. The
/// picked ids are checked against the clicker's stored answers, never trusted.
pub async fn fit_undo(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    program: ProgramId,
) -> anyhow::Result<()> {
    let ComponentInteractionDataKind::StringSelect { values } = &click.data.kind else {
        return Ok(());
    };
    let user = UserId::from(click.user.id);
    let picked: Option<Vec<UserId>> = values.iter().map(|v| v.parse().ok()).collect();
    let Some(picked) = picked.filter(|p| !p.is_empty() && p.len() <= render::MENU_OPTIONS) else {
        return respond(
            ctx,
            click,
            private(
                "Pick who you'd like to be matched with again from the menu. Nothing was changed.",
            ),
        )
        .await;
    };
    let names: Vec<String> = data
        .store
        .not_a_fit_partners(guild, program, user)
        .await?
        .into_iter()
        .filter(|(id, _)| picked.contains(id))
        .map(|(_, name)| name.unwrap_or_else(|| "a member".into()))
        .collect();
    let undone = data
        .store
        .stop_avoiding(guild, program, user, &picked)
        .await?;
    if undone == 0 {
        return respond(
            ctx,
            click,
            private(
                "None of them is on your list of \"Not a fit\" answers in this program any \
                 more. Run `/hallway profile` to see it as it is now. Nothing was changed.",
            ),
        )
        .await;
    }
    tracing::info!(guild = %guild, program = %program, undone, "fit answers undone");
    let whom = if names.is_empty() {
        "them".to_string()
    } else {
        render::and_list(&names)
    };
    let done = format!("Done: hallway can match you with {whom} again.");
    let mine = live_memberships(&data.store, guild, user).await?;
    if mine.is_empty() {
        return respond(ctx, click, private(&done)).await;
    }
    // Redrawn with every program the member is in: the menu does not say whether the
    // profile it sits in was for one of them.
    let (text, components) = profile_message(&data.store, guild, user, &mine, Utc::now()).await?;
    let update = CreateInteractionResponseMessage::new()
        .content(render::fit(&format!("{done}\n\n{text}")))
        .components(components)
        .allowed_mentions(CreateAllowedMentions::new());
    respond(ctx, click, CreateInteractionResponse::UpdateMessage(update)).await
}
