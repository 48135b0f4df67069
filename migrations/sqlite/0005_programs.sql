-- Several programs in one server. What a coordinator sets (channels, schedule, matching,
-- dates, welcome, watercooler, pause) moves from `community` to the new `program` table;
-- each server's single community becomes its first program, named after its program
-- name, or "hallway". A member keeps one profile per server in `member` (time zone,
-- institution, time of day, modality, shout-outs, and the new "ask me about" line); their
-- role, mentor capacity, pause and departure move to `program_member`, one row per
-- program they are in. Rounds, previews, prompts, wins and outbox rows gain the program
-- they belong to. Every row is kept, and every id stays what it was.
--
-- `round` and `prompt` are rebuilt because their unique keys change (round numbers and
-- prompt texts are unique per program now) and SQLite cannot change a constraint in
-- place. Other tables reference `round`, so its foreign keys are checked at commit
-- instead of at each statement while it is made again.
pragma defer_foreign_keys = on;

create table program (
    program_id              integer primary key,
    guild_id                integer not null references community (guild_id),
    -- Unique in the server whatever the case: it is what coordinators and members type.
    name                    text    not null collate nocase,
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
    -- How much shared interests count in matching: always below avoiding repeats.
    interest_weight         text not null default 'light'
                            check (interest_weight in ('off', 'light', 'strong')),
    program_start           text,
    program_end             text,
    welcome_text            text,
    paused                  integer not null default 0 check (paused in (0, 1)),
    -- Watercooler discussion prompts: a channel, how often, and from when.
    watercooler_channel_id  integer,
    watercooler_cadence     text check (watercooler_cadence in ('daily', 'weekly', 'biweekly')),
    watercooler_anchor      text,
    -- An archived program runs no more rounds or posts; its history, stats and export stay.
    archived_at             text,
    created_at              text not null,
    updated_at              text not null,
    unique (guild_id, name)
);

insert into program (guild_id, name, program_channel_id, celebrations_channel_id, cadence,
                     weekday, hour, time_zone, schedule_anchor, matching_mode, group_size,
                     cross_institution, program_start, program_end, welcome_text, paused,
                     watercooler_channel_id, watercooler_cadence, watercooler_anchor,
                     created_at, updated_at)
select guild_id, coalesce(nullif(trim(program_name), ''), 'hallway'), program_channel_id,
       celebrations_channel_id, cadence, weekday, hour, time_zone, schedule_anchor,
       matching_mode, group_size, cross_institution, program_start, program_end,
       welcome_text, paused, watercooler_channel_id, watercooler_cadence,
       watercooler_anchor, created_at, updated_at
from community order by guild_id;

-- `community` stays as the server's own row, which members, rounds and wins reference.
alter table community drop column program_channel_id;
alter table community drop column celebrations_channel_id;
alter table community drop column cadence;
alter table community drop column weekday;
alter table community drop column hour;
alter table community drop column time_zone;
alter table community drop column schedule_anchor;
alter table community drop column matching_mode;
alter table community drop column group_size;
alter table community drop column cross_institution;
alter table community drop column program_name;
alter table community drop column program_start;
alter table community drop column program_end;
alter table community drop column welcome_text;
alter table community drop column paused;
alter table community drop column watercooler_channel_id;
alter table community drop column watercooler_cadence;
alter table community drop column watercooler_anchor;

-- A member's place in one program. Leaving a program keeps the row (and the history) so
-- they can come back; forget-me deletes the member, and with them every such row.
create table program_member (
    program_id    integer not null references program (program_id),
    guild_id      integer not null,
    user_id       integer not null,
    role          text    not null check (role in ('mentor', 'mentee', 'peer')),
    capacity      integer not null default 0 check (capacity between 0 and 5),
    paused_until  text,
    left_at       text,
    joined_at     text    not null,
    updated_at    text    not null,
    primary key (program_id, user_id),
    foreign key (guild_id, user_id) references member (guild_id, user_id) on delete cascade
);
create index program_member_by_user on program_member (guild_id, user_id);

insert into program_member (program_id, guild_id, user_id, role, capacity, paused_until,
                            left_at, joined_at, updated_at)
select p.program_id, m.guild_id, m.user_id, m.role, m.capacity, m.paused_until, m.left_at,
       m.joined_at, m.updated_at
from member m join program p on p.guild_id = m.guild_id
order by m.guild_id, m.user_id;

alter table member drop column role;
alter table member drop column capacity;
alter table member drop column paused_until;
alter table member drop column left_at;
-- "Ask me about …", shown in intros under the member's name.
alter table member add column about text;

-- A program's interest tags (at most 25, which the code enforces), and the ones each
-- member picked (at most 5).
create table interest (
    interest_id  integer primary key,
    program_id   integer not null references program (program_id),
    guild_id     integer not null,
    name         text    not null collate nocase,
    created_at   text    not null,
    unique (program_id, name)
);

create table member_interest (
    program_id   integer not null,
    user_id      integer not null,
    interest_id  integer not null references interest (interest_id) on delete cascade,
    guild_id     integer not null,
    primary key (program_id, user_id, interest_id),
    foreign key (program_id, user_id) references program_member (program_id, user_id)
        on delete cascade
);

-- Rounds: numbered per program, and a scheduled slot runs once per program. The rows are
-- set aside, the table is made again under its own name, and the rows go back: each
-- insert satisfies the references that dropping the old table left waiting.
create table round_before_0005 as select * from round;
drop index round_scheduled_slot;
drop table round;

create table round (
    round_id      integer primary key,
    guild_id      integer not null references community (guild_id),
    program_id    integer not null references program (program_id),
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
    unique (program_id, number)
);

insert into round (round_id, guild_id, program_id, number, due_at, trigger, seed, state,
                   notes, created_at, delivered_at)
select r.round_id, r.guild_id, p.program_id, r.number, r.due_at, r.trigger, r.seed, r.state,
       r.notes, r.created_at, r.delivered_at
from round_before_0005 r join program p on p.guild_id = r.guild_id
order by r.round_id;
drop table round_before_0005;
create unique index round_scheduled_slot on round (program_id, due_at) where trigger = 'schedule';

alter table round_preview add column program_id integer references program (program_id);
update round_preview
set program_id = (select p.program_id from program p where p.guild_id = round_preview.guild_id);

-- Custom prompts: a text is unique per program.
create table prompt_0005 (
    prompt_id   integer primary key,
    guild_id    integer not null references community (guild_id),
    program_id  integer not null references program (program_id),
    category    text    not null,
    text        text    not null,
    created_by  integer not null,
    created_at  text    not null,
    -- Removed prompts stay, so past rounds can still name theirs; none is chosen again.
    removed_at  text,
    unique (program_id, text)
);

insert into prompt_0005 (prompt_id, guild_id, program_id, category, text, created_by,
                         created_at, removed_at)
select q.prompt_id, q.guild_id, p.program_id, q.category, q.text, q.created_by, q.created_at,
       q.removed_at
from prompt q join program p on p.guild_id = q.guild_id
order by q.prompt_id;

drop table prompt;
alter table prompt_0005 rename to prompt;

-- A win is celebrated in its program's celebrations channel.
alter table win add column program_id integer references program (program_id);
update win set program_id = (select p.program_id from program p where p.guild_id = win.guild_id);

-- Every outbox row belongs to a program: it says whose channel a celebration goes to.
alter table outbox add column program_id integer references program (program_id);
update outbox set program_id = (select p.program_id from program p where p.guild_id = outbox.guild_id);

-- The occasions that are per program now name it in their key, so an occasion queued
-- before the upgrade is still recognised afterwards and never posted twice:
-- `watercooler:<n>` → `watercooler:<program>:<n>`, `program-halfway:<end>` →
-- `program-halfway:<program>:<end>` (and `program-last-month`). A member's chat milestones
-- and anniversaries stay the server's (`chats:<user>:<n>`, `anniversary:<user>:<years>`):
-- someone who joins a second program has not had a first chat again.
update outbox
set key = substr(key, 1, instr(key, ':')) || program_id || ':' || substr(key, instr(key, ':') + 1)
where kind = 'celebration'
  and (key like 'watercooler:%' or key like 'program-halfway:%' or key like 'program-last-month:%');
