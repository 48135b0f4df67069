//! `/hallway …`: what members run for themselves. Every reply is ephemeral.

use chrono::Utc;

use super::caller::{author, current_member, display_name, guild, not_a_member};
use crate::discord::choices::{autocomplete_time_zone, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::member::ProfileChange;
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::validate::{self, InputError};

/// Opt in to random chats, or update your profile.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)] // one per slash-command option
pub(super) async fn join(
    ctx: Context<'_>,
    #[description = "Your part in the program"] role: Choice<Role>,
    #[description = "Your time zone, e.g. Europe/Berlin"]
    #[autocomplete = "autocomplete_time_zone"]
    timezone: Option<String>,
    #[description = "Your university, hospital or company"]
    #[max_length = 100]
    institution: Option<String>,
    #[description = "When you like to chat, in your time zone"] time_of_day: Option<
        Choice<TimeOfDay>,
    >,
    #[description = "How you like to meet"] modality: Option<Choice<Modality>>,
    #[description = "Mentors only: the most mentees to meet each round (1-5, default 1)"]
    #[min = 1]
    #[max = 5]
    capacity: Option<i64>,
    #[description = "Celebrate your chat milestones and anniversaries in public (default: yes)"]
    shoutouts: Option<bool>,
) -> Result<(), Error> {
    let role = role.0;
    let change = ProfileChange {
        role,
        time_zone: timezone.as_deref().map(validate::time_zone).transpose()?,
        institution: institution
            .as_deref()
            .map(|text| validate::text(text, "The institution", validate::INSTITUTION_MAX_CHARS))
            .transpose()?,
        time_of_day: time_of_day.map(|c| c.0),
        modality: modality.map(|c| c.0),
        capacity: capacity.map(validate::mentor_capacity).transpose()?,
        shoutouts,
    };
    if change.capacity.is_some() && role != Role::Mentor {
        return Err(InputError::new(
            "Capacity is for mentors only: it is how many mentees they meet each round. \
             Leave it out, or join with role mentor.",
        )
        .into());
    }
    let guild_id = guild(ctx)?;
    let now = Utc::now();
    let data = ctx.data();
    let joined = data
        .store
        .join(
            guild_id,
            author(ctx),
            &display_name(ctx).await,
            &change,
            now,
        )
        .await?;
    let community = data.store.community(guild_id).await?;
    let next = crate::rounds::next_round_at(&data.store, &community, now).await?;
    tracing::info!(
        guild = %guild_id,
        user = %joined.member.user_id,
        first_time = joined.first_time,
        "member joined"
    );
    let text = render::joined(&joined.member, joined.first_time, &community, next, now);
    reply_private(ctx, &text).await?;
    Ok(())
}

/// See your settings, your status, and what happens next.
#[poise::command(slash_command, guild_only)]
pub(super) async fn profile(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let member = current_member(ctx, guild_id).await?;
    let community = store.community(guild_id).await?;
    let now = Utc::now();
    let next = crate::rounds::next_round_at(store, &community, now).await?;
    let mut text = render::profile(&member, &community, next, now);
    let avoided = store.avoid_list(guild_id, member.user_id).await?;
    if !avoided.is_empty() {
        let names: Vec<String> = avoided.iter().map(|id| format!("<@{id}>")).collect();
        text.push_str(&format!(
            "\n\n**Your do-not-match list** (only you can see it): {}",
            names.join(", ")
        ));
    }
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Take a break from the rounds for a few weeks.
#[poise::command(slash_command, guild_only)]
pub(super) async fn pause(
    ctx: Context<'_>,
    #[description = "How many weeks (1-12)"]
    #[min = 1]
    #[max = 12]
    weeks: i64,
) -> Result<(), Error> {
    let weeks = validate::pause_weeks(weeks)?;
    let guild_id = guild(ctx)?;
    let member = current_member(ctx, guild_id).await?;
    let now = Utc::now();
    let until = now + chrono::Duration::weeks(weeks.into());
    if !ctx
        .data()
        .store
        .pause(guild_id, member.user_id, until, now)
        .await?
    {
        return Err(not_a_member());
    }
    let text = format!(
        "Paused. You won't be matched until {}; after that you're back in the rounds. \
         To come back sooner: `/hallway resume`.",
        render::date(until, member.profile.time_zone)
    );
    reply_private(ctx, &text).await?;
    Ok(())
}

/// End your pause and be matched again from the next round.
#[poise::command(slash_command, guild_only)]
pub(super) async fn resume(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let member = current_member(ctx, guild_id).await?;
    if !ctx
        .data()
        .store
        .resume(guild_id, member.user_id, Utc::now())
        .await?
    {
        return Err(not_a_member());
    }
    reply_private(ctx, "Welcome back! You'll be matched in the next round.").await?;
    Ok(())
}

/// Stop being matched. Your history is kept, so you can come back with /hallway join.
#[poise::command(slash_command, guild_only)]
pub(super) async fn leave(ctx: Context<'_>) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let member = current_member(ctx, guild_id).await?;
    if !ctx
        .data()
        .store
        .leave(guild_id, member.user_id, Utc::now())
        .await?
    {
        return Err(not_a_member());
    }
    reply_private(
        ctx,
        "You've left hallway and won't be matched any more. Your past chats are kept, so you can \
         come back any time with `/hallway join`. To erase everything instead: `/hallway forget-me`.",
    )
    .await?;
    Ok(())
}
