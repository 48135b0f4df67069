//! The readiness facts that the rest of the process reports, and `/readyz` reads.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shared by the gateway (shards), the lease loop and the HTTP listener.
#[derive(Debug, Default)]
pub struct Health {
    inner: Mutex<Facts>,
}

#[derive(Debug, Default)]
struct Facts {
    /// The shard ids this process runs.
    shards_expected: Vec<u32>,
    /// The shard ids whose gateway session is connected now.
    shards_connected: std::collections::BTreeSet<u32>,
    /// When the lease loop last finished a pass.
    lease_loop_at: Option<Instant>,
}

impl Health {
    /// The shards this process runs; `/readyz` waits for every one of them.
    pub fn expect_shards(&self, shards: impl IntoIterator<Item = u32>) {
        self.lock().shards_expected = shards.into_iter().collect();
    }

    /// A shard connected (READY or RESUMED) or lost its connection.
    pub fn shard_connected(&self, shard: u32, connected: bool) {
        let mut facts = self.lock();
        if connected {
            facts.shards_connected.insert(shard);
        } else {
            facts.shards_connected.remove(&shard);
        }
    }

    /// How many of this process's shards are connected, and how many it runs.
    pub fn shards(&self) -> (usize, usize) {
        let facts = self.lock();
        let connected = facts
            .shards_expected
            .iter()
            .filter(|shard| facts.shards_connected.contains(shard))
            .count();
        (connected, facts.shards_expected.len())
    }

    /// The lease loop finished a pass.
    pub fn lease_loop_ticked(&self) {
        self.lock().lease_loop_at = Some(Instant::now());
    }

    /// Whether the lease loop finished a pass within `max_age`.
    pub fn lease_loop_fresh(&self, max_age: Duration) -> bool {
        self.lock()
            .lease_loop_at
            .is_some_and(|at| at.elapsed() <= max_age)
    }

    /// How long ago the lease loop last finished a pass; `None` before its first. For the
    /// message `/readyz` gives when the loop is late.
    pub fn lease_loop_age(&self) -> Option<Duration> {
        self.lock().lease_loop_at.map(|at| at.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Facts> {
        // The facts stay consistent even if a holder panicked: each update is one assignment.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
