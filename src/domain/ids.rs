//! Typed ids, so that a server id cannot be passed where a user id belongs.
//!
//! Discord ids (servers, users, channels, messages) are u64 snowflakes; round, group and preview ids are
//! the database's own row ids (programs get theirs with the programs table). Each is
//! its own type; `storage` converts all of them to and from SQLite's i64 in one place.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            pub fn get(self) -> $inner {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A Discord server (guild).
    GuildId(u64)
);
id_type!(
    /// A Discord user.
    UserId(u64)
);
id_type!(
    /// A Discord channel: a text channel, a thread (threads are channels) or a DM.
    ChannelId(u64)
);
id_type!(
    /// A Discord message.
    MessageId(u64)
);
id_type!(
    /// A round of matching: the `round` table's row id.
    RoundId(i64)
);
id_type!(
    /// A group within a round: the `match_group` table's row id.
    GroupId(i64)
);
id_type!(
    /// A previewed round waiting for Confirm: the `round_preview` table's row id.
    PreviewId(i64)
);
id_type!(
    /// One of a server's programs: the `program` table's row id.
    ProgramId(i64)
);
id_type!(
    /// One survey of a program: the `survey` table's row id.
    SurveyId(i64)
);
id_type!(
    /// One of a program's interest tags: the `interest` table's row id.
    InterestId(i64)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_bare_numbers_so_stored_json_keeps_its_shape() {
        assert_eq!(serde_json::to_string(&UserId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<GroupId>("7").unwrap(), GroupId(7));
        assert_eq!("123".parse::<GuildId>().unwrap(), GuildId(123));
    }
}
