//! End to end: the real `hallway` binary against a fake Discord on loopback, each test
//! with its own fake and its own SQLite file.

#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod admin;
mod attention;
mod bench;
mod booking;
mod community;
mod database_url;
mod deadline;
mod fit;
mod forged;
mod forget;
mod gateway;
mod interests;
mod invite;
mod isolation;
mod members;
mod migrate_to;
mod multiprocess;
mod ops;
mod previews;
mod process;
mod programs;
mod resilience;
mod rounds;
mod schedule;
mod shards;
mod startup;
mod stats;
mod survey;
mod threads;
mod upgraded;
mod wins;
