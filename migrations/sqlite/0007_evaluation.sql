-- Program evaluation: a fit check after a pair's first chat, the coordinators' "needs
-- attention" list with its weekly digest, and evaluation surveys. Every existing row is
-- kept: programs gain three settings with defaults, and the outbox is rebuilt (every row
-- and id kept) for four new kinds of post.

-- How many rounds in a row without a "We met" put a member on the attention list.
alter table program add column attention_rounds integer not null default 3
    check (attention_rounds between 1 and 12);
-- Where the weekly attention digest goes; none when unset.
alter table program add column coordinators_channel_id integer;
-- Whether the program surveys its members at its halfway point and at its end (it needs
-- both dates for that). A coordinator can start a survey at any time either way.
alter table program add column auto_surveys integer not null default 1
    check (auto_surveys in (0, 1));
-- New programs survey on their own; programs that ran before this version do not until a
-- coordinator turns it on, so an upgrade never sends every member an unannounced DM.
update program set auto_surveys = 0;

-- "How was the fit?", asked of each member of a pair after the pair's first "We met".
-- A "Not a fit" keeps the two apart (a soft avoid: only when nothing else is possible)
-- while `avoiding` is 1; the member can undo it from their profile. Nobody else ever
-- sees a row: stats show counts only.
create table fit_answer (
    group_id     integer not null references match_group (group_id) on delete cascade,
    guild_id     integer not null,
    program_id   integer not null references program (program_id),
    user_id      integer not null,
    partner_id   integer not null,
    fit          text    not null check (fit in ('good', 'not-a-fit')),
    avoiding     integer not null default 0 check (avoiding in (0, 1)),
    answered_at  text    not null,
    primary key (group_id, user_id),
    foreign key (guild_id, user_id) references member (guild_id, user_id) on delete cascade
);
create index fit_answer_by_program on fit_answer (program_id, avoiding);

-- A program's own survey questions, once a coordinator edits them; none means the
-- defaults (the study's themes).
create table program_survey_question (
    program_id  integer not null references program (program_id),
    position    integer not null check (position between 1 and 5),
    kind        text    not null check (kind in ('scale', 'text')),
    prompt      text    not null,
    primary key (program_id, position)
);

-- One survey of a program: at its halfway point, at its end (each at most once), or
-- started by a coordinator. Its questions are copied when it starts, so editing the
-- program's questions later does not change what was asked.
create table survey (
    survey_id   integer primary key,
    program_id  integer not null references program (program_id),
    guild_id    integer not null,
    occasion    text    not null check (occasion in ('halfway', 'end', 'manual')),
    -- The program's latest round when the survey started: where the chart shows it.
    round_id    integer references round (round_id),
    started_at  text    not null,
    -- When the one reminder goes to those who have not answered or declined.
    remind_at   text    not null,
    -- Answers are taken until then.
    closes_at   text    not null
);
create unique index survey_once on survey (program_id, occasion)
    where occasion in ('halfway', 'end');

create table survey_question (
    survey_id  integer not null references survey (survey_id) on delete cascade,
    position   integer not null check (position between 1 and 5),
    kind       text    not null check (kind in ('scale', 'text')),
    prompt     text    not null,
    primary key (survey_id, position)
);

-- Who was invited, and whether they answered or declined. `respondent` is random, never
-- derived from the Discord id: it is all that stats and export show of a person. This
-- row is the only link between a member and their answers; forget-me deletes both.
create table survey_invite (
    survey_id    integer not null references survey (survey_id) on delete cascade,
    guild_id     integer not null,
    user_id      integer not null,
    respondent   text    not null unique,
    state        text    not null default 'invited'
                 check (state in ('invited', 'answered', 'declined')),
    invited_at   text    not null,
    answered_at  text,
    primary key (survey_id, user_id),
    foreign key (guild_id, user_id) references member (guild_id, user_id) on delete cascade
);

-- One answer: a score from 1 to 5, or a short text.
create table survey_answer (
    survey_id    integer not null references survey (survey_id) on delete cascade,
    respondent   text    not null,
    position     integer not null check (position between 1 and 5),
    score        integer check (score between 1 and 5),
    answer       text    check (length(answer) between 1 and 500),
    answered_at  text    not null,
    primary key (survey_id, respondent, position),
    check ((score is null) <> (answer is null))
);

-- New kinds of post: the fit check (by DM), the attention digest (coordinators' channel),
-- and a survey's invitation and reminder (by DM). SQLite cannot change a check
-- constraint in place, so the outbox is rebuilt with every row and id kept.
create table outbox_new (
    outbox_id    integer primary key,
    guild_id     integer not null,
    kind         text    not null
                 check (kind in ('intro', 'dm-intro', 'summary', 'nudge', 'feedback',
                                 'celebration', 'archive-thread', 'rename-thread',
                                 'redact-message', 'delete-message', 'booked', 'reminder',
                                 'check-in', 'rescheduled', 'fit-check', 'attention-digest',
                                 'survey-invite', 'survey-reminder')),
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
