//! What an operator watches: the process's health (`/healthz`, `/readyz`) and its metrics
//! (`/metrics`, Prometheus format), served over HTTP when `[http] listen` is set.

pub mod health;

pub use health::Health;
