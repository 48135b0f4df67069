//! Delivering the weekly attention digest to a program's coordinators' channel.

use super::row::{RowError, Sent};
use super::Courier;
use crate::domain::attention::AttentionReport;
use crate::domain::outbox::OutboxRow;
use crate::storage::Store;

/// The attention list of one program, as the weekly digest posts it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestView {
    pub program_name: String,
    pub report: AttentionReport,
}

pub(super) async fn attention_digest<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let _ = (store, courier);
    Err(RowError::Poisoned(format!("{} is not built yet", row.kind)))
}
