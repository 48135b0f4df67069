//! The CSV export for program evaluation: the same six files per program for
//! `/hallway-admin export` and for `hallway export --guild ID [--program NAME] --out DIR`,
//! each named after its program. Avoid lists are never exported, feedback leaves as
//! counts per round, and survey answers under random respondent keys, never a Discord id
//! (free text only where at least three people answered the question).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;

use crate::domain::export::ExportRows;
use crate::domain::ids::GuildId;
use crate::domain::program::Program;
use crate::storage::Store;

/// `hallway export`: write one server's CSV files to a directory.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The Discord server (guild) id, e.g. 123456789012345678. In Discord: turn on
    /// Developer Mode, right-click the server, Copy Server ID.
    #[arg(long, value_name = "ID")]
    pub guild: String,
    /// Only this program, by name (any case); by default every program of the server,
    /// each in its own files.
    #[arg(long, value_name = "NAME")]
    pub program: Option<String>,
    /// Where to write the CSV files; created if missing, files of the same name replaced.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// One CSV file, ready to attach or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// `<program>-<table>.csv`, the program's name made safe for a file name.
    pub name: String,
    pub bytes: Vec<u8>,
    /// Data rows, not counting the header.
    pub rows: usize,
}

const ROUNDS_HEADER: [&str; 8] = [
    "round",
    "due_at",
    "trigger",
    "state",
    "chats",
    "people",
    "created_at",
    "delivered_at",
];
/// `booked_for` came last, after the other columns, so readers of the older file still work.
const GROUPS_HEADER: [&str; 6] = [
    "round",
    "group",
    "group_size",
    "user_id",
    "role",
    "booked_for",
];
const OUTCOMES_HEADER: [&str; 5] = ["round", "group", "user_id", "status", "recorded_at"];
const FEEDBACK_HEADER: [&str; 3] = ["round", "rating", "answers"];
const WINS_HEADER: [&str; 5] = ["created_at", "user_id", "kind", "description", "link"];
const SURVEY_HEADER: [&str; 9] = [
    "survey",
    "occasion",
    "started",
    "respondent",
    "question",
    "kind",
    "prompt",
    "score",
    "text",
];

/// A program's name as the start of a file name: lower case letters, digits and dashes.
pub fn file_stem(program_name: &str) -> String {
    let mut stem = String::new();
    for c in program_name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            stem.push(c);
        } else if !stem.is_empty() && !stem.ends_with('-') {
            stem.push('-');
        }
    }
    let stem: String = stem.trim_end_matches('-').chars().take(60).collect();
    let stem = stem.trim_end_matches('-').to_string();
    if stem.is_empty() {
        "program".to_string()
    } else {
        stem
    }
}

/// The six files, in the order they are attached: rounds, groups, outcomes, feedback,
/// wins, survey, each named `<stem>-<table>.csv`.
pub fn csv_files(stem: &str, rows: &ExportRows) -> anyhow::Result<Vec<CsvFile>> {
    let wins: Vec<_> = rows
        .wins
        .iter()
        .map(|win| {
            let mut win = win.clone();
            win.description = defuse(&win.description);
            win.link = win.link.as_deref().map(defuse);
            win
        })
        .collect();
    let survey: Vec<_> = rows
        .survey
        .iter()
        .map(|answer| {
            let mut answer = answer.clone();
            answer.prompt = defuse(&answer.prompt);
            answer.text = answer.text.as_deref().map(defuse);
            answer
        })
        .collect();
    Ok(vec![
        csv_file(format!("{stem}-rounds.csv"), &ROUNDS_HEADER, &rows.rounds)?,
        csv_file(format!("{stem}-groups.csv"), &GROUPS_HEADER, &rows.groups)?,
        csv_file(
            format!("{stem}-outcomes.csv"),
            &OUTCOMES_HEADER,
            &rows.outcomes,
        )?,
        csv_file(
            format!("{stem}-feedback.csv"),
            &FEEDBACK_HEADER,
            &rows.feedback,
        )?,
        csv_file(format!("{stem}-wins.csv"), &WINS_HEADER, &wins)?,
        csv_file(format!("{stem}-survey.csv"), &SURVEY_HEADER, &survey)?,
    ])
}

/// The start of each program's file names, for programs written to one directory: two
/// names that make the same stem ("Postdoc circles", "Postdoc-circles") get their program
/// ids added, so no program's files replace another's.
pub fn file_stems(programs: &[&Program]) -> Vec<String> {
    let stems: Vec<String> = programs.iter().map(|p| file_stem(&p.name)).collect();
    stems
        .iter()
        .zip(programs)
        .map(|(stem, program)| {
            if stems.iter().filter(|s| *s == stem).count() > 1 {
                format!("{stem}-{}", program.program_id)
            } else {
                stem.clone()
            }
        })
        .collect()
}

/// Reads a program's rows and makes its files, named `<stem>-<table>.csv`.
pub async fn read(store: &Store, program: &Program, stem: &str) -> anyhow::Result<Vec<CsvFile>> {
    let rows = store
        .export_rows(program.guild_id, program.program_id)
        .await?;
    csv_files(stem, &rows)
}

/// Writes the files into `dir`, creating it if needed. Returns the paths written.
pub fn write_dir(files: &[CsvFile], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output directory {}", dir.display()))?;
    files
        .iter()
        .map(|file| {
            let path = dir.join(&file.name);
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

/// `--guild` as a Discord server id, or a message that says what one looks like.
pub fn parse_guild(input: &str) -> anyhow::Result<GuildId> {
    let trimmed = input.trim();
    match trimmed.parse::<u64>() {
        // Discord ids are 63-bit snowflakes; they are stored as SQLite integers.
        Ok(id) if id > 0 && id <= i64::MAX as u64 => Ok(GuildId(id)),
        _ => anyhow::bail!(
            "--guild must be a Discord server id, a number such as 123456789012345678, not '{}' \
             (in Discord: turn on Developer Mode, right-click the server, Copy Server ID)",
            crate::domain::validate::shorten(trimmed, 40)
        ),
    }
}

/// The header is written even when there are no rows, so an empty file still says what
/// its columns are.
fn csv_file<T: Serialize>(name: String, header: &[&str], rows: &[T]) -> anyhow::Result<CsvFile> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer
        .write_record(header)
        .with_context(|| format!("cannot write the header of {name}"))?;
    for row in rows {
        writer
            .serialize(row)
            .with_context(|| format!("cannot write a row of {name}"))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|err| anyhow::anyhow!("cannot finish {name}: {}", err.error()))?;
    Ok(CsvFile {
        name,
        bytes,
        rows: rows.len(),
    })
}

/// Members' free text opened in a spreadsheet must not run as a formula: a cell that
/// starts like one gets a leading apostrophe, which spreadsheets show as plain text.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::export::{
        FeedbackRow, GroupRow, OutcomeRow, RoundRow, SurveyAnswerRow, WinRow,
    };
    use crate::domain::group::{OutcomeStatus, Rating};
    use crate::domain::ids::UserId;
    use crate::domain::profile::Role;
    use crate::domain::round::{RoundState, Trigger};
    use crate::domain::survey::{QuestionKind, SurveyOccasion};
    use crate::domain::wins::WinKind;
    use chrono::{TimeZone, Utc};

    fn rows() -> ExportRows {
        let t = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        ExportRows {
            rounds: vec![RoundRow {
                round: 1,
                due_at: t,
                trigger: Trigger::Manual,
                state: RoundState::Matched,
                chats: 1,
                people: 2,
                created_at: t,
                delivered_at: None,
            }],
            groups: vec![
                GroupRow {
                    round: 1,
                    group: 1,
                    group_size: 2,
                    user_id: UserId(1_300_000_000_000_000_011),
                    role: Role::Mentee,
                    booked_for: Some(t + chrono::Duration::hours(54)),
                },
                GroupRow {
                    round: 1,
                    group: 2,
                    group_size: 2,
                    user_id: UserId(12),
                    role: Role::Mentor,
                    booked_for: None,
                },
            ],
            outcomes: vec![OutcomeRow {
                round: 1,
                group: 1,
                user_id: UserId(1_300_000_000_000_000_011),
                status: OutcomeStatus::Met,
                recorded_at: t,
            }],
            feedback: vec![FeedbackRow {
                round: 1,
                rating: Rating::Great,
                answers: 2,
            }],
            wins: vec![WinRow {
                created_at: t,
                user_id: UserId(7),
                kind: WinKind::Grant,
                description: "Our \"first\" grant, at last\nsecond line".into(),
                link: None,
            }],
            survey: vec![
                SurveyAnswerRow {
                    survey: 1,
                    occasion: SurveyOccasion::Halfway,
                    started: t.date_naive(),
                    respondent: "0a1b2c3d4e5f6071".into(),
                    question: 1,
                    kind: QuestionKind::Scale,
                    prompt: "I felt connected to others in this program.".into(),
                    score: Some(4),
                    text: None,
                },
                SurveyAnswerRow {
                    survey: 1,
                    occasion: SurveyOccasion::Halfway,
                    started: t.date_naive(),
                    respondent: "0a1b2c3d4e5f6071".into(),
                    question: 5,
                    kind: QuestionKind::Text,
                    prompt: "One thing that would make this program better.".into(),
                    score: None,
                    text: Some("More evening slots, please".into()),
                },
            ],
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(file: &CsvFile) -> Vec<T> {
        csv::Reader::from_reader(file.bytes.as_slice())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn every_file_parses_back_to_its_rows() {
        let rows = rows();
        let files = csv_files("faculty-mentoring", &rows).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "faculty-mentoring-rounds.csv",
                "faculty-mentoring-groups.csv",
                "faculty-mentoring-outcomes.csv",
                "faculty-mentoring-feedback.csv",
                "faculty-mentoring-wins.csv",
                "faculty-mentoring-survey.csv"
            ]
        );
        assert_eq!(parse::<RoundRow>(&files[0]), rows.rounds);
        assert_eq!(parse::<GroupRow>(&files[1]), rows.groups);
        assert_eq!(parse::<OutcomeRow>(&files[2]), rows.outcomes);
        assert_eq!(parse::<FeedbackRow>(&files[3]), rows.feedback);
        assert_eq!(parse::<WinRow>(&files[4]), rows.wins);
        assert_eq!(parse::<SurveyAnswerRow>(&files[5]), rows.survey);
        assert!(String::from_utf8_lossy(&files[0].bytes)
            .starts_with("round,due_at,trigger,state,chats,people,created_at,delivered_at\n1,2026-11-02T09:00:00Z,"));
    }

    #[test]
    fn booked_for_is_the_last_groups_column_in_utc_and_empty_when_not_booked() {
        let files = csv_files("hallway", &rows()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&files[1].bytes),
            "round,group,group_size,user_id,role,booked_for\n\
             1,1,2,1300000000000000011,mentee,2026-11-04T15:00:00Z\n\
             1,2,2,12,mentor,\n"
        );
    }

    #[test]
    fn empty_files_still_have_their_header() {
        let files = csv_files("hallway", &ExportRows::default()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&files[3].bytes),
            "round,rating,answers\n"
        );
        assert!(files.iter().all(|f| f.rows == 0));
    }

    #[test]
    fn the_survey_file_has_one_row_per_answer_and_no_discord_id() {
        let files = csv_files("hallway", &rows()).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&files[5].bytes),
            "survey,occasion,started,respondent,question,kind,prompt,score,text\n\
             1,halfway,2026-11-02,0a1b2c3d4e5f6071,1,scale,I felt connected to others in this program.,4,\n\
             1,halfway,2026-11-02,0a1b2c3d4e5f6071,5,text,One thing that would make this program better.,,\"More evening slots, please\"\n"
        );
        assert!(!SURVEY_HEADER.iter().any(|c| c.contains("user")));
    }

    #[test]
    fn a_survey_answer_that_looks_like_a_formula_stays_text() {
        let mut rows = rows();
        rows.survey[1].text = Some("=1+1".into());
        let files = csv_files("hallway", &rows).unwrap();
        let survey: Vec<SurveyAnswerRow> = parse(&files[5]);
        assert_eq!(survey[1].text.as_deref(), Some("'=1+1"));
    }

    #[test]
    fn feedback_names_nobody() {
        assert!(!FEEDBACK_HEADER
            .iter()
            .any(|c| c.contains("user") || c.contains("group")));
    }

    #[test]
    fn a_description_that_looks_like_a_formula_stays_text() {
        let mut rows = rows();
        rows.wins[0].description = "=HYPERLINK(\"http://x\")".into();
        rows.wins[0].link = Some("@evil".into());
        let files = csv_files("hallway", &rows).unwrap();
        let wins: Vec<WinRow> = parse(&files[4]);
        assert_eq!(wins[0].description, "'=HYPERLINK(\"http://x\")");
        assert_eq!(wins[0].link.as_deref(), Some("'@evil"));
        assert_eq!(defuse("Paper in Nature"), "Paper in Nature");
    }

    #[test]
    fn a_program_name_becomes_a_safe_file_name() {
        assert_eq!(
            file_stem("Faculty mentoring 2026"),
            "faculty-mentoring-2026"
        );
        assert_eq!(
            file_stem("  Postdoc / peer circles!! "),
            "postdoc-peer-circles"
        );
        assert_eq!(file_stem("../../etc"), "etc");
        assert_eq!(file_stem("Café Zürich"), "café-zürich");
        assert_eq!(file_stem("☕"), "program");
    }

    #[test]
    fn programs_whose_names_make_the_same_stem_get_their_ids_in_it() {
        use crate::domain::ids::{GuildId, ProgramId};
        let a = Program::new(ProgramId(3), GuildId(1), "Postdoc circles");
        let b = Program::new(ProgramId(7), GuildId(1), "Postdoc-circles");
        let c = Program::new(ProgramId(9), GuildId(1), "Faculty");
        assert_eq!(
            file_stems(&[&a, &b, &c]),
            ["postdoc-circles-3", "postdoc-circles-7", "faculty"]
        );
    }

    #[test]
    fn guild_ids_are_checked() {
        assert_eq!(
            parse_guild(" 1200000000000000001 ").unwrap(),
            GuildId(1_200_000_000_000_000_001)
        );
        for bad in ["", "abc", "0", "-5", "18446744073709551615", "12.5"] {
            let err = parse_guild(bad).unwrap_err().to_string();
            assert!(err.contains("--guild must be a Discord server id"), "{err}");
        }
    }
}
