//! The one reader of a project's `.env` file (which real dg and Dagster load for the
//! location): used for the interpreter (`DG_PROJECT_PYTHON_EXECUTABLE`) and for the
//! environment every Python of the location runs with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum DotenvError {
    #[error("could not read {}: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("invalid line in {}: {message}", path.display())]
    InvalidLine { path: PathBuf, message: String },
}

/// The variables of a `.env` file, in file order of last assignment (empty when there is
/// none).
pub(crate) fn read(path: &Path) -> Result<BTreeMap<String, String>, DotenvError> {
    let mut vars = BTreeMap::new();
    if !path.is_file() {
        return Ok(vars);
    }
    let iter = dotenvy::from_path_iter(path).map_err(|e| DotenvError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    for item in iter {
        let (k, v) = item.map_err(|e| DotenvError::InvalidLine {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        vars.insert(k, v);
    }
    Ok(vars)
}
