//! Surveys: a program's questions, its surveys, who was invited, and the anonymous
//! answers. `survey_invite` is the only link between a member and their answers: stats
//! and the export read answers by respondent key alone.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rand::SeedableRng as _;
use sqlx::Row as _;

use super::members::current_members;
use super::{parse_column, Store};
use crate::domain::ids::{GuildId, ProgramId, SurveyId, UserId};
use crate::domain::outbox::OutboxKind;
use crate::domain::survey::{
    self, default_questions, Answer, Invite, InviteState, NotStarted, Question, Started, Survey,
    SurveyOccasion,
};

impl Store {
    /// The program's own questions, or `None` while it asks the defaults.
    pub async fn program_survey_questions(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Option<Vec<Question>>> {
        let mut conn = self.sqlite_pool().acquire().await?;
        program_questions(&mut conn, program_id).await
    }

    /// Replaces the program's questions (`None`: back to the defaults). Surveys already
    /// started keep the questions they asked.
    pub async fn set_program_survey_questions(
        &self,
        program_id: ProgramId,
        questions: Option<&[Question]>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write_sqlite().await?;
        save_program_questions(&mut tx, program_id, questions).await?;
        tx.commit()
            .await
            .context("cannot save the survey questions")?;
        Ok(())
    }

    /// Applies `change` to the program's questions (the defaults until edited) and saves
    /// the result, in one transaction, so two coordinators' edits at once both count. A
    /// refused change saves nothing.
    pub async fn change_program_survey_questions<E>(
        &self,
        program_id: ProgramId,
        change: impl FnOnce(&[Question]) -> Result<Vec<Question>, E>,
    ) -> anyhow::Result<Result<Vec<Question>, E>> {
        let mut tx = self.write_sqlite().await?;
        let current = program_questions(&mut tx, program_id)
            .await?
            .unwrap_or_else(survey::default_questions);
        let questions = match change(&current) {
            Ok(questions) => questions,
            Err(refused) => return Ok(Err(refused)),
        };
        save_program_questions(&mut tx, program_id, Some(&questions)).await?;
        tx.commit()
            .await
            .context("cannot save the survey questions")?;
        Ok(Ok(questions))
    }

    /// Turns the halfway and end surveys on or off.
    pub async fn set_auto_surveys(
        &self,
        program_id: ProgramId,
        on: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        sqlx::query("update program set auto_surveys = ?, updated_at = ? where program_id = ?")
            .bind(on)
            .bind(now)
            .bind(program_id)
            .execute(self.sqlite_pool())
            .await
            .context("cannot save the automatic survey setting")?;
        Ok(())
    }

    /// Starts a coordinator's survey of the program now, unless another of its surveys
    /// is still open or nobody is active in it.
    pub async fn start_survey(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Started, NotStarted>> {
        let mut rng = rand::rngs::StdRng::from_os_rng();
        self.start_survey_with(guild_id, program_id, SurveyOccasion::Manual, now, &mut rng)
            .await
    }

    /// Starts a survey, its questions copied, with one invitation per active member and
    /// their invitation and reminder queued, all in one transaction. Active: joined the
    /// program, not left it, not paused at `now`. Respondent keys come from `rng`.
    pub async fn start_survey_with(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        occasion: SurveyOccasion,
        now: DateTime<Utc>,
        rng: &mut impl rand::Rng,
    ) -> anyhow::Result<Result<Started, NotStarted>> {
        let mut tx = self.write_sqlite().await?;
        let open: Option<DateTime<Utc>> = sqlx::query_scalar(
            "select max(closes_at) from survey where program_id = ? and closes_at > ?",
        )
        .bind(program_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .context("cannot look for an open survey")?;
        if let Some(closes_at) = open {
            return Ok(Err(NotStarted::AlreadyOpen { closes_at }));
        }
        if occasion != SurveyOccasion::Manual {
            let ran: bool = sqlx::query_scalar(
                "select exists (select 1 from survey where program_id = ? and occasion = ?)",
            )
            .bind(program_id)
            .bind(occasion.as_str())
            .fetch_one(&mut *tx)
            .await
            .context("cannot look for an earlier survey")?;
            if ran {
                return Ok(Err(NotStarted::AlreadyRan));
            }
        }
        let members: Vec<UserId> = current_members(&mut tx, program_id)
            .await?
            .into_iter()
            .filter(|m| m.is_matchable(now))
            .map(|m| m.user_id)
            .collect();
        if members.is_empty() {
            return Ok(Err(NotStarted::NoActiveMembers));
        }
        let questions = program_questions(&mut tx, program_id)
            .await?
            .unwrap_or_else(default_questions);
        let (remind_at, closes_at) = survey::survey_times(now);
        let survey_id: i64 = sqlx::query_scalar(
            "insert into survey (program_id, guild_id, occasion, round_id, started_at, remind_at,
                                 closes_at)
             values (?1, ?2, ?3,
                     (select round_id from round where program_id = ?1
                      order by number desc limit 1),
                     ?4, ?5, ?6)
             returning survey_id",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(occasion.as_str())
        .bind(now)
        .bind(remind_at)
        .bind(closes_at)
        .fetch_one(&mut *tx)
        .await
        .context("cannot save the survey")?;
        for (i, question) in questions.iter().enumerate() {
            sqlx::query(
                "insert into survey_question (survey_id, position, kind, prompt)
                 values (?, ?, ?, ?)",
            )
            .bind(survey_id)
            .bind(i as i64 + 1)
            .bind(question.kind.as_str())
            .bind(&question.prompt)
            .execute(&mut *tx)
            .await
            .context("cannot save the survey's questions")?;
        }
        for user in &members {
            sqlx::query(
                "insert into survey_invite (survey_id, guild_id, user_id, respondent, invited_at)
                 values (?, ?, ?, ?, ?)",
            )
            .bind(survey_id)
            .bind(guild_id)
            .bind(*user)
            .bind(survey::respondent_key(rng))
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("cannot save an invitation")?;
            for (kind, due_at) in [
                (OutboxKind::SurveyInvite, now),
                (OutboxKind::SurveyReminder, remind_at),
            ] {
                sqlx::query(
                    "insert into outbox (guild_id, program_id, kind, key, user_id, due_at,
                                         created_at)
                     values (?, ?, ?, ?, ?, ?, ?)
                     on conflict (guild_id, key) do nothing",
                )
                .bind(guild_id)
                .bind(program_id)
                .bind(kind.as_str())
                .bind(format!("{kind}:{survey_id}:{user}"))
                .bind(*user)
                .bind(due_at)
                .bind(now)
                .execute(&mut *tx)
                .await
                .context("cannot queue an invitation")?;
            }
        }
        tx.commit().await.context("cannot start the survey")?;
        Ok(Ok(Started {
            survey_id: SurveyId(survey_id),
            invited: members.len(),
            questions: questions.len(),
            remind_at,
            closes_at,
        }))
    }

    /// Starts the halfway and end surveys that are due (see
    /// [`survey::due_auto_survey`]), each at most once per program, for live programs
    /// with automatic surveys on and both dates set. The dates are read in the program's
    /// schedule time zone (UTC without one). One waits while another survey of the
    /// program is open, and is not started for a program nobody is active in. Returns
    /// how many started.
    pub async fn start_due_surveys(&self, now: DateTime<Utc>) -> anyhow::Result<u32> {
        let programs = sqlx::query(
            "select program_id, guild_id, program_start, program_end, time_zone from program
             where archived_at is null and auto_surveys = 1
               and program_start is not null and program_end is not null
             order by program_id",
        )
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the programs' dates")?;
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut started = 0;
        for program in &programs {
            // One program's bad row or failure holds up no other program's survey.
            match self.start_due_survey(program, now, &mut rng).await {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(err) => tracing::error!(
                    guild = ?program.try_get::<GuildId, _>("guild_id").ok(),
                    program = ?program.try_get::<ProgramId, _>("program_id").ok(),
                    error = format!("{err:#}"),
                    "could not start a due survey"
                ),
            }
        }
        Ok(started)
    }

    /// Starts one program's due automatic survey, if it has one that has neither run nor
    /// waits; whether it did.
    async fn start_due_survey(
        &self,
        program: &sqlx::sqlite::SqliteRow,
        now: DateTime<Utc>,
        rng: &mut rand::rngs::StdRng,
    ) -> anyhow::Result<bool> {
        let program_id: ProgramId = program.try_get("program_id")?;
        let guild_id: GuildId = program.try_get("guild_id")?;
        let start: NaiveDate = program.try_get("program_start")?;
        let end: NaiveDate = program.try_get("program_end")?;
        let zone = match program.try_get::<Option<String>, _>("time_zone")? {
            Some(zone) => parse_column(&zone, "program.time_zone")?,
            None => chrono_tz::UTC,
        };
        let today = now.with_timezone(&zone).date_naive();
        let Some(occasion) = survey::due_auto_survey(start, end, today) else {
            return Ok(false);
        };
        // Asked every pass while the occasion is due: a read skips the ones already run
        // or waiting, without taking the write lock.
        let waiting: bool = sqlx::query_scalar(
            "select exists (select 1 from survey
                            where program_id = ? and (occasion = ? or closes_at > ?))",
        )
        .bind(program_id)
        .bind(occasion.as_str())
        .bind(now)
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot look for the program's surveys")?;
        if waiting {
            return Ok(false);
        }
        match self
            .start_survey_with(guild_id, program_id, occasion, now, rng)
            .await?
        {
            Ok(survey) => {
                tracing::info!(guild = %guild_id, program = %program_id, survey = survey.survey_id.get(), %occasion, invited = survey.invited, "started a survey");
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// The program's survey that is open at `now`, if any.
    pub async fn open_survey(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Survey>> {
        let id: Option<i64> = sqlx::query_scalar(
            "select survey_id from survey where guild_id = ? and program_id = ? and closes_at > ?
             order by survey_id desc limit 1",
        )
        .bind(guild_id)
        .bind(program_id)
        .bind(now)
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot look for an open survey")?;
        match id {
            Some(id) => self.survey(guild_id, SurveyId(id)).await,
            None => Ok(None),
        }
    }

    /// A survey of this server with its questions; `None` for another server's.
    pub async fn survey(
        &self,
        guild_id: GuildId,
        survey_id: SurveyId,
    ) -> anyhow::Result<Option<Survey>> {
        let Some(row) = sqlx::query(
            "select s.survey_id, s.guild_id, s.program_id, p.name, s.occasion, s.started_at,
                    s.remind_at, s.closes_at
             from survey s join program p on p.program_id = s.program_id
             where s.guild_id = ? and s.survey_id = ?",
        )
        .bind(guild_id)
        .bind(survey_id.get())
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the survey")?
        else {
            return Ok(None);
        };
        let questions = sqlx::query(
            "select kind, prompt from survey_question where survey_id = ? order by position",
        )
        .bind(survey_id.get())
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the survey's questions")?
        .iter()
        .map(question_from)
        .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(Survey {
            survey_id,
            guild_id: row.try_get("guild_id")?,
            program_id: row.try_get("program_id")?,
            program_name: row.try_get("name")?,
            occasion: parse_column(row.try_get("occasion")?, "survey.occasion")?,
            started_at: row.try_get("started_at")?,
            remind_at: row.try_get("remind_at")?,
            closes_at: row.try_get("closes_at")?,
            questions,
        }))
    }

    /// The member's invitation to the survey; `None` when they were not invited.
    pub async fn survey_invite(
        &self,
        survey_id: SurveyId,
        user_id: UserId,
    ) -> anyhow::Result<Option<Invite>> {
        let row = sqlx::query(
            "select respondent, state from survey_invite where survey_id = ? and user_id = ?",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the invitation")?;
        row.map(|row| {
            Ok(Invite {
                respondent: row.try_get("respondent")?,
                state: parse_column(row.try_get("state")?, "survey_invite.state")?,
            })
        })
        .transpose()
    }

    /// The questions (positions) a respondent has answered.
    pub async fn answered_positions(
        &self,
        survey_id: SurveyId,
        respondent: &str,
    ) -> anyhow::Result<Vec<u8>> {
        let positions: Vec<i64> = sqlx::query_scalar(
            "select position from survey_answer where survey_id = ? and respondent = ?
             order by position",
        )
        .bind(survey_id.get())
        .bind(respondent)
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the answers")?;
        Ok(positions
            .into_iter()
            .filter_map(|p| u8::try_from(p).ok())
            .collect())
    }

    /// Saves (or changes) the member's answer to one question, under their respondent
    /// key, and marks them as having answered. Returns false, saving nothing, when they
    /// were not invited or the survey closed by `now`. The caller checked the answer
    /// fits the question.
    pub async fn save_survey_answer(
        &self,
        survey_id: SurveyId,
        user_id: UserId,
        position: u8,
        answer: &Answer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.write_sqlite().await?;
        let respondent: Option<String> = sqlx::query_scalar(
            "select i.respondent from survey_invite i join survey s on s.survey_id = i.survey_id
             where i.survey_id = ? and i.user_id = ? and s.closes_at > ?",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .context("cannot read the invitation")?;
        let Some(respondent) = respondent else {
            return Ok(false);
        };
        let (score, text) = match answer {
            Answer::Score(score) => (Some(i64::from(*score)), None),
            Answer::Text(text) => (None, Some(text.as_str())),
        };
        sqlx::query(
            "insert into survey_answer (survey_id, respondent, position, score, answer, answered_at)
             values (?, ?, ?, ?, ?, ?)
             on conflict (survey_id, respondent, position) do update set
                 score = excluded.score, answer = excluded.answer,
                 answered_at = excluded.answered_at",
        )
        .bind(survey_id.get())
        .bind(&respondent)
        .bind(i64::from(position))
        .bind(score)
        .bind(text)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("cannot save the answer")?;
        sqlx::query(
            "update survey_invite set state = 'answered', answered_at = coalesce(answered_at, ?)
             where survey_id = ? and user_id = ?",
        )
        .bind(now)
        .bind(survey_id.get())
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("cannot mark the invitation answered")?;
        tx.commit().await.context("cannot save the answer")?;
        Ok(true)
    }

    /// "No thanks": an invitee who has not answered is not reminded. Returns where they
    /// stood before; `None` when they were not invited.
    pub async fn decline_survey(
        &self,
        survey_id: SurveyId,
        user_id: UserId,
    ) -> anyhow::Result<Option<InviteState>> {
        let mut tx = self.write_sqlite().await?;
        let before: Option<String> = sqlx::query_scalar(
            "select state from survey_invite where survey_id = ? and user_id = ?",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await
        .context("cannot read the invitation")?;
        let Some(before) = before else {
            return Ok(None);
        };
        let before: InviteState = parse_column(&before, "survey_invite.state")?;
        if before == InviteState::Invited {
            sqlx::query(
                "update survey_invite set state = 'declined' where survey_id = ? and user_id = ?",
            )
            .bind(survey_id.get())
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .context("cannot save the decline")?;
        }
        tx.commit().await.context("cannot save the decline")?;
        Ok(Some(before))
    }

    /// Whether the invitation (or, with `reminder`, the one reminder) should go to the
    /// member: the survey still open, its program not archived, the member still in it,
    /// and for the reminder still only invited (neither answered nor declined).
    pub async fn survey_dm_due(
        &self,
        survey_id: SurveyId,
        user_id: UserId,
        now: DateTime<Utc>,
        reminder: bool,
    ) -> anyhow::Result<bool> {
        let due: bool = sqlx::query_scalar(
            "select exists (
                 select 1 from survey_invite i
                 join survey s on s.survey_id = i.survey_id
                 join program p on p.program_id = s.program_id
                 join program_member pm on pm.program_id = s.program_id and pm.user_id = i.user_id
                 where i.survey_id = ? and i.user_id = ? and (not ? or i.state = 'invited')
                   and s.closes_at > ? and pm.left_at is null and p.archived_at is null)",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .bind(reminder)
        .bind(now)
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot check whether the survey's DM is due")?;
        Ok(due)
    }

    /// How many were invited to the survey, and how many of them answered and declined.
    pub async fn survey_response_counts(
        &self,
        survey_id: SurveyId,
    ) -> anyhow::Result<(u32, u32, u32)> {
        let row = sqlx::query(
            "select count(*) as invited,
                    coalesce(sum(state = 'answered'), 0) as answered,
                    coalesce(sum(state = 'declined'), 0) as declined
             from survey_invite where survey_id = ?",
        )
        .bind(survey_id.get())
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot count the survey's answers")?;
        let count = |name: &str| -> anyhow::Result<u32> {
            Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        Ok((count("invited")?, count("answered")?, count("declined")?))
    }
}

async fn program_questions(
    conn: &mut sqlx::SqliteConnection,
    program_id: ProgramId,
) -> anyhow::Result<Option<Vec<Question>>> {
    let questions = sqlx::query(
        "select kind, prompt from program_survey_question where program_id = ? order by position",
    )
    .bind(program_id)
    .fetch_all(conn)
    .await
    .context("cannot read the survey questions")?
    .iter()
    .map(question_from)
    .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((!questions.is_empty()).then_some(questions))
}

fn question_from(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<Question> {
    Ok(Question {
        kind: parse_column(row.try_get("kind")?, "survey_question.kind")?,
        prompt: row.try_get("prompt")?,
    })
}

/// forget-me: the member's invitations and every answer under their respondent keys
/// (called inside forget-me's transaction). Their invitation and reminder rows go with
/// every outbox row addressed to them.
pub(super) async fn forget_survey(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<()> {
    sqlx::query(
        "delete from survey_answer where respondent in
             (select respondent from survey_invite where guild_id = ? and user_id = ?)",
    )
    .bind(guild_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .context("cannot delete the member's survey answers")?;
    sqlx::query("delete from survey_invite where guild_id = ? and user_id = ?")
        .bind(guild_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("cannot delete the member's survey invitations")?;
    Ok(())
}

/// Writes the program's own questions (none: the defaults) in the caller's transaction.
async fn save_program_questions(
    tx: &mut sqlx::SqliteConnection,
    program_id: ProgramId,
    questions: Option<&[Question]>,
) -> anyhow::Result<()> {
    sqlx::query("delete from program_survey_question where program_id = ?")
        .bind(program_id)
        .execute(&mut *tx)
        .await
        .context("cannot clear the survey questions")?;
    for (i, question) in questions.unwrap_or_default().iter().enumerate() {
        sqlx::query(
            "insert into program_survey_question (program_id, position, kind, prompt)
             values (?, ?, ?, ?)",
        )
        .bind(program_id)
        .bind(i as i64 + 1)
        .bind(question.kind.as_str())
        .bind(&question.prompt)
        .execute(&mut *tx)
        .await
        .context("cannot save a survey question")?;
    }
    Ok(())
}
