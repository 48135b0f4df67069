//! Delivering a survey's invitation and its one reminder, by DM.

use chrono::{DateTime, Utc};

use super::row::{RowError, Sent};
use super::Courier;
use crate::domain::ids::{GuildId, SurveyId};
use crate::domain::outbox::OutboxRow;
use crate::domain::survey::SurveyOccasion;
use crate::storage::Store;

/// A survey's invitation (or its reminder), with Answer and No thanks.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyInviteView {
    pub guild_id: GuildId,
    pub survey_id: SurveyId,
    pub program_name: String,
    pub occasion: SurveyOccasion,
    pub questions: usize,
    pub closes_at: DateTime<Utc>,
}

pub(super) async fn survey_invite<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let _ = (store, courier);
    Err(RowError::Poisoned(format!("{} is not built yet", row.kind)))
}

pub(super) async fn survey_reminder<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let _ = (store, courier);
    Err(RowError::Poisoned(format!("{} is not built yet", row.kind)))
}
