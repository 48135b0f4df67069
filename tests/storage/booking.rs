//! Booking a group's chat against a real file: the slots offered, the picks, the booking
//! the first slot everyone picked becomes, and the posts queued with it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use hallway::domain::booking::{MeetingRules, PickOutcome, SlotChoice, SlotFit};
use hallway::domain::group::OutcomeStatus;
use hallway::domain::ids::{ChannelId, GroupId, GuildId, MessageId, RoundId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::outbox::OutboxKind;
use hallway::domain::profile::Role;
use hallway::domain::program::Program;
use hallway::domain::slots::SlotOffer;
use hallway::storage::{NextSlots, Store};

use crate::{at, first_program, fresh_store, peer_round};

const GUILD: GuildId = GuildId(1_200_000_000_000_000_001);

/// When the members answer: the round was made an hour before.
fn now() -> DateTime<Utc> {
    at(2, 10)
}

/// A slot in December 2026.
fn dec(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

fn offer(slots: &[DateTime<Utc>]) -> SlotOffer {
    SlotOffer {
        slots: slots.to_vec(),
        fit: SlotFit::Preferred,
    }
}

/// How the group was told about its match.
enum Told<'a> {
    InThread,
    /// By DM; the DMs of the members listed reached them, the others' failed.
    ByDm(&'a [u64]),
}

/// One group of `members` in a round of the server's program, told as `told`.
struct Chat {
    store: Store,
    program: Program,
    round_id: RoundId,
    group_id: GroupId,
    _dir: tempfile::TempDir,
}

async fn group_chat(members: &[u64], told: Told<'_>) -> Chat {
    let (store, dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    for user in members {
        store
            .join(
                &program,
                UserId(*user),
                &format!("user {user}"),
                &ProfileChange::role(Role::Peer),
                at(1, 9),
            )
            .await
            .unwrap();
    }
    let round = store
        .create_round(&peer_round(&program, at(2, 9), &[members]))
        .await
        .unwrap()
        .unwrap();
    let group_id: GroupId = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(
        "select group_id from match_group where round_id = $1",
    )
    .bind(round.round_id.0)
    .fetch_one(pool)
    .await
    .unwrap());
    match told {
        Told::InThread => store
            .save_group_thread(group_id, ChannelId(900))
            .await
            .unwrap(),
        Told::ByDm(reached) => {
            let intro = due_row(&store, OutboxKind::Intro).await.remove(0);
            let users: Vec<UserId> = members.iter().copied().map(UserId).collect();
            store
                .fall_back_to_dms(&intro, &users, "no threads", false, at(2, 9))
                .await
                .unwrap();
            for dm in due_row(&store, OutboxKind::DmIntro).await {
                let user = dm.user_id.unwrap();
                if reached.contains(&user.0) {
                    let posted = (ChannelId(800 + user.0), MessageId(700 + user.0));
                    store
                        .complete_outbox(&dm, Some(posted), at(2, 9))
                        .await
                        .unwrap();
                } else {
                    store
                        .fail_outbox(dm.outbox_id, "closed DMs", at(2, 9))
                        .await
                        .unwrap();
                }
            }
        }
    }
    Chat {
        store,
        program,
        round_id: round.round_id,
        group_id,
        _dir: dir,
    }
}

/// The pending rows of `kind` due by the end of the year.
async fn due_row(store: &Store, kind: OutboxKind) -> Vec<hallway::domain::outbox::OutboxRow> {
    store
        .due_outbox(dec(31, 0), 100, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.kind == kind)
        .collect()
}

/// A booking post as the outbox holds it: (key, user_id, due_at, state).
type Post = (String, Option<i64>, DateTime<Utc>, String);

/// The booking posts of the chat, in the order they were queued.
async fn posts(chat: &Chat) -> Vec<Post> {
    hallway::on_backend!(chat.store.pool(), pool => sqlx::query_as(
        "select key, user_id, due_at, state from outbox
         where kind in ('booked', 'reminder', 'check-in', 'rescheduled') order by outbox_id",
    )
    .fetch_all(pool)
    .await
    .unwrap())
}

fn pending(key: String, user: Option<u64>, due: DateTime<Utc>) -> Post {
    (key, user.map(|u| u as i64), due, "pending".to_string())
}

async fn count(store: &Store, sql: &str) -> i64 {
    hallway::on_backend!(store.pool(), pool => sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap())
}

impl Chat {
    async fn offer_first(&self, slots: &[DateTime<Utc>]) -> SlotChoice {
        self.store
            .offer_first_slots(GUILD, self.group_id, &offer(slots), now())
            .await
            .unwrap()
    }

    async fn pick(&self, user: u64, batch: u32, picks: &[DateTime<Utc>]) -> PickOutcome {
        self.store
            .pick_slots(GUILD, self.group_id, UserId(user), batch, picks, now())
            .await
            .unwrap()
    }

    async fn meeting(&self, minutes: u32, reminder_minutes: u32) {
        let rules = MeetingRules {
            minutes,
            reminder_minutes,
        };
        self.store
            .set_meeting(self.program.program_id, rules, at(1, 9))
            .await
            .unwrap();
    }

    /// Every booking post of the chat carries its program, round and group.
    async fn assert_posts_belong_to_the_group(&self) {
        let astray = hallway::on_backend!(self.store.pool(), pool => sqlx::query_scalar::<_, i64>(
            "select count(*) from outbox where kind in ('booked', 'reminder', 'check-in', 'rescheduled')
               and (program_id is distinct from $1 or round_id is distinct from $2
                    or group_id is distinct from $3 or guild_id is distinct from $4)",
        )
        .bind(self.program.program_id.0)
        .bind(self.round_id.0)
        .bind(self.group_id.0)
        .bind(GUILD.0 as i64)
        .fetch_one(pool)
        .await
        .unwrap());
        assert_eq!(astray, 0, "booking posts outside their group");
    }

    fn key(&self, kind: &str, sequence: u32, user: u64) -> String {
        format!("{kind}:{}:{sequence}:{user}", self.group_id)
    }
}

fn booked(outcome: PickOutcome) -> SlotChoice {
    match outcome {
        PickOutcome::Booked(choice) => choice,
        other => panic!("not booked: {other:?}"),
    }
}

fn saved(outcome: PickOutcome) -> SlotChoice {
    match outcome {
        PickOutcome::Saved(choice) => choice,
        other => panic!("not saved: {other:?}"),
    }
}

#[tokio::test]
async fn a_group_offered_slots_again_keeps_its_first_offer() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    assert_eq!(chat.store.slot_choice(chat.group_id).await.unwrap(), None);
    let first = chat.offer_first(&[dec(3, 14), dec(3, 9), dec(4, 9)]).await;
    assert_eq!(
        first,
        SlotChoice {
            group_id: chat.group_id,
            batch: 0,
            slots: vec![dec(3, 9), dec(3, 14), dec(4, 9)],
            fit: SlotFit::Preferred,
            picks: Vec::new(),
            booking: None,
        }
    );
    // After a crash, or for the next member's DM, delivery offers again: the first stays.
    let again = chat
        .store
        .offer_first_slots(
            GUILD,
            chat.group_id,
            &SlotOffer {
                slots: vec![dec(5, 9)],
                fit: SlotFit::NoCommonWindow,
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        chat.store.slot_choice(chat.group_id).await.unwrap(),
        Some(first)
    );
    assert_eq!(
        chat.store.offered_slots(chat.group_id).await.unwrap(),
        [dec(3, 9), dec(3, 14), dec(4, 9)]
    );
    assert_eq!(
        count(&chat.store, "select count(*) from slot_batch").await,
        1
    );
}

#[tokio::test]
async fn overlapping_picks_in_a_thread_group_book_the_earliest_common_slot_with_its_reminder_and_check_in(
) {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.meeting(30, 60).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14), dec(4, 9), dec(4, 14)])
        .await;
    // A time never offered is ignored.
    let first = saved(chat.pick(1, 0, &[dec(4, 14), dec(3, 14), dec(9, 9)]).await);
    assert_eq!(first.picks, [(UserId(1), vec![dec(3, 14), dec(4, 14)])]);
    assert_eq!(first.booking, None);
    assert!(posts(&chat).await.is_empty());
    // Changing one's mind replaces the earlier picks.
    saved(chat.pick(1, 0, &[dec(3, 14), dec(4, 9), dec(4, 14)]).await);

    let choice = booked(chat.pick(2, 0, &[dec(4, 14), dec(4, 9), dec(3, 9)]).await);
    let booking = choice.booking.unwrap();
    assert_eq!(
        (booking.starts_at, booking.minutes, booking.sequence),
        (dec(4, 9), 30, 1)
    );
    assert_eq!(booking.booked_at, now());
    assert_eq!(
        choice.picks,
        [
            (UserId(1), vec![dec(3, 14), dec(4, 9), dec(4, 14)]),
            (UserId(2), vec![dec(3, 9), dec(4, 9), dec(4, 14)])
        ]
    );
    assert_eq!(
        chat.store.booking(chat.group_id).await.unwrap(),
        Some(booking)
    );
    assert_eq!(
        posts(&chat).await,
        [
            pending(chat.key("booked", 1, 0), None, now()),
            pending(chat.key("reminder", 1, 0), None, dec(4, 8)),
            pending(
                chat.key("check-in", 1, 0),
                None,
                dec(4, 9) + Duration::minutes(30)
            ),
        ]
    );
    chat.assert_posts_belong_to_the_group().await;
}

#[tokio::test]
async fn a_dm_group_books_with_a_booked_dm_and_a_reminder_for_each_member_the_intro_reached_and_no_check_in(
) {
    let chat = group_chat(&[1, 2, 3], Told::ByDm(&[1, 3])).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14)]).await;
    saved(chat.pick(1, 0, &[dec(3, 9), dec(3, 14)]).await);
    saved(chat.pick(2, 0, &[dec(3, 14)]).await);
    let choice = booked(chat.pick(3, 0, &[dec(3, 14), dec(3, 9)]).await);
    assert_eq!(choice.booking.unwrap().starts_at, dec(3, 14));
    // Member 2's DM intro failed: nothing more is sent to them.
    let reminder = dec(3, 14) - Duration::minutes(15);
    assert_eq!(
        posts(&chat).await,
        [
            pending(chat.key("booked", 1, 1), Some(1), now()),
            pending(chat.key("reminder", 1, 1), Some(1), reminder),
            pending(chat.key("booked", 1, 3), Some(3), now()),
            pending(chat.key("reminder", 1, 3), Some(3), reminder),
        ]
    );
    chat.assert_posts_belong_to_the_group().await;

    // A Reschedule tells the same members but the one who asked (they see the new times
    // where they clicked), each by DM, and withdraws what is pending.
    let next = chat
        .store
        .reschedule(
            GUILD,
            chat.group_id,
            UserId(1),
            &offer(&[dec(5, 9)]),
            at(2, 11),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((next.batch, next.slots.clone()), (1, vec![dec(5, 9)]));
    assert_eq!(
        posts(&chat).await,
        [pending(chat.key("rescheduled", 1, 3), Some(3), at(2, 11)),]
    );
    chat.assert_posts_belong_to_the_group().await;
}

#[tokio::test]
async fn a_member_who_skipped_does_not_block_the_booking() {
    let chat = group_chat(&[1, 2, 3], Told::InThread).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14)]).await;
    saved(chat.pick(1, 0, &[dec(3, 9)]).await);
    chat.store
        .record_outcome(
            GUILD,
            chat.group_id,
            UserId(3),
            OutcomeStatus::Skipped,
            now(),
        )
        .await
        .unwrap();
    let choice = booked(chat.pick(2, 0, &[dec(3, 9), dec(3, 14)]).await);
    assert_eq!(choice.booking.unwrap().starts_at, dec(3, 9));

    // Without the skip, the third member's missing pick holds the booking back.
    let waiting = group_chat(&[1, 2, 3], Told::InThread).await;
    waiting.offer_first(&[dec(3, 9)]).await;
    saved(waiting.pick(1, 0, &[dec(3, 9)]).await);
    waiting
        .store
        .record_outcome(
            GUILD,
            waiting.group_id,
            UserId(3),
            OutcomeStatus::NotYet,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(saved(waiting.pick(2, 0, &[dec(3, 9)]).await).booking, None);
}

#[tokio::test]
async fn picks_from_a_replaced_batch_or_after_the_booking_save_nothing() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14)]).await;
    saved(chat.pick(1, 0, &[dec(3, 9)]).await);
    let moved = chat
        .store
        .offer_next_slots(
            GUILD,
            chat.group_id,
            0,
            &offer(&[dec(5, 9), dec(5, 14)]),
            now(),
        )
        .await
        .unwrap();
    assert!(
        matches!(moved, NextSlots::Offered(ref c) if c.batch == 1),
        "{moved:?}"
    );

    let picks_before = count(&chat.store, "select count(*) from slot_pick").await;
    let stale = chat.pick(2, 0, &[dec(3, 9)]).await;
    let PickOutcome::Stale(choice) = stale else {
        panic!("not stale: {stale:?}");
    };
    assert_eq!((choice.batch, choice.picks), (1, Vec::new()));
    assert_eq!(
        count(&chat.store, "select count(*) from slot_pick").await,
        picks_before
    );

    saved(chat.pick(1, 1, &[dec(5, 14)]).await);
    booked(chat.pick(2, 1, &[dec(5, 14)]).await);
    let stored = |store: &Store| {
        let pool = store.pool().clone();
        async move {
            hallway::on_backend!(&pool, pool => sqlx::query_as::<_, (i64, i64, DateTime<Utc>)>(
                "select batch, user_id, starts_at from slot_pick order by batch, user_id, starts_at",
            )
            .fetch_all(pool)
            .await
            .unwrap())
        }
    };
    let before = stored(&chat.store).await;
    let late = chat.pick(1, 1, &[dec(5, 9)]).await;
    let PickOutcome::AlreadyBooked(choice) = late else {
        panic!("not already booked: {late:?}");
    };
    assert_eq!(choice.booking.unwrap().starts_at, dec(5, 14));
    assert_eq!(stored(&chat.store).await, before);
    assert_eq!(
        posts(&chat).await.len(),
        3,
        "one booking's posts, queued once"
    );
}

#[tokio::test]
async fn a_program_without_reminders_queues_no_reminder() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.meeting(50, 0).await;
    chat.offer_first(&[dec(3, 9)]).await;
    saved(chat.pick(1, 0, &[dec(3, 9)]).await);
    booked(chat.pick(2, 0, &[dec(3, 9)]).await);
    assert_eq!(
        posts(&chat).await,
        [
            pending(chat.key("booked", 1, 0), None, now()),
            pending(
                chat.key("check-in", 1, 0),
                None,
                dec(3, 9) + Duration::minutes(50)
            ),
        ]
    );
}

#[tokio::test]
async fn a_chat_booked_inside_its_reminder_window_gets_no_second_post_and_a_time_already_past_is_not_booked(
) {
    // "Booked" says it starts in 10 minutes: a reminder beside it would say it again.
    let soon = now() + Duration::minutes(10);
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.offer_first(&[soon]).await;
    saved(chat.pick(1, 0, &[soon]).await);
    booked(chat.pick(2, 0, &[soon]).await);
    let kinds: Vec<String> = posts(&chat)
        .await
        .into_iter()
        .map(|(key, ..)| key)
        .collect();
    assert_eq!(
        kinds,
        [chat.key("booked", 1, 0), chat.key("check-in", 1, 0)]
    );

    // A time that passed while the others were picking is never booked.
    let started = group_chat(&[1, 2], Told::InThread).await;
    let past = now() - Duration::minutes(5);
    started.offer_first(&[past]).await;
    saved(started.pick(1, 0, &[past]).await);
    saved(started.pick(2, 0, &[past]).await);
    assert!(posts(&started).await.is_empty());
}

#[tokio::test]
async fn none_of_these_work_twice_for_the_same_batch_offers_one_new_batch() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.offer_first(&[dec(3, 9)]).await;
    saved(chat.pick(1, 0, &[dec(3, 9)]).await);
    let next = offer(&[dec(6, 9), dec(6, 14)]);
    let first = chat
        .store
        .offer_next_slots(GUILD, chat.group_id, 0, &next, now())
        .await
        .unwrap();
    let NextSlots::Offered(offered) = first else {
        panic!("not offered: {first:?}");
    };
    assert_eq!(
        (offered.batch, offered.slots.clone(), offered.picks.clone()),
        (1, vec![dec(6, 9), dec(6, 14)], Vec::new()),
        "the earlier batch's picks no longer count"
    );
    // The other member clicked at the same time, with slots found before the first click.
    let second = chat
        .store
        .offer_next_slots(GUILD, chat.group_id, 0, &offer(&[dec(7, 9)]), now())
        .await
        .unwrap();
    assert_eq!(second, NextSlots::AlreadyMoved(offered));
    assert_eq!(
        count(&chat.store, "select count(*) from slot_batch").await,
        2
    );
    assert_eq!(
        count(
            &chat.store,
            "select count(*) from slot_pick where batch = 0"
        )
        .await,
        1,
        "the old picks stay stored"
    );
    assert_eq!(
        chat.store.offered_slots(chat.group_id).await.unwrap(),
        [dec(3, 9), dec(6, 9), dec(6, 14)]
    );

    saved(chat.pick(1, 1, &[dec(6, 14)]).await);
    booked(chat.pick(2, 1, &[dec(6, 14)]).await);
    let after = chat
        .store
        .offer_next_slots(GUILD, chat.group_id, 1, &offer(&[dec(8, 9)]), now())
        .await
        .unwrap();
    assert!(
        matches!(after, NextSlots::Booked(ref c) if c.batch == 1),
        "{after:?}"
    );
    assert_eq!(
        count(&chat.store, "select count(*) from slot_batch").await,
        2
    );
}

#[tokio::test]
async fn reschedule_withdraws_the_pending_posts_keeps_the_sent_ones_and_rebooks_with_the_next_sequence(
) {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14)]).await;
    let new_slots = offer(&[dec(5, 9), dec(5, 14)]);
    assert_eq!(
        chat.store
            .reschedule(GUILD, chat.group_id, UserId(1), &new_slots, now())
            .await
            .unwrap(),
        None,
        "nothing booked to call off"
    );
    assert_eq!(
        count(&chat.store, "select count(*) from slot_batch").await,
        1
    );

    saved(chat.pick(1, 0, &[dec(3, 9)]).await);
    booked(chat.pick(2, 0, &[dec(3, 9)]).await);
    // "Booked" went out; the reminder and the check-in are still to come.
    let sent = due_row(&chat.store, OutboxKind::Booked).await.remove(0);
    chat.store
        .complete_outbox(&sent, Some((ChannelId(900), MessageId(901))), now())
        .await
        .unwrap();

    let later = at(2, 12);
    let choice = chat
        .store
        .reschedule(GUILD, chat.group_id, UserId(1), &new_slots, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            choice.batch,
            choice.slots.clone(),
            choice.picks.clone(),
            choice.booking
        ),
        (1, vec![dec(5, 9), dec(5, 14)], Vec::new(), None)
    );
    assert_eq!(chat.store.booking(chat.group_id).await.unwrap(), None);
    assert_eq!(
        chat.store.slot_choice(chat.group_id).await.unwrap(),
        Some(choice)
    );
    let done = (chat.key("booked", 1, 0), None, now(), "done".to_string());
    assert_eq!(
        posts(&chat).await,
        [
            done.clone(),
            pending(chat.key("rescheduled", 1, 0), None, later)
        ]
    );
    // A second Reschedule finds nothing booked.
    assert_eq!(
        chat.store
            .reschedule(GUILD, chat.group_id, UserId(1), &new_slots, later)
            .await
            .unwrap(),
        None
    );

    saved(chat.pick(1, 1, &[dec(5, 14)]).await);
    let rebooked = booked(chat.pick(2, 1, &[dec(5, 9), dec(5, 14)]).await);
    let booking = rebooked.booking.unwrap();
    assert_eq!((booking.starts_at, booking.sequence), (dec(5, 14), 2));
    assert_eq!(
        posts(&chat).await,
        [
            done,
            pending(chat.key("rescheduled", 1, 0), None, later),
            pending(chat.key("booked", 2, 0), None, now()),
            pending(
                chat.key("reminder", 2, 0),
                None,
                dec(5, 14) - Duration::minutes(15)
            ),
            pending(
                chat.key("check-in", 2, 0),
                None,
                dec(5, 14) + Duration::minutes(50)
            ),
        ]
    );
    chat.assert_posts_belong_to_the_group().await;
}

#[tokio::test]
async fn a_pick_matches_its_offer_whichever_way_the_instant_was_made() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    let half = dec(3, 9) + Duration::milliseconds(500);
    chat.offer_first(&[half, dec(3, 9) + Duration::minutes(1)])
        .await;
    // The same instants, parsed in another zone (as a button's id might carry them).
    let parsed = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    };
    let choice = saved(
        chat.pick(1, 0, &[parsed("2026-12-03T10:00:00.5+01:00")])
            .await,
    );
    assert_eq!(choice.picks, [(UserId(1), vec![half])]);
    assert_eq!(choice.slots, [half, dec(3, 9) + Duration::minutes(1)]);
    let booking = booked(
        chat.pick(2, 0, &[parsed("2026-12-03T04:00:00.500-05:00")])
            .await,
    )
    .booking
    .unwrap();
    assert_eq!(booking.starts_at, half);
}

#[tokio::test]
async fn a_pick_by_someone_outside_the_group_or_the_server_is_refused_and_saves_nothing() {
    let chat = group_chat(&[1, 2], Told::InThread).await;
    chat.offer_first(&[dec(3, 9)]).await;
    let outsider = chat
        .store
        .pick_slots(GUILD, chat.group_id, UserId(3), 0, &[dec(3, 9)], now())
        .await;
    assert!(outsider.is_err());
    let elsewhere = chat
        .store
        .pick_slots(GuildId(5), chat.group_id, UserId(1), 0, &[dec(3, 9)], now())
        .await;
    assert!(elsewhere.is_err());
    assert_eq!(
        count(&chat.store, "select count(*) from slot_pick").await,
        0
    );
}

#[tokio::test]
async fn a_skip_after_the_others_agreed_books_their_time_and_so_does_forget_me() {
    // The one member yet to pick skips: the others' common time is booked.
    let chat = group_chat(&[1, 2, 3], Told::InThread).await;
    chat.offer_first(&[dec(3, 9), dec(3, 14)]).await;
    saved(chat.pick(1, 0, &[dec(3, 14)]).await);
    saved(chat.pick(2, 0, &[dec(3, 9), dec(3, 14)]).await);
    chat.store
        .record_outcome(
            GUILD,
            chat.group_id,
            UserId(3),
            OutcomeStatus::Skipped,
            now(),
        )
        .await
        .unwrap();
    assert!(chat
        .store
        .book_if_agreed(GUILD, chat.group_id, now())
        .await
        .unwrap());
    let booking = chat.store.booking(chat.group_id).await.unwrap().unwrap();
    assert_eq!(booking.starts_at, dec(3, 14));
    // A second look books nothing more.
    assert!(!chat
        .store
        .book_if_agreed(GUILD, chat.group_id, now())
        .await
        .unwrap());

    // The one yet to pick is forgotten: the same.
    let forgotten = group_chat(&[1, 2, 3], Told::InThread).await;
    forgotten.offer_first(&[dec(3, 9)]).await;
    saved(forgotten.pick(1, 0, &[dec(3, 9)]).await);
    saved(forgotten.pick(2, 0, &[dec(3, 9)]).await);
    forgotten
        .store
        .forget_member(GUILD, UserId(3), now())
        .await
        .unwrap();
    let booking = forgotten
        .store
        .booking(forgotten.group_id)
        .await
        .unwrap()
        .expect("booked once the third member was forgotten");
    assert_eq!(booking.starts_at, dec(3, 9));

    // Two left, and one of them skips: a chat of one is never booked.
    let alone = group_chat(&[1, 2], Told::InThread).await;
    alone.offer_first(&[dec(3, 9)]).await;
    saved(alone.pick(1, 0, &[dec(3, 9)]).await);
    alone
        .store
        .record_outcome(
            GUILD,
            alone.group_id,
            UserId(2),
            OutcomeStatus::Skipped,
            now(),
        )
        .await
        .unwrap();
    assert!(!alone
        .store
        .book_if_agreed(GUILD, alone.group_id, now())
        .await
        .unwrap());
}
