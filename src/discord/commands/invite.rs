//! `/hallway-admin invite [program]`: posts a program in its channel with Join buttons,
//! and what a click on one of them does.
//!
//! The post is the coordinator's own act, so it goes straight to Discord (not through
//! the outbox) and a failure is told to the coordinator at once. A click is the member's
//! own act: it joins them, and only them. hallway never enrols anyone on its own.

use std::time::Duration;

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ComponentInteraction, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateMessage,
};

use super::caller::live_program;
use crate::delivery::{codes, SendError};
use crate::discord::button_id::ButtonId;
use crate::discord::buttons::{private, respond};
use crate::discord::choices::autocomplete_program;
use crate::discord::courier::classify;
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{ChannelId, GuildId, ProgramId, UserId};
use crate::domain::member::{Joined, ProfileChange};
use crate::domain::profile::Role;
use crate::domain::program::{MatchingMode, Program};
use crate::domain::validate::InputError;

/// How long the coordinator's post may take before they are told it may not have landed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// The roles an invite offers: the ones the program's mode matches on.
///
/// - mentor-mentee: mentees and mentors (peers count as mentees there: a third button
///   would only be a second way to say "mentee").
/// - peer-circles: peers only. Circles form within each role, so every extra button
///   would split the people who click into smaller pools, and leave more of them out.
/// - open: peers only. Anyone meets anyone, so a role is only a label; one button is
///   the simplest, and `/hallway join role:` still sets another.
pub(crate) fn invite_roles(mode: MatchingMode) -> &'static [Role] {
    match mode {
        MatchingMode::MentorMentee => &[Role::Mentee, Role::Mentor],
        MatchingMode::PeerCircles | MatchingMode::Open => &[Role::Peer],
    }
}

fn label(role: Role) -> String {
    format!("Join as {role}")
}

/// The invite's buttons, one per role the program's mode uses.
fn join_buttons(program: &Program) -> CreateActionRow {
    CreateActionRow::Buttons(
        invite_roles(program.matching.mode)
            .iter()
            .map(|&role| {
                let id = ButtonId::Join {
                    guild: program.guild_id,
                    program: program.program_id,
                    role,
                };
                CreateButton::new(id.to_string())
                    .label(label(role))
                    .style(ButtonStyle::Primary)
            })
            .collect(),
    )
}

/// What the invite says: the program's name, its welcome text (or what it is, from its
/// settings), its dates and rounds, and what a click does.
pub(crate) fn invite_text(program: &Program) -> String {
    let m = &program.matching;
    let mut lines = vec![format!("**{}**", program.name)];
    match &program.info.welcome {
        Some(welcome) => lines.push(welcome.clone()),
        None => lines.push(match m.mode {
            MatchingMode::Open => format!(
                "Random coffee chats: each round, hallway puts members together at random in \
                 groups of {}, each in a private thread with an icebreaker.",
                m.group_size
            ),
            MatchingMode::MentorMentee => format!(
                "Mentoring chats: each round, hallway matches each mentee with a mentor \
                 (groups of up to {}), each in a private thread with an icebreaker.",
                m.group_size
            ),
            MatchingMode::PeerCircles => format!(
                "Peer circles: each round, hallway puts members in circles of {}, each in a \
                 private thread with an icebreaker.",
                m.group_size
            ),
        }),
    }
    lines.push(String::new());
    match (program.info.start, program.info.end) {
        (Some(start), Some(end)) => lines.push(format!("Runs from {start} to {end}.")),
        (Some(start), None) => lines.push(format!("Starts on {start}.")),
        (None, Some(end)) => lines.push(format!("Ends on {end}.")),
        (None, None) => {}
    }
    if program.schedule.is_some() {
        lines.push(format!(
            "Rounds: {}.",
            render::schedule(program.schedule.as_ref())
        ));
    }
    lines.push(
        "Click a button to join. Only you will see the answer, and you can pause or leave \
         any time."
            .into(),
    );
    render::fit(&lines.join("\n"))
}

/// Post this program in its channel, with buttons to join it.
#[poise::command(slash_command, guild_only)]
pub async fn invite(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let Some(channel) = program.program_channel_id else {
        return Err(InputError::new(format!(
            "**{name}** has no channel yet, so there is nowhere to post its invite. Choose one \
             with `/hallway-admin setup channel:#… program:{name}` (or `/hallway-admin program \
             edit program:{name} channel:#…`), then run invite again. Nothing was posted.",
            name = program.name
        ))
        .into());
    };
    // Discord waits 3 seconds for an answer; the post itself may take longer.
    ctx.defer_ephemeral().await?;
    let message = CreateMessage::new()
        .content(invite_text(&program))
        .components(vec![join_buttons(&program)])
        // A welcome text that says @everyone notifies nobody.
        .allowed_mentions(CreateAllowedMentions::new());
    let posted = tokio::time::timeout(
        POST_TIMEOUT,
        serenity::ChannelId::from(channel).send_message(ctx.http(), message),
    )
    .await;
    let failure = match posted {
        Ok(Ok(sent)) => {
            tracing::info!(guild = %program.guild_id, program = %program.program_id, message = %sent.id, "invite posted");
            let link = sent.id.link(sent.channel_id, Some(program.guild_id.into()));
            let roles: Vec<String> = invite_roles(program.matching.mode)
                .iter()
                .map(|&r| format!("**{}**", label(r)))
                .collect();
            let text = format!(
                "Posted the invite to **{}** in <#{channel}>: {link}\nIts buttons: {}. A click \
                 joins the member who clicked, with that role, and answers them privately.",
                program.name,
                roles.join(", ")
            );
            reply_private(ctx, &text).await?;
            return Ok(());
        }
        Ok(Err(err)) => classify(err),
        Err(_) => SendError::Transient("timed out".into()),
    };
    tracing::warn!(guild = %program.guild_id, program = %program.program_id, error = %failure, "could not post an invite");
    Err(InputError::new(post_failed(channel, &failure)).into())
}

/// What the coordinator is told when Discord did not take the invite. Discord's own
/// error text goes to the log only.
pub(crate) fn post_failed(channel: ChannelId, failure: &SendError) -> String {
    match failure {
        SendError::Refused { code, .. } if *code == codes::UNKNOWN_CHANNEL => format!(
            "The program's channel (<#{channel}>) no longer exists, so nothing was posted. \
             Choose another with `/hallway-admin setup channel:#…`, then run invite again."
        ),
        SendError::Refused { status: 403, .. } => format!(
            "hallway may not post in <#{channel}>, so nothing was posted. In the channel's \
             settings, give hallway **View Channel** and **Send Messages**, then run invite again."
        ),
        SendError::Refused { status, .. } => format!(
            "Discord refused the invite (HTTP {status}), so nothing was posted. Try again; if \
             it keeps happening, check hallway's permissions in <#{channel}>."
        ),
        SendError::RateLimited(_) => "Discord asked hallway to slow down, so nothing was \
            posted. Try again in a minute."
            .to_string(),
        SendError::Transient(_) => format!(
            "Discord did not answer in time, so the invite may or may not be in <#{channel}>. \
             Look there first; if it isn't, run invite again."
        ),
    }
}

const JOIN_IN_THE_SERVER: &str =
    "Join buttons work in the server they were posted in. Nothing was changed.";

/// The click on "Join as …": joins the clicker, and answers them privately.
pub async fn join_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild_id: GuildId,
    program_id: ProgramId,
    role: Role,
) -> anyhow::Result<()> {
    // Only someone in the server can join its program: a click from a DM proves nothing.
    // (An id naming another server than the one clicked in was refused before this.)
    if click.guild_id.is_none() {
        return respond(ctx, click, private(JOIN_IN_THE_SERVER)).await;
    }
    let now = Utc::now();
    let program = data.store.program(guild_id, program_id).await?;
    let current = match &program {
        Some(p) => {
            data.store
                .member(p.program_id, click.user.id.into())
                .await?
        }
        None => None,
    };
    let action = decide(
        program.as_ref(),
        current
            .as_ref()
            .map(|m| (m.profile.role, m.left_at.is_none())),
        role,
    );
    let program = match (action, program) {
        (Click::Join, Some(program)) => program,
        (refusal, program) => {
            let text = refusal_text(refusal, program.as_ref(), role);
            return respond(ctx, click, private(&render::fit(&text))).await;
        }
    };
    let user = UserId::from(click.user.id);
    let name = match &click.member {
        Some(member) => member.display_name().to_string(),
        None => click.user.display_name().to_string(),
    };
    let joined = data
        .store
        .join(&program, user, &name, &ProfileChange::role(role), now)
        .await?;
    let next = crate::rounds::next_round_at(&data.store, &program, now).await?;
    tracing::info!(
        guild = %program.guild_id,
        program = %program.program_id,
        user = %user,
        first_time = joined.first_time,
        was_away = joined.was_away,
        "member joined with an invite button"
    );
    let before = current
        .filter(|m| m.left_at.is_none())
        .map(|m| m.profile.role);
    let text = joined_text(&joined, before, &program, next, now);
    respond(ctx, click, private(&text)).await
}

/// What a click on "Join as `role`" does, given the program (if it still exists) and the
/// clicker's role there and whether they are still in it (if they ever joined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Click {
    /// Join, come back, or change role: what `/hallway join role:` would do.
    Join,
    /// Already in the program with this role: nothing changes.
    AlreadyIn,
    /// The program was deleted.
    Gone,
    /// The program is archived: it takes no new members.
    Archived,
    /// The program's mode changed since the invite was posted, and no longer uses this role.
    RoleNotUsed,
}

pub(crate) fn decide(
    program: Option<&Program>,
    current: Option<(Role, bool)>,
    role: Role,
) -> Click {
    let Some(program) = program else {
        return Click::Gone;
    };
    if program.is_archived() {
        return Click::Archived;
    }
    if !invite_roles(program.matching.mode).contains(&role) {
        return Click::RoleNotUsed;
    }
    match current {
        Some((now, true)) if now == role => Click::AlreadyIn,
        _ => Click::Join,
    }
}

fn complete_profile(program: &Program, role: Role) -> String {
    let capacity = if role == Role::Mentor {
        " capacity:…"
    } else {
        ""
    };
    format!(
        "**Complete your profile** so your matches suit you: `/hallway join program:{} \
         role:{role} timezone:… institution:…{capacity}` (also `time_of_day`, `modality` and \
         `about`). See it any time with `/hallway profile`.",
        program.name
    )
}

fn refusal_text(click: Click, program: Option<&Program>, role: Role) -> String {
    match (click, program) {
        (Click::AlreadyIn, Some(program)) => format!(
            "You're already in **{}** as {role}, so nothing changed.\n\n{}",
            program.name,
            complete_profile(program, role)
        ),
        (Click::Archived, Some(program)) => format!(
            "**{}** is archived: it runs no more rounds, so it takes no new members. Nothing \
             was changed. Ask a coordinator which program to join instead.",
            program.name
        ),
        (Click::RoleNotUsed, Some(program)) => {
            let offered: Vec<String> = invite_roles(program.matching.mode)
                .iter()
                .map(|r| format!("`/hallway join program:{} role:{r}`", program.name))
                .collect();
            format!(
                "This button is out of date: **{}** is now {}, which has no {role}s. Nothing \
                 was changed. Join with {}.",
                program.name,
                program.matching.mode,
                offered.join(" or ")
            )
        }
        _ => "This program no longer exists, so its Join button does nothing. Nothing was \
              changed. Ask a coordinator which program to join instead."
            .to_string(),
    }
}

/// The answer to a click that joined: what changed, the welcome text, the profile, and
/// how to complete it. `before` is the role the member had in the program, if they were in it.
pub(crate) fn joined_text(
    joined: &Joined,
    before: Option<Role>,
    program: &Program,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let role = joined.member.profile.role;
    let mut text = match before {
        Some(old) => format!(
            "**You're now a {role} in {}** (you were a {old}). Your other settings are as they were.\n",
            program.name
        ),
        None if joined.was_away => format!(
            "**Welcome back to {}!** You're in the rounds again, as {role}.\n",
            program.name
        ),
        None => format!("**Welcome to {}!** You joined as {role}.\n", program.name),
    };
    if let Some(welcome) = &program.info.welcome {
        text.push_str(welcome);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&render::profile(&[(program, &joined.member, next)], now));
    text.push_str("\n\n");
    text.push_str(&complete_profile(program, role));
    render::fit(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{GuildId, ProgramId};
    use crate::domain::member::{Member, Profile};
    use crate::domain::profile::{Modality, TimeOfDay};
    use crate::domain::program::{Cadence, Schedule};
    use chrono::TimeZone;

    fn program(mode: MatchingMode) -> Program {
        let mut p = Program::new(ProgramId(4), GuildId(900), "Faculty mentoring");
        p.matching.mode = mode;
        p
    }

    fn member(role: Role) -> Member {
        Member {
            guild_id: GuildId(900),
            program_id: ProgramId(4),
            user_id: UserId(7),
            display_name: "Ada".into(),
            profile: Profile {
                role,
                time_zone: None,
                institution: None,
                time_of_day: TimeOfDay::Flexible,
                modality: Modality::Any,
                capacity: if role == Role::Mentor { 1 } else { 0 },
            },
            paused_until: None,
            left_at: None,
            joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            first_joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            shoutouts: true,
            about: None,
        }
    }

    #[test]
    fn an_invite_offers_only_the_roles_its_mode_matches_on() {
        assert_eq!(
            invite_roles(MatchingMode::MentorMentee),
            &[Role::Mentee, Role::Mentor]
        );
        assert_eq!(invite_roles(MatchingMode::PeerCircles), &[Role::Peer]);
        assert_eq!(invite_roles(MatchingMode::Open), &[Role::Peer]);
    }

    #[test]
    fn without_a_welcome_the_invite_says_what_the_program_is_and_when_it_meets() {
        let mut p = program(MatchingMode::PeerCircles);
        p.matching.group_size = 3;
        p.schedule = Some(Schedule {
            cadence: Cadence::Biweekly,
            weekday: chrono::Weekday::Wed,
            hour: 17,
            time_zone: chrono_tz::America::New_York,
        });
        let text = invite_text(&p);
        for expected in [
            "**Faculty mentoring**",
            "circles of 3",
            "Rounds: every 2 weeks on Wednesday at 17:00 (America/New_York).",
            "Click a button to join",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(
            !invite_text(&program(MatchingMode::Open)).contains("Rounds:"),
            "no schedule, no rounds line"
        );
    }

    #[test]
    fn a_welcome_text_replaces_the_description_and_dates_are_shown() {
        let mut p = program(MatchingMode::MentorMentee);
        p.info.welcome = Some("Meet a mentor from another department.".into());
        p.info.start = chrono::NaiveDate::from_ymd_opt(2026, 9, 1);
        p.info.end = chrono::NaiveDate::from_ymd_opt(2027, 6, 30);
        let text = invite_text(&p);
        assert!(
            text.contains("Meet a mentor from another department."),
            "{text}"
        );
        assert!(!text.contains("Mentoring chats"), "{text}");
        assert!(
            text.contains("Runs from 2026-09-01 to 2027-06-30."),
            "{text}"
        );
    }

    #[test]
    fn a_click_joins_unless_the_member_already_has_that_role_or_the_program_cannot_take_them() {
        let mm = program(MatchingMode::MentorMentee);
        assert_eq!(decide(Some(&mm), None, Role::Mentee), Click::Join, "new");
        assert_eq!(
            decide(Some(&mm), Some((Role::Mentee, true)), Role::Mentee),
            Click::AlreadyIn
        );
        assert_eq!(
            decide(Some(&mm), Some((Role::Mentee, true)), Role::Mentor),
            Click::Join,
            "another role's button changes the role"
        );
        assert_eq!(
            decide(Some(&mm), Some((Role::Mentee, false)), Role::Mentee),
            Click::Join,
            "a member who had left comes back"
        );
        assert_eq!(
            decide(Some(&mm), None, Role::Peer),
            Click::RoleNotUsed,
            "a button the mode no longer offers"
        );
        let mut archived = mm.clone();
        archived.archived_at = Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            decide(Some(&archived), Some((Role::Mentee, true)), Role::Mentee),
            Click::Archived
        );
        assert_eq!(decide(None, None, Role::Mentee), Click::Gone);
    }

    #[test]
    fn the_answer_to_a_join_says_what_changed_and_how_to_complete_the_profile() {
        let mut p = program(MatchingMode::MentorMentee);
        p.info.welcome = Some("Be kind, be curious.".into());
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let joined = |role, first_time, was_away| Joined {
            member: member(role),
            first_time,
            was_away,
        };
        let first = joined_text(&joined(Role::Mentee, true, false), None, &p, None, now);
        for expected in [
            "**Welcome to Faculty mentoring!** You joined as mentee.",
            "Be kind, be curious.",
            "Role: mentee",
            "`/hallway join program:Faculty mentoring role:mentee timezone:… institution:…`",
            "`/hallway profile`",
        ] {
            assert!(
                first.contains(expected),
                "missing {expected:?} in:\n{first}"
            );
        }
        let back = joined_text(&joined(Role::Mentee, false, true), None, &p, None, now);
        assert!(
            back.contains("**Welcome back to Faculty mentoring!**"),
            "{back}"
        );
        let changed = joined_text(
            &joined(Role::Mentor, false, false),
            Some(Role::Mentee),
            &p,
            None,
            now,
        );
        assert!(
            changed.contains("**You're now a mentor in Faculty mentoring** (you were a mentee)"),
            "{changed}"
        );
        assert!(changed.contains("capacity:…"), "{changed}");
    }

    #[test]
    fn a_refused_post_says_what_to_do_and_never_discords_own_words() {
        let channel = ChannelId(55);
        let refused = |status, code| SendError::Refused {
            status,
            code,
            detail: "Missing Access (secret words)".into(),
        };
        let texts = [
            post_failed(channel, &refused(403, codes::MISSING_ACCESS)),
            post_failed(channel, &refused(404, codes::UNKNOWN_CHANNEL)),
            post_failed(channel, &refused(400, 50035)),
            post_failed(channel, &SendError::RateLimited("x".into())),
            post_failed(channel, &SendError::Transient("secret words".into())),
        ];
        assert!(texts[0].contains("**Send Messages**"), "{}", texts[0]);
        assert!(texts[1].contains("no longer exists"), "{}", texts[1]);
        assert!(
            texts[4].contains("may or may not be in <#55>"),
            "{}",
            texts[4]
        );
        for text in &texts {
            assert!(!text.contains("secret words"), "{text}");
        }
    }
}
