//! `/hallway-admin …`: coordinator commands. Discord hides them from members without
//! Manage Server, and the framework checks that permission again on every call.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::caller::{live_program, live_program_or_first};
use super::program::{saved, saved_with, text_channel};
use crate::discord::choices::{autocomplete_program, autocomplete_time_zone, Choice};
use crate::discord::errors::reply_private;
use crate::discord::state::{Context, Error};
use crate::domain::attention;
use crate::domain::program::{
    Cadence, Day, MatchingMode, Schedule, Watercooler, WatercoolerCadence, WatercoolerSetting,
};
use crate::domain::validate::{self, InputError};

/// Coordinator tools: programs, channels, schedule, matching, rounds, prompts, stats, export.
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
        "super::program::program",
        "watercooler",
        "super::rounds::match_now",
        "super::rounds::pause_program",
        "super::rounds::resume_program",
        "super::prompts::prompts",
        "super::interests::admin_interests",
        "super::stats::stats",
        "super::stats::export",
        "super::invite::invite",
        "super::attention::attention",
        "super::survey::survey"
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
    #[description = "Private text channel for coordinators only: a weekly digest of who needs attention"]
    #[channel_types("Text")]
    coordinators_channel: Option<serenity::PartialChannel>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    for ch in std::iter::once(&channel).chain(celebrations_channel.as_ref()) {
        text_channel(ch)?;
    }
    if let Some(ch) = &coordinators_channel {
        if ch.kind != serenity::ChannelType::Text {
            return Err(InputError::new(format!(
                "<#{}> is not a text channel. Pick a text channel for the coordinators' weekly digest.",
                ch.id
            ))
            .into());
        }
    }
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let now = Utc::now();
    store
        .set_setup_channels(
            program.program_id,
            channel.id.into(),
            celebrations_channel.map(|c| c.id.into()),
            coordinators_channel.as_ref().map(|c| c.id.into()),
            now,
        )
        .await?;
    // Left out, the digest stays as it was; given, it goes there from now on.
    let Some(coordinators) = coordinators_channel else {
        return saved(ctx, program.program_id).await;
    };
    let zone = program.schedule.map_or(chrono_tz::UTC, |s| s.time_zone);
    let first = attention::next_digest(now, zone);
    let note = format!(
        "The weekly attention digest goes to <#{}> on Mondays at {:02}:00 ({}), the first on \
         <t:{}:D>. It names members who may be slipping away (without pinging them), so \
         make sure only coordinators can read <#{}>: members must not see it. Stop it with \
         `/hallway-admin program edit weekly_digest:false`; see the list any time with \
         `/hallway-admin attention`.",
        coordinators.id,
        attention::DIGEST_HOUR,
        zone.name(),
        first.due_at.timestamp(),
        coordinators.id
    );
    saved_with(ctx, program.program_id, Some(&note)).await
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
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let schedule = Schedule {
        cadence: every.0,
        weekday: day.0.into(),
        hour: validate::hour(hour)?,
        time_zone: validate::time_zone(&timezone)?,
    };
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    ctx.data()
        .store
        .set_schedule(program.program_id, &schedule, Utc::now())
        .await?;
    saved(ctx, program.program_id).await
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
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let group_size = validate::group_size(group_size)?;
    // Checked before the program is looked up: bad input changes nothing, not even by
    // making a server's first program.
    validate::matching_rules(mode.0, group_size, false)?;
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let mut rules = validate::matching_rules(
        mode.0,
        group_size,
        cross_institution.unwrap_or(program.matching.cross_institution),
    )?;
    rules.interest_weight = program.matching.interest_weight;
    ctx.data()
        .store
        .set_matching(program.program_id, &rules, Utc::now())
        .await?;
    saved(ctx, program.program_id).await
}

/// Post a discussion prompt to a channel on a cadence, or turn it off.
#[poise::command(slash_command, guild_only)]
async fn watercooler(
    ctx: Context<'_>,
    #[description = "How often to post, or off"] every: Choice<WatercoolerSetting>,
    #[description = "Where to post (needed unless turning it off)"]
    #[channel_types("Text")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let store = &ctx.data().store;
    let now = Utc::now();
    let Some(cadence) = every.0.cadence() else {
        let program = live_program(ctx, program.as_deref()).await?;
        store.set_watercooler(program.program_id, None, now).await?;
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
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let setting = Watercooler {
        channel_id: channel.id.into(),
        cadence,
        anchor: now,
    };
    store
        .set_watercooler(program.program_id, Some(&setting), now)
        .await?;
    ctx.data().wake.notify_one();
    reply_private(
        ctx,
        &format!(
            "The watercooler is on: a discussion prompt in <#{}> {}, starting now. Prompts don't repeat \
             until the library is used up. Turn it off with `/hallway-admin watercooler every:off`.",
            channel.id,
            match cadence {
                WatercoolerCadence::Daily => "every day",
                WatercoolerCadence::Weekly => "every week",
                WatercoolerCadence::Biweekly => "every two weeks",
            }
        ),
    )
    .await?;
    Ok(())
}
