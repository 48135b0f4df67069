//! Aggregates for `/hallway-admin stats`, for one program. Every query is filtered on
//! the guild as well, and the whole report is read in one transaction so its numbers
//! agree with each other. Each thing is one query, however many rounds or surveys.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{db_id, parse_column, Backend, Conn, Store};
use crate::domain::group::Rating;
use crate::domain::ids::{GuildId, ProgramId};
use crate::domain::profile::Role;
use crate::domain::stats::evaluation::{QuestionResult, Scores, SurveyResult};
use crate::domain::stats::{counts_in_order, RoundFit, RoundStats, Standings, Stats, Tally};
use crate::domain::survey::QuestionKind;
use crate::domain::wins::WinKind;
use crate::on_backend;

/// The rounds a report covers: the program's (`$3`) last `$2` rounds (all of them for
/// `i64::MAX`: neither backend takes a limit that means "none" the same way).
const CHOSEN_ROUNDS: &str = "select round_id, number, due_at from round
     where guild_id = $1 and program_id = $3 order by number desc limit $2";

/// The surveys a report shows: those of the chosen rounds, and those started before the
/// program's first round when `$4` (the report covers every round) is true.
fn shown_surveys() -> String {
    format!(
        "select s.survey_id from survey s
         where s.guild_id = $1 and s.program_id = $3
           and (s.round_id in (select round_id from ({CHOSEN_ROUNDS}) chosen_rounds)
                or (s.round_id is null and $4))"
    )
}

/// `expr` ordered byte by byte, as SQLite orders text: PostgreSQL's default collation
/// may follow a language's rules.
fn bytewise(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => expr.to_string(),
        Backend::Postgres => format!("{expr} collate \"C\""),
    }
}

#[derive(sqlx::FromRow)]
struct MemberCounts {
    role: String,
    active: i64,
    paused: i64,
    gone: i64,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    number: i64,
    due_at: DateTime<Utc>,
    chats: i64,
    people: i64,
    met_chats: i64,
    booked_chats: i64,
    booked_met_chats: i64,
    skipped: i64,
    pairs: i64,
    repeat_pairs: i64,
}

#[derive(sqlx::FromRow)]
struct FitRow {
    number: i64,
    answers: i64,
    good: i64,
}

#[derive(sqlx::FromRow)]
struct SurveyRow {
    survey_id: i64,
    occasion: String,
    started_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    round_number: Option<i64>,
    invited: i64,
    answered: i64,
    declined: i64,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    survey_id: i64,
    position: i64,
    kind: String,
    prompt: String,
    scores: i64,
    score_sum: i64,
}

#[derive(sqlx::FromRow)]
struct TextRow {
    survey_id: i64,
    position: i64,
    answer: String,
}

impl Store {
    /// Members now, and the last `last_rounds` rounds (every round when `None`), with
    /// their wins and feedback.
    pub async fn stats(
        &self,
        guild_id: GuildId,
        program_id: ProgramId,
        last_rounds: Option<u32>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Stats> {
        let guild = db_id(guild_id);
        let limit = last_rounds.map_or(i64::MAX, i64::from);
        let mut tx = self
            .read()
            .await
            .context("cannot start reading the stats")?;
        let backend = self.backend();
        let paused_until = backend.instant("paused_until");
        let now_instant = backend.instant("$2");
        let created_at = backend.instant("created_at");
        let window = backend.instant("$2");

        let mut members: Vec<(Role, Standings)> = Role::ALL
            .iter()
            .map(|r| (*r, Standings::default()))
            .collect();
        let rows: Vec<MemberCounts> = on_backend!(tx.conn(), c => sqlx::query_as(&format!(
            "select role,
                    count(*) filter (where left_at is null and not paused) as active,
                    count(*) filter (where left_at is null and paused) as paused,
                    count(*) filter (where left_at is not null) as gone
             from (select role, left_at,
                          (paused_until is not null and {paused_until} > {now_instant}) as paused
                   from program_member where guild_id = $1 and program_id = $3) standing
             group by role"
        ))
        .bind(guild)
        .bind(now)
        .bind(program_id)
        .fetch_all(c)
        .await)
        .context("cannot count the members")?;
        for row in &rows {
            let role: Role = parse_column(&row.role, "member.role")?;
            let standings = Standings {
                active: count(row.active, "active")?,
                paused: count(row.paused, "paused")?,
                left: count(row.gone, "gone")?,
            };
            if let Some(slot) = members.iter_mut().find(|(r, _)| *r == role) {
                slot.1 = standings;
            }
        }

        // A chat is booked while its booking has a time: a Reschedule clears it until the
        // group books again. A pair repeats when its two members were in one group in an
        // earlier round: the first round of every pair is found over the whole history,
        // not only the rounds shown.
        let rows: Vec<RoundRow> = on_backend!(tx.conn(), c => sqlx::query_as(&format!(
            "with chosen as ({CHOSEN_ROUNDS}),
             pair as (
                 select g.round_id, r.number,
                        min(r.number) over (partition by a.user_id, b.user_id) as first_number
                 from round r
                 join match_group g on g.round_id = r.round_id and g.guild_id = $1
                 join group_member a on a.group_id = g.group_id and a.guild_id = $1
                 join group_member b on b.group_id = g.group_id and b.guild_id = $1
                                    and a.user_id < b.user_id
                 where r.guild_id = $1 and r.program_id = $3
             ),
             pair_counts as (
                 select round_id, count(*) as pairs,
                        count(*) filter (where number > first_number) as repeat_pairs
                 from pair group by round_id
             )
             select c.number, c.due_at,
                 (select count(*) from match_group g
                  where g.guild_id = $1 and g.round_id = c.round_id) as chats,
                 (select cast(coalesce(sum(g.size), 0) as bigint) from match_group g
                  where g.guild_id = $1 and g.round_id = c.round_id) as people,
                 (select count(*) from match_group g
                  where g.guild_id = $1 and g.round_id = c.round_id
                    and exists (select 1 from outcome o
                                where o.group_id = g.group_id and o.guild_id = $1
                                  and o.status = 'met')) as met_chats,
                 (select count(*) from match_group g
                  join booking b on b.group_id = g.group_id and b.guild_id = $1
                  where g.guild_id = $1 and g.round_id = c.round_id
                    and b.starts_at is not null) as booked_chats,
                 (select count(*) from match_group g
                  join booking b on b.group_id = g.group_id and b.guild_id = $1
                  where g.guild_id = $1 and g.round_id = c.round_id
                    and b.starts_at is not null
                    and exists (select 1 from outcome o
                                where o.group_id = g.group_id and o.guild_id = $1
                                  and o.status = 'met')) as booked_met_chats,
                 (select count(*) from outcome o
                  join match_group g on g.group_id = o.group_id
                  where o.guild_id = $1 and g.guild_id = $1 and g.round_id = c.round_id
                    and o.status = 'skipped') as skipped,
                 coalesce(p.pairs, 0) as pairs,
                 coalesce(p.repeat_pairs, 0) as repeat_pairs
             from chosen c left join pair_counts p on p.round_id = c.round_id
             order by c.number"
        ))
        .bind(guild)
        .bind(limit)
        .bind(program_id)
        .fetch_all(c)
        .await)
        .context("cannot count the rounds")?;
        let rounds = rows
            .iter()
            .map(|row| {
                Ok(RoundStats {
                    number: count(row.number, "number")?,
                    due_at: row.due_at,
                    tally: Tally {
                        chats: count(row.chats, "chats")?,
                        people: count(row.people, "people")?,
                        met_chats: count(row.met_chats, "met_chats")?,
                        skipped: count(row.skipped, "skipped")?,
                        pairs: count(row.pairs, "pairs")?,
                        repeat_pairs: count(row.repeat_pairs, "repeat_pairs")?,
                        booked_chats: count(row.booked_chats, "booked_chats")?,
                        booked_met_chats: count(row.booked_met_chats, "booked_met_chats")?,
                    },
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        let all_rounds: i64 = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "select count(*) from round where guild_id = $1 and program_id = $2",
        )
        .bind(guild)
        .bind(program_id)
        .fetch_one(c)
        .await)
        .context("cannot count the rounds")?;
        let window_start = match rounds.first() {
            Some(first) if (rounds.len() as i64) < all_rounds => Some(first.due_at),
            _ => None,
        };

        let wins: Vec<(WinKind, i64)> = on_backend!(tx.conn(), c => sqlx::query_as(&format!(
            "select kind, count(*) as n from win
             where guild_id = $1 and program_id = $3
               and ($2 is null or {created_at} >= {window})
             group by kind"
        ))
        .bind(guild)
        .bind(window_start)
        .bind(program_id)
        .fetch_all(c)
        .await)
        .context("cannot count the wins")?;
        let wins = word_counts(wins)?;

        let feedback: Vec<(Rating, i64)> = on_backend!(tx.conn(), c => sqlx::query_as(&format!(
            "select f.rating, count(*) as n from feedback f
             join match_group g on g.group_id = f.group_id
             where f.guild_id = $1 and g.guild_id = $1
               and g.round_id in (select round_id from ({CHOSEN_ROUNDS}) chosen_rounds)
             group by f.rating"
        ))
        .bind(guild)
        .bind(limit)
        .bind(program_id)
        .fetch_all(c)
        .await)
        .context("cannot count the feedback")?;
        let feedback = word_counts(feedback)?;

        // Every round's, not only the chosen ones': the blocks they are pooled in start
        // from the program's first round (see `domain::stats::fit_blocks`).
        let rows: Vec<FitRow> = on_backend!(tx.conn(), c => sqlx::query_as(
            "select r.number, count(f.user_id) as answers,
                    count(*) filter (where f.fit = 'good') as good
             from round r
             left join match_group g on g.round_id = r.round_id and g.guild_id = $1
             left join fit_answer f on f.group_id = g.group_id and f.guild_id = $1
             where r.guild_id = $1 and r.program_id = $2
             group by r.round_id, r.number
             order by r.number",
        )
        .bind(guild)
        .bind(program_id)
        .fetch_all(c)
        .await)
        .context("cannot count the fit answers")?;
        let fit_by_round = rows
            .iter()
            .map(|row| {
                Ok(RoundFit {
                    number: count(row.number, "number")?,
                    answers: count(row.answers, "answers")?,
                    good: count(row.good, "good")?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let surveys = surveys(tx.conn(), guild, limit, program_id, window_start.is_none()).await?;
        tx.rollback().await.ok();

        Ok(Stats {
            members,
            rounds,
            window_start,
            wins: counts_in_order(&wins),
            feedback: counts_in_order(&feedback),
            fit_by_round,
            surveys,
        })
    }
}

/// The shown surveys (see [`shown_surveys`]) with their invitations counted, their
/// questions' scale answers added up and their free texts: three queries in all.
async fn surveys(
    mut tx: Conn<'_>,
    guild: i64,
    limit: i64,
    program_id: ProgramId,
    every_round: bool,
) -> anyhow::Result<Vec<SurveyResult>> {
    let shown = shown_surveys();
    let started_at = tx.backend().instant("s.started_at");
    let rows: Vec<SurveyRow> = on_backend!(tx.re(), c => sqlx::query_as(&format!(
        "select s.survey_id, s.occasion, s.started_at, s.closes_at, r.number as round_number,
             (select count(*) from survey_invite i
              where i.survey_id = s.survey_id and i.guild_id = $1) as invited,
             (select count(*) from survey_invite i
              where i.survey_id = s.survey_id and i.guild_id = $1
                and i.state = 'answered') as answered,
             (select count(*) from survey_invite i
              where i.survey_id = s.survey_id and i.guild_id = $1
                and i.state = 'declined') as declined
         from survey s left join round r on r.round_id = s.round_id and r.guild_id = $1
         where s.survey_id in ({shown})
         order by {started_at}, s.survey_id"
    ))
    .bind(guild)
    .bind(limit)
    .bind(program_id)
    .bind(every_round)
    .fetch_all(c)
    .await)
    .context("cannot read the surveys")?;
    let mut surveys = Vec::with_capacity(rows.len());
    let mut index: HashMap<i64, usize> = HashMap::new();
    for row in rows {
        index.insert(row.survey_id, surveys.len());
        surveys.push(SurveyResult {
            occasion: parse_column(&row.occasion, "survey.occasion")?,
            started_at: row.started_at,
            closes_at: row.closes_at,
            round: row
                .round_number
                .map(u32::try_from)
                .transpose()
                .context("round number out of range")?,
            invited: count(row.invited, "invited")?,
            answered: count(row.answered, "answered")?,
            declined: count(row.declined, "declined")?,
            questions: Vec::new(),
        });
    }
    if surveys.is_empty() {
        return Ok(surveys);
    }

    // A scale question counts scores, a text question texts: an answer of the other kind
    // at its position (which the survey flow never writes) is not counted.
    let rows: Vec<QuestionRow> = on_backend!(tx.re(), c => sqlx::query_as(&format!(
        "select q.survey_id, q.position, q.kind, q.prompt,
             (select count(a.score) from survey_answer a
              where a.survey_id = q.survey_id and a.position = q.position) as scores,
             (select cast(coalesce(sum(a.score), 0) as bigint) from survey_answer a
              where a.survey_id = q.survey_id and a.position = q.position) as score_sum
         from survey_question q
         where q.survey_id in ({shown})
         order by q.survey_id, q.position"
    ))
    .bind(guild)
    .bind(limit)
    .bind(program_id)
    .bind(every_round)
    .fetch_all(c)
    .await)
    .context("cannot count the survey answers")?;
    for row in rows {
        let Some(&at) = index.get(&row.survey_id) else {
            continue; // one transaction reads them all, so every survey is known
        };
        let kind: QuestionKind = parse_column(&row.kind, "survey_question.kind")?;
        surveys[at].questions.push(QuestionResult {
            position: count(row.position, "position")?,
            kind,
            prompt: row.prompt,
            scores: match kind {
                QuestionKind::Scale => Scores::new(
                    count(row.scores, "scores")?,
                    count(row.score_sum, "score_sum")?,
                ),
                QuestionKind::Text => Scores::default(),
            },
            texts: Vec::new(),
        });
    }

    // Ordered by the random respondent key: neither by time nor by person.
    let respondent = bytewise(tx.backend(), "a.respondent");
    let rows: Vec<TextRow> = on_backend!(tx, c => sqlx::query_as(&format!(
        "select a.survey_id, a.position, a.answer from survey_answer a
         join survey_question q on q.survey_id = a.survey_id and q.position = a.position
         where a.survey_id in ({shown})
           and q.kind = 'text' and a.answer is not null
         order by a.survey_id, a.position, {respondent}"
    ))
    .bind(guild)
    .bind(limit)
    .bind(program_id)
    .bind(every_round)
    .fetch_all(c)
    .await)
    .context("cannot read the survey texts")?;
    for row in rows {
        let Some(&at) = index.get(&row.survey_id) else {
            continue;
        };
        let position = count(row.position, "position")?;
        if let Some(question) = surveys[at]
            .questions
            .iter_mut()
            .find(|q| q.position == position)
        {
            question.texts.push(row.answer);
        }
    }
    Ok(surveys)
}

fn count(value: i64, column: &str) -> anyhow::Result<u32> {
    u32::try_from(value).with_context(|| format!("count {column} out of range: {value}"))
}

fn word_counts<T>(rows: Vec<(T, i64)>) -> anyhow::Result<Vec<(T, u32)>> {
    rows.into_iter()
        .map(|(word, n)| Ok((word, count(n, "n")?)))
        .collect()
}
