//! What a round posts: intros, summaries, nudges, follow-ups, previews, and the
//! custom ids of their buttons.

use super::*;
use crate::domain::group::{OutcomeStatus, Rating, RoundFigures};
use crate::domain::outbox::DeliveryProblem;

/// The label of each answer to "how was it?".
pub fn rating_label(rating: Rating) -> &'static str {
    match rating {
        Rating::Great => "😊 Great",
        Rating::Good => "🙂 Good",
        Rating::Meh => "😐 Meh",
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
    answers: &[(UserId, OutcomeStatus)],
) -> String {
    let everyone: Vec<String> = view
        .members
        .iter()
        .filter_map(|m| m.user_id.map(mention))
        .collect();
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
        let Some(user_id) = m.user_id else {
            // Forgotten at their request: not their role, not their institution.
            text.push_str(&format!("• {}\n", m.name));
            continue;
        };
        let mut facts = vec![m.role.as_str().to_string()];
        if let Some(institution) = &m.institution {
            facts.push(institution.clone());
        }
        if let Some(zone) = m.time_zone {
            facts.push(format!("{} ({})", zone.name(), utc_offset(zone, view.at)));
        }
        text.push_str(&format!(
            "• {} ({}): {}\n",
            mention(user_id),
            m.name,
            facts.join(" · ")
        ));
        if let Some(about) = &m.about {
            text.push_str(&format!("  Ask me about: {about}\n"));
        }
        if !m.interests.is_empty() {
            text.push_str(&format!(
                "  {}: {}\n",
                crate::domain::interests::label(m.role),
                m.interests.join(", ")
            ));
        }
    }
    if !view.shared_interests.is_empty() {
        let both = if view.members.len() == 2 {
            "You both"
        } else {
            "You all"
        };
        text.push_str(&format!(
            "\n**{both} picked:** {}\n",
            view.shared_interests.join(", ")
        ));
    }
    if let Some(prompt) = &view.prompt {
        text.push_str(&format!("\n**Icebreaker:** {prompt}\n"));
    }
    // What to do next goes last, and is never what Discord's limit cuts: the people
    // above are shortened instead.
    let head = text;
    let mut text = String::new();
    match &view.slots {
        // Concrete times replace the window of hours.
        Some(choice) => {
            text.push_str(&format!("\n**How:** {}.\n", how(view)));
            text.push_str(&super::slot_section(
                choice,
                &view.members,
                view.meeting_minutes,
            ));
            if !by_dm {
                text.push_str("When you've met, click **We met**.\n");
            }
        }
        None => {
            text.push_str(&format!("\n**Suggestion:** {}", suggestion(view)));
            text.push_str(&format!(
                "\nA {}-minute chat is plenty; 15 minutes is fine too.",
                view.meeting_minutes
            ));
            if !by_dm {
                text.push_str(" When you've met, click **We met**.");
            }
            text.push('\n');
        }
    }
    text.push_str(&met_line(view, answers));
    let room = super::MESSAGE_LIMIT.saturating_sub(text.chars().count());
    super::fit_to(&head, room) + &text
}

const MET_LINE: &str = "\n✅ **We met:** ";

/// "✅ We met: Ada, Ben", or nothing while nobody said so.
fn met_line(view: &crate::delivery::IntroView, answers: &[(UserId, OutcomeStatus)]) -> String {
    let met: Vec<&str> = answers
        .iter()
        .filter(|(_, s)| *s == OutcomeStatus::Met)
        .filter_map(|(user, _)| view.members.iter().find(|m| m.user_id == Some(*user)))
        .map(|m| m.name.as_str())
        .collect();
    if met.is_empty() {
        String::new()
    } else {
        format!("{MET_LINE}{}\n", met.join(", "))
    }
}

/// A check-in redrawn after an answer: its own words, then who has met.
pub fn check_in_answered(
    posted: &str,
    view: &crate::delivery::IntroView,
    answers: &[(UserId, OutcomeStatus)],
) -> String {
    let own = posted.split(MET_LINE).next().unwrap_or(posted).trim_end();
    format!("{own}\n{}", met_line(view, answers))
}

/// A way to meet everyone accepts.
fn how(view: &crate::delivery::IntroView) -> String {
    match view.suggestion.modality {
        Some(modality) => modality_phrase(modality).to_string(),
        None => "whatever suits you both (you prefer different ways to meet)".to_string(),
    }
}

fn suggestion(view: &crate::delivery::IntroView) -> String {
    let s = &view.suggestion;
    let how = how(view);
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

/// The round's summary for the program channel: what was delivered, not what was
/// planned. It names nobody, and says what went wrong in words a coordinator can act on.
pub fn summary(figures: &RoundFigures) -> String {
    if figures.groups == 0 {
        return format!(
            "**Round {}**: not enough members were available to match anyone. \
             Invite people with `/hallway join`!",
            figures.number
        );
    }
    let chats = if figures.reached == 1 {
        "chat"
    } else {
        "chats"
    };
    let people = if figures.people == 1 {
        "person"
    } else {
        "people"
    };
    let mut text = format!(
        "☕ **Round {}** is out: {} {chats} this round, {} {people}.",
        figures.number, figures.reached, figures.people
    );
    if let Some(rate) = figures.previous_met_rate {
        text.push_str(&format!(" Last round {:.0}% met.", rate * 100.0));
    }
    if figures.reached > figures.by_dm {
        text.push_str(" Check your private thread for your match and an icebreaker.");
    } else if figures.reached > 0 {
        text.push_str(" Check your direct messages for your match and an icebreaker.");
    }
    let problems = figures.by_dm > 0
        || figures.undelivered > 0
        || figures.dms_refused > 0
        || !figures.notes.is_empty();
    if problems {
        text.push_str("\n\n**For coordinators:**");
        if figures.by_dm > 0 {
            text.push_str(&format!(
                "\n• {} group(s) were told by DM instead of a thread.",
                figures.by_dm
            ));
        }
        if figures.undelivered > 0 {
            text.push_str(&format!(
                "\n• {} of {} group(s) could not be reached at all.",
                figures.undelivered, figures.groups
            ));
        }
        for note in &figures.notes {
            text.push_str(&format!("\n• Why: {note}"));
        }
        if figures.dms_refused > 0 {
            text.push_str(&format!(
                "\n• {} member(s) could not be sent their DM: {}",
                figures.dms_refused,
                DeliveryProblem::DmsClosed.describe()
            ));
        }
    }
    text
}

pub fn nudge(round_number: u32, members: &[UserId]) -> String {
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
pub fn skipped(name: &str, others: &[UserId]) -> String {
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

/// The proposed groups, for the coordinator who asked for a preview.
pub fn preview(plan: &crate::domain::round::Plan) -> String {
    let mut text = format!(
        "**Preview: {} for {} people.** Nothing is sent until you click Confirm.\n",
        chats(plan.groups.len()),
        plan.people()
    );
    for (i, group) in plan.groups.iter().enumerate() {
        let members: Vec<String> = group
            .members
            .iter()
            .map(|(user, role)| format!("{} ({})", mention(*user), role.as_str()))
            .collect();
        text.push_str(&format!("{}. {}\n", i + 1, members.join(" + ")));
    }
    for note in &plan.notes {
        text.push_str(&format!("Note: {note}\n"));
    }
    fit(&text)
}

/// What the coordinator reads after starting a round.
pub fn round_started(number: u32, plan: &crate::domain::round::Plan, program: &Program) -> String {
    let channel = program
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::{IntroView, MemberView};
    use crate::domain::ids::{GroupId, GuildId};

    fn member(id: u64, name: &str, role: Role, interests: &[&str]) -> MemberView {
        MemberView {
            user_id: Some(UserId(id)),
            name: name.into(),
            role,
            institution: None,
            time_zone: None,
            about: None,
            interests: interests.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_crowded_intro_fits_discords_limit_and_keeps_every_slot_and_the_we_met_line() {
        use crate::domain::booking::{SlotChoice, SlotFit};
        let now = Utc::now();
        let about = "x".repeat(crate::domain::member::ABOUT_MAX_CHARS);
        let tags: Vec<String> = (0..5).map(|n| format!("a long interest tag {n}")).collect();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let members: Vec<MemberView> = (1..=4)
            .map(|n| {
                let mut m = member(n, &"N".repeat(32), Role::Peer, &tags);
                m.about = Some(about.clone());
                m.institution = Some("I".repeat(100));
                m
            })
            .collect();
        let slots: Vec<_> = (1..=5).map(|d| now + chrono::Duration::days(d)).collect();
        let view = IntroView {
            guild_id: GuildId(1),
            round_number: 3,
            group_id: GroupId(1),
            members,
            prompt: Some("p".repeat(300)),
            suggestion: crate::domain::suggest::suggest(&[], now),
            at: now,
            answers: Vec::new(),
            shared_interests: Vec::new(),
            slots: Some(SlotChoice {
                group_id: GroupId(1),
                batch: 0,
                slots: slots.clone(),
                fit: SlotFit::NoCommonWindow,
                picks: Vec::new(),
                booking: None,
            }),
            meeting_minutes: 50,
        };
        let answers = [(UserId(1), OutcomeStatus::Met)];
        let text = intro(&view, false, &answers);
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        for slot in &slots {
            assert!(
                text.contains(&format!("<t:{}:F>", slot.timestamp())),
                "{text}"
            );
        }
        assert!(
            text.contains("cut to fit"),
            "the people above were shortened"
        );
        assert!(text.contains("✅ **We met:**"), "{text}");
    }

    #[test]
    fn the_intro_shows_each_about_line_what_each_can_help_with_and_the_shared_tags() {
        let now = Utc::now();
        let mut ada = member(1, "Ada", Role::Mentor, &["grant writing", "coding"]);
        ada.about = Some("R, grant budgets, running".into());
        let ben = member(2, "Ben", Role::Mentee, &["grant writing"]);
        let view = IntroView {
            guild_id: GuildId(1),
            round_number: 3,
            group_id: GroupId(1),
            members: vec![ada, ben],
            prompt: None,
            suggestion: crate::domain::suggest::suggest(&[], now),
            at: now,
            answers: Vec::new(),
            shared_interests: vec!["grant writing".into()],
            slots: None,
            meeting_minutes: 50,
        };
        let text = intro(&view, false, &[]);
        let ada_at = text.find("(Ada)").unwrap();
        let about_at = text
            .find("Ask me about: R, grant budgets, running")
            .unwrap();
        let ben_at = text.find("(Ben)").unwrap();
        assert!(
            ada_at < about_at && about_at < ben_at,
            "under Ada's name:\n{text}"
        );
        assert!(
            text.contains("Can help with: grant writing, coding"),
            "{text}"
        );
        assert!(text.contains("Wants help with: grant writing"), "{text}");
        assert!(
            text.contains("**You both picked:** grant writing"),
            "{text}"
        );
    }
}
