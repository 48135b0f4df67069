//! Interest tags: `/hallway-admin interests add | remove | list` defines a program's,
//! `/hallway interests` (and the join reply) lets a member pick up to 5 with a select menu.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::{
    ComponentInteraction, ComponentInteractionDataKind, CreateActionRow, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

use super::caller::{any_program, live_program, live_program_or_first, my_program};
use crate::discord::button_id::ButtonId;
use crate::discord::buttons::{private, respond};
use crate::discord::choices::autocomplete_program;
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{GuildId, InterestId, ProgramId, UserId};
use crate::domain::interests::{Interest, TagRefusal, MAX_PICKS, MAX_TAGS, TAG_MAX_CHARS};
use crate::domain::program::Program;
use crate::domain::validate::{self, InputError};

/// Define the interest tags members of a program can pick.
#[poise::command(
    slash_command,
    guild_only,
    rename = "interests",
    subcommands("add", "remove", "list"),
    subcommand_required
)]
pub async fn admin_interests(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add an interest tag, e.g. grant writing (up to 25 per program).
#[poise::command(slash_command, guild_only)]
async fn add(
    ctx: Context<'_>,
    #[description = "The tag, e.g. grant writing"]
    #[max_length = 60]
    name: String,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let name = validate::text(&name, "The interest tag", TAG_MAX_CHARS)?;
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let added = ctx
        .data()
        .store
        .add_interest(program.guild_id, program.program_id, &name, Utc::now())
        .await?;
    let text = match added {
        Ok(tag) => format!(
            "Added **{}** to {}'s interests. Members pick theirs with `/hallway interests`.",
            tag.name, program.name
        ),
        Err(TagRefusal::Full) => {
            return Err(InputError::new(format!(
                "**{}** has {MAX_TAGS} interest tags, the most a program can have (a Discord menu \
                 lists 25). Remove one first with `/hallway-admin interests remove`.",
                program.name
            ))
            .into())
        }
        Err(TagRefusal::Taken) => {
            return Err(InputError::new(format!(
                "**{}** already has the tag '{name}'. `/hallway-admin interests list` shows them.",
                program.name
            ))
            .into())
        }
    };
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Remove an interest tag, and every member's pick of it.
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The tag to remove"]
    #[max_length = 60]
    name: String,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let removed = ctx
        .data()
        .store
        .remove_interest(program.program_id, name.trim())
        .await?;
    let Some(removed) = removed else {
        return Err(InputError::new(format!(
            "**{}** has no interest tag '{}'. `/hallway-admin interests list` shows them.",
            program.name,
            validate::shorten(name.trim(), TAG_MAX_CHARS)
        ))
        .into());
    };
    reply_private(
        ctx,
        &format!(
            "Removed **{removed}** from {}'s interests, and from every member's picks.",
            program.name
        ),
    )
    .await?;
    Ok(())
}

/// List a program's interest tags, and how much they count in matching.
#[poise::command(slash_command, guild_only)]
async fn list(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = any_program(ctx, program.as_deref()).await?;
    let tags = ctx.data().store.interests(program.program_id).await?;
    let text = if tags.is_empty() {
        format!(
            "**{}** has no interest tags yet. Add some with `/hallway-admin interests add`, \
             e.g. grant writing, clinical research, work-life balance.",
            program.name
        )
    } else {
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        format!(
            "**{}'s interests** ({} of {MAX_TAGS}): {}.\nShared interests count {} in matching \
             (always below avoiding repeats); change it with \
             `/hallway-admin program edit interest_weight:…`.",
            program.name,
            tags.len(),
            names.join(", "),
            program.matching.interest_weight
        )
    };
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// Pick what you'd like to talk about (up to 5): it nudges who you meet.
#[poise::command(slash_command, guild_only, rename = "interests")]
pub async fn member_interests(
    ctx: Context<'_>,
    #[description = "Which program (needed when you're in several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let (program, member) = my_program(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let tags = store.interests(program.program_id).await?;
    if tags.is_empty() {
        return Err(InputError::new(format!(
            "**{}** has no interest tags yet. A coordinator adds them with \
             `/hallway-admin interests add`.",
            program.name
        ))
        .into());
    }
    let picked = store
        .member_interests(program.program_id, member.user_id)
        .await?;
    ctx.send(
        CreateReply::default()
            .content(prompt_text(&program))
            .ephemeral(true)
            .components(vec![menu(&program, &tags, &picked)]),
    )
    .await?;
    Ok(())
}

fn prompt_text(program: &Program) -> String {
    format!(
        "Pick up to {MAX_PICKS} things you'd like to talk about in **{}**. Shared interests make \
         a match a little more likely, never the same person every time.",
        program.name
    )
}

/// The select menu of a program's tags, with the member's picks selected.
pub(super) fn menu(program: &Program, tags: &[Interest], picked: &[InterestId]) -> CreateActionRow {
    let options = tags
        .iter()
        .map(|tag| {
            CreateSelectMenuOption::new(tag.name.clone(), tag.interest_id.to_string())
                .default_selection(picked.contains(&tag.interest_id))
        })
        .collect();
    let id = ButtonId::Interests {
        guild: program.guild_id,
        program: program.program_id,
    };
    CreateActionRow::SelectMenu(
        CreateSelectMenu::new(id.to_string(), CreateSelectMenuKind::String { options })
            .placeholder("Your interests")
            .min_values(0)
            .max_values(tags.len().min(MAX_PICKS) as u8),
    )
}

/// A member's choice in the menu: saves their picks, for them only.
pub async fn pick_interests(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild_id: GuildId,
    program_id: ProgramId,
) -> anyhow::Result<()> {
    let ComponentInteractionDataKind::StringSelect { values } = &click.data.kind else {
        return Ok(());
    };
    let user = UserId::from(click.user.id);
    let Some(program) = data.store.program(guild_id, program_id).await? else {
        return respond(ctx, click, private("This program no longer exists.")).await;
    };
    // Discord enforces the menu's maximum; a forged click is refused the same way.
    let picks: Option<Vec<InterestId>> = values
        .iter()
        .map(|v| v.parse().ok().map(InterestId))
        .collect();
    let Some(picks) = picks.filter(|p| p.len() <= MAX_PICKS) else {
        return respond(
            ctx,
            click,
            private(&format!(
                "Pick at most {MAX_PICKS} interests. Nothing was changed."
            )),
        )
        .await;
    };
    if !data
        .store
        .set_member_interests(guild_id, program_id, user, &picks)
        .await?
    {
        return respond(
            ctx,
            click,
            private(&format!(
                "Only current members of **{}** can pick its interests, and only from its list \
                 (`/hallway interests` shows it as it is now). Nothing was changed.",
                program.name
            )),
        )
        .await;
    }
    let tags = data.store.interests(program_id).await?;
    let names: Vec<&str> = tags
        .iter()
        .filter(|t| picks.contains(&t.interest_id))
        .map(|t| t.name.as_str())
        .collect();
    let saved = if names.is_empty() {
        "Saved: no interests picked.".to_string()
    } else {
        format!("Saved: {}.", names.join(", "))
    };
    tracing::info!(guild = %guild_id, program = %program_id, picks = picks.len(), "interests picked");
    let update = serenity::CreateInteractionResponseMessage::new()
        .content(format!("{}\n{saved}", prompt_text(&program)))
        .components(vec![menu(&program, &tags, &picks)]);
    respond(
        ctx,
        click,
        serenity::CreateInteractionResponse::UpdateMessage(update),
    )
    .await
}
