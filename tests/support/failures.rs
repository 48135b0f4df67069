//! Failure injection: answer the next N matching REST calls with an error or
//! a delay instead of the normal answer.

use std::time::Duration;

use super::state::path_matches;

#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Any status with a Discord error body `{"message", "code"}`.
    Status {
        status: u16,
        code: u64,
        message: String,
    },
    /// 429 with `retry_after` in the body and the `Retry-After` and
    /// `X-RateLimit-*` headers Discord sends.
    RateLimited { retry_after: f64, global: bool },
    /// Wait, then answer normally (to exercise the bot's timeouts).
    Delay(Duration),
    /// Do the work at once, then wait before answering: the side effect happens even
    /// if the caller dies or gives up waiting (a crash after Discord acted).
    ActThenDelay(Duration),
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::Status { status, code, .. } => format!("{status} (code {code})"),
            Failure::RateLimited {
                retry_after,
                global,
            } => {
                format!(
                    "429 retry_after={retry_after}{}",
                    if *global { " global" } else { "" }
                )
            }
            Failure::Delay(d) => format!("delay {d:?}"),
            Failure::ActThenDelay(d) => format!("act, then answer after {d:?}"),
        }
    }
}

/// Which calls fail, how, and how many times. Build with a method (`*` for
/// any) and a path pattern relative to `/api/v10`, where `*` matches one
/// segment and a trailing `/**` any rest:
/// `FailRule::new("POST", "/channels/*/messages").times(3).rate_limited(0.3)`.
#[derive(Clone, Debug)]
pub struct FailRule {
    pub method: String,
    pub pattern: String,
    pub remaining: usize,
    pub failure: Failure,
}

impl FailRule {
    /// By default: the next matching call gets a 500.
    pub fn new(method: &str, pattern: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            pattern: pattern.to_string(),
            remaining: 1,
            failure: Failure::Status {
                status: 500,
                code: 0,
                message: "500: Internal Server Error".into(),
            },
        }
    }

    pub fn times(mut self, n: usize) -> Self {
        self.remaining = n;
        self
    }

    pub fn server_error(mut self, status: u16) -> Self {
        self.failure = Failure::Status {
            status,
            code: 0,
            message: format!("{status}: Server Error"),
        };
        self
    }

    pub fn rate_limited(mut self, retry_after_secs: f64) -> Self {
        self.failure = Failure::RateLimited {
            retry_after: retry_after_secs,
            global: false,
        };
        self
    }

    pub fn globally_rate_limited(mut self, retry_after_secs: f64) -> Self {
        self.failure = Failure::RateLimited {
            retry_after: retry_after_secs,
            global: true,
        };
        self
    }

    /// 403 Missing Access (50001), e.g. no permission to create a thread.
    pub fn missing_access(self) -> Self {
        self.status(403, 50001, "Missing Access")
    }

    /// 403 Missing Permissions (50013).
    pub fn missing_permissions(self) -> Self {
        self.status(403, 50013, "Missing Permissions")
    }

    pub fn status(mut self, status: u16, code: u64, message: &str) -> Self {
        self.failure = Failure::Status {
            status,
            code,
            message: message.to_string(),
        };
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.failure = Failure::Delay(d);
        self
    }

    /// Carry out the request now but answer only after `d`.
    pub fn act_then_delay(mut self, d: Duration) -> Self {
        self.failure = Failure::ActThenDelay(d);
        self
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.remaining > 0
            && (self.method == "*" || self.method == method)
            && path_matches(&self.pattern, path)
    }
}
