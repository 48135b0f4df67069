//! `/hallway-admin …`: coordinator commands. Discord hides them from members without
//! Manage Server, and the framework checks that permission again on every call.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::caller::guild;
use crate::discord::choices::{autocomplete_time_zone, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::community::{
    self, Cadence, Day, MatchingMode, Schedule, Watercooler, WatercoolerSetting,
};
use crate::domain::validate::{self, InputError};

/// Coordinator tools: channels, schedule, matching, rounds, prompts, stats and export.
#[poise::command(
    slash_command,
    guild_only,
    rename = "hallway-admin",
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD",
    subcommands(
        "setup",
        "schedule",
        "matching",
        "program",
        "watercooler",
        "super::program::match_now",
        "super::program::pause_program",
        "super::program::resume_program",
        "super::prompts::prompts",
        "super::stats::stats",
        "super::stats::export"
    ),
    subcommand_required
)]
pub async fn hallway_admin(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Choose the channel for pair threads and round summaries, and where to celebrate wins.
#[poise::command(slash_command, guild_only)]
async fn setup(
    ctx: Context<'_>,
    #[description = "Text channel for the private pair threads and round summaries"]
    #[channel_types("Text")]
    channel: serenity::PartialChannel,
    #[description = "Text channel for wins and milestones (default: the same channel)"]
    #[channel_types("Text")]
    celebrations_channel: Option<serenity::PartialChannel>,
) -> Result<(), Error> {
    for ch in std::iter::once(&channel).chain(celebrations_channel.as_ref()) {
        if ch.kind != serenity::ChannelType::Text {
            return Err(InputError::new(format!(
                "<#{}> is not a text channel. Pick a text channel: hallway creates private threads in it.",
                ch.id
            ))
            .into());
        }
    }
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    store
        .set_channels(
            guild_id,
            channel.id.into(),
            celebrations_channel.map(|c| c.id.into()),
            Utc::now(),
        )
        .await?;
    let community = store.community(guild_id).await?;
    reply_private(ctx, &format!("Saved.\n{}", render::settings(&community))).await?;
    Ok(())
}

/// Set when rounds happen.
#[poise::command(slash_command, guild_only)]
async fn schedule(
    ctx: Context<'_>,
    #[description = "How often rounds happen"] every: Choice<Cadence>,
    #[description = "Which day of the week"] day: Choice<Day>,
    #[description = "Which hour, 0-23, in the time zone below"]
    #[min = 0]
    #[max = 23]
    hour: i64,
    #[description = "IANA time zone of the program, e.g. Europe/Berlin"]
    #[autocomplete = "autocomplete_time_zone"]
    timezone: String,
) -> Result<(), Error> {
    let schedule = Schedule {
        cadence: every.0,
        weekday: day.0.into(),
        hour: validate::hour(hour)?,
        time_zone: validate::time_zone(&timezone)?,
    };
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    store.set_schedule(guild_id, &schedule, Utc::now()).await?;
    let community = store.community(guild_id).await?;
    reply_private(ctx, &format!("Saved.\n{}", render::settings(&community))).await?;
    Ok(())
}

/// Set how members are grouped.
#[poise::command(slash_command, guild_only)]
async fn matching(
    ctx: Context<'_>,
    #[description = "open: anyone with anyone; mentor-mentee; peer-circles: small same-role groups"]
    mode: Choice<MatchingMode>,
    #[description = "People per group, 2-4"]
    #[min = 2]
    #[max = 4]
    group_size: i64,
    #[description = "Prefer pairing people from different institutions"] cross_institution: Option<
        bool,
    >,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let current = store.community(guild_id).await?;
    let rules = validate::matching_rules(
        mode.0,
        validate::group_size(group_size)?,
        cross_institution.unwrap_or(current.matching.cross_institution),
    )?;
    store.set_matching(guild_id, &rules, Utc::now()).await?;
    let community = store.community(guild_id).await?;
    reply_private(ctx, &format!("Saved.\n{}", render::settings(&community))).await?;
    Ok(())
}

/// Name the program, set its dates, and write the welcome new members see.
#[poise::command(slash_command, guild_only)]
async fn program(
    ctx: Context<'_>,
    #[description = "The program's name"]
    #[max_length = 100]
    name: String,
    #[description = "First day, YYYY-MM-DD"] start: Option<String>,
    #[description = "Last day, YYYY-MM-DD"] end: Option<String>,
    #[description = "Shown to everyone who joins: what the program is and what to expect"]
    #[max_length = 1500]
    welcome: Option<String>,
) -> Result<(), Error> {
    let program = validate::program(&name, start.as_deref(), end.as_deref(), welcome.as_deref())?;
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    store.set_program(guild_id, &program, Utc::now()).await?;
    let mut text = format!("Saved. **{}**", program.name.as_deref().unwrap_or_default());
    match (program.start, program.end) {
        (Some(start), Some(end)) => text.push_str(&format!(
            " runs from {start} to {end}; hallway will celebrate its halfway point and its last month."
        )),
        (Some(start), None) => text.push_str(&format!(" starts on {start}.")),
        (None, Some(end)) => text.push_str(&format!(" ends on {end}.")),
        (None, None) => text.push('.'),
    }
    if let Some(welcome) = &program.welcome {
        text.push_str(&format!(
            "\nNew members will read:\n> {}",
            welcome.replace('\n', "\n> ")
        ));
    }
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// Post a discussion prompt to a channel on a cadence, or turn it off.
#[poise::command(slash_command, guild_only)]
async fn watercooler(
    ctx: Context<'_>,
    #[description = "How often to post, or off"] every: Choice<WatercoolerSetting>,
    #[description = "Where to post (needed unless turning it off)"]
    #[channel_types("Text")]
    channel: Option<serenity::PartialChannel>,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let now = Utc::now();
    let Some(cadence) = every.0.cadence() else {
        store.set_watercooler(guild_id, None, now).await?;
        reply_private(ctx, "The watercooler is off.").await?;
        return Ok(());
    };
    let Some(channel) = channel else {
        return Err(InputError::new(
            "Pick a channel for the watercooler, e.g. `/hallway-admin watercooler every:weekly channel:#general`.",
        )
        .into());
    };
    if channel.kind != serenity::ChannelType::Text {
        return Err(InputError::new(format!(
            "<#{}> is not a text channel. Pick a text channel.",
            channel.id
        ))
        .into());
    }
    let setting = Watercooler {
        channel_id: channel.id.into(),
        cadence,
        anchor: now,
    };
    store.set_watercooler(guild_id, Some(&setting), now).await?;
    ctx.data().wake.notify_one();
    reply_private(
        ctx,
        &format!(
            "The watercooler is on: a discussion prompt in <#{}> {}, starting now. Prompts don't repeat \
             until the library is used up. Turn it off with `/hallway-admin watercooler every:off`.",
            channel.id,
            match cadence {
                community::WatercoolerCadence::Daily => "every day",
                community::WatercoolerCadence::Weekly => "every week",
                community::WatercoolerCadence::Biweekly => "every two weeks",
            }
        ),
    )
    .await?;
    Ok(())
}
