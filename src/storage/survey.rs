//! Surveys: a program's questions, its surveys, who was invited, and the anonymous
//! answers. `survey_invite` is the only link between a member and their answers: stats
//! and the export read answers by respondent key alone.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rand::SeedableRng as _;

use super::{parse_column, Conn, Store};
use crate::domain::ids::{GuildId, ProgramId, SurveyId, UserId};
use crate::domain::outbox::OutboxKind;
use crate::domain::survey::{
    self, default_questions, Answer, Invite, InviteState, NotStarted, Question, Started, Survey,
    SurveyOccasion,
};
use crate::on_backend;

/// A live program with automatic surveys and both dates, as the due surveys read it.
#[derive(sqlx::FromRow)]
struct DatedProgram {
    program_id: ProgramId,
    guild_id: GuildId,
    program_start: NaiveDate,
    program_end: NaiveDate,
    time_zone: Option<String>,
}

/// A program's row for the due surveys, decoded on its own, with the ids to name it by
/// when it does not decode.
type DueRow = (
    Option<GuildId>,
    Option<ProgramId>,
    Result<DatedProgram, sqlx::Error>,
);

#[derive(sqlx::FromRow)]
struct QuestionRow {
    kind: String,
    prompt: String,
}

impl QuestionRow {
    fn into_domain(self) -> anyhow::Result<Question> {
        Ok(Question {
            kind: parse_column(&self.kind, "survey_question.kind")?,
            prompt: self.prompt,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SurveyRow {
    guild_id: GuildId,
    program_id: ProgramId,
    name: String,
    occasion: String,
    started_at: DateTime<Utc>,
    remind_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
}

impl Store {
    /// The program's own questions, or `None` while it asks the defaults.
    pub async fn program_survey_questions(
        &self,
        program_id: ProgramId,
    ) -> anyhow::Result<Option<Vec<Question>>> {
        let mut conn = self.pool.acquire().await?;
        program_questions(conn.conn(), program_id).await
    }

    /// Replaces the program's questions (`None`: back to the defaults). Surveys already
    /// started keep the questions they asked.
    pub async fn set_program_survey_questions(
        &self,
        program_id: ProgramId,
        questions: Option<&[Question]>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write().await?;
        save_program_questions(tx.conn(), program_id, questions).await?;
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
        let mut tx = self.write().await?;
        let current = program_questions(tx.conn(), program_id)
            .await?
            .unwrap_or_else(survey::default_questions);
        let questions = match change(&current) {
            Ok(questions) => questions,
            Err(refused) => return Ok(Err(refused)),
        };
        save_program_questions(tx.conn(), program_id, Some(&questions)).await?;
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
        on_backend!(&self.pool, pool => sqlx::query(
            "update program set auto_surveys = $1, updated_at = $2 where program_id = $3",
        )
        .bind(on)
        .bind(now)
        .bind(program_id)
        .execute(pool)
        .await
        .map(|_| ()))
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
        let mut tx = self.write().await?;
        let backend = self.backend();
        let (closes_at, now_instant) = (backend.instant("closes_at"), backend.instant("$2"));
        // The open survey's own closing time (as stored), the latest if several.
        let open: Option<DateTime<Utc>> = on_backend!(tx.conn(), c => sqlx::query_scalar(
            &format!(
                "select closes_at from survey where program_id = $1 and {closes_at} > {now_instant}
                 order by {closes_at} desc limit 1"
            ),
        )
        .bind(program_id)
        .bind(now)
        .fetch_optional(c)
        .await)
        .context("cannot look for an open survey")?;
        if let Some(closes_at) = open {
            return Ok(Err(NotStarted::AlreadyOpen { closes_at }));
        }
        if occasion != SurveyOccasion::Manual {
            let ran: bool = on_backend!(tx.conn(), c => sqlx::query_scalar(
                "select exists (select 1 from survey where program_id = $1 and occasion = $2)",
            )
            .bind(program_id)
            .bind(occasion.as_str())
            .fetch_one(c)
            .await)
            .context("cannot look for an earlier survey")?;
            if ran {
                return Ok(Err(NotStarted::AlreadyRan));
            }
        }
        let members = active_members(tx.conn(), program_id, now).await?;
        if members.is_empty() {
            return Ok(Err(NotStarted::NoActiveMembers));
        }
        let questions = program_questions(tx.conn(), program_id)
            .await?
            .unwrap_or_else(default_questions);
        let (remind_at, closes_at) = survey::survey_times(now);
        let survey_id: i64 = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "insert into survey (program_id, guild_id, occasion, round_id, started_at, remind_at,
                                 closes_at)
             values ($1, $2, $3,
                     (select round_id from round where program_id = $1
                      order by number desc limit 1),
                     $4, $5, $6)
             returning survey_id",
        )
        .bind(program_id)
        .bind(guild_id)
        .bind(occasion.as_str())
        .bind(now)
        .bind(remind_at)
        .bind(closes_at)
        .fetch_one(c)
        .await)
        .context("cannot save the survey")?;
        for (i, question) in questions.iter().enumerate() {
            on_backend!(tx.conn(), c => sqlx::query(
                "insert into survey_question (survey_id, position, kind, prompt)
                 values ($1, $2, $3, $4)",
            )
            .bind(survey_id)
            .bind(i as i64 + 1)
            .bind(question.kind.as_str())
            .bind(&question.prompt)
            .execute(c)
            .await
            .map(|_| ()))
            .context("cannot save the survey's questions")?;
        }
        for user in &members {
            let respondent = survey::respondent_key(rng);
            on_backend!(tx.conn(), c => sqlx::query(
                "insert into survey_invite (survey_id, guild_id, user_id, respondent, invited_at)
                 values ($1, $2, $3, $4, $5)",
            )
            .bind(survey_id)
            .bind(guild_id)
            .bind(*user)
            .bind(&respondent)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ()))
            .context("cannot save an invitation")?;
            for (kind, due_at) in [
                (OutboxKind::SurveyInvite, now),
                (OutboxKind::SurveyReminder, remind_at),
            ] {
                on_backend!(tx.conn(), c => sqlx::query(
                    "insert into outbox (guild_id, program_id, kind, key, user_id, due_at,
                                         created_at)
                     values ($1, $2, $3, $4, $5, $6, $7)
                     on conflict (guild_id, key) do nothing",
                )
                .bind(guild_id)
                .bind(program_id)
                .bind(kind.as_str())
                .bind(format!("{kind}:{survey_id}:{user}"))
                .bind(*user)
                .bind(due_at)
                .bind(now)
                .execute(c)
                .await
                .map(|_| ()))
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
        // Each row is decoded on its own: one program's bad row holds up no other's.
        let programs: Vec<DueRow> = on_backend!(&self.pool, pool => sqlx::query(
            "select program_id, guild_id, program_start, program_end, time_zone from program
                 where archived_at is null and auto_surveys = true
                   and program_start is not null and program_end is not null
                 order by program_id",
        )
        .fetch_all(pool)
        .await
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    use sqlx::{FromRow as _, Row as _};
                    (
                        row.try_get("guild_id").ok(),
                        row.try_get("program_id").ok(),
                        DatedProgram::from_row(row),
                    )
                })
                .collect()
        }))
        .context("cannot read the programs' dates")?;
        let mut rng = rand::rngs::StdRng::from_os_rng();
        let mut started = 0;
        for (guild, program_id, program) in programs {
            // One program's bad row or failure holds up no other program's survey.
            let outcome = match program {
                Ok(program) => self.start_due_survey(&program, now, &mut rng).await,
                Err(err) => Err(anyhow::Error::new(err).context("bad program row")),
            };
            match outcome {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(err) => tracing::error!(
                    guild = ?guild,
                    program = ?program_id,
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
        program: &DatedProgram,
        now: DateTime<Utc>,
        rng: &mut rand::rngs::StdRng,
    ) -> anyhow::Result<bool> {
        let (program_id, guild_id) = (program.program_id, program.guild_id);
        let (start, end) = (program.program_start, program.program_end);
        let zone = match &program.time_zone {
            Some(zone) => parse_column(zone, "program.time_zone")?,
            None => chrono_tz::UTC,
        };
        let today = now.with_timezone(&zone).date_naive();
        let Some(occasion) = survey::due_auto_survey(start, end, today) else {
            return Ok(false);
        };
        // Asked every pass while the occasion is due: a read skips the ones already run
        // or waiting, without taking the write lock.
        let backend = self.backend();
        let (closes_at, now_instant) = (backend.instant("closes_at"), backend.instant("$3"));
        let waiting: bool = on_backend!(&self.pool, pool => sqlx::query_scalar(&format!(
            "select exists (select 1 from survey
                            where program_id = $1
                              and (occasion = $2 or {closes_at} > {now_instant}))"
        ))
        .bind(program_id)
        .bind(occasion.as_str())
        .bind(now)
        .fetch_one(pool)
        .await)
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
        let backend = self.backend();
        let (closes_at, now_instant) = (backend.instant("closes_at"), backend.instant("$3"));
        let id: Option<i64> = on_backend!(&self.pool, pool => sqlx::query_scalar(&format!(
            "select survey_id from survey
             where guild_id = $1 and program_id = $2 and {closes_at} > {now_instant}
             order by survey_id desc limit 1"
        ))
        .bind(guild_id)
        .bind(program_id)
        .bind(now)
        .fetch_optional(pool)
        .await)
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
        // One snapshot: the survey and its questions as of one moment.
        let mut tx = self.read().await?;
        let row: Option<SurveyRow> = on_backend!(tx.conn(), c => sqlx::query_as(
            "select s.guild_id, s.program_id, p.name, s.occasion, s.started_at,
                    s.remind_at, s.closes_at
             from survey s join program p on p.program_id = s.program_id
             where s.guild_id = $1 and s.survey_id = $2",
        )
        .bind(guild_id)
        .bind(survey_id.get())
        .fetch_optional(c)
        .await)
        .context("cannot read the survey")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let questions: Vec<QuestionRow> = on_backend!(tx.conn(), c => sqlx::query_as(
            "select kind, prompt from survey_question where survey_id = $1 order by position",
        )
        .bind(survey_id.get())
        .fetch_all(c)
        .await)
        .context("cannot read the survey's questions")?;
        tx.rollback().await.ok();
        let questions = questions
            .into_iter()
            .map(QuestionRow::into_domain)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(Survey {
            survey_id,
            guild_id: row.guild_id,
            program_id: row.program_id,
            program_name: row.name,
            occasion: parse_column(&row.occasion, "survey.occasion")?,
            started_at: row.started_at,
            remind_at: row.remind_at,
            closes_at: row.closes_at,
            questions,
        }))
    }

    /// The member's invitation to the survey; `None` when they were not invited.
    pub async fn survey_invite(
        &self,
        survey_id: SurveyId,
        user_id: UserId,
    ) -> anyhow::Result<Option<Invite>> {
        let row: Option<(String, String)> = on_backend!(&self.pool, pool => sqlx::query_as(
            "select respondent, state from survey_invite where survey_id = $1 and user_id = $2",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .fetch_optional(pool)
        .await)
        .context("cannot read the invitation")?;
        row.map(|(respondent, state)| {
            Ok(Invite {
                respondent,
                state: parse_column(&state, "survey_invite.state")?,
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
        let positions: Vec<i64> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select position from survey_answer where survey_id = $1 and respondent = $2
             order by position",
        )
        .bind(survey_id.get())
        .bind(respondent)
        .fetch_all(pool)
        .await)
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
        let mut tx = self.write().await?;
        let backend = self.backend();
        let (closes_at, now_instant) = (backend.instant("s.closes_at"), backend.instant("$3"));
        let respondent: Option<String> = on_backend!(tx.conn(), c => sqlx::query_scalar(&format!(
            "select i.respondent from survey_invite i join survey s on s.survey_id = i.survey_id
             where i.survey_id = $1 and i.user_id = $2 and {closes_at} > {now_instant}"
        ))
        .bind(survey_id.get())
        .bind(user_id)
        .bind(now)
        .fetch_optional(c)
        .await)
        .context("cannot read the invitation")?;
        let Some(respondent) = respondent else {
            return Ok(false);
        };
        let (score, text) = match answer {
            Answer::Score(score) => (Some(i64::from(*score)), None),
            Answer::Text(text) => (None, Some(text.as_str())),
        };
        on_backend!(tx.conn(), c => sqlx::query(
            "insert into survey_answer (survey_id, respondent, position, score, answer, answered_at)
             values ($1, $2, $3, $4, $5, $6)
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
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot save the answer")?;
        on_backend!(tx.conn(), c => sqlx::query(
            "update survey_invite set state = 'answered', answered_at = coalesce(answered_at, $1)
             where survey_id = $2 and user_id = $3",
        )
        .bind(now)
        .bind(survey_id.get())
        .bind(user_id)
        .execute(c)
        .await
        .map(|_| ()))
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
        let mut tx = self.write().await?;
        let before: Option<String> = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "select state from survey_invite where survey_id = $1 and user_id = $2",
        )
        .bind(survey_id.get())
        .bind(user_id)
        .fetch_optional(c)
        .await)
        .context("cannot read the invitation")?;
        let Some(before) = before else {
            return Ok(None);
        };
        let before: InviteState = parse_column(&before, "survey_invite.state")?;
        if before == InviteState::Invited {
            on_backend!(tx.conn(), c => sqlx::query(
                "update survey_invite set state = 'declined' where survey_id = $1 and user_id = $2",
            )
            .bind(survey_id.get())
            .bind(user_id)
            .execute(c)
            .await
            .map(|_| ()))
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
        let backend = self.backend();
        let (closes_at, now_instant) = (backend.instant("s.closes_at"), backend.instant("$4"));
        let due: bool = on_backend!(&self.pool, pool => sqlx::query_scalar(&format!(
            "select exists (
                 select 1 from survey_invite i
                 join survey s on s.survey_id = i.survey_id
                 join program p on p.program_id = s.program_id
                 join program_member pm on pm.program_id = s.program_id and pm.user_id = i.user_id
                 where i.survey_id = $1 and i.user_id = $2 and (not $3 or i.state = 'invited')
                   and {closes_at} > {now_instant} and pm.left_at is null
                   and p.archived_at is null)"
        ))
        .bind(survey_id.get())
        .bind(user_id)
        .bind(reminder)
        .bind(now)
        .fetch_one(pool)
        .await)
        .context("cannot check whether the survey's DM is due")?;
        Ok(due)
    }

    /// How many were invited to the survey, and how many of them answered and declined.
    pub async fn survey_response_counts(
        &self,
        survey_id: SurveyId,
    ) -> anyhow::Result<(u32, u32, u32)> {
        let (invited, answered, declined): (i64, i64, i64) =
            on_backend!(&self.pool, pool => sqlx::query_as(
                "select count(*) as invited,
                        count(*) filter (where state = 'answered') as answered,
                        count(*) filter (where state = 'declined') as declined
                 from survey_invite where survey_id = $1",
            )
            .bind(survey_id.get())
            .fetch_one(pool)
            .await)
            .context("cannot count the survey's answers")?;
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        Ok((count(invited), count(answered), count(declined)))
    }
}

async fn program_questions(
    conn: Conn<'_>,
    program_id: ProgramId,
) -> anyhow::Result<Option<Vec<Question>>> {
    let rows: Vec<QuestionRow> = on_backend!(conn, c => sqlx::query_as(
        "select kind, prompt from program_survey_question where program_id = $1
         order by position",
    )
    .bind(program_id)
    .fetch_all(c)
    .await)
    .context("cannot read the survey questions")?;
    let questions = rows
        .into_iter()
        .map(QuestionRow::into_domain)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((!questions.is_empty()).then_some(questions))
}

/// Those a survey started at `now` invites, by user id: the program's members who have
/// not left it and are not paused at `now` (see `Member::is_matchable`), with a profile.
async fn active_members(
    conn: Conn<'_>,
    program_id: ProgramId,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<UserId>> {
    let members: Vec<(UserId, Option<DateTime<Utc>>)> = on_backend!(conn, c => sqlx::query_as(
        "select pm.user_id, pm.paused_until from program_member pm
         join member m on m.guild_id = pm.guild_id and m.user_id = pm.user_id
         where pm.program_id = $1 and pm.left_at is null
         order by pm.user_id",
    )
    .bind(program_id)
    .fetch_all(c)
    .await)
    .context("cannot read the members")?;
    Ok(members
        .into_iter()
        .filter(|(_, paused_until)| paused_until.is_none_or(|until| until <= now))
        .map(|(user, _)| user)
        .collect())
}

/// forget-me: the member's invitations and every answer under their respondent keys
/// (called inside forget-me's transaction). Their invitation and reminder rows go with
/// every outbox row addressed to them.
pub(super) async fn forget_survey(
    mut tx: Conn<'_>,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<()> {
    on_backend!(tx.re(), c => sqlx::query(
        "delete from survey_answer where respondent in
             (select respondent from survey_invite where guild_id = $1 and user_id = $2)",
    )
    .bind(guild_id)
    .bind(user_id)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot delete the member's survey answers")?;
    on_backend!(tx, c => sqlx::query(
        "delete from survey_invite where guild_id = $1 and user_id = $2",
    )
    .bind(guild_id)
    .bind(user_id)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot delete the member's survey invitations")?;
    Ok(())
}

/// Writes the program's own questions (none: the defaults) in the caller's transaction.
async fn save_program_questions(
    mut tx: Conn<'_>,
    program_id: ProgramId,
    questions: Option<&[Question]>,
) -> anyhow::Result<()> {
    on_backend!(tx.re(), c => sqlx::query(
        "delete from program_survey_question where program_id = $1",
    )
    .bind(program_id)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot clear the survey questions")?;
    for (i, question) in questions.unwrap_or_default().iter().enumerate() {
        on_backend!(tx.re(), c => sqlx::query(
            "insert into program_survey_question (program_id, position, kind, prompt)
             values ($1, $2, $3, $4)",
        )
        .bind(program_id)
        .bind(i as i64 + 1)
        .bind(question.kind.as_str())
        .bind(&question.prompt)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot save a survey question")?;
    }
    Ok(())
}
