//! The JSON gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, RESUME ->
//! RESUMED, heartbeat ACKs, and the test's commands (dispatch, close, drop).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxumState;
use axum::response::Response;
use serde_json::Value;
use tokio::sync::mpsc;

use super::fixtures;
use super::state::{
    shard_of, CloseRecord, ConnCommand, GatewayFrame, IdentifyRecord, Inner, LiveConnection, State,
};

pub const CLOSE_AUTHENTICATION_FAILED: u16 = 4004;
pub const CLOSE_UNKNOWN_ERROR: u16 = 4000;
/// Gateway close code 4010 "Invalid shard": "You sent an invalid shard when identifying."
pub const CLOSE_INVALID_SHARD: u16 = 4010;
/// Gateway close code 4011 "Sharding required": "The session would have handled too many
/// guilds - you are required to shard your connection in order to connect."
pub const CLOSE_SHARDING_REQUIRED: u16 = 4011;

pub(crate) async fn upgrade(
    AxumState(inner): AxumState<Arc<Inner>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| run(inner, socket))
}

struct Connection {
    inner: Arc<Inner>,
    socket: WebSocket,
    id: u64,
    tx: mpsc::UnboundedSender<ConnCommand>,
    /// Set once IDENTIFY or RESUME succeeded.
    session: Option<String>,
    /// `[shard_id, num_shards]` from IDENTIFY (or the resumed session's); `[0, 1]` until then.
    shard: (u32, u32),
}

enum Next {
    Continue,
    Close(u16, &'static str),
    Stop,
}

async fn run(inner: Arc<Inner>, socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = inner.update(|s| {
        s.connections += 1;
        s.connections
    });
    let mut conn = Connection {
        inner,
        socket,
        id,
        tx,
        session: None,
        shard: (0, 1),
    };
    let hello = fixtures::hello(conn.inner.config.heartbeat_interval_ms);
    let mut next = if conn.send(hello).await {
        Next::Continue
    } else {
        Next::Stop
    };

    while let Next::Continue = next {
        next = tokio::select! {
            frame = conn.socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => conn.on_frame(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => Next::Close(4002, "Decode error"),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Next::Stop,
                Some(Ok(_)) => Next::Continue,
            },
            Some(command) = rx.recv() => match command {
                ConnCommand::Dispatch { event, data } => conn.dispatch(&event, data).await,
                ConnCommand::Send(payload) => if conn.send(payload).await { Next::Continue } else { Next::Stop },
                ConnCommand::Close { code, reason } => {
                    conn.close(code, &reason).await;
                    Next::Stop
                },
                ConnCommand::DropTcp => Next::Stop,
                ConnCommand::InvalidSession { resumable } => conn.invalidate(resumable).await,
            },
        };
        if let Next::Close(code, reason) = next {
            conn.close(code, reason).await;
            next = Next::Stop;
        }
    }

    let id = conn.id;
    conn.inner.update(|s| s.live.retain(|l| l.connection != id));
    // Dropping the socket here without a close frame is the "TCP drop".
}

impl Connection {
    async fn send(&mut self, payload: Value) -> bool {
        let text = payload.to_string();
        let id = self.id;
        self.inner.update(|s| {
            s.to_bot.push(GatewayFrame {
                connection: id,
                payload,
                at: Instant::now(),
            })
        });
        // Text frames: serenity reads Binary frames as zlib-compressed.
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    async fn dispatch(&mut self, event: &str, data: Value) -> Next {
        let Some(session) = self.session.clone() else {
            return Next::Continue;
        };
        // Sequence numbers rise per session and continue across a RESUME.
        let seq = self.inner.update(|s| {
            let seq = s.sessions.entry(session).or_insert(0);
            *seq += 1;
            *seq
        });
        if self.send(fixtures::frame(seq, event, data)).await {
            Next::Continue
        } else {
            Next::Stop
        }
    }

    /// Sends a close frame and waits for the client's answer, so serenity sees
    /// the code rather than a reset (a reset after 4004 makes it loop forever).
    async fn close(&mut self, code: u16, reason: &str) {
        let connection = self.id;
        self.inner.update(|s| {
            s.closes.push(CloseRecord {
                connection,
                code,
                reason: reason.to_string(),
            })
        });
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.socket.send(Message::Close(Some(frame))).await.is_ok() {
            let drain = async {
                while let Some(Ok(m)) = self.socket.recv().await {
                    if matches!(m, Message::Close(_)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
        }
    }

    async fn on_frame(&mut self, text: &str) -> Next {
        let Ok(payload) = serde_json::from_str::<Value>(text) else {
            return Next::Close(4002, "Decode error");
        };
        let id = self.id;
        let op = payload["op"].as_u64();
        let data = payload["d"].clone();
        self.inner.update(|s| {
            s.from_bot.push(GatewayFrame {
                connection: id,
                payload,
                at: Instant::now(),
            })
        });
        match op {
            Some(1) => {
                if self.send(fixtures::heartbeat_ack()).await {
                    Next::Continue
                } else {
                    Next::Stop
                }
            }
            Some(2) => self.identify(&data).await,
            Some(6) => self.resume(&data).await,
            // Presence updates, member requests and the like are only recorded.
            Some(_) => Next::Continue,
            None => Next::Close(4001, "Unknown opcode"),
        }
    }

    fn token_ok(&self, data: &Value) -> bool {
        !self.inner.config.reject_identify
            && data["token"].as_str() == Some(&format!("Bot {}", self.inner.config.token))
    }

    async fn identify(&mut self, data: &Value) -> Next {
        let intents = data["intents"].as_u64();
        // Gateway topic, "Sharding": `shard: [shard_id, num_shards]`; absent means [0, 1].
        let shard = match &data["shard"] {
            Value::Null => Some((0, 1)),
            Value::Array(pair) if pair.len() == 2 => pair[0]
                .as_u64()
                .zip(pair[1].as_u64())
                .and_then(|(id, n)| Some((u32::try_from(id).ok()?, u32::try_from(n).ok()?))),
            _ => None,
        };
        let connection = self.id;
        self.inner.update(|s| {
            s.identify_count += 1;
            s.last_intents = intents;
            let (shard_id, num_shards) = shard.unwrap_or((u32::MAX, 0));
            s.identifies.push(IdentifyRecord {
                connection,
                shard_id,
                num_shards,
                at: Instant::now(),
            });
        });
        if !self.token_ok(data) {
            return Next::Close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.");
        }
        if self.session.is_some() {
            return Next::Close(4005, "Already authenticated.");
        }
        let Some((shard_id, num_shards)) = shard.filter(|(id, n)| *n > 0 && id < n) else {
            return Next::Close(CLOSE_INVALID_SHARD, "Invalid shard.");
        };
        let own = |g: u64| shard_of(g, num_shards) == shard_id;
        let held = self
            .inner
            .read(|s| s.guilds.iter().filter(|g| own(g.id)).count());
        if held > self.inner.config.max_guilds_per_shard {
            return Next::Close(CLOSE_SHARDING_REQUIRED, "Sharding required.");
        }
        self.shard = (shard_id, num_shards);
        let session_id = format!("fake-session-{}-{}", self.id, self.inner.next_id());
        self.inner.update(|s| {
            s.sessions.insert(session_id.clone(), 0);
            s.session_shards
                .insert(session_id.clone(), (shard_id, num_shards));
        });
        self.session = Some(session_id.clone());

        let mut ready = fixtures::ready(&self.inner.config, &session_id, &self.inner.gateway_url);
        // READY lists only this shard's guilds (as unavailable) and echoes the shard.
        let listed: Vec<Value> = self.inner.read(|s| {
            s.guilds
                .iter()
                .filter(|g| own(g.id))
                .map(|g| serde_json::json!({"id": g.id.to_string(), "unavailable": true}))
                .collect()
        });
        ready["guilds"] = Value::Array(listed);
        ready["shard"] = serde_json::json!([shard_id, num_shards]);
        if let Next::Stop = self.dispatch("READY", ready).await {
            return Next::Stop;
        }
        let config = self.inner.config.clone();
        let guilds = self.inner.read(|s| {
            s.guilds
                .iter()
                .filter(|g| own(g.id))
                .map(|g| {
                    // Gateway Events, Guild Create: `threads` holds the "active threads in
                    // the guild that current user has permission to view".
                    let threads: Vec<_> = s
                        .channels
                        .values()
                        .filter(|c| c.is_thread() && c.guild_id == Some(g.id) && !c.archived)
                        .filter(|c| State::bot_can_view_thread(c, &config))
                        .collect();
                    fixtures::guild_create(&config, g, &threads)
                })
                .collect::<Vec<_>>()
        });
        for guild in guilds {
            if let Next::Stop = self.dispatch("GUILD_CREATE", guild).await {
                return Next::Stop;
            }
        }
        self.go_live();
        Next::Continue
    }

    async fn resume(&mut self, data: &Value) -> Next {
        self.inner.update(|s| s.resume_count += 1);
        if !self.token_ok(data) {
            return Next::Close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.");
        }
        let session_id = data["session_id"].as_str().unwrap_or_default().to_string();
        if !self.inner.read(|s| s.sessions.contains_key(&session_id)) {
            // Unknown session: tell serenity to IDENTIFY afresh.
            return if self.send(fixtures::invalid_session(false)).await {
                Next::Continue
            } else {
                Next::Stop
            };
        }
        if let Some(shard) = self
            .inner
            .read(|s| s.session_shards.get(&session_id).copied())
        {
            self.shard = shard;
        }
        self.session = Some(session_id);
        // Nothing is replayed: events dispatched while no connection was live
        // waited in `FakeDiscord::dispatch` instead.
        if let Next::Stop = self.dispatch("RESUMED", serde_json::json!({})).await {
            return Next::Stop;
        }
        self.go_live();
        Next::Continue
    }

    /// Op 9 INVALID_SESSION (Gateway topic, "Resuming"/"Invalid Session"): `d` says whether
    /// the session may be resumed. When it may not, the fake forgets the session, so a RESUME
    /// of it is answered with another op 9 `false` (see [`Self::resume`]), as Discord does,
    /// and only a fresh IDENTIFY (READY + GUILD_CREATE) brings the bot back. The socket stays
    /// open until the client drops it; serenity drops it when it reconnects.
    async fn invalidate(&mut self, resumable: bool) -> Next {
        if !resumable {
            if let Some(session) = self.session.take() {
                self.inner.update(|s| s.sessions.remove(&session));
            }
        }
        if self.send(fixtures::invalid_session(resumable)).await {
            Next::Continue
        } else {
            Next::Stop
        }
    }

    /// From now on, test dispatches for this connection's shard go to it, and no longer to
    /// an older session of the same `[shard_id, num_shards]`.
    fn go_live(&self) {
        let live = LiveConnection {
            connection: self.id,
            shard: self.shard,
            tx: self.tx.clone(),
        };
        self.inner.update(|s| {
            s.live.retain(|l| l.shard != live.shard);
            s.live.push(live);
        });
    }
}
