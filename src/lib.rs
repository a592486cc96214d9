//! dg-rs: one asset graph over a Dagster workspace of many code locations.
//!
//! Data flows one way: `cli` (argv → [`settings`]) → `config` (workspace + projects) →
//! `python` (interpreters, environments) → `manifest` (definitions per location, cached) →
//! `graph` (one asset graph, selection) → `workspace` (the load layer over those four) →
//! `check`, `launch`, `scaffold`, `affected` (what a change affects, saved state) → `render` (the only module that prints). `fs` (every write),
//! `process` (every child) and `path` (how paths are shown, written and compared) serve them all.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod access;
mod affected;
#[cfg(any(test, feature = "bench"))]
mod bench_support;
mod check;
mod cli;
mod components;
mod config;
mod dagster_api;
mod defs_yaml;
mod deploy;
mod dev;
mod diagnostic;
mod error;
mod fs;
mod graph;
mod instance;
mod launch;
mod manifest;
mod parallel;
mod path;
mod process;
mod python;
mod render;
mod scaffold;
mod settings;
mod suggest;
mod toml_check;
mod workspace;

#[cfg(feature = "bench")]
pub use bench_support::{generate_workspace, seed_workspace};
pub use cli::{run_create_dagster, run_dg};
