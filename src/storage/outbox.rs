//! The one outbox: every post hallway makes is a row here, pending until Discord took it
//! (done) or it cannot ever succeed (failed, with the reason). A retry is a later due
//! time on the row.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::Row as _;

use super::{db_id, id_from_db, parse_column, Store};
use crate::domain::attention::{AttentionReport, PostedDigest};
use crate::domain::ids::{ChannelId, GroupId, GuildId, MessageId, ProgramId, RoundId, UserId};
use crate::domain::outbox::{OutboxKind, Posted, Redaction, Redraw};
use crate::domain::outbox::{OutboxRow, RetryAt};

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
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    post: RoundPost,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id, due_at,
                             created_at)
         values (?1, (select program_id from round where round_id = ?4), ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(post.kind.as_str())
    .bind(round_key(
        post.kind,
        post.round_id,
        post.group_id,
        post.user_id,
    ))
    .bind(db_id(post.round_id))
    .bind(post.group_id)
    .bind(post.user_id.map(db_id))
    .bind(post.due_at)
    .bind(now)
    .execute(tx)
    .await
    .context("cannot queue a post")?;
    Ok(())
}

/// Queues a celebration under its occasion's key. Returns false when that occasion was
/// queued before (posted or not), so it is never posted twice.
pub(crate) async fn queue_celebration(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    program_id: ProgramId,
    key: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "insert into outbox (guild_id, program_id, kind, key, detail, due_at, created_at)
         values (?, ?, 'celebration', ?, ?, ?, ?)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(program_id)
    .bind(key)
    .bind(detail)
    .bind(now)
    .bind(now)
    .execute(tx)
    .await
    .context("cannot queue a celebration")?;
    Ok(done.rows_affected() == 1)
}

/// Where the group's delivered posts of `kinds` are, oldest first: what forget-me and a
/// DM group's redraws change.
pub(crate) async fn posted_in_group(
    tx: &mut sqlx::SqliteConnection,
    group_id: GroupId,
    kinds: &[OutboxKind],
) -> anyhow::Result<Vec<(OutboxKind, Posted)>> {
    let rows = sqlx::query(
        "select kind, channel_id, message_id from outbox
         where group_id = ? and state = 'done'
           and channel_id is not null and message_id is not null
         order by outbox_id",
    )
    .bind(group_id)
    .fetch_all(&mut *tx)
    .await
    .context("cannot read where the group's posts went")?;
    let mut posted = Vec::new();
    for row in &rows {
        let kind: OutboxKind = row.try_get("kind")?;
        if kinds.contains(&kind) {
            posted.push((
                kind,
                Posted {
                    channel_id: id_from_db(row.try_get("channel_id")?),
                    message_id: id_from_db(row.try_get("message_id")?),
                },
            ));
        }
    }
    Ok(posted)
}

/// Queues a forget-me row inside the caller's transaction (the one that deletes the
/// member). `detail` says which message it changes, never whose name goes.
pub(crate) async fn queue_redaction(
    tx: &mut sqlx::SqliteConnection,
    guild_id: GuildId,
    kind: OutboxKind,
    key: &str,
    group_id: Option<GroupId>,
    redaction: &Redaction,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let detail = serde_json::to_string(redaction).context("cannot write a redaction")?;
    sqlx::query(
        "insert into outbox (guild_id, kind, key, group_id, detail, due_at, created_at)
         values (?, ?, ?, ?, ?, ?, ?)
         on conflict (guild_id, key) do nothing",
    )
    .bind(db_id(guild_id))
    .bind(kind.as_str())
    .bind(key)
    .bind(group_id)
    .bind(detail)
    .bind(now)
    .bind(now)
    .execute(tx)
    .await
    .context("cannot queue a redaction")?;
    Ok(())
}

/// Queues the deletion of one of hallway's posts that names a forgotten member, inside
/// the caller's transaction.
pub(crate) async fn queue_deletion(
    tx: &mut sqlx::SqliteConnection,
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
        tx,
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
async fn forgotten_seats(
    conn: &mut sqlx::SqliteConnection,
    group_id: GroupId,
) -> anyhow::Result<u32> {
    let seats: i64 = sqlx::query_scalar(
        "select g.size - (select count(*) from group_member gm where gm.group_id = g.group_id)
         from match_group g where g.group_id = ?",
    )
    .bind(group_id)
    .fetch_optional(conn)
    .await
    .context("cannot read the group's size")?
    .unwrap_or(0);
    Ok(u32::try_from(seats).unwrap_or(0))
}

/// A digest's row is done (inside `complete_outbox`'s transaction): the list it kept, with
/// names, gives way to whom the post names, by id only, which forget-me needs to find
/// the post. Nothing posted, or nobody named: nothing is kept.
async fn digest_completed(
    tx: &mut sqlx::SqliteConnection,
    outbox_id: i64,
    posted: bool,
) -> anyhow::Result<()> {
    let kept: Option<String> =
        sqlx::query_scalar("select detail from outbox where outbox_id = ? and kind = ?")
            .bind(outbox_id)
            .bind(OutboxKind::AttentionDigest.as_str())
            .fetch_optional(&mut *tx)
            .await
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
    sqlx::query("update outbox set detail = ? where outbox_id = ?")
        .bind(detail)
        .bind(outbox_id)
        .execute(&mut *tx)
        .await
        .context("cannot keep whom the digest names")?;
    Ok(())
}

fn row_from(row: &sqlx::sqlite::SqliteRow) -> anyhow::Result<OutboxRow> {
    let count = |name: &str| -> anyhow::Result<u32> {
        Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(u32::MAX))
    };
    Ok(OutboxRow {
        outbox_id: row.try_get("outbox_id")?,
        guild_id: id_from_db(row.try_get("guild_id")?),
        program_id: row.try_get("program_id")?,
        kind: parse_column(row.try_get("kind")?, "outbox.kind")?,
        key: row.try_get("key")?,
        round_id: row.try_get("round_id")?,
        group_id: row.try_get("group_id")?,
        user_id: row.try_get::<Option<i64>, _>("user_id")?.map(id_from_db),
        detail: row.try_get("detail")?,
        attempts: count("attempts")?,
        failures: count("failures")?,
    })
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
        let rows = sqlx::query(
            "select * from (
                 select outbox_id, guild_id, program_id, kind, key, round_id, group_id, user_id, detail, attempts, failures,
                        due_at,
                        row_number() over (
                            partition by guild_id
                            order by due_at,
                                     case kind when 'archive-thread' then 0 when 'intro' then 1 when 'dm-intro' then 1
                                               when 'summary' then 3 else 2 end,
                                     outbox_id) as turn
                 from outbox where state = 'pending' and due_at <= ?)
             where turn <= ?
             order by turn, due_at, outbox_id
             limit ?",
        )
        .bind(now)
        .bind(i64::from(per_server))
        .bind(i64::from(limit))
        .fetch_all(self.sqlite_pool())
        .await
        .context("cannot read the outbox")?;
        // A row that cannot even be read is not allowed to block the ones after it.
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            match row_from(row) {
                Ok(read) => due.push(read),
                Err(err) => {
                    let id: i64 = row.try_get("outbox_id")?;
                    tracing::error!(
                        outbox = id,
                        error = format!("{err:#}"),
                        "unreadable outbox row; marking it failed"
                    );
                    self.fail_outbox(id, &format!("unreadable row: {err:#}"), now)
                        .await?;
                }
            }
        }
        Ok(due)
    }

    /// When the earliest pending row is due, if any.
    pub async fn next_outbox_due(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let next: Option<DateTime<Utc>> =
            sqlx::query_scalar("select min(due_at) from outbox where state = 'pending'")
                .fetch_one(self.sqlite_pool())
                .await
                .context("cannot read the outbox")?;
        Ok(next)
    }

    /// How many of a round's intros (in threads or by DM) are still pending.
    pub async fn pending_intros(&self, round_id: RoundId) -> anyhow::Result<u32> {
        let count: i64 = sqlx::query_scalar(
            "select count(*) from outbox
             where round_id = ? and kind in ('intro', 'dm-intro') and state = 'pending'",
        )
        .bind(db_id(round_id))
        .fetch_one(self.sqlite_pool())
        .await
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
        let kinds = serde_json::to_string(kinds).context("cannot list outbox kinds")?;
        let pending: bool = sqlx::query_scalar(
            "select exists (select 1 from outbox
             where group_id = ? and kind in (select value from json_each(?)) and state = 'pending')",
        )
        .bind(group_id)
        .bind(kinds)
        .fetch_one(self.sqlite_pool())
        .await
        .context("cannot read the group's pending rows")?;
        Ok(pending)
    }

    /// How many of the group's members asked to be forgotten: their seats are kept
    /// (the group's size), their names are not.
    pub async fn forgotten_seats(&self, group_id: GroupId) -> anyhow::Result<u32> {
        let mut conn = self.sqlite_pool().acquire().await?;
        forgotten_seats(&mut conn, group_id).await
    }

    /// Notes that a try is about to start, before any request goes out, so a crash
    /// mid-request is known to have maybe reached Discord.
    pub async fn begin_outbox_attempt(&self, outbox_id: i64) -> anyhow::Result<()> {
        sqlx::query("update outbox set attempts = attempts + 1 where outbox_id = ?")
            .bind(outbox_id)
            .execute(self.sqlite_pool())
            .await
            .context("cannot record an attempt")?;
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
        let mut tx = self.write_sqlite().await?;
        let (channel, message) = (posted.map(|p| db_id(p.0)), posted.map(|p| db_id(p.1)));
        // A forget-me row's detail points at a message about the forgotten member (a DM
        // to them, say): once it is done, nothing needs to know where that was.
        let completed = sqlx::query(
            "update outbox set state = 'done', done_at = ?, channel_id = ?, message_id = ?, last_error = null,
                    detail = case when kind in ('rename-thread', 'redact-message', 'delete-message')
                                  then null else detail end
             where outbox_id = ?",
        )
        .bind(now)
        .bind(channel)
        .bind(message)
        .bind(row.outbox_id)
        .execute(&mut *tx)
        .await
        .context("cannot complete a post")?;
        if let (0, Some((channel_id, message_id))) = (completed.rows_affected(), posted) {
            let deletion = Redaction {
                redraw: None,
                at: Some(Posted {
                    channel_id,
                    message_id,
                }),
            };
            queue_redaction(
                &mut tx,
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
        if completed.rows_affected() == 1 && row.kind == OutboxKind::AttentionDigest {
            digest_completed(&mut tx, row.outbox_id, posted.is_some()).await?;
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
            (completed.rows_affected(), redraw, row.group_id, posted)
        {
            if forgotten_seats(&mut tx, group_id).await? > 0 {
                let kept: i64 =
                    sqlx::query_scalar("select count(*) from group_member where group_id = ?")
                        .bind(group_id)
                        .fetch_one(&mut *tx)
                        .await
                        .context("cannot count the group's members")?;
                let redaction = Redaction {
                    redraw: Some(redraw),
                    at: Some(Posted {
                        channel_id,
                        message_id,
                    }),
                };
                queue_redaction(
                    &mut tx,
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
            sqlx::query(
                "update win set channel_id = ?, message_id = ? where guild_id = ? and win_id = ?",
            )
            .bind(channel)
            .bind(message)
            .bind(db_id(row.guild_id))
            .bind(win_id)
            .execute(&mut *tx)
            .await
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
        sqlx::query(
            "update outbox set state = 'failed', done_at = ?, last_error = ?,
                    detail = case when kind = 'attention-digest' then null else detail end
             where outbox_id = ?",
        )
        .bind(now)
        .bind(reason)
        .bind(outbox_id)
        .execute(self.sqlite_pool())
        .await
        .context("cannot record a failed post")?;
        Ok(())
    }

    /// Keeps a row pending, to be tried again later.
    pub async fn retry_outbox_at(
        &self,
        outbox_id: i64,
        reason: &str,
        retry: RetryAt,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "update outbox set due_at = ?, last_error = ?, failures = failures + ?,
                    attempts = max(attempts - ?, 0)
             where outbox_id = ?",
        )
        .bind(retry.at)
        .bind(reason)
        .bind(i64::from(retry.counts_as_failure))
        .bind(i64::from(retry.refused_before_acting))
        .bind(outbox_id)
        .execute(self.sqlite_pool())
        .await
        .context("cannot reschedule a post")?;
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
        let mut tx = self.write_sqlite().await?;
        sqlx::query(
            "update match_group set delivered_via = 'dm', delivery_note = ?, thread_refused = ?
             where group_id = ?",
        )
        .bind(note)
        .bind(thread_refused)
        .bind(db_id(group_id))
        .execute(&mut *tx)
        .await
        .context("cannot save the DM fallback")?;
        for user in members {
            let dm = RoundPost {
                kind: OutboxKind::DmIntro,
                round_id,
                group_id: Some(group_id),
                user_id: Some(*user),
                due_at: now,
            };
            queue_round_row(&mut tx, intro.guild_id, dm, now).await?;
        }
        sqlx::query(
            "update outbox set state = 'done', done_at = ?, last_error = ? where outbox_id = ?",
        )
        .bind(now)
        .bind(note)
        .bind(intro.outbox_id)
        .execute(&mut *tx)
        .await?;
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
        let mut tx = self.write_sqlite().await?;
        if let Some(group_id) = row.group_id {
            sqlx::query(
                "update match_group set delivery_note = coalesce(delivery_note, ?) where group_id = ?",
            )
            .bind(note)
            .bind(db_id(group_id))
            .execute(&mut *tx)
            .await
            .context("cannot note the failed delivery")?;
        }
        sqlx::query(
            "update outbox set state = 'failed', done_at = ?, last_error = ? where outbox_id = ?",
        )
        .bind(now)
        .bind(log_reason)
        .bind(row.outbox_id)
        .execute(&mut *tx)
        .await?;
        tx.commit()
            .await
            .context("cannot record a failed delivery")?;
        Ok(())
    }

    /// A note an earlier group of the same round got because the program channel refused
    /// threads. The other groups go straight to DMs instead of asking Discord again: each
    /// refused request counts towards Discord's limit on invalid requests.
    pub async fn round_thread_refusal(&self, round_id: RoundId) -> anyhow::Result<Option<String>> {
        let note: Option<String> = sqlx::query_scalar(
            "select delivery_note from match_group
             where round_id = ? and delivered_via = 'dm' and thread_refused = 1 limit 1",
        )
        .bind(db_id(round_id))
        .fetch_optional(self.sqlite_pool())
        .await
        .context("cannot read the round's delivery notes")?;
        Ok(note)
    }
}
