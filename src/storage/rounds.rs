//! Rounds, their groups, and the delivery outbox.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, discord_id, parse_column, Store};
use crate::domain::member::{GuildId, Member, UserId};
use crate::domain::profile::Role;

/// What started a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundRecord {
    pub round_id: i64,
    pub guild_id: GuildId,
    pub number: u32,
    pub due_at: DateTime<Utc>,
    pub seed: u64,
    pub state: String,
    pub notes: String,
}

/// A group as the round step saves it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewGroup {
    pub members: Vec<(UserId, Role)>,
    pub prompt_key: Option<String>,
}

/// A matched round, saved with its outbox in one transaction.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub guild_id: GuildId,
    pub due_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub seed: u64,
    pub notes: Vec<String>,
    pub groups: Vec<NewGroup>,
    /// When each group without a "We met" gets its nudge.
    pub nudge_at: DateTime<Utc>,
    /// When each group is asked how it went.
    pub feedback_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The preview this round confirms: claimed in the same transaction, so a double
    /// click on Confirm runs it once.
    pub confirms_preview: Option<i64>,
}

/// Everything the matching engine needs about a community, read in one go.
#[derive(Debug, Clone, Default)]
pub struct MatchingInput {
    /// Every member who has not left (paused ones included: the caller decides).
    pub members: Vec<Member>,
    pub avoid: Vec<(UserId, UserId)>,
    /// Past rounds: number, and each group's members.
    pub past_rounds: Vec<(u32, Vec<Vec<UserId>>)>,
    /// Prompt keys each member has already had.
    pub prompts_seen: BTreeMap<UserId, BTreeSet<String>>,
}

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
    fn as_str(self) -> &'static str {
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

fn round_from_row(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<RoundRecord> {
    Ok(RoundRecord {
        round_id: row.try_get("round_id")?,
        guild_id: discord_id(row.try_get("guild_id")?),
        number: u32::try_from(row.try_get::<i64, _>("number")?).context("bad round.number")?,
        due_at: row.try_get("due_at")?,
        seed: row.try_get::<i64, _>("seed")? as u64,
        state: row.try_get("state")?,
        notes: row.try_get("notes")?,
    })
}

impl Store {
    /// The community's most recent round, of any trigger.
    pub async fn last_round(&self, guild_id: GuildId) -> anyhow::Result<Option<RoundRecord>> {
        let row =
            sqlx::query("select * from round where guild_id = ? order by number desc limit 1")
                .bind(db_id(guild_id))
                .fetch_optional(&self.pool)
                .await
                .context("cannot read the last round")?;
        row.as_ref().map(round_from_row).transpose()
    }

    pub async fn round(
        &self,
        guild_id: GuildId,
        round_id: i64,
    ) -> anyhow::Result<Option<RoundRecord>> {
        let row = sqlx::query("select * from round where guild_id = ? and round_id = ?")
            .bind(db_id(guild_id))
            .bind(round_id)
            .fetch_optional(&self.pool)
            .await
            .context("cannot read the round")?;
        row.as_ref().map(round_from_row).transpose()
    }

    /// Members, avoid pairs, history and prompts seen: the input of one round.
    pub async fn matching_input(&self, guild_id: GuildId) -> anyhow::Result<MatchingInput> {
        let guild = db_id(guild_id);
        let mut conn = self.pool.acquire().await?;
        let members = super::members::current_members(&mut conn, guild_id).await?;
        let avoid = sqlx::query("select user_id, avoided_user_id from avoid where guild_id = ?")
            .bind(guild)
            .fetch_all(&mut *conn)
            .await
            .context("cannot read the avoid lists")?
            .iter()
            .map(|row| -> anyhow::Result<_> {
                Ok((
                    discord_id(row.try_get("user_id")?),
                    discord_id(row.try_get("avoided_user_id")?),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let rows = sqlx::query(
            "select r.number, g.group_id, g.prompt_key, gm.user_id
             from round r
             join match_group g on g.round_id = r.round_id
             join group_member gm on gm.group_id = g.group_id
             where r.guild_id = ?
             order by r.number, g.position, gm.rowid",
        )
        .bind(guild)
        .fetch_all(&mut *conn)
        .await
        .context("cannot read past rounds")?;
        let mut past_rounds: Vec<(u32, Vec<Vec<UserId>>)> = Vec::new();
        let mut prompts_seen: BTreeMap<UserId, BTreeSet<String>> = BTreeMap::new();
        let mut last_group = None;
        for row in &rows {
            let number =
                u32::try_from(row.try_get::<i64, _>("number")?).context("bad round.number")?;
            let group_id: i64 = row.try_get("group_id")?;
            let user = discord_id(row.try_get("user_id")?);
            if past_rounds.last().map(|(n, _)| *n) != Some(number) {
                past_rounds.push((number, Vec::new()));
            }
            let groups = &mut past_rounds.last_mut().expect("pushed above").1;
            if last_group != Some(group_id) {
                groups.push(Vec::new());
                last_group = Some(group_id);
            }
            groups.last_mut().expect("pushed above").push(user);
            if let Some(key) = row.try_get::<Option<String>, _>("prompt_key")? {
                prompts_seen.entry(user).or_default().insert(key);
            }
        }
        Ok(MatchingInput {
            members,
            avoid,
            past_rounds,
            prompts_seen,
        })
    }

    /// Saves a matched round: the round, its groups and the whole outbox, in one
    /// transaction. Returns `None` when a scheduled round for that slot already exists.
    pub async fn create_round(&self, new: &NewRound) -> anyhow::Result<Option<RoundRecord>> {
        let guild = db_id(new.guild_id);
        let mut tx = self.write().await?;
        let number: i64 =
            sqlx::query_scalar("select coalesce(max(number), 0) + 1 from round where guild_id = ?")
                .bind(guild)
                .fetch_one(&mut *tx)
                .await?;
        let inserted = sqlx::query(
            "insert into round (guild_id, number, due_at, trigger, seed, state, notes, created_at)
             values (?, ?, ?, ?, ?, 'matched', ?, ?)
             returning round_id",
        )
        .bind(guild)
        .bind(number)
        .bind(new.due_at)
        .bind(new.trigger.as_str())
        .bind(new.seed as i64)
        .bind(new.notes.join("\n"))
        .bind(new.created_at)
        .fetch_one(&mut *tx)
        .await;
        let round_id: i64 = match inserted {
            Ok(row) => row.try_get("round_id")?,
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => return Ok(None),
            Err(err) => return Err(err).context("cannot save the round"),
        };
        for (position, group) in new.groups.iter().enumerate() {
            let group_id: i64 = sqlx::query_scalar(
                "insert into match_group (guild_id, round_id, position, size, prompt_key)
                 values (?, ?, ?, ?, ?) returning group_id",
            )
            .bind(guild)
            .bind(round_id)
            .bind(position as i64)
            .bind(group.members.len() as i64)
            .bind(&group.prompt_key)
            .fetch_one(&mut *tx)
            .await
            .context("cannot save a group")?;
            for (user, role) in &group.members {
                sqlx::query("insert into group_member (group_id, guild_id, user_id, role) values (?, ?, ?, ?)")
                    .bind(group_id)
                    .bind(guild)
                    .bind(db_id(*user))
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await
                    .context("cannot save a group member")?;
            }
            for (kind, due) in [
                (DeliveryKind::Intro, new.created_at),
                (DeliveryKind::Nudge, new.nudge_at),
                (DeliveryKind::Feedback, new.feedback_at),
            ] {
                insert_delivery(&mut tx, guild, round_id, Some(group_id), kind, due).await?;
            }
        }
        insert_delivery(
            &mut tx,
            guild,
            round_id,
            None,
            DeliveryKind::Summary,
            new.created_at,
        )
        .await?;
        if let Some(preview_id) = new.confirms_preview {
            let claimed = sqlx::query(
                "update round_preview set confirmed_round_id = ?
                 where preview_id = ? and guild_id = ? and confirmed_round_id is null",
            )
            .bind(round_id)
            .bind(preview_id)
            .bind(guild)
            .execute(&mut *tx)
            .await
            .context("cannot confirm the preview")?;
            if claimed.rows_affected() != 1 {
                // Confirmed already (or never existed): this round must not happen.
                return Ok(None);
            }
        }
        tx.commit().await.context("cannot commit the round")?;
        self.round(new.guild_id, round_id).await
    }

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

/// A previewed round waiting for Confirm.
#[derive(Debug, Clone)]
pub struct Preview {
    pub preview_id: i64,
    pub plan_json: String,
    pub confirmed_round_id: Option<i64>,
}

impl Store {
    pub async fn save_preview(
        &self,
        guild_id: GuildId,
        seed: u64,
        requested_by: UserId,
        plan_json: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        let mut tx = self.write().await?;
        super::communities::ensure_community(&mut tx, guild_id, now).await?;
        let id = sqlx::query_scalar(
            "insert into round_preview (guild_id, seed, requested_by, groups_json, created_at)
             values (?, ?, ?, ?, ?) returning preview_id",
        )
        .bind(db_id(guild_id))
        .bind(seed as i64)
        .bind(db_id(requested_by))
        .bind(plan_json)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .context("cannot save the preview")?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn preview(
        &self,
        guild_id: GuildId,
        preview_id: i64,
    ) -> anyhow::Result<Option<Preview>> {
        let row = sqlx::query(
            "select preview_id, groups_json, confirmed_round_id from round_preview
             where guild_id = ? and preview_id = ?",
        )
        .bind(db_id(guild_id))
        .bind(preview_id)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the preview")?;
        row.map(|row| {
            Ok(Preview {
                preview_id: row.try_get("preview_id")?,
                plan_json: row.try_get("groups_json")?,
                confirmed_round_id: row.try_get("confirmed_round_id")?,
            })
        })
        .transpose()
    }
}

async fn insert_delivery(
    tx: &mut sqlx::SqliteConnection,
    guild: i64,
    round_id: i64,
    group_id: Option<i64>,
    kind: DeliveryKind,
    due_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into delivery (guild_id, round_id, group_id, kind, due_at) values (?, ?, ?, ?, ?)",
    )
    .bind(guild)
    .bind(round_id)
    .bind(group_id)
    .bind(kind.as_str())
    .bind(due_at)
    .execute(tx)
    .await
    .context("cannot queue a delivery")?;
    Ok(())
}
