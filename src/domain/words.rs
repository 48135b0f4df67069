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

/// Gives an enum of plain words `as_str`, `Display`, `FromStr` and `ALL`, from one list.
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
