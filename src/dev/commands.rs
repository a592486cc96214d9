//! The command lines of `dg dev`'s host services (the webserver, the daemon) and the
//! environment every Dagster process of the platform gets.

use super::DevOptions;
use super::host::HostEnv;
use crate::config::Workspace;
use crate::instance::Instance;
use crate::process::Cmd;
use std::path::{Path, PathBuf};

/// The webserver: `python -m dagster_webserver`, or with `--access` the same arguments to
/// dg-rs's entry point that shows each person what the policy lets them do.
pub(super) fn webserver_cmd(
    ws: &Workspace,
    host: &HostEnv,
    opts: &DevOptions,
    instance: &Instance,
    (listen_host, port): (&str, u16),
    yaml: &Path,
    access_entry: Option<PathBuf>,
) -> Cmd {
    let cmd = match access_entry {
        Some(script) => Cmd::new(&host.python).arg(script),
        None => Cmd::new(&host.python).args(["-m", "dagster_webserver"]),
    };
    let cmd = cmd
        .arg("--host")
        .arg(listen_host)
        .arg("--port")
        .arg(port.to_string())
        .arg("--dagster-log-level")
        .arg(opts.log_level.as_str())
        .arg("-w")
        .arg(yaml)
        .cwd(&ws.root);
    with_platform_env(cmd, instance)
}

pub(super) fn daemon_cmd(
    ws: &Workspace,
    host: &HostEnv,
    opts: &DevOptions,
    instance: &Instance,
    yaml: &Path,
) -> Cmd {
    let cmd = Cmd::new(&host.python)
        .args(["-m", "dagster._daemon", "run", "--log-level"])
        .arg(opts.log_level.as_str())
        .arg("-w")
        .arg(yaml)
        .cwd(&ws.root);
    with_platform_env(cmd, instance)
}

/// What every Dagster process of the platform runs with.
pub(super) fn with_platform_env(cmd: Cmd, instance: &Instance) -> Cmd {
    cmd.env("DAGSTER_HOME", instance.home.as_os_str())
        // What real `dg dev` sets for every Dagster process it starts.
        .env("DAGSTER_IS_DEV_CLI", "1")
        .env("PYTHONUNBUFFERED", "1")
        // Killed outright (SIGKILL, OOM), dg dev still takes every service with it.
        .die_with_parent()
}
