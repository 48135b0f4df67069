//! Evaluation surveys: up to five questions, each a 1-5 scale or a short text, asked of
//! a program's active members at its halfway point, at its end, or when a coordinator
//! starts one. Answers are anonymous to coordinators.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::ids::{GuildId, ProgramId, SurveyId};
use super::validate::{self, InputError};
use super::words::word_enum;

/// At most this many questions in a survey.
pub const MAX_QUESTIONS: usize = 5;
/// The longest free-text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 500;
/// Free-text answers are shown only when at least this many people answered them, so no
/// answer can be told apart as one person's.
pub const MIN_TEXT_RESPONDENTS: usize = 3;

/// The kind of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QuestionKind {
    /// 1 (strongly disagree) to 5 (strongly agree).
    Scale,
    /// A short free text, up to [`MAX_TEXT_ANSWER`] characters.
    Text,
}

word_enum!(QuestionKind, "question kind", {
    Scale => "scale", Text => "text",
});

/// Why a survey was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SurveyOccasion {
    Halfway,
    End,
    /// A coordinator's `/hallway-admin survey start`.
    Manual,
}

word_enum!(SurveyOccasion, "survey occasion", {
    Halfway => "halfway", End => "end", Manual => "manual",
});

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
}

/// The questions a program asks until a coordinator edits them: the study's themes.
pub fn default_questions() -> Vec<Question> {
    let scale = |prompt: &str| Question {
        kind: QuestionKind::Scale,
        prompt: prompt.to_string(),
    };
    vec![
        scale("I felt connected to others in this program."),
        scale("My chats happened as often as I hoped."),
        scale("The chats helped me in my work or career."),
        scale("I felt comfortable raising personal topics."),
        Question {
            kind: QuestionKind::Text,
            prompt: "One thing that would make this program better.".to_string(),
        },
    ]
}

/// The longest question. A prompt this short fits a text box's placeholder in full
/// (Discord allows 100 characters there), so the modal of a text question always shows
/// it; up to 45 characters it is the text box's label itself.
pub const MAX_PROMPT_CHARS: usize = 100;
/// Discord's limit on a modal text input's label.
pub const MAX_LABEL_CHARS: usize = 45;

/// When the one reminder goes, after a survey starts.
pub const REMIND_AFTER_DAYS: i64 = 3;
/// How long a survey takes answers.
pub const OPEN_FOR_DAYS: i64 = 7;
/// How long after its day (the midpoint, the last day) an automatic survey still starts:
/// a bot that was down, or dates set late, should not survey people weeks afterwards.
pub const AUTO_SURVEY_WINDOW_DAYS: i64 = 7;

/// Where a survey's invitee stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteState {
    /// Invited, and neither answered nor declined: the only ones the reminder goes to.
    Invited,
    /// Gave at least one answer.
    Answered,
    /// Said "No thanks".
    Declined,
}

word_enum!(InviteState, "invitation state", {
    Invited => "invited", Answered => "answered", Declined => "declined",
});

/// A coordinator's switch: on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnOff {
    On,
    Off,
}

word_enum!(OnOff, "setting", {
    On => "on", Off => "off",
});

/// One answer, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 1 to 5.
    Score(u8),
    /// A checked text (see [`text_answer`]).
    Text(String),
}

/// A survey as it was started: its questions are the ones asked, whatever the program's
/// questions are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub survey_id: SurveyId,
    pub guild_id: GuildId,
    pub program_id: ProgramId,
    pub program_name: String,
    pub occasion: SurveyOccasion,
    pub started_at: DateTime<Utc>,
    pub remind_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// In order: position 1 first.
    pub questions: Vec<Question>,
}

impl Survey {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        now < self.closes_at
    }

    /// The question at `position` (from 1), if the survey has one there.
    pub fn question(&self, position: u8) -> Option<&Question> {
        usize::from(position)
            .checked_sub(1)
            .and_then(|i| self.questions.get(i))
    }
}

/// A member's invitation to a survey: their anonymous key and where they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub respondent: String,
    pub state: InviteState,
}

/// A survey that was just started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub survey_id: SurveyId,
    pub invited: usize,
    pub questions: usize,
    pub remind_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

/// Why a survey was not started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStarted {
    /// Another survey of the program takes answers until then.
    AlreadyOpen { closes_at: DateTime<Utc> },
    /// The program's halfway or end survey ran already.
    AlreadyRan,
    /// Nobody to ask: no member who joined, has not left and is not paused.
    NoActiveMembers,
}

/// When a survey started now sends its reminder and closes.
pub fn survey_times(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now + Duration::days(REMIND_AFTER_DAYS),
        now + Duration::days(OPEN_FOR_DAYS),
    )
}

/// The automatic survey due on `today` (the program's local date) for a program running
/// from `start` to `end` (its last day), if any: the halfway survey from the midpoint,
/// the end survey from the last day, each for [`AUTO_SURVEY_WINDOW_DAYS`] days (the
/// halfway one never on or after the last day). Later than that, asking is pointless; the
/// store starts each at most once, so this may be asked every pass.
pub fn due_auto_survey(
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Option<SurveyOccasion> {
    if end <= start || today < start {
        return None;
    }
    let window = Duration::days(AUTO_SURVEY_WINDOW_DAYS);
    if today >= end {
        (today < end + window).then_some(SurveyOccasion::End)
    } else {
        let midpoint = halfway(start, end);
        (today >= midpoint && today < midpoint + window).then_some(SurveyOccasion::Halfway)
    }
}

/// The midpoint of a program running from `start` to `end`: the halfway survey's day,
/// the same as the halfway celebration's.
pub fn halfway(start: NaiveDate, end: NaiveDate) -> NaiveDate {
    start + (end - start) / 2
}

/// A new anonymous respondent key: random, never derived from who it belongs to.
pub fn respondent_key(rng: &mut impl rand::Rng) -> String {
    format!("{:016x}", rng.random::<u64>())
}

/// A question's prompt as a coordinator typed it, checked.
pub fn prompt(input: &str) -> Result<String, InputError> {
    validate::text(input, "The question", MAX_PROMPT_CHARS)
}

/// A question's position as a coordinator typed it: 1 to [`MAX_QUESTIONS`].
pub fn position(value: i64) -> Result<usize, InputError> {
    match usize::try_from(value) {
        Ok(n) if (1..=MAX_QUESTIONS).contains(&n) => Ok(n),
        _ => Err(InputError::new(format!(
            "The position {value} is not one of 1 to {MAX_QUESTIONS}: a survey has at most \
             {MAX_QUESTIONS} questions."
        ))),
    }
}

/// The questions with the one at `position` set to `question`: an existing one is
/// replaced, and the next free position adds one. Positions have no gaps.
pub fn with_question(
    current: &[Question],
    position: usize,
    question: Question,
) -> Result<Vec<Question>, InputError> {
    let mut questions = current.to_vec();
    match position.checked_sub(1) {
        Some(i) if i < questions.len() => questions[i] = question,
        Some(i) if i == questions.len() && i < MAX_QUESTIONS => questions.push(question),
        _ => {
            let have = match questions.len() {
                1 => "There is 1 question".to_string(),
                n => format!("There are {n} questions"),
            };
            return Err(InputError::new(format!(
                "{have} now, so position {position} would leave a gap. Change one of 1 to {} \
                 or add the next one at position {}.",
                questions.len(),
                (questions.len() + 1).min(MAX_QUESTIONS)
            )));
        }
    }
    Ok(questions)
}

/// The questions without the one at `position`; the later ones move up. A survey keeps
/// at least one question.
pub fn without_question(
    current: &[Question],
    position: usize,
) -> Result<Vec<Question>, InputError> {
    if position == 0 || position > current.len() {
        return Err(InputError::new(format!(
            "There is no question {position}: the survey has {} (see `/hallway-admin survey questions`).",
            current.len()
        )));
    }
    if current.len() == 1 {
        return Err(InputError::new(
            "A survey needs at least one question, so the last one stays. Change it with \
             `/hallway-admin survey question position:1`, or go back to the defaults with \
             `/hallway-admin survey reset`.",
        ));
    }
    let mut questions = current.to_vec();
    questions.remove(position - 1);
    Ok(questions)
}

/// A free-text answer as a member typed it: trimmed, not empty, within
/// [`MAX_TEXT_ANSWER`] characters.
pub fn text_answer(input: &str) -> Result<String, InputError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(InputError::new(
            "Your answer was empty, so nothing was saved. Click **Write an answer** to try \
             again, or **Skip** to leave this question out.",
        ));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_TEXT_ANSWER {
        return Err(InputError::new(format!(
            "Your answer is {chars} characters long; the limit is {MAX_TEXT_ANSWER}, so nothing \
             was saved. Click **Write an answer** to send a shorter one."
        )));
    }
    Ok(trimmed.to_string())
}

/// The next question to show after `after` (0 to start): the first later one not
/// answered yet, if any.
pub fn next_question(total: usize, answered: &[u8], after: u8) -> Option<u8> {
    let total = u8::try_from(total.min(MAX_QUESTIONS)).unwrap_or(0);
    (after.saturating_add(1)..=total).find(|p| !answered.contains(p))
}

/// About how many minutes answering takes: a few seconds per scale, a minute per text.
pub fn minutes_to_answer(questions: &[Question]) -> u32 {
    let seconds: u32 = questions
        .iter()
        .map(|q| match q.kind {
            QuestionKind::Scale => 15,
            QuestionKind::Text => 60,
        })
        .sum();
    seconds.div_ceil(60).max(1)
}

/// The free-text answers to one question as coordinators may see them: all of them, in
/// the order given (never with names), when at least
/// [`MIN_TEXT_RESPONDENTS`] people answered it; none otherwise.
pub fn texts_to_show(answers: &[String]) -> &[String] {
    if answers.len() >= MIN_TEXT_RESPONDENTS {
        answers
    } else {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_shown_only_once_three_people_answered() {
        let answers: Vec<String> = ["more evenings", "less email", "coffee"]
            .map(String::from)
            .to_vec();
        assert!(texts_to_show(&answers[..2]).is_empty());
        assert_eq!(texts_to_show(&answers), &answers[..]);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn q(kind: QuestionKind, prompt: &str) -> Question {
        Question {
            kind,
            prompt: prompt.to_string(),
        }
    }

    #[test]
    fn the_halfway_survey_is_due_for_a_week_from_the_midpoint_and_never_on_the_last_day() {
        let (start, end) = (d(2026, 1, 1), d(2026, 6, 30));
        assert_eq!(due_auto_survey(start, end, d(2025, 12, 31)), None);
        assert_eq!(due_auto_survey(start, end, d(2026, 3, 31)), None);
        assert_eq!(
            due_auto_survey(start, end, d(2026, 4, 1)),
            Some(SurveyOccasion::Halfway)
        );
        assert_eq!(
            due_auto_survey(start, end, d(2026, 4, 7)),
            Some(SurveyOccasion::Halfway)
        );
        assert_eq!(due_auto_survey(start, end, d(2026, 4, 8)), None);
        assert_eq!(due_auto_survey(start, end, d(2026, 6, 29)), None);
        // A program of a few days: the halfway window stops before the last day.
        let (start, end) = (d(2026, 1, 1), d(2026, 1, 5));
        assert_eq!(
            due_auto_survey(start, end, d(2026, 1, 4)),
            Some(SurveyOccasion::Halfway)
        );
        assert_eq!(due_auto_survey(start, end, end), Some(SurveyOccasion::End));
    }

    #[test]
    fn the_end_survey_is_due_on_the_last_day_and_for_a_week_after_only() {
        let (start, end) = (d(2026, 1, 1), d(2026, 6, 30));
        assert_eq!(due_auto_survey(start, end, end), Some(SurveyOccasion::End));
        assert_eq!(
            due_auto_survey(start, end, d(2026, 7, 6)),
            Some(SurveyOccasion::End)
        );
        assert_eq!(due_auto_survey(start, end, d(2026, 7, 7)), None);
        assert_eq!(
            due_auto_survey(end, start, end),
            None,
            "dates the wrong way round ask nothing"
        );
    }

    #[test]
    fn a_question_is_replaced_or_added_at_the_next_position_without_gaps() {
        let two = vec![q(QuestionKind::Scale, "A"), q(QuestionKind::Scale, "B")];
        let changed = with_question(&two, 2, q(QuestionKind::Text, "C")).unwrap();
        assert_eq!(changed[1], q(QuestionKind::Text, "C"));
        let added = with_question(&two, 3, q(QuestionKind::Text, "C")).unwrap();
        assert_eq!(added.len(), 3);
        let gap = with_question(&two, 4, q(QuestionKind::Text, "C")).unwrap_err();
        assert!(
            gap.0.contains("add the next one at position 3"),
            "{}",
            gap.0
        );
        let full = default_questions();
        assert!(with_question(&full, 6, q(QuestionKind::Text, "F")).is_err());
        assert!(position(0).is_err() && position(6).is_err() && position(-1).is_err());
        assert_eq!(position(5), Ok(5));
    }

    #[test]
    fn removing_moves_later_questions_up_and_keeps_at_least_one() {
        let three = vec![
            q(QuestionKind::Scale, "A"),
            q(QuestionKind::Scale, "B"),
            q(QuestionKind::Text, "C"),
        ];
        let left = without_question(&three, 2).unwrap();
        assert_eq!(left, vec![three[0].clone(), three[2].clone()]);
        assert!(without_question(&three, 4).is_err());
        let last = without_question(&three[..1], 1).unwrap_err();
        assert!(last.0.contains("at least one question"), "{}", last.0);
    }

    #[test]
    fn prompts_and_text_answers_are_checked() {
        assert_eq!(prompt("  How was it?  ").unwrap(), "How was it?");
        assert!(prompt(" ").is_err());
        assert!(prompt(&"x".repeat(MAX_PROMPT_CHARS + 1)).is_err());
        assert!(default_questions()
            .iter()
            .all(|q| q.prompt.chars().count() <= MAX_PROMPT_CHARS));
        assert_eq!(text_answer(" more evenings ").unwrap(), "more evenings");
        assert!(text_answer("   ").unwrap_err().0.contains("empty"));
        assert!(text_answer(&"é".repeat(MAX_TEXT_ANSWER)).is_ok());
        let long = text_answer(&"é".repeat(MAX_TEXT_ANSWER + 1)).unwrap_err();
        assert!(long.0.contains("501 characters"), "{}", long.0);
    }

    #[test]
    fn the_next_question_is_the_first_later_one_not_answered() {
        assert_eq!(next_question(5, &[], 0), Some(1));
        assert_eq!(next_question(5, &[1, 2], 0), Some(3));
        assert_eq!(next_question(5, &[3], 2), Some(4), "a skip goes on");
        assert_eq!(next_question(5, &[4, 5], 3), None);
        assert_eq!(next_question(2, &[], 2), None);
    }

    #[test]
    fn respondent_keys_are_random_hex_that_cannot_hold_a_discord_id() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let a = respondent_key(&mut rng);
        let b = respondent_key(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.len(), 16, "shorter than any snowflake's 17-20 digits");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn the_default_survey_takes_about_two_minutes() {
        assert_eq!(minutes_to_answer(&default_questions()), 2);
        assert_eq!(minutes_to_answer(&[q(QuestionKind::Scale, "A")]), 1);
    }

    #[test]
    fn the_defaults_are_the_studys_five_themes_within_the_limits() {
        let questions = default_questions();
        assert_eq!(questions.len(), MAX_QUESTIONS);
        assert_eq!(
            questions
                .iter()
                .filter(|q| q.kind == QuestionKind::Text)
                .count(),
            1
        );
    }
}
