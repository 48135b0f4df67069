//! `/hallway-admin …`: coordinator commands. Discord hides them from members without
//! Manage Server, and the framework checks that permission again on every call.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::member::guild;
use crate::discord::choices::{autocomplete_time_zone, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::community::{self, Cadence, Day, MatchingMode, Schedule};
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
            channel.id.get(),
            celebrations_channel.map(|c| c.id.get()),
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
    let rules = community::matching_rules(
        mode.0,
        validate::group_size(group_size)?,
        cross_institution.unwrap_or(current.matching.cross_institution),
    )?;
    store.set_matching(guild_id, &rules, Utc::now()).await?;
    let community = store.community(guild_id).await?;
    reply_private(ctx, &format!("Saved.\n{}", render::settings(&community))).await?;
    Ok(())
}
