//! The one integration-test binary: every test runs the real `dg` binary against a copy of a
//! fixture workspace in a temporary directory, with a cleared environment.
//!
//! Tests that need more than the machine's Rust and Python belong to a tier, a cargo feature
//! named for what it needs (Cargo.toml `[features]`): `tier-index` (environments built from
//! the package index), `tier-postgres`, `tier-browser`. Plain `cargo test` leaves them out;
//! `bash scripts/test.sh` provides what they need and runs them all. A tier's test never
//! installs anything on the machine: what it lacks, it names, with the script to run.

mod common;

mod access;
mod affected;
#[cfg(feature = "tier-index")]
mod check;
mod check_toml;
#[cfg(feature = "tier-index")]
mod check_yaml;
#[cfg(feature = "tier-index")]
mod components;
#[cfg(feature = "tier-index")]
mod components_dbt;
mod deploy;
#[cfg(feature = "tier-index")]
mod dev;
#[cfg(feature = "tier-index")]
mod graphql;
mod hardening;
#[cfg(feature = "tier-index")]
mod launch;
mod layering;
#[cfg(feature = "tier-index")]
mod list_defs;
mod list_projects;
mod project_facts;
#[cfg(feature = "tier-index")]
mod python_scripts;
mod scaffold;
#[cfg(feature = "tier-index")]
mod scaffold_component;
#[cfg(feature = "tier-postgres")]
mod topology;
