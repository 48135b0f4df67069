//! `/hallway-admin stats` and `/hallway-admin export`: numbers, two charts and CSV files
//! for program evaluation. Both answer privately, and defer first: the queries and the
//! charts may take longer than the 3 seconds Discord waits for a first answer.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use poise::CreateReply;

use super::caller::{any_program, guild};
use crate::discord::choices::autocomplete_program;
use crate::discord::render;
use crate::discord::state::{Context, Error};
use crate::domain::profile::Role;
use crate::domain::program::Program;
use crate::domain::stats::evaluation::{QuestionResult, SurveyResult};
use crate::domain::stats::{self, PendingFit, Rate, RoundStats, Stats, Tally, MIN_ANSWERS_SHOWN};
use crate::domain::survey::{QuestionKind, SurveyOccasion, MIN_TEXT_RESPONDENTS};
use crate::export::CsvFile;

/// Rounds listed one by one in the text at most; the charts and the export have them all.
const ROUNDS_IN_TEXT: usize = 8;
/// Rounds kept in the text before survey answers give way: the charts have the rest.
const ROUNDS_BEFORE_SURVEYS: usize = 3;
/// Surveys named in the text at most, the latest ones; the surveys file has them all.
const SURVEYS_IN_TEXT: usize = 4;
/// A question's prompt, and a free-text answer, are cut to this in the text; the surveys
/// file has them whole.
const PROMPT_IN_TEXT: usize = 100;
const ANSWER_IN_TEXT: usize = 150;
/// The surveys file stops short of what one message may carry along with the charts.
const MAX_SURVEYS_FILE_BYTES: usize = 8 * 1024 * 1024;

/// What one message may carry: Discord allows 10 files and, for bots in servers without
/// boosts, 10 MiB in all; the rest of the budget is left for the form's own overhead.
const MAX_FILES_PER_MESSAGE: usize = 10;
const MAX_BYTES_PER_MESSAGE: usize = 9 * 1024 * 1024;

pub const CHART_FILE_NAME: &str = "hallway-stats.png";
pub const EVALUATION_CHART_FILE_NAME: &str = "hallway-evaluation.png";
/// Every survey of the report in full, attached when the text had to leave some out.
pub const SURVEYS_FILE_NAME: &str = "hallway-surveys.txt";

/// Members, chats, meeting, repeat, skip and fit rates, wins, feedback and surveys, with
/// two charts.
#[poise::command(slash_command, guild_only)]
pub async fn stats(
    ctx: Context<'_>,
    #[description = "Only the last N rounds, 1-520 (default: every round)"]
    #[min = 1]
    #[max = 520]
    rounds: Option<i64>,
    #[description = "Which program (default: a line for each, when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let window = rounds.map(stats::rounds_window).transpose()?;
    let guild_id = guild(ctx)?;
    let store = &ctx.data().store;
    let programs = store.programs(guild_id).await?;
    if program.is_none() && programs.len() > 1 {
        ctx.defer_ephemeral().await?;
        let mut lines = vec![format!(
            "**hallway stats** · {} programs · for one program's full report and chart: \
             `/hallway-admin stats program:<name>`",
            programs.len()
        )];
        for program in &programs {
            let report = store
                .stats(guild_id, program.program_id, window, Utc::now())
                .await?;
            lines.push(summary_line(program, &report));
        }
        ctx.send(private(render::fit(&lines.join("\n")))).await?;
        return Ok(());
    }
    let program = any_program(ctx, program.as_deref()).await?;
    ctx.defer_ephemeral().await?;
    let now = Utc::now();
    let report = store
        .stats(guild_id, program.program_id, window, now)
        .await?;
    let content = stats_reply(&program, &report, now);
    let mut reply = private(content.text);
    if !report.rounds.is_empty() {
        let (title, series) = (chart_title(&report), report.series());
        let (evaluation_title, evaluation) =
            (evaluation_chart_title(&report), report.evaluation_series());
        let (rounds_png, evaluation_png) = tokio::task::spawn_blocking(move || {
            anyhow::Ok((
                crate::chart::rounds_chart(&title, &series)?,
                crate::chart::evaluation_chart(&evaluation_title, &evaluation)?,
            ))
        })
        .await
        .context("the chart task failed")??;
        reply = reply
            .attachment(serenity::CreateAttachment::bytes(
                rounds_png,
                CHART_FILE_NAME,
            ))
            .attachment(serenity::CreateAttachment::bytes(
                evaluation_png,
                EVALUATION_CHART_FILE_NAME,
            ));
    }
    if let Some(file) = content.surveys_file {
        reply = reply.attachment(serenity::CreateAttachment::bytes(
            file.into_bytes(),
            SURVEYS_FILE_NAME,
        ));
    }
    ctx.send(reply).await?;
    Ok(())
}

/// One program in the server-wide summary: members, rounds, meeting and booking rates,
/// and, once there are some, the fit rate (from enough answers) and the latest survey's
/// response rate.
fn summary_line(program: &Program, report: &Stats) -> String {
    let active: u32 = report.members.iter().map(|(_, s)| s.active).sum();
    let total = report.totals();
    let mut line = format!(
        "**{}**{}: {} active members · {} · {} chats · meeting rate {} · booked {}",
        program.name,
        if program.is_archived() {
            " (archived)"
        } else {
            ""
        },
        active,
        plural(report.rounds.len(), "round"),
        total.chats,
        with_unit(total.meeting_rate(), "chats"),
        with_unit(total.booking_rate(), "chats"),
    );
    // The same shown rate as the full report's; answers still too few say nothing here.
    let fit = report.fit().rate;
    if fit.whole > 0 {
        line.push_str(&format!(" · good fit {fit}"));
    }
    if let Some(survey) = report.latest_survey() {
        line.push_str(&format!(
            " · latest survey answered {}",
            survey.response_rate()
        ));
    }
    line
}

/// CSV files of rounds, groups, outcomes, feedback (counts only) and wins.
#[poise::command(slash_command, guild_only)]
pub async fn export(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = any_program(ctx, program.as_deref()).await?;
    let guild_id = program.guild_id;
    ctx.defer_ephemeral().await?;
    let stem = crate::export::file_stem(&program.name);
    let files = crate::export::read(&ctx.data().store, &program, &stem).await?;
    let sizes: Vec<usize> = files.iter().map(|f| f.bytes.len()).collect();
    let plan = pack_uploads(&sizes, MAX_BYTES_PER_MESSAGE, MAX_FILES_PER_MESSAGE);
    let text = export_text(&program, &files, &plan.too_large, guild_id);
    let mut batches = plan.messages.iter();
    let mut reply = private(render::fit(&text));
    for &i in batches.next().into_iter().flatten() {
        reply = reply.attachment(attachment(&files[i]));
    }
    ctx.send(reply).await?;
    for batch in batches {
        let mut more = private("More of the export:".to_string());
        for &i in batch {
            more = more.attachment(attachment(&files[i]));
        }
        ctx.send(more).await?;
    }
    Ok(())
}

fn private(text: String) -> CreateReply {
    CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(serenity::CreateAllowedMentions::new())
}

fn attachment(file: &CsvFile) -> serenity::CreateAttachment {
    serenity::CreateAttachment::bytes(file.bytes.clone(), file.name.clone())
}

/// Which files go in which message, and which are too big for any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct UploadPlan {
    /// Indexes into the files, message by message, in order.
    messages: Vec<Vec<usize>>,
    too_large: Vec<usize>,
}

/// Fills messages in file order, starting a new one when the next file would pass a
/// limit; a file over the byte limit on its own cannot be uploaded at all.
fn pack_uploads(sizes: &[usize], max_bytes: usize, max_files: usize) -> UploadPlan {
    let mut plan = UploadPlan::default();
    let mut current: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for (i, &size) in sizes.iter().enumerate() {
        if size > max_bytes {
            plan.too_large.push(i);
            continue;
        }
        if !current.is_empty() && (bytes + size > max_bytes || current.len() == max_files) {
            plan.messages.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += size;
    }
    if !current.is_empty() || plan.messages.is_empty() {
        plan.messages.push(current);
    }
    plan
}

fn export_text(
    program: &Program,
    files: &[CsvFile],
    too_large: &[usize],
    guild_id: crate::domain::ids::GuildId,
) -> String {
    let contents: Vec<String> = files
        .iter()
        .map(|f| format!("`{}` ({})", f.name, plural(f.rows, "row")))
        .collect();
    let mut text = format!(
        "**{} export**: {}.\n\
         The groups file has a row per member of each group. Feedback is counted per round, \
         without names. Do-not-match lists are never exported.",
        program.name,
        contents.join(", ")
    );
    if !too_large.is_empty() {
        let names: Vec<String> = too_large
            .iter()
            .map(|&i| format!("`{}`", files[i].name))
            .collect();
        text.push_str(&format!(
            "\n⚠️ {} too large for Discord. On the server, run \
             `hallway export --guild {guild_id} --program \"{}\" --out DIR` to get every file.",
            names.join(", ") + if too_large.len() == 1 { " is" } else { " are" },
            program.name,
        ));
    }
    text
}

/// The reply to `stats` for one program: its text, and the surveys file when the text
/// could not hold every survey in full.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StatsReply {
    text: String,
    surveys_file: Option<String>,
}

/// How much of the report a text shows: the latest `rounds` rounds, the questions of
/// the latest `detailed_surveys` surveys, and the first `texts` free-text answers (the
/// latest survey's first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Detail {
    rounds: usize,
    detailed_surveys: usize,
    texts: usize,
}

/// The text with as much detail as one Discord message holds. Detail goes in this
/// order: rounds beyond the latest three (the charts show them), the questions of older
/// surveys, free-text answers, then rounds down to the latest one; whatever room is
/// left then goes back to free texts, older surveys' questions, then rounds. Anything
/// of the surveys left out is in the surveys file.
fn stats_reply(program: &Program, report: &Stats, now: DateTime<Utc>) -> StatsReply {
    let shown = &report.surveys[report.surveys.len().saturating_sub(SURVEYS_IN_TEXT)..];
    let all_texts: usize = shown.iter().map(texts_shown).sum();
    let rounds = report.rounds.len().min(ROUNDS_IN_TEXT);
    let fits = |detail: Detail| {
        stats_text(program, report, now, detail).0.chars().count() <= render::MESSAGE_LIMIT
    };
    let mut detail = Detail {
        rounds,
        detailed_surveys: shown.len(),
        texts: all_texts,
    };
    // Shed detail until the text fits, the least needed first...
    detail.rounds = largest(rounds.min(ROUNDS_BEFORE_SURVEYS), rounds, |n| {
        fits(Detail {
            rounds: n,
            ..detail
        })
    });
    detail.detailed_surveys = largest(shown.len().min(1), shown.len(), |n| {
        fits(Detail {
            detailed_surveys: n,
            ..detail
        })
    });
    detail.texts = largest(0, all_texts, |n| fits(Detail { texts: n, ..detail }));
    detail.rounds = largest(rounds.min(1), detail.rounds, |n| {
        fits(Detail {
            rounds: n,
            ..detail
        })
    });
    // ...then give back what the room left allows, the most needed first.
    detail.texts = largest(detail.texts, all_texts, |n| {
        fits(Detail { texts: n, ..detail })
    });
    detail.detailed_surveys = largest(detail.detailed_surveys, shown.len(), |n| {
        fits(Detail {
            detailed_surveys: n,
            ..detail
        })
    });
    detail.rounds = largest(detail.rounds, rounds, |n| {
        fits(Detail {
            rounds: n,
            ..detail
        })
    });
    let (text, complete) = stats_text(program, report, now, detail);
    StatsReply {
        text: render::fit(&text),
        surveys_file: (!complete).then(|| surveys_file(program, report, now)),
    }
}

/// The largest `n` from `low` to `high` for which `fits(n)` holds, where `fits` holds up
/// to some `n` and not past it; `low` if it never holds.
fn largest(low: usize, high: usize, fits: impl Fn(usize) -> bool) -> usize {
    if fits(high) {
        return high;
    }
    // fits(low) may hold; fits(high) does not.
    let (mut low, mut high) = (low, high);
    while low + 1 < high {
        let middle = low + (high - low) / 2;
        if fits(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// The text at one level of detail, and whether it shows every survey in full.
fn stats_text(
    program: &Program,
    report: &Stats,
    now: DateTime<Utc>,
    detail: Detail,
) -> (String, bool) {
    let mut lines = vec![format!("**{} stats** · {}", program.name, scope(report))];

    lines.push("**Members now**".into());
    for (role, counts) in &report.members {
        lines.push(format!(
            "{}: {} active · {} paused · {} left",
            role_plural(*role),
            counts.active,
            counts.paused,
            counts.left
        ));
    }

    let total = report.totals();
    if report.rounds.is_empty() {
        lines.push(
            "**Rounds**: none yet. The charts appear after the first round \
             (`/hallway-admin match-now`, or the schedule)."
                .into(),
        );
    } else {
        lines.push("**Rounds**".into());
        let skipped = report.rounds.len().saturating_sub(detail.rounds);
        if skipped > 0 {
            lines.push(format!(
                "… {} in the charts and in `/hallway-admin export`.",
                if skipped == 1 {
                    "1 earlier round is".to_string()
                } else {
                    format!("{skipped} earlier rounds are")
                }
            ));
        }
        for round in &report.rounds[skipped..] {
            lines.push(round_line(round));
        }
        lines.push(format!(
            "**Overall**: {} chats, {} people · meeting rate {} · repeat rate {} · skip rate {}",
            total.chats,
            total.people,
            with_unit(total.meeting_rate(), "chats"),
            with_unit(total.repeat_rate(), "pairs"),
            with_unit(total.skip_rate(), "people"),
        ));
        lines.push(booking_line(total));
        lines.push(fit_line(report));
    }

    let since = report
        .window_start
        .map(|start| format!(" since {}", day(start)))
        .unwrap_or_default();
    let wins: Vec<String> = report
        .wins
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect();
    lines.push(if wins.is_empty() {
        format!("**Wins**{since}: none yet")
    } else {
        format!(
            "**Wins**{since}: {} ({} in all)",
            wins.join(" · "),
            report.wins_total()
        )
    });
    let feedback: Vec<String> = report
        .feedback
        .iter()
        .map(|(rating, n)| format!("{rating} {n}"))
        .collect();
    lines.push(format!("**How was it?** {}", feedback.join(" · ")));

    let complete = survey_lines(report, now, detail, &mut lines);
    lines.push(format!(
        "_Met: chats where someone clicked “We met”. Repeats: pairs matched in an earlier \
         round. Skipped: people who clicked “Skip this round”. Booked: chats with a booked \
         time now (a rescheduled one once booked again). Fit: “How was the fit?” after a \
         pair's first chat. Surveys: answered of invited; means from 1 (disagree) to 5 \
         (agree). Rates and means need {MIN_ANSWERS_SHOWN} answers: fewer fit answers wait \
         for the next rounds'._"
    ));
    (lines.join("\n"), complete)
}

/// "**Fit**: 7 of 9 answers good fit (78%)": counts only, never who, and a rate only
/// over the fit blocks that close in the rounds shown (see [`stats::fit_blocks`]). It
/// names the rounds when the first block began before them, and counts the answers that
/// wait for more.
fn fit_line(report: &Stats) -> String {
    let fit = report.fit();
    let first_shown = report.rounds.first().map_or(0, |r| r.number);
    let mut line = String::from("**Fit**: ");
    match (fit.rate.percent(), fit.rounds) {
        (Some(percent), Some((from, to))) => {
            line.push_str(&format!(
                "{} of {} good fit ({percent}%)",
                fit.rate.part,
                plural(fit.rate.whole as usize, "answer"),
            ));
            if from < first_shown {
                line.push_str(&format!(", about rounds {from}–{to}"));
            }
        }
        _ if fit.pending.is_some() => {}
        _ if report.window_start.is_some() => line.push_str("no answers in these rounds"),
        _ => line.push_str("no answers yet"),
    }
    if let Some(PendingFit { since, answers }) = fit.pending {
        line.push_str(&if fit.rate.whole > 0 {
            let more = plural(answers as usize, "more answer");
            format!(" · {more} since round {since}, shown from {MIN_ANSWERS_SHOWN} answers on")
        } else {
            let answers = plural(answers as usize, "answer");
            format!(
                "{answers} since round {since} · a rate is shown from {MIN_ANSWERS_SHOWN} \
                 answers on"
            )
        });
    }
    line
}

/// The surveys section at `detail`; says whether it shows every survey in full.
fn survey_lines(
    report: &Stats,
    now: DateTime<Utc>,
    detail: Detail,
    lines: &mut Vec<String>,
) -> bool {
    if report.surveys.is_empty() {
        lines.push(if report.window_start.is_some() {
            "**Surveys**: none in these rounds".into()
        } else {
            "**Surveys**: none yet (`/hallway-admin survey start` runs one)".into()
        });
        return true;
    }
    lines.push("**Surveys**".into());
    let older = report.surveys.len().saturating_sub(SURVEYS_IN_TEXT);
    let mut complete = older == 0;
    if older > 0 {
        lines.push(format!(
            "… and {} before these",
            plural(older, "earlier survey")
        ));
    }
    let shown = &report.surveys[older..];
    // Texts are handed out from the latest survey back.
    let mut texts_left = detail.texts;
    let mut texts_for: Vec<usize> = vec![0; shown.len()];
    for (i, survey) in shown.iter().enumerate().rev().take(detail.detailed_surveys) {
        let take = texts_shown(survey).min(texts_left);
        texts_for[i] = take;
        texts_left -= take;
    }
    let detailed_from = shown.len().saturating_sub(detail.detailed_surveys);
    for (i, survey) in shown.iter().enumerate() {
        if i < detailed_from {
            // In short; its questions are in the file.
            lines.push(survey_in_short(survey));
            complete &= survey.questions.is_empty();
            continue;
        }
        let (name, rest) = survey_heading(survey, now);
        lines.push(format!("**{name}** · {rest}"));
        let mut texts = texts_for[i];
        for question in &survey.questions {
            lines.push(question_line(question, PROMPT_IN_TEXT));
            let all = question.texts_to_show();
            let inline = all.len().min(texts);
            texts -= inline;
            for answer in &all[..inline] {
                let one_line = answer.split_whitespace().collect::<Vec<_>>().join(" ");
                complete &= one_line.chars().count() <= ANSWER_IN_TEXT;
                lines.push(format!("> {}", cut(&one_line, ANSWER_IN_TEXT)));
            }
            if inline == 0 && !all.is_empty() {
                lines.push("… their texts are in the surveys file".into());
            } else if inline < all.len() {
                lines.push(format!("… and {} more", all.len() - inline));
            }
        }
        complete &= texts == 0 && texts_for[i] == texts_shown(survey) && prompts_whole(survey);
    }
    if !complete {
        lines.push(format!(
            "_Every survey in full, without names: the attached `{SURVEYS_FILE_NAME}`._"
        ));
    }
    complete
}

/// How many free-text answers of a survey coordinators may read.
fn texts_shown(survey: &SurveyResult) -> usize {
    survey
        .questions
        .iter()
        .map(|q| q.texts_to_show().len())
        .sum()
}

fn prompts_whole(survey: &SurveyResult) -> bool {
    survey
        .questions
        .iter()
        .all(|q| q.prompt.chars().count() <= PROMPT_IN_TEXT)
}

/// "**Halfway survey**, 20 Nov 2026: 9 of 12 answered (75%), mean 4.2": a survey whose
/// questions the text has no room for.
fn survey_in_short(survey: &SurveyResult) -> String {
    let rate = survey.response_rate();
    let answered = match rate.percent() {
        Some(percent) => format!("{} of {} answered ({percent}%)", rate.part, rate.whole),
        None => "nobody invited".into(),
    };
    let mean = survey
        .shown_scores()
        .mean_text()
        .map(|mean| format!(", mean {mean}"))
        .unwrap_or_default();
    format!(
        "**{}**, {}: {answered}{mean}",
        occasion_name(survey.occasion),
        day(survey.started_at)
    )
}

fn occasion_name(occasion: SurveyOccasion) -> &'static str {
    match occasion {
        SurveyOccasion::Halfway => "Halfway survey",
        SurveyOccasion::End => "End-of-program survey",
        SurveyOccasion::Manual => "Coordinator's survey",
    }
}

/// The survey's name, and "2 Mar 2026, after round 4 · 12 invited · 9 answered ·
/// 1 declined · response rate 75% (9 of 12)".
fn survey_heading(survey: &SurveyResult, now: DateTime<Utc>) -> (&'static str, String) {
    let name = occasion_name(survey.occasion);
    let when = match survey.round {
        Some(round) => format!("{}, after round {round}", day(survey.started_at)),
        None => format!("{}, before the first round", day(survey.started_at)),
    };
    let open = if survey.is_open(now) {
        format!(", open until {}", day(survey.closes_at))
    } else {
        String::new()
    };
    (
        name,
        format!(
            "{when}{open} · {} invited · {} answered · {} declined · response rate {}",
            survey.invited,
            survey.answered,
            survey.declined,
            survey.response_rate()
        ),
    )
}

/// "1. I felt connected… · 9 answers · mean 4.2", or for a text question "· 9 answers:"
/// (its texts follow), or why its mean or texts are not shown.
fn question_line(question: &QuestionResult, prompt_chars: usize) -> String {
    let prompt = cut(&question.prompt, prompt_chars);
    let answers = question.answers() as usize;
    let mean = question.shown_scores().and_then(|s| s.mean_text());
    let what = match (question.kind, mean) {
        _ if answers == 0 => "no answers yet".to_string(),
        (QuestionKind::Scale, Some(mean)) => format!("{} · mean {mean}", plural(answers, "answer")),
        (QuestionKind::Scale, None) => format!(
            "{} · a mean is shown from {MIN_ANSWERS_SHOWN} answers on",
            plural(answers, "answer")
        ),
        (QuestionKind::Text, _) if question.texts_to_show().is_empty() => format!(
            "{} · texts are shown from {MIN_TEXT_RESPONDENTS} answers on",
            plural(answers, "answer")
        ),
        (QuestionKind::Text, _) => format!("{}:", plural(answers, "answer")),
    };
    format!("{}. {prompt} · {what}", question.position)
}

/// Every survey of the report in full, as plain text: the surveys file.
fn surveys_file(program: &Program, report: &Stats, now: DateTime<Utc>) -> String {
    let mut out = format!(
        "{} surveys, {}.\nAnswers have no names. Free texts are shown for questions that at \
         least {MIN_TEXT_RESPONDENTS} people answered.\n",
        program.name,
        scope(report)
    );
    for survey in &report.surveys {
        let (name, rest) = survey_heading(survey, now);
        out.push_str(&format!("\n{name} · {rest}\n"));
        for question in &survey.questions {
            out.push_str(&question_line(question, usize::MAX));
            out.push('\n');
            for answer in question.texts_to_show() {
                let one_line = answer.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push_str(&format!("  - {one_line}\n"));
            }
        }
    }
    if out.len() > MAX_SURVEYS_FILE_BYTES {
        let mut end = MAX_SURVEYS_FILE_BYTES;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str("\n… cut to fit Discord's upload limit.\n");
    }
    out
}

/// `text` up to `chars` characters, with "…" when it was longer.
fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    }
}

/// How many chats booked, and the meeting rate of booked and unbooked chats side by
/// side, so a coordinator can see whether booking helps chats happen.
fn booking_line(total: Tally) -> String {
    format!(
        "**Booked**: {}. Met: {}, {}.",
        count_first(total.booking_rate(), "chats", "no chats"),
        count_first(total.booked_meeting_rate(), "booked", "none booked"),
        count_first(total.unbooked_meeting_rate(), "unbooked", "none unbooked"),
    )
}

fn round_line(round: &RoundStats) -> String {
    let t = round.tally;
    format!(
        "Round {} ({}): {} chats, {} people · met {} · repeats {} · skipped {}",
        round.number,
        day(round.due_at),
        t.chats,
        t.people,
        t.meeting_rate(),
        t.repeat_rate(),
        t.skip_rate(),
    )
}

/// "every round (1–8)", "the last 4 rounds (5–8)", or "no rounds yet".
fn scope(report: &Stats) -> String {
    match (report.rounds.first(), report.rounds.last()) {
        (Some(first), Some(last)) => {
            let span = if first.number == last.number {
                format!("round {}", first.number)
            } else {
                format!("rounds {}–{}", first.number, last.number)
            };
            if report.window_start.is_some() {
                format!("the last {} ({span})", plural(report.rounds.len(), "round"))
            } else {
                format!("every round ({span})")
            }
        }
        _ => "no rounds yet".into(),
    }
}

/// "Every round (rounds 1–8): people matched and meeting rate".
fn chart_title(report: &Stats) -> String {
    titled(report, "people matched and meeting rate")
}

fn evaluation_chart_title(report: &Stats) -> String {
    titled(report, "meeting rate, good fit and survey mean")
}

fn titled(report: &Stats, what: &str) -> String {
    let scope = scope(report);
    let mut scope_chars = scope.chars();
    let capitalised: String = scope_chars
        .next()
        .map(|c| c.to_uppercase().chain(scope_chars).collect())
        .unwrap_or_default();
    format!("{capitalised}: {what}")
}

fn with_unit(rate: Rate, unit: &str) -> String {
    match rate.percent() {
        Some(percent) => format!("{percent}% ({} of {} {unit})", rate.part, rate.whole),
        None => "n/a".into(),
    }
}

/// "5 of 6 booked (83%)", or "n/a (none booked)" when there is nothing to divide.
fn count_first(rate: Rate, unit: &str, nothing: &str) -> String {
    match rate.percent() {
        Some(percent) => format!("{} of {} {unit} ({percent}%)", rate.part, rate.whole),
        None => format!("n/a ({nothing})"),
    }
}

fn role_plural(role: Role) -> &'static str {
    match role {
        Role::Mentor => "Mentors",
        Role::Mentee => "Mentees",
        Role::Peer => "Peers",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::evaluation::Scores;
    use crate::domain::stats::Standings;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 6, 1, 9, 0, 0).unwrap()
    }

    fn text_of(report: &Stats) -> String {
        stats_reply(&test_program(), report, now()).text
    }

    fn test_program() -> Program {
        Program::new(
            crate::domain::ids::ProgramId(1),
            crate::domain::ids::GuildId(1),
            "hallway",
        )
    }

    fn report(rounds: u32, window: bool) -> Stats {
        Stats {
            members: vec![
                (
                    Role::Mentor,
                    Standings {
                        active: 3,
                        paused: 1,
                        left: 0,
                    },
                ),
                (Role::Mentee, Standings::default()),
                (Role::Peer, Standings::default()),
            ],
            rounds: (1..=rounds)
                .map(|number| RoundStats {
                    number,
                    due_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
                        + chrono::Duration::weeks(i64::from(number)),
                    tally: Tally {
                        chats: 2,
                        people: 4,
                        met_chats: 1,
                        skipped: 1,
                        pairs: 2,
                        repeat_pairs: 0,
                        booked_chats: 1,
                        booked_met_chats: 1,
                    },
                })
                .collect(),
            window_start: window.then(|| Utc.with_ymd_and_hms(2026, 11, 9, 9, 0, 0).unwrap()),
            wins: stats::counts_in_order(&[(crate::domain::wins::WinKind::Grant, 2)]),
            feedback: stats::counts_in_order::<crate::domain::group::Rating>(&[]),
            // One pair's two answers a round, one good: every two rounds make a block.
            fit_by_round: (1..=rounds).map(|number| fit(number, 2, 1)).collect(),
            surveys: Vec::new(),
        }
    }

    #[test]
    fn the_text_gives_members_rounds_rates_wins_and_feedback() {
        let text = text_of(&report(2, false));
        for needle in [
            "**hallway stats** · every round (rounds 1–2)",
            "Mentors: 3 active · 1 paused · 0 left",
            "Round 2 (16 Nov 2026): 2 chats, 4 people · met 50% (1 of 2) · repeats 0% (0 of 2) · skipped 25% (1 of 4)",
            "**Overall**: 4 chats, 8 people · meeting rate 50% (2 of 4 chats) · repeat rate 0% (0 of 4 pairs) · skip rate 25% (2 of 8 people)",
            "**Booked**: 2 of 4 chats (50%). Met: 2 of 2 booked (100%), 0 of 2 unbooked (0%).",
            "**Wins**: grant 2 (2 in all)",
            "**How was it?** great 0 · good 0 · meh 0",
        ] {
            assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
        }
        assert_eq!(
            chart_title(&report(2, false)),
            "Every round (rounds 1–2): people matched and meeting rate"
        );
    }

    #[test]
    fn the_booking_line_puts_booked_and_unbooked_meeting_rates_side_by_side() {
        let tally = Tally {
            chats: 10,
            met_chats: 6,
            booked_chats: 6,
            booked_met_chats: 5,
            ..Tally::default()
        };
        assert_eq!(
            booking_line(tally),
            "**Booked**: 6 of 10 chats (60%). Met: 5 of 6 booked (83%), 1 of 4 unbooked (25%)."
        );
    }

    #[test]
    fn a_booking_rate_with_nothing_to_count_says_so() {
        let none_booked = Tally {
            chats: 3,
            met_chats: 1,
            ..Tally::default()
        };
        assert_eq!(
            booking_line(none_booked),
            "**Booked**: 0 of 3 chats (0%). Met: n/a (none booked), 1 of 3 unbooked (33%)."
        );
        let all_booked = Tally {
            chats: 2,
            booked_chats: 2,
            ..Tally::default()
        };
        assert_eq!(
            booking_line(all_booked),
            "**Booked**: 2 of 2 chats (100%). Met: 0 of 2 booked (0%), n/a (none unbooked)."
        );
        assert_eq!(
            booking_line(Tally::default()),
            "**Booked**: n/a (no chats). Met: n/a (none booked), n/a (none unbooked)."
        );
    }

    #[test]
    fn the_programs_summary_line_ends_with_the_booking_rate_and_fit() {
        assert_eq!(
            summary_line(&test_program(), &report(2, false)),
            "**hallway**: 3 active members · 2 rounds · 4 chats · meeting rate 50% (2 of 4 chats) \
             · booked 50% (2 of 4 chats) · good fit 50% (2 of 4)"
        );
        let mut no_fit = report(2, false);
        no_fit.fit_by_round.clear();
        assert!(
            summary_line(&test_program(), &no_fit).ends_with("booked 50% (2 of 4 chats)"),
            "no fit answers, no fit rate"
        );
        let one_pair = report(1, false);
        assert!(
            summary_line(&test_program(), &one_pair).ends_with("booked 50% (1 of 2 chats)"),
            "one pair's two answers, no fit rate: {}",
            summary_line(&test_program(), &one_pair)
        );
    }

    #[test]
    fn a_window_says_so_and_dates_the_wins() {
        let text = text_of(&report(1, true));
        assert!(text.contains("the last 1 round (round 1)"), "{text}");
        assert!(
            text.contains("**Wins** since 9 Nov 2026: grant 2"),
            "{text}"
        );
    }

    #[test]
    fn many_rounds_fit_in_one_discord_message() {
        let text = text_of(&report(520, false));
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        assert!(
            text.contains("**Booked**: 520 of 1040 chats (50%)"),
            "{text}"
        );
        assert!(text.contains("512 earlier rounds are in the chart"));
        assert!(text.contains("Round 520 ("));
        assert!(!text.contains("Round 512 ("));
    }

    #[test]
    fn no_rounds_yet_is_said_plainly() {
        let text = text_of(&report(0, false));
        assert!(text.contains("**Rounds**: none yet"), "{text}");
        assert!(!text.contains("**Booked**"), "{text}");
        assert!(text.contains("**Wins**: grant 2"));
    }

    fn scale(position: u32, prompt: &str, count: u32, sum: u32) -> QuestionResult {
        QuestionResult {
            position,
            kind: QuestionKind::Scale,
            prompt: prompt.into(),
            scores: Scores::new(count, sum),
            texts: Vec::new(),
        }
    }

    fn free_text(position: u32, prompt: &str, texts: &[String]) -> QuestionResult {
        QuestionResult {
            position,
            kind: QuestionKind::Text,
            prompt: prompt.into(),
            scores: Scores::default(),
            texts: texts.to_vec(),
        }
    }

    /// A halfway survey after round `round`: 12 invited, 9 answered, 1 declined; two
    /// scale questions and a text question with `texts`.
    fn survey(round: Option<u32>, texts: &[String]) -> SurveyResult {
        let started_at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        SurveyResult {
            occasion: SurveyOccasion::Halfway,
            started_at,
            closes_at: started_at + chrono::Duration::days(14),
            round,
            invited: 12,
            answered: 9,
            declined: 1,
            questions: vec![
                scale(1, "I felt connected to others in this program.", 9, 38),
                scale(2, "My chats happened as often as I hoped.", 4, 17),
                free_text(3, "One thing that would make this program better.", texts),
            ],
        }
    }

    fn answers(n: usize, chars: usize) -> Vec<String> {
        (1..=n)
            .map(|i| format!("answer {i} ") + &"x".repeat(chars.saturating_sub(10)))
            .collect()
    }

    fn with_surveys(mut report: Stats, surveys: Vec<SurveyResult>) -> Stats {
        report.surveys = surveys;
        report
    }

    fn fit(number: u32, answers: u32, good: u32) -> stats::RoundFit {
        stats::RoundFit {
            number,
            answers,
            good,
        }
    }

    /// A report of the last `shown` rounds of a program with these fit answers (and
    /// those rounds), round by round from round 1.
    fn with_fits(shown: u32, answers: &[(u32, u32)]) -> Stats {
        let rounds = answers.len() as u32;
        let mut report = report(rounds, shown < rounds);
        report.rounds.drain(..(rounds - shown) as usize);
        report.fit_by_round = answers
            .iter()
            .zip(1..)
            .map(|(&(answers, good), number)| fit(number, answers, good))
            .collect();
        report
    }

    #[test]
    fn the_fit_line_counts_good_fit_answers_only() {
        let text = text_of(&with_fits(1, &[(9, 7)]));
        assert!(
            text.contains("**Fit**: 7 of 9 answers good fit (78%)\n"),
            "{text}"
        );
        assert_eq!(
            fit_line(&with_fits(2, &[(0, 0), (0, 0)])),
            "**Fit**: no answers yet"
        );
        assert_eq!(
            fit_line(&with_fits(1, &[(4, 4), (0, 0)])),
            "**Fit**: no answers in these rounds"
        );
        let text = text_of(&report(2, false));
        assert!(
            text.contains("**Fit**: 2 of 4 answers good fit (50%)"),
            "two rounds of two answers make one block: {text}"
        );
    }

    #[test]
    fn a_round_with_one_pairs_fit_answers_shows_no_rate() {
        // The last round only, where one new pair met and both answered.
        for good in 0..=2 {
            let last = with_fits(1, &[(6, 5), (4, 3), (2, good)]);
            let text = text_of(&last);
            assert!(
                text.contains(
                    "**Fit**: 2 answers since round 3 · a rate is shown from 3 answers on\n"
                ),
                "{text}"
            );
            assert!(!text.contains("good fit ("), "{text}");
            assert!(
                text.contains(
                    "Rates and means need 3 answers: fewer fit answers wait for the next rounds'."
                ),
                "{text}"
            );
        }
        // Every round: the earlier rounds' rate, and round 3's two answers waiting.
        let all = with_fits(3, &[(6, 5), (4, 3), (2, 0)]);
        assert_eq!(
            fit_line(&all),
            "**Fit**: 8 of 10 answers good fit (80%) · 2 more answers since round 3, shown \
             from 3 answers on"
        );
        // One answer: the same.
        let one = with_fits(1, &[(1, 1)]);
        assert_eq!(
            fit_line(&one),
            "**Fit**: 1 answer since round 1 · a rate is shown from 3 answers on"
        );
    }

    #[test]
    fn a_round_with_three_fit_answers_shows_its_rate() {
        let last = with_fits(1, &[(6, 5), (4, 3), (3, 2)]);
        assert_eq!(fit_line(&last), "**Fit**: 2 of 3 answers good fit (67%)");
        // One answer in round 2 and two in round 3: pooled, and the text says so.
        let pooled = with_fits(1, &[(6, 5), (1, 1), (2, 1)]);
        assert_eq!(
            fit_line(&pooled),
            "**Fit**: 2 of 3 answers good fit (67%), about rounds 2–3"
        );
    }

    #[test]
    fn a_survey_shows_its_occasion_counts_response_rate_and_means() {
        let texts = answers(3, 20);
        let text = text_of(&with_surveys(
            report(2, false),
            vec![survey(Some(2), &texts)],
        ));
        for needle in [
            "**Surveys**",
            "**Halfway survey** · 20 Nov 2026, after round 2 · 12 invited · 9 answered · 1 declined · response rate 75% (9 of 12)",
            "1. I felt connected to others in this program. · 9 answers · mean 4.2",
            "2. My chats happened as often as I hoped. · 4 answers · mean 4.3",
            "3. One thing that would make this program better. · 3 answers:",
        ] {
            assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
        }
        for answer in &texts {
            assert!(text.contains(&format!("> {answer}")), "{text}");
        }
        assert!(!text.contains("open until"), "closed by now: {text}");
        let open = stats_reply(
            &test_program(),
            &with_surveys(report(2, false), vec![survey(None, &texts)]),
            Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap(),
        );
        assert!(
            open.text
                .contains("20 Nov 2026, before the first round, open until 4 Dec 2026 ·"),
            "{}",
            open.text
        );
        assert_eq!(open.surveys_file, None, "everything fits in the text");
    }

    #[test]
    fn free_text_is_hidden_with_two_answers_and_shown_with_three() {
        let two = answers(2, 20);
        let text = text_of(&with_surveys(report(2, false), vec![survey(Some(1), &two)]));
        assert!(
            text.contains(
                "3. One thing that would make this program better. · 2 answers · texts are shown from 3 answers on"
            ),
            "{text}"
        );
        for answer in &two {
            assert!(!text.contains(answer.as_str()), "{text}");
        }
        let three = answers(3, 20);
        let text = text_of(&with_surveys(
            report(2, false),
            vec![survey(Some(1), &three)],
        ));
        assert!(three.iter().all(|a| text.contains(a.as_str())), "{text}");
    }

    #[test]
    fn a_scale_question_with_two_answers_shows_no_mean_and_the_surveys_mean_leaves_it_out() {
        let mut two = survey(Some(2), &answers(3, 20));
        two.questions[1].scores = Scores::new(2, 9);
        assert_eq!(
            question_line(&two.questions[1], 100),
            "2. My chats happened as often as I hoped. · 2 answers · a mean is shown from 3 \
             answers on"
        );
        let text = text_of(&with_surveys(report(2, false), vec![two.clone()]));
        assert!(
            text.contains(
                "2. My chats happened as often as I hoped. · 2 answers · a mean is shown from 3 answers on"
            ),
            "{text}"
        );
        assert!(!text.contains("mean 4.5"), "{text}");
        // In short, the survey's mean is question 1's alone (38 / 9).
        assert_eq!(
            survey_in_short(&two),
            "**Halfway survey**, 20 Nov 2026: 9 of 12 answered (75%), mean 4.2"
        );
        let mut all_thin = two.clone();
        all_thin.questions[0].scores = Scores::new(1, 5);
        assert_eq!(
            survey_in_short(&all_thin),
            "**Halfway survey**, 20 Nov 2026: 9 of 12 answered (75%)"
        );
        let file = surveys_file(
            &test_program(),
            &with_surveys(report(1, false), vec![two]),
            now(),
        );
        assert!(
            file.contains("· 2 answers · a mean is shown from 3 answers on"),
            "{file}"
        );
    }

    #[test]
    fn a_question_nobody_answered_says_so() {
        let mut empty = survey(Some(1), &[]);
        empty.questions[0].scores = Scores::default();
        assert_eq!(
            question_line(&empty.questions[0], 100),
            "1. I felt connected to others in this program. · no answers yet"
        );
        assert_eq!(
            question_line(&empty.questions[2], 100),
            "3. One thing that would make this program better. · no answers yet"
        );
    }

    #[test]
    fn many_long_answers_are_cut_to_fit_and_the_surveys_file_has_them_all() {
        let texts = answers(40, 500);
        let full = with_surveys(
            report(12, false),
            vec![survey(Some(4), &answers(5, 300)), survey(Some(12), &texts)],
        );
        let reply = stats_reply(&test_program(), &full, now());
        let text = &reply.text;
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        assert!(
            !text.contains("cut to fit Discord"),
            "laid out to fit, not cut: {text}"
        );
        assert!(text.contains("**Fit**"), "{text}");
        assert!(
            text.contains("_Met: chats where"),
            "the footnote stays: {text}"
        );
        // The latest rounds, the latest survey's questions and some of its texts.
        assert!(text.contains("Round 12 ("), "{text}");
        assert!(text.contains("Round 10 ("), "{text}");
        assert!(text.contains("after round 12 ·"), "{text}");
        assert!(
            text.contains("2. My chats happened as often as I hoped. · 4 answers"),
            "{text}"
        );
        assert!(text.contains("> answer 1 xxx"), "{text}");
        assert!(text.contains("…\n"), "a long answer is cut: {text}");
        assert!(text.contains("… and "), "{text}");
        assert!(
            text.contains(&format!("attached `{SURVEYS_FILE_NAME}`")),
            "{text}"
        );
        let file = reply.surveys_file.expect("the surveys file");
        for answer in texts.iter().chain(&answers(5, 300)) {
            assert!(file.contains(answer.as_str()), "the file has {answer:?}");
        }
        assert!(file.contains("Halfway survey · 20 Nov 2026, after round 4"));
        assert!(
            file.contains("1. I felt connected to others in this program. · 9 answers · mean 4.2")
        );
    }

    #[test]
    fn the_layout_fits_every_size_of_report() {
        for rounds in [0, 1, 3, 8, 520] {
            for surveys in [0, 1, 2, 4, 7] {
                for texts in [0, 2, 3, 20, 300] {
                    let report = with_surveys(
                        report(rounds, false),
                        (0..surveys)
                            .map(|i| survey(Some(i + 1), &answers(texts, 500)))
                            .collect(),
                    );
                    let reply = stats_reply(&test_program(), &report, now());
                    let case = format!("{rounds} rounds, {surveys} surveys, {texts} texts");
                    assert!(reply.text.chars().count() <= 2_000, "{case}");
                    assert!(
                        !reply.text.contains("cut to fit Discord"),
                        "{case}:\n{}",
                        reply.text
                    );
                    if rounds > 0 {
                        assert!(reply.text.contains(&format!("Round {rounds} (")), "{case}");
                    }
                    if surveys > 0 {
                        assert!(reply.text.contains("response rate 75% (9 of 12)"), "{case}");
                    }
                    assert_eq!(
                        reply.surveys_file.is_some(),
                        reply.text.contains(SURVEYS_FILE_NAME),
                        "{case}: the text names the file it comes with"
                    );
                    if surveys as usize > SURVEYS_IN_TEXT {
                        assert!(
                            reply.text.contains("earlier surveys before these"),
                            "{case}"
                        );
                        assert!(reply.surveys_file.is_some(), "{case}");
                    }
                    // With a survey or two, some of the latest texts always fit.
                    if texts >= 3 && (1..=2).contains(&surveys) {
                        assert!(
                            reply.text.contains("> answer "),
                            "{case}: some text shown\n{}",
                            reply.text
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_report_without_surveys_says_how_to_run_one() {
        let text = text_of(&report(2, false));
        assert!(
            text.contains("**Surveys**: none yet (`/hallway-admin survey start` runs one)"),
            "{text}"
        );
        let text = text_of(&report(2, true));
        assert!(text.contains("**Surveys**: none in these rounds"), "{text}");
    }

    #[test]
    fn the_programs_summary_line_gains_fit_and_the_latest_surveys_response_rate() {
        let line = summary_line(
            &test_program(),
            &with_surveys(report(2, false), vec![survey(Some(2), &[])]),
        );
        assert!(
            line.ends_with(
                "· booked 50% (2 of 4 chats) · good fit 50% (2 of 4) · latest survey answered 75% (9 of 12)"
            ),
            "{line}"
        );
    }

    #[test]
    fn the_charts_are_titled_by_the_rounds_they_show() {
        let report = report(2, false);
        assert_eq!(
            evaluation_chart_title(&report),
            "Every round (rounds 1–2): meeting rate, good fit and survey mean"
        );
    }

    #[test]
    fn uploads_are_split_by_size_and_count() {
        assert_eq!(
            pack_uploads(&[10, 20, 30], 100, 10),
            UploadPlan {
                messages: vec![vec![0, 1, 2]],
                too_large: vec![]
            }
        );
        assert_eq!(
            pack_uploads(&[60, 50, 500, 40], 100, 10),
            UploadPlan {
                messages: vec![vec![0], vec![1, 3]],
                too_large: vec![2]
            }
        );
        assert_eq!(
            pack_uploads(&[1, 1, 1], 100, 2).messages,
            [vec![0, 1], vec![2]]
        );
        // Nothing fits: one message still carries the explanation.
        assert_eq!(
            pack_uploads(&[500], 100, 10),
            UploadPlan {
                messages: vec![vec![]],
                too_large: vec![0]
            }
        );
    }

    #[test]
    fn a_file_too_large_is_named_with_the_offline_command() {
        let files = vec![
            CsvFile {
                name: "hallway-rounds.csv".into(),
                bytes: vec![],
                rows: 3,
            },
            CsvFile {
                name: "hallway-groups.csv".into(),
                bytes: vec![],
                rows: 900_000,
            },
        ];
        let text = export_text(
            &test_program(),
            &files,
            &[1],
            crate::domain::ids::GuildId(42),
        );
        assert!(
            text.contains("`hallway-rounds.csv` (3 rows), `hallway-groups.csv` (900000 rows)"),
            "{text}"
        );
        assert!(
            text.contains("`hallway-groups.csv` is too large for Discord"),
            "{text}"
        );
        assert!(
            text.contains("hallway export --guild 42 --program \"hallway\" --out DIR"),
            "{text}"
        );
    }
}
