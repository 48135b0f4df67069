//! `/hallway-admin survey …` and answering a survey: its buttons, and the text box
//! (a modal) of a text question.
//!
//! Discord's modals hold only text inputs, so a survey is a private message that shows
//! one question at a time: a scale is answered with its buttons 1 to 5, a text question
//! through a modal. Each answer is saved as it is given, and the message moves on to the
//! next question.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateAllowedMentions, CreateInteractionResponse,
    CreateInteractionResponseMessage, ModalInteraction,
};

use super::caller::{any_program, live_program};
use crate::discord::button_id::{ButtonId, SurveyAction};
use crate::discord::buttons::private;
use crate::discord::choices::{autocomplete_program, Choice};
use crate::discord::errors::reply_private;
use crate::discord::render;
use crate::discord::state::{Context, Data, Error};
use crate::domain::ids::{GuildId, SurveyId, UserId};
use crate::domain::program::Program;
use crate::domain::survey::{
    self, default_questions, Answer, Invite, InviteState, NotStarted, OnOff, Question,
    QuestionKind, Survey,
};
use crate::domain::validate::InputError;

/// Evaluation surveys: start one now, see and edit the questions, automatic surveys.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("start", "questions", "question", "remove", "reset", "auto"),
    subcommand_required
)]
pub async fn survey(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Invite the program's active members to a short anonymous survey now.
#[poise::command(slash_command, guild_only)]
async fn start(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let data = ctx.data();
    let started = data
        .store
        .start_survey(program.guild_id, program.program_id, Utc::now())
        .await?;
    let started = match started {
        Ok(started) => started,
        Err(NotStarted::AlreadyOpen { closes_at }) => {
            return Err(InputError::new(format!(
                "A survey of **{}** is still open: members can answer it until {}. Start the \
                 next one after that. Nothing was changed.",
                program.name,
                render::full_time(closes_at)
            ))
            .into())
        }
        Err(NotStarted::NoActiveMembers | NotStarted::AlreadyRan) => {
            return Err(InputError::new(format!(
                "**{}** has nobody to ask: a survey goes to members who joined, have not left \
                 and are not paused. Nothing was started.",
                program.name
            ))
            .into())
        }
    };
    data.wake.notify_one();
    tracing::info!(guild = %program.guild_id, program = %program.program_id, survey = started.survey_id.get(), invited = started.invited, "a coordinator started a survey");
    let people = match started.invited {
        1 => "1 member is".to_string(),
        n => format!("{n} members are"),
    };
    reply_private(
        ctx,
        &format!(
            "Started a survey of **{}** ({} questions): {people} invited by DM. One reminder goes \
             {} to those who have neither answered nor declined; it closes {}.\n\
             Answers are anonymous: `/hallway-admin stats` shows totals, and \
             `/hallway-admin export` has every answer under a random key in `survey.csv`.",
            program.name,
            started.questions,
            render::full_time(started.remind_at),
            render::full_time(started.closes_at),
        ),
    )
    .await?;
    Ok(())
}

/// Show the program's survey questions, automatic surveys, and the open survey.
#[poise::command(slash_command, guild_only)]
async fn questions(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = any_program(ctx, program.as_deref()).await?;
    let store = &ctx.data().store;
    let own = store.program_survey_questions(program.program_id).await?;
    let mut text = questions_text(&program, own.as_deref());
    text.push('\n');
    text.push_str(&auto_text(&program));
    if let Some(open) = store
        .open_survey(program.guild_id, program.program_id, Utc::now())
        .await?
    {
        let (invited, answered, declined) = store.survey_response_counts(open.survey_id).await?;
        text.push_str(&format!(
            "\n**Open survey**: started {}, closes {}: {answered} of {invited} answered, \
             {declined} declined. It asks the questions it started with.",
            render::full_time(open.started_at),
            render::full_time(open.closes_at),
        ));
    }
    text.push_str(
        "\nChange one with `/hallway-admin survey question position:<1-5> kind:<scale|text> \
         text:<question>`, remove one with `/hallway-admin survey remove position:<n>`, and go \
         back to the defaults with `/hallway-admin survey reset`.",
    );
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// Set one survey question: change it, or add the next one (up to 5).
#[poise::command(slash_command, guild_only)]
async fn question(
    ctx: Context<'_>,
    #[description = "Which question, 1-5; the next free number adds one"]
    #[min = 1]
    #[max = 5]
    position: i64,
    #[description = "scale (1 strongly disagree to 5 strongly agree) or text (up to 500 characters)"]
    kind: Choice<QuestionKind>,
    #[description = "The question, as members will read it"]
    #[max_length = 100]
    text: String,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let position = survey::position(position)?;
    let prompt = survey::prompt(&text)?;
    let question = Question {
        kind: kind.0,
        prompt,
    };
    change_questions(ctx, program, |current| {
        survey::with_question(current, position, question)
    })
    .await
}

/// Applies a checked change to the program's questions (the defaults until edited) and
/// shows the result; a refused change saves nothing.
async fn change_questions(
    ctx: Context<'_>,
    program: Option<String>,
    change: impl FnOnce(&[Question]) -> Result<Vec<Question>, InputError>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    let questions = ctx
        .data()
        .store
        .change_program_survey_questions(program.program_id, change)
        .await??;
    saved_questions(ctx, &program, Some(&questions)).await
}

/// Remove one survey question; the later ones move up.
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "Which question, 1-5"]
    #[min = 1]
    #[max = 5]
    position: i64,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let position = survey::position(position)?;
    change_questions(ctx, program, |current| {
        survey::without_question(current, position)
    })
    .await
}

/// Go back to the default survey questions (the study's themes).
#[poise::command(slash_command, guild_only)]
async fn reset(
    ctx: Context<'_>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let program = live_program(ctx, program.as_deref()).await?;
    ctx.data()
        .store
        .set_program_survey_questions(program.program_id, None)
        .await?;
    saved_questions(ctx, &program, None).await
}

/// Turn the surveys at the program's halfway point and last day on or off.
#[poise::command(slash_command, guild_only)]
async fn auto(
    ctx: Context<'_>,
    #[description = "on: survey at the halfway point and on the last day; off: only when you start one"]
    setting: Choice<OnOff>,
    #[description = "Which program (needed when the server runs several)"]
    #[autocomplete = "autocomplete_program"]
    program: Option<String>,
) -> Result<(), Error> {
    let mut program = live_program(ctx, program.as_deref()).await?;
    let on = setting.0 == OnOff::On;
    ctx.data()
        .store
        .set_auto_surveys(program.program_id, on, Utc::now())
        .await?;
    program.evaluation.auto_surveys = on;
    reply_private(ctx, &format!("Saved. {}", auto_text(&program))).await?;
    Ok(())
}

async fn saved_questions(
    ctx: Context<'_>,
    program: &Program,
    own: Option<&[Question]>,
) -> Result<(), Error> {
    let mut text = format!("Saved. {}", questions_text(program, own));
    let open = ctx
        .data()
        .store
        .open_survey(program.guild_id, program.program_id, Utc::now())
        .await?;
    if open.is_some() {
        text.push_str(
            "\nThe survey that is open now keeps the questions it started with; the next one asks these.",
        );
    }
    reply_private(ctx, &render::fit(&text)).await?;
    Ok(())
}

/// The program's questions, numbered, and whether they are the defaults.
fn questions_text(program: &Program, own: Option<&[Question]>) -> String {
    let defaults = default_questions();
    let (questions, whose) = match own {
        Some(own) => (own, "set by a coordinator"),
        None => (defaults.as_slice(), "the defaults, from the study's themes"),
    };
    let mut text = format!("**{} survey questions** ({whose}):", program.name);
    for (i, question) in questions.iter().enumerate() {
        let kind = match question.kind {
            QuestionKind::Scale => "scale 1-5",
            QuestionKind::Text => "text",
        };
        text.push_str(&format!("\n{}. ({kind}) {}", i + 1, question.prompt));
    }
    text
}

/// Whether and when the program surveys its members on its own.
fn auto_text(program: &Program) -> String {
    if !program.evaluation.auto_surveys {
        return format!(
            "Automatic surveys are **off** for **{}**: it surveys only when a coordinator runs \
             `/hallway-admin survey start`.",
            program.name
        );
    }
    match (program.info.start, program.info.end) {
        (Some(start), Some(end)) if start < end => format!(
            "Automatic surveys are **on** for **{}**: at its halfway point ({}) and on its last \
             day ({}), each once, open for {} days.",
            program.name,
            survey::halfway(start, end),
            end,
            survey::OPEN_FOR_DAYS
        ),
        _ => format!(
            "Automatic surveys are **on** for **{}**, and start once it has a start and an end \
             date: `/hallway-admin program edit start:YYYY-MM-DD end:YYYY-MM-DD`.",
            program.name
        ),
    }
}

const NOT_INVITED: &str = "This survey is for the members who were invited to it, so there is \
    nothing for you to answer here. Nothing was changed.";
const NO_SUCH_SURVEY: &str = "This survey no longer exists. Nothing was changed.";
const STALE: &str = "That question is not in this survey. Click **Answer** on the invitation to \
    see the questions it asks. Nothing was saved.";
const ANSWERED_ALL: &str = "You've answered every question of this survey. Thank you! Your \
    answers are anonymous.";

/// The interaction a survey step answers: a button click, or a text question's modal.
#[derive(Clone, Copy)]
enum Step<'a> {
    Click(&'a ComponentInteraction),
    Modal(&'a ModalInteraction),
}

impl Step<'_> {
    fn user(self) -> UserId {
        match self {
            Step::Click(click) => click.user.id.into(),
            Step::Modal(submit) => submit.user.id.into(),
        }
    }

    async fn respond(
        self,
        ctx: &serenity::Context,
        response: CreateInteractionResponse,
    ) -> anyhow::Result<()> {
        match self {
            Step::Click(click) => click.create_response(&ctx.http, response).await?,
            Step::Modal(submit) => submit.create_response(&ctx.http, response).await?,
        }
        Ok(())
    }

    async fn say(self, ctx: &serenity::Context, text: &str) -> anyhow::Result<()> {
        self.respond(ctx, private(text)).await
    }
}

/// The survey and the clicker's invitation, while it is open; or what to tell them.
async fn invitation(
    data: &Data,
    guild: GuildId,
    survey_id: SurveyId,
    user: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<(Survey, Invite), String>> {
    let Some(survey) = data.store.survey(guild, survey_id).await? else {
        return Ok(Err(NO_SUCH_SURVEY.into()));
    };
    let Some(invite) = data.store.survey_invite(survey_id, user).await? else {
        return Ok(Err(NOT_INVITED.into()));
    };
    if !survey.is_open(now) {
        return Ok(Err(format!(
            "This survey closed {}, so it takes no more answers. Thank you all the same! \
             Nothing was changed.",
            render::full_time(survey.closes_at)
        )));
    }
    Ok(Ok((survey, invite)))
}

/// A survey button: open, decline, a score, write, skip.
pub async fn survey_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    guild: GuildId,
    survey_id: SurveyId,
    action: SurveyAction,
) -> anyhow::Result<()> {
    let step = Step::Click(click);
    let now = Utc::now();
    let (survey, invite) = match invitation(data, guild, survey_id, step.user(), now).await? {
        Ok(found) => found,
        Err(why) => return step.say(ctx, &why).await,
    };
    match action {
        SurveyAction::Open => {
            let answered = data
                .store
                .answered_positions(survey_id, &invite.respondent)
                .await?;
            match survey::next_question(survey.questions.len(), &answered, 0) {
                Some(position) => {
                    let (content, components) = render::survey_question(&survey, position);
                    let message = CreateInteractionResponseMessage::new()
                        .content(content)
                        .components(components)
                        .ephemeral(true)
                        .allowed_mentions(CreateAllowedMentions::new());
                    step.respond(ctx, CreateInteractionResponse::Message(message))
                        .await
                }
                None => step.say(ctx, ANSWERED_ALL).await,
            }
        }
        SurveyAction::Decline => {
            let said = match data.store.decline_survey(survey_id, step.user()).await? {
                Some(InviteState::Invited) => format!(
                    "No problem: you won't hear about this survey again. If you change your mind \
                     before it closes {}, click **Answer** on the invitation.",
                    render::full_time(survey.closes_at)
                ),
                Some(InviteState::Declined) => {
                    "You already said no thanks, so you won't hear about this survey again."
                        .to_string()
                }
                Some(InviteState::Answered) => "You've already answered this survey, thank you! \
                     Your answers stay as they are."
                    .to_string(),
                None => NOT_INVITED.to_string(),
            };
            step.say(ctx, &said).await
        }
        SurveyAction::Score { position, score } => {
            let asked = survey.question(position).map(|q| q.kind);
            if asked != Some(QuestionKind::Scale) {
                return step.say(ctx, STALE).await;
            }
            save_and_go_on(
                ctx,
                data,
                step,
                &survey,
                &invite,
                position,
                Answer::Score(score),
            )
            .await
        }
        SurveyAction::Write { position } => {
            let Some(question) = survey
                .question(position)
                .filter(|q| q.kind == QuestionKind::Text)
            else {
                return step.say(ctx, STALE).await;
            };
            let modal = render::survey_modal(
                survey.guild_id,
                survey.survey_id,
                position,
                survey.questions.len(),
                question,
            );
            step.respond(ctx, CreateInteractionResponse::Modal(modal))
                .await
        }
        SurveyAction::Skip { position } => {
            if survey.question(position).is_none() {
                return step.say(ctx, STALE).await;
            }
            go_on(ctx, data, step, &survey, &invite, position).await
        }
    }
}

/// A text question's answer, from its modal.
pub async fn survey_modal(
    ctx: &serenity::Context,
    data: &Data,
    submit: &ModalInteraction,
) -> anyhow::Result<()> {
    let Some(ButtonId::Survey {
        guild,
        survey: survey_id,
        action: SurveyAction::Write { position },
    }) = ButtonId::parse(&submit.data.custom_id)
    else {
        return Ok(());
    };
    let step = Step::Modal(submit);
    // As for buttons: one sent in a server must name that server.
    if submit
        .guild_id
        .is_some_and(|here| GuildId::from(here) != guild)
    {
        tracing::info!(guild = ?submit.guild_id, named = %guild, "refused a modal naming another server");
        return step
            .say(
                ctx,
                "This form belongs to another server, so it does nothing here. Nothing was changed.",
            )
            .await;
    }
    let now = Utc::now();
    let (survey, invite) = match invitation(data, guild, survey_id, step.user(), now).await? {
        Ok(found) => found,
        Err(why) => return step.say(ctx, &why).await,
    };
    if survey.question(position).map(|q| q.kind) != Some(QuestionKind::Text) {
        return step.say(ctx, STALE).await;
    }
    let typed = submit
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|component| match component {
            serenity::ActionRowComponent::InputText(input)
                if input.custom_id == render::SURVEY_ANSWER_INPUT =>
            {
                Some(input.value.clone().unwrap_or_default())
            }
            _ => None,
        })
        .unwrap_or_default();
    let text = match survey::text_answer(&typed) {
        Ok(text) => text,
        Err(refused) => return step.say(ctx, &refused.0).await,
    };
    save_and_go_on(
        ctx,
        data,
        step,
        &survey,
        &invite,
        position,
        Answer::Text(text),
    )
    .await
}

async fn save_and_go_on(
    ctx: &serenity::Context,
    data: &Data,
    step: Step<'_>,
    survey: &Survey,
    invite: &Invite,
    position: u8,
    answer: Answer,
) -> anyhow::Result<()> {
    let saved = data
        .store
        .save_survey_answer(survey.survey_id, step.user(), position, &answer, Utc::now())
        .await?;
    if !saved {
        // Closed (or forgotten) between the check and the save.
        return step
            .say(ctx, "This survey takes no more answers. Nothing was saved.")
            .await;
    }
    go_on(ctx, data, step, survey, invite, position).await
}

/// Rewrites the question's message with the next unanswered question after `position`,
/// or the thanks once there is none.
async fn go_on(
    ctx: &serenity::Context,
    data: &Data,
    step: Step<'_>,
    survey: &Survey,
    invite: &Invite,
    position: u8,
) -> anyhow::Result<()> {
    let answered = data
        .store
        .answered_positions(survey.survey_id, &invite.respondent)
        .await?;
    let (content, components) =
        match survey::next_question(survey.questions.len(), &answered, position) {
            Some(next) => render::survey_question(survey, next),
            None => (render::survey_done(survey, answered.len()), Vec::new()),
        };
    let message = CreateInteractionResponseMessage::new()
        .content(content)
        .components(components)
        .allowed_mentions(CreateAllowedMentions::new());
    // A modal opened from a button can update that button's message; one without a
    // message (never hallway's) gets a new private one.
    let response = match step {
        Step::Modal(submit) if submit.message.is_none() => {
            CreateInteractionResponse::Message(message.ephemeral(true))
        }
        _ => CreateInteractionResponse::UpdateMessage(message),
    };
    step.respond(ctx, response).await
}
