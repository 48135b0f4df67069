-- Several processes (on PostgreSQL) share the servers' scheduled work. A process may run
-- a server's rounds, deliveries and celebrations only while it holds the server's lease.

create table server_lease (
    guild_id     integer primary key,
    -- The process holding it: unique per process run (host, pid, start).
    holder       text    not null,
    -- Bumped each time the lease changes hands: the fencing token that every fenced write
    -- checks, so a process that lost the lease (paused, partitioned) writes nothing more.
    epoch        integer not null check (epoch >= 1),
    expires_at   text    not null,
    acquired_at  text    not null
);

create index server_lease_holder on server_lease (holder);

-- A program's matching history changes in two ways: a new round (which the round table
-- itself shows) and a forget-me deleting seats (which it does not). Each forget-me bumps
-- this version in its own transaction, so a process that keeps the program's history in
-- memory sees the change, whichever process made it.
create table history_version (
    program_id  integer primary key references program (program_id),
    version     integer not null default 0
);
