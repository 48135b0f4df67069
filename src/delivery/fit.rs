//! Delivering the fit check: "How was the fit?" by DM to one member of a pair.

use super::row::{RowError, Sent};
use super::Courier;
use crate::domain::ids::{GroupId, GuildId, UserId};
use crate::domain::outbox::OutboxRow;
use crate::storage::Store;

/// "How was the fit with …?", with Good fit / Not a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitCheckView {
    pub guild_id: GuildId,
    pub group_id: GroupId,
    pub program_name: String,
    /// The other member of the pair.
    pub partner: UserId,
}

pub(super) async fn fit_check<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let _ = (store, courier);
    Err(RowError::Poisoned(format!("{} is not built yet", row.kind)))
}
