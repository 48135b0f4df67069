//! The fake Discord and the bot harness shared by `tests/fake_discord.rs`
//! and the end-to-end tests (`tests/e2e/main.rs`). Each test binary uses a
//! different part, hence the allows.
//!
//! ```ignore
//! let env = TestEnv::start().await; // fake + fresh database + bot with commands registered
//! let h = env.fake.slash(SlashInvocation::new("hallway").sub("join").opt("timezone", "Europe/Berlin")).await;
//! let reply = env.fake.reply_to(&h, WAIT).await;
//! assert!(reply.ephemeral && reply.text().contains("Europe/Berlin"));
//! env.fake.fail(FailRule::new("POST", "/channels/*/messages").times(3).rate_limited(0.3));
//! env.fake.drop_gateway().await; // serenity resumes; later dispatches wait for it
//! assert!(env.fake.unknown_routes().is_empty());
//! ```
//!
//! Ids of the default world are in [`ids`]; failure rules apply in the order added.
#![allow(dead_code, unused_imports)]

pub mod bot;
pub mod config;
pub mod database;
pub mod failures;
pub mod fake_discord;
pub mod fixtures;
pub mod gateway;
pub mod interactions;
pub mod rest;
pub mod state;

pub use bot::{BotOptions, BotProcess, TestEnv};
pub use config::{
    channel_kind, ids, FakeChannel, FakeConfig, FakeGuild, FakeMember, FakeRole, DEFAULT_TOKEN,
};
pub use database::{
    open, query, query_as, query_scalar, sqlite_only, test_backend, Arg, Db, TestDatabase,
};
pub use failures::{FailRule, Failure};
pub use fake_discord::{FakeDiscord, Reply, ReplyKind, WAIT};
pub use interactions::{ButtonClick, InteractionHandle, OptionValue, SlashInvocation};
pub use state::{
    shard_of, Button, ChannelInfo, CloseRecord, FilePart, GatewayFrame, IdentifyRecord,
    InteractionRecord, LiveShard, PostedMessage, RecordedRequest,
};
