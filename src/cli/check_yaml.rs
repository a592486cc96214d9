//! `dg check yaml [PATHS...]`: every component file of the locations in scope checked
//! against its component type (see `defs_yaml`); `--watch` checks again on every change.

use super::Ctx;
use crate::config::{Project, Workspace};
use crate::defs_yaml::run::{YamlReport, run};
use crate::error::{Error, Result};
use crate::manifest::extract::LoadOptions;
use crate::render::defs_yaml as report;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args, Clone)]
pub(super) struct YamlArgs {
    /// Component files or folders to check [default: every one of the current project, or
    /// of every location at the workspace root]
    paths: Vec<PathBuf>,
    /// Check again whenever a component file or a location's code changes (Ctrl-C stops)
    #[arg(long)]
    watch: bool,
    /// Print a JSON report on stdout (the same as --format json)
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Output format: the human report, JSON, or GitHub Actions annotations (on each
    /// problem's file and line) followed by the human report
    #[arg(long, value_enum)]
    format: Option<super::check::CheckFormat>,
    /// Also write a JUnit XML report to FILE (a test case per component file)
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    refresh: super::RefreshFlag,
}

/// The locations to check and the paths within them (canonical).
fn scope<'w>(
    ctx: &Ctx,
    ws: &'w Workspace,
    args: &YamlArgs,
) -> Result<(Vec<&'w Project>, Vec<PathBuf>)> {
    let mut paths = Vec::new();
    for p in &args.paths {
        let full = ctx.settings.cwd.join(p);
        let canon = std::fs::canonicalize(&full).map_err(|_| {
            Error::usage(format!("{}: no such file or folder", p.display())).with_hint(
                "give component files (defs.yaml) or folders below a project's defs folder",
            )
        })?;
        paths.push(canon);
    }
    if paths.is_empty() {
        return Ok((
            ws.current
                .map_or_else(|| ws.projects.iter().collect(), |i| vec![&ws.projects[i]]),
            paths,
        ));
    }
    let projects: Vec<&Project> = ws
        .projects
        .iter()
        .filter(|proj| {
            let defs =
                std::fs::canonicalize(proj.defs_folder()).unwrap_or_else(|_| proj.defs_folder());
            paths
                .iter()
                .any(|p| p.starts_with(&defs) || defs.starts_with(p))
        })
        .collect();
    if projects.is_empty() {
        return Err(Error::usage("none of the given paths is in a location's defs folder").with_hint(
            "give component files (defs.yaml) or folders below a project's defs folder (src/<package>/defs)",
        ));
    }
    Ok((projects, paths))
}

pub(super) fn run_check(ctx: &Ctx, args: &YamlArgs) -> Result<()> {
    let ws = crate::workspace::discover(&ctx.settings)?;
    let (projects, paths) = scope(ctx, &ws, args)?;
    let cache_root = cache_root(ctx, &ws);
    let once = |refresh: bool| {
        let opts = LoadOptions::from_settings(&ctx.settings, refresh);
        let r = run(&projects, &paths, &cache_root, &opts);
        show(ctx, &ws, args, &r).map(|()| r)
    };
    if !args.watch {
        let r = once(args.refresh.refresh)?;
        return if r.ok() {
            Ok(())
        } else {
            Err(Error::silent_failure())
        };
    }
    crate::process::interrupt::install();
    let mut seen = stamp(&projects);
    once(args.refresh.refresh)?;
    ctx.printer.status("Watching for changes (Ctrl-C stops)…");
    while !crate::process::interrupt::requested() {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = stamp(&projects);
        if now != seen {
            seen = now;
            once(false)?;
        }
    }
    Ok(())
}

/// The cache folder, saying so when it is not the usual one.
fn cache_root(ctx: &Ctx, ws: &Workspace) -> PathBuf {
    let mut notes = Vec::new();
    let root = crate::workspace::cache_root(&ctx.settings, ws, &mut notes);
    for note in &notes {
        ctx.printer.status(note);
    }
    root
}

/// What a change to the checked locations would alter: each component file's and Python
/// module's path, size and modification time, and the project files (a polling watch:
/// cheap at this scale and the same on every platform).
fn stamp(projects: &[&Project]) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    for p in projects {
        for entry in ignore::WalkBuilder::new(&p.root)
            .hidden(true)
            .build()
            .flatten()
        {
            let path = entry.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "py" | "toml"));
            if let (true, Ok(meta)) = (wanted, entry.metadata()) {
                out.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
            }
        }
    }
    out.sort();
    out
}

/// `dg check`'s first step, as real dg's in a project: the component files of the locations
/// in scope. `Ok(false)` when they have problems (reported in `format`; the definitions
/// are then not loaded, as they would only fail on them again).
pub(super) fn before_defs(
    ctx: &Ctx,
    format: super::check::CheckFormat,
    junit: Option<&std::path::Path>,
) -> Result<bool> {
    let args = YamlArgs {
        paths: vec![],
        watch: false,
        json: false,
        format: Some(format),
        junit: junit.map(std::path::Path::to_path_buf),
        refresh: super::RefreshFlag { refresh: false },
    };
    let ws = crate::workspace::discover(&ctx.settings)?;
    let (projects, paths) = scope(ctx, &ws, &args)?;
    let opts = LoadOptions::from_settings(&ctx.settings, false);
    let r = run(&projects, &paths, &cache_root(ctx, &ws), &opts);
    // A registry that did not load is the definitions check's to report (the location
    // fails to load there too, with its own error).
    if !r.problems.is_empty() {
        show(ctx, &ws, &args, &r)?;
        return Ok(false);
    }
    if !r.files.is_empty() && format == super::check::CheckFormat::Text {
        ctx.printer.status(&format!(
            "All component YAML validated successfully ({} checked).",
            r.files.len()
        ));
    }
    Ok(true)
}

fn show(ctx: &Ctx, ws: &Workspace, args: &YamlArgs, r: &YamlReport) -> Result<()> {
    use super::check::CheckFormat;
    let format = match (args.format, args.json) {
        (Some(f), _) => f,
        (None, true) => CheckFormat::Json,
        (None, false) => CheckFormat::Text,
    };
    if let Some(path) = &args.junit {
        crate::fs::write_atomic(
            &ctx.settings.cwd.join(path),
            report::junit(r, &ws.root).as_bytes(),
        )?;
    }
    if format == CheckFormat::Github {
        ctx.printer.out(&crate::render::ci::github_annotations(
            &report::annotations(r),
        ));
    }
    if format == CheckFormat::Json {
        ctx.printer.json(&report::json(r, &ws.root));
    } else {
        ctx.printer.out(&report::human(r));
    }
    if !r.failures.is_empty() && format != CheckFormat::Json {
        ctx.printer.error(&crate::render::errors::location_failures(
            &r.failures,
            ctx.settings.verbose,
        ));
    }
    Ok(())
}
