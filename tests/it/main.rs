//! The one integration-test binary: every test runs the real `dg` binary against a copy of a
//! fixture workspace in a temporary directory, with a cleared environment.

mod common;

mod access;
mod affected;
mod check;
mod check_toml;
mod deploy;
mod dev;
mod graphql;
mod hardening;
mod launch;
mod layering;
mod list_defs;
mod list_projects;
mod project_facts;
mod python_scripts;
mod scaffold;
mod topology;
