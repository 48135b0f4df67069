//! What a user does in Discord's UI, as INTERACTION_CREATE payloads: slash
//! commands (guild or DM), autocomplete, button or select clicks, and submissions of
//! the modals the bot opened.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::config::{ids, FakeConfig};
use super::fixtures;
use super::state::{InteractionRecord, InteractionResponse, State};

/// Discord's default upload limit (25 MiB), which serenity requires.
const ATTACHMENT_SIZE_LIMIT: u64 = 25 * 1024 * 1024;

/// A slash-command option value. `User`, `Channel` and `Role` carry ids and
/// get `data.resolved` entries, as Discord sends them.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    User(u64),
    Channel(u64),
    Role(u64),
}

impl From<&str> for OptionValue {
    fn from(v: &str) -> Self {
        Self::Str(v.to_string())
    }
}

impl From<String> for OptionValue {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}

impl From<i64> for OptionValue {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<i32> for OptionValue {
    fn from(v: i32) -> Self {
        Self::Int(v.into())
    }
}

impl From<f64> for OptionValue {
    fn from(v: f64) -> Self {
        Self::Num(v)
    }
}

impl From<bool> for OptionValue {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl OptionValue {
    fn kind(&self) -> u8 {
        match self {
            Self::Str(_) => 3,
            Self::Int(_) => 4,
            Self::Bool(_) => 5,
            Self::User(_) => 6,
            Self::Channel(_) => 7,
            Self::Role(_) => 8,
            Self::Num(_) => 10,
        }
    }

    fn value(&self) -> Value {
        match self {
            Self::Str(s) => json!(s),
            Self::Int(i) => json!(i),
            Self::Num(n) => json!(n),
            Self::Bool(b) => json!(b),
            Self::User(id) | Self::Channel(id) | Self::Role(id) => json!(id.to_string()),
        }
    }
}

/// `/command [group] [subcommand] options...`, by a user, in a guild channel
/// or in a DM. Defaults: Ada, in the default guild's #general.
#[derive(Clone, Debug)]
pub struct SlashInvocation {
    pub command: String,
    pub group: Option<String>,
    pub subcommand: Option<String>,
    pub options: Vec<(String, OptionValue)>,
    /// Autocomplete: the option being typed and its partial text.
    pub focused: Option<(String, OptionValue)>,
    pub user: u64,
    /// `None` means a DM with the bot.
    pub guild: Option<u64>,
    /// Defaults to the guild's first text channel.
    pub channel: Option<u64>,
    /// Overrides the member's computed guild permissions.
    pub permissions: Option<u64>,
    pub locale: String,
}

impl SlashInvocation {
    pub fn new(command: &str) -> Self {
        Self {
            command: command.to_string(),
            group: None,
            subcommand: None,
            options: Vec::new(),
            focused: None,
            user: ids::ADA,
            guild: Some(ids::GUILD),
            channel: None,
            permissions: None,
            locale: "en-US".to_string(),
        }
    }

    pub fn sub(mut self, name: &str) -> Self {
        self.subcommand = Some(name.to_string());
        self
    }

    pub fn group(mut self, name: &str) -> Self {
        self.group = Some(name.to_string());
        self
    }

    pub fn opt(mut self, name: &str, value: impl Into<OptionValue>) -> Self {
        self.options.push((name.to_string(), value.into()));
        self
    }

    pub fn user_opt(self, name: &str, user_id: u64) -> Self {
        self.opt(name, OptionValue::User(user_id))
    }

    pub fn channel_opt(self, name: &str, channel_id: u64) -> Self {
        self.opt(name, OptionValue::Channel(channel_id))
    }

    pub fn role_opt(self, name: &str, role_id: u64) -> Self {
        self.opt(name, OptionValue::Role(role_id))
    }

    /// For autocomplete: the option being typed (sent as a string, as Discord does).
    pub fn focus(mut self, name: &str, partial: &str) -> Self {
        self.focused = Some((name.to_string(), OptionValue::Str(partial.to_string())));
        self
    }

    pub fn by(mut self, user_id: u64) -> Self {
        self.user = user_id;
        self
    }

    pub fn in_guild(mut self, guild_id: u64) -> Self {
        self.guild = Some(guild_id);
        self
    }

    pub fn in_channel(mut self, channel_id: u64) -> Self {
        self.channel = Some(channel_id);
        self
    }

    /// Invoked in the user's DM with the bot: no guild, no member.
    pub fn in_dm(mut self) -> Self {
        self.guild = None;
        self.channel = None;
        self
    }

    pub fn permissions(mut self, bits: u64) -> Self {
        self.permissions = Some(bits);
        self
    }

    pub fn locale(mut self, locale: &str) -> Self {
        self.locale = locale.to_string();
        self
    }
}

/// A click on a button (or a choice in a select menu) of a message the fake
/// stores, usually one the bot posted. Defaults to Ada clicking.
#[derive(Clone, Debug)]
pub struct ButtonClick {
    pub message_id: u64,
    pub custom_id: String,
    pub user: u64,
    /// Select menus: the chosen values (component type 3).
    pub values: Option<Vec<String>>,
}

impl ButtonClick {
    pub fn new(message_id: u64, custom_id: &str) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_string(),
            user: ids::ADA,
            values: None,
        }
    }

    pub fn by(mut self, user_id: u64) -> Self {
        self.user = user_id;
        self
    }

    pub fn select(mut self, values: &[&str]) -> Self {
        self.values = Some(values.iter().map(|v| v.to_string()).collect());
        self
    }
}

/// A member's submission of a modal the bot opened from a button on a stored message
/// (MODAL_SUBMIT, interaction type 5). Defaults to Ada. `fields` are the text inputs'
/// values by custom id; an input left out is sent empty, as Discord sends every input.
/// The fake checks the bot really opened that modal for that member on that message,
/// but not the inputs' lengths: a test can send what a client ignoring them would.
#[derive(Clone, Debug)]
pub struct ModalSubmit {
    pub message_id: u64,
    pub custom_id: String,
    pub user: u64,
    pub fields: Vec<(String, String)>,
}

impl ModalSubmit {
    pub fn new(message_id: u64, custom_id: &str) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_string(),
            user: ids::ADA,
            fields: Vec::new(),
        }
    }

    pub fn by(mut self, user_id: u64) -> Self {
        self.user = user_id;
        self
    }

    pub fn field(mut self, input_id: &str, value: &str) -> Self {
        self.fields.push((input_id.to_string(), value.to_string()));
        self
    }
}

/// Returned by `slash`/`click`/`autocomplete`; identifies the interaction's answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionHandle {
    pub id: u64,
    pub token: String,
}

/// Who acts and where: the parts shared by every interaction type.
struct Actor {
    guild_id: Option<u64>,
    channel_id: u64,
    fields: Map<String, Value>,
}

fn actor(
    s: &mut State,
    cfg: &FakeConfig,
    user: u64,
    guild: Option<u64>,
    channel: Option<u64>,
    permissions: Option<u64>,
    new_id: u64,
) -> Result<Actor, String> {
    let mut fields = Map::new();
    let app_permissions = cfg.bot_permissions.to_string();
    match guild {
        Some(gid) => {
            let g = s
                .guild(gid)
                .ok_or_else(|| format!("the fake has no guild {gid}"))?;
            let m = g
                .member(user)
                .ok_or_else(|| format!("user {user} is not a member of guild {gid}"))?;
            let perms = permissions.unwrap_or_else(|| g.permissions_of(user));
            let channel_id = channel
                .or_else(|| g.channels.iter().find(|c| c.kind == 0).map(|c| c.id))
                .ok_or_else(|| format!("guild {gid} has no text channel"))?;
            let c = s
                .channels
                .get(&channel_id)
                .ok_or_else(|| format!("the fake has no channel {channel_id}"))?;
            let mut partial = fixtures::resolved_channel(c, perms);
            partial["guild_id"] = json!(gid.to_string());
            fields.insert("guild_id".into(), json!(gid.to_string()));
            fields.insert("member".into(), fixtures::interaction_member(m, perms));
            fields.insert("channel".into(), partial);
            fields.insert("channel_id".into(), json!(channel_id.to_string()));
            fields.insert("guild_locale".into(), json!("en-US"));
            fields.insert("context".into(), json!(0));
            fields.insert(
                "authorizing_integration_owners".into(),
                json!({ "0": gid.to_string() }),
            );
            fields.insert("app_permissions".into(), json!(app_permissions));
            Ok(Actor {
                guild_id: Some(gid),
                channel_id,
                fields,
            })
        }
        None => {
            let user_json = s
                .user_json(cfg, user)
                .ok_or_else(|| format!("the fake knows no user {user}"))?;
            let channel_id = match channel {
                Some(c) => c,
                None => s.dm_channel_for(user, new_id).id,
            };
            fields.insert("user".into(), user_json.clone());
            fields.insert(
                "channel".into(),
                json!({ "id": channel_id.to_string(), "type": 1, "recipients": [user_json] }),
            );
            fields.insert("channel_id".into(), json!(channel_id.to_string()));
            fields.insert("context".into(), json!(1));
            fields.insert("authorizing_integration_owners".into(), json!({ "0": "0" }));
            fields.insert("app_permissions".into(), json!(app_permissions));
            Ok(Actor {
                guild_id: None,
                channel_id,
                fields,
            })
        }
    }
}

fn envelope(
    cfg: &FakeConfig,
    id: u64,
    token: &str,
    kind: u8,
    locale: &str,
    data: Value,
    actor: Actor,
) -> Value {
    let mut v = json!({
        "id": id.to_string(),
        "application_id": cfg.app_id.to_string(),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    });
    if let Some(o) = v.as_object_mut() {
        o.extend(actor.fields);
    }
    v
}

/// Builds INTERACTION_CREATE for a slash command (kind 2) or autocomplete
/// (kind 4) and the record the fake keeps to match the bot's answers.
pub(crate) fn command_interaction(
    s: &mut State,
    cfg: &FakeConfig,
    inv: &SlashInvocation,
    kind: u8,
    id: u64,
    fresh_id: u64,
) -> Result<(Value, InteractionRecord), String> {
    let token = format!("fake-interaction-token-{id}");
    let actor = actor(
        s,
        cfg,
        inv.user,
        inv.guild,
        inv.channel,
        inv.permissions,
        fresh_id,
    )?;

    let mut resolved = json!({});
    let mut leaves = Vec::new();
    for (name, value) in &inv.options {
        leaves.push(json!({ "name": name, "type": value.kind(), "value": value.value() }));
        resolve(s, &mut resolved, actor.guild_id, value)?;
    }
    if let Some((name, partial)) = &inv.focused {
        leaves.push(json!({ "name": name, "type": 3, "value": partial.value(), "focused": true }));
    }
    let options = match (&inv.group, &inv.subcommand) {
        (Some(group), Some(sub)) => {
            json!([{ "name": group, "type": 2, "options": [{ "name": sub, "type": 1, "options": leaves }] }])
        }
        (None, Some(sub)) => json!([{ "name": sub, "type": 1, "options": leaves }]),
        (Some(_), None) => return Err("a subcommand group needs a subcommand".into()),
        (None, None) => Value::Array(leaves),
    };
    let scope_id = s
        .commands
        .iter()
        .filter(|(scope, _)| scope.is_none() || **scope == actor.guild_id)
        .flat_map(|(_, list)| list.iter())
        .find(|c| c["name"] == inv.command.as_str())
        .and_then(|c| c["id"].as_str().map(str::to_string));
    let mut data = json!({
        "id": scope_id.unwrap_or_else(|| fresh_id.to_string()),
        "name": inv.command,
        "type": 1,
        "options": options,
        "resolved": resolved,
    });
    if let Some(g) = actor.guild_id {
        data["guild_id"] = json!(g.to_string());
    }
    let record = InteractionRecord {
        id,
        token: token.clone(),
        kind,
        channel_id: actor.channel_id,
        guild_id: actor.guild_id,
        user_id: inv.user,
        message_id: None,
        original: None,
        responses: Vec::new(),
        dispatched_at: Instant::now(),
    };
    Ok((
        envelope(cfg, id, &token, kind, &inv.locale, data, actor),
        record,
    ))
}

/// Adds `data.resolved` entries for user, channel and role options.
fn resolve(
    s: &State,
    resolved: &mut Value,
    guild: Option<u64>,
    value: &OptionValue,
) -> Result<(), String> {
    match value {
        OptionValue::User(u) => {
            let member = guild
                .and_then(|g| s.guild(g))
                .and_then(|g| g.member(*u).map(|m| (g, m)));
            let user = s
                .any_member(*u)
                .map(fixtures::member_user)
                .ok_or_else(|| format!("the fake knows no user {u}"))?;
            resolved["users"][u.to_string()] = user;
            if let Some((g, m)) = member {
                resolved["members"][u.to_string()] =
                    fixtures::resolved_member(m, g.permissions_of(*u));
            }
        }
        OptionValue::Channel(c) => {
            let channel = s
                .channels
                .get(c)
                .ok_or_else(|| format!("the fake has no channel {c}"))?;
            resolved["channels"][c.to_string()] =
                fixtures::resolved_channel(channel, everyone_permissions_in(s, channel.guild_id));
        }
        OptionValue::Role(r) => {
            let role = guild
                .and_then(|g| s.guild(g))
                .and_then(|g| g.roles.iter().find(|x| x.id == *r))
                .ok_or_else(|| format!("the guild has no role {r}"))?;
            resolved["roles"][r.to_string()] = fixtures::role(role);
        }
        _ => {}
    }
    Ok(())
}

/// The invoker's view of a resolved channel: @everyone's permissions.
fn everyone_permissions_in(s: &State, guild: Option<u64>) -> u64 {
    guild
        .and_then(|g| s.guild(g))
        .and_then(|g| g.roles.iter().find(|r| r.id == g.id))
        .map_or(0, |r| r.permissions)
}

/// Builds INTERACTION_CREATE type 3 for a click on a stored message.
pub(crate) fn component_interaction(
    s: &mut State,
    cfg: &FakeConfig,
    click: &ButtonClick,
    id: u64,
    fresh_id: u64,
) -> Result<(Value, InteractionRecord), String> {
    let token = format!("fake-interaction-token-{id}");
    let message = s
        .messages
        .get(&click.message_id)
        .filter(|m| !m.deleted)
        .cloned()
        .ok_or_else(|| format!("the fake has no message {}", click.message_id))?;
    let channel = s.channels.get(&message.channel_id).cloned();
    let guild = channel.as_ref().and_then(|c| c.guild_id);
    let actor = actor(
        s,
        cfg,
        click.user,
        guild,
        Some(message.channel_id),
        None,
        fresh_id,
    )?;
    let data = match &click.values {
        Some(values) => {
            json!({ "custom_id": click.custom_id, "component_type": 3, "values": values })
        }
        None => json!({ "custom_id": click.custom_id, "component_type": 2 }),
    };
    let mut v = envelope(cfg, id, &token, 3, "en-US", data, actor);
    v["message"] = message.to_json();
    let record = InteractionRecord {
        id,
        token,
        kind: 3,
        channel_id: message.channel_id,
        guild_id: guild,
        user_id: click.user,
        message_id: Some(message.id),
        original: None,
        responses: Vec::new(),
        dispatched_at: Instant::now(),
    };
    Ok((v, record))
}

/// The modal (a type 9 callback's `data`) the bot opened with `custom_id` for `user` from
/// a click on `message_id`, if it did.
fn opened_modal(s: &State, message_id: u64, user: u64, custom_id: &str) -> Option<Value> {
    s.interactions
        .values()
        .filter(|r| r.kind == 3 && r.message_id == Some(message_id) && r.user_id == user)
        .flat_map(|r| &r.responses)
        .find_map(|response| match response {
            InteractionResponse::Callback { kind: 9, data, .. }
                if data["custom_id"] == custom_id =>
            {
                Some(data.clone())
            }
            _ => None,
        })
}

/// The custom ids of a modal's text inputs (type 4), in order.
fn modal_inputs(modal: &Value) -> Vec<String> {
    modal["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == 4)
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// Builds INTERACTION_CREATE type 5 for a submission of a modal the bot opened. Discord
/// (Receiving and Responding, "Interaction Object"): `data` is the modal's `custom_id`
/// and its `components`, each text input in its own action row with its `value`; a modal
/// opened from a component carries that component's `message`.
pub(crate) fn modal_interaction(
    s: &mut State,
    cfg: &FakeConfig,
    submit: &ModalSubmit,
    id: u64,
    fresh_id: u64,
) -> Result<(Value, InteractionRecord), String> {
    let token = format!("fake-interaction-token-{id}");
    let message = s
        .messages
        .get(&submit.message_id)
        .filter(|m| !m.deleted)
        .cloned()
        .ok_or_else(|| format!("the fake has no message {}", submit.message_id))?;
    let modal = opened_modal(s, message.id, submit.user, &submit.custom_id).ok_or_else(|| {
        format!(
            "the bot opened no modal {} for user {} from message {}",
            submit.custom_id, submit.user, message.id
        )
    })?;
    let inputs = modal_inputs(&modal);
    if let Some((unknown, _)) = submit.fields.iter().find(|(f, _)| !inputs.contains(f)) {
        return Err(format!(
            "the modal has no input {unknown}; its inputs: {inputs:?}"
        ));
    }
    let rows: Vec<Value> = inputs
        .iter()
        .map(|input| {
            let value = submit
                .fields
                .iter()
                .find(|(f, _)| f == input)
                .map_or("", |(_, v)| v.as_str());
            json!({ "type": 1, "components": [{ "type": 4, "custom_id": input, "value": value }] })
        })
        .collect();
    let channel = s.channels.get(&message.channel_id).cloned();
    let guild = channel.as_ref().and_then(|c| c.guild_id);
    let actor = actor(
        s,
        cfg,
        submit.user,
        guild,
        Some(message.channel_id),
        None,
        fresh_id,
    )?;
    let data = json!({ "custom_id": submit.custom_id, "components": rows });
    let mut v = envelope(cfg, id, &token, 5, "en-US", data, actor);
    v["message"] = message.to_json();
    let record = InteractionRecord {
        id,
        token,
        kind: 5,
        channel_id: message.channel_id,
        guild_id: guild,
        user_id: submit.user,
        message_id: Some(message.id),
        original: None,
        responses: Vec::new(),
        dispatched_at: Instant::now(),
    };
    Ok((v, record))
}
