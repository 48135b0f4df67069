//! The Discord adapter: the only module that speaks serenity and poise.

mod button_id;
mod buttons;
mod choices;
pub mod commands;
pub mod courier;
pub mod errors;
mod events;
mod ids;
mod render;
pub mod state;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::storage::Store;
use state::Data;

/// Why the bot stopped, for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StopReason {
    #[error("Discord rejected the bot token in DISCORD_TOKEN (HTTP 401 or gateway close code 4004). Copy the token again from the Developer Portal (Bot, Reset Token).")]
    InvalidToken,
    #[error("Discord refused the gateway intents (close code 4014). Turn on \"Server Members Intent\" in the Developer Portal (Bot, Privileged Gateway Intents), or set member_events = false in the config.")]
    DisallowedIntents,
    #[error("cannot reach Discord ({0}); check the network, and DISCORD_API_BASE if it is set")]
    Unreachable(String),
    #[error("the Discord connection failed: {0}")]
    Other(String),
}

/// Connects to Discord, registers the commands, and serves them until the connection ends.
pub async fn run(all_settings: &Settings, store: Store) -> Result<(), StopReason> {
    let settings = &all_settings.discord;
    let token = settings
        .token
        .as_ref()
        .ok_or_else(|| StopReason::Other("DISCORD_TOKEN is not set".into()))?;
    let mut http = serenity::HttpBuilder::new(token.expose_secret());
    if let Some(base) = &settings.api_base {
        // serenity ignores the proxy while its own rate limiter is on; hallway's own
        // pacing and retries handle 429s in that mode.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
        tracing::info!(api_base = %base, "sending all Discord traffic to another base URL");
    }
    let http = http.build();
    check_token(&http).await?;

    let mut intents = serenity::GatewayIntents::GUILDS;
    if settings.member_events {
        intents |= serenity::GatewayIntents::GUILD_MEMBERS;
    }
    let dev_guild = settings.dev_guild_id;
    let retry = all_settings.delivery.retry_policy();
    let concurrency = all_settings.delivery.concurrency();
    let gate = std::sync::Arc::new(crate::delivery::pace::RateGate::per_second(
        all_settings.delivery.requests_per_second,
    ));
    let tick = std::time::Duration::from_secs_f64(all_settings.scheduler.tick_seconds.max(0.05));
    let lease = std::time::Duration::from_secs_f64(all_settings.scheduler.lease_seconds.max(0.3));
    let limits = all_settings.limits();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            on_error: |error| Box::pin(errors::on_error(error)),
            event_handler: |framework, event| {
                Box::pin(events::handle(
                    framework.serenity_context,
                    event,
                    framework.user_data,
                ))
            },
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                match dev_guild {
                    Some(guild) => {
                        poise::builtins::register_in_guild(
                            ctx,
                            commands,
                            serenity::GuildId::new(guild),
                        )
                        .await
                        .context("cannot register the slash commands in the development server")?;
                    }
                    None => poise::builtins::register_globally(ctx, commands)
                        .await
                        .context("cannot register the slash commands")?,
                }
                tracing::info!(
                    bot = %ready.user.name,
                    guilds = ready.guilds.len(),
                    commands = commands.len(),
                    "connected and commands registered"
                );
                // One scheduler per process: it alone starts rounds and delivers the outbox.
                let wake = std::sync::Arc::new(tokio::sync::Notify::new());
                let scheduler = crate::scheduler::Scheduler {
                    store: store.clone(),
                    courier: std::sync::Arc::new(courier::DiscordCourier {
                        http: ctx.http.clone(),
                        bot_id: ready.user.id,
                        gate: start_up_paced(gate),
                    }),
                    retry,
                    concurrency,
                    tick,
                    wake: wake.clone(),
                    stop: tokio_util::sync::CancellationToken::new(),
                    lease,
                    shards: crate::scheduler::OwnShards::ALL,
                    health: std::sync::Arc::new(crate::ops::Health::default()),
                };
                tokio::spawn(scheduler.run());
                Ok(Data {
                    store,
                    wake,
                    limits,
                })
            })
        })
        .build();

    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(framework)
        .await
        .map_err(|err| StopReason::Other(err.to_string()))?;

    let shards = client.shard_manager.clone();
    tokio::select! {
        result = client.start() => result.map_err(|err| match err {
            serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => {
                StopReason::InvalidToken
            }
            serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents) => {
                StopReason::DisallowedIntents
            }
            other => StopReason::Other(other.to_string()),
        }),
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            shards.shutdown_all().await;
            Ok(())
        }
    }
}

/// The gate, holding off for a second: the start-up calls just made (the token check, the
/// gateway URL, the application, the command registration) did not pass through it, and
/// count towards Discord's global limit too.
fn start_up_paced(
    gate: std::sync::Arc<crate::delivery::pace::RateGate>,
) -> std::sync::Arc<crate::delivery::pace::RateGate> {
    gate.hold_off(std::time::Duration::from_secs(1));
    gate
}

/// Asks Discord who we are before connecting, so a bad token or an unreachable API base
/// fails at once with a clear message instead of a silent reconnect loop.
async fn check_token(http: &serenity::Http) -> Result<(), StopReason> {
    let mut wait = std::time::Duration::from_secs(1);
    for attempt in 1..=5 {
        match http.get_current_user().await {
            Ok(user) => {
                tracing::info!(bot = %user.name, "token accepted");
                return Ok(());
            }
            Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)))
                if response.status_code.as_u16() == 401 =>
            {
                return Err(StopReason::InvalidToken)
            }
            Err(err) if attempt < 5 => {
                tracing::warn!(error = %err, attempt, "cannot reach Discord yet; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(err) => return Err(StopReason::Unreachable(err.to_string())),
        }
    }
    unreachable!("the last attempt returns")
}

/// Ctrl-C, or SIGTERM from `docker stop`.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The permissions hallway asks for in its invite link (the README lists why each).
pub fn required_permissions() -> serenity::Permissions {
    use serenity::Permissions as P;
    P::VIEW_CHANNEL
        | P::SEND_MESSAGES
        | P::CREATE_PRIVATE_THREADS
        | P::SEND_MESSAGES_IN_THREADS
        | P::EMBED_LINKS
        | P::ATTACH_FILES
        | P::ADD_REACTIONS
        | P::READ_MESSAGE_HISTORY
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_gives_the_invite_permissions_we_need() {
        let readme = include_str!("../../README.md");
        let bits = super::required_permissions().bits();
        assert!(
            readme.contains(&format!("**`{bits}`**")),
            "README should give permissions integer {bits}"
        );
    }
}
