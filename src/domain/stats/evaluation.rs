//! What `/hallway-admin stats` reports of a program's evaluation: the surveys attributed
//! to the rounds shown, and their answers as counts, and from
//! [`super::MIN_ANSWERS_SHOWN`] answers on as means and anonymous texts. Fit-check
//! answers are pooled into blocks in [`super::fit_blocks`].
//!
//! A mean is made only from questions whose own mean is shown: a survey's mean over a
//! question of 9 answers and one of 1, next to the first question's mean, would give
//! the second's one score away.
//!
//! A survey belongs to the program's latest round when it started (`survey.round_id`): it
//! asks about the rounds so far, and the chart puts its mean on that round. A survey
//! started before the first round belongs to no round: it is reported only when the
//! report covers every round, and has no point on the chart.

use chrono::{DateTime, Utc};

use super::{enough_to_show, Rate};
use crate::domain::survey::{texts_to_show, QuestionKind, SurveyOccasion};

/// Scale answers (1 to 5) added up: a mean kept as two counts, so means over several
/// questions or surveys are pooled from the answers instead of averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scores {
    /// How many answers.
    pub count: u32,
    /// Their scores added up.
    pub sum: u32,
}

impl Scores {
    pub fn new(count: u32, sum: u32) -> Scores {
        Scores { count, sum }
    }

    /// From 1 to 5; `None` without answers.
    pub fn mean(self) -> Option<f64> {
        (self.count > 0).then(|| f64::from(self.sum) / f64::from(self.count))
    }

    /// The mean in tenths, rounded half up (17/4 is 4.3, where `{:.1}` would say 4.2).
    pub fn mean_tenths(self) -> Option<u32> {
        (self.count > 0).then(|| {
            let (sum, count) = (u64::from(self.sum), u64::from(self.count));
            ((sum * 20 + count) / (count * 2)) as u32
        })
    }

    /// "4.3", one decimal; `None` without answers.
    pub fn mean_text(self) -> Option<String> {
        self.mean_tenths()
            .map(|tenths| format!("{}.{}", tenths / 10, tenths % 10))
    }
}

impl std::ops::Add for Scores {
    type Output = Scores;

    fn add(self, other: Scores) -> Scores {
        Scores {
            count: self.count + other.count,
            sum: self.sum + other.sum,
        }
    }
}

impl std::iter::Sum for Scores {
    fn sum<I: Iterator<Item = Scores>>(iter: I) -> Scores {
        iter.fold(Scores::default(), |a, b| a + b)
    }
}

/// One question of a survey and its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionResult {
    pub position: u32,
    pub kind: QuestionKind,
    pub prompt: String,
    /// A scale question's answers; empty for a text question. Show their mean only
    /// through [`QuestionResult::shown_scores`].
    pub scores: Scores,
    /// A text question's answers, in no telling order (never by time or person); empty
    /// for a scale question. Show them only through [`QuestionResult::texts_to_show`].
    pub texts: Vec<String>,
}

impl QuestionResult {
    /// How many people answered it (each person answers a question at most once).
    pub fn answers(&self) -> u32 {
        match self.kind {
            QuestionKind::Scale => self.scores.count,
            QuestionKind::Text => self.texts.len() as u32,
        }
    }

    /// The texts coordinators may read: none until enough people answered.
    pub fn texts_to_show(&self) -> &[String] {
        texts_to_show(&self.texts)
    }

    /// A scale question's scores, once enough people answered it for their mean to be
    /// shown; `None` before that, and for a text question.
    pub fn shown_scores(&self) -> Option<Scores> {
        (self.kind == QuestionKind::Scale && enough_to_show(self.scores.count))
            .then_some(self.scores)
    }
}

/// One survey: who was asked, who answered or declined, and its questions' answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyResult {
    pub occasion: SurveyOccasion,
    pub started_at: DateTime<Utc>,
    /// Answers are taken until then.
    pub closes_at: DateTime<Utc>,
    /// The number of the round it belongs to; `None` when it started before the first.
    pub round: Option<u32>,
    /// Everyone invited, whatever they did since.
    pub invited: u32,
    pub answered: u32,
    pub declined: u32,
    /// In question order.
    pub questions: Vec<QuestionResult>,
}

impl SurveyResult {
    /// Those who answered, out of all invited.
    pub fn response_rate(&self) -> Rate {
        Rate::new(self.answered, self.invited)
    }

    /// The survey's mean: the scale answers of the questions whose mean is shown, pooled.
    /// Empty when none is; else at least [`super::MIN_ANSWERS_SHOWN`] people, the ones
    /// who answered the question with the most answers, stand behind it.
    pub fn shown_scores(&self) -> Scores {
        self.questions
            .iter()
            .filter_map(QuestionResult::shown_scores)
            .sum()
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        now < self.closes_at
    }
}

/// The chart's survey mean for round `number`: the surveys that belong to it, each as
/// its [`SurveyResult::shown_scores`], pooled.
pub fn round_scores(surveys: &[SurveyResult], number: u32) -> Scores {
    surveys
        .iter()
        .filter(|s| s.round == Some(number))
        .map(SurveyResult::shown_scores)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn question(
        position: u32,
        kind: QuestionKind,
        scores: Scores,
        texts: &[&str],
    ) -> QuestionResult {
        QuestionResult {
            position,
            kind,
            prompt: format!("question {position}"),
            scores,
            texts: texts.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn survey(round: Option<u32>, questions: Vec<QuestionResult>) -> SurveyResult {
        let started_at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        SurveyResult {
            occasion: SurveyOccasion::Manual,
            started_at,
            closes_at: started_at + chrono::Duration::days(14),
            round,
            invited: 12,
            answered: 9,
            declined: 1,
            questions,
        }
    }

    #[test]
    fn a_mean_has_one_decimal_rounded_half_up() {
        assert_eq!(Scores::new(4, 17).mean_text().as_deref(), Some("4.3"));
        assert_eq!(Scores::new(3, 4).mean_text().as_deref(), Some("1.3"));
        assert_eq!(Scores::new(3, 5).mean_text().as_deref(), Some("1.7"));
        assert_eq!(Scores::new(2, 10).mean_text().as_deref(), Some("5.0"));
        assert_eq!(Scores::new(1, 1).mean_text().as_deref(), Some("1.0"));
        assert_eq!(Scores::default().mean(), None);
        assert_eq!(Scores::default().mean_text(), None);
    }

    #[test]
    fn the_response_rate_is_answered_out_of_everyone_invited() {
        let s = survey(Some(1), Vec::new());
        assert_eq!(s.response_rate(), Rate::new(9, 12));
        assert_eq!(s.response_rate().percent(), Some(75));
    }

    #[test]
    fn a_surveys_mean_pools_the_scale_questions_whose_mean_is_shown() {
        let s = survey(
            Some(1),
            vec![
                question(1, QuestionKind::Scale, Scores::new(9, 40), &[]),
                question(2, QuestionKind::Scale, Scores::new(3, 6), &[]),
                question(3, QuestionKind::Text, Scores::default(), &["a", "b"]),
                question(4, QuestionKind::Scale, Scores::new(2, 2), &[]),
            ],
        );
        // Pooled: 46 / 12, not the mean of 4.4 and 2.0; question 4's two answers are in
        // neither, or the pooled mean next to the others would give them away.
        assert_eq!(s.shown_scores(), Scores::new(12, 46));
        assert_eq!(s.shown_scores().mean_text().as_deref(), Some("3.8"));
        assert_eq!(s.questions[2].answers(), 2);
        assert_eq!(s.questions[0].answers(), 9);
        assert_eq!(s.questions[3].answers(), 2, "counted all the same");
    }

    #[test]
    fn a_questions_mean_is_shown_only_from_three_answers_on() {
        let scale = |count, sum| question(1, QuestionKind::Scale, Scores::new(count, sum), &[]);
        assert_eq!(scale(0, 0).shown_scores(), None);
        assert_eq!(scale(1, 5).shown_scores(), None);
        assert_eq!(scale(2, 7).shown_scores(), None);
        assert_eq!(scale(3, 7).shown_scores(), Some(Scores::new(3, 7)));
        let text = question(2, QuestionKind::Text, Scores::default(), &["a", "b", "c"]);
        assert_eq!(text.shown_scores(), None, "a text question has no mean");
    }

    #[test]
    fn a_survey_whose_questions_have_two_answers_each_has_no_mean() {
        let s = survey(
            Some(1),
            vec![
                question(1, QuestionKind::Scale, Scores::new(2, 9), &[]),
                question(2, QuestionKind::Scale, Scores::new(2, 3), &[]),
            ],
        );
        // Four scores, but from two people only.
        assert_eq!(s.shown_scores(), Scores::default());
        assert_eq!(s.shown_scores().mean(), None);
        assert_eq!(round_scores(std::slice::from_ref(&s), 1).mean(), None);
    }

    #[test]
    fn texts_are_shown_only_from_three_answers_on() {
        let two = question(5, QuestionKind::Text, Scores::default(), &["a", "b"]);
        assert!(two.texts_to_show().is_empty());
        let three = question(5, QuestionKind::Text, Scores::default(), &["a", "b", "c"]);
        assert_eq!(three.texts_to_show(), ["a", "b", "c"]);
    }

    #[test]
    fn a_rounds_survey_mean_pools_its_surveys_shown_means_and_others_have_none() {
        let scale = |count, sum| {
            vec![question(
                1,
                QuestionKind::Scale,
                Scores::new(count, sum),
                &[],
            )]
        };
        let surveys = [
            survey(Some(2), scale(3, 10)),
            survey(Some(2), scale(4, 4)),
            survey(Some(2), scale(2, 10)),
            survey(Some(4), scale(3, 9)),
            survey(Some(5), scale(1, 3)),
            survey(None, scale(5, 25)),
        ];
        assert_eq!(
            round_scores(&surveys, 2),
            Scores::new(7, 14),
            "the survey of two answers is left out"
        );
        assert_eq!(round_scores(&surveys, 4).mean(), Some(3.0));
        assert_eq!(round_scores(&surveys, 5).mean(), None, "one answer");
        assert_eq!(round_scores(&surveys, 1).mean(), None);
        assert_eq!(round_scores(&surveys, 3), Scores::default());
    }

    #[test]
    fn a_survey_is_open_until_it_closes() {
        let s = survey(None, Vec::new());
        assert!(s.is_open(s.started_at));
        assert!(!s.is_open(s.closes_at));
    }

    proptest! {
        #[test]
        fn a_mean_lies_on_the_scale_and_its_text_is_within_half_a_tenth(
            scores in proptest::collection::vec(1u32..=5, 1..200)
        ) {
            let s = Scores::new(scores.len() as u32, scores.iter().sum());
            let mean = s.mean().unwrap();
            prop_assert!((1.0..=5.0).contains(&mean));
            let shown: f64 = s.mean_text().unwrap().parse().unwrap();
            prop_assert!((shown - mean).abs() <= 0.05 + 1e-9, "{shown} for {mean}");
        }
    }
}
