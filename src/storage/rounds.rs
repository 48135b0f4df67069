//! Rounds and their groups, saved with the round's rows of the outbox.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row as _, Sqlite};

use super::history::{rounds_version, RoundsVersion};
#[cfg(doc)]
use super::outbox::queue_round_row;
use super::outbox::{round_key, RoundPost};
use super::{db_id, id_from_db, Store};
use crate::domain::ids::{GroupId, GuildId, PreviewId, ProgramId, RoundId, UserId};
use crate::domain::outbox::OutboxKind;
use crate::domain::preview::groups_still_hold;
use crate::domain::profile::Role;
use crate::domain::round::{
    GroupsChanged, MatchingInput, NewGroup, NewRound, Plan, Preview, RoundRecord,
};

fn round_from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<RoundRecord> {
    Ok(RoundRecord {
        round_id: row.try_get("round_id")?,
        guild_id: id_from_db(row.try_get("guild_id")?),
        program_id: row.try_get("program_id")?,
        number: u32::try_from(row.try_get::<i64, _>("number")?).context("bad round.number")?,
        due_at: row.try_get("due_at")?,
        seed: row.try_get::<i64, _>("seed")? as u64,
        state: row.try_get("state")?,
        notes: row.try_get("notes")?,
    })
}

impl Store {
    /// The program's most recent round, of any trigger.
    pub async fn last_round(&self, program_id: ProgramId) -> anyhow::Result<Option<RoundRecord>> {
        let row =
            sqlx::query("select * from round where program_id = ? order by number desc limit 1")
                .bind(program_id)
                .fetch_optional(self.sqlite_pool())
                .await
                .context("cannot read the last round")?;
        row.as_ref().map(round_from_row).transpose()
    }

    pub async fn round(
        &self,
        guild_id: GuildId,
        round_id: RoundId,
    ) -> anyhow::Result<Option<RoundRecord>> {
        let row = sqlx::query("select * from round where guild_id = ? and round_id = ?")
            .bind(db_id(guild_id))
            .bind(db_id(round_id))
            .fetch_optional(self.sqlite_pool())
            .await
            .context("cannot read the round")?;
        row.as_ref().map(round_from_row).transpose()
    }

    /// Members, avoid pairs, history and prompts seen: the input of one round of the
    /// program at `at`. The do-not-match lists are the server's, for every program. The
    /// history is the one this store keeps, brought up to date with the database.
    pub async fn matching_input(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        at: DateTime<Utc>,
    ) -> anyhow::Result<MatchingInput> {
        let guild = db_id(guild_id);
        let mut conn = self.sqlite_pool().acquire().await?;
        let members = super::members::current_members(&mut conn, program_id).await?;
        let avoid = avoid_pairs(&mut conn, guild_id).await?;
        let kept = self.kept.current(&mut conn, guild_id, program_id).await?;
        // julianday compares the instants, whatever digits of a second each text has.
        let elsewhere: Vec<(GroupId, UserId)> = sqlx::query_as(
            // The week's rounds first (a scan of the rounds, not of every group ever).
            "select g.group_id, gm.user_id
             from match_group g
             join group_member gm on gm.group_id = g.group_id
             where g.round_id in (
                 select r.round_id from round r
                 where r.guild_id = ? and r.program_id <> ?
                   and julianday(r.created_at) > julianday(?) - 7
                   and julianday(r.created_at) <= julianday(?))
             order by g.group_id, gm.rowid",
        )
        .bind(guild)
        .bind(program_id)
        .bind(at)
        .bind(at)
        .fetch_all(&mut *conn)
        .await
        .context("cannot read this week's groups of other programs")?;
        let mut met_elsewhere_this_week: Vec<Vec<UserId>> = Vec::new();
        let mut last_elsewhere = None;
        for (group_id, user) in elsewhere {
            if last_elsewhere != Some(group_id) {
                met_elsewhere_this_week.push(Vec::new());
                last_elsewhere = Some(group_id);
            }
            met_elsewhere_this_week
                .last_mut()
                .expect("pushed above")
                .push(user);
        }
        drop(conn);
        Ok(MatchingInput {
            members,
            avoid,
            history: kept.history,
            latest_round: kept.latest_with_groups,
            met_elsewhere_this_week,
            prompts_seen: kept.prompts_seen,
            interests: self.interests(program_id).await?,
            picks: self.program_picks(program_id).await?,
        })
    }

    /// The server's do-not-match entries: (member, who they avoid).
    pub async fn avoid_pairs(&self, guild_id: GuildId) -> anyhow::Result<Vec<(UserId, UserId)>> {
        let mut conn = self.sqlite_pool().acquire().await?;
        avoid_pairs(&mut conn, guild_id).await
    }

    /// The program's past rounds, each number with each group's members in seat order,
    /// read from the database: what the kept history is built from, for tests and tools.
    /// It holds every past seat at once; the round path never calls it.
    pub async fn past_rounds(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(u32, Vec<Vec<UserId>>)>> {
        let rows: Vec<(i64, GroupId, UserId)> = sqlx::query_as(
            "select r.number, g.group_id, gm.user_id
             from round r
             join match_group g on g.round_id = r.round_id
             join group_member gm on gm.group_id = g.group_id
             where r.program_id = ?
             order by r.number, g.position, gm.rowid",
        )
        .bind(program_id)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read past rounds")?;
        let mut past_rounds: Vec<(u32, Vec<Vec<UserId>>)> = Vec::new();
        let mut last_group = None;
        for (number, group_id, user) in rows {
            let number = u32::try_from(number).context("bad round.number")?;
            if past_rounds.last().map(|(n, _)| *n) != Some(number) {
                past_rounds.push((number, Vec::new()));
            }
            let groups = &mut past_rounds.last_mut().expect("pushed above").1;
            if last_group != Some(group_id) {
                groups.push(Vec::new());
                last_group = Some(group_id);
            }
            groups.last_mut().expect("pushed above").push(user);
        }
        Ok(past_rounds)
    }

    /// Saves a matched round: the round, its groups and the whole outbox, in one
    /// transaction. Returns `None` when a scheduled round for that slot already exists.
    /// The rows go in by the thousand (multi-row inserts), in the order one by one would.
    pub async fn create_round(&self, new: &NewRound) -> anyhow::Result<Option<RoundRecord>> {
        let guild = db_id(new.guild_id);
        let mut tx = self.write_sqlite().await?;
        // Checked again under the write lock: a leave or an avoid entry made while the
        // round was being matched must not be broken by it.
        let current: HashSet<UserId> = sqlx::query_scalar(
            "select user_id from program_member where program_id = ? and left_at is null",
        )
        .bind(new.program_id)
        .fetch_all(&mut *tx)
        .await
        .context("cannot read the current members")?
        .into_iter()
        .collect();
        let avoid: Vec<(UserId, UserId)> = avoid_pairs(&mut tx, new.guild_id)
            .await
            .context("cannot read the do-not-match lists")?;
        let groups: Vec<Vec<UserId>> = new
            .groups
            .iter()
            .map(|g| g.members.iter().map(|(user, _)| *user).collect())
            .collect();
        if !groups_still_hold(&groups, &current, &avoid) {
            return Err(GroupsChanged.into());
        }
        let before = rounds_version(&mut tx, new.program_id).await?;
        let number = before.latest_number + 1;
        let inserted = sqlx::query(
            "insert into round (guild_id, program_id, number, due_at, trigger, seed, state, notes,
                                created_at)
             values (?, ?, ?, ?, ?, ?, 'matched', ?, ?)
             returning round_id",
        )
        .bind(guild)
        .bind(new.program_id)
        .bind(number)
        .bind(new.due_at)
        .bind(new.trigger.as_str())
        .bind(new.seed as i64)
        .bind(new.notes.join("\n"))
        .bind(new.created_at)
        .fetch_one(&mut *tx)
        .await;
        let round_id: RoundId = match inserted {
            Ok(row) => row.try_get("round_id")?,
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => return Ok(None),
            Err(err) => return Err(err).context("cannot save the round"),
        };
        let group_ids = insert_groups(&mut tx, new, round_id).await?;
        insert_members(&mut tx, new, &group_ids).await?;
        let mut posts: Vec<RoundPost> = Vec::with_capacity(group_ids.len() * 3 + 1);
        for &group_id in &group_ids {
            for (kind, due) in [
                (OutboxKind::Intro, new.created_at),
                (OutboxKind::Nudge, new.nudge_at),
                (OutboxKind::Feedback, new.feedback_at),
            ] {
                posts.push(RoundPost {
                    kind,
                    round_id,
                    group_id: Some(group_id),
                    user_id: None,
                    due_at: due,
                });
            }
        }
        posts.push(RoundPost {
            kind: OutboxKind::Summary,
            round_id,
            group_id: None,
            user_id: None,
            due_at: new.created_at,
        });
        // The program's earlier rounds are over: their threads are archived, oldest first,
        // so the server stays under Discord's cap on active threads. A member's message
        // reopens one.
        let open_threads: Vec<(RoundId, GroupId)> = sqlx::query_as(
            "select g.round_id, g.group_id from match_group g join round r on r.round_id = g.round_id
             where r.program_id = ? and g.round_id <> ? and g.thread_id is not null
               and g.thread_archived_at is null
             order by g.group_id",
        )
        .bind(new.program_id)
        .bind(db_id(round_id))
        .fetch_all(&mut *tx)
        .await
        .context("cannot list the earlier rounds' threads")?;
        posts.extend(
            open_threads
                .into_iter()
                .map(|(old_round, group_id)| RoundPost {
                    kind: OutboxKind::ArchiveThread,
                    round_id: old_round,
                    group_id: Some(group_id),
                    user_id: None,
                    due_at: new.created_at,
                }),
        );
        queue_round_rows(
            &mut tx,
            new.guild_id,
            new.program_id,
            &posts,
            new.created_at,
        )
        .await?;
        if let Some(preview_id) = new.confirms_preview {
            let claimed = sqlx::query(
                "update round_preview set confirmed_round_id = ?
                 where preview_id = ? and guild_id = ? and program_id = ?
                   and confirmed_round_id is null",
            )
            .bind(db_id(round_id))
            .bind(preview_id)
            .bind(guild)
            .bind(new.program_id)
            .execute(&mut *tx)
            .await
            .context("cannot confirm the preview")?;
            if claimed.rows_affected() != 1 {
                // Confirmed already (or never existed): this round must not happen.
                return Ok(None);
            }
        }
        tx.commit().await.context("cannot commit the round")?;
        let after = RoundsVersion {
            count: before.count + 1,
            latest_number: number,
            latest_round_id: before.latest_round_id.max(round_id.get()),
        };
        let saved: Vec<(Vec<u64>, Option<String>)> = new
            .groups
            .iter()
            .map(|g| {
                let members = g.members.iter().map(|(user, _)| user.get()).collect();
                (members, g.prompt_key.clone())
            })
            .collect();
        self.kept
            .record_saved(new.program_id, before, after, &saved);
        self.round(new.guild_id, round_id).await
    }
}

/// SQLite binds at most 32,766 parameters in one statement: rows per multi-row insert.
const MAX_BOUND_PARAMETERS: usize = 32_766;

fn rows_per_insert(parameters_per_row: usize) -> usize {
    MAX_BOUND_PARAMETERS / parameters_per_row
}

/// Inserts the round's groups; returns their ids by position (read back by position, as
/// a multi-row insert's RETURNING order is not promised).
async fn insert_groups(
    tx: &mut sqlx::SqliteConnection,
    new: &NewRound,
    round_id: RoundId,
) -> anyhow::Result<Vec<GroupId>> {
    let positions: Vec<(usize, &NewGroup)> = new.groups.iter().enumerate().collect();
    for chunk in positions.chunks(rows_per_insert(5)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "insert into match_group (guild_id, round_id, position, size, prompt_key) ",
        );
        insert.push_values(chunk, |mut row, (position, group)| {
            row.push_bind(db_id(new.guild_id))
                .push_bind(db_id(round_id))
                .push_bind(*position as i64)
                .push_bind(group.members.len() as i64)
                .push_bind(group.prompt_key.as_deref());
        });
        insert
            .build()
            .execute(&mut *tx)
            .await
            .context("cannot save a group")?;
    }
    let ids: Vec<(i64, GroupId)> = sqlx::query_as(
        "select position, group_id from match_group where round_id = ? order by position",
    )
    .bind(db_id(round_id))
    .fetch_all(&mut *tx)
    .await
    .context("cannot read the round's groups back")?;
    anyhow::ensure!(
        ids.len() == new.groups.len()
            && ids
                .iter()
                .enumerate()
                .all(|(k, (position, _))| *position == k as i64),
        "the round's groups were not saved one per position"
    );
    Ok(ids.into_iter().map(|(_, id)| id).collect())
}

/// Inserts every group's members, group by group in seat order (the mentor first): the
/// order a load reads them back in.
async fn insert_members(
    tx: &mut sqlx::SqliteConnection,
    new: &NewRound,
    group_ids: &[GroupId],
) -> anyhow::Result<()> {
    let seats: Vec<(GroupId, UserId, Role)> = new
        .groups
        .iter()
        .zip(group_ids)
        .flat_map(|(group, &group_id)| {
            group
                .members
                .iter()
                .map(move |&(user, role)| (group_id, user, role))
        })
        .collect();
    for chunk in seats.chunks(rows_per_insert(4)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "insert into group_member (group_id, guild_id, user_id, role) ",
        );
        insert.push_values(chunk, |mut row, (group_id, user, role)| {
            row.push_bind(db_id(*group_id))
                .push_bind(db_id(new.guild_id))
                .push_bind(db_id(*user))
                .push_bind(role.as_str());
        });
        insert
            .build()
            .execute(&mut *tx)
            .await
            .context("cannot save a group member")?;
    }
    Ok(())
}

/// Queues the round's rows of the outbox, in order, as [`queue_round_row`] would one by
/// one: a row queued before under the same key stays. Every post belongs to `program_id`
/// (the round's, or one of its earlier rounds').
async fn queue_round_rows(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    program_id: ProgramId,
    posts: &[RoundPost],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for chunk in posts.chunks(rows_per_insert(9)) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id,
                                 due_at, created_at) ",
        );
        insert.push_values(chunk, |mut row, post| {
            row.push_bind(db_id(guild_id))
                .push_bind(program_id)
                .push_bind(post.kind.as_str())
                .push_bind(round_key(
                    post.kind,
                    post.round_id,
                    post.group_id,
                    post.user_id,
                ))
                .push_bind(db_id(post.round_id))
                .push_bind(post.group_id)
                .push_bind(post.user_id.map(db_id))
                .push_bind(post.due_at)
                .push_bind(now);
        });
        insert.push(" on conflict (guild_id, key) do nothing");
        insert
            .build()
            .execute(&mut *tx)
            .await
            .context("cannot queue a post")?;
    }
    Ok(())
}

/// The server's do-not-match entries.
async fn avoid_pairs(
    conn: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
) -> anyhow::Result<Vec<(UserId, UserId)>> {
    sqlx::query_as("select user_id, avoided_user_id from avoid where guild_id = ?")
        .bind(db_id(guild_id))
        .fetch_all(conn)
        .await
        .context("cannot read the avoid lists")
}

impl Store {
    pub async fn save_preview(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        requested_by: UserId,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PreviewId> {
        let plan_json = serde_json::to_string(plan).context("cannot encode the preview")?;
        let id = sqlx::query_scalar(
            "insert into round_preview (guild_id, program_id, seed, requested_by, groups_json,
                                        created_at)
             values (?, ?, ?, ?, ?, ?) returning preview_id",
        )
        .bind(db_id(guild_id))
        .bind(program_id)
        .bind(plan.seed as i64)
        .bind(db_id(requested_by))
        .bind(plan_json)
        .bind(now)
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot save the preview")?;
        Ok(id)
    }

    pub async fn preview(
        &self,
        guild_id: GuildId,
        preview_id: PreviewId,
    ) -> anyhow::Result<Option<Preview>> {
        // julianday compares the instants, whatever digits of a second each text has.
        let row = sqlx::query(
            "select p.preview_id, p.program_id, p.groups_json, p.confirmed_round_id, p.created_at,
                    exists (select 1 from round r where r.guild_id = p.guild_id
                            and julianday(r.created_at) > julianday(p.created_at)) as round_since
             from round_preview p
             where p.guild_id = ? and p.preview_id = ?",
        )
        .bind(db_id(guild_id))
        .bind(preview_id)
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the preview")?;
        row.map(|row| {
            Ok(Preview {
                preview_id: row.try_get("preview_id")?,
                plan: serde_json::from_str(row.try_get("groups_json")?)
                    .context("the stored preview is unreadable")?,
                confirmed_round_id: row.try_get("confirmed_round_id")?,
                made_at: row.try_get("created_at")?,
                program_id: row.try_get("program_id")?,
                round_started_since: row.try_get("round_since")?,
            })
        })
        .transpose()
    }
}
