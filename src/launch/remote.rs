//! `dg launch --remote URL`: the same cross-location plan as a local launch, each step
//! submitted to a running Dagster webserver (`launchRun` of the location's implicit asset
//! job with the step's assets, or of the job), a step submitted once the runs it waits on
//! have succeeded. Runs then execute wherever that deployment's run launcher puts them (each
//! location's own image in a deployed topology). What starts when is the local launch's
//! [`Scheduler`] (without prewarming), and outcomes use the local launch's vocabulary, so
//! the summary, the exit codes and the failure semantics are the same: a failed run skips
//! its dependents (naming the same step), independent steps finish, an interrupt terminates
//! the submitted runs.
//!
//! Polling `runOrError` every half second keeps this a plain HTTP client (no websocket); a
//! run's events are read once when it ends. The GraphQL client, queries and answer types are
//! [`crate::dagster_api`]'s.

use super::execute::{
    LaunchObserver, StepError, StepErrorKind, StepEvent, StepOutcome, StepStatus,
};
use super::schedule::{Action, Scheduler};
use super::{LaunchReport, Prepared};
use crate::access::hooks::Authorized;
use crate::dagster_api::types::{
    LaunchData, LogsForRun, PythonError, RunEvent, RunEventsData, RunOrError, RunStatus,
    RunStatusData, WorkspaceData,
};
use crate::dagster_api::{ApiError, Client, queries};
use crate::graph::AssetGraph;
use crate::process::interrupt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One step as the webserver sees it.
#[derive(Debug, Clone)]
pub(crate) struct RemoteStep {
    pub(crate) location: String,
    /// Asset keys (each a path) for an asset step.
    pub(crate) assets: Vec<Vec<String>>,
    /// A job instead of assets.
    pub(crate) job: Option<String>,
    pub(crate) partition: Option<String>,
    pub(crate) run_config: Option<Value>,
    /// Steps (indices, lower) that must succeed first.
    pub(crate) depends_on: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RemoteError {
    #[error("could not reach the Dagster webserver at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the Dagster webserver at {url} refused the request (HTTP {status})")]
    Refused { url: String, status: u16 },
    #[error("the Dagster webserver at {url} answered something that is not GraphQL: {message}")]
    NotGraphql { url: String, message: String },
    #[error("the Dagster webserver at {url} has no code location `{location}` (it has: {known})")]
    MissingLocation {
        url: String,
        location: String,
        known: String,
    },
    #[error(
        "code location `{location}` failed to load on the Dagster webserver at {url}: {message}"
    )]
    LocationError {
        url: String,
        location: String,
        message: String,
    },
}

impl RemoteError {
    fn from_api(url: &str, e: ApiError) -> Self {
        let url = url.to_string();
        match e {
            ApiError::Unreachable(message) => RemoteError::Unreachable { url, message },
            ApiError::Status(status) => RemoteError::Refused { url, status },
            e @ (ApiError::NotJson(_) | ApiError::Errors(_) | ApiError::Shape(_)) => {
                RemoteError::NotGraphql {
                    url,
                    message: e.to_string(),
                }
            }
        }
    }
}

/// What following runs takes of a webserver: the deployment's, or a stand-in in tests.
pub(crate) trait Webserver {
    /// Submits step `index`; the run's id, or why the webserver did not take it.
    fn submit(&self, step: &RemoteStep, index: usize) -> Result<String, StepError>;
    /// The run's status; `None` when it could not be asked (ask again next round).
    fn status(&self, run_id: &str) -> Option<RunStatus>;
    /// The run's events (none when they could not be read).
    fn events(&self, run_id: &str) -> Vec<RunEvent>;
    fn terminate(&self, run_id: &str);
}

/// A webserver of a deployment, with the repository of every location the steps need.
struct Deployment {
    client: Client,
    url: String,
    repos: BTreeMap<String, String>,
    /// Tags on every run (the launch id; the step number is added per step).
    tags: Vec<(String, String)>,
}

impl Deployment {
    /// Connects and checks that the webserver has every location the steps need.
    fn connect(
        url: &str,
        token: Option<String>,
        steps: &[RemoteStep],
        tags: Vec<(String, String)>,
    ) -> Result<Self, RemoteError> {
        let url = url.trim_end_matches('/').to_string();
        let mut d = Deployment {
            client: Client::new(&url, token, Duration::from_secs(60)),
            url,
            repos: BTreeMap::new(),
            tags,
        };
        d.repos = d.resolve_repositories(steps)?;
        Ok(d)
    }

    fn resolve_repositories(
        &self,
        steps: &[RemoteStep],
    ) -> Result<BTreeMap<String, String>, RemoteError> {
        let data: WorkspaceData = self
            .client
            .request(queries::LOCATION_REPOSITORIES, json!({}))
            .map_err(|e| RemoteError::from_api(&self.url, e))?;
        let entries = data.entries().map_err(|why| RemoteError::NotGraphql {
            url: self.url.clone(),
            message: format!("no workspace in the answer ({why})"),
        })?;
        let mut out = BTreeMap::new();
        for s in steps {
            if out.contains_key(&s.location) {
                continue;
            }
            let entry = entries
                .iter()
                .find(|e| e.name == s.location)
                .ok_or_else(|| RemoteError::MissingLocation {
                    url: self.url.clone(),
                    location: s.location.clone(),
                    known: entries
                        .iter()
                        .map(|e| e.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let repo = entry
                .repository_name()
                .map_err(|message| RemoteError::LocationError {
                    url: self.url.clone(),
                    location: s.location.clone(),
                    message,
                })?;
            out.insert(s.location.clone(), repo.to_string());
        }
        Ok(out)
    }

    /// The `executionParams` of a step's run.
    fn params(&self, step: &RemoteStep, index: usize) -> Value {
        let mut selector = json!({
            "repositoryLocationName": step.location,
            "repositoryName": self.repos.get(&step.location).cloned().unwrap_or_default(),
            "jobName": step.job.clone().unwrap_or_else(|| "__ASSET_JOB".into()),
        });
        if step.job.is_none() {
            selector["assetSelection"] = step
                .assets
                .iter()
                .map(|path| json!({"path": path}))
                .collect();
        }
        let mut tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        tags.push(json!({"key": "dg-rs/step", "value": (index + 1).to_string()}));
        if let Some(p) = &step.partition {
            tags.push(json!({"key": "dagster/partition", "value": p}));
        }
        let mut params = json!({"selector": selector, "executionMetadata": {"tags": tags}});
        if let Some(cfg) = &step.run_config {
            params["runConfigData"] = cfg.clone();
        }
        params
    }
}

impl Webserver for Deployment {
    fn submit(&self, step: &RemoteStep, index: usize) -> Result<String, StepError> {
        let data: LaunchData = self
            .client
            .request(
                queries::LAUNCH_RUN,
                json!({"params": self.params(step, index)}),
            )
            .map_err(|e| StepError {
                kind: StepErrorKind::Crash,
                asset: None,
                message: RemoteError::from_api(&self.url, e).to_string(),
                traceback_tail: String::new(),
            })?;
        let r = data.launch_run;
        if let Some(run) = r.run {
            return Ok(run.run_id);
        }
        let kind = r.typename;
        // A request the webserver refused (unknown assets, invalid config, not authorized).
        let error_kind = if kind == "PythonError" {
            StepErrorKind::Crash
        } else {
            StepErrorKind::InvalidRequest
        };
        let message = r
            .message
            .or_else(|| {
                r.errors.map(|es| {
                    es.iter()
                        .map(|e| e.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            })
            .unwrap_or_else(|| format!("the webserver answered {kind}"));
        Err(StepError {
            kind: error_kind,
            asset: None,
            message: format!("{kind}: {message}"),
            traceback_tail: stack_tail(&r.stack),
        })
    }

    fn status(&self, run_id: &str) -> Option<RunStatus> {
        // A webserver restarting is not a failed run: ask again next round.
        let data: RunStatusData = self
            .client
            .request(queries::RUN_STATUS, json!({"runId": run_id}))
            .ok()?;
        match data.run_or_error {
            RunOrError::Run { status } => Some(status),
            RunOrError::Other => None,
        }
    }

    fn events(&self, run_id: &str) -> Vec<RunEvent> {
        match self
            .client
            .request::<RunEventsData>(queries::RUN_EVENTS, json!({"runId": run_id}))
        {
            Ok(RunEventsData {
                logs_for_run: LogsForRun::EventConnection { events },
            }) => events,
            _ => Vec::new(),
        }
    }

    fn terminate(&self, run_id: &str) {
        let _ = self
            .client
            .request::<Value>(queries::TERMINATE_RUN, json!({"runId": run_id}));
    }
}

fn stack_tail(stack: &[String]) -> String {
    let text: String = stack.concat();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(12)..].join("\n")
}

/// A submitted run being followed.
struct InFlight {
    run_id: String,
    since: Instant,
    /// The status last reported to the observer.
    status: Option<RunStatus>,
}

/// How often runs are polled, and how many steps run at once.
pub(crate) struct Pace {
    pub(crate) jobs: usize,
    pub(crate) poll: Duration,
}

/// One remote launch being carried out: the scheduler's actions turned into submissions.
struct Follow<'a> {
    server: &'a dyn Webserver,
    steps: &'a [RemoteStep],
    observer: &'a dyn LaunchObserver,
    sched: Scheduler,
    running: Vec<Option<InFlight>>,
    outcomes: Vec<Option<StepOutcome>>,
}

/// Submits and follows every step (`interrupted` says when to stop); one outcome per step.
pub(crate) fn execute_remote(
    server: &dyn Webserver,
    steps: &[RemoteStep],
    pace: &Pace,
    interrupted: &dyn Fn() -> bool,
    observer: &dyn LaunchObserver,
) -> Vec<StepOutcome> {
    let deps = steps.iter().map(|s| s.depends_on.clone()).collect();
    let mut f = Follow {
        server,
        steps,
        observer,
        sched: Scheduler::without_prewarm(deps, pace.jobs),
        running: (0..steps.len()).map(|_| None).collect(),
        outcomes: vec![None; steps.len()],
    };
    let mut stopping = false;
    loop {
        if !stopping && interrupted() {
            stopping = true;
            f.stop();
        }
        for action in f.sched.next() {
            f.act(action);
        }
        if f.sched.finished() {
            break;
        }
        std::thread::sleep(pace.poll);
        f.poll();
    }
    f.outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| StepOutcome::without_run(StepStatus::NotStarted, None)))
        .collect()
}

impl Follow<'_> {
    fn record(&mut self, step: usize, outcome: StepOutcome) {
        self.observer.finished(step, &outcome);
        self.outcomes[step] = Some(outcome);
    }

    /// An interrupt: every submitted run is terminated; nothing more is submitted.
    fn stop(&mut self) {
        self.sched.stop();
        for i in 0..self.running.len() {
            let Some(r) = self.running[i].take() else {
                continue;
            };
            self.server.terminate(&r.run_id);
            self.sched.ended(i, false);
            let o = StepOutcome {
                run_id: Some(r.run_id),
                seconds: Some(r.since.elapsed().as_secs_f64()),
                ..StepOutcome::without_run(StepStatus::Interrupted, None)
            };
            self.record(i, o);
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Start(i) => self.submit(i),
            Action::Skip { step, blocked_by } => self.record(
                step,
                StepOutcome::without_run(StepStatus::Skipped, Some(blocked_by)),
            ),
            Action::NotStarted { step, blocked_by } => self.record(
                step,
                StepOutcome::without_run(StepStatus::NotStarted, blocked_by),
            ),
            Action::Prewarm(_) | Action::Go(_) => {
                unreachable!("a scheduler without prewarming never warms a step")
            }
        }
    }

    fn submit(&mut self, i: usize) {
        self.observer.started(i);
        match self.server.submit(&self.steps[i], i) {
            Ok(run_id) => {
                self.observer.event(
                    i,
                    &StepEvent {
                        event: "RUN_SUBMITTED".into(),
                        asset: None,
                        message: Some(format!("run {run_id}")),
                        step: None,
                        run_id: Some(run_id.clone()),
                    },
                );
                self.running[i] = Some(InFlight {
                    run_id,
                    since: Instant::now(),
                    status: None,
                });
            }
            Err(error) => {
                self.sched.start_failed(i);
                let o = StepOutcome {
                    seconds: Some(0.0),
                    error: Some(error),
                    ..StepOutcome::without_run(StepStatus::Failed, None)
                };
                self.record(i, o);
            }
        }
    }

    /// Asks for every submitted run's status; a run that ended gets its outcome.
    fn poll(&mut self) {
        for i in 0..self.running.len() {
            let Some(r) = self.running[i].as_mut() else {
                continue;
            };
            let Some(status) = self.server.status(&r.run_id) else {
                continue;
            };
            if r.status != Some(status) {
                r.status = Some(status);
                self.observer.event(
                    i,
                    &StepEvent {
                        event: format!("RUN_{}", status.as_str()),
                        asset: None,
                        message: None,
                        step: None,
                        run_id: Some(r.run_id.clone()),
                    },
                );
            }
            if !status.is_terminal() {
                continue;
            }
            let Some(r) = self.running[i].take() else {
                continue;
            };
            let events = self.server.events(&r.run_id);
            let seconds = r.since.elapsed().as_secs_f64();
            let o = finished_outcome(&r.run_id, status, seconds, &events, i, self.observer);
            self.sched.ended(i, o.status == StepStatus::Succeeded);
            self.record(i, o);
        }
    }
}

fn step_failure(step_key: Option<&String>, error: Option<&PythonError>) -> StepError {
    let error = error.cloned().unwrap_or_default();
    StepError {
        kind: StepErrorKind::StepFailure,
        asset: step_key.cloned(),
        message: error.message.trim().to_string(),
        traceback_tail: stack_tail(&error.stack),
    }
}

/// The outcome of a run that ended: its materializations and, when it failed, why.
fn finished_outcome(
    run_id: &str,
    status: RunStatus,
    seconds: f64,
    events: &[RunEvent],
    step: usize,
    observer: &dyn LaunchObserver,
) -> StepOutcome {
    let mut materialized = Vec::new();
    let mut failed_assets = Vec::new();
    let mut error: Option<StepError> = None;
    for e in events {
        match e {
            RunEvent::MaterializationEvent { asset_key } => {
                let key = asset_key.path.join("/");
                observer.event(
                    step,
                    &StepEvent {
                        event: "ASSET_MATERIALIZATION".into(),
                        asset: Some(key.clone()),
                        message: None,
                        step: None,
                        run_id: Some(run_id.to_string()),
                    },
                );
                materialized.push(key);
            }
            RunEvent::ExecutionStepFailureEvent { step_key, error: e } => {
                failed_assets.push(step_key.clone().unwrap_or_default());
                error.get_or_insert_with(|| step_failure(step_key.as_ref(), e.as_ref()));
            }
            RunEvent::RunFailureEvent { message } => {
                error.get_or_insert_with(|| StepError {
                    kind: StepErrorKind::RunFailure,
                    asset: None,
                    message: message.clone().unwrap_or_default(),
                    traceback_tail: String::new(),
                });
            }
            RunEvent::Other => {}
        }
    }
    let succeeded = status == RunStatus::Success;
    if !succeeded && error.is_none() {
        error = Some(StepError {
            kind: if status == RunStatus::Canceled {
                StepErrorKind::Interrupted
            } else {
                StepErrorKind::RunFailure
            },
            asset: None,
            message: format!("the run ended {}", status.as_str()),
            traceback_tail: String::new(),
        });
    }
    StepOutcome {
        status: if succeeded {
            StepStatus::Succeeded
        } else {
            StepStatus::Failed
        },
        run_id: Some(run_id.to_string()),
        seconds: Some(seconds),
        dagster_version: None,
        materialized,
        failed_assets,
        error: if succeeded { None } else { error },
        blocked_by: None,
    }
}

/// The plan's steps as the webserver needs them (asset keys as paths, config per step).
fn remote_steps(graph: &AssetGraph, prepared: &Prepared) -> Vec<RemoteStep> {
    let partition = prepared.partition.as_deref();
    prepared
        .plan
        .steps
        .iter()
        .zip(&prepared.configs)
        .map(|(s, cfg)| RemoteStep {
            location: graph.location_name(s.location).to_string(),
            assets: s
                .assets
                .iter()
                .map(|a| graph.key(*a).parts().to_vec())
                .collect(),
            job: s.job.clone(),
            partition: partition
                .filter(|_| s.partitioned || s.job.is_some())
                .map(str::to_string),
            run_config: cfg.clone(),
            depends_on: s.depends_on.clone(),
        })
        .collect()
}

/// Runs a prepared launch the access policy allowed on the webserver at `url`: checks that
/// it has every location of the plan, then submits and follows the steps. The report is a
/// local launch's.
pub(crate) fn run(
    graph: &AssetGraph,
    prepared: &Authorized<Prepared>,
    url: &str,
    token: Option<String>,
    launch_id: &str,
    observer: &dyn LaunchObserver,
) -> Result<LaunchReport, RemoteError> {
    let steps = remote_steps(graph, prepared);
    let tags = vec![("dg-rs/launch_id".into(), launch_id.to_string())];
    let server = Deployment::connect(url, token, &steps, tags)?;
    let pace = Pace {
        jobs: prepared.jobs,
        poll: Duration::from_millis(500),
    };
    let outcomes = execute_remote(&server, &steps, &pace, &interrupt::requested, observer);
    Ok(LaunchReport {
        launch_id: launch_id.to_string(),
        outcomes,
        interrupted: interrupt::requested(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dagster_api::types::AssetKey;
    use crate::launch::execute::tests::{Quiet, never, opts, step};
    use crate::render::launch::{StepJson, summary};

    /// A webserver whose runs end at once, like the local stand-ins: asset `a` materialized,
    /// or (the steps in `failing`) a failure of asset `a`, "boom".
    struct Immediate {
        failing: Vec<usize>,
    }

    fn index(run_id: &str) -> usize {
        run_id.trim_start_matches("run-").parse().unwrap()
    }

    impl Webserver for Immediate {
        fn submit(&self, _: &RemoteStep, index: usize) -> Result<String, StepError> {
            Ok(format!("run-{index}"))
        }
        fn status(&self, run_id: &str) -> Option<RunStatus> {
            Some(if self.failing.contains(&index(run_id)) {
                RunStatus::Failure
            } else {
                RunStatus::Success
            })
        }
        fn events(&self, run_id: &str) -> Vec<RunEvent> {
            vec![if self.failing.contains(&index(run_id)) {
                RunEvent::ExecutionStepFailureEvent {
                    step_key: Some("a".into()),
                    error: Some(PythonError {
                        message: "boom".into(),
                        ..PythonError::default()
                    }),
                }
            } else {
                RunEvent::MaterializationEvent {
                    asset_key: AssetKey {
                        path: vec!["a".into()],
                    },
                }
            }]
        }
        fn terminate(&self, _: &str) {}
    }

    fn remote_step(depends_on: &[usize]) -> RemoteStep {
        RemoteStep {
            location: "loc".into(),
            assets: vec![vec!["a".into()]],
            job: None,
            partition: None,
            run_config: None,
            depends_on: depends_on.to_vec(),
        }
    }

    /// The summary without what differs by nature between two launches (run ids, times).
    fn summarised(deps: &[Vec<usize>], mut outcomes: Vec<StepOutcome>) -> String {
        let steps: Vec<StepJson> = deps
            .iter()
            .enumerate()
            .map(|(i, d)| StepJson {
                step: i + 1,
                location: "loc".into(),
                job: None,
                assets: vec!["a".into()],
                depends_on: d.iter().map(|d| d + 1).collect(),
                wave: 0,
                python: String::new(),
                dagster_version: String::new(),
            })
            .collect();
        for o in &mut outcomes {
            o.run_id = None;
            o.seconds = None;
        }
        summary("L", "/h", &steps, &outcomes, false)
    }

    #[test]
    fn a_failing_chain_gets_the_same_summary_locally_and_remotely() {
        // 0 fails; 2 waits on 0, 3 on 2: both skipped, naming step 1 (the failure), not the
        // skipped step in between.
        let deps = vec![vec![], vec![], vec![0], vec![2]];
        let dir = tempfile::tempdir().unwrap();
        let procs: Vec<_> = (0..deps.len())
            .map(|i| step(dir.path(), i, "true", &[], i != 0))
            .collect();
        let local = super::super::execute::execute(&deps, &procs, opts(&never), &Quiet);
        let steps: Vec<RemoteStep> = deps.iter().map(|d| remote_step(d)).collect();
        let pace = Pace {
            jobs: 2,
            poll: Duration::from_millis(1),
        };
        let server = Immediate { failing: vec![0] };
        let remote = execute_remote(&server, &steps, &pace, &|| false, &Quiet);
        let remote_text = summarised(&deps, remote);
        assert_eq!(summarised(&deps, local), remote_text);
        insta::assert_snapshot!(remote_text, @r"
        STEP  LOCATION  ASSETS  STATUS                            DURATION  RUN ID
        1     loc       a       failed                            -         -
        2     loc       a       succeeded                         -         -
        3     loc       a       skipped (step 1 did not succeed)  -         -
        4     loc       a       skipped (step 1 did not succeed)  -         -

        step 1 (loc) failed in asset a: boom

        Launch L: 1 succeeded, 1 failed, 2 skipped. Runs are in the Dagster instance at /h (tag dg-rs/launch_id=L).
        ");
    }

    #[test]
    fn an_interrupt_terminates_submitted_runs_and_submits_no_more() {
        struct Endless;
        impl Webserver for Endless {
            fn submit(&self, _: &RemoteStep, index: usize) -> Result<String, StepError> {
                Ok(format!("run-{index}"))
            }
            fn status(&self, _: &str) -> Option<RunStatus> {
                Some(RunStatus::Started)
            }
            fn events(&self, _: &str) -> Vec<RunEvent> {
                Vec::new()
            }
            fn terminate(&self, _: &str) {}
        }
        let steps = vec![remote_step(&[]), remote_step(&[0])];
        let pace = Pace {
            jobs: 2,
            poll: Duration::from_millis(1),
        };
        let polls = std::sync::atomic::AtomicUsize::new(0);
        let after_a_few = || polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 3;
        let out = execute_remote(&Endless, &steps, &pace, &after_a_few, &Quiet);
        assert_eq!(out[0].status, StepStatus::Interrupted);
        assert_eq!(out[0].run_id.as_deref(), Some("run-0"));
        assert_eq!(out[1].status, StepStatus::NotStarted);
    }
}
