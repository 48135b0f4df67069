use std::time::Duration;

use serde_json::Value;

use crate::support::bot::{BotOptions, BotProcess, TestEnv};
use crate::support::fake_discord::FakeDiscord;

fn option_names(command: &Value) -> Vec<String> {
    command["options"]
        .as_array()
        .map(|options| {
            options
                .iter()
                .map(|o| o["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn subcommand<'a>(command: &'a Value, name: &str) -> &'a Value {
    command["options"]
        .as_array()
        .and_then(|subs| subs.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no subcommand {name} in {command}"))
}

#[tokio::test]
async fn identifies_then_registers_the_command_set() {
    let env = TestEnv::start().await;
    // The gateway handshake: exactly one IDENTIFY, with our token, before the commands PUT.
    assert_eq!(env.fake.identify_count(), 1);
    let commands = env.commands();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hallway", "hallway-admin", "win"]);

    let hallway = &commands[0];
    assert_eq!(
        option_names(hallway),
        [
            "join",
            "profile",
            "pause",
            "resume",
            "leave",
            "interests",
            "avoid",
            "unavoid",
            "history",
            "forget-me"
        ]
    );
    let join = subcommand(hallway, "join");
    assert_eq!(
        option_names(join),
        [
            "role",
            "program",
            "timezone",
            "institution",
            "time_of_day",
            "modality",
            "capacity",
            "shoutouts",
            "about"
        ]
    );
    let role = &join["options"][0];
    assert_eq!(role["required"], true);
    assert_eq!(choice_names(role), ["mentor", "mentee", "peer"]);
    assert_eq!(
        join["options"][1]["autocomplete"], true,
        "programs autocomplete"
    );
    assert_eq!(
        join["options"][2]["autocomplete"], true,
        "time zones autocomplete"
    );
    assert_eq!(join["options"][8]["max_length"], 150, "the about line");
    assert_eq!(
        option_names(subcommand(hallway, "pause")),
        ["weeks", "program"]
    );
    for sub in ["profile", "resume", "leave"] {
        assert_eq!(option_names(subcommand(hallway, sub)), ["program"], "{sub}");
    }
    assert_eq!(option_names(subcommand(hallway, "avoid")), ["member"]);

    let admin = &commands[1];
    // Hidden from members without Manage Server (0x20) by Discord itself.
    assert_eq!(admin["default_member_permissions"], "32");
    assert_eq!(
        option_names(admin),
        [
            "setup",
            "schedule",
            "matching",
            "program",
            "watercooler",
            "match-now",
            "pause-program",
            "resume-program",
            "prompts",
            "interests",
            "stats",
            "export",
            "invite",
            "attention",
            "survey"
        ]
    );
    let stats = subcommand(admin, "stats");
    assert_eq!(option_names(stats), ["rounds", "program"]);
    let bounds = |key: &str| stats["options"][0][key].as_f64();
    assert_eq!(
        (bounds("min_value"), bounds("max_value")),
        (Some(1.0), Some(520.0))
    );
    assert_eq!(option_names(subcommand(admin, "export")), ["program"]);
    assert_eq!(option_names(subcommand(admin, "invite")), ["program"]);
    assert_eq!(option_names(subcommand(admin, "attention")), ["program"]);
    assert_eq!(
        option_names(subcommand(admin, "setup")),
        [
            "channel",
            "celebrations_channel",
            "coordinators_channel",
            "program"
        ]
    );
    assert_eq!(
        option_names(subcommand(admin, "schedule")),
        ["every", "day", "hour", "timezone", "program"]
    );
    assert_eq!(
        option_names(subcommand(admin, "matching")),
        ["mode", "group_size", "cross_institution", "program"]
    );
    let program = subcommand(admin, "program");
    assert_eq!(program["type"], 2, "a subcommand group");
    assert_eq!(option_names(program), ["create", "edit", "list", "archive"]);
    assert_eq!(
        option_names(subcommand(program, "create")),
        ["name", "channel", "mode", "group_size"]
    );
    assert_eq!(
        option_names(subcommand(program, "edit")),
        [
            "program",
            "name",
            "start",
            "end",
            "welcome",
            "channel",
            "celebrations_channel",
            "mode",
            "group_size",
            "cross_institution",
            "interest_weight",
            "meeting_length",
            "reminder",
            "attention_rounds",
            "weekly_digest"
        ]
    );
    assert_eq!(option_names(subcommand(program, "archive")), ["program"]);
    let tags = subcommand(admin, "interests");
    assert_eq!(tags["type"], 2, "a subcommand group");
    assert_eq!(option_names(tags), ["add", "remove", "list"]);
    assert_eq!(
        option_names(subcommand(admin, "watercooler")),
        ["every", "channel", "program"]
    );
    assert_eq!(
        option_names(subcommand(admin, "match-now")),
        ["preview", "program"]
    );
    let survey = subcommand(admin, "survey");
    assert_eq!(survey["type"], 2, "a subcommand group");
    assert_eq!(
        option_names(survey),
        ["start", "questions", "question", "remove", "reset", "auto"]
    );
    for sub in ["start", "questions", "reset"] {
        assert_eq!(option_names(subcommand(survey, sub)), ["program"], "{sub}");
    }
    let question = subcommand(survey, "question");
    assert_eq!(
        option_names(question),
        ["position", "kind", "text", "program"]
    );
    assert_eq!(choice_names(&question["options"][1]), ["scale", "text"]);
    assert_eq!(question["options"][2]["max_length"], 100);
    assert_eq!(
        option_names(subcommand(survey, "remove")),
        ["position", "program"]
    );
    let auto = subcommand(survey, "auto");
    assert_eq!(option_names(auto), ["setting", "program"]);
    assert_eq!(choice_names(&auto["options"][0]), ["on", "off"]);
    let prompts = subcommand(admin, "prompts");
    assert_eq!(prompts["type"], 2, "a subcommand group");
    assert_eq!(option_names(prompts), ["add", "list", "remove"]);

    let win = &commands[2];
    assert_eq!(
        option_names(win),
        ["kind", "description", "link", "program"]
    );
    assert_eq!(
        choice_names(&win["options"][0]),
        [
            "publication",
            "grant",
            "award",
            "talk",
            "milestone",
            "other"
        ]
    );
    assert!(
        env.fake.unknown_routes().is_empty(),
        "{:?}",
        env.fake.unknown_routes()
    );
}

fn choice_names(option: &Value) -> Vec<&str> {
    option["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_development_guild_gets_the_commands_instead_of_everyone() {
    let env = TestEnv::start_with(Default::default(), |o| {
        o.env(
            "HALLWAY_DEV_GUILD_ID",
            &crate::support::config::ids::GUILD.to_string(),
        )
    })
    .await;
    let put = env
        .fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.ends_with("/commands"))
        .unwrap();
    assert!(put.path.contains("/guilds/"), "{}", put.path);
}

#[tokio::test]
async fn a_missing_token_exits_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let mut bot = BotProcess::spawn(&fake, &BotOptions::new(dir.path().join("h.db")).token(""));
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success());
    let logs = bot.logs();
    assert!(logs.contains("error: DISCORD_TOKEN is not set"), "{logs}");
}

#[tokio::test]
async fn a_rejected_token_exits_non_zero_without_leaking_it() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let token = "not-the-right-token-1234567890";
    let mut bot = BotProcess::spawn(
        &fake,
        &BotOptions::new(dir.path().join("h.db")).token(token),
    );
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success());
    let logs = bot.logs();
    assert!(
        logs.contains("Discord rejected the bot token in DISCORD_TOKEN"),
        "{logs}"
    );
    assert!(
        !logs.contains(token),
        "the token leaked into the output:\n{logs}"
    );
}

#[tokio::test]
async fn the_token_never_reaches_the_logs_even_at_debug() {
    let env = TestEnv::start_with(Default::default(), |o| o.env("HALLWAY_LOG", "debug")).await;
    env.bot
        .wait_for_log("connected and commands registered", Duration::from_secs(15))
        .await;
    let logs = env.bot.logs();
    assert!(logs.contains("DEBUG"), "debug logging is on");
    assert!(!logs.contains(env.fake.token()), "token in logs");
}

#[tokio::test]
async fn migrate_creates_the_database_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDiscord::start_default().await;
    let database = crate::support::database::TestDatabase::fresh(dir.path()).await;
    let options = BotOptions::with_database(database.url())
        .args(&["migrate"])
        .token("");
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{}", bot.logs());
    if database.backend() == hallway::storage::Backend::Sqlite {
        assert!(dir.path().join("hallway.db").exists());
    }
    let pool = crate::support::database::open(database.url()).await;
    let tables = crate::helpers::tables(&pool).await;
    for table in ["program", "member", "round", "outbox"] {
        assert!(
            tables.iter().any(|t| t == table),
            "no {table} in {tables:?}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "migrate must not talk to Discord"
    );
}

#[tokio::test]
async fn a_token_the_gateway_rejects_with_4004_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let fake =
        FakeDiscord::start(crate::support::config::FakeConfig::default().reject_identify()).await;
    let mut bot = BotProcess::spawn(&fake, &BotOptions::new(dir.path().join("h.db")));
    let status = bot.wait_exit(Duration::from_secs(20)).await;
    assert!(!status.success());
    assert!(
        bot.logs().contains("gateway close code 4004"),
        "{}",
        bot.logs()
    );
    assert_eq!(fake.identify_count(), 1, "no reconnect loop after 4004");
}

#[tokio::test]
async fn simulate_takes_a_spreadsheet_whose_ids_are_names_and_email_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("members.csv");
    // A coordinator previewing a program before anyone joined: no Discord ids yet.
    let mut csv =
        String::from("id,role,institution,timezone,time_of_day,modality,capacity,avoid\n");
    csv.push_str("ana@ucsf.edu,peer,UCSF,America/Los_Angeles,,,,Bo Chen\n");
    csv.push_str("Bo Chen,peer,,,,,,\n");
    for k in 0..10 {
        csv.push_str(&format!("m{k:03},peer,,Europe/Berlin,,,,\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallway"))
        .args(["simulate", "--population"])
        .arg(&path)
        .args(["--rounds", "11", "--mode", "open", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["members"], 12);
    assert_eq!(report["rounds"], 11);
    assert_eq!(report["avoid_violations"], 0, "{report}");
    assert_eq!(report["unmatched_member_rounds"], 0, "{report}");

    std::fs::write(
        &path,
        "id,role,institution,timezone,time_of_day,modality,capacity,avoid\nana,peer,,,,,,bob\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hallway"))
        .args(["simulate", "--population"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: avoid lists id 'bob', which is not in the file"),
        "{err}"
    );
}
