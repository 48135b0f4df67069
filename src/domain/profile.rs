//! A member's profile: who they are in the program and how they like to meet.

use super::words::word_enum;
pub use super::words::UnknownWord;

/// The part a member plays in the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Mentor,
    Mentee,
    Peer,
}

/// When in their own day a member prefers to chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeOfDay {
    Morning,
    Afternoon,
    Evening,
    Flexible,
}

/// How a member prefers to meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Modality {
    Video,
    Phone,
    Walking,
    Text,
    Any,
}

word_enum!(Role, "role", { Mentor => "mentor", Mentee => "mentee", Peer => "peer" });
word_enum!(TimeOfDay, "time of day", {
    Morning => "morning", Afternoon => "afternoon", Evening => "evening", Flexible => "flexible",
});
word_enum!(Modality, "modality", {
    Video => "video", Phone => "phone", Walking => "walking", Text => "text", Any => "any",
});

impl TimeOfDay {
    /// The local hours this preference covers, as a half-open range `[start, end)`.
    pub fn local_hours(self) -> std::ops::Range<u8> {
        match self {
            TimeOfDay::Morning => 8..12,
            TimeOfDay::Afternoon => 12..17,
            TimeOfDay::Evening => 17..21,
            TimeOfDay::Flexible => 8..21,
        }
    }
}

impl Modality {
    /// Whether two members' preferred modalities can meet without either giving way.
    pub fn compatible(self, other: Modality) -> bool {
        self == other || self == Modality::Any || other == Modality::Any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        for m in Modality::ALL {
            assert_eq!(m.to_string().parse::<Modality>().unwrap(), *m);
        }
        for t in TimeOfDay::ALL {
            assert_eq!(t.to_string().parse::<TimeOfDay>().unwrap(), *t);
        }
    }

    #[test]
    fn unknown_word_lists_the_choices() {
        let err = "boss".parse::<Role>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'boss' is not a role; use one of: mentor mentee peer"
        );
        assert_eq!(" Mentor ".parse::<Role>().unwrap(), Role::Mentor);
    }

    #[test]
    fn modality_any_is_compatible_with_everything() {
        assert!(Modality::Any.compatible(Modality::Text));
        assert!(Modality::Video.compatible(Modality::Video));
        assert!(!Modality::Video.compatible(Modality::Walking));
    }
}
