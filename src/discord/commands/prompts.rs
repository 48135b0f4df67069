//! `/hallway-admin prompts add | list | remove`: a community's own icebreakers.

use std::collections::BTreeMap;

use chrono::Utc;

use super::caller::{any_program, author, live_program, live_program_or_first};
use crate::discord::choices::{autocomplete_program, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::prompts::{self, Category};
use crate::domain::validate::{self, InputError};

/// Manage the icebreaker prompts groups get.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("add", "list", "remove"),
    subcommand_required
)]
pub async fn prompts(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add an icebreaker of your own.
#[poise::command(slash_command, guild_only)]
async fn add(
    ctx: Context<'_>,
    #[description = "Which kind of prompt it is"] category: Choice<Category>,
    #[description = "The prompt, as the group will read it"]
    #[max_length = 300]
    text: String,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let text = validate::text(&text, "The prompt", validate::PROMPT_MAX_CHARS)?;
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let key = ctx
        .data()
        .store
        .add_prompt(
            program.guild_id,
            program.program_id,
            category.0,
            &text,
            author(ctx),
            Utc::now(),
        )
        .await?;
    reply_private(ctx, &format!("Added `{key}` ({}): {text}", category.0)).await?;
    Ok(())
}

/// List this program's prompts, and how big the built-in library is.
#[poise::command(slash_command, guild_only)]
async fn list(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = any_program(ctx, program.as_deref()).await?;
    let custom = ctx
        .data()
        .store
        .custom_prompts(program.program_id, false)
        .await?;
    let mut by_category: BTreeMap<Category, usize> = BTreeMap::new();
    for prompt in prompts::built_in() {
        *by_category.entry(prompt.category).or_default() += 1;
    }
    let library: Vec<String> = by_category
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    let mut text = format!(
        "**Built-in library:** {} prompts ({}).\n",
        by_category.values().sum::<usize>(),
        library.join(", ")
    );
    if custom.is_empty() {
        text.push_str(
            "**This program's prompts:** none yet. Add one with `/hallway-admin prompts add`.",
        );
    } else {
        text.push_str(
            "**This program's prompts** (remove with `/hallway-admin prompts remove key:<key>`):\n",
        );
        for prompt in &custom {
            text.push_str(&format!(
                "`{}` ({}) {}\n",
                prompt.key, prompt.category, prompt.text
            ));
        }
    }
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// Remove one of this program's prompts by its key (see list).
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The prompt's key, e.g. c12"] key: String,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let key = key.trim();
    if !ctx
        .data()
        .store
        .remove_prompt(program.program_id, key, Utc::now())
        .await?
    {
        return Err(InputError::new(format!(
            "There is no prompt `{}` of this program's to remove. `/hallway-admin prompts list` shows the keys; \
             built-in prompts cannot be removed.",
            validate::shorten(key, 20)
        ))
        .into());
    }
    reply_private(ctx, &format!("Removed `{key}`. Groups won't get it again.")).await?;
    Ok(())
}
