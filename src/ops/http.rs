//! The operator's HTTP listener: `/healthz`, `/readyz` and `/metrics`, off unless
//! `[http] listen` (or `HALLWAY_HTTP_LISTEN`) is set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::metrics::{install_metrics, sample_outbox, SAMPLE_EVERY};
use super::ready::{self, LeaseLoop, Observed};
use super::Health;
use crate::storage::Store;

/// How long `/readyz` waits for the database before it calls it down.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// How long [`ServeHandle::stop`] lets open requests finish.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The listener and its outbox sampler, running until [`ServeHandle::stop`] (or until
/// the handle is dropped).
pub struct ServeHandle {
    local_addr: SocketAddr,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl ServeHandle {
    /// Where it listens (the port the OS picked, when the address gave port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops listening, lets open requests finish for a few seconds, and stops sampling.
    pub async fn stop(mut self) {
        self.stop.cancel();
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for ServeHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[derive(Clone)]
struct Ops {
    health: Arc<Health>,
    store: Store,
    lease_max_age: Option<Duration>,
    metrics: PrometheusHandle,
}

/// Installs the metrics recorder, binds `listen` and serves until stopped. `lease_max_age`
/// is how recent the lease loop's last pass must be for `/readyz` (the lease length,
/// `[scheduler] lease_seconds`); `None` when this process runs no lease loop.
pub async fn serve(
    listen: &str,
    health: Arc<Health>,
    store: Store,
    lease_max_age: Option<Duration>,
) -> anyhow::Result<ServeHandle> {
    let addr = listen_addr(listen)?;
    let metrics = install_metrics()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ([http] listen, HALLWAY_HTTP_LISTEN)"))?;
    let local_addr = listener
        .local_addr()
        .context("cannot read the listener's address")?;
    let stop = CancellationToken::new();
    let ops = Ops {
        health,
        store: store.clone(),
        lease_max_age,
        metrics: metrics.clone(),
    };
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(ops);
    let server = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(err) = served {
                tracing::error!(%err, "the ops listener stopped");
            }
        })
    };
    let sampler = tokio::spawn(sample(store, metrics, stop.clone()));
    tracing::info!(addr = %local_addr, "serving /healthz, /readyz and /metrics");
    Ok(ServeHandle {
        local_addr,
        stop,
        tasks: vec![server, sampler],
    })
}

/// Reads the outbox gauges every few seconds (the first at once), and keeps the
/// recorder's histograms from growing without bound.
async fn sample(store: Store, metrics: PrometheusHandle, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        if let Err(err) = sample_outbox(&store).await {
            tracing::warn!(
                error = format!("{err:#}"),
                "cannot sample the outbox for /metrics"
            );
        }
        metrics.run_upkeep();
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    let database = match tokio::time::timeout(DATABASE_WAIT, ops.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(format!("{err:#}")),
        Err(_) => Err(format!("no answer within {}s", DATABASE_WAIT.as_secs())),
    };
    let lease_loop = match ops.lease_max_age {
        None => LeaseLoop::NotRun,
        Some(max_age) if ops.health.lease_loop_fresh(max_age) => LeaseLoop::Fresh,
        Some(max_age) => LeaseLoop::Late {
            last: ops.health.lease_loop_age(),
            max_age,
        },
    };
    let observed = Observed {
        database,
        shards: ops.health.shards(),
        lease_loop,
    };
    let failing = ready::failing_checks(&observed);
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, ready::body(&failing))
}

async fn render_metrics(State(ops): State<Ops>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        ops.metrics.render(),
    )
}

/// What to give `[http] listen`, for the message that refuses an address.
const LISTEN_EXAMPLE: &str = "give an IP address and a port, e.g. 127.0.0.1:9100 (or only a port, 9100, for 127.0.0.1), in [http] listen or HALLWAY_HTTP_LISTEN";

/// The address `listen` names. A port alone (`9100` or `:9100`) and `localhost:9100`
/// mean 127.0.0.1: nothing listens beyond this machine unless an address says so.
pub fn listen_addr(listen: &str) -> anyhow::Result<SocketAddr> {
    let listen = listen.trim();
    let loopback = |port: &str| {
        port.parse::<u16>()
            .ok()
            .map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
    };
    let port_only = listen.strip_prefix(':').unwrap_or(listen);
    let parsed = if !port_only.is_empty() && port_only.bytes().all(|b| b.is_ascii_digit()) {
        loopback(port_only)
    } else if let Some(port) = listen.strip_prefix("localhost:") {
        loopback(port)
    } else {
        listen.parse::<SocketAddr>().ok()
    };
    parsed.with_context(|| format!("cannot listen on \"{listen}\": {LISTEN_EXAMPLE}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_a_port_or_localhost_is_where_the_listener_binds() {
        let cases = [
            ("127.0.0.1:9100", "127.0.0.1:9100"),
            ("  127.0.0.1:9100 ", "127.0.0.1:9100"),
            ("0.0.0.0:9100", "0.0.0.0:9100"),
            ("[::1]:9100", "[::1]:9100"),
            ("9100", "127.0.0.1:9100"),
            (":9100", "127.0.0.1:9100"),
            ("localhost:9100", "127.0.0.1:9100"),
            ("127.0.0.1:0", "127.0.0.1:0"),
        ];
        for (listen, addr) in cases {
            assert_eq!(listen_addr(listen).unwrap().to_string(), addr, "{listen}");
        }
    }

    #[test]
    fn a_bad_address_says_what_to_give() {
        for listen in [
            "",
            "127.0.0.1",
            "127.0.0.1:99999",
            "example.com:9100",
            "localhost",
            "http://127.0.0.1:9100",
            ":",
            "9100x",
        ] {
            let err = format!("{:#}", listen_addr(listen).unwrap_err());
            assert!(
                err.contains(&format!("cannot listen on \"{}\"", listen.trim())),
                "{err}"
            );
            assert!(err.contains("e.g. 127.0.0.1:9100"), "{err}");
            assert!(err.contains("HALLWAY_HTTP_LISTEN"), "{err}");
        }
    }
}
