//! The rows of a community's export (`/hallway-admin export`, `hallway export`), for
//! program evaluation: one struct per CSV file. Avoid lists are never part of it, and
//! feedback leaves as counts per round, so coordinators only see aggregates.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::group::{OutcomeStatus, Rating};
use super::ids::UserId;
use super::profile::Role;
use super::round::{RoundState, Trigger};
use super::survey::{texts_to_show, QuestionKind, SurveyOccasion};
use super::wins::WinKind;

/// One row of `rounds.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoundRow {
    pub round: u32,
    pub due_at: DateTime<Utc>,
    pub trigger: Trigger,
    pub state: RoundState,
    pub chats: u32,
    pub people: u32,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One row of `groups.csv`: a member of a group. Members who asked to be forgotten have
/// no row; `group_size` still counts them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupRow {
    pub round: u32,
    /// The group's number within its round, from 1.
    pub group: u32,
    pub group_size: u32,
    pub user_id: UserId,
    pub role: Role,
    /// When the group's booked chat starts; `None` while it has no booked time (never
    /// booked, or rescheduled and not booked again). Last, so readers of the older
    /// columns keep working.
    pub booked_for: Option<DateTime<Utc>>,
}

/// One row of `outcomes.csv`: what a member said happened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OutcomeRow {
    pub round: u32,
    pub group: u32,
    pub user_id: UserId,
    pub status: OutcomeStatus,
    pub recorded_at: DateTime<Utc>,
}

/// One row of `feedback.csv`: how many answers of one rating a round had. No member and
/// no group, so no answer can be traced to a person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub round: u32,
    pub rating: Rating,
    pub answers: u32,
}

/// One row of `wins.csv`: a celebrated win, public when it was posted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WinRow {
    pub created_at: DateTime<Utc>,
    pub user_id: UserId,
    pub kind: WinKind,
    pub description: String,
    pub link: Option<String>,
}

/// One row of `survey.csv`: one answer, under its respondent's random key. Never a
/// Discord id or a name. A text answer to a question fewer than
/// [`super::survey::MIN_TEXT_RESPONDENTS`] people answered in words is left blank
/// ([`withhold_rare_texts`]); its row stays, so the counts are right.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SurveyAnswerRow {
    pub survey: i64,
    pub occasion: SurveyOccasion,
    /// The day the survey started, in UTC.
    pub started: NaiveDate,
    pub respondent: String,
    pub question: u8,
    pub kind: QuestionKind,
    pub prompt: String,
    pub score: Option<u8>,
    pub text: Option<String>,
}

/// Blanks the text answers of every question (of every survey) that fewer than three
/// people answered in words, by the same rule stats follow ([`texts_to_show`]).
pub fn withhold_rare_texts(rows: &mut [SurveyAnswerRow]) {
    let mut texts: std::collections::BTreeMap<(i64, u8), Vec<String>> = Default::default();
    for row in rows.iter() {
        if let Some(text) = &row.text {
            texts
                .entry((row.survey, row.question))
                .or_default()
                .push(text.clone());
        }
    }
    for row in rows.iter_mut() {
        let shown = texts
            .get(&(row.survey, row.question))
            .is_some_and(|answers| !texts_to_show(answers).is_empty());
        if !shown {
            row.text = None;
        }
    }
}

/// Everything the export holds, read in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRows {
    pub rounds: Vec<RoundRow>,
    pub groups: Vec<GroupRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub feedback: Vec<FeedbackRow>,
    pub wins: Vec<WinRow>,
    pub survey: Vec<SurveyAnswerRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(survey: i64, question: u8, text: Option<&str>) -> SurveyAnswerRow {
        SurveyAnswerRow {
            survey,
            occasion: SurveyOccasion::Manual,
            started: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            respondent: format!("{:016x}", text.map_or(0, str::len)),
            question,
            kind: if text.is_some() {
                QuestionKind::Text
            } else {
                QuestionKind::Scale
            },
            prompt: "Q".into(),
            score: text.is_none().then_some(4),
            text: text.map(String::from),
        }
    }

    #[test]
    fn text_answers_stay_only_where_three_people_answered_the_question() {
        let mut rows = vec![
            answer(1, 5, Some("a")),
            answer(1, 5, Some("bb")),
            answer(1, 5, Some("ccc")),
            answer(1, 4, Some("lonely")),
            answer(2, 5, Some("other survey")),
            answer(1, 1, None),
        ];
        withhold_rare_texts(&mut rows);
        let texts: Vec<Option<&str>> = rows.iter().map(|r| r.text.as_deref()).collect();
        assert_eq!(
            texts,
            [Some("a"), Some("bb"), Some("ccc"), None, None, None]
        );
        assert_eq!(rows.len(), 6, "every answer keeps its row");
        assert_eq!(rows[5].score, Some(4));
    }
}
