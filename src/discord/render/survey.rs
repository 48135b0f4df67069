//! A survey's words and buttons: the invitation, the reminder, each question, the text
//! box of a text question, and the thanks at the end. Every time is a Discord timestamp,
//! so each reader sees it in their own time zone.

use poise::serenity_prelude::{
    ButtonStyle, CreateActionRow, CreateButton, CreateInputText, CreateModal, InputTextStyle,
};

use super::{full_time, relative_time};
use crate::delivery::survey::SurveyInviteView;
use crate::discord::button_id::{ButtonId, SurveyAction};
use crate::domain::ids::{GuildId, SurveyId, UserId};
use crate::domain::survey::{
    Question, QuestionKind, Survey, SurveyOccasion, MAX_LABEL_CHARS, MAX_TEXT_ANSWER,
    MIN_TEXT_RESPONDENTS,
};

/// The custom id of the text box in a text question's modal.
pub const SURVEY_ANSWER_INPUT: &str = "answer";

/// What anonymity means here, in the invitation and the reminder alike.
fn anonymity() -> String {
    format!(
        "Your answers are anonymous: coordinators see only totals and averages, and written \
         answers only once at least {MIN_TEXT_RESPONDENTS} people answered a question, never \
         with names."
    )
}

fn how_long(view: &SurveyInviteView) -> String {
    let questions = match view.questions {
        1 => "1 question".to_string(),
        n => format!("{n} questions"),
    };
    let minutes = match view.minutes {
        1 => "about a minute".to_string(),
        n => format!("about {n} minutes"),
    };
    format!("{questions}, {minutes}")
}

/// The invitation's (or, with `reminder`, the reminder's) text, mentions and buttons.
pub fn survey_invite_parts(
    view: &SurveyInviteView,
    reminder: bool,
) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let text = if reminder {
        format!(
            "⏰ **Reminder: the {} survey closes {}** ({}).\n\
             {}. {}\n\
             Rather not? Click **No thanks** and you won't hear about it again.",
            view.program_name,
            relative_time(view.closes_at),
            full_time(view.closes_at),
            how_long(view),
            anonymity(),
        )
    } else {
        let when = match view.occasion {
            SurveyOccasion::Halfway => " at its halfway point",
            SurveyOccasion::End => " as it ends",
            SurveyOccasion::Manual => "",
        };
        format!(
            "📋 **A short survey from {}**{when}: how is the program going for you?\n\
             {}. {}\n\
             It closes {}.",
            view.program_name,
            how_long(view),
            anonymity(),
            full_time(view.closes_at),
        )
    };
    let id = |action| {
        ButtonId::Survey {
            guild: view.guild_id,
            survey: view.survey_id,
            action,
        }
        .to_string()
    };
    let buttons = CreateActionRow::Buttons(vec![
        CreateButton::new(id(SurveyAction::Open))
            .label("Answer")
            .style(ButtonStyle::Primary),
        CreateButton::new(id(SurveyAction::Decline))
            .label("No thanks")
            .style(ButtonStyle::Secondary),
    ]);
    (text, Vec::new(), vec![buttons])
}

/// One question, as the private message that asks it: its text and its buttons (1 to 5
/// for a scale, Write an answer for a text), and Skip.
pub fn survey_question(survey: &Survey, position: u8) -> (String, Vec<CreateActionRow>) {
    let total = survey.questions.len();
    let Some(question) = survey.question(position) else {
        return (survey_done(survey, 0), Vec::new());
    };
    let id = |action| {
        ButtonId::Survey {
            guild: survey.guild_id,
            survey: survey.survey_id,
            action,
        }
        .to_string()
    };
    let skip = CreateButton::new(id(SurveyAction::Skip { position }))
        .label("Skip")
        .style(ButtonStyle::Secondary);
    let head = format!(
        "**{} survey** · Question {position} of {total}\n> {}\n",
        survey.program_name, question.prompt
    );
    match question.kind {
        QuestionKind::Scale => {
            let scores = (1..=5)
                .map(|score| {
                    CreateButton::new(id(SurveyAction::Score { position, score }))
                        .label(score.to_string())
                        .style(ButtonStyle::Primary)
                })
                .collect();
            (
                head
                    + "Pick one: **1** = strongly disagree · 3 = neutral · **5** = strongly agree.",
                vec![
                    CreateActionRow::Buttons(scores),
                    CreateActionRow::Buttons(vec![skip]),
                ],
            )
        }
        QuestionKind::Text => (
            head + &format!(
                "Click **Write an answer** (up to {MAX_TEXT_ANSWER} characters), or **Skip**."
            ),
            vec![CreateActionRow::Buttons(vec![
                CreateButton::new(id(SurveyAction::Write { position }))
                    .label("Write an answer")
                    .style(ButtonStyle::Primary),
                skip,
            ])],
        ),
    }
}

/// The end of the questions: thanks, and what was kept.
pub fn survey_done(survey: &Survey, answered: usize) -> String {
    if answered == 0 {
        return format!(
            "You skipped every question, so nothing was saved. Changed your mind? Click \
             **Answer** on the invitation before the survey closes {}.",
            full_time(survey.closes_at)
        );
    }
    format!(
        "**Thank you!** You answered {answered} of {} questions of the {} survey. {}",
        survey.questions.len(),
        survey.program_name,
        anonymity()
    )
}

/// The text box of a text question: a modal, since buttons cannot take text. Its custom
/// id is the Write button's, so its submission says which question it answers.
pub fn survey_modal(
    guild: GuildId,
    survey: SurveyId,
    position: u8,
    total: usize,
    question: &Question,
) -> CreateModal {
    let id = ButtonId::Survey {
        guild,
        survey,
        action: SurveyAction::Write { position },
    };
    // Discord's label holds 45 characters; a longer prompt is the placeholder instead.
    let label = if question.prompt.chars().count() <= MAX_LABEL_CHARS {
        question.prompt.clone()
    } else {
        "Your answer".to_string()
    };
    let input = CreateInputText::new(InputTextStyle::Paragraph, label, SURVEY_ANSWER_INPUT)
        .placeholder(question.prompt.clone())
        .min_length(1)
        .max_length(MAX_TEXT_ANSWER as u16)
        .required(true);
    CreateModal::new(id.to_string(), format!("Question {position} of {total}"))
        .components(vec![CreateActionRow::InputText(input)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ProgramId;
    use crate::domain::survey::{default_questions, MAX_PROMPT_CHARS};
    use chrono::TimeZone;

    fn survey() -> Survey {
        let t = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        Survey {
            survey_id: SurveyId(7),
            guild_id: GuildId(900),
            program_id: ProgramId(3),
            program_name: "Faculty mentoring".into(),
            occasion: SurveyOccasion::Halfway,
            started_at: t,
            remind_at: t + chrono::Duration::days(3),
            closes_at: t + chrono::Duration::days(7),
            questions: default_questions(),
        }
    }

    fn custom_ids(rows: &[CreateActionRow]) -> Vec<String> {
        let json = serde_json::to_value(rows).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row["components"].as_array().unwrap().clone())
            .map(|c| c["custom_id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_invitation_says_how_long_that_it_is_anonymous_and_when_it_closes() {
        let view = SurveyInviteView::of(&survey());
        let (text, mentions, rows) = survey_invite_parts(&view, false);
        for needle in [
            "A short survey from Faculty mentoring** at its halfway point",
            "5 questions, about 2 minutes",
            "anonymous",
            "only totals",
            "at least 3 people",
            "never with names",
            "It closes <t:1794214800:F>",
        ] {
            assert!(text.contains(needle), "{needle:?} in {text}");
        }
        assert!(mentions.is_empty());
        assert_eq!(
            custom_ids(&rows),
            ["hw:survey:900:7:open", "hw:survey:900:7:decline"]
        );
        let (reminder, _, rows) = survey_invite_parts(&view, true);
        assert!(reminder.starts_with("⏰ **Reminder"), "{reminder}");
        assert!(reminder.contains("No thanks"), "{reminder}");
        assert_eq!(custom_ids(&rows).len(), 2);
    }

    #[test]
    fn a_scale_question_has_five_scores_and_skip_and_says_what_they_mean() {
        let (text, rows) = survey_question(&survey(), 2);
        assert!(text.contains("Question 2 of 5"), "{text}");
        assert!(text.contains("> My chats happened as often as I hoped."));
        assert!(
            text.contains("**1** = strongly disagree") && text.contains("**5** = strongly agree")
        );
        assert_eq!(
            custom_ids(&rows),
            [
                "hw:survey:900:7:s2-1",
                "hw:survey:900:7:s2-2",
                "hw:survey:900:7:s2-3",
                "hw:survey:900:7:s2-4",
                "hw:survey:900:7:s2-5",
                "hw:survey:900:7:k2"
            ]
        );
    }

    #[test]
    fn a_text_question_opens_a_modal_within_discords_limits() {
        let survey = survey();
        let (text, rows) = survey_question(&survey, 5);
        assert!(text.contains("Question 5 of 5") && text.contains("up to 500 characters"));
        assert_eq!(
            custom_ids(&rows),
            ["hw:survey:900:7:w5", "hw:survey:900:7:k5"]
        );
        let question = &survey.questions[4];
        let modal = serde_json::to_value(survey_modal(
            survey.guild_id,
            survey.survey_id,
            5,
            5,
            question,
        ))
        .unwrap();
        assert_eq!(modal["custom_id"], "hw:survey:900:7:w5");
        assert_eq!(modal["title"], "Question 5 of 5");
        let input = &modal["components"][0]["components"][0];
        assert_eq!(input["type"], 4);
        assert_eq!(input["style"], 2, "a paragraph");
        assert_eq!(input["max_length"], 500);
        assert_eq!(input["custom_id"], SURVEY_ANSWER_INPUT);
        // 47 characters: too long for a label, so it is the placeholder.
        assert_eq!(input["label"], "Your answer");
        assert_eq!(input["placeholder"], question.prompt.as_str());
        let longest = Question {
            kind: QuestionKind::Text,
            prompt: "x".repeat(MAX_PROMPT_CHARS),
        };
        let modal =
            serde_json::to_value(survey_modal(GuildId(1), SurveyId(1), 1, 5, &longest)).unwrap();
        let input = &modal["components"][0]["components"][0];
        assert!(input["placeholder"].as_str().unwrap().chars().count() <= 100);
        assert!(input["label"].as_str().unwrap().chars().count() <= MAX_LABEL_CHARS);
        let short = Question {
            kind: QuestionKind::Text,
            prompt: "What helped?".into(),
        };
        let modal =
            serde_json::to_value(survey_modal(GuildId(1), SurveyId(1), 1, 1, &short)).unwrap();
        assert_eq!(
            modal["components"][0]["components"][0]["label"],
            "What helped?"
        );
    }

    #[test]
    fn the_end_thanks_or_says_nothing_was_saved() {
        let survey = survey();
        assert!(survey_done(&survey, 4).contains("You answered 4 of 5 questions"));
        assert!(survey_done(&survey, 0).contains("nothing was saved"));
    }
}
