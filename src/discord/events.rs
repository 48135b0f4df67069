//! Gateway events other than slash commands: button clicks, modal submissions (a survey's
//! text answers) and members leaving.

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{FullEvent, Interaction};

use super::buttons;
use super::errors::GENERIC_FAILURE;
use super::state::{Data, Error};

pub async fn handle(ctx: &serenity::Context, event: &FullEvent, data: &Data) -> Result<(), Error> {
    match event {
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(click),
        } => {
            if let Err(err) = buttons::handle(ctx, data, click).await {
                tracing::error!(custom_id = %click.data.custom_id, error = format!("{err:#}"), "button failed");
                // Answer anyway, so the click does not hang; the details stay in the log.
                if let Err(reply_err) =
                    buttons::respond(ctx, click, buttons::private(GENERIC_FAILURE)).await
                {
                    tracing::warn!(error = %reply_err, "could not answer a failed click");
                }
            }
        }
        FullEvent::InteractionCreate {
            interaction: Interaction::Modal(submit),
        } => {
            if let Err(err) = super::commands::survey_modal(ctx, data, submit).await {
                tracing::error!(custom_id = %submit.data.custom_id, error = format!("{err:#}"), "modal failed");
                let failure = buttons::private(GENERIC_FAILURE);
                if let Err(reply_err) = submit.create_response(&ctx.http, failure).await {
                    tracing::warn!(error = %reply_err, "could not answer a failed modal");
                }
            }
        }
        FullEvent::GuildMemberRemoval { guild_id, user, .. } => {
            // Someone who left the server is never matched again.
            let left = data
                .store
                .leave_server((*guild_id).into(), user.id.into(), Utc::now())
                .await?;
            if left {
                tracing::info!(guild = %guild_id, user = %user.id, "member left the server; no longer matched");
            }
        }
        _ => {}
    }
    Ok(())
}
