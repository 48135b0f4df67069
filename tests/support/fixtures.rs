//! The JSON shapes the fake sends, built to parse into serenity 0.12 types.
//! `tests/fake_discord.rs` parses each one through serenity, because a
//! missing field in a dispatch silently turns it into `Event::Unknown`.

use serde_json::{json, Value};

use super::config::{FakeChannel, FakeConfig, FakeGuild, FakeMember, FakeRole};
use super::state::{ChannelInfo, FilePart, PostedMessage};

/// Message flag: only the invoking user sees it.
pub const EPHEMERAL: u64 = 1 << 6;
/// Message flag: a deferred interaction response still "thinking".
pub const LOADING: u64 = 1 << 7;
/// A fixed timestamp for things that existed before the test.
pub const FIXED_PAST: &str = "2024-09-01T12:00:00.000000+00:00";

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

fn id(v: u64) -> Value {
    Value::String(v.to_string())
}

fn ids(v: &[u64]) -> Value {
    Value::Array(v.iter().map(|i| id(*i)).collect())
}

pub fn user(user_id: u64, username: &str, global_name: Option<&str>, bot: bool) -> Value {
    json!({
        "id": id(user_id),
        "username": username,
        "global_name": global_name,
        "discriminator": "0",
        "avatar": null,
        "bot": bot,
        "public_flags": 0,
    })
}

pub fn member_user(m: &FakeMember) -> Value {
    user(m.user_id, &m.username, m.global_name.as_deref(), m.bot)
}

/// The bot's own user, as `GET /users/@me` and READY carry it.
pub fn bot_user(config: &FakeConfig) -> Value {
    let mut u = user(config.bot_user_id, &config.bot_name, None, true);
    u["verified"] = json!(true);
    u["mfa_enabled"] = json!(false);
    u["flags"] = json!(0);
    u
}

pub fn member(m: &FakeMember) -> Value {
    json!({
        "user": member_user(m),
        "nick": m.nick,
        "avatar": null,
        "roles": ids(&m.roles),
        "joined_at": m.joined_at,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
    })
}

/// The bot as a member of every guild it is in.
pub fn bot_member(config: &FakeConfig) -> Value {
    let mut m = member(&FakeMember::new(config.bot_user_id, &config.bot_name).bot());
    m["user"] = bot_user(config);
    m
}

/// A member inside an interaction: the member object plus its permissions.
pub fn interaction_member(m: &FakeMember, permissions: u64) -> Value {
    let mut v = member(m);
    v["permissions"] = json!(permissions.to_string());
    v
}

/// `data.resolved.members` entries carry no `user` (it is in `resolved.users`).
pub fn resolved_member(m: &FakeMember, permissions: u64) -> Value {
    let mut v = interaction_member(m, permissions);
    v.as_object_mut().map(|o| o.remove("user"));
    v
}

pub fn role(r: &FakeRole) -> Value {
    json!({
        "id": id(r.id),
        "name": r.name,
        "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": r.position,
        "permissions": r.permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
    })
}

pub fn config_channel(guild_id: u64, c: &FakeChannel) -> Value {
    json!({
        "id": id(c.id),
        "type": c.kind,
        "guild_id": id(guild_id),
        "name": c.name,
        "position": 0,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": c.parent_id.map(id),
        "flags": 0,
    })
}

/// Any channel the fake knows, as `GET /channels/{id}` returns it.
pub fn channel(c: &ChannelInfo, recipient: Option<Value>) -> Value {
    match c.kind {
        1 => json!({
            "id": id(c.id),
            "type": 1,
            "last_message_id": null,
            "recipients": [recipient.unwrap_or(Value::Null)],
            "flags": 0,
        }),
        10..=12 => thread(c),
        _ => {
            let mut v = config_channel(
                c.guild_id.unwrap_or_default(),
                &FakeChannel {
                    id: c.id,
                    name: c.name.clone(),
                    kind: c.kind,
                    parent_id: c.parent_id,
                },
            );
            v["type"] = json!(c.kind);
            v
        }
    }
}

pub fn thread(c: &ChannelInfo) -> Value {
    json!({
        "id": id(c.id),
        "type": c.kind,
        "guild_id": c.guild_id.map(id),
        "parent_id": c.parent_id.map(id),
        "owner_id": c.owner_id.map(id),
        "name": c.name,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": c.members.len(),
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": c.archived,
            "auto_archive_duration": c.auto_archive_duration,
            "archive_timestamp": c.created_at,
            "locked": c.locked,
            "invitable": c.invitable,
            "create_timestamp": c.created_at,
        },
    })
}

/// `data.resolved.channels` entries: a partial channel with permissions.
pub fn resolved_channel(c: &ChannelInfo, permissions: u64) -> Value {
    let mut v = json!({
        "id": id(c.id),
        "name": c.name,
        "type": c.kind,
        "permissions": permissions.to_string(),
        "parent_id": c.parent_id.map(id),
    });
    if c.is_thread() {
        v["thread_metadata"] = thread(c)["thread_metadata"].clone();
    }
    v
}

/// The guild object of `GET /guilds/{id}`.
pub fn guild(g: &FakeGuild) -> Value {
    json!({
        "id": id(g.id),
        "name": g.name,
        "icon": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": id(g.owner_id),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": g.roles.iter().map(role).collect::<Vec<_>>(),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
    })
}

/// GUILD_CREATE: the guild plus the gateway-only fields.
pub fn guild_create(config: &FakeConfig, g: &FakeGuild, threads: &[&ChannelInfo]) -> Value {
    let mut members: Vec<Value> = g.members.iter().map(member).collect();
    members.push(bot_member(config));
    let mut v = guild(g);
    let extra = json!({
        "joined_at": FIXED_PAST,
        "large": members.len() > 250,
        "unavailable": false,
        "member_count": members.len(),
        "voice_states": [],
        "members": members,
        "channels": g.channels.iter().map(|c| config_channel(g.id, c)).collect::<Vec<_>>(),
        "threads": threads.iter().map(|t| thread(t)).collect::<Vec<_>>(),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    v
}

pub fn ready(config: &FakeConfig, session_id: &str, resume_gateway_url: &str) -> Value {
    json!({
        "v": 10,
        "user": bot_user(config),
        "guilds": config.guilds.iter().map(|g| json!({"id": id(g.id), "unavailable": true})).collect::<Vec<_>>(),
        "session_id": session_id,
        "resume_gateway_url": resume_gateway_url,
        "shard": [0, 1],
        "application": { "id": id(config.app_id), "flags": 0 },
    })
}

/// `GET /oauth2/applications/@me`; poise reads the owner at start-up.
pub fn application_info(config: &FakeConfig, owner: Value) -> Value {
    json!({
        "id": id(config.app_id),
        "name": config.bot_name,
        "icon": null,
        "description": "",
        "bot_public": true,
        "bot_require_code_grant": false,
        "owner": owner,
        "team": null,
        "verify_key": "0".repeat(64),
        "flags": 0,
        "summary": "",
        "bot": bot_user(config),
    })
}

pub fn member_add(guild_id: u64, m: &FakeMember) -> Value {
    let mut v = member(m);
    v["guild_id"] = id(guild_id);
    v
}

pub fn member_remove(guild_id: u64, user: Value) -> Value {
    json!({ "guild_id": id(guild_id), "user": user })
}

pub fn frame(seq: u64, event: &str, data: Value) -> Value {
    json!({ "op": 0, "s": seq, "t": event, "d": data })
}

pub fn hello(heartbeat_interval_ms: u64) -> Value {
    json!({ "op": 10, "s": null, "t": null, "d": { "heartbeat_interval": heartbeat_interval_ms } })
}

pub fn heartbeat_ack() -> Value {
    json!({ "op": 11, "s": null, "t": null, "d": null })
}

pub fn invalid_session(resumable: bool) -> Value {
    json!({ "op": 9, "s": null, "t": null, "d": resumable })
}

pub fn reconnect() -> Value {
    json!({ "op": 7, "s": null, "t": null, "d": null })
}

/// `{"message", "code"}` as Discord answers failed calls.
pub fn discord_error(code: u64, message: &str) -> Value {
    json!({ "message": message, "code": code })
}

pub fn attachment(channel_id: u64, attachment_id: u64, f: &FilePart) -> Value {
    let url = format!(
        "https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{}",
        f.filename
    );
    json!({
        "id": id(attachment_id),
        "filename": f.filename,
        "size": f.bytes.len(),
        "url": url,
        "proxy_url": url,
        "content_type": f.content_type,
        "height": null,
        "width": null,
        "ephemeral": false,
    })
}

pub fn message(m: &PostedMessage) -> Value {
    let mut v = json!({
        "id": id(m.id),
        "channel_id": id(m.channel_id),
        "author": m.author,
        "content": m.content,
        "timestamp": m.timestamp,
        "edited_timestamp": m.edited_timestamp,
        "tts": false,
        "mention_everyone": false,
        "mentions": m.mentions,
        "mention_roles": [],
        "attachments": m.files.iter().enumerate()
            .map(|(n, f)| attachment(m.channel_id, m.id + n as u64 + 1, f)).collect::<Vec<_>>(),
        "embeds": m.embeds,
        "reactions": m.reactions.iter().map(|e| reaction(e)).collect::<Vec<_>>(),
        "pinned": false,
        "type": if m.message_reference.is_some() { 19 } else { 0 },
        "flags": m.flags,
        "components": m.components,
    });
    if let Some(g) = m.guild_id {
        v["guild_id"] = id(g);
    }
    if let Some(r) = &m.message_reference {
        v["message_reference"] = r.clone();
    }
    if m.interaction_id.is_some() {
        // Interaction responses are sent through the application's webhook.
        v["webhook_id"] = m.author["id"].clone();
        v["application_id"] = m.author["id"].clone();
    }
    v
}

fn reaction(emoji: &str) -> Value {
    let emoji = match emoji.split_once(':') {
        Some((name, eid)) => json!({ "id": eid, "name": name }),
        None => json!({ "id": null, "name": emoji }),
    };
    json!({
        "count": 1,
        "count_details": { "burst": 0, "normal": 1 },
        "me": true,
        "me_burst": false,
        "burst_colors": [],
        "emoji": emoji,
    })
}

/// `<@123>` and `<@!123>` in message text.
pub fn parse_user_mentions(content: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for piece in content.split("<@").skip(1) {
        let piece = piece.strip_prefix('!').unwrap_or(piece);
        if let Some((digits, _)) = piece.split_once('>') {
            if let Ok(n) = digits.parse::<u64>() {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}
