//! Typed settings: the built-in defaults (config/default.toml), then an optional TOML file,
//! then environment variables, each overriding the one before.

use std::path::Path;

use anyhow::Context as _;
use secrecy::SecretString;
use serde::Deserialize;

/// The defaults, compiled in so the binary runs without any file beside it.
const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub discord: DiscordSettings,
    pub database: DatabaseSettings,
    pub scheduler: SchedulerSettings,
    pub delivery: DeliverySettings,
    pub rounds: RoundsSettings,
    pub wins: WinsSettings,
    pub log: LogSettings,
    pub http: HttpSettings,
}

/// The operator's HTTP listener: `/healthz`, `/readyz` and `/metrics`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Where to listen, e.g. `127.0.0.1:9100`; `None` (the default) serves nothing.
    #[serde(deserialize_with = "empty_as_none")]
    pub listen: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundsSettings {
    /// Confirm on a `match-now preview:true` works for this long.
    pub preview_expires_after_hours: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WinsSettings {
    /// After a win, how long before the same member may post another; 0 turns it off.
    pub cooldown_minutes: f64,
    /// At most this many wins per server in any hour; 0 turns it off.
    pub per_server_per_hour: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    pub tick_seconds: f64,
    /// How long this process's claim on a server's scheduled work lasts unrenewed: after a
    /// crash, another process takes the server over once it expires.
    pub lease_seconds: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    pub first_wait_ms: u64,
    pub max_wait_ms: u64,
    pub max_failures: u32,
    /// hallway's own REST calls per second, under Discord's global limit of 50.
    pub requests_per_second: f64,
    pub concurrency: usize,
    pub per_server: usize,
    /// No longer used: retries are due times in the outbox, not tries in a pass. Still
    /// accepted so that a config file written for an earlier version keeps loading.
    #[serde(default)]
    pub tries_per_pass: Option<u32>,
}

impl Settings {
    /// The limits on previews and wins, as the domain uses them.
    pub fn limits(&self) -> crate::domain::limits::Limits {
        crate::domain::limits::Limits {
            preview_expires_after: minutes(self.rounds.preview_expires_after_hours * 60.0),
            wins: crate::domain::limits::WinLimits {
                member_cooldown: minutes(self.wins.cooldown_minutes),
                server_per_hour: self.wins.per_server_per_hour,
            },
        }
    }
}

/// A number of minutes, to the millisecond; a negative one is zero, and a huge one is
/// capped at about two million years rather than overflowing.
fn minutes(value: f64) -> chrono::Duration {
    let ms = value.clamp(0.0, 1e12) * 60_000.0;
    chrono::Duration::milliseconds(ms as i64)
}

impl DeliverySettings {
    pub fn retry_policy(&self) -> crate::domain::outbox::RetryPolicy {
        crate::domain::outbox::RetryPolicy {
            first_wait: std::time::Duration::from_millis(self.first_wait_ms),
            max_wait: std::time::Duration::from_millis(self.max_wait_ms.max(self.first_wait_ms)),
            max_failures: self.max_failures.max(1),
        }
    }

    pub fn concurrency(&self) -> crate::delivery::Concurrency {
        crate::delivery::Concurrency {
            total: self.concurrency.max(1),
            per_server: self.per_server.clamp(1, self.concurrency.max(1)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    /// Only ever from `DISCORD_TOKEN`; a file would leak it into backups and repositories.
    #[serde(skip)]
    pub token: Option<SecretString>,
    /// Another base URL for REST and the gateway; `None` means Discord itself.
    #[serde(deserialize_with = "empty_as_none")]
    pub api_base: Option<String>,
    /// Register commands in this guild only; `None` registers them globally.
    #[serde(deserialize_with = "zero_as_none")]
    pub dev_guild_id: Option<u64>,
    pub member_events: bool,
    /// This process's gateway shards as `FIRST-LAST/TOTAL`, both ends included; `None`
    /// runs every shard here.
    #[serde(deserialize_with = "empty_as_none")]
    pub shards: Option<String>,
    pub register_commands: RegisterCommands,
}

/// When `hallway run` registers the slash commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegisterCommands {
    /// Only when this process runs every shard: one of several must not race the others.
    Auto,
    Always,
    /// Never: `hallway register-commands` does it.
    Never,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password: shown only through [`crate::storage::redact_url`].
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout_ms: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::storage::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
}

/// How log lines look on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event, with its fields (`guild_id`, `shard`, `round_id`, ...).
    Json,
}

impl Settings {
    /// Loads the defaults, overlays `file` when given, then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        Self::load_with_env(file, |name| std::env::var(name).ok())
    }

    /// As [`Settings::load`], reading variables through `env` (tests pass a map).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Settings> {
        let mut merged: toml::Table =
            toml::from_str(DEFAULTS).context("built-in config/default.toml is invalid")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            let overrides: toml::Table = toml::from_str(&text)
                .with_context(|| format!("config file {} is not valid TOML", path.display()))?;
            merge(&mut merged, overrides);
        }
        let mut settings: Settings = toml::Value::Table(merged)
            .try_into()
            .context("invalid settings (compare with config/default.toml)")?;

        let env_set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        settings.discord.token = env_set("DISCORD_TOKEN").map(|t| SecretString::from(t.trim()));
        if let Some(url) = env_set("DATABASE_URL") {
            settings.database.url = url;
        }
        if let Some(base) = env_set("DISCORD_API_BASE") {
            settings.discord.api_base = Some(base.trim_end_matches('/').to_string());
        }
        if let Some(id) = env_set("HALLWAY_DEV_GUILD_ID") {
            let id: u64 = id
                .trim()
                .parse()
                .context("HALLWAY_DEV_GUILD_ID must be a Discord server id (a number)")?;
            settings.discord.dev_guild_id = (id != 0).then_some(id);
        }
        if let Some(shards) = env_set("HALLWAY_SHARDS") {
            settings.discord.shards = Some(shards.trim().to_string());
        }
        if let Some(listen) = env_set("HALLWAY_HTTP_LISTEN") {
            settings.http.listen = Some(listen.trim().to_string());
        }
        if let Some(filter) = env_set("HALLWAY_LOG").or_else(|| env_set("RUST_LOG")) {
            settings.log.filter = filter;
        }
        Ok(settings)
    }
}

/// Overlays `overrides` onto `base`, table by table, so a file only needs the keys it changes.
fn merge(base: &mut toml::Table, overrides: toml::Table) {
    for (key, value) in overrides {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(override_table)) => {
                merge(base_table, override_table)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let s = s.trim().trim_end_matches('/');
    Ok((!s.is_empty()).then(|| s.to_string()))
}

fn zero_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Some(u64::deserialize(d)?).filter(|id| *id != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn load(file: Option<&Path>, vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_with_env(file, |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_load_without_any_file_or_variable() {
        let settings = load(None, &[]).unwrap();
        assert!(settings.discord.token.is_none());
        assert_eq!(settings.discord.api_base, None);
        assert_eq!(settings.discord.dev_guild_id, None);
        assert_eq!(settings.database.url, "sqlite://hallway.db");
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hallway.toml");
        std::fs::write(
            &path,
            "[database]\nurl = \"sqlite://from-file.db\"\n[discord]\ndev_guild_id = 42\n",
        )
        .unwrap();
        let from_file = load(Some(&path), &[]).unwrap();
        assert_eq!(from_file.database.url, "sqlite://from-file.db");
        assert_eq!(from_file.discord.dev_guild_id, Some(42));
        assert_eq!(
            from_file.database.max_connections, 5,
            "untouched keys keep defaults"
        );

        let from_env = load(
            Some(&path),
            &[
                ("DATABASE_URL", "sqlite://env.db"),
                ("DISCORD_TOKEN", " abc "),
                ("DISCORD_API_BASE", "http://127.0.0.1:9/"),
            ],
        )
        .unwrap();
        assert_eq!(from_env.database.url, "sqlite://env.db");
        assert_eq!(from_env.discord.token.unwrap().expose_secret(), "abc");
        assert_eq!(
            from_env.discord.api_base.as_deref(),
            Some("http://127.0.0.1:9")
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[database]\nurll = \"x\"\n").unwrap();
        let err = format!("{:#}", load(Some(&path), &[]).unwrap_err());
        assert!(err.contains("urll"), "{err}");
        assert!(load(None, &[("HALLWAY_DEV_GUILD_ID", "abc")]).is_err());
    }

    #[test]
    fn a_database_password_never_shows_in_debug_output() {
        let settings = load(None, &[("DATABASE_URL", "postgres://u:hunter2@db/hallway")]).unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://u:***@db/hallway"), "{shown}");
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let settings = load(None, &[("DISCORD_TOKEN", "super-secret-token")]).unwrap();
        assert!(!format!("{settings:?}").contains("super-secret-token"));
    }
}
