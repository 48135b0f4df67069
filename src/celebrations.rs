//! Posts around the rounds: wins, program and member milestones, and watercooler
//! prompts. Each occasion is queued in the outbox once, under its key, and delivered
//! from there like everything else hallway posts.

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::domain::community::Community;
use crate::domain::ids::UserId;
use crate::domain::milestones::{self, Milestone};
use crate::domain::profile::Role;
use crate::domain::prompts;
use crate::domain::wins::WinKind;
use crate::storage::Store;

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

/// Queues every occasion due by `now` in every community with a channel. One
/// community's failure is logged and skips only that community.
pub async fn claim_due(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    for community in store.communities_with_channels().await? {
        if let Err(err) = claim_for(store, &community, now).await {
            tracing::error!(
                guild = %community.guild_id,
                error = format!("{err:#}"),
                "could not queue celebrations"
            );
        }
    }
    Ok(())
}

async fn claim_for(store: &Store, community: &Community, now: DateTime<Utc>) -> anyhow::Result<()> {
    if community.celebrations_channel().is_some() {
        claim_milestones(store, community, now).await?;
    }
    if let Some(watercooler) = community.watercooler {
        if let Some(post) = watercooler.due_post(now) {
            let key = format!("watercooler:{post}");
            if !store.celebration_queued(community.guild_id, &key).await? {
                let occasion = watercooler_prompt(store, community, post).await?;
                store
                    .queue_celebration(
                        community.guild_id,
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
    community: &Community,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let zone = community.schedule.map_or(chrono_tz::UTC, |s| s.time_zone);
    let today = now.with_timezone(&zone).date_naive();
    let mut due = milestones::program_milestones(&community.program, today);
    for (user_id, chats) in store.completed_chats(community.guild_id).await? {
        if let Some(count) = milestones::chat_milestone(chats) {
            due.push(Milestone::Chats { user_id, count });
        }
    }
    for member in store.current_members(community.guild_id).await? {
        if !member.shoutouts {
            continue;
        }
        if let Some(years) = milestones::anniversary(member.joined_at, today) {
            due.push(Milestone::Anniversary {
                user_id: member.user_id,
                years,
            });
        }
    }
    for milestone in due {
        let detail = serde_json::to_string(&Occasion::Milestone(milestone.clone()))?;
        if store
            .queue_celebration(community.guild_id, &milestone.key(), &detail, now)
            .await?
        {
            tracing::info!(guild = %community.guild_id, key = %milestone.key(), "milestone claimed");
        }
    }
    Ok(())
}

/// A prompt the watercooler has not posted yet (the least used once all have been).
async fn watercooler_prompt(
    store: &Store,
    community: &Community,
    post: i64,
) -> anyhow::Result<Occasion> {
    let used = store.watercooler_prompts_used(community.guild_id).await?;
    let mut library: Vec<prompts::Prompt> = prompts::built_in()
        .into_iter()
        .filter(|p| p.category != prompts::Category::MentorSelfCare)
        .collect();
    library.extend(store.custom_prompts(community.guild_id, false).await?);
    // Seeded by community and post number: the same post picks the same prompt.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
        community.guild_id.get() ^ (post as u64).rotate_left(32),
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
