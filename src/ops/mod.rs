//! What an operator watches: the process's health (`/healthz`, `/readyz`) and its metrics
//! (`/metrics`, Prometheus format), served over HTTP when `[http] listen` is set.

pub mod health;
mod http;
pub mod metrics;
pub mod ready;

pub use health::Health;
pub use http::{listen_addr, serve, ServeHandle};
pub use metrics::install_metrics;
