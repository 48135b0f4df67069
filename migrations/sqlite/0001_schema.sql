-- hallway's schema. Every row belongs to one Discord server (guild_id), and every query
-- filters on it, so no data crosses between servers.
-- Discord ids are stored as INTEGER (i64 bit-for-bit); times as RFC 3339 UTC text;
-- dates as YYYY-MM-DD.

-- A community: one Discord server's program settings.
create table community (
    guild_id                integer primary key,
    program_channel_id      integer,
    celebrations_channel_id integer,
    -- Schedule: all four set together by /hallway-admin schedule, or all null.
    cadence                 text check (cadence in ('weekly', 'biweekly', 'every-3-weeks', 'every-4-weeks', 'monthly')),
    weekday                 integer check (weekday between 0 and 6), -- 0 = Monday
    hour                    integer check (hour between 0 and 23),
    time_zone               text,
    -- Rounds are due from this moment on: when the schedule was set or the program resumed.
    schedule_anchor         text,
    matching_mode           text not null default 'open'
                            check (matching_mode in ('open', 'mentor-mentee', 'peer-circles')),
    group_size              integer not null default 2 check (group_size between 2 and 4),
    cross_institution       integer not null default 0 check (cross_institution in (0, 1)),
    program_name            text,
    program_start           text,
    program_end             text,
    welcome_text            text,
    paused                  integer not null default 0 check (paused in (0, 1)),
    -- Watercooler discussion prompts: a channel, how often, and from when.
    watercooler_channel_id  integer,
    watercooler_cadence     text check (watercooler_cadence in ('daily', 'weekly', 'biweekly')),
    watercooler_anchor      text,
    created_at              text not null,
    updated_at              text not null
);

-- A member's profile and standing. Leaving keeps the row (and the history) so they can
-- come back; forget-me deletes it.
create table member (
    guild_id      integer not null references community (guild_id),
    user_id       integer not null,
    display_name  text    not null,
    role          text    not null check (role in ('mentor', 'mentee', 'peer')),
    time_zone     text,
    institution   text,
    time_of_day   text    not null default 'flexible'
                  check (time_of_day in ('morning', 'afternoon', 'evening', 'flexible')),
    modality      text    not null default 'any'
                  check (modality in ('video', 'phone', 'walking', 'text', 'any')),
    capacity      integer not null default 0 check (capacity between 0 and 5),
    shoutouts     integer not null default 1 check (shoutouts in (0, 1)),
    paused_until  text,
    left_at       text,
    joined_at     text    not null,
    updated_at    text    not null,
    primary key (guild_id, user_id)
);

-- The confidential do-not-match list. Only its owner can list it; the matching engine
-- reads it; exports never include it.
create table avoid (
    guild_id         integer not null,
    user_id          integer not null,
    avoided_user_id  integer not null,
    created_at       text    not null,
    primary key (guild_id, user_id, avoided_user_id),
    foreign key (guild_id, user_id) references member (guild_id, user_id) on delete cascade,
    check (user_id <> avoided_user_id)
);

-- A round of matching. The unique keys make the same round impossible to run twice:
-- (guild_id, number) always, and (guild_id, due_at) for scheduled rounds.
create table round (
    round_id      integer primary key,
    guild_id      integer not null references community (guild_id),
    number        integer not null,
    due_at        text    not null,
    trigger       text    not null check (trigger in ('schedule', 'manual')),
    seed          integer not null,
    state         text    not null default 'claimed'
                  check (state in ('claimed', 'matched', 'delivered', 'failed')),
    -- Compromises the matching engine made, one per line, for the coordinators.
    notes         text    not null default '',
    created_at    text    not null,
    delivered_at  text,
    unique (guild_id, number)
);
create unique index round_scheduled_slot on round (guild_id, due_at) where trigger = 'schedule';

-- A proposed round shown by match-now preview, waiting for the coordinator's Confirm.
create table round_preview (
    preview_id    integer primary key,
    guild_id      integer not null references community (guild_id),
    seed          integer not null,
    requested_by  integer not null,
    groups_json   text    not null,
    created_at    text    not null,
    confirmed_round_id integer references round (round_id)
);

-- A group in a round, with its private space.
create table match_group (
    group_id          integer primary key,
    guild_id          integer not null,
    round_id          integer not null references round (round_id),
    position          integer not null,
    -- Kept when a member is forgotten, so the stats still count the chat.
    size              integer not null,
    prompt_key        text,
    thread_id         integer,
    intro_message_id  integer,
    delivered_via     text check (delivered_via in ('thread', 'dm')),
    -- Why delivery fell back to DMs or failed, for the coordinators' summary.
    delivery_note     text,
    unique (round_id, position)
);

create table group_member (
    group_id  integer not null references match_group (group_id) on delete cascade,
    guild_id  integer not null,
    user_id   integer not null,
    role      text    not null check (role in ('mentor', 'mentee', 'peer')),
    primary key (group_id, user_id)
);
create index group_member_by_user on group_member (guild_id, user_id);

-- The delivery outbox: everything the bot must post for a round, written in the same
-- transaction as the groups, marked done only after Discord accepted it.
create table delivery (
    delivery_id  integer primary key,
    guild_id     integer not null,
    round_id     integer not null references round (round_id),
    group_id     integer references match_group (group_id) on delete cascade,
    -- Set for a message to one member: an intro by DM when the group's thread failed.
    user_id      integer,
    kind         text    not null
                 check (kind in ('intro', 'dm-intro', 'summary', 'nudge', 'feedback')),
    state        text    not null default 'pending' check (state in ('pending', 'done', 'failed')),
    due_at       text    not null,
    attempts     integer not null default 0,
    last_error   text,
    done_at      text
);
create unique index delivery_once on delivery (round_id, kind, ifnull(group_id, 0), ifnull(user_id, 0));
create index delivery_pending on delivery (state, due_at);

-- Custom icebreaker prompts a community added (the built-in library lives in the code).
create table prompt (
    prompt_id   integer primary key,
    guild_id    integer not null references community (guild_id),
    category    text    not null,
    text        text    not null,
    created_by  integer not null,
    created_at  text    not null,
    -- Removed prompts stay, so past rounds can still name theirs; none is chosen again.
    removed_at  text,
    unique (guild_id, text)
);

-- What each member said happened in their group.
create table outcome (
    group_id     integer not null references match_group (group_id) on delete cascade,
    guild_id     integer not null,
    user_id      integer not null,
    status       text    not null check (status in ('met', 'not-yet', 'skipped')),
    recorded_at  text    not null,
    primary key (group_id, user_id)
);

-- "How was it?" answers. Coordinators only ever see aggregates.
create table feedback (
    group_id     integer not null references match_group (group_id) on delete cascade,
    guild_id     integer not null,
    user_id      integer not null,
    rating       text    not null check (rating in ('great', 'good', 'meh')),
    recorded_at  text    not null,
    primary key (group_id, user_id)
);

-- Members' wins, celebrated in the celebrations channel.
create table win (
    win_id       integer primary key,
    guild_id     integer not null references community (guild_id),
    user_id      integer not null,
    kind         text    not null check (kind in ('publication', 'grant', 'award', 'talk', 'milestone', 'other')),
    description  text    not null,
    link         text,
    channel_id   integer,
    message_id   integer,
    created_at   text    not null
);

-- Posts that are not part of a round: wins, program and member milestones, watercooler
-- prompts. Each is claimed once under a key that names the occasion (e.g. `win:12`,
-- `chats:<user>:5`, `watercooler:40`), then delivered like the round outbox.
create table announcement (
    guild_id    integer not null references community (guild_id),
    key         text    not null,
    -- What to post, as JSON the bot renders at delivery time.
    detail      text    not null,
    state       text    not null default 'pending' check (state in ('pending', 'done', 'failed')),
    attempts    integer not null default 0,
    last_error  text,
    channel_id  integer,
    message_id  integer,
    created_at  text    not null,
    done_at     text,
    primary key (guild_id, key)
);
create index announcement_pending on announcement (state);
