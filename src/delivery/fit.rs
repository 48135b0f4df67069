//! Delivering the fit check: "How was the fit?" by DM to one member of a pair.

use super::row::{RowError, Sent};
use super::{Courier, Message};
use crate::domain::fit::Fit;
use crate::domain::group::GroupDetail;
use crate::domain::ids::{GroupId, GuildId, UserId};
use crate::domain::outbox::OutboxRow;
use crate::storage::Store;

/// "How was the fit with …?", with Good fit / Not a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitCheckView {
    pub guild_id: GuildId,
    pub group_id: GroupId,
    pub program_name: String,
    /// The other member of the pair.
    pub partner: UserId,
    pub partner_name: String,
    /// What the member answered, once they did: the DM is redrawn with it.
    pub answer: Option<Fit>,
}

/// Sends the check to the member the row asks. If either of the two has gone since
/// (forgotten, or left the program or the server), there is nobody to ask about, or
/// nobody to ask: nothing is posted.
pub(super) async fn fit_check<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let (Some(user), Some(group_id)) = (row.user_id, row.group_id) else {
        return Err(RowError::Poisoned(
            "a fit check without a recipient or a group".into(),
        ));
    };
    let Some(group) = store.group(row.guild_id, group_id).await? else {
        return Ok(Sent::Done(None));
    };
    let both_here = group
        .members
        .iter()
        .all(|m| m.profile.as_ref().is_some_and(|p| p.left_at.is_none()));
    let view = match fit_check_view(store, &group, user).await? {
        Some(view) if both_here => view,
        _ => return Ok(Sent::Done(None)),
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    // Discord returns the same DM channel every time, so this is safe to repeat; after a
    // try that may have reached Discord, the DM's history tells whether it went out.
    let dm = courier.open_dm(user).await?;
    let message = courier
        .post(dm, &Message::FitCheck(view), row.recovering())
        .await?;
    Ok(Sent::Done(Some((dm, message))))
}

/// What the fit check shows `user` about their pair in `group`, with no answer yet;
/// `None` unless the group is `user` and exactly one other member, both with a profile.
pub async fn fit_check_view(
    store: &Store,
    group: &GroupDetail,
    user: UserId,
) -> anyhow::Result<Option<FitCheckView>> {
    let [a, b] = &group.members[..] else {
        return Ok(None);
    };
    let (me, partner) = match (a.user_id == user, b.user_id == user) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => return Ok(None),
    };
    let (Some(_), Some(profile)) = (&me.profile, &partner.profile) else {
        return Ok(None);
    };
    let Some(program) = store.program(group.guild_id, group.program_id).await? else {
        return Ok(None);
    };
    Ok(Some(FitCheckView {
        guild_id: group.guild_id,
        group_id: group.group_id,
        program_name: program.name,
        partner: partner.user_id,
        partner_name: profile.display_name.clone(),
        answer: None,
    }))
}
