//! A server's programs and their settings.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc, Weekday};

use super::{parse_column, Conn, Store};
use crate::domain::booking::MeetingRules;
use crate::domain::ids::{ChannelId, GuildId, ProgramId};
use crate::domain::program::{
    Evaluation, MatchingRules, NameTaken, Program, ProgramInfo, Schedule, Watercooler,
    DEFAULT_PROGRAM_NAME,
};
use crate::on_backend;

#[derive(sqlx::FromRow)]
struct ProgramRow {
    program_id: ProgramId,
    guild_id: GuildId,
    name: String,
    program_channel_id: Option<ChannelId>,
    celebrations_channel_id: Option<ChannelId>,
    cadence: Option<String>,
    weekday: Option<i64>,
    hour: Option<i64>,
    time_zone: Option<String>,
    schedule_anchor: Option<DateTime<Utc>>,
    matching_mode: String,
    group_size: i64,
    cross_institution: bool,
    interest_weight: String,
    program_start: Option<NaiveDate>,
    program_end: Option<NaiveDate>,
    welcome_text: Option<String>,
    paused: bool,
    watercooler_channel_id: Option<ChannelId>,
    watercooler_cadence: Option<String>,
    watercooler_anchor: Option<DateTime<Utc>>,
    archived_at: Option<DateTime<Utc>>,
    meeting_minutes: i64,
    reminder_minutes: i64,
    attention_rounds: i64,
    coordinators_channel_id: Option<ChannelId>,
    auto_surveys: bool,
}

impl ProgramRow {
    fn into_domain(self) -> anyhow::Result<Program> {
        let schedule = match (self.cadence, self.weekday, self.hour, self.time_zone) {
            (Some(cadence), Some(weekday), Some(hour), Some(zone)) => Some(Schedule {
                cadence: parse_column(&cadence, "program.cadence")?,
                weekday: weekday_from_index(weekday)?,
                hour: u8::try_from(hour).context("bad program.hour")?,
                time_zone: parse_column(&zone, "program.time_zone")?,
            }),
            _ => None,
        };
        Ok(Program {
            program_id: self.program_id,
            guild_id: self.guild_id,
            name: self.name,
            program_channel_id: self.program_channel_id,
            celebrations_channel_id: self.celebrations_channel_id,
            schedule,
            schedule_anchor: self.schedule_anchor,
            matching: MatchingRules {
                mode: parse_column(&self.matching_mode, "program.matching_mode")?,
                group_size: u8::try_from(self.group_size).context("bad program.group_size")?,
                cross_institution: self.cross_institution,
                interest_weight: parse_column(&self.interest_weight, "program.interest_weight")?,
            },
            info: ProgramInfo {
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
                (Some(channel_id), Some(cadence), Some(anchor)) => Some(Watercooler {
                    channel_id,
                    cadence: parse_column(&cadence, "program.watercooler_cadence")?,
                    anchor,
                }),
                _ => None,
            },
            meeting: MeetingRules {
                minutes: u32::try_from(self.meeting_minutes)
                    .context("bad program.meeting_minutes")?,
                reminder_minutes: u32::try_from(self.reminder_minutes)
                    .context("bad program.reminder_minutes")?,
            },
            evaluation: Evaluation {
                attention_rounds: u8::try_from(self.attention_rounds)
                    .context("bad program.attention_rounds")?,
                coordinators_channel_id: self.coordinators_channel_id,
                auto_surveys: self.auto_surveys,
            },
            archived_at: self.archived_at,
        })
    }
}

fn weekday_from_index(index: i64) -> anyhow::Result<Weekday> {
    u8::try_from(index)
        .ok()
        .and_then(|i| Weekday::try_from(i).ok())
        .with_context(|| format!("bad program.weekday {index}"))
}

fn into_programs(rows: Vec<ProgramRow>) -> anyhow::Result<Vec<Program>> {
    rows.into_iter().map(ProgramRow::into_domain).collect()
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

impl Store {
    /// The server's programs, archived ones included, by name.
    pub async fn programs(&self, guild_id: GuildId) -> anyhow::Result<Vec<Program>> {
        let rows: Vec<ProgramRow> =
            on_backend!(&self.pool, pool => sqlx::query_as("select * from program where guild_id = $1 order by name, program_id")
                .bind(guild_id)
                .fetch_all(pool)
                .await)
                .context("cannot read the programs")?;
        into_programs(rows)
    }

    /// A program of this server; `None` for another server's program or one that is gone.
    pub async fn program(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
    ) -> anyhow::Result<Option<Program>> {
        let row: Option<ProgramRow> =
            on_backend!(&self.pool, pool => sqlx::query_as("select * from program where guild_id = $1 and program_id = $2")
                .bind(guild_id)
                .bind(program_id)
                .fetch_optional(pool)
                .await)
                .context("cannot read the program")?;
        row.map(ProgramRow::into_domain).transpose()
    }

    /// A new program, or `NameTaken` when the server already has one of that name.
    pub async fn create_program(
        &self,
        guild_id: GuildId,
        name: &str,
        program_channel_id: Option<ChannelId>,
        rules: &MatchingRules,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Program, NameTaken>> {
        let mut tx = self.write().await?;
        ensure_community(tx.conn(), guild_id, now).await?;
        if name_in_use(tx.conn(), guild_id, name, None).await? {
            return Ok(Err(NameTaken));
        }
        let inserted: Result<ProgramId, sqlx::Error> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "insert into program (guild_id, name, program_channel_id, matching_mode, group_size,
                                  cross_institution, interest_weight, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning program_id",
        )
        .bind(guild_id)
        .bind(name)
        .bind(program_channel_id)
        .bind(rules.mode)
        .bind(i64::from(rules.group_size))
        .bind(rules.cross_institution)
        .bind(rules.interest_weight)
        .bind(now)
        .bind(now)
        .fetch_one(conn)
        .await);
        let program_id = match inserted {
            Ok(id) => id,
            Err(err) if is_unique_violation(&err) => return Ok(Err(NameTaken)),
            Err(err) => return Err(err).context("cannot create the program"),
        };
        tx.commit().await?;
        let program = self
            .program(guild_id, program_id)
            .await?
            .context("a program vanished right after it was made")?;
        Ok(Ok(program))
    }

    /// The server's programs, the first made with the default name if it has none: a
    /// server that never named a program has one, as it did before programs existed.
    pub async fn programs_or_first(
        &self,
        guild_id: GuildId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Program>> {
        let programs = self.programs(guild_id).await?;
        if !programs.is_empty() {
            return Ok(programs);
        }
        let mut tx = self.write().await?;
        ensure_community(tx.conn(), guild_id, now).await?;
        // Two first commands racing both get the one program.
        on_backend!(tx.conn(), conn => sqlx::query(
            "insert into program (guild_id, name, created_at, updated_at) values ($1, $2, $3, $4)
             on conflict (guild_id, name) do nothing",
        )
        .bind(guild_id)
        .bind(DEFAULT_PROGRAM_NAME)
        .bind(now)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot create the first program")?;
        tx.commit().await?;
        self.programs(guild_id).await
    }

    /// Renames a program; `NameTaken` when another program of the server has the name.
    pub async fn rename_program(
        &self,
        program_id: ProgramId,
        name: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<(), NameTaken>> {
        let mut tx = self.write().await?;
        let guild_id: GuildId =
            on_backend!(tx.conn(), conn => sqlx::query_scalar("select guild_id from program where program_id = $1")
                .bind(program_id)
                .fetch_one(conn)
                .await)
                .context("cannot read the program")?;
        if name_in_use(tx.conn(), guild_id, name, Some(program_id)).await? {
            return Ok(Err(NameTaken));
        }
        let renamed = on_backend!(tx.conn(), conn => sqlx::query("update program set name = $1, updated_at = $2 where program_id = $3")
                .bind(name)
                .bind(now)
                .bind(program_id)
                .execute(conn)
                .await
                .map(|r| r.rows_affected()));
        match renamed {
            Ok(_) => {
                tx.commit().await?;
                Ok(Ok(()))
            }
            Err(err) if is_unique_violation(&err) => Ok(Err(NameTaken)),
            Err(err) => Err(err).context("cannot rename the program"),
        }
    }

    /// Where threads and summaries go, and where wins are celebrated.
    pub async fn set_channels(
        &self,
        program_id: ProgramId,
        program_channel_id: ChannelId,
        celebrations_channel_id: Option<ChannelId>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set program_channel_id = $1, celebrations_channel_id = $2, updated_at = $3
             where program_id = $4",
        )
        .bind(program_channel_id)
        .bind(celebrations_channel_id)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the channels")?;
        Ok(())
    }

    pub async fn set_schedule(
        &self,
        program_id: ProgramId,
        schedule: &Schedule,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set cadence = $1, weekday = $2, hour = $3, time_zone = $4,
                 schedule_anchor = $5, updated_at = $6
             where program_id = $7",
        )
        .bind(schedule.cadence)
        .bind(i64::from(schedule.weekday.num_days_from_monday()))
        .bind(i64::from(schedule.hour))
        .bind(schedule.time_zone.name())
        .bind(now)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the schedule")?;
        Ok(())
    }

    /// How long booked chats are, and when their reminder goes. The caller checked the
    /// ranges (`domain::booking`); the schema's checks back them up.
    pub async fn set_meeting(
        &self,
        program_id: ProgramId,
        meeting: MeetingRules,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set meeting_minutes = $1, reminder_minutes = $2, updated_at = $3
             where program_id = $4",
        )
        .bind(i64::from(meeting.minutes))
        .bind(i64::from(meeting.reminder_minutes))
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the meeting settings")?;
        Ok(())
    }

    /// How many rounds in a row without a "We met" put a member on the attention list.
    /// The caller checked the range (`domain::validate`); the schema's check backs it up.
    pub async fn set_attention_rounds(
        &self,
        program_id: ProgramId,
        rounds: u8,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query("update program set attention_rounds = $1, updated_at = $2 where program_id = $3")
            .bind(i64::from(rounds))
            .bind(now)
            .bind(program_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
            .context("cannot save the attention setting")?;
        Ok(())
    }

    /// Where the weekly attention digest goes; `None` stops it.
    /// `/hallway-admin setup`'s channels in one statement: the coordinators' channel only
    /// when one is given (left out, the digest stays where it was).
    pub async fn set_setup_channels(
        &self,
        program_id: ProgramId,
        program_channel_id: ChannelId,
        celebrations_channel_id: Option<ChannelId>,
        coordinators_channel_id: Option<ChannelId>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set program_channel_id = $1, celebrations_channel_id = $2,
                 coordinators_channel_id = coalesce($3, coordinators_channel_id), updated_at = $4
             where program_id = $5",
        )
        .bind(program_channel_id)
        .bind(celebrations_channel_id)
        .bind(coordinators_channel_id)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the channels")?;
        Ok(())
    }

    pub async fn set_coordinators_channel(
        &self,
        program_id: ProgramId,
        channel_id: Option<ChannelId>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set coordinators_channel_id = $1, updated_at = $2 where program_id = $3",
        )
        .bind(channel_id)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the coordinators' channel")?;
        Ok(())
    }

    pub async fn set_matching(
        &self,
        program_id: ProgramId,
        rules: &MatchingRules,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set matching_mode = $1, group_size = $2, cross_institution = $3,
                 interest_weight = $4, updated_at = $5
             where program_id = $6",
        )
        .bind(rules.mode)
        .bind(i64::from(rules.group_size))
        .bind(rules.cross_institution)
        .bind(rules.interest_weight)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the matching rules")?;
        Ok(())
    }

    /// The program's dates and onboarding text.
    pub async fn set_program_info(
        &self,
        program_id: ProgramId,
        info: &ProgramInfo,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set program_start = $1, program_end = $2, welcome_text = $3, updated_at = $4
             where program_id = $5",
        )
        .bind(info.start)
        .bind(info.end)
        .bind(&info.welcome)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the program")?;
        Ok(())
    }

    /// Turns the watercooler on (with a channel and cadence, starting now) or off.
    pub async fn set_watercooler(
        &self,
        program_id: ProgramId,
        watercooler: Option<&Watercooler>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set watercooler_channel_id = $1, watercooler_cadence = $2,
                 watercooler_anchor = $3, updated_at = $4
             where program_id = $5",
        )
        .bind(watercooler.map(|w| w.channel_id))
        .bind(watercooler.map(|w| w.cadence))
        .bind(watercooler.map(|w| w.anchor))
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot save the watercooler")?;
        Ok(())
    }

    /// Every live program that has at least one channel set: candidates for
    /// celebrations and the watercooler.
    pub async fn programs_with_channels(&self) -> anyhow::Result<Vec<Program>> {
        let rows: Vec<ProgramRow> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select * from program
             where archived_at is null
               and (program_channel_id is not null or celebrations_channel_id is not null
                    or watercooler_channel_id is not null)
             order by guild_id, program_id",
        )
        .fetch_all(pool)
        .await)
        .context("cannot list programs")?;
        into_programs(rows)
    }

    /// Pauses or resumes a program. Resuming restarts the schedule from `now`, so weeks
    /// spent paused do not trigger a catch-up round.
    pub async fn set_program_paused(
        &self,
        program_id: ProgramId,
        paused: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set paused = $1,
                 schedule_anchor = case when $2 then schedule_anchor else $3 end,
                 updated_at = $4
             where program_id = $5",
        )
        .bind(paused)
        .bind(paused)
        .bind(now)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot pause or resume the program")?;
        Ok(())
    }

    /// Archives a program: it runs no more rounds or posts. Its rounds, history, stats
    /// and export stay. Returns false when it was archived already.
    pub async fn archive_program(
        &self,
        program_id: ProgramId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "update program set archived_at = $1, updated_at = $2
             where program_id = $3 and archived_at is null",
        )
        .bind(now)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot archive the program")?;
        Ok(done == 1)
    }

    /// Programs whose rounds run on a schedule: live, a channel and a schedule set, not paused.
    pub async fn scheduled_programs(&self) -> anyhow::Result<Vec<Program>> {
        let rows: Vec<ProgramRow> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select * from program
             where archived_at is null and paused = false and program_channel_id is not null
               and cadence is not null
             order by guild_id, program_id",
        )
        .fetch_all(pool)
        .await)
        .context("cannot list scheduled programs")?;
        into_programs(rows)
    }
}

/// Whether another program of the server has this name in any case. SQLite's `nocase`
/// folds only ASCII; this folds the way commands match names ("Études" is "études").
async fn name_in_use(
    conn: Conn<'_>,
    guild_id: GuildId,
    name: &str,
    except: Option<ProgramId>,
) -> anyhow::Result<bool> {
    let names: Vec<(ProgramId, String)> = on_backend!(conn, conn =>
        sqlx::query_as("select program_id, name from program where guild_id = $1")
            .bind(guild_id)
            .fetch_all(conn)
            .await)
    .context("cannot read the programs' names")?;
    let wanted = name.to_lowercase();
    Ok(names
        .iter()
        .any(|(id, other)| Some(*id) != except && other.to_lowercase() == wanted))
}

/// Creates the server's own row, if it has none yet.
pub(super) async fn ensure_community(
    conn: Conn<'_>,
    guild_id: GuildId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    on_backend!(conn, conn => sqlx::query(
        "insert into community (guild_id, created_at, updated_at) values ($1, $2, $3)
         on conflict (guild_id) do nothing",
    )
    .bind(guild_id)
    .bind(now)
    .bind(now)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))
    .context("cannot create the community")?;
    Ok(())
}
