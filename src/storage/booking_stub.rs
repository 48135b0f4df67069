//! TEMPORARY: signatures of the booking storage, until the storage branch merges.
#![allow(unused_variables)]
use chrono::{DateTime, Utc};

use super::Store;
use crate::domain::booking::{Booking, PickOutcome, SlotChoice};
use crate::domain::ids::{GroupId, GuildId, UserId};
use crate::domain::slots::SlotOffer;

pub enum NextSlots {
    Offered(SlotChoice),
    AlreadyMoved(SlotChoice),
    Booked(SlotChoice),
}

impl Store {
    pub async fn slot_choice(&self, group_id: GroupId) -> anyhow::Result<Option<SlotChoice>> {
        todo!()
    }
    pub async fn offer_first_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<SlotChoice> {
        todo!()
    }
    pub async fn offered_slots(&self, group_id: GroupId) -> anyhow::Result<Vec<DateTime<Utc>>> {
        todo!()
    }
    pub async fn booking(&self, group_id: GroupId) -> anyhow::Result<Option<Booking>> {
        todo!()
    }
    pub async fn pick_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        user_id: UserId,
        batch: u32,
        picks: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> anyhow::Result<PickOutcome> {
        todo!()
    }
    pub async fn offer_next_slots(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        after_batch: u32,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<NextSlots> {
        todo!()
    }
    pub async fn reschedule(
        &self,
        guild_id: GuildId,
        group_id: GroupId,
        offer: &SlotOffer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<SlotChoice>> {
        todo!()
    }
}
