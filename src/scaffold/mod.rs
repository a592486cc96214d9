//! Scaffolding: the file trees `create-dagster workspace|project` writes (the templates of
//! real create-dagster 1.13 under `templates/`, rendered with minijinja and embedded in the
//! binary), the format-preserving registration of a new project in the workspace's
//! `dg.toml`, name validation, the stubs `dg scaffold defs` writes, a team's own component types
//! (`dg scaffold component`, `dg scaffold defs inline-component`), and the CI workflow of
//! `dg scaffold github-actions`.
//!
//! Nothing here overwrites a file: every target is checked before anything is written, all
//! files are written atomically, and the workspace file is changed last, in one write.

pub mod component;
pub mod component_type;
mod create;
pub mod defs;
pub mod editor;
mod error;
pub mod github_actions;
pub mod inline;
mod jsonc;
pub mod names;
pub mod params;
pub mod register;
mod registry_modules;
mod render;
mod schema;

pub use create::{
    Created, DEFAULT_DAGSTER_VERSION, ProjectRequest, WorkspaceRequest, create_project,
    create_workspace,
};
pub use error::ScaffoldError;
