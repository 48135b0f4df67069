//! What users see when a command cannot run. Internal error text goes to the log only.

use poise::serenity_prelude as serenity;
use poise::{CreateReply, FrameworkError};

use super::state::{Context, Data, Error};
use crate::domain::validate::InputError;

/// Shown for any failure that is ours, not the user's.
pub const GENERIC_FAILURE: &str =
    "Sorry, something went wrong on our side and nothing was changed. \
     Please try again in a few minutes; if it keeps happening, tell a coordinator.";

pub const NOT_A_COORDINATOR: &str = "Only coordinators can use `/hallway-admin`: it needs the \
     **Manage Server** permission. Ask one of this server's admins if you should have it.";

pub const NOT_IN_A_SERVER: &str =
    "hallway works inside a server, not in direct messages. Run this command in your community's server.";

pub async fn on_error(error: FrameworkError<'_, Data, Error>) {
    match error {
        FrameworkError::Command { error, ctx, .. } => match error.downcast_ref::<InputError>() {
            Some(input) => reply_or_log(ctx, &input.0).await,
            None => {
                tracing::error!(
                    command = %ctx.command().qualified_name,
                    guild = ?ctx.guild_id(),
                    error = format!("{error:#}"),
                    "command failed"
                );
                reply_or_log(ctx, GENERIC_FAILURE).await
            }
        },
        FrameworkError::MissingUserPermissions { ctx, .. } => {
            tracing::info!(command = %ctx.command().qualified_name, user = %ctx.author().id, "refused: not a coordinator");
            reply_or_log(ctx, NOT_A_COORDINATOR).await
        }
        FrameworkError::GuildOnly { ctx, .. } => reply_or_log(ctx, NOT_IN_A_SERVER).await,
        FrameworkError::ArgumentParse {
            ctx, input, error, ..
        } => {
            tracing::info!(command = %ctx.command().qualified_name, ?input, %error, "option not understood");
            let what = input.map(|i| format!(" (`{}`)", crate::domain::validate::shorten(&i, 50)));
            let text = format!(
                "One of the options{} was not understood. Check the command's options and try again.",
                what.unwrap_or_default()
            );
            reply_or_log(ctx, &text).await
        }
        FrameworkError::CommandStructureMismatch {
            ctx, description, ..
        } => {
            tracing::warn!(command = %ctx.command().qualified_name, %description, "command structure mismatch");
            reply_or_log(
                poise::Context::Application(ctx),
                "This command was just updated and Discord still shows the old version. Please try again in a minute.",
            )
            .await
        }
        FrameworkError::CommandPanic { ctx, payload, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, ?payload, "command panicked");
            reply_or_log(ctx, GENERIC_FAILURE).await
        }
        other => {
            if let Err(err) = poise::builtins::on_error(other).await {
                tracing::error!(error = %err, "could not report a framework error");
            }
        }
    }
}

/// Replies privately; a failure to reply is logged, since there is nobody else to tell.
async fn reply_or_log(ctx: Context<'_>, text: &str) {
    if let Err(err) = reply_private(ctx, text).await {
        tracing::warn!(error = %err, "could not send an error reply");
    }
}

/// An ephemeral reply that pings nobody.
pub async fn reply_private(ctx: Context<'_>, text: &str) -> Result<(), serenity::Error> {
    ctx.send(
        CreateReply::default()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}
