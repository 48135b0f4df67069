//! Delivering a survey's invitation and its one reminder, by DM. Both are queued when the
//! survey starts, one row each per invitee (`survey-invite:<survey>:<user>`,
//! `survey-reminder:<survey>:<user>`), and look at the survey again when they are due:
//! nothing goes out for a survey that closed in the meantime, and the reminder only to
//! those who neither answered nor declined.

use chrono::{DateTime, Utc};

use super::row::{RowError, Sent};
use super::{Courier, Message};
use crate::domain::ids::{GuildId, SurveyId, UserId};
use crate::domain::outbox::OutboxRow;
use crate::domain::survey::{self, Survey, SurveyOccasion};
use crate::storage::Store;

/// A survey's invitation (or its reminder), with Answer and No thanks.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyInviteView {
    pub guild_id: GuildId,
    pub survey_id: SurveyId,
    pub program_name: String,
    pub occasion: SurveyOccasion,
    pub questions: usize,
    /// About how long answering takes.
    pub minutes: u32,
    pub closes_at: DateTime<Utc>,
}

impl SurveyInviteView {
    pub fn of(survey: &Survey) -> Self {
        SurveyInviteView {
            guild_id: survey.guild_id,
            survey_id: survey.survey_id,
            program_name: survey.program_name.clone(),
            occasion: survey.occasion,
            questions: survey.questions.len(),
            minutes: survey::minutes_to_answer(&survey.questions),
            closes_at: survey.closes_at,
        }
    }
}

/// A survey's invitation or its reminder, if it is still due: nothing once the survey
/// closed (a bot that was down past it) or the member left the program, and no reminder
/// to those who answered or said no thanks.
pub(super) async fn survey_dm<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    reminder: bool,
) -> Result<Sent, RowError> {
    let (survey_id, user) = addressed(row)?;
    let Some(survey) = store.survey(row.guild_id, survey_id).await? else {
        return Err(RowError::Poisoned(format!(
            "survey {survey_id} no longer exists"
        )));
    };
    if !store
        .survey_dm_due(survey_id, user, Utc::now(), reminder)
        .await?
    {
        return Ok(Sent::Done(None));
    }
    let view = SurveyInviteView::of(&survey);
    let message = if reminder {
        Message::SurveyReminder(view)
    } else {
        Message::SurveyInvite(view)
    };
    post_dm(store, courier, row, user, &message).await
}

/// The survey and the member a row is for: `<kind>:<survey>:<user>` and its user.
fn addressed(row: &OutboxRow) -> Result<(SurveyId, UserId), RowError> {
    let Some(user) = row.user_id else {
        return Err(RowError::Poisoned(format!(
            "a {} row without a recipient",
            row.kind
        )));
    };
    let survey = row
        .key
        .split(':')
        .nth(1)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| RowError::Poisoned(format!("a {} row without a survey", row.kind)))?;
    Ok((SurveyId(survey), user))
}

/// Posts by DM, as DM intros go: after a try that may have reached Discord, the DM's
/// recent history tells whether it went out.
async fn post_dm<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    user: UserId,
    message: &Message,
) -> Result<Sent, RowError> {
    store.begin_outbox_attempt(row.outbox_id).await?;
    // Discord returns the same DM channel every time, so this is safe to repeat.
    let dm = courier.open_dm(user).await?;
    let id = courier.post(dm, message, row.recovering()).await?;
    Ok(Sent::Done(Some((dm, id))))
}
