//! `/hallway-admin stats` and `export`, and `hallway export`, after a real round with
//! "We met" and "Skip" clicks.

use std::path::Path;

use chrono::{DateTime, Utc};
use hallway::domain::export::{FeedbackRow, GroupRow, OutcomeRow, RoundRow, WinRow};

use crate::helpers::{admin, assert_private, choice, count, db, run, WAIT};
use crate::helpers::{query, query_as, query_scalar, Db};
use crate::rounds::{join, match_now, member, set_up_program, start, summary, threads_with_intros};
use crate::support::bot::TestEnv;
use crate::support::config::ids;
use crate::support::fake_discord::Reply;
use crate::support::interactions::ButtonClick;
use crate::support::state::{FilePart, PostedMessage};

const GUILD: i64 = ids::GUILD as i64;

async fn click(env: &TestEnv, intro: &PostedMessage, label: &str, user: u64) {
    let handle = env
        .fake
        .click(ButtonClick::new(intro.id, &intro.button_id(label)).by(user))
        .await;
    env.fake.reply_to(&handle, WAIT).await;
}

/// Four peers, one round of two pairs: someone in the first pair clicks "We met", someone
/// in the second "Skip this round".
async fn a_round_with_answers(env: &TestEnv) {
    set_up_program(env).await;
    for n in 1..=4 {
        join(env, member(n), choice::PEER).await;
    }
    match_now(env).await;
    summary(env, 1).await;
    let threads = threads_with_intros(env);
    assert_eq!(threads.len(), 2);
    let met = &threads[0].1[0];
    let skipped = &threads[1].1[0];
    click(env, met, "We met", met.mentioned_ids()[0]).await;
    click(env, skipped, "Skip this round", skipped.mentioned_ids()[0]).await;
    let pool = db(env).await;
    assert_eq!(count(&pool, "select count(*) from outcome").await, 2);
}

fn decode_png(file: &FilePart) -> png::OutputInfo {
    let decoder = png::Decoder::new(std::io::Cursor::new(file.bytes.as_slice()));
    let mut reader = decoder.read_info().expect("the attachment is a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    reader
        .next_frame(&mut pixels)
        .expect("the PNG's pixels decode")
}

#[tokio::test]
async fn stats_give_the_numbers_and_two_png_charts() {
    let env = start(4).await;
    a_round_with_answers(&env).await;

    let reply = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "**hallway stats** · every round (round 1)",
            "Peers: 4 active · 0 paused · 0 left",
            "Mentors: 0 active · 0 paused · 0 left",
            "2 chats, 4 people · met 50% (1 of 2) · repeats 0% (0 of 2) · skipped 25% (1 of 4)",
            "meeting rate 50% (1 of 2 chats)",
            "skip rate 25% (1 of 4 people)",
            "**Wins**: none yet",
        ],
    );
    assert_eq!(reply.attachments.len(), 2, "two charts");
    assert_two_charts(&reply);
    assert_eq!((hallway::chart::WIDTH, hallway::chart::HEIGHT), (800, 400));

    // A second round, then a window of one round: only round 2 is counted.
    match_now(&env).await;
    summary(&env, 2).await;
    let reply = run(&env, admin("stats").opt("rounds", 1i64).by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "the last 1 round (round 2)",
            "2 chats, 4 people · met 0% (0 of 2)",
        ],
    );
    assert!(!reply.content.contains("Round 1 ("), "{}", reply.content);
    assert_two_charts(&reply);
    let reply = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &reply,
        &["every round (rounds 1–2)", "Round 1 (", "Round 2 ("],
    );

    let refused = run(&env, admin("stats").opt("rounds", 0i64).by(ids::CORA)).await;
    assert_private(&refused, &["must be from 1 to 520, not 0"]);
    assert!(refused.attachments.is_empty());
}

#[tokio::test]
async fn stats_before_any_round_say_so_without_a_chart() {
    let env = start(2).await;
    set_up_program(&env).await;
    join(&env, member(1), choice::MENTEE).await;
    let reply = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &reply,
        &["no rounds yet", "Mentees: 1 active", "**Rounds**: none yet"],
    );
    assert!(reply.attachments.is_empty());
}

fn parse<T: serde::de::DeserializeOwned>(reply: &Reply, name: &str) -> Vec<T> {
    let file = reply
        .attachments
        .iter()
        .find(|f| f.filename == name)
        .unwrap_or_else(|| panic!("no {name} attached"));
    csv::Reader::from_reader(file.bytes.as_slice())
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|err| panic!("{name} does not parse: {err}"))
}

/// number, due_at, trigger, state, created_at, delivered_at
type StoredRound = (
    i64,
    DateTime<Utc>,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// The rows as the database holds them, read with plain SQL, not through the export code.
async fn stored_rounds(pool: &Db) -> Vec<RoundRow> {
    let rows: Vec<StoredRound> = query_as(
        "select number, due_at, trigger, state, created_at, delivered_at from round
             where guild_id = $1 order by number",
    )
    .bind(GUILD)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for (number, due_at, trigger, state, created_at, delivered_at) in rows {
        let (chats, people): (i64, i64) = query_as(
            "select count(*), cast(sum(size) as bigint) from match_group g join round r using (round_id)
             where r.guild_id = $1 and r.number = $2",
        )
        .bind(GUILD)
        .bind(number)
        .fetch_one(pool)
        .await
        .unwrap();
        out.push(RoundRow {
            round: number as u32,
            due_at,
            trigger: trigger.parse().unwrap(),
            state: state.parse().unwrap(),
            chats: chats as u32,
            people: people as u32,
            created_at,
            delivered_at,
        });
    }
    out
}

/// number, position, size, user_id, role, the booking's starts_at
type StoredGroupMember = (i64, i64, i64, i64, String, Option<DateTime<Utc>>);

async fn stored_groups(pool: &Db) -> Vec<GroupRow> {
    let rows: Vec<StoredGroupMember> = query_as(
        "select r.number, g.position, g.size, gm.user_id, gm.role, b.starts_at
         from group_member gm join match_group g using (group_id) join round r using (round_id)
         left join booking b on b.group_id = g.group_id
         where r.guild_id = $1 order by r.number, g.position, gm.user_id",
    )
    .bind(GUILD)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(round, position, size, user, role, booked_for)| GroupRow {
            round: round as u32,
            group: position as u32 + 1,
            group_size: size as u32,
            user_id: hallway::domain::ids::UserId(user as u64),
            role: role.parse().unwrap(),
            booked_for,
        })
        .collect()
}

async fn stored_outcomes(pool: &Db) -> Vec<OutcomeRow> {
    let rows: Vec<(i64, i64, i64, String, DateTime<Utc>)> = query_as(
        "select r.number, g.position, o.user_id, o.status, o.recorded_at
         from outcome o join match_group g using (group_id) join round r using (round_id)
         where r.guild_id = $1 order by r.number, g.position, o.user_id",
    )
    .bind(GUILD)
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(round, position, user, status, recorded_at)| OutcomeRow {
            round: round as u32,
            group: position as u32 + 1,
            user_id: hallway::domain::ids::UserId(user as u64),
            status: status.parse().unwrap(),
            recorded_at,
        })
        .collect()
}

fn sorted<T: Ord>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort();
    rows
}

/// A user id that appears only in an avoid list.
const AVOIDED: u64 = 1_999_999_999_999_999_999;

#[tokio::test]
async fn export_attaches_csvs_that_parse_back_to_the_stored_rows() {
    let env = start(4).await;
    a_round_with_answers(&env).await;
    let pool = db(&env).await;
    // Feedback, a win and an avoid entry straight into the database: their own features
    // are tested elsewhere.
    query(
        "insert into feedback (group_id, guild_id, user_id, rating, recorded_at)
         select gm.group_id, gm.guild_id, gm.user_id, 'great', '2026-11-20T10:00:00Z'
         from group_member gm join match_group g using (group_id) where g.position = 0",
    )
    .execute(&pool)
    .await
    .unwrap();
    let description = "Paper accepted, \"finally\"\nwith a second line";
    query(
        "insert into win (guild_id, program_id, user_id, kind, description, link, created_at)
         values ($1, (select program_id from program where guild_id = $1), $2, 'publication', $3,
                 'https://doi.org/10.1000/182', '2026-11-21T10:00:00Z')",
    )
    .bind(GUILD)
    .bind(member(2) as i64)
    .bind(description)
    .execute(&pool)
    .await
    .unwrap();
    query(
        "insert into avoid (guild_id, user_id, avoided_user_id, created_at)
         values ($1, $2, $3, '2026-11-21T10:00:00Z')",
    )
    .bind(GUILD)
    .bind(member(1) as i64)
    .bind(AVOIDED as i64)
    .execute(&pool)
    .await
    .unwrap();

    let reply = run(&env, admin("export").by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "`hallway-rounds.csv` (1 row)",
            "`hallway-groups.csv` (4 rows)",
            "`hallway-outcomes.csv` (2 rows)",
            "`hallway-feedback.csv` (1 row)",
            "`hallway-wins.csv` (1 row)",
            "Do-not-match lists are never exported",
        ],
    );
    let names: Vec<&str> = reply
        .attachments
        .iter()
        .map(|f| f.filename.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "hallway-rounds.csv",
            "hallway-groups.csv",
            "hallway-outcomes.csv",
            "hallway-feedback.csv",
            "hallway-wins.csv",
            "hallway-survey.csv"
        ]
    );

    assert_eq!(
        parse::<RoundRow>(&reply, "hallway-rounds.csv"),
        stored_rounds(&pool).await
    );
    assert_eq!(
        sorted(parse::<GroupRow>(&reply, "hallway-groups.csv")),
        stored_groups(&pool).await
    );
    assert_eq!(
        sorted(parse::<OutcomeRow>(&reply, "hallway-outcomes.csv")),
        stored_outcomes(&pool).await
    );
    assert_eq!(
        parse::<FeedbackRow>(&reply, "hallway-feedback.csv"),
        [FeedbackRow {
            round: 1,
            rating: hallway::domain::group::Rating::Great,
            answers: 2
        }]
    );
    let wins: Vec<WinRow> = parse(&reply, "hallway-wins.csv");
    assert_eq!(wins.len(), 1);
    assert_eq!(
        (
            wins[0].user_id,
            wins[0].kind.as_str(),
            wins[0].description.as_str()
        ),
        (
            hallway::domain::ids::UserId(member(2)),
            "publication",
            description
        )
    );
    assert_eq!(wins[0].link.as_deref(), Some("https://doi.org/10.1000/182"));

    // Feedback names nobody; the avoid list is nowhere.
    let feedback = &reply.attachments[3];
    let feedback_text = String::from_utf8_lossy(&feedback.bytes);
    assert_eq!(feedback_text.lines().next(), Some("round,rating,answers"));
    for n in 1..=4 {
        assert!(!feedback_text.contains(&member(n).to_string()));
    }
    for file in &reply.attachments {
        let text = String::from_utf8_lossy(&file.bytes);
        assert!(!text.contains(&AVOIDED.to_string()), "{}", file.filename);
        assert!(!text.contains("avoid"), "{}", file.filename);
    }

    // The offline export writes the very same files.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("export").join("2026-11");
    let (status, stdout, stderr) =
        hallway_export(&env.database_url(), &ids::GUILD.to_string(), &dir).await;
    assert!(status, "hallway export failed: {stderr}");
    for file in &reply.attachments {
        let written = std::fs::read(dir.join(&file.filename)).unwrap();
        assert_eq!(written, file.bytes, "{} differs", file.filename);
        assert!(stdout.contains(&*file.filename), "{stdout}");
    }
    assert!(stdout.contains("hallway-groups.csv (4 rows)"), "{stdout}");
}

/// Runs `hallway export`; returns whether it succeeded, its stdout and its stderr.
async fn hallway_export(database_url: &str, guild: &str, out: &Path) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_hallway"))
        .args(["export", "--guild", guild, "--out"])
        .arg(out)
        .env("DATABASE_URL", database_url)
        .env_remove("DISCORD_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run hallway export");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_offline_export_explains_a_bad_guild_a_bad_directory_and_a_missing_database() {
    let env = start(2).await;
    set_up_program(&env).await;
    let url = env.database_url();
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("out");

    let expect_error = |(ok, stdout, stderr): (bool, String, String), needle: &str| {
        assert!(!ok, "should fail; stdout: {stdout}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line:\n{stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        assert!(stderr.contains(needle), "lacks {needle:?}: {stderr}");
    };
    expect_error(
        hallway_export(&url, "not-a-number", &out).await,
        "--guild must be a Discord server id",
    );
    expect_error(
        hallway_export(&url, "42", &out).await,
        "has no server with id 42",
    );
    let a_file = scratch.path().join("a-file");
    std::fs::write(&a_file, "not a directory").unwrap();
    expect_error(
        hallway_export(&url, &ids::GUILD.to_string(), &a_file.join("out")).await,
        "cannot create the output directory",
    );
    let missing = scratch.path().join("missing.db");
    expect_error(
        hallway_export(
            &format!("sqlite://{}", missing.display()),
            &ids::GUILD.to_string(),
            &out,
        )
        .await,
        "cannot read the bot's database",
    );
    assert!(!missing.exists(), "no empty database is left behind");
    assert!(!out.exists(), "nothing was written");

    // A server with no rounds yet: every file, each with its header only.
    let (ok, _, stderr) = hallway_export(&url, &ids::GUILD.to_string(), &out).await;
    assert!(ok, "{stderr}");
    let groups = std::fs::read_to_string(out.join("hallway-groups.csv")).unwrap();
    assert_eq!(groups, "round,group,group_size,user_id,role,booked_for\n");
}

#[tokio::test]
async fn a_member_without_manage_server_gets_neither_stats_nor_export() {
    let env = start(2).await;
    set_up_program(&env).await;
    for sub in ["stats", "export"] {
        let reply = run(&env, admin(sub).by(ids::ADA)).await;
        assert_private(&reply, &["Only coordinators", "Manage Server"]);
        assert!(reply.attachments.is_empty(), "{sub} attached files");
        assert!(
            !reply.content.contains("hallway stats"),
            "{}",
            reply.content
        );
        assert!(
            !reply.content.contains("hallway export"),
            "{}",
            reply.content
        );
    }
}

/// The two charts every `stats` of a program with rounds attaches, each 800x400.
#[track_caller]
fn assert_two_charts(reply: &Reply) {
    let pngs: Vec<&FilePart> = reply
        .attachments
        .iter()
        .filter(|f| f.filename.ends_with(".png"))
        .collect();
    let names: Vec<&str> = pngs.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["hallway-stats.png", "hallway-evaluation.png"]);
    for png in pngs {
        let info = decode_png(png);
        assert_eq!((info.width, info.height), (800, 400), "{}", png.filename);
    }
}

/// What nobody may read in stats: the members' ids, names and respondent keys.
async fn who(pool: &Db) -> Vec<String> {
    let mut names: Vec<String> = query_scalar("select display_name from member")
        .fetch_all(pool)
        .await
        .unwrap();
    let ids: Vec<i64> = query_scalar("select user_id from member")
        .fetch_all(pool)
        .await
        .unwrap();
    let keys: Vec<String> = query_scalar("select respondent from survey_invite")
        .fetch_all(pool)
        .await
        .unwrap();
    names.extend(ids.iter().map(i64::to_string));
    names.extend(keys);
    names
}

#[tokio::test]
async fn stats_count_fit_answers_and_survey_answers_without_names_and_show_texts_from_three() {
    let env = start(4).await;
    a_round_with_answers(&env).await;
    let pool = db(&env).await;

    // As the fit check and a survey would have left them: three of four fit answers
    // good, and a halfway survey after round 1 that 3 of the 4 answered and 1 declined.
    let members: Vec<(i64, i64)> =
        query_as("select group_id, user_id from group_member order by group_id, user_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (i, (group, user)) in members.iter().enumerate() {
        let partner = members
            .iter()
            .find(|(g, u)| g == group && u != user)
            .map(|(_, u)| *u)
            .unwrap();
        query(
            "insert into fit_answer (group_id, guild_id, program_id, user_id, partner_id, fit,
                                     avoiding, answered_at)
             select $1, $2, program_id, $3, $4, $5, $6, $7 from program where guild_id = $2",
        )
        .bind(*group)
        .bind(GUILD)
        .bind(*user)
        .bind(partner)
        .bind(if i == 3 { "not-a-fit" } else { "good" })
        .bind(i == 3)
        .bind(Utc::now())
        .execute(&pool)
        .await
        .unwrap();
    }
    let started = Utc::now() - chrono::Duration::days(1);
    let survey: i64 = query_scalar(
        "insert into survey (program_id, guild_id, occasion, round_id, started_at, remind_at,
                             closes_at)
         select program_id, $1, 'halfway',
                (select round_id from round where guild_id = $1 and number = 1), $2, $3, $4
         from program where guild_id = $1
         returning survey_id",
    )
    .bind(GUILD)
    .bind(started)
    .bind(started + chrono::Duration::days(7))
    .bind(started + chrono::Duration::days(14))
    .fetch_one(&pool)
    .await
    .unwrap();
    for (position, kind, prompt) in [
        (1, "scale", "I felt connected to others in this program."),
        (2, "scale", "My chats happened as often as I hoped."),
        (3, "text", "One thing that would make this program better."),
    ] {
        query(
            "insert into survey_question (survey_id, position, kind, prompt) values ($1, $2, $3, $4)",
        )
        .bind(survey)
        .bind(position)
        .bind(kind)
        .bind(prompt)
        .execute(&pool)
        .await
        .unwrap();
    }
    let respondents = ["k7f3a9", "k1b2c3", "k9d8e7", "k4x5y6"];
    for (n, key) in respondents.iter().enumerate() {
        let state = if n == 3 { "declined" } else { "answered" };
        query(
            "insert into survey_invite (survey_id, guild_id, user_id, respondent, state,
                                        invited_at, answered_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(survey)
        .bind(GUILD)
        .bind(member(n + 1) as i64)
        .bind(*key)
        .bind(state)
        .bind(started)
        .bind((state == "answered").then(Utc::now))
        .execute(&pool)
        .await
        .unwrap();
    }
    let answer =
        |key: &'static str, position: i64, score: Option<i64>, text: Option<&'static str>| {
            let pool = pool.clone();
            async move {
                query(
                    "insert into survey_answer (survey_id, respondent, position, score, answer,
                                            answered_at)
                 values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(survey)
                .bind(key)
                .bind(position)
                .bind(score)
                .bind(text)
                .bind(Utc::now())
                .execute(&pool)
                .await
                .unwrap();
            }
        };
    // Scale 1: 5, 4, 4 (mean 4.3); scale 2: 2, 3 (one left it out; mean 2.5).
    for (key, first, second) in [
        ("k7f3a9", 5, Some(2)),
        ("k1b2c3", 4, Some(3)),
        ("k9d8e7", 4, None),
    ] {
        answer(key, 1, Some(first), None).await;
        if let Some(second) = second {
            answer(key, 2, Some(second), None).await;
        }
    }
    answer("k7f3a9", 3, None, Some("More evening slots, please")).await;
    answer("k1b2c3", 3, None, Some("A shared calendar of the chats")).await;

    let reply = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "**Fit**: 3 of 4 answers good fit (75%)",
            "**Surveys**",
            "**Halfway survey** · ",
            ", after round 1, open until ",
            " · 4 invited · 3 answered · 1 declined · response rate 75% (3 of 4)",
            "1. I felt connected to others in this program. · 3 answers · mean 4.3",
            "2. My chats happened as often as I hoped. · 2 answers · a mean is shown from 3 \
             answers on",
            "3. One thing that would make this program better. · 2 answers · texts are shown \
             from 3 answers on",
        ],
    );
    assert!(
        !reply.content.contains("mean 2.5"),
        "two scores have no mean: {}",
        reply.content
    );
    assert!(
        !reply.content.contains("More evening slots"),
        "{}",
        reply.content
    );
    assert!(
        !reply.content.contains("shared calendar"),
        "{}",
        reply.content
    );
    assert_two_charts(&reply);
    assert_eq!(
        reply.attachments.len(),
        2,
        "no surveys file: everything fits"
    );
    for needle in who(&pool).await {
        assert!(
            !reply.content.contains(&needle),
            "{needle} in {}",
            reply.content
        );
    }

    // A third text answer: now all three are shown, still without names.
    answer("k9d8e7", 3, None, Some("Nothing, it was great")).await;
    let reply = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &reply,
        &[
            "3. One thing that would make this program better. · 3 answers:",
            "> More evening slots, please",
            "> A shared calendar of the chats",
            "> Nothing, it was great",
        ],
    );
    assert_two_charts(&reply);
    for needle in who(&pool).await {
        assert!(
            !reply.content.contains(&needle),
            "{needle} in {}",
            reply.content
        );
    }
    assert!(
        !reply.content.contains("texts are shown from"),
        "{}",
        reply.content
    );

    // Stats only read: the answers are as they were seeded.
    assert_eq!(count(&pool, "select count(*) from fit_answer").await, 4);
    assert_eq!(count(&pool, "select count(*) from survey_answer").await, 8);
    assert_eq!(
        count(
            &pool,
            "select count(*) from survey_invite where state = 'answered'"
        )
        .await,
        3
    );
}

/// The intros of round `round`, each with the members it mentions, in order.
fn intros_of_round(env: &TestEnv, round: u32) -> Vec<(PostedMessage, Vec<u64>)> {
    let suffix = format!("· round {round}");
    threads_with_intros(env)
        .into_iter()
        .filter(|(thread, _)| {
            env.fake
                .channel(*thread)
                .is_some_and(|t| t.name.ends_with(&suffix))
        })
        .map(|(_, messages)| {
            let intro = messages[0].clone();
            let mut members = intro.mentioned_ids();
            members.sort();
            (intro, members)
        })
        .collect()
}

/// Waits for a fit check to `user` not answered yet and answers it with `label`, as the
/// member: the DM then says what they said.
async fn answer_fit_check(env: &TestEnv, user: u64, label: &str) {
    let dm = env
        .fake
        .wait_until(WAIT, "a fit check DM not answered yet", |f| {
            f.dms_to(user).into_iter().find(|m| {
                m.content.contains("How was the fit with") && !m.content.contains("You said:")
            })
        })
        .await;
    let handle = env
        .fake
        .click(ButtonClick::new(dm.id, &dm.button_id(label)).by(user))
        .await;
    let reply = env.fake.reply_to(&handle, WAIT).await;
    assert!(
        reply.content.contains(&format!("You said: **{label}**.")),
        "{}",
        reply.content
    );
}

/// Runs a round, has the first member of each of `met` of its pairs click "We met", and
/// returns the pairs, in intro order.
async fn a_round_where_pairs_meet(env: &TestEnv, round: u32, met: usize) -> Vec<Vec<u64>> {
    match_now(env).await;
    summary(env, round).await;
    let intros = intros_of_round(env, round);
    assert_eq!(intros.len(), 2, "four peers, two pairs");
    for (intro, members) in intros.iter().take(met) {
        click(env, intro, "We met", members[0]).await;
    }
    intros.into_iter().map(|(_, members)| members).collect()
}

/// The evaluation chart's pixels in the good-fit colour below its header, by column: the
/// fit points and line, without the legend's swatch.
fn fit_columns(reply: &Reply) -> Vec<u32> {
    let png = reply
        .attachments
        .iter()
        .find(|f| f.filename == "hallway-evaluation.png")
        .expect("the evaluation chart");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.bytes.as_slice()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let info = reader.next_frame(&mut pixels).expect("its pixels");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let fit = hallway::chart::FIT_COLOUR;
    let (width, header) = (info.width, hallway::chart::HEADER_HEIGHT);
    let mut columns: Vec<u32> = pixels
        .chunks_exact(3)
        .enumerate()
        .filter(|(i, p)| *i as u32 / width >= header && p == &[fit.0, fit.1, fit.2])
        .map(|(i, _)| i as u32 % width)
        .collect();
    columns.sort();
    columns.dedup();
    columns
}

#[tokio::test]
async fn a_round_with_one_pairs_fit_answers_shows_no_rate_and_no_point_until_a_third_answer() {
    let env = start(4).await;
    set_up_program(&env).await;
    for n in 1..=4 {
        join(&env, member(n), choice::PEER).await;
    }
    let pool = db(&env).await;

    // Round 1: both pairs meet, and all four answer the fit check; three good fits.
    let pairs = a_round_where_pairs_meet(&env, 1, 2).await;
    answer_fit_check(&env, pairs[0][0], "Good fit").await;
    answer_fit_check(&env, pairs[0][1], "Good fit").await;
    answer_fit_check(&env, pairs[1][0], "Good fit").await;
    answer_fit_check(&env, pairs[1][1], "Not a fit").await;
    // Round 2: one pair meets, and both answer: what they said must stay theirs.
    let pairs = a_round_where_pairs_meet(&env, 2, 1).await;
    answer_fit_check(&env, pairs[0][0], "Good fit").await;
    answer_fit_check(&env, pairs[0][1], "Not a fit").await;
    assert_eq!(count(&pool, "select count(*) from fit_answer").await, 6);

    let last = run(&env, admin("stats").opt("rounds", 1i64).by(ids::CORA)).await;
    assert_private(
        &last,
        &[
            "the last 1 round (round 2)",
            "**Fit**: 2 answers since round 2 · a rate is shown from 3 answers on\n",
            "Rates and means need 3 answers",
        ],
    );
    assert!(
        !last.content.contains("good fit ("),
        "no rate of one pair's answers: {}",
        last.content
    );
    assert_two_charts(&last);
    assert_eq!(
        fit_columns(&last),
        Vec::<u32>::new(),
        "no fit point for round 2"
    );

    // Every round: round 1's four answers, round 2's two still waiting; a point for
    // round 1 only, in the left half of the plot.
    let all = run(&env, admin("stats").by(ids::CORA)).await;
    assert_private(
        &all,
        &[
            "**Fit**: 3 of 4 answers good fit (75%) · 2 more answers since round 2, shown from \
           3 answers on",
        ],
    );
    let columns = fit_columns(&all);
    assert!(!columns.is_empty(), "round 1's point");
    assert!(
        columns.iter().all(|x| *x < hallway::chart::WIDTH / 2),
        "nothing at round 2: {columns:?}"
    );

    // Round 3: one answer more makes three, pooled with round 2's: a rate, and a point.
    let pairs = a_round_where_pairs_meet(&env, 3, 1).await;
    answer_fit_check(&env, pairs[0][0], "Good fit").await;
    let last = run(&env, admin("stats").opt("rounds", 1i64).by(ids::CORA)).await;
    assert_private(
        &last,
        &[
            "the last 1 round (round 3)",
            "**Fit**: 2 of 3 answers good fit (67%), about rounds 2–3\n",
        ],
    );
    assert!(!fit_columns(&last).is_empty(), "a point for round 3");
    for needle in who(&pool).await {
        assert!(
            !last.content.contains(&needle),
            "{needle} in {}",
            last.content
        );
    }
    assert_eq!(count(&pool, "select count(*) from fit_answer").await, 7);
    assert_eq!(
        count(&pool, "select count(*) from fit_answer where fit = 'good'").await,
        5,
        "stats only read"
    );
}
