//! The custom ids of hallway's buttons, as one typed enum.
//!
//! The server is in every id because buttons in DMs carry no server. An id only says
//! what a button is for: who may press it is checked against what is stored (the group's
//! members, the coordinator's permission, the member who asked), never taken from the id.
//! The text form is what Discord keeps on messages already posted, so it never changes.

use crate::domain::fit::Fit;
use crate::domain::group::{OutcomeStatus, Rating};
use crate::domain::ids::{GroupId, GuildId, PreviewId, ProgramId, SurveyId, UserId};
use crate::domain::profile::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonId {
    /// We met / Not yet / Skip this round, on a group's intro.
    Answer {
        guild: GuildId,
        group: GroupId,
        answer: OutcomeStatus,
    },
    /// An answer to "how was it?".
    Feedback {
        guild: GuildId,
        group: GroupId,
        rating: Rating,
    },
    /// A coordinator's Confirm on a previewed round.
    ConfirmPreview { guild: GuildId, preview: PreviewId },
    /// Confirm on `/hallway forget-me`, for the member who asked.
    ForgetMe { guild: GuildId, user: UserId },
    /// The select menu of `/hallway interests`: the clicker's own picks in a program.
    Interests { guild: GuildId, program: ProgramId },
    /// "Join as …" on a program's invite: anyone in the server may click it, for themselves.
    Join {
        guild: GuildId,
        program: ProgramId,
        role: Role,
    },
    /// The select menu of a group's offered slots, from one batch, on the message `on`.
    Slots {
        guild: GuildId,
        group: GroupId,
        batch: u32,
        on: SlotsOn,
    },
    /// "None of these work": the next slots, after `batch`.
    NoSlot {
        guild: GuildId,
        group: GroupId,
        batch: u32,
        on: SlotsOn,
    },
    /// Reschedule a booked chat.
    Reschedule {
        guild: GuildId,
        group: GroupId,
        on: SlotsOn,
    },
    /// "Good fit" / "Not a fit" on a fit check about a group.
    Fit {
        guild: GuildId,
        group: GroupId,
        fit: Fit,
    },
    /// The select menu of `/hallway profile` that undoes the clicker's "Not a fit" answers
    /// in a program (its values say about whom).
    FitUndo { guild: GuildId, program: ProgramId },
    /// A step of answering a survey.
    Survey {
        guild: GuildId,
        survey: SurveyId,
        action: SurveyAction,
    },
}

/// What a survey button does. Questions are numbered from 1, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyAction {
    /// Start (or go on) answering: shows the first unanswered question.
    Open,
    /// "No thanks": no reminder, and nothing is asked again.
    Decline,
    /// A score of 1-5 for a scale question.
    Score { position: u8, score: u8 },
    /// Opens the text box of a text question (a modal); its submission carries this id.
    Write { position: u8 },
    /// Leaves a question unanswered and goes on.
    Skip { position: u8 },
}

impl SurveyAction {
    fn word(self) -> String {
        match self {
            SurveyAction::Open => "open".into(),
            SurveyAction::Decline => "decline".into(),
            SurveyAction::Score { position, score } => format!("s{position}-{score}"),
            SurveyAction::Write { position } => format!("w{position}"),
            SurveyAction::Skip { position } => format!("k{position}"),
        }
    }

    fn from_word(word: &str) -> Option<Self> {
        let position = |digits: &str| -> Option<u8> {
            let n: u8 = digits.parse().ok()?;
            // Digits only, as written: no sign, no leading zero.
            (n.to_string() == digits && (1..=5).contains(&n)).then_some(n)
        };
        match word {
            "open" => Some(SurveyAction::Open),
            "decline" => Some(SurveyAction::Decline),
            _ => {
                let (letter, rest) = word.split_at_checked(1)?;
                match letter {
                    "s" => {
                        let (pos, score) = rest.split_once('-')?;
                        let score = position(score)?;
                        Some(SurveyAction::Score {
                            position: position(pos)?,
                            score,
                        })
                    }
                    "w" => Some(SurveyAction::Write {
                        position: position(rest)?,
                    }),
                    "k" => Some(SurveyAction::Skip {
                        position: position(rest)?,
                    }),
                    _ => None,
                }
            }
        }
    }
}

/// Which of hallway's messages a slot picker is on, so a click redraws that message as
/// it is. Only a drawing hint: who may click is checked against the group's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotsOn {
    /// The group's intro in its thread.
    Intro,
    /// A member's intro by DM.
    DmIntro,
    /// The new slots sent by DM after a Reschedule.
    Rescheduled,
}

impl SlotsOn {
    const ALL: [SlotsOn; 3] = [SlotsOn::Intro, SlotsOn::DmIntro, SlotsOn::Rescheduled];

    fn letter(self) -> &'static str {
        match self {
            SlotsOn::Intro => "i",
            SlotsOn::DmIntro => "d",
            SlotsOn::Rescheduled => "r",
        }
    }

    fn from_letter(letter: &str) -> Option<Self> {
        SlotsOn::ALL.into_iter().find(|on| on.letter() == letter)
    }
}

const PREFIX: &str = "hw";

/// The action words of the answers, as written in custom ids since the first version.
fn answer_word(answer: OutcomeStatus) -> &'static str {
    match answer {
        OutcomeStatus::Met => "met",
        OutcomeStatus::NotYet => "notyet",
        OutcomeStatus::Skipped => "skip",
    }
}

impl ButtonId {
    /// The server the button was made for.
    pub fn guild(self) -> GuildId {
        match self {
            ButtonId::Answer { guild, .. }
            | ButtonId::Feedback { guild, .. }
            | ButtonId::ConfirmPreview { guild, .. }
            | ButtonId::ForgetMe { guild, .. }
            | ButtonId::Interests { guild, .. }
            | ButtonId::Join { guild, .. }
            | ButtonId::Slots { guild, .. }
            | ButtonId::NoSlot { guild, .. }
            | ButtonId::Reschedule { guild, .. }
            | ButtonId::Fit { guild, .. }
            | ButtonId::FitUndo { guild, .. }
            | ButtonId::Survey { guild, .. } => guild,
        }
    }

    /// A custom id hallway made, or `None` for anything else (other bots' ids, forgeries
    /// that do not even parse).
    pub fn parse(custom_id: &str) -> Option<Self> {
        let mut parts = custom_id.split(':');
        if parts.next()? != PREFIX {
            return None;
        }
        let action = parts.next()?;
        let guild = GuildId(parts.next()?.parse().ok()?);
        let target = parts.next()?;
        let extra = parts.next();
        let last = parts.next();
        if parts.next().is_some() {
            return None;
        }
        // Only the slot pickers have a fifth part.
        if last.is_some() && !matches!(action, "slots" | "noslot") {
            return None;
        }
        let slots_part = |make: fn(GuildId, GroupId, u32, SlotsOn) -> ButtonId| {
            Some(make(
                guild,
                GroupId(target.parse().ok()?),
                extra?.parse().ok()?,
                SlotsOn::from_letter(last?)?,
            ))
        };
        let answer = |answer| {
            Some(ButtonId::Answer {
                guild,
                group: GroupId(target.parse().ok()?),
                answer,
            })
        };
        match (action, extra) {
            ("met", None) => answer(OutcomeStatus::Met),
            ("notyet", None) => answer(OutcomeStatus::NotYet),
            ("skip", None) => answer(OutcomeStatus::Skipped),
            ("fb", Some(rating)) => Some(ButtonId::Feedback {
                guild,
                group: GroupId(target.parse().ok()?),
                rating: rating.parse().ok()?,
            }),
            ("confirm", None) => Some(ButtonId::ConfirmPreview {
                guild,
                preview: PreviewId(target.parse().ok()?),
            }),
            ("forget", None) => Some(ButtonId::ForgetMe {
                guild,
                user: UserId(target.parse().ok()?),
            }),
            ("interests", None) => Some(ButtonId::Interests {
                guild,
                program: ProgramId(target.parse().ok()?),
            }),
            // The role word exactly as written below: no case or spaces to tell apart.
            ("join", Some(role)) => Some(ButtonId::Join {
                guild,
                program: ProgramId(target.parse().ok()?),
                role: *Role::ALL.iter().find(|r| r.as_str() == role)?,
            }),
            ("slots", Some(_)) => slots_part(|guild, group, batch, on| ButtonId::Slots {
                guild,
                group,
                batch,
                on,
            }),
            ("noslot", Some(_)) => slots_part(|guild, group, batch, on| ButtonId::NoSlot {
                guild,
                group,
                batch,
                on,
            }),
            ("resched", Some(on)) => Some(ButtonId::Reschedule {
                guild,
                group: GroupId(target.parse().ok()?),
                on: SlotsOn::from_letter(on)?,
            }),
            ("fit", Some(fit)) => Some(ButtonId::Fit {
                guild,
                group: GroupId(target.parse().ok()?),
                fit: *Fit::ALL.iter().find(|f| f.as_str() == fit)?,
            }),
            ("fitundo", None) => Some(ButtonId::FitUndo {
                guild,
                program: ProgramId(target.parse().ok()?),
            }),
            ("survey", Some(action)) => Some(ButtonId::Survey {
                guild,
                survey: SurveyId(target.parse().ok()?),
                action: SurveyAction::from_word(action)?,
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for ButtonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            ButtonId::Answer {
                guild,
                group,
                answer,
            } => write!(f, "{PREFIX}:{}:{guild}:{group}", answer_word(answer)),
            ButtonId::Feedback {
                guild,
                group,
                rating,
            } => write!(f, "{PREFIX}:fb:{guild}:{group}:{rating}"),
            ButtonId::ConfirmPreview { guild, preview } => {
                write!(f, "{PREFIX}:confirm:{guild}:{preview}")
            }
            ButtonId::ForgetMe { guild, user } => write!(f, "{PREFIX}:forget:{guild}:{user}"),
            ButtonId::Interests { guild, program } => {
                write!(f, "{PREFIX}:interests:{guild}:{program}")
            }
            ButtonId::Join {
                guild,
                program,
                role,
            } => write!(f, "{PREFIX}:join:{guild}:{program}:{}", role.as_str()),
            ButtonId::Slots {
                guild,
                group,
                batch,
                on,
            } => write!(f, "{PREFIX}:slots:{guild}:{group}:{batch}:{}", on.letter()),
            ButtonId::NoSlot {
                guild,
                group,
                batch,
                on,
            } => write!(f, "{PREFIX}:noslot:{guild}:{group}:{batch}:{}", on.letter()),
            ButtonId::Reschedule { guild, group, on } => {
                write!(f, "{PREFIX}:resched:{guild}:{group}:{}", on.letter())
            }
            ButtonId::Fit { guild, group, fit } => {
                write!(f, "{PREFIX}:fit:{guild}:{group}:{}", fit.as_str())
            }
            ButtonId::FitUndo { guild, program } => {
                write!(f, "{PREFIX}:fitundo:{guild}:{program}")
            }
            ButtonId::Survey {
                guild,
                survey,
                action,
            } => write!(f, "{PREFIX}:survey:{guild}:{survey}:{}", action.word()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_posted_by_earlier_versions_still_parse() {
        let guild = GuildId(900);
        assert_eq!(
            ButtonId::parse("hw:met:900:12"),
            Some(ButtonId::Answer {
                guild,
                group: GroupId(12),
                answer: OutcomeStatus::Met
            })
        );
        assert_eq!(
            ButtonId::parse("hw:notyet:900:12"),
            Some(ButtonId::Answer {
                guild,
                group: GroupId(12),
                answer: OutcomeStatus::NotYet
            })
        );
        assert_eq!(
            ButtonId::parse("hw:skip:900:12"),
            Some(ButtonId::Answer {
                guild,
                group: GroupId(12),
                answer: OutcomeStatus::Skipped
            })
        );
        assert_eq!(
            ButtonId::parse("hw:fb:900:12:meh"),
            Some(ButtonId::Feedback {
                guild,
                group: GroupId(12),
                rating: Rating::Meh
            })
        );
        assert_eq!(
            ButtonId::parse("hw:confirm:900:3"),
            Some(ButtonId::ConfirmPreview {
                guild,
                preview: PreviewId(3)
            })
        );
        assert_eq!(
            ButtonId::parse("hw:forget:900:77"),
            Some(ButtonId::ForgetMe {
                guild,
                user: UserId(77)
            })
        );
    }

    #[test]
    fn a_join_button_names_its_server_program_and_role() {
        let id = ButtonId::Join {
            guild: GuildId(900),
            program: ProgramId(4),
            role: Role::Mentee,
        };
        assert_eq!(id.to_string(), "hw:join:900:4:mentee");
        assert_eq!(ButtonId::parse("hw:join:900:4:mentee"), Some(id));
        assert_eq!(id.guild(), GuildId(900));
        for role in Role::ALL {
            let id = ButtonId::Join {
                guild: GuildId(u64::MAX),
                program: ProgramId(i64::MIN),
                role: *role,
            };
            assert!(id.to_string().len() <= 100, "{id}");
        }
    }

    #[test]
    fn anything_else_is_not_a_hallway_button() {
        for id in [
            "",
            "hw",
            "hw:met",
            "hw:met:900",
            "hw:met:900:x",
            "hw:met:-1:12",
            "hw:met:900:12:extra",
            "hw:fb:900:12",
            "hw:fb:900:12:superb",
            "hw:fb:900:12:meh:more",
            "hw:dance:900:12",
            "other:met:900:12",
            "hw:join:900:4",
            "hw:join:900:4:boss",
            "hw:join:900:4:Mentor",
            "hw:join:900:4: mentor",
            "hw:join:900:x:mentor",
            "hw:join:900:4:mentor:more",
            "hw:slots:900:12:0",
            "hw:slots:900:12:x:i",
            "hw:slots:900:12:0:z",
            "hw:slots:900:12:0:i:more",
            "hw:noslot:900:12",
            "hw:resched:900:12",
            "hw:resched:900:12:q",
            "hw:met:900:12:i:extra",
            "hw:fit:900:12",
            "hw:fit:900:12:bad",
            "hw:fit:900:12:Good",
            "hw:fitundo:900:4:x",
            "hw:survey:900:3",
            "hw:survey:900:3:s6-1",
            "hw:survey:900:3:s1-0",
            "hw:survey:900:3:s01-1",
            "hw:survey:900:3:w0",
            "hw:survey:900:3:k",
            "hw:survey:900:3:x1",
            "hw:survey:900:3:open:more",
        ] {
            assert_eq!(ButtonId::parse(id), None, "{id}");
        }
    }

    fn any_button() -> impl Strategy<Value = ButtonId> {
        let answer = prop::sample::select(vec![
            OutcomeStatus::Met,
            OutcomeStatus::NotYet,
            OutcomeStatus::Skipped,
        ]);
        let rating = prop::sample::select(Rating::ALL.to_vec());
        prop_oneof![
            (any::<u64>(), any::<i64>(), answer).prop_map(|(g, group, answer)| {
                ButtonId::Answer {
                    guild: GuildId(g),
                    group: GroupId(group),
                    answer,
                }
            }),
            (any::<u64>(), any::<i64>(), rating).prop_map(|(g, group, rating)| {
                ButtonId::Feedback {
                    guild: GuildId(g),
                    group: GroupId(group),
                    rating,
                }
            }),
            (any::<u64>(), any::<i64>()).prop_map(|(g, p)| ButtonId::ConfirmPreview {
                guild: GuildId(g),
                preview: PreviewId(p)
            }),
            (any::<u64>(), any::<u64>()).prop_map(|(g, u)| ButtonId::ForgetMe {
                guild: GuildId(g),
                user: UserId(u)
            }),
            (any::<u64>(), any::<i64>()).prop_map(|(g, p)| ButtonId::Interests {
                guild: GuildId(g),
                program: ProgramId(p)
            }),
            (
                any::<u64>(),
                any::<i64>(),
                prop::sample::select(Role::ALL.to_vec())
            )
                .prop_map(|(g, p, role)| ButtonId::Join {
                    guild: GuildId(g),
                    program: ProgramId(p),
                    role,
                }),
            (
                any::<u64>(),
                any::<i64>(),
                any::<u32>(),
                prop::sample::select(SlotsOn::ALL.to_vec())
            )
                .prop_map(|(g, group, batch, on)| ButtonId::Slots {
                    guild: GuildId(g),
                    group: GroupId(group),
                    batch,
                    on,
                }),
            (
                any::<u64>(),
                any::<i64>(),
                any::<u32>(),
                prop::sample::select(SlotsOn::ALL.to_vec())
            )
                .prop_map(|(g, group, batch, on)| ButtonId::NoSlot {
                    guild: GuildId(g),
                    group: GroupId(group),
                    batch,
                    on,
                }),
            (
                any::<u64>(),
                any::<i64>(),
                prop::sample::select(SlotsOn::ALL.to_vec())
            )
                .prop_map(|(g, group, on)| ButtonId::Reschedule {
                    guild: GuildId(g),
                    group: GroupId(group),
                    on,
                }),
            (
                any::<u64>(),
                any::<i64>(),
                prop::sample::select(Fit::ALL.to_vec())
            )
                .prop_map(|(g, group, fit)| ButtonId::Fit {
                    guild: GuildId(g),
                    group: GroupId(group),
                    fit,
                }),
            (any::<u64>(), any::<i64>()).prop_map(|(g, p)| ButtonId::FitUndo {
                guild: GuildId(g),
                program: ProgramId(p)
            }),
            (any::<u64>(), any::<i64>(), any_survey_action()).prop_map(|(g, s, action)| {
                ButtonId::Survey {
                    guild: GuildId(g),
                    survey: SurveyId(s),
                    action,
                }
            }),
        ]
    }

    fn any_survey_action() -> impl Strategy<Value = SurveyAction> {
        prop_oneof![
            Just(SurveyAction::Open),
            Just(SurveyAction::Decline),
            (1u8..=5, 1u8..=5)
                .prop_map(|(position, score)| SurveyAction::Score { position, score }),
            (1u8..=5).prop_map(|position| SurveyAction::Write { position }),
            (1u8..=5).prop_map(|position| SurveyAction::Skip { position }),
        ]
    }

    proptest! {
        #[test]
        fn every_button_id_parses_back_to_itself_within_discords_100_characters(id in any_button()) {
            let text = id.to_string();
            prop_assert!(text.len() <= 100, "{text}");
            prop_assert_eq!(ButtonId::parse(&text), Some(id));
        }
    }
}
