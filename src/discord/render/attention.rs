//! The attention list's words: the `/hallway-admin attention` reply and the weekly digest.

use poise::serenity_prelude::CreateActionRow;

use crate::delivery::attention::DigestView;
use crate::domain::ids::UserId;

/// The digest's text, whom it mentions (nobody: names are shown, never pinged), and its
/// buttons.
pub fn digest_parts(view: &DigestView) -> (String, Vec<UserId>, Vec<CreateActionRow>) {
    let _ = view;
    (String::from("Needs attention"), Vec::new(), Vec::new())
}
