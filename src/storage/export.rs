//! The rows of a program's export, for its evaluation. Avoid lists are never read
//! here, and feedback leaves as counts per round: coordinators only see aggregates.

use anyhow::Context as _;
use sqlx::Row as _;

use super::answers::insertion_order;
use super::parse_column;
use super::{db_id, id_from_db, Store};
use crate::domain::export::{
    withhold_rare_texts, ExportRows, FeedbackRow, GroupRow, OutcomeRow, RoundRow, SurveyAnswerRow,
    WinRow,
};
use crate::domain::ids::{GuildId, ProgramId};
use crate::on_backend;

impl Store {
    /// A program's rounds, groups, outcomes, feedback counts, wins and survey answers, in
    /// order. Survey answers carry their respondent key, never who gave them, and text
    /// answers only where three or more people answered the question.
    pub async fn export_rows(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
    ) -> anyhow::Result<ExportRows> {
        let guild = db_id(guild_id);
        // One snapshot for every part, so the parts agree with each other.
        let mut tx = self
            .read()
            .await
            .context("cannot start reading the export")?;
        let backend = self.backend();
        let gm_order = insertion_order(backend, "gm.");
        let o_order = insertion_order(backend, "o.");
        let o_recorded_at = backend.instant("o.recorded_at");
        let created_at = backend.instant("created_at");

        let rounds = on_backend!(tx.conn(), conn => sqlx::query(
            "select r.number, r.due_at, r.trigger, r.state, r.created_at, r.delivered_at,
                    (select count(*) from match_group g
                     where g.guild_id = $1 and g.round_id = r.round_id) as chats,
                    (select cast(coalesce(sum(g.size), 0) as bigint) from match_group g
                     where g.guild_id = $1 and g.round_id = r.round_id) as people
             from round r where r.guild_id = $1 and r.program_id = $2 order by r.number",
        )
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the rounds for the export")?
        .iter()
        .map(|row| {
            Ok(RoundRow {
                round: count(row, "number")?,
                due_at: row.try_get("due_at")?,
                trigger: row.try_get("trigger")?,
                state: row.try_get("state")?,
                chats: count(row, "chats")?,
                people: count(row, "people")?,
                created_at: row.try_get("created_at")?,
                delivered_at: row.try_get("delivered_at")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>())?;

        let groups = on_backend!(tx.conn(), conn => sqlx::query(&format!(
            "select r.number, g.position, g.size, gm.user_id, gm.role, b.starts_at as booked_for
             from round r
             join match_group g on g.round_id = r.round_id and g.guild_id = $1
             join group_member gm on gm.group_id = g.group_id and gm.guild_id = $1
             left join booking b on b.group_id = g.group_id and b.guild_id = $1
             where r.guild_id = $1 and r.program_id = $2
             order by r.number, g.position, {gm_order}",
        ))
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the groups for the export")?
        .iter()
        .map(|row| {
            Ok(GroupRow {
                round: count(row, "number")?,
                group: count(row, "position")? + 1,
                group_size: count(row, "size")?,
                user_id: id_from_db(row.try_get("user_id")?),
                role: row.try_get("role")?,
                booked_for: row.try_get("booked_for")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>())?;

        let outcomes = on_backend!(tx.conn(), conn => sqlx::query(&format!(
            "select r.number, g.position, o.user_id, o.status, o.recorded_at
             from round r
             join match_group g on g.round_id = r.round_id and g.guild_id = $1
             join outcome o on o.group_id = g.group_id and o.guild_id = $1
             where r.guild_id = $1 and r.program_id = $2
             order by r.number, g.position, {o_recorded_at}, {o_order}",
        ))
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the outcomes for the export")?
        .iter()
        .map(|row| {
            Ok(OutcomeRow {
                round: count(row, "number")?,
                group: count(row, "position")? + 1,
                user_id: id_from_db(row.try_get("user_id")?),
                status: row.try_get("status")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>())?;

        let feedback = on_backend!(tx.conn(), conn => sqlx::query(
            "select r.number, f.rating, count(*) as answers
             from round r
             join match_group g on g.round_id = r.round_id and g.guild_id = $1
             join feedback f on f.group_id = g.group_id and f.guild_id = $1
             where r.guild_id = $1 and r.program_id = $2
             group by r.number, f.rating
             order by r.number",
        )
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the feedback for the export")?
        .iter()
        .map(|row| {
            Ok(FeedbackRow {
                round: count(row, "number")?,
                rating: row.try_get("rating")?,
                answers: count(row, "answers")?,
            })
        })
        .collect::<anyhow::Result<Vec<FeedbackRow>>>())?;
        // Best first within a round, in the order the ratings are listed.
        let mut feedback = feedback;
        feedback.sort_by_key(|f| (f.round, f.rating));

        let wins = on_backend!(tx.conn(), conn => sqlx::query(&format!(
            "select created_at, user_id, kind, description, link from win
             where guild_id = $1 and program_id = $2 order by {created_at}, win_id",
        ))
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the wins for the export")?
        .iter()
        .map(|row| {
            Ok(WinRow {
                created_at: row.try_get("created_at")?,
                user_id: id_from_db(row.try_get("user_id")?),
                kind: row.try_get("kind")?,
                description: row.try_get("description")?,
                link: row.try_get("link")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>())?;

        let mut survey = on_backend!(tx.conn(), conn => sqlx::query(
            "select s.survey_id, s.occasion, s.started_at, a.respondent, a.position, q.kind,
                    q.prompt, a.score, a.answer
             from survey s
             join survey_answer a on a.survey_id = s.survey_id
             join survey_question q on q.survey_id = s.survey_id and q.position = a.position
             where s.guild_id = $1 and s.program_id = $2
             order by s.survey_id, a.respondent, a.position",
        )
        .bind(guild)
        .bind(program_id)
        .fetch_all(conn)
        .await
        .context("cannot read the survey answers for the export")?
        .iter()
        .map(|row| {
            let started: chrono::DateTime<chrono::Utc> = row.try_get("started_at")?;
            Ok(SurveyAnswerRow {
                survey: row.try_get("survey_id")?,
                occasion: parse_column(row.try_get("occasion")?, "survey.occasion")?,
                started: started.date_naive(),
                respondent: row.try_get("respondent")?,
                question: u8::try_from(row.try_get::<i64, _>("position")?)
                    .context("bad survey_answer.position")?,
                kind: parse_column(row.try_get("kind")?, "survey_question.kind")?,
                prompt: row.try_get("prompt")?,
                score: row
                    .try_get::<Option<i64>, _>("score")?
                    .map(u8::try_from)
                    .transpose()
                    .context("bad survey_answer.score")?,
                text: row.try_get("answer")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>())?;
        withhold_rare_texts(&mut survey);
        tx.rollback().await.ok();

        Ok(ExportRows {
            rounds,
            groups,
            outcomes,
            feedback,
            wins,
            survey,
        })
    }

    /// Whether the database has this server (every member, round and win belongs to one).
    pub async fn knows_community(&self, guild_id: GuildId) -> anyhow::Result<bool> {
        let known: bool = on_backend!(&self.pool, pool =>
            sqlx::query_scalar("select exists (select 1 from community where guild_id = $1)")
                .bind(db_id(guild_id))
                .fetch_one(pool)
                .await)
        .context("cannot look the server up")?;
        Ok(known)
    }
}

/// A count or number column of either backend's row, as a u32.
fn count<'r, R: sqlx::Row>(row: &'r R, column: &str) -> anyhow::Result<u32>
where
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    let value: i64 = row.try_get(column)?;
    u32::try_from(value).with_context(|| format!("{column} out of range: {value}"))
}
