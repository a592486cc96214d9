//! Loading every location's manifest: fingerprint each project (no Python), serve cache
//! hits, and run the introspection script for the misses in parallel (bounded by cores),
//! each with the project's own interpreter, cwd = project root and its `.env` applied.

use super::cache::ManifestCache;
use super::fingerprint::fingerprint;
use super::schema::{LoadFailure, MANIFEST_VERSION, Manifest};
use crate::config::{Project, Workspace};
use crate::error::{Error, Result};
use crate::python::process::{Cmd, read_dotenv, tail_lines};
use crate::python::scripts;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Told about each extraction as it starts and ends (the CLI draws progress from this).
pub trait ExtractProgress: Sync {
    fn started(&self, location: &str);
    fn finished(&self, location: &str, ok: bool);
}

/// No progress display (JSON output, pipes, tests).
pub struct NoProgress;

impl ExtractProgress for NoProgress {
    fn started(&self, _: &str) {}
    fn finished(&self, _: &str, _: bool) {}
}

/// Why a location could not be listed.
#[derive(Debug, Clone)]
pub struct LocationError {
    pub location: String,
    /// `import_error`, `syntax_error`, `no_definitions`, `definitions_error`,
    /// `dagster_missing`, `missing_interpreter`, `timeout`, `crash`.
    pub kind: String,
    pub message: String,
    /// The useful end of the Python error.
    pub detail: String,
    pub hint: String,
}

#[derive(Debug)]
pub struct LocationResult {
    pub location: String,
    pub outcome: std::result::Result<Manifest, LocationError>,
    pub from_cache: bool,
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Extract even when the cache is fresh.
    pub refresh: bool,
}

fn load_timeout() -> Duration {
    std::env::var("DG_RS_LOAD_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(180))
}

/// `f(0..n)` on up to `available_parallelism` threads; results in index order.
fn parallel_map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map(|w| w.get())
        .unwrap_or(2)
        .min(n);
    if workers <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    done.lock().expect("no panics while locked").push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("threads joined");
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Manifests for `projects` (in that order).
pub fn load_manifests(
    ws: &Workspace,
    projects: &[&Project],
    opts: LoadOptions,
    progress: &dyn ExtractProgress,
) -> Result<Vec<LocationResult>> {
    let cache = ManifestCache::new(&ws.state_dir());
    let script_version = scripts::version();
    // Warm path, no Python: fingerprint every project and read its cache entry.
    let warm: Vec<(String, Option<Manifest>)> = parallel_map(projects.len(), |i| {
        let p = projects[i];
        let print = fingerprint(p, &script_version);
        let hit = (!opts.refresh)
            .then(|| cache.get(&p.code_location_name, &print))
            .flatten();
        (print, hit)
    });
    let misses: Vec<usize> = (0..projects.len())
        .filter(|&i| warm[i].1.is_none())
        .collect();
    let mut extracted = if misses.is_empty() {
        Vec::new()
    } else {
        let script_dir = scripts::materialize(&ws.state_dir())?;
        parallel_map(misses.len(), |k| {
            let p = projects[misses[k]];
            progress.started(&p.code_location_name);
            let r = extract_one(&cache, p, &warm[misses[k]].0, &script_dir, opts);
            progress.finished(&p.code_location_name, r.outcome.is_ok());
            r
        })
    }
    .into_iter();
    Ok(warm
        .into_iter()
        .zip(projects)
        .map(|((_, hit), p)| match hit {
            Some(m) => LocationResult {
                location: p.code_location_name.clone(),
                outcome: Ok(m),
                from_cache: true,
                seconds: 0.0,
            },
            None => extracted.next().expect("one extraction per miss"),
        })
        .collect())
}

fn extract_one(
    cache: &ManifestCache,
    project: &Project,
    print: &str,
    script_dir: &Path,
    opts: LoadOptions,
) -> LocationResult {
    let start = Instant::now();
    let location = project.code_location_name.clone();
    let outcome = (|| {
        // One extraction per location at a time, across processes; whoever waited may find
        // the entry the other one just wrote.
        let _lock = cache
            .lock(&location)
            .map_err(|e| plain_error(&location, &e))?;
        if !opts.refresh
            && let Some(m) = cache.get(&location, print)
        {
            return Ok((m, true));
        }
        let manifest = run_introspection(cache, project, script_dir)?;
        cache
            .put(&location, print, &manifest)
            .map_err(|e| plain_error(&location, &e))?;
        Ok((manifest, false))
    })();
    let (outcome, from_cache) = match outcome {
        Ok((m, cached)) => (Ok(m), cached),
        Err(e) => (Err(e), false),
    };
    LocationResult {
        location,
        outcome,
        from_cache,
        seconds: start.elapsed().as_secs_f64(),
    }
}

fn plain_error(location: &str, e: &Error) -> LocationError {
    LocationError {
        location: location.to_string(),
        kind: "crash".into(),
        message: e.to_string(),
        detail: String::new(),
        hint: "check that the workspace folder is writable".into(),
    }
}

/// The environment a location's Python runs with: ours, plus the project's `.env`, with the
/// interpreter's `bin/` first on PATH (so tools like dbt resolve from the right env).
pub fn location_env(project: &Project) -> Result<Vec<(String, std::ffi::OsString)>> {
    let mut env: Vec<(String, std::ffi::OsString)> = read_dotenv(&project.dotenv_path())?
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    if let Some(bin) = project.interpreter.path.parent() {
        let mut paths = vec![bin.to_path_buf()];
        if let Some(old) = std::env::var_os("PATH") {
            paths.extend(std::env::split_paths(&old));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            env.push(("PATH".into(), joined));
        }
    }
    env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    Ok(env)
}

fn run_introspection(
    cache: &ManifestCache,
    project: &Project,
    script_dir: &Path,
) -> std::result::Result<Manifest, LocationError> {
    let location = &project.code_location_name;
    let fail = |kind: &str, message: String, detail: String, hint: String| LocationError {
        location: location.clone(),
        kind: kind.into(),
        message,
        detail,
        hint,
    };
    if !project.interpreter.exists() {
        return Err(fail(
            "missing_interpreter",
            format!(
                "the interpreter {} does not exist",
                project.interpreter.path.display()
            ),
            String::new(),
            format!(
                "run `dg sync {}` to create the project's environment",
                project.name
            ),
        ));
    }
    let output = cache
        .scratch_file(location)
        .map_err(|e| plain_error(location, &e))?;
    let env = location_env(project).map_err(|e| plain_error(location, &e))?;
    let mut cmd = Cmd::new(&project.interpreter.path)
        .arg(script_dir.join("introspect.py"))
        .arg("--module")
        .arg(&project.code_location_target_module)
        .arg("--working-directory")
        .arg(&project.working_directory)
        .arg("--location-name")
        .arg(location)
        .arg("--project-root")
        .arg(&project.root)
        .arg("--output")
        .arg(output.to_path_buf())
        .cwd(&project.root)
        .timeout(load_timeout());
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let finished = cmd.output().map_err(|e| {
        fail(
            "missing_interpreter",
            e.to_string(),
            String::new(),
            format!("run `dg sync {}`", project.name),
        )
    })?;
    if finished.timed_out {
        return Err(fail(
            "timeout",
            format!(
                "loading the location took longer than {} s",
                load_timeout().as_secs()
            ),
            finished.stderr_tail(10),
            "set DG_RS_LOAD_TIMEOUT (seconds) to allow more time, or make imports lighter".into(),
        ));
    }
    let bytes = std::fs::read(&output).unwrap_or_default();
    match finished.code {
        Some(0) => match serde_json::from_slice::<Manifest>(&bytes) {
            Ok(m) if m.manifest_version == MANIFEST_VERSION => Ok(m),
            Ok(m) => Err(fail(
                "crash",
                format!(
                    "the manifest has version {}, expected {MANIFEST_VERSION}",
                    m.manifest_version
                ),
                String::new(),
                "this is a dg-rs bug: please report it".into(),
            )),
            Err(e) => Err(fail(
                "crash",
                format!("the introspection script wrote an unreadable manifest: {e}"),
                finished.stderr_tail(10),
                "this is a dg-rs bug: please report it".into(),
            )),
        },
        Some(3) => {
            let failure: Option<LoadFailure> = serde_json::from_slice(&bytes).ok();
            match failure {
                Some(f) => {
                    let hint = match f.error.kind.as_str() {
                        "dagster_missing" => format!(
                            "dagster is not installed in {}: run `dg sync {}`",
                            project.interpreter.path.display(),
                            project.name
                        ),
                        "import_error" => format!(
                            "fix the import, or run `dg sync {}` if a dependency is missing",
                            project.name
                        ),
                        "no_definitions" => format!(
                            "{} must define a `Definitions` object or a @definitions function",
                            project.code_location_target_module
                        ),
                        _ => "fix the error in the location's code shown above".into(),
                    };
                    Err(fail(
                        &f.error.kind,
                        f.error.message,
                        f.error.traceback_tail,
                        hint,
                    ))
                }
                None => Err(fail(
                    "crash",
                    "the location failed to load".into(),
                    finished.stderr_tail(15),
                    "run with --verbose for the whole output".into(),
                )),
            }
        }
        code => Err(fail(
            "crash",
            format!("the introspection script exited with {code:?}"),
            tail_lines(&finished.stderr, 15),
            "run with --verbose for the whole output".into(),
        )),
    }
}
