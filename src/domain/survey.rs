//! Evaluation surveys: up to five questions, each a 1-5 scale or a short text, asked of
//! a program's active members at its halfway point, at its end, or when a coordinator
//! starts one. Answers are anonymous to coordinators.

use super::words::word_enum;

/// At most this many questions in a survey.
pub const MAX_QUESTIONS: usize = 5;
/// The longest free-text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 500;
/// Free-text answers are shown only when at least this many people answered them, so no
/// answer can be told apart as one person's.
pub const MIN_TEXT_RESPONDENTS: usize = 3;

/// The kind of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
