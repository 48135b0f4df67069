//! A program's interest tags, and the ones each member picked. Shared tags are a soft
//! preference in matching (see `matching`), and the intro names them.

use super::ids::InterestId;
use super::matching;
use super::profile::Role;

/// The most tags a program can define: what the matching engine's bitmask holds, which
/// is also what one Discord select menu can list.
pub const MAX_TAGS: usize = matching::INTEREST_TAGS as usize;
/// The most tags a member can pick.
pub const MAX_PICKS: usize = matching::MEMBER_INTERESTS as usize;
/// The longest tag, in characters (a select menu's option label allows 100).
pub const TAG_MAX_CHARS: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interest {
    pub interest_id: InterestId,
    pub name: String,
}

/// Why a coordinator's new tag was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagRefusal {
    /// The program has [`MAX_TAGS`] already.
    Full,
    /// The program has a tag of that name, whatever the case.
    Taken,
}

/// The engine's bitmask of `picks`: bit `i` for the program's `i`-th tag, in the order
/// of `tags`. Picks that are not among the tags (removed since) count for nothing.
pub fn bitmask(tags: &[Interest], picks: &[InterestId]) -> u32 {
    tags.iter()
        .take(MAX_TAGS)
        .enumerate()
        .filter(|(_, tag)| picks.contains(&tag.interest_id))
        .fold(0, |mask, (i, _)| mask | (1 << i))
}

/// The names of the tags every member of a group picked, in the program's order.
pub fn shared<'a>(tags: &'a [Interest], picks: &[&[InterestId]]) -> Vec<&'a str> {
    if picks.len() < 2 {
        return Vec::new();
    }
    tags.iter()
        .filter(|tag| picks.iter().all(|p| p.contains(&tag.interest_id)))
        .map(|tag| tag.name.as_str())
        .collect()
}

/// How a member's tags read beside their name: what a mentor can help with, what a
/// mentee wants help with, what a peer is into.
pub fn label(role: Role) -> &'static str {
    match role {
        Role::Mentor => "Can help with",
        Role::Mentee => "Wants help with",
        Role::Peer => "Interested in",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(names: &[&str]) -> Vec<Interest> {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| Interest {
                interest_id: InterestId(10 + i as i64),
                name: name.to_string(),
            })
            .collect()
    }

    #[test]
    fn the_bitmask_follows_the_programs_order_and_ignores_removed_tags() {
        let t = tags(&["grant writing", "coding", "teaching"]);
        assert_eq!(bitmask(&t, &[InterestId(10), InterestId(12)]), 0b101);
        assert_eq!(bitmask(&t, &[InterestId(99)]), 0, "a tag removed since");
        assert_eq!(bitmask(&t, &[]), 0);
    }

    #[test]
    fn shared_tags_are_those_every_member_picked() {
        let t = tags(&["grant writing", "coding", "teaching"]);
        let a = [InterestId(10), InterestId(11)];
        let b = [InterestId(11), InterestId(10)];
        let c = [InterestId(11)];
        assert_eq!(shared(&t, &[&a, &b]), ["grant writing", "coding"]);
        assert_eq!(shared(&t, &[&a, &b, &c]), ["coding"]);
        assert!(shared(&t, &[&a]).is_empty(), "one member shares nothing");
    }

    #[test]
    fn a_mentors_tags_are_what_they_can_help_with() {
        assert_eq!(label(Role::Mentor), "Can help with");
        assert_eq!(label(Role::Mentee), "Wants help with");
    }
}
