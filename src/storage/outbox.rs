//! The one outbox: every post hallway makes is a row here, pending until Discord took it
//! (done) or it cannot ever succeed (failed, with the reason). A retry is a later due
//! time on the row.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::leases::{check_scoped_fence, Holder};
use super::{db_id, id_from_db, parse_column, Conn, Store};
use crate::domain::attention::{AttentionReport, PostedDigest};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId, UserId};
use crate::domain::outbox::{OutboxKind, Posted, Redaction, Redraw};
use crate::domain::outbox::{OutboxRow, RetryAt};
use crate::on_backend;

/// The key of a round's row: one per kind, group and member.
pub(crate) fn round_key(
    kind: OutboxKind,
    round_id: RoundId,
    group_id: Option<GroupId>,
    user_id: Option<UserId>,
) -> String {
    format!(
        "{kind}:{round_id}:{}:{}",
        group_id.map_or(0, |id| id.get()),
        user_id.map_or(0, db_id)
    )
}

/// A round's row, before it is queued.
pub(crate) struct RoundPost {
    pub kind: OutboxKind,
    pub round_id: RoundId,
    pub group_id: Option<GroupId>,
    pub user_id: Option<UserId>,
    pub due_at: DateTime<Utc>,
}

/// Queues a round's row inside the caller's transaction; a row queued before stays. It
/// belongs to the round's program.
pub(crate) async fn queue_round_row(
    conn: Conn<'_>,
    guild_id: GuildId,
    post: RoundPost,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = round_key(post.kind, post.round_id, post.group_id, post.user_id);
    on_backend!(conn, c => sqlx::query(
        "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id, due_at,
                             created_at)
         values ($1, (select program_id from round where round_id = $4), $2, $3, $4, $5, $6, $7, $8)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(post.kind.as_str())
    .bind(&key)
    .bind(db_id(post.round_id))
    .bind(post.group_id)
    .bind(post.user_id.map(db_id))
    .bind(post.due_at)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot queue a post")?;
    Ok(())
}

/// Queues a celebration under its occasion's key. Returns false when that occasion was
/// queued before (posted or not), so it is never posted twice. Inside a fenced scope (the
/// scheduler's), it first checks the server's lease in the caller's transaction.
pub(crate) async fn queue_celebration(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    program_id: ProgramId,
    key: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    check_scoped_fence(conn.re()).await?;
    let done = on_backend!(conn, c => sqlx::query(
        "insert into outbox (guild_id, program_id, kind, key, detail, due_at, created_at)
         values ($1, $2, 'celebration', $3, $4, $5, $6)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(program_id)
    .bind(key)
    .bind(detail)
    .bind(now)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))
    .context("cannot queue a celebration")?;
    Ok(done == 1)
}

/// Where the group's delivered posts of `kinds` are, oldest first: what forget-me and a
/// DM group's redraws change.
pub(crate) async fn posted_in_group(
    conn: Conn<'_>,
    group_id: GroupId,
    kinds: &[OutboxKind],
) -> anyhow::Result<Vec<(OutboxKind, Posted)>> {
    let rows: Vec<(OutboxKind, i64, i64)> = on_backend!(conn, c => sqlx::query_as(
        "select kind, channel_id, message_id from outbox
         where group_id = $1 and state = 'done'
           and channel_id is not null and message_id is not null
         order by outbox_id",
    )
    .bind(group_id)
    .fetch_all(c)
    .await)
    .context("cannot read where the group's posts went")?;
    Ok(rows
        .into_iter()
        .filter(|(kind, _, _)| kinds.contains(kind))
        .map(|(kind, channel, message)| {
            (
                kind,
                Posted {
                    channel_id: id_from_db(channel),
                    message_id: id_from_db(message),
                },
            )
        })
        .collect())
}

/// Queues a forget-me row inside the caller's transaction (the one that deletes the
/// member). `detail` says which message it changes, never whose name goes.
pub(crate) async fn queue_redaction(
    conn: Conn<'_>,
    guild_id: GuildId,
    kind: OutboxKind,
    key: &str,
    group_id: Option<GroupId>,
    redaction: &Redaction,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let detail = serde_json::to_string(redaction).context("cannot write a redaction")?;
    on_backend!(conn, c => sqlx::query(
        "insert into outbox (guild_id, kind, key, group_id, detail, due_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(kind.as_str())
    .bind(key)
    .bind(group_id)
    .bind(&detail)
    .bind(now)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot queue a redaction")?;
    Ok(())
}

/// Queues the deletion of one of hallway's posts that names a forgotten member, inside
/// the caller's transaction.
pub(crate) async fn queue_deletion(
    conn: Conn<'_>,
    guild_id: GuildId,
    at: Posted,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let deletion = Redaction {
        redraw: None,
        at: Some(at),
    };
    let key = format!("delete-message:{}", at.message_id);
    queue_redaction(
        conn,
        guild_id,
        OutboxKind::DeleteMessage,
        &key,
        None,
        &deletion,
        now,
    )
    .await
}

/// Seats in a group whose member asked to be forgotten (the group keeps its size).
async fn forgotten_seats(conn: Conn<'_>, group_id: GroupId) -> anyhow::Result<u32> {
    let seats: i64 = on_backend!(conn, c => sqlx::query_scalar(
        "select g.size - (select count(*) from group_member gm where gm.group_id = g.group_id)
         from match_group g where g.group_id = $1",
    )
    .bind(group_id)
    .fetch_optional(c)
    .await)
    .context("cannot read the group's size")?
    .unwrap_or(0);
    Ok(u32::try_from(seats).unwrap_or(0))
}

/// A digest's row is done (inside `complete_outbox`'s transaction): the list it kept, with
/// names, gives way to whom the post names, by id only, which forget-me needs to find
/// the post. Nothing posted, or nobody named: nothing is kept.
async fn digest_completed(mut conn: Conn<'_>, outbox_id: i64, posted: bool) -> anyhow::Result<()> {
    let kept: Option<String> = on_backend!(conn.re(), c => sqlx::query_scalar(
        "select detail from outbox where outbox_id = $1 and kind = $2",
    )
    .bind(outbox_id)
    .bind(OutboxKind::AttentionDigest.as_str())
    .fetch_optional(c)
    .await)
    .context("cannot read the digest's list")?
    .flatten();
    let named = kept
        .as_deref()
        .filter(|_| posted)
        .map(|json| serde_json::from_str::<AttentionReport>(json).map(|r| r.named()));
    let detail = match named {
        Some(Ok(named)) if !named.is_empty() => Some(
            serde_json::to_string(&PostedDigest { named })
                .context("cannot write whom the digest names")?,
        ),
        Some(Err(err)) => {
            // Nothing to find it by: the post stays if a member it names is forgotten.
            tracing::error!(outbox = outbox_id, %err, "a posted digest's list is unreadable");
            None
        }
        _ => None,
    };
    on_backend!(conn, c => sqlx::query("update outbox set detail = $1 where outbox_id = $2")
        .bind(&detail)
        .bind(outbox_id)
        .execute(c)
        .await
        .map(|_| ()))
    .context("cannot keep whom the digest names")?;
    Ok(())
}

/// An outbox row as both backends read it; its kind is parsed after, so a row whose kind
/// cannot be read is marked failed instead of blocking the rows after it.
#[derive(sqlx::FromRow)]
struct StoredRow {
    outbox_id: i64,
    guild_id: i64,
    program_id: Option<ProgramId>,
    kind: String,
    key: String,
    round_id: Option<RoundId>,
    group_id: Option<GroupId>,
    user_id: Option<i64>,
    detail: Option<String>,
    attempts: i64,
    failures: i64,
}

/// The columns of [`StoredRow`], for the queries that read one.
const ROW_COLUMNS: &str = "outbox_id, guild_id, program_id, kind, key, round_id, group_id, \
                           user_id, detail, attempts, failures";

fn row_from(row: &StoredRow) -> anyhow::Result<OutboxRow> {
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(OutboxRow {
        outbox_id: row.outbox_id,
        guild_id: id_from_db(row.guild_id),
        program_id: row.program_id,
        kind: parse_column(&row.kind, "outbox.kind")?,
        key: row.key.clone(),
        round_id: row.round_id,
        group_id: row.group_id,
        user_id: row.user_id.map(id_from_db),
        detail: row.detail.clone(),
        attempts: count(row.attempts),
        failures: count(row.failures),
    })
}

/// The order rows of one server are taken in: oldest first; among rows due together,
/// archives, then intros, then the rest, then summaries.
const TURN_ORDER: &str = "due_at,
     case kind when 'archive-thread' then 0 when 'intro' then 1 when 'dm-intro' then 1
               when 'summary' then 3 else 2 end,
     outbox_id";

/// `kind in ($n, $n+1, ...)` for `count` kinds from placeholder `first`.
fn kinds_list(first: usize, count: usize) -> String {
    let list: Vec<String> = (first..first + count).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

impl Store {
    /// Pending rows due by `now`: the first `per_server` of each server, taken in turns
    /// (every server's first row, then every server's second, ...), so a server with a
    /// long backlog cannot crowd the others out. Within a server, oldest first; among rows
    /// due together, archives, then intros, then the rest, then summaries.
    pub async fn due_outbox(
        &self,
        now: DateTime<Utc>,
        per_server: u32,
        limit: u32,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let sql = format!(
            "select {ROW_COLUMNS} from (
                 select {ROW_COLUMNS}, due_at,
                        row_number() over (partition by guild_id order by {TURN_ORDER}) as turn
                 from outbox where state = 'pending' and {} <= {}) t
             where turn <= $2
             order by turn, {}, outbox_id
             limit $3",
            self.backend().instant("due_at"),
            self.backend().instant("$1"),
            self.backend().instant("due_at"),
        );
        let rows: Vec<StoredRow> = on_backend!(&self.pool, pool => sqlx::query_as(&sql)
            .bind(now)
            .bind(i64::from(per_server))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)
        .context("cannot read the outbox")?;
        self.readable(rows, now).await
    }

    /// Like [`Store::due_outbox`], but only the rows of servers whose lease `holder` holds
    /// (unexpired at `now`), and of those only the ones `choose` takes (the worker's free
    /// slots), which are claimed: on PostgreSQL they are locked with
    /// `FOR UPDATE SKIP LOCKED` (two processes never take the same row, and never wait for
    /// each other; a row another one is claiming is left out) and their due time moves to
    /// `claim_until`, so the claim outlives the transaction, and a process that dies with a
    /// row in hand leaves it to whoever holds the server's lease next, once the claim
    /// expires (its attempts tell that one to look before posting again). The lease rows
    /// are read `FOR SHARE`, so a takeover waits for the claim to commit. On SQLite (one
    /// process) the chosen rows are returned as they are.
    pub async fn claim_outbox(
        &self,
        holder: &Holder,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        per_server: u32,
        limit: u32,
        mut choose: impl FnMut(&OutboxRow) -> bool,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let b = self.backend();
        let candidates = format!(
            "select {ROW_COLUMNS} from (
                 select {ROW_COLUMNS}, due_at,
                        row_number() over (partition by guild_id order by {TURN_ORDER}) as turn
                 from outbox
                 where state = 'pending' and {} <= {}
                   and guild_id in (select guild_id from server_lease
                                    where holder = $4 and {} > {})) t
             where turn <= $2
             order by turn, {}, outbox_id
             limit $3",
            b.instant("due_at"),
            b.instant("$1"),
            b.instant("expires_at"),
            b.instant("$1"),
            b.instant("due_at"),
        );
        match &self.pool {
            super::ByBackend::Sqlite(pool) => {
                let rows: Vec<StoredRow> = sqlx::query_as(&candidates)
                    .bind(now)
                    .bind(i64::from(per_server))
                    .bind(i64::from(limit))
                    .bind(holder.as_str())
                    .fetch_all(pool)
                    .await
                    .context("cannot read the outbox")?;
                let mut rows = self.readable(rows, now).await?;
                rows.retain(|row| choose(row));
                Ok(rows)
            }
            super::ByBackend::Postgres(pool) => {
                let mut tx = pool.begin().await.context("cannot claim outbox rows")?;
                sqlx::query(
                    "select guild_id from server_lease where holder = $1 and expires_at > $2
                     order by guild_id for share",
                )
                .bind(holder.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await
                .context("cannot read this process's leases")?;
                let rows: Vec<StoredRow> = sqlx::query_as(&candidates)
                    .bind(now)
                    .bind(i64::from(per_server))
                    .bind(i64::from(limit))
                    .bind(holder.as_str())
                    .fetch_all(&mut *tx)
                    .await
                    .context("cannot read the outbox")?;
                let mut rows = self.readable(rows, now).await?;
                rows.retain(|row| choose(row));
                let wanted: Vec<i64> = rows.iter().map(|r| r.outbox_id).collect();
                // Still pending and due once locked: another process may have claimed one
                // since the candidates were read.
                let claimed: Vec<i64> = sqlx::query_scalar(
                    "select outbox_id from outbox
                     where outbox_id = any($1) and state = 'pending' and due_at <= $2
                     for update skip locked",
                )
                .bind(&wanted)
                .bind(now)
                .fetch_all(&mut *tx)
                .await
                .context("cannot claim outbox rows")?;
                sqlx::query("update outbox set due_at = $1 where outbox_id = any($2)")
                    .bind(claim_until)
                    .bind(&claimed)
                    .execute(&mut *tx)
                    .await
                    .context("cannot claim outbox rows")?;
                tx.commit().await.context("cannot claim outbox rows")?;
                rows.retain(|row| claimed.contains(&row.outbox_id));
                Ok(rows)
            }
        }
    }

    /// The rows that can be read; a row that cannot even be read is not allowed to block
    /// the ones after it, and is marked failed.
    async fn readable(
        &self,
        rows: Vec<StoredRow>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            match row_from(row) {
                Ok(read) => due.push(read),
                Err(err) => {
                    tracing::error!(
                        outbox = row.outbox_id,
                        error = format!("{err:#}"),
                        "unreadable outbox row; marking it failed"
                    );
                    self.fail_outbox(row.outbox_id, &format!("unreadable row: {err:#}"), now)
                        .await?;
                }
            }
        }
        Ok(due)
    }

    /// When the earliest pending row of the servers whose lease `holder` holds is due.
    pub async fn next_claimable_due(
        &self,
        holder: &Holder,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let b = self.backend();
        let sql = format!(
            "select min(due_at) from outbox
             where state = 'pending'
               and guild_id in (select guild_id from server_lease where holder = $1 and {} > {})",
            b.instant("expires_at"),
            b.instant("$2"),
        );
        let next: Option<DateTime<Utc>> = on_backend!(&self.pool, pool => sqlx::query_scalar(&sql)
            .bind(holder.as_str())
            .bind(now)
            .fetch_one(pool)
            .await)
        .context("cannot read the outbox")?;
        Ok(next)
    }

    /// When the earliest pending row is due, if any.
    pub async fn next_outbox_due(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next: Option<DateTime<Utc>> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select min(due_at) from outbox where state = 'pending'",
        )
        .fetch_one(pool)
        .await)
        .context("cannot read the outbox")?;
        Ok(next)
    }

    /// How many of a round's intros (in threads or by DM) are still pending.
    pub async fn pending_intros(&self, round_id: RoundId) -> anyhow::Result<u32> {
        let count: i64 = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select count(*) from outbox
             where round_id = $1 and kind in ('intro', 'dm-intro') and state = 'pending'",
        )
        .bind(db_id(round_id))
        .fetch_one(pool)
        .await)
        .context("cannot read the round's pending intros")?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Whether the group's intro (or its thread) is still to be posted: what a forget-me
    /// row changes must exist first.
    pub async fn group_intro_pending(&self, group_id: GroupId) -> anyhow::Result<bool> {
        self.group_has_pending(group_id, &[OutboxKind::Intro, OutboxKind::DmIntro])
            .await
    }

    /// Whether the group's thread is still to be renamed: changes inside the thread wait
    /// for it, so two rows never reopen and re-archive the same thread at once.
    pub async fn group_rename_pending(&self, group_id: GroupId) -> anyhow::Result<bool> {
        self.group_has_pending(group_id, &[OutboxKind::RenameThread])
            .await
    }

    async fn group_has_pending(
        &self,
        group_id: GroupId,
        kinds: &[OutboxKind],
    ) -> anyhow::Result<bool> {
        let sql = format!(
            "select count(*) from outbox
             where group_id = $1 and kind in {} and state = 'pending'",
            kinds_list(2, kinds.len())
        );
        let pending: i64 = on_backend!(&self.pool, pool => {
            let mut query = sqlx::query_scalar(&sql).bind(group_id);
            for kind in kinds {
                query = query.bind(kind.as_str());
            }
            query.fetch_one(pool).await
        })
        .context("cannot read the group's pending rows")?;
        Ok(pending > 0)
    }

    /// How many of the group's members asked to be forgotten: their seats are kept
    /// (the group's size), their names are not.
    pub async fn forgotten_seats(&self, group_id: GroupId) -> anyhow::Result<u32> {
        let mut conn = self.pool.acquire().await?;
        forgotten_seats(conn.conn(), group_id).await
    }

    /// Notes that a try is about to start, before any request goes out, so a crash
    /// mid-request is known to have maybe reached Discord. Inside a fenced scope (the
    /// outbox worker's) this is the last check before the request: the server's lease
    /// must still be this process's, or nothing is noted and [`super::LeaseLost`] says
    /// not to send.
    pub async fn begin_outbox_attempt(&self, outbox_id: i64) -> anyhow::Result<()> {
        let mut tx = self.write_scoped().await?;
        on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set attempts = attempts + 1 where outbox_id = $1",
        )
        .bind(outbox_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot record an attempt")?;
        tx.commit().await.context("cannot record an attempt")?;
        Ok(())
    }

    /// Marks a row done, remembering where it was posted. A win also remembers where it
    /// was celebrated.
    ///
    /// A row that is gone was withdrawn while Discord was taking it: forget-me deletes the
    /// rows about the member it forgets (their DMs, their shout-outs), and cannot know
    /// that one was already on its way. What it posted is then queued for deletion, in
    /// the same transaction, so the member's name does not stay behind.
    pub async fn complete_outbox(
        &self,
        row: &OutboxRow,
        posted: Option<(ChannelId, MessageId)>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write_scoped().await?;
        let (channel, message) = (posted.map(|p| db_id(p.0)), posted.map(|p| db_id(p.1)));
        // A forget-me row's detail points at a message about the forgotten member (a DM
        // to them, say): once it is done, nothing needs to know where that was.
        let completed = on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set state = 'done', done_at = $1, channel_id = $2, message_id = $3, last_error = null,
                    detail = case when kind in ('rename-thread', 'redact-message', 'delete-message')
                                  then null else detail end
             where outbox_id = $4",
        )
        .bind(now)
        .bind(channel)
        .bind(message)
        .bind(row.outbox_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
        .context("cannot complete a post")?;
        if let (0, Some((channel_id, message_id))) = (completed, posted) {
            let deletion = Redaction {
                redraw: None,
                at: Some(Posted {
                    channel_id,
                    message_id,
                }),
            };
            queue_redaction(
                tx.conn(),
                row.guild_id,
                OutboxKind::DeleteMessage,
                &format!("delete-message:{message_id}"),
                None,
                &deletion,
                now,
            )
            .await?;
            tracing::info!(guild = %row.guild_id, kind = %row.kind, "a post landed after its row was withdrawn; deleting it");
        }
        // A digest's kept list names members: it gives way to whom the post names, by id.
        if completed == 1 && row.kind == OutboxKind::AttentionDigest {
            digest_completed(tx.conn(), row.outbox_id, posted.is_some()).await?;
        }
        // A DM intro or a nudge drawn just before someone in the group was forgotten may
        // still name them: it is rewritten from the group as it is now (a no-op edit when
        // it was drawn after).
        let redraw = match row.kind {
            OutboxKind::DmIntro => Some(Redraw::DmIntro),
            OutboxKind::Nudge => Some(Redraw::Nudge),
            _ => None,
        };
        if let (1, Some(redraw), Some(group_id), Some((channel_id, message_id))) =
            (completed, redraw, row.group_id, posted)
        {
            if forgotten_seats(tx.conn(), group_id).await? > 0 {
                let kept: i64 = on_backend!(tx.conn(), c => sqlx::query_scalar(
                    "select count(*) from group_member where group_id = $1",
                )
                .bind(group_id)
                .fetch_one(c)
                .await)
                .context("cannot count the group's members")?;
                let redaction = Redaction {
                    redraw: Some(redraw),
                    at: Some(Posted {
                        channel_id,
                        message_id,
                    }),
                };
                queue_redaction(
                    tx.conn(),
                    row.guild_id,
                    OutboxKind::RedactMessage,
                    &format!("redact-message:{message_id}:{kept}"),
                    Some(group_id),
                    &redaction,
                    now,
                )
                .await?;
            }
        }
        if let Some(win_id) = row
            .key
            .strip_prefix("win:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            on_backend!(tx.conn(), c => sqlx::query(
                "update win set channel_id = $1, message_id = $2 where guild_id = $3 and win_id = $4",
            )
            .bind(channel)
            .bind(message)
            .bind(db_id(row.guild_id))
            .bind(win_id)
            .execute(c)
            .await
            .map(|_| ()))
            .context("cannot save where the win was posted")?;
        }
        tx.commit().await.context("cannot complete a post")?;
        Ok(())
    }

    /// Gives up on a row that cannot succeed, keeping the reason. A digest's kept list
    /// goes: it names members, and nothing will post it now.
    pub async fn fail_outbox(
        &self,
        outbox_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write_scoped().await?;
        on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set state = 'failed', done_at = $1, last_error = $2,
                    detail = case when kind = 'attention-digest' then null else detail end
             where outbox_id = $3",
        )
        .bind(now)
        .bind(reason)
        .bind(outbox_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot record a failed post")?;
        tx.commit().await.context("cannot record a failed post")?;
        Ok(())
    }

    /// Keeps a row pending, to be tried again later.
    pub async fn retry_outbox_at(
        &self,
        outbox_id: i64,
        reason: &str,
        retry: RetryAt,
    ) -> anyhow::Result<()> {
        let mut tx = self.write_scoped().await?;
        on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set due_at = $1, last_error = $2, failures = failures + $3,
                    attempts = case when attempts - $4 < 0 then 0 else attempts - $4 end
             where outbox_id = $5",
        )
        .bind(retry.at)
        .bind(reason)
        .bind(i64::from(retry.counts_as_failure))
        .bind(i64::from(retry.refused_before_acting))
        .bind(outbox_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot reschedule a post")?;
        tx.commit().await.context("cannot reschedule a post")?;
        Ok(())
    }

    /// Switches a group's intro to DMs, one per member, because its thread could not be
    /// made: in one transaction, so each member is messaged exactly once.
    pub async fn fall_back_to_dms(
        &self,
        intro: &OutboxRow,
        members: &[UserId],
        note: &str,
        thread_refused: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let group_id = intro.group_id.context("an intro always has a group")?;
        let round_id = intro.round_id.context("an intro always has a round")?;
        let mut tx = self.write_scoped().await?;
        on_backend!(tx.conn(), c => sqlx::query(
            "update match_group set delivered_via = 'dm', delivery_note = $1, thread_refused = $2
             where group_id = $3",
        )
        .bind(note)
        .bind(thread_refused)
        .bind(db_id(group_id))
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot save the DM fallback")?;
        for user in members {
            let dm = RoundPost {
                kind: OutboxKind::DmIntro,
                round_id,
                group_id: Some(group_id),
                user_id: Some(*user),
                due_at: now,
            };
            queue_round_row(tx.conn(), intro.guild_id, dm, now).await?;
        }
        on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set state = 'done', done_at = $1, last_error = $2 where outbox_id = $3",
        )
        .bind(now)
        .bind(note)
        .bind(intro.outbox_id)
        .execute(c)
        .await
        .map(|_| ()))?;
        tx.commit().await.context("cannot commit the DM fallback")?;
        Ok(())
    }

    /// Marks a group undelivered with a note for the coordinators, and its row failed.
    pub async fn fail_group_delivery(
        &self,
        row: &OutboxRow,
        note: &str,
        log_reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut tx = self.write_scoped().await?;
        if let Some(group_id) = row.group_id {
            on_backend!(tx.conn(), c => sqlx::query(
                "update match_group set delivery_note = coalesce(delivery_note, $1) where group_id = $2",
            )
            .bind(note)
            .bind(db_id(group_id))
            .execute(c)
            .await
            .map(|_| ()))
            .context("cannot note the failed delivery")?;
        }
        on_backend!(tx.conn(), c => sqlx::query(
            "update outbox set state = 'failed', done_at = $1, last_error = $2 where outbox_id = $3",
        )
        .bind(now)
        .bind(log_reason)
        .bind(row.outbox_id)
        .execute(c)
        .await
        .map(|_| ()))?;
        tx.commit()
            .await
            .context("cannot record a failed delivery")?;
        Ok(())
    }

    /// A note an earlier group of the same round got because the program channel refused
    /// threads. The other groups go straight to DMs instead of asking Discord again: each
    /// refused request counts towards Discord's limit on invalid requests.
    pub async fn round_thread_refusal(&self, round_id: RoundId) -> anyhow::Result<Option<String>> {
        let note: Option<Option<String>> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select delivery_note from match_group
             where round_id = $1 and delivered_via = 'dm' and thread_refused = true limit 1",
        )
        .bind(db_id(round_id))
        .fetch_optional(pool)
        .await)
        .context("cannot read the round's delivery notes")?;
        Ok(note.flatten())
    }
}
