//! The one Dagster instance of a workspace, shared by `dg launch` and `dg dev`:
//! `$DAGSTER_HOME` when set, else `<workspace>/.dg/dagster_home` (persistent: history is
//! never thrown away).
//!
//! Before any run or service uses it, the instance is created or migrated **once**, by one
//! process, under an inter-process lock on the home folder: concurrent first uses of a fresh
//! instance race while creating the schema and can leave its version table with two rows,
//! after which every use fails ("more than one head present"). A stamp in the home folder
//! records the newest Dagster version that prepared it, so later commands start no Python
//! for this.

use crate::config::Workspace;
use crate::fs::{self, FsError, LockedFile};
use crate::process::Cmd;
use crate::settings::Settings;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

const STAMP: &str = ".dg-rs-instance.json";
const PREPARE_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) home: PathBuf,
    /// Ours (`<workspace>/.dg/dagster_home`), not the user's DAGSTER_HOME.
    pub(crate) owned: bool,
}

/// A Python that can prepare the instance: a location's interpreter with its environment,
/// and the Dagster version installed there.
#[derive(Debug, Clone)]
pub(crate) struct InstancePython {
    /// The interpreter, cwd and environment to run `instance.py` with.
    pub(crate) cmd: Cmd,
    pub(crate) dagster_version: String,
}

/// A database of the instance whose version table holds several revisions.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DamagedTable {
    pub(crate) file: PathBuf,
    pub(crate) revisions: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum InstanceError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("the Dagster instance at {} is damaged: {message}", home.display())]
    Damaged {
        home: PathBuf,
        message: String,
        tables: Vec<DamagedTable>,
        head: Option<String>,
    },
    #[error("could not prepare the Dagster instance at {}: {message}", home.display())]
    Failed {
        home: PathBuf,
        message: String,
        detail: String,
    },
    #[error("interrupted while preparing the Dagster instance")]
    Interrupted,
}

#[derive(Serialize, Deserialize)]
struct Stamp {
    dagster_version: String,
    storage: String,
}

#[derive(Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum PrepareResult {
    Ok {
        dagster_version: String,
        storage: String,
    },
    Damaged {
        message: String,
        #[serde(default)]
        tables: Vec<DamagedTable>,
        head: Option<String>,
    },
    Error {
        message: String,
        #[serde(default)]
        traceback_tail: String,
    },
}

impl Instance {
    /// `$DAGSTER_HOME` (from the settings), else the workspace's own instance.
    pub(crate) fn resolve(settings: &Settings, ws: &Workspace) -> Instance {
        match &settings.dagster_home {
            Some(home) => Instance {
                home: home.clone(),
                owned: false,
            },
            None => Instance {
                home: ws.state_dir().join("dagster_home"),
                owned: true,
            },
        }
    }

    /// Creates the home folder (ours with a dagster.yaml that turns telemetry off and a
    /// .gitignore: run history is hundreds of files that do not belong in git), then creates
    /// or migrates the instance once with `python` unless a stamp says a Dagster at least as
    /// new already did.
    pub(crate) fn prepare(
        &self,
        python: &InstancePython,
        script_dir: &Path,
    ) -> Result<(), InstanceError> {
        self.create_home()?;
        if self.is_prepared_for(&python.dagster_version) {
            return Ok(());
        }
        let Some(_lock) =
            LockedFile::acquire_dir_unless(&self.home, crate::process::interrupt::requested)?
        else {
            return Err(InstanceError::Interrupted);
        };
        // Whoever held the lock before us may have done it.
        if self.is_prepared_for(&python.dagster_version) {
            return Ok(());
        }
        self.run_prepare_script(python, script_dir)
    }

    /// The home folder; ours gets a dagster.yaml that turns telemetry off (and a .gitignore).
    fn create_home(&self) -> Result<(), InstanceError> {
        if self.owned {
            fs::create_ignored_dir(&self.home, "the workspace's Dagster instance (run history)")?;
            let yaml = self.home.join("dagster.yaml");
            if !yaml.exists() {
                match fs::write_new(
                    &yaml,
                    b"# Written by dg-rs: the workspace's persistent Dagster instance.\ntelemetry:\n  enabled: false\n",
                ) {
                    Ok(()) | Err(FsError::Exists { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        } else {
            fs::create_dir_all(&self.home)?;
        }
        Ok(())
    }

    /// Runs `instance.py` (under the lock) and stamps the home folder when it succeeded.
    fn run_prepare_script(
        &self,
        python: &InstancePython,
        script_dir: &Path,
    ) -> Result<(), InstanceError> {
        let result = tempfile::Builder::new()
            .prefix(".dg-rs-instance-")
            .suffix(".json")
            .tempfile_in(&self.home)
            .map_err(|e| FsError::io("create a file in", &self.home, e))?
            .into_temp_path();
        let finished = python
            .cmd
            .clone()
            .arg(script_dir.join(crate::python::scripts::Script::Instance.file_name()))
            .arg("--result")
            .arg(result.to_path_buf())
            .env("DAGSTER_HOME", &self.home)
            .timeout(PREPARE_TIMEOUT)
            .output()
            .map_err(|e| InstanceError::Failed {
                home: self.home.clone(),
                message: e.to_string(),
                detail: String::new(),
            })?;
        if finished.interrupted {
            return Err(InstanceError::Interrupted);
        }
        let parsed: Option<PrepareResult> = std::fs::read(&result)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        self.settle(parsed, &finished)
    }

    /// What the script's result (`None`: it wrote none) means: a stamp, or the error.
    fn settle(
        &self,
        parsed: Option<PrepareResult>,
        finished: &crate::process::Finished,
    ) -> Result<(), InstanceError> {
        match parsed {
            Some(PrepareResult::Ok {
                dagster_version,
                storage,
            }) => {
                let stamp = Stamp {
                    dagster_version,
                    storage,
                };
                fs::write_atomic(
                    &self.home.join(STAMP),
                    &serde_json::to_vec(&stamp).expect("stamps serialize"),
                )?;
                Ok(())
            }
            Some(PrepareResult::Damaged {
                message,
                tables,
                head,
            }) => Err(InstanceError::Damaged {
                home: self.home.clone(),
                message,
                tables,
                head,
            }),
            Some(PrepareResult::Error {
                message,
                traceback_tail,
            }) => Err(InstanceError::Failed {
                home: self.home.clone(),
                message,
                detail: traceback_tail,
            }),
            None => Err(InstanceError::Failed {
                home: self.home.clone(),
                message: if finished.timed_out {
                    format!("it took longer than {} s", PREPARE_TIMEOUT.as_secs())
                } else {
                    "the preparation script wrote no result".into()
                },
                detail: finished.stderr_tail(15),
            }),
        }
    }

    /// Whether a Dagster at least `version` prepared this instance (and, for sqlite, its
    /// database is still there).
    fn is_prepared_for(&self, version: &str) -> bool {
        let Some(stamp) = std::fs::read(self.home.join(STAMP))
            .ok()
            .and_then(|b| serde_json::from_slice::<Stamp>(&b).ok())
        else {
            return false;
        };
        if stamp.storage == "sqlite" && !self.home.join("history").join("runs.db").is_file() {
            return false;
        }
        match (
            parse_version(&stamp.dagster_version),
            parse_version(version),
        ) {
            (Some(done), Some(want)) => done >= want,
            _ => stamp.dagster_version == version,
        }
    }
}

fn parse_version(v: &str) -> Option<pep440_rs::Version> {
    v.parse().ok()
}

/// The newest of several Dagster versions (the one that prepares a shared instance).
pub(crate) fn newest<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    versions
        .into_iter()
        .filter_map(|v| parse_version(v).map(|p| (p, v)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_prepares_the_instance() {
        assert_eq!(newest(["1.12.22", "1.13.27", "1.9.0"]), Some("1.13.27"));
        assert_eq!(newest(["1.13.10", "1.13.9"]), Some("1.13.10"));
        assert_eq!(newest(Vec::<&str>::new()), None);
    }

    #[test]
    fn a_stamp_from_an_older_dagster_or_without_its_database_is_not_enough() {
        let dir = tempfile::tempdir().unwrap();
        let inst = Instance {
            home: dir.path().to_path_buf(),
            owned: false,
        };
        std::fs::write(
            dir.path().join(STAMP),
            r#"{"dagster_version":"1.12.22","storage":"sqlite"}"#,
        )
        .unwrap();
        assert!(!inst.is_prepared_for("1.12.22"), "sqlite without runs.db");
        std::fs::create_dir_all(dir.path().join("history")).unwrap();
        std::fs::write(dir.path().join("history/runs.db"), "").unwrap();
        assert!(inst.is_prepared_for("1.12.22"));
        assert!(!inst.is_prepared_for("1.13.27"));
    }
}
