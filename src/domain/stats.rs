//! Program statistics for coordinators: counts per round and the rates made from them.
//! The database counts; this module only adds up and divides, so every rate is defined
//! in one place.
//!
//! A rate or a mean of people's answers (the good-fit rate, a survey's means) is shown
//! only when at least [`MIN_ANSWERS_SHOWN`] answers stand behind it, the same rule as for
//! free texts: coordinators can see who met in which round, so a rate over one pair's
//! two answers would tell them what those two said. And a number is only ever made
//! from parts that are shown themselves, so that no two numbers shown can be subtracted
//! to give a hidden one: fit answers are pooled in [`FitBlock`]s laid out from the
//! program's first round (the same whatever rounds a report looks at), and a survey's
//! mean pools only the questions whose own mean is shown.

pub mod evaluation;

use chrono::{DateTime, Utc};

use self::evaluation::{round_scores, SurveyResult};
use super::group::Rating;
use super::profile::Role;
use super::survey::MIN_TEXT_RESPONDENTS;
use super::validate::InputError;
use super::wins::WinKind;
use super::words::Word;

/// The fewest answers a rate or a mean of answers is shown from: a fit rate needs this
/// many fit answers, a survey question's mean this many scores. The same as for free
/// texts ([`MIN_TEXT_RESPONDENTS`]), so one rule covers everything people answer.
pub const MIN_ANSWERS_SHOWN: u32 = MIN_TEXT_RESPONDENTS as u32;

/// Whether a rate or a mean over `answers` answers may be shown: see
/// [`MIN_ANSWERS_SHOWN`].
pub fn enough_to_show(answers: u32) -> bool {
    answers >= MIN_ANSWERS_SHOWN
}

/// The most rounds `/hallway-admin stats rounds:` looks back: ten years of weekly rounds.
pub const MAX_ROUNDS_WINDOW: u32 = 520;

/// How many rounds to look back, 1 to [`MAX_ROUNDS_WINDOW`].
pub fn rounds_window(value: i64) -> Result<u32, InputError> {
    let max = i64::from(MAX_ROUNDS_WINDOW);
    if (1..=max).contains(&value) {
        Ok(value as u32)
    } else {
        Err(InputError::new(format!(
            "The number of rounds must be from 1 to {max}, not {value}: for example 10 for the \
             last ten rounds. Leave it out to see every round."
        )))
    }
}

/// A share: `part` of `whole`. Kept as two counts so a reply can say "7 of 12", and so
/// rates over several rounds are pooled from counts instead of averaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    pub part: u32,
    pub whole: u32,
}

impl Rate {
    pub fn new(part: u32, whole: u32) -> Rate {
        Rate { part, whole }
    }

    /// From 0 to 1; `None` when there was nothing to count (no chats, no pairs...).
    pub fn value(self) -> Option<f64> {
        (self.whole > 0).then(|| f64::from(self.part) / f64::from(self.whole))
    }

    /// Rounded to a whole percent.
    pub fn percent(self) -> Option<u32> {
        self.value().map(|v| (v * 100.0).round() as u32)
    }
}

impl std::fmt::Display for Rate {
    /// "58% (7 of 12)", or "n/a" when there is nothing to divide.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.percent() {
            Some(percent) => write!(f, "{percent}% ({} of {})", self.part, self.whole),
            None => f.write_str("n/a"),
        }
    }
}

/// How many members of one role stand where, right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standings {
    pub active: u32,
    /// Not left, and paused until a time still ahead.
    pub paused: u32,
    /// Opted out with `/hallway leave` (or left the server); history kept.
    pub left: u32,
}

impl Standings {
    pub fn total(self) -> u32 {
        self.active + self.paused + self.left
    }
}

/// The counts behind a round's rates; several rounds add up to one tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Groups (chats) matched.
    pub chats: u32,
    /// People matched, counted from each group's size, so members who were forgotten
    /// still count.
    pub people: u32,
    /// Chats where at least one member clicked "We met".
    pub met_chats: u32,
    /// Members who clicked "Skip this round".
    pub skipped: u32,
    /// Pairs of members inside the groups (a trio has three), among members still on
    /// record.
    pub pairs: u32,
    /// Of those pairs, the ones that had already been in a group together in an earlier
    /// round of the same community.
    pub repeat_pairs: u32,
    /// Chats with a booked time now; one rescheduled and not yet booked again is not.
    pub booked_chats: u32,
    /// Of the booked chats, the ones counted in `met_chats`.
    pub booked_met_chats: u32,
}

impl Tally {
    /// "We met" chats out of all chats.
    pub fn meeting_rate(self) -> Rate {
        Rate::new(self.met_chats, self.chats)
    }

    /// Pairs matched again out of all pairs.
    pub fn repeat_rate(self) -> Rate {
        Rate::new(self.repeat_pairs, self.pairs)
    }

    /// Members who skipped out of all people matched.
    pub fn skip_rate(self) -> Rate {
        Rate::new(self.skipped, self.people)
    }

    /// Booked chats out of all chats.
    pub fn booking_rate(self) -> Rate {
        Rate::new(self.booked_chats, self.chats)
    }

    /// The meeting rate of the booked chats alone.
    pub fn booked_meeting_rate(self) -> Rate {
        Rate::new(self.booked_met_chats, self.booked_chats)
    }

    /// The meeting rate of the chats that are not booked: next to
    /// [`Tally::booked_meeting_rate`] it shows whether booking helps chats happen.
    pub fn unbooked_meeting_rate(self) -> Rate {
        // Saturating: the counts come from one read, but a hand-made tally could be off.
        Rate::new(
            self.met_chats.saturating_sub(self.booked_met_chats),
            self.chats.saturating_sub(self.booked_chats),
        )
    }
}

impl std::ops::Add for Tally {
    type Output = Tally;

    fn add(self, other: Tally) -> Tally {
        Tally {
            chats: self.chats + other.chats,
            people: self.people + other.people,
            met_chats: self.met_chats + other.met_chats,
            skipped: self.skipped + other.skipped,
            pairs: self.pairs + other.pairs,
            repeat_pairs: self.repeat_pairs + other.repeat_pairs,
            booked_chats: self.booked_chats + other.booked_chats,
            booked_met_chats: self.booked_met_chats + other.booked_met_chats,
        }
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), |a, b| a + b)
    }
}

/// One round and its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundStats {
    pub number: u32,
    pub due_at: DateTime<Utc>,
    pub tally: Tally,
}

/// One round's answers to "How was the fit?" (about its groups): never shown as such,
/// only pooled into [`FitBlock`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundFit {
    pub number: u32,
    pub answers: u32,
    /// Of those, the ones that said "Good fit".
    pub good: u32,
}

/// Fit answers of consecutive rounds pooled until they are enough to show a rate: from
/// the first round with answers in it to the round where they reached
/// [`MIN_ANSWERS_SHOWN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitBlock {
    pub first: u32,
    pub last: u32,
    /// "Good fit" answers of all its answers.
    pub rate: Rate,
}

/// Fit answers since the last [`FitBlock`]: fewer than [`MIN_ANSWERS_SHOWN`], so only
/// how many there are is told, never what they said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingFit {
    /// The first round with answers among them.
    pub since: u32,
    pub answers: u32,
}

/// A program's fit answers, oldest round first, in blocks: each block takes the rounds
/// after the previous one until it holds [`MIN_ANSWERS_SHOWN`] answers, so a round with
/// enough answers is a block of its own and a round with one or two is pooled with the
/// next. The blocks start from the program's first round whatever a report looks at, so
/// two reports over different rounds never split the answers differently. What is left
/// after the last block is pending.
pub fn fit_blocks(history: &[RoundFit]) -> (Vec<FitBlock>, Option<PendingFit>) {
    let mut blocks = Vec::new();
    let mut open: Option<FitBlock> = None;
    for round in history.iter().filter(|r| r.answers > 0) {
        let block = open.get_or_insert(FitBlock {
            first: round.number,
            last: round.number,
            rate: Rate::default(),
        });
        block.last = round.number;
        block.rate = Rate::new(
            block.rate.part + round.good,
            block.rate.whole + round.answers,
        );
        if enough_to_show(block.rate.whole) {
            blocks.extend(open.take());
        }
    }
    let pending = open.map(|block| PendingFit {
        since: block.first,
        answers: block.rate.whole,
    });
    (blocks, pending)
}

/// What a report tells of the fit answers: the blocks that close in its rounds, pooled,
/// and how many answers wait for more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FitReport {
    /// "Good fit" answers of the answers in the blocks that close in the rounds looked
    /// at; nothing when there are none.
    pub rate: Rate,
    /// The rounds those answers are about, first and last: the first may lie before the
    /// rounds looked at, when a block began earlier.
    pub rounds: Option<(u32, u32)>,
    pub pending: Option<PendingFit>,
}

/// Everything `/hallway-admin stats` reports for one community.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Every role, in [`Role::ALL`] order, zeros included.
    pub members: Vec<(Role, Standings)>,
    /// The rounds looked at, oldest first.
    pub rounds: Vec<RoundStats>,
    /// The first round of a window shorter than the whole history: wins are counted from
    /// its date. `None` when every round is included.
    pub window_start: Option<DateTime<Utc>>,
    /// Wins by kind, in [`WinKind::ALL`] order, zeros included.
    pub wins: Vec<(WinKind, u32)>,
    /// "How was it?" answers by rating, in [`Rating::ALL`] order, zeros included.
    pub feedback: Vec<(Rating, u32)>,
    /// Fit answers of every round of the program, oldest first, also those before the
    /// rounds looked at: the blocks are laid out from the first round (see
    /// [`fit_blocks`]).
    pub fit_by_round: Vec<RoundFit>,
    /// The surveys that belong to the rounds looked at, oldest first, and those started
    /// before the first round when every round is looked at (see
    /// [`evaluation`]).
    pub surveys: Vec<SurveyResult>,
}

impl Stats {
    /// All rounds looked at, added up.
    pub fn totals(&self) -> Tally {
        self.rounds.iter().map(|r| r.tally).sum()
    }

    pub fn wins_total(&self) -> u32 {
        self.wins.iter().map(|(_, n)| n).sum()
    }

    /// The per-round series the chart draws.
    pub fn series(&self) -> Vec<RoundPoint> {
        self.rounds
            .iter()
            .map(|r| RoundPoint {
                number: r.number,
                people: r.tally.people,
                chats: r.tally.chats,
                meeting_rate: r.tally.meeting_rate().value(),
            })
            .collect()
    }

    /// The fit blocks that close in the rounds looked at, pooled, and the answers still
    /// too few to show.
    pub fn fit(&self) -> FitReport {
        let Some(first_round) = self.rounds.first().map(|r| r.number) else {
            return FitReport::default();
        };
        let (blocks, pending) = fit_blocks(&self.fit_by_round);
        let shown: Vec<&FitBlock> = blocks.iter().filter(|b| b.last >= first_round).collect();
        FitReport {
            rate: shown.iter().fold(Rate::default(), |sum, b| {
                Rate::new(sum.part + b.rate.part, sum.whole + b.rate.whole)
            }),
            rounds: shown
                .first()
                .zip(shown.last())
                .map(|(a, b)| (a.first, b.last)),
            pending,
        }
    }

    /// The per-round series the evaluation chart draws. A fit block's rate is drawn at
    /// the round where it closed; its earlier rounds have no fit point of their own.
    pub fn evaluation_series(&self) -> Vec<EvaluationPoint> {
        let (blocks, _) = fit_blocks(&self.fit_by_round);
        self.rounds
            .iter()
            .map(|r| EvaluationPoint {
                number: r.number,
                meeting_rate: r.tally.meeting_rate().value(),
                fit_rate: blocks
                    .iter()
                    .find(|b| b.last == r.number)
                    .and_then(|b| b.rate.value()),
                survey_mean: round_scores(&self.surveys, r.number).mean(),
            })
            .collect()
    }

    /// The latest survey shown, if any.
    pub fn latest_survey(&self) -> Option<&SurveyResult> {
        self.surveys.last()
    }
}

/// One round on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundPoint {
    pub number: u32,
    pub people: u32,
    pub chats: u32,
    /// From 0 to 1; `None` for a round without chats.
    pub meeting_rate: Option<f64>,
}

/// One round on the evaluation chart; `None` where the round has nothing to show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvaluationPoint {
    pub number: u32,
    /// From 0 to 1: chats that met, of the round's chats.
    pub meeting_rate: Option<f64>,
    /// From 0 to 1: "Good fit" answers, of the fit block that closed in this round (its
    /// own answers, and those of the rounds since the previous block); `None` in a round
    /// where no block closed.
    pub fit_rate: Option<f64>,
    /// From 1 to 5: the scale answers of the surveys that belong to the round, of the
    /// questions whose mean is shown; `None` without any.
    pub survey_mean: Option<f64>,
}

/// Counts of every word of a word list, in the list's order and with zeros.
pub fn counts_in_order<T: Word + PartialEq>(counted: &[(T, u32)]) -> Vec<(T, u32)> {
    T::ALL
        .iter()
        .map(|word| {
            let n = counted
                .iter()
                .filter(|(w, _)| w == word)
                .map(|(_, n)| n)
                .sum();
            (*word, n)
        })
        .collect()
}

/// Pairs inside a group of `size` people: 1 for a pair, 3 for a trio, 6 for four.
pub fn pairs_in_group(size: u32) -> u32 {
    size * size.saturating_sub(1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn round(number: u32, tally: Tally) -> RoundStats {
        RoundStats {
            number,
            due_at: Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
                + chrono::Duration::weeks(i64::from(number)),
            tally,
        }
    }

    #[test]
    fn rates_show_the_counts_and_say_when_there_is_nothing_to_count() {
        assert_eq!(Rate::new(7, 12).to_string(), "58% (7 of 12)");
        assert_eq!(Rate::new(1, 3).percent(), Some(33));
        assert_eq!(Rate::new(2, 3).percent(), Some(67));
        assert_eq!(Rate::new(0, 0).value(), None);
        assert_eq!(Rate::new(0, 0).to_string(), "n/a");
        assert_eq!(Rate::new(0, 5).to_string(), "0% (0 of 5)");
    }

    #[test]
    fn a_rounds_rates_come_from_its_counts() {
        let tally = Tally {
            chats: 4,
            people: 9,
            met_chats: 3,
            skipped: 1,
            pairs: 6,
            repeat_pairs: 2,
            booked_chats: 3,
            booked_met_chats: 2,
        };
        assert_eq!(tally.meeting_rate(), Rate::new(3, 4));
        assert_eq!(tally.repeat_rate(), Rate::new(2, 6));
        assert_eq!(tally.skip_rate(), Rate::new(1, 9));
        assert_eq!(tally.booking_rate(), Rate::new(3, 4));
        assert_eq!(tally.booked_meeting_rate(), Rate::new(2, 3));
        assert_eq!(tally.unbooked_meeting_rate(), Rate::new(1, 1));
    }

    #[test]
    fn without_bookings_every_chat_is_unbooked_and_the_booked_rate_is_empty() {
        let tally = Tally {
            chats: 5,
            met_chats: 2,
            ..Tally::default()
        };
        assert_eq!(tally.booking_rate(), Rate::new(0, 5));
        assert_eq!(tally.booked_meeting_rate().value(), None);
        assert_eq!(tally.unbooked_meeting_rate(), tally.meeting_rate());
    }

    #[test]
    fn totals_pool_the_counts_instead_of_averaging_the_rates() {
        let stats = Stats {
            members: Vec::new(),
            rounds: vec![
                round(
                    1,
                    Tally {
                        chats: 1,
                        people: 2,
                        met_chats: 1,
                        ..Tally::default()
                    },
                ),
                round(
                    2,
                    Tally {
                        chats: 9,
                        people: 18,
                        met_chats: 0,
                        ..Tally::default()
                    },
                ),
            ],
            window_start: None,
            wins: Vec::new(),
            feedback: Vec::new(),
            fit_by_round: Vec::new(),
            surveys: Vec::new(),
        };
        // Averaging the two rounds' rates would say 50%.
        assert_eq!(stats.totals().meeting_rate(), Rate::new(1, 10));
        let series = stats.series();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].meeting_rate, Some(1.0));
        assert_eq!((series[1].people, series[1].chats), (18, 9));
    }

    #[test]
    fn a_round_without_chats_has_no_meeting_rate_on_the_chart() {
        let stats = Stats {
            members: Vec::new(),
            rounds: vec![round(1, Tally::default())],
            window_start: None,
            wins: Vec::new(),
            feedback: Vec::new(),
            fit_by_round: Vec::new(),
            surveys: Vec::new(),
        };
        assert_eq!(stats.series()[0].meeting_rate, None);
    }

    #[test]
    fn the_evaluation_series_has_each_rounds_rates_and_its_surveys_mean_or_gaps() {
        use super::evaluation::{QuestionResult, Scores};
        use crate::domain::survey::{QuestionKind, SurveyOccasion};
        let survey = |round, count, sum| SurveyResult {
            occasion: SurveyOccasion::Halfway,
            started_at: Utc.with_ymd_and_hms(2026, 1, 20, 9, 0, 0).unwrap(),
            closes_at: Utc.with_ymd_and_hms(2026, 2, 3, 9, 0, 0).unwrap(),
            round,
            invited: 10,
            answered: 5,
            declined: 0,
            questions: vec![QuestionResult {
                position: 1,
                kind: QuestionKind::Scale,
                prompt: "I felt connected to others in this program.".into(),
                scores: Scores::new(count, sum),
                texts: Vec::new(),
            }],
        };
        let stats = Stats {
            members: Vec::new(),
            rounds: vec![
                round(
                    1,
                    Tally {
                        chats: 4,
                        met_chats: 3,
                        ..Tally::default()
                    },
                ),
                round(
                    2,
                    Tally {
                        chats: 2,
                        met_chats: 0,
                        ..Tally::default()
                    },
                ),
            ],
            window_start: None,
            wins: Vec::new(),
            feedback: Vec::new(),
            fit_by_round: vec![fit(1, 4, 3), fit(2, 0, 0)],
            surveys: vec![survey(None, 5, 25), survey(Some(2), 4, 17)],
        };
        let series = stats.evaluation_series();
        assert_eq!(
            series,
            [
                EvaluationPoint {
                    number: 1,
                    meeting_rate: Some(0.75),
                    fit_rate: Some(0.75),
                    survey_mean: None,
                },
                EvaluationPoint {
                    number: 2,
                    meeting_rate: Some(0.0),
                    fit_rate: None,
                    survey_mean: Some(4.25),
                },
            ],
            "the survey before the first round has no point"
        );
        assert_eq!(stats.fit().rate, Rate::new(3, 4));
        assert_eq!(stats.latest_survey().map(|s| s.round), Some(Some(2)));
    }

    fn fit(number: u32, answers: u32, good: u32) -> RoundFit {
        RoundFit {
            number,
            answers,
            good,
        }
    }

    /// A report over rounds `from` to the last of `history`, with those fit answers.
    fn fit_report(history: &[RoundFit], from: u32) -> Stats {
        Stats {
            members: Vec::new(),
            rounds: history
                .iter()
                .filter(|r| r.number >= from)
                .map(|r| round(r.number, Tally::default()))
                .collect(),
            window_start: None,
            wins: Vec::new(),
            feedback: Vec::new(),
            fit_by_round: history.to_vec(),
            surveys: Vec::new(),
        }
    }

    #[test]
    fn the_rule_shows_a_rate_or_a_mean_from_three_answers_on() {
        assert_eq!(MIN_ANSWERS_SHOWN, 3);
        assert_eq!(
            MIN_ANSWERS_SHOWN as usize, MIN_TEXT_RESPONDENTS,
            "as for texts"
        );
        assert_eq!(
            [0, 1, 2, 3, 4, 100].map(enough_to_show),
            [false, false, false, true, true, true]
        );
    }

    #[test]
    fn a_round_with_enough_fit_answers_is_a_block_and_fewer_are_pooled_with_the_next() {
        let (blocks, pending) = fit_blocks(&[
            fit(1, 6, 5),
            fit(2, 2, 1),
            fit(3, 0, 0),
            fit(4, 1, 1),
            fit(5, 3, 0),
            fit(6, 2, 2),
        ]);
        assert_eq!(
            blocks,
            [
                FitBlock {
                    first: 1,
                    last: 1,
                    rate: Rate::new(5, 6)
                },
                FitBlock {
                    first: 2,
                    last: 4,
                    rate: Rate::new(2, 3)
                },
                FitBlock {
                    first: 5,
                    last: 5,
                    rate: Rate::new(0, 3)
                },
            ]
        );
        assert_eq!(
            pending,
            Some(PendingFit {
                since: 6,
                answers: 2
            })
        );
        assert_eq!(fit_blocks(&[fit(1, 0, 0)]), (Vec::new(), None));
    }

    #[test]
    fn a_round_with_one_pairs_fit_answers_has_no_rate_and_no_point() {
        // Round 3: one new pair, both answered; the report of the last round only.
        let history = [fit(1, 4, 3), fit(2, 5, 4), fit(3, 2, 1)];
        let last = fit_report(&history, 3);
        assert_eq!(
            last.fit(),
            FitReport {
                rate: Rate::default(),
                rounds: None,
                pending: Some(PendingFit {
                    since: 3,
                    answers: 2
                }),
            }
        );
        assert_eq!(last.evaluation_series()[0].fit_rate, None);
        // Every round: rounds 1 and 2 are shown, round 3 waits.
        let all = fit_report(&history, 1);
        assert_eq!(all.fit().rate, Rate::new(7, 9));
        assert_eq!(all.fit().rounds, Some((1, 2)));
        let points: Vec<Option<f64>> = all.evaluation_series().iter().map(|p| p.fit_rate).collect();
        assert_eq!(points, [Some(0.75), Some(0.8), None]);
    }

    #[test]
    fn a_third_answer_shows_the_pooled_rate_at_its_round_with_the_rounds_it_pools() {
        let history = [fit(1, 4, 3), fit(2, 2, 1), fit(3, 1, 1)];
        let last = fit_report(&history, 3);
        let report = last.fit();
        assert_eq!(report.rate, Rate::new(2, 3));
        assert_eq!(
            report.rounds,
            Some((2, 3)),
            "round 2's answers are pooled in"
        );
        assert_eq!(report.pending, None);
        assert_eq!(last.evaluation_series()[0].fit_rate, Some(2.0 / 3.0));
        let all = fit_report(&history, 1);
        let points: Vec<Option<f64>> = all.evaluation_series().iter().map(|p| p.fit_rate).collect();
        assert_eq!(points, [Some(0.75), None, Some(2.0 / 3.0)]);
    }

    #[test]
    fn counts_follow_the_fixed_order_with_zeros() {
        let counted = vec![(WinKind::Grant, 2), (WinKind::Publication, 1)];
        assert_eq!(
            counts_in_order(&counted),
            [
                (WinKind::Publication, 1),
                (WinKind::Grant, 2),
                (WinKind::Award, 0),
                (WinKind::Talk, 0),
                (WinKind::Milestone, 0),
                (WinKind::Other, 0),
            ]
        );
    }

    #[test]
    fn the_rounds_window_is_checked_with_a_helpful_message() {
        assert_eq!(rounds_window(1), Ok(1));
        assert_eq!(rounds_window(520), Ok(520));
        let err = rounds_window(0).unwrap_err();
        assert!(err.0.contains("from 1 to 520, not 0"), "{}", err.0);
        assert!(rounds_window(521).is_err());
        assert!(rounds_window(-3).is_err());
    }

    #[test]
    fn pairs_in_groups_of_two_to_four() {
        assert_eq!(
            [0, 1, 2, 3, 4].map(pairs_in_group),
            [0, 0, 1, 3, 6],
            "a lone member has nobody to pair with"
        );
    }

    fn tally() -> impl Strategy<Value = Tally> {
        (
            (0u32..50, 0u32..4, 0u32..=100, 0u32..=100, 0u32..=100),
            (0u32..=100, 0u32..=100),
        )
            .prop_map(
                |((chats, extra, met, skip, repeat), (booked, booked_met))| {
                    let people = chats * 2 + extra.min(chats);
                    let pairs = chats + extra.min(chats) * 2;
                    let met_chats = chats * met / 100;
                    let booked_chats = chats * booked / 100;
                    // Booked chats that met: at most all of either, and at least those the
                    // unbooked chats cannot hold.
                    let most = met_chats.min(booked_chats);
                    let least = met_chats.saturating_sub(chats - booked_chats);
                    let booked_met_chats = least + (most - least) * booked_met / 100;
                    Tally {
                        chats,
                        people,
                        met_chats,
                        skipped: people * skip / 100,
                        pairs,
                        repeat_pairs: pairs * repeat / 100,
                        booked_chats,
                        booked_met_chats,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn rates_stay_between_zero_and_one(t in tally()) {
            for rate in [
                t.meeting_rate(),
                t.repeat_rate(),
                t.skip_rate(),
                t.booking_rate(),
                t.booked_meeting_rate(),
                t.unbooked_meeting_rate(),
            ] {
                if let Some(v) = rate.value() {
                    prop_assert!((0.0..=1.0).contains(&v));
                    prop_assert!(rate.percent().unwrap() <= 100);
                } else {
                    prop_assert_eq!(rate.whole, 0);
                }
            }
        }

        #[test]
        fn the_pooled_rate_lies_between_the_rounds_rates(
            tallies in proptest::collection::vec(tally(), 1..12)
        ) {
            let total: Tally = tallies.iter().copied().sum();
            prop_assert_eq!(total.chats, tallies.iter().map(|t| t.chats).sum::<u32>());
            let rates: Vec<f64> =
                tallies.iter().filter_map(|t| t.meeting_rate().value()).collect();
            match total.meeting_rate().value() {
                None => prop_assert!(rates.is_empty()),
                Some(pooled) => {
                    let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(lo - 1e-12 <= pooled && pooled <= hi + 1e-12);
                }
            }
        }

        #[test]
        fn fit_blocks_hold_every_answer_and_each_at_least_three(
            answers in proptest::collection::vec((0u32..6, 0u32..=100), 0..40)
        ) {
            let history: Vec<RoundFit> = answers
                .iter()
                .enumerate()
                .map(|(i, (n, good))| fit(i as u32 + 1, *n, n * good / 100))
                .collect();
            let (blocks, pending) = fit_blocks(&history);
            let mut next = 1;
            for b in &blocks {
                prop_assert!(b.rate.whole >= MIN_ANSWERS_SHOWN, "{b:?}");
                prop_assert!(b.rate.part <= b.rate.whole);
                prop_assert!(next <= b.first && b.first <= b.last, "in order, apart: {b:?}");
                next = b.last + 1;
            }
            let pending_answers = pending.map_or(0, |p| p.answers);
            prop_assert!(pending_answers < MIN_ANSWERS_SHOWN);
            prop_assert!(pending.is_none_or(|p| p.since >= next && p.answers > 0));
            let shown: u32 = blocks.iter().map(|b| b.rate.whole).sum();
            prop_assert_eq!(
                shown + pending_answers,
                history.iter().map(|r| r.answers).sum::<u32>()
            );
        }

        /// Reports over different rounds differ by whole blocks only, so subtracting one
        /// from another never gives a rate over fewer than three answers; and the text's
        /// rate is the chart's points added up.
        #[test]
        fn no_two_reports_subtract_to_fewer_than_three_fit_answers(
            answers in proptest::collection::vec((0u32..6, 0u32..=100), 1..30),
            windows in proptest::collection::vec(0usize..30, 2),
        ) {
            let history: Vec<RoundFit> = answers
                .iter()
                .enumerate()
                .map(|(i, (n, good))| fit(i as u32 + 1, *n, n * good / 100))
                .collect();
            let last = history.len() as u32;
            let report = |w: usize| fit_report(&history, last - (w as u32 % last));
            let (a, b) = (report(windows[0]).fit().rate, report(windows[1]).fit().rate);
            let difference = a.whole.abs_diff(b.whole);
            prop_assert!(difference == 0 || difference >= MIN_ANSWERS_SHOWN, "{a:?} {b:?}");
            for w in &windows {
                let stats = report(*w);
                let shown = stats.fit().rate;
                prop_assert!(shown.whole == 0 || enough_to_show(shown.whole));
                let (blocks, _) = fit_blocks(&history);
                let drawn: u32 = stats
                    .evaluation_series()
                    .iter()
                    .filter(|p| p.fit_rate.is_some())
                    .map(|p| blocks.iter().find(|b| b.last == p.number).unwrap().rate.whole)
                    .sum();
                prop_assert_eq!(drawn, shown.whole);
            }
        }

        #[test]
        fn booked_and_unbooked_chats_add_up_to_all_chats(t in tally()) {
            let (booked, unbooked) = (t.booked_meeting_rate(), t.unbooked_meeting_rate());
            prop_assert_eq!(booked.whole + unbooked.whole, t.chats);
            prop_assert_eq!(booked.part + unbooked.part, t.met_chats);
        }
    }
}
