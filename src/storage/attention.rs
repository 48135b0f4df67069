//! What the attention list is made from: each member's recent rounds and answers, pauses,
//! mentors' loads; and the weekly digest's outbox rows.

use std::collections::BTreeMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{db_id, id_from_db, parse_column, Backend, ByBackend, Conn, Store};
use crate::domain::attention::{
    self, AttentionReport, GroupSeen, History, MemberSeen, PostedDigest, RoundSeen,
};
use crate::domain::group::OutcomeStatus;
use crate::domain::ids::{GroupId, GuildId, ProgramId, UserId};
use crate::domain::outbox::{OutboxKind, Posted};
use crate::domain::program::Program;
use crate::on_backend;

/// Whether hallway delivered group `g`: its intro is in its thread, or at least one DM
/// intro went out (as the round's summary counts it). A group whose delivery failed or
/// is still waiting is not.
const DELIVERED: &str = "((g.delivered_via = 'thread' and g.intro_message_id is not null)
     or exists (select 1 from outbox dm where dm.group_id = g.group_id
                and dm.kind = 'dm-intro' and dm.state = 'done'))";

/// The groups the rules read (`$1` program, `$2` server, `$3` how far back): each current
/// member's last `$3` delivered groups, and every group of the program's last `$3` rounds.
fn groups_read() -> String {
    format!(
        "with ranked as (
        select g.group_id,
               row_number() over (partition by gm.user_id order by r.number desc) as nth
        from group_member gm
        join match_group g on g.group_id = gm.group_id and g.guild_id = $2
        join round r on r.round_id = g.round_id and r.guild_id = $2
        join program_member pm on pm.program_id = r.program_id and pm.user_id = gm.user_id
                              and pm.left_at is null
        where r.program_id = $1 and gm.guild_id = $2 and {DELIVERED}
    ),
    wanted as (
        select group_id from ranked where nth <= $3
        union
        select g.group_id from match_group g
        join round r on r.round_id = g.round_id and r.guild_id = $2
        where r.program_id = $1 and g.guild_id = $2
          and r.number > (select coalesce(max(number), 0) from round
                          where program_id = $1 and guild_id = $2) - $3
    )
    select g.group_id, r.number, gm.user_id, gm.role, o.status, {DELIVERED} as delivered
    from wanted w
    join match_group g on g.group_id = w.group_id
    join round r on r.round_id = g.round_id
    join group_member gm on gm.group_id = g.group_id and gm.guild_id = $2
    left join outcome o on o.group_id = g.group_id and o.user_id = gm.user_id
                       and o.guild_id = $2
    order by r.number, g.group_id, gm.user_id"
    )
}

impl Store {
    /// Everything the attention rules read about a program, in one read transaction so
    /// the parts agree: its current members, its rounds, and the recent groups with
    /// their answers (see [`History::groups`] for how far back).
    pub async fn attention_history(&self, program: &Program) -> anyhow::Result<History> {
        let guild = db_id(program.guild_id);
        let depth = i64::from(History::depth(program.evaluation.attention_rounds));
        // One snapshot for all three reads (REPEATABLE READ on PostgreSQL).
        let mut tx = self
            .read()
            .await
            .context("cannot start reading the attention list")?;

        type MemberRow = (i64, String, String, i64, Option<DateTime<Utc>>);
        let rows: Vec<MemberRow> = on_backend!(tx.conn(), conn => sqlx::query_as(
            "select pm.user_id, m.display_name, pm.role, pm.capacity, pm.paused_until
             from program_member pm
             join member m on m.guild_id = pm.guild_id and m.user_id = pm.user_id
             where pm.program_id = $1 and pm.guild_id = $2 and pm.left_at is null
             order by pm.user_id",
        )
        .bind(program.program_id)
        .bind(guild)
        .fetch_all(conn)
        .await)
        .context("cannot read the program's members")?;
        let members = rows
            .into_iter()
            .map(|(user_id, name, role, capacity, paused_until)| {
                Ok(MemberSeen {
                    user_id: id_from_db(user_id),
                    name,
                    role: parse_column(&role, "program_member.role")?,
                    capacity: u8::try_from(capacity).context("bad program_member.capacity")?,
                    paused_until,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let rows: Vec<(i64, DateTime<Utc>)> = on_backend!(tx.conn(), conn => sqlx::query_as(
            "select number, due_at from round where program_id = $1 and guild_id = $2
             order by number",
        )
        .bind(program.program_id)
        .bind(guild)
        .fetch_all(conn)
        .await)
        .context("cannot read the program's rounds")?;
        let rounds = rows
            .into_iter()
            .map(|(number, due_at)| {
                Ok(RoundSeen {
                    number: round_number(number)?,
                    due_at,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        type GroupRow = (GroupId, i64, i64, String, Option<String>, bool);
        let sql = groups_read();
        let rows: Vec<GroupRow> = on_backend!(tx.conn(), conn => sqlx::query_as(&sql)
            .bind(program.program_id)
            .bind(guild)
            .bind(depth)
            .fetch_all(conn)
            .await)
        .context("cannot read the program's recent groups")?;
        tx.rollback().await.ok();
        let mut groups: BTreeMap<GroupId, GroupSeen> = BTreeMap::new();
        for (group_id, number, user, role, status, delivered) in rows {
            let user = id_from_db(user);
            let group = groups.entry(group_id).or_insert_with(|| GroupSeen {
                round_number: 0,
                members: Vec::new(),
                answers: Vec::new(),
                delivered: false,
            });
            group.round_number = round_number(number)?;
            group.delivered = delivered;
            group
                .members
                .push((user, parse_column(&role, "group_member.role")?));
            if let Some(status) = status {
                let status: OutcomeStatus = parse_column(&status, "outcome.status")?;
                group.answers.push((user, status));
            }
        }

        Ok(History {
            attention_rounds: program.evaluation.attention_rounds,
            mode: program.matching.mode,
            schedule: program.schedule,
            rounds,
            groups: groups.into_values().collect(),
            members,
        })
    }

    /// Queues the next weekly attention digest of every live (not archived, not paused)
    /// program with a coordinators' channel: due on the next Monday at 09:00 in the
    /// program's time zone, once per program and ISO week (its outbox key names the
    /// week). Each program is queued on its own: one that fails is logged (with its
    /// server and program) and the others still get theirs. Returns how many it queued.
    pub async fn queue_attention_digests(&self, now: DateTime<Utc>) -> anyhow::Result<u32> {
        let programs: Vec<(ProgramId, GuildId, Option<String>)> =
            on_backend!(&self.pool, pool => sqlx::query_as(
            "select program_id, guild_id, time_zone from program
             where archived_at is null and paused = false and coordinators_channel_id is not null
             order by program_id",
        )
        .fetch_all(pool)
        .await)
            .context("cannot list the programs with a coordinators' channel")?;
        let mut queued = 0;
        for (program_id, guild_id, zone) in programs {
            match self
                .queue_digest(program_id, guild_id, zone.as_deref(), now)
                .await
            {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(err) => tracing::error!(
                    guild = %guild_id,
                    program = %program_id,
                    error = format!("{err:#}"),
                    "could not queue the program's attention digest"
                ),
            }
        }
        Ok(queued)
    }

    /// Queues one program's next digest unless it is queued already. Returns whether it
    /// queued one.
    async fn queue_digest(
        &self,
        program_id: ProgramId,
        guild_id: GuildId,
        zone: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        // The zone is set with the schedule; a program without one reads UTC.
        let parsed = zone.map(str::parse::<chrono_tz::Tz>);
        let zone_name = zone.unwrap_or_default();
        let (tz, bad_zone) = match parsed {
            None => (chrono_tz::UTC, false),
            Some(Ok(tz)) => (tz, false),
            Some(Err(_)) => (chrono_tz::UTC, true),
        };
        let slot = attention::next_digest(now, tz);
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "insert into outbox (guild_id, program_id, kind, key, due_at, created_at)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (guild_id, key) do nothing",
        )
        .bind(db_id(guild_id))
        .bind(program_id)
        .bind(OutboxKind::AttentionDigest.as_str())
        .bind(digest_key(program_id, &slot.week))
        .bind(slot.due_at)
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .context("cannot queue an attention digest")?;
        let queued = done == 1;
        // Said once per digest queued, not on every pass.
        if queued && bad_zone {
            tracing::warn!(
                guild = %guild_id,
                program = %program_id,
                zone = zone_name,
                "the program's time zone is not one hallway knows; its attention digest \
                 goes at 09:00 UTC"
            );
        }
        Ok(queued)
    }
}

impl Store {
    /// Keeps the list a digest is about to post, so a retry after a try that may have
    /// reached Discord posts the same text (and finds the earlier post) even if the list
    /// changed in between. Kept only while the row is still pending and everyone the list
    /// names is still a member: forget-me may have run since the list was read, and then
    /// nothing may keep their id. Returns false when it was not kept.
    pub async fn keep_digest_snapshot(
        &self,
        outbox_id: i64,
        report: &AttentionReport,
    ) -> anyhow::Result<bool> {
        let json = serde_json::to_string(report).context("cannot write the digest's list")?;
        let named: Vec<i64> = report.named().into_iter().map(db_id).collect();
        let sql = format!(
            "update outbox set detail = $1
             where outbox_id = $2 and kind = $3 and state = 'pending'
               and not exists (select 1 from {}
                               where not exists (select 1 from member m
                                                 where m.guild_id = outbox.guild_id
                                                   and m.user_id = j.value))",
            ids_table(self.backend(), "$4")
        );
        let kind = OutboxKind::AttentionDigest.as_str();
        // The ids whom it names: JSON for SQLite's json_each, an array for PostgreSQL.
        let done = match &self.pool {
            ByBackend::Sqlite(pool) => {
                let named = serde_json::to_string(&named).context("cannot list whom it names")?;
                sqlx::query(&sql)
                    .bind(&json)
                    .bind(outbox_id)
                    .bind(kind)
                    .bind(named)
                    .execute(pool)
                    .await
                    .map(|done| done.rows_affected())
            }
            ByBackend::Postgres(pool) => sqlx::query(&sql)
                .bind(&json)
                .bind(outbox_id)
                .bind(kind)
                .bind(&named)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()),
        }
        .context("cannot keep the digest's list")?;
        Ok(done == 1)
    }

    /// Whether a digest's row is still waiting to go (forget-me may have withdrawn it).
    pub async fn digest_pending(&self, outbox_id: i64) -> anyhow::Result<bool> {
        let pending: bool = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select exists (select 1 from outbox
             where outbox_id = $1 and kind = $2 and state = 'pending')",
        )
        .bind(outbox_id)
        .bind(OutboxKind::AttentionDigest.as_str())
        .fetch_one(pool)
        .await)
        .context("cannot read the digest's row")?;
        Ok(pending)
    }
}

/// forget-me, inside its transaction, for every digest of the server:
/// - a posted one that names the member is queued for deletion, and its row keeps
///   nothing more about whom it named;
/// - one still being tried whose kept list names them is withdrawn (its row deleted) and
///   queued afresh under the same key, so the week still gets its digest, worked out
///   without them, and a retry never posts a second, different text. If the withdrawn
///   try lands after all, [`Store::complete_outbox`] finds its row gone and deletes the
///   post;
/// - any other row whose detail names them (one given up on before names were dropped,
///   or an unreadable one) keeps no detail.
pub(super) async fn forget_in_digests(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    user_id: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    type DigestRow = (
        i64,
        Option<ProgramId>,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
    );
    let rows: Vec<DigestRow> = on_backend!(conn.re(), conn => sqlx::query_as(
        "select outbox_id, program_id, key, state, detail, channel_id, message_id from outbox
         where guild_id = $1 and kind = $2 and detail is not null
         order by outbox_id",
    )
    .bind(db_id(guild_id))
    .bind(OutboxKind::AttentionDigest.as_str())
    .fetch_all(conn)
    .await)
    .context("cannot read the server's digests")?;
    for (outbox_id, program_id, key, state, detail, channel, message) in rows {
        let names_them = if let Ok(posted) = serde_json::from_str::<PostedDigest>(&detail) {
            posted.named.contains(&user_id)
        } else if let Ok(kept) = serde_json::from_str::<AttentionReport>(&detail) {
            kept.named().contains(&user_id)
        } else {
            // Unreadable: it may name them.
            detail.contains(&user_id.to_string())
        };
        if !names_them {
            continue;
        }
        match (state.as_str(), channel, message) {
            ("pending", _, _) => {
                on_backend!(conn.re(), conn => sqlx::query("delete from outbox where outbox_id = $1")
                    .bind(outbox_id)
                    .execute(conn)
                    .await
                    .map(|_| ()))
                .context("cannot withdraw a digest")?;
                on_backend!(conn.re(), conn => sqlx::query(
                    "insert into outbox (guild_id, program_id, kind, key, due_at, created_at)
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(db_id(guild_id))
                .bind(program_id)
                .bind(OutboxKind::AttentionDigest.as_str())
                .bind(&key)
                .bind(now)
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ()))
                .context("cannot queue a withdrawn digest afresh")?;
            }
            (_, Some(channel_id), Some(message_id)) => {
                let at = Posted {
                    channel_id: id_from_db(channel_id),
                    message_id: id_from_db(message_id),
                };
                super::outbox::queue_deletion(conn.re(), guild_id, at, now).await?;
                clear_detail(conn.re(), outbox_id).await?;
            }
            _ => clear_detail(conn.re(), outbox_id).await?,
        }
    }
    Ok(())
}

async fn clear_detail(conn: Conn<'_>, outbox_id: i64) -> anyhow::Result<()> {
    on_backend!(conn, conn => sqlx::query("update outbox set detail = null where outbox_id = $1")
        .bind(outbox_id)
        .execute(conn)
        .await
        .map(|_| ()))
    .context("cannot drop what a digest kept")?;
    Ok(())
}

/// A table of the ids bound at `param` with one column `value`: from a JSON array on
/// SQLite, from a bigint array on PostgreSQL.
fn ids_table(backend: Backend, param: &str) -> String {
    match backend {
        Backend::Sqlite => format!("json_each({param}) j"),
        Backend::Postgres => format!("unnest({param}::bigint[]) as j(value)"),
    }
}

/// `attention-digest:<program>:<ISO year>-W<week>`: one digest per program and week.
fn digest_key(program_id: ProgramId, week: &str) -> String {
    format!("{}:{program_id}:{week}", OutboxKind::AttentionDigest)
}

fn round_number(number: i64) -> anyhow::Result<u32> {
    u32::try_from(number).context("bad round.number")
}
