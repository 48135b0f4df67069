//! `/hallway-admin pause-program | resume-program | match-now`, and Confirm on a preview.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::Utc;
use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::{ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton};

use super::caller::{author, live_program, live_program_or_first};
use crate::discord::button_id::ButtonId;
use crate::discord::buttons::{private, respond};
use crate::discord::choices::autocomplete_program;
use crate::discord::errors::{reply_private, NOT_A_COORDINATOR};
use crate::discord::render;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{GuildId, PreviewId, UserId};
use crate::domain::preview::{self, PreviewCheck, Stale};
use crate::domain::program::Program;
use crate::domain::round::{GroupsChanged, Trigger};
use crate::domain::validate::InputError;
use crate::rounds;

/// Stop starting new rounds until resume-program. Chats already matched carry on.
#[poise::command(slash_command, guild_only, rename = "pause-program")]
pub async fn pause_program(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    ctx.data()
        .store
        .set_program_paused(program.program_id, true, Utc::now())
        .await?;
    reply_private(
        ctx,
        "The program is paused: no new rounds start until `/hallway-admin resume-program`. \
         Groups already matched keep their threads.",
    )
    .await?;
    Ok(())
}

/// Start rounds again, from the next scheduled time (no catch-up for paused weeks).
#[poise::command(slash_command, guild_only, rename = "resume-program")]
pub async fn resume_program(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let now = Utc::now();
    store
        .set_program_paused(program.program_id, false, now)
        .await?;
    let program = store
        .program(program.guild_id, program.program_id)
        .await?
        .context("the program vanished")?;
    let next = rounds::next_round_at(store, &program, now).await?;
    let text = format!(
        "The program is running again. Next round: {}.",
        render::next_round(next, &program)
    );
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Match everyone now, or preview the groups first and confirm with a button.
#[poise::command(slash_command, guild_only, rename = "match-now")]
pub async fn match_now(
    ctx: Context<'_>,
    #[description = "Show me the groups first, with a Confirm button"] preview: Option<bool>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let community = live_program(ctx, program.as_deref()).await?;
    let guild_id = community.guild_id;
    let data = ctx.data();
    ready_for_a_round(&community)?;
    // Matching and saving a large server's round can pass Discord's 3-second deadline.
    ctx.defer_ephemeral().await?;
    let now = Utc::now();
    let seed = rand::random::<u64>() >> 1;
    let plan = rounds::plan_for(&data.store, &community, now, seed).await?;
    if plan.groups.is_empty() {
        return Err(InputError::new(
            "There aren't enough available members to match anyone yet. Members join with `/hallway join`.",
        )
        .into());
    }
    if preview.unwrap_or(false) {
        let preview_id = data
            .store
            .save_preview(guild_id, community.program_id, author(ctx), &plan, now)
            .await?;
        let confirm = CreateButton::new(
            ButtonId::ConfirmPreview {
                guild: guild_id,
                preview: preview_id,
            }
            .to_string(),
        )
        .label("Confirm")
        .style(ButtonStyle::Primary);
        ctx.send(
            CreateReply::default()
                .content(render::preview(&plan))
                .ephemeral(true)
                .allowed_mentions(serenity::CreateAllowedMentions::new())
                .components(vec![CreateActionRow::Buttons(vec![confirm])]),
        )
        .await?;
        return Ok(());
    }
    let saved = rounds::save_round(
        &data.store,
        &community,
        &plan,
        Trigger::Manual,
        now,
        now,
        None,
    )
    .await;
    if saved
        .as_ref()
        .is_err_and(|err| err.downcast_ref::<GroupsChanged>().is_some())
    {
        return Err(InputError::new(
            "Someone left, or changed their do-not-match list, while the groups were being made, so nothing was started. Run `/hallway-admin match-now` again.",
        )
        .into());
    }
    let round = saved?.context("a round started by hand is always saved")?;
    data.wake.notify_one();
    reply_private(ctx, &render::round_started(round.number, &plan, &community)).await?;
    Ok(())
}

/// Confirm on a preview: runs exactly the previewed groups, with the same seed.
pub async fn confirm_preview(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild_id: GuildId,
    preview_id: PreviewId,
) -> anyhow::Result<()> {
    let is_coordinator = click
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild());
    if !is_coordinator || click.guild_id.map(GuildId::from) != Some(guild_id) {
        return respond(ctx, click, private(NOT_A_COORDINATOR)).await;
    }
    let Some(preview) = data.store.preview(guild_id, preview_id).await? else {
        return respond(
            ctx,
            click,
            private(
                "This preview no longer exists. Run `/hallway-admin match-now preview:true` again.",
            ),
        )
        .await;
    };
    if preview.confirmed_round_id.is_some() {
        return respond(
            ctx,
            click,
            private("This preview was already confirmed; its round is running."),
        )
        .await;
    }
    let Some(community) = data.store.program(guild_id, preview.program_id).await? else {
        return respond(
            ctx,
            click,
            private("This preview's program no longer exists."),
        )
        .await;
    };
    if let Err(err) = ready_for_a_round(&community) {
        return respond(ctx, click, private(&err.0)).await;
    }
    let plan = &preview.plan;
    // Checking and saving a large round can pass Discord's 3-second deadline: acknowledge
    // the click first, then edit the preview with the outcome.
    click.defer(&ctx.http).await?;
    let now = Utc::now();
    // Only who may be matched and the do-not-match lists: the history is not needed.
    let members = data.store.current_members(community.program_id).await?;
    let avoid = data.store.avoid_pairs(guild_id).await?;
    let matchable: HashSet<UserId> = members
        .iter()
        .filter(|m| m.is_matchable(now))
        .map(|m| m.user_id)
        .collect();
    let groups: Vec<Vec<UserId>> = plan
        .groups
        .iter()
        .map(|g| g.members.iter().map(|(user, _)| *user).collect())
        .collect();
    let check = PreviewCheck {
        made_at: preview.made_at,
        now,
        expires_after: data.limits.preview_expires_after,
        round_started_since: preview.round_started_since,
        matchable: &matchable,
        avoid: &avoid,
    };
    let text = if let Err(stale) = preview::check(&groups, &check) {
        tracing::info!(
            guild = %guild_id,
            preview = %preview_id,
            ?stale,
            "refused a stale preview"
        );
        stale_preview(stale, data.limits.preview_expires_after)
    } else {
        let saved = rounds::save_round(
            &data.store,
            &community,
            plan,
            Trigger::Manual,
            now,
            now,
            Some(preview_id),
        )
        .await;
        match saved {
            Err(err) if err.downcast_ref::<GroupsChanged>().is_some() => {
                stale_preview(Stale::GroupsChanged, data.limits.preview_expires_after)
            }
            Err(err) => return Err(err),
            Ok(Some(round)) => {
                data.wake.notify_one();
                format!(
                    "{}\n\n✅ Confirmed. {}",
                    render::preview(plan),
                    render::round_started(round.number, plan, &community)
                )
            }
            Ok(None) => "This preview was already confirmed; its round is running.".to_string(),
        }
    };
    let update = serenity::EditInteractionResponse::new()
        .content(render::fit(&text))
        .components(Vec::new())
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    click.edit_response(&ctx.http, update).await?;
    Ok(())
}

/// Why Confirm did not run a preview, in words that name nobody: whose do-not-match list
/// changed is private, so a changed list and a changed membership read the same.
fn stale_preview(stale: Stale, lifetime: chrono::Duration) -> String {
    let why = match stale {
        Stale::Expired => format!(
            "This preview has expired: a preview can be confirmed for {} after it is made, \
             and members may have changed since.",
            lifetime_words(lifetime)
        ),
        Stale::RoundRanSince => {
            "A round has started in this server since this preview was made (in this program or another), so its groups are out of date."
                .to_string()
        }
        Stale::GroupsChanged => {
            "The groups changed since this preview: someone's do-not-match list \
             or membership changed (a pause, a leave or a forget-me)."
                .to_string()
        }
    };
    format!(
        "{why} Nothing was started. Run `/hallway-admin match-now preview:true` again for a fresh preview."
    )
}

fn lifetime_words(lifetime: chrono::Duration) -> String {
    let minutes = lifetime.num_minutes();
    match (minutes / 60, minutes % 60) {
        (1, 0) => "1 hour".to_string(),
        (h, 0) => format!("{h} hours"),
        (0, 1) => "1 minute".to_string(),
        (0, m) => format!("{m} minutes"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn ready_for_a_round(community: &Program) -> Result<(), InputError> {
    if community.is_archived() {
        return Err(InputError::new(format!(
            "**{}** is archived: it runs no more rounds.",
            community.name
        )));
    }
    if community.program_channel_id.is_none() {
        return Err(InputError::new(
            "Choose the program channel first: `/hallway-admin setup channel:#…`.",
        ));
    }
    if community.paused {
        return Err(InputError::new(
            "The program is paused. Run `/hallway-admin resume-program` first.",
        ));
    }
    Ok(())
}
