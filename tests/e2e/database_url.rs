//! A DATABASE_URL hallway cannot use ends the process with one line that says what is
//! wrong with it, and a password in it never reaches stdout or stderr, on either backend.

use std::time::Duration;

use hallway::storage::Backend;

use crate::support::bot::{BotOptions, BotProcess};
use crate::support::database::{postgres_server_url, test_backend};
use crate::support::fake_discord::FakeDiscord;

const PASSWORD: &str = "s3cret-Passw0rd";

/// Runs `hallway <args>` with `url` as DATABASE_URL, at debug level; returns its output
/// once it has exited non-zero.
async fn exit_output(url: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let options = BotOptions::new(dir.path().join("unused.db"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("HALLWAY_LOG", "debug");
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    let logs = bot.logs();
    assert!(!status.success(), "{logs}");
    assert!(
        fake.requests().is_empty(),
        "nothing reaches Discord before the database is usable"
    );
    logs
}

/// The output's error lines: there is exactly one, and it says `needle`.
#[track_caller]
fn assert_one_error_line(logs: &str, needle: &str) {
    let errors: Vec<&str> = logs.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{logs}");
    assert!(errors[0].contains(needle), "{logs}");
}

#[tokio::test]
async fn a_postgres_url_that_is_not_valid_is_refused_in_one_line_that_hides_its_password() {
    let url =
        format!("postgres://hallway:{PASSWORD}@db.example.org:5432/hallway?sslmode=sometimes");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let out_arg = out.display().to_string();
    let export = ["export", "--guild", "1", "--out", &out_arg];
    for args in [&["run"][..], &["migrate"], &export] {
        let logs = exit_output(&url, args).await;
        assert_one_error_line(&logs, "is not a valid PostgreSQL URL");
        assert!(
            logs.contains("postgres://hallway:***@db.example.org:5432/hallway"),
            "{logs}"
        );
        assert!(
            !logs.contains(PASSWORD),
            "{args:?}: the password leaked:\n{logs}"
        );
        assert!(!logs.contains("lock file"), "{logs}");
    }
    assert!(!out.exists(), "export wrote nothing");
}

#[tokio::test]
async fn a_postgres_server_that_refuses_the_login_is_named_in_one_line_without_the_password() {
    if test_backend() != Backend::Postgres {
        eprintln!("not on sqlite: this test needs the PostgreSQL test server");
        return;
    }
    let mut url = url::Url::parse(&postgres_server_url()).unwrap();
    url.set_username("hallway_no_such_role").unwrap();
    url.set_password(Some(PASSWORD)).unwrap();
    let shown = url.to_string().replace(PASSWORD, "***");
    for args in [&["run"][..], &["migrate"]] {
        let logs = exit_output(url.as_str(), args).await;
        assert_one_error_line(&logs, "cannot connect to the database at");
        assert!(logs.contains(&shown), "{shown} in:\n{logs}");
        assert!(
            !logs.contains(PASSWORD),
            "{args:?}: the password leaked:\n{logs}"
        );
    }
}

#[tokio::test]
async fn an_unsupported_scheme_is_refused_without_its_password() {
    let logs = exit_output(
        &format!("mysql://root:{PASSWORD}@localhost/hallway"),
        &["run"],
    )
    .await;
    assert_one_error_line(&logs, "is not a database URL hallway supports");
    assert!(!logs.contains(PASSWORD), "the password leaked:\n{logs}");
}

#[tokio::test]
async fn a_sqlite_file_in_a_directory_that_does_not_exist_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such").join("dir");
    let url = format!("sqlite://{}", missing.join("hallway.db").display());
    for args in [&["run"][..], &["migrate"]] {
        let logs = exit_output(&url, args).await;
        assert_one_error_line(
            &logs,
            &format!(
                "the directory {} for the database does not exist; create it",
                missing.display()
            ),
        );
        assert!(!logs.contains("lock file"), "{logs}");
    }
    assert!(!missing.exists(), "nothing was created");
}
