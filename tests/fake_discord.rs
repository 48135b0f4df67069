//! Proves the fake Discord in `tests/support` against serenity itself:
//! (a) every payload it sends parses into the serenity type it must become,
//! (b) a real serenity + poise client runs against it end to end,
//! (c) failure injection answers what it promises.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serde_json::{json, Value};
use serenity::model::event::GatewayEvent;
use serenity::{
    ApplicationId, ChannelId, ChannelType, Command, ComponentInteraction, CreateActionRow,
    CreateAttachment, CreateButton, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateThread, EditInteractionResponse, EditMessage, Event, GatewayIntents,
    GuildId, Http, HttpBuilder, Interaction, Permissions, ReactionType, ResolvedValue, UserId,
};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

// ---- helpers ---------------------------------------------------------------

/// Parses a gateway frame exactly as serenity's shard does and insists that
/// a dispatch did not silently fall back to `Event::Unknown`.
fn parse_frame(frame: &Value) -> GatewayEvent {
    let event: GatewayEvent = serde_json::from_str(&frame.to_string())
        .unwrap_or_else(|e| panic!("serenity cannot parse frame: {e}\n{frame:#}"));
    if let GatewayEvent::Dispatch(_, Event::Unknown(u)) = &event {
        panic!(
            "{} parsed as Event::Unknown: {}\n{frame:#}",
            u.kind,
            strict_error(&u.kind, &u.value)
        );
    }
    event
}

/// `Event::Unknown` hides the reason; parsing the payload type directly shows it.
fn strict_error(kind: &str, data: &Value) -> String {
    fn err<T: serde::de::DeserializeOwned>(data: &Value) -> String {
        serde_json::from_value::<T>(data.clone())
            .err()
            .map_or("no error from the strict parse".into(), |e| e.to_string())
    }
    match kind {
        "READY" => err::<serenity::Ready>(data),
        "GUILD_CREATE" => err::<serenity::GuildCreateEvent>(data),
        "INTERACTION_CREATE" => err::<Interaction>(data),
        "GUILD_MEMBER_ADD" => err::<serenity::GuildMemberAddEvent>(data),
        "GUILD_MEMBER_REMOVE" => err::<serenity::GuildMemberRemoveEvent>(data),
        "RESUMED" => err::<serenity::ResumedEvent>(data),
        _ => "no strict parser for this event".into(),
    }
}

fn parse_dispatch(event: &str, data: Value) -> Event {
    match parse_frame(&fixtures::frame(1, event, data)) {
        GatewayEvent::Dispatch(_, e) => e,
        other => panic!("expected a dispatch, got {other:?}"),
    }
}

fn interaction_of(event: Event) -> Interaction {
    match event {
        Event::InteractionCreate(e) => e.interaction,
        other => panic!("expected INTERACTION_CREATE, got {other:?}"),
    }
}

fn standalone_http(fake: &FakeDiscord, token: &str) -> Http {
    HttpBuilder::new(token)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(ids::APP))
        .build()
}

/// (HTTP status, Discord error code) of a failed serenity call.
fn http_failure(err: &serenity::Error) -> (u16, isize) {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            (r.status_code.as_u16(), r.error.code)
        }
        other => panic!("expected an unsuccessful HTTP request, got {other:?}"),
    }
}

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A bare HTTP/1.1 GET, to see the status line and headers serenity hides.
async fn raw_get(fake: &FakeDiscord, path: &str, token: &str) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(fake.addr())
        .await
        .expect("connect to the fake");
    let request = format!(
        "GET /api/v10{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bot {token}\r\nConnection: close\r\n\r\n",
        fake.addr()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

// ---- (a) contract: gateway payloads ------------------------------------------

#[tokio::test]
async fn ready_guild_create_resumed_and_member_events_parse() {
    let cfg = FakeConfig::default().with_generated_members(3);
    let guild = &cfg.guilds[0];

    match parse_dispatch(
        "READY",
        fixtures::ready(&cfg, "s1", "ws://127.0.0.1:1/gateway"),
    ) {
        Event::Ready(r) => {
            assert_eq!(r.ready.user.id.get(), ids::BOT_USER);
            assert_eq!(r.ready.application.id.get(), ids::APP);
            assert_eq!(r.ready.guilds.len(), 1);
        }
        other => panic!("READY became {other:?}"),
    }

    match parse_dispatch("GUILD_CREATE", fixtures::guild_create(&cfg, guild, &[])) {
        Event::GuildCreate(g) => {
            let g = g.guild;
            assert_eq!(g.id.get(), ids::GUILD);
            assert_eq!(g.owner_id.get(), ids::OLIVE);
            assert_eq!(g.channels.len(), 3);
            assert_eq!(
                g.members.len(),
                6 + 3 + 1,
                "config members, generated ones and the bot"
            );
            let cora = &g.members[&UserId::new(ids::CORA)];
            assert!(g.member_permissions(cora).manage_guild());
            let ada = &g.members[&UserId::new(ids::ADA)];
            assert!(!g.member_permissions(ada).manage_guild());
            assert_eq!(g.members[&UserId::new(ids::BEN)].display_name(), "Benji");
        }
        other => panic!("GUILD_CREATE became {other:?}"),
    }

    assert!(matches!(
        parse_dispatch("RESUMED", json!({})),
        Event::Resumed(_)
    ));

    let newcomer = FakeMember::new(ids::generated(99), "newcomer").global_name("New Comer");
    match parse_dispatch(
        "GUILD_MEMBER_ADD",
        fixtures::member_add(ids::GUILD, &newcomer),
    ) {
        Event::GuildMemberAdd(e) => {
            assert_eq!(e.member.user.id.get(), ids::generated(99));
            assert_eq!(e.member.guild_id.get(), ids::GUILD);
        }
        other => panic!("GUILD_MEMBER_ADD became {other:?}"),
    }
    match parse_dispatch(
        "GUILD_MEMBER_REMOVE",
        fixtures::member_remove(ids::GUILD, fixtures::member_user(&newcomer)),
    ) {
        Event::GuildMemberRemove(e) => assert_eq!(e.user.id.get(), ids::generated(99)),
        other => panic!("GUILD_MEMBER_REMOVE became {other:?}"),
    }

    // Non-dispatch frames go through serenity's GatewayEvent too.
    assert!(matches!(
        parse_frame(&fixtures::hello(1000)),
        GatewayEvent::Hello(1000)
    ));
    assert!(matches!(
        parse_frame(&fixtures::heartbeat_ack()),
        GatewayEvent::HeartbeatAck
    ));
    assert!(matches!(
        parse_frame(&fixtures::invalid_session(false)),
        GatewayEvent::InvalidateSession(false)
    ));
    assert!(matches!(
        parse_frame(&fixtures::reconnect()),
        GatewayEvent::Reconnect
    ));
}

#[tokio::test]
async fn slash_interactions_parse_with_resolved_options_and_permissions() {
    let fake = FakeDiscord::start_default().await;

    let (handle, payload) = fake.prepare_slash(
        &SlashInvocation::new("hallway")
            .sub("join")
            .by(ids::CORA)
            .opt("timezone", "Europe/Berlin")
            .opt("hour", 9)
            .opt("weight", 1.5)
            .opt("mentor", true)
            .user_opt("buddy", ids::BEN)
            .channel_opt("where", ids::MENTORING)
            .role_opt("role", ids::COORDINATOR_ROLE),
    );
    let Interaction::Command(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not a command interaction")
    };
    assert_eq!(
        (ci.id.get(), ci.token.as_str()),
        (handle.id, handle.token.as_str())
    );
    assert_eq!(ci.data.name, "hallway");
    assert_eq!(ci.guild_id.map(|g| g.get()), Some(ids::GUILD));
    assert_eq!(ci.channel_id.get(), ids::GENERAL);
    assert_eq!(
        ci.user.id.get(),
        ids::CORA,
        "serenity copies member.user into user"
    );
    let member = ci.member.as_ref().expect("guild invocation has a member");
    assert!(member
        .permissions
        .expect("member.permissions")
        .manage_guild());
    assert!(ci
        .app_permissions
        .expect("app_permissions")
        .create_private_threads());

    let options = ci.data.options();
    let ResolvedValue::SubCommand(sub) = &options[0].value else {
        panic!("expected a subcommand: {options:?}")
    };
    assert_eq!(options[0].name, "join");
    let by_name = |n: &str| {
        &sub.iter()
            .find(|o| o.name == n)
            .unwrap_or_else(|| panic!("no option {n}"))
            .value
    };
    assert!(matches!(
        by_name("timezone"),
        ResolvedValue::String("Europe/Berlin")
    ));
    assert!(matches!(by_name("hour"), ResolvedValue::Integer(9)));
    assert!(
        matches!(by_name("weight"), ResolvedValue::Number(w) if (*w - 1.5).abs() < f64::EPSILON)
    );
    assert!(matches!(by_name("mentor"), ResolvedValue::Boolean(true)));
    match by_name("buddy") {
        ResolvedValue::User(user, Some(pm)) => {
            assert_eq!(user.id.get(), ids::BEN);
            assert_eq!(pm.nick.as_deref(), Some("Benji"));
        }
        other => panic!("buddy did not resolve to a user and member: {other:?}"),
    }
    match by_name("where") {
        ResolvedValue::Channel(c) => assert_eq!(c.name.as_deref(), Some("mentoring")),
        other => panic!("where did not resolve to a channel: {other:?}"),
    }
    assert!(matches!(by_name("role"), ResolvedValue::Role(r) if r.name == "Coordinator"));

    // A member without Manage Server, and a subcommand group.
    let (_, payload) = fake.prepare_slash(
        &SlashInvocation::new("hallway-admin")
            .group("prompts")
            .sub("add")
            .opt("text", "hi"),
    );
    let Interaction::Command(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!()
    };
    assert!(!ci
        .member
        .and_then(|m| m.permissions)
        .expect("permissions")
        .manage_guild());
    assert!(
        matches!(&ci.data.options()[0].value, ResolvedValue::SubCommandGroup(g) if g[0].name == "add")
    );

    // A DM: user instead of member, no guild.
    let (_, payload) = fake.prepare_slash(
        &SlashInvocation::new("win")
            .in_dm()
            .by(ids::DEV)
            .opt("kind", "grant"),
    );
    let Interaction::Command(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!()
    };
    assert!(ci.guild_id.is_none() && ci.member.is_none());
    assert_eq!(ci.user.id.get(), ids::DEV);
    assert_eq!(Some(ci.channel_id.get()), fake.dm_channel_of(ids::DEV));

    // Autocomplete.
    let (_, payload) = fake.prepare_autocomplete(
        &SlashInvocation::new("hallway")
            .sub("join")
            .focus("timezone", "Europe/Be"),
    );
    let Interaction::Autocomplete(ai) =
        interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not an autocomplete interaction")
    };
    let focused = ai.data.autocomplete().expect("a focused option");
    assert_eq!((focused.name, focused.value), ("timezone", "Europe/Be"));
}

#[tokio::test]
async fn button_and_select_clicks_parse_with_their_message() {
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let posted = ChannelId::new(ids::MENTORING)
        .send_message(
            &http,
            CreateMessage::new()
                .content("Say hi <@1300000000000000011>")
                .components(vec![CreateActionRow::Buttons(vec![
                    CreateButton::new("met:1").label("We met"),
                    CreateButton::new("skip:1")
                        .label("Skip this round")
                        .style(serenity::ButtonStyle::Secondary),
                ])]),
        )
        .await
        .expect("post a message with buttons");

    let (handle, payload) =
        fake.prepare_click(&ButtonClick::new(posted.id.get(), "met:1").by(ids::BEN));
    let Interaction::Component(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not a component interaction")
    };
    assert_eq!(ci.id.get(), handle.id);
    assert_eq!(ci.data.custom_id, "met:1");
    assert!(matches!(
        ci.data.kind,
        serenity::ComponentInteractionDataKind::Button
    ));
    assert_eq!(ci.message.id, posted.id);
    assert_eq!(ci.message.components.len(), 1);
    assert_eq!(ci.user.id.get(), ids::BEN);
    assert_eq!(ci.guild_id.map(|g| g.get()), Some(ids::GUILD));

    let (_, payload) =
        fake.prepare_click(&ButtonClick::new(posted.id.get(), "feedback").select(&["great"]));
    let Interaction::Component(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!()
    };
    assert!(
        matches!(&ci.data.kind, serenity::ComponentInteractionDataKind::StringSelect { values } if values == &["great"])
    );
}

#[tokio::test]
async fn a_modal_opened_from_a_button_submits_as_serenitys_modal_interaction_and_updates_its_message(
) {
    use support::interactions::ModalSubmit;
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let posted = ChannelId::new(ids::GENERAL)
        .send_message(
            &http,
            CreateMessage::new()
                .content("Question 5 of 5")
                .button(CreateButton::new("write").label("Write an answer")),
        )
        .await
        .expect("post a message with a button");
    let (_, payload) = fake.prepare_click(&ButtonClick::new(posted.id.get(), "write"));
    let Interaction::Component(click) =
        interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not a component interaction")
    };
    // No modal was opened yet: there is nothing to submit.
    let early = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fake.prepare_modal(&ModalSubmit::new(posted.id.get(), "answer-form"))
    }));
    assert!(early.is_err(), "a submission of a modal never opened");
    let input = serenity::CreateInputText::new(
        serenity::InputTextStyle::Paragraph,
        "Your answer",
        "answer",
    )
    .max_length(500);
    let modal = serenity::CreateModal::new("answer-form", "Question 5 of 5")
        .components(vec![CreateActionRow::InputText(input)]);
    click
        .create_response(&http, CreateInteractionResponse::Modal(modal))
        .await
        .expect("open the modal");
    let opened = fake.reply_to(&fake_handle(&click), WAIT).await;
    assert_eq!(opened.kind, ReplyKind::Modal);
    assert_eq!(opened.raw["custom_id"], "answer-form");

    let submit = ModalSubmit::new(posted.id.get(), "answer-form")
        .by(ids::ADA)
        .field("answer", "More evening slots");
    let (handle, payload) = fake.prepare_modal(&submit);
    let Interaction::Modal(mi) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not a modal interaction")
    };
    assert_eq!(mi.id.get(), handle.id);
    assert_eq!(mi.data.custom_id, "answer-form");
    assert_eq!(mi.user.id.get(), ids::ADA);
    assert_eq!(mi.guild_id.map(|g| g.get()), Some(ids::GUILD));
    assert_eq!(mi.message.as_ref().map(|m| m.id), Some(posted.id));
    let values: Vec<(String, Option<String>)> = mi
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .map(|c| match c {
            serenity::ActionRowComponent::InputText(t) => (t.custom_id.clone(), t.value.clone()),
            other => panic!("not a text input: {other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        [("answer".to_string(), Some("More evening slots".to_string()))]
    );
    let wrong = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fake.prepare_modal(&ModalSubmit::new(posted.id.get(), "answer-form").by(ids::BEN))
    }));
    assert!(wrong.is_err(), "the modal was opened for Ada, not Ben");

    // A modal cannot answer a modal; updating the message it came from can.
    let again = serenity::CreateModal::new("again", "Again");
    let refused = mi
        .create_response(&http, CreateInteractionResponse::Modal(again))
        .await
        .expect_err("a modal answering a modal");
    assert_eq!(http_failure(&refused).0, 400);
    let update = CreateInteractionResponseMessage::new()
        .content("Thank you!")
        .components(vec![]);
    mi.create_response(&http, CreateInteractionResponse::UpdateMessage(update))
        .await
        .expect("update the message");
    let reply = fake.reply_to(&handle, WAIT).await;
    assert_eq!(
        (reply.kind, reply.content.as_str()),
        (ReplyKind::Update, "Thank you!")
    );
    let stored = fake.message(posted.id.get()).expect("message");
    assert_eq!(stored.content, "Thank you!");
    assert!(stored.buttons().is_empty());
}

/// The handle of an interaction serenity parsed, to read the fake's record of it.
fn fake_handle(click: &ComponentInteraction) -> InteractionHandle {
    InteractionHandle {
        id: click.id.get(),
        token: click.token.clone(),
    }
}

// ---- (a) contract: REST answers, through serenity's own HTTP client ---------

#[tokio::test]
async fn rest_answers_parse_into_serenity_types() {
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);

    assert_eq!(
        http.get_gateway().await.expect("gateway").url,
        fake.gateway_url()
    );
    assert_eq!(http.get_bot_gateway().await.expect("gateway/bot").shards, 1);
    assert_eq!(
        http.get_current_user().await.expect("users/@me").id.get(),
        ids::BOT_USER
    );
    let app = http
        .get_current_application_info()
        .await
        .expect("oauth2/applications/@me");
    assert_eq!(app.owner.map(|o| o.id.get()), Some(ids::OLIVE));

    let guild = GuildId::new(ids::GUILD);
    assert_eq!(
        guild.to_partial_guild(&http).await.expect("guild").name,
        "Hallway Test Lab"
    );
    let ben = guild
        .member(&http, UserId::new(ids::BEN))
        .await
        .expect("member");
    assert_eq!(ben.display_name(), "Benji");
    assert_eq!(
        guild
            .members(&http, Some(1000), None)
            .await
            .expect("members")
            .len(),
        7
    );
    let missing = guild
        .member(&http, UserId::new(42))
        .await
        .expect_err("unknown member");
    assert_eq!(http_failure(&missing), (404, 10007));
    assert_eq!(guild.channels(&http).await.expect("channels").len(), 3);
    assert!(guild.roles(&http).await.expect("roles").len() >= 2);
    let general = ChannelId::new(ids::GENERAL)
        .to_channel(&http)
        .await
        .expect("channel")
        .guild()
        .expect("a guild channel");
    assert_eq!(general.name, "general");

    // Messages: embed, buttons, mentions, then a multipart upload.
    let embed = CreateEmbed::new()
        .title("🎉 New grant")
        .description("Ada got a grant")
        .field("Kind", "grant", true);
    let msg = ChannelId::new(ids::CELEBRATIONS)
        .send_message(
            &http,
            CreateMessage::new()
                .content("Congrats <@1300000000000000011>!")
                .embed(embed)
                .allowed_mentions(
                    serenity::CreateAllowedMentions::new().users(vec![UserId::new(ids::ADA)]),
                )
                .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
                    "cheer",
                )
                .label("Cheer")])]),
        )
        .await
        .expect("send a message");
    assert_eq!(msg.mentions.first().map(|u| u.id.get()), Some(ids::ADA));
    assert_eq!(msg.embeds[0].title.as_deref(), Some("🎉 New grant"));
    msg.react(&http, ReactionType::Unicode("🎉".into()))
        .await
        .expect("react");
    let stored = fake.message(msg.id.get()).expect("stored");
    assert_eq!(stored.reactions, vec!["🎉".to_string()]);
    assert_eq!(stored.buttons()[0].custom_id.as_deref(), Some("cheer"));
    assert_eq!(
        stored.allowed_mentions.as_ref().expect("allowed_mentions")["users"][0],
        ids::ADA.to_string()
    );

    let edited = ChannelId::new(ids::CELEBRATIONS)
        .edit_message(&http, msg.id, EditMessage::new().content("Congrats again"))
        .await
        .expect("edit");
    assert_eq!(edited.content, "Congrats again");
    assert!(edited.edited_timestamp.is_some());
    let fetched = ChannelId::new(ids::CELEBRATIONS)
        .message(&http, msg.id)
        .await
        .expect("get message");
    assert_eq!(fetched.content, "Congrats again");
    assert_eq!(fetched.reactions.len(), 1);

    let png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3];
    let with_file = ChannelId::new(ids::GENERAL)
        .send_message(
            &http,
            CreateMessage::new()
                .content("chart")
                .add_file(CreateAttachment::bytes(png.clone(), "chart.png")),
        )
        .await
        .expect("multipart message");
    assert_eq!(with_file.attachments[0].filename, "chart.png");
    assert_eq!(with_file.attachments[0].size as usize, png.len());
    let call = fake
        .calls_to("POST", "/channels/*/messages")
        .pop()
        .expect("recorded");
    assert_eq!(
        call.body.as_ref().expect("payload_json")["content"],
        "chart"
    );
    assert_eq!(
        (call.files[0].filename.as_str(), &call.files[0].bytes),
        ("chart.png", &png)
    );
    assert_eq!(fake.messages_in(ids::GENERAL).len(), 1);

    // A private thread, explicit members, and a mention that adds a member.
    let thread = ChannelId::new(ids::MENTORING)
        .create_thread(
            &http,
            CreateThread::new("Ada & Ben · week 1")
                .kind(ChannelType::PrivateThread)
                .invitable(false),
        )
        .await
        .expect("create a private thread");
    assert_eq!(thread.kind, ChannelType::PrivateThread);
    assert_eq!(thread.parent_id.map(|p| p.get()), Some(ids::MENTORING));
    assert_eq!(thread.thread_metadata.map(|m| m.invitable), Some(false));
    http.add_thread_channel_member(thread.id, UserId::new(ids::ADA))
        .await
        .expect("add thread member");
    thread
        .id
        .say(&http, "Hi <@1300000000000000012>!")
        .await
        .expect("post in the thread");
    // The bot's active threads, as hallway reads them to recover after a crash.
    let active = http
        .get_guild_active_threads(serenity::GuildId::new(ids::GUILD))
        .await
        .expect("active threads parse as ThreadsData");
    assert!(active
        .threads
        .iter()
        .any(|t| t.id == thread.id && t.name == "Ada & Ben · week 1"));
    let info = fake.threads().pop().expect("thread recorded");
    assert!(info.is_private_thread() && !info.invitable);
    assert_eq!(info.members, vec![ids::BOT_USER, ids::ADA, ids::BEN]);
    http.remove_thread_channel_member(thread.id, UserId::new(ids::BEN))
        .await
        .expect("remove thread member");
    assert_eq!(
        fake.thread_members(thread.id.get()),
        vec![ids::BOT_USER, ids::ADA]
    );
    let as_channel = thread
        .id
        .to_channel(&http)
        .await
        .expect("thread as channel")
        .guild()
        .expect("guild channel");
    assert_eq!(as_channel.kind, ChannelType::PrivateThread);
    let public = ChannelId::new(ids::CELEBRATIONS)
        .create_thread_from_message(&http, msg.id, CreateThread::new("Cheers"))
        .await
        .expect("thread from message");
    assert_eq!(
        (public.id, public.kind),
        (msg.id.get().into(), ChannelType::PublicThread)
    );

    // DMs, and a user whose DMs are closed.
    let dm = UserId::new(ids::CHLOE)
        .create_dm_channel(&http)
        .await
        .expect("create a DM channel");
    assert_eq!(dm.recipient.id.get(), ids::CHLOE);
    dm.id
        .say(&http, "Your group could not get a thread")
        .await
        .expect("send a DM");
    assert_eq!(
        fake.dms_to(ids::CHLOE)[0].content,
        "Your group could not get a thread"
    );
    assert!(matches!(
        dm.id.to_channel(&http).await.expect("dm as channel"),
        serenity::Channel::Private(_)
    ));

    // Commands, global and per guild; ids stay stable across re-registration.
    let create = || {
        vec![
            CreateCommand::new("hallway")
                .description("Hallway chats")
                .add_option(
                    CreateCommandOption::new(
                        serenity::CommandOptionType::SubCommand,
                        "join",
                        "Join",
                    )
                    .add_sub_option(
                        CreateCommandOption::new(
                            serenity::CommandOptionType::String,
                            "timezone",
                            "IANA zone",
                        )
                        .required(true),
                    ),
                ),
            CreateCommand::new("hallway-admin")
                .description("Admin")
                .default_member_permissions(Permissions::MANAGE_GUILD),
        ]
    };
    let global = Command::set_global_commands(&http, create())
        .await
        .expect("register global commands");
    assert_eq!(global.len(), 2);
    assert_eq!(
        global[1].default_member_permissions,
        Some(Permissions::MANAGE_GUILD)
    );
    let again = Command::set_global_commands(&http, create())
        .await
        .expect("re-register");
    assert_eq!(global[0].id, again[0].id);
    let in_guild = guild
        .set_commands(&http, create())
        .await
        .expect("register guild commands");
    assert_eq!(in_guild[0].guild_id, Some(guild));
    assert_eq!(fake.commands(None).len(), 2);
    assert_eq!(fake.commands(Some(ids::GUILD)).len(), 2);

    assert!(
        fake.unknown_routes().is_empty(),
        "unknown routes: {:?}",
        fake.unknown_routes()
    );
    let _ = http
        .get_guild_webhooks(guild)
        .await
        .expect_err("not implemented by the fake");
    assert_eq!(fake.unknown_routes().len(), 1);
}

#[tokio::test]
async fn interaction_responses_parse_and_normalize_into_replies() {
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let command = |inv: SlashInvocation| {
        let (handle, payload) = fake.prepare_slash(&inv);
        let Interaction::Command(ci) =
            interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
        else {
            panic!()
        };
        (handle, ci)
    };

    // Immediate ephemeral reply.
    let (h, ci) = command(SlashInvocation::new("hallway").sub("profile"));
    let msg = CreateInteractionResponseMessage::new()
        .content("Your profile")
        .ephemeral(true);
    ci.create_response(&http, CreateInteractionResponse::Message(msg))
        .await
        .expect("callback");
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.ephemeral, reply.content.as_str()),
        (ReplyKind::Message, true, "Your profile")
    );
    let original = ci.get_response(&http).await.expect("GET @original");
    assert_eq!(original.content, "Your profile");
    let again = ci
        .create_response(&http, CreateInteractionResponse::Acknowledge)
        .await
        .expect_err("second callback");
    assert_eq!(http_failure(&again), (400, 40060));

    // Defer, then a follow-up with a file, then an edit of @original.
    let (h, ci) = command(
        SlashInvocation::new("hallway-admin")
            .sub("stats")
            .by(ids::CORA),
    );
    let early = ci
        .create_followup(
            &http,
            CreateInteractionResponseFollowup::new().content("too early"),
        )
        .await;
    assert_eq!(
        http_failure(&early.expect_err("follow-up before ack")),
        (404, 10015)
    );
    ci.defer_ephemeral(&http).await.expect("defer");
    let follow = ci
        .create_followup(
            &http,
            CreateInteractionResponseFollowup::new()
                .content("Stats")
                .ephemeral(true)
                .add_file(CreateAttachment::bytes(b"png".to_vec(), "stats.png")),
        )
        .await
        .expect("follow-up");
    assert_eq!(follow.attachments[0].filename, "stats.png");
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.ephemeral, reply.content.as_str()),
        (ReplyKind::Deferred, true, "Stats")
    );
    assert_eq!(reply.attachments[0].bytes, b"png");
    let edited = ci
        .edit_response(
            &http,
            EditInteractionResponse::new().content("Stats (done)"),
        )
        .await
        .expect("edit @original");
    assert_eq!(edited.content, "Stats (done)");
    let kinds: Vec<ReplyKind> = fake.replies(&h).into_iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![ReplyKind::Deferred, ReplyKind::Followup, ReplyKind::Edit]
    );
    ci.delete_response(&http).await.expect("delete @original");

    // Defer, then only an @original edit.
    let (h, ci) = command(SlashInvocation::new("hallway").sub("join"));
    ci.defer(&http).await.expect("defer");
    ci.edit_response(
        &http,
        EditInteractionResponse::new().embed(CreateEmbed::new().title("Welcome")),
    )
    .await
    .expect("edit");
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.ephemeral, reply.text()),
        (ReplyKind::Deferred, false, "Welcome".to_string())
    );

    // A button click answered by updating its message (type 7).
    let posted = ChannelId::new(ids::GENERAL)
        .send_message(
            &http,
            CreateMessage::new()
                .content("Did you meet?")
                .button(CreateButton::new("met").label("We met")),
        )
        .await
        .expect("post");
    let (h, payload) = fake.prepare_click(&ButtonClick::new(posted.id.get(), "met"));
    let Interaction::Component(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!()
    };
    let update = CreateInteractionResponseMessage::new()
        .content("Thanks, noted!")
        .components(vec![]);
    ci.create_response(&http, CreateInteractionResponse::UpdateMessage(update))
        .await
        .expect("update");
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.content.as_str()),
        (ReplyKind::Update, "Thanks, noted!")
    );
    let stored = fake.message(posted.id.get()).expect("message");
    assert_eq!(stored.content, "Thanks, noted!");
    assert!(stored.buttons().is_empty());

    // A deferred update (type 6) followed by an @original edit of the button's message.
    let clicked: ComponentInteraction = {
        let (_, payload) = fake.prepare_click(&ButtonClick::new(posted.id.get(), "met"));
        let Interaction::Component(ci) =
            interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
        else {
            panic!()
        };
        ci
    };
    clicked.defer(&http).await.expect("deferred update");
    clicked
        .edit_response(
            &http,
            EditInteractionResponse::new().content("Edited after defer"),
        )
        .await
        .expect("edit");
    assert_eq!(
        fake.message(posted.id.get()).expect("message").content,
        "Edited after defer"
    );

    assert!(
        fake.unknown_routes().is_empty(),
        "unknown routes: {:?}",
        fake.unknown_routes()
    );
}

// ---- (b) a real serenity + poise client against the fake -------------------

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ctx<'a> = poise::Context<'a, Data, Error>;

struct Data {
    /// Names of gateway events that reached the event handler.
    seen: mpsc::UnboundedSender<String>,
}

/// Repeats what it was given.
#[poise::command(slash_command)]
async fn echo(
    ctx: Ctx<'_>,
    #[description = "Text"] text: String,
    #[description = "Count"] count: Option<i64>,
    #[description = "Flag"] flag: Option<bool>,
    #[description = "Who"] who: Option<serenity::User>,
    #[description = "Where"] place: Option<serenity::GuildChannel>,
) -> Result<(), Error> {
    let who = who.map(|u| u.name).unwrap_or_default();
    let place = place.map(|c| c.name).unwrap_or_default();
    ctx.say(format!(
        "echo {text} count={count:?} flag={flag:?} who={who} place={place}"
    ))
    .await?;
    Ok(())
}

/// Parent of the member commands.
#[poise::command(slash_command, subcommands("join"))]
async fn hallway(_ctx: Ctx<'_>) -> Result<(), Error> {
    Ok(())
}

/// Joins, after a deferred ephemeral answer.
#[poise::command(slash_command)]
async fn join(
    ctx: Ctx<'_>,
    #[description = "Zone"]
    #[autocomplete = "zones"]
    timezone: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    ctx.say(format!("joined {timezone}")).await?;
    Ok(())
}

async fn zones(_ctx: Ctx<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let zones = ["Europe/Berlin", "Europe/Paris", "America/New_York"];
    let choices = zones
        .into_iter()
        .filter(|z| z.starts_with(partial))
        .map(serenity::AutocompleteChoice::from)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Needs Manage Server.
#[poise::command(
    slash_command,
    required_permissions = "MANAGE_GUILD",
    default_member_permissions = "MANAGE_GUILD"
)]
async fn admin(ctx: Ctx<'_>) -> Result<(), Error> {
    ctx.say("admin ok").await?;
    Ok(())
}

/// A message with a button and a file.
#[poise::command(slash_command)]
async fn card(ctx: Ctx<'_>) -> Result<(), Error> {
    let reply = poise::CreateReply::default()
        .content("pick")
        .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
            "met",
        )
        .label("We met")])])
        .attachment(CreateAttachment::bytes(b"\x89PNG".to_vec(), "card.png"));
    ctx.send(reply).await?;
    Ok(())
}

async fn on_event(
    ctx: &serenity::Context,
    event: &serenity::FullEvent,
    data: &Data,
) -> Result<(), Error> {
    let _ = data.seen.send(event.snake_case_name().to_string());
    if let serenity::FullEvent::InteractionCreate {
        interaction: Interaction::Component(c),
    } = event
    {
        let text = format!("clicked {} by {}", c.data.custom_id, c.user.name);
        let update = CreateInteractionResponseMessage::new()
            .content(text)
            .components(vec![]);
        c.create_response(ctx, CreateInteractionResponse::UpdateMessage(update))
            .await?;
    }
    Ok(())
}

fn intents() -> GatewayIntents {
    GatewayIntents::non_privileged() | GatewayIntents::GUILD_MEMBERS
}

/// Builds a client the way the notes prescribe and runs `start()` in a task.
async fn spawn_client(
    fake: &FakeDiscord,
    token: &str,
) -> (
    tokio::task::JoinHandle<Result<(), serenity::Error>>,
    mpsc::UnboundedReceiver<String>,
) {
    let (seen, events) = mpsc::unbounded_channel();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![echo(), hallway(), admin(), card()],
            event_handler: |framework, event| {
                Box::pin(on_event(
                    framework.serenity_context,
                    event,
                    framework.user_data,
                ))
            },
            ..Default::default()
        })
        .setup(move |ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(Data { seen })
            })
        })
        .build();
    let http = HttpBuilder::new(token)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .await
        .expect("build the client");
    (tokio::spawn(async move { client.start().await }), events)
}

async fn next_event(events: &mut mpsc::UnboundedReceiver<String>, name: &str) {
    let wait = async {
        while let Some(seen) = events.recv().await {
            if seen == name {
                return;
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("event {name} never reached the handler"));
}

#[tokio::test]
async fn serenity_and_poise_connect_register_answer_and_resume() {
    let fake = FakeDiscord::start_default().await;
    let (client, mut events) = spawn_client(&fake, DEFAULT_TOKEN).await;

    let commands = fake.wait_for_commands(WAIT).await;
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["echo", "hallway", "admin", "card"]);
    assert_eq!(
        commands[1]["options"][0]["name"], "join",
        "subcommands registered as options"
    );
    assert_eq!(
        commands[2]["default_member_permissions"],
        Permissions::MANAGE_GUILD.bits().to_string()
    );
    assert_eq!(fake.identify_count(), 1);
    assert_eq!(fake.last_intents(), Some(intents().bits()));
    assert!(
        !fake.calls_to("GET", "/oauth2/applications/@me").is_empty(),
        "poise reads the owners"
    );

    // Every option type, resolved the way poise needs.
    let h = fake
        .slash(
            SlashInvocation::new("echo")
                .opt("text", "hi")
                .opt("count", 3)
                .opt("flag", true)
                .user_opt("who", ids::BEN)
                .channel_opt("place", ids::MENTORING),
        )
        .await;
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        reply.content,
        "echo hi count=Some(3) flag=Some(true) who=ben place=mentoring"
    );
    assert_eq!(reply.kind, ReplyKind::Message);
    assert!(fake.callback_latency(&h).expect("acknowledged") < Duration::from_secs(3));

    // Subcommand with a deferred ephemeral answer, and its autocomplete.
    let h = fake
        .slash(
            SlashInvocation::new("hallway")
                .sub("join")
                .opt("timezone", "Europe/Berlin"),
        )
        .await;
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.ephemeral, reply.content.as_str()),
        (ReplyKind::Deferred, true, "joined Europe/Berlin")
    );
    let h = fake
        .autocomplete(
            SlashInvocation::new("hallway")
                .sub("join")
                .focus("timezone", "Europe/"),
        )
        .await;
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(reply.kind, ReplyKind::Autocomplete);
    let choices: Vec<&str> = reply
        .choices
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(choices, ["Europe/Berlin", "Europe/Paris"]);

    // Permission checks read member.permissions from the interaction.
    let refused = fake
        .reply_to(
            &fake.slash(SlashInvocation::new("admin").by(ids::ADA)).await,
            WAIT,
        )
        .await;
    assert!(
        refused.ephemeral && refused.content.contains("lacking permissions"),
        "{refused:?}"
    );
    let allowed = fake
        .reply_to(
            &fake
                .slash(SlashInvocation::new("admin").by(ids::CORA))
                .await,
            WAIT,
        )
        .await;
    assert_eq!(allowed.content, "admin ok");

    // A reply with a button and a file; clicking the button updates it.
    let card = fake
        .reply_to(&fake.slash(SlashInvocation::new("card")).await, WAIT)
        .await;
    assert_eq!(card.attachments[0].filename, "card.png");
    assert_eq!(card.buttons()[0].custom_id.as_deref(), Some("met"));
    let click = fake
        .click(ButtonClick::new(card.message_id.expect("message id"), "met").by(ids::CHLOE))
        .await;
    let reply = fake.reply_to(&click, WAIT).await;
    assert_eq!(
        (reply.kind, reply.content.as_str()),
        (ReplyKind::Update, "clicked met by chloe")
    );

    // In a DM.
    let reply = fake
        .reply_to(
            &fake
                .slash(SlashInvocation::new("echo").in_dm().opt("text", "dm"))
                .await,
            WAIT,
        )
        .await;
    assert!(reply.content.starts_with("echo dm"), "{reply:?}");

    // Member events reach the handler as typed events.
    fake.member_join(ids::GUILD, FakeMember::new(ids::generated(1), "newbie"))
        .await;
    next_event(&mut events, "guild_member_addition").await;
    fake.member_leave(ids::GUILD, ids::generated(1)).await;
    next_event(&mut events, "guild_member_removal").await;

    // A close with 4000: serenity RESUMEs on the same URL and still answers.
    fake.drop_gateway().await;
    fake.wait_until(WAIT, "a RESUME", |f| (f.resume_count() >= 1).then_some(()))
        .await;
    let reply = fake
        .reply_to(
            &fake
                .slash(SlashInvocation::new("echo").opt("text", "after"))
                .await,
            WAIT,
        )
        .await;
    assert!(reply.content.starts_with("echo after"));

    // A silent TCP drop: noticed at the next heartbeat, then RESUME again.
    fake.drop_gateway_tcp().await;
    fake.wait_until(WAIT, "a second RESUME", |f| {
        (f.resume_count() >= 2).then_some(())
    })
    .await;
    let reply = fake
        .reply_to(
            &fake
                .slash(SlashInvocation::new("echo").opt("text", "again"))
                .await,
            WAIT,
        )
        .await;
    assert!(reply.content.starts_with("echo again"));
    assert_eq!(fake.identify_count(), 1, "resumed, never re-identified");
    // Heartbeats (every heartbeat_interval_ms) are recorded and acknowledged.
    fake.wait_until(WAIT, "a heartbeat and its ACK", |f| {
        let beat = f.frames_from_bot().into_iter().find(|b| b.op() == 1)?;
        f.frames_to_bot()
            .into_iter()
            .find(|a| a.op() == 11 && a.at >= beat.at)
    })
    .await;

    // Everything the fake sent parsed as a known event; nothing unknown was called.
    for frame in fake.frames_to_bot() {
        parse_frame(&frame.payload);
    }
    assert!(
        fake.unknown_routes().is_empty(),
        "unknown routes: {:?}",
        fake.unknown_routes()
    );
    assert!(!client.is_finished());
    client.abort();
}

#[tokio::test]
async fn a_wrong_token_makes_client_start_fail_with_4004() {
    let fake = FakeDiscord::start_default().await;
    let (client, _events) = spawn_client(&fake, "wrong-token").await;
    let result = tokio::time::timeout(WAIT, client)
        .await
        .expect("client.start() returned")
        .expect("task joined");
    match result {
        Err(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)) => {}
        other => panic!("expected InvalidAuthentication, got {other:?}"),
    }
    assert_eq!(fake.identify_count(), 1);
    assert_eq!(fake.resume_count(), 0);
    assert!(!fake.is_live());
    // REST with the wrong token is refused too.
    assert!(fake
        .calls_to("GET", "/oauth2/applications/@me")
        .iter()
        .all(|r| r.status == 401));
}

// ---- (c) failure injection ---------------------------------------------------

#[tokio::test]
async fn a_429_carries_retry_after_in_body_and_headers() {
    let fake = FakeDiscord::start_default().await;
    fake.fail(FailRule::new("GET", "/users/@me").rate_limited(0.3));

    let limited = raw_get(&fake, "/users/@me", DEFAULT_TOKEN).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body,
        json!({"message": "You are being rate limited.", "retry_after": 0.3, "global": false})
    );
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited.header("x-ratelimit-reset-after"), Some("0.300"));
    assert_eq!(limited.header("x-ratelimit-scope"), Some("user"));
    assert!(
        limited.header("x-ratelimit-reset").is_some()
            && limited.header("x-ratelimit-limit").is_some()
    );

    let ok = raw_get(&fake, "/users/@me", DEFAULT_TOKEN).await;
    assert_eq!(
        (ok.status, ok.body["id"].as_str()),
        (200, Some(ids::BOT_USER.to_string().as_str()))
    );

    let calls = fake.calls_to("GET", "/users/@me");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [429, 200]
    );
    assert_eq!(calls[0].injected.as_deref(), Some("429 retry_after=0.3"));
    assert!(calls[1].injected.is_none());

    // Through serenity (rate limiter off): a plain 429 error, retry_after not carried.
    fake.fail(FailRule::new("POST", "/channels/*/messages").globally_rate_limited(1.5));
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let err = ChannelId::new(ids::GENERAL)
        .say(&http, "hello")
        .await
        .expect_err("rate limited");
    assert_eq!(http_failure(&err).0, 429);
    let global = raw_get(&fake, "/users/@me", DEFAULT_TOKEN).await;
    assert_eq!(
        global.status, 200,
        "a rule only matches its own method and path"
    );
}

#[tokio::test]
async fn server_errors_hit_the_next_n_calls_only() {
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    fake.fail(
        FailRule::new("POST", "/channels/*/messages")
            .times(2)
            .server_error(502),
    );

    for _ in 0..2 {
        let err = ChannelId::new(ids::GENERAL)
            .say(&http, "try")
            .await
            .expect_err("injected 502");
        assert_eq!(http_failure(&err).0, 502);
    }
    ChannelId::new(ids::GENERAL)
        .say(&http, "try")
        .await
        .expect("third call succeeds");
    assert_eq!(
        fake.messages_in(ids::GENERAL).len(),
        1,
        "failed calls store nothing"
    );
    let statuses: Vec<(u16, bool)> = fake
        .calls_to("POST", "/channels/*/messages")
        .iter()
        .map(|c| (c.status, c.injected.is_some()))
        .collect();
    assert_eq!(statuses, [(502, true), (502, true), (200, false)]);
}

#[tokio::test]
async fn a_403_missing_access_and_closed_dms() {
    let fake = FakeDiscord::start(
        FakeConfig::default()
            .with_member(FakeMember::new(ids::generated(7), "private").dms_closed()),
    )
    .await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    fake.fail(FailRule::new("POST", "/channels/**").missing_access());

    let err = ChannelId::new(ids::MENTORING)
        .create_thread(
            &http,
            CreateThread::new("pair").kind(ChannelType::PrivateThread),
        )
        .await
        .expect_err("403");
    assert_eq!(http_failure(&err), (403, 50001));
    assert!(fake.threads().is_empty());

    let dm = UserId::new(ids::generated(7))
        .create_dm_channel(&http)
        .await
        .expect("the DM channel itself exists");
    let err = dm.id.say(&http, "hello").await.expect_err("DMs closed");
    assert_eq!(http_failure(&err), (403, 50007));

    let wrong = standalone_http(&fake, "not-the-token");
    assert_eq!(
        http_failure(&wrong.get_current_user().await.expect_err("401")),
        (401, 0)
    );
}

#[tokio::test]
async fn a_delay_holds_the_answer_then_answers_normally() {
    let fake = FakeDiscord::start_default().await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    fake.fail(FailRule::new("*", "/users/@me").delay(Duration::from_millis(300)));

    let started = Instant::now();
    let me = http.get_current_user().await.expect("delayed but fine");
    assert_eq!(me.id.get(), ids::BOT_USER);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let call = fake.calls_to("GET", "/users/@me").pop().expect("recorded");
    assert_eq!(
        (call.status, call.injected.as_deref()),
        (200, Some("delay 300ms"))
    );
    assert!(call.elapsed >= Duration::from_millis(300));
}

#[tokio::test]
async fn waits_return_as_soon_as_the_condition_holds() {
    let fake = Arc::new(FakeDiscord::start_default().await);
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    // Posted while the wait runs (or just before it starts): either way the wait returns
    // the message at once, long before its timeout.
    let poster = tokio::spawn(async move {
        ChannelId::new(ids::MENTORING)
            .say(&http, "later")
            .await
            .expect("post")
    });
    let started = Instant::now();
    let found = fake
        .wait_for_message(ids::MENTORING, |m| m.content == "later", WAIT)
        .await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(poster.await.expect("poster").id.get(), found.id);
    let nothing = fake
        .try_wait_until(Duration::from_millis(50), |f| f.threads().pop())
        .await;
    assert!(nothing.is_none());
}

// ---- (d) Discord's limits: global rate limit, active threads, archived threads --

#[tokio::test]
async fn the_global_rate_limit_refuses_calls_past_n_a_second_but_not_interaction_endpoints() {
    assert_eq!(
        FakeConfig::default().global_rate_limit,
        None,
        "off by default"
    );
    let fake = FakeDiscord::start(FakeConfig::default().global_rate_limit(5)).await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);

    // Twelve calls at once: five go through, seven get the global 429.
    let answers = futures_util::future::join_all(
        (0..12).map(|_| raw_get(&fake, "/users/@me", DEFAULT_TOKEN)),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        7,
        "{statuses:?}"
    );
    let limited = answers.iter().find(|a| a.status == 429).expect("a 429");
    let retry_after = limited.body["retry_after"]
        .as_f64()
        .expect("retry_after is a number");
    assert!(retry_after > 0.0 && retry_after <= 1.0, "{retry_after}");
    assert_eq!(
        limited.body,
        json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": true, "code": 0})
    );
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("x-ratelimit-global"), Some("true"));
    assert_eq!(limited.header("x-ratelimit-scope"), Some("global"));

    // A refused call does not act.
    let err = ChannelId::new(ids::GENERAL)
        .say(&http, "over the limit")
        .await
        .expect_err("globally rate limited");
    assert_eq!(http_failure(&err), (429, 0));
    assert!(fake.messages_in(ids::GENERAL).is_empty());

    // Interaction callbacks and interaction webhooks are not bound to the global limit.
    let (h, payload) = fake.prepare_slash(&SlashInvocation::new("hallway").sub("profile"));
    let Interaction::Command(ci) = interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
    else {
        panic!("not a command")
    };
    ci.defer_ephemeral(&http)
        .await
        .expect("callback despite the limit");
    ci.create_followup(
        &http,
        CreateInteractionResponseFollowup::new().content("still here"),
    )
    .await
    .expect("follow-up despite the limit");
    assert_eq!(fake.reply_to(&h, WAIT).await.content, "still here");

    assert_eq!(fake.global_rate_limited_count(), 8);
    let refused = fake
        .requests()
        .into_iter()
        .filter(|r| r.global_rate_limited);
    assert!(refused
        .into_iter()
        .all(|r| r.status == 429 && r.injected.is_none()));
    assert_eq!(
        fake.max_requests_in_any_second(),
        13,
        "12 GETs and the POST, refused ones included; not the interaction calls"
    );

    // Once `retry_after` has passed, calls go through again.
    tokio::time::sleep(Duration::from_secs_f64(retry_after)).await;
    let again = raw_get(&fake, "/users/@me", DEFAULT_TOKEN).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
}

#[tokio::test]
async fn the_active_thread_cap_counts_everyones_unarchived_threads() {
    assert_eq!(
        FakeConfig::default().active_thread_cap,
        1_000,
        "Discord's cap"
    );
    let fake = FakeDiscord::start(FakeConfig::default().active_thread_cap(3)).await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let private = |name: &str| CreateThread::new(name).kind(ChannelType::PrivateThread);

    let foreign = fake.add_foreign_active_threads(ids::GUILD, ids::GENERAL, 2);
    assert_eq!(fake.active_threads_in(ids::GUILD), 2);
    assert!(foreign
        .iter()
        .all(|t| fake.channel(*t).expect("thread").owner_id == Some(ids::OLIVE)));
    let ours = ChannelId::new(ids::MENTORING)
        .create_thread(&http, private("ours"))
        .await
        .expect("the third active thread");
    let err = ChannelId::new(ids::MENTORING)
        .create_thread(&http, private("one too many"))
        .await
        .expect_err("past the cap");
    assert_eq!(http_failure(&err), (400, 160006));
    assert_eq!(fake.threads().len(), 3);

    // Every active thread the bot can see, newest first; thread-member entries only
    // for the threads the bot has joined.
    let active = http
        .get_guild_active_threads(GuildId::new(ids::GUILD))
        .await
        .expect("active threads");
    let listed: Vec<u64> = active.threads.iter().map(|t| t.id.get()).collect();
    assert_eq!(listed, [ours.id.get(), foreign[1], foreign[0]]);
    let joined: Vec<u64> = active.members.iter().map(|m| m.id.get()).collect();
    assert_eq!(joined, [ours.id.get()]);

    // Archiving frees a slot; un-archiving needs one.
    ours.id
        .edit_thread(&http, serenity::EditThread::new().archived(true))
        .await
        .expect("archive");
    assert_eq!(fake.active_threads_in(ids::GUILD), 2);
    assert_eq!(fake.archived_threads()[0].id, ours.id.get());
    ChannelId::new(ids::MENTORING)
        .create_thread(&http, private("in the freed slot"))
        .await
        .expect("a slot was free");
    let err = ours
        .id
        .edit_thread(&http, serenity::EditThread::new().archived(false))
        .await
        .expect_err("un-archiving at the cap");
    assert_eq!(http_failure(&err), (400, 160006));
    assert!(fake.channel(ours.id.get()).expect("thread").archived);
    fake.archive_thread(foreign[0]);
    ours.id
        .edit_thread(&http, serenity::EditThread::new().archived(false))
        .await
        .expect("un-archiving with a free slot");
    assert_eq!(fake.active_threads_in(ids::GUILD), 3);
    let active = http
        .get_guild_active_threads(GuildId::new(ids::GUILD))
        .await
        .expect("active threads");
    assert!(active.threads.iter().all(|t| t.id.get() != foreign[0]));
}

#[tokio::test]
async fn archived_threads_refuse_edits_and_unarchive_on_a_message_unless_locked() {
    let fake = FakeDiscord::start(FakeConfig::default().active_thread_cap(2)).await;
    let http = standalone_http(&fake, DEFAULT_TOKEN);
    let thread = ChannelId::new(ids::MENTORING)
        .create_thread(
            &http,
            CreateThread::new("pair").kind(ChannelType::PrivateThread),
        )
        .await
        .expect("thread")
        .id;
    let card = thread
        .send_message(
            &http,
            CreateMessage::new()
                .content("Did you meet?")
                .button(CreateButton::new("met").label("We met")),
        )
        .await
        .expect("post");
    fake.archive_thread(thread.get());

    // No edits, reactions or new members in an archived thread.
    let err = thread
        .edit_message(&http, card.id, EditMessage::new().content("edited"))
        .await
        .expect_err("edit in an archived thread");
    assert_eq!(http_failure(&err), (400, 50083));
    let err = thread
        .create_reaction(&http, card.id, ReactionType::Unicode("🎉".into()))
        .await
        .expect_err("reaction in an archived thread");
    assert_eq!(http_failure(&err), (400, 50083));
    let err = http
        .add_thread_channel_member(thread, UserId::new(ids::ADA))
        .await
        .expect_err("join an archived thread");
    assert_eq!(http_failure(&err), (400, 50083));

    // A button on the card: updating its message is refused, a private answer is not.
    let click = || {
        let (h, payload) = fake.prepare_click(&ButtonClick::new(card.id.get(), "met"));
        let Interaction::Component(ci) =
            interaction_of(parse_dispatch("INTERACTION_CREATE", payload))
        else {
            panic!("not a component")
        };
        (h, ci)
    };
    let (h, ci) = click();
    let update = CreateInteractionResponseMessage::new().content("noted");
    let err = ci
        .create_response(&http, CreateInteractionResponse::UpdateMessage(update))
        .await
        .expect_err("type 7 in an archived thread");
    assert_eq!(http_failure(&err), (400, 50083));
    let private = CreateInteractionResponseMessage::new()
        .content("Noted, thanks!")
        .ephemeral(true);
    ci.create_response(&http, CreateInteractionResponse::Message(private))
        .await
        .expect("type 4 + ephemeral still works");
    let reply = fake.reply_to(&h, WAIT).await;
    assert_eq!(
        (reply.kind, reply.ephemeral, reply.content.as_str()),
        (ReplyKind::Message, true, "Noted, thanks!")
    );
    let (_, ci) = click();
    ci.defer(&http)
        .await
        .expect("type 6 is only an acknowledgement");
    let err = ci
        .edit_response(&http, EditInteractionResponse::new().content("noted"))
        .await
        .expect_err("editing the card after a type 6");
    assert_eq!(http_failure(&err), (400, 50083));
    assert_eq!(
        fake.message(card.id.get()).expect("card").content,
        "Did you meet?"
    );
    assert!(fake.channel(thread.get()).expect("thread").archived);

    // The bot's message unarchives it, but not while the guild is at its cap.
    thread.say(&http, "Still there?").await.expect("post");
    assert!(!fake.channel(thread.get()).expect("thread").archived);
    fake.archive_thread(thread.get());
    let foreign = fake.add_foreign_active_threads(ids::GUILD, ids::GENERAL, 2);
    let err = thread
        .say(&http, "at the cap")
        .await
        .expect_err("no free slot");
    assert_eq!(http_failure(&err), (400, 160006));
    assert!(fake.channel(thread.get()).expect("thread").archived);

    // A member's message unarchives it too, once a slot is free.
    fake.archive_thread(foreign[0]);
    let said = fake.member_posts_in(thread.get(), ids::ADA);
    assert_eq!(said.author["id"], ids::ADA.to_string());
    assert!(!fake.channel(thread.get()).expect("thread").archived);
    assert_eq!(fake.active_threads_in(ids::GUILD), 2);
    assert!(fake
        .messages_in(thread.get())
        .iter()
        .any(|m| m.id == said.id));

    // Locked and archived: the bot's message is refused and the thread stays archived.
    fake.lock_thread(thread.get());
    let err = thread
        .say(&http, "locked")
        .await
        .expect_err("locked thread");
    assert_eq!(http_failure(&err), (400, 50083));
    assert!(fake
        .archived_threads()
        .iter()
        .any(|t| t.id == thread.get() && t.locked));
    // Deleting is still allowed.
    thread
        .delete_message(&http, card.id)
        .await
        .expect("delete in an archived thread");
}

// ---- (e) gateway opcodes 7 and 9 --------------------------------------------

#[tokio::test]
async fn serenity_resumes_after_op7_and_op9_true_and_identifies_after_op9_false() {
    let fake = FakeDiscord::start_default().await;
    let (client, _events) = spawn_client(&fake, DEFAULT_TOKEN).await;
    fake.wait_for_commands(WAIT).await;
    let echo = |text: &str| SlashInvocation::new("echo").opt("text", text);

    fake.send_reconnect().await;
    fake.wait_until(WAIT, "a RESUME after op 7", |f| {
        (f.resume_count() == 1).then_some(())
    })
    .await;
    let reply = fake.reply_to(&fake.slash(echo("after7")).await, WAIT).await;
    assert!(reply.content.starts_with("echo after7"), "{reply:?}");

    fake.send_invalid_session(true).await;
    fake.wait_until(WAIT, "a RESUME after op 9 true", |f| {
        (f.resume_count() == 2).then_some(())
    })
    .await;
    let reply = fake
        .reply_to(&fake.slash(echo("after9t")).await, WAIT)
        .await;
    assert!(reply.content.starts_with("echo after9t"), "{reply:?}");
    assert_eq!(fake.identify_count(), 1);

    // serenity restarts the shard on op 9 false: about 5 s, then a fresh IDENTIFY.
    fake.send_invalid_session(false).await;
    fake.wait_until(
        Duration::from_secs(20),
        "an IDENTIFY after op 9 false",
        |f| (f.identify_count() == 2).then_some(()),
    )
    .await;
    let reply = fake
        .reply_to(&fake.slash(echo("after9f")).await, Duration::from_secs(20))
        .await;
    assert!(reply.content.starts_with("echo after9f"), "{reply:?}");
    assert_eq!(
        fake.resume_count(),
        2,
        "no RESUME of the invalidated session"
    );
    let readies = fake
        .frames_to_bot()
        .into_iter()
        .filter(|f| f.event() == Some("READY"))
        .count();
    assert_eq!(
        readies, 2,
        "a fresh IDENTIFY gets READY (and GUILD_CREATE) again"
    );

    // The opcodes parse as serenity's Reconnect and InvalidateSession.
    let frames = fake.frames_to_bot();
    assert!(frames
        .iter()
        .any(|f| matches!(parse_frame(&f.payload), GatewayEvent::Reconnect)));
    for resumable in [true, false] {
        assert!(frames.iter().any(|f| matches!(
            parse_frame(&f.payload),
            GatewayEvent::InvalidateSession(r) if r == resumable
        )));
    }
    assert!(!client.is_finished());
    client.abort();
}

#[tokio::test]
async fn a_resume_of_an_invalidated_session_gets_op9_false_and_identify_gets_ready() {
    use ::serenity::gateway::Shard;
    use ::serenity::model::gateway::ShardInfo;
    use ::serenity::model::id::ShardId;

    let fake = FakeDiscord::start_default().await;
    let url = Arc::new(tokio::sync::Mutex::new(fake.gateway_url()));
    let info = ShardInfo {
        id: ShardId(0),
        total: 1,
    };
    let token = format!("Bot {DEFAULT_TOKEN}");
    let connect = || Shard::new(url.clone(), &token, info, intents(), None);
    let frame_on = |connection: u64, pick: fn(&GatewayFrame) -> bool| {
        fake.wait_until(WAIT, "a frame to the bot", move |f| {
            f.frames_to_bot()
                .into_iter()
                .find(|fr| fr.connection == connection && pick(fr))
        })
    };

    let mut first = connect().await.expect("connect");
    first.identify().await.expect("IDENTIFY");
    let ready = frame_on(1, |f| f.event() == Some("READY")).await;
    let session = ready.payload["d"]["session_id"]
        .as_str()
        .expect("session id")
        .to_string();
    fake.wait_for_live(WAIT).await;

    fake.send_invalid_session(false).await;
    frame_on(1, |f| f.op() == 9).await;
    assert!(!fake.is_live());

    // RESUME of the invalidated session, on a new connection: op 9 false again.
    let mut second = connect().await.expect("connect again");
    second
        .client
        .send_resume(&info, &session, 2, &token)
        .await
        .expect("send RESUME");
    let refused = frame_on(2, |f| f.op() == 9).await;
    assert_eq!(refused.payload["d"], false);
    assert_eq!(fake.resume_count(), 1);
    assert!(!fake.is_live());

    // A fresh IDENTIFY on it gets READY and GUILD_CREATE.
    second.identify().await.expect("IDENTIFY again");
    frame_on(2, |f| f.event() == Some("GUILD_CREATE")).await;
    fake.wait_for_live(WAIT).await;
    assert_eq!(fake.identify_count(), 2);
    drop(first);
}

// ---- the bot harness ---------------------------------------------------------

#[tokio::test]
async fn the_harness_runs_the_binary_and_captures_its_output() {
    let fake = FakeDiscord::start_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let options = BotOptions::new(dir.path().join("hallway.db")).args(&["--help"]);
    assert_eq!(
        options.database_url(),
        format!("sqlite://{}", dir.path().join("hallway.db").display())
    );
    let mut bot = BotProcess::spawn(&fake, &options);
    let status = bot.wait_exit(WAIT).await;
    assert!(status.success(), "hallway --help failed:\n{}", bot.logs());
    assert!(bot.logs().contains("Usage"), "{}", bot.logs());
    bot.wait_for_log("hallway", WAIT).await;
    assert_eq!(
        bot.kill().await,
        status,
        "killing an exited bot is harmless"
    );
}

#[tokio::test]
#[should_panic(expected = "before registering its commands")]
async fn test_env_fails_fast_with_logs_when_the_bot_exits_early() {
    // `--help` exits at once; TestEnv must say so instead of waiting 30 s.
    let _env = TestEnv::start_with(FakeConfig::default(), |o| o.args(&["--help"])).await;
}

#[tokio::test]
async fn two_bots_on_one_fake_the_newest_session_of_a_shard_gets_its_events_and_pause_resume_kill_9_work(
) {
    use std::os::unix::process::ExitStatusExt;
    let fake = FakeDiscord::start_default().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url_of = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let join = || {
        SlashInvocation::new("hallway")
            .sub("join")
            .opt("role", 2i64)
    };

    let mut a = BotProcess::spawn(
        &fake,
        &BotOptions::with_database(&url_of("a.db")).label("bot A"),
    );
    assert_eq!(a.label(), "bot A");
    a.wait_for_shards(&fake, &[(0, 1)], WAIT).await;
    fake.wait_until(WAIT, "bot A's commands", |f| {
        (f.command_registrations() >= 1).then_some(())
    })
    .await;
    assert!(
        dir.path().join("a.db").exists(),
        "DATABASE_URL is the override"
    );
    assert!(!dir.path().join("hallway.db").exists());

    a.pause().await;
    assert!(a.is_paused());
    let mut b = BotProcess::spawn(
        &fake,
        &BotOptions::new(dir.path().join("unused.db"))
            .with_database_url(&url_of("b.db"))
            .label("bot B"),
    );
    fake.wait_until(WAIT, "bot B's session and commands", |f| {
        let b_live = f.identifies().len() == 2
            && f.live_shards().first().map(|l| l.connection) == f.connection_of_shard(0, 1)
            && f.connection_of_shard(0, 1) != f.identifies().first().map(|r| r.connection);
        (b_live && f.command_registrations() >= 2).then_some(())
    })
    .await;
    assert_eq!(fake.live_shards().len(), 1, "one live session per shard");
    // Bot A is frozen, so only bot B, the newest session of shard [0, 1], can answer.
    let h = fake.slash(join()).await;
    assert!(fake
        .reply_to(&h, WAIT)
        .await
        .text()
        .contains("Welcome to hallway!"));

    a.resume().await;
    assert!(!a.is_paused());
    let status = a.kill_9().await;
    assert_eq!(status.signal(), Some(9), "{status}");
    assert!(b.try_status().is_none(), "bot B runs on");
    let h = fake.slash(join().by(ids::BEN)).await;
    assert!(fake
        .reply_to(&h, WAIT)
        .await
        .text()
        .contains("Welcome to hallway!"));
    b.kill_9().await;
}

// ---- (d) gateway shards --------------------------------------------------------

/// Opens a gateway connection with serenity's own shard client and IDENTIFYs as
/// `[shard_id, num_shards]`; returns it and its connection number in the fake.
async fn identify_as(
    fake: &FakeDiscord,
    shard_id: u32,
    num_shards: u32,
) -> (::serenity::gateway::Shard, u64) {
    use ::serenity::model::gateway::ShardInfo;
    use ::serenity::model::id::ShardId;
    let before = fake.identifies().len();
    let url = Arc::new(tokio::sync::Mutex::new(fake.gateway_url()));
    let info = ShardInfo {
        id: ShardId(shard_id),
        total: num_shards,
    };
    let token = format!("Bot {DEFAULT_TOKEN}");
    let mut shard = ::serenity::gateway::Shard::new(url, &token, info, intents(), None)
        .await
        .expect("connect");
    shard.identify().await.expect("IDENTIFY");
    let record = fake
        .wait_until(WAIT, "the IDENTIFY", |f| {
            f.identifies().get(before).cloned()
        })
        .await;
    assert_eq!((record.shard_id, record.num_shards), (shard_id, num_shards));
    (shard, record.connection)
}

/// The READY the fake sent on a connection, parsed by serenity.
async fn ready_on(fake: &FakeDiscord, connection: u64) -> serenity::Ready {
    let frame = fake
        .wait_until(WAIT, "READY", |f| {
            f.frames_to_bot()
                .into_iter()
                .find(|fr| fr.connection == connection && fr.event() == Some("READY"))
        })
        .await;
    match parse_frame(&frame.payload) {
        GatewayEvent::Dispatch(_, Event::Ready(r)) => r.ready,
        other => panic!("READY became {other:?}"),
    }
}

fn snowflake(v: &Value) -> Option<u64> {
    v.as_str()?.parse().ok()
}

fn events_on(fake: &FakeDiscord, connection: u64, event: &str) -> usize {
    fake.frames_to_bot()
        .iter()
        .filter(|f| f.connection == connection && f.event() == Some(event))
        .count()
}

#[tokio::test]
async fn two_shards_each_get_only_their_own_guilds_and_their_guilds_events() {
    let fake = FakeDiscord::start(FakeConfig::empty().with_generated_guilds(8, 1)).await;
    let (_shard0, c0) = identify_as(&fake, 0, 2).await;
    let (_shard1, c1) = identify_as(&fake, 1, 2).await;
    fake.wait_for_live_shards(&[(0, 2), (1, 2)], WAIT).await;

    // Guild k is on shard (id >> 22) % 2 == k % 2.
    let even: Vec<u64> = [2, 4, 6, 8].map(ids::generated_guild).to_vec();
    let odd: Vec<u64> = [1, 3, 5, 7].map(ids::generated_guild).to_vec();
    for g in &even {
        assert_eq!(shard_of(*g, 2), 0);
    }
    for (connection, own, shard) in [(c0, &even, [0, 2]), (c1, &odd, [1, 2])] {
        let ready = ready_on(&fake, connection).await;
        let mut listed: Vec<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
        listed.sort();
        assert_eq!(&listed, own, "READY of shard {shard:?}");
        assert_eq!(ready.shard.map(|s| [s.id.0, s.total]), Some(shard));
        let mut created = fake
            .wait_until(WAIT, "four GUILD_CREATEs", |f| {
                let got = f.guild_creates_on(connection);
                (got.len() >= 4).then_some(got)
            })
            .await;
        created.sort();
        assert_eq!(&created, own, "GUILD_CREATEs of shard {shard:?}");
    }

    // A guild event goes to its shard only; a DM interaction to shard 0. Each
    // connection's commands are sent in order, so once the DM interaction reached
    // shard 0, a wrongly routed member event would have reached it before.
    let newcomer = FakeMember::new(ids::generated_guild_member(1, 2), "newcomer");
    fake.member_join(ids::generated_guild(1), newcomer).await;
    fake.wait_until(WAIT, "GUILD_MEMBER_ADD on shard 1", |f| {
        (events_on(f, c1, "GUILD_MEMBER_ADD") == 1).then_some(())
    })
    .await;
    let dm = fake
        .slash(
            SlashInvocation::new("hallway")
                .in_dm()
                .by(ids::generated_guild_member(1, 1)),
        )
        .await;
    let on_shard0 = fake
        .wait_until(WAIT, "the DM interaction on shard 0", |f| {
            f.frames_to_bot().into_iter().find(|fr| {
                fr.connection == c0
                    && fr.event() == Some("INTERACTION_CREATE")
                    && snowflake(&fr.payload["d"]["id"]) == Some(dm.id)
            })
        })
        .await;
    assert!(on_shard0.payload["d"].get("guild_id").is_none());
    assert_eq!(events_on(&fake, c0, "GUILD_MEMBER_ADD"), 0);
    // And a guild interaction goes to the guild's shard, after the DM one on shard 1's queue.
    let in_guild = fake
        .slash(
            SlashInvocation::new("hallway")
                .in_guild(ids::generated_guild(4))
                .in_channel(ids::generated_guild_channel(4))
                .by(ids::generated_guild_member(4, 1)),
        )
        .await;
    fake.wait_until(WAIT, "the guild interaction on shard 0", |f| {
        f.frames_to_bot().into_iter().find(|fr| {
            fr.connection == c0 && snowflake(&fr.payload["d"]["id"]) == Some(in_guild.id)
        })
    })
    .await;
    assert_eq!(
        events_on(&fake, c1, "INTERACTION_CREATE"),
        0,
        "shard 1 owns neither the DM nor guild 4"
    );

    // Both IDENTIFYs were recorded with their shard; back to back, they share the one
    // bucket of max_concurrency 1 but not the buckets of max_concurrency 2.
    let identifies = fake.identifies();
    assert_eq!(
        identifies
            .iter()
            .map(|r| (r.connection, r.shard_id, r.num_shards))
            .collect::<Vec<_>>(),
        vec![(c0, 0, 2), (c1, 1, 2)]
    );
    assert!(identifies[1].at >= identifies[0].at);
    assert_eq!(
        fake.identifies_too_close(1, Duration::from_secs(5)).len(),
        1
    );
    assert!(fake
        .identifies_too_close(2, Duration::from_secs(5))
        .is_empty());
    assert!(fake.closes().is_empty());
}

#[tokio::test]
async fn closing_one_shard_leaves_the_other_live_and_its_events_wait_for_it() {
    let fake = FakeDiscord::start(FakeConfig::empty().with_generated_guilds(4, 1)).await;
    let (_shard0, c0) = identify_as(&fake, 0, 2).await;
    let (_shard1, c1) = identify_as(&fake, 1, 2).await;
    fake.wait_for_live_shards(&[(0, 2), (1, 2)], WAIT).await;

    fake.drop_shard(1, 2).await;
    assert!(fake.is_shard_live(0, 2));
    assert!(!fake.is_shard_live(1, 2));
    assert_eq!(
        fake.live_shards(),
        vec![LiveShard {
            connection: c0,
            shard_id: 0,
            num_shards: 2
        }]
    );
    fake.wait_until(WAIT, "the 4000 close on shard 1", |f| {
        f.closes()
            .into_iter()
            .find(|c| c.connection == c1 && c.code == 4000)
    })
    .await;

    // Shard 0's guild events still flow; shard 1's wait for a new session of shard 1.
    let guild1 = ids::generated_guild(1);
    let waiting = {
        let fake = &fake;
        async move {
            fake.member_join(
                guild1,
                FakeMember::new(ids::generated_guild_member(1, 5), "late"),
            )
            .await
        }
    };
    let reconnect = async {
        let (_again, c2) = identify_as(&fake, 1, 2).await;
        fake.wait_until(WAIT, "the waiting event on the new shard 1 session", |f| {
            (events_on(f, c2, "GUILD_MEMBER_ADD") == 1).then_some(())
        })
        .await;
        c2
    };
    let ((), c2) = tokio::join!(waiting, reconnect);
    assert!(c2 > c1);
    assert_eq!(events_on(&fake, c0, "GUILD_MEMBER_ADD"), 0);
}

#[tokio::test]
async fn an_invalid_shard_is_closed_with_4010_and_too_many_guilds_with_4011() {
    let fake = FakeDiscord::start(
        FakeConfig::empty()
            .with_generated_guilds(8, 0)
            .max_guilds_per_shard(3),
    )
    .await;
    let (_a, past_total) = identify_as(&fake, 2, 2).await;
    let (_b, zero_total) = identify_as(&fake, 0, 0).await;
    let (_c, unsharded) = identify_as(&fake, 0, 1).await;
    let (_d, quarter) = identify_as(&fake, 1, 4).await;
    fake.wait_for_live_shards(&[(1, 4)], WAIT).await;

    let closes = fake
        .wait_until(WAIT, "three close frames", |f| {
            let c = f.closes();
            (c.len() >= 3).then_some(c)
        })
        .await;
    let code_of = |connection: u64| {
        closes
            .iter()
            .find(|c| c.connection == connection)
            .map(|c| c.code)
    };
    assert_eq!(code_of(past_total), Some(4010), "shard id >= num_shards");
    assert_eq!(code_of(zero_total), Some(4010), "num_shards 0");
    assert_eq!(
        code_of(unsharded),
        Some(4011),
        "8 guilds on one shard, cap 3"
    );
    assert_eq!(code_of(quarter), None, "2 guilds on shard 1 of 4");
    for refused in [past_total, zero_total, unsharded] {
        assert_eq!(events_on(&fake, refused, "READY"), 0);
    }
    assert_eq!(
        fake.live_shards(),
        vec![LiveShard {
            connection: quarter,
            shard_id: 1,
            num_shards: 4
        }]
    );
    assert_eq!(
        ready_on(&fake, quarter).await.guilds.len(),
        2,
        "guilds 1 and 5 are shard 1 of 4"
    );
}

#[tokio::test]
async fn gateway_bot_recommends_a_shard_per_thousand_guilds_and_reports_max_concurrency() {
    let http_of = |fake: &FakeDiscord| standalone_http(fake, DEFAULT_TOKEN);

    let one = FakeDiscord::start_default().await;
    let bot = http_of(&one)
        .get_bot_gateway()
        .await
        .expect("GET /gateway/bot");
    assert_eq!(bot.url, one.gateway_url());
    assert_eq!(bot.shards, 1);
    assert_eq!(bot.session_start_limit.max_concurrency, 1);
    assert_eq!(bot.session_start_limit.total, 1000);
    assert_eq!(bot.session_start_limit.remaining, 1000);

    let many = FakeDiscord::start(FakeConfig::empty().with_generated_guilds(2_001, 0)).await;
    let bot = http_of(&many)
        .get_bot_gateway()
        .await
        .expect("GET /gateway/bot");
    assert_eq!(bot.shards, 3, "2,001 guilds at 1,000 per shard");

    let set = FakeDiscord::start(
        FakeConfig::default()
            .recommended_shards(4)
            .max_concurrency(16),
    )
    .await;
    let (_s, _) = identify_as(&set, 0, 4).await;
    let raw = raw_get(&set, "/gateway/bot", DEFAULT_TOKEN).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body["shards"], 4);
    assert_eq!(raw.body["session_start_limit"]["max_concurrency"], 16);
    assert_eq!(
        raw.body["session_start_limit"]["remaining"], 999,
        "one IDENTIFY used one session start"
    );
}

#[test]
fn generated_guilds_are_real_snowflakes_spread_over_every_shard() {
    let cfg = FakeConfig::empty()
        .with_generated_guilds(8, 3)
        .with_generated_guilds(4, 0);
    assert_eq!(cfg.guilds.len(), 12);
    let mut ids_seen: Vec<u64> = cfg.guilds.iter().map(|g| g.id).collect();
    ids_seen.sort();
    ids_seen.dedup();
    assert_eq!(
        ids_seen.len(),
        12,
        "the second call continues after the first"
    );
    for (i, g) in cfg.guilds.iter().enumerate() {
        let k = i + 1;
        assert_eq!(g.id, ids::generated_guild(k));
        assert_eq!(shard_of(g.id, 4) as usize, k % 4);
        // A Discord timestamp in 2024, as a real guild id has.
        let ms = (g.id >> 22) + 1_420_070_400_000;
        assert!((1_704_067_200_000..1_735_689_600_000).contains(&ms), "{ms}");
        assert_eq!(g.owner_id, ids::generated_guild_owner(k));
        assert_eq!(g.channels[0].id, ids::generated_guild_channel(k));
    }
    assert_eq!(cfg.guilds[0].members.len(), 1 + 3);
    assert_eq!(cfg.guilds[8].members.len(), 1);
    for n in [1, 2, 4, 8] {
        let mut shards: Vec<u32> = cfg.guilds.iter().map(|g| shard_of(g.id, n)).collect();
        shards.sort();
        shards.dedup();
        assert_eq!(shards.len(), n as usize, "12 guilds cover all {n} shards");
    }
}
