//! Enums of plain words that users type or pick, and files and the database store.

/// An enum whose values are plain words: the choices shown in Discord, the values stored.
pub trait Word: Copy + Sized + 'static {
    /// Every value, in the order users see them.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
}

/// A value that a user or a file gave, which is not one of the allowed words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{given}' is not a {what}; use one of: {allowed}")]
pub struct UnknownWord {
    pub what: &'static str,
    pub given: String,
    pub allowed: &'static str,
}

/// Gives an enum of plain words `as_str`, `Display`, `FromStr`, serde and `ALL`, from one
/// list: the words users pick, the database stores and JSON holds are the same.
macro_rules! word_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl $crate::domain::words::Word for $ty {
            const ALL: &'static [$ty] = $ty::ALL;

            fn as_str(self) -> &'static str {
                $ty::as_str(self)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Stored JSON (a celebration's post, a preview's groups) spells them as words too.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::domain::words::UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($word => Ok($ty::$variant),)+
                    _ => Err($crate::domain::words::UnknownWord {
                        what: $what,
                        given: s.to_string(),
                        allowed: concat!($($word, " "),+).trim_ascii_end(),
                    }),
                }
            }
        }
    };
}
pub(crate) use word_enum;

#[cfg(test)]
mod tests {
    use crate::domain::profile::Role;
    use crate::domain::program::Cadence;
    use crate::domain::wins::WinKind;

    fn round_trips<T>()
    where
        T: super::Word
            + serde::Serialize
            + serde::de::DeserializeOwned
            + PartialEq
            + std::fmt::Debug,
    {
        for &word in T::ALL {
            let json = serde_json::to_string(&word).unwrap();
            assert_eq!(json, format!("\"{}\"", word.as_str()));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), word);
        }
    }

    #[test]
    fn json_spells_a_word_enum_with_its_stored_word() {
        round_trips::<Cadence>();
        round_trips::<Role>();
        round_trips::<WinKind>();
        // serde's own kebab-case would have written "every3-weeks".
        assert_eq!(
            serde_json::to_string(&Cadence::Every3Weeks).unwrap(),
            "\"every-3-weeks\""
        );
        assert!(serde_json::from_str::<Role>("\"captain\"")
            .unwrap_err()
            .to_string()
            .contains("use one of: mentor mentee peer"));
    }
}
