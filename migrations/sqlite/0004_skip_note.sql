-- Where hallway posted "X can't make it this round" after a member clicked Skip. It is the
-- one message of hallway's that names a member without being an outbox row, so forget-me
-- needs to know where each one is to delete it. A member may skip, change their mind and
-- skip again: one row per note. Notes posted before this migration were never recorded.
create table skip_note (
    message_id  integer primary key,
    channel_id  integer not null,
    guild_id    integer not null,
    group_id    integer not null references match_group (group_id) on delete cascade,
    user_id     integer not null,
    posted_at   text    not null
);
create index skip_note_member on skip_note (guild_id, user_id);
