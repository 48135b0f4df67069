//! What the fake Discord knows before the bot connects: the token, the bot's
//! identity and the guilds with their channels, roles and members.

use serenity::all::Permissions;

/// Stable ids of the default world, so tests read like prose (`ids::ADA`).
pub mod ids {
    pub const APP: u64 = 1_100_000_000_000_000_001;
    /// Discord gives a bot user the same id as its application.
    pub const BOT_USER: u64 = APP;
    pub const GUILD: u64 = 1_200_000_000_000_000_001;
    /// The @everyone role shares the guild's id, as on Discord.
    pub const EVERYONE_ROLE: u64 = GUILD;
    pub const COORDINATOR_ROLE: u64 = 1_200_000_000_000_000_201;
    pub const GENERAL: u64 = 1_200_000_000_000_000_101;
    pub const MENTORING: u64 = 1_200_000_000_000_000_102;
    pub const CELEBRATIONS: u64 = 1_200_000_000_000_000_103;
    /// Not in the default guild: a second program's channel, added with
    /// `FakeConfig::with_channel` by tests that run two programs.
    pub const POSTDOCS: u64 = 1_200_000_000_000_000_105;
    /// Guild owner; also holds the Coordinator role.
    pub const OLIVE: u64 = 1_300_000_000_000_000_001;
    /// Coordinator: Manage Server through a role, not the owner.
    pub const CORA: u64 = 1_300_000_000_000_000_002;
    /// Plain members without any special permission.
    pub const ADA: u64 = 1_300_000_000_000_000_011;
    pub const BEN: u64 = 1_300_000_000_000_000_012;
    pub const CHLOE: u64 = 1_300_000_000_000_000_013;
    pub const DEV: u64 = 1_300_000_000_000_000_014;
    pub const GENERATED_BASE: u64 = 1_400_000_000_000_000_000;

    /// The id of the n-th member made by `FakeConfig::with_generated_members` (from 1).
    pub fn generated(n: usize) -> u64 {
        GENERATED_BASE + n as u64
    }

    /// The timestamp part (ms since Discord's epoch, mid-2024) of the k-th generated guild's
    /// snowflakes is this plus k; a multiple of 2, 4, 8, 16 and 32, so guild k lands on shard
    /// `k % n` for those `n`.
    pub const GENERATED_GUILD_MS: u64 = 300_000_000_000;

    fn generated_snowflake(k: usize, low: u64) -> u64 {
        ((GENERATED_GUILD_MS + k as u64) << 22) | low
    }

    /// The k-th guild made by `FakeConfig::with_generated_guilds` (from 1): a real
    /// snowflake, on shard `(id >> 22) % n`, i.e. `k % n` for n in {1, 2, 4, 8, 16, 32}.
    pub fn generated_guild(k: usize) -> u64 {
        generated_snowflake(k, 1)
    }

    /// The #general text channel of the k-th generated guild.
    pub fn generated_guild_channel(k: usize) -> u64 {
        generated_snowflake(k, 2)
    }

    /// The owner of the k-th generated guild (a member of it, with every permission).
    pub fn generated_guild_owner(k: usize) -> u64 {
        generated_snowflake(k, 3)
    }

    /// The m-th plain member (from 1) of the k-th generated guild.
    pub fn generated_guild_member(k: usize, m: usize) -> u64 {
        generated_snowflake(k, 16 + m as u64)
    }
}

pub const DEFAULT_TOKEN: &str = "fake-token";

/// Discord channel types the fake uses.
pub mod channel_kind {
    pub const TEXT: u8 = 0;
    pub const DM: u8 = 1;
    pub const CATEGORY: u8 = 4;
    pub const PUBLIC_THREAD: u8 = 11;
    pub const PRIVATE_THREAD: u8 = 12;
}

/// What @everyone may do in the default guild: enough to use slash commands.
pub fn everyone_permissions() -> u64 {
    (Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ADD_REACTIONS
        | Permissions::USE_APPLICATION_COMMANDS
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES)
        .bits()
}

/// What the bot was invited with (the `app_permissions` of interactions).
pub fn bot_permissions() -> u64 {
    (Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::CREATE_PRIVATE_THREADS
        | Permissions::CREATE_PUBLIC_THREADS
        | Permissions::MANAGE_THREADS
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES
        | Permissions::ADD_REACTIONS
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::USE_APPLICATION_COMMANDS)
        .bits()
}

#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The token the fake accepts, without the `Bot ` prefix.
    pub token: String,
    pub app_id: u64,
    pub bot_user_id: u64,
    pub bot_name: String,
    pub bot_permissions: u64,
    pub guilds: Vec<FakeGuild>,
    /// Short by default so a silently dropped TCP connection is noticed within
    /// a second: serenity only detects it when its next heartbeat fails.
    pub heartbeat_interval_ms: u64,
    /// Close every IDENTIFY with 4004 even though REST accepts the token, as when a
    /// token is reset between the bot's first request and its gateway login.
    pub reject_identify: bool,
    /// Discord's global rate limit (Rate Limits topic, "Global Rate Limit"): every bot may
    /// make at most this many REST requests per second across all routes; interaction
    /// endpoints are not bound to it. `None` (the default) turns it off.
    pub global_rate_limit: Option<u32>,
    /// Discord caps the active (unarchived) threads of a guild (Threads topic, "Active &
    /// Archived Threads"; JSON error 160006 "Maximum number of active threads reached").
    /// The real cap is 1,000 per guild.
    pub active_thread_cap: usize,
    /// `GET /gateway/bot`'s `shards`, the recommended shard count. `None` (the default):
    /// Discord's rule of thumb, one shard per 1,000 guilds, at least 1.
    pub recommended_shards: Option<u32>,
    /// `GET /gateway/bot`'s `session_start_limit.max_concurrency`: how many IDENTIFY buckets
    /// (`shard_id % max_concurrency`) may each IDENTIFY once per 5 s. Discord's default is 1.
    /// The fake only reports it and records IDENTIFYs ([`super::FakeDiscord::identifies`]).
    pub max_concurrency: u32,
    /// IDENTIFY on a shard that would hold more guilds than this is closed with 4011
    /// "Sharding required" (Discord: 2,500 guilds per shard).
    pub max_guilds_per_shard: usize,
}

/// Discord's cap on active threads per guild.
pub const DISCORD_ACTIVE_THREAD_CAP: usize = 1_000;

/// Discord closes a session with 4011 "Sharding required" past this many guilds per shard.
pub const DISCORD_MAX_GUILDS_PER_SHARD: usize = 2_500;

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            token: DEFAULT_TOKEN.to_string(),
            app_id: ids::APP,
            bot_user_id: ids::BOT_USER,
            bot_name: "hallway".to_string(),
            bot_permissions: bot_permissions(),
            guilds: vec![FakeGuild::default_guild()],
            heartbeat_interval_ms: 1_000,
            reject_identify: false,
            global_rate_limit: None,
            active_thread_cap: DISCORD_ACTIVE_THREAD_CAP,
            recommended_shards: None,
            max_concurrency: 1,
            max_guilds_per_shard: DISCORD_MAX_GUILDS_PER_SHARD,
        }
    }
}

impl FakeConfig {
    /// A config without any guild, to build one from scratch.
    pub fn empty() -> Self {
        Self {
            guilds: Vec::new(),
            ..Self::default()
        }
    }

    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_string();
        self
    }

    pub fn reject_identify(mut self) -> Self {
        self.reject_identify = true;
        self
    }

    /// Answers a REST request 429 (global) when `per_second` counted requests were already
    /// accepted in the last second (a sliding window). Interaction callbacks and
    /// interaction webhooks are not counted, as on Discord. Off by default.
    pub fn global_rate_limit(mut self, per_second: u32) -> Self {
        self.global_rate_limit = Some(per_second);
        self
    }

    /// At most `n` active threads per guild (default 1,000, Discord's cap): creating or
    /// unarchiving one more answers 400 / 160006.
    pub fn active_thread_cap(mut self, n: usize) -> Self {
        self.active_thread_cap = n;
        self
    }

    /// `GET /gateway/bot` recommends `n` shards (default: one per 1,000 guilds, at least 1).
    pub fn recommended_shards(mut self, n: u32) -> Self {
        self.recommended_shards = Some(n);
        self
    }

    /// `GET /gateway/bot`'s `session_start_limit.max_concurrency` (default 1).
    pub fn max_concurrency(mut self, n: u32) -> Self {
        self.max_concurrency = n;
        self
    }

    /// IDENTIFY on a shard holding more guilds than `n` is closed with 4011 (default 2,500).
    pub fn max_guilds_per_shard(mut self, n: usize) -> Self {
        self.max_guilds_per_shard = n;
        self
    }

    /// What `GET /gateway/bot` answers as `shards`.
    pub fn recommended_shard_count(&self) -> u32 {
        self.recommended_shards
            .unwrap_or_else(|| self.guilds.len().div_ceil(1_000).max(1) as u32)
    }

    /// Adds `count` small guilds, continuing after earlier calls: guild k (from 1) is
    /// `ids::generated_guild(k)`, "Server k", with a #general text channel
    /// (`ids::generated_guild_channel(k)`), its owner `ownerK` (`ids::generated_guild_owner(k)`)
    /// and `members` plain members `gK-mM` (`ids::generated_guild_member(k, m)`). Guild k
    /// lands on shard `k % n` for n a power of two up to 32, so 8 guilds cover 4 shards twice.
    pub fn with_generated_guilds(mut self, count: usize, members: usize) -> Self {
        let already = self
            .guilds
            .iter()
            .filter(|g| g.id & 0x3F_FFFF == 1 && (g.id >> 22) > ids::GENERATED_GUILD_MS)
            .count();
        for k in already + 1..=already + count {
            let mut guild = FakeGuild::new(
                ids::generated_guild(k),
                &format!("Server {k}"),
                ids::generated_guild_owner(k),
            )
            .with_channel(FakeChannel::text(
                ids::generated_guild_channel(k),
                "general",
            ))
            .with_member(FakeMember::new(
                ids::generated_guild_owner(k),
                &format!("owner{k}"),
            ));
            for m in 1..=members {
                guild = guild.with_member(FakeMember::new(
                    ids::generated_guild_member(k, m),
                    &format!("g{k}-m{m}"),
                ));
            }
            self.guilds.push(guild);
        }
        self
    }

    pub fn heartbeat_interval_ms(mut self, ms: u64) -> Self {
        self.heartbeat_interval_ms = ms;
        self
    }

    pub fn with_guild(mut self, guild: FakeGuild) -> Self {
        self.guilds.push(guild);
        self
    }

    /// Adds a member to the first guild.
    pub fn with_member(mut self, member: FakeMember) -> Self {
        self.first_guild_mut().members.push(member);
        self
    }

    /// Adds a channel to the first guild.
    pub fn with_channel(mut self, channel: FakeChannel) -> Self {
        self.first_guild_mut().channels.push(channel);
        self
    }

    /// Adds `count` plain members (`member1`, `member2`, ...) to the first guild,
    /// with ids `ids::generated(1..=count)`, continuing after earlier calls.
    pub fn with_generated_members(mut self, count: usize) -> Self {
        let guild = self.first_guild_mut();
        let already = guild
            .members
            .iter()
            .filter(|m| m.user_id > ids::GENERATED_BASE)
            .count();
        for n in already + 1..=already + count {
            guild
                .members
                .push(FakeMember::new(ids::generated(n), &format!("member{n}")));
        }
        self
    }

    fn first_guild_mut(&mut self) -> &mut FakeGuild {
        self.guilds
            .first_mut()
            .expect("FakeConfig has no guild; add one with with_guild")
    }
}

#[derive(Clone, Debug)]
pub struct FakeGuild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    pub channels: Vec<FakeChannel>,
    pub roles: Vec<FakeRole>,
    pub members: Vec<FakeMember>,
}

impl FakeGuild {
    /// A guild with only its @everyone role; the bot is always a member.
    pub fn new(id: u64, name: &str, owner_id: u64) -> Self {
        Self {
            id,
            name: name.to_string(),
            owner_id,
            channels: Vec::new(),
            roles: vec![FakeRole::new(id, "@everyone", everyone_permissions(), 0)],
            members: Vec::new(),
        }
    }

    /// "Hallway Test Lab": #general, #mentoring, #celebrations; owner Olive,
    /// coordinator Cora (Manage Server by role), members Ada, Ben, Chloe, Dev.
    pub fn default_guild() -> Self {
        Self::new(ids::GUILD, "Hallway Test Lab", ids::OLIVE)
            .with_channel(FakeChannel::text(ids::GENERAL, "general"))
            .with_channel(FakeChannel::text(ids::MENTORING, "mentoring"))
            .with_channel(FakeChannel::text(ids::CELEBRATIONS, "celebrations"))
            .with_role(FakeRole::new(
                ids::COORDINATOR_ROLE,
                "Coordinator",
                Permissions::MANAGE_GUILD.bits(),
                1,
            ))
            .with_member(
                FakeMember::new(ids::OLIVE, "olive")
                    .global_name("Olive Owner")
                    .role(ids::COORDINATOR_ROLE),
            )
            .with_member(
                FakeMember::new(ids::CORA, "cora")
                    .global_name("Cora Coordinator")
                    .role(ids::COORDINATOR_ROLE),
            )
            .with_member(FakeMember::new(ids::ADA, "ada").global_name("Ada Lovelace"))
            .with_member(
                FakeMember::new(ids::BEN, "ben")
                    .global_name("Ben Okafor")
                    .nick("Benji"),
            )
            .with_member(FakeMember::new(ids::CHLOE, "chloe").global_name("Chloe Martin"))
            .with_member(FakeMember::new(ids::DEV, "dev").global_name("Dev Patel"))
    }

    pub fn with_channel(mut self, channel: FakeChannel) -> Self {
        self.channels.push(channel);
        self
    }

    pub fn with_role(mut self, role: FakeRole) -> Self {
        self.roles.push(role);
        self
    }

    pub fn with_member(mut self, member: FakeMember) -> Self {
        self.members.push(member);
        self
    }

    pub fn member(&self, user_id: u64) -> Option<&FakeMember> {
        self.members.iter().find(|m| m.user_id == user_id)
    }

    /// Guild-wide permissions as Discord computes them: the owner and
    /// administrators get everything, others the union of their roles.
    pub fn permissions_of(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return Permissions::all().bits();
        }
        let Some(member) = self.member(user_id) else {
            return 0;
        };
        let perms = self
            .roles
            .iter()
            .filter(|r| r.id == self.id || member.roles.contains(&r.id))
            .fold(0, |acc, r| acc | r.permissions);
        if perms & Permissions::ADMINISTRATOR.bits() != 0 {
            Permissions::all().bits()
        } else {
            perms
        }
    }
}

#[derive(Clone, Debug)]
pub struct FakeChannel {
    pub id: u64,
    pub name: String,
    pub kind: u8,
    pub parent_id: Option<u64>,
}

impl FakeChannel {
    pub fn text(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            kind: channel_kind::TEXT,
            parent_id: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FakeRole {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: u16,
}

impl FakeRole {
    pub fn new(id: u64, name: &str, permissions: u64, position: u16) -> Self {
        Self {
            id,
            name: name.to_string(),
            permissions,
            position,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FakeMember {
    pub user_id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub nick: Option<String>,
    pub roles: Vec<u64>,
    pub bot: bool,
    /// Sending this user a DM fails with 403 / 50007, as when DMs are closed.
    pub dms_closed: bool,
    pub joined_at: String,
}

impl FakeMember {
    pub fn new(user_id: u64, username: &str) -> Self {
        Self {
            user_id,
            username: username.to_string(),
            global_name: None,
            nick: None,
            roles: Vec::new(),
            bot: false,
            dms_closed: false,
            joined_at: "2024-09-01T12:00:00.000000+00:00".to_string(),
        }
    }

    pub fn global_name(mut self, name: &str) -> Self {
        self.global_name = Some(name.to_string());
        self
    }

    pub fn nick(mut self, nick: &str) -> Self {
        self.nick = Some(nick.to_string());
        self
    }

    pub fn role(mut self, role_id: u64) -> Self {
        self.roles.push(role_id);
        self
    }

    pub fn bot(mut self) -> Self {
        self.bot = true;
        self
    }

    pub fn dms_closed(mut self) -> Self {
        self.dms_closed = true;
        self
    }

    pub fn joined_at(mut self, rfc3339: &str) -> Self {
        self.joined_at = rfc3339.to_string();
        self
    }

    /// What Discord shows: nickname, else global name, else username.
    pub fn display_name(&self) -> &str {
        self.nick
            .as_deref()
            .or(self.global_name.as_deref())
            .unwrap_or(&self.username)
    }
}
