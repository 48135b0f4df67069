//! serenity's ids to hallway's and back: the only place the two meet.

use poise::serenity_prelude as serenity;

use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};

impl From<serenity::GuildId> for GuildId {
    fn from(id: serenity::GuildId) -> Self {
        GuildId(id.get())
    }
}

impl From<serenity::UserId> for UserId {
    fn from(id: serenity::UserId) -> Self {
        UserId(id.get())
    }
}

impl From<GuildId> for serenity::GuildId {
    fn from(id: GuildId) -> Self {
        serenity::GuildId::new(id.get())
    }
}

impl From<UserId> for serenity::UserId {
    fn from(id: UserId) -> Self {
        serenity::UserId::new(id.get())
    }
}

impl From<serenity::ChannelId> for ChannelId {
    fn from(id: serenity::ChannelId) -> Self {
        ChannelId(id.get())
    }
}

impl From<serenity::MessageId> for MessageId {
    fn from(id: serenity::MessageId) -> Self {
        MessageId(id.get())
    }
}

impl From<ChannelId> for serenity::ChannelId {
    fn from(id: ChannelId) -> Self {
        serenity::ChannelId::new(id.get())
    }
}

impl From<MessageId> for serenity::MessageId {
    fn from(id: MessageId) -> Self {
        serenity::MessageId::new(id.get())
    }
}
