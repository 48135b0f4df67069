//! The matching engine: hard rules and determinism (property tests), repeat-freedom
//! against brute force for small pools, edge cases, and quality at CI sizes: each
//! bound is a target of issue 3 where the engine meets it, and today's measured figure,
//! named as such, where it does not.

use std::collections::BTreeMap;

use hallway::domain::matching::{
    match_round, match_round_reusing, shared_interests, AvoidList, Candidate, Group, History,
    InterestWeight, MatchOutcome, MatchScratch, MatchSettings,
};
use hallway::domain::profile::{Modality, Role, TimeOfDay};
use hallway::domain::program::MatchingMode;
use hallway::simulate::{run, SimulateArgs};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn person(id: u64, role: Role, capacity: u8) -> Candidate {
    Candidate {
        role,
        capacity,
        ..Candidate::peer(id)
    }
}

fn settings(mode: MatchingMode, size: u8) -> MatchSettings {
    MatchSettings::new(mode, size)
}

fn run_round(
    members: &[Candidate],
    history: &History,
    avoid: &AvoidList,
    s: &MatchSettings,
    seed: u64,
) -> MatchOutcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match_round(members, history, avoid, s, &mut rng)
}

/// Checks every hard rule; returns a description of the first broken one.
fn hard_rules(
    members: &[Candidate],
    avoid: &AvoidList,
    s: &MatchSettings,
    out: &MatchOutcome,
) -> Result<(), String> {
    let by_id: BTreeMap<u64, &Candidate> = members.iter().map(|c| (c.id, c)).collect();
    let eligible = |c: &Candidate| {
        c.available
            && !(s.mode == MatchingMode::PeerCircles && s.circle_role.is_some_and(|r| r != c.role))
    };
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut mentees_of: BTreeMap<u64, usize> = BTreeMap::new();
    for g in &out.groups {
        if g.members.len() < 2 {
            return Err(format!("group too small: {g:?}"));
        }
        for (k, a) in g.members.iter().enumerate() {
            let c = by_id.get(a).ok_or(format!("unknown id {a}"))?;
            if !eligible(c) {
                return Err(format!("{a} is not available or not in this program"));
            }
            *seen.entry(*a).or_default() += 1;
            for b in &g.members[k + 1..] {
                if avoid.contains(*a, *b) {
                    return Err(format!("avoided pair {a}-{b} matched"));
                }
                if a == b {
                    return Err(format!("{a} twice in one group"));
                }
            }
        }
        if s.mode == MatchingMode::MentorMentee {
            let first = by_id[&g.members[0]];
            if first.role == Role::Mentor {
                let n = g
                    .members
                    .iter()
                    .filter(|id| by_id[id].role != Role::Mentor)
                    .count();
                *mentees_of.entry(first.id).or_default() += n;
            }
            let mentors = g
                .members
                .iter()
                .filter(|id| by_id[id].role == Role::Mentor)
                .count();
            let has_mentee = g.members.iter().any(|id| by_id[id].role != Role::Mentor);
            if mentors > 1 && has_mentee {
                return Err(format!("two mentors in a mentee chat: {g:?}"));
            }
            if mentors == 1 && has_mentee && first.role != Role::Mentor {
                return Err(format!("the mentor is not first: {g:?}"));
            }
        }
    }
    for c in members.iter().filter(|c| eligible(c)) {
        let n = seen.get(&c.id).copied().unwrap_or(0);
        let unplaced = out.unplaced.contains(&c.id);
        let multi_ok = s.mode == MatchingMode::MentorMentee && c.role == Role::Mentor;
        match (n, unplaced) {
            (0, false) => return Err(format!("{} is neither placed nor reported unplaced", c.id)),
            (0, true) => {}
            (_, true) => return Err(format!("{} is placed and also reported unplaced", c.id)),
            (1, false) => {}
            (_, false) if multi_ok => {}
            _ => return Err(format!("{} placed {n} times", c.id)),
        }
    }
    for (mentor, n) in mentees_of {
        if n > by_id[&mentor].capacity as usize {
            return Err(format!(
                "mentor {mentor} has {n} mentees, capacity {}",
                by_id[&mentor].capacity
            ));
        }
    }
    Ok(())
}

/// A random past: `rounds` random groupings of everyone.
fn random_history(ids: &[u64], rounds: usize, rng: &mut ChaCha8Rng) -> History {
    let mut h = History::new();
    for r in 0..rounds {
        let mut v = ids.to_vec();
        v.shuffle(rng);
        let mut groups: Vec<Group> = v
            .chunks(2)
            .map(|c| Group {
                members: c.to_vec(),
            })
            .collect();
        if groups.last().is_some_and(|g| g.members.len() == 1) && groups.len() > 1 {
            let lone = groups.pop().unwrap().members;
            groups.last_mut().unwrap().members.extend(lone);
        }
        groups.retain(|g| g.members.len() > 1);
        h.record_round(r as u32 + 1, &groups);
    }
    h
}

/// Is there a grouping into pairs (one trio if odd) using only `ok` pairs?
fn repeat_free_exists(people: &[usize], ok: &dyn Fn(usize, usize) -> bool) -> bool {
    fn pairs(rest: &[usize], ok: &dyn Fn(usize, usize) -> bool) -> bool {
        if rest.is_empty() {
            return true;
        }
        let a = rest[0];
        for k in 1..rest.len() {
            let b = rest[k];
            if ok(a, b) {
                let next: Vec<usize> = rest.iter().copied().filter(|&x| x != a && x != b).collect();
                if pairs(&next, ok) {
                    return true;
                }
            }
        }
        false
    }
    if people.len() < 2 {
        return true;
    }
    if people.len().is_multiple_of(2) {
        return pairs(people, ok);
    }
    for i in 0..people.len() {
        for j in i + 1..people.len() {
            for k in j + 1..people.len() {
                let (x, y, z) = (people[i], people[j], people[k]);
                if ok(x, y) && ok(x, z) && ok(y, z) {
                    let rest: Vec<usize> = people
                        .iter()
                        .copied()
                        .filter(|&p| p != x && p != y && p != z)
                        .collect();
                    if pairs(&rest, ok) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// A random small community: roles, capacities, availability, avoid pairs.
fn random_case(seed: u64) -> (Vec<Candidate>, AvoidList, MatchSettings, History) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(0..=12usize);
    let mode = [
        MatchingMode::Open,
        MatchingMode::MentorMentee,
        MatchingMode::PeerCircles,
    ][rng.random_range(0..3)];
    let size = rng.random_range(2..=4u8);
    let members: Vec<Candidate> = (0..n)
        .map(|i| {
            let role = [Role::Mentor, Role::Mentee, Role::Peer][rng.random_range(0..3)];
            let mut c = person(1000 + i as u64 * 17, role, rng.random_range(0..=5));
            c.available = rng.random_bool(0.85);
            c.institution = Some(format!("inst{}", rng.random_range(0..3)));
            c
        })
        .collect();
    let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
    let mut pairs = Vec::new();
    for (i, &a) in ids.iter().enumerate() {
        for &b in &ids[i + 1..] {
            if rng.random_bool(0.1) {
                pairs.push((a, b));
            }
        }
    }
    let history = random_history(&ids, rng.random_range(0..6), &mut rng);
    let mut s = settings(mode, size);
    s.cross_institution = rng.random_bool(0.5);
    (members, pairs.into_iter().collect(), s, history)
}

/// [`random_case`] with "Not a fit" pairs too.
fn random_case_with_soft_avoids(seed: u64) -> (Vec<Candidate>, AvoidList, MatchSettings, History) {
    let (members, avoid, s, history) = random_case(seed);
    let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x50f7);
    let soft = random_soft_pairs(&ids, 0.15, &mut rng);
    (members, avoid.with_soft(soft), s, history)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn hard_rules_hold_and_each_member_is_placed_once_or_reported_unplaced(seed in any::<u64>()) {
        // "Not a fit" pairs never leave anyone out: only hard ones are excused below.
        let (members, avoid, s, history) = random_case_with_soft_avoids(seed);
        let out = run_round(&members, &history, &avoid, &s, seed);
        if let Err(e) = hard_rules(&members, &avoid, &s, &out) {
            prop_assert!(false, "{e}\n{members:?}\n{s:?}\n{out:?}");
        }
        // Only a lone member, a do-not-match rule or a mentor with nobody to meet
        // leaves someone out.
        if !out.unplaced.is_empty() {
            let eligible = members.iter().filter(|c| c.available).count();
            let excused = eligible == 1 || !avoid.is_empty() || s.mode != MatchingMode::Open;
            prop_assert!(excused, "{out:?}");
        }
    }

    #[test]
    fn same_seed_gives_same_groups(seed in any::<u64>()) {
        let (members, avoid, s, history) = random_case(seed);
        let a = run_round(&members, &history, &avoid, &s, seed);
        let b = run_round(&members, &history, &avoid, &s, seed);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn no_repeat_when_a_repeat_free_pairing_exists(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(2..=10usize);
        let members: Vec<Candidate> = (0..n).map(|i| Candidate::peer(50 + i as u64)).collect();
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let history = random_history(&ids, rng.random_range(0..n), &mut rng);
        let avoid: AvoidList = if rng.random_bool(0.3) {
            vec![(ids[0], ids[1])].into_iter().collect()
        } else {
            AvoidList::new()
        };
        let ok = |a: usize, b: usize| !history.met(ids[a], ids[b]) && !avoid.contains(ids[a], ids[b]);
        let people: Vec<usize> = (0..n).collect();
        let exists = repeat_free_exists(&people, &ok);
        let out = run_round(&members, &history, &avoid, &settings(MatchingMode::Open, 2), seed);
        prop_assert!(hard_rules(&members, &avoid, &settings(MatchingMode::Open, 2), &out).is_ok());
        let repeats = out.groups.iter().map(|g| {
            let mut r = 0;
            for (k, a) in g.members.iter().enumerate() {
                for b in &g.members[k + 1..] {
                    if history.met(*a, *b) { r += 1; }
                }
            }
            r
        }).sum::<usize>();
        if exists {
            prop_assert_eq!(repeats, 0, "a repeat-free pairing exists: {:?}", out);
        }
    }
}

#[test]
fn zero_one_two_and_three_members() {
    let s = settings(MatchingMode::Open, 2);
    let (h, a) = (History::new(), AvoidList::new());
    let out = run_round(&[], &h, &a, &s, 1);
    assert!(out.groups.is_empty() && out.unplaced.is_empty());

    let one = [Candidate::peer(1)];
    let out = run_round(&one, &h, &a, &s, 1);
    assert!(out.groups.is_empty());
    assert_eq!(out.unplaced, vec![1]);
    assert!(out
        .compromises
        .iter()
        .any(|c| c.contains("only one member")));

    let two = [Candidate::peer(1), Candidate::peer(2)];
    let out = run_round(&two, &h, &a, &s, 1);
    assert_eq!(out.groups.len(), 1);
    assert_eq!(out.groups[0].members.len(), 2);

    let three = [Candidate::peer(1), Candidate::peer(2), Candidate::peer(3)];
    let out = run_round(&three, &h, &a, &s, 1);
    assert_eq!(out.groups.len(), 1, "three make one trio, nobody left out");
    assert_eq!(out.groups[0].members.len(), 3);
    assert!(out.unplaced.is_empty());
}

#[test]
fn paused_members_are_never_matched() {
    let mut members: Vec<Candidate> = (1..=6).map(Candidate::peer).collect();
    members[2].available = false;
    let out = run_round(
        &members,
        &History::new(),
        &AvoidList::new(),
        &settings(MatchingMode::Open, 2),
        3,
    );
    assert!(out.groups.iter().all(|g| !g.members.contains(&3)));
    assert_eq!(out.groups.iter().map(|g| g.members.len()).sum::<usize>(), 5);
}

#[test]
fn everyone_avoiding_everyone_leaves_them_unplaced_and_says_so() {
    let members: Vec<Candidate> = (1..=5).map(Candidate::peer).collect();
    let mut pairs = Vec::new();
    for a in 1..=5u64 {
        for b in a + 1..=5 {
            pairs.push((a, b));
        }
    }
    let avoid: AvoidList = pairs.into_iter().collect();
    for mode in [MatchingMode::Open, MatchingMode::PeerCircles] {
        let mut s = settings(mode, if mode == MatchingMode::Open { 2 } else { 3 });
        s.circle_role = None;
        let out = run_round(&members, &History::new(), &avoid, &s, 9);
        assert!(out.groups.is_empty(), "{out:?}");
        assert_eq!(out.unplaced.len(), 5);
        assert!(
            out.compromises.iter().any(|c| c.contains("do-not-match")),
            "{out:?}"
        );
    }
}

#[test]
fn an_avoid_that_leaves_one_partner_gives_that_partner_and_leaves_nobody_out() {
    // 1 avoids 2 and 3; with four members 1 must pair with 4 and 2 with 3.
    let members: Vec<Candidate> = (1..=4).map(Candidate::peer).collect();
    let avoid: AvoidList = vec![(1, 2), (1, 3)].into_iter().collect();
    for seed in 0..20 {
        let out = run_round(
            &members,
            &History::new(),
            &avoid,
            &settings(MatchingMode::Open, 2),
            seed,
        );
        hard_rules(&members, &avoid, &settings(MatchingMode::Open, 2), &out).unwrap();
        assert!(out.unplaced.is_empty());
        let mut pairs: Vec<Vec<u64>> = out
            .groups
            .iter()
            .map(|g| {
                let mut m = g.members.clone();
                m.sort_unstable();
                m
            })
            .collect();
        pairs.sort();
        assert_eq!(pairs, vec![vec![1, 4], vec![2, 3]], "seed {seed}");
    }
}

#[test]
fn all_mentors_paused_falls_back_to_mentee_pairs() {
    let mut members = vec![person(1, Role::Mentor, 3), person(2, Role::Mentor, 2)];
    members.extend((10..16).map(|i| person(i, Role::Mentee, 0)));
    members[0].available = false;
    members[1].available = false;
    let s = settings(MatchingMode::MentorMentee, 2);
    let out = run_round(&members, &History::new(), &AvoidList::new(), &s, 4);
    hard_rules(&members, &AvoidList::new(), &s, &out).unwrap();
    assert_eq!(out.groups.len(), 3);
    assert!(
        out.compromises.iter().any(|c| c.contains("no mentor")),
        "{out:?}"
    );
}

#[test]
fn a_capacity_zero_mentor_never_gets_a_mentee() {
    let members = vec![
        person(1, Role::Mentor, 0),
        person(2, Role::Mentor, 2),
        person(10, Role::Mentee, 0),
        person(11, Role::Mentee, 0),
        person(12, Role::Mentee, 0),
    ];
    let s = settings(MatchingMode::MentorMentee, 2);
    for seed in 0..20 {
        let out = run_round(&members, &History::new(), &AvoidList::new(), &s, seed);
        hard_rules(&members, &AvoidList::new(), &s, &out).unwrap();
        for g in &out.groups {
            if g.members.contains(&1) {
                assert!(g.members.iter().all(|&m| m < 10), "{g:?}");
            }
        }
        // The third mentee pairs with... nobody with capacity: paired with a mentee taken
        // from the mentor, or the mentees meet each other; never left out.
        for m in [10, 11, 12] {
            assert!(out.groups.iter().any(|g| g.members.contains(&m)), "{out:?}");
        }
    }
}

#[test]
fn mentors_see_several_mentees_in_separate_chats() {
    let mut members = vec![person(1, Role::Mentor, 3)];
    members.extend((10..13).map(|i| person(i, Role::Mentee, 0)));
    let s = settings(MatchingMode::MentorMentee, 2);
    let out = run_round(&members, &History::new(), &AvoidList::new(), &s, 2);
    assert_eq!(out.groups.len(), 3);
    assert!(out
        .groups
        .iter()
        .all(|g| g.members[0] == 1 && g.members.len() == 2));
}

#[test]
fn history_round_trips_through_stored_rounds() {
    let mut live = History::new();
    let rounds = vec![
        (1u32, vec![vec![1u64, 2], vec![3, 4, 5]]),
        (2, vec![vec![1, 3], vec![2, 4]]),
    ];
    for (n, groups) in &rounds {
        let g: Vec<Group> = groups
            .iter()
            .map(|m| Group { members: m.clone() })
            .collect();
        live.record_round(*n, &g);
    }
    let rebuilt = History::from_rounds(rounds);
    for a in 1..=5 {
        for b in 1..=5 {
            assert_eq!(live.last_met(a, b), rebuilt.last_met(a, b));
        }
        assert_eq!(live.off_size_groups(a), rebuilt.off_size_groups(a));
    }
}

// ---- Quality targets at CI sizes, through `hallway simulate` ----

fn simulate(extra: impl FnOnce(&mut SimulateArgs)) -> serde_json::Value {
    let mut args = SimulateArgs {
        members: 100,
        rounds: 52,
        mode: MatchingMode::Open,
        group_size: None,
        mentor_ratio: 3,
        capacity: None,
        churn: 0.0,
        institutions: 0,
        cross_institution: true,
        interests: 0,
        interest_weight: InterestWeight::Light,
        seed: 1,
        seeds: 1,
        population: None,
        json: true,
        no_baseline: true,
    };
    extra(&mut args);
    let mut out = Vec::new();
    run(&args, &mut out).expect("simulate runs");
    serde_json::from_slice(&out).expect("one JSON object")
}

fn no_violations(v: &serde_json::Value) {
    for key in [
        "avoid_violations",
        "capacity_violations",
        "unavailable_matched",
        "double_placements",
        "unmatched_member_rounds",
    ] {
        assert_eq!(v[key], 0, "{key}: {v}");
    }
}

#[test]
fn forty_members_over_45_rounds_repeat_exactly_the_unavoidable_120() {
    let v = simulate(|a| {
        a.members = 40;
        a.rounds = 45;
        a.seeds = 2;
    });
    no_violations(&v);
    assert_eq!(v["repeats"], 240, "{v}"); // 120 per seed
    assert_eq!(v["first_repeat_round"], 40, "{v}");
}

#[test]
fn even_rosters_of_6_to_60_go_the_whole_horizon_without_a_repeat() {
    for n in (6..=60).step_by(2) {
        let v = simulate(|a| {
            a.members = n;
            a.rounds = n as u32 - 1;
            a.seeds = 3;
            a.seed = 11;
        });
        no_violations(&v);
        assert_eq!(v["repeats"], 0, "n = {n}: {v}");
    }
}

#[test]
fn mentor_mentee_25_by_75_repeats_exactly_2025_and_respects_capacity() {
    let v = simulate(|a| {
        a.mode = MatchingMode::MentorMentee;
        a.capacity = Some(3);
    });
    no_violations(&v);
    assert_eq!(v["repeats"], 2025, "{v}");
    assert_eq!(v["first_repeat_round"], 26, "{v}");
}

#[test]
fn mentor_mentee_one_to_one_is_repeat_free_to_the_horizon() {
    let v = simulate(|a| {
        a.mode = MatchingMode::MentorMentee;
        a.members = 60;
        a.mentor_ratio = 1;
        a.rounds = 30;
    });
    no_violations(&v);
    assert_eq!(v["repeats"], 0, "{v}");
}

#[test]
fn churn_at_one_hundred_never_repeats_and_nobody_sits_in_a_trio_more_than_twice() {
    // The bound is the target of issue 3; today's measured figure is 1.
    let v = simulate(|a| {
        a.churn = 0.1;
        a.seeds = 2;
    });
    no_violations(&v);
    assert_eq!(v["repeats"], 0, "{v}");
    assert!(v["max_trios_per_member"].as_u64().unwrap() <= 2, "{v}");
}

#[test]
fn peer_circles_of_three_at_100_over_52_rounds_repeat_at_most_the_target_150() {
    // The target of issues 3 and 15 (the floor is 146: 5,096 pair meetings for 4,950
    // pairs). The planned year on two copies of Z_50 measures the floor itself, 146,
    // for seeds 1-5, with the first repeat in round 51 (the plan's 50 rounds meet only
    // new pairs); 207 before the plan.
    for seed in [1, 2] {
        let v = simulate(|a| {
            a.mode = MatchingMode::PeerCircles;
            a.group_size = Some(3);
            a.seed = seed;
        });
        no_violations(&v);
        let repeats = v["repeats"].as_u64().unwrap();
        assert!(repeats <= 150, "seed {seed}: {v}");
        assert!(v["first_repeat_round"].as_u64().unwrap() >= 51, "{v}");
    }
}

#[test]
fn peer_circles_of_three_at_100_with_churn_repeat_at_most_55_and_seat_nobody_in_four_pairs() {
    // Churn 0.1 on the planned year, seed 1: today's measured figures are 49 repeats
    // (55.2 a seed over seeds 1-5 before the table of starters, 76.4 before the plan)
    // and at most 3 off-size seats for a member (4 before the planned rounds gave
    // them to the members with the fewest; 2 before the plan, which is the target).
    let v = simulate(|a| {
        a.mode = MatchingMode::PeerCircles;
        a.group_size = Some(3);
        a.churn = 0.1;
    });
    no_violations(&v);
    assert!(v["repeats"].as_u64().unwrap() <= 55, "{v}");
    assert!(v["max_trios_per_member"].as_u64().unwrap() <= 3, "{v}");
}

#[test]
fn small_circles_rotate_the_odd_group_within_one_seat_of_the_fair_share() {
    // 7 members in circles of 3 make a trio and two pairs; 10 make two of each. Either
    // way 4 members a round sit in a pair instead of a circle, and that must rotate
    // (an earlier build left one member in a pair 27 rounds of 28).
    for members in [7u64, 10] {
        let rounds: u64 = 28;
        let v = simulate(|a| {
            a.members = members as usize;
            a.rounds = rounds as u32;
            a.mode = MatchingMode::PeerCircles;
            a.group_size = Some(3);
        });
        no_violations(&v);
        // Today's measured figure is the fair share itself (16 for 7, 12 for 10).
        let fair_share = (rounds * 4).div_ceil(members);
        let most = v["max_trios_per_member"].as_u64().unwrap();
        assert!(most <= fair_share + 1, "fair share {fair_share}: {v}");
    }
}

#[test]
fn cross_institution_pairs_at_200_over_20_rounds_reach_exactly_the_minimum() {
    // 113 of the 200 (drawn at random, about half) share one institution, so at least
    // 13 pairs a round, 260 of the 2,000, must be same-institution; today the engine
    // has exactly those 260 (a gap of 0 above the minimum).
    let v = simulate(|a| {
        a.members = 200;
        a.rounds = 20;
        a.institutions = 5;
    });
    no_violations(&v);
    let same = v["same_institution_pairs"].as_u64().unwrap();
    let min = v["same_institution_min"].as_u64().unwrap();
    assert_eq!(same, min, "{v}");
}

/// Every answer `History` gives about `ids`, to compare two histories.
fn history_answers(h: &History, ids: &[u64]) -> Vec<(Option<u32>, u32, u16)> {
    let mut out = Vec::new();
    for &a in ids {
        out.push((None, 0, h.off_size_groups(a)));
        for &b in ids {
            out.push((h.last_met(a, b), h.times_met(a, b), u16::from(h.met(a, b))));
        }
    }
    out
}

/// Runs `rounds` rounds both ways, with availability changing each round: plain
/// `match_round` + `record_round`, and reused buffers + `record_matched`.
fn compare_reuse(
    members: &[Candidate],
    avoid: &AvoidList,
    s: &MatchSettings,
    history: &History,
    seed: u64,
    rounds: u32,
) {
    let mut plain = history.clone();
    let mut reused = history.clone();
    let mut scratch = MatchScratch::new();
    let mut out = MatchOutcome::default();
    let mut churn = ChaCha8Rng::seed_from_u64(seed ^ 0xABCD);
    let mut members = members.to_vec();
    for round in 0..rounds {
        if round > 0 {
            for c in members.iter_mut() {
                c.available = churn.random_bool(0.85);
            }
        }
        let a = run_round(&members, &plain, avoid, s, seed.wrapping_add(round as u64));
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(round as u64));
        match_round_reusing(
            &members,
            &reused,
            avoid,
            s,
            &mut rng,
            &mut scratch,
            &mut out,
        );
        assert_eq!(a, out, "seed {seed} round {round}");
        plain.record_round(round + 10, &a.groups);
        reused.record_matched(round + 10, &out, &mut scratch);
    }
    let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
    let sample: Vec<u64> = ids
        .iter()
        .copied()
        .step_by(ids.len().div_ceil(60).max(1))
        .collect();
    assert_eq!(
        history_answers(&plain, &sample),
        history_answers(&reused, &sample),
        "seed {seed}"
    );
}

#[test]
fn reused_buffers_give_the_same_rounds_and_history() {
    // Small communities in every mode (several groups per mentor, avoid pairs, odd
    // counts), then large pools, which take the sparse paths.
    for seed in 0..60u64 {
        let (members, avoid, s, history) = random_case(seed);
        compare_reuse(&members, &avoid, &s, &history, seed, 5);
    }
    for (mode, size) in [
        (MatchingMode::Open, 2),
        (MatchingMode::Open, 3),
        (MatchingMode::MentorMentee, 2),
        (MatchingMode::PeerCircles, 3),
    ] {
        let mut rng = ChaCha8Rng::seed_from_u64(size as u64);
        let members: Vec<Candidate> = (0..2600u64)
            .map(|i| {
                let role = if mode == MatchingMode::MentorMentee && i % 4 == 0 {
                    Role::Mentor
                } else {
                    Role::Mentee
                };
                let mut c = person(9_000_000 + i * 7, role, 3);
                c.institution = Some(format!("inst{}", rng.random_range(0..4)));
                c
            })
            .collect();
        let mut s = settings(mode, size);
        s.cross_institution = true;
        compare_reuse(&members, &AvoidList::new(), &s, &History::new(), 7, 4);
    }
}

#[test]
fn record_matched_notices_edited_groups_and_other_histories() {
    let members: Vec<Candidate> = (0..3000u64).map(|i| Candidate::peer(77 + i * 3)).collect();
    let s = settings(MatchingMode::Open, 2);
    let mut scratch = MatchScratch::new();
    let mut out = MatchOutcome::default();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let history = History::new();
    match_round_reusing(
        &members,
        &history,
        &AvoidList::new(),
        &s,
        &mut rng,
        &mut scratch,
        &mut out,
    );
    // The caller swaps two members between groups before recording.
    let (x, y) = (out.groups[0].members[0], out.groups[1].members[1]);
    out.groups[0].members[0] = y;
    out.groups[1].members[1] = x;
    let mut edited = history.clone();
    edited.record_matched(1, &out, &mut scratch);
    let mut plain = history.clone();
    plain.record_round(1, &out.groups);
    let ids: Vec<u64> = members
        .iter()
        .map(|c| c.id)
        .step_by(37)
        .chain([x, y])
        .collect();
    assert_eq!(
        history_answers(&edited, &ids),
        history_answers(&plain, &ids)
    );
    assert!(edited.met(y, out.groups[0].members[1]));
    // A scratch filled against one history, recorded into another with other slots.
    let mut other = History::from_rounds(vec![(
        1,
        vec![vec![members[5].id, 1], vec![members[9].id, 2]],
    )]);
    let mut want = other.clone();
    other.record_matched(2, &out, &mut scratch);
    want.record_round(2, &out.groups);
    assert_eq!(history_answers(&other, &ids), history_answers(&want, &ids));
}

// ---- Interests: a soft preference below repeats and every hard rule ----

/// Interest tags for `members`, in one of several shapes, some of them as lopsided as
/// a real program can be: random picks out of K tags, two camps, one tag for almost
/// everyone, equal cliques, nested sets, or one member with five tags among others.
fn tag(members: &mut [Candidate], rng: &mut ChaCha8Rng) {
    let shape = rng.random_range(0..6);
    let k = rng.random_range(1..=25u32);
    let n = members.len();
    for (i, c) in members.iter_mut().enumerate() {
        c.interests = match shape {
            0 => (0..rng.random_range(1..=5)).fold(0, |m, _| m | 1 << rng.random_range(0..k)),
            1 => 1 << u32::from(i >= n / 2),
            2 => u32::from(rng.random_bool(0.9)),
            3 => 1 << (i as u32 % (k % 5 + 2)),
            4 => (1 << (i % 5 + 1)) - 1,
            _ => {
                if i == 0 {
                    0b11111
                } else {
                    1 << rng.random_range(0..5)
                }
            }
        };
    }
}

fn random_weight(rng: &mut ChaCha8Rng) -> InterestWeight {
    InterestWeight::ALL[rng.random_range(0..InterestWeight::ALL.len())]
}

/// Pairs of a round that met before it.
fn repeats_in(out: &MatchOutcome, history: &History) -> usize {
    let mut r = 0;
    for g in &out.groups {
        for (k, a) in g.members.iter().enumerate() {
            for b in &g.members[k + 1..] {
                r += usize::from(history.met(*a, *b));
            }
        }
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn hard_rules_hold_and_rounds_replay_with_interests_at_every_weight(seed in any::<u64>()) {
        let (mut members, avoid, mut s, history) = random_case(seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7A65);
        tag(&mut members, &mut rng);
        s.interest_weight = random_weight(&mut rng);
        let out = run_round(&members, &history, &avoid, &s, seed);
        if let Err(e) = hard_rules(&members, &avoid, &s, &out) {
            prop_assert!(false, "{e}\n{members:?}\n{s:?}\n{out:?}");
        }
        prop_assert_eq!(&out, &run_round(&members, &history, &avoid, &s, seed));
    }

    #[test]
    fn no_repeat_when_a_repeat_free_pairing_exists_whatever_the_tags(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(2..=10usize);
        let mut members: Vec<Candidate> = (0..n).map(|i| Candidate::peer(50 + i as u64)).collect();
        tag(&mut members, &mut rng);
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let history = random_history(&ids, rng.random_range(0..n), &mut rng);
        let mut s = settings(MatchingMode::Open, 2);
        s.interest_weight = InterestWeight::Strong;
        let ok = |a: usize, b: usize| !history.met(ids[a], ids[b]);
        let people: Vec<usize> = (0..n).collect();
        let out = run_round(&members, &history, &AvoidList::new(), &s, seed);
        if repeat_free_exists(&people, &ok) {
            prop_assert_eq!(repeats_in(&out, &history), 0, "{:?}", out);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn open_pairs_reach_the_n_minus_1_horizon_without_a_repeat_whatever_the_tags(seed in any::<u64>()) {
        // From 28 members up, the first rounds are matched greedily (horizon planning
        // starts with 24 unmet partners each), so tag-mates are used up first and the
        // unmet graph the planner gets is far from random.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = 2 * rng.random_range(14..=36usize);
        let mut members: Vec<Candidate> = (0..n as u64).map(|i| Candidate::peer(700 + i * 3)).collect();
        tag(&mut members, &mut rng);
        let mut s = settings(MatchingMode::Open, 2);
        s.interest_weight = if rng.random_bool(0.5) { InterestWeight::Light } else { InterestWeight::Strong };
        let mut history = History::new();
        for round in 1..n as u32 {
            let out = run_round(&members, &history, &AvoidList::new(), &s, seed ^ round as u64);
            prop_assert!(hard_rules(&members, &AvoidList::new(), &s, &out).is_ok());
            prop_assert_eq!(repeats_in(&out, &history), 0, "n = {}, round {}, {:?}", n, round, s.interest_weight);
            history.record_round(round, &out.groups);
        }
    }
}

#[test]
fn interest_weight_off_gives_the_groups_of_a_program_without_tags() {
    // Small random communities in every mode, then large pools (the sparse paths).
    let untagged = |members: &[Candidate]| -> Vec<Candidate> {
        members
            .iter()
            .map(|c| Candidate {
                interests: 0,
                ..c.clone()
            })
            .collect()
    };
    for seed in 0..300u64 {
        let (mut members, avoid, mut s, history) = random_case(seed);
        tag(&mut members, &mut ChaCha8Rng::seed_from_u64(seed));
        s.interest_weight = InterestWeight::Off;
        let off = run_round(&members, &history, &avoid, &s, seed);
        s.interest_weight = InterestWeight::Strong;
        let none = run_round(&untagged(&members), &history, &avoid, &s, seed);
        assert_eq!(off, none, "seed {seed}");
    }
    for (mode, size) in [
        (MatchingMode::Open, 2),
        (MatchingMode::Open, 4),
        (MatchingMode::MentorMentee, 2),
        (MatchingMode::PeerCircles, 3),
    ] {
        let mut rng = ChaCha8Rng::seed_from_u64(size as u64);
        let mut members: Vec<Candidate> = (0..2600u64)
            .map(|i| {
                let role = if mode == MatchingMode::MentorMentee && i % 4 == 0 {
                    Role::Mentor
                } else {
                    Role::Mentee
                };
                person(3_000_000 + i * 11, role, 3)
            })
            .collect();
        tag(&mut members, &mut rng);
        let mut s = settings(mode, size);
        s.interest_weight = InterestWeight::Off;
        let off = run_round(&members, &History::new(), &AvoidList::new(), &s, 4);
        s.interest_weight = InterestWeight::Light;
        let none = run_round(
            &untagged(&members),
            &History::new(),
            &AvoidList::new(),
            &s,
            4,
        );
        assert_eq!(off, none, "{mode} size {size}");
    }
}

/// A hash of every group, unplaced member and note the engine gives on a fixed set of
/// cases without interest tags: small random communities in every mode (avoid pairs,
/// history, odd counts), then several rounds of bigger pools with preferences, dense
/// and sparse. Built only from fields and settings that existed before interests, so
/// the same function ran against the engine before them.
fn groups_fingerprint_without_tags() -> u64 {
    struct Fnv(u64);
    impl Fnv {
        fn eat(&mut self, x: u64) {
            for b in x.to_le_bytes() {
                self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
        }
        fn outcome(&mut self, out: &MatchOutcome) {
            for g in &out.groups {
                self.eat(g.members.len() as u64);
                for &m in &g.members {
                    self.eat(m);
                }
            }
            for &u in &out.unplaced {
                self.eat(!u);
            }
            for note in &out.compromises {
                self.eat(note.len() as u64);
            }
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for seed in 0..300u64 {
        let (members, avoid, s, history) = random_case(seed);
        h.outcome(&run_round(&members, &history, &avoid, &s, seed));
    }
    let cases = [
        (MatchingMode::Open, 2, 101),
        (MatchingMode::Open, 2, 2601),
        (MatchingMode::Open, 3, 301),
        (MatchingMode::MentorMentee, 2, 200),
        (MatchingMode::MentorMentee, 3, 2600),
        (MatchingMode::PeerCircles, 3, 301),
        (MatchingMode::PeerCircles, 4, 2602),
    ];
    for (k, (mode, size, n)) in cases.into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(k as u64);
        let members: Vec<Candidate> = (0..n as u64)
            .map(|i| Candidate {
                role: match mode {
                    MatchingMode::MentorMentee if i % 4 == 0 => Role::Mentor,
                    MatchingMode::Open => Role::Peer,
                    _ => Role::Mentee,
                },
                capacity: 3,
                institution: Some(format!("inst{}", rng.random_range(0..6))),
                utc_offset_minutes: Some([-300, 0, 60, 330, 600][rng.random_range(0..5)]),
                time_of_day: TimeOfDay::ALL[rng.random_range(0..TimeOfDay::ALL.len())],
                modality: Modality::ALL[rng.random_range(0..Modality::ALL.len())],
                ..Candidate::peer(5_000_000 + i * 13)
            })
            .collect();
        let mut s = settings(mode, size);
        s.cross_institution = k % 2 == 0;
        let mut history = History::new();
        for round in 1..=4 {
            let out = run_round(
                &members,
                &history,
                &AvoidList::new(),
                &s,
                k as u64 * 100 + round,
            );
            h.outcome(&out);
            history.record_round(round as u32, &out.groups);
        }
    }
    h.0
}

#[test]
fn without_tags_the_engine_gives_exactly_the_groups_it_gave_before_interests() {
    // The constant is what `groups_fingerprint_without_tags` returned against the
    // engine at be6ad99, the commit before interests. With the test above (weight off
    // ignores tags), it proves "off" is today's matching, and that a program whose
    // members picked no tag is matched exactly as before at any weight. An intended
    // change to the engine's choices changes it: run this test to see the new value.
    // Changed on purpose by issue 15's speed work (verified against be6ad99 before it):
    // horizon planning's walk now rotates colours, so pools of up to 25 with a regular
    // unmet graph get another factorization, and large circles choose on soft cost
    // first and repair repeats after.
    assert_eq!(groups_fingerprint_without_tags(), 0xed1e_c9b7_cf81_8fe2);
}

/// Share of groups in which two members share a tag, from a `hallway simulate` report.
fn share(v: &serde_json::Value, part: &str, whole: &str) -> f64 {
    v[part].as_u64().unwrap() as f64 / v[whole].as_u64().unwrap() as f64
}

#[test]
fn light_and_strong_raise_the_share_of_groups_with_a_shared_interest_above_off() {
    // 12 tags, each member picking 1-5 (the first tags popular). Open pairs and mentor
    // chats count groups with a shared tag; circles of three nearly always have one,
    // so they count pairs that share one.
    for (mode, size, n, part, whole) in [
        (
            MatchingMode::Open,
            2,
            200,
            "shared_interest_groups",
            "groups_total",
        ),
        (
            MatchingMode::MentorMentee,
            2,
            200,
            "shared_interest_groups",
            "groups_total",
        ),
        (
            MatchingMode::PeerCircles,
            3,
            300,
            "shared_interest_pairs",
            "pairs_total",
        ),
    ] {
        let at = |weight: InterestWeight| {
            let v = simulate(|a| {
                a.members = n;
                a.rounds = 30;
                a.mode = mode;
                a.group_size = Some(size);
                a.interests = 12;
                a.interest_weight = weight;
                a.no_baseline = false;
            });
            no_violations(&v);
            assert_eq!(v["interest_tags"], 12, "{v}");
            if mode != MatchingMode::MentorMentee {
                assert_eq!(v["repeats"], 0, "{weight}: {v}");
            }
            let base = share(
                &v,
                &format!("baseline_{part}"),
                &format!("baseline_{whole}"),
            );
            (share(&v, part, whole), base)
        };
        let (off, shuffle) = at(InterestWeight::Off);
        let (light, _) = at(InterestWeight::Light);
        let (strong, _) = at(InterestWeight::Strong);
        // Off is a random pairing as far as tags go: within a few points of the shuffle.
        assert!(
            (off - shuffle).abs() < 0.04,
            "{mode}: off {off}, shuffle {shuffle}"
        );
        assert!(light > off + 0.05, "{mode}: light {light}, off {off}");
        assert!(strong >= light, "{mode}: strong {strong}, light {light}");
    }
}

#[test]
fn tag_mates_who_met_are_not_paired_again_while_a_new_partner_exists() {
    // 1 and 2 share five tags and nobody else shares any: the strongest pull interests
    // can make. They met last round; so did 3-4 and 5-6.
    let tags = [0b11111, 0b11111, 0, 0, 0, 0];
    let members: Vec<Candidate> = (1..=6u64)
        .map(|id| Candidate {
            interests: tags[id as usize - 1],
            ..Candidate::peer(id)
        })
        .collect();
    let history = History::from_rounds(vec![(1, vec![vec![1, 2], vec![3, 4], vec![5, 6]])]);
    let mut s = settings(MatchingMode::Open, 2);
    s.interest_weight = InterestWeight::Strong;
    for seed in 0..100 {
        let out = run_round(&members, &history, &AvoidList::new(), &s, seed);
        assert_eq!(repeats_in(&out, &history), 0, "seed {seed}: {out:?}");
    }
    // Circles: 1, 2 and 3 share every tag and met as a circle; the others share none.
    let members: Vec<Candidate> = (1..=9u64)
        .map(|id| Candidate {
            interests: if id <= 3 { 0b11111 } else { 0 },
            ..person(id, Role::Mentee, 0)
        })
        .collect();
    let history =
        History::from_rounds(vec![(1, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]])]);
    let mut s = settings(MatchingMode::PeerCircles, 3);
    s.interest_weight = InterestWeight::Strong;
    for seed in 0..100 {
        let out = run_round(&members, &history, &AvoidList::new(), &s, seed);
        assert_eq!(repeats_in(&out, &history), 0, "seed {seed}: {out:?}");
    }
    // Mentor-mentee: mentor 1 and mentee 10 share every tag and met; mentor 2 shares
    // nothing with anyone. Each mentor takes one mentee, so 10 goes to mentor 2.
    let members = vec![
        Candidate {
            interests: 0b11111,
            ..person(1, Role::Mentor, 1)
        },
        person(2, Role::Mentor, 1),
        Candidate {
            interests: 0b11111,
            ..person(10, Role::Mentee, 0)
        },
        person(11, Role::Mentee, 0),
    ];
    let history = History::from_rounds(vec![(1, vec![vec![1, 10], vec![2, 11]])]);
    let mut s = settings(MatchingMode::MentorMentee, 2);
    s.interest_weight = InterestWeight::Strong;
    for seed in 0..100 {
        let out = run_round(&members, &history, &AvoidList::new(), &s, seed);
        assert_eq!(repeats_in(&out, &history), 0, "seed {seed}: {out:?}");
    }
}

#[test]
fn in_a_large_pool_tag_mates_met_before_are_swapped_apart() {
    // 3,000 members (the sparse path, which pairs on soft cost first and checks the
    // history after): member k has tag k mod 25, so 119 tag-mates, and has already
    // met 20 of them, so about one greedy choice in twenty is a repeat the check must
    // undo.
    let n = 3000u64;
    let id = |class: u64, t: u64| 10_000 + t * 25 + class;
    let tag_of = |member: u64| 1u32 << ((member - 10_000) % 25);
    let members: Vec<Candidate> = (0..n)
        .map(|k| Candidate {
            interests: tag_of(10_000 + k),
            ..Candidate::peer(10_000 + k)
        })
        .collect();
    // Round r pairs each class's 120 members by the circle method: all pairs new.
    let rounds: Vec<(u32, Vec<Vec<u64>>)> = (0..20u64)
        .map(|r| {
            let mut groups = Vec::new();
            for class in 0..25 {
                groups.push(vec![id(class, 119), id(class, r)]);
                for i in 1..60 {
                    groups.push(vec![
                        id(class, (r + i) % 119),
                        id(class, (r + 119 - i) % 119),
                    ]);
                }
            }
            (r as u32 + 1, groups)
        })
        .collect();
    let history = History::from_rounds(rounds);
    assert!(history.met(id(3, 119), id(3, 7)) && !history.met(id(3, 119), id(3, 21)));
    let mut s = settings(MatchingMode::Open, 2);
    s.interest_weight = InterestWeight::Strong;
    for seed in 0..3 {
        let out = run_round(&members, &history, &AvoidList::new(), &s, seed);
        hard_rules(&members, &AvoidList::new(), &s, &out).unwrap();
        assert_eq!(repeats_in(&out, &history), 0, "seed {seed}");
        let shared = out
            .groups
            .iter()
            .filter(|g| shared_interests(tag_of(g.members[0]), tag_of(g.members[1])) != 0)
            .count();
        // Tag-mates are 1 pair in 25 of a random pairing. The greedy compares 8
        // unpaired candidates, one of them a tag-mate about 1 - (24/25)^8 = 28% of the
        // time (a little less for those met): at least four times the random share.
        assert!(
            shared * 25 > 4 * out.groups.len(),
            "{shared} of {}",
            out.groups.len()
        );
    }
}

#[test]
fn in_a_large_pool_with_one_big_institution_interests_still_count() {
    // 3,000 members (the sparse path), about half in each of two institutions, with
    // cross-institution on: nearly every pair must cross, which leaves the greedy one
    // candidate at a time. Each member has one tag of four, so a random pairing shares
    // a tag in 1 pair of 4.
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let members: Vec<Candidate> = (0..3000u64)
        .map(|k| Candidate {
            institution: Some(format!("inst{}", rng.random_range(0..2))),
            interests: 1 << rng.random_range(0..4),
            ..Candidate::peer(20_000 + k)
        })
        .collect();
    let big = members
        .iter()
        .filter(|c| c.institution.as_deref() == Some("inst0"))
        .count();
    let fewest_same = big.abs_diff(3000 - big) / 2;
    let by_id = |id: u64| &members[(id - 20_000) as usize];
    let mut s = settings(MatchingMode::Open, 2);
    s.cross_institution = true;
    for weight in [InterestWeight::Light, InterestWeight::Strong] {
        s.interest_weight = weight;
        let out = run_round(&members, &History::new(), &AvoidList::new(), &s, 3);
        hard_rules(&members, &AvoidList::new(), &s, &out).unwrap();
        let (mut shared, mut same) = (0, 0);
        for g in &out.groups {
            let (a, b) = (by_id(g.members[0]), by_id(g.members[1]));
            shared += usize::from(shared_interests(a.interests, b.interests) != 0);
            same += usize::from(a.institution == b.institution);
        }
        // Institution still comes first: within 1% of the pairs of the fewest possible.
        assert!(
            same <= fewest_same + 15,
            "{weight}: {same} same-institution, fewest {fewest_same}"
        );
        // Today 1,011 of 1,500 at either weight; 708 without the swap pass of large pools.
        assert!(
            shared * 2 > out.groups.len(),
            "{weight}: {shared} of {}",
            out.groups.len()
        );
    }
}

// "Not a fit": a soft avoid. The pair is grouped only when no grouping without it exists.

/// Soft pairs among `ids`: each pair with probability `p`.
fn random_soft_pairs(ids: &[u64], p: f64, rng: &mut ChaCha8Rng) -> Vec<(u64, u64)> {
    let mut pairs = Vec::new();
    for (i, &a) in ids.iter().enumerate() {
        for &b in &ids[i + 1..] {
            if rng.random_bool(p) {
                pairs.push((a, b));
            }
        }
    }
    pairs
}

/// The soft-avoided pairs the outcome groups together.
fn soft_pairs_grouped(out: &MatchOutcome, avoid: &AvoidList) -> Vec<(u64, u64)> {
    let mut found = Vec::new();
    for g in &out.groups {
        for (k, a) in g.members.iter().enumerate() {
            for b in &g.members[k + 1..] {
                if avoid.soft_contains(*a, *b) {
                    found.push((*a, *b));
                }
            }
        }
    }
    found
}

/// Is there a grouping of `people` into groups of exactly `sizes` (in any order) that
/// uses only `ok` pairs?
fn grouping_exists(people: &[usize], sizes: &[usize], ok: &dyn Fn(usize, usize) -> bool) -> bool {
    /// Groups the first member left with `size - 1` of the others (from `from` on),
    /// then the rest with the sizes left.
    fn extend(
        left: &[usize],
        group: &mut Vec<usize>,
        size: usize,
        from: usize,
        sizes: &[usize],
        ok: &dyn Fn(usize, usize) -> bool,
    ) -> bool {
        if group.len() == size {
            let rest: Vec<usize> = left
                .iter()
                .copied()
                .filter(|p| !group.contains(p))
                .collect();
            return grouping_exists(&rest, sizes, ok);
        }
        for k in from..left.len() {
            let x = left[k];
            if group.iter().all(|&y| ok(x, y)) {
                group.push(x);
                let done = extend(left, group, size, k + 1, sizes, ok);
                group.pop();
                if done {
                    return true;
                }
            }
        }
        false
    }
    let Some(&first) = people.first() else {
        return sizes.is_empty();
    };
    let mut tried = Vec::new();
    for (k, &size) in sizes.iter().enumerate() {
        if tried.contains(&size) {
            continue;
        }
        tried.push(size);
        let mut others = sizes.to_vec();
        others.remove(k);
        if extend(people, &mut vec![first], size, 1, &others, ok) {
            return true;
        }
    }
    false
}

#[test]
fn the_brute_force_grouping_search_finds_what_exists_and_nothing_else() {
    let all = |_: usize, _: usize| true;
    assert!(grouping_exists(&[0, 1, 2, 3, 4, 5, 6], &[3, 2, 2], &all));
    assert!(
        !grouping_exists(&[0, 1, 2, 3], &[3, 2], &all),
        "sizes must add up"
    );
    // 0 may only be with 3, and 1 only with 2: {0, 3} {1, 2} {4, 5} is the only way.
    let only = |a: usize, b: usize| {
        let (a, b) = (a.min(b), a.max(b));
        match (a, b) {
            (0, 3) | (1, 2) => true,
            (0, _) | (_, 3) | (1, _) | (_, 2) => false,
            _ => true,
        }
    };
    assert!(grouping_exists(&[0, 1, 2, 3, 4, 5], &[2, 2, 2], &only));
    assert!(!grouping_exists(&[0, 1, 2, 3, 4, 5], &[3, 3], &only));
}

/// The group sizes the engine uses for `k` (3 to 9) members in groups of `size` (3 or 4).
fn circle_sizes(k: usize, size: usize) -> Vec<usize> {
    let (q, r) = (k / size, k % size);
    match (size, r) {
        (_, 0) => vec![size; q],
        _ if k < size => vec![k],
        (3, 1) => [vec![3; q - 1], vec![2, 2]].concat(),
        (3, _) => [vec![3; q], vec![2]].concat(),
        (_, 1) if q >= 2 => [vec![4; q - 2], vec![3, 3, 3]].concat(),
        (_, 1) => vec![3, 2],
        (_, 2) => [vec![4; q - 1], vec![3, 3]].concat(),
        _ => [vec![4; q], vec![3]].concat(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_not_a_fit_pair_is_never_paired_while_a_pairing_without_it_exists(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(2..=10usize);
        let members: Vec<Candidate> = (0..n).map(|i| Candidate::peer(70 + i as u64)).collect();
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let history = random_history(&ids, rng.random_range(0..n + 2), &mut rng);
        let hard: AvoidList = if rng.random_bool(0.2) {
            vec![(ids[0], ids[1])].into_iter().collect()
        } else {
            AvoidList::new()
        };
        let p = rng.random_range(0.05..0.5);
        let avoid = hard.with_soft(random_soft_pairs(&ids, p, &mut rng));
        let s = settings(MatchingMode::Open, 2);
        let out = run_round(&members, &history, &avoid, &s, seed);
        prop_assert!(hard_rules(&members, &avoid, &s, &out).is_ok(), "{:?}", out);
        if avoid.is_empty() {
            prop_assert!(out.unplaced.is_empty() || n == 1, "a soft avoid never leaves anyone out: {out:?}");
        }
        let ok = |a: usize, b: usize| !avoid.contains(ids[a], ids[b]) && !avoid.soft_contains(ids[a], ids[b]);
        let people: Vec<usize> = (0..n).collect();
        if repeat_free_exists(&people, &ok) {
            let grouped = soft_pairs_grouped(&out, &avoid);
            prop_assert!(grouped.is_empty(), "a pairing without {grouped:?} exists: {out:?}");
        }
    }

    #[test]
    fn a_not_a_fit_pair_is_never_in_one_circle_while_circles_without_it_exist(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(3..=9usize);
        let members: Vec<Candidate> = (0..n).map(|i| Candidate::peer(90 + i as u64)).collect();
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let history = random_history(&ids, rng.random_range(0..n), &mut rng);
        let p = rng.random_range(0.05..0.4);
        let avoid = AvoidList::new().with_soft(random_soft_pairs(&ids, p, &mut rng));
        let size = rng.random_range(3..=4u8);
        let s = settings(MatchingMode::Open, size);
        let out = run_round(&members, &history, &avoid, &s, seed);
        prop_assert!(hard_rules(&members, &avoid, &s, &out).is_ok(), "{:?}", out);
        prop_assert!(out.unplaced.is_empty(), "a soft avoid never leaves anyone out: {out:?}");
        let ok = |a: usize, b: usize| !avoid.soft_contains(ids[a], ids[b]);
        let people: Vec<usize> = (0..n).collect();
        let mut sizes: Vec<usize> = out.groups.iter().map(|g| g.members.len()).collect();
        sizes.sort();
        let mut expected = circle_sizes(n, size as usize);
        expected.sort();
        prop_assert_eq!(&sizes, &expected, "the shape a soft avoid does not change");
        if grouping_exists(&people, &expected, &ok) {
            let grouped = soft_pairs_grouped(&out, &avoid);
            prop_assert!(
                grouped.is_empty(),
                "circles without {grouped:?} exist: {out:?}\nsoft pairs {:?}",
                avoid.soft_pairs()
            );
        }
    }

    #[test]
    fn a_not_a_fit_mentor_and_mentee_meet_only_when_no_other_assignment_exists(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let k = rng.random_range(1..=5usize);
        let mentors: Vec<Candidate> = (0..k).map(|i| person(300 + i as u64, Role::Mentor, 1)).collect();
        let mentees: Vec<Candidate> = (0..k).map(|i| person(400 + i as u64, Role::Mentee, 1)).collect();
        let members: Vec<Candidate> = mentors.iter().chain(&mentees).cloned().collect();
        let mut history = History::new();
        for round in 1..=rng.random_range(0..=k as u32) {
            let mut order: Vec<usize> = (0..k).collect();
            order.shuffle(&mut rng);
            let groups: Vec<Group> = order
                .iter()
                .enumerate()
                .map(|(r, &e)| Group { members: vec![mentors[r].id, mentees[e].id] })
                .collect();
            history.record_round(round, &groups);
        }
        let mut soft = Vec::new();
        for r in &mentors {
            for e in &mentees {
                if rng.random_bool(0.3) {
                    soft.push((r.id, e.id));
                }
            }
        }
        let avoid = AvoidList::new().with_soft(soft);
        let s = settings(MatchingMode::MentorMentee, 2);
        let out = run_round(&members, &history, &avoid, &s, seed);
        prop_assert!(hard_rules(&members, &avoid, &s, &out).is_ok(), "{:?}", out);
        prop_assert!(out.unplaced.is_empty(), "{out:?}");
        // Is there a perfect mentor-mentee assignment without a soft pair?
        fn assign(r: usize, used: &mut Vec<bool>, ok: &dyn Fn(usize, usize) -> bool) -> bool {
            if r == used.len() {
                return true;
            }
            for e in 0..used.len() {
                if !used[e] && ok(r, e) {
                    used[e] = true;
                    if assign(r + 1, used, ok) {
                        return true;
                    }
                    used[e] = false;
                }
            }
            false
        }
        let ok = |r: usize, e: usize| !avoid.soft_contains(mentors[r].id, mentees[e].id);
        if assign(0, &mut vec![false; k], &ok) {
            let grouped = soft_pairs_grouped(&out, &avoid);
            prop_assert!(grouped.is_empty(), "an assignment without {grouped:?} exists: {out:?}");
        }
    }
}

#[test]
fn a_not_a_fit_pair_meets_again_when_nothing_else_is_possible() {
    let s = settings(MatchingMode::Open, 2);
    let two = [Candidate::peer(1), Candidate::peer(2)];
    let avoid = AvoidList::new().with_soft([(1, 2)]);
    let out = run_round(&two, &History::new(), &avoid, &s, 1);
    assert_eq!(out.groups.len(), 1, "{out:?}");
    assert!(out.unplaced.is_empty());
    // Three who all said "Not a fit" about each other still make the one trio.
    let three = [Candidate::peer(1), Candidate::peer(2), Candidate::peer(3)];
    let avoid = AvoidList::new().with_soft([(1, 2), (1, 3), (2, 3)]);
    for size in [2, 3] {
        let out = run_round(
            &three,
            &History::new(),
            &avoid,
            &settings(MatchingMode::Open, size),
            1,
        );
        assert_eq!(out.groups.len(), 1, "{out:?}");
        assert_eq!(out.groups[0].members.len(), 3);
    }
    // A mentor and the one mentee who said "Not a fit" about them.
    let pair = [person(1, Role::Mentor, 1), person(2, Role::Mentee, 1)];
    let s = settings(MatchingMode::MentorMentee, 2);
    let out = run_round(
        &pair,
        &History::new(),
        &AvoidList::new().with_soft([(1, 2)]),
        &s,
        1,
    );
    assert_eq!(out.groups.len(), 1, "{out:?}");
}

#[test]
fn a_not_a_fit_pair_stays_apart_when_repeating_a_more_recent_pair_is_the_alternative() {
    // Four members who met everyone in three rounds: round 4 must repeat, and without a
    // soft avoid it repeats round 1's pairs, the oldest. With round 1's pair 1-2 soft
    // avoided, it repeats round 2's instead.
    let members: Vec<Candidate> = (1..=4).map(Candidate::peer).collect();
    let g = |a: u64, b: u64| Group {
        members: vec![a, b],
    };
    let mut history = History::new();
    history.record_round(1, &[g(1, 2), g(3, 4)]);
    history.record_round(2, &[g(1, 3), g(2, 4)]);
    history.record_round(3, &[g(1, 4), g(2, 3)]);
    let s = settings(MatchingMode::Open, 2);
    let pairs_of = |out: &MatchOutcome| {
        let mut pairs: Vec<(u64, u64)> = out
            .groups
            .iter()
            .map(|g| {
                (
                    g.members[0].min(g.members[1]),
                    g.members[0].max(g.members[1]),
                )
            })
            .collect();
        pairs.sort();
        pairs
    };
    for seed in 0..20 {
        let plain = run_round(&members, &history, &AvoidList::new(), &s, seed);
        assert_eq!(
            pairs_of(&plain),
            [(1, 2), (3, 4)],
            "the oldest pairs repeat"
        );
        let soft = AvoidList::new().with_soft([(2, 1)]);
        let out = run_round(&members, &history, &soft, &s, seed);
        assert_eq!(pairs_of(&out), [(1, 3), (2, 4)], "round 2's pairs instead");
        // Circles of four: the only group; circles of three: a pair and a ... (4 = 2 + 2).
        let circles = run_round(
            &members,
            &history,
            &soft,
            &settings(MatchingMode::Open, 3),
            seed,
        );
        assert!(
            soft_pairs_grouped(&circles, &soft).is_empty(),
            "{circles:?}"
        );
    }
}

#[test]
fn a_hard_avoid_still_wins_over_a_not_a_fit_and_both_stay_confidential_in_the_notes() {
    let members: Vec<Candidate> = (1..=2).map(Candidate::peer).collect();
    let hard: AvoidList = [(1, 2)].into_iter().collect();
    let out = run_round(
        &members,
        &History::new(),
        &hard.with_soft([(1, 2)]),
        &settings(MatchingMode::Open, 2),
        1,
    );
    assert!(out.groups.is_empty(), "never an avoided pair: {out:?}");
    // A soft avoid met again reads as the repeat it is: the notes never name "not a fit".
    let mut history = History::new();
    history.record_round(
        1,
        &[Group {
            members: vec![1, 2],
        }],
    );
    let out = run_round(
        &members,
        &history,
        &AvoidList::new().with_soft([(1, 2)]),
        &settings(MatchingMode::Open, 2),
        1,
    );
    assert_eq!(out.groups.len(), 1);
    for note in &out.compromises {
        assert!(!note.to_lowercase().contains("fit"), "{note}");
    }
}

#[test]
fn in_pools_small_and_large_a_few_not_a_fit_pairs_are_all_kept_apart() {
    // Each size takes a different path: a dozen (dense, searched outright when stuck),
    // 300 (dense), 3,000 (sparse: history and avoids are asked pair by pair).
    for (n, seed) in [(12u64, 1), (300, 2), (3000, 3)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let members: Vec<Candidate> = (0..n).map(|k| Candidate::peer(50_000 + k)).collect();
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let history = random_history(&ids, 3, &mut rng);
        let soft: Vec<(u64, u64)> = (0..n / 3)
            .map(|_| {
                let a = ids[rng.random_range(0..ids.len())];
                let b = ids[rng.random_range(0..ids.len())];
                (a, b)
            })
            .collect();
        let avoid = AvoidList::new().with_soft(soft);
        for (mode, size) in [
            (MatchingMode::Open, 2),
            (MatchingMode::Open, 3),
            (MatchingMode::Open, 4),
        ] {
            let s = settings(mode, size);
            let out = run_round(&members, &history, &avoid, &s, seed);
            hard_rules(&members, &avoid, &s, &out).unwrap();
            assert!(out.unplaced.is_empty());
            let grouped = soft_pairs_grouped(&out, &avoid);
            assert!(grouped.is_empty(), "{n} in groups of {size}: {grouped:?}");
        }
    }
}

// ---- Planned circles (issue 15): pauses, departures and joins on a small roster ----

/// Runs `rounds` rounds of circles of 3 on `members`, recording each, and returns the
/// history.
fn circle_rounds(members: &[Candidate], rounds: u32, s: &MatchSettings, seed: u64) -> History {
    let mut history = History::new();
    for round in 1..=rounds {
        let out = run_round(members, &history, &AvoidList::new(), s, seed ^ round as u64);
        history.record_round(round, &out.groups);
    }
    history
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn planned_circles_keep_every_hard_rule_as_members_pause_leave_and_join(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = rng.random_range(12..=60usize);
        let mut members: Vec<Candidate> = (0..n as u64).map(|i| Candidate::peer(500 + i * 3)).collect();
        let mut s = settings(MatchingMode::Open, 3);
        s.plan_seed = rng.random();
        let history = circle_rounds(&members, rng.random_range(0..n as u32 / 2), &s, seed);
        // Pauses (unavailable), departures (gone from the list) and joins (new ids).
        for c in members.iter_mut() {
            c.available = rng.random_bool(0.85);
        }
        members.retain(|_| rng.random_bool(0.9));
        let joins = rng.random_range(0..4u64);
        members.extend((0..joins).map(|i| Candidate::peer(9000 + i)));
        let ids: Vec<u64> = members.iter().map(|c| c.id).collect();
        let mut pairs = Vec::new();
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                if rng.random_bool(0.03) {
                    pairs.push((a, b));
                }
            }
        }
        let avoid: AvoidList = pairs.into_iter().collect();
        let out = run_round(&members, &history, &avoid, &s, seed);
        prop_assert!(hard_rules(&members, &avoid, &s, &out).is_ok(), "{:?}", hard_rules(&members, &avoid, &s, &out));
        let again = run_round(&members, &history, &avoid, &s, seed);
        prop_assert_eq!(out, again, "the same input and seed give the same groups");
    }
}

#[test]
fn a_planned_year_differs_by_plan_seed_and_replays_for_the_same_one() {
    let members: Vec<Candidate> = (0..40u64).map(|i| Candidate::peer(700 + i)).collect();
    let mut s = settings(MatchingMode::Open, 3);
    let groups_of = |s: &MatchSettings| {
        let history = circle_rounds(&members, 3, s, 5);
        run_round(&members, &history, &AvoidList::new(), s, 5).groups
    };
    s.plan_seed = 1;
    let first = groups_of(&s);
    assert_eq!(first, groups_of(&s));
    s.plan_seed = 2;
    assert_ne!(
        first,
        groups_of(&s),
        "another seed labels the plan otherwise"
    );
}

#[test]
fn planned_circles_of_three_at_40_meet_only_new_people_for_20_rounds() {
    // 40 members in circles of 3 (12 trios and 2 pairs, 38 pairs a round): the table's
    // starter, on two copies of Z_20, gives 20 rounds without a repeat (760 of the 780
    // pairs). The bound is the plan's cycle.
    for seed in [1, 2, 3] {
        let v = simulate(|a| {
            a.members = 40;
            a.rounds = 20;
            a.mode = MatchingMode::PeerCircles;
            a.group_size = Some(3);
            a.seed = seed;
        });
        no_violations(&v);
        assert_eq!(v["repeats"], 0, "seed {seed}: {v}");
    }
}
