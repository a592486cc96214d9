//! The command line of one launch step: `run_step.py` in the location's own interpreter,
//! with the step's assets (or job), partition, run config, tags and executor, against the
//! launch's Dagster instance.

use super::Executor;
use super::execute::StepProcess;
use super::plan::Step;
use crate::config::Project;
use crate::error::Result;
use crate::graph::AssetGraph;
use crate::manifest::extract::location_command;
use crate::python::scripts::Script;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub(super) struct StepSpec<'a> {
    pub(super) project: &'a Project,
    pub(super) step: &'a Step,
    pub(super) graph: &'a AssetGraph,
    pub(super) script_dir: &'a Path,
    pub(super) home: &'a Path,
    pub(super) launch_id: &'a str,
    pub(super) executor: Executor,
    pub(super) partition: Option<&'a str>,
    pub(super) run_config: Option<&'a Value>,
    pub(super) result_file: PathBuf,
    pub(super) path: Option<&'a std::ffi::OsStr>,
}

pub(super) fn process(spec: StepSpec<'_>) -> Result<StepProcess> {
    let tags = serde_json::json!({
        "dg-rs/launch_id": spec.launch_id,
        "dg-rs/step": (spec.step.index + 1).to_string(),
    });
    let mut cmd = location_command(spec.project, spec.script_dir, Script::RunStep, spec.path)?;
    match &spec.step.job {
        Some(job) => cmd = cmd.arg("--job").arg(job),
        None => {
            let keys: Vec<&[String]> = spec
                .step
                .assets
                .iter()
                .map(|a| spec.graph.key(*a).parts())
                .collect();
            cmd = cmd
                .arg("--assets-json")
                .arg(serde_json::to_string(&keys).expect("keys serialize"));
        }
    }
    if let Some(p) = spec.partition
        && (spec.step.partitioned || spec.step.job.is_some())
    {
        cmd = cmd.arg("--partition").arg(p);
    }
    if let Some(cfg) = spec.run_config {
        cmd = cmd.arg("--run-config-json").arg(cfg.to_string());
    }
    cmd = cmd
        .arg("--tags-json")
        .arg(tags.to_string())
        .arg("--executor")
        .arg(spec.executor.as_str())
        .arg("--result")
        .arg(&spec.result_file)
        .env("DAGSTER_HOME", spec.home.as_os_str());
    let finalize = crate::manifest::extract::location_python(spec.project, spec.path)?
        .arg(spec.script_dir.join(Script::Instance.file_name()))
        .env("DAGSTER_HOME", spec.home.as_os_str());
    Ok(StepProcess {
        cmd,
        result_file: spec.result_file,
        finalize: Some(finalize),
    })
}
