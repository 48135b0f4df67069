//! Runs the real `hallway` binary against a [`FakeDiscord`].

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

use hallway::storage::Backend;

use super::config::FakeConfig;
use super::database::{expire_leases, open, Db, TestDatabase};
use super::fake_discord::{FakeDiscord, WAIT};

#[derive(Clone, Debug)]
pub struct BotOptions {
    pub db_path: PathBuf,
    /// Extra environment, applied after the defaults (so it can override them).
    pub extra_env: Vec<(String, String)>,
    /// Command-line arguments; default `["run"]`.
    pub args: Vec<String>,
    /// The token the bot presents; default: the one the fake accepts.
    pub token: Option<String>,
    /// Passed as `RUST_LOG`.
    pub log_filter: String,
    /// Working directory; default: the crate root, so relative config paths resolve.
    pub cwd: Option<PathBuf>,
    /// `DATABASE_URL` as given (e.g. a `postgres://` URL); `None`: `sqlite://<db_path>`.
    pub database_url: Option<String>,
    /// A name for this process in the logs printed when a test fails (e.g. "bot A"), for
    /// tests that run several.
    pub label: Option<String>,
}

impl BotOptions {
    pub fn new(db_path: impl Into<PathBuf>) -> Self {
        Self {
            db_path: db_path.into(),
            extra_env: Vec::new(),
            args: vec!["run".to_string()],
            token: None,
            log_filter: "info,hallway=debug".to_string(),
            cwd: None,
            database_url: None,
            label: None,
        }
    }

    /// Options for a bot on `database_url` (any scheme, e.g. `postgres://...`); `db_path`
    /// is then unused by the harness.
    pub fn with_database(database_url: &str) -> Self {
        Self::new(PathBuf::new()).with_database_url(database_url)
    }

    /// Passes `url` as `DATABASE_URL` instead of `sqlite://<db_path>`.
    pub fn with_database_url(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_string());
        self
    }

    /// Sets `HALLWAY_SHARDS` (e.g. `"0-1/4"`): this process's shard range and the total.
    pub fn shards(self, spec: &str) -> Self {
        self.env("HALLWAY_SHARDS", spec)
    }

    /// Names this process in the logs printed when a test fails.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_string());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.extra_env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    /// What the bot gets as `DATABASE_URL`: the override, else `sqlite://<db_path>`.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.db_path.display()))
    }
}

/// The bot's combined stdout and stderr, shared with the reader tasks.
#[derive(Clone, Default)]
struct LogBuffer {
    text: Arc<Mutex<String>>,
    /// Streams (stdout, stderr) that reached EOF.
    closed: Arc<AtomicUsize>,
    changed: Arc<watch::Sender<u64>>,
}

impl LogBuffer {
    fn push_line(&self, line: &str) {
        let mut text = self.text.lock().unwrap_or_else(|e| e.into_inner());
        text.push_str(line);
        text.push('\n');
        drop(text);
        self.changed.send_modify(|n| *n += 1);
    }

    fn mark_closed(&self) {
        self.closed.fetch_add(1, Ordering::SeqCst);
        self.changed.send_modify(|n| *n += 1);
    }

    fn read(&self) -> String {
        self.text.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

pub struct BotProcess {
    child: Child,
    logs: LogBuffer,
    status: Option<ExitStatus>,
    label: String,
    /// The pid, kept after exit so signals can never reach a reused pid unnoticed.
    pid: Option<u32>,
}

impl BotProcess {
    /// Starts `hallway` with `DISCORD_TOKEN`, `DATABASE_URL`, `DISCORD_API_BASE`
    /// and `RUST_LOG`, capturing its output. Needs a tokio runtime.
    pub fn spawn(fake: &FakeDiscord, options: &BotOptions) -> Self {
        let cwd = options
            .cwd
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let mut command = Command::new(env!("CARGO_BIN_EXE_hallway"));
        command
            .args(&options.args)
            .current_dir(cwd)
            .env(
                "DISCORD_TOKEN",
                options.token.as_deref().unwrap_or(fake.token()),
            )
            .env("DATABASE_URL", options.database_url())
            .env("DISCORD_API_BASE", fake.base_url())
            .env("RUST_LOG", &options.log_filter)
            .env("NO_COLOR", "1")
            .envs(options.extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the hallway binary");
        let logs = LogBuffer::default();
        if let Some(out) = child.stdout.take() {
            tokio::spawn(collect(out, logs.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(collect(err, logs.clone()));
        }
        let pid = child.id();
        Self {
            child,
            logs,
            status: None,
            label: options
                .label
                .clone()
                .unwrap_or_else(|| "hallway".to_string()),
            pid,
        }
    }

    /// The pid while the process runs (`None` once it has been reaped).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The name given with [`BotOptions::label`], default "hallway".
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Everything the bot printed so far.
    pub fn logs(&self) -> String {
        self.logs.read()
    }

    /// Waits until the logs contain `needle`; panics with the logs on timeout.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        self.wait_for_logs(&format!("{needle:?}"), timeout, |logs| {
            logs.contains(needle)
        })
        .await;
    }

    /// Waits until `done` holds for everything the bot printed so far, checking again
    /// each time it prints; panics with `what` and the logs on timeout.
    pub async fn wait_for_logs(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&str) -> bool,
    ) {
        let mut changes = self.logs.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if done(&self.logs()) {
                return;
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!(
                    "hallway did not log {what} within {timeout:?}; logs:\n{}",
                    self.logs()
                );
            }
        }
    }

    /// Waits for the process to exit; panics with the logs on timeout.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(s) = self.status {
            return s;
        }
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => {
                self.status = Some(status);
                // The pipes close at exit; give the readers a moment to drain them.
                let _ = tokio::time::timeout(Duration::from_millis(500), self.drained()).await;
                status
            }
            Ok(Err(e)) => panic!("waiting for hallway failed: {e}"),
            Err(_) => panic!(
                "hallway did not exit within {timeout:?}; logs:\n{}",
                self.logs()
            ),
        }
    }

    async fn drained(&self) {
        let mut changes = self.logs.changed.subscribe();
        while self.logs.closed.load(Ordering::SeqCst) < 2 {
            if changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// `Some(status)` once the process has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// SIGKILL, as in a crash; waits until the process is gone.
    pub async fn kill(&mut self) -> ExitStatus {
        let _ = self.child.start_kill();
        self.wait_exit(WAIT).await
    }

    /// SIGTERM, to test a graceful shutdown. Does not wait.
    pub fn terminate(&self) {
        self.signal("-TERM");
    }

    /// SIGINT (Ctrl-C). Does not wait.
    pub fn interrupt(&self) {
        self.signal("-INT");
    }

    /// Waits until `fake` has a live session for every `(shard_id, num_shards)` in `shards`
    /// (e.g. `&[(0, 4), (1, 4)]` for `HALLWAY_SHARDS=0-1/4`); panics with this process's
    /// logs if it exits first or on timeout. Which process opened a session is not checked:
    /// with several processes, spawn and wait for one at a time.
    pub async fn wait_for_shards(
        &mut self,
        fake: &FakeDiscord,
        shards: &[(u32, u32)],
        timeout: Duration,
    ) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let step = Duration::from_millis(200);
            let live = fake
                .try_wait_until(step, |f| {
                    shards
                        .iter()
                        .all(|(id, n)| f.is_shard_live(*id, *n))
                        .then_some(())
                })
                .await;
            if live.is_some() {
                return;
            }
            if let Some(status) = self.try_status() {
                self.wait_exit(WAIT).await;
                panic!(
                    "{} exited ({status}) before shards {shards:?} were live\nlogs:\n{}",
                    self.label,
                    self.logs()
                );
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "{}: shards {shards:?} not live within {timeout:?} (live: {:?})\nlogs:\n{}",
                    self.label,
                    fake.live_shards(),
                    self.logs()
                );
            }
        }
    }

    /// `kill -9`: SIGKILL, as in a crash or an OOM kill; the process gets no chance to
    /// clean up (no lease release, no gateway close frame). Waits until it is gone.
    pub async fn kill_9(&mut self) -> ExitStatus {
        self.signal("-KILL");
        self.wait_exit(WAIT).await
    }

    /// SIGSTOP: freezes the process (no heartbeats, no writes, its sockets stay open), as
    /// in a long GC pause or a partition. Returns once the kernel reports it stopped.
    pub async fn pause(&self) {
        self.signal("-STOP");
        self.wait_for_proc_state(|st| st == 'T' || st == 't', "stopped")
            .await;
    }

    /// SIGCONT: lets a paused process run again. Returns once it is no longer stopped.
    pub async fn resume(&self) {
        self.signal("-CONT");
        self.wait_for_proc_state(|st| st != 'T' && st != 't', "running")
            .await;
    }

    /// Whether the process is stopped by [`Self::pause`] (Linux: `/proc/<pid>/stat`).
    pub fn is_paused(&self) -> bool {
        self.proc_state().is_some_and(|st| st == 'T' || st == 't')
    }

    fn proc_state(&self) -> Option<char> {
        let pid = self.child.id()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) S ...`: the state follows the last ')'.
        stat.rsplit_once(')')?.1.trim_start().chars().next()
    }

    async fn wait_for_proc_state(&self, want: impl Fn(char) -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match self.proc_state() {
                Some(st) if want(st) => return,
                None => return, // exited, or no /proc: nothing to wait for
                Some(_) => {}
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} (pid {:?}) was not {what} within {WAIT:?}",
                self.label,
                self.pid
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn signal(&self, which: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(which)
                .arg(pid.to_string())
                .status();
        }
    }
}

async fn collect(stream: impl AsyncRead + Unpin, logs: LogBuffer) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        logs.push_line(&line);
    }
    logs.mark_closed();
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if std::thread::panicking() {
            eprintln!(
                "----- {} logs -----\n{}\n------------------------",
                self.label,
                self.logs()
            );
        }
    }
}

/// A fake Discord, a temporary directory, a fresh database (a SQLite file in the
/// directory, or with `HALLWAY_TEST_BACKEND=postgres` a new PostgreSQL database, see
/// [`TestDatabase`]) and a running bot on it that has registered its commands.
pub struct TestEnv {
    // Field order is drop order: the bot goes before its fake, its files and its database.
    pub bot: BotProcess,
    pub fake: FakeDiscord,
    pub options: BotOptions,
    pub dir: TempDir,
    pub database: TestDatabase,
}

impl TestEnv {
    pub async fn start() -> Self {
        Self::start_with(FakeConfig::default(), |o| o).await
    }

    /// Custom world and options; `configure` gets options with the temp db path and, on
    /// PostgreSQL, the fresh database's URL (it may set another).
    pub async fn start_with(
        config: FakeConfig,
        configure: impl FnOnce(BotOptions) -> BotOptions,
    ) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let database = TestDatabase::fresh(dir.path()).await;
        Self::start_on(dir, database, config, configure).await
    }

    /// Like [`Self::start_with`], on a SQLite file whatever the test backend: for a test
    /// about SQLite's own file (e.g. copying it elsewhere).
    pub async fn start_on_sqlite_with(
        config: FakeConfig,
        configure: impl FnOnce(BotOptions) -> BotOptions,
    ) -> Self {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let database = TestDatabase::sqlite(&dir.path().join("hallway.db"));
        Self::start_on(dir, database, config, configure).await
    }

    async fn start_on(
        dir: TempDir,
        database: TestDatabase,
        config: FakeConfig,
        configure: impl FnOnce(BotOptions) -> BotOptions,
    ) -> Self {
        let mut options = BotOptions::new(dir.path().join("hallway.db"));
        if database.backend() != Backend::Sqlite {
            options = options.with_database_url(database.url());
        }
        let options = configure(options);
        let fake = FakeDiscord::start(config).await;
        let bot = BotProcess::spawn(&fake, &options);
        let mut env = Self {
            bot,
            fake,
            options,
            dir,
            database,
        };
        env.wait_for_registration(1).await;
        env
    }

    /// The backend the bot runs on.
    pub fn backend(&self) -> Backend {
        Backend::of_url(&self.database_url())
    }

    /// The SQLite file's path (where it would be, on PostgreSQL).
    pub fn db_path(&self) -> &Path {
        &self.options.db_path
    }

    /// A pool on the bot's database, to check what it stored (see [`super::database`]).
    pub async fn db(&self) -> Db {
        open(&self.database_url()).await
    }

    pub fn database_url(&self) -> String {
        self.options.database_url()
    }

    /// SIGKILLs the bot and starts it again on the same database; returns
    /// when it has registered its commands again. The killed bot's leases are made to have
    /// run out first (see [`expire_leases`]): the new one does not wait 30 s for them.
    pub async fn restart_bot(&mut self) {
        self.bot.kill().await;
        let db = self.db().await;
        expire_leases(&db).await;
        db.close().await;
        let before = self.fake.command_registrations();
        self.bot = BotProcess::spawn(&self.fake, &self.options);
        self.wait_for_registration(before + 1).await;
    }

    /// The latest registered command set.
    pub fn commands(&self) -> Vec<Value> {
        let registered = self
            .fake
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.method == "PUT" && r.path.ends_with("/commands"));
        registered
            .and_then(|r| r.response)
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    async fn wait_for_registration(&mut self, count: usize) {
        let deadline = tokio::time::Instant::now() + REGISTRATION_WAIT;
        loop {
            let step = Duration::from_millis(200);
            let registered = self
                .fake
                .try_wait_until(step, |f| (f.command_registrations() >= count).then_some(()))
                .await;
            if registered.is_some() {
                break;
            }
            // Fail fast with the logs if the bot died instead of registering.
            if let Some(status) = self.bot.try_status() {
                self.bot.wait_exit(WAIT).await;
                panic!(
                    "hallway exited ({status}) before registering its commands\nlogs:\n{}",
                    self.bot.logs()
                );
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "hallway did not register its commands within {REGISTRATION_WAIT:?}\nREST calls:\n{}\nlogs:\n{}",
                    self.fake.describe_requests(),
                    self.bot.logs()
                );
            }
        }
        // poise dispatches nothing before its setup returns; READY has been
        // handled once commands are registered, so the gateway must be live too.
        self.fake.wait_for_live(WAIT).await;
    }
}

const REGISTRATION_WAIT: Duration = Duration::from_secs(30);
