//! `dg launch`: plan the selection over the whole workspace graph, then run each step as one
//! Dagster run in its location's own interpreter, all against one Dagster instance.

use super::Settings;
use super::defs::{failures_error, load, select};
use crate::config::{self, Project, Workspace};
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::graph::{AssetGraph, LocationId, NodeId};
use crate::launch::execute::{self, ExecuteOptions, StepProcess, StepStatus};
use crate::launch::plan::{self, LaunchPlan, PlanError};
use crate::manifest::extract::location_env;
use crate::python::process::Cmd;
use crate::python::scripts;
use crate::render::launch::{self as r, PlanJson, StepJson};
use clap::{Args, ValueEnum};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// Assets to materialize, in Dagster's selection syntax over the whole workspace, e.g.
    /// `+key:data_science_asset` (comma-separated pieces are united, as in real dg)
    #[arg(
        long = "assets",
        visible_alias = "asset",
        value_name = "SELECTION",
        required_unless_present = "job",
        conflicts_with = "job"
    )]
    pub assets: Option<String>,
    /// Launch this job of one location instead of an asset selection
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// The location whose job to launch, when several define one with that name
    #[arg(long, value_name = "LOCATION", requires = "job")]
    pub location: Option<String>,
    /// Partition key for the partitioned assets of the launch
    #[arg(long, value_name = "KEY")]
    pub partition: Option<String>,
    /// Run config as JSON (routed per step: `ops` by asset, `resources` by location)
    #[arg(long, value_name = "JSON", conflicts_with = "config")]
    pub config_json: Option<String>,
    /// Run config file(s), YAML or JSON; several are deep-merged, later files win on
    /// conflicts (what Dagster's own merge does)
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Dagster executor for each run
    #[arg(long, value_enum, default_value_t = Executor::InProcess)]
    pub executor: Executor,
    /// Steps to run at once [default: number of CPUs]
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Print the plan and run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan (with --dry-run) or the final report as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Executor {
    InProcess,
    Multiprocess,
}

impl Executor {
    fn as_str(self) -> &'static str {
        match self {
            Executor::InProcess => "in_process",
            Executor::Multiprocess => "multiprocess",
        }
    }
}

/// Set by the Ctrl-C / SIGTERM handler; read by the executor.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// How long interrupted runs get to record the interruption in the instance.
const INTERRUPT_GRACE: Duration = Duration::from_secs(10);

pub fn run(settings: &Settings, args: &LaunchArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    // A launch spans the workspace wherever it is started from.
    let projects: Vec<&Project> = ws.projects.iter().collect();
    let run_config = read_run_config(args)?;
    let loaded = load(settings, &ws, &projects, args.refresh, args.json)?;
    if !loaded.failures.is_empty() {
        let mut err = failures_error(&loaded.failures);
        err.problems.push(
            Problem::new("cannot plan a launch while a location fails to load")
                .hint("fix the location (see `dg check`), then launch again"),
        );
        return Err(err);
    }
    let graph = &loaded.graph;
    let plan = match (&args.assets, &args.job) {
        (Some(sel), _) => plan_selection(settings, graph, sel)?,
        (None, Some(job)) => plan_job(graph, job, args.location.as_deref())?,
        (None, None) => return Err(Error::usage("pass --assets SELECTION or --job NAME")),
    };
    check_partitions(graph, &plan, args)?;
    let home = dagster_home(&ws)?;
    let steps: Vec<StepJson> = plan.steps.iter().map(|s| step_json(graph, s)).collect();
    let jobs = args.jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let plan_json = PlanJson {
        dagster_home: home.path.display().to_string(),
        executor: args.executor.as_str().into(),
        jobs,
        partition: args.partition.clone(),
        steps,
        skipped_external: plan
            .dropped_external
            .iter()
            .map(|id| graph.key(*id).to_string())
            .collect(),
    };
    let configs = route_run_config(graph, &plan, run_config)?;
    if args.dry_run {
        if args.json {
            settings.printer.json(&plan_json);
        } else {
            settings.printer.out(&r::plan_text(&plan_json));
        }
        return Ok(());
    }

    // From here on things happen: the instance, the scripts, the runs.
    let first_alone = home.prepare()?;
    let script_dir = scripts::materialize(&ws.state_dir())?;
    let results = tempfile::Builder::new()
        .prefix("dg-rs-launch-")
        .tempdir()
        .map_err(|e| Error::failed(format!("could not create a temporary folder: {e}")))?;
    let launch_id = uuid::Uuid::new_v4().to_string();
    let processes = plan
        .steps
        .iter()
        .zip(&configs)
        .map(|(s, cfg)| {
            let project = project_of(&ws, graph, s.location)?;
            step_process(StepSpec {
                project,
                step: s,
                graph,
                script_dir: &script_dir,
                home: &home.path,
                launch_id: &launch_id,
                args,
                run_config: cfg.as_ref(),
                result_file: results.path().join(format!("step-{}.json", s.index + 1)),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let depends_on: Vec<Vec<usize>> = plan.steps.iter().map(|s| s.depends_on.clone()).collect();

    // Ctrl-C / SIGTERM / SIGHUP: stop the children, then summarise. The handler replaces an
    // inherited SIG_IGN too (a background job of a script): the children live in their own
    // process groups, so letting a signal kill only us would orphan them. Only one handler
    // per process: a second launch in the same process keeps the first, which sets the
    // same flag.
    INTERRUPTED.store(false, Ordering::SeqCst);
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));

    if !args.json {
        settings.printer.status(&format!(
            "Launching {} step{} (launch {launch_id}, DAGSTER_HOME {})",
            plan_json.steps.len(),
            if plan_json.steps.len() == 1 { "" } else { "s" },
            plan_json.dagster_home
        ));
    }
    let progress = r::LaunchProgress::new(
        &settings.printer,
        &plan_json.steps,
        settings.printer.interactive(),
    );
    let outcomes = execute::execute(
        &depends_on,
        &processes,
        ExecuteOptions {
            jobs,
            first_alone,
            interrupted: &INTERRUPTED,
            grace: INTERRUPT_GRACE,
        },
        &progress,
    );
    drop(progress);
    let interrupted = INTERRUPTED.load(Ordering::SeqCst);
    if args.json {
        settings.printer.json(&r::ReportJson {
            launch_id: &launch_id,
            dagster_home: &plan_json.dagster_home,
            interrupted,
            steps: plan_json
                .steps
                .iter()
                .zip(&outcomes)
                .map(|(step, outcome)| r::StepReportJson { step, outcome })
                .collect(),
        });
    } else {
        settings.printer.out(&r::summary(
            &launch_id,
            &plan_json.dagster_home,
            &plan_json.steps,
            &outcomes,
            interrupted,
        ));
    }
    if interrupted {
        return Err(Error {
            kind: ErrorKind::Interrupted,
            problems: vec![],
        });
    }
    if outcomes.iter().any(|o| o.status != StepStatus::Succeeded) {
        return Err(Error {
            kind: ErrorKind::Failed,
            problems: vec![],
        });
    }
    Ok(())
}

fn plan_selection(settings: &Settings, graph: &AssetGraph, text: &str) -> Result<LaunchPlan> {
    let selected = select(graph, text)?;
    let plan = plan::plan_assets(graph, &selected).map_err(|e| match e {
        PlanError::NothingSelected => {
            Error::usage(format!("the selection `{text}` matched no assets"))
                .with_hint("see the workspace's assets with `dg list assets`")
        }
        PlanError::OnlyExternal(ids) => Error::usage(format!(
            "the selection `{text}` matched only external assets ({}), which no location can materialize",
            keys(graph, &ids)
        ))
        .with_hint("external assets are produced outside Dagster: select the assets that read them"),
        PlanError::Cycle(id) => Error::usage(format!(
            "the asset graph has a cycle through {}",
            graph.describe(id)
        ))
        .with_hint("`dg check` shows the whole cycle"),
    })?;
    if !plan.dropped_external.is_empty() {
        settings.printer.warning(&Problem::new(format!(
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

fn plan_job(graph: &AssetGraph, job: &str, location: Option<&str>) -> Result<LaunchPlan> {
    let owners: Vec<LocationId> = (0..graph.locations().len())
        .map(|i| LocationId(i as u32))
        .filter(|l| {
            graph
                .location(*l)
                .manifest
                .jobs
                .iter()
                .any(|j| j.name == job)
        })
        .collect();
    let all_jobs = || {
        graph
            .locations()
            .iter()
            .flat_map(|l| {
                l.manifest
                    .jobs
                    .iter()
                    .filter(|j| !j.name.starts_with("__ASSET_JOB"))
                    .map(move |j| format!("{} ({})", j.name, l.name))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let loc = match location {
        Some(name) => {
            let Some(id) = graph.location_id(name) else {
                return Err(
                    Error::usage(format!("no location is named `{name}`")).with_hint(format!(
                        "locations: {}",
                        graph
                            .locations()
                            .iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            };
            if !owners.contains(&id) {
                return Err(Error::usage(format!(
                    "location `{name}` defines no job named `{job}`"
                ))
                .with_hint(format!("jobs: {}", all_jobs())));
            }
            id
        }
        None => match owners.as_slice() {
            [one] => *one,
            [] => {
                return Err(
                    Error::usage(format!("no location defines a job named `{job}`"))
                        .with_hint(format!("jobs: {}", all_jobs())),
                );
            }
            many => {
                return Err(Error::usage(format!(
                    "several locations define a job named `{job}`: {}",
                    many.iter()
                        .map(|l| graph.location_name(*l))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_hint("choose one with --location NAME"));
            }
        },
    };
    Ok(plan::plan_job(graph, loc, job))
}

/// `--partition` goes to the steps with partitioned assets; partitioned assets need one.
fn check_partitions(graph: &AssetGraph, plan: &LaunchPlan, args: &LaunchArgs) -> Result<()> {
    if args.job.is_some() {
        return Ok(());
    }
    let partitioned: Vec<NodeId> = plan
        .steps
        .iter()
        .filter(|s| s.partitioned)
        .flat_map(|s| s.assets.iter().copied())
        .collect();
    match (&args.partition, partitioned.is_empty()) {
        (Some(_), true) => Err(Error::usage(
            "--partition was given, but none of the selected assets is partitioned",
        )),
        (None, false) => Err(Error::usage(format!(
            "the selection includes partitioned assets ({}), but no --partition was given",
            keys(graph, &partitioned)
        ))
        .with_hint("pass --partition KEY, or leave the partitioned assets out of the selection")),
        _ => Ok(()),
    }
}

fn step_json(graph: &AssetGraph, s: &plan::Step) -> StepJson {
    let info = &graph.location(s.location).manifest.location;
    StepJson {
        step: s.index + 1,
        location: graph.location_name(s.location).to_string(),
        job: s.job.clone(),
        assets: s.assets.iter().map(|a| graph.key(*a).to_string()).collect(),
        depends_on: s.depends_on.iter().map(|d| d + 1).collect(),
        wave: s.wave,
        python: info.python_version.clone(),
        dagster_version: info.dagster_version.clone(),
    }
}

fn project_of<'a>(ws: &'a Workspace, graph: &AssetGraph, loc: LocationId) -> Result<&'a Project> {
    let name = graph.location_name(loc);
    ws.projects
        .iter()
        .find(|p| p.code_location_name == name)
        .ok_or_else(|| Error::failed(format!("no project for location `{name}`")))
}

/// The Dagster instance every run of the launch records into.
struct DagsterHome {
    path: PathBuf,
    /// Ours (`<workspace>/.dg/dagster_home`), not the user's DAGSTER_HOME.
    default: bool,
}

fn dagster_home(ws: &Workspace) -> Result<DagsterHome> {
    match std::env::var_os("DAGSTER_HOME").filter(|v| !v.is_empty()) {
        Some(v) => {
            let p = PathBuf::from(v);
            let path = if p.is_absolute() {
                p
            } else {
                std::env::current_dir()
                    .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?
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

impl DagsterHome {
    /// Creates the folder (and, for ours, a dagster.yaml with telemetry off). Returns whether
    /// the instance is a fresh sqlite one, whose first run must run alone (see
    /// [`ExecuteOptions::first_alone`]).
    fn prepare(&self) -> Result<bool> {
        std::fs::create_dir_all(&self.path).map_err(|e| Error::io("create", &self.path, &e))?;
        let yaml = self.path.join("dagster.yaml");
        if self.default && !yaml.exists() {
            std::fs::write(
                &yaml,
                "# Written by dg-rs: the workspace's persistent Dagster instance.\ntelemetry:\n  enabled: false\n",
            )
            .map_err(|e| Error::io("write", &yaml, &e))?;
        }
        let text = std::fs::read_to_string(&yaml).unwrap_or_default();
        let sqlite = !text.contains("postgres") && !text.contains("mysql");
        Ok(sqlite && !self.path.join("history").join("runs.db").exists())
    }
}

struct StepSpec<'a> {
    project: &'a Project,
    step: &'a plan::Step,
    graph: &'a AssetGraph,
    script_dir: &'a Path,
    home: &'a Path,
    launch_id: &'a str,
    args: &'a LaunchArgs,
    run_config: Option<&'a Value>,
    result_file: PathBuf,
}

fn step_process(spec: StepSpec<'_>) -> Result<StepProcess> {
    let project = spec.project;
    if !project.interpreter.exists() {
        return Err(Error::usage(format!(
            "the interpreter of location `{}` does not exist: {}",
            project.code_location_name,
            project.interpreter.path.display()
        ))
        .with_hint(format!(
            "run `dg sync {}` to create the project's environment",
            project.name
        )));
    }
    let tags = serde_json::json!({
        "dg-rs/launch_id": spec.launch_id,
        "dg-rs/step": (spec.step.index + 1).to_string(),
    });
    let mut cmd = Cmd::new(&project.interpreter.path)
        .arg(spec.script_dir.join("run_step.py"))
        .arg("--module")
        .arg(&project.code_location_target_module)
        .arg("--working-directory")
        .arg(&project.working_directory)
        .arg("--location-name")
        .arg(&project.code_location_name)
        .arg("--project-root")
        .arg(&project.root);
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
                .arg(serde_json::to_string(&keys).unwrap_or_default());
        }
    }
    if let Some(p) = &spec.args.partition
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
        .arg(spec.args.executor.as_str())
        .arg("--result")
        .arg(&spec.result_file)
        .cwd(&project.root);
    for (k, v) in location_env(project)? {
        cmd = cmd.env(k, v);
    }
    cmd = cmd.env("DAGSTER_HOME", spec.home.as_os_str());
    Ok(StepProcess {
        cmd,
        result_file: spec.result_file,
    })
}

/// `--config-json`, or the `--config` files deep-merged (later files win, as Dagster's
/// `merge_yamls` does).
fn read_run_config(args: &LaunchArgs) -> Result<Option<Value>> {
    if let Some(text) = &args.config_json {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| Error::usage(format!("--config-json is not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::usage("--config-json must be a JSON object"));
        }
        return Ok(Some(v));
    }
    let mut merged: Option<Value> = None;
    for file in &args.config {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io("read", file, &e))?;
        // YAML is a superset of JSON: one parser reads both.
        let v: Value = serde_norway::from_str(&text).map_err(|e| {
            Error::usage(format!("{} is not valid YAML: {e}", file.display()))
                .with_hint("a run config file is a YAML or JSON mapping, e.g. `ops: {my_asset: {config: {...}}}`")
        })?;
        if !v.is_object() {
            return Err(Error::usage(format!(
                "{} must contain a mapping of run config",
                file.display()
            )));
        }
        merged = Some(match merged {
            Some(m) => deep_merge(m, v),
            None => v,
        });
    }
    Ok(merged)
}

fn deep_merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => deep_merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, o) => o,
    }
}

/// Dagster's op name for an asset (`AssetKey.to_python_identifier`).
fn op_name(parts: &[String]) -> String {
    parts.join("__").replace(['-', '.'], "_")
}

/// The run config of each step. One step gets it whole; with several, `ops` entries go to the
/// step materializing that asset and `resources` entries to the steps whose location defines
/// that resource; everything else (execution, loggers) goes to every step. An entry no step
/// takes is an error rather than silently dropped.
fn route_run_config(
    graph: &AssetGraph,
    plan: &LaunchPlan,
    config: Option<Value>,
) -> Result<Vec<Option<Value>>> {
    let Some(config) = config else {
        return Ok(vec![None; plan.steps.len()]);
    };
    if plan.steps.len() == 1 {
        return Ok(vec![Some(config)]);
    }
    let Value::Object(top) = config else {
        return Ok(vec![None; plan.steps.len()]);
    };
    let mut used_ops = std::collections::BTreeSet::new();
    let mut used_resources = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for s in &plan.steps {
        let ops: Vec<String> = s
            .assets
            .iter()
            .map(|a| op_name(graph.key(*a).parts()))
            .collect();
        let resources: Vec<&str> = graph
            .location(s.location)
            .manifest
            .resources
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let mut step_cfg = Map::new();
        for (k, v) in &top {
            match (k.as_str(), v) {
                ("ops", Value::Object(entries)) => {
                    let mine: Map<String, Value> = entries
                        .iter()
                        .filter(|(name, _)| ops.contains(name))
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect();
                    used_ops.extend(mine.keys().cloned());
                    if !mine.is_empty() {
                        step_cfg.insert(k.clone(), Value::Object(mine));
                    }
                }
                ("resources", Value::Object(entries)) => {
                    let mine: Map<String, Value> = entries
                        .iter()
                        .filter(|(name, _)| resources.contains(&name.as_str()))
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect();
                    used_resources.extend(mine.keys().cloned());
                    if !mine.is_empty() {
                        step_cfg.insert(k.clone(), Value::Object(mine));
                    }
                }
                _ => {
                    step_cfg.insert(k.clone(), v.clone());
                }
            }
        }
        out.push(Some(Value::Object(step_cfg)));
    }
    let unused = |section: &str, used: &std::collections::BTreeSet<String>| -> Vec<String> {
        top.get(section)
            .and_then(Value::as_object)
            .map(|m| m.keys().filter(|k| !used.contains(*k)).cloned().collect())
            .unwrap_or_default()
    };
    let (ops, res) = (
        unused("ops", &used_ops),
        unused("resources", &used_resources),
    );
    if !ops.is_empty() || !res.is_empty() {
        let mut what = Vec::new();
        if !ops.is_empty() {
            what.push(format!("ops {}", ops.join(", ")));
        }
        if !res.is_empty() {
            what.push(format!("resources {}", res.join(", ")));
        }
        return Err(Error::usage(format!(
            "run config for {} matches no step of this launch",
            what.join(" and ")
        ))
        .with_hint(
            "with several steps, `ops` entries go to the step of the asset with that op name and `resources` entries to the locations defining that resource",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_config_files_win_on_conflicts_and_maps_merge() {
        let a = json!({"ops": {"x": {"config": {"n": 1, "m": 1}}}, "execution": {"a": 1}});
        let b = json!({"ops": {"x": {"config": {"n": 2}}, "y": {}}});
        assert_eq!(
            deep_merge(a, b),
            json!({"ops": {"x": {"config": {"n": 2, "m": 1}}, "y": {}}, "execution": {"a": 1}})
        );
    }

    #[test]
    fn op_names_follow_dagster() {
        assert_eq!(
            op_name(&["reports".into(), "regional-report".into()]),
            "reports__regional_report"
        );
    }
}
