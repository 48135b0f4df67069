-- forget-me also takes the member's name out of what hallway posted: three more outbox
-- kinds (`rename-thread`, `redact-message`, `delete-message`). SQLite cannot change a
-- CHECK in place, so the table is rebuilt: the new one is made, every row and column is
-- copied as it is, the old one is dropped, and its indexes are made again. No table
-- references the outbox, so nothing else changes.

create table outbox_0003 (
    outbox_id    integer primary key,
    guild_id     integer not null,
    kind         text    not null
                 check (kind in ('intro', 'dm-intro', 'summary', 'nudge', 'feedback',
                                 'celebration', 'archive-thread', 'rename-thread',
                                 'redact-message', 'delete-message')),
    -- Names the occasion, unique per server, so the same thing is never queued twice:
    -- `intro:<round>:<group>:0`, `win:12`, `chats:<user>:5`, `watercooler:40`,
    -- `rename-thread:<group>:<members left>`, ...
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
    unique (guild_id, key)
);

insert into outbox_0003 (outbox_id, guild_id, kind, key, round_id, group_id, user_id, detail,
                         state, due_at, attempts, failures, last_error, channel_id,
                         message_id, created_at, done_at)
select outbox_id, guild_id, kind, key, round_id, group_id, user_id, detail,
       state, due_at, attempts, failures, last_error, channel_id,
       message_id, created_at, done_at
from outbox order by outbox_id;

drop table outbox;
alter table outbox_0003 rename to outbox;
create index outbox_due on outbox (state, due_at);
create index outbox_round on outbox (round_id, kind, state);
