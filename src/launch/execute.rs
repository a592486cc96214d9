//! Carries out a launch: each step is one `run_step.py` process (one Dagster run) started in
//! its own process group, so an interrupt reaches exactly our children and none is left
//! behind; [`super::schedule::Scheduler`] decides what starts when. On interrupt every
//! running child gets SIGINT (Dagster records the run as failed, "interrupted"), then SIGKILL
//! after a grace period, or at once on a second interrupt.
//!
//! Prewarming: a step whose dependencies are all running or done is started early with
//! `--wait-for-go`. Its Python loads the location and Dagster's run machinery (seconds of
//! imports) while the steps before it run, then waits on stdin without touching the instance.
//! When its dependencies have succeeded it gets `go` (and its timer starts); when one fails,
//! its process group is killed and it is `skipped` like any other dependent.

use super::schedule::{Action, Scheduler, WarmEnd};
use crate::process::{Cmd, GroupChild, OnInterrupt, Sig, for_each_line};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::process::{ChildStdin, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

/// Lines of run_step.py's stdout that carry an event start with this.
pub(crate) const EVENT_PREFIX: &str = "@@dg-rs ";
const STDERR_TAIL_LINES: usize = 30;
const POLL: Duration = Duration::from_millis(20);

/// One Dagster event as run_step.py streams it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StepEvent {
    pub(crate) event: String,
    pub(crate) asset: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) step: Option<String>,
    #[serde(default)]
    pub(crate) run_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// Told what happens while a launch runs (called from several threads).
pub(crate) trait LaunchObserver: Sync {
    fn started(&self, step: usize);
    fn event(&self, step: usize, event: &StepEvent);
    /// A line of output that is not an event (user prints, Dagster's console log, warnings).
    fn line(&self, step: usize, stream: Stream, line: &str);
    fn finished(&self, step: usize, outcome: &StepOutcome);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepStatus {
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
    pub(crate) fn as_str(self) -> &'static str {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepErrorKind {
    StepFailure,
    RunFailure,
    InvalidRequest,
    UsageError,
    Interrupted,
    ImportError,
    SyntaxError,
    NoDefinitions,
    DefinitionsError,
    DagsterMissing,
    #[serde(other)]
    Crash,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StepError {
    pub(crate) kind: StepErrorKind,
    pub(crate) asset: Option<String>,
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) traceback_tail: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepOutcome {
    pub(crate) status: StepStatus,
    pub(crate) run_id: Option<String>,
    /// Wall time of the step's process; `None` when it never ran.
    pub(crate) seconds: Option<f64>,
    /// The Dagster version that ran the step. Not in the JSON report: the step's own
    /// `dagster_version` (the location's) is, once.
    #[serde(skip)]
    pub(crate) dagster_version: Option<String>,
    pub(crate) materialized: Vec<String>,
    pub(crate) failed_assets: Vec<String>,
    pub(crate) error: Option<StepError>,
    /// For a skipped step: the step whose failure it waited on (0-based).
    pub(crate) blocked_by: Option<usize>,
}

impl StepOutcome {
    /// The outcome of a step that has no run (not started, skipped, refused).
    pub(crate) fn without_run(status: StepStatus, blocked_by: Option<usize>) -> Self {
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

/// The run status run_step.py reports: what Dagster recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum RunStatus {
    Success,
    Failure,
    Canceled,
}

/// The result file run_step.py writes.
#[derive(Deserialize)]
struct RunResult {
    run_id: Option<String>,
    status: RunStatus,
    dagster_version: Option<String>,
    #[serde(default)]
    materialized: Vec<Vec<String>>,
    #[serde(default)]
    failed_assets: Vec<Vec<String>>,
    error: Option<StepError>,
}

/// The process of one step and where it writes its result.
#[derive(Debug, Clone)]
pub(crate) struct StepProcess {
    pub(crate) cmd: Cmd,
    pub(crate) result_file: PathBuf,
    /// Puts a run in a final state (`instance.py --result FILE --finalize`; the run id is
    /// appended): used when the step's process ended without a result after creating a run.
    pub(crate) finalize: Option<Cmd>,
}

pub(crate) struct ExecuteOptions<'a> {
    /// At most this many steps at once (at least 1).
    pub(crate) jobs: usize,
    /// How many interrupts have arrived (one stops the launch, two end the grace period).
    pub(crate) interrupts: &'a (dyn Fn() -> usize + Sync),
    /// How long interrupted children get to record the interruption before SIGKILL.
    pub(crate) grace: Duration,
}

struct Running<'scope> {
    child: GroupChild,
    start: Instant,
    readers: Vec<ScopedJoinHandle<'scope, ()>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// The run the step created, as soon as its first event names it.
    run_id: Arc<Mutex<Option<String>>>,
    signalled: bool,
    /// Prewarmed and still waiting for `go` (its stdin is held open until then).
    warm: Option<ChildStdin>,
}

/// Runs every step (`depends_on[i]` lists the steps step `i` waits for, all lower than `i`)
/// and returns one outcome per step.
pub(crate) fn execute(
    depends_on: &[Vec<usize>],
    processes: &[StepProcess],
    opts: ExecuteOptions<'_>,
    observer: &dyn LaunchObserver,
) -> Vec<StepOutcome> {
    let n = processes.len();
    let mut sched = Scheduler::new(depends_on.to_vec(), opts.jobs);
    let mut outcomes: Vec<Option<StepOutcome>> = vec![None; n];
    let steps = Steps {
        processes,
        observer,
        interrupts: opts.interrupts,
    };
    std::thread::scope(|scope| {
        let mut running: Vec<Option<Running>> = (0..n).map(|_| None).collect();
        let mut stopping = Stopping::default();
        loop {
            stopping.check((opts.interrupts)(), opts.grace, &mut sched, &mut running);
            steps.reap(&mut running, &mut sched, &mut outcomes);
            for action in sched.next() {
                steps.act(scope, action, &mut sched, &mut running, &mut outcomes);
            }
            if sched.finished() && running.iter().all(Option::is_none) {
                break;
            }
            std::thread::sleep(POLL);
        }
    });
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| StepOutcome::without_run(StepStatus::NotStarted, None)))
        .collect()
}

/// Where an interrupted launch is: since when it stops, and whether its groups were killed.
#[derive(Default)]
struct Stopping {
    since: Option<Instant>,
    killed: bool,
}

impl Stopping {
    /// The first interrupt stops the scheduler and sends SIGINT to every running step; after
    /// the grace period (or at a second interrupt) their process groups are killed.
    fn check(
        &mut self,
        interrupts: usize,
        grace: Duration,
        sched: &mut Scheduler,
        running: &mut [Option<Running<'_>>],
    ) {
        if interrupts > 0 && self.since.is_none() {
            self.since = Some(Instant::now());
            sched.stop();
            for r in running.iter_mut().flatten() {
                r.child.signal(Sig::SIGINT);
                r.signalled = true;
            }
        }
        if let Some(t) = self.since
            && !self.killed
            && (t.elapsed() > grace || interrupts > 1)
        {
            self.killed = true;
            for r in running.iter().flatten() {
                r.child.kill_group();
            }
        }
    }
}

/// What every step shares: its process, the observer, the interrupt count.
struct Steps<'env> {
    processes: &'env [StepProcess],
    observer: &'env dyn LaunchObserver,
    interrupts: &'env (dyn Fn() -> usize + Sync),
}

impl<'env> Steps<'env> {
    fn record(&self, outcomes: &mut [Option<StepOutcome>], i: usize, outcome: StepOutcome) {
        self.observer.finished(i, &outcome);
        outcomes[i] = Some(outcome);
    }

    /// Reaps finished children and records their outcomes.
    fn reap(
        &self,
        running: &mut [Option<Running<'_>>],
        sched: &mut Scheduler,
        outcomes: &mut [Option<StepOutcome>],
    ) {
        for (i, slot) in running.iter_mut().enumerate() {
            let Some(r) = slot.as_mut() else {
                continue;
            };
            let Some(status) = exit_status(r) else {
                continue;
            };
            let r = slot.take().expect("checked above");
            let outcome = self.ended(i, r, status, sched);
            self.record(outcomes, i, outcome);
        }
    }

    /// The outcome of step `i`, whose process ended, told to the scheduler.
    fn ended(
        &self,
        i: usize,
        r: Running<'_>,
        status: ExitStatus,
        sched: &mut Scheduler,
    ) -> StepOutcome {
        let process = &self.processes[i];
        if r.warm.is_some() {
            match sched.warm_ended(i) {
                WarmEnd::NotStarted => {
                    let _ = finish(r, status, process);
                    StepOutcome::without_run(StepStatus::NotStarted, None)
                }
                WarmEnd::Failed => {
                    // It could not load its location: report it as a run of its own.
                    self.observer.started(i);
                    finish(r, status, process)
                }
            }
        } else {
            let outcome = finish(r, status, process);
            sched.ended(i, outcome.status == StepStatus::Succeeded);
            outcome
        }
    }

    /// Carries out one of the scheduler's actions.
    fn act<'scope>(
        &self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        action: Action,
        sched: &mut Scheduler,
        running: &mut [Option<Running<'scope>>],
        outcomes: &mut [Option<StepOutcome>],
    ) {
        let processes = self.processes;
        match action {
            Action::Start(i) => {
                let spawned = spawn(
                    scope,
                    &processes[i],
                    i,
                    self.observer,
                    self.interrupts,
                    false,
                );
                // "started" once the step's process exists, so whoever reads it can find it.
                self.observer.started(i);
                match spawned {
                    Ok(r) => running[i] = Some(r),
                    Err(e) => {
                        sched.start_failed(i);
                        self.record(outcomes, i, spawn_failed(&e));
                    }
                }
            }
            Action::Prewarm(i) => {
                match spawn(
                    scope,
                    &processes[i],
                    i,
                    self.observer,
                    self.interrupts,
                    true,
                ) {
                    Ok(r) => running[i] = Some(r),
                    Err(_) => sched.prewarm_failed(i),
                }
            }
            Action::Go(i) => {
                if let Some(r) = running[i].as_mut()
                    && let Some(mut stdin) = r.warm.take()
                {
                    // The step's time starts now.
                    self.observer.started(i);
                    let _ = stdin.write_all(b"go\n").and_then(|_| stdin.flush());
                    r.start = Instant::now();
                }
            }
            Action::Skip { step, blocked_by } => {
                stop_warm(running[step].take(), &processes[step]);
                let outcome = StepOutcome::without_run(StepStatus::Skipped, Some(blocked_by));
                self.record(outcomes, step, outcome);
            }
            Action::NotStarted { step, blocked_by } => {
                stop_warm(running[step].take(), &processes[step]);
                let outcome = StepOutcome::without_run(StepStatus::NotStarted, blocked_by);
                self.record(outcomes, step, outcome);
            }
        }
    }
}

/// The child's exit status once it has ended (killed and waited for when it cannot be
/// asked); `None` while it runs.
fn exit_status(r: &mut Running<'_>) -> Option<ExitStatus> {
    match r.child.try_wait() {
        Ok(Some(status)) => Some(status),
        Ok(None) => None,
        Err(_) => {
            r.child.kill_group();
            r.child.wait().ok()
        }
    }
}

/// The outcome of a step whose process could not be started.
fn spawn_failed(e: &crate::process::ProcessError) -> StepOutcome {
    let mut outcome = StepOutcome::without_run(StepStatus::Failed, None);
    outcome.error = Some(StepError {
        kind: StepErrorKind::Crash,
        asset: None,
        message: e.to_string(),
        traceback_tail: String::new(),
    });
    outcome
}

/// A prewarmed step that will not run: it has not touched the instance, so it is killed.
fn stop_warm(r: Option<Running<'_>>, process: &StepProcess) {
    if let Some(mut r) = r {
        r.warm = None;
        r.child.kill_group();
        if let Ok(status) = r.child.wait() {
            let _ = finish(r, status, process);
        }
    }
}

fn spawn<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    process: &StepProcess,
    step: usize,
    observer: &'env dyn LaunchObserver,
    interrupts: &'env (dyn Fn() -> usize + Sync),
    warm: bool,
) -> Result<Running<'scope>, crate::process::ProcessError> {
    let cmd = if warm {
        process.cmd.clone().arg("--wait-for-go")
    } else {
        process.cmd.clone()
    };
    let _ = std::fs::remove_file(&process.result_file);
    let mut child = cmd.spawn(
        if warm { Stdio::piped() } else { Stdio::null() },
        Stdio::piped(),
        Stdio::piped(),
        OnInterrupt::Caller,
    )?;
    let start = Instant::now();
    let stdin = if warm { child.child.stdin.take() } else { None };
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let run_id = Arc::new(Mutex::new(None));
    let mut readers = Vec::new();
    if let Some(out) = child.child.stdout.take() {
        let run_id = Arc::clone(&run_id);
        readers.push(scope.spawn(move || {
            for_each_line(out, |line| {
                match line
                    .strip_prefix(EVENT_PREFIX)
                    .and_then(|json| serde_json::from_str::<StepEvent>(json).ok())
                {
                    Some(event) => {
                        if let (Some(id), Ok(mut known)) = (&event.run_id, run_id.lock())
                            && known.is_none()
                        {
                            *known = Some(id.clone());
                        }
                        if event.event != "RUN_CREATED" {
                            observer.event(step, &event);
                        }
                    }
                    // Once interrupted, Python's interrupt tracebacks are not shown: the step
                    // gets one line when it ends.
                    None if interrupts() > 0 => {}
                    None => observer.line(step, Stream::Stdout, line),
                }
            })
        }));
    }
    if let Some(err) = child.child.stderr.take() {
        let tail = Arc::clone(&stderr_tail);
        readers.push(scope.spawn(move || {
            for_each_line(err, |line| {
                if let Ok(mut t) = tail.lock() {
                    if t.len() == STDERR_TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line.to_string());
                }
                if interrupts() == 0 {
                    observer.line(step, Stream::Stderr, line);
                }
            })
        }));
    }
    Ok(Running {
        child,
        start,
        readers,
        stderr_tail,
        run_id,
        signalled: false,
        warm: stdin,
    })
}

/// Puts run `id` in a final state and returns that state (None when it could not be asked).
fn finalize(cmd: &Cmd, id: &str) -> Option<RunStatus> {
    #[derive(Deserialize)]
    struct Finalized {
        run_status: RunStatus,
    }
    let result = tempfile::Builder::new()
        .prefix("dg-rs-finalize-")
        .suffix(".json")
        .tempfile()
        .ok()?
        .into_temp_path();
    let out = cmd
        .clone()
        .arg("--result")
        .arg(result.to_path_buf())
        .arg("--finalize")
        .arg(id)
        .timeout(Duration::from_secs(120))
        .output_ignoring_interrupts()
        .ok()?;
    if !out.success() {
        return None;
    }
    let done: Finalized = serde_json::from_slice(&std::fs::read(&result).ok()?).ok()?;
    Some(done.run_status)
}

fn key_strings(keys: Vec<Vec<String>>) -> Vec<String> {
    keys.into_iter().map(|k| k.join("/")).collect()
}

fn finish(running: Running<'_>, status: ExitStatus, process: &StepProcess) -> StepOutcome {
    let seconds = running.start.elapsed().as_secs_f64();
    // Whatever the step left behind in its group goes with it (and closes our pipes).
    running.child.kill_group();
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
        Some(r) => apply_result(&mut outcome, r, status, interrupted),
        None => {
            let known = running.run_id.lock().ok().and_then(|r| r.clone());
            apply_no_result(&mut outcome, status, interrupted, known, &tail, process);
        }
    }
    outcome
}

/// The step wrote its result file: the outcome is what it says.
fn apply_result(outcome: &mut StepOutcome, r: RunResult, status: ExitStatus, interrupted: bool) {
    let ok = status.code() == Some(0) && r.status == RunStatus::Success;
    let was_interrupted = interrupted
        || r.error
            .as_ref()
            .is_some_and(|e| e.kind == StepErrorKind::Interrupted)
        || r.status == RunStatus::Canceled;
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
            kind: StepErrorKind::RunFailure,
            asset: None,
            message: format!(
                "the run ended with status {}",
                match r.status {
                    RunStatus::Success => "SUCCESS",
                    RunStatus::Failure => "FAILURE",
                    RunStatus::Canceled => "CANCELED",
                }
            ),
            traceback_tail: String::new(),
        }))
    };
}

/// The step's process ended without a result file (`known`: the run it created, if any).
fn apply_no_result(
    outcome: &mut StepOutcome,
    status: ExitStatus,
    interrupted: bool,
    known: Option<String>,
    tail: &[String],
    process: &StepProcess,
) {
    outcome.status = if interrupted {
        StepStatus::Interrupted
    } else {
        StepStatus::Failed
    };
    // It created a run and then died (killed after the grace period, crashed): the
    // run is put in a final state, and the summary says what the instance says.
    if let (Some(id), Some(fin)) = (&known, &process.finalize)
        && finalize(fin, id) == Some(RunStatus::Success)
    {
        outcome.status = StepStatus::Succeeded;
        outcome.run_id = known;
        return;
    }
    outcome.run_id = known;
    let how = match status.code() {
        Some(c) => format!("exited with code {c}"),
        None => "was killed by a signal".to_string(),
    };
    outcome.error = Some(StepError {
        kind: if interrupted {
            StepErrorKind::Interrupted
        } else {
            StepErrorKind::Crash
        },
        asset: None,
        message: format!("the step's Python process {how} without writing a result"),
        traceback_tail: tail.join("\n"),
    });
}

#[cfg(test)]
pub(super) mod tests {
    //! The scheduler with stand-ins for run_step.py: a tiny `sh -c` that optionally sleeps,
    //! then writes the result file run_step.py would write and exits like it.
    use super::*;

    pub(in crate::launch) struct Quiet;
    impl LaunchObserver for Quiet {
        fn started(&self, _: usize) {}
        fn event(&self, _: usize, _: &StepEvent) {}
        fn line(&self, _: usize, _: Stream, _: &str) {}
        fn finished(&self, _: usize, _: &StepOutcome) {}
    }

    /// Step `i`'s stand-in: runs `program args`, then reports success (asset `a`
    /// materialized) or a failure of asset `a` ("boom").
    pub(in crate::launch) fn step(
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
        StepProcess {
            cmd,
            result_file,
            finalize: None,
        }
    }

    pub(in crate::launch) fn opts(flag: &(dyn Fn() -> usize + Sync)) -> ExecuteOptions<'_> {
        ExecuteOptions {
            jobs: 2,
            interrupts: flag,
            grace: Duration::from_secs(2),
        }
    }

    pub(in crate::launch) fn never() -> usize {
        0
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
                finalize: None,
            },
        ];
        let out = execute(&[vec![], vec![0]], &procs, opts(&never), &Quiet);
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
        let out = execute(&[vec![], vec![0]], &procs, opts(&never), &Quiet);
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
        let out = execute(&deps, &procs, opts(&never), &Quiet);
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
        let start = Instant::now();
        let after_300ms = move || usize::from(start.elapsed() > Duration::from_millis(300));
        let out = execute(&deps, &procs, opts(&after_300ms), &Quiet);
        assert!(start.elapsed() < Duration::from_secs(20));
        assert_eq!(out[0].status, StepStatus::Interrupted);
        assert_eq!(out[1].status, StepStatus::NotStarted);
    }
}
