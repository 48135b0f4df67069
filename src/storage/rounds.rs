//! Rounds and their groups, saved with the round's rows of the outbox.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::history::{rounds_version, seat_order, RoundsVersion};
#[cfg(doc)]
use super::outbox::queue_round_row;
use super::outbox::{round_key, RoundPost};
use super::{db_id, Conn, Store};
use crate::domain::ids::{GroupId, GuildId, PreviewId, ProgramId, RoundId, UserId};
use crate::domain::outbox::OutboxKind;
use crate::domain::preview::groups_still_hold;
use crate::domain::profile::Role;
use crate::domain::round::{
    GroupsChanged, MatchingInput, NewGroup, NewRound, Plan, Preview, RoundRecord, RoundState,
};
use crate::on_backend;

/// A round's columns as [`round_from_row`] reads them.
const ROUND_COLUMNS: &str = "round_id, guild_id, program_id, number, due_at, seed, state, notes";

type RoundRow = (
    RoundId,
    GuildId,
    ProgramId,
    i64,
    DateTime<Utc>,
    i64,
    RoundState,
    String,
);

fn round_from_row(row: RoundRow) -> anyhow::Result<RoundRecord> {
    let (round_id, guild_id, program_id, number, due_at, seed, state, notes) = row;
    Ok(RoundRecord {
        round_id,
        guild_id,
        program_id,
        number: u32::try_from(number).context("bad round.number")?,
        due_at,
        seed: seed as u64,
        state,
        notes,
    })
}

impl Store {
    /// The program's most recent round, of any trigger.
    pub async fn last_round(&self, program_id: ProgramId) -> anyhow::Result<Option<RoundRecord>> {
        let sql = format!(
            "select {ROUND_COLUMNS} from round where program_id = $1 order by number desc limit 1"
        );
        let row: Option<RoundRow> = on_backend!(&self.pool, pool => sqlx::query_as(&sql)
            .bind(program_id)
            .fetch_optional(pool)
            .await)
        .context("cannot read the last round")?;
        row.map(round_from_row).transpose()
    }

    pub async fn round(
        &self,
        guild_id: GuildId,
        round_id: RoundId,
    ) -> anyhow::Result<Option<RoundRecord>> {
        let sql =
            format!("select {ROUND_COLUMNS} from round where guild_id = $1 and round_id = $2");
        let row: Option<RoundRow> = on_backend!(&self.pool, pool => sqlx::query_as(&sql)
            .bind(db_id(guild_id))
            .bind(db_id(round_id))
            .fetch_optional(pool)
            .await)
        .context("cannot read the round")?;
        row.map(round_from_row).transpose()
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
        let mut conn = self.pool.acquire().await?;
        let members = super::members::current_members(conn.conn(), program_id).await?;
        let avoid = avoid_pairs(conn.conn(), guild_id).await?;
        let backend = self.backend();
        let (created, from, to) = (
            backend.instant("r.created_at"),
            backend.instant("$3"),
            backend.instant("$4"),
        );
        let sql = format!(
            // The week's rounds first (a scan of the rounds, not of every group ever).
            "select g.group_id, gm.user_id
             from match_group g
             join group_member gm on gm.group_id = g.group_id
             where g.round_id in (
                 select r.round_id from round r
                 where r.guild_id = $1 and r.program_id <> $2
                   and {created} > {from} and {created} <= {to})
             order by g.group_id, gm.user_id"
        );
        let elsewhere: Vec<(GroupId, UserId)> =
            on_backend!(conn.conn(), conn => sqlx::query_as(&sql)
            .bind(guild)
            .bind(program_id)
            .bind(at - chrono::Duration::days(7))
            .bind(at)
            .fetch_all(conn)
            .await)
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
        // After the pool connection is back: the history's read takes one of its own, and
        // a pool of one must not wait on itself.
        drop(conn);
        let kept = self.kept.current(self, guild_id, program_id).await?;
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
        let mut conn = self.pool.acquire().await?;
        avoid_pairs(conn.conn(), guild_id).await
    }

    /// The program's past rounds, each number with each group's members in seat order,
    /// read from the database: what the kept history is built from, for tests and tools.
    /// It holds every past seat at once; the round path never calls it.
    pub async fn past_rounds(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Vec<(u32, Vec<Vec<UserId>>)>> {
        // Seats in the order of their primary key, as the kept history has them.
        let rows: Vec<(i64, GroupId, UserId)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select r.number, g.group_id, gm.user_id
             from round r
             join match_group g on g.round_id = r.round_id
             join group_member gm on gm.group_id = g.group_id
             where r.program_id = $1
             order by r.number, g.position, gm.user_id",
        )
        .bind(program_id)
        .fetch_all(pool)
        .await)
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
        let mut tx = self.write().await?;
        // Checked again under the write lock: a leave or an avoid entry made while the
        // round was being matched must not be broken by it.
        let current: Vec<UserId> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "select user_id from program_member where program_id = $1 and left_at is null",
        )
        .bind(new.program_id)
        .fetch_all(conn)
        .await)
        .context("cannot read the current members")?;
        let current: HashSet<UserId> = current.into_iter().collect();
        let avoid: Vec<(UserId, UserId)> = avoid_pairs(tx.conn(), new.guild_id)
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
        let before = rounds_version(tx.conn(), new.program_id).await?;
        let number = before.latest_number + 1;
        // The unique keys (program_id, number) and, for a scheduled round, (program_id,
        // due_at) make a round run once, on either backend. A violation ends here: the
        // transaction is dropped, so rolled back (PostgreSQL has aborted it anyway).
        let inserted: Result<RoundId, sqlx::Error> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "insert into round (guild_id, program_id, number, due_at, trigger, seed, state, notes,
                                created_at)
             values ($1, $2, $3, $4, $5, $6, 'matched', $7, $8)
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
        .fetch_one(conn)
        .await);
        let round_id: RoundId = match inserted {
            Ok(round_id) => round_id,
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => return Ok(None),
            Err(err) => return Err(err).context("cannot save the round"),
        };
        let group_ids = insert_groups(tx.conn(), new, round_id).await?;
        insert_members(tx.conn(), new, &group_ids).await?;
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
        let open_threads: Vec<(RoundId, GroupId)> = on_backend!(tx.conn(), conn => sqlx::query_as(
            "select g.round_id, g.group_id from match_group g join round r on r.round_id = g.round_id
             where r.program_id = $1 and g.round_id <> $2 and g.thread_id is not null
               and g.thread_archived_at is null
             order by g.group_id",
        )
        .bind(new.program_id)
        .bind(db_id(round_id))
        .fetch_all(conn)
        .await)
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
            tx.conn(),
            new.guild_id,
            new.program_id,
            &posts,
            new.created_at,
        )
        .await?;
        if let Some(preview_id) = new.confirms_preview {
            let claimed = on_backend!(tx.conn(), conn => sqlx::query(
                "update round_preview set confirmed_round_id = $1
                 where preview_id = $2 and guild_id = $3 and program_id = $4
                   and confirmed_round_id is null",
            )
            .bind(db_id(round_id))
            .bind(preview_id)
            .bind(guild)
            .bind(new.program_id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))
            .context("cannot confirm the preview")?;
            if claimed != 1 {
                // Confirmed already (or never existed): this round must not happen.
                return Ok(None);
            }
        }
        tx.commit().await.context("cannot commit the round")?;
        let after = RoundsVersion {
            count: before.count + 1,
            latest_number: number,
            latest_round_id: before.latest_round_id.max(round_id.get()),
            forgets: before.forgets,
        };
        // Recorded in seat order, as a load reads the seats back.
        let saved: Vec<(Vec<u64>, Option<String>)> = new
            .groups
            .iter()
            .map(|g| {
                let mut members: Vec<u64> = g.members.iter().map(|(user, _)| user.get()).collect();
                seat_order(&mut members);
                (members, g.prompt_key.clone())
            })
            .collect();
        self.kept
            .record_saved(new.program_id, before, after, &saved);
        self.round(new.guild_id, round_id).await
    }
}

/// SQLite binds at most 32,766 parameters in one statement (PostgreSQL 65,535): rows per
/// multi-row insert, the smaller limit on both.
const MAX_BOUND_PARAMETERS: usize = 32_766;

fn rows_per_insert(parameters_per_row: usize) -> usize {
    MAX_BOUND_PARAMETERS / parameters_per_row
}

/// Inserts the round's groups; returns their ids by position (read back by position, as
/// a multi-row insert's RETURNING order is not promised).
async fn insert_groups(
    mut conn: Conn<'_>,
    new: &NewRound,
    round_id: RoundId,
) -> anyhow::Result<Vec<GroupId>> {
    let positions: Vec<(usize, &NewGroup)> = new.groups.iter().enumerate().collect();
    for chunk in positions.chunks(rows_per_insert(5)) {
        on_backend!(conn.re(), conn => {
            let mut insert = QueryBuilder::new(
                "insert into match_group (guild_id, round_id, position, size, prompt_key) ",
            );
            insert.push_values(chunk, |mut row, (position, group)| {
                row.push_bind(db_id(new.guild_id))
                    .push_bind(db_id(round_id))
                    .push_bind(*position as i64)
                    .push_bind(group.members.len() as i64)
                    .push_bind(group.prompt_key.as_deref());
            });
            insert.build().execute(conn).await.map(|_| ())
        })
        .context("cannot save a group")?;
    }
    let ids: Vec<(i64, GroupId)> = on_backend!(conn, conn => sqlx::query_as(
        "select position, group_id from match_group where round_id = $1 order by position",
    )
    .bind(db_id(round_id))
    .fetch_all(conn)
    .await)
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

/// Inserts every group's members, group by group in the plan's order (the mentor first);
/// a load reads them back by the seats' primary key (see `history.rs`).
async fn insert_members(
    mut conn: Conn<'_>,
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
        on_backend!(conn.re(), conn => {
            let mut insert = QueryBuilder::new(
                "insert into group_member (group_id, guild_id, user_id, role) ",
            );
            insert.push_values(chunk, |mut row, (group_id, user, role)| {
                row.push_bind(db_id(*group_id))
                    .push_bind(db_id(new.guild_id))
                    .push_bind(db_id(*user))
                    .push_bind(role.as_str());
            });
            insert.build().execute(conn).await.map(|_| ())
        })
        .context("cannot save a group member")?;
    }
    Ok(())
}

/// Queues the round's rows of the outbox, in order, as [`queue_round_row`] would one by
/// one: a row queued before under the same key stays. Every post belongs to `program_id`
/// (the round's, or one of its earlier rounds').
async fn queue_round_rows(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    program_id: ProgramId,
    posts: &[RoundPost],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for chunk in posts.chunks(rows_per_insert(9)) {
        on_backend!(conn.re(), conn => {
            let mut insert = QueryBuilder::new(
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
            insert.build().execute(conn).await.map(|_| ())
        })
        .context("cannot queue a post")?;
    }
    Ok(())
}

/// The server's do-not-match entries.
async fn avoid_pairs(conn: Conn<'_>, guild_id: GuildId) -> anyhow::Result<Vec<(UserId, UserId)>> {
    on_backend!(conn, conn => sqlx::query_as(
        "select user_id, avoided_user_id from avoid where guild_id = $1",
    )
    .bind(db_id(guild_id))
    .fetch_all(conn)
    .await)
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
        let id = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "insert into round_preview (guild_id, program_id, seed, requested_by, groups_json,
                                        created_at)
             values ($1, $2, $3, $4, $5, $6) returning preview_id",
        )
        .bind(db_id(guild_id))
        .bind(program_id)
        .bind(plan.seed as i64)
        .bind(db_id(requested_by))
        .bind(&plan_json)
        .bind(now)
        .fetch_one(pool)
        .await)
        .context("cannot save the preview")?;
        Ok(id)
    }

    pub async fn preview(
        &self,
        guild_id: GuildId,
        preview_id: PreviewId,
    ) -> anyhow::Result<Option<Preview>> {
        let backend = self.backend();
        let (round_at, preview_at) = (
            backend.instant("r.created_at"),
            backend.instant("p.created_at"),
        );
        let sql = format!(
            "select p.preview_id, p.program_id, p.groups_json, p.confirmed_round_id, p.created_at,
                    exists (select 1 from round r where r.guild_id = p.guild_id
                            and {round_at} > {preview_at}) as round_since
             from round_preview p
             where p.guild_id = $1 and p.preview_id = $2"
        );
        type PreviewRow = (
            PreviewId,
            ProgramId,
            String,
            Option<RoundId>,
            DateTime<Utc>,
            bool,
        );
        let row: Option<PreviewRow> = on_backend!(&self.pool, pool => sqlx::query_as(&sql)
            .bind(db_id(guild_id))
            .bind(preview_id)
            .fetch_optional(pool)
            .await)
        .context("cannot read the preview")?;
        row.map(
            |(
                preview_id,
                program_id,
                groups_json,
                confirmed_round_id,
                made_at,
                round_started_since,
            )| {
                Ok(Preview {
                    preview_id,
                    plan: serde_json::from_str(&groups_json)
                        .context("the stored preview is unreadable")?,
                    confirmed_round_id,
                    made_at,
                    program_id,
                    round_started_since,
                })
            },
        )
        .transpose()
    }
}
