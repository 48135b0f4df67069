//! Interest tags and the "ask me about" line, end to end: coordinators define a program's
//! tags, members pick up to 5 in a select menu (from `/hallway interests` or the join
//! reply), and the intro shows each member's line and names the tags the group shares.

use serde_json::Value;

use crate::helpers::query_scalar;
use crate::helpers::{admin, assert_private, choice, count, db, hallway, run, WAIT};
use crate::rounds::{match_now, member, set_up_program, start};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::fake_discord::Reply;
use crate::support::interactions::ButtonClick;

fn interests(sub: &str) -> crate::support::interactions::SlashInvocation {
    admin(sub).group("interests")
}

async fn add_tags(env: &TestEnv, tags: &[&str]) {
    for tag in tags {
        let reply = run(env, interests("add").opt("name", *tag).by(ids::CORA)).await;
        assert_private(&reply, &["Added", tag]);
    }
}

/// The select menu of a reply: its custom id, its options' (label, value), and its
/// largest number of picks.
fn select_menu(reply: &Reply) -> (String, Vec<(String, String)>, u64) {
    let menu: Value = reply
        .components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["type"] == 3)
        .unwrap_or_else(|| panic!("no select menu in {:?}", reply.components));
    let options = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap().to_string(),
                o["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (
        menu["custom_id"].as_str().unwrap().to_string(),
        options,
        menu["max_values"].as_u64().unwrap(),
    )
}

async fn pick(
    env: &TestEnv,
    menu_message: u64,
    custom_id: &str,
    user: u64,
    values: &[&str],
) -> Reply {
    let handle = env
        .fake
        .click(
            ButtonClick::new(menu_message, custom_id)
                .by(user)
                .select(values),
        )
        .await;
    env.fake.reply_to(&handle, WAIT).await
}

fn value_of<'a>(options: &'a [(String, String)], label: &str) -> &'a str {
    &options.iter().find(|(l, _)| l == label).unwrap().1
}

#[tokio::test]
async fn members_pick_at_most_five_tags_and_the_intro_names_the_ones_they_share() {
    let env = start(2).await;
    set_up_program(&env).await;
    let tags = [
        "grant writing",
        "clinical research",
        "work-life balance",
        "leadership",
        "coding",
        "teaching",
    ];
    add_tags(&env, &tags).await;

    // The join reply offers the menu at once, with every tag and at most 5 picks.
    let joined = run(
        &env,
        hallway("join")
            .opt("role", choice::PEER)
            .opt("about", "R, survival analysis, trail running")
            .by(member(1)),
    )
    .await;
    assert_private(&joined, &["Welcome to hallway!", "Your interests"]);
    let (custom_id, options, max) = select_menu(&joined);
    let labels: Vec<&str> = options.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, tags);
    assert_eq!(max, 5);
    let pool = db(&env).await;

    // A forged pick of all six is refused, and nothing is stored.
    let all: Vec<&str> = options.iter().map(|(_, v)| v.as_str()).collect();
    let refused = pick(
        &env,
        joined.message_id.unwrap(),
        &custom_id,
        member(1),
        &all,
    )
    .await;
    assert_private(&refused, &["at most 5", "Nothing was changed"]);
    assert_eq!(
        count(&pool, "select count(*) from member_interest").await,
        0
    );

    let grant = value_of(&options, "grant writing");
    let coding = value_of(&options, "coding");
    let teaching = value_of(&options, "teaching");
    let saved = pick(
        &env,
        joined.message_id.unwrap(),
        &custom_id,
        member(1),
        &[grant, coding],
    )
    .await;
    assert!(
        saved.content.contains("Saved: grant writing, coding."),
        "{}",
        saved.content
    );

    // /hallway interests shows the menu with the picks so far; a second member picks.
    run(
        &env,
        hallway("join").opt("role", choice::PEER).by(member(2)),
    )
    .await;
    let menu = run(&env, hallway("interests").by(member(2))).await;
    assert_private(&menu, &["Pick up to 5"]);
    let (custom_id, _, _) = select_menu(&menu);
    pick(
        &env,
        menu.message_id.unwrap(),
        &custom_id,
        member(2),
        &[grant, teaching],
    )
    .await;
    assert_eq!(
        count(&pool, "select count(*) from member_interest").await,
        4
    );

    // Someone else clicking member 1's menu changes only their own picks, and an
    // outsider who never joined changes nothing.
    let outsider = pick(
        &env,
        joined.message_id.unwrap(),
        &custom_id,
        ids::DEV,
        &[grant],
    )
    .await;
    assert_private(&outsider, &["Only current members", "Nothing was changed"]);
    assert_eq!(
        count(&pool, "select count(*) from member_interest").await,
        4
    );

    match_now(&env).await;
    let threads = env
        .fake
        .wait_until(WAIT, "the intro", |fake| {
            fake.threads()
                .into_iter()
                .filter(|t| t.parent_id == Some(ids::MENTORING))
                .find_map(|t| fake.messages_in(t.id).into_iter().next())
        })
        .await;
    let intro = threads.content;
    assert!(
        intro.contains("**You both picked:** grant writing"),
        "{intro}"
    );
    assert!(
        intro.contains("Ask me about: R, survival analysis, trail running"),
        "{intro}"
    );
    assert!(
        intro.contains("Interested in: grant writing, coding"),
        "{intro}"
    );
    assert!(
        intro.contains("Interested in: grant writing, teaching"),
        "{intro}"
    );
}

#[tokio::test]
async fn coordinators_keep_at_most_25_distinct_tags_and_removing_one_drops_its_picks() {
    let env = start(1).await;
    set_up_program(&env).await;
    let names: Vec<String> = (1..=25).map(|n| format!("topic {n}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    add_tags(&env, &refs).await;
    let pool = db(&env).await;

    let full = run(&env, interests("add").opt("name", "one more").by(ids::CORA)).await;
    assert_private(&full, &["25 interest tags", "Remove one first"]);
    let taken = run(&env, interests("add").opt("name", "TOPIC 3").by(ids::CORA)).await;
    assert_private(&taken, &["already has the tag"]);
    assert_eq!(count(&pool, "select count(*) from interest").await, 25);

    let joined = run(
        &env,
        hallway("join").opt("role", choice::PEER).by(member(1)),
    )
    .await;
    let (custom_id, options, _) = select_menu(&joined);
    pick(
        &env,
        joined.message_id.unwrap(),
        &custom_id,
        member(1),
        &[value_of(&options, "topic 3"), value_of(&options, "topic 4")],
    )
    .await;
    assert_eq!(
        count(&pool, "select count(*) from member_interest").await,
        2
    );

    let removed = run(
        &env,
        interests("remove").opt("name", "Topic 3").by(ids::CORA),
    )
    .await;
    assert_private(&removed, &["Removed **topic 3**"]);
    assert_eq!(
        count(&pool, "select count(*) from member_interest").await,
        1
    );
    let missing = run(
        &env,
        interests("remove").opt("name", "topic 99").by(ids::CORA),
    )
    .await;
    assert_private(&missing, &["has no interest tag 'topic 99'"]);

    let list = run(&env, interests("list").by(ids::CORA)).await;
    assert_private(&list, &["(24 of 25)", "topic 4", "count light in matching"]);
    assert!(!list.content.contains("topic 3,"), "{}", list.content);

    let strong = run(
        &env,
        admin("edit")
            .group("program")
            .opt("interest_weight", 2i64)
            .by(ids::CORA),
    )
    .await;
    assert_private(&strong, &["shared interests strong"]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where interest_weight = 'strong'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_program_without_tags_says_so_and_an_about_line_is_limited_and_removable() {
    let env = start(1).await;
    set_up_program(&env).await;
    run(
        &env,
        hallway("join")
            .opt("role", choice::MENTEE)
            .opt("about", "grant budgets")
            .by(member(1)),
    )
    .await;
    let none = run(&env, hallway("interests").by(member(1))).await;
    assert_private(
        &none,
        &["no interest tags yet", "/hallway-admin interests add"],
    );

    let pool = db(&env).await;
    let too_long = run(
        &env,
        hallway("join")
            .opt("role", choice::MENTEE)
            .opt("about", "x".repeat(151).as_str())
            .by(member(1)),
    )
    .await;
    assert_private(&too_long, &["limit is 150"]);
    let about: Option<String> = query_scalar("select about from member")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        about.as_deref(),
        Some("grant budgets"),
        "bad input changes nothing"
    );

    let profile = run(&env, hallway("profile").by(member(1))).await;
    assert_private(&profile, &["Ask me about: grant budgets"]);
    run(
        &env,
        hallway("join")
            .opt("role", choice::MENTEE)
            .opt("about", "-")
            .by(member(1)),
    )
    .await;
    let about: Option<String> = query_scalar("select about from member")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(about, None);
}
