-- Booking chats: each group is offered concrete slots, its members pick the ones that
-- work, and the first slot everyone picked is booked, with a calendar file and a
-- reminder. Nothing existing changes meaning: groups from before have no slots and no
-- booking, and every outbox row is copied as it is.

-- How long booked chats are (the study's 50 minutes by default), and how long before
-- one its reminder goes out (0: no reminder).
alter table program add column meeting_minutes integer not null default 50
    check (meeting_minutes between 15 and 60);
alter table program add column reminder_minutes integer not null default 15
    check (reminder_minutes between 0 and 1440);

-- A batch of slots offered to a group: 0 in the intro, one more for each "None of
-- these work" or Reschedule. Only the latest batch can be picked from.
create table slot_batch (
    group_id    integer not null references match_group (group_id) on delete cascade,
    guild_id    integer not null,
    batch       integer not null check (batch >= 0),
    fit         text    not null check (fit in ('preferred', 'working-day', 'no-common-window')),
    offered_at  text    not null,
    primary key (group_id, batch)
);

create table slot_offer (
    group_id    integer not null,
    batch       integer not null,
    starts_at   text    not null,
    primary key (group_id, batch, starts_at),
    foreign key (group_id, batch) references slot_batch (group_id, batch) on delete cascade
);

-- Which offered slots a member said work for them.
create table slot_pick (
    group_id    integer not null,
    batch       integer not null,
    starts_at   text    not null,
    guild_id    integer not null,
    user_id     integer not null,
    picked_at   text    not null,
    primary key (group_id, batch, user_id, starts_at),
    foreign key (group_id, batch, starts_at) references slot_offer (group_id, batch, starts_at)
        on delete cascade
);
create index slot_pick_member on slot_pick (guild_id, user_id);

-- A group's booked chat. `starts_at` is null after a Reschedule until the group books
-- again; `sequence` only grows, so each booking's calendar file replaces the last.
create table booking (
    group_id    integer primary key references match_group (group_id) on delete cascade,
    guild_id    integer not null,
    starts_at   text,
    minutes     integer not null check (minutes between 15 and 60),
    sequence    integer not null check (sequence >= 1),
    booked_at   text    not null
);

-- New kinds of post: "Booked", the reminder, the check-in after a booked chat, and the
-- new slots after a Reschedule. SQLite cannot change a check constraint in place, so
-- the outbox is rebuilt with every row and id kept.
create table outbox_new (
    outbox_id    integer primary key,
    guild_id     integer not null,
    kind         text    not null
                 check (kind in ('intro', 'dm-intro', 'summary', 'nudge', 'feedback',
                                 'celebration', 'archive-thread', 'rename-thread',
                                 'redact-message', 'delete-message', 'booked', 'reminder',
                                 'check-in', 'rescheduled')),
    -- Names the occasion, unique per server, so the same thing is never queued twice:
    -- `intro:<round>:<group>:0`, `win:12`, `chats:<user>:5`, `watercooler:<p>:40`,
    -- `rename-thread:<group>:<members left>`, `reminder:<group>:<sequence>:<user or 0>`, ...
    key          text    not null,
    round_id     integer references round (round_id),
    group_id     integer references match_group (group_id) on delete cascade,
    -- Set for a message to one member: an intro by DM when the group's thread failed.
    user_id      integer,
    -- What a celebration posts, as JSON the bot renders at delivery time; for a forget-me
    -- row, which message it changes (never a name).
    detail       text,
    state        text    not null default 'pending' check (state in ('pending', 'done', 'failed')),
    -- When the row is next tried: a retry is a later due time, never a sleep.
    due_at       text    not null,
    -- Tries that may have reached Discord: after one, the next try looks for its result
    -- before sending again. A 429 was refused before anything happened, so it does not count.
    attempts     integer not null default 0,
    -- Every try that failed, 429s included; the retry policy's budget.
    failures     integer not null default 0,
    -- The last failure, for the log and operators; never shown in Discord.
    last_error   text,
    -- Where it was posted, once it was.
    channel_id   integer,
    message_id   integer,
    created_at   text    not null,
    done_at      text,
    program_id   integer references program (program_id),
    unique (guild_id, key)
);
insert into outbox_new (outbox_id, guild_id, kind, key, round_id, group_id, user_id, detail,
                        state, due_at, attempts, failures, last_error, channel_id, message_id,
                        created_at, done_at, program_id)
select outbox_id, guild_id, kind, key, round_id, group_id, user_id, detail,
       state, due_at, attempts, failures, last_error, channel_id, message_id,
       created_at, done_at, program_id
from outbox;
drop table outbox;
alter table outbox_new rename to outbox;
create index outbox_due on outbox (state, due_at);
create index outbox_round on outbox (round_id, kind, state);
create index outbox_group on outbox (group_id, kind, state);
