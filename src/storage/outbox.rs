//! The round outbox: what is due, attempts, results; the groups' threads and intros; and
//! members' answers about their chats.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, discord_id, parse_column, Store};
use crate::domain::member::{GuildId, Member, UserId};
use crate::domain::profile::Role;

/// The kinds of message a round sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    Intro,
    /// The intro sent to one member by DM, when the group's thread could not be made.
    DmIntro,
    Summary,
    Nudge,
    Feedback,
}

impl DeliveryKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Intro => "intro",
            DeliveryKind::DmIntro => "dm-intro",
            DeliveryKind::Summary => "summary",
            DeliveryKind::Nudge => "nudge",
            DeliveryKind::Feedback => "feedback",
        }
    }

    fn parse(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "intro" => DeliveryKind::Intro,
            "dm-intro" => DeliveryKind::DmIntro,
            "summary" => DeliveryKind::Summary,
            "nudge" => DeliveryKind::Nudge,
            "feedback" => DeliveryKind::Feedback,
            other => anyhow::bail!("bad delivery.kind {other}"),
        })
    }
}

/// One pending entry of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub delivery_id: i64,
    pub guild_id: GuildId,
    pub round_id: i64,
    pub group_id: Option<i64>,
    pub user_id: Option<UserId>,
    pub kind: DeliveryKind,
    pub attempts: u32,
}

/// A group as delivery and buttons see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDetail {
    pub group_id: i64,
    pub guild_id: GuildId,
    pub round_id: i64,
    pub round_number: u32,
    pub round_due_at: DateTime<Utc>,
    pub members: Vec<GroupMember>,
    pub prompt_key: Option<String>,
    pub thread_id: Option<u64>,
    pub intro_message_id: Option<u64>,
    pub delivered_via: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub user_id: UserId,
    pub role: Role,
    /// `None` when the member has since asked to be forgotten.
    pub profile: Option<Member>,
}

/// What a member said about their chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    Met,
    NotYet,
    Skipped,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Met => "met",
            OutcomeStatus::NotYet => "not-yet",
            OutcomeStatus::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "met" => OutcomeStatus::Met,
            "not-yet" => OutcomeStatus::NotYet,
            "skipped" => OutcomeStatus::Skipped,
            other => anyhow::bail!("bad outcome.status {other}"),
        })
    }
}

/// Figures for the summary a round posts when its intros are out.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundFigures {
    pub number: u32,
    pub groups: u32,
    pub people: u32,
    pub by_dm: u32,
    pub undelivered: u32,
    /// Why some groups were told by DM or not at all.
    pub notes: Vec<String>,
    /// Share of the previous round's groups where someone clicked "We met".
    pub previous_met_rate: Option<f64>,
}

impl Store {
    /// Outbox entries due by `now`, oldest first. Intros come before the summary that
    /// reports on them.
    pub async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> anyhow::Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "select delivery_id, guild_id, round_id, group_id, user_id, kind, attempts from delivery
             where state = 'pending' and due_at <= ?
             order by due_at, case kind when 'summary' then 1 else 0 end, delivery_id
             limit ?",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .context("cannot read the outbox")?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    delivery_id: row.try_get("delivery_id")?,
                    guild_id: discord_id(row.try_get("guild_id")?),
                    round_id: row.try_get("round_id")?,
                    group_id: row.try_get("group_id")?,
                    user_id: row.try_get::<Option<i64>, _>("user_id")?.map(discord_id),
                    kind: DeliveryKind::parse(row.try_get("kind")?)?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// When the earliest pending outbox entry is due, if any.
    pub async fn next_delivery_due(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next: Option<DateTime<Utc>> =
            sqlx::query_scalar("select min(due_at) from delivery where state = 'pending'")
                .fetch_one(&self.pool)
                .await
                .context("cannot read the outbox")?;
        Ok(next)
    }

    /// When the last of a round's undelivered intros (in threads or by DM) is next
    /// tried; `None` when they are all out.
    pub async fn pending_intros_due(&self, round_id: i64) -> anyhow::Result<Option<DateTime<Utc>>> {
        let latest: Option<DateTime<Utc>> = sqlx::query_scalar(
            "select max(due_at) from delivery
             where round_id = ? and kind in ('intro', 'dm-intro') and state = 'pending'",
        )
        .bind(round_id)
        .fetch_one(&self.pool)
        .await
        .context("cannot read the round's pending intros")?;
        Ok(latest)
    }

    /// Notes that an attempt is about to start, before any request goes out, so a crash
    /// mid-request is known to have maybe reached Discord.
    pub async fn begin_delivery_attempt(&self, delivery_id: i64) -> anyhow::Result<()> {
        sqlx::query("update delivery set attempts = attempts + 1 where delivery_id = ?")
            .bind(delivery_id)
            .execute(&self.pool)
            .await
            .context("cannot record a delivery attempt")?;
        Ok(())
    }

    pub async fn complete_delivery(
        &self,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("update delivery set state = 'done', done_at = ?, last_error = null where delivery_id = ?")
            .bind(now)
            .bind(delivery_id)
            .execute(&self.pool)
            .await
            .context("cannot complete a delivery")?;
        Ok(())
    }

    /// Gives up on a delivery that cannot succeed (not for 429s or 5xx: those wait).
    pub async fn fail_delivery(
        &self,
        delivery_id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("update delivery set state = 'failed', done_at = ?, last_error = ? where delivery_id = ?")
            .bind(now)
            .bind(error)
            .bind(delivery_id)
            .execute(&self.pool)
            .await
            .context("cannot record a failed delivery")?;
        Ok(())
    }

    /// Keeps a delivery pending, to try again from `retry_at`.
    pub async fn postpone_delivery(
        &self,
        delivery_id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("update delivery set due_at = ?, last_error = ? where delivery_id = ?")
            .bind(retry_at)
            .bind(error)
            .bind(delivery_id)
            .execute(&self.pool)
            .await
            .context("cannot postpone a delivery")?;
        Ok(())
    }

    pub async fn group(
        &self,
        guild_id: GuildId,
        group_id: i64,
    ) -> anyhow::Result<Option<GroupDetail>> {
        let guild = db_id(guild_id);
        let row = sqlx::query(
            "select g.*, r.number, r.due_at from match_group g join round r on r.round_id = g.round_id
             where g.guild_id = ? and g.group_id = ?",
        )
        .bind(guild)
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the group")?;
        let Some(row) = row else { return Ok(None) };
        let member_rows = sqlx::query(
            "select user_id, role from group_member where guild_id = ? and group_id = ? order by rowid",
        )
        .bind(guild)
        .bind(group_id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the group's members")?;
        let mut members = Vec::with_capacity(member_rows.len());
        for member in &member_rows {
            let user_id = discord_id(member.try_get("user_id")?);
            members.push(GroupMember {
                user_id,
                role: parse_column(member.try_get("role")?, "group_member.role")?,
                profile: self.member(guild_id, user_id).await?,
            });
        }
        Ok(Some(GroupDetail {
            group_id,
            guild_id,
            round_id: row.try_get("round_id")?,
            round_number: u32::try_from(row.try_get::<i64, _>("number")?)
                .context("bad round.number")?,
            round_due_at: row.try_get("due_at")?,
            members,
            prompt_key: row.try_get("prompt_key")?,
            thread_id: row.try_get::<Option<i64>, _>("thread_id")?.map(discord_id),
            intro_message_id: row
                .try_get::<Option<i64>, _>("intro_message_id")?
                .map(discord_id),
            delivered_via: row.try_get("delivered_via")?,
        }))
    }

    /// Records the private thread made for a group, as soon as Discord returns it.
    pub async fn save_group_thread(&self, group_id: i64, thread_id: u64) -> anyhow::Result<()> {
        sqlx::query(
            "update match_group set thread_id = ?, delivered_via = 'thread' where group_id = ?",
        )
        .bind(db_id(thread_id))
        .bind(group_id)
        .execute(&self.pool)
        .await
        .context("cannot save the group's thread")?;
        Ok(())
    }

    pub async fn save_group_intro(&self, group_id: i64, message_id: u64) -> anyhow::Result<()> {
        sqlx::query("update match_group set intro_message_id = ? where group_id = ?")
            .bind(db_id(message_id))
            .bind(group_id)
            .execute(&self.pool)
            .await
            .context("cannot save the group's intro message")?;
        Ok(())
    }

    /// Switches a group's intro to DMs, one per member, because its thread could not be
    /// made: in one transaction, so each member is messaged exactly once.
    pub async fn fall_back_to_dms(
        &self,
        intro: &Delivery,
        members: &[UserId],
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let group_id = intro.group_id.context("an intro always has a group")?;
        let mut tx = self.write().await?;
        sqlx::query(
            "update match_group set delivered_via = 'dm', delivery_note = ? where group_id = ?",
        )
        .bind(reason)
        .bind(group_id)
        .execute(&mut *tx)
        .await
        .context("cannot save the DM fallback")?;
        for user in members {
            sqlx::query(
                "insert into delivery (guild_id, round_id, group_id, user_id, kind, due_at)
                 values (?, ?, ?, ?, 'dm-intro', ?)",
            )
            .bind(db_id(intro.guild_id))
            .bind(intro.round_id)
            .bind(group_id)
            .bind(db_id(*user))
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("cannot queue a DM")?;
        }
        sqlx::query(
            "update delivery set state = 'done', done_at = ?, last_error = ? where delivery_id = ?",
        )
        .bind(now)
        .bind(reason)
        .bind(intro.delivery_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await.context("cannot commit the DM fallback")?;
        Ok(())
    }

    /// Records a member's outcome for their group. Returns the previous status, if any.
    pub async fn record_outcome(
        &self,
        guild_id: GuildId,
        group_id: i64,
        user_id: UserId,
        status: OutcomeStatus,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<OutcomeStatus>> {
        let mut tx = self.write().await?;
        let previous: Option<String> = sqlx::query_scalar(
            "select status from outcome where group_id = ? and user_id = ? and guild_id = ?",
        )
        .bind(group_id)
        .bind(db_id(user_id))
        .bind(db_id(guild_id))
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "insert into outcome (group_id, guild_id, user_id, status, recorded_at) values (?, ?, ?, ?, ?)
             on conflict (group_id, user_id) do update set status = excluded.status, recorded_at = excluded.recorded_at",
        )
        .bind(group_id)
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot record the outcome")?;
        tx.commit().await?;
        previous.as_deref().map(OutcomeStatus::parse).transpose()
    }

    /// Each member's outcome in a group, in the order they answered.
    pub async fn group_outcomes(
        &self,
        guild_id: GuildId,
        group_id: i64,
    ) -> anyhow::Result<Vec<(UserId, OutcomeStatus)>> {
        let rows = sqlx::query(
            "select user_id, status from outcome where guild_id = ? and group_id = ? order by recorded_at, rowid",
        )
        .bind(db_id(guild_id))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the group's outcomes")?;
        rows.iter()
            .map(|row| {
                Ok((
                    discord_id(row.try_get("user_id")?),
                    OutcomeStatus::parse(row.try_get("status")?)?,
                ))
            })
            .collect()
    }

    /// Records a member's "how was it?" answer; the last answer counts.
    pub async fn record_feedback(
        &self,
        guild_id: GuildId,
        group_id: i64,
        user_id: UserId,
        rating: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "insert into feedback (group_id, guild_id, user_id, rating, recorded_at) values (?, ?, ?, ?, ?)
             on conflict (group_id, user_id) do update set rating = excluded.rating, recorded_at = excluded.recorded_at",
        )
        .bind(group_id)
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(rating)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("cannot record the feedback")?;
        Ok(())
    }

    /// The figures a round's summary reports.
    pub async fn round_figures(
        &self,
        guild_id: GuildId,
        round_id: i64,
    ) -> anyhow::Result<RoundFigures> {
        let guild = db_id(guild_id);
        let round = self
            .round(guild_id, round_id)
            .await?
            .context("round not found")?;
        let row = sqlx::query(
            "select count(*) as groups, coalesce(sum(size), 0) as people,
                    coalesce(sum(delivered_via = 'dm'), 0) as by_dm,
                    coalesce(sum(delivered_via is null or exists (
                        select 1 from delivery d where d.group_id = g.group_id
                        and d.kind in ('intro', 'dm-intro') and d.state = 'failed')), 0) as undelivered
             from match_group g where guild_id = ? and round_id = ?",
        )
        .bind(guild)
        .bind(round_id)
        .fetch_one(&self.pool)
        .await
        .context("cannot count the round's groups")?;
        let notes: Vec<String> = sqlx::query_scalar(
            "select distinct delivery_note from match_group
             where guild_id = ? and round_id = ? and delivery_note is not null order by 1",
        )
        .bind(guild)
        .bind(round_id)
        .fetch_all(&self.pool)
        .await?;
        let previous_met_rate: Option<f64> = sqlx::query_scalar(
            "select avg(exists (select 1 from outcome o where o.group_id = g.group_id and o.status = 'met'))
             from match_group g join round r on r.round_id = g.round_id
             where r.guild_id = ? and r.number = ?",
        )
        .bind(guild)
        .bind(i64::from(round.number) - 1)
        .fetch_one(&self.pool)
        .await?;
        let count = |name: &str| -> anyhow::Result<u32> {
            Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        Ok(RoundFigures {
            number: round.number,
            groups: count("groups")?,
            people: count("people")?,
            by_dm: count("by_dm")?,
            undelivered: count("undelivered")?,
            // Delivery problems only: the matching engine's notes stay with the coordinators.
            notes,
            previous_met_rate,
        })
    }
}
