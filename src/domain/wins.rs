//! Members' wins: what kinds there are, how each is announced, and a checked link.

use super::ids::{GuildId, ProgramId, UserId};
use super::validate::InputError;
use super::words::word_enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WinKind {
    Publication,
    Grant,
    Award,
    Talk,
    Milestone,
    Other,
}

word_enum!(WinKind, "kind of win", {
    Publication => "publication", Grant => "grant", Award => "award", Talk => "talk",
    Milestone => "milestone", Other => "other",
});

impl WinKind {
    pub fn emoji(self) -> &'static str {
        match self {
            WinKind::Publication => "📄",
            WinKind::Grant => "💰",
            WinKind::Award => "🏆",
            WinKind::Talk => "🎤",
            WinKind::Milestone => "🚩",
            WinKind::Other => "🎉",
        }
    }

    pub fn headline(self) -> &'static str {
        match self {
            WinKind::Publication => "New publication!",
            WinKind::Grant => "Grant funded!",
            WinKind::Award => "Award won!",
            WinKind::Talk => "Talk given!",
            WinKind::Milestone => "Milestone reached!",
            WinKind::Other => "A win to celebrate!",
        }
    }

    /// The embed's colour, as 0xRRGGBB.
    pub fn colour(self) -> u32 {
        match self {
            WinKind::Publication => 0x3B82F6,
            WinKind::Grant => 0x10B981,
            WinKind::Award => 0xF59E0B,
            WinKind::Talk => 0x8B5CF6,
            WinKind::Milestone => 0xEF4444,
            WinKind::Other => 0xEC4899,
        }
    }
}

/// Longest link we accept.
pub const LINK_MAX_CHARS: usize = 500;

/// A web link: http or https, with a host.
pub fn link(input: &str) -> Result<String, InputError> {
    let trimmed = input.trim();
    let bad = || {
        InputError::new(format!(
            "'{}' is not a web link. Give a full address starting with https://, or leave the link out.",
            super::validate::shorten(trimmed, 80)
        ))
    };
    if trimmed.chars().count() > LINK_MAX_CHARS {
        return Err(InputError::new(format!(
            "The link is longer than {LINK_MAX_CHARS} characters. Use a shorter address."
        )));
    }
    let url = url::Url::parse(trimmed).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// A win to save, and the post that celebrates it.
#[derive(Debug, Clone)]
pub struct NewWin<'a> {
    pub guild_id: GuildId,
    /// Whose celebrations channel posts it; the member must be in this program.
    pub program_id: ProgramId,
    pub user_id: UserId,
    pub kind: WinKind,
    pub description: &'a str,
    pub link: Option<&'a str>,
    /// What the celebration post shows, as stored for delivery.
    pub detail: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_web_addresses() {
        assert_eq!(
            link(" https://doi.org/10.1186/s12909-024-05930-2 ").unwrap(),
            "https://doi.org/10.1186/s12909-024-05930-2"
        );
        assert!(link("http://example.org/a?b=c").is_ok());
        for bad in [
            "javascript:alert(1)",
            "doi.org/10.1",
            "ftp://x.org/file",
            "https://",
            "not a link",
        ] {
            let err = link(bad).unwrap_err();
            assert!(err.0.contains("is not a web link"), "{bad}: {err}");
        }
        assert!(link(&format!("https://x.org/{}", "a".repeat(600)))
            .unwrap_err()
            .0
            .contains("longer than 500"));
    }

    #[test]
    fn every_kind_has_its_own_headline_and_emoji() {
        let headlines: std::collections::BTreeSet<_> =
            WinKind::ALL.iter().map(|k| k.headline()).collect();
        let emoji: std::collections::BTreeSet<_> = WinKind::ALL.iter().map(|k| k.emoji()).collect();
        assert_eq!(headlines.len(), WinKind::ALL.len());
        assert_eq!(emoji.len(), WinKind::ALL.len());
    }
}
