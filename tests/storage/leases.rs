//! Server leases on either backend: acquired free, renewed at the same epoch, never taken
//! while unexpired, taken over once expired with the next epoch, and the fencing that
//! follows: the former holder's writes are refused and change nothing. On PostgreSQL, two
//! stores claiming the outbox at once never get the same row.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use hallway::domain::ids::{ChannelId, GuildId, MessageId};
use hallway::storage::{fenced, is_lease_lost, Fence, HeldLeases, Holder, LeaseClock, Store};

use crate::fresh_store;

const GUILD: GuildId = GuildId(1_200_000_000_000_000_001);
const OTHER: GuildId = GuildId(1_200_000_000_000_000_002);

/// A fence as a process that renewed its leases just now holds it.
fn fence(holder: &Holder, guild_id: GuildId, epoch: i64) -> Fence {
    let clock = LeaseClock::new(StdDuration::from_secs(60));
    clock.renewed(Instant::now());
    Fence {
        holder: holder.clone(),
        guild_id,
        epoch,
        clock,
    }
}

/// A server hallway knows (its community row), as the bot's first command makes it.
async fn server(store: &Store, guild: GuildId) {
    let now = Utc::now();
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into community (guild_id, created_at, updated_at) values ($1, $2, $2)
         on conflict (guild_id) do nothing",
    )
    .bind(guild)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

/// A pending celebration of the server, due at `due`.
async fn queue(store: &Store, guild: GuildId, key: &str, due: DateTime<Utc>) {
    hallway::on_backend!(store.pool(), pool => sqlx::query(
        "insert into outbox (guild_id, kind, key, detail, due_at, created_at)
         values ($1, 'celebration', $2, '{}', $3, $3)",
    )
    .bind(guild)
    .bind(key)
    .bind(due)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
}

async fn outbox_rows(store: &Store) -> Vec<(String, String, i64, DateTime<Utc>)> {
    hallway::on_backend!(store.pool(), pool => sqlx::query_as(
        "select key, state, attempts, due_at from outbox order by outbox_id",
    )
    .fetch_all(pool)
    .await)
    .unwrap()
}

#[tokio::test]
async fn a_lease_renews_at_its_epoch_and_only_an_expired_one_is_taken_over_with_the_next() {
    let (store, _dir) = fresh_store().await;
    server(&store, GUILD).await;
    let (a, b) = (Holder::named("a"), Holder::named("b"));
    let t0 = Utc::now();
    let secs = Duration::seconds;

    let got = store
        .acquire_leases(&a, &[GUILD], t0, t0 + secs(30), t0)
        .await
        .unwrap();
    assert_eq!(got.iter().map(|l| l.epoch).collect::<Vec<_>>(), [1]);
    let renewed = store
        .renew_leases(&a, t0 + secs(10), t0 + secs(40))
        .await
        .unwrap();
    assert_eq!(renewed.len(), 1);
    assert_eq!(renewed[0].epoch, 1, "renewing keeps the epoch");
    let stored = store.lease(GUILD).await.unwrap().unwrap();
    assert_eq!((stored.holder.as_str(), stored.epoch), ("a", 1));
    assert_eq!(
        stored.expires_at.timestamp_millis(),
        (t0 + secs(40)).timestamp_millis()
    );

    // b cannot take it while it runs, even asking a moment before it ends.
    let at = t0 + secs(39);
    assert!(store
        .acquire_leases(&b, &[GUILD], at, at + secs(30), at)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.lease(GUILD).await.unwrap().unwrap().holder, "a");

    // Once expired, b takes it over with the next epoch, and a can no longer renew it.
    let at = t0 + secs(41);
    let taken = store
        .acquire_leases(&b, &[GUILD], at, at + secs(30), at)
        .await
        .unwrap();
    assert_eq!(
        taken
            .iter()
            .map(|l| (l.guild_id, l.epoch))
            .collect::<Vec<_>>(),
        [(GUILD, 2)]
    );
    assert!(store
        .renew_leases(&a, at, at + secs(30))
        .await
        .unwrap()
        .is_empty());
    let stored = store.lease(GUILD).await.unwrap().unwrap();
    assert_eq!((stored.holder.as_str(), stored.epoch), ("b", 2));

    // Released, it is free at once, and the next holder gets the epoch after.
    let at = t0 + secs(50);
    assert_eq!(store.release_leases(&b, at).await.unwrap(), 1);
    assert_eq!(store.free_leases(at).await.unwrap().len(), 1);
    let back = store
        .acquire_leases(&a, &[GUILD], at, at + secs(30), at)
        .await
        .unwrap();
    assert_eq!(back[0].epoch, 3);
}

#[tokio::test]
async fn after_a_takeover_the_former_holders_fenced_writes_are_refused_and_change_nothing() {
    let (store, _dir) = fresh_store().await;
    server(&store, GUILD).await;
    let (a, b) = (Holder::named("a"), Holder::named("b"));
    let now = Utc::now();
    // a's lease has already run out (it was paused, say); b takes it over.
    store
        .acquire_leases(
            &a,
            &[GUILD],
            now - Duration::seconds(60),
            now - Duration::seconds(1),
            now,
        )
        .await
        .unwrap();
    let a_fence = fence(&a, GUILD, 1);
    queue(&store, GUILD, "watercooler:1:1", now).await;
    let row = store.due_outbox(now, 10, 10).await.unwrap().remove(0);
    let taken = store
        .acquire_leases(&b, &[GUILD], now, now + Duration::seconds(30), now)
        .await
        .unwrap();
    assert_eq!(taken[0].epoch, 2);
    let before = outbox_rows(&store).await;

    // a, who still believes in epoch 1: every fenced write is refused.
    assert!(!store.lease_held(&a_fence).await.unwrap());
    let refused = [
        fenced(a_fence.clone(), store.begin_outbox_attempt(row.outbox_id)).await,
        fenced(
            a_fence.clone(),
            store.complete_outbox(&row, Some((ChannelId(7), MessageId(8))), now),
        )
        .await,
        fenced(a_fence.clone(), store.fail_outbox(row.outbox_id, "no", now)).await,
        fenced(
            a_fence.clone(),
            store.retry_outbox_at(
                row.outbox_id,
                "later",
                hallway::domain::outbox::RetryAt {
                    at: now + Duration::seconds(5),
                    counts_as_failure: true,
                    refused_before_acting: false,
                },
            ),
        )
        .await,
    ];
    for result in refused {
        let err = result.expect_err("a fenced write of the former holder");
        assert!(is_lease_lost(&err), "{err:#}");
    }
    assert_eq!(outbox_rows(&store).await, before, "nothing changed");
    // Nor can a claim anything any more.
    assert!(store
        .claim_outbox(&a, now, now + Duration::seconds(30), 10, 10, |_| true)
        .await
        .unwrap()
        .is_empty());

    // b's fence holds: its writes go through.
    let b_fence = fence(&b, GUILD, 2);
    assert!(store.lease_held(&b_fence).await.unwrap());
    fenced(b_fence.clone(), store.begin_outbox_attempt(row.outbox_id))
        .await
        .unwrap();
    fenced(
        b_fence,
        store.complete_outbox(&row, Some((ChannelId(7), MessageId(8))), now),
    )
    .await
    .unwrap();
    let after = outbox_rows(&store).await;
    assert_eq!((after[0].1.as_str(), after[0].2), ("done", 1));
}

#[tokio::test]
async fn a_process_paused_past_its_lease_is_refused_by_its_own_clock_before_the_database() {
    let (store, _dir) = fresh_store().await;
    server(&store, GUILD).await;
    queue(&store, GUILD, "watercooler:1:1", Utc::now()).await;
    let a = Holder::named("a");
    let now = Utc::now();
    // The database still says a holds the lease...
    store
        .acquire_leases(&a, &[GUILD], now, now + Duration::seconds(300), now)
        .await
        .unwrap();
    // ...but a's last renewal was longer ago than a lease, by a's own clock.
    let lease = StdDuration::from_secs(30);
    let held = HeldLeases::new(a.clone(), lease);
    held.replace(
        &store
            .renew_leases(&a, now, now + Duration::seconds(300))
            .await
            .unwrap(),
    );
    held.clock.renewed(Instant::now());
    assert!(
        held.fence(GUILD).is_some(),
        "fresh: the fence is handed out"
    );
    let stale = Instant::now()
        .checked_sub(StdDuration::from_secs(31))
        .expect("the machine has been up longer than 31 s");
    held.clock.renewed(stale);
    assert!(held.fence(GUILD).is_none(), "paused: no fence");
    assert!(held.guilds().is_empty());
    let mut paused = fence(&a, GUILD, 1);
    paused.clock = held.clock.clone();
    let before = outbox_rows(&store).await;
    let row = store
        .due_outbox(Utc::now(), 10, 10)
        .await
        .unwrap()
        .remove(0);
    let err = fenced(paused, store.begin_outbox_attempt(row.outbox_id))
        .await
        .expect_err("refused");
    assert!(is_lease_lost(&err), "{err:#}");
    assert_eq!(outbox_rows(&store).await, before, "no attempt noted");
}

#[tokio::test]
async fn the_outbox_is_claimed_only_for_servers_whose_lease_the_holder_holds() {
    let (store, _dir) = fresh_store().await;
    let (a, b) = (Holder::named("a"), Holder::named("b"));
    let now = Utc::now();
    for (guild, key) in [(GUILD, "watercooler:1:1"), (OTHER, "watercooler:2:1")] {
        server(&store, guild).await;
        queue(&store, guild, key, now).await;
    }
    let until = now + Duration::seconds(30);
    store
        .acquire_leases(&a, &[GUILD], now, until, now)
        .await
        .unwrap();
    store
        .acquire_leases(&b, &[OTHER], now, until, now)
        .await
        .unwrap();
    // A row the worker does not take now (no free slot) is not claimed either.
    assert!(store
        .claim_outbox(&a, now, until, 10, 10, |_| false)
        .await
        .unwrap()
        .is_empty());
    let claimed = store
        .claim_outbox(&a, now, until, 10, 10, |_| true)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|r| r.guild_id).collect::<Vec<_>>(),
        [GUILD]
    );
    assert_eq!(
        store
            .next_claimable_due(&b, now)
            .await
            .unwrap()
            .map(|d| d.timestamp()),
        Some(now.timestamp())
    );
    // After a's lease expires, a claims nothing.
    let later = until + Duration::seconds(1);
    assert!(store
        .claim_outbox(&a, later, later + Duration::seconds(30), 10, 10, |_| true)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn on_postgres_two_stores_claiming_at_once_never_get_the_same_row() {
    if crate::test_backend() != hallway::storage::Backend::Postgres {
        eprintln!("not on sqlite: SKIP LOCKED claims are PostgreSQL's (SQLite runs one process)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = crate::fresh_database_url(dir.path()).await;
    let one = Store::open(&url, 4, StdDuration::from_secs(5))
        .await
        .unwrap();
    let two = Store::open(&url, 4, StdDuration::from_secs(5))
        .await
        .unwrap();
    let holder = Holder::named("rolling-deploy");
    let now = Utc::now();
    let mut guilds = Vec::new();
    for n in 0..10u64 {
        let guild = GuildId(1_200_000_000_000_000_100 + n);
        server(&one, guild).await;
        for k in 0..20 {
            queue(&one, guild, &format!("watercooler:{n}:{k}"), now).await;
        }
        guilds.push(guild);
    }
    let until = now + Duration::seconds(60);
    one.acquire_leases(&holder, &guilds, now, until, now)
        .await
        .unwrap();
    // Both claim in small bites, at the same time, until nothing is left.
    let claim_all = |store: Store, holder: Holder| async move {
        let mut got = Vec::new();
        loop {
            let rows = store
                .claim_outbox(&holder, now, until, 3, 7, |_| true)
                .await
                .unwrap();
            if rows.is_empty() {
                // The other store had the rows this one chose locked: look again while
                // any row is still due.
                let next = store.next_claimable_due(&holder, now).await.unwrap();
                if next.is_some_and(|due| due <= now) {
                    tokio::task::yield_now().await;
                    continue;
                }
                return got;
            }
            got.extend(rows.into_iter().map(|r| r.outbox_id));
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(claim_all(one.clone(), holder.clone())),
        tokio::spawn(claim_all(two.clone(), holder.clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "no row claimed twice");
    assert_eq!(total, 200, "every row claimed once");
    eprintln!(
        "claimed: {} by one store, {} by the other",
        a.len(),
        b.len()
    );
    // The claim outlives its transaction: nothing is due until it expires.
    assert!(one
        .claim_outbox(&holder, now, until, 3, 7, |_| true)
        .await
        .unwrap()
        .is_empty());
    let expired = until + Duration::seconds(1);
    assert_eq!(
        one.claim_outbox(&holder, expired, expired, 100, 1000, |_| true)
            .await
            .unwrap()
            .len(),
        0,
        "the lease ran out as well: nothing for this holder"
    );
}
