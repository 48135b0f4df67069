//! Delivery through Discord's REST API: private threads, messages and DMs.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ChannelId, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton,
    CreateMessage, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption, CreateThread,
    EditMessage, EditThread, GetMessages, GuildId, Http, MessageId, UserId,
};

use super::button_id::{ButtonId, SlotsOn};
use super::render;
use crate::celebrations::Occasion;
use crate::delivery::pace::RateGate;
use crate::delivery::{Courier, IntroView, MemberView, Message, SendError};
use crate::domain::booking::SlotChoice;
use crate::domain::calendar::ICS_FILE_NAME;
use crate::domain::group::{OutcomeStatus, Rating};
use crate::domain::ids::{self, GroupId};

/// A request that takes longer than this is treated as failed (and looked up on retry).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long nothing goes out after a 429, when Discord's `retry_after` cannot be read
/// (serenity does not pass it on with its own rate limiter off).
const AFTER_A_429: Duration = Duration::from_secs(1);

/// Every REST call here waits its turn at the shared [`RateGate`], so hallway stays
/// under Discord's global rate limit whatever the number of servers.
pub struct DiscordCourier {
    pub http: Arc<Http>,
    pub bot_id: UserId,
    pub gate: Arc<RateGate>,
}

impl DiscordCourier {
    /// Runs a request in its turn, with a timeout, and sorts its failure into what
    /// delivery can act on.
    async fn send<T>(
        &self,
        request: impl Future<Output = serenity::Result<T>>,
    ) -> Result<T, SendError> {
        self.gate.acquire().await;
        let result = guarded(request).await;
        if let Err(SendError::RateLimited(_)) = &result {
            self.gate.hold_off(AFTER_A_429);
            // serenity's error keeps neither Discord's `global` nor its headers, so a 429
            // that reaches hallway cannot be told apart: it counts as a route's.
            crate::ops::metrics::count_rate_limited(false);
        }
        crate::ops::metrics::count_discord_request(match &result {
            Ok(_) => "ok",
            Err(SendError::RateLimited(_)) => "rate_limited",
            Err(SendError::Transient(_)) => "failed",
            Err(SendError::Refused { .. }) => "refused",
        });
        result
    }
}

impl Courier for DiscordCourier {
    async fn open_thread(
        &self,
        guild_id: ids::GuildId,
        channel_id: ids::ChannelId,
        name: &str,
        recovering: bool,
    ) -> Result<ids::ChannelId, SendError> {
        if recovering {
            let active = self
                .send(GuildId::from(guild_id).get_active_threads(&*self.http))
                .await?;
            let earlier = active.threads.iter().find(|t| {
                t.parent_id == Some(ChannelId::from(channel_id))
                    && t.name == name
                    && t.owner_id == Some(self.bot_id)
            });
            if let Some(thread) = earlier {
                tracing::info!(thread = %thread.id, "found the thread an earlier attempt made");
                return Ok(thread.id.into());
            }
        }
        let thread = CreateThread::new(name)
            .kind(serenity::ChannelType::PrivateThread)
            .invitable(false)
            .auto_archive_duration(serenity::AutoArchiveDuration::OneWeek);
        let created = self
            .send(ChannelId::from(channel_id).create_thread(&*self.http, thread))
            .await?;
        Ok(created.id.into())
    }

    async fn post(
        &self,
        channel_id: ids::ChannelId,
        message: &Message,
        recovering: bool,
    ) -> Result<ids::MessageId, SendError> {
        let (content, outgoing) = build(message);
        let channel = ChannelId::from(channel_id);
        if recovering {
            let embed_text = embed_text(message);
            let recent = self
                .send(channel.messages(&*self.http, GetMessages::new().limit(25)))
                .await?;
            let same = |m: &&serenity::Message| {
                m.author.id == self.bot_id
                    && m.content == content
                    && embed_text.as_deref().is_none_or(|text| {
                        m.embeds.first().and_then(|e| e.description.as_deref()) == Some(text)
                    })
            };
            if let Some(sent) = recent.iter().find(same) {
                tracing::info!(message = %sent.id, "found the message an earlier attempt sent");
                return Ok(sent.id.into());
            }
        }
        let sent = self
            .send(channel.send_message(&*self.http, outgoing))
            .await?;
        Ok(sent.id.into())
    }

    async fn react(
        &self,
        channel_id: ids::ChannelId,
        message_id: ids::MessageId,
        emoji: &str,
    ) -> Result<(), SendError> {
        let reaction = serenity::ReactionType::Unicode(emoji.to_string());
        self.send(ChannelId::from(channel_id).create_reaction(
            &*self.http,
            MessageId::from(message_id),
            reaction,
        ))
        .await
    }

    async fn open_dm(&self, user_id: ids::UserId) -> Result<ids::ChannelId, SendError> {
        // Discord returns the same DM channel every time, so this is safe to repeat.
        let channel = self
            .send(UserId::from(user_id).create_dm_channel(&*self.http))
            .await?;
        Ok(channel.id.into())
    }

    async fn archive_thread(&self, thread_id: ids::ChannelId) -> Result<(), SendError> {
        let archive = EditThread::new().archived(true);
        self.send(ChannelId::from(thread_id).edit_thread(&*self.http, archive))
            .await
            .map(|_| ())
    }

    async fn rename_thread(&self, thread_id: ids::ChannelId, name: &str) -> Result<(), SendError> {
        let rename = EditThread::new().name(name);
        self.send(ChannelId::from(thread_id).edit_thread(&*self.http, rename))
            .await
            .map(|_| ())
    }

    async fn unarchive_thread(&self, thread_id: ids::ChannelId) -> Result<(), SendError> {
        let reopen = EditThread::new().archived(false);
        self.send(ChannelId::from(thread_id).edit_thread(&*self.http, reopen))
            .await
            .map(|_| ())
    }

    async fn edit(
        &self,
        channel_id: ids::ChannelId,
        message_id: ids::MessageId,
        message: &Message,
    ) -> Result<(), SendError> {
        let edit = build_edit(message);
        self.send(ChannelId::from(channel_id).edit_message(
            &*self.http,
            MessageId::from(message_id),
            edit,
        ))
        .await
        .map(|_| ())
    }

    async fn delete_message(
        &self,
        channel_id: ids::ChannelId,
        message_id: ids::MessageId,
    ) -> Result<(), SendError> {
        self.send(
            ChannelId::from(channel_id).delete_message(&*self.http, MessageId::from(message_id)),
        )
        .await
    }
}

/// The message's text (for finding it again) and the request that posts it.
pub fn build(message: &Message) -> (String, CreateMessage) {
    let (content, mentions, components) = parts(message);
    // Mentioning the members is what adds them to the private thread: no extra calls.
    let allowed = CreateAllowedMentions::new().users(mentions.into_iter().map(UserId::from));
    let mut outgoing = CreateMessage::new()
        .content(content.clone())
        .allowed_mentions(allowed)
        .components(components);
    if let Message::Celebration(Occasion::Win(win)) = message {
        outgoing = outgoing.embed(render::win_embed(win));
    }
    if let Message::Booked(view) = message {
        outgoing = outgoing.add_file(CreateAttachment::bytes(
            view.calendar.as_bytes().to_vec(),
            ICS_FILE_NAME,
        ));
    }
    (content, outgoing)
}

/// The request that rewrites a posted message: the same text and buttons, and no one
/// notified again.
pub fn build_edit(message: &Message) -> EditMessage {
    let (content, _, components) = parts(message);
    let mut edit = EditMessage::new()
        .content(content)
        .allowed_mentions(CreateAllowedMentions::new())
        .components(components);
    if let Message::Celebration(Occasion::Win(win)) = message {
        edit = edit.embed(render::win_embed(win));
    }
    edit
}

/// A message's text (within Discord's limit), whom it mentions, and its buttons.
fn parts(message: &Message) -> (String, Vec<ids::UserId>, Vec<CreateActionRow>) {
    let (content, mentions, components) = match message {
        Message::Intro(view) => (
            render::intro(view, false, &view.answers),
            view.members.iter().filter_map(|m| m.user_id).collect(),
            intro_components(view, SlotsOn::Intro),
        ),
        Message::DmIntro(view) => (
            render::intro(view, true, &view.answers),
            Vec::new(),
            intro_components(view, SlotsOn::DmIntro),
        ),
        // In a thread, Reschedule is on the intro. In a DM it is here, since only the
        // member who completed the booking saw their DM intro redrawn; a click turns this
        // message into the new slots.
        Message::Booked(view) => (
            render::booked(view),
            view.members.clone(),
            if view.by_dm {
                vec![reschedule_row(
                    view.guild_id,
                    view.group_id,
                    SlotsOn::Rescheduled,
                )]
            } else {
                Vec::new()
            },
        ),
        Message::Reminder { starts_at, members } => (
            render::reminder(*starts_at, members),
            members.clone(),
            Vec::new(),
        ),
        Message::CheckIn {
            guild_id,
            group_id,
            starts_at,
            members,
        } => (
            render::check_in(*starts_at, members),
            members.clone(),
            vec![intro_buttons(*guild_id, *group_id)],
        ),
        Message::Rescheduled(view) => (
            render::rescheduled(view),
            view.members.clone(),
            match &view.dm_picker {
                Some((choice, members)) => slot_rows(
                    view.guild_id,
                    view.group_id,
                    choice,
                    members,
                    SlotsOn::Rescheduled,
                ),
                None => Vec::new(),
            },
        ),
        Message::FitCheck(view) => render::fit_check_parts(view),
        Message::AttentionDigest(view) => render::digest_parts(view),
        Message::SurveyInvite(view) => render::survey_invite_parts(view, false),
        Message::SurveyReminder(view) => render::survey_invite_parts(view, true),
        Message::Summary(figures) => (render::summary(figures), Vec::new(), Vec::new()),
        Message::Celebration(occasion) => (render::occasion(occasion), Vec::new(), Vec::new()),
        Message::Nudge {
            round_number,
            members,
        } => (
            render::nudge(*round_number, members),
            members.clone(),
            Vec::new(),
        ),
        Message::Feedback {
            guild_id,
            round_number,
            group_id,
        } => (
            render::feedback_question(*round_number),
            Vec::new(),
            vec![CreateActionRow::Buttons(
                Rating::ALL
                    .iter()
                    .map(|&rating| {
                        let id = ButtonId::Feedback {
                            guild: *guild_id,
                            group: *group_id,
                            rating,
                        };
                        CreateButton::new(id.to_string())
                            .label(render::rating_label(rating))
                            .style(ButtonStyle::Secondary)
                    })
                    .collect(),
            )],
        ),
    };
    // Never over Discord's 2,000 characters, whatever names and notes came in.
    (render::fit(&content), mentions, components)
}

/// The text of the message's embed, which tells two wins with the same headline apart.
fn embed_text(message: &Message) -> Option<String> {
    match message {
        Message::Celebration(Occasion::Win(win)) => Some(render::win_embed_text(win)),
        _ => None,
    }
}

/// An intro's rows: the slots to pick from (or Reschedule once booked) and, in a
/// thread, the answers. Once the chat is booked the answers come first: picking a time
/// is done, and "We met" is what comes next.
pub fn intro_components(view: &IntroView, on: SlotsOn) -> Vec<CreateActionRow> {
    let answers = (on == SlotsOn::Intro).then(|| intro_buttons(view.guild_id, view.group_id));
    let Some(choice) = &view.slots else {
        return answers.into_iter().collect();
    };
    let slots = slot_rows(view.guild_id, view.group_id, choice, &view.members, on);
    if choice.booking.is_some() {
        answers.into_iter().chain(slots).collect()
    } else {
        slots.into_iter().chain(answers).collect()
    }
}

/// A select menu of the slots and "None of these work"; once booked, Reschedule.
pub fn slot_rows(
    guild: ids::GuildId,
    group: GroupId,
    choice: &SlotChoice,
    members: &[MemberView],
    on: SlotsOn,
) -> Vec<CreateActionRow> {
    if choice.booking.is_some() {
        return vec![reschedule_row(guild, group, on)];
    }
    let batch = choice.batch;
    let mut rows = Vec::new();
    if !choice.slots.is_empty() {
        let options: Vec<CreateSelectMenuOption> = choice
            .slots
            .iter()
            .enumerate()
            .map(|(n, slot)| {
                let (label, description) = render::slot_option(n + 1, *slot, members);
                CreateSelectMenuOption::new(label, slot.timestamp().to_string())
                    .description(description)
            })
            .collect();
        let count = u8::try_from(options.len()).unwrap_or(u8::MAX);
        let id = ButtonId::Slots {
            guild,
            group,
            batch,
            on,
        };
        rows.push(CreateActionRow::SelectMenu(
            CreateSelectMenu::new(id.to_string(), CreateSelectMenuKind::String { options })
                .placeholder("Pick every time that works for you")
                .min_values(1)
                .max_values(count),
        ));
    }
    let none = ButtonId::NoSlot {
        guild,
        group,
        batch,
        on,
    };
    rows.push(CreateActionRow::Buttons(vec![CreateButton::new(
        none.to_string(),
    )
    .label("None of these work")
    .style(ButtonStyle::Secondary)]));
    rows
}

fn reschedule_row(guild: ids::GuildId, group: GroupId, on: SlotsOn) -> CreateActionRow {
    let id = ButtonId::Reschedule { guild, group, on };
    CreateActionRow::Buttons(vec![CreateButton::new(id.to_string())
        .label("Reschedule")
        .emoji('🔄')
        .style(ButtonStyle::Secondary)])
}

/// We met / Not yet / Skip this round.
pub fn intro_buttons(guild: ids::GuildId, group: GroupId) -> CreateActionRow {
    let id = |answer| {
        ButtonId::Answer {
            guild,
            group,
            answer,
        }
        .to_string()
    };
    CreateActionRow::Buttons(vec![
        CreateButton::new(id(OutcomeStatus::Met))
            .label("We met")
            .emoji('✅')
            .style(ButtonStyle::Success),
        CreateButton::new(id(OutcomeStatus::NotYet))
            .label("Not yet")
            .style(ButtonStyle::Secondary),
        CreateButton::new(id(OutcomeStatus::Skipped))
            .label("Skip this round")
            .style(ButtonStyle::Secondary),
    ])
}

/// Runs a request with a timeout and sorts its failure into what delivery can act on.
async fn guarded<T>(request: impl Future<Output = serenity::Result<T>>) -> Result<T, SendError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
        Err(_) => Err(SendError::Transient("timed out".into())),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(classify(err)),
    }
}

pub fn classify(err: serenity::Error) -> SendError {
    match &err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            let status = response.status_code.as_u16();
            let detail = format!("HTTP {status}: {}", response.error.message);
            match status {
                429 => SendError::RateLimited(detail),
                500..=599 => SendError::Transient(detail),
                // The token was reset while running: Discord refused the bot itself, not
                // this post. Failing every pending row would lose them; they wait instead.
                401 => SendError::Transient(detail),
                _ => SendError::Refused {
                    status,
                    code: u64::try_from(response.error.code).unwrap_or(0),
                    detail: response.error.message.clone(),
                },
            }
        }
        // Connection failures, and bodies we could not read: the request may or may not
        // have landed, so it is retried with a look-up first.
        _ => SendError::Transient(err.to_string()),
    }
}
