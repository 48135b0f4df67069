-- Several processes share the servers' scheduled work. A process may run a server's
-- rounds, deliveries and celebrations only while it holds the server's lease.

create table server_lease (
    guild_id     bigint primary key,
    -- The process holding it: unique per process run (host, pid, start).
    holder       text   not null,
    -- Bumped each time the lease changes hands: the fencing token that every fenced write
    -- checks, so a process that lost the lease (paused, partitioned) writes nothing more.
    epoch        bigint not null check (epoch >= 1),
    expires_at   timestamptz not null,
    acquired_at  timestamptz not null
);

create index server_lease_holder on server_lease (holder);

-- A program's matching history changes in two ways: a new round (which the round table
-- itself shows) and a forget-me deleting seats (which it does not). Each forget-me bumps
-- this version in its own transaction, so a process that keeps the program's history in
-- memory sees the change, whichever process made it.
create table history_version (
    program_id  bigint primary key references program (program_id),
    version     bigint not null default 0
);

-- Every write transaction takes one advisory lock (see storage/backend.rs): a process
-- stopped (SIGSTOP, a frozen VM) inside one would hold it, and stall every other
-- process, until it resumed. The server ends a transaction its client leaves idle this
-- long; hallway's transactions never wait on anything but the database. For the
-- database's new sessions, and this one (the first process's first connection).
do $$
begin
    execute format('alter database %I set idle_in_transaction_session_timeout = %L',
                   current_database(), '5s');
exception when insufficient_privilege then
    raise notice 'hallway: not the owner of database %, so idle_in_transaction_session_timeout stays as it is; set it to 5s for this database', current_database();
end
$$;
set idle_in_transaction_session_timeout = '5s';
