//! Confirm on a round preview checks the preview again: a preview that expired, that a
//! round overtook, or whose groups no longer hold (a do-not-match entry made since, a
//! member who left) runs nothing, and says why without naming anyone.

use serde_json::Value;

use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::helpers::{query, query_scalar, Db};
use crate::rounds::{match_now, program_with, summary};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::fake_discord::Reply;
use crate::support::interactions::ButtonClick;

const FRESH_ONE: &str = "Run `/hallway-admin match-now preview:true` again";

/// A coordinator's preview: the reply, and the previewed groups as stored.
async fn preview(env: &TestEnv) -> (Reply, Vec<Vec<u64>>) {
    let reply = run(env, admin("match-now").opt("preview", true).by(ids::CORA)).await;
    assert_private(&reply, &["Nothing is sent until you click Confirm"]);
    let pool = db(env).await;
    let json: String =
        query_scalar("select groups_json from round_preview order by preview_id desc limit 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let plan: Value = serde_json::from_str(&json).unwrap();
    let groups = plan["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m[0].as_u64().unwrap())
                .collect()
        })
        .collect();
    (reply, groups)
}

async fn confirm(env: &TestEnv, preview: &Reply) -> Reply {
    let confirm = preview.buttons()[0].custom_id.clone().unwrap();
    let handle = env
        .fake
        .click(ButtonClick::new(preview.message_id.unwrap(), &confirm).by(ids::CORA))
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

/// Nothing of a round was stored, so nothing can ever be posted for it.
async fn assert_no_round(pool: &Db) {
    assert_eq!(count(pool, "select count(*) from round").await, 0);
    assert_eq!(count(pool, "select count(*) from group_member").await, 0);
    assert_eq!(count(pool, "select count(*) from outbox").await, 0);
}

#[tokio::test]
async fn an_avoid_entry_made_after_the_preview_stops_its_confirm_and_names_nobody() {
    let env = program_with(4, choice::PEER).await;
    let (shown, groups) = preview(&env).await;
    let (a, b) = (groups[0][0], groups[0][1]);
    let avoided = run(&env, hallway("avoid").user_opt("member", b).by(a)).await;
    assert_private(&avoided, &["you won't be matched with"]);

    let refused = confirm(&env, &shown).await;
    assert_private(
        &refused,
        &[
            "The groups changed since this preview",
            "someone's do-not-match list or membership changed",
            "Nothing was started",
            FRESH_ONE,
        ],
    );
    assert!(
        !refused.content.contains("<@") && refused.buttons().is_empty(),
        "names nobody, and the Confirm button is gone: {}",
        refused.content
    );
    let pool = db(&env).await;
    assert_no_round(&pool).await;
    assert!(env.fake.threads().is_empty(), "no intro thread was opened");

    // The fresh preview it asks for honours the entry, and confirms.
    let (shown, groups) = preview(&env).await;
    assert!(
        !groups.iter().any(|g| g.contains(&a) && g.contains(&b)),
        "{groups:?}"
    );
    let confirmed = confirm(&env, &shown).await;
    assert!(
        confirmed.content.contains("✅ Confirmed"),
        "{}",
        confirmed.content
    );
    summary(&env, 1).await;
    let together = count(
        &pool,
        &format!(
            "select count(*) from group_member x join group_member y using (group_id)
             where x.user_id = {} and y.user_id = {}",
            a as i64, b as i64
        ),
    )
    .await;
    assert_eq!(together, 0, "the two are not matched");
}

#[tokio::test]
async fn a_member_who_left_after_the_preview_stops_its_confirm() {
    let env = program_with(4, choice::PEER).await;
    let (shown, groups) = preview(&env).await;
    let left = run(&env, hallway("leave").by(groups[1][0])).await;
    assert!(left.ephemeral, "{}", left.content);
    let refused = confirm(&env, &shown).await;
    assert_private(
        &refused,
        &["The groups changed since this preview", FRESH_ONE],
    );
    assert_no_round(&db(&env).await).await;
}

#[tokio::test]
async fn a_preview_older_than_its_lifetime_is_refused_as_expired() {
    let env = program_with(4, choice::PEER).await;
    let (shown, _) = preview(&env).await;
    let pool = db(&env).await;
    // 25 hours old: past the default lifetime of 24 hours.
    let made = chrono::Utc::now() - chrono::Duration::hours(25);
    query("update round_preview set created_at = $1")
        .bind(made)
        .execute(&pool)
        .await
        .unwrap();
    let refused = confirm(&env, &shown).await;
    assert_private(
        &refused,
        &["This preview has expired", "for 24 hours", FRESH_ONE],
    );
    assert_no_round(&pool).await;
}

#[tokio::test]
async fn a_preview_a_round_overtook_is_refused_and_only_that_round_runs() {
    let env = program_with(4, choice::PEER).await;
    let (shown, _) = preview(&env).await;
    let started = match_now(&env).await;
    assert!(started.contains("Round 1 is matched"), "{started}");
    let refused = confirm(&env, &shown).await;
    assert_private(
        &refused,
        &[
            "A round has started in this server since this preview was made",
            FRESH_ONE,
        ],
    );
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from round").await, 1);
    assert_eq!(
        count(
            &pool,
            "select count(*) from round_preview where confirmed_round_id is not null"
        )
        .await,
        0
    );
}
