//! Discord's 3-second deadline on a large server. Discord drops an interaction that gets
//! no callback (a reply or a defer) within 3 s and shows the user "The application did not
//! respond". That is a hard limit, so it is a fair bound for a test: match-now, its preview,
//! and the commands members send while a round is being matched and saved must all get a
//! callback within it.
//!
//! The round is not delivered: the bot is stopped once every callback is in. `bench/delivery.sh`
//! runs both and records their figures.

use std::time::Duration;

use crate::bench::Seeded;
use crate::helpers::{admin, choice, hallway};
use crate::rounds::member;
use crate::support::config::{ids, FakeConfig};
use crate::support::interactions::{InteractionHandle, SlashInvocation};

/// Discord's deadline for the first response to an interaction.
const DISCORD_DEADLINE: Duration = Duration::from_secs(3);

/// Waits for the callback of each handle, and returns each latency (from the dispatch to
/// the callback) with its label.
async fn callbacks(env: &Seeded, handles: &[(&str, InteractionHandle)]) -> Vec<(String, Duration)> {
    let mut out = Vec::new();
    for (label, handle) in handles {
        let latency = env
            .fake
            .wait_until(
                Duration::from_secs(60),
                &format!("a callback to {label}"),
                |f| f.callback_latency(handle),
            )
            .await;
        out.push((label.to_string(), latency));
    }
    out
}

fn describe(latencies: &[(String, Duration)]) -> String {
    latencies
        .iter()
        .map(|(label, d)| format!("{label} {:.0} ms", d.as_secs_f64() * 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `members` peers are in the database; a coordinator previews a round, then starts one,
/// and right after the start three members ask for their profile and a newcomer joins.
async fn every_callback_within_the_deadline(members: usize) {
    let env = Seeded::start(
        members,
        FakeConfig::default().with_generated_members(members),
        "",
    )
    .await;
    let fake = &env.fake;

    let preview = fake
        .slash(admin("match-now").opt("preview", true).by(ids::CORA))
        .await;
    let mut latencies = callbacks(&env, &[("match-now preview:true", preview.clone())]).await;
    let shown = fake.reply_to(&preview, Duration::from_secs(60)).await;
    assert!(shown.text().contains("Preview:"), "{}", shown.text());

    let start = fake.slash(admin("match-now").by(ids::CORA)).await;
    let mut others: Vec<(&str, SlashInvocation)> = vec![
        ("profile (member 1)", hallway("profile").by(member(1))),
        ("profile (member 2)", hallway("profile").by(member(2))),
        ("profile (member 3)", hallway("profile").by(member(3))),
        (
            "join (a newcomer)",
            hallway("join").opt("role", choice::PEER).by(ids::ADA),
        ),
    ];
    let mut handles = vec![("match-now", start.clone())];
    for (label, invocation) in others.drain(..) {
        handles.push((label, fake.slash(invocation).await));
    }
    latencies.extend(callbacks(&env, &handles).await);
    println!(
        "figures: deadline at {members} members: {}",
        describe(&latencies)
    );

    let started = fake.reply_to(&start, Duration::from_secs(60)).await;
    assert!(
        started.text().contains("Round 1 is matched"),
        "{}",
        started.text()
    );
    for (label, handle) in &handles[1..] {
        let reply = fake.reply_to(handle, Duration::from_secs(60)).await;
        assert!(reply.ephemeral, "{label}: {}", reply.text());
    }
    for (label, latency) in &latencies {
        assert!(
            *latency < DISCORD_DEADLINE,
            "{label} got its first response after {latency:?}; Discord gives up after 3 s ({})",
            describe(&latencies)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_5000_members_match_now_its_preview_and_other_commands_answer_within_discords_3_s_deadline(
) {
    every_callback_within_the_deadline(5_000).await;
}

/// About 20 s even in a debug build, so fast enough for CI. Saving a round this size takes
/// about 3.3 s, so match-now must defer first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_20000_members_match_now_its_preview_and_other_commands_answer_within_discords_3_s_deadline(
) {
    every_callback_within_the_deadline(20_000).await;
}
