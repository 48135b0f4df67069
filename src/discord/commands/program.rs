//! `/hallway-admin program create | edit | list | archive`: a server's programs, each
//! with its own channel, schedule, matching, dates and welcome.

use chrono::Utc;
use poise::serenity_prelude as serenity;

use super::caller::{any_program, guild, live_program_or_first, pick_server_program};
use crate::discord::choices::{autocomplete_program, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::ids::ProgramId;
use crate::domain::program::{
    InterestWeight, MatchingMode, NameTaken, Program, DEFAULT_PROGRAM_NAME,
};
use crate::domain::validate::{self, InputError};

/// Manage this server's programs.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("create", "edit", "list", "archive"),
    subcommand_required
)]
pub async fn program(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

fn name_taken(name: &str) -> Error {
    InputError::new(format!(
        "This server already has a program called **{name}**. Pick another name, or change \
         that one with `/hallway-admin program edit`."
    ))
    .into()
}

/// Start another program, with its own channel, schedule and settings.
#[poise::command(slash_command, guild_only)]
async fn create(
    ctx: Context<'_>,
    #[description = "The program's name, e.g. Postdoc peer circles"]
    #[max_length = 100]
    name: String,
    #[description = "Text channel for its private threads and round summaries"]
    #[channel_types("Text")]
    channel: serenity::PartialChannel,
    #[description = "open: anyone with anyone; mentor-mentee; peer-circles (default: open)"]
    mode: Option<Choice<MatchingMode>>,
    #[description = "People per group, 2-4 (default 2; 3 for peer circles)"]
    #[min = 2]
    #[max = 4]
    group_size: Option<i64>,
) -> Result<(), Error> {
    let name = validate::program_name(&name)?;
    text_channel(&channel)?;
    let mode = mode.map_or(MatchingMode::Open, |m| m.0);
    let group_size = match group_size {
        Some(size) => validate::group_size(size)?,
        None if mode == MatchingMode::PeerCircles => 3,
        None => 2,
    };
    let rules = validate::matching_rules(mode, group_size, false)?;
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let created = store
        .create_program(guild_id, &name, Some(channel.id.into()), &rules, Utc::now())
        .await?;
    let program = created.map_err(|NameTaken| name_taken(&name))?;
    tracing::info!(guild = %guild_id, program = %program.program_id, "program created");
    let text = format!(
        "Created **{}**.\n{}\n\nMembers join it with `/hallway join program:{}`, or with the \
         buttons of `/hallway-admin invite program:{}`.",
        program.name,
        render::settings(&program),
        program.name,
        program.name
    );
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// Change a program: its name, dates, welcome, channels or matching.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)] // one per slash-command option
async fn edit(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
    #[description = "A new name"]
    #[max_length = 100]
    name: Option<String>,
    #[description = "First day, YYYY-MM-DD"] start: Option<String>,
    #[description = "Last day, YYYY-MM-DD"] end: Option<String>,
    #[description = "Shown to everyone who joins: what the program is and what to expect"]
    #[max_length = 1500]
    welcome: Option<String>,
    #[description = "Text channel for the private threads and round summaries"]
    #[channel_types("Text")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Text channel for wins and milestones"]
    #[channel_types("Text")]
    celebrations_channel: Option<serenity::PartialChannel>,
    #[description = "open, mentor-mentee or peer-circles"] mode: Option<Choice<MatchingMode>>,
    #[description = "People per group, 2-4"]
    #[min = 2]
    #[max = 4]
    group_size: Option<i64>,
    #[description = "Prefer pairing people from different institutions"] cross_institution: Option<
        bool,
    >,
    #[description = "How much shared interests count in matching (default light)"]
    interest_weight: Option<Choice<InterestWeight>>,
    #[description = "Minutes booked for each chat, 15-60 (default 50)"]
    #[min = 15]
    #[max = 60]
    meeting_length: Option<i64>,
    #[description = "Minutes before a booked chat to remind the group, 0 for none (default 15)"]
    #[min = 0]
    #[max = 1440]
    reminder: Option<i64>,
    #[description = "Rounds in a row without a \"We met\" that put a member on the attention list, 1-12"]
    #[min = 1]
    #[max = 12]
    attention_rounds: Option<i64>,
    #[description = "false stops the weekly attention digest (setup's coordinators_channel starts it)"]
    weekly_digest: Option<bool>,
) -> Result<(), Error> {
    // Every option is checked before anything is saved, against the program as it is, or
    // as the server's first would be made: bad input changes nothing, and makes nothing.
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let existing = store.programs(guild_id).await?;
    let first_to_make = existing.is_empty() && program.is_none();
    let current = if first_to_make {
        Program::new(ProgramId(0), guild_id, DEFAULT_PROGRAM_NAME)
    } else {
        pick_server_program(&existing, program.as_deref(), true)?
    };
    let name = name.as_deref().map(validate::program_name).transpose()?;
    let info = validate::program_info(
        &current.info,
        start.as_deref(),
        end.as_deref(),
        welcome.as_deref(),
    )?;
    for ch in channel.iter().chain(celebrations_channel.iter()) {
        text_channel(ch)?;
    }
    let changes_matching = mode.is_some()
        || group_size.is_some()
        || cross_institution.is_some()
        || interest_weight.is_some();
    let rules = if changes_matching {
        let size = group_size
            .map(validate::group_size)
            .transpose()?
            .unwrap_or(current.matching.group_size);
        let mut rules = validate::matching_rules(
            mode.map_or(current.matching.mode, |m| m.0),
            size,
            cross_institution.unwrap_or(current.matching.cross_institution),
        )?;
        rules.interest_weight = interest_weight.map_or(current.matching.interest_weight, |w| w.0);
        Some(rules)
    } else {
        None
    };
    let meeting = validate::meeting_rules(current.meeting, meeting_length, reminder)?;
    let attention_rounds = attention_rounds
        .map(validate::attention_rounds)
        .transpose()?;
    if weekly_digest == Some(true) && current.evaluation.coordinators_channel_id.is_none() {
        return Err(InputError::new(
            "There is no weekly attention digest to keep on: start it by choosing its channel \
             with `/hallway-admin setup channel:#… coordinators_channel:#…`.",
        )
        .into());
    }
    let nothing = attention_rounds.is_none()
        && weekly_digest.is_none()
        && name.is_none()
        && meeting_length.is_none()
        && reminder.is_none()
        && start.is_none()
        && end.is_none()
        && welcome.is_none()
        && channel.is_none()
        && celebrations_channel.is_none()
        && rules.is_none();
    if nothing {
        return Err(InputError::new(
            "Nothing to change: give at least one option, e.g. `welcome:` or `end:2027-06-30`.",
        )
        .into());
    }
    let channels = if channel.is_some() || celebrations_channel.is_some() {
        let Some(program_channel) = channel.map(|c| c.id.into()).or(current.program_channel_id)
        else {
            return Err(InputError::new(
                "Set the program channel too: `channel:#…`. Wins go there when no \
                 celebrations channel is set.",
            )
            .into());
        };
        let celebrations = celebrations_channel
            .map(|c| c.id.into())
            .or(current.celebrations_channel_id);
        Some((program_channel, celebrations))
    } else {
        None
    };
    let current = if first_to_make {
        live_program_or_first(ctx, None).await?
    } else {
        current
    };
    let now = Utc::now();
    let id = current.program_id;
    if let Some(name) = &name {
        store
            .rename_program(id, name, now)
            .await?
            .map_err(|NameTaken| name_taken(name))?;
    }
    if info != current.info {
        store.set_program_info(id, &info, now).await?;
    }
    if let Some((program_channel, celebrations)) = channels {
        store
            .set_channels(id, program_channel, celebrations, now)
            .await?;
    }
    if let Some(rules) = rules {
        store.set_matching(id, &rules, now).await?;
    }
    if meeting != current.meeting {
        store.set_meeting(id, meeting, now).await?;
    }
    if let Some(rounds) = attention_rounds {
        store.set_attention_rounds(id, rounds, now).await?;
    }
    if weekly_digest == Some(false) && current.evaluation.coordinators_channel_id.is_some() {
        store.set_coordinators_channel(id, None, now).await?;
    }
    let program = store
        .program(current.guild_id, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("program {id} vanished"))?;
    let mut text = format!("Saved. **{}**", program.name);
    match (info.start, info.end) {
        (Some(start), Some(end)) => text.push_str(&format!(
            " runs from {start} to {end}; hallway will celebrate its halfway point and its last month."
        )),
        (Some(start), None) => text.push_str(&format!(" starts on {start}.")),
        (None, Some(end)) => text.push_str(&format!(" ends on {end}.")),
        (None, None) => text.push('.'),
    }
    if welcome.is_some() {
        if let Some(welcome) = &info.welcome {
            text.push_str(&format!(
                "\nNew members will read:\n> {}",
                welcome.replace('\n', "\n> ")
            ));
        }
    }
    text.push_str(&format!("\n{}", render::settings(&program)));
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// This server's programs, with their channel, schedule and members.
#[poise::command(slash_command, guild_only)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let programs = store.programs(guild_id).await?;
    if programs.is_empty() {
        return Err(InputError::new(
            "This server has no program yet. Start one with `/hallway-admin program create`.",
        )
        .into());
    }
    let mut lines = vec![format!("**Programs in this server** ({})", programs.len())];
    for program in &programs {
        let members = store.current_members(program.program_id).await?.len();
        lines.push(render::program_line(program, members));
    }
    reply_private(ctx, &render::fit(&lines.join("\n"))).await?;
    Ok(())
}

/// Stop a program for good: no more rounds or posts. Its history, stats and export stay.
#[poise::command(slash_command, guild_only)]
async fn archive(
    ctx: Context<'_>,
    #[description = "Which program"]
    #[autocomplete = "autocomplete_program"]
    program: String,
) -> Result<(), Error> {
    let program = any_program(ctx, Some(&program)).await?;
    let archived = ctx
        .data()
        .store
        .archive_program(program.program_id, Utc::now())
        .await?;
    let text = if archived {
        tracing::info!(guild = %program.guild_id, program = %program.program_id, "program archived");
        format!(
            "**{}** is archived: no more rounds, reminders of new rounds or watercooler posts. \
             Groups already matched keep their threads. Its stats and export stay: \
             `/hallway-admin stats program:{}`.",
            program.name, program.name
        )
    } else {
        format!("**{}** was already archived.", program.name)
    };
    reply_private(ctx, &text).await?;
    Ok(())
}

/// A channel hallway can post and make private threads in, or a user error.
pub(super) fn text_channel(channel: &serenity::PartialChannel) -> Result<(), InputError> {
    if channel.kind != serenity::ChannelType::Text {
        return Err(InputError::new(format!(
            "<#{}> is not a text channel. Pick a text channel: hallway creates private threads in it.",
            channel.id
        )));
    }
    Ok(())
}

/// "Saved." and the program's settings as they are now.
pub(super) async fn saved(
    ctx: Context<'_>,
    program_id: crate::domain::ids::ProgramId,
) -> Result<(), Error> {
    saved_with(ctx, program_id, None).await
}

/// "Saved.", the program's settings as they are now, and a note on what was saved.
pub(super) async fn saved_with(
    ctx: Context<'_>,
    program_id: crate::domain::ids::ProgramId,
    note: Option<&str>,
) -> Result<(), Error> {
    let guild_id = super::caller::guild(ctx)?;
    let program = ctx
        .data()
        .store
        .program(guild_id, program_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("program {program_id} vanished"))?;
    let mut text = format!("Saved.\n{}", render::settings(&program));
    if let Some(note) = note {
        text.push_str(&format!("\n\n{note}"));
    }
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}
