//! argv + environment + real dg's `[cli]` config → [`Settings`], once, before any command
//! runs. This is the only place dg-rs reads its environment variables.

use super::GlobalArgs;
use crate::error::{Error, Result};
use crate::settings::{InstallerChoice, PythonSearch, Settings};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default for DG_RS_LOAD_TIMEOUT.
const LOAD_TIMEOUT: Duration = Duration::from_secs(180);

fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

fn absolute(path: PathBuf, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        cwd.join(path)
    }
}

/// The settings of a `dg` command.
pub(super) fn resolve(global: &GlobalArgs) -> Result<Settings> {
    let mut settings = base(global.verbose)?;
    if let Some(t) = &global.target_path {
        settings.target = absolute(t.clone(), &settings.cwd);
    }
    // Real dg's `[cli] verbose`: user file < workspace file < root file < command line.
    let user_file = var("DG_CLI_CONFIG").map(PathBuf::from).or_else(|| {
        var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))
            .map(|d| d.join("dg.toml"))
    });
    if !global.verbose
        && crate::config::cli_verbose(&settings.target, user_file.as_deref()) == Some(true)
    {
        settings.verbose = true;
    }
    settings.use_component_modules =
        crate::config::use_component_modules(&settings.target, user_file.as_deref());
    Ok(settings)
}

/// The settings of a `create-dagster` command (no workspace to discover yet).
pub(super) fn resolve_for_create(verbose: bool) -> Result<Settings> {
    base(verbose)
}

fn base(verbose: bool) -> Result<Settings> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?;
    let home = var("HOME").map(PathBuf::from);
    let path = var("PATH");
    Ok(Settings {
        target: cwd.clone(),
        verbose,
        load_timeout: var("DG_RS_LOAD_TIMEOUT")
            .and_then(|s| s.to_str().and_then(|s| s.trim().parse::<f64>().ok()))
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(LOAD_TIMEOUT),
        installer: match var("DG_RS_INSTALLER").as_deref().and_then(|v| v.to_str()) {
            Some("pip") => InstallerChoice::Pip,
            Some("uv") => InstallerChoice::Uv,
            _ => InstallerChoice::Auto,
        },
        dagster_home: var("DAGSTER_HOME").map(|h| absolute(PathBuf::from(h), &cwd)),
        python_search: PythonSearch {
            pyenv_root: var("PYENV_ROOT")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".pyenv"))),
            uv_python_dir: var("UV_PYTHON_INSTALL_DIR")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".local/share/uv/python"))),
            path: path.clone(),
        },
        path,
        columns: var("COLUMNS").and_then(|c| c.to_str()?.trim().parse().ok()),
        user_cache_dir: var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".cache")))
            .map(|d| d.join("dg-rs")),
        dg_rs_user: var("DG_RS_USER").and_then(|v| v.into_string().ok()),
        os_user: var("USER")
            .or_else(|| var("LOGNAME"))
            .and_then(|v| v.into_string().ok()),
        use_component_modules: vec![],
        cwd,
    })
}
