//! Settings: everything a command needs to know from outside the workspace's files, resolved
//! once by `cli` (from argv, the environment, and real dg's `[cli]` config) before any
//! command runs. Core modules take these values; none of them reads an environment variable.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where discovery starts (`--target-path`, else the current directory).
    pub(crate) target: PathBuf,
    /// The current directory, for relative paths in messages and `DAGSTER_HOME`.
    pub(crate) cwd: PathBuf,
    /// `--verbose` or `[cli] verbose = true`: whole Python output, timings.
    pub(crate) verbose: bool,
    /// `DG_RS_LOAD_TIMEOUT` (seconds): how long one location may take to load.
    pub(crate) load_timeout: Duration,
    /// `DG_RS_INSTALLER`: which installer `dg sync` uses.
    pub(crate) installer: InstallerChoice,
    /// `DAGSTER_HOME`, made absolute against the current directory.
    pub(crate) dagster_home: Option<PathBuf>,
    /// Where Python interpreters are looked for.
    pub(crate) python_search: PythonSearch,
    /// `PATH`, for program lookups and the children's environment.
    pub(crate) path: Option<OsString>,
    /// `COLUMNS`: how wide human tables may be (over what the terminal reports).
    pub(crate) columns: Option<u16>,
    /// The per-user cache folder (`$XDG_CACHE_HOME/dg-rs`, else `~/.cache/dg-rs`), used when
    /// the workspace itself is read-only.
    pub(crate) user_cache_dir: Option<PathBuf>,
    /// `DG_RS_USER`: who is launching (for the access policy's guardrail).
    pub(crate) dg_rs_user: Option<String>,
    /// `USER` (else `LOGNAME`): the OS user, the last fallback for who is launching.
    pub(crate) os_user: Option<String>,
    /// Real dg's `[cli] use_component_modules`: the modules a component registry is read
    /// from instead of the environment's entry points (empty: the entry points).
    pub(crate) use_component_modules: Vec<String>,
}

/// `DG_RS_INSTALLER=pip|uv`, else uv when on PATH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstallerChoice {
    Auto,
    Pip,
    Uv,
}

/// The places interpreters are found.
#[derive(Debug, Clone, Default)]
pub(crate) struct PythonSearch {
    /// `$PYENV_ROOT`, else `~/.pyenv`.
    pub(crate) pyenv_root: Option<PathBuf>,
    /// `$UV_PYTHON_INSTALL_DIR`, else `~/.local/share/uv/python`.
    pub(crate) uv_python_dir: Option<PathBuf>,
    /// `PATH`.
    pub(crate) path: Option<OsString>,
}

impl Settings {
    /// A process with nothing set, in `dir` (unit tests).
    #[cfg(test)]
    pub(crate) fn for_tests(dir: &Path) -> Settings {
        Settings {
            target: dir.to_path_buf(),
            cwd: dir.to_path_buf(),
            verbose: false,
            load_timeout: Duration::from_secs(180),
            installer: InstallerChoice::Auto,
            dagster_home: None,
            python_search: PythonSearch::default(),
            path: None,
            columns: None,
            user_cache_dir: None,
            dg_rs_user: None,
            os_user: None,
            use_component_modules: vec![],
        }
    }

    /// A path for messages: [`crate::path::display`] against the current directory.
    pub(crate) fn display(&self, path: &Path) -> String {
        crate::path::display(path, &self.cwd)
    }
}
