//! `dg launch`: the selection (or job) over the whole workspace graph, planned and run as
//! one Dagster run per step in each location's own interpreter, in one instance.

use super::{Ctx, RefreshFlag};
use crate::access::hooks::{Authorized, LaunchCheck};
use crate::error::Result;
use crate::launch::{self, Executor, LaunchRequest, Prepared, Target};
use crate::render::launch as r;
use crate::workspace::Which;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub(super) struct LaunchArgs {
    /// Assets to materialize, in Dagster's selection syntax over the whole workspace, e.g.
    /// `+key:data_science_asset` (comma-separated pieces are united, as in real dg)
    #[arg(
        long = "assets",
        visible_alias = "asset",
        value_name = "SELECTION",
        required_unless_present = "job",
        conflicts_with = "job"
    )]
    assets: Option<String>,
    /// Launch this job of one location instead of an asset selection
    #[arg(long, value_name = "NAME")]
    job: Option<String>,
    /// The location whose job to launch, when several define one with that name
    #[arg(long, value_name = "LOCATION", requires = "job")]
    location: Option<String>,
    /// Partition key for the partitioned assets of the launch
    #[arg(long, value_name = "KEY")]
    partition: Option<String>,
    /// Run config as JSON (routed per step: `ops` by asset, `resources` by location)
    #[arg(long, value_name = "JSON", conflicts_with = "config")]
    config_json: Option<String>,
    /// Run config file(s), YAML or JSON; several are deep-merged, later files win on
    /// conflicts (what Dagster's own merge does)
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Vec<PathBuf>,
    /// Dagster executor for each run
    #[arg(long, value_enum, default_value_t = ExecutorArg::InProcess)]
    executor: ExecutorArg,
    /// Steps to run at once [default: number of CPUs]
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Print the plan and run nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the plan (with --dry-run) or the final report as JSON on stdout
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report to FILE: a test case per step
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    refresh: RefreshFlag,
    #[command(flatten)]
    compare: super::compare::CompareArgs,
    /// Submit each step to the Dagster webserver at URL (a deployment, or `dg dev`) instead
    /// of running it here; dependent steps are submitted when their runs have succeeded
    #[arg(long, value_name = "URL")]
    remote: Option<String>,
    /// Bearer token for --remote (a webserver behind the access proxy)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "DG_RS_REMOTE_TOKEN",
        hide_env_values = true,
        requires = "remote"
    )]
    token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExecutorArg {
    InProcess,
    Multiprocess,
}

pub(super) fn run(ctx: &Ctx, args: &LaunchArgs) -> Result<()> {
    // A launch spans the workspace wherever it is started from.
    let (loaded, state) =
        super::compare::load(ctx, Which::All, args.refresh, args.json, &args.compare)?;
    let changes = match &args.assets {
        Some(sel) => {
            super::compare::branch_changes(ctx, &loaded, sel, &args.compare, state.as_ref())?
        }
        None => None,
    };
    let request = LaunchRequest {
        target: match (&args.assets, &args.job) {
            (Some(sel), _) => Target::Assets(sel.clone()),
            (None, Some(job)) => Target::Job {
                name: job.clone(),
                location: args.location.clone(),
            },
            (None, None) => unreachable!("clap requires --assets or --job"),
        },
        partition: args.partition.clone(),
        config_json: args.config_json.clone(),
        config_files: args.config.clone(),
        executor: match args.executor {
            ExecutorArg::InProcess => Executor::InProcess,
            ExecutorArg::Multiprocess => Executor::Multiprocess,
        },
        jobs: args.jobs.map(usize::from),
        changes,
    };
    let prepared = launch::prepare(&ctx.settings, &loaded, &request)?;
    for w in &prepared.warnings {
        ctx.printer.warning(w);
    }
    let mut plan = r::plan_json(&loaded.graph, &prepared);
    if let Some(url) = &args.remote {
        plan.dagster_home = format!("{url} (remote)");
    }
    let check = crate::access::hooks::check_launch(&ctx.settings, &loaded, prepared)?;
    if args.dry_run {
        if args.json {
            ctx.printer.json(&plan);
        } else {
            ctx.printer.out(&r::plan_text(&plan));
        }
        return enforce(ctx, check).map(drop);
    }
    let prepared = enforce(ctx, check)?;
    let launch_id = uuid::Uuid::new_v4().to_string();
    if !args.json {
        ctx.printer.status(&r::starting(&plan, &launch_id));
    }
    let progress = r::LaunchProgress::new(&ctx.printer, &plan.steps, ctx.printer.interactive());
    let report = match &args.remote {
        Some(url) => {
            let token = args.token.clone();
            launch::remote::run(&loaded.graph, &prepared, url, token, &launch_id, &progress)?
        }
        None => launch::run(&ctx.settings, &loaded, &prepared, &launch_id, &progress)?,
    };
    drop(progress);
    if let Some(path) = &args.junit {
        let xml = crate::render::ci::launch_junit(&plan.steps, &report.outcomes);
        crate::fs::write_atomic(path, xml.as_bytes())?;
    }
    if args.json {
        ctx.printer.json(&r::report_json(&plan, &report));
    } else {
        ctx.printer.out(&r::summary(
            &report.launch_id,
            &plan.dagster_home,
            &plan.steps,
            &report.outcomes,
            report.interrupted,
        ));
    }
    report.verdict()
}

/// Says the access verdict (when a policy is enforced); the launch when it is allowed, else
/// the refusal (exit 3) when the person may not launch in every location the plan touches.
fn enforce(ctx: &Ctx, check: LaunchCheck<Prepared>) -> Result<Authorized<Prepared>> {
    if let Some(line) = crate::render::access::launch_verdict_line(&check.verdict) {
        ctx.printer.status(&line);
    }
    Ok(check.authorized()?)
}
