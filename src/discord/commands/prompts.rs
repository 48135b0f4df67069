//! `/hallway-admin prompts add | list | remove`: a community's own icebreakers.

use std::collections::BTreeMap;

use chrono::Utc;

use super::caller::{author, guild};
use crate::discord::choices::Choice;
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
) -> Result<(), Error> {
    let text = validate::text(&text, "The prompt", validate::PROMPT_MAX_CHARS)?;
    let guild_id = guild(ctx)?;
    let key = ctx
        .data()
        .store
        .add_prompt(guild_id, category.0, &text, author(ctx), Utc::now())
        .await?;
    reply_private(ctx, &format!("Added `{key}` ({}): {text}", category.0)).await?;
    Ok(())
}

/// List this server's prompts, and how big the built-in library is.
#[poise::command(slash_command, guild_only)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let custom = ctx.data().store.custom_prompts(guild_id, false).await?;
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
            "**This server's prompts:** none yet. Add one with `/hallway-admin prompts add`.",
        );
    } else {
        text.push_str(
            "**This server's prompts** (remove with `/hallway-admin prompts remove key:<key>`):\n",
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

/// Remove one of this server's prompts by its key (see list).
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "The prompt's key, e.g. c12"] key: String,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let key = key.trim();
    if !ctx
        .data()
        .store
        .remove_prompt(guild_id, key, Utc::now())
        .await?
    {
        return Err(InputError::new(format!(
            "There is no prompt `{}` of this server's to remove. `/hallway-admin prompts list` shows the keys; \
             built-in prompts cannot be removed.",
            validate::shorten(key, 20)
        ))
        .into());
    }
    reply_private(ctx, &format!("Removed `{key}`. Groups won't get it again.")).await?;
    Ok(())
}
