//! Logging on stderr, filtered by the `[log] filter` setting: readable lines, or one JSON
//! object per line (`[log] format = "json"`).

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::LogFormat;

pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|err| {
        eprintln!("warning: log filter '{filter}' is invalid ({err}); using 'info'");
        EnvFilter::new("info")
    });
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Text => lines
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .boxed(),
        // {"timestamp", "level", "message", the event's fields, "target", "span" (the
        // innermost span's fields: shard, guild_id, round_id...) and "spans" (all of them)}.
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    // A second init (in tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(crate::discord::shards::FatalCloseWatch::layer())
        .try_init();
}
