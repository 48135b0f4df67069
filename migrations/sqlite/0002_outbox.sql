-- One outbox for everything hallway posts. It replaces `delivery` (a round's intros,
-- DM fallbacks, summary, nudges and feedback questions) and `announcement` (wins,
-- milestones, watercooler prompts), which had two state machines and two retry rules.
-- Every row of both is copied, in whatever state it was.

create table outbox (
    outbox_id    integer primary key,
    guild_id     integer not null,
    kind         text    not null
                 check (kind in ('intro', 'dm-intro', 'summary', 'nudge', 'feedback',
                                 'celebration', 'archive-thread')),
    -- Names the occasion, unique per server, so the same thing is never queued twice:
    -- `intro:<round>:<group>:0`, `win:12`, `chats:<user>:5`, `watercooler:40`, ...
    key          text    not null,
    round_id     integer references round (round_id),
    group_id     integer references match_group (group_id) on delete cascade,
    -- Set for a message to one member: an intro by DM when the group's thread failed.
    user_id      integer,
    -- What a celebration posts, as JSON the bot renders at delivery time.
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
    unique (guild_id, key)
);
create index outbox_due on outbox (state, due_at);
create index outbox_round on outbox (round_id, kind, state);

insert into outbox (guild_id, kind, key, round_id, group_id, user_id, state, due_at,
                    attempts, failures, last_error, created_at, done_at)
select guild_id, kind,
       kind || ':' || round_id || ':' || ifnull(group_id, 0) || ':' || ifnull(user_id, 0),
       round_id, group_id, user_id, state, due_at, attempts, attempts, last_error,
       due_at, done_at
from delivery order by delivery_id;

insert into outbox (guild_id, kind, key, detail, state, due_at, attempts, failures,
                    last_error, channel_id, message_id, created_at, done_at)
select guild_id, 'celebration', key, detail, state, created_at, attempts, attempts,
       last_error, channel_id, message_id, created_at, done_at
from announcement order by created_at, rowid;

drop table delivery;
drop table announcement;

-- Threads hallway archived to stay under Discord's cap of 1,000 active threads per
-- server. A member's message reopens the thread; nothing in it is lost.
alter table match_group add column thread_archived_at text;
-- Set when the program channel refused this group's thread (a missing permission, a
-- deleted channel): the round's other groups then go straight to DMs, instead of each
-- making a refused request that counts towards Discord's limit on invalid requests.
alter table match_group add column thread_refused integer not null default 0 check (thread_refused in (0, 1));
