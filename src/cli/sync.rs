//! `dg sync`: build or update each project's environment.

use super::Settings;
use crate::config::{self, Project, Workspace};
use crate::error::{Error, ErrorKind, Problem, Result};
use crate::python::env::{SyncAction, SyncOptions, SyncReport, sync_project};
use crate::render::progress::Spinners;
use clap::Args;
use std::sync::Mutex;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Projects to sync, by folder name, location name or listed path [default: the current
    /// project, or all projects at the workspace root]
    pub projects: Vec<String>,
    /// Python version (3.12) or interpreter path to build with, overriding the project's
    /// [tool.dg-rs] python and requires-python choice
    #[arg(long, value_name = "VERSION")]
    pub python: Option<String>,
    /// Rebuild even when nothing changed
    #[arg(long)]
    pub force: bool,
    /// Do not install the project's `dev` dependency group
    #[arg(long)]
    pub no_dev: bool,
    /// Print a JSON report on stdout
    #[arg(long)]
    pub json: bool,
}

/// Projects named on the command line, or the command's default scope.
pub fn select_projects<'w>(ws: &'w Workspace, names: &[String]) -> Result<Vec<&'w Project>> {
    if names.is_empty() {
        return Ok(ws.scoped_projects());
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for n in names {
        let n = n.trim_end_matches('/');
        match ws
            .projects
            .iter()
            .find(|p| p.name == n || p.code_location_name == n || p.listed_path == n)
        {
            Some(p) => out.push(p),
            None => {
                let known: Vec<&str> = ws.projects.iter().map(|p| p.name.as_str()).collect();
                problems.push(
                    Problem::new(format!("no project named `{n}` in this workspace"))
                        .hint(format!("projects: {}", known.join(", "))),
                )
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::config(problems))
    }
}

pub fn run(settings: &Settings, args: &SyncArgs) -> Result<()> {
    let ws = config::discover(&settings.target)?;
    let projects = select_projects(&ws, &args.projects)?;
    let opts = SyncOptions {
        python: args.python.clone(),
        force: args.force,
        no_dev: args.no_dev,
    };
    let spinners = (settings.printer.interactive() && !args.json).then(|| Spinners::new("syncing"));
    let results: Mutex<Vec<(usize, Result<SyncReport>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for (i, p) in projects.iter().enumerate() {
            let (results, spinners, opts) = (&results, &spinners, &opts);
            s.spawn(move || {
                if let Some(sp) = spinners {
                    sp.start(&p.name);
                }
                let r = sync_project(p, opts);
                if let Some(sp) = spinners {
                    sp.finish(&p.name);
                }
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut reports = Vec::new();
    let mut problems = Vec::new();
    for (_, r) in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err(e) => problems.extend(e.problems),
        }
    }
    if args.json {
        settings.printer.json(&serde_json::json!({
            "projects": reports,
            "errors": problems.iter().map(|p| serde_json::json!({"message": p.message, "hint": p.hint})).collect::<Vec<_>>(),
        }));
    } else {
        for r in &reports {
            settings.printer.status(&report_line(r));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error {
            kind: ErrorKind::Failed,
            problems: if args.json { Vec::new() } else { problems },
        })
    }
}

/// One line per project: what was done, where, how long, with what, and why that Python.
pub fn report_line(r: &SyncReport) -> String {
    let python = r.python_version.as_deref().unwrap_or("?");
    let verb = match r.action {
        SyncAction::UpToDate => return format!("{}: up to date (Python {python})", r.project),
        SyncAction::Created => "created",
        SyncAction::Recreated => "recreated",
        SyncAction::Updated => "updated",
    };
    format!(
        "{}: {verb} {} in {:.1} s with {}; {}",
        r.project,
        crate::render::display_path(&r.venv),
        r.seconds,
        r.installer
            .map(|i| format!("{i:?}").to_lowercase())
            .unwrap_or_default(),
        r.reason
    )
}
