//! Server leases: which process may do a server's scheduled work (start its rounds, queue
//! its celebrations, digests and surveys, deliver its outbox), and the fencing token that
//! proves it inside every such write.
//!
//! A process (a [`Holder`], unique per run) holds at most one lease per server, with an
//! expiry and an epoch. It acquires a lease that is free or expired (taking one over bumps
//! the epoch), renews its own in one statement (same epoch), and releases them when it
//! stops. Every lease change runs in a [`Store::write`] transaction, which serializes
//! writers on both backends (on PostgreSQL with a transaction-level advisory lock), so a
//! fenced write that checks the lease at the start of its own write transaction
//! ([`check_fence`]) cannot race a takeover: either the takeover committed first and the
//! check refuses, or the write commits first.
//!
//! A process paused longer than its lease (SIGSTOP, a long GC-like stall, a VM migration)
//! must not act on what it believed before the pause: [`LeaseClock`] remembers, by the
//! process's own monotonic clock, when its leases were last renewed, and once that is
//! older than the lease every [`Fence`] it hands out is refused without asking the
//! database, until the lease loop renews or acquires again.
//!
//! The fence reaches the store through a task-local scope ([`fenced`]): the scheduler and
//! the outbox worker run each server's work inside one, and the store's writes in that
//! scope check it ([`check_scoped_fence`]). Work outside any scope (an interaction, a
//! tool, a test) is not fenced: any process may answer any interaction.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{Conn, Store};
use crate::domain::ids::GuildId;
use crate::on_backend;

/// Which process holds a lease: unique per process run (host, pid, start time), so a
/// restarted process never mistakes its predecessor's leases for its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Holder(Arc<str>);

impl Holder {
    /// This process run: `host:pid:start` with the start in milliseconds.
    pub fn for_this_process() -> Holder {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/proc/sys/kernel/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_string());
        Holder::named(&format!(
            "{host}:{}:{}",
            std::process::id(),
            Utc::now().timestamp_millis()
        ))
    }

    /// A holder by name, for tests and tools.
    pub fn named(name: &str) -> Holder {
        Holder(Arc::from(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A lease this process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub guild_id: GuildId,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

/// A server's lease as stored, whoever holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRecord {
    pub guild_id: GuildId,
    pub holder: String,
    pub epoch: i64,
    pub expires_at: DateTime<Utc>,
}

/// A fenced write was refused: the server's lease is not (or no longer) this process's
/// at this epoch, or this process was paused past its lease. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this process no longer holds the lease on server {guild_id} (epoch {epoch}); it writes nothing for it")]
pub struct LeaseLost {
    pub guild_id: GuildId,
    pub epoch: i64,
}

/// Whether `err` (anywhere in its chain) is a refused fenced write.
pub fn is_lease_lost(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<LeaseLost>())
}

/// When this process last renewed its leases, by its own monotonic clock. Shared by the
/// lease loop (which sets it) and everything that acts under a lease (which reads it).
#[derive(Debug, Clone)]
pub struct LeaseClock {
    renewed: Arc<Mutex<Option<Instant>>>,
    lease: Duration,
}

impl LeaseClock {
    /// A clock for leases that last `lease`; nothing is held until the first renewal.
    pub fn new(lease: Duration) -> LeaseClock {
        LeaseClock {
            renewed: Arc::new(Mutex::new(None)),
            lease,
        }
    }

    /// How long a lease lasts unrenewed.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// The leases were renewed (or acquired) by a statement sent at `sent`: measured from
    /// before the statement, so the process never believes in a lease longer than the
    /// database does.
    pub fn renewed(&self, sent: Instant) {
        *self.renewed.lock().unwrap_or_else(|e| e.into_inner()) = Some(sent);
    }

    /// Whether the last renewal is recent enough for the leases to still be held: false
    /// after a pause longer than the lease, whatever the database says.
    pub fn fresh(&self) -> bool {
        self.renewed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < self.lease)
    }
}

/// A fencing token: this process (holder) may write for `guild_id` while it holds the
/// lease at `epoch`, unexpired, and its own clock says it was not paused past it.
#[derive(Debug, Clone)]
pub struct Fence {
    pub holder: Holder,
    pub guild_id: GuildId,
    pub epoch: i64,
    pub clock: LeaseClock,
}

impl Fence {
    fn lost(&self) -> LeaseLost {
        LeaseLost {
            guild_id: self.guild_id,
            epoch: self.epoch,
        }
    }
}

/// The leases this process holds, as its lease loop last found them.
#[derive(Debug)]
pub struct HeldLeases {
    pub holder: Holder,
    pub clock: LeaseClock,
    held: Mutex<HashMap<GuildId, i64>>,
    /// Asks the lease loop for a pass now (work turned up for a server not held yet).
    pass_wanted: tokio::sync::Notify,
}

impl HeldLeases {
    pub fn new(holder: Holder, lease: Duration) -> HeldLeases {
        HeldLeases {
            holder,
            clock: LeaseClock::new(lease),
            held: Mutex::new(HashMap::new()),
            pass_wanted: tokio::sync::Notify::new(),
        }
    }

    /// Asks the lease loop for a pass at once, e.g. when a round was started by hand in a
    /// server whose lease nobody holds yet.
    pub fn want_pass(&self) {
        self.pass_wanted.notify_one();
    }

    /// Waits until a pass is asked for.
    pub async fn pass_wanted(&self) {
        self.pass_wanted.notified().await
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<GuildId, i64>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fence for `guild_id`, when this process holds its lease and was not paused
    /// past it.
    pub fn fence(&self, guild_id: GuildId) -> Option<Fence> {
        if !self.clock.fresh() {
            return None;
        }
        let epoch = *self.map().get(&guild_id)?;
        Some(Fence {
            holder: self.holder.clone(),
            guild_id,
            epoch,
            clock: self.clock.clone(),
        })
    }

    /// The servers this process may work for now (none after a pause past the lease).
    pub fn guilds(&self) -> Vec<GuildId> {
        if !self.clock.fresh() {
            return Vec::new();
        }
        let mut guilds: Vec<GuildId> = self.map().keys().copied().collect();
        guilds.sort();
        guilds
    }

    /// Whether the lease on `guild_id` is held as far as this process knows.
    pub fn holds(&self, guild_id: GuildId) -> bool {
        self.clock.fresh() && self.map().contains_key(&guild_id)
    }

    /// The epoch held for `guild_id`, fresh or not (for the lease loop).
    pub fn epoch(&self, guild_id: GuildId) -> Option<i64> {
        self.map().get(&guild_id).copied()
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }

    /// Replaces what is held by what the database returned (renewed and acquired); returns
    /// how many leases held before are not held any more.
    pub fn replace(&self, leases: &[Lease]) -> usize {
        let mut map = self.map();
        let lost = map
            .iter()
            .filter(|(guild, epoch)| {
                !leases
                    .iter()
                    .any(|l| l.guild_id == **guild && l.epoch == **epoch)
            })
            .count();
        *map = leases.iter().map(|l| (l.guild_id, l.epoch)).collect();
        lost
    }

    /// Forgets every lease (after releasing them, or when the clock says they are gone);
    /// returns how many were held.
    pub fn clear(&self) -> usize {
        let mut map = self.map();
        let n = map.len();
        map.clear();
        n
    }

    /// Forgets one lease a fenced write found lost.
    pub fn forget(&self, guild_id: GuildId) -> bool {
        self.map().remove(&guild_id).is_some()
    }
}

tokio::task_local! {
    static FENCE: Fence;
}

/// Runs `work` under `fence`: the store's fenced writes inside it check the lease first
/// (see [`check_scoped_fence`]).
pub async fn fenced<F: Future>(fence: Fence, work: F) -> F::Output {
    FENCE.scope(fence, work).await
}

/// The fence of the scope this task runs in, if any.
pub fn current_fence() -> Option<Fence> {
    FENCE.try_with(Fence::clone).ok()
}

/// Whether the task's fence, if any, is still fresh by this process's own clock: for the
/// last moment before a request leaves (after any pacing wait), where a process paused
/// past its lease must not send what it prepared before the pause. No database needed.
pub fn scoped_fence_fresh() -> bool {
    current_fence().is_none_or(|fence| fence.clock.fresh())
}

/// Checks, inside the caller's write transaction, that `fence` still holds: this
/// process's own clock first (no database needed after a pause), then the stored lease
/// (same holder and epoch, unexpired). Refuses with [`LeaseLost`].
pub(crate) async fn check_fence(mut conn: Conn<'_>, fence: &Fence) -> anyhow::Result<()> {
    check_lease(conn.re(), fence).await?;
    bound_idle(conn, fence.clock.lease()).await
}

/// How long a write transaction without a lease to go by may sit idle on PostgreSQL.
const IDLE_BOUND: Duration = Duration::from_secs(5);

/// On PostgreSQL, ends the caller's transaction if its process leaves it idle longer
/// than `bound`: a process stopped (SIGSTOP) inside a write transaction holds the write
/// lock, and would otherwise stall every other process until it resumes.
pub(crate) async fn bound_idle(conn: Conn<'_>, bound: Duration) -> anyhow::Result<()> {
    if conn.backend() != super::Backend::Postgres {
        return Ok(());
    }
    let ms = bound.as_millis().max(1000);
    on_backend!(conn, c => sqlx::query(&format!(
        "set local idle_in_transaction_session_timeout = {ms}"
    ))
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot bound the transaction's idle time")
}

/// The lease `until - now` as a bound on a lease transaction's idle time.
fn lease_bound(now: DateTime<Utc>, until: DateTime<Utc>) -> Duration {
    (until - now).to_std().unwrap_or(IDLE_BOUND)
}

/// The read half of [`check_fence`], outside a transaction too.
async fn check_lease(mut conn: Conn<'_>, fence: &Fence) -> anyhow::Result<()> {
    if !fence.clock.fresh() {
        return Err(fence.lost().into());
    }
    let now = Utc::now();
    let sql = format!(
        "select count(*) from server_lease
         where guild_id = $1 and holder = $2 and epoch = $3 and {} > {}",
        conn.backend().instant("expires_at"),
        conn.backend().instant("$4"),
    );
    let held: i64 = on_backend!(conn.re(), c => sqlx::query_scalar(&sql)
        .bind(fence.guild_id)
        .bind(fence.holder.as_str())
        .bind(fence.epoch)
        .bind(now)
        .fetch_one(c)
        .await)
    .context("cannot read the server's lease")?;
    if held == 0 {
        return Err(fence.lost().into());
    }
    Ok(())
}

/// [`check_fence`] with the fence of the task's scope; nothing to check outside one.
/// Every fenced write calls it at the start of its write transaction.
pub(crate) async fn check_scoped_fence(conn: Conn<'_>) -> anyhow::Result<()> {
    match current_fence() {
        Some(fence) => check_fence(conn, &fence).await,
        None => Ok(()),
    }
}

/// Which servers a process's shards cover: `(guild_id >> 22) % total` within
/// `first..=last`.
pub fn on_shards(guild_id: GuildId, first: u32, last: u32, total: u32) -> bool {
    let total = u64::from(total.max(1));
    let shard = (guild_id.get() >> 22) % total;
    shard >= u64::from(first) && shard <= u64::from(last)
}

#[derive(sqlx::FromRow)]
struct LeaseRow {
    guild_id: GuildId,
    epoch: i64,
    expires_at: DateTime<Utc>,
}

impl From<LeaseRow> for Lease {
    fn from(row: LeaseRow) -> Lease {
        Lease {
            guild_id: row.guild_id,
            epoch: row.epoch,
            expires_at: row.expires_at,
        }
    }
}

impl Store {
    /// A write transaction that has checked the fence of the task's scope, if any.
    pub(crate) async fn write_scoped(&self) -> anyhow::Result<super::Tx> {
        // `write()` has checked the scoped fence already; only the idle bound is left.
        let mut tx = self.write().await?;
        let idle = current_fence().map_or(IDLE_BOUND, |fence| fence.clock.lease());
        bound_idle(tx.conn(), idle).await?;
        Ok(tx)
    }

    /// The servers with a community row (anything the scheduler could work for) whose
    /// lease is free or expired at `expired_by`, with when it expired (`None`: never
    /// leased).
    pub async fn free_leases(
        &self,
        expired_by: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(GuildId, Option<DateTime<Utc>>)>> {
        let b = self.backend();
        let sql = format!(
            "select c.guild_id, l.expires_at from community c
             left join server_lease l on l.guild_id = c.guild_id
             where l.guild_id is null or {} <= {}
             order by c.guild_id",
            b.instant("l.expires_at"),
            b.instant("$1"),
        );
        let rows: Vec<(GuildId, Option<DateTime<Utc>>)> = on_backend!(&self.pool, pool =>
            sqlx::query_as(&sql).bind(expired_by).fetch_all(pool).await)
        .context("cannot read the servers' leases")?;
        Ok(rows)
    }

    /// Acquires the leases of `guilds` for `holder` until `until`: a free one is taken at
    /// epoch 1, one that expired by `expired_by` is taken over at its epoch + 1, one held
    /// by anyone (this holder too) and not expired stays as it is. Returns those acquired.
    pub async fn acquire_leases(
        &self,
        holder: &Holder,
        guilds: &[GuildId],
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        expired_by: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Lease>> {
        if guilds.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        bound_idle(tx.conn(), lease_bound(now, until)).await?;
        let sql = format!(
            "insert into server_lease (guild_id, holder, epoch, expires_at, acquired_at)
             values ($1, $2, 1, $3, $4)
             on conflict (guild_id) do update
                set holder = excluded.holder, epoch = server_lease.epoch + 1,
                    expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
              where {} <= {}
             returning guild_id, epoch, expires_at",
            tx.conn().backend().instant("server_lease.expires_at"),
            tx.conn().backend().instant("$5"),
        );
        let mut acquired = Vec::new();
        for guild_id in guilds {
            let row: Option<LeaseRow> = on_backend!(tx.conn(), c => sqlx::query_as(&sql)
                .bind(*guild_id)
                .bind(holder.as_str())
                .bind(until)
                .bind(now)
                .bind(expired_by)
                .fetch_optional(c)
                .await)
            .context("cannot acquire a server's lease")?;
            acquired.extend(row.map(Lease::from));
        }
        tx.commit().await.context("cannot acquire leases")?;
        Ok(acquired)
    }

    /// Renews every unexpired lease `holder` holds until `until`, keeping their epochs, in
    /// one statement. Returns the leases still held; one that expired before this (and may
    /// have been taken over) is not renewed.
    pub async fn renew_leases(
        &self,
        holder: &Holder,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Lease>> {
        let mut tx = self.write().await?;
        bound_idle(tx.conn(), lease_bound(now, until)).await?;
        let sql = format!(
            "update server_lease set expires_at = $3
             where holder = $1 and {} > {}
             returning guild_id, epoch, expires_at",
            tx.conn().backend().instant("expires_at"),
            tx.conn().backend().instant("$2"),
        );
        let rows: Vec<LeaseRow> = on_backend!(tx.conn(), c => sqlx::query_as(&sql)
            .bind(holder.as_str())
            .bind(now)
            .bind(until)
            .fetch_all(c)
            .await)
        .context("cannot renew the leases")?;
        tx.commit().await.context("cannot renew the leases")?;
        Ok(rows.into_iter().map(Lease::from).collect())
    }

    /// Releases every lease `holder` holds (on shutdown): each expires at `now`, keeping
    /// its epoch, so the next holder takes it at once with the epoch after. Returns how
    /// many were released.
    pub async fn release_leases(&self, holder: &Holder, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut tx = self.write().await?;
        bound_idle(tx.conn(), IDLE_BOUND).await?;
        let sql = format!(
            "update server_lease set expires_at = $2 where holder = $1 and {} > {}",
            tx.conn().backend().instant("expires_at"),
            tx.conn().backend().instant("$2"),
        );
        let released = on_backend!(tx.conn(), c => sqlx::query(&sql)
            .bind(holder.as_str())
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .context("cannot release the leases")?;
        tx.commit().await.context("cannot release the leases")?;
        Ok(released)
    }

    /// The server's lease as stored, whoever holds it.
    pub async fn lease(&self, guild_id: GuildId) -> anyhow::Result<Option<LeaseRecord>> {
        let row: Option<(GuildId, String, i64, DateTime<Utc>)> = on_backend!(&self.pool, pool =>
            sqlx::query_as(
                "select guild_id, holder, epoch, expires_at from server_lease where guild_id = $1",
            )
            .bind(guild_id)
            .fetch_optional(pool)
            .await)
        .context("cannot read the server's lease")?;
        Ok(
            row.map(|(guild_id, holder, epoch, expires_at)| LeaseRecord {
                guild_id,
                holder,
                epoch,
                expires_at,
            }),
        )
    }

    /// Whether `fence` still holds (a cheap fenced read, e.g. just before a post).
    pub async fn lease_held(&self, fence: &Fence) -> anyhow::Result<bool> {
        let mut conn = self.pool.acquire().await?;
        match check_lease(conn.conn(), fence).await {
            Ok(()) => Ok(true),
            Err(err) if is_lease_lost(&err) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_on_the_shard_its_id_says() {
        // Shard = (id >> 22) % total.
        let on = |shard: u64| GuildId((shard << 22) | 1);
        assert!(on_shards(on(1), 0, 1, 4));
        assert!(!on_shards(on(2), 0, 1, 4));
        assert!(on_shards(on(6), 2, 3, 4));
        assert!(on_shards(on(123), 0, 0, 1), "one process owns everything");
    }

    #[test]
    fn held_leases_count_what_was_lost_and_hand_out_no_fence_after_a_pause() {
        let held = HeldLeases::new(Holder::named("a"), Duration::from_secs(30));
        let (g1, g2) = (GuildId(1), GuildId(2));
        let at = Utc::now();
        let lease = |guild_id, epoch| Lease {
            guild_id,
            epoch,
            expires_at: at,
        };
        assert_eq!(held.replace(&[lease(g1, 1), lease(g2, 1)]), 0);
        assert!(held.fence(g1).is_none(), "never renewed: no fence");
        held.clock.renewed(Instant::now());
        assert_eq!(held.fence(g1).map(|f| f.epoch), Some(1));
        // g2 gone, g1 now at another epoch (lost and taken back): both count as lost.
        assert_eq!(held.replace(&[lease(g1, 3)]), 2);
        assert_eq!(held.guilds(), [g1]);
        held.clock
            .renewed(Instant::now().checked_sub(Duration::from_secs(31)).unwrap());
        assert!(held.fence(g1).is_none() && held.guilds().is_empty());
        assert!(!held.holds(g1));
    }
}
