//! `/hallway …`: what members run for themselves. Every reply is ephemeral.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::caller::{
    author, display_name, guild, live_program_or_first, my_programs, not_a_member,
};
use crate::discord::choices::{autocomplete_program, autocomplete_time_zone, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::member::{Member, ProfileChange};
use crate::domain::profile::{Modality, Role, TimeOfDay};
use crate::domain::program::Program;
use crate::domain::validate::{self, InputError};
use crate::storage::Store;

/// Opt in to random chats, or update your profile.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)] // one per slash-command option
pub(super) async fn join(
    ctx: Context<'_>,
    #[description = "Your part in the program"] role: Choice<Role>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
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
    #[description = "\"Ask me about …\", shown under your name in intros (up to 150 characters; - removes it)"]
    #[max_length = 150]
    about: Option<String>,
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
        about: about.as_deref().map(validate::about).transpose()?,
    };
    if change.capacity.is_some() && role != Role::Mentor {
        return Err(InputError::new(
            "Capacity is for mentors only: it is how many mentees they meet each round. \
             Leave it out, or join with role mentor.",
        )
        .into());
    }
    let program = live_program_or_first(ctx, program.as_deref()).await?;
    let now = Utc::now();
    let data = ctx.data();
    let joined = data
        .store
        .join(
            &program,
            author(ctx),
            &display_name(ctx).await,
            &change,
            now,
        )
        .await?;
    let next = crate::rounds::next_round_at(&data.store, &program, now).await?;
    tracing::info!(
        guild = %program.guild_id,
        program = %program.program_id,
        user = %joined.member.user_id,
        first_time = joined.first_time,
        "member joined"
    );
    let mut text = render::joined(&joined.member, joined.first_time, &program, next, now);
    let tags = data.store.interests(program.program_id).await?;
    let mut reply = poise::CreateReply::default()
        .ephemeral(true)
        .allowed_mentions(poise::serenity_prelude::CreateAllowedMentions::new());
    if !tags.is_empty() {
        // Offered right away, so picking them is part of joining, not a chore for later.
        let picked = data
            .store
            .member_interests(program.program_id, joined.member.user_id)
            .await?;
        text.push_str(&format!(
            "\n\n**Your interests** (up to {}): pick what you'd like to talk about.",
            crate::domain::interests::MAX_PICKS
        ));
        reply = reply.components(vec![super::interests::menu(&program, &tags, &picked)]);
    }
    ctx.send(reply.content(render::fit(&text))).await?;
    Ok(())
}

/// See your settings, your status in each program, and what happens next.
#[poise::command(slash_command, guild_only)]
pub(super) async fn profile(
    ctx: Context<'_>,
    #[description = "Only this program (default: every program you're in)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let guild_id = guild(ctx)?;
    let mine = my_programs(ctx, program.as_deref()).await?;
    let (text, components) =
        profile_message(&ctx.data().store, guild_id, author(ctx), &mine, Utc::now()).await?;
    ctx.send(
        poise::CreateReply::default()
            .content(text)
            .components(components)
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}

/// The profile of `user` in the programs `mine`, and its menus: their settings and
/// standing, their do-not-match list, and in each program their "Not a fit" answers
/// still keeping them apart, with a menu to undo them. All of it for the member alone.
pub(super) async fn profile_message(
    store: &Store,
    guild_id: GuildId,
    user: UserId,
    mine: &[(Program, Member)],
    now: DateTime<Utc>,
) -> anyhow::Result<(String, Vec<serenity::CreateActionRow>)> {
    let mut nexts = Vec::with_capacity(mine.len());
    for (program, _) in mine {
        nexts.push(crate::rounds::next_round_at(store, program, now).await?);
    }
    let views: Vec<_> = mine
        .iter()
        .zip(&nexts)
        .map(|((program, member), next)| (program, member, *next))
        .collect();
    let mut text = render::profile(&views, now);
    let avoided = store.avoid_list(guild_id, user).await?;
    if !avoided.is_empty() {
        let names: Vec<String> = avoided.iter().map(|id| format!("<@{id}>")).collect();
        text.push_str(&format!(
            "\n\n**Your do-not-match list** (only you can see it): {}",
            names.join(", ")
        ));
    }
    let mut menus = Vec::new();
    for (program, _) in mine {
        let partners = store
            .not_a_fit_partners(guild_id, program.program_id, user)
            .await?;
        if partners.is_empty() {
            continue;
        }
        // A message holds five rows of components.
        let with_menu = menus.len() < 5;
        text.push_str("\n\n");
        text.push_str(&render::not_a_fit_note(program, partners.len(), with_menu));
        if with_menu {
            menus.push(render::not_a_fit_menu(program, &partners));
        }
    }
    Ok((render::fit(&text), menus))
}

/// Take a break from the rounds for a few weeks: in one program, or in all of yours.
#[poise::command(slash_command, guild_only)]
pub(super) async fn pause(
    ctx: Context<'_>,
    #[description = "How many weeks (1-12)"]
    #[min = 1]
    #[max = 12]
    weeks: i64,
    #[description = "Only this program (default: every program you're in)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let weeks = validate::pause_weeks(weeks)?;
    let mine = my_programs(ctx, program.as_deref()).await?;
    let now = Utc::now();
    let until = now + chrono::Duration::weeks(weeks.into());
    let store = &ctx.data().store;
    for (program, member) in &mine {
        if !store
            .pause(program.program_id, member.user_id, until, now)
            .await?
        {
            return Err(not_a_member());
        }
    }
    let zone = mine[0].1.profile.time_zone;
    let text = format!(
        "Paused{}. You won't be matched until {}; after that you're back in the rounds. \
         To come back sooner: `/hallway resume`.",
        in_programs(&mine, program.is_some()),
        render::date(until, zone)
    );
    reply_private(ctx, &text).await?;
    Ok(())
}

/// End your pause and be matched again from the next round.
#[poise::command(slash_command, guild_only)]
pub(super) async fn resume(
    ctx: Context<'_>,
    #[description = "Only this program (default: every program you're in)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let mine = my_programs(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let now = Utc::now();
    for (program, member) in &mine {
        if !store
            .resume(program.program_id, member.user_id, now)
            .await?
        {
            return Err(not_a_member());
        }
    }
    let text = format!(
        "Welcome back{}! You'll be matched in the next round.",
        in_programs(&mine, program.is_some())
    );
    reply_private(ctx, &text).await?;
    Ok(())
}

/// Stop being matched, in one program or all. Your history is kept: come back with /hallway join.
#[poise::command(slash_command, guild_only)]
pub(super) async fn leave(
    ctx: Context<'_>,
    #[description = "Only this program (default: every program you're in)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let mine = my_programs(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let now = Utc::now();
    for (program, member) in &mine {
        if !store.leave(program.program_id, member.user_id, now).await? {
            return Err(not_a_member());
        }
    }
    let text = format!(
        "You've left{} and won't be matched there any more. Your past chats are kept, so you \
         can come back any time with `/hallway join`. To erase everything instead: \
         `/hallway forget-me`.",
        match mine.as_slice() {
            [(program, _)] if program.name != crate::domain::program::DEFAULT_PROGRAM_NAME => {
                format!(" **{}**", program.name)
            }
            [_] => " hallway".to_string(),
            _ => format!(" {}", names(&mine)),
        }
    );
    reply_private(ctx, &text).await?;
    Ok(())
}

/// " in **A** and **B**" when a member is in more than one program, or named the one;
/// nothing otherwise.
fn in_programs(mine: &[(Program, Member)], named: bool) -> String {
    if mine.len() < 2 && !named {
        return String::new();
    }
    format!(" in {}", names(mine))
}

fn names(mine: &[(Program, Member)]) -> String {
    let names: Vec<String> = mine
        .iter()
        .map(|(p, _)| format!("**{}**", p.name))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
