//! Members: one profile per server, a role, capacity, pause and departure per program.

use hallway::domain::ids::{GuildId, UserId};
use hallway::domain::member::ProfileChange;
use hallway::domain::member::Standing;
use hallway::domain::profile::{Modality, Role, TimeOfDay};

use crate::{another_program, at, first_program, fresh_store};

fn mentor_change() -> ProfileChange {
    ProfileChange {
        role: Role::Mentor,
        time_zone: Some(chrono_tz::Asia::Tokyo),
        institution: Some("Kyoto University".into()),
        time_of_day: Some(TimeOfDay::Evening),
        modality: Some(Modality::Walking),
        capacity: Some(3),
        shoutouts: None,
        about: None,
    }
}

#[tokio::test]
async fn join_stores_the_profile_and_rejoin_updates_it() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(1)).await;
    let joined = store
        .join(&program, UserId(42), "Ada", &mentor_change(), at(2, 9))
        .await
        .unwrap();
    assert!(joined.first_time);
    let member = store
        .member(program.program_id, UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.display_name, "Ada");
    assert_eq!(member.program_id, program.program_id);
    assert_eq!(member.profile.role, Role::Mentor);
    assert_eq!(member.profile.time_zone, Some(chrono_tz::Asia::Tokyo));
    assert_eq!(
        member.profile.institution.as_deref(),
        Some("Kyoto University")
    );
    assert_eq!(member.profile.time_of_day, TimeOfDay::Evening);
    assert_eq!(member.profile.modality, Modality::Walking);
    assert_eq!(member.profile.capacity, 3);
    assert_eq!(member.joined_at, at(2, 9));
    assert_eq!(member.about, None);

    let update = ProfileChange {
        role: Role::Mentor,
        time_zone: None,
        institution: None,
        time_of_day: None,
        modality: Some(Modality::Video),
        capacity: None,
        shoutouts: None,
        about: Some(Some("grant writing".into())),
    };
    let again = store
        .join(&program, UserId(42), "Ada L.", &update, at(3, 9))
        .await
        .unwrap();
    assert!(!again.first_time);
    assert_eq!(again.member.profile.modality, Modality::Video);
    assert_eq!(again.member.profile.capacity, 3, "kept");
    assert_eq!(again.member.display_name, "Ada L.");
    assert_eq!(again.member.about.as_deref(), Some("grant writing"));
    assert_eq!(
        again.member.joined_at,
        at(2, 9),
        "joining date survives updates"
    );
    let kept = store
        .join(&program, UserId(42), "Ada L.", &mentor_change(), at(4, 9))
        .await
        .unwrap();
    assert_eq!(
        kept.member.about.as_deref(),
        Some("grant writing"),
        "a join that does not mention the line keeps it"
    );
    let removed = ProfileChange {
        about: Some(None),
        ..mentor_change()
    };
    let removed = store
        .join(&program, UserId(42), "Ada L.", &removed, at(5, 9))
        .await
        .unwrap();
    assert_eq!(removed.member.about, None);
}

#[tokio::test]
async fn pause_resume_and_leave_change_the_standing() {
    let (store, _dir) = fresh_store().await;
    let program = first_program(&store, GuildId(1)).await;
    let id = program.program_id;
    store
        .join(&program, UserId(42), "Ada", &mentor_change(), at(2, 9))
        .await
        .unwrap();
    assert!(store
        .pause(id, UserId(42), at(16, 9), at(2, 9))
        .await
        .unwrap());
    let paused = store.member(id, UserId(42)).await.unwrap().unwrap();
    assert_eq!(paused.standing(at(3, 9)), Standing::PausedUntil(at(16, 9)));
    assert!(
        paused.is_matchable(at(16, 9)),
        "back on the day the pause ends"
    );

    assert!(store.resume(id, UserId(42), at(4, 9)).await.unwrap());
    assert!(store
        .member(id, UserId(42))
        .await
        .unwrap()
        .unwrap()
        .is_matchable(at(4, 9)));

    assert!(store.leave(id, UserId(42), at(5, 9)).await.unwrap());
    let left = store.member(id, UserId(42)).await.unwrap().unwrap();
    assert_eq!(left.standing(at(6, 9)), Standing::Left(at(5, 9)));
    assert!(store.current_members(id).await.unwrap().is_empty());
    assert!(
        !store
            .pause(id, UserId(42), at(20, 9), at(6, 9))
            .await
            .unwrap(),
        "a departed member cannot pause"
    );
    assert!(
        !store.leave(id, UserId(42), at(6, 9)).await.unwrap(),
        "leaving twice changes nothing"
    );

    let back = store
        .join(&program, UserId(42), "Ada", &mentor_change(), at(7, 9))
        .await
        .unwrap();
    assert!(back.was_away);
    assert!(back.member.is_matchable(at(7, 9)));
}

#[tokio::test]
async fn members_of_one_server_are_invisible_to_another() {
    let (store, _dir) = fresh_store().await;
    let first = first_program(&store, GuildId(1)).await;
    let second = first_program(&store, GuildId(2)).await;
    store
        .join(&first, UserId(42), "Ada", &mentor_change(), at(2, 9))
        .await
        .unwrap();
    assert!(store
        .member(second.program_id, UserId(42))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .memberships(GuildId(2), UserId(42))
        .await
        .unwrap()
        .is_empty());
    assert!(!store
        .pause(second.program_id, UserId(42), at(9, 9), at(2, 9))
        .await
        .unwrap());
    assert!(!store
        .leave(second.program_id, UserId(42), at(2, 9))
        .await
        .unwrap());
    assert!(!store
        .leave_server(GuildId(2), UserId(42), at(2, 9))
        .await
        .unwrap());
    // The same person can be in both servers with different profiles.
    let mut peer = mentor_change();
    peer.role = Role::Peer;
    peer.capacity = None;
    peer.institution = Some("Osaka University".into());
    store
        .join(&second, UserId(42), "Ada", &peer, at(2, 9))
        .await
        .unwrap();
    let in_first = store
        .member(first.program_id, UserId(42))
        .await
        .unwrap()
        .unwrap();
    let in_second = store
        .member(second.program_id, UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_first.profile.role, Role::Mentor);
    assert_eq!(
        in_first.profile.institution.as_deref(),
        Some("Kyoto University")
    );
    assert_eq!(in_second.profile.role, Role::Peer);
    assert_eq!(
        in_second.profile.institution.as_deref(),
        Some("Osaka University")
    );
}

#[tokio::test]
async fn large_discord_ids_survive_the_round_trip() {
    let (store, _dir) = fresh_store().await;
    let guild = 1_234_567_890_123_456_789;
    let user = u64::MAX >> 1;
    let program = first_program(&store, GuildId(guild)).await;
    store
        .join(&program, UserId(user), "Big", &mentor_change(), at(2, 9))
        .await
        .unwrap();
    let member = store
        .member(program.program_id, UserId(user))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (member.guild_id, member.user_id),
        (GuildId(guild), UserId(user))
    );
}

#[tokio::test]
async fn a_member_of_two_programs_shares_the_server_profile_and_keeps_role_and_capacity_per_program(
) {
    let (store, _dir) = fresh_store().await;
    let faculty = first_program(&store, GuildId(1)).await;
    let circles = another_program(&store, GuildId(1), "Postdoc circles").await;
    let as_mentor = ProfileChange {
        capacity: Some(2),
        about: Some(Some("grant writing".into())),
        ..mentor_change()
    };
    store
        .join(&faculty, UserId(42), "Ada", &as_mentor, at(2, 9))
        .await
        .unwrap();
    // Joining the second program carries the server-wide settings over.
    let joined = store
        .join(
            &circles,
            UserId(42),
            "Ada",
            &ProfileChange::role(Role::Peer),
            at(3, 9),
        )
        .await
        .unwrap();
    assert!(joined.first_time, "new to this program");
    let peer = joined.member;
    assert_eq!(peer.program_id, circles.program_id);
    assert_eq!((peer.profile.role, peer.profile.capacity), (Role::Peer, 0));
    assert_eq!(peer.profile.time_zone, Some(chrono_tz::Asia::Tokyo));
    assert_eq!(
        peer.profile.institution.as_deref(),
        Some("Kyoto University")
    );
    assert_eq!(peer.profile.time_of_day, TimeOfDay::Evening);
    assert_eq!(peer.profile.modality, Modality::Walking);
    assert_eq!(peer.about.as_deref(), Some("grant writing"));
    assert_eq!(peer.joined_at, at(3, 9));

    // A change made through a join in one program shows in the other.
    let moved = ProfileChange {
        role: Role::Peer,
        time_zone: Some(chrono_tz::Europe::Lisbon),
        institution: Some("University of Porto".into()),
        time_of_day: Some(TimeOfDay::Morning),
        modality: Some(Modality::Video),
        capacity: None,
        shoutouts: Some(false),
        about: Some(Some("moving labs".into())),
    };
    store
        .join(&circles, UserId(42), "Ada L.", &moved, at(4, 9))
        .await
        .unwrap();
    let mentor = store
        .member(faculty.program_id, UserId(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mentor.display_name, "Ada L.");
    assert_eq!(mentor.profile.time_zone, Some(chrono_tz::Europe::Lisbon));
    assert_eq!(
        mentor.profile.institution.as_deref(),
        Some("University of Porto")
    );
    assert_eq!(mentor.profile.time_of_day, TimeOfDay::Morning);
    assert_eq!(mentor.profile.modality, Modality::Video);
    assert!(!mentor.shoutouts);
    assert_eq!(mentor.about.as_deref(), Some("moving labs"));
    // Role and capacity are the program's own.
    assert_eq!(
        (mentor.profile.role, mentor.profile.capacity),
        (Role::Mentor, 2)
    );
    assert_eq!(mentor.joined_at, at(2, 9));

    let memberships = store.memberships(GuildId(1), UserId(42)).await.unwrap();
    let places: Vec<_> = memberships
        .iter()
        .map(|m| (m.program_id, m.profile.role, m.profile.capacity))
        .collect();
    assert_eq!(
        places,
        [
            (faculty.program_id, Role::Mentor, 2),
            (circles.program_id, Role::Peer, 0)
        ]
    );
}

#[tokio::test]
async fn pausing_or_leaving_one_program_leaves_the_other_untouched_and_leaving_the_server_leaves_both(
) {
    let (store, _dir) = fresh_store().await;
    let faculty = first_program(&store, GuildId(1)).await;
    let circles = another_program(&store, GuildId(1), "Postdoc circles").await;
    let elsewhere = first_program(&store, GuildId(2)).await;
    for program in [&faculty, &circles, &elsewhere] {
        store
            .join(
                program,
                UserId(42),
                "Ada",
                &ProfileChange::role(Role::Peer),
                at(2, 9),
            )
            .await
            .unwrap();
    }
    let standing = |program: hallway::domain::ids::ProgramId| {
        let store = &store;
        async move {
            store
                .member(program, UserId(42))
                .await
                .unwrap()
                .unwrap()
                .standing(at(5, 9))
        }
    };

    assert!(store
        .pause(faculty.program_id, UserId(42), at(20, 9), at(3, 9))
        .await
        .unwrap());
    assert_eq!(
        standing(faculty.program_id).await,
        Standing::PausedUntil(at(20, 9))
    );
    assert_eq!(standing(circles.program_id).await, Standing::Active);

    assert!(store
        .leave(circles.program_id, UserId(42), at(4, 9))
        .await
        .unwrap());
    assert_eq!(standing(circles.program_id).await, Standing::Left(at(4, 9)));
    assert_eq!(
        standing(faculty.program_id).await,
        Standing::PausedUntil(at(20, 9)),
        "still paused, not gone"
    );
    assert_eq!(
        store
            .current_members(faculty.program_id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .current_members(circles.program_id)
        .await
        .unwrap()
        .is_empty());

    // Back in circles, then gone from the server: both programs, not the other server's.
    store
        .join(
            &circles,
            UserId(42),
            "Ada",
            &ProfileChange::role(Role::Peer),
            at(5, 9),
        )
        .await
        .unwrap();
    assert!(store
        .leave_server(GuildId(1), UserId(42), at(6, 9))
        .await
        .unwrap());
    assert_eq!(standing(faculty.program_id).await, Standing::Left(at(6, 9)));
    assert_eq!(standing(circles.program_id).await, Standing::Left(at(6, 9)));
    assert_eq!(standing(elsewhere.program_id).await, Standing::Active);
    assert!(
        !store
            .leave_server(GuildId(1), UserId(42), at(7, 9))
            .await
            .unwrap(),
        "in none of the server's programs any more"
    );
    let memberships = store.memberships(GuildId(1), UserId(42)).await.unwrap();
    assert_eq!(
        memberships
            .iter()
            .map(|m| (m.program_id, m.left_at))
            .collect::<Vec<_>>(),
        [
            (faculty.program_id, Some(at(6, 9))),
            (circles.program_id, Some(at(6, 9)))
        ],
        "left programs are still listed"
    );
}
