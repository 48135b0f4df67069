//! REST under `/api/v10`: one handler that records every call, checks the
//! token, applies injected failures, then answers from a route table with
//! objects serenity can deserialize.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::config::{channel_kind, FakeConfig};
use super::failures::Failure;
use super::fixtures::{self, discord_error, EPHEMERAL, LOADING};
use super::state::{
    counts_against_global_limit, ChannelInfo, FilePart, Inner, InteractionResponse, PostedMessage,
    RecordedRequest, State,
};

/// What a route answers, before it becomes an HTTP response.
pub(crate) struct Answer {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    unknown_route: bool,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: Some(body),
            headers: Vec::new(),
            unknown_route: false,
        }
    }

    fn created(body: Value) -> Self {
        Self {
            status: 201,
            ..Self::ok(body)
        }
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: Vec::new(),
            unknown_route: false,
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Self {
        Self {
            status,
            body: Some(discord_error(code, message)),
            headers: Vec::new(),
            unknown_route: false,
        }
    }

    fn unknown_route() -> Self {
        Self {
            unknown_route: true,
            ..Self::error(404, 0, "404: Not Found")
        }
    }

    fn missing_access() -> Self {
        Self::error(403, 50001, "Missing Access")
    }

    fn unknown_channel() -> Self {
        Self::error(404, 10003, "Unknown Channel")
    }

    fn unknown_message() -> Self {
        Self::error(404, 10008, "Unknown Message")
    }

    fn unknown_member() -> Self {
        Self::error(404, 10007, "Unknown Member")
    }

    /// 400 / 160006. Discord (Threads topic): "guilds are capped at a certain number of
    /// active threads"; JSON error codes: 160006 "Maximum number of active threads reached".
    fn thread_cap_reached() -> Self {
        Self::error(400, 160006, "Maximum number of active threads reached")
    }

    /// 400 / 50083. Discord (Threads topic): "Users cannot edit messages, add reactions, use
    /// application commands, or join archived threads"; JSON error codes: 50083 "Tried to
    /// perform an operation on an archived thread, such as editing a message or adding a user
    /// to the thread".
    fn thread_archived() -> Self {
        Self::error(400, 50083, "Thread is archived")
    }

    /// The global rate limit's 429, as in the Rate Limits topic ("Example Exceeded Global Rate
    /// Limit Response"): `Retry-After` (whole seconds), `X-RateLimit-Global: true`,
    /// `X-RateLimit-Scope: global`, and `retry_after` in seconds (a float) in the body.
    fn globally_rate_limited(retry_after: f64) -> Self {
        let headers = vec![
            ("retry-after", format!("{}", retry_after.ceil() as u64)),
            ("x-ratelimit-global", "true".to_string()),
            ("x-ratelimit-scope", "global".to_string()),
        ];
        Self {
            status: 429,
            body: Some(json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": true,
                "code": 0,
            })),
            headers,
            unknown_route: false,
        }
    }

    fn invalid_body(what: &str) -> Self {
        Self::error(400, 50035, &format!("Invalid Form Body: {what}"))
    }

    fn from_failure(failure: &Failure) -> Self {
        match failure {
            Failure::Status {
                status,
                code,
                message,
            } => Self::error(*status, *code, message),
            Failure::RateLimited {
                retry_after,
                global,
            } => {
                let reset = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs_f64()
                    + retry_after;
                let mut headers = vec![
                    ("retry-after", format!("{}", retry_after.ceil() as u64)),
                    ("x-ratelimit-limit", "5".to_string()),
                    ("x-ratelimit-remaining", "0".to_string()),
                    ("x-ratelimit-reset", format!("{reset:.3}")),
                    ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
                    ("x-ratelimit-bucket", "fake-bucket".to_string()),
                    (
                        "x-ratelimit-scope",
                        if *global { "global" } else { "user" }.to_string(),
                    ),
                ];
                if *global {
                    headers.push(("x-ratelimit-global", "true".to_string()));
                }
                let body = json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global});
                Self {
                    status: 429,
                    body: Some(body),
                    headers,
                    unknown_route: false,
                }
            }
            Failure::Delay(_) | Failure::ActThenDelay(_) => unreachable!("delays answer normally"),
        }
    }

    fn into_response(self) -> Response {
        let mut builder =
            Response::builder().status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                builder = builder.header(*name, v);
            }
        }
        let body = match self.body {
            Some(v) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        builder.body(body).unwrap_or_default()
    }
}

pub(crate) async fn handle(AxumState(inner): AxumState<Arc<Inner>>, request: Request) -> Response {
    let counted = request
        .uri()
        .path()
        .strip_prefix("/api/v10")
        .is_some_and(|p| counts_against_global_limit(p, inner.config.app_id));
    let limit = inner.config.global_rate_limit.filter(|_| counted);
    // One lock for the arrival time, the index and the global limit, so the window sees
    // concurrent requests in the order of their `received_at`.
    let (index, received_at, globally_limited) = inner.update(|s| {
        let now = Instant::now();
        s.arrivals += 1;
        let limited =
            limit.and_then(|per_second| global_limit(&mut s.global_window, now, per_second));
        (s.arrivals - 1, now, limited)
    });
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (body, files) = parse_body(content_type, &bytes);
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = parts.method.as_str().to_string();
    let full_path = parts.uri.path().to_string();
    let api_path = full_path.strip_prefix("/api/v10").map(str::to_string);

    let mut record = RecordedRequest {
        index,
        method: method.clone(),
        path: api_path.clone().unwrap_or(full_path),
        query: parts.uri.query().map(str::to_string),
        body,
        files,
        status: 0,
        response: None,
        injected: None,
        unknown_route: false,
        global_rate_limited: globally_limited.is_some(),
        received_at,
        elapsed: Duration::ZERO,
    };

    let answer = match api_path {
        _ if globally_limited.is_some() => {
            Answer::globally_rate_limited(globally_limited.unwrap_or(1.0))
        }
        None => Answer::unknown_route(),
        Some(path) => match check_auth(&inner.config, &method, &path, auth.as_deref()) {
            Some(denied) => denied,
            None => {
                let failure = inner.update(|s| {
                    let rule = s.rules.iter_mut().find(|r| r.matches(&method, &path))?;
                    rule.remaining -= 1;
                    Some(rule.failure.clone())
                });
                record.injected = failure.as_ref().map(Failure::describe);
                match failure {
                    Some(Failure::Delay(d)) => {
                        tokio::time::sleep(d).await;
                        route(&inner, &record)
                    }
                    Some(Failure::ActThenDelay(d)) => {
                        let answer = route(&inner, &record);
                        tokio::time::sleep(d).await;
                        answer
                    }
                    Some(f) => Answer::from_failure(&f),
                    None => route(&inner, &record),
                }
            }
        },
    };

    record.status = answer.status;
    record.response = answer.body.clone();
    record.unknown_route = answer.unknown_route;
    record.elapsed = received_at.elapsed();
    inner.update(|s| s.requests.push(record));
    answer.into_response()
}

/// Discord's global limit as a sliding one-second window over the requests it let through:
/// `None` lets this one through (and counts it), `Some(retry_after)` refuses it, where
/// `retry_after` is when the oldest request in the window leaves it, in seconds.
fn global_limit(
    window: &mut std::collections::VecDeque<Instant>,
    now: Instant,
    per_second: u32,
) -> Option<f64> {
    const WINDOW: Duration = Duration::from_secs(1);
    while window
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        window.pop_front();
    }
    if window.len() < per_second as usize {
        window.push_back(now);
        return None;
    }
    let wait = window.front().map_or(WINDOW, |oldest| {
        WINDOW.saturating_sub(now.saturating_duration_since(*oldest))
    });
    // Milliseconds, never 0, like Discord's `retry_after`.
    Some((wait.as_secs_f64() * 1000.0).ceil().max(1.0) / 1000.0)
}

/// serenity sends `Authorization: Bot <token>` on every call. Discord serves
/// `/gateway` without a token, and interaction webhooks authenticate by
/// their own token, so a missing header is fine there but a wrong one is not.
fn check_auth(config: &FakeConfig, method: &str, path: &str, auth: Option<&str>) -> Option<Answer> {
    let expected = format!("Bot {}", config.token);
    let optional = (method == "GET" && path == "/gateway")
        || path.starts_with("/webhooks/")
        || path.starts_with("/interactions/");
    match auth {
        Some(a) if a == expected => None,
        None if optional => None,
        Some(_) if method == "GET" && path == "/gateway" => None,
        _ => Some(Answer::error(401, 0, "401: Unauthorized")),
    }
}

fn route(inner: &Inner, req: &RecordedRequest) -> Answer {
    let segs: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let body = req.body.clone().unwrap_or(Value::Null);
    let files = req.files.clone();
    let cfg = &inner.config;
    let query = req.query.as_deref().unwrap_or("");

    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["gateway"]) => Answer::ok(json!({ "url": inner.gateway_url })),
        // Gateway topic, "Get Gateway Bot": the recommended shard count and the session
        // start limit; each IDENTIFY so far used one of the 1,000 daily session starts.
        ("GET", ["gateway", "bot"]) => {
            let used = inner.read(|s| s.identifies.len());
            Answer::ok(json!({
                "url": inner.gateway_url,
                "shards": cfg.recommended_shard_count(),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000usize.saturating_sub(used),
                    "reset_after": 86_400_000,
                    "max_concurrency": cfg.max_concurrency,
                },
            }))
        }
        ("GET", ["users", "@me"]) => Answer::ok(fixtures::bot_user(cfg)),
        ("GET", ["users", user]) => match inner.read(|s| s.user_json(cfg, num(user))) {
            Some(u) => Answer::ok(u),
            None => Answer::error(404, 10013, "Unknown User"),
        },
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            let owner = inner.read(|s| {
                let owner = s.guilds.first().map_or(cfg.bot_user_id, |g| g.owner_id);
                s.user_json(cfg, owner)
            });
            Answer::ok(fixtures::application_info(cfg, owner.unwrap_or_else(|| fixtures::bot_user(cfg))))
        },
        (m, ["applications", app, "commands"]) => commands(inner, m, num(app), None, body),
        (m, ["applications", app, "guilds", guild, "commands"]) => commands(inner, m, num(app), Some(num(guild)), body),
        ("POST", ["interactions", id, token, "callback"]) => callback(inner, num(id), token, body, files),
        ("POST", ["webhooks", app, token]) if num(app) == cfg.app_id => followup(inner, token, body, files),
        (m, ["webhooks", app, token, "messages", which]) if num(app) == cfg.app_id => {
            webhook_message(inner, m, token, which, body, files)
        },
        ("GET", ["channels", ch]) => match inner.read(|s| channel_json(s, cfg, num(ch))) {
            Some(c) => Answer::ok(c),
            None => Answer::unknown_channel(),
        },
        ("PATCH", ["channels", ch]) => modify_channel(inner, num(ch), &body),
        ("GET", ["channels", ch, "messages"]) => list_messages(inner, num(ch), query),
        ("POST", ["channels", ch, "messages"]) => create_message(inner, num(ch), body, files),
        (m, ["channels", ch, "messages", id]) => channel_message(inner, m, num(ch), num(id), body, files),
        (m @ ("PUT" | "DELETE"), ["channels", ch, "messages", id, "reactions", emoji, "@me"]) => {
            react(inner, m, num(ch), num(id), emoji)
        },
        ("POST", ["channels", ch, "threads"]) => create_thread(inner, num(ch), None, &body),
        ("POST", ["channels", ch, "messages", id, "threads"]) => create_thread(inner, num(ch), Some(num(id)), &body),
        (m @ ("PUT" | "DELETE"), ["channels", ch, "thread-members", user]) => {
            let user = if *user == "@me" { cfg.bot_user_id } else { num(user) };
            thread_member(inner, m, num(ch), user)
        },
        ("GET", ["channels", ch, "thread-members"]) => match inner.read(|s| s.channels.get(&num(ch)).cloned()) {
            Some(c) if c.is_thread() => Answer::ok(Value::Array(
                c.members
                    .iter()
                    .map(|u| json!({"id": c.id.to_string(), "user_id": u.to_string(), "join_timestamp": c.created_at, "flags": 0}))
                    .collect(),
            )),
            _ => Answer::unknown_channel(),
        },
        ("POST", ["users", "@me", "channels"]) => create_dm(inner, &body),
        ("GET", ["guilds", guild]) => match inner.read(|s| s.guild(num(guild)).map(fixtures::guild)) {
            Some(g) => Answer::ok(g),
            None => Answer::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", guild, "members", user]) => {
            let (guild, user) = (num(guild), num(user));
            if user == cfg.bot_user_id && inner.read(|s| s.guild(guild).is_some()) {
                return Answer::ok(fixtures::bot_member(cfg));
            }
            match inner.read(|s| s.guild(guild).and_then(|g| g.member(user)).map(fixtures::member)) {
                Some(m) => Answer::ok(m),
                None => Answer::unknown_member(),
            }
        },
        ("GET", ["guilds", guild, "members"]) => list_members(inner, num(guild), query),
        ("GET", ["guilds", guild, "threads", "active"]) => active_threads(inner, num(guild)),
        ("GET", ["guilds", guild, "channels"]) => {
            match inner.read(|s| s.guild(num(guild)).map(|g| g.channels.iter().map(|c| fixtures::config_channel(g.id, c)).collect::<Vec<_>>())) {
                Some(list) => Answer::ok(Value::Array(list)),
                None => Answer::error(404, 10004, "Unknown Guild"),
            }
        },
        ("GET", ["guilds", guild, "roles"]) => match inner.read(|s| s.guild(num(guild)).map(|g| g.roles.iter().map(fixtures::role).collect::<Vec<_>>())) {
            Some(list) => Answer::ok(Value::Array(list)),
            None => Answer::error(404, 10004, "Unknown Guild"),
        },
        _ => Answer::unknown_route(),
    }
}

/// Snowflakes in paths; anything else becomes 0, which matches nothing.
fn num(s: &str) -> u64 {
    s.parse().unwrap_or(0)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    // serenity writes `?&limit=..`, hence the empty pieces.
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

fn channel_json(s: &State, cfg: &FakeConfig, id: u64) -> Option<Value> {
    let c = s.channels.get(&id)?;
    let recipient = c.recipient.and_then(|u| s.user_json(cfg, u));
    Some(fixtures::channel(c, recipient))
}

fn commands(inner: &Inner, method: &str, app: u64, guild: Option<u64>, body: Value) -> Answer {
    if app != inner.config.app_id {
        return Answer::error(404, 10002, "Unknown Application");
    }
    if let Some(g) = guild {
        if inner.read(|s| s.guild(g).is_none()) {
            return Answer::missing_access();
        }
    }
    match method {
        "GET" => Answer::ok(Value::Array(
            inner.read(|s| s.commands.get(&guild).cloned().unwrap_or_default()),
        )),
        "PUT" => {
            let Some(list) = body.as_array() else {
                return Answer::invalid_body("expected an array of commands");
            };
            if let Some(bad) = list.iter().find(|c| c["name"].as_str().is_none()) {
                return Answer::invalid_body(&format!("command without a name: {bad}"));
            }
            let registered: Vec<Value> = list
                .iter()
                .map(|c| register_command(inner, guild, c))
                .collect();
            inner.update(|s| {
                s.commands.insert(guild, registered.clone());
                s.command_puts += 1;
            });
            Answer::ok(Value::Array(registered))
        }
        "POST" => {
            if body["name"].as_str().is_none() {
                return Answer::invalid_body("command without a name");
            }
            let cmd = register_command(inner, guild, &body);
            inner.update(|s| {
                let set = s.commands.entry(guild).or_default();
                set.retain(|c| c["name"] != cmd["name"]);
                set.push(cmd.clone());
            });
            Answer::created(cmd)
        }
        _ => Answer::unknown_route(),
    }
}

/// Echoes a command with the fields Discord adds; the id is stable per name.
fn register_command(inner: &Inner, guild: Option<u64>, body: &Value) -> Value {
    let name = body["name"].as_str().unwrap_or_default().to_string();
    let fresh = inner.next_id();
    let id = inner.update(|s| *s.command_ids.entry((guild, name)).or_insert(fresh));
    let mut cmd = json!({
        "type": 1,
        "description": "",
        "default_member_permissions": null,
        "dm_permission": true,
        "nsfw": false,
        "options": [],
    });
    if let (Some(o), Some(b)) = (cmd.as_object_mut(), body.as_object()) {
        o.extend(b.clone());
        o.insert("id".into(), json!(id.to_string()));
        o.insert(
            "application_id".into(),
            json!(inner.config.app_id.to_string()),
        );
        o.insert("version".into(), json!(inner.next_id().to_string()));
        if let Some(g) = guild {
            o.insert("guild_id".into(), json!(g.to_string()));
        }
    }
    cmd
}

/// A new message by the bot from a create body (JSON or `payload_json`).
fn build_message(
    s: &State,
    cfg: &FakeConfig,
    id: u64,
    channel_id: u64,
    interaction_id: Option<u64>,
    body: &Value,
    files: Vec<FilePart>,
) -> PostedMessage {
    let guild_id = s.channels.get(&channel_id).and_then(|c| c.guild_id);
    let mut m = PostedMessage {
        interaction_id,
        ..PostedMessage::new(id, channel_id, guild_id, fixtures::bot_user(cfg), "")
    };
    apply_fields(s, cfg, &mut m, body, files);
    m
}

/// Applies the fields a create or edit body carries; absent fields stay.
fn apply_fields(
    s: &State,
    cfg: &FakeConfig,
    m: &mut PostedMessage,
    body: &Value,
    files: Vec<FilePart>,
) {
    if let Some(content) = body.get("content") {
        m.content = content.as_str().unwrap_or_default().to_string();
        m.mentions = fixtures::parse_user_mentions(&m.content)
            .into_iter()
            .filter_map(|u| s.user_json(cfg, u))
            .collect();
    }
    if let Some(embeds) = body.get("embeds") {
        m.embeds = embeds.as_array().cloned().unwrap_or_default();
    }
    if let Some(components) = body.get("components") {
        m.components = components.as_array().cloned().unwrap_or_default();
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        // Ephemerality is fixed when a message is created.
        m.flags = (m.flags & EPHEMERAL) | flags;
    }
    if let Some(am) = body.get("allowed_mentions") {
        m.allowed_mentions = Some(am.clone());
    }
    if let Some(r) = body.get("message_reference") {
        m.message_reference = Some(r.clone());
    }
    if !files.is_empty() {
        m.files = files;
    } else if body
        .get("attachments")
        .and_then(Value::as_array)
        .is_some_and(|a| a.is_empty())
    {
        m.files.clear();
    }
}

fn edit_message(
    s: &mut State,
    cfg: &FakeConfig,
    id: u64,
    body: &Value,
    files: Vec<FilePart>,
) -> Option<Value> {
    let mut m = s.messages.get(&id).filter(|m| !m.deleted)?.clone();
    apply_fields(s, cfg, &mut m, body, files);
    m.flags &= !LOADING;
    m.edits += 1;
    m.edited_timestamp = Some(fixtures::now());
    let json = m.to_json();
    s.messages.insert(id, m);
    Some(json)
}

fn callback(inner: &Inner, id: u64, token: &str, body: Value, files: Vec<FilePart>) -> Answer {
    let Some(kind) = body["type"].as_u64() else {
        return Answer::invalid_body("type is required");
    };
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let cfg = &inner.config;
    let new_id = inner.next_id();
    inner.update(|s| {
        let Some(rec) = s
            .interactions
            .get(&id)
            .filter(|r| r.token == token)
            .cloned()
        else {
            return Answer::error(404, 10062, "Unknown interaction");
        };
        if rec.callback_kind().is_some() {
            return Answer::error(400, 40060, "Interaction has already been acknowledged.");
        }
        // Discord (Receiving and Responding, "Interaction Callback Type"): MODAL is "not
        // available for MODAL_SUBMIT and PING interactions".
        if kind == 9 && rec.kind == 5 {
            return Answer::invalid_body("a modal cannot answer a modal submission");
        }
        let original = match kind {
            4 => {
                let mut m = build_message(
                    s,
                    cfg,
                    new_id,
                    rec.channel_id,
                    Some(id),
                    &data,
                    files.clone(),
                );
                m.flags &= !LOADING;
                s.messages.insert(new_id, m);
                Some(new_id)
            }
            5 => {
                let flags = (data["flags"].as_u64().unwrap_or(0) & EPHEMERAL) | LOADING;
                let m = build_message(
                    s,
                    cfg,
                    new_id,
                    rec.channel_id,
                    Some(id),
                    &json!({ "flags": flags }),
                    Vec::new(),
                );
                s.messages.insert(new_id, m);
                Some(new_id)
            }
            6 => rec.message_id,
            7 => {
                let Some(msg) = rec.message_id else {
                    return Answer::error(400, 40004, "Interaction has no message");
                };
                // Updating the message is editing it, which an archived thread refuses; the
                // interaction stays unacknowledged, so the bot can still answer with type 4.
                if in_archived_thread(s, msg) {
                    return Answer::thread_archived();
                }
                edit_message(s, cfg, msg, &data, files.clone());
                Some(msg)
            }
            1 | 8 | 9 | 10 | 12 => None,
            _ => return Answer::invalid_body("unknown interaction callback type"),
        };
        if let Some(rec) = s.interactions.get_mut(&id) {
            rec.original = original;
            rec.responses
                .push(InteractionResponse::Callback { kind, data, files });
        }
        Answer::no_content()
    })
}

fn followup(inner: &Inner, token: &str, body: Value, files: Vec<FilePart>) -> Answer {
    let cfg = &inner.config;
    let new_id = inner.next_id();
    inner.update(|s| {
        let Some(rec) = s.interaction_by_token(token).cloned() else {
            return Answer::error(404, 10015, "Unknown Webhook");
        };
        if rec.callback_kind().is_none() {
            // Discord rejects follow-ups before the interaction is acknowledged.
            return Answer::error(404, 10015, "Unknown Webhook");
        }
        let m = build_message(
            s,
            cfg,
            new_id,
            rec.channel_id,
            Some(rec.id),
            &body,
            files.clone(),
        );
        let json = m.to_json();
        s.messages.insert(new_id, m);
        if let Some(r) = s.interactions.get_mut(&rec.id) {
            r.responses.push(InteractionResponse::Followup {
                message_id: new_id,
                body,
                files,
            });
        }
        Answer::ok(json)
    })
}

fn webhook_message(
    inner: &Inner,
    method: &str,
    token: &str,
    which: &str,
    body: Value,
    files: Vec<FilePart>,
) -> Answer {
    let cfg = &inner.config;
    inner.update(|s| {
        let Some(rec) = s.interaction_by_token(token).cloned() else {
            return Answer::error(404, 10015, "Unknown Webhook");
        };
        let target = if which == "@original" {
            rec.original
        } else {
            let id = num(which);
            s.messages
                .get(&id)
                .filter(|m| m.interaction_id == Some(rec.id) || rec.original == Some(id))
                .map(|m| m.id)
        };
        let Some(target) = target.filter(|t| s.messages.get(t).is_some_and(|m| !m.deleted)) else {
            return Answer::unknown_message();
        };
        match method {
            "GET" => Answer::ok(s.messages[&target].to_json()),
            // After a type 6 defer, `@original` is the button's message: editing it in an
            // archived thread is refused like any edit there.
            "PATCH" if rec.message_id == Some(target) && in_archived_thread(s, target) => {
                Answer::thread_archived()
            }
            "PATCH" => {
                let Some(json) = edit_message(s, cfg, target, &body, files.clone()) else {
                    return Answer::unknown_message();
                };
                if rec.original == Some(target) {
                    if let Some(r) = s.interactions.get_mut(&rec.id) {
                        r.responses
                            .push(InteractionResponse::EditOriginal { body, files });
                    }
                }
                Answer::ok(json)
            }
            "DELETE" => {
                if let Some(m) = s.messages.get_mut(&target) {
                    m.deleted = true;
                }
                Answer::no_content()
            }
            _ => Answer::unknown_route(),
        }
    })
}

fn create_message(inner: &Inner, channel_id: u64, body: Value, files: Vec<FilePart>) -> Answer {
    let cfg = &inner.config;
    let new_id = inner.next_id();
    inner.update(|s| {
        let Some(channel) = s.channels.get(&channel_id).cloned() else {
            return Answer::unknown_channel();
        };
        if let Some(user) = channel.recipient {
            if s.any_member(user).is_some_and(|m| m.dms_closed) {
                return Answer::error(403, 50007, "Cannot send messages to this user");
            }
        }
        let empty = body["content"].as_str().unwrap_or_default().is_empty()
            && body["embeds"].as_array().is_none_or(|e| e.is_empty())
            && body["components"].as_array().is_none_or(|c| c.is_empty())
            && body["sticker_ids"].is_null()
            && files.is_empty();
        if empty {
            return Answer::error(400, 50006, "Cannot send an empty message");
        }
        // Threads topic: "Sending a message will automatically unarchive the thread, unless
        // the thread has been locked by a moderator." Unarchiving needs a free active slot.
        let unarchives = channel.is_thread() && channel.archived;
        if unarchives {
            if channel.locked {
                return Answer::thread_archived();
            }
            if at_thread_cap(s, cfg, channel.guild_id) {
                return Answer::thread_cap_reached();
            }
        }
        let m = build_message(s, cfg, new_id, channel_id, None, &body, files);
        if channel.is_private_thread() {
            // An @mention by the thread's creator adds that member to a private thread.
            let mentioned: Vec<u64> = m
                .mentioned_ids()
                .into_iter()
                .filter(|u| mention_allowed(m.allowed_mentions.as_ref(), *u))
                .filter(|u| {
                    channel
                        .guild_id
                        .and_then(|g| s.guild(g))
                        .is_some_and(|g| g.member(*u).is_some())
                })
                .collect();
            if let Some(c) = s.channels.get_mut(&channel_id) {
                for u in mentioned {
                    if !c.members.contains(&u) {
                        c.members.push(u);
                    }
                }
            }
        }
        if unarchives {
            if let Some(c) = s.channels.get_mut(&channel_id) {
                c.archived = false;
            }
        }
        let json = m.to_json();
        s.messages.insert(new_id, m);
        Answer::ok(json)
    })
}

/// Whether the guild already has as many active threads as [`FakeConfig::active_thread_cap`].
fn at_thread_cap(s: &State, cfg: &FakeConfig, guild: Option<u64>) -> bool {
    guild.is_some_and(|g| s.active_thread_count(g) >= cfg.active_thread_cap)
}

/// Whether a channel is a thread that is archived (see [`Answer::thread_archived`]).
fn archived_thread(s: &State, channel_id: u64) -> bool {
    s.channels
        .get(&channel_id)
        .is_some_and(|c| c.is_thread() && c.archived)
}

/// Whether a (non-ephemeral) message sits in an archived thread.
fn in_archived_thread(s: &State, message_id: u64) -> bool {
    s.messages
        .get(&message_id)
        .is_some_and(|m| !m.ephemeral() && archived_thread(s, m.channel_id))
}

fn mention_allowed(allowed: Option<&Value>, user: u64) -> bool {
    let Some(am) = allowed else { return true };
    let parse_users = am["parse"]
        .as_array()
        .is_some_and(|p| p.iter().any(|v| v == "users"));
    let listed = am["users"].as_array().is_some_and(|l| {
        l.iter()
            .any(|v| v.as_str() == Some(&user.to_string()) || v.as_u64() == Some(user))
    });
    parse_users || listed
}

fn list_messages(inner: &Inner, channel_id: u64, query: &str) -> Answer {
    let limit = query_param(query, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50usize);
    inner.read(|s| {
        if !s.channels.contains_key(&channel_id) {
            return Answer::unknown_channel();
        }
        let list: Vec<Value> = s
            .live_messages()
            .filter(|m| m.channel_id == channel_id)
            .rev()
            .take(limit)
            .map(PostedMessage::to_json)
            .collect();
        Answer::ok(Value::Array(list))
    })
}

fn channel_message(
    inner: &Inner,
    method: &str,
    channel_id: u64,
    id: u64,
    body: Value,
    files: Vec<FilePart>,
) -> Answer {
    let cfg = &inner.config;
    inner.update(|s| {
        if !s
            .messages
            .get(&id)
            .is_some_and(|m| !m.deleted && m.channel_id == channel_id)
        {
            return Answer::unknown_message();
        }
        match method {
            "GET" => Answer::ok(s.messages[&id].to_json()),
            // Deleting is the one thing Discord still allows in an archived thread.
            "PATCH" if archived_thread(s, channel_id) => Answer::thread_archived(),
            "PATCH" => edit_message(s, cfg, id, &body, files)
                .map_or_else(Answer::unknown_message, Answer::ok),
            "DELETE" => {
                if let Some(m) = s.messages.get_mut(&id) {
                    m.deleted = true;
                }
                Answer::no_content()
            }
            _ => Answer::unknown_route(),
        }
    })
}

fn react(inner: &Inner, method: &str, channel_id: u64, id: u64, emoji: &str) -> Answer {
    inner.update(|s| {
        if method == "PUT" && archived_thread(s, channel_id) {
            return Answer::thread_archived();
        }
        let Some(m) = s
            .messages
            .get_mut(&id)
            .filter(|m| !m.deleted && m.channel_id == channel_id)
        else {
            return Answer::unknown_message();
        };
        let present = m.reactions.iter().any(|e| e == emoji);
        match method {
            "PUT" if !present => m.reactions.push(emoji.to_string()),
            "DELETE" => m.reactions.retain(|e| e != emoji),
            _ => {}
        }
        Answer::no_content()
    })
}

fn create_thread(inner: &Inner, parent: u64, from_message: Option<u64>, body: &Value) -> Answer {
    let Some(name) = body["name"]
        .as_str()
        .filter(|n| !n.is_empty() && n.chars().count() <= 100)
    else {
        return Answer::invalid_body("name must be 1-100 characters");
    };
    let kind = match from_message {
        Some(_) => channel_kind::PUBLIC_THREAD,
        None => body["type"]
            .as_u64()
            .map_or(channel_kind::PRIVATE_THREAD, |t| t as u8),
    };
    if !matches!(kind, 10..=12) {
        return Answer::invalid_body("type must be a thread type");
    }
    let id = from_message.unwrap_or_else(|| inner.next_id());
    let bot = inner.config.bot_user_id;
    inner.update(|s| {
        let Some(parent) = s
            .channels
            .get(&parent)
            .filter(|c| c.kind == channel_kind::TEXT)
            .cloned()
        else {
            return Answer::unknown_channel();
        };
        if let Some(m) = from_message {
            if !s
                .messages
                .get(&m)
                .is_some_and(|m| m.channel_id == parent.id && !m.deleted)
            {
                return Answer::unknown_message();
            }
            if s.channels.contains_key(&m) {
                return Answer::error(
                    400,
                    160004,
                    "A thread has already been created for this message",
                );
            }
        }
        if at_thread_cap(s, &inner.config, parent.guild_id) {
            return Answer::thread_cap_reached();
        }
        let thread = ChannelInfo {
            id,
            kind,
            guild_id: parent.guild_id,
            name: name.to_string(),
            parent_id: Some(parent.id),
            owner_id: Some(bot),
            invitable: kind == channel_kind::PRIVATE_THREAD
                && body["invitable"].as_bool().unwrap_or(true),
            archived: false,
            locked: false,
            auto_archive_duration: body["auto_archive_duration"].as_u64().unwrap_or(4320),
            created_at: fixtures::now(),
            recipient: None,
            members: vec![bot],
        };
        let json = fixtures::thread(&thread);
        s.channels.insert(id, thread);
        Answer::created(json)
    })
}

/// `GET /guilds/{g}/threads/active`. Discord (Threads topic, "Enumerating threads"): it
/// "returns all active threads in a guild that the current user can access, includes public
/// & private threads"; the Guild resource adds that they are "ordered by their id, in
/// descending order" and that `members` has "a thread member object for each returned thread
/// the current user has joined". Threads others made count too (see
/// [`State::bot_can_view_thread`] for which private ones the bot sees).
fn active_threads(inner: &Inner, guild: u64) -> Answer {
    let cfg = &inner.config;
    let bot = cfg.bot_user_id;
    inner.read(|s| {
        if s.guild(guild).is_none() {
            return Answer::error(404, 10004, "Unknown Guild");
        }
        let threads: Vec<&ChannelInfo> = s
            .channels
            .values()
            .rev()
            .filter(|c| c.guild_id == Some(guild) && c.is_thread() && !c.archived)
            .filter(|c| State::bot_can_view_thread(c, cfg))
            .collect();
        let members: Vec<Value> = threads
            .iter()
            .filter(|c| c.members.contains(&bot))
            .map(|c| {
                json!({
                    "id": c.id.to_string(),
                    "user_id": bot.to_string(),
                    "join_timestamp": c.created_at,
                    "flags": 0,
                })
            })
            .collect();
        Answer::ok(json!({
            "threads": threads.iter().map(|c| fixtures::thread(c)).collect::<Vec<_>>(),
            "members": members,
        }))
    })
}

/// `PATCH /channels/{id}`. Un-archiving a thread (`archived: false`) makes it active again,
/// so Discord refuses it with 160006 when the guild is at its active-thread cap; archiving
/// frees a slot (Threads topic, "Active & Archived Threads").
fn modify_channel(inner: &Inner, id: u64, body: &Value) -> Answer {
    let cfg = &inner.config;
    inner.update(|s| {
        let Some(current) = s.channels.get(&id) else {
            return Answer::unknown_channel();
        };
        let unarchive = current.is_thread()
            && current.archived
            && (body["archived"] == false || body["thread_metadata"]["archived"] == false);
        if unarchive && at_thread_cap(s, cfg, current.guild_id) {
            return Answer::thread_cap_reached();
        }
        // An archived thread takes no change but being unarchived (Threads topic: archived
        // threads cannot be edited; 50083 "Tried to perform an operation on an archived
        // thread"), so a rename has to unarchive it first.
        let archived = current.is_thread() && current.archived;
        if archived && !unarchive && body.get("name").is_some() {
            return Answer::thread_archived();
        }
        let Some(c) = s.channels.get_mut(&id) else {
            return Answer::unknown_channel();
        };
        if let Some(name) = body["name"].as_str() {
            c.name = name.to_string();
        }
        let meta = |key: &str| {
            body.get(key)
                .or_else(|| body["thread_metadata"].get(key))
                .and_then(Value::as_bool)
        };
        if let Some(v) = meta("archived") {
            c.archived = v;
        }
        if let Some(v) = meta("locked") {
            c.locked = v;
        }
        if let Some(v) = meta("invitable") {
            c.invitable = v;
        }
        channel_json(s, cfg, id).map_or_else(Answer::unknown_channel, Answer::ok)
    })
}

fn thread_member(inner: &Inner, method: &str, thread: u64, user: u64) -> Answer {
    let bot = inner.config.bot_user_id;
    inner.update(|s| {
        let Some(c) = s.channels.get(&thread).filter(|c| c.is_thread()).cloned() else {
            return Answer::unknown_channel();
        };
        let is_member = user == bot
            || c.guild_id
                .and_then(|g| s.guild(g))
                .is_some_and(|g| g.member(user).is_some());
        if !is_member {
            return Answer::unknown_member();
        }
        if method == "PUT" && c.archived {
            return Answer::thread_archived();
        }
        if let Some(c) = s.channels.get_mut(&thread) {
            match method {
                "PUT" if !c.members.contains(&user) => c.members.push(user),
                "DELETE" => c.members.retain(|u| *u != user),
                _ => {}
            }
        }
        Answer::no_content()
    })
}

fn create_dm(inner: &Inner, body: &Value) -> Answer {
    let user = body["recipient_id"]
        .as_str()
        .map(num)
        .or_else(|| body["recipient_id"].as_u64())
        .unwrap_or(0);
    let cfg = &inner.config;
    let new_id = inner.next_id();
    inner.update(|s| {
        if s.user_json(cfg, user).is_none() || user == cfg.bot_user_id {
            return Answer::error(400, 50033, "Invalid Recipient(s)");
        }
        let id = s.dm_channel_for(user, new_id).id;
        channel_json(s, cfg, id).map_or_else(Answer::unknown_channel, Answer::ok)
    })
}

fn list_members(inner: &Inner, guild: u64, query: &str) -> Answer {
    let limit = query_param(query, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1usize)
        .min(1000);
    let after = query_param(query, "after").map(num).unwrap_or(0);
    let cfg = &inner.config;
    inner.read(|s| {
        let Some(g) = s.guild(guild) else {
            return Answer::error(404, 10004, "Unknown Guild");
        };
        let mut all: Vec<(u64, Value)> = g
            .members
            .iter()
            .map(|m| (m.user_id, fixtures::member(m)))
            .collect();
        all.push((cfg.bot_user_id, fixtures::bot_member(cfg)));
        all.sort_by_key(|(id, _)| *id);
        Answer::ok(Value::Array(
            all.into_iter()
                .filter(|(id, _)| *id > after)
                .take(limit)
                .map(|(_, v)| v)
                .collect(),
        ))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON body, or a multipart body (serenity's uploads): `payload_json`
/// becomes the body and every part with a filename a [`FilePart`].
pub(crate) fn parse_body(
    content_type: Option<&str>,
    bytes: &[u8],
) -> (Option<Value>, Vec<FilePart>) {
    if bytes.is_empty() {
        return (None, Vec::new());
    }
    let boundary = content_type
        .filter(|ct| ct.starts_with("multipart/"))
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
                .map(|b| b.trim_matches('"').to_string())
        });
    let Some(boundary) = boundary else {
        let body = serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()));
        return (Some(body), Vec::new());
    };
    let mut body = None;
    let mut files = Vec::new();
    for (headers, content) in split_multipart(bytes, &boundary) {
        let param = |name: &str| {
            headers
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))
                .and_then(|l| {
                    l.split(';').find_map(|p| {
                        p.trim()
                            .strip_prefix(&format!("{name}=\""))
                            .map(|v| v.trim_end_matches('"').to_string())
                    })
                })
        };
        let content_type = headers.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.trim().to_string())
        });
        let field = param("name").unwrap_or_default();
        match param("filename") {
            Some(filename) => files.push(FilePart {
                field,
                filename,
                content_type,
                bytes: content,
            }),
            None if field == "payload_json" => body = serde_json::from_slice(&content).ok(),
            None => {}
        }
    }
    (body, files)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits `--boundary\r\n<headers>\r\n\r\n<content>\r\n--boundary...--`.
fn split_multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let first = format!("--{boundary}");
    let between = format!("\r\n--{boundary}");
    let mut parts = Vec::new();
    let Some(start) = find(body, first.as_bytes()) else {
        return parts;
    };
    let mut rest = &body[start + first.len()..];
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let Some(end) = find(rest, between.as_bytes()) else {
            break;
        };
        let part = &rest[..end];
        if let Some(split) = find(part, b"\r\n\r\n") {
            parts.push((
                String::from_utf8_lossy(&part[..split]).into_owned(),
                part[split + 4..].to_vec(),
            ));
        }
        rest = &rest[end + between.len()..];
    }
    parts
}
