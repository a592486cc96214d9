//! `dg launch --remote URL`: the same cross-location plan as a local launch, each step
//! submitted to a running Dagster webserver (`launchRun` of the location's implicit asset
//! job with the step's assets, or of the job), a step submitted once the runs it waits on
//! have succeeded. Runs then execute wherever that deployment's run launcher puts them (each
//! location's own image in a deployed topology). Outcomes use the local launch's vocabulary,
//! so the summary, the exit codes and the failure semantics are the same: a failed run skips
//! its dependents, independent steps finish, an interrupt terminates the submitted runs.
//!
//! Polling `runOrError` every half second keeps this a plain HTTP client (no websocket); a
//! run's events are read once when it ends.

use super::execute::{
    LaunchObserver, StepError, StepErrorKind, StepEvent, StepOutcome, StepStatus,
};
use super::{LaunchReport, Prepared};
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

pub(crate) struct RemoteOptions {
    /// Tags on every run (launch id, step number added per step).
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) jobs: usize,
    pub(crate) poll: Duration,
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

/// A small GraphQL client over HTTP.
pub(crate) struct Client {
    agent: ureq::Agent,
    endpoint: String,
    url: String,
    token: Option<String>,
}

impl Client {
    /// `url` is the webserver's base URL (`http://host:3000`, with its path prefix if any);
    /// `token` is sent as `Authorization: Bearer …` (the access proxy in front of it).
    pub(crate) fn new(url: &str, token: Option<String>) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        let base = url.trim_end_matches('/');
        Client {
            agent,
            endpoint: format!("{base}/graphql"),
            url: base.to_string(),
            token,
        }
    }

    pub(crate) fn query(&self, query: &str, variables: Value) -> Result<Value, RemoteError> {
        let mut req = self.agent.post(&self.endpoint);
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = req
            .send_json(json!({"query": query, "variables": variables}))
            .map_err(|e| RemoteError::Unreachable {
                url: self.url.clone(),
                message: e.to_string(),
            })?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(RemoteError::Refused {
                url: self.url.clone(),
                status,
            });
        }
        let body: Value = resp
            .body_mut()
            .read_json()
            .map_err(|e| RemoteError::NotGraphql {
                url: self.url.clone(),
                message: e.to_string(),
            })?;
        if let Some(errors) = body.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            let msgs: Vec<&str> = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect();
            return Err(RemoteError::NotGraphql {
                url: self.url.clone(),
                message: msgs.join("; "),
            });
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
    }
}

const WORKSPACE: &str = r#"query DgRsWorkspace {
  workspaceOrError {
    __typename
    ... on Workspace { locationEntries { name loadStatus locationOrLoadError {
      __typename
      ... on RepositoryLocation { repositories { name } }
      ... on PythonError { message }
    } } }
    ... on PythonError { message }
  }
}"#;

const LAUNCH: &str = r#"mutation DgRsLaunch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"#;

const STATUS: &str = r#"query DgRsRunStatus($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } ... on PythonError { message } }
}"#;

const EVENTS: &str = r#"query DgRsRunEvents($runId: ID!) {
  logsForRun(runId: $runId, limit: 10000) {
    __typename
    ... on EventConnection { events {
      __typename
      ... on MaterializationEvent { assetKey { path } }
      ... on ExecutionStepFailureEvent { stepKey error { message stack } }
      ... on RunFailureEvent { message }
    } }
  }
}"#;

const TERMINATE: &str = r#"mutation DgRsTerminate($runId: String!) {
  terminateRun(runId: $runId) { __typename }
}"#;

/// The repository of every location the steps need, checked before anything is submitted.
pub(crate) fn resolve_repositories(
    client: &Client,
    steps: &[RemoteStep],
) -> Result<BTreeMap<String, String>, RemoteError> {
    let data = client.query(WORKSPACE, json!({}))?;
    let entries = data
        .pointer("/workspaceOrError/locationEntries")
        .and_then(Value::as_array)
        .ok_or_else(|| RemoteError::NotGraphql {
            url: client.url.clone(),
            message: format!(
                "no workspace in the answer ({})",
                data.pointer("/workspaceOrError/message")
                    .and_then(Value::as_str)
                    .unwrap_or("unexpected shape")
            ),
        })?;
    let mut out = BTreeMap::new();
    for s in steps {
        if out.contains_key(&s.location) {
            continue;
        }
        let entry = entries
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(&s.location))
            .ok_or_else(|| RemoteError::MissingLocation {
                url: client.url.clone(),
                location: s.location.clone(),
                known: entries
                    .iter()
                    .filter_map(|e| e.get("name").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let loc = &entry["locationOrLoadError"];
        let repo = loc
            .pointer("/repositories/0/name")
            .and_then(Value::as_str)
            .ok_or_else(|| RemoteError::LocationError {
                url: client.url.clone(),
                location: s.location.clone(),
                message: loc
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "status {}",
                            entry["loadStatus"].as_str().unwrap_or("unknown")
                        )
                    }),
            })?;
        out.insert(s.location.clone(), repo.to_string());
    }
    Ok(out)
}

struct InFlight {
    run_id: String,
    since: Instant,
    status: String,
}

enum State {
    Pending,
    Running(InFlight),
    Done,
}

/// Submits and follows every step; one outcome per step.
pub(crate) fn execute_remote(
    client: &Client,
    repos: &BTreeMap<String, String>,
    steps: &[RemoteStep],
    opts: &RemoteOptions,
    observer: &dyn LaunchObserver,
) -> Vec<StepOutcome> {
    let n = steps.len();
    let mut outcomes: Vec<Option<StepOutcome>> = vec![None; n];
    let mut states: Vec<State> = (0..n).map(|_| State::Pending).collect();
    loop {
        if interrupt::requested() {
            for (i, s) in states.iter_mut().enumerate() {
                match std::mem::replace(s, State::Done) {
                    State::Running(r) => {
                        let _ = client.query(TERMINATE, json!({"runId": r.run_id}));
                        let o = StepOutcome {
                            status: StepStatus::Interrupted,
                            run_id: Some(r.run_id),
                            seconds: Some(r.since.elapsed().as_secs_f64()),
                            ..StepOutcome::without_run(StepStatus::Interrupted, None)
                        };
                        observer.finished(i, &o);
                        outcomes[i] = Some(o);
                    }
                    State::Pending => {
                        let o = StepOutcome::without_run(StepStatus::NotStarted, None);
                        observer.finished(i, &o);
                        outcomes[i] = Some(o);
                    }
                    State::Done => {}
                }
            }
            break;
        }
        // Skip what waits on a step that did not succeed; submit what is ready.
        let mut in_flight = states
            .iter()
            .filter(|s| matches!(s, State::Running(_)))
            .count();
        for i in 0..n {
            if !matches!(states[i], State::Pending) {
                continue;
            }
            let blocked = steps[i].depends_on.iter().find(|d| {
                outcomes[**d]
                    .as_ref()
                    .is_some_and(|o| o.status != StepStatus::Succeeded)
            });
            if let Some(b) = blocked {
                let o = StepOutcome::without_run(StepStatus::Skipped, Some(*b));
                observer.finished(i, &o);
                outcomes[i] = Some(o);
                states[i] = State::Done;
                continue;
            }
            let ready = steps[i].depends_on.iter().all(|d| {
                outcomes[*d]
                    .as_ref()
                    .is_some_and(|o| o.status == StepStatus::Succeeded)
            });
            if !ready || in_flight >= opts.jobs.max(1) {
                continue;
            }
            observer.started(i);
            match submit(client, repos, &steps[i], i, opts) {
                Ok(run_id) => {
                    observer.event(
                        i,
                        &StepEvent {
                            event: "RUN_SUBMITTED".into(),
                            asset: None,
                            message: Some(format!("run {run_id}")),
                            step: None,
                            run_id: Some(run_id.clone()),
                        },
                    );
                    states[i] = State::Running(InFlight {
                        run_id,
                        since: Instant::now(),
                        status: String::new(),
                    });
                    in_flight += 1;
                }
                Err(error) => {
                    let o = StepOutcome {
                        seconds: Some(0.0),
                        error: Some(error),
                        ..StepOutcome::without_run(StepStatus::Failed, None)
                    };
                    observer.finished(i, &o);
                    outcomes[i] = Some(o);
                    states[i] = State::Done;
                }
            }
        }
        if states.iter().all(|s| matches!(s, State::Done)) {
            break;
        }
        std::thread::sleep(opts.poll);
        for i in 0..n {
            let State::Running(r) = &mut states[i] else {
                continue;
            };
            let status = match client.query(STATUS, json!({"runId": r.run_id})) {
                Ok(d) => d
                    .pointer("/runOrError/status")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                // A webserver restarting is not a failed run: ask again next round.
                Err(_) => continue,
            };
            if status != r.status && !status.is_empty() {
                r.status = status.clone();
                observer.event(
                    i,
                    &StepEvent {
                        event: format!("RUN_{status}"),
                        asset: None,
                        message: None,
                        step: None,
                        run_id: Some(r.run_id.clone()),
                    },
                );
            }
            let terminal = matches!(status.as_str(), "SUCCESS" | "FAILURE" | "CANCELED");
            if !terminal {
                continue;
            }
            let run_id = r.run_id.clone();
            let seconds = r.since.elapsed().as_secs_f64();
            let o = finished_outcome(client, &run_id, &status, seconds, i, observer);
            observer.finished(i, &o);
            outcomes[i] = Some(o);
            states[i] = State::Done;
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| StepOutcome::without_run(StepStatus::NotStarted, None)))
        .collect()
}

fn submit(
    client: &Client,
    repos: &BTreeMap<String, String>,
    step: &RemoteStep,
    index: usize,
    opts: &RemoteOptions,
) -> Result<String, StepError> {
    let mut selector = json!({
        "repositoryLocationName": step.location,
        "repositoryName": repos.get(&step.location).cloned().unwrap_or_default(),
        "jobName": step.job.clone().unwrap_or_else(|| "__ASSET_JOB".into()),
    });
    if step.job.is_none() {
        selector["assetSelection"] = step
            .assets
            .iter()
            .map(|path| json!({"path": path}))
            .collect();
    }
    let mut tags: Vec<Value> = opts
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
    let data = client
        .query(LAUNCH, json!({"params": params}))
        .map_err(|e| StepError {
            kind: StepErrorKind::Crash,
            asset: None,
            message: e.to_string(),
            traceback_tail: String::new(),
        })?;
    let r = &data["launchRun"];
    if let Some(id) = r.pointer("/run/runId").and_then(Value::as_str) {
        return Ok(id.to_string());
    }
    let kind = r["__typename"].as_str().unwrap_or("unknown").to_string();
    // A request the webserver refused (unknown assets, invalid config, not authorized).
    let error_kind = if kind == "PythonError" {
        StepErrorKind::Crash
    } else {
        StepErrorKind::InvalidRequest
    };
    let message = r
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            r.get("errors").and_then(Value::as_array).map(|es| {
                es.iter()
                    .filter_map(|e| e["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .unwrap_or_else(|| format!("the webserver answered {kind}"));
    Err(StepError {
        kind: error_kind,
        asset: None,
        message: format!("{kind}: {message}"),
        traceback_tail: stack_tail(&r["stack"]),
    })
}

fn stack_tail(stack: &Value) -> String {
    let lines: Vec<&str> = stack
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let text: String = lines.concat();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(12)..].join("\n")
}

/// The outcome of a run that ended: its materializations and, when it failed, why.
fn finished_outcome(
    client: &Client,
    run_id: &str,
    status: &str,
    seconds: f64,
    step: usize,
    observer: &dyn LaunchObserver,
) -> StepOutcome {
    let events = client
        .query(EVENTS, json!({"runId": run_id}))
        .ok()
        .and_then(|d| d.pointer("/logsForRun/events").cloned())
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default();
    let mut materialized = Vec::new();
    let mut failed_assets = Vec::new();
    let mut error: Option<StepError> = None;
    for e in &events {
        match e["__typename"].as_str() {
            Some("MaterializationEvent") => {
                let key: Vec<&str> = e
                    .pointer("/assetKey/path")
                    .and_then(Value::as_array)
                    .map(|p| p.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let key = key.join("/");
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
            Some("ExecutionStepFailureEvent") => {
                let step_key = e["stepKey"].as_str().unwrap_or_default().to_string();
                failed_assets.push(step_key.clone());
                if error.is_none() {
                    error = Some(StepError {
                        kind: StepErrorKind::StepFailure,
                        asset: Some(step_key),
                        message: e
                            .pointer("/error/message")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                        traceback_tail: stack_tail(&e["error"]["stack"]),
                    });
                }
            }
            Some("RunFailureEvent") if error.is_none() => {
                error = Some(StepError {
                    kind: StepErrorKind::RunFailure,
                    asset: None,
                    message: e["message"].as_str().unwrap_or_default().to_string(),
                    traceback_tail: String::new(),
                });
            }
            _ => {}
        }
    }
    let succeeded = status == "SUCCESS";
    if !succeeded && error.is_none() {
        error = Some(StepError {
            kind: if status == "CANCELED" {
                StepErrorKind::Interrupted
            } else {
                StepErrorKind::RunFailure
            },
            asset: None,
            message: format!("the run ended {status}"),
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

/// Runs a prepared launch on the webserver at `url`: checks that it has every location of
/// the plan, then submits and follows the steps. The report is a local launch's.
pub(crate) fn run(
    graph: &AssetGraph,
    prepared: &Prepared,
    url: &str,
    token: Option<String>,
    launch_id: &str,
    observer: &dyn LaunchObserver,
) -> Result<LaunchReport, RemoteError> {
    let steps = remote_steps(graph, prepared);
    let client = Client::new(url, token);
    let repos = resolve_repositories(&client, &steps)?;
    let outcomes = execute_remote(
        &client,
        &repos,
        &steps,
        &RemoteOptions {
            tags: vec![("dg-rs/launch_id".into(), launch_id.to_string())],
            jobs: prepared.jobs,
            poll: Duration::from_millis(500),
        },
        observer,
    );
    Ok(LaunchReport {
        launch_id: launch_id.to_string(),
        outcomes,
        interrupted: interrupt::requested(),
    })
}
