//! `FakeDiscord`: REST under `/api/v10` and the JSON gateway at `/gateway`
//! on one 127.0.0.1 port, with the controls and queries tests need.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::config::{FakeConfig, FakeMember};
use super::failures::FailRule;
use super::fixtures::{self, EPHEMERAL};
use super::gateway::{self, CLOSE_UNKNOWN_ERROR};
use super::interactions::{self, ButtonClick, InteractionHandle, ModalSubmit, SlashInvocation};
use super::rest;
use super::state::{
    buttons_in, counts_against_global_limit, Button, ChannelInfo, CloseRecord, ConnCommand,
    FilePart, GatewayFrame, IdentifyRecord, Inner, InteractionRecord, InteractionResponse,
    LiveConnection, LiveShard, PostedMessage, RecordedRequest,
};

/// A generous default for waits: they return as soon as the condition holds.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct FakeDiscord {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

/// How the bot answered an interaction, whatever route it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyKind {
    /// Callback type 4: a message right away.
    Message,
    /// Callback type 5, then a follow-up or an edit of `@original`.
    Deferred,
    /// Callback type 7: the button's message was edited.
    Update,
    /// Callback type 6, then an edit of the button's message or a follow-up.
    DeferredUpdate,
    /// Callback type 8: autocomplete choices.
    Autocomplete,
    /// Callback type 9: a modal.
    Modal,
    /// In [`FakeDiscord::replies`]: a later follow-up message.
    Followup,
    /// In [`FakeDiscord::replies`]: a later edit of `@original`.
    Edit,
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub kind: ReplyKind,
    pub ephemeral: bool,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<FilePart>,
    pub allowed_mentions: Option<Value>,
    /// Autocomplete choices (`{name, value}`).
    pub choices: Vec<Value>,
    /// The message the reply lives in, when there is one.
    pub message_id: Option<u64>,
    /// The body as the bot sent it.
    pub raw: Value,
}

impl Reply {
    fn from_body(
        kind: ReplyKind,
        body: &Value,
        files: &[FilePart],
        ephemeral: bool,
        message_id: Option<u64>,
    ) -> Self {
        let list = |key: &str| body[key].as_array().cloned().unwrap_or_default();
        Self {
            kind,
            ephemeral: ephemeral || body["flags"].as_u64().is_some_and(|f| f & EPHEMERAL != 0),
            content: body["content"].as_str().unwrap_or_default().to_string(),
            embeds: list("embeds"),
            components: list("components"),
            attachments: files.to_vec(),
            allowed_mentions: body.get("allowed_mentions").cloned(),
            choices: list("choices"),
            message_id,
            raw: body.clone(),
        }
    }

    pub fn buttons(&self) -> Vec<Button> {
        buttons_in(&self.components)
    }

    /// Everything a reader sees: content plus embed titles, descriptions,
    /// field names and values, and footers, one per line.
    pub fn text(&self) -> String {
        let mut out = vec![self.content.clone()];
        for e in &self.embeds {
            for key in ["title", "description"] {
                out.extend(e[key].as_str().map(str::to_string));
            }
            for f in e["fields"].as_array().into_iter().flatten() {
                out.extend(f["name"].as_str().map(str::to_string));
                out.extend(f["value"].as_str().map(str::to_string));
            }
            out.extend(e["footer"]["text"].as_str().map(str::to_string));
        }
        out.retain(|s| !s.is_empty());
        out.join("\n")
    }
}

impl FakeDiscord {
    pub async fn start(config: FakeConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("local address of the fake Discord");
        let inner = Arc::new(Inner::new(config, format!("http://{addr}")));
        let app = Router::new()
            .route("/gateway", get(gateway::upgrade))
            .fallback(rest::handle)
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            inner,
            addr,
            server,
        }
    }

    pub async fn start_default() -> Self {
        Self::start(FakeConfig::default()).await
    }

    /// `http://127.0.0.1:PORT`, what the bot gets as `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn gateway_url(&self) -> String {
        self.inner.gateway_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn config(&self) -> &FakeConfig {
        &self.inner.config
    }

    pub fn token(&self) -> &str {
        &self.inner.config.token
    }

    /// Waits until `f` returns `Some`, re-checking whenever the fake's state
    /// changes; panics after `timeout` with the last REST calls.
    pub async fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        f: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        match self.try_wait_until(timeout, f).await {
            Some(v) => v,
            None => panic!(
                "fake Discord: timed out after {timeout:?} waiting for {what}\nlast REST calls:\n{}",
                self.inner.read(|s| s.recent_requests_summary(20))
            ),
        }
    }

    /// Like [`Self::wait_until`] but gives `None` on timeout.
    pub async fn try_wait_until<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&Self) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.inner.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(v) = f(self) {
                return Some(v);
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                return None;
            }
        }
    }

    // ---- gateway -------------------------------------------------------
    //
    // Several connections may be live at once, one per `[shard_id, num_shards]` (the newest
    // session of a shard replaces an older one). A dispatch goes to the live connection(s)
    // whose shard owns its guild (`(guild_id >> 22) % num_shards == shard_id`); one without a
    // guild (a DM interaction) goes to shard 0, as on Discord. With one connection, the bot's
    // usual `[0, 1]` (or no `shard` at all), every method means what it always did.

    /// Whether any connection completed IDENTIFY (READY sent) or RESUME and is still open.
    pub fn is_live(&self) -> bool {
        self.inner.read(|s| !s.live.is_empty())
    }

    /// Waits for a connection that completed IDENTIFY (READY sent) or RESUME.
    pub async fn wait_for_live(&self, timeout: Duration) {
        self.wait_until(timeout, "a live gateway session", |f| {
            f.is_live().then_some(())
        })
        .await
    }

    /// The live sessions, oldest first.
    pub fn live_shards(&self) -> Vec<LiveShard> {
        self.inner.read(|s| {
            s.live
                .iter()
                .map(|l| LiveShard {
                    connection: l.connection,
                    shard_id: l.shard.0,
                    num_shards: l.shard.1,
                })
                .collect()
        })
    }

    /// Whether shard `shard_id` of `num_shards` has a live session.
    pub fn is_shard_live(&self, shard_id: u32, num_shards: u32) -> bool {
        self.inner
            .read(|s| s.live.iter().any(|l| l.shard == (shard_id, num_shards)))
    }

    /// Waits until every `(shard_id, num_shards)` in `shards` has a live session.
    pub async fn wait_for_live_shards(&self, shards: &[(u32, u32)], timeout: Duration) {
        self.wait_until(
            timeout,
            &format!("live gateway sessions for shards {shards:?}"),
            |f| {
                shards
                    .iter()
                    .all(|(id, n)| f.is_shard_live(*id, *n))
                    .then_some(())
            },
        )
        .await
    }

    /// Sends a dispatch to the live connection(s) whose shard owns the event's guild (its
    /// `guild_id`, or `id` for GUILD_CREATE/UPDATE/DELETE; shard 0 when there is none),
    /// waiting for one if that shard is (re)connecting.
    pub async fn dispatch(&self, event: &str, data: Value) {
        let guild = guild_of_event(event, &data);
        let command = ConnCommand::Dispatch {
            event: event.to_string(),
            data,
        };
        for tx in self.senders_for(guild).await {
            let _ = tx.send(command.clone());
        }
    }

    async fn senders_for(
        &self,
        guild: Option<u64>,
    ) -> Vec<tokio::sync::mpsc::UnboundedSender<ConnCommand>> {
        let what = match guild {
            Some(g) => format!("a live gateway session on the shard of guild {g}"),
            None => "a live gateway session on shard 0 (READY or RESUMED sent)".to_string(),
        };
        self.wait_until(WAIT, &what, |f| {
            let txs: Vec<_> = f.inner.read(|s| {
                s.live
                    .iter()
                    .filter(|l| l.owns(guild))
                    .map(|l| l.tx.clone())
                    .collect()
            });
            (!txs.is_empty()).then_some(txs)
        })
        .await
    }

    /// Sends any raw frame (e.g. `fixtures::reconnect()`) on every live connection.
    pub async fn send_raw(&self, payload: Value) {
        self.wait_for_live(WAIT).await;
        let txs: Vec<_> = self
            .inner
            .read(|s| s.live.iter().map(|l| l.tx.clone()).collect());
        for tx in txs {
            let _ = tx.send(ConnCommand::Send(payload.clone()));
        }
    }

    /// Closes the live connection (every live one, when there are several shards) with 4000,
    /// so serenity reconnects and RESUMEs.
    pub async fn drop_gateway(&self) {
        self.close_gateway(CLOSE_UNKNOWN_ERROR, "Unknown error")
            .await
    }

    /// Closes the live connection (every live one) with a close frame carrying `code`.
    pub async fn close_gateway(&self, code: u16, reason: &str) {
        self.take_live(
            None,
            ConnCommand::Close {
                code,
                reason: reason.to_string(),
            },
        )
        .await
    }

    /// Drops the live connection's (every live one's) TCP stream without a close frame.
    /// serenity notices at its next heartbeat (see `heartbeat_interval_ms`).
    pub async fn drop_gateway_tcp(&self) {
        self.take_live(None, ConnCommand::DropTcp).await
    }

    /// Closes shard `shard_id` of `num_shards`'s live session with 4000 (waiting for one).
    pub async fn drop_shard(&self, shard_id: u32, num_shards: u32) {
        self.close_shard(shard_id, num_shards, CLOSE_UNKNOWN_ERROR, "Unknown error")
            .await
    }

    /// Closes shard `shard_id` of `num_shards`'s live session with `code` (waiting for one).
    pub async fn close_shard(&self, shard_id: u32, num_shards: u32, code: u16, reason: &str) {
        self.take_live(
            Some((shard_id, num_shards)),
            ConnCommand::Close {
                code,
                reason: reason.to_string(),
            },
        )
        .await
    }

    /// Drops shard `shard_id` of `num_shards`'s TCP stream without a close frame.
    pub async fn drop_shard_tcp(&self, shard_id: u32, num_shards: u32) {
        self.take_live(Some((shard_id, num_shards)), ConnCommand::DropTcp)
            .await
    }

    /// Sends op 7 RECONNECT on the live connection (every live one). Discord (Gateway topic,
    /// "Reconnect"): the client should reconnect and RESUME. serenity 0.12.5 does so at once:
    /// it opens a new socket, sends RESUME without waiting for HELLO, and drops the old
    /// socket. Later dispatches wait for the RESUMED.
    pub async fn send_reconnect(&self) {
        self.take_live(None, ConnCommand::Send(fixtures::reconnect()))
            .await
    }

    /// Sends op 9 INVALID_SESSION with `d: resumable` on the live connection (every live
    /// one). Discord (Gateway topic, "Invalid Session"): with `true` the client may RESUME;
    /// with `false` it must IDENTIFY afresh, and the fake forgets the session, so a RESUME
    /// of it gets another op 9 `false`. serenity 0.12.5 RESUMEs at once on `true`; on
    /// `false` it restarts the shard, which takes about 5 s (a 5 s shutdown timeout and its
    /// 5 s gap between IDENTIFYs), then IDENTIFYs and gets READY + GUILD_CREATE again.
    pub async fn send_invalid_session(&self, resumable: bool) {
        self.take_live(None, ConnCommand::InvalidSession { resumable })
            .await
    }

    /// Waits for a live session (of `shard`, or any), then takes it (every live one when
    /// `shard` is `None`) out of the live set, so later dispatches wait for the next
    /// session, and sends it `command`.
    async fn take_live(&self, shard: Option<(u32, u32)>, command: ConnCommand) {
        let wanted = |l: &LiveConnection| shard.is_none_or(|sh| l.shard == sh);
        self.wait_until(WAIT, &format!("a live gateway session ({shard:?})"), |f| {
            f.inner.read(|s| s.live.iter().any(wanted).then_some(()))
        })
        .await;
        let taken: Vec<LiveConnection> = self.inner.update(|s| {
            let (taken, kept) = std::mem::take(&mut s.live).into_iter().partition(wanted);
            s.live = kept;
            taken
        });
        for live in taken {
            let _ = live.tx.send(command.clone());
        }
    }

    /// Every IDENTIFY so far, in order, with its shard and arrival time; a missing `shard`
    /// is recorded as `[0, 1]`, a malformed one as `shard_id: u32::MAX, num_shards: 0`.
    pub fn identifies(&self) -> Vec<IdentifyRecord> {
        self.inner.read(|s| s.identifies.clone())
    }

    /// Pairs of successive IDENTIFYs in the same rate-limit bucket (`shard_id %
    /// max_concurrency`) that arrived less than `gap` apart. Discord allows one IDENTIFY per
    /// bucket per 5 seconds, so `identifies_too_close(max_concurrency, 5 s)` should be empty.
    pub fn identifies_too_close(
        &self,
        max_concurrency: u32,
        gap: Duration,
    ) -> Vec<(IdentifyRecord, IdentifyRecord)> {
        let all = self.identifies();
        let mut last: std::collections::HashMap<u32, IdentifyRecord> = Default::default();
        let mut close = Vec::new();
        for rec in all {
            let bucket = rec.bucket(max_concurrency);
            if let Some(prev) = last.get(&bucket) {
                if rec.at.duration_since(prev.at) < gap {
                    close.push((prev.clone(), rec.clone()));
                }
            }
            last.insert(bucket, rec);
        }
        close
    }

    /// Every close frame the fake sent (4004, 4010, 4011, the tests' closes ...), in order.
    pub fn closes(&self) -> Vec<CloseRecord> {
        self.inner.read(|s| s.closes.clone())
    }

    /// Ids of the guilds whose GUILD_CREATE was sent on `connection`, in order.
    pub fn guild_creates_on(&self, connection: u64) -> Vec<u64> {
        self.inner.read(|s| {
            s.to_bot
                .iter()
                .filter(|f| f.connection == connection && f.event() == Some("GUILD_CREATE"))
                .filter_map(|f| f.payload["d"]["id"].as_str()?.parse().ok())
                .collect()
        })
    }

    /// The connection of the newest IDENTIFY for shard `shard_id` of `num_shards`.
    pub fn connection_of_shard(&self, shard_id: u32, num_shards: u32) -> Option<u64> {
        self.inner.read(|s| {
            s.identifies
                .iter()
                .rev()
                .find(|r| (r.shard_id, r.num_shards) == (shard_id, num_shards))
                .map(|r| r.connection)
        })
    }

    pub fn identify_count(&self) -> usize {
        self.inner.read(|s| s.identify_count)
    }

    pub fn resume_count(&self) -> usize {
        self.inner.read(|s| s.resume_count)
    }

    /// The intents of the last IDENTIFY.
    pub fn last_intents(&self) -> Option<u64> {
        self.inner.read(|s| s.last_intents)
    }

    /// Websocket connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.inner.read(|s| s.connections)
    }

    /// Every frame the bot sent (IDENTIFY, RESUME, heartbeats, ...).
    pub fn frames_from_bot(&self) -> Vec<GatewayFrame> {
        self.inner.read(|s| s.from_bot.clone())
    }

    /// Every frame the fake sent to the bot.
    pub fn frames_to_bot(&self) -> Vec<GatewayFrame> {
        self.inner.read(|s| s.to_bot.clone())
    }

    // ---- interactions --------------------------------------------------

    /// Records a slash interaction and returns it without dispatching it.
    /// Panics if the invocation names an unknown guild, member or channel.
    pub fn prepare_slash(&self, inv: &SlashInvocation) -> (InteractionHandle, Value) {
        self.prepare_command(inv, 2)
    }

    fn prepare_command(&self, inv: &SlashInvocation, kind: u8) -> (InteractionHandle, Value) {
        let (id, fresh) = (self.inner.next_id(), self.inner.next_id());
        let cfg = &self.inner.config;
        let built = self.inner.update(|s| {
            let (payload, record) =
                interactions::command_interaction(s, cfg, inv, kind, id, fresh)?;
            s.interactions.insert(id, record);
            Ok::<_, String>(payload)
        });
        let payload = built.unwrap_or_else(|e| panic!("fake Discord: bad invocation {inv:?}: {e}"));
        (
            InteractionHandle {
                id,
                token: payload["token"].as_str().unwrap_or_default().to_string(),
            },
            payload,
        )
    }

    /// Dispatches INTERACTION_CREATE for a slash command.
    pub async fn slash(&self, inv: SlashInvocation) -> InteractionHandle {
        let (handle, payload) = self.prepare_slash(&inv);
        self.dispatch("INTERACTION_CREATE", payload).await;
        handle
    }

    /// Records an autocomplete interaction and returns it without dispatching it.
    pub fn prepare_autocomplete(&self, inv: &SlashInvocation) -> (InteractionHandle, Value) {
        self.prepare_command(inv, 4)
    }

    /// Dispatches an autocomplete interaction (type 4); set the typed option with
    /// [`SlashInvocation::focus`].
    pub async fn autocomplete(&self, inv: SlashInvocation) -> InteractionHandle {
        let (handle, payload) = self.prepare_autocomplete(&inv);
        self.dispatch("INTERACTION_CREATE", payload).await;
        handle
    }

    /// Records a click on a stored message without dispatching it.
    pub fn prepare_click(&self, click: &ButtonClick) -> (InteractionHandle, Value) {
        let (id, fresh) = (self.inner.next_id(), self.inner.next_id());
        let cfg = &self.inner.config;
        let built = self.inner.update(|s| {
            let (payload, record) = interactions::component_interaction(s, cfg, click, id, fresh)?;
            s.interactions.insert(id, record);
            Ok::<_, String>(payload)
        });
        let payload = built.unwrap_or_else(|e| panic!("fake Discord: bad click {click:?}: {e}"));
        (
            InteractionHandle {
                id,
                token: payload["token"].as_str().unwrap_or_default().to_string(),
            },
            payload,
        )
    }

    /// Dispatches INTERACTION_CREATE type 3 for a click on a message the fake stores.
    pub async fn click(&self, click: ButtonClick) -> InteractionHandle {
        let (handle, payload) = self.prepare_click(&click);
        self.dispatch("INTERACTION_CREATE", payload).await;
        handle
    }

    /// Records a submission of a modal the bot opened, without dispatching it. Panics if
    /// the bot never opened that modal for that member from that message.
    pub fn prepare_modal(&self, submit: &ModalSubmit) -> (InteractionHandle, Value) {
        let (id, fresh) = (self.inner.next_id(), self.inner.next_id());
        let cfg = &self.inner.config;
        let built = self.inner.update(|s| {
            let (payload, record) = interactions::modal_interaction(s, cfg, submit, id, fresh)?;
            s.interactions.insert(id, record);
            Ok::<_, String>(payload)
        });
        let payload =
            built.unwrap_or_else(|e| panic!("fake Discord: bad modal submission {submit:?}: {e}"));
        (
            InteractionHandle {
                id,
                token: payload["token"].as_str().unwrap_or_default().to_string(),
            },
            payload,
        )
    }

    /// Dispatches INTERACTION_CREATE type 5: the member sends a modal the bot opened from
    /// a button. A type 7 answer updates the button's message.
    pub async fn submit_modal(&self, submit: ModalSubmit) -> InteractionHandle {
        let (handle, payload) = self.prepare_modal(&submit);
        self.dispatch("INTERACTION_CREATE", payload).await;
        handle
    }

    pub fn interaction(&self, handle: &InteractionHandle) -> Option<InteractionRecord> {
        self.inner.read(|s| s.interactions.get(&handle.id).cloned())
    }

    /// Time from dispatching the interaction to the bot's callback; Discord
    /// drops interactions not acknowledged within 3 seconds.
    pub fn callback_latency(&self, handle: &InteractionHandle) -> Option<Duration> {
        let rec = self.interaction(handle)?;
        let path = format!("/interactions/{}/{}/callback", handle.id, handle.token);
        let call = self.inner.read(|s| {
            s.requests
                .iter()
                .find(|r| r.path == path && r.status == 204)
                .cloned()
        })?;
        Some(
            call.received_at
                .saturating_duration_since(rec.dispatched_at),
        )
    }

    /// The bot's answer, normalized: a type 4/7/8/9 callback as is, or a
    /// defer (5/6) together with the follow-up or `@original` edit after it.
    pub async fn reply_to(&self, handle: &InteractionHandle, timeout: Duration) -> Reply {
        self.wait_until(
            timeout,
            &format!("a reply to interaction {}", handle.id),
            |f| f.interaction(handle).and_then(|rec| f.normalize(&rec)),
        )
        .await
    }

    /// Like [`Self::reply_to`], `None` if there is no complete reply in time.
    pub async fn try_reply_to(
        &self,
        handle: &InteractionHandle,
        timeout: Duration,
    ) -> Option<Reply> {
        self.try_wait_until(timeout, |f| {
            f.interaction(handle).and_then(|rec| f.normalize(&rec))
        })
        .await
    }

    fn normalize(&self, rec: &InteractionRecord) -> Option<Reply> {
        let mut responses = rec.responses.iter();
        let Some(InteractionResponse::Callback { kind, data, files }) = responses.next() else {
            return None;
        };
        let message_ephemeral = |id: Option<u64>| {
            id.and_then(|m| self.message(m))
                .is_some_and(|m| m.ephemeral())
        };
        let simple =
            |k: ReplyKind, eph: bool| Some(Reply::from_body(k, data, files, eph, rec.original));
        match kind {
            4 => simple(ReplyKind::Message, false),
            7 => simple(ReplyKind::Update, message_ephemeral(rec.message_id)),
            8 => simple(ReplyKind::Autocomplete, false),
            9 => simple(ReplyKind::Modal, false),
            5 | 6 => {
                let (k, eph) = if *kind == 5 {
                    (
                        ReplyKind::Deferred,
                        data["flags"].as_u64().is_some_and(|f| f & EPHEMERAL != 0),
                    )
                } else {
                    (ReplyKind::DeferredUpdate, message_ephemeral(rec.message_id))
                };
                match responses.next()? {
                    InteractionResponse::EditOriginal { body, files } => {
                        Some(Reply::from_body(k, body, files, eph, rec.original))
                    }
                    InteractionResponse::Followup {
                        message_id,
                        body,
                        files,
                    } => Some(Reply::from_body(k, body, files, eph, Some(*message_id))),
                    InteractionResponse::Callback { .. } => None,
                }
            }
            _ => None,
        }
    }

    /// Every answer so far, in order: the callback (a defer as an empty
    /// `Deferred`/`DeferredUpdate`), then each edit and follow-up.
    pub fn replies(&self, handle: &InteractionHandle) -> Vec<Reply> {
        let Some(rec) = self.interaction(handle) else {
            return Vec::new();
        };
        rec.responses
            .iter()
            .map(|r| match r {
                InteractionResponse::Callback { kind, data, files } => {
                    let k = match kind {
                        4 => ReplyKind::Message,
                        5 => ReplyKind::Deferred,
                        6 => ReplyKind::DeferredUpdate,
                        7 => ReplyKind::Update,
                        8 => ReplyKind::Autocomplete,
                        _ => ReplyKind::Modal,
                    };
                    Reply::from_body(k, data, files, false, rec.original)
                }
                InteractionResponse::EditOriginal { body, files } => {
                    Reply::from_body(ReplyKind::Edit, body, files, false, rec.original)
                }
                InteractionResponse::Followup {
                    message_id,
                    body,
                    files,
                } => Reply::from_body(ReplyKind::Followup, body, files, false, Some(*message_id)),
            })
            .collect()
    }

    // ---- guild events --------------------------------------------------

    /// Adds a member to the guild and dispatches GUILD_MEMBER_ADD.
    pub async fn member_join(&self, guild_id: u64, member: FakeMember) {
        let data = fixtures::member_add(guild_id, &member);
        self.inner.update(|s| {
            if let Some(g) = s.guild_mut(guild_id) {
                g.members.retain(|m| m.user_id != member.user_id);
                g.members.push(member);
            }
        });
        self.dispatch("GUILD_MEMBER_ADD", data).await;
    }

    /// Removes a member from the guild and dispatches GUILD_MEMBER_REMOVE.
    pub async fn member_leave(&self, guild_id: u64, user_id: u64) {
        let user = self.inner.update(|s| {
            let g = s.guild_mut(guild_id)?;
            let pos = g.members.iter().position(|m| m.user_id == user_id)?;
            Some(fixtures::member_user(&g.members.remove(pos)))
        });
        let user =
            user.unwrap_or_else(|| panic!("fake Discord: {user_id} is not a member of {guild_id}"));
        self.dispatch(
            "GUILD_MEMBER_REMOVE",
            fixtures::member_remove(guild_id, user),
        )
        .await;
    }

    // ---- REST ----------------------------------------------------------

    /// Answers the next matching calls with a failure (see [`FailRule`]).
    pub fn fail(&self, rule: FailRule) {
        self.inner.update(|s| s.rules.push(rule));
    }

    pub fn clear_failures(&self) {
        self.inner.update(|s| s.rules.clear());
    }

    /// Every REST call so far, in the order they were answered.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.read(|s| s.requests.clone())
    }

    /// Calls matching `method` (`*` for any) and a path pattern (`*` = one
    /// segment, trailing `/**` = any rest), e.g. `calls_to("POST", "/channels/*/messages")`.
    pub fn calls_to(&self, method: &str, pattern: &str) -> Vec<RecordedRequest> {
        self.inner.read(|s| {
            s.requests
                .iter()
                .filter(|r| r.matches(method, pattern))
                .cloned()
                .collect()
        })
    }

    pub async fn wait_for_request(
        &self,
        mut predicate: impl FnMut(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> RecordedRequest {
        self.wait_until(timeout, "a matching REST call", |f| {
            f.inner
                .read(|s| s.requests.iter().find(|r| predicate(r)).cloned())
        })
        .await
    }

    /// How many calls the global rate limit ([`FakeConfig::global_rate_limit`]) refused with
    /// a 429; none of them acted.
    pub fn global_rate_limited_count(&self) -> usize {
        self.inner
            .read(|s| s.requests.iter().filter(|r| r.global_rate_limited).count())
    }

    /// The most calls that count against Discord's global rate limit (all but interaction
    /// callbacks and interaction webhooks) that arrived within any one second, refused ones
    /// included: how hard the bot pushed, whether or not the limit is on.
    pub fn max_requests_in_any_second(&self) -> usize {
        let app = self.inner.config.app_id;
        let mut times: Vec<std::time::Instant> = self.inner.read(|s| {
            s.requests
                .iter()
                .filter(|r| counts_against_global_limit(&r.path, app))
                .map(|r| r.received_at)
                .collect()
        });
        times.sort();
        let mut start = 0;
        let mut best = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// Calls to routes the fake does not implement (each got a 404).
    pub fn unknown_routes(&self) -> Vec<RecordedRequest> {
        self.inner.read(|s| {
            s.requests
                .iter()
                .filter(|r| r.unknown_route)
                .cloned()
                .collect()
        })
    }

    /// Waits for the first command registration, then returns the latest
    /// registered set (global or guild, whichever was registered last).
    pub async fn wait_for_commands(&self, timeout: Duration) -> Vec<Value> {
        self.wait_until(timeout, "a command registration (PUT .../commands)", |f| {
            f.calls_to("PUT", "/applications/**")
                .into_iter()
                .rev()
                .find(|r| r.status == 200)
                .and_then(|r| r.response.and_then(|v| v.as_array().cloned()))
        })
        .await
    }

    /// The registered commands of a scope (`None` = global).
    pub fn commands(&self, guild: Option<u64>) -> Vec<Value> {
        self.inner
            .read(|s| s.commands.get(&guild).cloned().unwrap_or_default())
    }

    /// How many successful bulk registrations (PUTs) there were.
    pub fn command_registrations(&self) -> usize {
        self.inner.read(|s| s.command_puts)
    }

    // ---- what Discord now holds ----------------------------------------

    /// Messages in a channel (not deleted), oldest first; ephemeral interaction
    /// responses included (check `ephemeral()`).
    pub fn messages_in(&self, channel_id: u64) -> Vec<PostedMessage> {
        self.inner.read(|s| {
            s.live_messages()
                .filter(|m| m.channel_id == channel_id)
                .cloned()
                .collect()
        })
    }

    pub fn message(&self, id: u64) -> Option<PostedMessage> {
        self.inner.read(|s| s.messages.get(&id).cloned())
    }

    /// Every message the fake stores, deleted ones included.
    pub fn all_messages(&self) -> Vec<PostedMessage> {
        self.inner.read(|s| s.messages.values().cloned().collect())
    }

    pub async fn wait_for_message(
        &self,
        channel_id: u64,
        mut predicate: impl FnMut(&PostedMessage) -> bool,
        timeout: Duration,
    ) -> PostedMessage {
        self.wait_until(
            timeout,
            &format!("a matching message in channel {channel_id}"),
            |f| f.messages_in(channel_id).into_iter().find(|m| predicate(m)),
        )
        .await
    }

    pub fn channel(&self, id: u64) -> Option<ChannelInfo> {
        self.inner.read(|s| s.channels.get(&id).cloned())
    }

    /// Threads the bot created (and any the test config had), oldest first.
    pub fn threads(&self) -> Vec<ChannelInfo> {
        self.inner.read(|s| {
            s.channels
                .values()
                .filter(|c| c.is_thread())
                .cloned()
                .collect()
        })
    }

    /// Unarchived threads in a guild, whoever made them: what Discord's active-thread cap
    /// ([`FakeConfig::active_thread_cap`]) counts.
    pub fn active_threads_in(&self, guild_id: u64) -> usize {
        self.inner.read(|s| s.active_thread_count(guild_id))
    }

    /// Archived threads, oldest first.
    pub fn archived_threads(&self) -> Vec<ChannelInfo> {
        self.inner.read(|s| {
            s.channels
                .values()
                .filter(|c| c.is_thread() && c.archived)
                .cloned()
                .collect()
        })
    }

    /// Creates `n` active public threads in `parent_channel_id` owned by the guild's owner,
    /// not the bot, which is not a member of them: other people's threads that count
    /// against the guild's active-thread cap. Returns their ids. Panics if the parent is
    /// not a text channel of the guild, or if the threads would pass the cap (Discord would
    /// refuse them).
    pub fn add_foreign_active_threads(
        &self,
        guild_id: u64,
        parent_channel_id: u64,
        n: usize,
    ) -> Vec<u64> {
        let ids: Vec<u64> = (0..n).map(|_| self.inner.next_id()).collect();
        let cap = self.inner.config.active_thread_cap;
        self.inner.update(|s| {
            let owner = s
                .guild(guild_id)
                .unwrap_or_else(|| panic!("fake Discord: no guild {guild_id}"))
                .owner_id;
            let parent_ok = s.channels.get(&parent_channel_id).is_some_and(|c| {
                c.guild_id == Some(guild_id) && c.kind == super::config::channel_kind::TEXT
            });
            assert!(
                parent_ok,
                "fake Discord: {parent_channel_id} is not a text channel of guild {guild_id}"
            );
            let active = s.active_thread_count(guild_id);
            assert!(
                active + n <= cap,
                "fake Discord: {active} active threads + {n} would pass the cap of {cap}"
            );
            for (i, id) in ids.iter().enumerate() {
                s.channels.insert(
                    *id,
                    ChannelInfo {
                        id: *id,
                        kind: super::config::channel_kind::PUBLIC_THREAD,
                        guild_id: Some(guild_id),
                        name: format!("someone else's thread {}", i + 1),
                        parent_id: Some(parent_channel_id),
                        owner_id: Some(owner),
                        invitable: false,
                        archived: false,
                        locked: false,
                        auto_archive_duration: 4320,
                        created_at: fixtures::now(),
                        recipient: None,
                        members: vec![owner],
                    },
                );
            }
        });
        ids
    }

    /// Archives a thread, as Discord does after its inactivity timer or a moderator does.
    /// No THREAD_UPDATE is dispatched.
    pub fn archive_thread(&self, thread_id: u64) {
        self.set_thread_state(thread_id, true, None)
    }

    /// Archives and locks a thread, as a moderator can: then only MANAGE_THREADS can
    /// unarchive it, and a message does not (Threads topic, "Locked Threads").
    pub fn lock_thread(&self, thread_id: u64) {
        self.set_thread_state(thread_id, true, Some(true))
    }

    fn set_thread_state(&self, thread_id: u64, archived: bool, locked: Option<bool>) {
        self.inner.update(|s| {
            let c = s
                .channels
                .get_mut(&thread_id)
                .filter(|c| c.is_thread())
                .unwrap_or_else(|| panic!("fake Discord: no thread {thread_id}"));
            c.archived = archived;
            if let Some(l) = locked {
                c.locked = l;
            }
        })
    }

    /// [`Self::member_says_in`] with a fixed text.
    pub fn member_posts_in(&self, thread_id: u64, user_id: u64) -> PostedMessage {
        self.member_says_in(thread_id, user_id, "hello from a member")
    }

    /// Stores a guild member's message in a thread, and unarchives the thread if it was
    /// archived: Discord (Threads topic, "Active & Archived Threads"): "Sending a message
    /// will automatically unarchive the thread, unless the thread has been locked by a
    /// moderator." No MESSAGE_CREATE is dispatched. Panics where Discord would refuse the
    /// member: not a guild member, a locked archived thread, or an archived thread while
    /// the guild is at its active-thread cap.
    pub fn member_says_in(&self, thread_id: u64, user_id: u64, content: &str) -> PostedMessage {
        let id = self.inner.next_id();
        let cap = self.inner.config.active_thread_cap;
        self.inner.update(|s| {
            let thread = s
                .channels
                .get(&thread_id)
                .filter(|c| c.is_thread())
                .cloned()
                .unwrap_or_else(|| panic!("fake Discord: no thread {thread_id}"));
            let guild = thread.guild_id.unwrap_or_default();
            let author = s
                .guild(guild)
                .and_then(|g| g.member(user_id))
                .map(fixtures::member_user)
                .unwrap_or_else(|| panic!("fake Discord: {user_id} is not a member of {guild}"));
            if thread.archived {
                assert!(
                    !thread.locked,
                    "fake Discord: thread {thread_id} is locked and archived (50083)"
                );
                assert!(
                    s.active_thread_count(guild) < cap,
                    "fake Discord: guild {guild} is at its active-thread cap (160006)"
                );
            }
            let m = PostedMessage::new(id, thread_id, thread.guild_id, author, content);
            if let Some(c) = s.channels.get_mut(&thread_id) {
                c.archived = false;
                if !c.members.contains(&user_id) {
                    c.members.push(user_id);
                }
            }
            s.messages.insert(id, m.clone());
            m
        })
    }

    /// A thread's members, the bot included.
    pub fn thread_members(&self, thread_id: u64) -> Vec<u64> {
        self.channel(thread_id)
            .map(|c| c.members)
            .unwrap_or_default()
    }

    pub fn dm_channel_of(&self, user_id: u64) -> Option<u64> {
        self.inner.read(|s| s.dm_channels.get(&user_id).copied())
    }

    /// Messages the bot sent to a user's DM channel.
    pub fn dms_to(&self, user_id: u64) -> Vec<PostedMessage> {
        self.dm_channel_of(user_id)
            .map(|c| self.messages_in(c))
            .unwrap_or_default()
    }

    /// The JSON of a stored message, exactly as the fake would return it.
    pub fn message_json(&self, id: u64) -> Option<Value> {
        self.message(id).map(|m| m.to_json())
    }

    /// A one-line-per-call digest, handy in assertion messages.
    pub fn describe_requests(&self) -> String {
        self.inner.read(|s| s.recent_requests_summary(usize::MAX))
    }

    /// The JSON the fake returns for `GET /users/@me`.
    pub fn bot_user_json(&self) -> Value {
        json!(fixtures::bot_user(&self.inner.config))
    }
}

/// The guild a dispatch is about: its `guild_id`, or the guild's own `id` for the GUILD_
/// CREATE/UPDATE/DELETE events; `None` for DMs and events without a guild.
fn guild_of_event(event: &str, data: &Value) -> Option<u64> {
    let snowflake = |v: &Value| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64());
    snowflake(&data["guild_id"]).or_else(|| {
        matches!(event, "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE")
            .then(|| snowflake(&data["id"]))
            .flatten()
    })
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
        for live in self.inner.update(|s| std::mem::take(&mut s.live)) {
            let _ = live.tx.send(ConnCommand::DropTcp);
        }
    }
}
