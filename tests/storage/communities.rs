use chrono::Weekday;
use hallway::domain::ids::{ChannelId, GuildId};
use hallway::domain::program::{Cadence, MatchingMode, MatchingRules, Schedule};

use crate::{at, fresh_store};

#[tokio::test]
async fn an_unknown_server_has_the_defaults() {
    let (store, _dir) = fresh_store().await;
    let community = store.community(GuildId(7)).await.unwrap();
    assert_eq!(
        community,
        hallway::domain::program::Community::new(GuildId(7))
    );
    assert!(community.schedule.is_none());
    assert_eq!(community.matching.group_size, 2);
}

#[tokio::test]
async fn settings_are_saved_per_server() {
    let (store, _dir) = fresh_store().await;
    store
        .set_channels(GuildId(1), ChannelId(100), Some(ChannelId(101)), at(1, 9))
        .await
        .unwrap();
    let schedule = Schedule {
        cadence: Cadence::Biweekly,
        weekday: Weekday::Wed,
        hour: 17,
        time_zone: chrono_tz::Europe::Berlin,
    };
    store
        .set_schedule(GuildId(1), &schedule, at(1, 9))
        .await
        .unwrap();
    let rules = MatchingRules {
        mode: MatchingMode::PeerCircles,
        group_size: 3,
        cross_institution: true,
    };
    store
        .set_matching(GuildId(1), &rules, at(1, 9))
        .await
        .unwrap();

    let saved = store.community(GuildId(1)).await.unwrap();
    assert_eq!(saved.program_channel_id, Some(ChannelId(100)));
    assert_eq!(saved.celebrations_channel_id, Some(ChannelId(101)));
    assert_eq!(saved.schedule, Some(schedule));
    assert_eq!(saved.matching, rules);

    let other = store.community(GuildId(2)).await.unwrap();
    assert_eq!(
        other.program_channel_id, None,
        "another server sees nothing"
    );
    assert_eq!(other.schedule, None);
}

#[tokio::test]
async fn the_database_refuses_out_of_range_settings_even_if_code_let_them_through() {
    let (store, _dir) = fresh_store().await;
    store
        .set_channels(GuildId(1), ChannelId(100), None, at(1, 9))
        .await
        .unwrap();
    let bad = sqlx::query("update community set group_size = 9 where guild_id = 1")
        .execute(store.pool())
        .await;
    assert!(bad.is_err());
}
