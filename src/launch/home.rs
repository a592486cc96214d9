//! The Dagster instance every run of a launch records into.

use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::manifest::cache::write_atomic;
use std::path::PathBuf;

/// The Dagster instance every run of the launch records into.
pub struct DagsterHome {
    pub path: PathBuf,
    /// Ours (`<workspace>/.dg/dagster_home`), not the user's DAGSTER_HOME.
    pub default: bool,
}

impl DagsterHome {
    /// `$DAGSTER_HOME` when set (relative to the current directory), else the workspace's own
    /// persistent `<workspace>/.dg/dagster_home`.
    pub fn resolve(ws: &Workspace) -> Result<DagsterHome> {
        match std::env::var_os("DAGSTER_HOME").filter(|v| !v.is_empty()) {
            Some(v) => {
                let p = PathBuf::from(v);
                let path = if p.is_absolute() {
                    p
                } else {
                    std::env::current_dir()
                        .map_err(|e| {
                            Error::usage(format!("cannot read the current directory: {e}"))
                        })?
                        .join(p)
                };
                Ok(DagsterHome {
                    path,
                    default: false,
                })
            }
            None => Ok(DagsterHome {
                path: ws.state_dir().join("dagster_home"),
                default: true,
            }),
        }
    }

    /// Creates the folder (and, for ours, a dagster.yaml with telemetry off). Returns whether
    /// the instance is a fresh sqlite one, whose first run must run alone (see
    /// [`super::execute::ExecuteOptions::first_alone`]).
    pub fn prepare(&self) -> Result<bool> {
        std::fs::create_dir_all(&self.path).map_err(|e| Error::io("create", &self.path, &e))?;
        let yaml = self.path.join("dagster.yaml");
        if self.default && !yaml.exists() {
            write_atomic(
                &yaml,
                b"# Written by dg-rs: the workspace's persistent Dagster instance.\ntelemetry:\n  enabled: false\n",
            )?;
        }
        let text = std::fs::read_to_string(&yaml).unwrap_or_default();
        let sqlite = !text.contains("postgres") && !text.contains("mysql");
        Ok(sqlite && !self.path.join("history").join("runs.db").exists())
    }
}
