//! Delivering one outbox row, by kind. Nothing here retries or sleeps: a failure goes
//! back to the outbox ([`super::outbox`]), which reschedules or fails that row alone.

use std::future::Future;

use chrono::Utc;

use super::row::{RowError, Sent};
use super::{
    codes, intro_view, offer_slots, thread_name, BookedView, Courier, IntroView, Message,
    RescheduledView, SendError,
};
use crate::celebrations::{Occasion, WIN_REACTION};
use crate::domain::booking::{Booking, SlotChoice};
use crate::domain::calendar::{self, CalendarEvent};
use crate::domain::group::{GroupDetail, OutcomeStatus};
use crate::domain::ids::{ChannelId, GuildId, RoundId, UserId};
use crate::domain::outbox::OutboxRow;
use crate::domain::outbox::{DeliveryProblem, OutboxKind, Redaction, Redraw};
use crate::domain::program::Program;
use crate::storage::Store;

/// How long a summary waits before it looks again whether its intros are all out.
const SUMMARY_RECHECK: chrono::Duration = chrono::Duration::seconds(2);

/// Old threads archived per batch when Discord says the server is at its thread cap.
const ARCHIVE_BATCH: u32 = 25;

/// Delivers one row by its kind, and counts the try in `hallway_deliveries_total`.
pub(super) async fn deliver<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let result = deliver_kind(store, courier, row).await;
    if let Some(outcome) = outcome(&result) {
        count(outcome);
        tracing::debug!(
            outbox = row.outbox_id,
            kind = %row.kind,
            guild_id = row.guild_id.get(),
            round_id = row.round_id.map(|id| id.get()),
            outcome = outcome.as_str(),
            "delivery tried"
        );
    }
    result
}

/// What became of a try at a row, for `hallway_deliveries_total{outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Done: posted, or nothing was left to post.
    Sent,
    /// Failed in a way that may heal (5xx, timeout, 429, hallway's own error): the
    /// outbox tries it again, unless the retry policy's failures are used up.
    Retry,
    /// It can never go out (refused, or its group is gone): the outbox marks it failed.
    GaveUp,
}

impl Outcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry => "retry",
            Outcome::GaveUp => "gave_up",
        }
    }
}

/// The outcome of a try; `None` when it was no try: a row waiting for another
/// ([`Sent::NotYet`]), or an intro that became one DM per member ([`Sent::Recorded`],
/// each DM counted as it goes).
pub(super) fn outcome(result: &Result<Sent, RowError>) -> Option<Outcome> {
    match result {
        Ok(Sent::Done(_)) => Some(Outcome::Sent),
        Ok(Sent::Recorded | Sent::NotYet(_)) => None,
        Err(RowError::Send(SendError::Refused { .. }) | RowError::Poisoned(_)) => {
            Some(Outcome::GaveUp)
        }
        Err(RowError::Send(SendError::Transient(_) | SendError::RateLimited(_)))
        | Err(RowError::Internal(_)) => Some(Outcome::Retry),
    }
}

/// Counts one try's outcome. The outbox also counts a row it gives up on after its
/// retries ran out.
pub(super) fn count(outcome: Outcome) {
    metrics::counter!("hallway_deliveries_total", "outcome" => outcome.as_str()).increment(1);
}

async fn deliver_kind<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    match row.kind {
        OutboxKind::Intro => intro(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::DmIntro => dm_intro(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::Summary => summary(store, courier, row).await,
        OutboxKind::Nudge => nudge(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::Feedback => feedback(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::Celebration => celebration(store, courier, row).await,
        OutboxKind::ArchiveThread => archive(store, courier, &group_of(store, row).await?).await,
        OutboxKind::RenameThread => rename(store, courier, row).await,
        OutboxKind::RedactMessage => redact(store, courier, row).await,
        OutboxKind::DeleteMessage => delete(store, courier, row).await,
        OutboxKind::Booked => booked(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::Reminder => reminder(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::CheckIn => check_in(store, courier, row, &group_of(store, row).await?).await,
        OutboxKind::Rescheduled => {
            rescheduled(store, courier, row, &group_of(store, row).await?).await
        }
        OutboxKind::FitCheck => super::fit::fit_check(store, courier, row).await,
        OutboxKind::AttentionDigest => {
            super::attention::attention_digest(store, courier, row).await
        }
        OutboxKind::SurveyInvite => super::survey::survey_dm(store, courier, row, false).await,
        OutboxKind::SurveyReminder => super::survey::survey_dm(store, courier, row, true).await,
    }
}

async fn group_of(store: &Store, row: &OutboxRow) -> Result<GroupDetail, RowError> {
    let Some(group_id) = row.group_id else {
        return Err(RowError::Poisoned(format!(
            "a {} row without a group",
            row.kind
        )));
    };
    store
        .group(row.guild_id, group_id)
        .await?
        .ok_or_else(|| RowError::Poisoned(format!("group {group_id} no longer exists")))
}

/// The program whose channels the row posts to.
async fn row_program(store: &Store, row: &OutboxRow) -> Result<Program, RowError> {
    let Some(program_id) = row.program_id else {
        return Err(RowError::Poisoned(
            "a post that belongs to no program".into(),
        ));
    };
    store
        .program(row.guild_id, program_id)
        .await?
        .ok_or_else(|| RowError::Poisoned(format!("program {program_id} no longer exists")))
}

/// Creates the group's thread (unless an earlier try did), then posts the intro. If the
/// thread cannot be made, the group is told by DM, and the reason, in plain words, is
/// kept for the coordinators' summary.
async fn intro<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let now = Utc::now();
    let members: Vec<UserId> = group.members.iter().map(|m| m.user_id).collect();
    let program = row_program(store, row).await?;
    let Some(channel) = program.program_channel_id else {
        let note = DeliveryProblem::NoProgramChannel.describe();
        store
            .fall_back_to_dms(row, &members, &note, false, now)
            .await?;
        return Ok(Sent::Recorded);
    };
    offer_slots(store, group, now).await?;
    let view = first_post(intro_view(store, group).await?);
    let thread = match group.thread_id {
        Some(thread) => thread,
        None => {
            // Another group of this round was refused a thread: the channel would refuse
            // this one too, and each refusal counts towards Discord's invalid-request ban.
            if let Some(note) = store.round_thread_refusal(group.round_id).await? {
                store
                    .fall_back_to_dms(row, &members, &note, true, now)
                    .await?;
                return Ok(Sent::Recorded);
            }
            match open_thread(store, courier, row, group, channel, &thread_name(&view)).await? {
                Ok(thread) => {
                    store.save_group_thread(group.group_id, thread).await?;
                    thread
                }
                Err((problem, refused)) => {
                    store
                        .fall_back_to_dms(row, &members, &problem.describe(), refused, now)
                        .await?;
                    return Ok(Sent::Recorded);
                }
            }
        }
    };
    if group.intro_message_id.is_none() {
        store.begin_outbox_attempt(row.outbox_id).await?;
        // After a try that may have reached Discord, the thread's history tells whether
        // the intro went out.
        match courier
            .post(thread, &Message::Intro(view), row.recovering())
            .await
        {
            Ok(message_id) => store.save_group_intro(group.group_id, message_id).await?,
            Err(err @ SendError::Refused { .. }) => {
                tracing::warn!(
                    guild_id = row.guild_id.get(),
                    round_id = group.round_id.get(),
                    group = %group.group_id,
                    %err,
                    "the thread refused the intro; telling the group by DM"
                );
                let problem = match err.status() {
                    Some(403) => DeliveryProblem::MissingPermission {
                        permission: "Send Messages in Threads",
                        channel_id: channel,
                    },
                    _ => DeliveryProblem::Refused,
                };
                store
                    .fall_back_to_dms(row, &members, &problem.describe(), false, now)
                    .await?;
                return Ok(Sent::Recorded);
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(Sent::Done(None))
}

/// Opens the group's private thread. At Discord's cap on active threads it archives
/// hallway's own older threads, oldest first, and tries again. A refusal that retrying
/// cannot fix comes back as the problem, and whether the channel refused threads (so the
/// round's other groups need not ask again).
async fn open_thread<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
    channel: ChannelId,
    name: &str,
) -> Result<Result<ChannelId, (DeliveryProblem, bool)>, RowError> {
    let mut recovering = row.recovering();
    loop {
        store.begin_outbox_attempt(row.outbox_id).await?;
        let err = match courier
            .open_thread(row.guild_id, channel, name, recovering)
            .await
        {
            Ok(thread) => return Ok(Ok(thread)),
            Err(err) => err,
        };
        if err.is_refusal(codes::MAX_ACTIVE_THREADS) {
            let archived = archive_oldest(store, courier, row.guild_id, group.round_id).await?;
            tracing::info!(
                guild_id = row.guild_id.get(),
                round_id = group.round_id.get(),
                archived,
                "at Discord's active-thread cap; archived old threads"
            );
            if archived == 0 {
                return Ok(Err((DeliveryProblem::ThreadCap, false)));
            }
            // The refused try made nothing: no need to look for it.
            recovering = false;
            continue;
        }
        let SendError::Refused { status, code, .. } = &err else {
            return Err(err.into());
        };
        tracing::warn!(
            guild_id = row.guild_id.get(),
            round_id = group.round_id.get(),
            %channel,
            %err,
            "cannot create a private thread; telling the group by DM"
        );
        let problem = match (status, *code) {
            (403, codes::MISSING_ACCESS) => DeliveryProblem::MissingPermission {
                permission: "View Channel",
                channel_id: channel,
            },
            (403, _) => DeliveryProblem::MissingPermission {
                permission: "Create Private Threads",
                channel_id: channel,
            },
            (404, _) => DeliveryProblem::ChannelGone {
                channel_id: channel,
            },
            _ => DeliveryProblem::Refused,
        };
        return Ok(Err((problem, true)));
    }
}

/// Archives a batch of hallway's own threads from earlier rounds. Returns how many.
async fn archive_oldest<C: Courier>(
    store: &Store,
    courier: &C,
    guild_id: GuildId,
    round_id: RoundId,
) -> Result<usize, RowError> {
    let open = store
        .open_threads_before(guild_id, round_id, ARCHIVE_BATCH)
        .await?;
    for (group_id, thread_id) in &open {
        match courier.archive_thread(*thread_id).await {
            // Gone or already archived: either way it no longer counts.
            Ok(()) | Err(SendError::Refused { .. }) => {
                store.mark_thread_archived(*group_id, Utc::now()).await?;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(open.len())
}

async fn dm_intro<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(user) = row.user_id else {
        return Err(RowError::Poisoned("a DM without a recipient".into()));
    };
    offer_slots(store, group, Utc::now()).await?;
    store.begin_outbox_attempt(row.outbox_id).await?;
    let sent = match courier.open_dm(user).await {
        Ok(dm) => {
            let view = first_post(intro_view(store, group).await?);
            courier
                .post(dm, &Message::DmIntro(view), row.recovering())
                .await
                .map(|message| (dm, message))
        }
        Err(err) => Err(err),
    };
    match sent {
        Ok(posted) => Ok(Sent::Done(Some(posted))),
        // Failed with its reason; the summary counts the members DMs did not reach.
        Err(err @ SendError::Refused { .. }) => Err(err.into()),
        Err(err) => Err(err.into()),
    }
}

/// The round's summary, once every intro is out or has failed for good: it reports
/// what was delivered.
async fn summary<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let Some(round_id) = row.round_id else {
        return Err(RowError::Poisoned("a summary without a round".into()));
    };
    if store.pending_intros(round_id).await? > 0 {
        return Ok(Sent::NotYet(Utc::now() + SUMMARY_RECHECK));
    }
    let program = row_program(store, row).await?;
    let Some(channel) = program.program_channel_id else {
        return Ok(Sent::Done(None));
    };
    let figures = store.round_figures(row.guild_id, round_id).await?;
    store.begin_outbox_attempt(row.outbox_id).await?;
    let message = courier
        .post(channel, &Message::Summary(figures), row.recovering())
        .await?;
    Ok(Sent::Done(Some((channel, message))))
}

/// Halfway through, for groups with a thread that have not said they met.
async fn nudge<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let outcomes = store.group_outcomes(row.guild_id, group.group_id).await?;
    let met = outcomes
        .iter()
        .any(|(_, status)| *status == OutcomeStatus::Met);
    // Only groups with a thread get follow-ups there; DM groups are not chased.
    let Some(thread) = group.thread_id.filter(|_| !met) else {
        return Ok(Sent::Done(None));
    };
    // A group with a booked chat still to come has found a time: no need to ask.
    let booked_ahead = store
        .booking(group.group_id)
        .await?
        .is_some_and(|b| b.starts_at > Utc::now());
    if booked_ahead {
        return Ok(Sent::Done(None));
    }
    let members = nudged(group, &outcomes);
    if members.len() < 2 {
        return Ok(Sent::Done(None));
    }
    let message = Message::Nudge {
        round_number: group.round_number,
        members,
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let id = courier.post(thread, &message, row.recovering()).await?;
    Ok(Sent::Done(Some((thread, id))))
}

/// An intro as first posted: without anyone's picks (see [`SlotChoice::without_picks`]).
/// Clicks redraw it with them.
fn first_post(mut view: IntroView) -> IntroView {
    view.slots = view.slots.map(SlotChoice::without_picks);
    view
}

/// The booking a booking row was queued for, if the group still has it: a Reschedule
/// since then makes the row stale, and it posts nothing. Keys end in
/// `<group>:<sequence>:<user or 0>`.
async fn booking_of(
    store: &Store,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Option<Booking>, RowError> {
    let sequence: Option<u32> = row.key.rsplit(':').nth(1).and_then(|s| s.parse().ok());
    let Some(sequence) = sequence else {
        return Err(RowError::Poisoned(format!(
            "a {} row without a booking sequence",
            row.kind
        )));
    };
    Ok(store
        .booking(group.group_id)
        .await?
        .filter(|b| b.sequence == sequence))
}

/// Posts a booking row's message where it goes: the member's DM for a row with a
/// member (a group told by DM), else the group's thread.
async fn post_booking_message<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
    message: &Message,
) -> Result<Sent, RowError> {
    store.begin_outbox_attempt(row.outbox_id).await?;
    let channel = match row.user_id {
        // Discord returns the same DM channel every time, so this is safe to repeat.
        Some(user) => courier.open_dm(user).await?,
        None => match group.thread_id {
            Some(thread) => thread,
            None => return Ok(Sent::Done(None)),
        },
    };
    let id = courier.post(channel, message, row.recovering()).await?;
    Ok(Sent::Done(Some((channel, id))))
}

/// Whom a booking post mentions: the group in its thread; nobody in a member's DM.
fn mentioned(row: &OutboxRow, group: &GroupDetail) -> Vec<UserId> {
    match row.user_id {
        Some(_) => Vec::new(),
        None => group.members.iter().map(|m| m.user_id).collect(),
    }
}

/// "Booked", with the calendar file.
async fn booked<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(booking) = booking_of(store, row, group).await? else {
        return Ok(Sent::Done(None));
    };
    let view = intro_view(store, group).await?;
    let names: Vec<&str> = view.members.iter().map(|m| m.name.as_str()).collect();
    let url = group
        .thread_id
        .map(|thread| format!("https://discord.com/channels/{}/{thread}", group.guild_id));
    let event = CalendarEvent {
        uid: calendar::group_uid(group.guild_id, group.group_id),
        sequence: booking.sequence,
        starts_at: booking.starts_at,
        minutes: booking.minutes,
        summary: format!("hallway chat: {}", names.join(" & ")),
        description: match &url {
            Some(url) => format!(
                "Your hallway chat, round {}. Your thread: {url}",
                group.round_number
            ),
            None => format!(
                "Your hallway chat, round {}. Details are in your DMs from hallway.",
                group.round_number
            ),
        },
        url,
        stamp: booking.booked_at,
    };
    let message = Message::Booked(BookedView {
        guild_id: group.guild_id,
        group_id: group.group_id,
        booking,
        members: mentioned(row, group),
        calendar: calendar::ics(&event),
        by_dm: row.user_id.is_some(),
    });
    post_booking_message(store, courier, row, group, &message).await
}

/// A booked chat starts soon. After its start (the bot was down), there is no point.
async fn reminder<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(booking) = booking_of(store, row, group).await? else {
        return Ok(Sent::Done(None));
    };
    if booking.starts_at <= Utc::now() {
        return Ok(Sent::Done(None));
    }
    let message = Message::Reminder {
        starts_at: booking.starts_at,
        members: mentioned(row, group),
    };
    post_booking_message(store, courier, row, group, &message).await
}

/// After a booked chat's time: did you meet? Not for a group that already said so.
async fn check_in<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(booking) = booking_of(store, row, group).await? else {
        return Ok(Sent::Done(None));
    };
    let outcomes = store.group_outcomes(row.guild_id, group.group_id).await?;
    if outcomes
        .iter()
        .any(|(_, status)| *status == OutcomeStatus::Met)
    {
        return Ok(Sent::Done(None));
    }
    let message = Message::CheckIn {
        guild_id: group.guild_id,
        group_id: group.group_id,
        starts_at: booking.starts_at,
        members: nudged(group, &outcomes),
    };
    // Queued for threads only (no user), so it goes to the thread.
    post_booking_message(store, courier, row, group, &message).await
}

/// A booked chat was called off: the group hears it, and by DM gets the new slots.
async fn rescheduled<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(choice) = store.slot_choice(group.group_id).await? else {
        return Ok(Sent::Done(None));
    };
    // Booked again already: the new "Booked" says all there is to say.
    if choice.booking.is_some() {
        return Ok(Sent::Done(None));
    }
    // In a DM, the new times themselves.
    let dm_picker = match row.user_id {
        Some(_) => Some((
            choice.without_picks(),
            intro_view(store, group).await?.members,
        )),
        None => None,
    };
    let view = RescheduledView {
        guild_id: group.guild_id,
        group_id: group.group_id,
        members: mentioned(row, group),
        dm_picker,
    };
    post_booking_message(store, courier, row, group, &Message::Rescheduled(view)).await
}

/// Near the end of the round: how was it?
async fn feedback<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(thread) = group.thread_id else {
        return Ok(Sent::Done(None));
    };
    let message = Message::Feedback {
        guild_id: group.guild_id,
        round_number: group.round_number,
        group_id: group.group_id,
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let id = courier.post(thread, &message, row.recovering()).await?;
    Ok(Sent::Done(Some((thread, id))))
}

/// A win, a milestone or a watercooler prompt, in its channel.
async fn celebration<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let occasion: Occasion = serde_json::from_str(row.detail.as_deref().unwrap_or(""))
        .map_err(|err| RowError::Poisoned(format!("unreadable celebration: {err}")))?;
    let program = row_program(store, row).await?;
    let channel = match &occasion {
        Occasion::Watercooler { .. } => program.watercooler.map(|w| w.channel_id),
        _ => program.celebrations_channel(),
    };
    let Some(channel) = channel else {
        return Err(RowError::Poisoned("no channel is set for it".into()));
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let message = Message::Celebration(occasion.clone());
    let message_id = courier.post(channel, &message, row.recovering()).await?;
    if matches!(occasion, Occasion::Win(_)) {
        // Best effort: the win is posted either way.
        if let Err(err) = courier.react(channel, message_id, WIN_REACTION).await {
            tracing::warn!(
                guild_id = row.guild_id.get(),
                %err,
                "could not add the reaction under a win"
            );
        }
    }
    Ok(Sent::Done(Some((channel, message_id))))
}

/// Archives a finished round's thread. Gone, or archived already: nothing to do.
async fn archive<C: Courier>(
    store: &Store,
    courier: &C,
    group: &GroupDetail,
) -> Result<Sent, RowError> {
    let Some(thread) = group.thread_id else {
        return Ok(Sent::Done(None));
    };
    if !group.thread_archived {
        match courier.archive_thread(thread).await {
            Ok(()) | Err(SendError::Refused { .. }) => {}
            Err(err) => return Err(err.into()),
        }
        store
            .mark_thread_archived(group.group_id, Utc::now())
            .await?;
    }
    Ok(Sent::Done(None))
}

/// How long a forget-me row waits, when its group's intro is still going out, before it
/// looks again: what it changes must exist first.
const INTRO_RECHECK: chrono::Duration = chrono::Duration::seconds(2);

fn redaction_of(row: &OutboxRow) -> Result<Redaction, RowError> {
    serde_json::from_str(row.detail.as_deref().unwrap_or(""))
        .map_err(|err| RowError::Poisoned(format!("unreadable redaction: {err}")))
}

/// Renames the group's thread after a member was forgotten: the others' names stay.
async fn rename<C: Courier>(store: &Store, courier: &C, row: &OutboxRow) -> Result<Sent, RowError> {
    let group = group_of(store, row).await?;
    if store.group_intro_pending(group.group_id).await? {
        return Ok(Sent::NotYet(Utc::now() + INTRO_RECHECK));
    }
    let Some(thread) = group.thread_id else {
        return Ok(Sent::Done(None));
    };
    let name = thread_name(&intro_view(store, &group).await?);
    store.begin_outbox_attempt(row.outbox_id).await?;
    let renamed = in_thread(courier, Some(thread), || {
        courier.rename_thread(thread, &name)
    })
    .await;
    finished(renamed, row)
}

/// Rewrites one of hallway's messages about the group, from the group as it is now.
async fn redact<C: Courier>(store: &Store, courier: &C, row: &OutboxRow) -> Result<Sent, RowError> {
    let redaction = redaction_of(row)?;
    let Some(redraw) = redaction.redraw else {
        return Err(RowError::Poisoned("a redaction without a message".into()));
    };
    let group = group_of(store, row).await?;
    // The rename goes first: both may have to reopen and re-archive the same thread.
    if redraw != Redraw::DmIntro && store.group_rename_pending(group.group_id).await? {
        return Ok(Sent::NotYet(Utc::now() + INTRO_RECHECK));
    }
    let (channel, message_id, thread, message) = match (redraw, redaction.at) {
        (Redraw::Intro, _) => {
            if store.group_intro_pending(group.group_id).await? {
                return Ok(Sent::NotYet(Utc::now() + INTRO_RECHECK));
            }
            // Told by DM, or never posted: no intro in a thread to change.
            let (Some(thread), Some(intro)) = (group.thread_id, group.intro_message_id) else {
                return Ok(Sent::Done(None));
            };
            let mut view = intro_view(store, &group).await?;
            view.answers = store.group_outcomes(row.guild_id, group.group_id).await?;
            (thread, intro, Some(thread), Message::Intro(view))
        }
        (Redraw::DmIntro, Some(at)) => {
            let view = intro_view(store, &group).await?;
            (at.channel_id, at.message_id, None, Message::DmIntro(view))
        }
        (Redraw::Nudge, Some(at)) => {
            let outcomes = store.group_outcomes(row.guild_id, group.group_id).await?;
            let nudge = Message::Nudge {
                round_number: group.round_number,
                members: nudged(&group, &outcomes),
            };
            (at.channel_id, at.message_id, Some(at.channel_id), nudge)
        }
        (_, None) => {
            return Err(RowError::Poisoned(
                "a redaction without the message's place".into(),
            ))
        }
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let edited = in_thread(courier, thread, || {
        courier.edit(channel, message_id, &message)
    })
    .await;
    finished(edited, row)
}

/// Deletes a post that was all about the forgotten member. Discord allows that in an
/// archived thread too.
async fn delete<C: Courier>(store: &Store, courier: &C, row: &OutboxRow) -> Result<Sent, RowError> {
    let Some(at) = redaction_of(row)?.at else {
        return Err(RowError::Poisoned("a deletion without a message".into()));
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let deleted = courier.delete_message(at.channel_id, at.message_id).await;
    finished(deleted, row)
}

/// Makes a change in a thread that may be archived: Discord refuses to change anything
/// in an archived thread, so it is reopened for the change and archived again. Each
/// step is safe to repeat, so a retry after a failure half-way does no harm; one that
/// failed after reopening leaves the thread open, as a member's message would.
async fn in_thread<F, Fut>(
    courier: &impl Courier,
    thread: Option<ChannelId>,
    change: F,
) -> Result<(), SendError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), SendError>>,
{
    match (change().await, thread) {
        (Err(err), Some(thread)) if err.is_refusal(codes::THREAD_ARCHIVED) => {
            courier.unarchive_thread(thread).await?;
            match change().await {
                // Archived again in between (by a moderator, say): try again later.
                Err(err) if err.is_refusal(codes::THREAD_ARCHIVED) => {
                    return Err(SendError::Transient(format!(
                        "the thread was archived again: {err}"
                    )))
                }
                other => other?,
            }
            courier.archive_thread(thread).await
        }
        (result, _) => result,
    }
}

/// A change to something deleted since is done: there is nothing left to change.
fn finished(result: Result<(), SendError>, row: &OutboxRow) -> Result<Sent, RowError> {
    match result {
        Ok(()) => Ok(Sent::Done(None)),
        Err(err) if err.is_gone() => {
            tracing::info!(
                outbox = row.outbox_id,
                kind = %row.kind,
                guild_id = row.guild_id.get(),
                %err,
                "already gone from Discord; nothing to change"
            );
            Ok(Sent::Done(None))
        }
        Err(err) => Err(err.into()),
    }
}

/// Whom a group's nudge mentions: everyone but those who skipped the round.
fn nudged(group: &GroupDetail, outcomes: &[(UserId, OutcomeStatus)]) -> Vec<UserId> {
    group
        .members
        .iter()
        .map(|m| m.user_id)
        .filter(|user| {
            !outcomes
                .iter()
                .any(|(who, status)| who == user && *status == OutcomeStatus::Skipped)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_a_try_can_end_has_its_delivery_outcome() {
        let cases: Vec<(Result<Sent, RowError>, Option<Outcome>)> = vec![
            (Ok(Sent::Done(None)), Some(Outcome::Sent)),
            (Ok(Sent::Recorded), None),
            (Ok(Sent::NotYet(Utc::now())), None),
            (
                Err(SendError::Transient("HTTP 502".into()).into()),
                Some(Outcome::Retry),
            ),
            (
                Err(SendError::RateLimited("HTTP 429".into()).into()),
                Some(Outcome::Retry),
            ),
            (
                Err(anyhow::anyhow!("database is locked").into()),
                Some(Outcome::Retry),
            ),
            (
                Err(SendError::Refused {
                    status: 403,
                    code: codes::MISSING_ACCESS,
                    detail: "Missing Access".into(),
                }
                .into()),
                Some(Outcome::GaveUp),
            ),
            (
                Err(RowError::Poisoned("group 7 no longer exists".into())),
                Some(Outcome::GaveUp),
            ),
        ];
        for (result, expected) in &cases {
            assert_eq!(outcome(result), *expected);
        }
        let labels: Vec<&str> = [Outcome::Sent, Outcome::Retry, Outcome::GaveUp]
            .map(Outcome::as_str)
            .to_vec();
        assert_eq!(labels, ["sent", "retry", "gave_up"]);
    }
}
