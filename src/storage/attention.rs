//! What the attention list is made from: each member's recent rounds and answers, pauses,
//! mentors' loads; and the weekly digest's outbox rows.

use std::collections::BTreeMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::attention::{self, GroupSeen, History, MemberSeen, RoundSeen};
use crate::domain::group::OutcomeStatus;
use crate::domain::ids::{GroupId, GuildId, ProgramId};
use crate::domain::outbox::OutboxKind;
use crate::domain::program::Program;

/// The groups the rules read (`?1` program, `?2` server, `?3` how far back): each current
/// member's last `?3` groups, and every group of the program's last `?3` rounds.
const GROUPS_READ: &str = "
    with ranked as (
        select g.group_id,
               row_number() over (partition by gm.user_id order by r.number desc) as nth
        from group_member gm
        join match_group g on g.group_id = gm.group_id and g.guild_id = ?2
        join round r on r.round_id = g.round_id and r.guild_id = ?2
        join program_member pm on pm.program_id = r.program_id and pm.user_id = gm.user_id
                              and pm.left_at is null
        where r.program_id = ?1 and gm.guild_id = ?2
    ),
    wanted as (
        select group_id from ranked where nth <= ?3
        union
        select g.group_id from match_group g
        join round r on r.round_id = g.round_id and r.guild_id = ?2
        where r.program_id = ?1 and g.guild_id = ?2
          and r.number > (select coalesce(max(number), 0) from round
                          where program_id = ?1 and guild_id = ?2) - ?3
    )
    select g.group_id, r.number, gm.user_id, gm.role, o.status
    from wanted w
    join match_group g on g.group_id = w.group_id
    join round r on r.round_id = g.round_id
    join group_member gm on gm.group_id = g.group_id and gm.guild_id = ?2
    left join outcome o on o.group_id = g.group_id and o.user_id = gm.user_id
                       and o.guild_id = ?2
    order by r.number, g.group_id, gm.user_id";

impl Store {
    /// Everything the attention rules read about a program, in one read transaction so
    /// the parts agree: its current members, its rounds, and the recent groups with
    /// their answers (see [`History::groups`] for how far back).
    pub async fn attention_history(&self, program: &Program) -> anyhow::Result<History> {
        let guild = db_id(program.guild_id);
        let depth = i64::from(History::depth(program.evaluation.attention_rounds));
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot start reading the attention list")?;

        let rows = sqlx::query(
            "select pm.user_id, m.display_name, pm.role, pm.capacity, pm.paused_until
             from program_member pm
             join member m on m.guild_id = pm.guild_id and m.user_id = pm.user_id
             where pm.program_id = ? and pm.guild_id = ? and pm.left_at is null
             order by pm.user_id",
        )
        .bind(program.program_id)
        .bind(guild)
        .fetch_all(&mut *tx)
        .await
        .context("cannot read the program's members")?;
        let members = rows
            .iter()
            .map(|row| {
                Ok(MemberSeen {
                    user_id: id_from_db(row.try_get("user_id")?),
                    name: row.try_get("display_name")?,
                    role: parse_column(row.try_get("role")?, "program_member.role")?,
                    capacity: u8::try_from(row.try_get::<i64, _>("capacity")?)
                        .context("bad program_member.capacity")?,
                    paused_until: row.try_get("paused_until")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let rows = sqlx::query(
            "select number, due_at from round where program_id = ? and guild_id = ?
             order by number",
        )
        .bind(program.program_id)
        .bind(guild)
        .fetch_all(&mut *tx)
        .await
        .context("cannot read the program's rounds")?;
        let rounds = rows
            .iter()
            .map(|row| {
                Ok(RoundSeen {
                    number: round_number(row)?,
                    due_at: row.try_get("due_at")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let rows = sqlx::query(GROUPS_READ)
            .bind(program.program_id)
            .bind(guild)
            .bind(depth)
            .fetch_all(&mut *tx)
            .await
            .context("cannot read the program's recent groups")?;
        tx.rollback().await.ok();
        let mut groups: BTreeMap<GroupId, GroupSeen> = BTreeMap::new();
        for row in &rows {
            let user = id_from_db(row.try_get("user_id")?);
            let group = groups
                .entry(row.try_get("group_id")?)
                .or_insert_with(|| GroupSeen {
                    round_number: 0,
                    members: Vec::new(),
                    answers: Vec::new(),
                });
            group.round_number = round_number(row)?;
            group.members.push((
                user,
                parse_column(row.try_get("role")?, "group_member.role")?,
            ));
            if let Some(status) = row.try_get::<Option<String>, _>("status")? {
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
    /// week). Returns how many it queued.
    pub async fn queue_attention_digests(&self, now: DateTime<Utc>) -> anyhow::Result<u32> {
        let programs: Vec<(ProgramId, GuildId, Option<String>)> = sqlx::query_as(
            "select program_id, guild_id, time_zone from program
             where archived_at is null and paused = 0 and coordinators_channel_id is not null
             order by program_id",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot list the programs with a coordinators' channel")?;
        if programs.is_empty() {
            return Ok(0);
        }
        let mut queued = 0;
        let mut tx = self.write().await?;
        for (program_id, guild_id, zone) in programs {
            // The zone is set with the schedule; a program without one reads UTC.
            let zone = zone
                .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
                .unwrap_or(chrono_tz::UTC);
            let slot = attention::next_digest(now, zone);
            let done = sqlx::query(
                "insert into outbox (guild_id, program_id, kind, key, due_at, created_at)
                 values (?, ?, ?, ?, ?, ?)
                 on conflict (guild_id, key) do nothing",
            )
            .bind(db_id(guild_id))
            .bind(program_id)
            .bind(OutboxKind::AttentionDigest.as_str())
            .bind(digest_key(program_id, &slot.week))
            .bind(slot.due_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("cannot queue an attention digest")?;
            queued += u32::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit().await?;
        Ok(queued)
    }
}

impl Store {
    /// Keeps the list a digest is about to post, so a retry after a try that may have
    /// reached Discord posts the same text (and finds the earlier post) even if the list
    /// changed in between.
    pub async fn keep_digest_snapshot(&self, outbox_id: i64, report: &str) -> anyhow::Result<()> {
        sqlx::query("update outbox set detail = ? where outbox_id = ? and kind = ?")
            .bind(report)
            .bind(outbox_id)
            .bind(OutboxKind::AttentionDigest.as_str())
            .execute(&self.pool)
            .await
            .context("cannot keep the digest's list")?;
        Ok(())
    }

    /// Drops a posted digest's list: it names members, and is needed no more.
    pub async fn drop_digest_snapshot(&self, outbox_id: i64) -> anyhow::Result<()> {
        sqlx::query("update outbox set detail = null where outbox_id = ? and kind = ?")
            .bind(outbox_id)
            .bind(OutboxKind::AttentionDigest.as_str())
            .execute(&self.pool)
            .await
            .context("cannot drop the digest's list")?;
        Ok(())
    }
}

/// forget-me: drops every list a digest of the server kept (they may name the member);
/// such a digest is worked out again when it goes. Called inside forget-me's transaction.
pub(super) async fn forget_in_digests(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
) -> anyhow::Result<()> {
    sqlx::query(
        "update outbox set detail = null
         where guild_id = ? and kind = ? and detail is not null",
    )
    .bind(db_id(guild_id))
    .bind(OutboxKind::AttentionDigest.as_str())
    .execute(tx)
    .await
    .context("cannot drop the digests' lists")?;
    Ok(())
}

/// `attention-digest:<program>:<ISO year>-W<week>`: one digest per program and week.
fn digest_key(program_id: ProgramId, week: &str) -> String {
    format!("{}:{program_id}:{week}", OutboxKind::AttentionDigest)
}

fn round_number(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<u32> {
    u32::try_from(row.try_get::<i64, _>("number")?).context("bad round.number")
}
