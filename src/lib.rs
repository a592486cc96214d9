//! dg-rs: one asset graph over a Dagster workspace of many code locations.
//!
//! Data flows one way: `cli` (argv → settings) → `config` (workspace + projects) →
//! `python` (interpreters, environments) → `manifest` (definitions per location, cached) →
//! `graph` (one asset graph, selection) → `launch` → `render` (the only module that prints).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub(crate) mod affected;
pub mod cli;
pub mod config;
pub mod error;
pub mod graph;
pub mod launch;
pub mod manifest;
pub mod python;
pub mod render;
pub mod scaffold;

pub use cli::{run_create_dagster, run_dg};
