//! Wins, milestones and watercooler prompts.

use super::*;

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
