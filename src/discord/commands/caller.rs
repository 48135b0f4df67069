//! Who ran a command, and in which server: what every command file needs first.

use crate::discord::state::{Context, Error};
use crate::domain::ids::{GuildId, UserId};
use crate::domain::member::Member;
use crate::domain::program::{self, PickError, Program};
use crate::domain::validate::{self, InputError};

/// The server the command ran in; `guild_only` commands always have one.
pub(crate) fn guild(ctx: Context<'_>) -> Result<GuildId, Error> {
    ctx.guild_id()
        .map(GuildId::from)
        .ok_or_else(|| InputError::new(crate::discord::errors::NOT_IN_A_SERVER).into())
}

pub(crate) fn author(ctx: Context<'_>) -> UserId {
    ctx.author().id.into()
}

/// The member's server nickname, else their global display name, else their username.
pub(crate) async fn display_name(ctx: Context<'_>) -> String {
    match ctx.author_member().await {
        Some(member) => member.display_name().to_string(),
        None => ctx.author().display_name().to_string(),
    }
}

pub(crate) fn not_a_member() -> Error {
    InputError::new("You haven't joined yet. Run `/hallway join role:<mentor|mentee|peer>` first.")
        .into()
}

/// What the reply says when a command cannot tell which program it is for.
fn pick_error(error: PickError, whose: Whose) -> Error {
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("**{n}**"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = match (error, whose) {
        (PickError::None, Whose::Server) => "This server has no running hallway program. A coordinator \
            starts one with `/hallway-admin program create`."
            .to_string(),
        (PickError::None, Whose::Mine) => {
            "You haven't joined yet. Run `/hallway join role:<mentor|mentee|peer>` first.".to_string()
        }
        (PickError::Unknown { name, names }, whose) => {
            let here = match whose {
                Whose::Server => "Programs here",
                Whose::Mine => "Your programs",
            };
            format!(
                "There's no program called '{}' {}. {here}: {}. Pick one from the `program` \
                 option's list.",
                validate::shorten(&name, 100),
                match whose {
                    Whose::Server => "here",
                    Whose::Mine => "that you're in",
                },
                list(&names)
            )
        }
        (PickError::WhichOne { names }, Whose::Server) => format!(
            "This server runs several programs: {}. Say which with the `program` option, \
             e.g. `program:{}`.",
            list(&names),
            names.first().map(String::as_str).unwrap_or_default()
        ),
        (PickError::WhichOne { names }, Whose::Mine) => format!(
            "You're in several programs: {}. Say which with the `program` option, e.g. `program:{}`.",
            list(&names),
            names.first().map(String::as_str).unwrap_or_default()
        ),
        (PickError::Archived { name }, _) => format!(
            "**{name}** is archived: it runs no more rounds. Its stats and export are still there."
        ),
    };
    InputError::new(text).into()
}

#[derive(Clone, Copy)]
enum Whose {
    Server,
    Mine,
}

/// The live program a command is for. A server that has none gets its first, as every
/// server had one before programs existed: for the commands that save a setting or a
/// member, called once their input is checked, so bad input creates nothing.
pub(crate) async fn live_program_or_first(
    ctx: Context<'_>,
    name: Option<&str>,
) -> Result<Program, Error> {
    let store = &ctx.data().store;
    let guild_id = guild(ctx)?;
    let mut programs = store.programs(guild_id).await?;
    // A name on a server without programs names none: refused, and nothing is made.
    if programs.is_empty() && name.is_none() {
        programs = store
            .programs_or_first(guild_id, chrono::Utc::now())
            .await?;
    }
    pick_server_program(&programs, name, true)
}

/// The live program a command acts on, which must exist already.
pub(crate) async fn live_program(ctx: Context<'_>, name: Option<&str>) -> Result<Program, Error> {
    let programs = ctx.data().store.programs(guild(ctx)?).await?;
    pick_server_program(&programs, name, true)
}

/// The program whose history a command reads: archived ones too.
pub(crate) async fn any_program(ctx: Context<'_>, name: Option<&str>) -> Result<Program, Error> {
    let programs = ctx.data().store.programs(guild(ctx)?).await?;
    pick_server_program(&programs, name, false)
}

pub(crate) fn pick_server_program(
    programs: &[Program],
    name: Option<&str>,
    live_only: bool,
) -> Result<Program, Error> {
    program::pick(programs, name, live_only)
        .cloned()
        .map_err(|e| pick_error(e, Whose::Server))
}

/// The programs of `memberships` the member has not left, that are not archived.
fn live(programs: &[Program], memberships: &[Member]) -> Vec<(Program, Member)> {
    memberships
        .iter()
        .filter(|m| m.left_at.is_none())
        .filter_map(|m| {
            let program = programs.iter().find(|p| p.program_id == m.program_id)?;
            (!program.is_archived()).then(|| (program.clone(), m.clone()))
        })
        .collect()
}

/// The programs a member is in and has not left, as `/hallway profile` shows them when
/// no program is named (for a click, which has no command context).
pub(crate) async fn live_memberships(
    store: &crate::storage::Store,
    guild_id: GuildId,
    user: UserId,
) -> anyhow::Result<Vec<(Program, Member)>> {
    let programs = store.programs(guild_id).await?;
    let memberships = store.memberships(guild_id, user).await?;
    Ok(live(&programs, &memberships))
}

/// The invoker's live programs and their place in each: the one named, or all of them.
pub(crate) async fn my_programs(
    ctx: Context<'_>,
    name: Option<&str>,
) -> Result<Vec<(Program, Member)>, Error> {
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let memberships = store.memberships(guild_id, author(ctx)).await?;
    let programs = store.programs(guild_id).await?;
    let mine = live(&programs, &memberships);
    if mine.is_empty() {
        return Err(left_or_never_joined(&programs, &memberships, name));
    }
    let Some(name) = name else { return Ok(mine) };
    let just: Vec<Program> = mine.iter().map(|(p, _)| p.clone()).collect();
    let picked = program::pick(&just, Some(name), true)
        .map_err(|e| pick_error(e, Whose::Mine))?
        .program_id;
    Ok(mine
        .into_iter()
        .filter(|(p, _)| p.program_id == picked)
        .collect())
}

/// The one live program of the invoker's a command is for, and their place in it.
pub(crate) async fn my_program(
    ctx: Context<'_>,
    name: Option<&str>,
) -> Result<(Program, Member), Error> {
    let mut mine = my_programs(ctx, name).await?;
    if mine.len() > 1 {
        let names = mine.iter().map(|(p, _)| p.name.clone()).collect();
        return Err(pick_error(PickError::WhichOne { names }, Whose::Mine));
    }
    Ok(mine.remove(0))
}

/// Why someone in no live program cannot run a member command, and how to change that.
fn left_or_never_joined(programs: &[Program], memberships: &[Member], name: Option<&str>) -> Error {
    let named = |p: &Program| name.is_none_or(|n| p.name.to_lowercase() == n.trim().to_lowercase());
    let theirs: Vec<(&Program, &Member)> = memberships
        .iter()
        .filter_map(|m| {
            let program = programs.iter().find(|p| p.program_id == m.program_id)?;
            named(program).then_some((program, m))
        })
        .collect();
    let archived: Vec<&str> = theirs
        .iter()
        .filter(|(p, m)| p.is_archived() && m.left_at.is_none())
        .map(|(p, _)| p.name.as_str())
        .collect();
    if !archived.is_empty() {
        InputError::new(format!(
            "Your program ({}) is archived: it runs no more rounds. Join a running one with \
             `/hallway join role:<mentor|mentee|peer> program:<name>`.",
            archived.join(", ")
        ))
        .into()
    } else if !theirs.is_empty() {
        InputError::new(
            "You left hallway. Run `/hallway join role:<mentor|mentee|peer>` to come back.",
        )
        .into()
    } else {
        not_a_member()
    }
}
