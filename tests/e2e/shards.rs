//! Today's bot, one process without a shard configuration, against a fake Discord that
//! shards: it connects as shard [0, 1], so the fake gives it every server, and it answers
//! in servers that a 4-shard deployment would spread over all four shards.

use crate::helpers::{assert_private, choice, hallway, run};
use crate::support::bot::TestEnv;
use crate::support::config::{ids, FakeConfig};
use crate::support::state::shard_of;

#[tokio::test]
async fn one_process_without_shard_config_identifies_as_shard_0_of_1_and_gets_every_server() {
    let env = TestEnv::start_with(FakeConfig::default().with_generated_guilds(8, 2), |o| o).await;

    let identifies = env.fake.identifies();
    assert_eq!(identifies.len(), 1, "one IDENTIFY: {identifies:?}");
    let first = &identifies[0];
    assert_eq!((first.shard_id, first.num_shards), (0, 1));
    let live = env.fake.live_shards();
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].shard_id, live[0].num_shards), (0, 1));

    let mut expected: Vec<u64> = env.fake.config().guilds.iter().map(|g| g.id).collect();
    expected.sort();
    let mut created = env
        .fake
        .wait_until(crate::helpers::WAIT, "nine GUILD_CREATEs", |f| {
            let got = f.guild_creates_on(first.connection);
            (got.len() >= expected.len()).then_some(got)
        })
        .await;
    created.sort();
    assert_eq!(
        created, expected,
        "the default server and the eight generated"
    );

    // Servers 1 to 4 would be on shards 1, 2, 3 and 0 of 4; one process answers in all.
    for k in 1..=4 {
        assert_eq!(shard_of(ids::generated_guild(k), 4) as usize, k % 4);
        let reply = run(
            &env,
            hallway("join")
                .opt("role", choice::PEER)
                .in_guild(ids::generated_guild(k))
                .in_channel(ids::generated_guild_channel(k))
                .by(ids::generated_guild_member(k, 1)),
        )
        .await;
        assert_private(&reply, &["Welcome to hallway!"]);
    }
    assert!(env.fake.closes().is_empty(), "{:?}", env.fake.closes());
}
