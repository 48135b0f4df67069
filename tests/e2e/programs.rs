//! One server, two programs in different channels and modes: a member in both with a
//! role in each, a round in each without cross-talk, the same-week rule, the do-not-match
//! list in both, stats and export for each, the `program` option, pause and leave per
//! program or for all, and archiving.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;

use crate::helpers::{
    admin, assert_private, choice, count, db, hallway, make_a_weekly_slot_due, run,
    wait_for_the_bot_to_settle, WAIT,
};
use crate::helpers::{query_as, Db};
use crate::rounds::{member, start_with};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeChannel, FakeConfig};
use crate::support::fake_discord::Reply;
use crate::support::interactions::ButtonClick;
use crate::support::state::PostedMessage;

pub const FACULTY: &str = "Faculty mentoring";
pub const POSTDOCS: &str = "Postdoc circles";

/// A server with `members` plain members and two programs: "Faculty mentoring"
/// (mentor-mentee, in #mentoring) and "Postdoc circles" (in #postdocs, in `postdoc_mode`).
async fn two_programs(members: usize, postdoc_mode: i64) -> TestEnv {
    let env = start_with(
        FakeConfig::default()
            .with_generated_members(members)
            .with_channel(FakeChannel::text(ids::POSTDOCS, "postdocs")),
    )
    .await;
    create_program(&env, FACULTY, ids::MENTORING, choice::MENTOR_MENTEE).await;
    create_program(&env, POSTDOCS, ids::POSTDOCS, postdoc_mode).await;
    env
}

async fn create_program(env: &TestEnv, name: &str, channel: u64, mode: i64) {
    let reply = run(
        env,
        admin("create")
            .group("program")
            .opt("name", name)
            .channel_opt("channel", channel)
            .opt("mode", mode)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &[&format!("Created **{name}**")]);
}

async fn join_in(env: &TestEnv, user: u64, role: i64, program: &str) -> Reply {
    let reply = run(
        env,
        hallway("join")
            .opt("role", role)
            .opt("program", program)
            .by(user),
    )
    .await;
    assert!(reply.content.contains("Role:"), "{}", reply.content);
    reply
}

/// `/hallway-admin match-now program:<program>`; returns the coordinator's reply.
async fn match_in(env: &TestEnv, program: &str) -> String {
    let reply = run(
        env,
        admin("match-now").opt("program", program).by(ids::CORA),
    )
    .await;
    assert!(reply.ephemeral, "{}", reply.content);
    reply.content
}

/// Waits for a round's summary in `channel`.
async fn summary_in(env: &TestEnv, channel: u64, round: u32) -> PostedMessage {
    let needle = format!("**Round {round}**");
    env.fake
        .wait_for_message(channel, |m| m.content.contains(&needle), WAIT)
        .await
}

/// The bot's threads under `channel`, each with the members its intro mentions.
fn threads_under(env: &TestEnv, channel: u64) -> Vec<(u64, BTreeSet<u64>)> {
    env.fake
        .threads()
        .into_iter()
        .filter(|t| t.parent_id == Some(channel))
        .map(|t| {
            let intros = env.fake.messages_in(t.id);
            assert_eq!(intros.len(), 1, "one intro in thread {}", t.name);
            (t.id, intros[0].mentioned_ids().into_iter().collect())
        })
        .collect()
}

/// The groups of a program's round as stored: each group's members.
async fn stored_groups(pool: &Db, program: &str, round: u32) -> Vec<BTreeSet<u64>> {
    let rows: Vec<(i64, i64)> = query_as(
        "select gm.group_id, gm.user_id from group_member gm
         join match_group g using (group_id) join round r using (round_id)
         join program p on p.program_id = r.program_id
         where p.name = $1 and r.number = $2 order by g.position, gm.user_id",
    )
    .bind(program)
    .bind(round)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut groups: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
    for (group, user) in rows {
        groups.entry(group).or_default().insert(user as u64);
    }
    groups.into_values().collect()
}

fn together(groups: &[BTreeSet<u64>], a: u64, b: u64) -> bool {
    groups.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// The groups a preview reply lists, one numbered line each: `1. <@a> (peer) + <@b> (peer)`.
fn previewed_groups(reply: &Reply) -> Vec<BTreeSet<u64>> {
    reply
        .content
        .lines()
        .filter(|line| {
            line.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .map(|line| {
            line.split("<@")
                .skip(1)
                .filter_map(|rest| rest.split('>').next()?.parse().ok())
                .collect()
        })
        .collect()
}

/// Previews a round of `program`; returns the groups the reply lists.
async fn preview_in(env: &TestEnv, program: &str) -> Vec<BTreeSet<u64>> {
    let reply = run(
        env,
        admin("match-now")
            .opt("preview", true)
            .opt("program", program)
            .by(ids::CORA),
    )
    .await;
    assert_private(&reply, &["Nothing is sent until you click Confirm"]);
    let groups = previewed_groups(&reply);
    assert!(!groups.is_empty(), "{}", reply.content);
    groups
}

/// The part of a `/hallway profile` reply under the heading of `program`: up to the
/// next program's heading.
fn section<'a>(text: &'a str, program: &str) -> &'a str {
    let heading = format!("\n**{program}**\n");
    let start = text
        .find(&heading)
        .unwrap_or_else(|| panic!("no {program} in:\n{text}"))
        + heading.len();
    let rest = &text[start..];
    let end = [FACULTY, POSTDOCS]
        .iter()
        .filter_map(|other| rest.find(&format!("\n**{other}**\n")))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

/// (program name, role, paused, left) of each of the user's program_member rows.
async fn standings(pool: &Db, user: u64) -> Vec<(String, String, bool, bool)> {
    query_as(
        "select p.name, pm.role, pm.paused_until is not null, pm.left_at is not null
         from program_member pm join program p using (program_id)
         where pm.user_id = $1 order by p.name",
    )
    .bind(user as i64)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Every row of every table, one line each: to show that a command changed nothing.
pub async fn every_row(pool: &Db) -> BTreeMap<String, Vec<String>> {
    crate::helpers::every_row(pool).await
}

#[tokio::test]
async fn a_member_can_mentor_in_one_program_and_be_a_peer_in_another_and_profile_shows_both() {
    let env = two_programs(1, choice::PEER_CIRCLES).await;
    let me = member(1);
    let mentor = run(
        &env,
        hallway("join")
            .opt("role", choice::MENTOR)
            .opt("capacity", 2i64)
            .opt("timezone", "Europe/Berlin")
            .opt("program", FACULTY)
            .by(me),
    )
    .await;
    assert_private(&mentor, &["Welcome to Faculty mentoring!", "Role: mentor"]);
    let peer = join_in(&env, me, choice::PEER, POSTDOCS).await;
    assert_private(&peer, &["Role: peer", "Time zone: Europe/Berlin"]);

    let profile = run(&env, hallway("profile").by(me)).await;
    assert_private(
        &profile,
        &["**Your hallway profile**", "Time zone: Europe/Berlin"],
    );
    let faculty = section(&profile.content, FACULTY);
    assert!(faculty.contains("Role: mentor"), "{faculty}");
    assert!(
        faculty.contains("Capacity: up to 2 mentees a round"),
        "{faculty}"
    );
    let postdocs = section(&profile.content, POSTDOCS);
    assert!(postdocs.contains("Role: peer"), "{postdocs}");
    assert!(!postdocs.contains("Capacity"), "{postdocs}");
    // The settings shared by every program are shown once.
    assert_eq!(profile.content.matches("Time zone:").count(), 1);

    let pool = db(&env).await;
    assert_eq!(
        standings(&pool, me).await,
        [
            (FACULTY.into(), "mentor".into(), false, false),
            (POSTDOCS.into(), "peer".into(), false, false)
        ]
    );
    let capacities: Vec<(String, i64)> = query_as(
        "select p.name, pm.capacity from program_member pm join program p using (program_id)
         order by p.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(capacities, [(FACULTY.into(), 2), (POSTDOCS.into(), 0)]);
    assert_eq!(
        count(&pool, "select count(*) from member").await,
        1,
        "one profile per server"
    );
}

#[tokio::test]
async fn a_round_in_each_program_stays_in_its_own_channel_with_its_own_members() {
    let env = two_programs(6, choice::PEER_CIRCLES).await;
    let faculty: BTreeSet<u64> = [1, 2, 3, 4].map(member).into();
    let postdocs: BTreeSet<u64> = [3, 5, 6].map(member).into();
    for n in [1, 2] {
        join_in(&env, member(n), choice::MENTOR, FACULTY).await;
    }
    for n in [3, 4] {
        join_in(&env, member(n), choice::MENTEE, FACULTY).await;
    }
    for n in [3, 5, 6] {
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }

    let started = match_in(&env, FACULTY).await;
    assert!(
        started.contains("Round 1 is matched: 2 chats for 4 people"),
        "{started}"
    );
    let started = match_in(&env, "postdoc CIRCLES").await;
    assert!(
        started.contains("Round 1 is matched: 1 chat for 3 people"),
        "{started}"
    );
    assert!(
        started.contains(&format!("<#{}>", ids::POSTDOCS)),
        "{started}"
    );
    let faculty_summary = summary_in(&env, ids::MENTORING, 1).await;
    assert!(
        faculty_summary
            .content
            .contains("2 chats this round, 4 people"),
        "{}",
        faculty_summary.content
    );
    let postdoc_summary = summary_in(&env, ids::POSTDOCS, 1).await;
    assert!(
        postdoc_summary
            .content
            .contains("1 chat this round, 3 people"),
        "{}",
        postdoc_summary.content
    );
    let pool = db(&env).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;

    // Each channel has its own summary and nothing else; each thread is under its
    // program's channel, with only that program's members.
    for channel in [ids::MENTORING, ids::POSTDOCS] {
        let posts = env.fake.messages_in(channel);
        assert_eq!(posts.len(), 1, "only the summary in {channel}: {posts:?}");
    }
    // Where the commands ran, only their answers (private to the coordinator).
    let public: Vec<_> = env
        .fake
        .messages_in(ids::GENERAL)
        .into_iter()
        .filter(|m| m.interaction_id.is_none())
        .collect();
    assert!(public.is_empty(), "{public:?}");
    let faculty_threads = threads_under(&env, ids::MENTORING);
    let postdoc_threads = threads_under(&env, ids::POSTDOCS);
    assert_eq!(faculty_threads.len(), 2);
    assert_eq!(postdoc_threads.len(), 1);
    assert_eq!(env.fake.threads().len(), 3, "no thread anywhere else");
    let mut seen = BTreeSet::new();
    for (thread, members) in &faculty_threads {
        assert_eq!(members.len(), 2, "a mentor and a mentee");
        assert!(members.is_subset(&faculty), "thread {thread}: {members:?}");
        let mentors = members
            .iter()
            .filter(|m| [member(1), member(2)].contains(m));
        assert_eq!(mentors.count(), 1, "one mentor per group: {members:?}");
        seen.extend(members.iter().copied());
    }
    assert_eq!(seen, faculty);
    assert_eq!(postdoc_threads[0].1, postdocs);
    for (thread, _) in faculty_threads.iter().chain(&postdoc_threads) {
        let name = env.fake.channel(*thread).unwrap().name;
        assert!(name.ends_with("· round 1"), "{name}");
    }

    // Stored: round 1 of each program, each with its own members only.
    let rounds: Vec<(String, i64)> = query_as(
        "select p.name, r.number from round r join program p using (program_id) order by p.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rounds, [(FACULTY.into(), 1), (POSTDOCS.into(), 1)]);
    let faculty_groups = stored_groups(&pool, FACULTY, 1).await;
    assert_eq!(faculty_groups.len(), 2);
    assert_eq!(
        faculty_groups
            .iter()
            .flatten()
            .copied()
            .collect::<BTreeSet<_>>(),
        faculty
    );
    assert_eq!(stored_groups(&pool, POSTDOCS, 1).await, [postdocs]);
    let summaries: Vec<(String, i64)> = query_as(
        "select p.name, o.channel_id from outbox o join round r using (round_id)
         join program p on p.program_id = r.program_id
         where o.kind = 'summary' and o.state = 'done' order by p.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        summaries,
        [
            (FACULTY.into(), ids::MENTORING as i64),
            (POSTDOCS.into(), ids::POSTDOCS as i64)
        ]
    );
}

/// Previews before and after counted as independent draws: enough that a rule-free
/// shuffle (each of the three pairings of four equally likely) keeps two people apart
/// every time only with probability (2/3)^20, about 3 in 10,000.
const PREVIEWS: usize = 20;

#[tokio::test]
async fn two_people_paired_in_one_program_this_week_are_not_paired_in_another_while_others_are_free(
) {
    let env = two_programs(4, choice::OPEN).await;
    let (x, y) = (member(1), member(2));
    join_in(&env, x, choice::MENTOR, FACULTY).await;
    join_in(&env, y, choice::MENTEE, FACULTY).await;
    for n in 1..=4 {
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }
    // Before x and y meet in Faculty mentoring, Postdoc circles pairs them like anyone.
    let mut before = 0;
    for _ in 0..PREVIEWS {
        if together(&preview_in(&env, POSTDOCS).await, x, y) {
            before += 1;
        }
    }
    assert!(
        before > 0,
        "{PREVIEWS} previews never paired x and y before the rule applied"
    );

    match_in(&env, FACULTY).await;
    summary_in(&env, ids::MENTORING, 1).await;
    let pool = db(&env).await;
    assert_eq!(stored_groups(&pool, FACULTY, 1).await, [[x, y].into()]);

    // Now the other pairings are preferred, every time.
    for _ in 0..PREVIEWS {
        let groups = preview_in(&env, POSTDOCS).await;
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(
            !together(&groups, x, y),
            "paired again this week: {groups:?}"
        );
    }
    let started = match_in(&env, POSTDOCS).await;
    assert!(started.contains("2 chats for 4 people"), "{started}");
    summary_in(&env, ids::POSTDOCS, 1).await;
    let groups = stored_groups(&pool, POSTDOCS, 1).await;
    assert_eq!(groups.len(), 2);
    assert!(!together(&groups, x, y), "{groups:?}");
    let threads = threads_under(&env, ids::POSTDOCS);
    assert_eq!(threads.len(), 2);
    assert!(threads
        .iter()
        .all(|(_, m)| !(m.contains(&x) && m.contains(&y))));
}

#[tokio::test]
async fn two_people_paired_in_one_program_this_week_are_paired_in_another_when_nobody_else_is_free()
{
    let env = two_programs(4, choice::OPEN).await;
    let (x, y) = (member(1), member(2));
    join_in(&env, x, choice::MENTOR, FACULTY).await;
    join_in(&env, y, choice::MENTEE, FACULTY).await;
    for n in 1..=4 {
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }
    match_in(&env, FACULTY).await;
    summary_in(&env, ids::MENTORING, 1).await;
    // The two others take a break from Postdoc circles only.
    for n in [3, 4] {
        let reply = run(
            &env,
            hallway("pause")
                .opt("weeks", 1i64)
                .opt("program", POSTDOCS)
                .by(member(n)),
        )
        .await;
        assert_private(&reply, &["Paused"]);
    }
    let started = match_in(&env, POSTDOCS).await;
    assert!(started.contains("1 chat for 2 people"), "{started}");
    summary_in(&env, ids::POSTDOCS, 1).await;
    let pool = db(&env).await;
    assert_eq!(stored_groups(&pool, POSTDOCS, 1).await, [[x, y].into()]);
    let threads = threads_under(&env, ids::POSTDOCS);
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].1, [x, y].into());
}

#[tokio::test]
async fn a_do_not_match_entry_keeps_the_pair_apart_in_both_programs() {
    let env = two_programs(4, choice::OPEN).await;
    let (x, y) = (member(1), member(2));
    // Faculty mentoring: mentors x and 3, mentees y and 4. Postdoc circles: all four peers.
    join_in(&env, x, choice::MENTOR, FACULTY).await;
    join_in(&env, member(3), choice::MENTOR, FACULTY).await;
    join_in(&env, y, choice::MENTEE, FACULTY).await;
    join_in(&env, member(4), choice::MENTEE, FACULTY).await;
    for n in 1..=4 {
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }
    let reply = run(&env, hallway("avoid").user_opt("member", y).by(x)).await;
    assert_private(&reply, &["you won't be matched with"]);
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from avoid").await, 1);

    // Each program's previews, then a round in each, never put x with y.
    for program in [FACULTY, POSTDOCS] {
        for _ in 0..10 {
            let groups = preview_in(&env, program).await;
            assert_eq!(groups.len(), 2, "{program}: {groups:?}");
            assert!(!together(&groups, x, y), "{program}: {groups:?}");
        }
    }
    match_in(&env, FACULTY).await;
    summary_in(&env, ids::MENTORING, 1).await;
    match_in(&env, POSTDOCS).await;
    summary_in(&env, ids::POSTDOCS, 1).await;
    for program in [FACULTY, POSTDOCS] {
        let groups = stored_groups(&pool, program, 1).await;
        assert_eq!(groups.len(), 2, "{program}: {groups:?}");
        assert!(!together(&groups, x, y), "{program}: {groups:?}");
    }
    for channel in [ids::MENTORING, ids::POSTDOCS] {
        let threads = threads_under(&env, channel);
        assert_eq!(threads.len(), 2);
        assert!(threads
            .iter()
            .all(|(_, m)| !(m.contains(&x) && m.contains(&y))));
    }
}

#[tokio::test]
async fn stats_and_export_answer_for_each_program_and_change_nothing() {
    let env = two_programs(5, choice::PEER_CIRCLES).await;
    join_in(&env, member(1), choice::MENTOR, FACULTY).await;
    join_in(&env, member(2), choice::MENTEE, FACULTY).await;
    for n in 3..=5 {
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }
    match_in(&env, FACULTY).await;
    summary_in(&env, ids::MENTORING, 1).await;
    match_in(&env, POSTDOCS).await;
    summary_in(&env, ids::POSTDOCS, 1).await;
    // The Faculty pair met; nobody in the circle said so.
    let (thread, _) = threads_under(&env, ids::MENTORING)[0];
    let intro = env.fake.messages_in(thread)[0].clone();
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &intro.button_id("We met")).by(member(1)))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
    let pool = db(&env).await;
    wait_for_the_bot_to_settle(&env.bot, &pool, Utc::now(), 1).await;
    let before = every_row(&pool).await;

    let faculty = run(&env, admin("stats").opt("program", FACULTY).by(ids::CORA)).await;
    assert_private(
        &faculty,
        &[
            "**Faculty mentoring stats** · every round (round 1)",
            "Mentors: 1 active",
            "Mentees: 1 active",
            "Peers: 0 active",
            "1 chats, 2 people · met 100% (1 of 1)",
        ],
    );
    assert!(!faculty.content.contains("3 people"), "{}", faculty.content);
    assert_eq!(faculty.attachments.len(), 2, "its two charts");
    let postdocs = run(
        &env,
        admin("stats")
            .opt("program", "POSTDOC circles")
            .by(ids::CORA),
    )
    .await;
    assert_private(
        &postdocs,
        &[
            "**Postdoc circles stats** · every round (round 1)",
            "Peers: 3 active",
            "Mentors: 0 active",
            "1 chats, 3 people · met 0% (0 of 1)",
        ],
    );
    let both = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &both,
        &[
            "**hallway stats** · 2 programs",
            "**Faculty mentoring**: 2 active members · 1 round · 1 chats · meeting rate 100% (1 of 1 chats)",
            "**Postdoc circles**: 3 active members · 1 round · 1 chats · meeting rate 0% (0 of 1 chats)",
        ],
    );
    assert!(both.attachments.is_empty(), "no chart for the summary");

    let export = run(&env, admin("export").opt("program", POSTDOCS).by(ids::CORA)).await;
    assert_private(&export, &["**Postdoc circles export**"]);
    let names: Vec<&str> = export
        .attachments
        .iter()
        .map(|f| f.filename.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "postdoc-circles-rounds.csv",
            "postdoc-circles-groups.csv",
            "postdoc-circles-outcomes.csv",
            "postdoc-circles-feedback.csv",
            "postdoc-circles-wins.csv",
            "postdoc-circles-survey.csv"
        ]
    );
    let file = |name: &str| {
        let bytes = &export
            .attachments
            .iter()
            .find(|f| f.filename == name)
            .unwrap()
            .bytes;
        String::from_utf8(bytes.clone()).unwrap()
    };
    let rounds = file("postdoc-circles-rounds.csv");
    assert_eq!(rounds.lines().count(), 2, "a header and round 1:\n{rounds}");
    assert!(rounds.lines().nth(1).unwrap().starts_with("1,"), "{rounds}");
    let groups = file("postdoc-circles-groups.csv");
    let users: BTreeSet<u64> = csv::Reader::from_reader(groups.as_bytes())
        .deserialize::<hallway::domain::export::GroupRow>()
        .map(|row| row.unwrap().user_id.0)
        .collect();
    assert_eq!(
        users,
        [3, 4, 5].map(member).into(),
        "only Postdoc circles' members"
    );
    assert_eq!(
        file("postdoc-circles-outcomes.csv").lines().count(),
        1,
        "only the header: the We met was in Faculty mentoring"
    );

    let which = run(&env, admin("export").by(ids::CORA)).await;
    assert_private(
        &which,
        &[
            "This server runs several programs",
            "**Faculty mentoring**",
            "**Postdoc circles**",
            "`program` option",
        ],
    );
    assert!(which.attachments.is_empty());

    assert_eq!(
        every_row(&pool).await,
        before,
        "stats and export change nothing"
    );
}

#[tokio::test]
async fn the_program_option_is_needed_with_two_programs_matches_any_case_and_autocompletes() {
    let env = two_programs(2, choice::PEER_CIRCLES).await;
    let pool = db(&env).await;
    let which = run(
        &env,
        hallway("join").opt("role", choice::PEER).by(member(1)),
    )
    .await;
    assert_private(
        &which,
        &[
            "This server runs several programs: **Faculty mentoring**, **Postdoc circles**",
            "`program` option",
        ],
    );
    let unknown = run(
        &env,
        hallway("join")
            .opt("role", choice::PEER)
            .opt("program", "Coffee")
            .by(member(1)),
    )
    .await;
    assert_private(
        &unknown,
        &[
            "There's no program called 'Coffee'",
            "**Faculty mentoring**, **Postdoc circles**",
        ],
    );
    assert_eq!(count(&pool, "select count(*) from member").await, 0);
    assert_eq!(count(&pool, "select count(*) from program_member").await, 0);

    let joined = join_in(&env, member(1), choice::PEER, "  postdoc CIRCLES ").await;
    assert_private(&joined, &["Welcome to Postdoc circles!"]);
    join_in(&env, member(2), choice::MENTEE, "faculty mentoring").await;
    assert_eq!(
        standings(&pool, member(1)).await,
        [(POSTDOCS.into(), "peer".into(), false, false)]
    );
    assert_eq!(
        standings(&pool, member(2)).await,
        [(FACULTY.into(), "mentee".into(), false, false)]
    );

    for (typed, expected) in [
        ("doc", vec![POSTDOCS]),
        ("MENT", vec![FACULTY]),
        ("", vec![FACULTY, POSTDOCS]),
        ("coffee", vec![]),
    ] {
        let handle = env
            .fake
            .autocomplete(
                hallway("join")
                    .opt("role", choice::PEER)
                    .focus("program", typed),
            )
            .await;
        let reply = env.fake.reply_to(&handle, WAIT).await;
        let names: Vec<&str> = reply
            .choices
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, expected, "typed {typed:?}");
    }

    let before = every_row(&pool).await;
    let taken = run(
        &env,
        admin("create")
            .group("program")
            .opt("name", "faculty MENTORING")
            .channel_opt("channel", ids::GENERAL)
            .by(ids::CORA),
    )
    .await;
    assert_private(
        &taken,
        &["This server already has a program called **faculty MENTORING**"],
    );
    assert_eq!(
        every_row(&pool).await,
        before,
        "a taken name changes nothing"
    );

    let list = run(&env, admin("list").group("program").by(ids::CORA)).await;
    assert_private(
        &list,
        &[
            "**Programs in this server** (2)",
            &format!(
                "**Faculty mentoring**: mentor-mentee, groups of 2 · <#{}> ·",
                ids::MENTORING
            ),
            &format!(
                "**Postdoc circles**: peer-circles, groups of 3 · <#{}> ·",
                ids::POSTDOCS
            ),
        ],
    );
    let lines: Vec<&str> = list.content.lines().collect();
    assert!(lines[1].ends_with("· 1 member"), "{}", lines[1]);
    assert!(lines[2].ends_with("· 1 member"), "{}", lines[2]);
}

#[tokio::test]
async fn pause_and_leave_act_on_every_program_unless_one_is_named() {
    let env = two_programs(2, choice::PEER_CIRCLES).await;
    let pool = db(&env).await;
    for n in [1, 2] {
        join_in(&env, member(n), choice::MENTEE, FACULTY).await;
        join_in(&env, member(n), choice::PEER, POSTDOCS).await;
    }
    let me = member(1);

    let paused = run(&env, hallway("pause").opt("weeks", 2i64).by(me)).await;
    assert_private(
        &paused,
        &["Paused in **Faculty mentoring** and **Postdoc circles**"],
    );
    assert_eq!(
        standings(&pool, me).await,
        [
            (FACULTY.into(), "mentee".into(), true, false),
            (POSTDOCS.into(), "peer".into(), true, false)
        ]
    );
    let resumed = run(&env, hallway("resume").by(me)).await;
    assert_private(
        &resumed,
        &["Welcome back in **Faculty mentoring** and **Postdoc circles**"],
    );
    assert_eq!(
        standings(&pool, me).await,
        [
            (FACULTY.into(), "mentee".into(), false, false),
            (POSTDOCS.into(), "peer".into(), false, false)
        ]
    );

    let one = run(
        &env,
        hallway("pause")
            .opt("weeks", 1i64)
            .opt("program", "faculty mentoring")
            .by(me),
    )
    .await;
    assert_private(&one, &["Paused"]);
    assert_eq!(
        standings(&pool, me).await,
        [
            (FACULTY.into(), "mentee".into(), true, false),
            (POSTDOCS.into(), "peer".into(), false, false)
        ]
    );
    let profile = run(&env, hallway("profile").by(me)).await;
    assert!(
        section(&profile.content, FACULTY).contains("Status: paused until"),
        "{}",
        profile.content
    );
    assert!(
        section(&profile.content, POSTDOCS).contains("Status: active"),
        "{}",
        profile.content
    );

    // Leave without a program leaves both; with one, only that one.
    let left = run(&env, hallway("leave").by(me)).await;
    assert_private(
        &left,
        &["You've left **Faculty mentoring** and **Postdoc circles**"],
    );
    assert_eq!(
        standings(&pool, me).await,
        [
            (FACULTY.into(), "mentee".into(), false, true),
            (POSTDOCS.into(), "peer".into(), false, true)
        ]
    );
    let other = member(2);
    let left = run(&env, hallway("leave").opt("program", POSTDOCS).by(other)).await;
    assert_private(&left, &["You've left **Postdoc circles**"]);
    assert_eq!(
        standings(&pool, other).await,
        [
            (FACULTY.into(), "mentee".into(), false, false),
            (POSTDOCS.into(), "peer".into(), false, true)
        ]
    );
    let profile = run(&env, hallway("profile").by(other)).await;
    assert_private(&profile, &["Role: mentee"]);
    assert!(
        !profile.content.contains(POSTDOCS),
        "a program left is not shown: {}",
        profile.content
    );
}

#[tokio::test]
async fn an_archived_program_runs_no_more_rounds_but_keeps_its_stats_while_the_other_runs() {
    let env = two_programs(4, choice::OPEN).await;
    join_in(&env, member(1), choice::MENTOR, FACULTY).await;
    join_in(&env, member(2), choice::MENTEE, FACULTY).await;
    join_in(&env, member(3), choice::PEER, POSTDOCS).await;
    join_in(&env, member(4), choice::PEER, POSTDOCS).await;
    match_in(&env, FACULTY).await;
    summary_in(&env, ids::MENTORING, 1).await;

    let archived = run(
        &env,
        admin("archive")
            .group("program")
            .opt("program", "FACULTY mentoring")
            .by(ids::CORA),
    )
    .await;
    assert_private(&archived, &["**Faculty mentoring** is archived"]);
    let pool = db(&env).await;
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where archived_at is not null"
        )
        .await,
        1
    );
    let refused = match_in(&env, FACULTY).await;
    assert!(
        refused.contains("**Faculty mentoring** is archived: it runs no more rounds"),
        "{refused}"
    );

    // Both programs' weekly slots are due: only the live one runs.
    let due = Utc::now();
    make_a_weekly_slot_due(&pool).await;
    let summary = summary_in(&env, ids::POSTDOCS, 1).await;
    assert!(
        summary.content.contains("1 chat this round, 2 people"),
        "{}",
        summary.content
    );
    wait_for_the_bot_to_settle(&env.bot, &pool, due, 2).await;
    let rounds: Vec<(String, i64, String)> = query_as(
        "select p.name, r.number, r.trigger from round r join program p using (program_id)
         order by p.name, r.number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rounds,
        [
            (FACULTY.into(), 1, "manual".into()),
            (POSTDOCS.into(), 1, "schedule".into())
        ]
    );
    let faculty_summaries = env
        .fake
        .messages_in(ids::MENTORING)
        .into_iter()
        .filter(|m| m.content.contains("**Round"))
        .count();
    assert_eq!(faculty_summaries, 1, "only round 1 in #mentoring");

    // With one live program left, the option may be left out again.
    let started = run(&env, admin("match-now").by(ids::CORA)).await;
    assert_private(&started, &["Round 2 is matched"]);
    summary_in(&env, ids::POSTDOCS, 2).await;

    // History stays: stats and export still answer for the archived program.
    let stats = run(&env, admin("stats").opt("program", FACULTY).by(ids::CORA)).await;
    assert_private(
        &stats,
        &[
            "**Faculty mentoring stats** · every round (round 1)",
            "1 chats, 2 people",
        ],
    );
    let summary = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &summary,
        &[
            "**Faculty mentoring** (archived): ",
            "**Postdoc circles**: 2 active members · 2 rounds",
        ],
    );
    let export = run(&env, admin("export").opt("program", FACULTY).by(ids::CORA)).await;
    assert_private(&export, &["**Faculty mentoring export**"]);
    let rounds = export
        .attachments
        .iter()
        .find(|f| f.filename == "faculty-mentoring-rounds.csv")
        .expect("the rounds file");
    assert_eq!(String::from_utf8_lossy(&rounds.bytes).lines().count(), 2);
    let list = run(&env, admin("list").group("program").by(ids::CORA)).await;
    assert_private(&list, &["**Faculty mentoring** (archived)"]);
}

#[tokio::test]
async fn refused_input_makes_no_program_and_an_edit_refused_saves_none_of_its_options() {
    let env = start_with(FakeConfig::default().with_generated_members(1)).await;
    let pool = db(&env).await;
    // Commands that need a program refuse on a server without one, and make none.
    for attempt in [
        admin("match-now"),
        admin("invite"),
        admin("edit").group("program"),
        admin("watercooler").opt("every", 1i64),
    ] {
        let reply = run(&env, attempt.by(ids::CORA)).await;
        assert!(reply.ephemeral, "{}", reply.content);
    }
    assert_eq!(count(&pool, "select count(*) from program").await, 0);

    // A program without a channel: an edit that would need one saves nothing at all.
    run(&env, admin("pause-program").by(ids::CORA)).await;
    let refused = run(
        &env,
        admin("edit")
            .group("program")
            .opt("name", "Renamed")
            .opt("welcome", "Hello")
            .channel_opt("celebrations_channel", ids::MENTORING)
            .by(ids::CORA),
    )
    .await;
    assert_private(&refused, &["Set the program channel too"]);
    assert_eq!(
        count(
            &pool,
            "select count(*) from program where name = 'hallway' and welcome_text is null
               and celebrations_channel_id is null"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn names_that_differ_only_in_case_outside_ascii_are_one_name() {
    let env = start_with(FakeConfig::default().with_generated_members(1)).await;
    create_program(&env, "Études", ids::MENTORING, choice::OPEN).await;
    let taken = run(
        &env,
        admin("create")
            .group("program")
            .opt("name", "études")
            .channel_opt("channel", ids::MENTORING)
            .by(ids::CORA),
    )
    .await;
    assert_private(&taken, &["already has a program called **études**"]);
    let pool = db(&env).await;
    assert_eq!(count(&pool, "select count(*) from program").await, 1);
}
