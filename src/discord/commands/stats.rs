//! `/hallway-admin stats` and `/hallway-admin export`: numbers, a chart and CSV files for
//! program evaluation. Both answer privately, and defer first: the queries and the chart
//! may take longer than the 3 seconds Discord waits for a first answer.

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
use crate::domain::stats::{self, Rate, RoundStats, Stats, Tally};
use crate::export::CsvFile;

/// Rounds listed one by one in the text; the chart and the export have them all.
const ROUNDS_IN_TEXT: usize = 8;

/// What one message may carry: Discord allows 10 files and, for bots in servers without
/// boosts, 10 MiB in all; the rest of the budget is left for the form's own overhead.
const MAX_FILES_PER_MESSAGE: usize = 10;
const MAX_BYTES_PER_MESSAGE: usize = 9 * 1024 * 1024;

pub const CHART_FILE_NAME: &str = "hallway-stats.png";

/// Members, chats, meeting, repeat and skip rates, wins and feedback, with a chart.
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
    let report = store
        .stats(guild_id, program.program_id, window, Utc::now())
        .await?;
    let mut reply = private(render::fit(&stats_text(&program, &report)));
    if !report.rounds.is_empty() {
        let title = chart_title(&report);
        let series = report.series();
        let png = tokio::task::spawn_blocking(move || crate::chart::rounds_chart(&title, &series))
            .await
            .context("the chart task failed")??;
        reply = reply.attachment(serenity::CreateAttachment::bytes(png, CHART_FILE_NAME));
    }
    ctx.send(reply).await?;
    Ok(())
}

/// One program in the server-wide summary: members, rounds and meeting rate.
fn summary_line(program: &Program, report: &Stats) -> String {
    let active: u32 = report.members.iter().map(|(_, s)| s.active).sum();
    let total = report.totals();
    format!(
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
    )
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

/// The reply's text: members now, the rounds, the rates over them, wins and feedback.
fn stats_text(program: &Program, report: &Stats) -> String {
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

    if report.rounds.is_empty() {
        lines.push(
            "**Rounds**: none yet. The chart appears after the first round \
             (`/hallway-admin match-now`, or the schedule)."
                .into(),
        );
    } else {
        lines.push("**Rounds**".into());
        let skipped = report.rounds.len().saturating_sub(ROUNDS_IN_TEXT);
        if skipped > 0 {
            lines.push(format!(
                "… {skipped} earlier rounds are in the chart and in `/hallway-admin export`."
            ));
        }
        for round in &report.rounds[skipped..] {
            lines.push(round_line(round));
        }
        let total = report.totals();
        lines.push(format!(
            "**Overall**: {} chats, {} people · meeting rate {} · repeat rate {} · skip rate {}",
            total.chats,
            total.people,
            with_unit(total.meeting_rate(), "chats"),
            with_unit(total.repeat_rate(), "pairs"),
            with_unit(total.skip_rate(), "people"),
        ));
        lines.push(booking_line(total));
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
    lines.push(
        "_Meeting rate: chats where someone clicked “We met”. Repeat rate: pairs who had \
         been matched in an earlier round. Skip rate: people who clicked “Skip this round”. \
         Booked: chats with a booked time now; a rescheduled chat counts once booked again._"
            .into(),
    );
    lines.join("\n")
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

fn chart_title(report: &Stats) -> String {
    let scope = scope(report);
    let mut scope_chars = scope.chars();
    let capitalised: String = scope_chars
        .next()
        .map(|c| c.to_uppercase().chain(scope_chars).collect())
        .unwrap_or_default();
    format!("{capitalised}: people matched and meeting rate")
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
    use crate::domain::stats::Standings;
    use chrono::TimeZone;

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
                        fit_answers: 2,
                        good_fits: 1,
                    },
                })
                .collect(),
            window_start: window.then(|| Utc.with_ymd_and_hms(2026, 11, 9, 9, 0, 0).unwrap()),
            wins: stats::counts_in_order(&[(crate::domain::wins::WinKind::Grant, 2)]),
            feedback: stats::counts_in_order::<crate::domain::group::Rating>(&[]),
            surveys: Vec::new(),
        }
    }

    #[test]
    fn the_text_gives_members_rounds_rates_wins_and_feedback() {
        let text = stats_text(&test_program(), &report(2, false));
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
    fn the_programs_summary_line_ends_with_the_booking_rate() {
        assert_eq!(
            summary_line(&test_program(), &report(2, false)),
            "**hallway**: 3 active members · 2 rounds · 4 chats · meeting rate 50% (2 of 4 chats) \
             · booked 50% (2 of 4 chats)"
        );
    }

    #[test]
    fn a_window_says_so_and_dates_the_wins() {
        let text = stats_text(&test_program(), &report(1, true));
        assert!(text.contains("the last 1 round (round 1)"), "{text}");
        assert!(
            text.contains("**Wins** since 9 Nov 2026: grant 2"),
            "{text}"
        );
    }

    #[test]
    fn many_rounds_fit_in_one_discord_message() {
        let text = stats_text(&test_program(), &report(520, false));
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
        let text = stats_text(&test_program(), &report(0, false));
        assert!(text.contains("**Rounds**: none yet"), "{text}");
        assert!(!text.contains("**Booked**"), "{text}");
        assert!(text.contains("**Wins**: grant 2"));
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
