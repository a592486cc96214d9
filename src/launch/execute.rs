//! Runs a plan's steps: each step is one `run_step.py` process (one Dagster run) started in
//! its own process group, so an interrupt reaches exactly our children and none is left
//! behind. A step starts when every step it depends on has succeeded, at most `jobs` at a
//! time; a failed step makes its dependents `skipped`, independent steps still finish.
//! On interrupt every running child gets SIGINT (Dagster records the run as failed,
//! "interrupted"), then SIGKILL after a grace period; steps not started stay `not_started`.
//!
//! Prewarming: a step whose dependencies are all running or done is started early with
//! `--wait-for-go`. Its Python loads the location and Dagster's run machinery (seconds of
//! imports) while the steps before it run, then waits on stdin without touching the instance.
//! When its dependencies have succeeded it gets `go` (and its timer starts); when one fails,
//! its process group is killed and it is `skipped` like any other dependent.

use crate::python::process::Cmd;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

/// Lines of run_step.py's stdout that carry an event start with this.
pub const EVENT_PREFIX: &str = "@@dg-rs ";
const STDERR_TAIL_LINES: usize = 30;
const POLL: Duration = Duration::from_millis(20);

/// One Dagster event as run_step.py streams it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepEvent {
    pub event: String,
    pub asset: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Told what happens while a launch runs (called from several threads).
pub trait LaunchObserver: Sync {
    fn started(&self, step: usize);
    fn event(&self, step: usize, event: &StepEvent);
    /// A line of output that is not an event (user prints, Dagster's console log, warnings).
    fn line(&self, step: usize, stream: Stream, line: &str);
    fn finished(&self, step: usize, outcome: &StepOutcome);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Succeeded,
    Failed,
    /// Not run because a step it depends on did not succeed.
    Skipped,
    /// Running when the launch was interrupted.
    Interrupted,
    /// Still waiting when the launch was interrupted.
    NotStarted,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Interrupted => "interrupted",
            StepStatus::NotStarted => "not started",
        }
    }
}

/// Why a step failed, as run_step.py reports it (or as we saw it crash).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    /// `step_failure`, `run_failure`, `invalid_request`, `usage_error`, `interrupted`, a load
    /// failure kind (`import_error`, …), or `crash`.
    pub kind: String,
    pub asset: Option<String>,
    pub message: String,
    #[serde(default)]
    pub traceback_tail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    pub status: StepStatus,
    pub run_id: Option<String>,
    /// Wall time of the step's process; `None` when it never ran.
    pub seconds: Option<f64>,
    pub dagster_version: Option<String>,
    pub materialized: Vec<String>,
    pub failed_assets: Vec<String>,
    pub error: Option<StepError>,
    /// For a skipped step: the step whose failure it waited on (0-based).
    pub blocked_by: Option<usize>,
}

impl StepOutcome {
    fn without_run(status: StepStatus, blocked_by: Option<usize>) -> Self {
        StepOutcome {
            status,
            run_id: None,
            seconds: None,
            dagster_version: None,
            materialized: Vec::new(),
            failed_assets: Vec::new(),
            error: None,
            blocked_by,
        }
    }
}

/// The result file run_step.py writes.
#[derive(Deserialize)]
struct RunResult {
    run_id: Option<String>,
    status: String,
    dagster_version: Option<String>,
    #[serde(default)]
    materialized: Vec<Vec<String>>,
    #[serde(default)]
    failed_assets: Vec<Vec<String>>,
    error: Option<StepError>,
}

/// The process of one step and where it writes its result.
#[derive(Debug, Clone)]
pub struct StepProcess {
    pub cmd: Cmd,
    pub result_file: PathBuf,
}

pub struct ExecuteOptions<'a> {
    /// At most this many steps at once (at least 1).
    pub jobs: usize,
    /// Run the first step alone until it finishes: on a fresh sqlite instance, concurrent
    /// first runs race while creating the schema (alembic "expected to match one row").
    pub first_alone: bool,
    /// Set (by a signal handler) to stop the launch.
    pub interrupted: &'a AtomicBool,
    /// How long interrupted children get to record the interruption before SIGKILL.
    pub grace: Duration,
}

struct Running<'scope> {
    child: Child,
    start: Instant,
    readers: Vec<ScopedJoinHandle<'scope, ()>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    signalled: bool,
    /// Prewarmed and still waiting for `go` (its stdin is held open until then).
    warm: Option<ChildStdin>,
}

enum State<'scope> {
    Pending,
    Running(Box<Running<'scope>>),
    Done,
}

/// Runs every step (`depends_on[i]` lists the steps step `i` waits for, all lower than `i`)
/// and returns one outcome per step.
pub fn execute(
    depends_on: &[Vec<usize>],
    processes: &[StepProcess],
    opts: ExecuteOptions<'_>,
    observer: &dyn LaunchObserver,
) -> Vec<StepOutcome> {
    let n = processes.len();
    let jobs = opts.jobs.max(1);
    let mut outcomes: Vec<Option<StepOutcome>> = vec![None; n];
    std::thread::scope(|scope| {
        let mut states: Vec<State> = (0..n).map(|_| State::Pending).collect();
        let mut stop_since: Option<Instant> = None;
        let mut killed = false;
        let mut started_any = false;
        let mut gate_open = !opts.first_alone;
        loop {
            if opts.interrupted.load(Ordering::SeqCst) && stop_since.is_none() {
                stop_since = Some(Instant::now());
                for s in &mut states {
                    if let State::Running(r) = s {
                        signal_group(&r.child, libc::SIGINT);
                        r.signalled = true;
                    }
                }
            }
            if let Some(t) = stop_since
                && !killed
                && t.elapsed() > opts.grace
            {
                killed = true;
                for s in &mut states {
                    if let State::Running(r) = s {
                        signal_group(&r.child, libc::SIGKILL);
                    }
                }
            }

            // Reap finished children.
            for i in 0..n {
                let State::Running(r) = &mut states[i] else {
                    continue;
                };
                let status = match r.child.try_wait() {
                    Ok(Some(status)) => Some(status),
                    Ok(None) => None,
                    Err(_) => {
                        signal_group(&r.child, libc::SIGKILL);
                        r.child.wait().ok()
                    }
                };
                let Some(status) = status else { continue };
                let State::Running(r) = std::mem::replace(&mut states[i], State::Done) else {
                    continue;
                };
                let was_warm = r.warm.is_some();
                if was_warm && stop_since.is_some() {
                    // Interrupted while waiting for `go`: it never ran.
                    let _ = finish(*r, status, &processes[i]);
                    let outcome = StepOutcome::without_run(StepStatus::NotStarted, None);
                    observer.finished(i, &outcome);
                    outcomes[i] = Some(outcome);
                    continue;
                }
                if was_warm {
                    // Exited before `go` (its location failed to load): report it as started.
                    observer.started(i);
                }
                let outcome = finish(*r, status, &processes[i]);
                observer.finished(i, &outcome);
                outcomes[i] = Some(outcome);
                gate_open = true;
            }

            // Steps whose dependencies did not all succeed will not run.
            for i in 0..n {
                let warm = matches!(&states[i], State::Running(r) if r.warm.is_some());
                if !matches!(states[i], State::Pending) && !warm {
                    continue;
                }
                let blocker = depends_on[i].iter().find_map(|&d| {
                    outcomes[d]
                        .as_ref()
                        .filter(|o| o.status != StepStatus::Succeeded)
                        .map(|o| o.blocked_by.unwrap_or(d))
                });
                if let Some(b) = blocker {
                    let status = if stop_since.is_some() {
                        StepStatus::NotStarted
                    } else {
                        StepStatus::Skipped
                    };
                    if let State::Running(mut r) = std::mem::replace(&mut states[i], State::Done) {
                        // A prewarmed step that will not run: it has not touched the instance.
                        r.warm = None;
                        signal_group(&r.child, libc::SIGKILL);
                        if let Ok(status) = r.child.wait() {
                            let _ = finish(*r, status, &processes[i]);
                        }
                    }
                    let outcome = StepOutcome::without_run(status, Some(b));
                    observer.finished(i, &outcome);
                    outcomes[i] = Some(outcome);
                    states[i] = State::Done;
                }
            }

            let running = states
                .iter()
                .filter(|s| matches!(s, State::Running(r) if r.warm.is_none()))
                .count();
            if stop_since.is_none() {
                let mut running = running;
                for i in 0..n {
                    if running >= jobs || (!gate_open && started_any) {
                        break;
                    }
                    let deps_succeeded = depends_on[i].iter().all(|&d| {
                        outcomes[d]
                            .as_ref()
                            .is_some_and(|o| o.status == StepStatus::Succeeded)
                    });
                    if !deps_succeeded {
                        continue;
                    }
                    if let State::Running(r) = &mut states[i]
                        && let Some(mut stdin) = r.warm.take()
                    {
                        // Prewarmed: tell it to go; the step's time starts now.
                        started_any = true;
                        observer.started(i);
                        let _ = stdin.write_all(b"go\n").and_then(|_| stdin.flush());
                        r.start = Instant::now();
                        running += 1;
                        continue;
                    }
                    if !matches!(states[i], State::Pending) {
                        continue;
                    }
                    started_any = true;
                    observer.started(i);
                    match spawn(scope, &processes[i], i, observer, false) {
                        Ok(r) => {
                            states[i] = State::Running(Box::new(r));
                            running += 1;
                        }
                        Err(e) => {
                            let mut outcome = StepOutcome::without_run(StepStatus::Failed, None);
                            outcome.error = Some(StepError {
                                kind: "crash".into(),
                                asset: None,
                                message: format!(
                                    "could not start {}: {e}",
                                    processes[i].cmd.program.display()
                                ),
                                traceback_tail: String::new(),
                            });
                            observer.finished(i, &outcome);
                            outcomes[i] = Some(outcome);
                            states[i] = State::Done;
                            gate_open = true;
                        }
                    }
                }
            }

            // Prewarm pending steps whose dependencies are all running or done, while a core
            // is free for their imports (at most `jobs` waiting at once).
            if stop_since.is_none() {
                let mut warm = states
                    .iter()
                    .filter(|s| matches!(s, State::Running(r) if r.warm.is_some()))
                    .count();
                for i in 0..n {
                    if warm >= jobs {
                        break;
                    }
                    let eligible = matches!(states[i], State::Pending)
                        && !depends_on[i].is_empty()
                        && depends_on[i].iter().all(|&d| match &states[d] {
                            State::Running(r) => r.warm.is_none(),
                            State::Done => outcomes[d]
                                .as_ref()
                                .is_some_and(|o| o.status == StepStatus::Succeeded),
                            State::Pending => false,
                        });
                    if !eligible {
                        continue;
                    }
                    if let Ok(r) = spawn(scope, &processes[i], i, observer, true) {
                        states[i] = State::Running(Box::new(r));
                        warm += 1;
                    }
                }
            }

            let any_running = states.iter().any(|s| matches!(s, State::Running(_)));
            let any_pending = states.iter().any(|s| matches!(s, State::Pending));
            if !any_running && (stop_since.is_some() || !any_pending) {
                break;
            }
            if !any_running && any_pending && outcomes.iter().all(Option::is_some) {
                break;
            }
            std::thread::sleep(POLL);
        }
        // Interrupted before they could start (or, defensively, never ready).
        for (i, s) in states.iter().enumerate() {
            if matches!(s, State::Pending) {
                let outcome = StepOutcome::without_run(StepStatus::NotStarted, None);
                observer.finished(i, &outcome);
                outcomes[i] = Some(outcome);
            }
        }
    });
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| StepOutcome::without_run(StepStatus::NotStarted, None)))
        .collect()
}

fn spawn<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    process: &StepProcess,
    step: usize,
    observer: &'env dyn LaunchObserver,
    warm: bool,
) -> std::io::Result<Running<'scope>> {
    let mut command = if warm {
        let mut c = process.cmd.clone().arg("--wait-for-go").to_command();
        c.stdin(Stdio::piped());
        c
    } else {
        process.cmd.to_command()
    };
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a terminal's Ctrl-C reaches only us, and we can stop the
        // step with everything it started (multiprocess executor children included).
        .process_group(0);
    let _ = std::fs::remove_file(&process.result_file);
    let mut child = command.spawn()?;
    let start = Instant::now();
    let stdin = if warm { child.stdin.take() } else { None };
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(scope.spawn(move || {
            for_each_line(out, |line| {
                match line
                    .strip_prefix(EVENT_PREFIX)
                    .and_then(|json| serde_json::from_str::<StepEvent>(json).ok())
                {
                    Some(event) => observer.event(step, &event),
                    None => observer.line(step, Stream::Stdout, line),
                }
            })
        }));
    }
    if let Some(err) = child.stderr.take() {
        let tail = Arc::clone(&stderr_tail);
        readers.push(scope.spawn(move || {
            for_each_line(err, |line| {
                if let Ok(mut t) = tail.lock() {
                    if t.len() == STDERR_TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line.to_string());
                }
                observer.line(step, Stream::Stderr, line);
            })
        }));
    }
    Ok(Running {
        child,
        start,
        readers,
        stderr_tail,
        signalled: false,
        warm: stdin,
    })
}

fn for_each_line(pipe: impl Read, mut f: impl FnMut(&str)) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                f(line.trim_end_matches(['\n', '\r']));
            }
        }
    }
}

/// Signals the child's whole process group (its pid: it was started as group leader).
fn signal_group(child: &Child, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn key_strings(keys: Vec<Vec<String>>) -> Vec<String> {
    keys.into_iter().map(|k| k.join("/")).collect()
}

fn finish(running: Running<'_>, status: ExitStatus, process: &StepProcess) -> StepOutcome {
    let seconds = running.start.elapsed().as_secs_f64();
    // Whatever the step left behind in its group goes with it (and closes our pipes).
    signal_group(&running.child, libc::SIGKILL);
    for r in running.readers {
        let _ = r.join();
    }
    let tail: Vec<String> = running
        .stderr_tail
        .lock()
        .map(|t| t.iter().cloned().collect())
        .unwrap_or_default();
    let result: Option<RunResult> = std::fs::read(&process.result_file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let interrupted = running.signalled;
    let mut outcome = StepOutcome::without_run(StepStatus::Failed, None);
    outcome.seconds = Some(seconds);
    match result {
        Some(r) => {
            let ok = status.code() == Some(0) && r.status == "SUCCESS";
            let was_interrupted = interrupted
                || r.error.as_ref().is_some_and(|e| e.kind == "interrupted")
                || r.status == "CANCELED";
            outcome.status = if ok {
                StepStatus::Succeeded
            } else if was_interrupted {
                StepStatus::Interrupted
            } else {
                StepStatus::Failed
            };
            outcome.run_id = r.run_id;
            outcome.dagster_version = r.dagster_version;
            outcome.materialized = key_strings(r.materialized);
            outcome.failed_assets = key_strings(r.failed_assets);
            outcome.error = if ok {
                None
            } else {
                Some(r.error.unwrap_or_else(|| StepError {
                    kind: "run_failure".into(),
                    asset: None,
                    message: format!("the run ended with status {}", r.status),
                    traceback_tail: String::new(),
                }))
            };
        }
        None => {
            outcome.status = if interrupted {
                StepStatus::Interrupted
            } else {
                StepStatus::Failed
            };
            let how = match status.code() {
                Some(c) => format!("exited with code {c}"),
                None => "was killed by a signal".to_string(),
            };
            outcome.error = Some(StepError {
                kind: if interrupted { "interrupted" } else { "crash" }.into(),
                asset: None,
                message: format!("the step's Python process {how} without writing a result"),
                traceback_tail: tail.join("\n"),
            });
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    //! The scheduler with stand-ins for run_step.py: a tiny `sh -c` that optionally sleeps,
    //! then writes the result file run_step.py would write and exits like it.
    use super::*;

    struct Quiet;
    impl LaunchObserver for Quiet {
        fn started(&self, _: usize) {}
        fn event(&self, _: usize, _: &StepEvent) {}
        fn line(&self, _: usize, _: Stream, _: &str) {}
        fn finished(&self, _: usize, _: &StepOutcome) {}
    }

    fn step(
        dir: &std::path::Path,
        i: usize,
        program: &str,
        args: &[&str],
        ok: bool,
    ) -> StepProcess {
        let result_file = dir.join(format!("r{i}.json"));
        let body = if ok {
            r#"{"run_id":"r","status":"SUCCESS","dagster_version":"1","materialized":[["a"]],"failed_assets":[],"error":null}"#.to_string()
        } else {
            r#"{"run_id":"r","status":"FAILURE","dagster_version":"1","materialized":[],"failed_assets":[["a"]],"error":{"kind":"step_failure","asset":"a","message":"boom","traceback_tail":""}}"#.to_string()
        };
        // The process rewrites the result it was given (spawn deletes stale results first).
        // Prewarmed (`--wait-for-go`, which `sh -c` passes as $0): wait for `go` like
        // run_step.py does; end of input means the step will not run.
        let cmd = Cmd::new("/bin/sh").arg("-c").arg(format!(
            "if [ \"$0\" = --wait-for-go ]; then read -r line; [ \"$line\" = go ] || exit 4; fi; \
             {program} {} ; printf '%s' '{body}' > '{}'; exit {}",
            args.join(" "),
            result_file.display(),
            if ok { 0 } else { 1 }
        ));
        StepProcess { cmd, result_file }
    }

    fn opts(flag: &AtomicBool) -> ExecuteOptions<'_> {
        ExecuteOptions {
            jobs: 2,
            first_alone: false,
            interrupted: flag,
            grace: Duration::from_secs(2),
        }
    }

    #[test]
    fn a_dependent_step_warms_up_while_its_dependency_runs_and_starts_on_go() {
        let dir = tempfile::tempdir().unwrap();
        let warm = dir.path().join("step1-warm");
        let ran = dir.path().join("step1-ran");
        // Step 0 succeeds only if step 1's warm-up has begun while step 0 is still running.
        let wait_for_warm = format!(
            "for i in $(seq 50); do [ -f '{w}' ] && break; sleep 0.1; done; [ -f '{w}' ] || exit 1",
            w = warm.display()
        );
        let step0 = step(dir.path(), 0, &wait_for_warm, &[], true);
        // Step 1 marks its warm-up, waits for go, then marks that it ran.
        let result1 = dir.path().join("r1.json");
        let cmd1 = Cmd::new("/bin/sh").arg("-c").arg(format!(
            "[ \"$0\" = --wait-for-go ] || exit 9; touch '{w}'; read -r line; [ \"$line\" = go ] || exit 4; \
             touch '{r}'; printf '%s' '{{\"run_id\":\"r\",\"status\":\"SUCCESS\",\"dagster_version\":\"1\",\"materialized\":[[\"b\"]],\"failed_assets\":[],\"error\":null}}' > '{res}'",
            w = warm.display(),
            r = ran.display(),
            res = result1.display()
        ));
        let procs = vec![
            step0,
            StepProcess {
                cmd: cmd1,
                result_file: result1,
            },
        ];
        let flag = AtomicBool::new(false);
        let out = execute(&[vec![], vec![0]], &procs, opts(&flag), &Quiet);
        assert_eq!(out[0].status, StepStatus::Succeeded, "{:?}", out[0].error);
        assert_eq!(out[1].status, StepStatus::Succeeded, "{:?}", out[1].error);
        assert!(ran.exists());
        assert_eq!(out[1].materialized, ["b"]);
    }

    #[test]
    fn a_prewarmed_step_whose_dependency_fails_never_runs() {
        let dir = tempfile::tempdir().unwrap();
        let ran = dir.path().join("step1-ran");
        let procs = vec![
            step(dir.path(), 0, "sleep 0.5", &[], false),
            step(dir.path(), 1, "touch", &[&ran.display().to_string()], true),
        ];
        let flag = AtomicBool::new(false);
        let out = execute(&[vec![], vec![0]], &procs, opts(&flag), &Quiet);
        assert_eq!(out[1].status, StepStatus::Skipped);
        assert_eq!(out[1].blocked_by, Some(0));
        assert!(!ran.exists(), "a skipped step must not run");
    }

    #[test]
    fn a_failure_skips_dependents_and_lets_independent_steps_finish() {
        let dir = tempfile::tempdir().unwrap();
        let procs = vec![
            step(dir.path(), 0, "true", &[], false),
            step(dir.path(), 1, "true", &[], true),
            step(dir.path(), 2, "true", &[], true),
            step(dir.path(), 3, "true", &[], true),
        ];
        let deps = vec![vec![], vec![], vec![0], vec![2]];
        let flag = AtomicBool::new(false);
        let out = execute(&deps, &procs, opts(&flag), &Quiet);
        let statuses: Vec<StepStatus> = out.iter().map(|o| o.status).collect();
        assert_eq!(
            statuses,
            [
                StepStatus::Failed,
                StepStatus::Succeeded,
                StepStatus::Skipped,
                StepStatus::Skipped
            ]
        );
        assert_eq!(out[3].blocked_by, Some(0));
        assert_eq!(out[0].error.as_ref().unwrap().message, "boom");
        assert_eq!(out[1].materialized, ["a"]);
    }

    #[test]
    fn an_interrupt_stops_running_steps_and_starts_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let procs = vec![
            step(dir.path(), 0, "sleep", &["30"], true),
            step(dir.path(), 1, "true", &[], true),
        ];
        let deps = vec![vec![], vec![0]];
        let flag = AtomicBool::new(false);
        let start = Instant::now();
        let out = std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(300));
                flag.store(true, Ordering::SeqCst);
            });
            execute(&deps, &procs, opts(&flag), &Quiet)
        });
        assert!(start.elapsed() < Duration::from_secs(20));
        assert_eq!(out[0].status, StepStatus::Interrupted);
        assert_eq!(out[1].status, StepStatus::NotStarted);
    }
}
