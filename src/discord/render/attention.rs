//! The attention list's words: the `/hallway-admin attention` reply and the weekly digest.

use poise::serenity_prelude::CreateActionRow;

use super::*;
use crate::delivery::attention::DigestView;
use crate::domain::attention::{AttentionReport, Person, DIGEST_HOUR};

/// The digest's text, whom it mentions (nobody: names are shown, never pinged), and its
/// buttons.
pub fn digest_parts(view: &DigestView) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let heading = format!("📋 **Weekly attention digest: {}**", view.program_name);
    (
        attention_text(&heading, &view.program_name, &view.report),
        Vec::new(),
        Vec::new(),
    )
}

/// The `/hallway-admin attention` reply.
pub fn attention_reply(program_name: &str, report: &AttentionReport) -> String {
    let heading = format!("**Needs attention in {program_name}**");
    attention_text(&heading, program_name, report)
}

/// The settings line: the attention threshold and where the digest goes.
pub fn attention_setting(program: &Program) -> String {
    let n = program.evaluation.attention_rounds;
    let digest = match program.evaluation.coordinators_channel_id {
        Some(channel) => format!(
            "weekly digest in <#{channel}> on Mondays at {DIGEST_HOUR:02}:00 ({})",
            program.schedule.map_or("UTC", |s| s.time_zone.name())
        ),
        None => "no weekly digest".into(),
    };
    format!(
        "Attention list: after {} without a \"We met\"; {digest}",
        rounds_word(u32::from(n))
    )
}

fn rounds_word(n: u32) -> String {
    if n == 1 {
        "1 round".into()
    } else {
        format!("{n} rounds")
    }
}

fn who(person: &Person) -> String {
    format!("{} ({})", mention(person.user_id), person.name)
}

fn round_list(rounds: &[u32]) -> String {
    let numbers: Vec<String> = rounds.iter().map(u32::to_string).collect();
    match rounds {
        [_] => format!("round {}", numbers[0]),
        _ => format!("rounds {}", numbers.join(", ")),
    }
}

/// `<t:…:D>`: the date, in the reader's time zone.
fn day(at: DateTime<Utc>) -> String {
    format!("<t:{}:D>", at.timestamp())
}

/// The sections of a non-empty list, each a heading and its entries.
fn sections(report: &AttentionReport) -> Vec<(String, Vec<String>)> {
    let no_meeting: Vec<String> = report
        .no_meeting
        .iter()
        .map(|e| {
            let paused = e
                .paused_until
                .map(|until| format!(" (paused until {})", day(until)))
                .unwrap_or_default();
            format!("• {}: {}{paused}", who(&e.member), round_list(&e.rounds))
        })
        .collect();
    let silent: Vec<String> = report
        .silent_groups
        .iter()
        .map(|g| {
            let members: Vec<String> = g.members.iter().map(who).collect();
            format!("• Round {}: {}", g.round, members.join(", "))
        })
        .collect();
    let pauses: Vec<String> = report
        .pauses_over
        .iter()
        .map(|p| {
            format!(
                "• {}: pause ended {}; since then {}",
                who(&p.member),
                day(p.ended),
                round_list(&p.rounds_since)
            )
        })
        .collect();
    let mentors: Vec<String> = report
        .full_mentors
        .iter()
        .map(|m| {
            format!(
                "• {}: {} in each of {}",
                who(&m.member),
                if m.capacity == 1 {
                    "1 mentee".to_string()
                } else {
                    format!("{} mentees", m.capacity)
                },
                round_list(&m.rounds)
            )
        })
        .collect();
    vec![
        (
            format!(
                "**No \"We met\" in their last {}**",
                rounds_word(u32::from(report.attention_rounds))
            ),
            no_meeting,
        ),
        ("**Groups where nobody answered**".into(), silent),
        ("**Pause over, not matched since**".into(), pauses),
        ("**Mentors at capacity every round**".into(), mentors),
    ]
    .into_iter()
    .filter(|(_, entries)| !entries.is_empty())
    .collect()
}

/// The list under `heading`, each section cut with "… and N more" so the whole fits
/// Discord's 2,000 characters; an empty list says so.
fn attention_text(heading: &str, program_name: &str, report: &AttentionReport) -> String {
    if report.is_empty() {
        return format!("{heading}\nNobody needs your attention in {program_name} right now.");
    }
    let mut intro = heading.to_string();
    if let Some(round) = report.running_round {
        intro.push_str(&format!(
            "\n_Round {round} is still running: its answers count once it ends._"
        ));
    }
    let sections = sections(report);
    let draw = |cap: usize| {
        let mut text = intro.clone();
        for (title, entries) in &sections {
            text.push_str(&format!("\n{title}"));
            for entry in entries.iter().take(cap) {
                text.push('\n');
                text.push_str(entry);
            }
            if entries.len() > cap {
                text.push_str(&format!("\n… and {} more", entries.len() - cap));
            }
        }
        text
    };
    let longest = sections.iter().map(|(_, e)| e.len()).max().unwrap_or(0);
    let fits = |cap: usize| draw(cap).chars().count() <= MESSAGE_LIMIT;
    if fits(longest) {
        return draw(longest);
    }
    // The most entries per section that fit: fewer entries make a shorter text.
    let (mut low, mut high) = (0, longest);
    while low + 1 < high {
        let mid = (low + high) / 2;
        if fits(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    fit(&draw(low))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attention::{FullMentor, NoMeeting, PauseOver, SilentGroup};
    use chrono::TimeZone;

    fn person(n: u64, name: &str) -> Person {
        Person {
            user_id: UserId(1_300_000_000_000_000_000 + n),
            name: name.into(),
        }
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 10, 9, 0, 0).unwrap()
    }

    fn report() -> AttentionReport {
        AttentionReport {
            attention_rounds: 3,
            running_round: Some(4),
            no_meeting: vec![
                NoMeeting {
                    member: person(1, "Ada"),
                    rounds: vec![1, 2, 3],
                    paused_until: None,
                },
                NoMeeting {
                    member: person(2, "Ben"),
                    rounds: vec![1, 2, 3],
                    paused_until: Some(at()),
                },
            ],
            silent_groups: vec![SilentGroup {
                round: 3,
                members: vec![person(1, "Ada"), person(4, "Dev")],
            }],
            pauses_over: vec![PauseOver {
                member: person(5, "Eve"),
                ended: at(),
                rounds_since: vec![3],
            }],
            full_mentors: vec![FullMentor {
                member: person(6, "Moss"),
                capacity: 2,
                rounds: vec![2, 3, 4],
            }],
        }
    }

    #[test]
    fn each_entry_names_the_member_and_the_rounds() {
        let text = attention_reply("Autumn cohort", &report());
        let stamp = at().timestamp();
        let expected = format!(
            "**Needs attention in Autumn cohort**
_Round 4 is still running: its answers count once it ends._
**No \"We met\" in their last 3 rounds**
• <@1300000000000000001> (Ada): rounds 1, 2, 3
• <@1300000000000000002> (Ben): rounds 1, 2, 3 (paused until <t:{stamp}:D>)
**Groups where nobody answered**
• Round 3: <@1300000000000000001> (Ada), <@1300000000000000004> (Dev)
**Pause over, not matched since**
• <@1300000000000000005> (Eve): pause ended <t:{stamp}:D>; since then round 3
**Mentors at capacity every round**
• <@1300000000000000006> (Moss): 2 mentees in each of rounds 2, 3, 4"
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn an_empty_list_says_nobody_needs_attention() {
        let text = attention_reply("Autumn cohort", &AttentionReport::default());
        assert_eq!(
            text,
            "**Needs attention in Autumn cohort**\nNobody needs your attention in Autumn cohort right now."
        );
        let view = DigestView {
            program_name: "Autumn cohort".into(),
            report: AttentionReport::default(),
        };
        let (digest, mentions, buttons) = digest_parts(&view);
        assert!(digest.starts_with("📋 **Weekly attention digest: Autumn cohort**\nNobody"));
        assert!(mentions.is_empty() && buttons.is_empty());
    }

    #[test]
    fn long_sections_are_cut_with_how_many_more_and_the_whole_fits_discord() {
        let mut long = report();
        long.no_meeting = (0..300)
            .map(|n| NoMeeting {
                member: person(100 + n, &format!("Member number {n:03} with a long name")),
                rounds: vec![1, 2, 3],
                paused_until: None,
            })
            .collect();
        long.silent_groups = (0..40)
            .map(|n| SilentGroup {
                round: 3,
                members: vec![person(400 + n, "Someone"), person(500 + n, "Someone else")],
            })
            .collect();
        let text = attention_reply("Autumn cohort", &long);
        assert!(
            text.chars().count() <= MESSAGE_LIMIT,
            "{}",
            text.chars().count()
        );
        assert!(text.contains("Member number 000"), "{text}");
        let more = text
            .lines()
            .find(|l| l.starts_with("… and ") && l.ends_with(" more"))
            .expect("a cut section");
        let hidden: usize = more["… and ".len()..more.len() - " more".len()]
            .parse()
            .unwrap();
        let shown = text
            .lines()
            .filter(|l| l.contains("with a long name"))
            .count();
        assert_eq!(shown + hidden, 300);
        // Short sections are shown whole, each with its heading.
        assert!(text.contains("(Eve): pause ended"), "{text}");
        assert!(text.contains("(Moss): 2 mentees"), "{text}");
        assert_eq!(text.matches("… and ").count(), 2, "{text}");
    }

    #[test]
    fn the_settings_line_shows_the_threshold_and_the_digest() {
        let mut program = Program::new(
            crate::domain::ids::ProgramId(1),
            crate::domain::ids::GuildId(1),
            "hallway",
        );
        assert_eq!(
            attention_setting(&program),
            "Attention list: after 3 rounds without a \"We met\"; no weekly digest"
        );
        program.evaluation.attention_rounds = 1;
        program.evaluation.coordinators_channel_id = Some(ChannelId(42));
        assert_eq!(
            attention_setting(&program),
            "Attention list: after 1 round without a \"We met\"; weekly digest in <#42> on Mondays at 09:00 (UTC)"
        );
    }
}
