//! The operator's HTTP listener: off by default; when `HALLWAY_HTTP_LISTEN` is set, the
//! real binary serves `/healthz`, `/readyz` and `/metrics`, and the metrics follow what
//! the bot does (a scheduled round, its deliveries, Discord's 429s).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{
    choice, count, db, make_a_weekly_slot_due, wait_for_the_outbox_to_drain, WAIT,
};
use crate::rounds::{join, member, set_up_program, summary, FAST};
use crate::support::bot::{BotOptions, BotProcess, TestEnv};
use crate::support::config::FakeConfig;
use crate::support::failures::FailRule;
use crate::support::fake_discord::FakeDiscord;

/// What the bot logs once it listens, with `addr=` the address it bound.
const LISTENING: &str = "serving /healthz, /readyz and /metrics";

/// A bot on the quick test settings, listening on a port the OS picks.
async fn start_listening(config: FakeConfig) -> (TestEnv, SocketAddr) {
    let env = TestEnv::start_with(config, |options| {
        let path = options.db_path.with_file_name("fast.toml");
        std::fs::write(&path, FAST).unwrap();
        let path = path.display().to_string();
        options
            .args(&["--config", &path, "run"])
            .env("HALLWAY_HTTP_LISTEN", "127.0.0.1:0")
    })
    .await;
    env.bot.wait_for_log(LISTENING, WAIT).await;
    let logs = env.bot.logs();
    let line = logs.lines().find(|l| l.contains(LISTENING)).unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("addr="))
        .unwrap_or_else(|| panic!("no addr= in {line:?}"))
        .parse()
        .unwrap();
    (env, addr)
}

/// One plain HTTP/1.1 GET: the status code and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("an answer in time")
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("headers and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    // axum sends a body of known length; a chunked one would need decoding.
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    (status, body.to_string())
}

/// The value of one sample in Prometheus text, e.g. `hallway_rounds_total{outcome="started"}`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Scrapes `/metrics` until `done` holds; panics with the last scrape after [`WAIT`].
async fn wait_for_metrics(addr: SocketAddr, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, metrics) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        if done(&metrics) {
            return metrics;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/metrics did not show {what} within {WAIT:?}:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The TCP ports the process `pid` listens on, from /proc (Linux).
fn listening_ports(pid: u32) -> Vec<u16> {
    let sockets: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read the bot's open files")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            Some(
                target
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .to_string(),
            )
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is IP:PORT in hex; state 0A is LISTEN; field 9 is the inode.
            if fields.len() > 9 && fields[3] == "0A" && sockets.iter().any(|s| s == fields[9]) {
                let port = fields[1].rsplit(':').next().unwrap();
                ports.push(u16::from_str_radix(port, 16).unwrap());
            }
        }
    }
    ports
}

#[tokio::test]
async fn with_http_listen_set_the_bot_serves_health_readiness_and_metrics_until_it_stops() {
    let (env, addr) = start_listening(FakeConfig::default().with_generated_members(4)).await;
    assert!(addr.ip().is_loopback(), "{addr}");
    let pid = env.bot.pid().unwrap();
    assert_eq!(
        listening_ports(pid),
        [addr.port()],
        "the bot listens only there"
    );

    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".to_string()));

    // Ready once the database answers, the shard is connected and the lease loop has
    // made a pass: each is reported by what it concerns, so wait for all three.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let body = loop {
        let (status, body) = get(addr, "/readyz").await;
        if status == 200 {
            break body;
        }
        assert_eq!(status, 503, "{body}");
        assert_eq!(body.lines().next(), Some("not ready"), "{body}");
        assert!(
            !body.contains("database:"),
            "the database answers from the start: {body}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "never ready: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body, "ready\n");

    let metrics = wait_for_metrics(addr, "the outbox gauges", |m| {
        sample(m, "hallway_outbox_depth") == Some(0.0)
    })
    .await;
    for name in [
        "hallway_outbox_depth",
        "hallway_outbox_oldest_age_seconds",
        "hallway_discord_rate_limited_total",
        "hallway_discord_requests_total",
        "hallway_deliveries_total",
        "hallway_rounds_total",
    ] {
        assert!(
            metrics.contains(&format!("# HELP {name} ")),
            "no HELP for {name}:\n{metrics}"
        );
    }
    assert_eq!(
        sample(&metrics, "hallway_outbox_oldest_age_seconds"),
        Some(0.0)
    );
    assert_eq!(
        sample(&metrics, r#"hallway_rounds_total{outcome="started"}"#),
        Some(0.0)
    );

    // A scheduled round for four members, whose first two thread creations get a 429.
    set_up_program(&env).await;
    for n in 1..=4 {
        join(&env, member(n), choice::PEER).await;
    }
    env.fake.fail(
        FailRule::new("POST", "/channels/*/threads")
            .times(2)
            .rate_limited(0.05),
    );
    let pool = db(&env).await;
    make_a_weekly_slot_due(&pool).await;
    summary(&env, 1).await;
    wait_for_the_outbox_to_drain(&pool).await;

    let done = count(&pool, "select count(*) from outbox where state = 'done'").await as f64;
    let pending = count(&pool, "select count(*) from outbox where state = 'pending'").await as f64;
    assert!(done >= 3.0, "two intros and the summary: {done}");
    assert!(pending > 0.0, "the round's follow-ups wait for later");
    let metrics = wait_for_metrics(addr, "the round, its deliveries and the outbox", |m| {
        sample(m, r#"hallway_deliveries_total{outcome="sent"}"#) == Some(done)
            && sample(m, "hallway_outbox_depth") == Some(pending)
    })
    .await;
    assert_eq!(
        sample(&metrics, r#"hallway_rounds_total{outcome="started"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&metrics, r#"hallway_rounds_total{outcome="failed"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&metrics, "hallway_round_duration_seconds_count"),
        Some(1.0)
    );
    assert!(sample(&metrics, "hallway_round_duration_seconds_sum").unwrap() > 0.0);
    assert_eq!(
        sample(
            &metrics,
            r#"hallway_discord_rate_limited_total{scope="route"}"#
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            r#"hallway_discord_requests_total{outcome="rate_limited"}"#
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(&metrics, r#"hallway_deliveries_total{outcome="retry"}"#),
        Some(2.0)
    );
    assert_eq!(
        sample(&metrics, r#"hallway_deliveries_total{outcome="gave_up"}"#),
        Some(0.0)
    );
    // Nothing due is left unsent.
    assert_eq!(
        sample(&metrics, "hallway_outbox_oldest_age_seconds"),
        Some(0.0)
    );

    // SIGTERM: the listener stops with the bot, which still exits cleanly.
    let mut env = env;
    env.bot.terminate();
    let status = env.bot.wait_exit(WAIT).await;
    assert!(status.success(), "{status}: {}", env.bot.logs());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "{addr} still listens"
    );
}

#[tokio::test]
async fn without_http_listen_the_bot_listens_on_nothing() {
    let env =
        TestEnv::start_with(FakeConfig::default(), |o| o.env("HALLWAY_HTTP_LISTEN", "")).await;
    // The listener would have started before the gateway: the bot is connected and has
    // registered its commands by now.
    assert_eq!(listening_ports(env.bot.pid().unwrap()), Vec::<u16>::new());
    assert!(!env.bot.logs().contains(LISTENING), "{}", env.bot.logs());
}

#[tokio::test]
async fn a_bad_http_listen_address_stops_the_bot_with_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let options =
        BotOptions::new(dir.path().join("h.db")).env("HALLWAY_HTTP_LISTEN", "example.com:9100");
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success());
    let logs = bot.logs();
    assert!(
        logs.contains("cannot listen on \"example.com:9100\": give an IP address and a port, e.g. 127.0.0.1:9100"),
        "{logs}"
    );
}
