//! A round as one idempotent step: match the available members, then save the groups
//! with their whole outbox in one transaction ([`crate::delivery`] sends it). A crash
//! before the commit leaves nothing; after it, nothing is matched again.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::domain::ids::{InterestId, PreviewId, UserId};
use crate::domain::interests;
use crate::domain::matching::{self, AvoidList, Candidate, Group, History, MatchSettings};
use crate::domain::member::Member;
use crate::domain::profile::Role;
use crate::domain::program::Program;
use crate::domain::prompts::{self, MemberSeen, Prompt};
use crate::domain::round::{MatchingInput, NewGroup, NewRound, Plan, RoundRecord, Trigger};
use crate::domain::schedule;
use crate::storage::Store;

/// Matches the program's available members as of `at`. Pure: the same input and seed
/// give the same plan. `not_a_fit` are the program's soft avoids (author, partner): such
/// a pair is matched only when no grouping without it exists.
pub fn plan(
    program: &Program,
    input: &MatchingInput,
    not_a_fit: &[(UserId, UserId)],
    custom_prompts: &[Prompt],
    at: DateTime<Utc>,
    seed: u64,
) -> Plan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picks: std::collections::HashMap<UserId, Vec<InterestId>> = Default::default();
    for (user, interest) in &input.picks {
        picks.entry(*user).or_default().push(*interest);
    }
    let candidates: Vec<Candidate> = input
        .members
        .iter()
        .map(|m| {
            let picked = picks.get(&m.user_id).map_or(&[][..], Vec::as_slice);
            candidate(m, interests::bitmask(&input.interests, picked), at)
        })
        .collect();
    // What the server's other programs matched this week counts as the most recent
    // round: the engine then keeps those pairs apart here as it avoids a repeat, unless
    // nobody else is available. It is laid over a copy, never over the kept history.
    let overlaid;
    let history: &History = if input.met_elsewhere_this_week.is_empty() {
        &input.history
    } else {
        let mut copy = History::clone(&input.history);
        let groups: Vec<Group> = input
            .met_elsewhere_this_week
            .iter()
            .map(|group| Group {
                members: group.iter().map(|id| id.get()).collect(),
            })
            .collect();
        copy.record_round(input.latest_round + 1, &groups);
        overlaid = copy;
        &overlaid
    };
    let avoid: AvoidList = input
        .avoid
        .iter()
        .map(|(a, b)| (a.get(), b.get()))
        .collect::<AvoidList>()
        .with_soft(not_a_fit.iter().map(|(a, b)| (a.get(), b.get())));
    let rules = program.matching;
    let mut settings = MatchSettings::new(rules.mode, rules.group_size);
    settings.cross_institution = rules.cross_institution;
    settings.interest_weight = rules.interest_weight;
    // Peer circles form within each role, so a community of peers (or of mentors) is
    // never left out.
    settings.circle_role = None;
    // A small roster's planned year of circles must stay the same plan from round to
    // round and across restarts, and differ between programs: the program's id does both.
    settings.plan_seed = program.program_id.get() as u64;
    let outcome = matching::match_round(&candidates, history, &avoid, &settings, &mut rng);

    let mut library = prompts::built_in();
    library.extend(custom_prompts.iter().cloned());
    let roles: std::collections::HashMap<UserId, Role> = input
        .members
        .iter()
        .map(|m| (m.user_id, m.profile.role))
        .collect();
    let role_of = |id: UserId| roles.get(&id).copied().unwrap_or(Role::Peer);
    let seen_in_library = input.prompts_seen.for_library(&library);
    let groups = outcome
        .groups
        .iter()
        .map(|group| {
            let members: Vec<(UserId, Role)> = group
                .members
                .iter()
                .map(|&id| (UserId(id), role_of(UserId(id))))
                .collect();
            let roles: Vec<Role> = members.iter().map(|(_, role)| *role).collect();
            let seen: Vec<MemberSeen<'_>> = group
                .members
                .iter()
                .map(|&id| seen_in_library.member(UserId(id)))
                .collect();
            let prompt = prompts::choose(&library, &roles, &seen, &mut rng);
            NewGroup {
                members,
                prompt_key: prompt.map(|p| p.key.clone()),
            }
        })
        .collect();

    let mut notes = outcome.compromises.clone();
    match outcome.unplaced.len() {
        0 => {}
        1 => notes.push("1 member could not be matched this round.".into()),
        n => notes.push(format!("{n} members could not be matched this round.")),
    }
    Plan {
        seed,
        groups,
        notes,
    }
}

/// The engine's view of a member at the time of the round, with the bitmask of the
/// interest tags they picked.
fn candidate(member: &Member, interests: u32, at: DateTime<Utc>) -> Candidate {
    let p = &member.profile;
    Candidate {
        id: member.user_id.get(),
        role: p.role,
        institution: p.institution.clone(),
        utc_offset_minutes: p.time_zone.map(|zone| utc_offset_minutes(zone, at)),
        time_of_day: p.time_of_day,
        modality: p.modality,
        capacity: p.capacity,
        available: member.is_matchable(at),
        interests,
    }
}

fn utc_offset_minutes(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
        / 60
}

/// Reads everything a plan needs and makes one.
pub async fn plan_for(
    store: &Store,
    program: &Program,
    at: DateTime<Utc>,
    seed: u64,
) -> anyhow::Result<Plan> {
    let input = store
        .matching_input(program.guild_id, program.program_id, at)
        .await?;
    // Read beside the do-not-match lists, and as confidential: they only steer the engine.
    let not_a_fit = store.fit_soft_avoids(program.program_id).await?;
    let custom = store.custom_prompts(program.program_id, false).await?;
    // Matching a large server takes a while: off the async runtime, so interactions and
    // the gateway heartbeat never wait for it.
    let program = program.clone();
    tokio::task::spawn_blocking(move || plan(&program, &input, &not_a_fit, &custom, at, seed))
        .await
        .map_err(|err| anyhow::anyhow!("matching failed: {err}"))
}

/// Saves a planned round and its outbox. `None` when a scheduled round for this slot
/// already exists: the slot ran, and runs no second time.
pub async fn save_round(
    store: &Store,
    program: &Program,
    plan: &Plan,
    trigger: Trigger,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    confirms_preview: Option<PreviewId>,
) -> anyhow::Result<Option<RoundRecord>> {
    let saved = save(store, program, plan, trigger, due_at, now, confirms_preview).await;
    counted(program, &saved, None);
    saved
}

async fn save(
    store: &Store,
    program: &Program,
    plan: &Plan,
    trigger: Trigger,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    confirms_preview: Option<PreviewId>,
) -> anyhow::Result<Option<RoundRecord>> {
    // Follow-ups are spaced over what is left of the round, even when it starts late.
    let next = due_at + schedule::round_length(program.schedule.as_ref(), due_at);
    let remaining = if next > now {
        next - now
    } else {
        chrono::Duration::weeks(1)
    };
    let new = NewRound {
        guild_id: program.guild_id,
        program_id: program.program_id,
        due_at,
        trigger,
        seed: plan.seed,
        notes: plan.notes.clone(),
        groups: plan.groups.clone(),
        nudge_at: now + remaining / 2,
        feedback_at: now + remaining * 4 / 5,
        created_at: now,
        confirms_preview,
    };
    store.create_round(&new).await
}

/// Counts a round tried (`hallway_rounds_total`), and for a scheduled one that was saved,
/// how long it took from its start (`hallway_round_duration_seconds`); logs it.
fn counted(
    program: &Program,
    saved: &anyhow::Result<Option<RoundRecord>>,
    started: Option<std::time::Instant>,
) {
    let outcome = match saved {
        Ok(Some(_)) => "started",
        Ok(None) => "already_ran",
        Err(_) => "failed",
    };
    metrics::counter!("hallway_rounds_total", "outcome" => outcome).increment(1);
    let guild_id = program.guild_id.get();
    let program_id = program.program_id.get();
    match saved {
        Ok(Some(round)) => {
            let seconds = started.map(|at| at.elapsed().as_secs_f64());
            if let Some(seconds) = seconds {
                metrics::histogram!("hallway_round_duration_seconds").record(seconds);
            }
            tracing::info!(
                guild_id,
                program_id,
                round_id = round.round_id.get(),
                round = round.number,
                seconds,
                "round saved"
            );
        }
        Ok(None) => tracing::debug!(guild_id, program_id, "the round for this slot already ran"),
        Err(err) => tracing::debug!(
            guild_id,
            program_id,
            error = format!("{err:#}"),
            "the round was not saved"
        ),
    }
}

/// When the program's next scheduled round starts; `None` without a schedule, a
/// program channel, while paused, or once archived.
pub async fn next_round_at(
    store: &Store,
    program: &Program,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let Some(schedule) = program.schedule.as_ref() else {
        return Ok(None);
    };
    if program.paused || program.program_channel_id.is_none() || program.is_archived() {
        return Ok(None);
    }
    let last = store
        .last_round(program.program_id)
        .await?
        .map(|r| r.due_at);
    let anchor = program.schedule_anchor.unwrap_or(now);
    // A slot already due starts with the scheduler's next pass.
    Ok(Some(schedule::next_slot(schedule, last, anchor).max(now)))
}

/// Plans and saves the round due at `due_at` for a scheduled program.
pub async fn start_scheduled_round(
    store: &Store,
    program: &Program,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<RoundRecord>> {
    let started = std::time::Instant::now();
    // The seed is stored with the round, so the round can be reproduced exactly.
    let seed = rand::random::<u64>() >> 1;
    let saved = async {
        let plan = plan_for(store, program, due_at.max(now), seed).await?;
        save(store, program, &plan, Trigger::Schedule, due_at, now, None).await
    }
    .await;
    counted(program, &saved, Some(started));
    saved
}
