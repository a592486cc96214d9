//! `dg deploy compose|helm`: generate the production topology from the workspace, or with
//! `--check` tell whether the files on disk are still in step with it.

use super::Ctx;
use crate::deploy::{self, DeployOptions, SyncOutcome, Target};
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::render::deploy as r;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub(super) enum DeployCommand {
    /// Docker Compose on one machine: Postgres, one code server per location built from its
    /// own Dockerfile, the webserver and the daemon; runs start in their location's image
    Compose(ComposeArgs),
    /// The official Helm chart on Kubernetes: values for `dagster/dagster` (one user
    /// deployment per location, the K8s run launcher) and a script that builds every image
    Helm(HelmArgs),
}

#[derive(Debug, Args)]
pub(super) struct DeployArgs {
    /// Folder for the target's files [default: deployments/compose or deployments/helm]
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Do not write: exit 1 unless every generated file on disk is in step with the workspace
    #[arg(long, conflicts_with = "force")]
    check: bool,
    /// Overwrite generated files that were edited by hand
    #[arg(long)]
    force: bool,
    /// Image registry prefix; images are named REGISTRY/LOCATION:TAG
    #[arg(long, value_name = "REGISTRY")]
    registry: Option<String>,
    /// Tag of every image
    #[arg(long, default_value = "latest")]
    tag: String,
    /// gRPC port of the first location; the others count up in workspace order
    #[arg(long, value_name = "PORT", default_value_t = deploy::DEFAULT_BASE_PORT)]
    grpc_base_port: u16,
}

#[derive(Debug, Args)]
pub(super) struct ComposeArgs {
    #[command(flatten)]
    common: DeployArgs,
    /// Put dg-rs's authorizing proxy (the workspace's [access] policy) in front of the
    /// webserver, which then listens on loopback behind it
    #[arg(long)]
    access: bool,
}

#[derive(Debug, Args)]
pub(super) struct HelmArgs {
    #[command(flatten)]
    common: DeployArgs,
    /// An external PostgreSQL host (production); without it the chart runs its own
    #[arg(long, value_name = "HOST")]
    postgres_host: Option<String>,
}

pub(super) fn run(ctx: &Ctx, cmd: &DeployCommand) -> Result<()> {
    let (target, args, postgres_host, access) = match cmd {
        DeployCommand::Compose(c) => (Target::Compose, &c.common, None, c.access),
        DeployCommand::Helm(h) => (Target::Helm, &h.common, h.postgres_host.clone(), false),
    };
    let ws = crate::workspace::discover(&ctx.settings)?;
    let output = match &args.output {
        Some(p) => ctx.settings.cwd.join(p),
        None => ws.root.join(target.default_output()),
    };
    let opts = DeployOptions {
        target,
        output,
        registry: args.registry.clone(),
        tag: args.tag.clone(),
        base_port: args.grpc_base_port,
        postgres_host,
        access,
    };
    let generated = deploy::generate(&ws, &opts)?;
    let changes = deploy::plan(generated.artifacts.clone())?;
    if args.check {
        ctx.printer.out(&r::check(&ws.root, target, &changes));
        let bad = changes
            .iter()
            .filter(|c| c.state != deploy::FileState::InStep)
            .count();
        if bad == 0 {
            return Ok(());
        }
        return Err(Error::failed(format!(
            "{bad} of {} generated files are not in step with the workspace",
            changes.len()
        ))
        .with_hint(format!(
            "run `dg deploy {}` to regenerate them (files edited by hand need --force)",
            target.as_str()
        )));
    }
    match deploy::write(&changes, args.force)? {
        SyncOutcome::Written(_) => {
            ctx.printer
                .out(&r::written(&ws.root, target, &generated, &changes));
            Ok(())
        }
        SyncOutcome::Refused(paths) => {
            ctx.printer.out(&r::refused(&ws.root, &changes));
            let listed: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let problems = vec![Problem::new(format!(
                "{} generated file{} edited by hand, so nothing was written: {}",
                paths.len(),
                if paths.len() == 1 { " was" } else { "s were" },
                listed.join(", ")
            ))];
            let hint = "the diff above shows what would change: merge it into the workspace (or keep your edit), or pass --force to overwrite";
            Err(Error {
                kind: ErrorKind::Usage,
                problems,
            }
            .with_hint(hint))
        }
    }
}
