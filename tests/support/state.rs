//! The fake's memory: everything the bot did and everything Discord would
//! hold (channels, threads, messages, interactions). One `Mutex<State>`,
//! never held across an `.await`; every change bumps a watch channel so
//! waiters wake up instead of sleeping.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::{mpsc, watch};

use super::config::{FakeConfig, FakeGuild, FakeMember};
use super::failures::FailRule;
use super::fixtures;

/// One uploaded file from a multipart body.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePart {
    /// The form field, e.g. `files[0]`.
    pub field: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// One REST call the bot made, as the fake answered it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Arrival order, from 0.
    pub index: usize,
    pub method: String,
    /// The path after `/api/v10`, still percent-encoded (e.g. `/channels/1/messages`).
    pub path: String,
    pub query: Option<String>,
    /// The JSON body, or the parsed `payload_json` part of a multipart body.
    pub body: Option<Value>,
    pub files: Vec<FilePart>,
    pub status: u16,
    pub response: Option<Value>,
    /// Set when a [`FailRule`] produced (or delayed) this answer.
    pub injected: Option<String>,
    /// No route of the fake matched: the bot called something the fake does not know.
    pub unknown_route: bool,
    /// Answered 429 by the global rate limit ([`FakeConfig::global_rate_limit`]); it did not act.
    pub global_rate_limited: bool,
    pub received_at: Instant,
    pub elapsed: Duration,
}

impl RecordedRequest {
    /// `method` may be `*`; `pattern` is a path where `*` matches one segment
    /// and which must match the whole path (or its start when it ends in `/**`).
    pub fn matches(&self, method: &str, pattern: &str) -> bool {
        (method == "*" || method.eq_ignore_ascii_case(&self.method))
            && path_matches(pattern, &self.path)
    }

    pub fn summary(&self) -> String {
        let mark = if let Some(why) = &self.injected {
            format!(" [injected: {why}]")
        } else if self.global_rate_limited {
            " [global rate limit]".to_string()
        } else {
            String::new()
        };
        format!(
            "#{} {} {} -> {}{mark}",
            self.index, self.method, self.path, self.status
        )
    }
}

/// Whether a call counts against Discord's global rate limit. Discord (Rate Limits topic,
/// "Global Rate Limit"): "Interaction endpoints are not bound to the bot's Global Rate
/// Limit", i.e. `POST /interactions/{id}/{token}/callback` and the interaction webhooks
/// `/webhooks/{application.id}/{token}/...` (follow-ups, `@original`). `path` is after `/api/v10`.
pub fn counts_against_global_limit(path: &str, app_id: u64) -> bool {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["interactions", _, _, "callback"] => false,
        ["webhooks", app, _, ..] => app.parse::<u64>().ok() != Some(app_id),
        _ => true,
    }
}

/// Path patterns for rules and queries: `*` is one segment; a trailing `/**`
/// matches any rest. `/api/v10` in the pattern is optional.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix("/api/v10").unwrap_or(pattern);
    let (pattern, prefix) = match pattern.strip_suffix("/**") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let want: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let have: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if have.len() < want.len() || (!prefix && have.len() != want.len()) {
        return false;
    }
    want.iter().zip(&have).all(|(w, h)| *w == "*" || w == h)
}

/// A gateway frame, in either direction.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    /// Which websocket connection, from 1.
    pub connection: u64,
    pub payload: Value,
    pub at: Instant,
}

impl GatewayFrame {
    pub fn op(&self) -> u64 {
        self.payload["op"].as_u64().unwrap_or(u64::MAX)
    }

    /// The dispatch name (`t`) for op 0 frames.
    pub fn event(&self) -> Option<&str> {
        self.payload["t"].as_str()
    }
}

/// A channel the fake knows: guild text channels, threads and DMs.
#[derive(Clone, Debug)]
pub struct ChannelInfo {
    pub id: u64,
    pub kind: u8,
    pub guild_id: Option<u64>,
    pub name: String,
    pub parent_id: Option<u64>,
    pub owner_id: Option<u64>,
    pub invitable: bool,
    pub archived: bool,
    pub locked: bool,
    pub auto_archive_duration: u64,
    pub created_at: String,
    /// DM channels: the other user.
    pub recipient: Option<u64>,
    /// Threads: current members, the creating bot included.
    pub members: Vec<u64>,
}

impl ChannelInfo {
    pub fn is_thread(&self) -> bool {
        matches!(self.kind, 10..=12)
    }

    pub fn is_private_thread(&self) -> bool {
        self.kind == 12
    }
}

/// A message as the fake stores it: created by the bot over REST or as an
/// interaction response.
#[derive(Clone, Debug)]
pub struct PostedMessage {
    pub id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    /// The author's user object.
    pub author: Value,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub files: Vec<FilePart>,
    pub flags: u64,
    pub allowed_mentions: Option<Value>,
    pub message_reference: Option<Value>,
    /// Users mentioned in `content` that the fake knows (user objects).
    pub mentions: Vec<Value>,
    /// Set for interaction responses and follow-ups.
    pub interaction_id: Option<u64>,
    pub timestamp: String,
    pub edited_timestamp: Option<String>,
    pub edits: u32,
    pub deleted: bool,
    /// Emoji the bot reacted with (percent-decoded, e.g. "🎉" or "name:id").
    pub reactions: Vec<String>,
}

impl PostedMessage {
    /// A message with only its place, author and text; everything else empty.
    pub fn new(
        id: u64,
        channel_id: u64,
        guild_id: Option<u64>,
        author: Value,
        content: &str,
    ) -> Self {
        PostedMessage {
            id,
            channel_id,
            guild_id,
            author,
            content: content.to_string(),
            embeds: Vec::new(),
            components: Vec::new(),
            files: Vec::new(),
            flags: 0,
            allowed_mentions: None,
            message_reference: None,
            mentions: Vec::new(),
            interaction_id: None,
            timestamp: fixtures::now(),
            edited_timestamp: None,
            edits: 0,
            deleted: false,
            reactions: Vec::new(),
        }
    }

    pub fn ephemeral(&self) -> bool {
        self.flags & fixtures::EPHEMERAL != 0
    }

    /// Ids of users mentioned as `<@id>` or `<@!id>` in the content.
    pub fn mentioned_ids(&self) -> Vec<u64> {
        fixtures::parse_user_mentions(&self.content)
    }

    /// Every button in the message's action rows.
    pub fn buttons(&self) -> Vec<Button> {
        buttons_in(&self.components)
    }

    /// The custom id of the button labelled `label`; panics if there is none.
    pub fn button_id(&self, label: &str) -> String {
        self.buttons()
            .into_iter()
            .find(|b| b.label.as_deref() == Some(label))
            .and_then(|b| b.custom_id)
            .unwrap_or_else(|| panic!("no {label:?} button on {}", self.content))
    }

    pub fn to_json(&self) -> Value {
        fixtures::message(self)
    }
}

/// A button found in a message or reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub custom_id: Option<String>,
    pub label: Option<String>,
    pub style: u64,
    pub disabled: bool,
    pub url: Option<String>,
}

pub fn buttons_in(components: &[Value]) -> Vec<Button> {
    components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == 2)
        .map(|c| Button {
            custom_id: c["custom_id"].as_str().map(str::to_string),
            label: c["label"].as_str().map(str::to_string),
            style: c["style"].as_u64().unwrap_or(0),
            disabled: c["disabled"].as_bool().unwrap_or(false),
            url: c["url"].as_str().map(str::to_string),
        })
        .collect()
}

/// What the bot answered to one interaction, in order.
#[derive(Clone, Debug)]
pub enum InteractionResponse {
    /// `POST /interactions/{id}/{token}/callback`.
    Callback {
        kind: u64,
        data: Value,
        files: Vec<FilePart>,
    },
    /// `PATCH /webhooks/{app}/{token}/messages/@original` (or the original's id).
    EditOriginal { body: Value, files: Vec<FilePart> },
    /// `POST /webhooks/{app}/{token}`.
    Followup {
        message_id: u64,
        body: Value,
        files: Vec<FilePart>,
    },
}

#[derive(Clone, Debug)]
pub struct InteractionRecord {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 4 autocomplete, 5 modal submission.
    pub kind: u8,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub user_id: u64,
    /// Components: the message the button was on; modal submissions: the message whose
    /// button opened the modal.
    pub message_id: Option<u64>,
    /// The `@original` response message, once there is one.
    pub original: Option<u64>,
    pub responses: Vec<InteractionResponse>,
    pub dispatched_at: Instant,
}

impl InteractionRecord {
    pub fn callback_kind(&self) -> Option<u64> {
        self.responses.iter().find_map(|r| match r {
            InteractionResponse::Callback { kind, .. } => Some(*kind),
            _ => None,
        })
    }
}

#[derive(Clone)]
pub(crate) enum ConnCommand {
    Dispatch {
        event: String,
        data: Value,
    },
    Send(Value),
    Close {
        code: u16,
        reason: String,
    },
    /// Drop the TCP connection without a close frame.
    DropTcp,
    /// Send op 9 INVALID_SESSION; when not resumable, the session is forgotten first.
    InvalidSession {
        resumable: bool,
    },
}

pub(crate) struct LiveConnection {
    pub connection: u64,
    /// The `[shard_id, num_shards]` its IDENTIFY gave (`[0, 1]` when absent).
    pub shard: (u32, u32),
    pub tx: mpsc::UnboundedSender<ConnCommand>,
}

impl LiveConnection {
    /// Whether Discord would send this guild's events on this connection: a guild belongs
    /// to shard `(guild_id >> 22) % num_shards`; events without a guild (DMs) go to shard 0.
    pub fn owns(&self, guild_id: Option<u64>) -> bool {
        let (id, total) = self.shard;
        match guild_id {
            Some(g) => shard_of(g, total) == id,
            None => id == 0,
        }
    }
}

/// The shard a guild belongs to (Gateway topic, "Sharding"): `(guild_id >> 22) % num_shards`.
pub fn shard_of(guild_id: u64, num_shards: u32) -> u32 {
    ((guild_id >> 22) % u64::from(num_shards.max(1))) as u32
}

/// A live gateway session, as tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveShard {
    /// Which websocket connection, from 1.
    pub connection: u64,
    pub shard_id: u32,
    pub num_shards: u32,
}

/// One IDENTIFY the fake received, valid or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifyRecord {
    /// Which websocket connection, from 1.
    pub connection: u64,
    pub shard_id: u32,
    pub num_shards: u32,
    pub at: Instant,
}

impl IdentifyRecord {
    /// Discord's rate-limit bucket: `shard_id % max_concurrency` (Gateway topic, "Max
    /// Concurrency"); one IDENTIFY per bucket per 5 seconds.
    pub fn bucket(&self, max_concurrency: u32) -> u32 {
        self.shard_id % max_concurrency.max(1)
    }
}

/// A close frame the fake sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseRecord {
    pub connection: u64,
    pub code: u16,
    pub reason: String,
}

#[derive(Default)]
pub(crate) struct State {
    pub guilds: Vec<FakeGuild>,
    pub channels: BTreeMap<u64, ChannelInfo>,
    /// Keyed by snowflake, so iteration is creation order.
    pub messages: BTreeMap<u64, PostedMessage>,
    pub interactions: HashMap<u64, InteractionRecord>,
    pub dm_channels: HashMap<u64, u64>,
    pub requests: Vec<RecordedRequest>,
    pub arrivals: usize,
    pub from_bot: Vec<GatewayFrame>,
    pub to_bot: Vec<GatewayFrame>,
    pub identify_count: usize,
    pub resume_count: usize,
    pub last_intents: Option<u64>,
    /// session id -> last sequence number sent in it.
    pub sessions: HashMap<String, u64>,
    /// session id -> the `[shard_id, num_shards]` it identified with.
    pub session_shards: HashMap<String, (u32, u32)>,
    /// Sessions that completed IDENTIFY or RESUME and get dispatches, at most one per
    /// `[shard_id, num_shards]` (the newest), oldest first.
    pub live: Vec<LiveConnection>,
    pub connections: u64,
    pub identifies: Vec<IdentifyRecord>,
    pub closes: Vec<CloseRecord>,
    pub rules: Vec<FailRule>,
    /// Latest registered command set per scope (None = global).
    pub commands: BTreeMap<Option<u64>, Vec<Value>>,
    pub command_puts: usize,
    /// Discord keeps a command's id when it is re-registered with the same name.
    pub command_ids: HashMap<(Option<u64>, String), u64>,
    /// When the requests the global rate limit let through in the last second arrived.
    pub global_window: VecDeque<Instant>,
}

impl State {
    pub fn new(config: &FakeConfig) -> Self {
        let mut state = State {
            guilds: config.guilds.clone(),
            ..State::default()
        };
        for guild in &config.guilds {
            for c in &guild.channels {
                state.channels.insert(
                    c.id,
                    ChannelInfo {
                        id: c.id,
                        kind: c.kind,
                        guild_id: Some(guild.id),
                        name: c.name.clone(),
                        parent_id: c.parent_id,
                        owner_id: None,
                        invitable: false,
                        archived: false,
                        locked: false,
                        auto_archive_duration: 0,
                        created_at: fixtures::FIXED_PAST.to_string(),
                        recipient: None,
                        members: Vec::new(),
                    },
                );
            }
        }
        state
    }

    pub fn guild(&self, id: u64) -> Option<&FakeGuild> {
        self.guilds.iter().find(|g| g.id == id)
    }

    /// Whether the bot can see a thread. Discord (Threads topic, "Permissions"): public
    /// threads are "viewable by everyone who can view the parent channel" (the fake has no
    /// channel overwrites, so the bot views every channel); private threads need an invite,
    /// "or be a moderator (MANAGE_THREADS permission)".
    pub fn bot_can_view_thread(c: &ChannelInfo, cfg: &FakeConfig) -> bool {
        !c.is_private_thread()
            || c.members.contains(&cfg.bot_user_id)
            || cfg.bot_permissions & serenity::all::Permissions::MANAGE_THREADS.bits() != 0
    }

    /// Threads of the guild that are not archived: what Discord's active-thread cap counts.
    pub fn active_thread_count(&self, guild_id: u64) -> usize {
        self.channels
            .values()
            .filter(|c| c.is_thread() && c.guild_id == Some(guild_id) && !c.archived)
            .count()
    }

    pub fn guild_mut(&mut self, id: u64) -> Option<&mut FakeGuild> {
        self.guilds.iter_mut().find(|g| g.id == id)
    }

    /// The first guild member with this id, in any guild.
    pub fn any_member(&self, user_id: u64) -> Option<&FakeMember> {
        self.guilds.iter().find_map(|g| g.member(user_id))
    }

    pub fn user_json(&self, config: &FakeConfig, user_id: u64) -> Option<Value> {
        if user_id == config.bot_user_id {
            return Some(fixtures::bot_user(config));
        }
        self.any_member(user_id).map(fixtures::member_user)
    }

    pub fn live_messages(&self) -> impl DoubleEndedIterator<Item = &PostedMessage> {
        self.messages.values().filter(|m| !m.deleted)
    }

    pub fn interaction_by_token(&self, token: &str) -> Option<&InteractionRecord> {
        self.interactions.values().find(|i| i.token == token)
    }

    pub fn interaction_by_token_mut(&mut self, token: &str) -> Option<&mut InteractionRecord> {
        self.interactions.values_mut().find(|i| i.token == token)
    }

    /// The DM channel with `user_id`, created on first use (like Discord).
    pub fn dm_channel_for(&mut self, user_id: u64, new_id: u64) -> &ChannelInfo {
        let id = *self.dm_channels.entry(user_id).or_insert(new_id);
        self.channels.entry(id).or_insert_with(|| ChannelInfo {
            id,
            kind: 1,
            guild_id: None,
            name: String::new(),
            parent_id: None,
            owner_id: None,
            invitable: false,
            archived: false,
            locked: false,
            auto_archive_duration: 0,
            created_at: fixtures::now(),
            recipient: Some(user_id),
            members: Vec::new(),
        })
    }

    pub fn recent_requests_summary(&self, n: usize) -> String {
        let start = self.requests.len().saturating_sub(n);
        let lines: Vec<String> = self.requests[start..]
            .iter()
            .map(|r| format!("  {}", r.summary()))
            .collect();
        if lines.is_empty() {
            "  (no REST calls)".to_string()
        } else {
            lines.join("\n")
        }
    }
}

/// Shared by the server tasks and the test-facing [`super::FakeDiscord`].
pub(crate) struct Inner {
    pub config: FakeConfig,
    pub base_url: String,
    pub gateway_url: String,
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    last_id: Mutex<u64>,
}

/// Discord's epoch (2015-01-01) in Unix milliseconds.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

impl Inner {
    pub fn new(config: FakeConfig, base_url: String) -> Self {
        let gateway_url = format!("{}/gateway", base_url.replace("http://", "ws://"));
        let state = Mutex::new(State::new(&config));
        Self {
            config,
            base_url,
            gateway_url,
            state,
            changed: watch::Sender::new(0),
            last_id: Mutex::new(0),
        }
    }

    /// Mutates the state and wakes every waiter.
    pub fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.send_modify(|v| *v += 1);
        out
    }

    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A fresh, strictly increasing snowflake with a real timestamp, so ids
    /// sort by creation time as on Discord.
    pub fn next_id(&self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut last = self.last_id.lock().unwrap_or_else(|e| e.into_inner());
        *last = (*last + 1).max(ms.saturating_sub(DISCORD_EPOCH_MS) << 22);
        *last
    }
}
