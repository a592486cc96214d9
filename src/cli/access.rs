//! `dg access explain|codeowners` (and the hidden `dg access proxy`), plus the small hooks
//! `dg check`, `dg launch` and `dg list assets` call: each loads the workspace's policy and
//! hands one verdict back.

use super::Ctx;
use crate::access::identity::{Person, PersonSource};
use crate::access::proxy;
use crate::access::{AccessError, AccessPolicy, codeowners};
use crate::config::Workspace;
use crate::error::Result;
use crate::render::access as r;
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Show a person's role in every code location and the rules that give it
    /// [default person: DG_RS_USER, else git user.email, else the OS user]
    Explain(ExplainArgs),
    /// Write a CODEOWNERS file giving each location's editors its project folder
    Codeowners(CodeownersArgs),
    /// Run the authorizing proxy in front of a Dagster webserver (used by `dg dev --access`)
    #[command(hide = true)]
    Proxy(ProxyArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The person (an email address)
    pub person: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CodeownersArgs {
    /// Write the file here (e.g. .github/CODEOWNERS) instead of printing it
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on (port 0 picks a free port, printed on stderr)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The Dagster webserver's address (it must listen on loopback only)
    #[arg(long, value_name = "ADDR")]
    pub upstream: SocketAddr,
    /// The webserver's --path-prefix, if it has one
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub path_prefix: String,
}

pub(super) fn run(ctx: &Ctx, cmd: &AccessCommand) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let policy = crate::access::load(&ws)?;
    match cmd {
        AccessCommand::Explain(args) => explain(ctx, &ws, &policy, args),
        AccessCommand::Codeowners(args) => codeowners_file(ctx, &ws, &policy, args),
        AccessCommand::Proxy(args) => serve(ctx, &ws, args),
    }
}

fn explain(ctx: &Ctx, ws: &Workspace, policy: &AccessPolicy, args: &ExplainArgs) -> Result<()> {
    let person = match &args.person {
        Some(p) => Person::new(p, PersonSource::Argument),
        None => crate::access::hooks::current_person(&ctx.settings, ws),
    };
    let roles = policy.roles.as_ref();
    let effective: Vec<_> = roles
        .map(|r| {
            policy
                .locations
                .iter()
                .map(|l| r.effective(&person.id, l))
                .collect()
        })
        .unwrap_or_default();
    let teams = roles.map(|r| r.teams_of(&person.id)).unwrap_or_default();
    let file = roles.map(|r| r.file.as_path());
    let json = r::explain_json(&person, teams, &effective, file);
    if args.json {
        ctx.printer.json(&json);
    } else {
        ctx.printer.out(&r::explain_text(&json, file));
    }
    Ok(())
}

fn codeowners_file(
    ctx: &Ctx,
    ws: &Workspace,
    policy: &AccessPolicy,
    args: &CodeownersArgs,
) -> Result<()> {
    let Some(roles) = &policy.roles else {
        return Err(AccessError::NoPolicy {
            file: ws.root.join("dg-rs.toml"),
        }
        .into());
    };
    let repo = codeowners::repository_root(&ws.root);
    let projects: Vec<(String, PathBuf)> = ws
        .projects
        .iter()
        .map(|p| (p.code_location_name.clone(), p.root.clone()))
        .collect();
    let files = [ws.config_file.clone(), roles.file.clone()];
    let text = codeowners::render(roles, &repo, &projects, &files);
    match &args.output {
        None => ctx.printer.out(&text),
        Some(path) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                ctx.settings.cwd.join(path)
            };
            crate::fs::write_atomic(&path, text.as_bytes())?;
            ctx.printer.status(&format!(
                "Wrote {} ({} locations)",
                ctx.settings.display(&path),
                projects.len()
            ));
        }
    }
    Ok(())
}

fn serve(ctx: &Ctx, ws: &Workspace, args: &ProxyArgs) -> Result<()> {
    let config = crate::access::proxy_config(ws, args.upstream, &args.path_prefix)?;
    let listener = proxy::bind(args.listen)?;
    let log = Arc::new(r::ProxyLog {
        printer: ctx.printer.clone(),
    });
    Ok(proxy::serve(
        config,
        listener,
        log,
        Arc::new(crate::process::interrupt::requested),
    )?)
}
