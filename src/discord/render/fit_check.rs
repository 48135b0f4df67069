//! The fit check's words and buttons.

use poise::serenity_prelude::CreateActionRow;

use crate::delivery::fit::FitCheckView;
use crate::domain::ids::UserId;

/// The fit check's text, whom it mentions, and its buttons.
pub fn fit_check_parts(view: &FitCheckView) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let _ = view;
    (String::from("How was the fit?"), Vec::new(), Vec::new())
}
