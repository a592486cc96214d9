//! Configuration discovery and validation, compatible with real dg 1.13.
//!
//! Discovery walks up from the target path. In each directory a `dg.toml` wins over a
//! `pyproject.toml` with a `[tool.dg]` table. The nearest file is the root; the nearest file
//! with `directory_type = "workspace"` is the workspace. The scaffolded
//! `deployments/local` (`directory_type = "deployment"`) is passed over, not treated as a
//! root. Validation is strict like real dg's (unknown keys and wrong types are errors) but
//! reports every problem with file, line and column. Our own settings live under
//! `[tool.dg-rs]` in pyproject.toml, which real dg never reads.
//!
//! Where a project's Python is (its `.env` or `.venv`) is decided by `python`, which the
//! caller passes in as a [`Resolve`] function: configuration comes first in the data flow
//! and does not reach down into it.

mod discover;
pub(crate) mod dotenv;
mod error;
mod file;
pub mod model;
mod project_file;
pub mod uv;
mod workspace_file;

pub use discover::{cli_verbose, discover, find_config_files, use_component_modules};
pub(crate) use dotenv::DotenvError;
pub use error::ConfigError;
pub use file::{ConfigFile, FileKind, read_config_in};
pub use model::{Interpreter, InterpreterSource, Project, Workspace};
pub use project_file::{REGISTRY_ENTRY_POINT_GROUPS, requirement_name};

use crate::error::Problem;
use std::path::Path;

/// Decides a project's interpreter from its folder (`python::interpreter::resolve_project`).
pub type Resolve = fn(&Path) -> Result<Interpreter, Problem>;
