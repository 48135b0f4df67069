//! The words hallway shows people. Plain functions of data, so tests can read them.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use crate::domain::community::{Community, Schedule};
use crate::domain::member::{Member, Standing};
use crate::domain::profile::Role;

/// A date as people write it, in the member's own time zone (UTC when unknown).
pub fn date(at: DateTime<Utc>, zone: Option<Tz>) -> String {
    let zone = zone.unwrap_or(chrono_tz::UTC);
    at.with_timezone(&zone).format("%A %-d %B %Y").to_string()
}

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

fn cadence_words(cadence: crate::domain::community::Cadence) -> &'static str {
    use crate::domain::community::Cadence::*;
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

/// The member's own settings, their standing, and what happens next.
pub fn profile(
    member: &Member,
    community: &Community,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let p = &member.profile;
    let mut lines = vec![
        "**Your hallway profile**".to_string(),
        format!("Role: {}", p.role),
    ];
    if p.role == Role::Mentor {
        let plural = if p.capacity == 1 { "" } else { "s" };
        lines.push(format!(
            "Capacity: up to {} mentee{plural} a round",
            p.capacity
        ));
    }
    lines.push(format!(
        "Time zone: {}",
        p.time_zone.map(|z| z.name()).unwrap_or("not set")
    ));
    lines.push(format!(
        "Institution: {}",
        p.institution.as_deref().unwrap_or("not set")
    ));
    lines.push(format!("Time of day: {}", p.time_of_day));
    lines.push(format!("Modality: {}", p.modality));
    lines.push(format!("Status: {}", standing(member, now)));
    lines.push(String::new());
    lines.push(next_steps(member, community, next, now));
    lines.join("\n")
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
    community: &Community,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut lines = vec!["**What happens next**".to_string()];
    lines.push(format!(
        "Rounds: {}.",
        schedule(community.schedule.as_ref())
    ));
    lines.push(format!("Next round: {}.", next_round(next, community)));
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
    community: &Community,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut text = String::new();
    let program = community.program.name.as_deref().unwrap_or("hallway");
    if first_time {
        text.push_str(&format!("**Welcome to {program}!**\n"));
    } else {
        text.push_str("**Your profile is updated.**\n");
    }
    if let Some(welcome) = &community.program.welcome {
        text.push_str(welcome);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&profile(member, community, next, now));
    text
}

/// A coordinator's view of the community's settings.
pub fn settings(community: &Community) -> String {
    let channel = |id: Option<u64>| id.map(|id| format!("<#{id}>")).unwrap_or("not set".into());
    let m = &community.matching;
    let mut lines = vec![
        "**hallway settings**".to_string(),
        format!("Program channel: {}", channel(community.program_channel_id)),
        format!(
            "Celebrations channel: {}",
            community
                .celebrations_channel_id
                .map(|id| format!("<#{id}>"))
                .unwrap_or("the program channel".into())
        ),
        format!("Schedule: {}", schedule(community.schedule.as_ref())),
        format!(
            "Matching: {}, groups of {}, cross-institution {}",
            m.mode,
            m.group_size,
            if m.cross_institution {
                "preferred"
            } else {
                "off"
            }
        ),
        format!(
            "Program: {}{}",
            community
                .program
                .name
                .as_deref()
                .map(|n| format!("{n}, "))
                .unwrap_or_default(),
            if community.paused {
                "paused"
            } else {
                "running"
            }
        ),
        format!(
            "Watercooler: {}",
            community
                .watercooler
                .map(|w| format!("{} in <#{}>", w.cadence, w.channel_id))
                .unwrap_or_else(|| "off".into())
        ),
    ];
    if community.program_channel_id.is_none() {
        lines.push(
            "Next: choose the program channel with `/hallway-admin setup channel:#…`.".into(),
        );
    } else if community.schedule.is_none() {
        lines.push(
            "Next: set when rounds happen with `/hallway-admin schedule every:weekly day:mon hour:9 timezone:Europe/Berlin`."
                .into(),
        );
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::member::Profile;
    use crate::domain::profile::{Modality, TimeOfDay};
    use chrono::TimeZone;

    fn member(role: Role) -> Member {
        Member {
            guild_id: 1,
            user_id: 2,
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
            shoutouts: true,
        }
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
        let text = profile(&m, &Community::new(1), None, now);
        for expected in [
            "Role: mentor",
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
            !profile(&member(Role::Mentee), &Community::new(1), None, now).contains("Capacity")
        );
    }
}

/// Custom ids of hallway's buttons. The guild is in the id because buttons in DMs carry
/// no guild; who may press them is checked against the stored group, not the id.
pub mod button {
    pub const MET: &str = "met";
    pub const NOT_YET: &str = "notyet";
    pub const SKIP: &str = "skip";
    pub const FEEDBACK: &str = "fb";
    pub const CONFIRM: &str = "confirm";
    pub const FORGET: &str = "forget";

    pub fn id(action: &str, guild_id: u64, target: i64) -> String {
        format!("hw:{action}:{guild_id}:{target}")
    }

    pub fn feedback_id(guild_id: u64, group_id: i64, rating: &str) -> String {
        format!("hw:{FEEDBACK}:{guild_id}:{group_id}:{rating}")
    }

    /// `(action, guild, target, extra)` from a custom id hallway made.
    pub fn parse(custom_id: &str) -> Option<(&str, u64, i64, Option<&str>)> {
        let mut parts = custom_id.split(':');
        if parts.next()? != "hw" {
            return None;
        }
        let action = parts.next()?;
        let guild = parts.next()?.parse().ok()?;
        let target = parts.next()?.parse().ok()?;
        let extra = parts.next();
        parts
            .next()
            .is_none()
            .then_some((action, guild, target, extra))
    }
}

/// Ratings offered by the "how was it?" question, with their labels.
pub const RATINGS: [(&str, &str); 3] = [
    ("great", "😊 Great"),
    ("good", "🙂 Good"),
    ("meh", "😐 Meh"),
];

fn mention(user: u64) -> String {
    format!("<@{user}>")
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Mentor => "mentor",
        Role::Mentee => "mentee",
        Role::Peer => "peer",
    }
}

fn utc_offset(zone: Tz, at: DateTime<Utc>) -> String {
    use chrono::{Offset, TimeZone};
    let seconds = zone
        .offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc();
    let sign = if seconds < 0 { '−' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

fn modality_phrase(modality: crate::domain::profile::Modality) -> &'static str {
    use crate::domain::profile::Modality::*;
    match modality {
        Video => "a video call",
        Phone => "a phone call",
        Walking => "a walking call",
        Text => "a text chat",
        Any => "a video call",
    }
}

/// The first message in a group's space: who is here, an icebreaker, a suggestion, and
/// the status of the group's answers so far.
pub fn intro(
    view: &crate::delivery::IntroView,
    by_dm: bool,
    answers: &[(u64, crate::storage::OutcomeStatus)],
) -> String {
    let everyone: Vec<String> = view.members.iter().map(|m| mention(m.user_id)).collect();
    let mut text = if by_dm {
        format!(
            "👋 You're matched for **round {}** of hallway with {}! (I couldn't open a private thread, so I'm writing to each of you.)\n",
            view.round_number,
            everyone.join(", ")
        )
    } else {
        format!(
            "👋 {}: you're matched for **round {}**!\n",
            everyone.join(", "),
            view.round_number
        )
    };
    text.push_str("\n**Who's here**\n");
    for m in &view.members {
        let mut facts = vec![role_word(m.role).to_string()];
        if let Some(institution) = &m.institution {
            facts.push(institution.clone());
        }
        if let Some(zone) = m.time_zone {
            facts.push(format!("{} ({})", zone.name(), utc_offset(zone, view.at)));
        }
        text.push_str(&format!(
            "• {} ({}): {}\n",
            mention(m.user_id),
            m.name,
            facts.join(" · ")
        ));
    }
    if let Some(prompt) = &view.prompt {
        text.push_str(&format!("\n**Icebreaker:** {prompt}\n"));
    }
    text.push_str(&format!("\n**Suggestion:** {}", suggestion(view)));
    text.push_str("\nA 50-minute chat is plenty; 15 minutes is fine too.");
    if !by_dm {
        text.push_str(" When you've met, click **We met**.");
    }
    text.push('\n');
    let met: Vec<&str> = answers
        .iter()
        .filter(|(_, s)| *s == crate::storage::OutcomeStatus::Met)
        .filter_map(|(user, _)| view.members.iter().find(|m| m.user_id == *user))
        .map(|m| m.name.as_str())
        .collect();
    if !met.is_empty() {
        text.push_str(&format!("\n✅ **We met:** {}\n", met.join(", ")));
    }
    text
}

fn suggestion(view: &crate::delivery::IntroView) -> String {
    let s = &view.suggestion;
    let how = match s.modality {
        Some(modality) => modality_phrase(modality).to_string(),
        None => "whatever suits you both (you prefer different ways to meet)".to_string(),
    };
    let when = match s.window {
        Some(window) => {
            let times: Vec<String> = view
                .members
                .iter()
                .filter_map(|m| m.time_zone.map(|zone| (m, zone)))
                .map(|(m, zone)| {
                    let (start, end) = window.local_hours(zone, view.at);
                    format!("{start:02}:00-{end:02}:00 for {}", m.name)
                })
                .collect();
            let caveat = if s.relaxed {
                " (outside someone's preferred time of day, but inside everyone's working day)"
            } else {
                ""
            };
            format!(", {}{caveat}", times.join(", "))
        }
        None => String::new(),
    };
    format!("{how}{when}.")
}

/// The round's summary for the program channel. It names nobody.
pub fn summary(figures: &crate::storage::RoundFigures) -> String {
    if figures.groups == 0 {
        return format!(
            "**Round {}**: not enough members were available to match anyone. \
             Invite people with `/hallway join`!",
            figures.number
        );
    }
    let chats = if figures.groups == 1 { "chat" } else { "chats" };
    let mut text = format!(
        "☕ **Round {}** is out: {} {chats} this round, {} people.",
        figures.number, figures.groups, figures.people
    );
    if let Some(rate) = figures.previous_met_rate {
        text.push_str(&format!(" Last round {:.0}% met.", rate * 100.0));
    }
    text.push_str(" Check your private thread for your match and an icebreaker.");
    if figures.by_dm > 0 || figures.undelivered > 0 || !figures.notes.is_empty() {
        text.push_str("\n\n**For coordinators:**");
        if figures.by_dm > 0 {
            text.push_str(&format!(
                "\n• {} group(s) were told by DM instead of a thread.",
                figures.by_dm
            ));
        }
        if figures.undelivered > 0 {
            text.push_str(&format!(
                "\n• {} group(s) could not be reached at all.",
                figures.undelivered
            ));
        }
        for note in &figures.notes {
            text.push_str(&format!("\n• Why: {note}"));
        }
    }
    text
}

pub fn nudge(round_number: u32, members: &[u64]) -> String {
    let everyone: Vec<String> = members.iter().map(|m| mention(*m)).collect();
    format!(
        "🌱 {}: a gentle nudge for round {round_number}. Found a time yet? Don't cancel just because \
         there's not much to talk about: some of the best chats start that way. Even 15 minutes counts.",
        everyone.join(", ")
    )
}

pub fn feedback_question(round_number: u32) -> String {
    format!(
        "💬 How was your round {round_number} chat? One click. Only overall numbers reach the coordinators; \
         nobody sees your answer."
    )
}

/// What the rest of the group reads when someone skips.
pub fn skipped(name: &str, others: &[u64]) -> String {
    let others: Vec<String> = others.iter().map(|m| mention(*m)).collect();
    let rest = if others.len() > 1 {
        format!(
            "{}, you can still meet without them. ",
            others.join(" and ")
        )
    } else {
        String::new()
    };
    format!(
        "{name} can't make it this round, and that's completely fine. {rest}See you all in the next round! 💛"
    )
}

/// Discord refuses messages over 2,000 characters; long lists are cut with a note.
pub fn fit(text: &str) -> String {
    const LIMIT: usize = 2_000;
    if text.chars().count() <= LIMIT {
        return text.to_string();
    }
    let marker = "\n… (cut to fit Discord's message limit)";
    let keep = LIMIT - marker.chars().count();
    let mut cut: String = text.chars().take(keep).collect();
    if let Some(newline) = cut.rfind('\n') {
        cut.truncate(newline);
    }
    cut + marker
}

/// "Monday 30 November 2026 at 09:00 (Europe/Berlin)", or why there is none.
pub fn next_round(next: Option<DateTime<Utc>>, community: &Community) -> String {
    match (next, community.schedule.as_ref()) {
        (Some(at), Some(schedule)) => {
            let local = at.with_timezone(&schedule.time_zone);
            format!(
                "{} ({})",
                local.format("%A %-d %B %Y at %H:%M"),
                schedule.time_zone.name()
            )
        }
        _ if community.paused => "none while the program is paused".into(),
        _ if community.program_channel_id.is_none() => {
            "none yet: a coordinator must choose the program channel (`/hallway-admin setup`)"
                .into()
        }
        _ => "none yet: a coordinator must set the schedule (`/hallway-admin schedule`)".into(),
    }
}

/// The proposed groups, for the coordinator who asked for a preview.
pub fn preview(plan: &crate::rounds::Plan) -> String {
    let mut text = format!(
        "**Preview: {} for {} people.** Nothing is sent until you click Confirm.\n",
        chats(plan.groups.len()),
        plan.people()
    );
    for (i, group) in plan.groups.iter().enumerate() {
        let members: Vec<String> = group
            .members
            .iter()
            .map(|(user, role)| format!("{} ({})", mention(*user), role_word(*role)))
            .collect();
        text.push_str(&format!("{}. {}\n", i + 1, members.join(" + ")));
    }
    for note in &plan.notes {
        text.push_str(&format!("Note: {note}\n"));
    }
    fit(&text)
}

/// What the coordinator reads after starting a round.
pub fn round_started(number: u32, plan: &crate::rounds::Plan, community: &Community) -> String {
    let channel = community
        .program_channel_id
        .map(|id| format!("<#{id}>"))
        .unwrap_or_else(|| "the program channel".into());
    let mut text = format!(
        "Round {number} is matched: {} for {} people. The private threads are on their way, \
         and a summary will follow in {channel}.",
        chats(plan.groups.len()),
        plan.people()
    );
    for note in &plan.notes {
        text.push_str(&format!("\nNote: {note}"));
    }
    fit(&text)
}

fn ordinal(n: u32) -> String {
    match n {
        1 => "first".into(),
        5 => "5th".into(),
        10 => "10th".into(),
        25 => "25th".into(),
        n if n % 10 == 1 && n % 100 != 11 => format!("{n}st"),
        n if n % 10 == 2 && n % 100 != 12 => format!("{n}nd"),
        n if n % 10 == 3 && n % 100 != 13 => format!("{n}rd"),
        n => format!("{n}th"),
    }
}

/// The text of a milestone or watercooler post.
pub fn occasion(occasion: &crate::celebrations::Occasion) -> String {
    use crate::celebrations::Occasion;
    use crate::domain::milestones::Milestone;
    match occasion {
        Occasion::Win(win) => format!(
            "{} {} from {}!",
            win.kind.emoji(),
            win.kind.headline(),
            mention(win.user_id)
        ),
        Occasion::Milestone(Milestone::Chats { user_id, count }) => format!(
            "🎉 {} just had their {} hallway chat! Thank you for showing up for each other.",
            mention(*user_id),
            ordinal(*count)
        ),
        Occasion::Milestone(Milestone::Anniversary { user_id, years }) => {
            let span = if *years == 1 {
                "one year".to_string()
            } else {
                format!("{years} years")
            };
            format!(
                "🎂 Happy hallway anniversary, {}: {span} in the program!",
                mention(*user_id)
            )
        }
        Occasion::Milestone(Milestone::ProgramHalfway { name, end }) => format!(
            "⛰️ **{}** is halfway through! It runs until {}. Thank you all for every chat so far; \
             if you've been meaning to meet someone, now is a great time.",
            name.as_deref().unwrap_or("The program"),
            end.format("%-d %B %Y")
        ),
        Occasion::Milestone(Milestone::ProgramLastMonth { name, end }) => format!(
            "🏁 **{}** has one month to go: it ends on {}. Make the most of your chats, and \
             share your wins with `/win`!",
            name.as_deref().unwrap_or("The program"),
            end.format("%-d %B %Y")
        ),
        Occasion::Watercooler { prompt, .. } => {
            format!("☕ **Watercooler question:** {prompt}\nAnswer here, or start a thread!")
        }
    }
}

/// The embed of a win: the member, the kind's headline, the description and the link.
pub fn win_embed(win: &crate::celebrations::WinPost) -> serenity::CreateEmbed {
    let mut embed = serenity::CreateEmbed::new()
        .title(format!("{} {}", win.kind.emoji(), win.kind.headline()))
        .description(win_embed_text(win))
        .colour(win.kind.colour())
        .footer(serenity::CreateEmbedFooter::new(
            "Add a reaction to celebrate!",
        ));
    if let Some(link) = &win.link {
        embed = embed.url(link).field("Link", link, false);
    }
    embed
}

pub fn win_embed_text(win: &crate::celebrations::WinPost) -> String {
    format!(
        "**{}** ({}): {}",
        win.name,
        mention(win.user_id),
        win.description
    )
}

/// A member's past chats, newest first.
pub fn history(chats: &[crate::storage::PastChat]) -> String {
    if chats.is_empty() {
        return "You haven't had any chats here yet. Once you're matched, they'll show up here."
            .into();
    }
    let mut text = String::from("**Your past chats** (newest first)\n");
    for chat in chats {
        let others: Vec<String> = chat
            .others
            .iter()
            .map(|(id, role, name)| match name {
                Some(_) => format!("{} ({})", mention(*id), role_word(*role)),
                None => format!("a former member ({})", role_word(*role)),
            })
            .collect();
        let with = if others.is_empty() {
            "on your own".to_string()
        } else {
            format!("with {}", others.join(", "))
        };
        let answer = match chat.my_answer {
            Some(crate::storage::OutcomeStatus::Met) => " · you met ✅",
            Some(crate::storage::OutcomeStatus::Skipped) => " · you skipped",
            Some(crate::storage::OutcomeStatus::NotYet) => " · not yet",
            None => "",
        };
        text.push_str(&format!(
            "Round {} · {}: {with}{answer}\n",
            chat.round_number,
            chat.due_at.format("%-d %b %Y")
        ));
    }
    fit(&text)
}

fn chats(n: usize) -> String {
    if n == 1 {
        "1 chat".into()
    } else {
        format!("{n} chats")
    }
}
