//! `dg launch` across code locations: [`plan`] turns a selection on the workspace graph into
//! ordered steps (one Dagster run each, in one location); [`schedule`] decides, step by step,
//! what may start; [`execute`] runs the steps' processes with each location's own interpreter
//! against ONE Dagster instance. Nothing here prints: progress goes to a
//! [`execute::LaunchObserver`], results come back as values.

mod error;
pub(crate) mod execute;
pub(crate) mod plan;
pub(crate) mod remote;
pub(crate) mod run_config;
pub(crate) mod schedule;
mod step;

use crate::access::hooks::{Authorized, LaunchScope};
use crate::error::{Error, Problem, Result};
use crate::graph::{AssetGraph, NodeId};
use crate::instance::{Instance, InstancePython};
use crate::manifest::extract::location_python;
use crate::python::scripts;
use crate::settings::Settings;
use crate::workspace::Loaded;
pub(crate) use error::LaunchError;
use execute::{ExecuteOptions, StepOutcome, StepStatus};
use plan::{LaunchPlan, PlanError};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// How long interrupted runs get to record the interruption in the instance (a second
/// interrupt ends it at once).
const INTERRUPT_GRACE: Duration = Duration::from_secs(10);

/// What to launch.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// An asset selection over the whole workspace graph.
    Assets(String),
    /// A job of one location (`location` when several define one with that name).
    Job {
        name: String,
        location: Option<String>,
    },
}

/// The Dagster executor of each run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Executor {
    InProcess,
    Multiprocess,
}

impl Executor {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Executor::InProcess => "in_process",
            Executor::Multiprocess => "multiprocess",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct LaunchRequest {
    pub(crate) target: Target,
    pub(crate) partition: Option<String>,
    /// `--config-json`.
    pub(crate) config_json: Option<String>,
    /// `--config` files, deep-merged (later files win).
    pub(crate) config_files: Vec<PathBuf>,
    pub(crate) executor: Executor,
    /// Steps at once (default: the number of cores).
    pub(crate) jobs: Option<usize>,
    /// What changed in the branch, for `changed_in_branch:` in the selection.
    pub(crate) changes: Option<crate::graph::changes::BranchChanges>,
}

/// A launch ready to run: the plan, each step's run config, the instance, and what the user
/// should be told before it starts.
pub(crate) struct Prepared {
    pub(crate) plan: LaunchPlan,
    pub(crate) configs: Vec<Option<Value>>,
    pub(crate) instance: Instance,
    pub(crate) jobs: usize,
    pub(crate) executor: Executor,
    pub(crate) partition: Option<String>,
    pub(crate) warnings: Vec<Problem>,
}

impl LaunchScope for Prepared {
    fn locations<'g>(&self, graph: &'g AssetGraph) -> Vec<&'g str> {
        let mut ids: Vec<_> = self.plan.steps.iter().map(|s| s.location).collect();
        ids.sort();
        ids.dedup();
        ids.into_iter().map(|l| graph.location_name(l)).collect()
    }
}

/// How a launch that ran ended.
pub(crate) struct LaunchReport {
    pub(crate) launch_id: String,
    pub(crate) outcomes: Vec<StepOutcome>,
    pub(crate) interrupted: bool,
}

impl LaunchReport {
    /// The error the command ends with, if any (the summary says why).
    pub(crate) fn verdict(&self) -> Result<()> {
        if self.interrupted {
            return Err(Error::interrupted());
        }
        if self
            .outcomes
            .iter()
            .any(|o| o.status != StepStatus::Succeeded)
        {
            return Err(Error::silent_failure());
        }
        Ok(())
    }
}

/// Plans a launch on the loaded workspace. Nothing runs and nothing is written.
pub(crate) fn prepare(
    settings: &Settings,
    loaded: &Loaded,
    request: &LaunchRequest,
) -> Result<Prepared> {
    let run_config = run_config::read(request.config_json.as_deref(), &request.config_files)?;
    let graph = &loaded.graph;
    let mut warnings = Vec::new();
    let plan = match &request.target {
        Target::Assets(text) => {
            plan_selection(graph, text, request.changes.as_ref(), &mut warnings)?
        }
        Target::Job { name, location } => plan::resolve_job(graph, name, location.as_deref())?,
    };
    if !loaded.failures.is_empty() {
        warnings.push(launch_despite_failures(settings, loaded, &plan)?);
    }
    check_partitions(graph, &plan, request)?;
    for step in &plan.steps {
        let name = graph.location_name(step.location);
        let project = loaded
            .project(name)
            .ok_or_else(|| LaunchError::NoProject(name.to_string()))?;
        if !project.interpreter.exists() {
            return Err(LaunchError::MissingInterpreter {
                location: project.code_location_name.clone(),
                path: project.interpreter.path.clone(),
                project: project.name.clone(),
            }
            .into());
        }
    }
    let configs = run_config::route(graph, &plan, run_config)?;
    Ok(Prepared {
        configs,
        instance: Instance::resolve(settings, &loaded.ws),
        jobs: request.jobs.unwrap_or_else(crate::parallel::workers).max(1),
        executor: request.executor,
        partition: request.partition.clone(),
        warnings,
        plan,
    })
}

/// Runs a prepared launch the access policy allowed: prepares the instance once, then every
/// step as one Dagster run in its location's interpreter, reporting progress to `observer`.
pub(crate) fn run(
    settings: &Settings,
    loaded: &Loaded,
    prepared: &Authorized<Prepared>,
    launch_id: &str,
    observer: &dyn execute::LaunchObserver,
) -> Result<LaunchReport> {
    let graph = &loaded.graph;
    let script_dir = scripts::materialize(&loaded.cache_root)?;
    prepare_instance(settings, loaded, prepared, &script_dir)?;
    let results = tempfile::Builder::new()
        .prefix("dg-rs-launch-")
        .tempdir()
        .map_err(LaunchError::TempDir)?;
    let processes = prepared
        .plan
        .steps
        .iter()
        .zip(&prepared.configs)
        .map(|(s, cfg)| {
            let project = loaded
                .project(graph.location_name(s.location))
                .expect("checked when prepared");
            step::process(step::StepSpec {
                project,
                step: s,
                graph,
                script_dir: &script_dir,
                home: &prepared.instance.home,
                launch_id,
                executor: prepared.executor,
                partition: prepared.partition.as_deref(),
                run_config: cfg.as_ref(),
                result_file: results.path().join(format!("step-{}.json", s.index + 1)),
                path: settings.path.as_deref(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let depends_on: Vec<Vec<usize>> = prepared
        .plan
        .steps
        .iter()
        .map(|s| s.depends_on.clone())
        .collect();
    let outcomes = execute::execute(
        &depends_on,
        &processes,
        ExecuteOptions {
            jobs: prepared.jobs,
            interrupts: &crate::process::interrupt::count,
            grace: INTERRUPT_GRACE,
        },
        observer,
    );
    Ok(LaunchReport {
        launch_id: launch_id.to_string(),
        outcomes,
        interrupted: crate::process::interrupt::requested(),
    })
}

/// Creates or migrates the instance once, with the newest Dagster among the locations the
/// plan runs in (Dagster's rule: the schema is written by the newest version).
fn prepare_instance(
    settings: &Settings,
    loaded: &Loaded,
    prepared: &Prepared,
    script_dir: &std::path::Path,
) -> Result<()> {
    let graph = &loaded.graph;
    let versions: Vec<&str> = prepared
        .plan
        .steps
        .iter()
        .map(|s| {
            graph
                .location(s.location)
                .manifest
                .location
                .dagster_version
                .as_str()
        })
        .collect();
    let Some(newest) = crate::instance::newest(versions.iter().copied()) else {
        return Ok(());
    };
    let step = prepared
        .plan
        .steps
        .iter()
        .find(|s| graph.location(s.location).manifest.location.dagster_version == newest)
        .expect("the newest version is one of the steps'");
    let project = loaded
        .project(graph.location_name(step.location))
        .expect("checked when prepared");
    let cmd = location_python(project, settings.path.as_deref())?;
    prepared.instance.prepare(
        &InstancePython {
            cmd,
            dagster_version: newest.to_string(),
        },
        script_dir,
    )?;
    Ok(())
}

/// A location that failed to load does not block a launch that cannot involve it: nothing
/// the plan runs may depend (directly, or through unselected assets) on an asset that no
/// loaded location defines, since the broken location might define it. Otherwise the launch
/// is refused, naming those assets.
fn launch_despite_failures(
    settings: &Settings,
    loaded: &Loaded,
    plan: &LaunchPlan,
) -> Result<Problem> {
    let graph = &loaded.graph;
    let broken: Vec<&str> = loaded
        .failures
        .iter()
        .map(|f| f.location.as_str())
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo: Vec<NodeId> = plan
        .steps
        .iter()
        .flat_map(|s| s.assets.iter().copied())
        .collect();
    let mut unknown = Vec::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if graph.node(id).owner.is_none() {
            unknown.push(id);
            continue;
        }
        todo.extend(graph.upstream(id));
    }
    unknown.sort();
    if !unknown.is_empty() {
        return Err(LaunchError::DependsOnFailedLocations {
            keys: keys(graph, &unknown),
            broken: broken.join(", "),
            failures: loaded.failures.clone(),
            verbose: settings.verbose,
        }
        .into());
    }
    Ok(Problem::new(format!(
        "{} failed to load; launching anyway: nothing in this launch depends on an asset it could define (its own assets are not part of this launch, even where the selection reaches downstream)",
        broken
            .iter()
            .map(|b| format!("location `{b}`"))
            .collect::<Vec<_>>()
            .join(" and ")
    )))
}

fn plan_selection(
    graph: &AssetGraph,
    text: &str,
    changes: Option<&crate::graph::changes::BranchChanges>,
    warnings: &mut Vec<Problem>,
) -> Result<LaunchPlan> {
    let selected = crate::graph::select_with_changes(graph, text, changes)?;
    let plan = plan::plan_assets(graph, &selected).map_err(|e| match e {
        PlanError::NothingSelected => LaunchError::NothingSelected(text.to_string()),
        PlanError::OnlyExternal(ids) => LaunchError::OnlyExternal {
            text: text.to_string(),
            keys: keys(graph, &ids),
        },
        PlanError::Cycle(id) => LaunchError::Cycle(graph.describe(id)),
    })?;
    if !plan.dropped_external.is_empty() {
        warnings.push(Problem::new(format!(
            "not launching {} (external: no location can materialize {})",
            keys(graph, &plan.dropped_external),
            if plan.dropped_external.len() == 1 {
                "it"
            } else {
                "them"
            }
        )));
    }
    Ok(plan)
}

fn keys(graph: &AssetGraph, ids: &[NodeId]) -> String {
    ids.iter()
        .map(|id| graph.key(*id).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--partition` goes to the steps with partitioned assets; partitioned assets need one.
fn check_partitions(
    graph: &AssetGraph,
    plan: &LaunchPlan,
    request: &LaunchRequest,
) -> Result<(), LaunchError> {
    if matches!(request.target, Target::Job { .. }) {
        return Ok(());
    }
    let partitioned: Vec<NodeId> = plan
        .steps
        .iter()
        .filter(|s| s.partitioned)
        .flat_map(|s| s.assets.iter().copied())
        .collect();
    match (&request.partition, partitioned.is_empty()) {
        (Some(_), true) => Err(LaunchError::PartitionNotApplicable),
        (None, false) => Err(LaunchError::PartitionMissing(keys(graph, &partitioned))),
        _ => Ok(()),
    }
}
