//! What `/readyz` decides: the process is ready when the database answers, every shard it
//! runs is connected, and its lease loop is fresh. Pure, so every case is unit-tested.

use std::time::Duration;

/// What `/readyz` found, one fact per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// `Err` with the reason when the database did not answer in time.
    pub database: Result<(), String>,
    /// Connected shards, and how many this process runs ([`super::Health::shards`]).
    pub shards: (usize, usize),
    pub lease_loop: LeaseLoop,
}

/// The lease loop's freshness, as `/readyz` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseLoop {
    /// This process runs no lease loop, so none is waited for.
    NotRun,
    /// It finished a pass within its allowed age.
    Fresh,
    /// Its last pass is older than `max_age` (`last` ago), or it never finished one
    /// (`last` is `None`).
    Late {
        last: Option<Duration>,
        max_age: Duration,
    },
}

/// Every failing check, one line each, named; empty when the process is ready.
pub fn failing_checks(observed: &Observed) -> Vec<String> {
    let mut failing = Vec::new();
    if let Err(reason) = &observed.database {
        failing.push(format!("database: {reason}"));
    }
    match observed.shards {
        // Until the gateway says which shards it runs, nothing is connected yet.
        (_, 0) => failing.push("shards: none started yet".to_string()),
        (connected, expected) if connected < expected => {
            failing.push(format!("shards: {connected} of {expected} connected"))
        }
        _ => {}
    }
    match observed.lease_loop {
        LeaseLoop::NotRun | LeaseLoop::Fresh => {}
        LeaseLoop::Late {
            last: None,
            max_age,
        } => failing.push(format!(
            "lease loop: no pass yet (one is due every {})",
            seconds(max_age)
        )),
        LeaseLoop::Late {
            last: Some(last),
            max_age,
        } => failing.push(format!(
            "lease loop: last pass {} ago, more than {}",
            seconds(last),
            seconds(max_age)
        )),
    }
    failing
}

/// `/readyz`'s body: "ready", or "not ready" and each failing check on its own line.
pub fn body(failing: &[String]) -> String {
    if failing.is_empty() {
        return "ready\n".to_string();
    }
    let mut text = "not ready\n".to_string();
    for check in failing {
        text.push_str(check);
        text.push('\n');
    }
    text
}

fn seconds(duration: Duration) -> String {
    format!("{:.0}s", duration.as_secs_f64().ceil())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_well() -> Observed {
        Observed {
            database: Ok(()),
            shards: (2, 2),
            lease_loop: LeaseLoop::Fresh,
        }
    }

    #[test]
    fn a_process_with_its_database_its_shards_and_a_fresh_lease_loop_is_ready() {
        assert!(failing_checks(&all_well()).is_empty());
        assert_eq!(body(&[]), "ready\n");
        let without_leases = Observed {
            lease_loop: LeaseLoop::NotRun,
            ..all_well()
        };
        assert!(failing_checks(&without_leases).is_empty());
    }

    #[test]
    fn a_database_that_does_not_answer_is_named_with_its_reason() {
        let observed = Observed {
            database: Err("no answer within 2s".into()),
            ..all_well()
        };
        assert_eq!(failing_checks(&observed), ["database: no answer within 2s"]);
    }

    #[test]
    fn a_missing_shard_or_none_started_is_not_ready() {
        let one_down = Observed {
            shards: (1, 2),
            ..all_well()
        };
        assert_eq!(failing_checks(&one_down), ["shards: 1 of 2 connected"]);
        let none = Observed {
            shards: (0, 0),
            ..all_well()
        };
        assert_eq!(failing_checks(&none), ["shards: none started yet"]);
    }

    #[test]
    fn a_lease_loop_that_never_ran_or_is_late_is_not_ready() {
        let max_age = Duration::from_secs(30);
        let never = Observed {
            lease_loop: LeaseLoop::Late {
                last: None,
                max_age,
            },
            ..all_well()
        };
        assert_eq!(
            failing_checks(&never),
            ["lease loop: no pass yet (one is due every 30s)"]
        );
        let late = Observed {
            lease_loop: LeaseLoop::Late {
                last: Some(Duration::from_millis(45_200)),
                max_age,
            },
            ..all_well()
        };
        assert_eq!(
            failing_checks(&late),
            ["lease loop: last pass 46s ago, more than 30s"]
        );
    }

    #[test]
    fn every_failing_check_is_named_on_its_own_line() {
        let observed = Observed {
            database: Err("timed out".into()),
            shards: (0, 1),
            lease_loop: LeaseLoop::Late {
                last: None,
                max_age: Duration::from_secs(30),
            },
        };
        let failing = failing_checks(&observed);
        assert_eq!(failing.len(), 3);
        assert_eq!(
            body(&failing),
            "not ready\ndatabase: timed out\nshards: 0 of 1 connected\n\
             lease loop: no pass yet (one is due every 30s)\n"
        );
    }

    #[test]
    fn freshness_comes_from_the_health_facts_the_lease_loop_reports() {
        let health = super::super::Health::default();
        let max_age = Duration::from_secs(30);
        assert!(!health.lease_loop_fresh(max_age));
        assert_eq!(health.lease_loop_age(), None);
        health.lease_loop_ticked();
        assert!(health.lease_loop_fresh(max_age));
        assert!(health.lease_loop_age().unwrap() < max_age);
    }
}
