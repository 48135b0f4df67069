//! Icebreakers: the built-in library, and which prompt a group gets.
//!
//! The categories follow the study behind hallway: light openers; career and research;
//! a few uninterrupted minutes each to talk about yourself; a social and emotional
//! check-in (tele-empathy); and self-care for mentors.

use std::collections::{BTreeSet, HashMap};

use rand::seq::IndexedRandom;
use rand::Rng;

use super::ids::UserId;
use super::profile::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Light,
    Career,
    Uninterrupted,
    CheckIn,
    MentorSelfCare,
}

super::words::word_enum!(Category, "prompt category", {
    Light => "light", Career => "career", Uninterrupted => "uninterrupted",
    CheckIn => "check-in", MentorSelfCare => "mentor-self-care",
});

/// A prompt a group can get. Built-in keys are `b<number>`; custom ones `c<prompt id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub key: String,
    pub category: Category,
    pub text: String,
}

/// The built-in library. Append only: a prompt's key is its position, and stored rounds
/// refer to it.
const BUILT_IN: &[(Category, &str)] = &[
    // Light
    (Category::Light, "What's something small that made you smile this week?"),
    (Category::Light, "If you could add one hour to every day, what would you spend it on?"),
    (Category::Light, "What's the best thing you've eaten recently, and where?"),
    (Category::Light, "Which place, near or far, would you most like to spend a free afternoon?"),
    (Category::Light, "What's a hobby you picked up, or dropped, in the last few years?"),
    (Category::Light, "What does your workspace look like right now? Describe one object on your desk."),
    (Category::Light, "What's a book, podcast or show you'd recommend to the other person?"),
    (Category::Light, "What were you into at age twelve that you still enjoy?"),
    (Category::Light, "Morning person or night owl? When do you do your best thinking?"),
    (Category::Light, "What's a skill you'd love to learn that has nothing to do with work?"),
    (Category::Light, "What's the most interesting thing you've learned outside your field lately?"),
    (Category::Light, "Tea, coffee, or something else? What gets you going in the morning?"),
    (Category::Light, "What's a tradition, at home or at work, that you look forward to?"),
    (Category::Light, "If you had to teach a class on anything but your job, what would it be?"),
    (Category::Light, "What's the last thing you made with your hands?"),
    (Category::Light, "What's your favourite way to spend a rainy day?"),
    (Category::Light, "What's a song you've had on repeat recently?"),
    (Category::Light, "Where did you grow up, and what's one thing people get wrong about it?"),
    (Category::Light, "What's something you're looking forward to this month?"),
    (Category::Light, "What's a small luxury you'd never give up?"),
    (Category::Light, "Which app on your phone would you delete last?"),
    (Category::Light, "What's the best piece of unsolicited advice you've ever received?"),
    (Category::Light, "Cats, dogs, or neither? Show-and-tell any pets in the room."),
    (Category::Light, "What was your first job, and what did it teach you?"),
    // Career and research
    (Category::Career, "What are you working on right now that excites you most?"),
    (Category::Career, "What's a question in your field you wish someone would answer?"),
    (Category::Career, "Who shaped your career the most, and how did you meet them?"),
    (Category::Career, "What's a turning point in your career that you didn't plan?"),
    (Category::Career, "What do you know now that you wish you had known at the start of your career?"),
    (Category::Career, "How do you decide which projects to say yes to?"),
    (Category::Career, "What's a paper, talk or idea that changed how you think about your work?"),
    (Category::Career, "What's one skill you're trying to get better at this year?"),
    (Category::Career, "How do you handle a rejection: a paper, a grant, a job?"),
    (Category::Career, "What does a good week at work look like for you?"),
    (Category::Career, "What's a collaboration that worked really well, and why?"),
    (Category::Career, "What would you do if you weren't doing your current job?"),
    (Category::Career, "How do you keep up with new work in your field without drowning in it?"),
    (Category::Career, "What's a mistake that taught you something important?"),
    (Category::Career, "What's one thing about your institution that outsiders would find surprising?"),
    (Category::Career, "How do you protect time for deep work?"),
    (Category::Career, "What kind of mentoring has helped you most, and what hasn't?"),
    (Category::Career, "Where would you like to be in five years, and what's the next step toward it?"),
    (Category::Career, "What's a conference or community you'd recommend, and why?"),
    (Category::Career, "How do you explain your work to someone outside your field?"),
    (Category::Career, "What's a tool or habit that made you noticeably more effective?"),
    (Category::Career, "What's a project you're proud of that few people know about?"),
    (Category::Career, "What's something you'd like feedback on right now?"),
    (Category::Career, "How do you find people to work with outside your own institution?"),
    (Category::Career, "What's the hardest part of your role that nobody warned you about?"),
    // A few uninterrupted minutes each
    (Category::Uninterrupted, "Take five minutes each, uninterrupted, to tell the story of how you got to where you are. The listener only listens, then asks one question."),
    (Category::Uninterrupted, "Take a few minutes each to describe your work as if to a curious friend. No interruptions until the other person is done."),
    (Category::Uninterrupted, "Take four minutes each, uninterrupted: what are you hoping to get out of this program?"),
    (Category::Uninterrupted, "Take a few minutes each, uninterrupted, to talk about a challenge you're facing. The listener then shares one thing they heard."),
    (Category::Uninterrupted, "Take five minutes each to talk about something you're proud of from the past year. Listen without interrupting."),
    (Category::Uninterrupted, "Take a few minutes each, uninterrupted, to describe a typical day, and the part of it you'd change."),
    (Category::Uninterrupted, "Take a few minutes each to talk about an idea you haven't had time to pursue. The listener asks one question at the end."),
    (Category::Uninterrupted, "Take three minutes each, uninterrupted: what does success look like for you a year from now?"),
    (Category::Uninterrupted, "Take a few minutes each to talk about the people who have helped you most. No interruptions."),
    (Category::Uninterrupted, "Take five minutes each to walk through your current biggest project, start to finish. The listener saves questions for the end."),
    (Category::Uninterrupted, "Take a few minutes each, uninterrupted, to share what you're curious about right now, at work or outside it."),
    (Category::Uninterrupted, "Take four minutes each to tell the story of a decision that changed your path. Then swap."),
    (Category::Uninterrupted, "Take a few minutes each to talk about your values at work: what you won't compromise on. Listen fully before responding."),
    (Category::Uninterrupted, "Take a few minutes each, uninterrupted, to describe what you'd want a new colleague to know about working with you."),
    (Category::Uninterrupted, "Take five minutes each to share what's on your plate this month and what you'd drop if you could."),
    // Social and emotional check-in (tele-empathy)
    (Category::CheckIn, "Start with a check-in: how are you, really, on a scale from one to ten, and why that number?"),
    (Category::CheckIn, "What's taking up most of your energy at the moment?"),
    (Category::CheckIn, "What's one thing that's going well, and one thing that's hard right now?"),
    (Category::CheckIn, "How are you balancing work and the rest of life these days?"),
    (Category::CheckIn, "What's something that helped you recharge recently?"),
    (Category::CheckIn, "Is there anything you're worried about that you'd like to talk through?"),
    (Category::CheckIn, "What does support look like for you when things get busy?"),
    (Category::CheckIn, "How has working remotely or hybrid changed how connected you feel?"),
    (Category::CheckIn, "What's one thing you'd like more of in your week, and one thing you'd like less of?"),
    (Category::CheckIn, "When did you last feel really energised by your work?"),
    (Category::CheckIn, "Who do you turn to when you need advice, and who turns to you?"),
    (Category::CheckIn, "What's a boundary you've set, or want to set, to protect your wellbeing?"),
    (Category::CheckIn, "How are you feeling about the next few months?"),
    (Category::CheckIn, "What's something you've been meaning to celebrate but haven't yet?"),
    (Category::CheckIn, "What's one kind thing someone did for you recently?"),
    (Category::CheckIn, "What does a good day feel like for you right now, and how often do you get one?"),
    (Category::CheckIn, "What's one small change that would make your week easier?"),
    (Category::CheckIn, "How do you notice when you need a break, and what do you do then?"),
    (Category::CheckIn, "What's been on your mind most this week, work or otherwise?"),
    (Category::CheckIn, "What are you grateful for at the moment?"),
    // Mentor self-care
    (Category::MentorSelfCare, "How do you keep mentoring sustainable alongside everything else you do?"),
    (Category::MentorSelfCare, "What's one meeting you could shorten or drop to give yourself breathing room?"),
    (Category::MentorSelfCare, "How do you say no to a request without feeling guilty?"),
    (Category::MentorSelfCare, "Mentors: what do you get out of mentoring, and what drains you?"),
    (Category::MentorSelfCare, "Do 50-minute meetings instead of an hour work for you? What do you do with the ten minutes?"),
    (Category::MentorSelfCare, "Which days or times of day are best for you to mentor, and how do you protect them?"),
    (Category::MentorSelfCare, "Who mentors the mentors? Where do you go for advice yourself?"),
    (Category::MentorSelfCare, "How do you recover after a demanding week?"),
    (Category::MentorSelfCare, "What's a boundary that made you a better mentor?"),
    (Category::MentorSelfCare, "How do you notice burnout creeping in, in yourself or others?"),
    (Category::MentorSelfCare, "What's one thing you'd tell a new mentor about looking after themselves?"),
    (Category::MentorSelfCare, "How has mentoring changed since more of it moved online?"),
    (Category::MentorSelfCare, "Phone, video, or a walking call: which leaves you with the most energy?"),
    (Category::MentorSelfCare, "What would make mentoring feel lighter for you this term?"),
    (Category::MentorSelfCare, "When did a mentee teach you something? Tell the story."),
    (Category::MentorSelfCare, "What's one thing you've stopped doing that made your week better?"),
    // Added after the first release; keep appending here.
    (Category::Light, "What's a place in your town you'd take a visitor to first?"),
    (Category::Light, "What's the most useful thing you own that cost almost nothing?"),
    (Category::CheckIn, "What would you like the other person to remember to ask you about next time?"),
    (Category::Uninterrupted, "Take a few minutes each, uninterrupted, to talk about where you find meaning in your work. Then swap."),
];

/// The built-in library, with keys.
pub fn built_in() -> Vec<Prompt> {
    BUILT_IN
        .iter()
        .enumerate()
        .map(|(index, (category, text))| Prompt {
            key: format!("b{index}"),
            category: *category,
            text: (*text).to_string(),
        })
        .collect()
}

/// A built-in prompt's text by its key (`b<number>`), without building the library.
pub fn built_in_text(key: &str) -> Option<&'static str> {
    let index: usize = key.strip_prefix('b')?.parse().ok()?;
    BUILT_IN.get(index).map(|(_, text)| *text)
}

/// Which categories fit a group, by the roles in it.
pub fn categories_for(roles: &[Role]) -> &'static [Category] {
    let mentors = roles.iter().filter(|r| **r == Role::Mentor).count();
    if mentors == roles.len() && mentors > 0 {
        &[
            Category::MentorSelfCare,
            Category::CheckIn,
            Category::Career,
        ]
    } else if mentors > 0 {
        &[
            Category::Career,
            Category::Uninterrupted,
            Category::CheckIn,
            Category::Light,
        ]
    } else {
        &[
            Category::Light,
            Category::CheckIn,
            Category::Uninterrupted,
            Category::Career,
        ]
    }
}

/// The prompts one member has had, as [`choose`] asks: by the prompt's position in the
/// library (`index`) or by the prompt itself, whichever the set is keyed by.
pub trait Seen {
    fn has_seen(&self, index: usize, prompt: &Prompt) -> bool;
}

impl Seen for BTreeSet<String> {
    fn has_seen(&self, _index: usize, prompt: &Prompt) -> bool {
        self.contains(&prompt.key)
    }
}

/// Picks a prompt for a group: one that no member has had yet, from a category that fits
/// the group, chosen at random. When the fitting categories are used up, any unseen prompt;
/// when the whole library is used up, the prompt the members have seen least.
pub fn choose<'a, S: Seen>(
    library: &'a [Prompt],
    roles: &[Role],
    seen_by_members: &[S],
    rng: &mut impl Rng,
) -> Option<&'a Prompt> {
    let fitting = categories_for(roles);
    let unseen =
        |(i, p): &(usize, &Prompt)| seen_by_members.iter().all(|seen| !seen.has_seen(*i, p));
    let candidates: Vec<&Prompt> = library
        .iter()
        .enumerate()
        .filter(|(_, p)| fitting.contains(&p.category))
        .filter(unseen)
        .map(|(_, p)| p)
        .collect();
    if let Some(prompt) = candidates.choose(rng) {
        return Some(prompt);
    }
    let any_unseen: Vec<&Prompt> = library
        .iter()
        .enumerate()
        .filter(unseen)
        .map(|(_, p)| p)
        .collect();
    if let Some(prompt) = any_unseen.choose(rng) {
        return Some(prompt);
    }
    let times_seen = |i: usize, p: &Prompt| {
        seen_by_members
            .iter()
            .filter(|seen| seen.has_seen(i, p))
            .count()
    };
    let counts: Vec<usize> = library
        .iter()
        .enumerate()
        .map(|(i, p)| times_seen(i, p))
        .collect();
    let fewest = counts.iter().copied().min()?;
    let least_seen: Vec<&Prompt> = library
        .iter()
        .zip(&counts)
        .filter(|(_, &n)| n == fewest)
        .map(|(p, _)| p)
        .collect();
    least_seen.choose(rng).copied()
}

/// Which prompts each member of a program has had, compact enough for 100,000 members
/// with years of rounds: each distinct prompt key gets a bit, each member a row of bits
/// (a few words, where a set of strings per member took hundreds of bytes).
#[derive(Debug, Clone, Default)]
pub struct PromptsSeen {
    /// Interned keys, by bit.
    keys: Vec<String>,
    bit_of_key: HashMap<String, u32>,
    row_of_member: HashMap<UserId, u32>,
    /// Words per member row.
    words: usize,
    rows: Vec<u64>,
}

impl PromptsSeen {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `user` had the prompt `key`.
    pub fn insert(&mut self, user: UserId, key: &str) {
        let bit = match self.bit_of_key.get(key) {
            Some(&bit) => bit,
            None => {
                let bit = self.keys.len() as u32;
                self.keys.push(key.to_string());
                self.bit_of_key.insert(key.to_string(), bit);
                if self.keys.len() > self.words * 64 {
                    self.widen();
                }
                bit
            }
        };
        let next = self.row_of_member.len() as u32;
        let row = *self.row_of_member.entry(user).or_insert(next);
        if row == next {
            self.rows.resize(self.rows.len() + self.words, 0);
        }
        self.rows[row as usize * self.words + bit as usize / 64] |= 1 << (bit % 64);
    }

    /// One more word per row: the rows are laid out again, once per 64 distinct keys.
    fn widen(&mut self) {
        let (old, new) = (self.words, self.words + 1);
        let members = self.row_of_member.len();
        let mut rows = vec![0u64; members * new];
        for m in 0..members {
            rows[m * new..m * new + old].copy_from_slice(&self.rows[m * old..(m + 1) * old]);
        }
        self.rows = rows;
        self.words = new;
    }

    pub fn has_seen(&self, user: UserId, key: &str) -> bool {
        match (self.bit_of_key.get(key), self.row(user)) {
            (Some(&bit), Some(row)) => row[bit as usize / 64] & (1 << (bit % 64)) != 0,
            _ => false,
        }
    }

    /// The keys `user` has had, in the order they were first seen by anyone.
    pub fn keys_of(&self, user: UserId) -> Vec<&str> {
        let Some(row) = self.row(user) else {
            return Vec::new();
        };
        self.keys
            .iter()
            .enumerate()
            .filter(|(bit, _)| row[bit / 64] & (1 << (bit % 64)) != 0)
            .map(|(_, key)| key.as_str())
            .collect()
    }

    /// How many members have had any prompt.
    pub fn members(&self) -> usize {
        self.row_of_member.len()
    }

    fn row(&self, user: UserId) -> Option<&[u64]> {
        let row = *self.row_of_member.get(&user)? as usize;
        Some(&self.rows[row * self.words..(row + 1) * self.words])
    }

    /// The bit of each prompt of `library`, looked up once, so a [`choose`] over many
    /// groups tests bits and never hashes a key.
    pub fn for_library(&self, library: &[Prompt]) -> LibrarySeen<'_> {
        LibrarySeen {
            seen: self,
            bit_of_prompt: library
                .iter()
                .map(|p| self.bit_of_key.get(&p.key).copied())
                .collect(),
        }
    }
}

/// [`PromptsSeen`] against one library.
#[derive(Debug)]
pub struct LibrarySeen<'a> {
    seen: &'a PromptsSeen,
    bit_of_prompt: Vec<Option<u32>>,
}

impl LibrarySeen<'_> {
    /// What `user` has had, for [`choose`] with the same library.
    pub fn member(&self, user: UserId) -> MemberSeen<'_> {
        MemberSeen {
            row: self.seen.row(user).unwrap_or(&[]),
            bit_of_prompt: &self.bit_of_prompt,
        }
    }
}

/// One member's row of [`PromptsSeen`], for [`choose`].
#[derive(Debug, Clone, Copy)]
pub struct MemberSeen<'a> {
    row: &'a [u64],
    bit_of_prompt: &'a [Option<u32>],
}

impl Seen for MemberSeen<'_> {
    fn has_seen(&self, index: usize, _prompt: &Prompt) -> bool {
        match self.bit_of_prompt.get(index).copied().flatten() {
            Some(bit) => self
                .row
                .get(bit as usize / 64)
                .is_some_and(|w| w & (1 << (bit % 64)) != 0),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::BTreeMap;

    #[test]
    fn the_library_has_at_least_100_distinct_prompts_in_every_category() {
        let library = built_in();
        assert!(library.len() >= 100, "{} prompts", library.len());
        let distinct: BTreeSet<_> = library.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(distinct.len(), library.len(), "no duplicates");
        let mut per_category = BTreeMap::new();
        for p in &library {
            *per_category.entry(p.category).or_insert(0) += 1;
            assert!(p.text.len() <= crate::domain::validate::PROMPT_MAX_CHARS);
        }
        for category in Category::ALL {
            assert!(
                per_category.get(category).copied().unwrap_or(0) >= 10,
                "{category}"
            );
        }
    }

    #[test]
    fn built_in_texts_are_found_by_key() {
        let library = built_in();
        assert_eq!(built_in_text("b0"), Some(library[0].text.as_str()));
        assert_eq!(
            built_in_text(&library[103].key),
            Some(library[103].text.as_str())
        );
        assert_eq!(built_in_text("b9999"), None);
        assert_eq!(built_in_text("c1"), None);
    }

    #[test]
    fn groups_of_mentors_get_self_care_and_mentees_never_do_first() {
        assert_eq!(
            categories_for(&[Role::Mentor, Role::Mentor])[0],
            Category::MentorSelfCare
        );
        assert!(!categories_for(&[Role::Mentee, Role::Mentee]).contains(&Category::MentorSelfCare));
        assert!(!categories_for(&[Role::Mentor, Role::Mentee]).contains(&Category::MentorSelfCare));
    }

    #[test]
    fn an_exhausted_library_falls_back_to_the_least_seen() {
        let library = built_in();
        let everything: BTreeSet<String> = library.iter().map(|p| p.key.clone()).collect();
        let mut almost = everything.clone();
        almost.remove("b3");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let picked = choose(
            &library,
            &[Role::Peer, Role::Peer],
            &[everything.clone(), almost],
            &mut rng,
        );
        assert_eq!(picked.unwrap().key, "b3");
        assert!(choose::<BTreeSet<String>>(&[], &[Role::Peer], &[], &mut rng).is_none());
    }

    proptest! {
        /// The compact sets choose exactly as sets of keys do, rng draws included.
        #[test]
        fn prompts_seen_as_bits_choose_as_sets_of_keys_do(
            seed in any::<u64>(),
            had in proptest::collection::vec(proptest::collection::vec(0usize..140, 0..140), 1..4),
        ) {
            let mut library = built_in();
            library.push(Prompt { key: "c7".into(), category: Category::Light, text: "Custom?".into() });
            let keys = |picks: &Vec<usize>| -> BTreeSet<String> {
                picks.iter().map(|&k| if k < library.len() { library[k].key.clone() } else { format!("gone{k}") }).collect()
            };
            let sets: Vec<BTreeSet<String>> = had.iter().map(keys).collect();
            let mut compact = PromptsSeen::new();
            for (member, set) in sets.iter().enumerate() {
                for key in set {
                    compact.insert(UserId(member as u64), key);
                }
            }
            for (member, set) in sets.iter().enumerate() {
                let user = UserId(member as u64);
                let back: BTreeSet<String> = compact.keys_of(user).into_iter().map(String::from).collect();
                prop_assert_eq!(&back, set);
                prop_assert!(set.iter().all(|key| compact.has_seen(user, key)));
            }
            let in_library = compact.for_library(&library);
            let rows: Vec<MemberSeen<'_>> = (0..sets.len()).map(|m| in_library.member(UserId(m as u64))).collect();
            let roles = vec![Role::Peer; sets.len()];
            let mut a = ChaCha8Rng::seed_from_u64(seed);
            let mut b = a.clone();
            for _ in 0..3 {
                let by_sets = choose(&library, &roles, &sets, &mut a).map(|p| &p.key);
                let by_bits = choose(&library, &roles, &rows, &mut b).map(|p| &p.key);
                prop_assert_eq!(by_sets, by_bits);
            }
        }

        #[test]
        fn nobody_gets_a_prompt_they_have_had_until_the_library_runs_out(seed in any::<u64>(), rounds in 1usize..60) {
            let library = built_in();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut seen = vec![BTreeSet::new(), BTreeSet::new()];
            for _ in 0..rounds {
                let picked = choose(&library, &[Role::Mentee, Role::Peer], &seen, &mut rng).unwrap();
                prop_assert!(seen.iter().all(|s| !s.contains(&picked.key)));
                for s in &mut seen {
                    s.insert(picked.key.clone());
                }
            }
        }
    }
}
