//! A server's programs: names unique in the server whatever the case, settings that
//! belong to one program only, the first program made once, and archiving.

use chrono::Weekday;
use hallway::domain::ids::{ChannelId, GuildId};
use hallway::domain::program::{
    Cadence, MatchingMode, MatchingRules, Program, Schedule, DEFAULT_PROGRAM_NAME,
};

use crate::{at, first_program, fresh_store};

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
        let refused = sqlx::query(&format!("{bad} where program_id = ?"))
            .bind(program.program_id.0)
            .execute(store.pool())
            .await;
        assert!(refused.is_err(), "{bad}");
    }
}
