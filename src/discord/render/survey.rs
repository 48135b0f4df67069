//! A survey's words and buttons: the invitation, the reminder, each question.

use poise::serenity_prelude::CreateActionRow;

use crate::delivery::survey::SurveyInviteView;
use crate::domain::ids::UserId;

/// The invitation's (or, with `reminder`, the reminder's) text, mentions and buttons.
pub fn survey_invite_parts(
    view: &SurveyInviteView,
    reminder: bool,
) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let _ = (view, reminder);
    (String::from("A short survey"), Vec::new(), Vec::new())
}
