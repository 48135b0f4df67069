//! `/win`: celebrate a member's win in the celebrations channel.

use chrono::Utc;

use super::caller::{author, display_name, guild};
use crate::celebrations::{Occasion, WinPost};
use crate::discord::choices::Choice;
use crate::discord::errors::reply_private;
use crate::discord::state::{Context, Error};
use crate::domain::validate::{self, InputError};
use crate::domain::wins::NewWin;
use crate::domain::wins::{self, WinKind};

/// Share a win (a publication, grant, award, talk or milestone) with the community.
#[poise::command(slash_command, guild_only)]
pub async fn win(
    ctx: Context<'_>,
    #[description = "What kind of win"] kind: Choice<WinKind>,
    #[description = "What happened, in a sentence or two"]
    #[max_length = 500]
    description: String,
    #[description = "A link to it (https://…)"] link: Option<String>,
) -> Result<(), Error> {
    let description = validate::text(
        &description,
        "The description",
        validate::WIN_DESCRIPTION_MAX_CHARS,
    )?;
    let link = link.as_deref().map(wins::link).transpose()?;
    let guild_id = guild(ctx)?;
    let data = ctx.data();
    let community = data.store.community(guild_id).await?;
    let Some(channel) = community.celebrations_channel() else {
        return Err(InputError::new(
            "This server has no channel for celebrations yet. Ask a coordinator to run `/hallway-admin setup`.",
        )
        .into());
    };
    let post = WinPost {
        user_id: author(ctx),
        name: display_name(ctx).await,
        kind: kind.0,
        description,
        link,
    };
    let detail = serde_json::to_string(&Occasion::Win(post.clone()))?;
    let win = NewWin {
        guild_id,
        user_id: post.user_id,
        kind: post.kind,
        description: &post.description,
        link: post.link.as_deref(),
        detail: &detail,
    };
    data.store.record_win(&win, Utc::now()).await?;
    // The scheduler posts it now, and retries if Discord is having a moment.
    data.wake.notify_one();
    reply_private(
        ctx,
        &format!("🎉 Congratulations! Your win is on its way to <#{channel}>."),
    )
    .await?;
    Ok(())
}
