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
use super::state::{ConnCommand, GatewayFrame, Inner, LiveConnection, State};

pub const CLOSE_AUTHENTICATION_FAILED: u16 = 4004;
pub const CLOSE_UNKNOWN_ERROR: u16 = 4000;

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
    conn.inner.update(|s| {
        if s.live.as_ref().is_some_and(|l| l.connection == id) {
            s.live = None;
        }
    });
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
        self.inner.update(|s| {
            s.identify_count += 1;
            s.last_intents = intents;
        });
        if !self.token_ok(data) {
            return Next::Close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.");
        }
        if self.session.is_some() {
            return Next::Close(4005, "Already authenticated.");
        }
        let session_id = format!("fake-session-{}-{}", self.id, self.inner.next_id());
        self.inner
            .update(|s| s.sessions.insert(session_id.clone(), 0));
        self.session = Some(session_id.clone());

        let ready = fixtures::ready(&self.inner.config, &session_id, &self.inner.gateway_url);
        if let Next::Stop = self.dispatch("READY", ready).await {
            return Next::Stop;
        }
        let config = self.inner.config.clone();
        let guilds = self.inner.read(|s| {
            s.guilds
                .iter()
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

    /// From now on, test dispatches go to this connection.
    fn go_live(&self) {
        let live = LiveConnection {
            connection: self.id,
            tx: self.tx.clone(),
        };
        self.inner.update(|s| s.live = Some(live));
    }
}
