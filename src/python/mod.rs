//! Python interpreters and environments: where each project's Python is, finding
//! interpreters on this machine, the environment builder behind `dg sync`, and the scripts
//! embedded in the binary.

pub(crate) mod env;
mod error;
pub(crate) mod host;
pub(crate) mod interpreter;
pub(crate) mod scripts;
pub(crate) mod uv;

pub use error::{PythonError, Result};
