//! The attention list: read and worked out for `/hallway-admin attention` and for the
//! weekly digest, which this delivers to a program's coordinators' channel.

use chrono::{DateTime, Utc};

use super::row::{RowError, Sent};
use super::{Courier, Message};
use crate::domain::attention::{self, AttentionReport};
use crate::domain::outbox::OutboxRow;
use crate::domain::program::Program;
use crate::storage::Store;

/// The attention list of one program, as the weekly digest posts it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestView {
    pub program_name: String,
    pub report: AttentionReport,
}

/// The program's attention list as of `now`: what the command shows and the digest posts.
pub async fn report(
    store: &Store,
    program: &Program,
    now: DateTime<Utc>,
) -> anyhow::Result<AttentionReport> {
    let history = store.attention_history(program).await?;
    Ok(attention::report(&history, now))
}

/// Posts the digest, made now, in the program's coordinators' channel. A program that
/// has since lost its channel (the digest was turned off), was paused or archived gets
/// nothing.
pub(super) async fn attention_digest<C: Courier>(
    store: &Store,
    courier: &C,
    row: &OutboxRow,
) -> Result<Sent, RowError> {
    let Some(program_id) = row.program_id else {
        return Err(RowError::Poisoned(
            "a digest that belongs to no program".into(),
        ));
    };
    let Some(program) = store.program(row.guild_id, program_id).await? else {
        return Err(RowError::Poisoned(format!(
            "program {program_id} no longer exists"
        )));
    };
    let channel = program
        .evaluation
        .coordinators_channel_id
        .filter(|_| !program.paused && !program.is_archived());
    let Some(channel) = channel else {
        return Ok(Sent::Done(None));
    };
    // The list a try that may have reached Discord posted, so this one posts (and finds)
    // the same text; else the list as it is now, kept before the try. The outbox drops
    // it once the row is done (keeping only whom the post names) or given up.
    let kept = row
        .detail
        .as_deref()
        .and_then(|json| serde_json::from_str::<AttentionReport>(json).ok());
    let list = match kept {
        Some(list) => list,
        None => match fresh_list(store, &program, row.outbox_id).await? {
            Some(list) => list,
            // forget-me withdrew the row (and queued the week's digest afresh).
            None => return Ok(Sent::Done(None)),
        },
    };
    let view = DigestView {
        program_name: program.name.clone(),
        report: list,
    };
    store.begin_outbox_attempt(row.outbox_id).await?;
    let message_id = courier
        .post(channel, &Message::AttentionDigest(view), row.recovering())
        .await?;
    Ok(Sent::Done(Some((channel, message_id))))
}

/// The list as it is now, kept on the row before it is posted. None when the row was
/// withdrawn meanwhile. A member forgotten between reading the list and keeping it is
/// not kept: the list is read again.
async fn fresh_list(
    store: &Store,
    program: &Program,
    outbox_id: i64,
) -> Result<Option<AttentionReport>, RowError> {
    for _ in 0..3 {
        let list = report(store, program, Utc::now()).await?;
        if store.keep_digest_snapshot(outbox_id, &list).await? {
            return Ok(Some(list));
        }
        if !store.digest_pending(outbox_id).await? {
            return Ok(None);
        }
    }
    Err(RowError::Internal(anyhow::anyhow!(
        "members kept being forgotten while the digest's list was read; trying later"
    )))
}
