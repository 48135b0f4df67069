//! Members' and coordinators' own views: profile, settings, history.

use super::*;

pub fn schedule(schedule: Option<&Schedule>) -> String {
    match schedule {
        Some(s) => format!(
            "{} on {} at {:02}:00 ({})",
            cadence_words(s.cadence),
            weekday_name(s.weekday),
            s.hour,
            s.time_zone.name()
        ),
        None => "not scheduled yet (a coordinator sets it with `/hallway-admin schedule`)".into(),
    }
}

fn cadence_words(cadence: crate::domain::program::Cadence) -> &'static str {
    use crate::domain::program::Cadence::*;
    match cadence {
        Weekly => "every week",
        Biweekly => "every 2 weeks",
        Every3Weeks => "every 3 weeks",
        Every4Weeks => "every 4 weeks",
        Monthly => "every month, on the first",
    }
}

fn weekday_name(day: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match day {
        Mon => "Monday",
        Tue => "Tuesday",
        Wed => "Wednesday",
        Thu => "Thursday",
        Fri => "Friday",
        Sat => "Saturday",
        Sun => "Sunday",
    }
}

/// The member's own settings, their standing and what happens next, in each program
/// they are in (with the next round of each). The settings of their profile are the
/// server's, the same in every program; role, capacity and standing are per program.
pub fn profile(
    programs: &[(&Program, &Member, Option<DateTime<Utc>>)],
    now: DateTime<Utc>,
) -> String {
    let Some((_, first, _)) = programs.first() else {
        return "You're not in any program.".into();
    };
    let p = &first.profile;
    let mut lines = vec![
        "**Your hallway profile**".to_string(),
        format!(
            "Time zone: {}",
            p.time_zone.map(|z| z.name()).unwrap_or("not set")
        ),
        format!(
            "Institution: {}",
            p.institution.as_deref().unwrap_or("not set")
        ),
        format!("Time of day: {}", p.time_of_day),
        format!("Modality: {}", p.modality),
    ];
    if let Some(about) = &first.about {
        lines.push(format!("Ask me about: {about}"));
    }
    for (program, member, next) in programs {
        lines.push(String::new());
        if programs.len() > 1 {
            lines.push(format!("**{}**", program.name));
        }
        lines.extend(place(member, now));
        lines.push(String::new());
        lines.push(next_steps(member, program, *next, now));
    }
    lines.join("\n")
}

/// A member's role, capacity and standing in one program.
fn place(member: &Member, now: DateTime<Utc>) -> Vec<String> {
    let p = &member.profile;
    let mut lines = vec![format!("Role: {}", p.role)];
    if p.role == Role::Mentor {
        let plural = if p.capacity == 1 { "" } else { "s" };
        lines.push(format!(
            "Capacity: up to {} mentee{plural} a round",
            p.capacity
        ));
    }
    lines.push(format!("Status: {}", standing(member, now)));
    lines
}

fn standing(member: &Member, now: DateTime<Utc>) -> String {
    match member.standing(now) {
        Standing::Active => "active: you will be matched in the next round".into(),
        Standing::PausedUntil(until) => format!(
            "paused until {}: you are back in the rounds from then on",
            date(until, member.profile.time_zone)
        ),
        Standing::Left(at) => format!(
            "you left on {}; run `/hallway join` to come back",
            date(at, member.profile.time_zone)
        ),
    }
}

/// What happens next, and how to pause or leave.
pub fn next_steps(
    member: &Member,
    program: &Program,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut lines = vec!["**What happens next**".to_string()];
    lines.push(format!("Rounds: {}.", schedule(program.schedule.as_ref())));
    lines.push(format!("Next round: {}.", next_round(next, program)));
    match member.standing(now) {
        Standing::Active => lines.push(
            "Each round you get a private thread with your match and an icebreaker. \
             Need a break? `/hallway pause weeks:2`. To stop: `/hallway leave`."
                .into(),
        ),
        Standing::PausedUntil(_) => {
            lines.push("To come back sooner: `/hallway resume`. To stop: `/hallway leave`.".into())
        }
        Standing::Left(_) => {}
    }
    lines.join("\n")
}

/// The reply to `/hallway join`: welcome text first, then the profile.
pub fn joined(
    member: &Member,
    first_time: bool,
    program: &Program,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut text = String::new();
    if first_time {
        text.push_str(&format!("**Welcome to {}!**\n", program.name));
    } else {
        text.push_str("**Your profile is updated.**\n");
    }
    if let Some(welcome) = &program.info.welcome {
        text.push_str(welcome);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&profile(&[(program, member, next)], now));
    text
}

/// "A", "A and B", "A, B and C".
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Options a Discord select menu can list.
pub const MENU_OPTIONS: usize = 25;

/// The profile's note on the member's own "Not a fit" answers in a program that still
/// keep them apart; shown to them alone.
pub fn not_a_fit_note(program: &Program, partners: usize, with_menu: bool) -> String {
    let (people, were) = if partners == 1 {
        ("1 person".to_string(), "was")
    } else {
        (format!("{partners} people"), "were")
    };
    let pick = if partners > MENU_OPTIONS {
        format!(" (the menu lists the latest {MENU_OPTIONS})")
    } else {
        String::new()
    };
    let how = if with_menu {
        format!("pick them below{pick}")
    } else {
        // Past Discord's five menus a message: the program's own profile has its menu.
        format!("use `/hallway profile program:{}`", program.name)
    };
    format!(
        "**Not a fit** (only you can see this): you said {people} in {} {were} not a fit, so \
         hallway matches you with them only if nothing else is possible. To be matched with \
         someone again, {how}.",
        program.name
    )
}

/// The menu that undoes "Not a fit" answers in a program: one option per partner (the
/// first [`MENU_OPTIONS`]), by name, valued by their id.
pub fn not_a_fit_menu(
    program: &Program,
    partners: &[(UserId, Option<String>)],
) -> serenity::CreateActionRow {
    let options: Vec<serenity::CreateSelectMenuOption> = partners
        .iter()
        .take(MENU_OPTIONS)
        .map(|(id, name)| {
            let name = name.as_deref().unwrap_or("a member");
            // A label holds 100 characters; shortening adds an ellipsis.
            let label = crate::domain::validate::shorten(name, 99);
            serenity::CreateSelectMenuOption::new(label, id.to_string())
        })
        .collect();
    let count = options.len().max(1) as u8;
    let id = crate::discord::button_id::ButtonId::FitUndo {
        guild: program.guild_id,
        program: program.program_id,
    };
    serenity::CreateActionRow::SelectMenu(
        serenity::CreateSelectMenu::new(
            id.to_string(),
            serenity::CreateSelectMenuKind::String { options },
        )
        .placeholder("Match me again with …")
        .min_values(1)
        .max_values(count),
    )
}

/// One program in `/hallway-admin program list`.
pub fn program_line(program: &Program, members: usize) -> String {
    let m = &program.matching;
    let state = if program.is_archived() {
        " (archived)"
    } else if program.paused {
        " (paused)"
    } else {
        ""
    };
    format!(
        "**{}**{state}: {}, groups of {} · {} · {} · {members} member{}",
        program.name,
        m.mode,
        m.group_size,
        program
            .program_channel_id
            .map(|id| format!("<#{id}>"))
            .unwrap_or_else(|| "no channel yet".into()),
        schedule(program.schedule.as_ref()),
        if members == 1 { "" } else { "s" }
    )
}

/// A coordinator's view of the program's settings.
pub fn settings(program: &Program) -> String {
    let channel =
        |id: Option<ChannelId>| id.map(|id| format!("<#{id}>")).unwrap_or("not set".into());
    let m = &program.matching;
    let mut lines = vec![
        format!("**{} settings**", program.name),
        format!("Program channel: {}", channel(program.program_channel_id)),
        format!(
            "Celebrations channel: {}",
            program
                .celebrations_channel_id
                .map(|id| format!("<#{id}>"))
                .unwrap_or("the program channel".into())
        ),
        format!("Schedule: {}", schedule(program.schedule.as_ref())),
        format!(
            "Matching: {}, groups of {}, cross-institution {}, shared interests {}",
            m.mode,
            m.group_size,
            if m.cross_institution {
                "preferred"
            } else {
                "off"
            },
            m.interest_weight
        ),
        format!(
            "Booked chats: {} minutes, {}",
            program.meeting.minutes,
            match program.meeting.reminder_minutes {
                0 => "no reminder".to_string(),
                n => format!("a reminder {n} minutes before"),
            }
        ),
        format!(
            "Program: {}, {}",
            program.name,
            if program.is_archived() {
                "archived"
            } else if program.paused {
                "paused"
            } else {
                "running"
            }
        ),
        format!(
            "Watercooler: {}",
            program
                .watercooler
                .map(|w| format!("{} in <#{}>", w.cadence, w.channel_id))
                .unwrap_or_else(|| "off".into())
        ),
        super::attention_setting(program),
    ];
    if program.program_channel_id.is_none() {
        lines.push(
            "Next: choose the program channel with `/hallway-admin setup channel:#…`.".into(),
        );
    } else if program.schedule.is_none() {
        lines.push(
            "Next: set when rounds happen with `/hallway-admin schedule every:weekly day:mon hour:9 timezone:Europe/Berlin`."
                .into(),
        );
    }
    lines.join("\n")
}

/// A member's past chats, newest first.
pub fn history(chats: &[crate::domain::group::PastChat]) -> String {
    if chats.is_empty() {
        return "You haven't had any chats here yet. Once you're matched, they'll show up here."
            .into();
    }
    let mut text = String::from("**Your past chats** (newest first)\n");
    let several_programs = chats.iter().any(|c| c.program != chats[0].program);
    for chat in chats {
        let others: Vec<String> = chat
            .others
            .iter()
            .map(|(id, role, name)| match name {
                Some(_) => format!("{} ({})", mention(*id), role.as_str()),
                None => format!("a former member ({})", role.as_str()),
            })
            .collect();
        let with = if others.is_empty() {
            "on your own".to_string()
        } else {
            format!("with {}", others.join(", "))
        };
        let answer = match chat.my_answer {
            Some(crate::domain::group::OutcomeStatus::Met) => " · you met ✅",
            Some(crate::domain::group::OutcomeStatus::Skipped) => " · you skipped",
            Some(crate::domain::group::OutcomeStatus::NotYet) => " · not yet",
            None => "",
        };
        // The program is named only when the member's chats span several.
        let program = if several_programs {
            format!("{}, ", chat.program)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{program}Round {} · {}: {with}{answer}\n",
            chat.round_number,
            chat.due_at.format("%-d %b %Y")
        ));
    }
    fit(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{GuildId, ProgramId};
    use crate::domain::member::Profile;
    use crate::domain::profile::{Modality, TimeOfDay};
    use chrono::TimeZone;

    fn member(role: Role) -> Member {
        Member {
            guild_id: GuildId(1),
            program_id: ProgramId(1),
            user_id: UserId(2),
            display_name: "Ada".into(),
            profile: Profile {
                role,
                time_zone: Some(chrono_tz::America::New_York),
                institution: Some("MIT".into()),
                time_of_day: TimeOfDay::Morning,
                modality: Modality::Video,
                capacity: if role == Role::Mentor { 3 } else { 0 },
            },
            paused_until: None,
            left_at: None,
            joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            first_joined_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            shoutouts: true,
            about: Some("grant writing".into()),
        }
    }

    fn program(name: &str) -> Program {
        Program::new(ProgramId(1), GuildId(1), name)
    }

    #[test]
    fn the_not_a_fit_note_counts_people_and_says_when_the_menu_is_cut_or_missing() {
        let one = not_a_fit_note(&program("Mentoring"), 1, true);
        assert_eq!(
            one,
            "**Not a fit** (only you can see this): you said 1 person in Mentoring was not a \
             fit, so hallway matches you with them only if nothing else is possible. To be \
             matched with someone again, pick them below."
        );
        let past_the_menus = not_a_fit_note(&program("Mentoring"), 1, false);
        assert!(
            past_the_menus.ends_with("use `/hallway profile program:Mentoring`."),
            "{past_the_menus}"
        );
        let many = not_a_fit_note(&program("Mentoring"), 30, true);
        assert!(
            many.contains("you said 30 people in Mentoring were not a fit"),
            "{many}"
        );
        assert!(many.contains("(the menu lists the latest 25)"), "{many}");
        assert_eq!(
            and_list(&["A".into(), "B".into(), "C".into()]),
            "A, B and C"
        );
    }

    #[test]
    fn dates_are_in_the_members_zone() {
        let at = Utc.with_ymd_and_hms(2026, 12, 11, 3, 0, 0).unwrap();
        assert_eq!(date(at, None), "Friday 11 December 2026");
        assert_eq!(
            date(at, Some(chrono_tz::America::New_York)),
            "Thursday 10 December 2026"
        );
    }

    #[test]
    fn the_profile_shows_every_setting_and_the_pause() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let mut m = member(Role::Mentor);
        m.paused_until = Some(now + chrono::Duration::weeks(2));
        let faculty = program("Faculty mentoring");
        let text = profile(&[(&faculty, &m, None)], now);
        for expected in [
            "Role: mentor",
            "Ask me about: grant writing",
            "Capacity: up to 3 mentees a round",
            "Time zone: America/New_York",
            "Institution: MIT",
            "Time of day: morning",
            "Modality: video",
            "paused until Friday 11 December 2026",
            "`/hallway resume`",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        assert!(
            !text.contains("**Faculty mentoring**"),
            "one program needs no heading"
        );
        assert!(!profile(&[(&faculty, &member(Role::Mentee), None)], now).contains("Capacity"));
    }

    #[test]
    fn the_profile_shows_each_program_with_its_own_role() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let faculty = program("Faculty mentoring");
        let circles = program("Postdoc circles");
        let as_mentor = member(Role::Mentor);
        let as_peer = member(Role::Peer);
        let text = profile(
            &[(&faculty, &as_mentor, None), (&circles, &as_peer, None)],
            now,
        );
        let faculty_at = text
            .find("**Faculty mentoring**")
            .expect("a heading per program");
        let circles_at = text
            .find("**Postdoc circles**")
            .expect("a heading per program");
        let mentor_at = text.find("Role: mentor").unwrap();
        let peer_at = text.find("Role: peer").unwrap();
        assert!(faculty_at < mentor_at && mentor_at < circles_at && circles_at < peer_at);
        assert_eq!(
            text.matches("Time zone:").count(),
            1,
            "the profile is one per server"
        );
    }
}
