//! Groups as delivery and buttons see them: their threads and intros, and the figures a
//! round's summary reports.

use super::answers::insertion_order;
use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::group::{DeliveredVia, GroupDetail, GroupMember, RoundFigures};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId};
use crate::on_backend;
use anyhow::Context as _;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct GroupRow {
    round_id: RoundId,
    prompt_key: Option<String>,
    thread_id: Option<i64>,
    intro_message_id: Option<i64>,
    delivered_via: Option<DeliveredVia>,
    thread_archived_at: Option<DateTime<Utc>>,
    number: i64,
    due_at: DateTime<Utc>,
    program_id: ProgramId,
}

impl Store {
    pub async fn group(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
    ) -> anyhow::Result<Option<GroupDetail>> {
        let guild = db_id(guild_id);
        let row: Option<GroupRow> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select g.round_id, g.prompt_key, g.thread_id, g.intro_message_id, g.delivered_via,
                    g.thread_archived_at, r.number, r.due_at, r.program_id
             from match_group g join round r on r.round_id = g.round_id
             where g.guild_id = $1 and g.group_id = $2",
        )
        .bind(guild)
        .bind(db_id(group_id))
        .fetch_optional(pool)
        .await)
        .context("cannot read the group")?;
        let Some(row) = row else { return Ok(None) };
        let program_id = row.program_id;
        let order = insertion_order(self.backend(), "");
        let member_rows: Vec<(i64, String)> = on_backend!(&self.pool, pool => sqlx::query_as(&format!(
            "select user_id, role from group_member where guild_id = $1 and group_id = $2 order by {order}",
        ))
        .bind(guild)
        .bind(db_id(group_id))
        .fetch_all(pool)
        .await)
        .context("cannot read the group's members")?;
        let mut members = Vec::with_capacity(member_rows.len());
        for (user_id, role) in &member_rows {
            let user_id = id_from_db(*user_id);
            members.push(GroupMember {
                user_id,
                role: parse_column(role, "group_member.role")?,
                profile: self.member(program_id, user_id).await?,
            });
        }
        Ok(Some(GroupDetail {
            group_id,
            guild_id,
            program_id,
            round_id: row.round_id,
            round_number: u32::try_from(row.number).context("bad round.number")?,
            round_due_at: row.due_at,
            members,
            prompt_key: row.prompt_key,
            thread_id: row.thread_id.map(id_from_db),
            intro_message_id: row.intro_message_id.map(id_from_db),
            delivered_via: row.delivered_via,
            thread_archived: row.thread_archived_at.is_some(),
        }))
    }

    /// Records the private thread made for a group, as soon as Discord returns it.
    pub async fn save_group_thread(
        &self,
        group_id: GroupId,
        thread_id: ChannelId,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update match_group set thread_id = $1, delivered_via = 'thread' where group_id = $2",
        )
        .bind(db_id(thread_id))
        .bind(db_id(group_id))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the group's thread")?;
        Ok(())
    }

    pub async fn save_group_intro(
        &self,
        group_id: GroupId,
        message_id: MessageId,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query("update match_group set intro_message_id = $1 where group_id = $2")
            .bind(db_id(message_id))
            .bind(db_id(group_id))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
            .context("cannot save the group's intro message")?;
        Ok(())
    }

    /// The figures a round's summary reports.
    pub async fn round_figures(
        &self,
        guild_id: GuildId,
        round_id: RoundId,
    ) -> anyhow::Result<RoundFigures> {
        let guild = db_id(guild_id);
        let round = self
            .round(guild_id, round_id)
            .await?
            .context("round not found")?;
        // What was delivered, not what was planned.
        // sum() of bigints is numeric in PostgreSQL: cast back.
        let (groups, in_threads, by_dm, people, dms_refused): (i64, i64, i64, i64, i64) =
            on_backend!(&self.pool, pool => sqlx::query_as(
            "select count(*),
                    cast(coalesce(sum(case when in_thread then 1 else 0 end), 0) as bigint),
                    cast(coalesce(sum(case when dms_done > 0 then 1 else 0 end), 0) as bigint),
                    cast(coalesce(sum(case when in_thread then size else dms_done end), 0) as bigint),
                    cast(coalesce(sum(dms_failed), 0) as bigint)
             from (select g.size,
                          (select count(*) from outbox o where o.group_id = g.group_id
                             and o.kind = 'dm-intro' and o.state = 'failed') as dms_failed,
                          g.delivered_via = 'thread' and g.intro_message_id is not null as in_thread,
                          (select count(*) from outbox o where o.group_id = g.group_id
                             and o.kind = 'dm-intro' and o.state = 'done') as dms_done
                   from match_group g where g.guild_id = $1 and g.round_id = $2) as t",
        )
        .bind(guild)
        .bind(db_id(round_id))
        .fetch_one(pool)
        .await)
        .context("cannot count the round's groups")?;
        let notes: Vec<String> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select distinct delivery_note from match_group
             where guild_id = $1 and round_id = $2 and delivery_note is not null order by 1",
        )
        .bind(guild)
        .bind(db_id(round_id))
        .fetch_all(pool)
        .await)
        .context("cannot read the round's delivery notes")?;
        let previous_met_rate: Option<f64> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select cast(avg(case when exists (select 1 from outcome o
                                               where o.group_id = g.group_id and o.status = 'met')
                             then 1.0 else 0.0 end) as double precision)
             from match_group g join round r on r.round_id = g.round_id
             where r.guild_id = $1 and r.program_id = $2 and r.number = $3",
        )
        .bind(guild)
        .bind(round.program_id)
        .bind(i64::from(round.number) - 1)
        .fetch_one(pool)
        .await)
        .context("cannot read the last round's met rate")?;
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        let (groups, in_threads, by_dm) = (count(groups), count(in_threads), count(by_dm));
        Ok(RoundFigures {
            number: round.number,
            groups,
            reached: in_threads + by_dm,
            people: count(people),
            by_dm,
            undelivered: groups.saturating_sub(in_threads + by_dm),
            dms_refused: count(dms_refused),
            // Delivery problems only: the matching engine's notes stay with the coordinators.
            notes,
            previous_met_rate,
        })
    }

    /// Records that hallway archived a group's thread.
    pub async fn mark_thread_archived(
        &self,
        group_id: GroupId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query("update match_group set thread_archived_at = $1 where group_id = $2")
            .bind(now)
            .bind(db_id(group_id))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
            .context("cannot record an archived thread")?;
        Ok(())
    }

    /// hallway's own threads in the server that it has not archived, outside `round_id`,
    /// oldest first: what it can archive to make room for a new round's threads.
    pub async fn open_threads_before(
        &self,
        guild_id: GuildId,
        round_id: RoundId,
        limit: u32,
    ) -> anyhow::Result<Vec<(GroupId, ChannelId)>> {
        let rows: Vec<(GroupId, i64)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select group_id, thread_id from match_group
             where guild_id = $1 and round_id <> $2 and thread_id is not null and thread_archived_at is null
             order by group_id limit $3",
        )
        .bind(db_id(guild_id))
        .bind(db_id(round_id))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)
        .context("cannot list hallway's open threads")?;
        Ok(rows
            .into_iter()
            .map(|(group, thread)| (group, id_from_db(thread)))
            .collect())
    }
}
