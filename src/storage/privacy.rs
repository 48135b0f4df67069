//! The confidential do-not-match list, a member's own history, and forget-me.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::outbox::{posted_in_group, queue_deletion, queue_redaction};
use super::{db_id, id_from_db, parse_column, Backend, Conn, Store};
use crate::domain::group::PastChat;
use crate::domain::ids::{GroupId, GuildId, UserId};
use crate::domain::outbox::{OutboxKind, Posted, Redaction, Redraw};
use crate::on_backend;

impl Store {
    /// Adds to a member's do-not-match list. Returns false if it was there already.
    pub async fn avoid(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        other: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "insert into avoid (guild_id, user_id, avoided_user_id, created_at)
             values ($1, $2, $3, $4)
             on conflict do nothing",
        )
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(db_id(other))
        .bind(now)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .context("cannot save the do-not-match entry")?;
        Ok(done == 1)
    }

    /// Removes from a member's do-not-match list. Returns false if it was not there.
    pub async fn unavoid(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        other: UserId,
    ) -> anyhow::Result<bool> {
        let done = on_backend!(&self.pool, pool => sqlx::query(
            "delete from avoid where guild_id = $1 and user_id = $2 and avoided_user_id = $3",
        )
        .bind(db_id(guild_id))
        .bind(db_id(user_id))
        .bind(db_id(other))
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))
        .context("cannot remove the do-not-match entry")?;
        Ok(done == 1)
    }

    /// The member's own do-not-match list; only ever shown to the member.
    pub async fn avoid_list(
        &self,
        guild_id: GuildId,
        user_id: UserId,
    ) -> anyhow::Result<Vec<UserId>> {
        let created_at = self.backend().instant("created_at");
        let sql = format!(
            "select avoided_user_id from avoid where guild_id = $1 and user_id = $2
             order by {created_at}, avoided_user_id"
        );
        let ids: Vec<i64> = on_backend!(&self.pool, pool => sqlx::query_scalar(&sql)
            .bind(db_id(guild_id))
            .bind(db_id(user_id))
            .fetch_all(pool)
            .await)
        .context("cannot read the do-not-match list")?;
        Ok(ids.into_iter().map(id_from_db).collect())
    }

    /// The member's past chats in every program of the server, newest first (round
    /// numbers are per program, so they are ordered by when each round started).
    pub async fn history(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        limit: u32,
    ) -> anyhow::Result<Vec<PastChat>> {
        let guild = db_id(guild_id);
        let created_at = self.backend().instant("r.created_at");
        let sql = format!(
            "select g.group_id, r.number, r.due_at, p.name as program,
                    (select status from outcome o where o.group_id = g.group_id and o.user_id = gm.user_id) as answer
             from group_member gm join match_group g on g.group_id = gm.group_id
             join round r on r.round_id = g.round_id
             join program p on p.program_id = r.program_id
             where gm.guild_id = $1 and gm.user_id = $2
             order by {created_at} desc, r.round_id desc limit $3"
        );
        type ChatRow = (GroupId, i64, DateTime<Utc>, String, Option<String>);
        let rows: Vec<ChatRow> = on_backend!(&self.pool, pool => sqlx::query_as(&sql)
            .bind(guild)
            .bind(db_id(user_id))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)
        .context("cannot read the member's history")?;
        let mut chats = Vec::with_capacity(rows.len());
        for (group_id, number, due_at, program, answer) in rows {
            // The others in seat order: the mentor first, then by the seats' key.
            let others: Vec<(i64, String, Option<String>)> =
                on_backend!(&self.pool, pool => sqlx::query_as(
                "select gm.user_id, gm.role, m.display_name from group_member gm
                 left join member m on m.guild_id = gm.guild_id and m.user_id = gm.user_id
                 where gm.group_id = $1 and gm.guild_id = $2 and gm.user_id <> $3
                 order by case when gm.role = 'mentor' then 0 else 1 end, gm.user_id",
            )
            .bind(db_id(group_id))
            .bind(guild)
            .bind(db_id(user_id))
            .fetch_all(pool)
            .await)
                .context("cannot read the others of a past chat")?;
            let others = others
                .into_iter()
                .map(|(user, role, name)| {
                    Ok((
                        id_from_db(user),
                        parse_column(&role, "group_member.role")?,
                        name,
                    ))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            chats.push(PastChat {
                program,
                round_number: u32::try_from(number).unwrap_or(0),
                due_at,
                others,
                my_answer: answer.as_deref().map(str::parse).transpose()?,
            });
        }
        Ok(chats)
    }

    /// Deletes everything that names the member in this community: profile, do-not-match
    /// entries both ways, group seats, answers, picks of chat times, wins and their posts'
    /// records, previews that list them, and every outbox row addressed to them (their DM
    /// intros, "Booked" DMs and reminders among them). Groups keep their size, so the
    /// stats still count past chats, anonymously.
    ///
    /// In the same transaction it queues what takes their name out of Discord: each of
    /// their groups' threads is renamed and hallway's messages about the group (intro, DM
    /// intros, nudges) are rewritten; the group's booking notices ("Booked" with its
    /// calendar file, reminders, check-ins, new times) and the posts about them alone
    /// (wins, milestones) are deleted. The queued rows point at messages and groups, never at the member.
    /// Returns how many were queued.
    pub async fn forget_member(
        &self,
        guild_id: GuildId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u32> {
        let (guild, user) = (db_id(guild_id), db_id(user_id));
        let mut tx = self.write().await?;
        let backend = tx.backend();
        let user_text = user_id.to_string();
        let queued = queue_redactions(tx.conn(), guild_id, user_id, now).await?;
        let groups: Vec<GroupId> = on_backend!(tx.conn(), conn => sqlx::query_scalar(
            "select group_id from group_member where guild_id = $1 and user_id = $2 order by group_id",
        )
        .bind(guild)
        .bind(user)
        .fetch_all(conn)
        .await)
        .context("cannot read the member's groups")?;
        // Before the member row goes: answers hang off their invitations and groups.
        super::fit::forget_fit(tx.conn(), guild_id, user_id, now).await?;
        super::survey::forget_survey(tx.conn(), guild_id, user_id).await?;
        super::attention::forget_in_digests(tx.conn(), guild_id, user_id, now).await?;
        let previews = format!(
            "delete from round_preview where guild_id = $1 and (requested_by = $2 or {} > 0)",
            contains(backend, "groups_json", "$3")
        );
        let statements: [(&str, bool); 13] = [
            (
                "delete from avoid where guild_id = $1 and (user_id = $2 or avoided_user_id = $2)",
                false,
            ),
            (
                "delete from outcome where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from feedback where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from skip_note where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from slot_pick where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from outbox where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from group_member where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from outbox where guild_id = $1 and key in
                (select 'win:' || win_id from win where guild_id = $1 and user_id = $2)",
                false,
            ),
            (
                "delete from win where guild_id = $1 and user_id = $2",
                false,
            ),
            (
                "delete from outbox where guild_id = $1 and (key like 'chats:' || $3 || ':%'
                or key like 'anniversary:' || $3 || ':%')",
                true,
            ),
            (&previews, true),
            (
                "update prompt set created_by = 0 where guild_id = $1 and created_by = $2",
                false,
            ),
            (
                "delete from member where guild_id = $1 and user_id = $2",
                false,
            ),
        ];
        for (sql, uses_text) in statements {
            on_backend!(tx.conn(), conn => {
                let mut query = sqlx::query(sql).bind(guild).bind(user);
                if uses_text {
                    query = query.bind(&user_text);
                }
                query.execute(conn).await.map(|_| ())
            })
            .with_context(|| format!("forget-me failed at: {sql}"))?;
        }
        // Every process that keeps a history of the server's programs reloads it.
        super::history::bump_history_versions(tx.conn(), guild_id).await?;
        // Those left in a group may all have picked a time already.
        for group_id in groups {
            super::booking::book_if_agreed(tx.conn(), guild_id, group_id, now).await?;
        }
        tx.commit().await.context("cannot commit forget-me")?;
        // Their seats are gone from the past rounds: so must they be from this process's
        // histories (the bumped versions tell the other processes).
        self.kept.forget_guild(guild_id);
        Ok(queued)
    }
}

/// Whether text `haystack` contains `needle` (both SQL expressions), as a number > 0.
fn contains(backend: Backend, haystack: &str, needle: &str) -> String {
    match backend {
        Backend::Sqlite => format!("instr({haystack}, {needle})"),
        Backend::Postgres => format!("strpos({haystack}, {needle})"),
    }
}

/// Queues forget-me's changes in Discord, before the member's rows go: they say where
/// hallway posted about them.
async fn queue_redactions(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    user_id: UserId,
    now: DateTime<Utc>,
) -> anyhow::Result<u32> {
    let (guild, user) = (db_id(guild_id), db_id(user_id));
    let mut queued = 0;
    // Each key ends in how many members the group keeps, so a second member forgotten
    // from the same group queues its own rows, and repeating one queues nothing.
    let groups: Vec<(GroupId, Option<i64>, Option<String>, i64)> =
        on_backend!(conn.re(), conn => sqlx::query_as(
        "select g.group_id, g.thread_id, g.delivered_via,
                (select count(*) from group_member o where o.group_id = g.group_id) - 1 as keeps
         from group_member gm join match_group g on g.group_id = gm.group_id
         where gm.guild_id = $1 and gm.user_id = $2 order by g.group_id",
    )
    .bind(guild)
    .bind(user)
    .fetch_all(conn)
    .await)
        .context("cannot read the member's groups")?;
    for (group_id, thread, via, keeps) in groups {
        // A group told by DM has no thread; one not delivered yet may still get one, and
        // its rows wait for the intro.
        if thread.is_some() || via.is_none() {
            let rename = Redaction {
                redraw: None,
                at: None,
            };
            let key = format!("rename-thread:{group_id}:{keeps}");
            queue_redaction(
                conn.re(),
                guild_id,
                OutboxKind::RenameThread,
                &key,
                Some(group_id),
                &rename,
                now,
            )
            .await?;
            let intro = Redaction {
                redraw: Some(Redraw::Intro),
                at: None,
            };
            let key = format!("redact-message:intro:{group_id}:{keeps}");
            queue_redaction(
                conn.re(),
                guild_id,
                OutboxKind::RedactMessage,
                &key,
                Some(group_id),
                &intro,
                now,
            )
            .await?;
            queued += 2;
        }
        let redrawn = [OutboxKind::DmIntro, OutboxKind::Nudge];
        for (kind, at) in posted_in_group(conn.re(), group_id, &redrawn).await? {
            let redraw = match kind {
                OutboxKind::Nudge => Redraw::Nudge,
                _ => Redraw::DmIntro,
            };
            let redaction = Redaction {
                redraw: Some(redraw),
                at: Some(at),
            };
            let key = format!("redact-message:{}:{keeps}", at.message_id);
            queue_redaction(
                conn.re(),
                guild_id,
                OutboxKind::RedactMessage,
                &key,
                Some(group_id),
                &redaction,
                now,
            )
            .await?;
            queued += 1;
        }
        // The booking's notices mention the group, and "Booked" carries a calendar file
        // naming it, which no edit can change: they go. The intro still shows the time.
        let notices = [
            OutboxKind::Booked,
            OutboxKind::Reminder,
            OutboxKind::CheckIn,
            OutboxKind::Rescheduled,
        ];
        for (_, at) in posted_in_group(conn.re(), group_id, &notices).await? {
            let deletion = Redaction {
                redraw: None,
                at: Some(at),
            };
            queue_redaction(
                conn.re(),
                guild_id,
                OutboxKind::DeleteMessage,
                &format!("delete-message:{}", at.message_id),
                None,
                &deletion,
                now,
            )
            .await?;
            queued += 1;
        }
    }
    // Their wins and milestones are about them alone: those posts go.
    let celebrations: Vec<(i64, i64)> = on_backend!(conn.re(), conn => sqlx::query_as(
        "select channel_id, message_id from outbox
         where guild_id = $1 and kind = 'celebration' and state = 'done'
           and channel_id is not null and message_id is not null
           and (key in (select 'win:' || win_id from win where guild_id = $1 and user_id = $2)
                or key like 'chats:' || $3 || ':%' or key like 'anniversary:' || $3 || ':%')
         order by outbox_id",
    )
    .bind(guild)
    .bind(user)
    .bind(user_id.to_string())
    .fetch_all(conn)
    .await)
    .context("cannot read the member's celebrations")?;
    // So are the notes saying they could not make a round.
    let notes: Vec<(i64, i64)> = on_backend!(conn.re(), conn => sqlx::query_as(
        "select channel_id, message_id from skip_note where guild_id = $1 and user_id = $2
         order by message_id",
    )
    .bind(guild)
    .bind(user)
    .fetch_all(conn)
    .await)
    .context("cannot read the member's skip notes")?;
    for (channel_id, message_id) in celebrations.into_iter().chain(notes) {
        let at = Posted {
            channel_id: id_from_db(channel_id),
            message_id: id_from_db(message_id),
        };
        queue_deletion(conn.re(), guild_id, at, now).await?;
        queued += 1;
    }
    Ok(queued)
}
