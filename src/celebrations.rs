//! Posts around the rounds: wins, program and member milestones, and watercooler
//! prompts. Each occasion is queued in the outbox once, under its key, and delivered
//! from there like everything else hallway posts.

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::domain::ids::UserId;
use crate::domain::milestones::{self, Milestone};
use crate::domain::profile::Role;
use crate::domain::program::Program;
use crate::domain::prompts;
use crate::domain::wins::WinKind;
use crate::storage::{fenced, HeldLeases, Store};

/// What a celebration posts; stored as JSON in its outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "occasion", rename_all = "kebab-case")]
pub enum Occasion {
    Win(WinPost),
    Milestone(Milestone),
    Watercooler { prompt_key: String, prompt: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinPost {
    pub user_id: UserId,
    pub name: String,
    pub kind: WinKind,
    pub description: String,
    pub link: Option<String>,
}

/// The reaction added under each win, so others can join in with one click.
pub const WIN_REACTION: &str = "🎉";

/// Queues every occasion due by `now` in every live program with a channel, of the
/// servers whose lease this process holds: each program's inside its server's fence, so
/// a lease lost meanwhile queues nothing (the queueing checks it in its transaction). One
/// program's failure is logged and skips only that program.
pub async fn claim_due(
    store: &Store,
    leases: &HeldLeases,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for program in store.programs_with_channels().await? {
        let Some(fence) = leases.fence(program.guild_id) else {
            continue;
        };
        if let Err(err) = fenced(fence, claim_for(store, &program, now)).await {
            tracing::error!(
                guild = %program.guild_id,
                program = %program.program_id,
                error = format!("{err:#}"),
                "could not queue celebrations"
            );
        }
    }
    Ok(())
}

async fn claim_for(store: &Store, program: &Program, now: DateTime<Utc>) -> anyhow::Result<()> {
    if program.celebrations_channel().is_some() {
        claim_milestones(store, program, now).await?;
    }
    if let Some(watercooler) = program.watercooler {
        if let Some(post) = watercooler.due_post(now) {
            let key = format!("watercooler:{}:{post}", program.program_id);
            if !store.celebration_queued(program.guild_id, &key).await? {
                let occasion = watercooler_prompt(store, program, post).await?;
                store
                    .queue_celebration(
                        program.guild_id,
                        program.program_id,
                        &key,
                        &serde_json::to_string(&occasion)?,
                        now,
                    )
                    .await?;
            }
        }
    }
    Ok(())
}

async fn claim_milestones(
    store: &Store,
    program: &Program,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let zone = program.schedule.map_or(chrono_tz::UTC, |s| s.time_zone);
    let today = now.with_timezone(&zone).date_naive();
    let mut due = milestones::program_milestones(program, today);
    for (user_id, chats) in store.completed_chats(program.program_id).await? {
        if let Some(count) = milestones::chat_milestone(chats) {
            due.push(Milestone::Chats { user_id, count });
        }
    }
    for member in store.current_members(program.program_id).await? {
        if !member.shoutouts {
            continue;
        }
        if let Some(years) = milestones::anniversary(member.first_joined_at, today) {
            due.push(Milestone::Anniversary {
                user_id: member.user_id,
                years,
            });
        }
    }
    // A member's milestones are the server's: the first of their programs to get here
    // posts them, in its celebrations channel, and the key keeps the others from doing so.
    for milestone in due {
        let detail = serde_json::to_string(&Occasion::Milestone(milestone.clone()))?;
        let key = milestone.key(program.program_id);
        if store
            .queue_celebration(program.guild_id, program.program_id, &key, &detail, now)
            .await?
        {
            tracing::info!(guild = %program.guild_id, key = %key, "milestone claimed");
        }
    }
    Ok(())
}

/// A prompt the watercooler has not posted yet (the least used once all have been).
async fn watercooler_prompt(
    store: &Store,
    program: &Program,
    post: i64,
) -> anyhow::Result<Occasion> {
    let used = store.watercooler_prompts_used(program.program_id).await?;
    let mut library: Vec<prompts::Prompt> = prompts::built_in()
        .into_iter()
        .filter(|p| p.category != prompts::Category::MentorSelfCare)
        .collect();
    library.extend(store.custom_prompts(program.program_id, false).await?);
    // Seeded by server, program and post number: the same post picks the same prompt.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        program.guild_id.get()
            ^ (post as u64).rotate_left(32)
            ^ (program.program_id.get() as u64).rotate_left(16),
    );
    let roles = [Role::Peer, Role::Peer];
    let chosen = prompts::choose(&library, &roles, &[used], &mut rng)
        .cloned()
        .unwrap_or_else(|| prompts::built_in().remove(0));
    Ok(Occasion::Watercooler {
        prompt_key: chosen.key,
        prompt: chosen.text,
    })
}
