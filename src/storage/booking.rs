//! Booking a group's chat: the batches of slots offered to it, each member's picks from
//! the latest batch, and the booking that the first slot everyone picked becomes, with
//! the posts that announce it, remind of it and check in after it.
//!
//! Times are bound as `DateTime<Utc>` like everywhere in storage: sqlx writes them as
//! RFC 3339 in UTC, so one instant is always one text, and a pick matches its offer (and
//! its foreign key) exactly. Lists of times are sorted after reading, not by SQL: texts
//! with and without fractions of a second do not sort as their instants do.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use super::outbox::{posted_in_group, queue_redaction};
use super::{db_id, parse_column, Conn, Store};
use crate::domain::booking::{common_slot, Booking, MeetingRules, PickOutcome, SlotChoice};
use crate::domain::group::DeliveredVia;
use crate::domain::ids::{GroupId, GuildId, ProgramId, RoundId, UserId};
use crate::domain::outbox::{OutboxKind, Redaction, Redraw};
use crate::domain::slots::SlotOffer;
use crate::on_backend;

/// What became of a "None of these work".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextSlots {
    /// The new batch is offered.
    Offered(SlotChoice),
    /// The batch asked about was replaced already (someone else asked first): nothing
    /// new was offered.
    AlreadyMoved(SlotChoice),
    /// The group has booked meanwhile: nothing new was offered.
    Booked(SlotChoice),
}

impl Store {
    /// The group's latest batch, its slots (ascending), the picks from it, and its current
    /// booking (a booking row whose starts_at is null, after a Reschedule, is `None`).
    /// `None` when the group was never offered slots (groups from before 0006).
    pub async fn slot_choice(&self, group_id: GroupId) -> anyhow::Result<Option<SlotChoice>> {
        // One read transaction: the batch, its picks and the booking as of one moment.
        let mut tx = self.read().await?;
        let choice = read_choice(tx.conn(), group_id).await?;
        tx.commit().await?;
        Ok(choice)
    }

    /// Offers batch 0 unless the group has a batch already (then it keeps the first
    /// offer: delivery may call this again after a crash or for each DM). Returns the
    /// choice as stored.
    pub async fn offer_first_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SlotChoice> {
        let mut tx = self.write().await?;
        group_context(tx.conn(), guild_id, group_id).await?;
        if latest_batch(tx.conn(), group_id).await?.is_none() {
            insert_batch(tx.conn(), guild_id, group_id, 0, offer, now).await?;
        }
        let choice = stored_choice(tx.conn(), group_id).await?;
        tx.commit().await.context("cannot save the offered slots")?;
        Ok(choice)
    }

    /// Every time ever offered to the group, any batch (so a new offer excludes them),
    /// earliest first.
    pub async fn offered_slots(&self, group_id: GroupId) -> anyhow::Result<Vec<DateTime<Utc>>> {
        let mut slots: Vec<DateTime<Utc>> = on_backend!(&self.pool, pool => sqlx::query_scalar(
            "select distinct starts_at from slot_offer where group_id = $1",
        )
        .bind(group_id)
        .fetch_all(pool)
        .await)
        .context("cannot read the slots offered to the group")?;
        slots.sort();
        slots.dedup();
        Ok(slots)
    }

    /// The group's current booking (starts_at set), if any.
    pub async fn booking(&self, group_id: GroupId) -> anyhow::Result<Option<Booking>> {
        let mut conn = self.pool.acquire().await?;
        read_booking(conn.conn(), group_id).await
    }

    /// A member's picks from `batch`, replacing their earlier picks from it, in one
    /// transaction. Stale if `batch` is not the latest, AlreadyBooked if booked (nothing
    /// saved in either case). Picks not offered in the batch are ignored. When the picks
    /// complete a slot every attendee picked (the group's members but those who said
    /// Skip), it is booked and its posts are queued in the same transaction:
    ///
    /// - a group told in a thread: `booked:<group>:<seq>:0` due now,
    ///   `reminder:<group>:<seq>:0` due `max(now, start - reminder_minutes)` (only when the
    ///   program has reminders and the start is still ahead), and `check-in:<group>:<seq>:0`
    ///   due when the chat ends;
    /// - a group told by DM: `booked:<group>:<seq>:<user>` and (by the same rule)
    ///   `reminder:<group>:<seq>:<user>` for each member whose DM intro was delivered.
    ///
    /// Fails, saving nothing, when the group is not in `guild_id`, `user_id` is not in the
    /// group (a member forgotten since), or the group was never offered slots.
    pub async fn pick_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        batch: u32,
        picks: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<PickOutcome> {
        let mut tx = self.write().await?;
        let group = group_context(tx.conn(), guild_id, group_id).await?;
        let in_group: bool = on_backend!(tx.conn(), c => sqlx::query_scalar(
            "select exists (select 1 from group_member where group_id = $1 and user_id = $2)",
        )
        .bind(group_id)
        .bind(user_id)
        .fetch_one(c)
        .await)
        .context("cannot read the group's members")?;
        anyhow::ensure!(in_group, "member {user_id} is not in group {group_id}");
        let choice = stored_choice(tx.conn(), group_id).await?;
        if choice.booking.is_some() {
            return Ok(PickOutcome::AlreadyBooked(choice));
        }
        if choice.batch != batch {
            return Ok(PickOutcome::Stale(choice));
        }

        on_backend!(tx.conn(), c => sqlx::query(
            "delete from slot_pick where group_id = $1 and batch = $2 and user_id = $3",
        )
        .bind(group_id)
        .bind(i64::from(batch))
        .bind(user_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot replace the member's picks")?;
        // The offered instants themselves are stored, so each pick's text is its offer's.
        for slot in choice.slots.iter().filter(|slot| picks.contains(slot)) {
            on_backend!(tx.conn(), c => sqlx::query(
                "insert into slot_pick (group_id, batch, starts_at, guild_id, user_id, picked_at)
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(group_id)
            .bind(i64::from(batch))
            .bind(slot)
            .bind(guild_id)
            .bind(user_id)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ()))
            .context("cannot save a pick")?;
        }

        let booked = book_if_everyone_picked(tx.conn(), &group, group_id, now).await?;
        redraw_dm_intros(tx.conn(), &group, group_id, now).await?;
        let choice = stored_choice(tx.conn(), group_id).await?;
        tx.commit().await.context("cannot save the picks")?;
        Ok(if booked {
            PickOutcome::Booked(choice)
        } else {
            PickOutcome::Saved(choice)
        })
    }

    /// Books the group's chat if the latest picks already agree on a time: after someone
    /// skips the round (or is forgotten), those left may all have picked one. Returns
    /// whether it booked.
    pub async fn book_if_agreed(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let mut tx = self.write().await?;
        let booked = book_if_agreed(tx.conn(), guild_id, group_id, now).await?;
        tx.commit().await.context("cannot save the booking")?;
        Ok(booked)
    }

    /// "None of these work": offers `offer` as batch `after_batch + 1` if `after_batch` is
    /// still the latest and the group is not booked; picks of older batches stay stored
    /// but no longer count.
    pub async fn offer_next_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        after_batch: u32,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<NextSlots> {
        let mut tx = self.write().await?;
        let group = group_context(tx.conn(), guild_id, group_id).await?;
        let choice = stored_choice(tx.conn(), group_id).await?;
        if choice.booking.is_some() {
            return Ok(NextSlots::Booked(choice));
        }
        if choice.batch != after_batch {
            return Ok(NextSlots::AlreadyMoved(choice));
        }
        insert_batch(tx.conn(), guild_id, group_id, after_batch + 1, offer, now).await?;
        redraw_dm_intros(tx.conn(), &group, group_id, now).await?;
        let choice = stored_choice(tx.conn(), group_id).await?;
        tx.commit().await.context("cannot save the new slots")?;
        Ok(NextSlots::Offered(choice))
    }

    /// Reschedule: `None` when the group has no current booking. Otherwise, in one
    /// transaction: the booking is called off (its sequence kept, so the next booking is
    /// sequence + 1), every *pending* `booked`, `reminder` and `check-in` row of the group
    /// is deleted (never sent), `offer` is stored as the next batch, and
    /// `rescheduled:<group>:<seq>:<0 or user>` rows are queued due now (one for a thread
    /// group; for a DM group one per member with a delivered DM intro, but the clicker,
    /// who sees the new times where they clicked), `<seq>` being the sequence of the
    /// booking called off, and a DM group's intros are redrawn. Returns the new choice.
    pub async fn reschedule(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        clicker: UserId,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<SlotChoice>> {
        let mut tx = self.write().await?;
        let group = group_context(tx.conn(), guild_id, group_id).await?;
        let Some(booking) = read_booking(tx.conn(), group_id).await? else {
            return Ok(None);
        };
        on_backend!(tx.conn(), c => sqlx::query(
            "update booking set starts_at = null where group_id = $1",
        )
        .bind(group_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot call the booking off")?;
        on_backend!(tx.conn(), c => sqlx::query(
            // A row tried already may be in Discord: it is left to finish, and posts
            // nothing, since the booking it was for is gone.
            "delete from outbox where group_id = $1 and state = 'pending' and attempts = 0
               and kind in ('booked', 'reminder', 'check-in')",
        )
        .bind(group_id)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot withdraw the booking's posts")?;
        let next = latest_batch(tx.conn(), group_id)
            .await?
            .map_or(0, |b| b + 1);
        insert_batch(tx.conn(), guild_id, group_id, next, offer, now).await?;
        // The member who clicked sees the new times where they clicked.
        let others = recipients(tx.conn(), &group, group_id)
            .await?
            .into_iter()
            .filter(|user| user.is_none() || *user != Some(clicker));
        for user in others {
            queue_post(
                tx.conn(),
                &group,
                group_id,
                OutboxKind::Rescheduled,
                booking.sequence,
                user,
                now,
                now,
            )
            .await?;
        }
        redraw_dm_intros(tx.conn(), &group, group_id, now).await?;
        let choice = stored_choice(tx.conn(), group_id).await?;
        tx.commit().await.context("cannot save the reschedule")?;
        Ok(Some(choice))
    }
}

/// What booking needs to know about a group.
struct GroupContext {
    guild_id: GuildId,
    program_id: ProgramId,
    round_id: RoundId,
    delivered_via: Option<DeliveredVia>,
    meeting: MeetingRules,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    round_id: RoundId,
    program_id: ProgramId,
    delivered_via: Option<DeliveredVia>,
    meeting_minutes: i64,
    reminder_minutes: i64,
}

/// The group's round, program and delivery; an error when it is not in `guild_id`.
async fn group_context(
    conn: Conn<'_>,
    guild_id: GuildId,
    group_id: GroupId,
) -> anyhow::Result<GroupContext> {
    let row: GroupRow = on_backend!(conn, c => sqlx::query_as(
        "select g.round_id, r.program_id, g.delivered_via, p.meeting_minutes, p.reminder_minutes
         from match_group g join round r on r.round_id = g.round_id
         join program p on p.program_id = r.program_id
         where g.group_id = $1 and g.guild_id = $2",
    )
    .bind(group_id)
    .bind(guild_id)
    .fetch_optional(c)
    .await)
    .context("cannot read the group")?
    .with_context(|| format!("no group {group_id} in server {guild_id}"))?;
    let minutes = |value: i64, column: &str| -> anyhow::Result<u32> {
        u32::try_from(value).with_context(|| format!("bad {column}"))
    };
    Ok(GroupContext {
        guild_id,
        program_id: row.program_id,
        round_id: row.round_id,
        delivered_via: row.delivered_via,
        meeting: MeetingRules {
            minutes: minutes(row.meeting_minutes, "meeting_minutes")?,
            reminder_minutes: minutes(row.reminder_minutes, "reminder_minutes")?,
        },
    })
}

async fn latest_batch(conn: Conn<'_>, group_id: GroupId) -> anyhow::Result<Option<u32>> {
    let batch: Option<i64> = on_backend!(conn, c => sqlx::query_scalar(
        "select max(batch) from slot_batch where group_id = $1",
    )
    .bind(group_id)
    .fetch_one(c)
    .await)
    .context("cannot read the group's slots")?;
    batch
        .map(|b| u32::try_from(b).context("bad slot_batch.batch"))
        .transpose()
}

async fn insert_batch(
    mut conn: Conn<'_>,
    guild_id: GuildId,
    group_id: GroupId,
    batch: u32,
    offer: &SlotOffer,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    on_backend!(conn.re(), c => sqlx::query(
        "insert into slot_batch (group_id, guild_id, batch, fit, offered_at)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(group_id)
    .bind(guild_id)
    .bind(i64::from(batch))
    .bind(offer.fit.as_str())
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
    .context("cannot save the offered slots")?;
    for slot in &offer.slots {
        on_backend!(conn.re(), c => sqlx::query(
            "insert into slot_offer (group_id, batch, starts_at) values ($1, $2, $3)
             on conflict do nothing",
        )
        .bind(group_id)
        .bind(i64::from(batch))
        .bind(slot)
        .execute(c)
        .await
        .map(|_| ()))
        .context("cannot save an offered slot")?;
    }
    Ok(())
}

/// The choice of a group that has been offered slots (every caller checked, or just
/// offered them).
async fn stored_choice(conn: Conn<'_>, group_id: GroupId) -> anyhow::Result<SlotChoice> {
    read_choice(conn, group_id)
        .await?
        .with_context(|| format!("group {group_id} was never offered slots"))
}

async fn read_choice(mut conn: Conn<'_>, group_id: GroupId) -> anyhow::Result<Option<SlotChoice>> {
    let latest: Option<(i64, String)> = on_backend!(conn.re(), c => sqlx::query_as(
        "select batch, fit from slot_batch where group_id = $1 order by batch desc limit 1",
    )
    .bind(group_id)
    .fetch_optional(c)
    .await)
    .context("cannot read the group's slots")?;
    let Some((batch, fit)) = latest else {
        return Ok(None);
    };
    let mut slots: Vec<DateTime<Utc>> = on_backend!(conn.re(), c => sqlx::query_scalar(
        "select starts_at from slot_offer where group_id = $1 and batch = $2",
    )
    .bind(group_id)
    .bind(batch)
    .fetch_all(c)
    .await)
    .context("cannot read the offered slots")?;
    slots.sort();
    // Members in the order they last picked (a member's picks are saved together, at one
    // time; members who picked at the very same instant, by user id).
    let picked_at = conn.backend().instant("picked_at");
    let rows: Vec<(UserId, DateTime<Utc>)> = on_backend!(conn.re(), c => sqlx::query_as(
        &format!(
            "select user_id, starts_at from slot_pick where group_id = $1 and batch = $2
             order by {picked_at}, user_id"
        ),
    )
    .bind(group_id)
    .bind(batch)
    .fetch_all(c)
    .await)
    .context("cannot read the picks")?;
    let mut picks: Vec<(UserId, Vec<DateTime<Utc>>)> = Vec::new();
    for (user, slot) in rows {
        match picks.iter_mut().find(|(who, _)| *who == user) {
            Some((_, picked)) => picked.push(slot),
            None => picks.push((user, vec![slot])),
        }
    }
    for (_, picked) in &mut picks {
        picked.sort();
    }
    Ok(Some(SlotChoice {
        group_id,
        batch: u32::try_from(batch).context("bad slot_batch.batch")?,
        slots,
        fit: parse_column(&fit, "slot_batch.fit")?,
        picks,
        booking: read_booking(conn, group_id).await?,
    }))
}

#[derive(sqlx::FromRow)]
struct BookingRow {
    /// Null after a Reschedule, until the group books again.
    starts_at: Option<DateTime<Utc>>,
    minutes: i64,
    sequence: i64,
    booked_at: DateTime<Utc>,
}

/// The group's booking, unless it has none or it was called off.
async fn read_booking(conn: Conn<'_>, group_id: GroupId) -> anyhow::Result<Option<Booking>> {
    let row: Option<BookingRow> = on_backend!(conn, c => sqlx::query_as(
        "select starts_at, minutes, sequence, booked_at from booking where group_id = $1",
    )
    .bind(group_id)
    .fetch_optional(c)
    .await)
    .context("cannot read the group's booking")?;
    let Some(BookingRow {
        starts_at: Some(starts_at),
        minutes,
        sequence,
        booked_at,
    }) = row
    else {
        return Ok(None);
    };
    Ok(Some(Booking {
        group_id,
        starts_at,
        minutes: u32::try_from(minutes).context("bad booking.minutes")?,
        sequence: u32::try_from(sequence).context("bad booking.sequence")?,
        booked_at,
    }))
}

/// [`Store::book_if_agreed`] inside a caller's transaction (forget-me's, say).
pub(super) async fn book_if_agreed(
    mut tx: Conn<'_>,
    guild_id: GuildId,
    group_id: GroupId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let group = group_context(tx.re(), guild_id, group_id).await?;
    let unbooked = latest_batch(tx.re(), group_id).await?.is_some()
        && read_booking(tx.re(), group_id).await?.is_none();
    if !unbooked {
        return Ok(false);
    }
    let booked = book_if_everyone_picked(tx.re(), &group, group_id, now).await?;
    if booked {
        redraw_dm_intros(tx, &group, group_id, now).await?;
    }
    Ok(booked)
}

/// Books the earliest time ahead that every attendee picked from the latest batch, and
/// queues its posts. Attendees are the group's members who did not skip the round; a
/// "chat" of one is never booked. Returns whether it booked.
async fn book_if_everyone_picked(
    mut tx: Conn<'_>,
    group: &GroupContext,
    group_id: GroupId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let choice = stored_choice(tx.re(), group_id).await?;
    let attendees: Vec<UserId> = on_backend!(tx.re(), c => sqlx::query_scalar(
        "select gm.user_id from group_member gm
         where gm.group_id = $1 and not exists (
             select 1 from outcome o
             where o.group_id = $1 and o.user_id = gm.user_id and o.status = 'skipped')
         order by gm.user_id",
    )
    .bind(group_id)
    .fetch_all(c)
    .await)
    .context("cannot read who attends the group's chat")?;
    if attendees.len() < 2 {
        return Ok(false);
    }
    let Some(starts_at) = common_slot(&choice.slots, &choice.picks, &attendees, now) else {
        return Ok(false);
    };
    // A group rebooked after a Reschedule keeps its row: the sequence goes on from it.
    let sequence: i64 = on_backend!(tx.re(), c => sqlx::query_scalar(
        "insert into booking (group_id, guild_id, starts_at, minutes, sequence, booked_at)
         values ($1, $2, $3, $4, 1, $5)
         on conflict (group_id) do update set
             starts_at = excluded.starts_at, minutes = excluded.minutes,
             sequence = booking.sequence + 1, booked_at = excluded.booked_at
         returning sequence",
    )
    .bind(group_id)
    .bind(group.guild_id)
    .bind(starts_at)
    .bind(i64::from(group.meeting.minutes))
    .bind(now)
    .fetch_one(c)
    .await)
    .context("cannot save the booking")?;
    let booking = Booking {
        group_id,
        starts_at,
        minutes: group.meeting.minutes,
        sequence: u32::try_from(sequence).context("bad booking.sequence")?,
        booked_at: now,
    };
    queue_booked(tx, group, &booking, now).await?;
    Ok(true)
}

/// In a group told by DM, each member's DM intro is rewritten from the group as it is
/// (picks, new times, the booking), as the thread's one intro is by the click itself:
/// nobody picks from times that were replaced. The clicker's own is rewritten too, since
/// they may have clicked another message ("Booked"); redrawing it twice changes nothing.
/// Each change queues its own edit: one queued earlier may already have been drawn.
async fn redraw_dm_intros(
    mut tx: Conn<'_>,
    group: &GroupContext,
    group_id: GroupId,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if group.delivered_via != Some(DeliveredVia::Dm) {
        return Ok(());
    }
    for (_, at) in posted_in_group(tx.re(), group_id, &[OutboxKind::DmIntro]).await? {
        let redaction = Redaction {
            redraw: Some(Redraw::DmIntro),
            at: Some(at),
        };
        let key = format!(
            "redraw-dm-intro:{}:{}",
            at.message_id,
            now.timestamp_micros()
        );
        queue_redaction(
            tx.re(),
            group.guild_id,
            OutboxKind::RedactMessage,
            &key,
            Some(group_id),
            &redaction,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Who a booking's posts go to: `None` for the group's thread, or each member whose DM
/// intro reached them. A group not delivered yet has nobody to tell.
async fn recipients(
    conn: Conn<'_>,
    group: &GroupContext,
    group_id: GroupId,
) -> anyhow::Result<Vec<Option<UserId>>> {
    match group.delivered_via {
        Some(DeliveredVia::Thread) => Ok(vec![None]),
        Some(DeliveredVia::Dm) => {
            let users: Vec<UserId> = on_backend!(conn, c => sqlx::query_scalar(
                "select user_id from outbox
                 where group_id = $1 and kind = 'dm-intro' and state = 'done'
                   and user_id is not null
                 order by outbox_id",
            )
            .bind(group_id)
            .fetch_all(c)
            .await)
            .context("cannot read who got the group's DM intro")?;
            Ok(users.into_iter().map(Some).collect())
        }
        None => Ok(Vec::new()),
    }
}

/// Queues "Booked", its reminder and (in a thread) its check-in.
async fn queue_booked(
    mut conn: Conn<'_>,
    group: &GroupContext,
    booking: &Booking,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let reminder = group.meeting.reminder_minutes;
    // Booked inside the reminder's lead time, "Booked" itself says it starts soon: a
    // reminder beside it would be a second post saying the same.
    let reminder_due = (reminder > 0)
        .then(|| booking.starts_at - Duration::minutes(i64::from(reminder)))
        .filter(|due| *due > now);
    let (group_id, sequence) = (booking.group_id, booking.sequence);
    for user in recipients(conn.re(), group, group_id).await? {
        let mut posts = vec![(OutboxKind::Booked, now)];
        posts.extend(reminder_due.map(|due| (OutboxKind::Reminder, due)));
        // The check-in carries the thread's answer buttons; a DM group has none.
        if user.is_none() {
            posts.push((OutboxKind::CheckIn, booking.ends_at()));
        }
        for (kind, due) in posts {
            queue_post(conn.re(), group, group_id, kind, sequence, user, due, now).await?;
        }
    }
    Ok(())
}

/// Queues one booking post under `<kind>:<group>:<sequence>:<user or 0>`; a key queued
/// before stays as it was.
#[allow(clippy::too_many_arguments)]
async fn queue_post(
    conn: Conn<'_>,
    group: &GroupContext,
    group_id: GroupId,
    kind: OutboxKind,
    sequence: u32,
    user: Option<UserId>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = format!("{kind}:{group_id}:{sequence}:{}", user.map_or(0, db_id));
    on_backend!(conn, c => sqlx::query(
        "insert into outbox (guild_id, program_id, kind, key, round_id, group_id, user_id, due_at,
                             created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (guild_id, key) do nothing",
    )
    .bind(group.guild_id)
    .bind(group.program_id)
    .bind(kind.as_str())
    .bind(&key)
    .bind(group.round_id)
    .bind(group_id)
    .bind(user)
    .bind(due)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ()))
    .with_context(|| format!("cannot queue {key}"))?;
    Ok(())
}
