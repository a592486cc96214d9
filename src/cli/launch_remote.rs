//! `dg launch --remote URL`: the launch's plan submitted to a running Dagster webserver
//! instead of run here; same progress, summary and exit codes as a local launch.

use super::Settings;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::AssetGraph;
use crate::launch::LaunchPlan;
use crate::launch::execute::StepStatus;
use crate::launch::remote::{self, Client, RemoteOptions};
use crate::render::launch::{self as r, PlanJson};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub struct Remote<'a> {
    pub url: &'a str,
    pub token: Option<String>,
    pub partition: Option<&'a str>,
    pub json: bool,
}

pub fn run(
    settings: &Settings,
    remote_args: Remote<'_>,
    graph: &AssetGraph,
    plan: &LaunchPlan,
    configs: &[Option<Value>],
    plan_json: &PlanJson,
    interrupted: &'static AtomicBool,
) -> Result<()> {
    let steps = remote::remote_steps(graph, plan, configs, remote_args.partition);
    let client = Client::new(remote_args.url, remote_args.token);
    let repos = remote::resolve_repositories(&client, &steps)?;
    let launch_id = uuid::Uuid::new_v4().to_string();
    interrupted.store(false, Ordering::SeqCst);
    let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
    if !remote_args.json {
        settings.printer.status(&format!(
            "Submitting {} step{} to {} (launch {launch_id})",
            steps.len(),
            if steps.len() == 1 { "" } else { "s" },
            remote_args.url
        ));
    }
    let progress = r::LaunchProgress::new(
        &settings.printer,
        &plan_json.steps,
        settings.printer.interactive(),
    );
    let outcomes = remote::execute_remote(
        &client,
        &repos,
        &steps,
        &RemoteOptions {
            tags: vec![("dg-rs/launch_id".into(), launch_id.clone())],
            jobs: plan_json.jobs,
            interrupted,
            poll: Duration::from_millis(500),
        },
        &progress,
    );
    drop(progress);
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let home = format!("{} (remote)", remote_args.url);
    if remote_args.json {
        settings.printer.json(&r::ReportJson {
            launch_id: &launch_id,
            dagster_home: &home,
            interrupted: was_interrupted,
            steps: plan_json
                .steps
                .iter()
                .zip(&outcomes)
                .map(|(step, outcome)| r::StepReportJson { step, outcome })
                .collect(),
        });
    } else {
        settings.printer.out(&r::summary(
            &launch_id,
            &home,
            &plan_json.steps,
            &outcomes,
            was_interrupted,
        ));
    }
    if was_interrupted {
        return Err(Error {
            kind: ErrorKind::Interrupted,
            problems: vec![],
        });
    }
    if outcomes.iter().any(|o| o.status != StepStatus::Succeeded) {
        return Err(Error {
            kind: ErrorKind::Failed,
            problems: vec![],
        });
    }
    Ok(())
}
