//! Loading locations' manifests: fingerprint each project (no Python), serve cache hits, and
//! run the introspection script for the misses in parallel (bounded by cores), each with the
//! project's own interpreter, cwd = project root and its `.env` applied.

use super::cache::{Cached, ManifestCache};
use super::fingerprint::fingerprint;
use super::schema::{LoadFailure, MANIFEST_VERSION, Manifest};
use crate::config::Project;
use crate::parallel::parallel_map;
use crate::process::Cmd;
use crate::python::scripts::{self, Script};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Told about each extraction as it starts and ends (render draws progress from this).
pub(crate) trait ExtractProgress: Sync {
    fn started(&self, location: &str);
    fn finished(&self, location: &str, ok: bool);
}

/// Why a location could not be loaded, as the introspection script classifies it (or as we
/// saw it fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailureKind {
    ImportError,
    SyntaxError,
    NoDefinitions,
    DefinitionsError,
    DagsterMissing,
    /// The project's interpreter does not exist (no environment yet).
    MissingInterpreter,
    /// Loading took longer than the load timeout.
    Timeout,
    /// dg-rs was interrupted while the location loaded.
    Interrupted,
    /// The cache could not be used (an unwritable or broken state folder).
    State,
    /// The script's answer could not be read (a dg-rs bug).
    Protocol,
    /// Anything else: the script crashed, wrote nothing readable, or could not start.
    #[serde(other)]
    Crash,
}

impl FailureKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FailureKind::ImportError => "import_error",
            FailureKind::SyntaxError => "syntax_error",
            FailureKind::NoDefinitions => "no_definitions",
            FailureKind::DefinitionsError => "definitions_error",
            FailureKind::DagsterMissing => "dagster_missing",
            FailureKind::MissingInterpreter => "missing_interpreter",
            FailureKind::Timeout => "timeout",
            FailureKind::Interrupted => "interrupted",
            FailureKind::State => "state",
            FailureKind::Protocol => "protocol",
            FailureKind::Crash => "crash",
        }
    }
}

/// A location that could not be loaded. The hint for it is chosen in one place
/// (`error::location_failures`), from the kind and these facts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LocationFailure {
    pub(crate) location: String,
    /// The project's folder name (what `dg sync NAME` takes).
    pub(crate) project: String,
    pub(crate) module: String,
    pub(crate) interpreter: PathBuf,
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    /// The useful end of the Python error.
    pub(crate) detail: String,
    /// Everything the script printed on stderr (shown with `--verbose`).
    pub(crate) output: String,
    /// The load timeout, for `Timeout`.
    pub(crate) timeout: Option<Duration>,
    /// Served from the cache: nothing the location depends on changed since it failed.
    #[serde(skip)]
    pub(crate) remembered: bool,
}

impl FailureKind {
    /// Whether the same fingerprint would fail the same way again, so the failure is worth
    /// remembering (the location's own code or environment), unlike an interruption, a
    /// broken state folder or a dg-rs bug. A missing interpreter costs no Python start.
    pub(crate) fn is_repeatable(self) -> bool {
        !matches!(
            self,
            FailureKind::Interrupted
                | FailureKind::State
                | FailureKind::Protocol
                | FailureKind::MissingInterpreter
        )
    }
}

/// A remembered answer that still holds under `opts`: a timeout is tried again when more
/// time is allowed now.
pub(crate) fn still_holds<T>(
    cached: Cached<T>,
    opts: &LoadOptions,
) -> Option<Result<T, LocationFailure>> {
    match cached {
        Cached::Answer(m) => Some(Ok(m)),
        Cached::Failure(f) if f.kind == FailureKind::Timeout && f.timeout < Some(opts.timeout) => {
            None
        }
        Cached::Failure(f) => Some(Err(f)),
    }
}

#[derive(Debug)]
pub(crate) struct LocationResult {
    pub(crate) location: String,
    pub(crate) outcome: Result<Manifest, LocationFailure>,
    pub(crate) from_cache: bool,
    pub(crate) seconds: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct LoadOptions {
    /// Extract even when the cache is fresh.
    pub(crate) refresh: bool,
    /// How long one location may take.
    pub(crate) timeout: Duration,
    /// `PATH` for the children (the interpreter's `bin/` is put first).
    pub(crate) path: Option<std::ffi::OsString>,
    /// `[cli] use_component_modules` (component registries only).
    pub(crate) use_component_modules: Vec<String>,
}

impl LoadOptions {
    /// The options of a command run with `settings` (`refresh`: ignore fresh cache entries).
    pub(crate) fn from_settings(settings: &crate::settings::Settings, refresh: bool) -> Self {
        LoadOptions {
            refresh,
            timeout: settings.load_timeout,
            path: settings.path.clone(),
            use_component_modules: settings.use_component_modules.clone(),
        }
    }
}

/// Manifests for `projects` (in that order).
pub(crate) fn load_manifests(
    cache: &ManifestCache,
    projects: &[&Project],
    opts: &LoadOptions,
    progress: &dyn ExtractProgress,
) -> Vec<LocationResult> {
    let script_version = scripts::version();
    // Warm path, no Python: fingerprint every project and read its cache entry.
    type Hit = Option<Result<Manifest, LocationFailure>>;
    let warm: Vec<(String, Hit)> = parallel_map(projects.len(), |i| {
        let p = projects[i];
        let print = fingerprint(p, &script_version);
        let hit = (!opts.refresh)
            .then(|| cache.get(&p.code_location_name, &print))
            .flatten()
            .and_then(|c| still_holds(c, opts));
        (print, hit)
    });
    let misses: Vec<usize> = (0..projects.len())
        .filter(|&i| warm[i].1.is_none())
        .collect();
    let mut extracted = if misses.is_empty() {
        Vec::new()
    } else {
        let script_dir = scripts::materialize(cache.state_root());
        parallel_map(misses.len(), |k| {
            let p = projects[misses[k]];
            progress.started(&p.code_location_name);
            let r = extract_one(cache, p, &warm[misses[k]].0, script_dir.as_deref(), opts);
            progress.finished(&p.code_location_name, r.outcome.is_ok());
            r
        })
    }
    .into_iter();
    warm.into_iter()
        .zip(projects)
        .map(|((_, hit), p)| match hit {
            Some(outcome) => LocationResult {
                location: p.code_location_name.clone(),
                outcome,
                from_cache: true,
                seconds: 0.0,
            },
            None => extracted.next().expect("one extraction per miss"),
        })
        .collect()
}

fn extract_one(
    cache: &ManifestCache,
    project: &Project,
    print: &str,
    script_dir: Result<&Path, &crate::fs::FsError>,
    opts: &LoadOptions,
) -> LocationResult {
    let start = Instant::now();
    let location = project.code_location_name.clone();
    let outcome = (|| -> Result<(Manifest, bool), (Box<LocationFailure>, bool)> {
        let fresh = |f: Box<LocationFailure>| (f, false);
        let script_dir = script_dir.map_err(|e| fresh(state_failure(project, e)))?;
        // One extraction per location at a time, across processes; whoever waited may find
        // the entry the other one just wrote.
        let _lock = cache
            .lock(&location)
            .map_err(|e| fresh(state_failure(project, &e)))?
            .ok_or_else(|| fresh(interrupted(project)))?;
        if !opts.refresh {
            match cache
                .get(&location, print)
                .and_then(|c| still_holds(c, opts))
            {
                Some(Ok(m)) => return Ok((m, true)),
                Some(Err(f)) => return Err((Box::new(f), true)),
                None => {}
            }
        }
        // A cache that cannot be written still gave us the answer.
        match run_introspection(cache, project, script_dir, opts) {
            Ok(manifest) => {
                let _ = cache.put(&location, print, &manifest);
                Ok((manifest, false))
            }
            Err(f) => {
                if f.kind.is_repeatable() {
                    let _ = cache.put_failure(&location, print, &f);
                }
                Err(fresh(f))
            }
        }
    })();
    let (outcome, from_cache) = match outcome {
        Ok((m, cached)) => (Ok(m), cached),
        Err((e, cached)) => (Err(*e), cached),
    };
    LocationResult {
        location,
        outcome,
        from_cache,
        seconds: start.elapsed().as_secs_f64(),
    }
}

pub(crate) fn failure(
    project: &Project,
    kind: FailureKind,
    message: String,
) -> Box<LocationFailure> {
    Box::new(LocationFailure {
        location: project.code_location_name.clone(),
        project: project.name.clone(),
        module: project.code_location_target_module.clone(),
        interpreter: project.interpreter.path.clone(),
        kind,
        message,
        detail: String::new(),
        output: String::new(),
        timeout: None,
        remembered: false,
    })
}

/// The failure of a location whose interpreter does not exist (no environment yet), which
/// costs no Python start.
pub(crate) fn missing_interpreter(project: &Project) -> Option<Box<LocationFailure>> {
    (!project.interpreter.exists()).then(|| {
        let message = format!(
            "the interpreter {} does not exist",
            project.interpreter.path.display()
        );
        failure(project, FailureKind::MissingInterpreter, message)
    })
}

pub(crate) fn state_failure(project: &Project, e: &crate::fs::FsError) -> Box<LocationFailure> {
    failure(project, FailureKind::State, e.to_string())
}

pub(crate) fn interrupted(project: &Project) -> Box<LocationFailure> {
    failure(
        project,
        FailureKind::Interrupted,
        "interrupted while loading".into(),
    )
}

/// The environment a location's Python runs with: the project's `.env`, with the
/// interpreter's `bin/` first on PATH (so tools like dbt resolve from the right env).
pub(crate) fn location_env(
    project: &Project,
    path: Option<&std::ffi::OsStr>,
) -> Result<Vec<(String, std::ffi::OsString)>, crate::config::DotenvError> {
    let mut env: Vec<(String, std::ffi::OsString)> =
        crate::config::dotenv::read(&project.dotenv_path())?
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect();
    if let Some(bin) = project.interpreter.path.parent() {
        let mut paths = vec![bin.to_path_buf()];
        if let Some(old) = path {
            paths.extend(std::env::split_paths(old));
        }
        if let Ok(joined) = std::env::join_paths(paths) {
            env.push(("PATH".into(), joined));
        }
    }
    env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    Ok(env)
}

/// A location's own interpreter, with cwd = project root and its environment: how every
/// Python of the location is started.
pub(crate) fn location_python(
    project: &Project,
    path: Option<&std::ffi::OsStr>,
) -> Result<Cmd, crate::config::DotenvError> {
    Ok(Cmd::new(&project.interpreter.path)
        .cwd(&project.root)
        .envs(location_env(project, path)?))
}

/// The command line of one of the embedded scripts that load a location (introspect.py,
/// run_step.py): the location's Python and the arguments both scripts share.
pub(crate) fn location_command(
    project: &Project,
    script_dir: &Path,
    script: Script,
    path: Option<&std::ffi::OsStr>,
) -> Result<Cmd, crate::config::DotenvError> {
    Ok(location_python(project, path)?
        .arg(script_dir.join(script.file_name()))
        .arg("--module")
        .arg(&project.code_location_target_module)
        .arg("--working-directory")
        .arg(&project.working_directory)
        .arg("--location-name")
        .arg(&project.code_location_name)
        .arg("--project-root")
        .arg(&project.root))
}

fn run_introspection(
    cache: &ManifestCache,
    project: &Project,
    script_dir: &Path,
    opts: &LoadOptions,
) -> Result<Manifest, Box<LocationFailure>> {
    let fail = |kind: FailureKind, message: String| failure(project, kind, message);
    if let Some(f) = missing_interpreter(project) {
        return Err(f);
    }
    let output = cache
        .scratch_file(&project.code_location_name)
        .map_err(|e| state_failure(project, &e))?;
    let cmd = location_command(
        project,
        script_dir,
        Script::Introspect,
        opts.path.as_deref(),
    )
    .map_err(|e| fail(FailureKind::Crash, e.to_string()))?
    .arg("--output")
    .arg(output.to_path_buf())
    .timeout(opts.timeout);
    let finished = cmd
        .output()
        .map_err(|e| fail(FailureKind::MissingInterpreter, e.to_string()))?;
    read_introspection(project, &finished, &output, opts)
}

/// What the finished introspection script (writing to `output`) produced: the manifest, or
/// why the location did not load.
fn read_introspection(
    project: &Project,
    finished: &crate::process::Finished,
    output: &Path,
    opts: &LoadOptions,
) -> Result<Manifest, Box<LocationFailure>> {
    let script = ScriptAnswer {
        script: "the introspection script",
        doing: "loading the location",
        answer: "manifest",
        failed: "the location failed to load",
    };
    let m: Manifest = script.read(project, finished, output, opts)?;
    if m.manifest_version != MANIFEST_VERSION {
        return Err(failure(
            project,
            FailureKind::Protocol,
            format!(
                "the manifest has version {}, expected {MANIFEST_VERSION}",
                m.manifest_version
            ),
        ));
    }
    Ok(m)
}

/// How an embedded script that reads a location (introspect.py, components.py) answers:
/// exit 0 with its answer in the output file, exit 3 with a `{"error": ...}` document when
/// the location's own code or environment failed, anything else when the script crashed.
/// The words name the script in what the user reads.
pub(crate) struct ScriptAnswer {
    /// "the introspection script".
    pub(crate) script: &'static str,
    /// What took too long: "loading the location".
    pub(crate) doing: &'static str,
    /// What an unreadable exit-0 file was meant to be: "manifest".
    pub(crate) answer: &'static str,
    /// An exit 3 without a readable error document: "the location failed to load".
    pub(crate) failed: &'static str,
}

impl ScriptAnswer {
    /// The finished script's answer in `output`, or why the location could not give one.
    pub(crate) fn read<T: serde::de::DeserializeOwned>(
        &self,
        project: &Project,
        finished: &crate::process::Finished,
        output: &Path,
        opts: &LoadOptions,
    ) -> Result<T, Box<LocationFailure>> {
        let fail = |kind: FailureKind, message: String| failure(project, kind, message);
        let with_output = |mut f: Box<LocationFailure>, detail: String| {
            f.detail = detail;
            f.output = finished.stderr.clone();
            f
        };
        if finished.interrupted {
            return Err(interrupted(project));
        }
        if finished.timed_out {
            let mut f = fail(
                FailureKind::Timeout,
                format!(
                    "{} took longer than {} s",
                    self.doing,
                    opts.timeout.as_secs()
                ),
            );
            f.timeout = Some(opts.timeout);
            return Err(with_output(f, finished.stderr_tail(10)));
        }
        let bytes = std::fs::read(output).unwrap_or_default();
        match finished.code {
            Some(0) => serde_json::from_slice::<T>(&bytes).map_err(|e| {
                with_output(
                    fail(
                        FailureKind::Protocol,
                        format!("{} wrote an unreadable {}: {e}", self.script, self.answer),
                    ),
                    finished.stderr_tail(10),
                )
            }),
            Some(3) => Err(match serde_json::from_slice::<LoadFailure>(&bytes) {
                Ok(f) => with_output(fail(f.error.kind, f.error.message), f.error.traceback_tail),
                Err(_) => with_output(
                    fail(FailureKind::Crash, self.failed.into()),
                    finished.stderr_tail(15),
                ),
            }),
            code => Err(with_output(
                fail(
                    FailureKind::Crash,
                    match code {
                        Some(c) => format!("{} exited with code {c}", self.script),
                        None => format!("{} was killed by a signal", self.script),
                    },
                ),
                finished.stderr_tail(15),
            )),
        }
    }
}
