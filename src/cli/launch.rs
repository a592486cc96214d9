//! `dg launch`: plan the selection over the whole workspace graph, then run each step as one
//! Dagster run in its location's own interpreter, all against one Dagster instance.

use super::Settings;
use super::defs::{failures_error, load_with_state};
use crate::config::{self, Project, Workspace};
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::graph::{AssetGraph, LocationId, NodeId};
use crate::launch::execute::{self, ExecuteOptions, StepProcess, StepStatus};
use crate::launch::home::DagsterHome;
use crate::launch::plan::{self, LaunchPlan, PlanError};
use crate::launch::run_config;
use crate::manifest::extract::location_env;
use crate::python::process::Cmd;
use crate::python::scripts;
use crate::render::launch::{self as r, PlanJson, StepJson};
use clap::{Args, ValueEnum};
use serde_json::Value;
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
    /// Also write a JUnit XML report to FILE: a test case per step
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub junit: Option<PathBuf>,
    /// Load every location again even when its cached manifest is fresh
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub compare: super::affected::CompareArgs,
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
    let run_config = run_config::read(args.config_json.as_deref(), &args.config)?;
    let state = args.compare.read_state()?;
    let (loaded, _) = load_with_state(
        settings,
        &ws,
        &projects,
        args.refresh,
        args.json,
        state.as_ref(),
    )?;
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
        (Some(sel), _) => {
            let selected =
                super::affected::select(&ws, &loaded, sel, &args.compare, state.as_ref())?;
            plan_selection(settings, graph, sel, &selected)?
        }
        (None, Some(job)) => plan::resolve_job(graph, job, args.location.as_deref())?,
        (None, None) => return Err(Error::usage("pass --assets SELECTION or --job NAME")),
    };
    check_partitions(graph, &plan, args)?;
    let home = DagsterHome::resolve(&ws)?;
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
    let configs = run_config::route(graph, &plan, run_config)?;
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
    if let Some(path) = &args.junit {
        let xml = crate::render::ci::launch_junit(&plan_json.steps, &outcomes);
        crate::manifest::cache::write_atomic(path, xml.as_bytes())?;
    }
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

fn plan_selection(
    settings: &Settings,
    graph: &AssetGraph,
    text: &str,
    selected: &std::collections::BTreeSet<NodeId>,
) -> Result<LaunchPlan> {
    let plan = plan::plan_assets(graph, selected).map_err(|e| match e {
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
