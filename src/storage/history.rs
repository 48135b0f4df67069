//! The engine's history of each program, kept in memory between rounds.
//!
//! Rebuilding a program's [`History`] from its stored rounds before every round read every
//! past group seat: 5.2 million rows at 100,000 members after a year of weekly rounds.
//! The store keeps each program's history once loaded and records each round it saves
//! into it, so a round reads only what changed since the last one.
//!
//! Never stale: before each use the kept history is checked against the database (the
//! program's count of rounds, latest number and latest round id, one index read). Rounds
//! saved since by a path that did not record them are read and recorded; anything the
//! check cannot explain (fewer rounds, a gap) reloads the program in full. Forget-me
//! deletes group seats without adding a round, so it drops the kept histories of the
//! server's programs itself ([`KeptHistories::forget_guild`]).
//!
//! Several processes on one database (PostgreSQL) each keep their own histories, and a
//! forget-me done by another process changes no count of rounds: forget-me also bumps
//! the program's row of `history_version` in its transaction, and the check reads it
//! with the rounds' counts, in the same read; a version that changed reloads in full.
//! (The in-process generation still guards a load racing a forget-me of this process.)
//!
//! Seat order: each group's members are read, recorded and kept in the order of the
//! seats' primary key, `(group_id, user_id)`, which both backends have; a round just
//! saved is recorded in that same order, so a kept history and a reload (on either
//! backend, or after `migrate-to`) are the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use super::{id_from_db, Backend, Conn, Store};
use crate::domain::ids::{GuildId, ProgramId, UserId};
use crate::domain::matching::{Group, History};
use crate::domain::prompts::PromptsSeen;
use crate::on_backend;

/// What the check compares: the program's rounds as the database has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RoundsVersion {
    pub count: i64,
    pub latest_number: i64,
    pub latest_round_id: i64,
    /// The program's `history_version`: bumped by every forget-me, in any process.
    pub forgets: i64,
}

/// Reads the program's [`RoundsVersion`] (from the `(program_id, number)` index and the
/// program's row of `history_version`), in one query.
pub(crate) async fn rounds_version(
    conn: Conn<'_>,
    program_id: ProgramId,
) -> anyhow::Result<RoundsVersion> {
    let (count, latest_number, latest_round_id, forgets): (i64, i64, i64, i64) =
        on_backend!(conn, conn => sqlx::query_as(
            "select count(*), coalesce(max(number), 0), coalesce(max(round_id), 0),
                    coalesce((select version from history_version where program_id = $1), 0)
             from round where program_id = $1",
        )
        .bind(program_id)
        .fetch_one(conn)
        .await)
        .context("cannot read the program's rounds")?;
    Ok(RoundsVersion {
        count,
        latest_number,
        latest_round_id,
        forgets,
    })
}

/// Bumps the `history_version` of every program of the server: forget-me's part, inside
/// its transaction, so every process's kept history of them reloads.
pub(crate) async fn bump_history_versions(conn: Conn<'_>, guild_id: GuildId) -> anyhow::Result<()> {
    on_backend!(conn, conn => sqlx::query(
        "insert into history_version (program_id, version)
         select program_id, 1 from program where guild_id = $1
         on conflict (program_id) do update set version = history_version.version + 1",
    )
    .bind(super::db_id(guild_id))
    .execute(conn)
    .await
    .map(|_| ()))
    .context("cannot mark the server's histories as changed")?;
    Ok(())
}

/// One program's kept history and what it was built from.
#[derive(Debug, Clone)]
pub(crate) struct KeptHistory {
    guild_id: GuildId,
    version: RoundsVersion,
    /// The latest round that had groups (0 for none).
    pub latest_with_groups: u32,
    pub history: Arc<History>,
    pub prompts_seen: Arc<PromptsSeen>,
}

impl KeptHistory {
    fn empty(guild_id: GuildId) -> Self {
        KeptHistory {
            guild_id,
            version: RoundsVersion::default(),
            latest_with_groups: 0,
            history: Arc::default(),
            prompts_seen: Arc::default(),
        }
    }

    /// Records one round's groups (each member id in seat order, and its prompt), as a
    /// load from the database would: groups without members and rounds without groups
    /// leave no trace there, so none here either.
    fn record(&mut self, number: u32, groups: &[(Vec<u64>, Option<String>)]) {
        let groups: Vec<&(Vec<u64>, Option<String>)> = groups
            .iter()
            .filter(|(members, _)| !members.is_empty())
            .collect();
        if groups.is_empty() {
            return;
        }
        let engine_groups: Vec<Group> = groups
            .iter()
            .map(|(members, _)| Group {
                members: members.clone(),
            })
            .collect();
        Arc::make_mut(&mut self.history).record_round(number, &engine_groups);
        let prompts_seen = Arc::make_mut(&mut self.prompts_seen);
        for (members, prompt_key) in &groups {
            if let Some(key) = prompt_key {
                for &id in members {
                    prompts_seen.insert(UserId(id), key);
                }
            }
        }
        self.latest_with_groups = number;
    }
}

#[derive(Default)]
struct KeptState {
    /// Bumped by every forget: a load that began before it is not kept.
    generation: u64,
    programs: HashMap<ProgramId, KeptHistory>,
}

/// Every program's kept history; shared by the clones of a [`super::Store`].
#[derive(Default)]
pub(crate) struct KeptHistories {
    state: Mutex<KeptState>,
    /// One load at a time: two rounds due together do not both read a year of rounds.
    loading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for KeptHistories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let programs = self.lock().programs.len();
        f.debug_struct("KeptHistories")
            .field("programs", &programs)
            .finish()
    }
}

impl KeptHistories {
    fn lock(&self) -> std::sync::MutexGuard<'_, KeptState> {
        // A panic while recording leaves a history half written: drop them all.
        self.state.lock().unwrap_or_else(|poisoned| {
            let mut state = poisoned.into_inner();
            state.programs.clear();
            state.generation += 1;
            state
        })
    }

    /// The program's history, checked against the database and brought up to date.
    pub(crate) async fn current(
        &self,
        store: &Store,
        guild_id: GuildId,
        program_id: ProgramId,
    ) -> anyhow::Result<KeptHistory> {
        let _one_load = self.loading.lock().await;
        // Read before the snapshot: a forget-me that commits after it (so the snapshot
        // may still hold the member's seats) bumps the generation, and this load is not
        // kept. Read after, the generation could already count that forget.
        let generation = self.lock().generation;
        // One read transaction: the version and the rounds read are the same snapshot
        // (REPEATABLE READ on PostgreSQL).
        let mut tx = store.read().await?;
        let version = rounds_version(tx.conn(), program_id).await?;
        let kept = {
            let mut state = self.lock();
            match state.programs.get(&program_id) {
                Some(kept) if kept.version == version && state.generation == generation => {
                    return Ok(kept.clone())
                }
                // Taken out, so that recording into it does not copy it.
                _ => state.programs.remove(&program_id),
            }
        };
        let explained = |kept: &KeptHistory| {
            kept.guild_id == guild_id
                && kept.version.count < version.count
                && kept.version.latest_number < version.latest_number
                && kept.version.latest_round_id < version.latest_round_id
                // A forget-me since (in any process): seats are gone, reload in full.
                && kept.version.forgets == version.forgets
        };
        let mut kept = match kept {
            Some(kept) if explained(&kept) => {
                let mut kept = kept;
                read_rounds_after(tx.conn(), program_id, &mut kept).await?;
                if kept.version == version {
                    kept
                } else {
                    tracing::info!(program = %program_id, "reloading the program's history");
                    KeptHistory::empty(guild_id)
                }
            }
            _ => KeptHistory::empty(guild_id),
        };
        if kept.version != version {
            // A load from nothing, as of this read (its forget-me version included).
            kept.version.forgets = version.forgets;
            read_rounds_after(tx.conn(), program_id, &mut kept).await?;
        }
        tx.commit().await?;
        anyhow::ensure!(
            kept.version == version,
            "the program's rounds changed inside one read"
        );
        let mut state = self.lock();
        if state.generation == generation {
            state.programs.insert(program_id, kept.clone());
        }
        Ok(kept)
    }

    /// Records a round just saved into the program's kept history, if it is kept and was
    /// up to date with the database just before the round (`before`).
    pub(crate) fn record_saved(
        &self,
        program_id: ProgramId,
        before: RoundsVersion,
        after: RoundsVersion,
        groups: &[(Vec<u64>, Option<String>)],
    ) {
        let mut state = self.lock();
        let Some(kept) = state.programs.get_mut(&program_id) else {
            return;
        };
        if kept.version != before {
            // Behind or ahead of the database: the next use finds out which and catches up.
            return;
        }
        kept.record(after.latest_number as u32, groups);
        kept.version = after;
    }

    /// Drops the kept histories of the server's programs: a forget-me deleted group seats
    /// there, and no forgotten id may stay in memory or steer a round.
    pub(crate) fn forget_guild(&self, guild_id: GuildId) {
        let mut state = self.lock();
        state.generation += 1;
        state.programs.retain(|_, kept| kept.guild_id != guild_id);
    }

    /// The program's kept history as it is, unchecked: for tests and tools.
    pub(crate) fn peek(&self, program_id: ProgramId) -> Option<Arc<History>> {
        self.lock()
            .programs
            .get(&program_id)
            .map(|kept| kept.history.clone())
    }
}

/// Reads the program's rounds numbered after `kept`'s latest into it, oldest first, one
/// round at a time, so no more than one round's groups is ever held.
async fn read_rounds_after(
    mut conn: Conn<'_>,
    program_id: ProgramId,
    kept: &mut KeptHistory,
) -> anyhow::Result<()> {
    let rounds: Vec<(i64, i64)> = on_backend!(conn.re(), conn => sqlx::query_as(
        "select round_id, number from round where program_id = $1 and number > $2 order by number",
    )
    .bind(program_id)
    .bind(kept.version.latest_number)
    .fetch_all(conn)
    .await)
    .context("cannot list past rounds")?;
    for (round_id, number) in rounds {
        let groups = read_round(conn.re(), round_id).await?;
        let number = u32::try_from(number).context("bad round.number")?;
        kept.record(number, &groups);
        kept.version = RoundsVersion {
            count: kept.version.count + 1,
            latest_number: number.into(),
            latest_round_id: kept.version.latest_round_id.max(round_id),
            forgets: kept.version.forgets,
        };
    }
    Ok(())
}

/// Separators inside the one text row a query returns (no id or prompt key holds them).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// The two one-text reads of [`read_round`], in each backend's words: SQLite's
/// `group_concat`/`char`, PostgreSQL's `string_agg`/`chr` over text.
fn round_texts(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => (
            "select group_concat(group_id || char(31) || position || char(31) || ifnull(prompt_key, ''),
                                 char(30)),
                    min(group_id), max(group_id)
             from match_group where round_id = $1",
            "select group_concat(group_id || char(31) || user_id, char(30))
             from group_member where group_id between $1 and $2",
        ),
        Backend::Postgres => (
            "select string_agg(group_id::text || chr(31) || position::text || chr(31)
                               || coalesce(prompt_key, ''), chr(30)),
                    min(group_id), max(group_id)
             from match_group where round_id = $1",
            "select string_agg(group_id::text || chr(31) || user_id::text, chr(30))
             from group_member where group_id between $1 and $2",
        ),
    }
}

/// One round's groups, by position, each with its members in seat order (the seats'
/// primary key: by user id) and its prompt; groups left without members are skipped, as
/// a join of groups and seats skips them.
///
/// Two rows in all, each one text: the round's groups, then every seat whose group id lies
/// in the round's range of group ids (a range of the seats' primary key; seats of other
/// rounds' groups in that range are dropped here). Reading a row per seat instead costs a
/// row's overhead 5.2 million times for a year of 100,000 members.
async fn read_round(
    mut conn: Conn<'_>,
    round_id: i64,
) -> anyhow::Result<Vec<(Vec<u64>, Option<String>)>> {
    let (groups_sql, seats_sql) = round_texts(conn.backend());
    let (groups, first, last): (Option<String>, Option<i64>, Option<i64>) =
        on_backend!(conn.re(), conn => sqlx::query_as(groups_sql)
            .bind(round_id)
            .fetch_one(conn)
            .await)
        .context("cannot read a past round's groups")?;
    let (Some(groups), Some(first), Some(last)) = (groups, first, last) else {
        return Ok(Vec::new());
    };
    let bad = || anyhow::anyhow!("unreadable groups of round {round_id}");
    // Each group id in the range: its position, or none (another round's group).
    let mut position_of = vec![u32::MAX; usize::try_from(last - first + 1).map_err(|_| bad())?];
    let mut prompts: Vec<Option<String>> = Vec::new();
    for group in groups.split(RECORD) {
        let mut fields = group.splitn(3, FIELD);
        let (Some(id), Some(position), Some(key)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad());
        };
        let id: i64 = id.parse()?;
        let position: u32 = position.parse()?;
        position_of[(id - first) as usize] = position;
        let at = position as usize;
        if prompts.len() <= at {
            prompts.resize(at + 1, None);
        }
        prompts[at] = (!key.is_empty()).then(|| key.to_string());
    }
    let seats: Option<String> = on_backend!(conn, conn => sqlx::query_scalar(seats_sql)
        .bind(first)
        .bind(last)
        .fetch_one(conn)
        .await)
    .context("cannot read a past round's members")?;
    let mut seated: Vec<(u32, i64)> = Vec::new();
    for seat in seats
        .as_deref()
        .unwrap_or("")
        .split(RECORD)
        .filter(|s| !s.is_empty())
    {
        let mut fields = seat.splitn(2, FIELD);
        let (Some(group), Some(user)) = (fields.next(), fields.next()) else {
            return Err(bad());
        };
        let position = position_of[(group.parse::<i64>()? - first) as usize];
        if position != u32::MAX {
            seated.push((position, user.parse()?));
        }
    }
    // The primary key's order: a group's seats by the stored user id.
    seated.sort_unstable();
    let mut out: Vec<(Vec<u64>, Option<String>)> = Vec::new();
    let mut current = None;
    for (position, user) in seated {
        if current != Some(position) {
            current = Some(position);
            out.push((Vec::new(), prompts[position as usize].take()));
        }
        out.last_mut()
            .expect("pushed above")
            .0
            .push(id_from_db::<UserId>(user).get());
    }
    Ok(out)
}

/// The members of one saved group in seat order (see the module's note): by the stored
/// user id, as the seats' primary key orders them.
pub(crate) fn seat_order(members: &mut [u64]) {
    members.sort_unstable_by_key(|&id| super::db_id(UserId(id)));
}
