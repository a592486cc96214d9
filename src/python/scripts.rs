//! The Python scripts embedded in the binary (kept under `python/` in the repository, with
//! their own tests). They are written once per script version into the cache folder and run
//! from there with each project's own interpreter, so tracebacks name real files and the
//! scripts can share one loader module.

use crate::fs::{self, FsError};
use std::path::{Path, PathBuf};

const FILES: &[(&str, &str)] = &[
    // dagster-webserver behind `dg access proxy`: greys out what a person may not do.
    (
        "access_webserver.py",
        include_str!("../../python/access_webserver.py"),
    ),
    ("components.py", include_str!("../../python/components.py")),
    (
        "dg_rs_loader.py",
        include_str!("../../python/dg_rs_loader.py"),
    ),
    ("instance.py", include_str!("../../python/instance.py")),
    ("introspect.py", include_str!("../../python/introspect.py")),
    ("run_step.py", include_str!("../../python/run_step.py")),
];

/// The scripts a location runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Introspect,
    /// A location's component registry (`dg list components`).
    Components,
    RunStep,
    Instance,
    /// The webserver entry point behind the authorizing proxy (`dg dev --access`).
    AccessWebserver,
}

impl Script {
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Script::Introspect => "introspect.py",
            Script::Components => "components.py",
            Script::RunStep => "run_step.py",
            Script::Instance => "instance.py",
            Script::AccessWebserver => "access_webserver.py",
        }
    }
}

/// A hash of every script: part of every manifest fingerprint.
pub(crate) fn version() -> String {
    let mut h = blake3::Hasher::new();
    for (name, text) in FILES {
        h.update(name.as_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}

/// Writes the scripts under `cache_root` (if not already there) and returns their folder.
pub(crate) fn materialize(cache_root: &Path) -> Result<PathBuf, FsError> {
    let dir = cache_root.join("scripts").join(version());
    if dir.join(".complete").is_file() {
        return Ok(dir);
    }
    fs::create_ignored_dir(cache_root, "this folder is a cache")?;
    fs::create_dir_all(&dir)?;
    for (name, text) in FILES {
        fs::write_atomic(&dir.join(name), text.as_bytes())?;
    }
    fs::write_atomic(&dir.join(".complete"), b"")?;
    Ok(dir)
}
