//! What every command can reach, and the framework's type aliases.

use crate::storage::Store;

/// Shared state handed to every command and event.
#[derive(Debug, Clone)]
pub struct Data {
    pub store: Store,
    /// Wakes the scheduler, e.g. to deliver a round a coordinator just started.
    pub wake: std::sync::Arc<tokio::sync::Notify>,
    /// How long previews stay good, and how often wins may be posted.
    pub limits: crate::domain::limits::Limits,
}

/// Commands return `anyhow::Error`; an [`InputError`](crate::domain::validate::InputError)
/// inside it is shown to the user, anything else is logged and replaced by a generic reply.
pub type Error = anyhow::Error;
pub type Context<'a> = poise::Context<'a, Data, Error>;
pub type Command = poise::Command<Data, Error>;
