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
pub mod shards;
pub mod state;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::storage::Store;
use state::Data;
use std::sync::Arc;

/// Why the bot stopped, for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StopReason {
    #[error("Discord rejected the bot token in DISCORD_TOKEN (HTTP 401 or gateway close code 4004). Copy the token again from the Developer Portal (Bot, Reset Token).")]
    InvalidToken,
    #[error("Discord refused the gateway intents (close code 4014). Turn on \"Server Members Intent\" in the Developer Portal (Bot, Privileged Gateway Intents), or set member_events = false in the config.")]
    DisallowedIntents,
    #[error("Discord closed a shard with code 4011 (Sharding required): a shard would hold more than 2,500 servers. Raise the total in [discord] shards (HALLWAY_SHARDS) on every process, or leave it empty to run as many shards as Discord recommends.")]
    ShardingRequired,
    #[error("Discord closed a shard with code 4010 (Invalid shard): the shard id or total it was sent is wrong. Check [discord] shards (HALLWAY_SHARDS): FIRST-LAST/TOTAL with LAST < TOTAL, and the same TOTAL on every process.")]
    InvalidShard,
    #[error("{0}")]
    Config(String),
    #[error("cannot reach Discord ({0}); check the network, and DISCORD_API_BASE if it is set")]
    Unreachable(String),
    #[error("the Discord connection failed: {0}")]
    Other(String),
}

/// The shards a process runs, and what it may do at start-up, as `hallway run` decided.
#[derive(Debug, Clone, Copy)]
pub struct RunPlan {
    /// This process's range of shards; `None` runs every shard Discord recommends.
    pub shards: Option<crate::domain::shards::ShardRange>,
}

/// How long SIGTERM waits for the scheduler to finish the item in hand.
const SCHEDULER_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The HTTP client for the settings: Discord itself, or another base URL.
fn http_client(settings: &crate::config::DiscordSettings) -> Result<serenity::Http, StopReason> {
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
    Ok(http.build())
}

/// Registers hallway's slash commands, globally or in the development server; says what
/// it did. The one place that registers them, for `hallway register-commands` and for
/// `hallway run` at start-up. `http` must know the application id.
async fn register(
    http: &serenity::Http,
    commands: &[state::Command],
    dev_guild: Option<u64>,
) -> anyhow::Result<String> {
    let names = commands
        .iter()
        .map(|c| format!("/{}", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    match dev_guild {
        Some(guild) => {
            poise::builtins::register_in_guild(http, commands, serenity::GuildId::new(guild))
                .await
                .context("cannot register the slash commands in the development server")?;
            Ok(format!(
                "registered {} commands ({names}) in the server {guild} (dev_guild_id)",
                commands.len()
            ))
        }
        None => {
            poise::builtins::register_globally(http, commands)
                .await
                .context("cannot register the slash commands")?;
            Ok(format!(
                "registered {} commands ({names}) globally",
                commands.len()
            ))
        }
    }
}

/// `hallway register-commands`: registers the slash commands over HTTP alone (no gateway
/// connection), and says what it did.
pub async fn register_commands(all_settings: &Settings) -> anyhow::Result<String> {
    let settings = &all_settings.discord;
    let http = http_client(settings)?;
    check_token(&http).await?;
    let app = http
        .get_current_application_info()
        .await
        .context("cannot read the bot's application from Discord")?;
    http.set_application_id(app.id);
    register(&http, &commands::all(), settings.dev_guild_id).await
}

/// Whether `hallway run` registers the commands at start-up: when told to, or (`auto`)
/// when it runs every shard, so that one of several processes never races the others.
pub fn registers_at_start_up(
    setting: crate::config::RegisterCommands,
    shards: crate::domain::shards::ShardRange,
) -> bool {
    use crate::config::RegisterCommands;
    match setting {
        RegisterCommands::Always => true,
        RegisterCommands::Never => false,
        RegisterCommands::Auto => shards.covers_every_shard(),
    }
}

/// Connects this process's shards to Discord, registers the commands when it should,
/// and serves them until the connection ends or SIGTERM/Ctrl-C stops it.
pub async fn run(
    all_settings: &Settings,
    store: Store,
    health: Arc<crate::ops::Health>,
    plan: RunPlan,
) -> Result<(), StopReason> {
    let settings = &all_settings.discord;
    let http = http_client(settings)?;
    check_token(&http).await?;
    let shards = shards::plan(&http, plan.shards).await?;
    health.expect_shards(shards.ids());
    metrics::gauge!("hallway_shards_connected").set(0.0);
    let register_now = registers_at_start_up(settings.register_commands, shards);

    let mut intents = serenity::GatewayIntents::GUILDS;
    if settings.member_events {
        intents |= serenity::GatewayIntents::GUILD_MEMBERS;
    }
    let dev_guild = settings.dev_guild_id;
    let retry = all_settings.delivery.retry_policy();
    let concurrency = all_settings.delivery.concurrency();
    // Discord's global limit is per bot, across every process: each takes its shards' share.
    let gate = std::sync::Arc::new(crate::delivery::pace::RateGate::per_second(
        shards.share_of(all_settings.delivery.requests_per_second),
    ));
    let tick = std::time::Duration::from_secs_f64(all_settings.scheduler.tick_seconds.max(0.05));
    let lease = std::time::Duration::from_secs_f64(all_settings.scheduler.lease_seconds.max(0.3));
    let limits = all_settings.limits();
    // SIGTERM cancels this to stop the scheduler claiming, then waits for its task.
    let stop = tokio_util::sync::CancellationToken::new();
    let scheduler_task: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>> =
        Default::default();
    let setup_stop = stop.clone();
    let turn_store = store.clone();
    let setup_task = scheduler_task.clone();
    let setup_health = health.clone();
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
                if register_now {
                    let done = register(&ctx.http, commands, dev_guild).await?;
                    tracing::info!(
                        bot = %ready.user.name,
                        guilds = ready.guilds.len(),
                        commands = commands.len(),
                        "connected and commands registered"
                    );
                    tracing::info!("{done}");
                } else {
                    tracing::info!(
                        bot = %ready.user.name,
                        guilds = ready.guilds.len(),
                        shards = %shards,
                        "connected; commands not registered at start-up (register_commands = never, or auto with only some of the shards: run `hallway register-commands` once per deploy)"
                    );
                }
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
                    stop: setup_stop,
                    lease,
                    shards: crate::scheduler::OwnShards {
                        first: shards.first,
                        last: shards.last,
                        total: shards.total,
                    },
                    health: setup_health,
                };
                let task = tokio::spawn(scheduler.run());
                *setup_task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
                Ok(Data {
                    store,
                    wake,
                    limits,
                })
            })
        })
        .build();

    let (ready_tx, ready_rx) = tokio::sync::watch::channel(Default::default());
    let watch = shards::ShardWatch {
        health: health.clone(),
        ready: ready_tx,
    };
    let mut client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(Traced(framework))
        .event_handler(watch)
        .await
        .map_err(|err| StopReason::Other(err.to_string()))?;

    let manager = client.shard_manager.clone();
    let sampler = tokio::spawn(shards::sample_runners(
        manager.clone(),
        health.clone(),
        shards,
    ));
    // One future for the whole run, so that no SIGTERM slips between two waits.
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    // Other processes wait while this one's shards IDENTIFY, and this one for theirs.
    let turn = tokio::select! {
        turn = turn_store.identify_turn() => turn.map_err(|err| {
            StopReason::Other(format!("cannot take the identify turn: {err:#}"))
        })?,
        () = &mut shutdown => {
            tracing::info!("shutting down before connecting: nothing to stop");
            sampler.abort();
            return Ok(());
        }
    };
    tracing::info!(shards = %shards, "identify turn taken; connecting the shards");
    let turn_task = tokio::spawn(shards::hold_turn_until_ready(
        turn,
        ready_rx,
        shards,
        shards::turn_timeout(shards),
        stop.clone(),
    ));

    let (range, total) = shards::start_args(shards);
    let outcome = tokio::select! {
        result = client.start_shard_range(range, total) => result.map_err(|err| match err {
            serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => {
                StopReason::InvalidToken
            }
            serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents) => {
                StopReason::DisallowedIntents
            }
            serenity::Error::Gateway(serenity::GatewayError::OverloadedShard) => {
                StopReason::ShardingRequired
            }
            serenity::Error::Gateway(serenity::GatewayError::InvalidShardData) => {
                StopReason::InvalidShard
            }
            other => StopReason::Other(other.to_string()),
        }),
        close = shards::fatal_close() => Err(close.into()),
        () = &mut shutdown => Ok(()),
    };
    match &outcome {
        Ok(()) => tracing::info!("shutting down: stopping the scheduler"),
        Err(why) => tracing::error!(error = %why, "shutting down: stopping the scheduler"),
    }
    stop.cancel();
    let task = scheduler_task
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some(task) = task {
        match tokio::time::timeout(SCHEDULER_STOP_WAIT, task).await {
            Ok(Ok(())) => tracing::info!("shutting down: scheduler stopped"),
            Ok(Err(err)) => {
                tracing::error!(error = %err, "shutting down: the scheduler had failed")
            }
            Err(_) => tracing::warn!(
                wait_s = SCHEDULER_STOP_WAIT.as_secs(),
                "shutting down: the scheduler did not stop in time; going on"
            ),
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), turn_task).await;
    tracing::info!("shutting down: closing the gateway shards");
    manager.shutdown_all().await;
    sampler.abort();
    tracing::info!("shutting down: shards closed");
    outcome
}

/// poise's framework, with every event it dispatches inside a span that names the shard
/// and, for an interaction, its kind and server: the fields of the JSON logs.
struct Traced(poise::Framework<Data, state::Error>);

#[serenity::async_trait]
impl serenity::Framework for Traced {
    async fn init(&mut self, client: &serenity::Client) {
        serenity::Framework::init(&mut self.0, client).await
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        use tracing::Instrument as _;
        let shard = ctx.shard_id.0;
        let span = match &event {
            serenity::FullEvent::InteractionCreate { interaction } => {
                let (kind, guild) = match interaction {
                    serenity::Interaction::Command(i) => ("command", i.guild_id),
                    serenity::Interaction::Component(i) => ("component", i.guild_id),
                    serenity::Interaction::Modal(i) => ("modal", i.guild_id),
                    serenity::Interaction::Autocomplete(i) => ("autocomplete", i.guild_id),
                    _ => ("other", None),
                };
                if kind != "other" {
                    shards::count_interaction(kind);
                }
                tracing::info_span!(
                    "interaction",
                    shard,
                    kind,
                    guild_id = guild.map(|g| g.get())
                )
            }
            serenity::FullEvent::GuildMemberRemoval { guild_id, .. } => {
                tracing::info_span!("event", shard, guild_id = guild_id.get())
            }
            _ => tracing::info_span!("event", shard),
        };
        serenity::Framework::dispatch(&self.0, ctx, event)
            .instrument(span)
            .await
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
    use crate::config::RegisterCommands;
    use crate::domain::shards::ShardRange;

    #[test]
    fn start_up_registration_is_for_a_process_with_every_shard_unless_told() {
        let all = ShardRange::all(4);
        let part = ShardRange::parse("0-1/4").unwrap();
        assert!(super::registers_at_start_up(RegisterCommands::Auto, all));
        assert!(!super::registers_at_start_up(RegisterCommands::Auto, part));
        assert!(super::registers_at_start_up(RegisterCommands::Always, part));
        assert!(!super::registers_at_start_up(RegisterCommands::Never, all));
    }

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
