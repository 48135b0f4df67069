//! The fit check's words and buttons.

use poise::serenity_prelude::{ButtonStyle, CreateActionRow, CreateButton};

use crate::delivery::fit::FitCheckView;
use crate::discord::button_id::ButtonId;
use crate::domain::fit::Fit;
use crate::domain::ids::UserId;

/// The fit check's text, whom it mentions (nobody: it is a DM), and its buttons. Once
/// the member answered, the text says what they said; the buttons stay, so they can
/// change their mind.
pub fn fit_check_parts(view: &FitCheckView) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let name = &view.partner_name;
    let mut text = format!(
        "**How was the fit with {name} ({}) in {}?**\n",
        super::mention(view.partner),
        view.program_name
    );
    match view.answer {
        None => text.push_str(&format!(
            "You said you met, thanks! One more click: was it a good fit?\n\
             Only you see your answer. **Not a fit** means hallway will not match you with \
             {name} again unless nothing else is possible. {name} is never told, and \
             coordinators only ever see overall counts. You can undo it any time with \
             `/hallway profile`."
        )),
        Some(Fit::Good) => text.push_str(&format!(
            "You said: **Good fit**. Glad to hear it! Only you see your answer. Changed your \
             mind? Click **Not a fit**, and hallway will not match you with {name} again \
             unless nothing else is possible."
        )),
        Some(Fit::NotAFit) => text.push_str(&format!(
            "You said: **Not a fit**. hallway will not match you with {name} again unless \
             nothing else is possible. {name} is never told, and only you see your answer. \
             To be matched again, click **Good fit**, or undo it any time with \
             `/hallway profile`."
        )),
    }
    (text, Vec::new(), vec![fit_buttons(view)])
}

fn fit_buttons(view: &FitCheckView) -> CreateActionRow {
    let button = |fit: Fit, label: &str, style: ButtonStyle| {
        let id = ButtonId::Fit {
            guild: view.guild_id,
            group: view.group_id,
            fit,
        };
        CreateButton::new(id.to_string())
            .label(label)
            .style(if view.answer == Some(fit) {
                ButtonStyle::Primary
            } else {
                style
            })
    };
    CreateActionRow::Buttons(vec![
        button(Fit::Good, "Good fit", ButtonStyle::Success),
        button(Fit::NotAFit, "Not a fit", ButtonStyle::Secondary),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{GroupId, GuildId};

    fn view(answer: Option<Fit>) -> FitCheckView {
        FitCheckView {
            guild_id: GuildId(1),
            group_id: GroupId(2),
            program_name: "Mentoring".into(),
            partner: UserId(42),
            partner_name: "Ben".into(),
            answer,
        }
    }

    #[test]
    fn the_question_names_the_partner_and_says_who_sees_the_answer() {
        let (text, mentions, rows) = fit_check_parts(&view(None));
        assert!(
            text.starts_with("**How was the fit with Ben (<@42>) in Mentoring?**"),
            "{text}"
        );
        for needle in [
            "Only you see your answer",
            "will not match you with Ben again unless nothing else is possible",
            "Ben is never told",
            "`/hallway profile`",
        ] {
            assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
        }
        assert!(mentions.is_empty(), "a DM pings nobody");
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn an_answer_is_shown_and_both_buttons_stay() {
        let (text, _, rows) = fit_check_parts(&view(Some(Fit::NotAFit)));
        assert!(text.contains("You said: **Not a fit**."), "{text}");
        assert!(text.contains("click **Good fit**"), "{text}");
        let (good, _, _) = fit_check_parts(&view(Some(Fit::Good)));
        assert!(good.contains("You said: **Good fit**."), "{good}");
        assert_eq!(rows.len(), 1);
        for text in [&text, &good] {
            assert!(text.chars().count() < crate::discord::render::MESSAGE_LIMIT);
        }
    }
}
