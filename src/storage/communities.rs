//! Community settings.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc, Weekday};

use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::community::{Community, MatchingRules, Program, Schedule, Watercooler};
use crate::domain::ids::{ChannelId, GuildId};

#[derive(sqlx::FromRow)]
struct CommunityRow {
    guild_id: i64,
    program_channel_id: Option<i64>,
    celebrations_channel_id: Option<i64>,
    cadence: Option<String>,
    weekday: Option<i64>,
    hour: Option<i64>,
    time_zone: Option<String>,
    schedule_anchor: Option<DateTime<Utc>>,
    matching_mode: String,
    group_size: i64,
    cross_institution: bool,
    program_name: Option<String>,
    program_start: Option<NaiveDate>,
    program_end: Option<NaiveDate>,
    welcome_text: Option<String>,
    paused: bool,
    watercooler_channel_id: Option<i64>,
    watercooler_cadence: Option<String>,
    watercooler_anchor: Option<DateTime<Utc>>,
}

impl CommunityRow {
    fn into_domain(self) -> anyhow::Result<Community> {
        let schedule = match (self.cadence, self.weekday, self.hour, self.time_zone) {
            (Some(cadence), Some(weekday), Some(hour), Some(zone)) => Some(Schedule {
                cadence: parse_column(&cadence, "community.cadence")?,
                weekday: weekday_from_index(weekday)?,
                hour: u8::try_from(hour).context("bad community.hour")?,
                time_zone: parse_column(&zone, "community.time_zone")?,
            }),
            _ => None,
        };
        Ok(Community {
            guild_id: id_from_db(self.guild_id),
            program_channel_id: self.program_channel_id.map(id_from_db),
            celebrations_channel_id: self.celebrations_channel_id.map(id_from_db),
            schedule,
            schedule_anchor: self.schedule_anchor,
            matching: MatchingRules {
                mode: parse_column(&self.matching_mode, "community.matching_mode")?,
                group_size: u8::try_from(self.group_size).context("bad community.group_size")?,
                cross_institution: self.cross_institution,
            },
            program: Program {
                name: self.program_name,
                start: self.program_start,
                end: self.program_end,
                welcome: self.welcome_text,
            },
            paused: self.paused,
            watercooler: match (
                self.watercooler_channel_id,
                self.watercooler_cadence,
                self.watercooler_anchor,
            ) {
                (Some(channel), Some(cadence), Some(anchor)) => Some(Watercooler {
                    channel_id: id_from_db(channel),
                    cadence: parse_column(&cadence, "community.watercooler_cadence")?,
                    anchor,
                }),
                _ => None,
            },
        })
    }
}

fn weekday_from_index(index: i64) -> anyhow::Result<Weekday> {
    u8::try_from(index)
        .ok()
        .and_then(|i| Weekday::try_from(i).ok())
        .with_context(|| format!("bad community.weekday {index}"))
}

impl Store {
    /// The community's settings; the defaults when its coordinators have set nothing yet.
    pub async fn community(&self, guild_id: GuildId) -> anyhow::Result<Community> {
        let row: Option<CommunityRow> =
            sqlx::query_as("select * from community where guild_id = ?")
                .bind(db_id(guild_id))
                .fetch_optional(&self.pool)
                .await
                .context("cannot read community settings")?;
        match row {
            Some(row) => row.into_domain(),
            None => Ok(Community::new(guild_id)),
        }
    }

    /// Where threads and summaries go, and where wins are celebrated.
    pub async fn set_channels(
        &self,
        guild_id: GuildId,
        program_channel_id: ChannelId,
        celebrations_channel_id: Option<ChannelId>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set program_channel_id = ?, celebrations_channel_id = ?, updated_at = ?
             where guild_id = ?",
        )
        .bind(db_id(program_channel_id))
        .bind(celebrations_channel_id.map(db_id))
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the channels")?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_schedule(
        &self,
        guild_id: GuildId,
        schedule: &Schedule,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set cadence = ?, weekday = ?, hour = ?, time_zone = ?,
                 schedule_anchor = ?, updated_at = ?
             where guild_id = ?",
        )
        .bind(schedule.cadence.as_str())
        .bind(i64::from(schedule.weekday.num_days_from_monday()))
        .bind(i64::from(schedule.hour))
        .bind(schedule.time_zone.name())
        .bind(now)
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the schedule")?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_matching(
        &self,
        guild_id: GuildId,
        rules: &MatchingRules,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set matching_mode = ?, group_size = ?, cross_institution = ?, updated_at = ?
             where guild_id = ?",
        )
        .bind(rules.mode.as_str())
        .bind(i64::from(rules.group_size))
        .bind(rules.cross_institution)
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the matching rules")?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The program's name, dates and onboarding text.
    pub async fn set_program(
        &self,
        guild_id: GuildId,
        program: &Program,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set program_name = ?, program_start = ?, program_end = ?, welcome_text = ?,
                 updated_at = ?
             where guild_id = ?",
        )
        .bind(&program.name)
        .bind(program.start)
        .bind(program.end)
        .bind(&program.welcome)
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the program")?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns the watercooler on (with a channel and cadence, starting now) or off.
    pub async fn set_watercooler(
        &self,
        guild_id: GuildId,
        watercooler: Option<&Watercooler>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set watercooler_channel_id = ?, watercooler_cadence = ?, watercooler_anchor = ?,
                 updated_at = ?
             where guild_id = ?",
        )
        .bind(watercooler.map(|w| db_id(w.channel_id)))
        .bind(watercooler.map(|w| w.cadence.as_str()))
        .bind(watercooler.map(|w| w.anchor))
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the watercooler")?;
        tx.commit().await?;
        Ok(())
    }

    /// Every community that has at least one channel set: candidates for celebrations
    /// and the watercooler.
    pub async fn communities_with_channels(&self) -> anyhow::Result<Vec<Community>> {
        let rows: Vec<CommunityRow> = sqlx::query_as(
            "select * from community
             where program_channel_id is not null or celebrations_channel_id is not null
                or watercooler_channel_id is not null
             order by guild_id",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot list communities")?;
        rows.into_iter().map(CommunityRow::into_domain).collect()
    }

    /// Pauses or resumes the whole program. Resuming restarts the schedule from `now`, so
    /// weeks spent paused do not trigger a catch-up round.
    pub async fn set_program_paused(
        &self,
        guild_id: GuildId,
        paused: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        ensure_community(&mut tx, guild_id, now).await?;
        sqlx::query(
            "update community set paused = ?,
                 schedule_anchor = case when ? then schedule_anchor else ? end,
                 updated_at = ?
             where guild_id = ?",
        )
        .bind(paused)
        .bind(paused)
        .bind(now)
        .bind(now)
        .bind(db_id(guild_id))
        .execute(&mut *tx)
        .await
        .context("cannot pause or resume the program")?;
        tx.commit().await?;
        Ok(())
    }

    /// Communities whose rounds run on a schedule: a channel and a schedule set, not paused.
    pub async fn scheduled_communities(&self) -> anyhow::Result<Vec<Community>> {
        let rows: Vec<CommunityRow> = sqlx::query_as(
            "select * from community
             where paused = 0 and program_channel_id is not null and cadence is not null
             order by guild_id",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot list scheduled communities")?;
        rows.into_iter().map(CommunityRow::into_domain).collect()
    }
}

/// Creates the community's row with default settings, if it has none yet.
pub(super) async fn ensure_community(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into community (guild_id, created_at, updated_at) values (?, ?, ?)
         on conflict (guild_id) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(now)
    .bind(now)
    .execute(tx)
    .await
    .context("cannot create the community")?;
    Ok(())
}
