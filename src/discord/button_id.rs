//! The custom ids of hallway's buttons, as one typed enum.
//!
//! The server is in every id because buttons in DMs carry no server. An id only says
//! what a button is for: who may press it is checked against what is stored (the group's
//! members, the coordinator's permission, the member who asked), never taken from the id.
//! The text form is what Discord keeps on messages already posted, so it never changes.

use crate::domain::group::{OutcomeStatus, Rating};
use crate::domain::ids::{GroupId, GuildId, PreviewId, ProgramId, UserId};
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
            | ButtonId::Join { guild, .. } => guild,
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
        if parts.next().is_some() {
            return None;
        }
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
