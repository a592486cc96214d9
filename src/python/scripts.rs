//! The Python scripts embedded in the binary (kept under `python/` in the repository, with
//! their own tests). They are written once per script version into the workspace's state
//! folder and run from there with each project's own interpreter, so tracebacks name real
//! files and the scripts can share one loader module.

use crate::error::{Error, Result};
use crate::manifest::cache::write_atomic;
use std::path::{Path, PathBuf};

const FILES: &[(&str, &str)] = &[
    // dagster-webserver behind `dg access proxy`: greys out what a person may not do.
    (
        "access_webserver.py",
        include_str!("../../python/access_webserver.py"),
    ),
    (
        "dg_rs_loader.py",
        include_str!("../../python/dg_rs_loader.py"),
    ),
    ("introspect.py", include_str!("../../python/introspect.py")),
    ("run_step.py", include_str!("../../python/run_step.py")),
];

/// A hash of every script: part of every manifest fingerprint.
pub fn version() -> String {
    let mut h = blake3::Hasher::new();
    for (name, text) in FILES {
        h.update(name.as_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}

/// Writes the scripts (if not already there) and returns their folder.
pub fn materialize(state_dir: &Path) -> Result<PathBuf> {
    let dir = state_dir.join("cache").join("scripts").join(version());
    if dir.join(".complete").is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, &e))?;
    for (name, text) in FILES {
        write_atomic(&dir.join(name), text.as_bytes())?;
    }
    write_atomic(&dir.join(".complete"), b"")?;
    Ok(dir)
}
