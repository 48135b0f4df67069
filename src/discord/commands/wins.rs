//! `/win`: celebrate a member's win in the celebrations channel.

use chrono::{DateTime, Utc};

use super::caller::{author, display_name, guild, my_program};
use crate::celebrations::{Occasion, WinPost};
use crate::discord::choices::{autocomplete_program, Choice};
use crate::discord::errors::reply_private;
use crate::discord::state::{Context, Error};
use crate::domain::limits::{WinLimits, WinRefusal};
use crate::domain::validate::{self, InputError};
use crate::domain::wins::NewWin;
use crate::domain::wins::{self, WinKind};

/// Share a win (a publication, grant, award, talk or milestone) with the community.
#[poise::command(slash_command, guild_only)]
pub async fn win(
    ctx: Context<'_>,
    #[description = "What kind of win"] kind: Choice<WinKind>,
    #[description = "What happened, in a sentence or two"]
    #[max_length = 500]
    description: String,
    #[description = "A link to it (https://…)"] link: Option<String>,
    #[description = "Which program celebrates it (needed when you're in several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let description = validate::text(
        &description,
        "The description",
        validate::WIN_DESCRIPTION_MAX_CHARS,
    )?;
    let link = link.as_deref().map(wins::link).transpose()?;
    let guild_id = guild(ctx)?;
    let data = ctx.data();
    let me = author(ctx);
    let (community, _) = my_program(ctx, program.as_deref()).await?;
    let Some(channel) = community.celebrations_channel() else {
        return Err(InputError::new(
            "This server has no channel for celebrations yet. Ask a coordinator to run `/hallway-admin setup`.",
        )
        .into());
    };
    let post = WinPost {
        user_id: me,
        name: display_name(ctx).await,
        kind: kind.0,
        description,
        link,
    };
    let detail = serde_json::to_string(&Occasion::Win(post.clone()))?;
    let win = NewWin {
        guild_id,
        program_id: community.program_id,
        user_id: post.user_id,
        kind: post.kind,
        description: &post.description,
        link: post.link.as_deref(),
        detail: &detail,
    };
    let limits = &data.limits.wins;
    if let Err(refusal) = data.store.record_win(&win, limits, Utc::now()).await? {
        return Err(InputError::new(refused(refusal, limits)).into());
    }
    // The scheduler posts it now, and retries if Discord is having a moment.
    data.wake.notify_one();
    reply_private(
        ctx,
        &format!("🎉 Congratulations! Your win is on its way to <#{channel}>."),
    )
    .await?;
    Ok(())
}

/// Why a win was not posted, and when it can be, in each reader's own time zone.
fn refused(refusal: WinRefusal, limits: &WinLimits) -> String {
    match refusal {
        // Paused members may post: busy weeks are when grants and papers land.
        WinRefusal::NotAMember => "Only members of the program can post wins. Join with \
            `/hallway join role:<mentor|mentee|peer>`, then try again."
            .to_string(),
        WinRefusal::Left => "You left hallway, so you can't post wins here. Run \
            `/hallway join role:<mentor|mentee|peer>` to come back."
            .to_string(),
        WinRefusal::MemberCooldown { until } => format!(
            "You shared a win a moment ago. To keep the celebrations readable, each member can post \
             one win every {}. Nothing was posted; you can post your next one {}.",
            minutes_words(limits.member_cooldown),
            relative_time(until)
        ),
        WinRefusal::ServerCeiling { until } => format!(
            "This server has already celebrated {} wins in the last hour, the most hallway posts \
             in an hour. Nothing was posted; you can try again {}.",
            limits.server_per_hour,
            relative_time(until)
        ),
    }
}

/// A Discord timestamp (`<t:…:R>`, "in 5 minutes"), rounded up to the next whole second
/// so that it is never earlier than the moment it names.
fn relative_time(at: DateTime<Utc>) -> String {
    let seconds = at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0);
    format!("<t:{seconds}:R>")
}

fn minutes_words(duration: chrono::Duration) -> String {
    match duration.num_minutes() {
        0 => format!("{} seconds", duration.num_seconds()),
        1 => "minute".to_string(),
        m => format!("{m} minutes"),
    }
}
