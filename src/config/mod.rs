//! Configuration discovery and validation, compatible with real dg 1.13.
//!
//! Discovery walks up from the target path. In each directory a `dg.toml` wins over a
//! `pyproject.toml` with a `[tool.dg]` table. The nearest file is the root; the nearest file
//! with `directory_type = "workspace"` is the workspace. The scaffolded
//! `deployments/local` (`directory_type = "deployment"`) is passed over, not treated as a
//! root. Validation is strict like real dg's (unknown keys and wrong types are errors) but
//! reports every problem with file, line and column. Our own settings live under
//! `[tool.dg-rs]` in pyproject.toml, which real dg never reads.

mod load;
pub mod model;
mod toml_check;

pub use load::{ConfigFile, FileKind, discover, find_config_files, load_workspace, read_config_in};
pub use model::{Interpreter, InterpreterSource, Project, STATE_DIR, Workspace};
