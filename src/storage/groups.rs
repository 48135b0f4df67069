//! Groups as delivery and buttons see them: their threads and intros, and the figures a
//! round's summary reports.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::group::{GroupDetail, GroupMember, RoundFigures};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId};

impl Store {
    pub async fn group(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
    ) -> anyhow::Result<Option<GroupDetail>> {
        let guild = db_id(guild_id);
        let row = sqlx::query(
            "select g.*, r.number, r.due_at, r.program_id
             from match_group g join round r on r.round_id = g.round_id
             where g.guild_id = ? and g.group_id = ?",
        )
        .bind(guild)
        .bind(db_id(group_id))
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the group")?;
        let Some(row) = row else { return Ok(None) };
        let program_id: ProgramId = row.try_get("program_id")?;
        let member_rows = sqlx::query(
            "select user_id, role from group_member where guild_id = ? and group_id = ? order by rowid",
        )
        .bind(guild)
        .bind(db_id(group_id))
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the group's members")?;
        let mut members = Vec::with_capacity(member_rows.len());
        for member in &member_rows {
            let user_id = id_from_db(member.try_get("user_id")?);
            members.push(GroupMember {
                user_id,
                role: parse_column(member.try_get("role")?, "group_member.role")?,
                profile: self.member(program_id, user_id).await?,
            });
        }
        Ok(Some(GroupDetail {
            group_id,
            guild_id,
            program_id,
            round_id: row.try_get("round_id")?,
            round_number: u32::try_from(row.try_get::<i64, _>("number")?)
                .context("bad round.number")?,
            round_due_at: row.try_get("due_at")?,
            members,
            prompt_key: row.try_get("prompt_key")?,
            thread_id: row.try_get::<Option<i64>, _>("thread_id")?.map(id_from_db),
            intro_message_id: row
                .try_get::<Option<i64>, _>("intro_message_id")?
                .map(id_from_db),
            delivered_via: row.try_get("delivered_via")?,
            thread_archived: row
                .try_get::<Option<DateTime<Utc>>, _>("thread_archived_at")?
                .is_some(),
        }))
    }

    /// Records the private thread made for a group, as soon as Discord returns it.
    pub async fn save_group_thread(
        &self,
        group_id: GroupId,
        thread_id: ChannelId,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "update match_group set thread_id = ?, delivered_via = 'thread' where group_id = ?",
        )
        .bind(db_id(thread_id))
        .bind(db_id(group_id))
        .execute(self.sqlite_pool())
        .await
        .context("cannot save the group's thread")?;
        Ok(())
    }

    pub async fn save_group_intro(
        &self,
        group_id: GroupId,
        message_id: MessageId,
    ) -> anyhow::Result<()> {
        sqlx::query("update match_group set intro_message_id = ? where group_id = ?")
            .bind(db_id(message_id))
            .bind(db_id(group_id))
            .execute(self.sqlite_pool())
            .await
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
        let row = sqlx::query(
            "select count(*) as groups,
                    coalesce(sum(in_thread), 0) as in_threads,
                    coalesce(sum(dms_done > 0), 0) as by_dm,
                    coalesce(sum(case when in_thread then size else dms_done end), 0) as people,
                    coalesce(sum(dms_failed), 0) as dms_refused
             from (select g.size,
                          (select count(*) from outbox o where o.group_id = g.group_id
                             and o.kind = 'dm-intro' and o.state = 'failed') as dms_failed,
                          g.delivered_via = 'thread' and g.intro_message_id is not null as in_thread,
                          (select count(*) from outbox o where o.group_id = g.group_id
                             and o.kind = 'dm-intro' and o.state = 'done') as dms_done
                   from match_group g where g.guild_id = ? and g.round_id = ?)",
        )
        .bind(guild)
        .bind(db_id(round_id))
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot count the round's groups")?;
        let notes: Vec<String> = sqlx::query_scalar(
            "select distinct delivery_note from match_group
             where guild_id = ? and round_id = ? and delivery_note is not null order by 1",
        )
        .bind(guild)
        .bind(db_id(round_id))
        .fetch_all(self.sqlite_pool())
        .await?;
        let previous_met_rate: Option<f64> = sqlx::query_scalar(
            "select avg(exists (select 1 from outcome o where o.group_id = g.group_id and o.status = 'met'))
             from match_group g join round r on r.round_id = g.round_id
             where r.guild_id = ? and r.program_id = ? and r.number = ?",
        )
        .bind(guild)
        .bind(round.program_id)
        .bind(i64::from(round.number) - 1)
        .fetch_one(self.sqlite_pool())
        .await?;
        let count = |name: &str| -> anyhow::Result<u32> {
            Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        let (groups, in_threads, by_dm) = (count("groups")?, count("in_threads")?, count("by_dm")?);
        Ok(RoundFigures {
            number: round.number,
            groups,
            reached: in_threads + by_dm,
            people: count("people")?,
            by_dm,
            undelivered: groups.saturating_sub(in_threads + by_dm),
            dms_refused: count("dms_refused")?,
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
        sqlx::query("update match_group set thread_archived_at = ? where group_id = ?")
            .bind(now)
            .bind(db_id(group_id))
            .execute(self.sqlite_pool())
            .await
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
        let rows: Vec<(GroupId, i64)> = sqlx::query_as(
            "select group_id, thread_id from match_group
             where guild_id = ? and round_id <> ? and thread_id is not null and thread_archived_at is null
             order by group_id limit ?",
        )
        .bind(db_id(guild_id))
        .bind(db_id(round_id))
        .bind(i64::from(limit))
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot list hallway's open threads")?;
        Ok(rows
            .into_iter()
            .map(|(group, thread)| (group, id_from_db(thread)))
            .collect())
    }
}
