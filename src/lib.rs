//! hallway: recurring random pairings for mentoring communities on Discord.

/// What each subcommand does, from settings to a running bot.
pub mod app;
/// Wins, milestones and watercooler prompts: claimed once, then delivered.
pub mod celebrations;
/// PNG charts for coordinators: data in, bytes out.
pub mod chart;
/// Command-line interface: the subcommands and their options.
pub mod cli;
/// Typed settings: defaults, config file, environment.
pub mod config;
/// Delivering the outbox through a [`delivery::Courier`], with retries and recovery.
pub mod delivery;
/// The Discord adapter: slash commands, rendering and delivery (serenity and poise).
pub mod discord;
/// Pure program logic: profiles, settings, validation and matching.
pub mod domain;
/// The CSV export shared by `/hallway-admin export` and `hallway export`.
pub mod export;
/// `hallway migrate-to`: copies every row into another database (SQLite to PostgreSQL).
pub mod migrate_to;
/// Health and metrics for operators: `/healthz`, `/readyz`, `/metrics`.
pub mod ops;
/// One round as an idempotent step: match, save with the outbox, deliver.
pub mod rounds;
/// The background loop that starts due rounds and delivers the outbox.
pub mod scheduler;
/// `hallway simulate`: matching quality and speed on a synthetic or CSV population.
pub mod simulate;
/// All SQL: the store on SQLite or PostgreSQL, and each backend's migrations.
pub mod storage;
/// Logging setup.
pub mod telemetry;
