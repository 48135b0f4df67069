//! A server's programs: names unique in the server whatever the case, settings that
//! belong to one program only, the first program made once, and archiving.

use chrono::{NaiveDate, Weekday};
use hallway::domain::ids::{ChannelId, GuildId, ProgramId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::profile::Role;
use hallway::domain::program::{
    Cadence, MatchingMode, MatchingRules, NameTaken, Program, ProgramInfo, Schedule, Watercooler,
    WatercoolerCadence, DEFAULT_PROGRAM_NAME,
};

use crate::{another_program, at, first_program, fresh_store, peer_round};

const GUILD: GuildId = GuildId(1);
const OTHER: GuildId = GuildId(2);

fn schedule() -> Schedule {
    Schedule {
        cadence: Cadence::Biweekly,
        weekday: Weekday::Wed,
        hour: 17,
        time_zone: chrono_tz::Europe::Berlin,
    }
}

fn circles() -> MatchingRules {
    MatchingRules {
        mode: MatchingMode::PeerCircles,
        group_size: 3,
        cross_institution: true,
        interest_weight: hallway::domain::program::InterestWeight::Strong,
    }
}

#[tokio::test]
async fn a_server_without_programs_gets_one_named_hallway_with_the_defaults() {
    let (store, _dir) = fresh_store().await;
    assert!(store.programs(GuildId(7)).await.unwrap().is_empty());
    let program = first_program(&store, GuildId(7)).await;
    assert_eq!(
        program,
        Program::new(program.program_id, GuildId(7), DEFAULT_PROGRAM_NAME)
    );
    assert_eq!(program.name, "hallway");
    assert!(program.schedule.is_none());
    assert_eq!(program.matching.group_size, 2);
    assert_eq!(
        store.program(GuildId(7), program.program_id).await.unwrap(),
        Some(program)
    );
}

#[tokio::test]
async fn programs_or_first_makes_exactly_one_hallway_program_even_when_called_twice() {
    let (store, _dir) = fresh_store().await;
    let first = store.programs_or_first(GUILD, at(1, 9)).await.unwrap();
    let again = store.programs_or_first(GUILD, at(2, 9)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first, again, "the second call finds the first's program");
    // Two first commands at the same moment in another server.
    let (a, b) = tokio::join!(
        store.programs_or_first(OTHER, at(1, 9)),
        store.programs_or_first(OTHER, at(1, 9))
    );
    assert_eq!(a.unwrap(), b.unwrap());
    let count: i64 = hallway::on_backend!(store.pool(), pool => sqlx::query_scalar("select count(*) from program where name = 'hallway'")
        .fetch_one(pool)
        .await)
        .unwrap();
    assert_eq!(count, 2, "one per server");
    assert_eq!(store.programs(OTHER).await.unwrap().len(), 1);
}

#[tokio::test]
async fn programs_or_first_makes_nothing_in_a_server_that_has_a_program() {
    let (store, _dir) = fresh_store().await;
    let named = another_program(&store, GUILD, "Faculty mentoring").await;
    let programs = store.programs_or_first(GUILD, at(2, 9)).await.unwrap();
    assert_eq!(programs, [named]);
}

#[tokio::test]
async fn program_names_are_unique_in_a_server_whatever_the_case_and_free_in_another() {
    let (store, _dir) = fresh_store().await;
    let faculty = another_program(&store, GUILD, "Faculty mentoring").await;
    for taken in [
        "Faculty mentoring",
        "FACULTY MENTORING",
        "faculty Mentoring",
    ] {
        assert_eq!(
            store
                .create_program(GUILD, taken, None, &circles(), at(2, 9))
                .await
                .unwrap(),
            Err(NameTaken),
            "{taken}"
        );
    }
    let circles_program = store
        .create_program(
            GUILD,
            "Postdoc circles",
            Some(ChannelId(200)),
            &circles(),
            at(2, 9),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(circles_program.matching, circles());
    assert_eq!(circles_program.program_channel_id, Some(ChannelId(200)));
    let elsewhere = another_program(&store, OTHER, "faculty mentoring").await;
    assert_ne!(elsewhere.program_id, faculty.program_id);

    let names: Vec<String> = store
        .programs(GUILD)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Faculty mentoring", "Postdoc circles"]);
    assert_eq!(store.programs(OTHER).await.unwrap(), [elsewhere]);
}

#[tokio::test]
async fn renaming_to_a_name_the_server_uses_is_refused_and_changes_nothing() {
    let (store, _dir) = fresh_store().await;
    let faculty = another_program(&store, GUILD, "Faculty mentoring").await;
    let postdocs = another_program(&store, GUILD, "Postdoc circles").await;
    another_program(&store, OTHER, "Writing group").await;
    assert_eq!(
        store
            .rename_program(postdocs.program_id, "faculty MENTORING", at(2, 9))
            .await
            .unwrap(),
        Err(NameTaken)
    );
    assert_eq!(
        store
            .program(GUILD, postdocs.program_id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Postdoc circles"
    );
    // Another server's name is free, and so is a program's own name in another case.
    assert_eq!(
        store
            .rename_program(postdocs.program_id, "Writing group", at(2, 9))
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        store
            .rename_program(faculty.program_id, "FACULTY MENTORING", at(2, 9))
            .await
            .unwrap(),
        Ok(())
    );
    let names: Vec<String> = store
        .programs(GUILD)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["FACULTY MENTORING", "Writing group"]);
}

#[tokio::test]
async fn a_program_of_another_server_is_not_found_by_its_id() {
    let (store, _dir) = fresh_store().await;
    let theirs = first_program(&store, OTHER).await;
    assert_eq!(store.program(GUILD, theirs.program_id).await.unwrap(), None);
    assert_eq!(store.program(GUILD, ProgramId(999)).await.unwrap(), None);
}

#[tokio::test]
async fn settings_are_saved_per_program_and_another_server_sees_none() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    let id = program.program_id;
    store
        .set_channels(id, ChannelId(100), Some(ChannelId(101)), at(1, 9))
        .await
        .unwrap();
    store.set_schedule(id, &schedule(), at(1, 9)).await.unwrap();
    store.set_matching(id, &circles(), at(1, 9)).await.unwrap();

    let saved = store.program(GUILD, id).await.unwrap().unwrap();
    assert_eq!(saved.program_channel_id, Some(ChannelId(100)));
    assert_eq!(saved.celebrations_channel_id, Some(ChannelId(101)));
    assert_eq!(saved.schedule, Some(schedule()));
    assert_eq!(saved.schedule_anchor, Some(at(1, 9)));
    assert_eq!(saved.matching, circles());

    let other = first_program(&store, OTHER).await;
    assert_eq!(
        other.program_channel_id, None,
        "another server sees nothing"
    );
    assert_eq!(other.schedule, None);
}

#[tokio::test]
async fn settings_of_one_program_never_change_another_of_the_same_server() {
    let (store, _dir) = fresh_store().await;
    let untouched = first_program(&store, GUILD).await;
    let busy = another_program(&store, GUILD, "Postdoc circles").await;
    let id = busy.program_id;
    store
        .set_channels(id, ChannelId(100), Some(ChannelId(101)), at(1, 9))
        .await
        .unwrap();
    store.set_schedule(id, &schedule(), at(1, 9)).await.unwrap();
    store.set_matching(id, &circles(), at(1, 9)).await.unwrap();
    let info = ProgramInfo {
        start: NaiveDate::from_ymd_opt(2026, 9, 1),
        end: NaiveDate::from_ymd_opt(2027, 6, 30),
        welcome: Some("Welcome to the circles".into()),
    };
    store.set_program_info(id, &info, at(1, 9)).await.unwrap();
    let watercooler = Watercooler {
        channel_id: ChannelId(102),
        cadence: WatercoolerCadence::Weekly,
        anchor: at(1, 9),
    };
    store
        .set_watercooler(id, Some(&watercooler), at(1, 9))
        .await
        .unwrap();
    store.set_program_paused(id, true, at(1, 9)).await.unwrap();
    store
        .rename_program(id, "Postdoc circles 2026", at(1, 9))
        .await
        .unwrap()
        .unwrap();

    let busy = store.program(GUILD, id).await.unwrap().unwrap();
    assert_eq!(busy.name, "Postdoc circles 2026");
    assert_eq!(busy.program_channel_id, Some(ChannelId(100)));
    assert_eq!(busy.celebrations_channel_id, Some(ChannelId(101)));
    assert_eq!(busy.schedule, Some(schedule()));
    assert_eq!(busy.matching, circles());
    assert_eq!(busy.info, info);
    assert_eq!(busy.watercooler, Some(watercooler));
    assert!(busy.paused);
    assert_eq!(
        store
            .program(GUILD, untouched.program_id)
            .await
            .unwrap()
            .unwrap(),
        untouched,
        "the server's other program is as it was made"
    );
}

#[tokio::test]
async fn the_database_refuses_out_of_range_settings_even_if_code_let_them_through() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GUILD).await;
    store
        .set_channels(program.program_id, ChannelId(100), None, at(1, 9))
        .await
        .unwrap();
    for bad in [
        "update program set group_size = 9",
        "update program set interest_weight = 'heavy'",
        "update program set matching_mode = 'random'",
    ] {
        let refused = hallway::on_backend!(store.pool(), pool => sqlx::query(&format!("{bad} where program_id = $1"))
            .bind(program.program_id.0)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()));
        assert!(refused.is_err(), "{bad}");
    }
}

#[tokio::test]
async fn an_archived_program_runs_nothing_but_keeps_its_rounds_and_stats() {
    let (store, _dir) = fresh_store().await;
    let spring = first_program(&store, GUILD).await;
    let autumn = another_program(&store, GUILD, "Autumn").await;
    for program in [&spring, &autumn] {
        let id = program.program_id;
        store
            .set_channels(id, ChannelId(100), None, at(1, 9))
            .await
            .unwrap();
        store.set_schedule(id, &schedule(), at(1, 9)).await.unwrap();
        for user in 1..=2 {
            store
                .join(
                    program,
                    UserId(user),
                    "someone",
                    &ProfileChange::role(Role::Peer),
                    at(1, 9),
                )
                .await
                .unwrap();
        }
    }
    let round = store
        .create_round(&peer_round(&autumn, at(2, 9), &[&[1, 2]]))
        .await
        .unwrap()
        .unwrap();
    let ids = |programs: Vec<Program>| -> Vec<ProgramId> {
        programs.into_iter().map(|p| p.program_id).collect()
    };
    assert_eq!(
        ids(store.scheduled_programs().await.unwrap()),
        [spring.program_id, autumn.program_id]
    );

    assert!(store
        .archive_program(autumn.program_id, at(3, 9))
        .await
        .unwrap());
    assert!(
        !store
            .archive_program(autumn.program_id, at(4, 9))
            .await
            .unwrap(),
        "archiving twice changes nothing"
    );
    let archived = store
        .program(GUILD, autumn.program_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(archived.archived_at, Some(at(3, 9)), "the first archiving");
    assert_eq!(
        ids(store.scheduled_programs().await.unwrap()),
        [spring.program_id]
    );
    assert_eq!(
        ids(store.programs_with_channels().await.unwrap()),
        [spring.program_id]
    );
    assert_eq!(
        store.programs(GUILD).await.unwrap().len(),
        2,
        "the server still lists it"
    );

    // Its history is all still there.
    assert_eq!(
        store.last_round(autumn.program_id).await.unwrap(),
        Some(round.clone())
    );
    assert_eq!(
        store.round(GUILD, round.round_id).await.unwrap(),
        Some(round)
    );
    let stats = store
        .stats(GUILD, autumn.program_id, None, at(5, 9))
        .await
        .unwrap();
    assert_eq!(stats.rounds.len(), 1);
    assert_eq!(stats.rounds[0].tally.people, 2);
    let export = store.export_rows(GUILD, autumn.program_id).await.unwrap();
    assert_eq!(export.rounds.len(), 1);
    assert_eq!(export.groups.len(), 2);
}
