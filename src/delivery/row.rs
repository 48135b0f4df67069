//! What delivering one outbox row can come to: shared by every kind's sender.

use chrono::{DateTime, Utc};

use super::SendError;
use crate::domain::ids::{ChannelId, MessageId};

/// What became of a row that did not fail.
pub(super) enum Sent {
    /// Posted (where, when there is one place), or nothing was left to post.
    Done(Option<(ChannelId, MessageId)>),
    /// This function already recorded the row's end (a DM fallback, a group noted as
    /// undelivered).
    Recorded,
    /// Not ready yet: try again at this time without counting a failure.
    NotYet(DateTime<Utc>),
}

/// Why a row did not go out.
pub(super) enum RowError {
    /// Discord failed or refused.
    Send(SendError),
    /// The row can never succeed (its group is gone, its detail unreadable).
    Poisoned(String),
    /// hallway's own failure, a database error for instance: retried like a 5xx.
    Internal(anyhow::Error),
}

impl From<SendError> for RowError {
    fn from(err: SendError) -> Self {
        RowError::Send(err)
    }
}

impl From<anyhow::Error> for RowError {
    fn from(err: anyhow::Error) -> Self {
        RowError::Internal(err)
    }
}
