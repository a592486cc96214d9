//! `dg launch` output: the plan (text or JSON), live progress while steps run (a line per
//! step on a terminal; otherwise every event and log line prefixed with its step and
//! location), and the summary table at the end.

use super::Printer;
use crate::graph::AssetGraph;
use crate::launch::execute::{LaunchObserver, StepEvent, StepOutcome, StepStatus, Stream};
use crate::launch::plan::Step;
use crate::launch::{LaunchReport, Prepared};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::sync::Mutex;
use std::time::Duration;

/// The plan as `--dry-run` shows it (and `--json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct PlanJson {
    pub dagster_home: String,
    /// 1 + the longest chain of steps: steps of one wave are independent.
    pub waves: usize,
    pub executor: String,
    pub jobs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    pub steps: Vec<StepJson>,
    /// Selected external assets, left out: no location can materialize them.
    pub skipped_external: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepJson {
    /// 1-based.
    pub step: usize,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    pub assets: Vec<String>,
    /// 1-based step numbers.
    pub depends_on: Vec<usize>,
    pub wave: usize,
    pub python: String,
    pub dagster_version: String,
}

impl StepJson {
    pub fn label(&self) -> String {
        format!("step {} {}", self.step, self.location)
    }
}

/// The report of a launch that ran (`--json`).
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    pub launch_id: &'a str,
    pub dagster_home: &'a str,
    pub interrupted: bool,
    pub steps: Vec<StepReportJson<'a>>,
}

#[derive(Debug, Serialize)]
pub struct StepReportJson<'a> {
    #[serde(flatten)]
    pub step: &'a StepJson,
    #[serde(flatten)]
    pub outcome: &'a StepOutcome,
}

/// The plan as shown and printed.
pub(crate) fn plan_json(graph: &AssetGraph, prepared: &Prepared) -> PlanJson {
    PlanJson {
        dagster_home: prepared.instance.home.display().to_string(),
        waves: prepared.plan.waves(),
        executor: prepared.executor.as_str().into(),
        jobs: prepared.jobs,
        partition: prepared.partition.clone(),
        steps: prepared
            .plan
            .steps
            .iter()
            .map(|s| step_json(graph, s))
            .collect(),
        skipped_external: prepared
            .plan
            .dropped_external
            .iter()
            .map(|id| graph.key(*id).to_string())
            .collect(),
    }
}

fn step_json(graph: &AssetGraph, s: &Step) -> StepJson {
    let info = &graph.location(s.location).manifest.location;
    StepJson {
        step: s.index + 1,
        location: graph.location_name(s.location).to_string(),
        job: s.job.clone(),
        assets: s.assets.iter().map(|a| graph.key(*a).to_string()).collect(),
        depends_on: s.depends_on.iter().map(|d| d + 1).collect(),
        wave: s.wave,
        python: info.python_version.clone(),
        dagster_version: info.dagster_version.clone(),
    }
}

/// The line a launch starts with.
pub(crate) fn starting(plan: &PlanJson, launch_id: &str) -> String {
    format!(
        "Launching {} step{} (launch {launch_id}, DAGSTER_HOME {})",
        plan.steps.len(),
        plural(plan.steps.len()),
        plan.dagster_home
    )
}

/// The report of a launch that ran (`--json`).
pub(crate) fn report_json<'a>(plan: &'a PlanJson, report: &'a LaunchReport) -> ReportJson<'a> {
    ReportJson {
        launch_id: &report.launch_id,
        dagster_home: &plan.dagster_home,
        interrupted: report.interrupted,
        steps: plan
            .steps
            .iter()
            .zip(&report.outcomes)
            .map(|(step, outcome)| StepReportJson { step, outcome })
            .collect(),
    }
}

fn list_assets(assets: &[String], max: usize) -> String {
    if assets.len() <= max {
        assets.join(", ")
    } else {
        format!(
            "{}, … (+{} more)",
            assets[..max].join(", "),
            assets.len() - max
        )
    }
}

fn step_target(s: &StepJson, max: usize) -> String {
    match &s.job {
        Some(job) if s.assets.is_empty() => format!("job {job}"),
        Some(job) => format!("job {job}: {}", list_assets(&s.assets, max)),
        None => list_assets(&s.assets, max),
    }
}

/// The human plan of `--dry-run`.
pub fn plan_text(plan: &PlanJson) -> String {
    let waves = plan.waves;
    let mut out = format!(
        "Launch plan: {} step{} in {} wave{} (DAGSTER_HOME {}, executor {}, up to {} at once)\n",
        plan.steps.len(),
        plural(plan.steps.len()),
        waves,
        plural(waves),
        plan.dagster_home,
        plan.executor,
        plan.jobs
    );
    let rows: Vec<Vec<String>> = plan
        .steps
        .iter()
        .map(|s| {
            vec![
                s.step.to_string(),
                s.wave.to_string(),
                s.location.clone(),
                format!("{} / dagster {}", s.python, s.dagster_version),
                step_target(s, 8),
                s.depends_on
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    out.push_str(&super::table::render(
        &["STEP", "WAVE", "LOCATION", "PYTHON", "ASSETS", "AFTER STEP"],
        &rows,
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn seconds(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "-".into())
}

fn status_text(steps: &[StepJson], o: &StepOutcome) -> String {
    match (o.status, o.blocked_by) {
        (StepStatus::Skipped, Some(b)) => {
            format!("skipped (step {} did not succeed)", steps[b].step)
        }
        (s, _) => s.as_str().to_string(),
    }
}

/// The summary printed when a launch ends: a table, then why each failed step failed.
pub fn summary(
    launch_id: &str,
    dagster_home: &str,
    steps: &[StepJson],
    outcomes: &[StepOutcome],
    interrupted: bool,
) -> String {
    let rows: Vec<Vec<String>> = steps
        .iter()
        .zip(outcomes)
        .map(|(s, o)| {
            vec![
                s.step.to_string(),
                s.location.clone(),
                step_target(s, 4),
                status_text(steps, o),
                seconds(o.seconds),
                o.run_id.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut out = String::new();
    if interrupted {
        out.push_str("Launch interrupted.\n");
    }
    out.push_str(&super::table::render(
        &["STEP", "LOCATION", "ASSETS", "STATUS", "DURATION", "RUN ID"],
        &rows,
    ));
    out.push('\n');
    for (s, o) in steps.iter().zip(outcomes) {
        let Some(err) = &o.error else { continue };
        if o.status != StepStatus::Failed {
            continue;
        }
        let asset = err
            .asset
            .clone()
            .or_else(|| o.failed_assets.first().cloned());
        out.push_str(&format!(
            "\nstep {} ({}) failed{}: {}\n",
            s.step,
            s.location,
            asset.map(|a| format!(" in asset {a}")).unwrap_or_default(),
            err.message
        ));
        let tail = err.traceback_tail.trim_end();
        if !tail.is_empty() {
            for line in tail.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    let count = |st: StepStatus| outcomes.iter().filter(|o| o.status == st).count();
    let mut parts = vec![format!("{} succeeded", count(StepStatus::Succeeded))];
    for st in [
        StepStatus::Failed,
        StepStatus::Skipped,
        StepStatus::Interrupted,
        StepStatus::NotStarted,
    ] {
        let n = count(st);
        if n > 0 {
            parts.push(format!("{n} {}", st.as_str()));
        }
    }
    out.push_str(&format!(
        "\nLaunch {launch_id}: {}. Runs are in the Dagster instance at {dagster_home} (tag dg-rs/launch_id={launch_id}).\n",
        parts.join(", ")
    ));
    out
}

/// What a launch shows while it runs.
pub struct LaunchProgress<'a> {
    printer: &'a Printer,
    labels: Vec<String>,
    live: Option<Live>,
}

struct Live {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
    /// Materialized assets so far, per step.
    done: Mutex<Vec<usize>>,
    totals: Vec<usize>,
}

impl<'a> LaunchProgress<'a> {
    /// A line per step on a terminal (`live`), prefixed log lines otherwise.
    pub fn new(printer: &'a Printer, steps: &[StepJson], live: bool) -> Self {
        let labels: Vec<String> = steps.iter().map(StepJson::label).collect();
        let live = live.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = labels.iter().map(String::len).max().unwrap_or(0);
            let bars = steps
                .iter()
                .zip(&labels)
                .map(|(s, label)| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{prefix} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!("  {label:width$}"));
                    bar.set_message(format!("waiting · {}", step_target(s, 3)));
                    bar.tick();
                    bar
                })
                .collect();
            Live {
                multi,
                bars,
                done: Mutex::new(vec![0; steps.len()]),
                totals: steps.iter().map(|s| s.assets.len()).collect(),
            }
        });
        LaunchProgress {
            printer,
            labels,
            live,
        }
    }

    fn prefixed(&self, step: usize, text: &str) {
        self.printer
            .status(&format!("[{}] {text}", self.labels[step]));
    }
}

/// Dagster's console logger repeats every event at DEBUG on stderr; the events already came
/// through as structured lines.
fn is_console_event_echo(line: &str) -> bool {
    line.contains(" - dagster - DEBUG - ")
}

impl LaunchObserver for LaunchProgress<'_> {
    fn started(&self, step: usize) {
        match &self.live {
            Some(live) => {
                let bar = &live.bars[step];
                bar.set_style(
                    ProgressStyle::with_template("{prefix} {spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.reset_elapsed();
                bar.set_message("starting");
                bar.enable_steady_tick(Duration::from_millis(100));
            }
            None => self.prefixed(step, "started"),
        }
    }

    fn event(&self, step: usize, e: &StepEvent) {
        match &self.live {
            Some(live) => {
                let msg = match (e.event.as_str(), e.asset.as_deref()) {
                    ("ASSET_MATERIALIZATION", Some(a)) => {
                        let mut done = live.done.lock().unwrap_or_else(|p| p.into_inner());
                        done[step] += 1;
                        Some(format!(
                            "{}/{} materialized · {a}",
                            done[step], live.totals[step]
                        ))
                    }
                    ("STEP_START", Some(a)) => Some(format!("running {a}")),
                    ("STEP_FAILURE", Some(a)) => Some(format!("failed {a}")),
                    ("RUN_START", _) => Some("run started".into()),
                    _ => None,
                };
                if let Some(msg) = msg {
                    live.bars[step].set_message(msg);
                }
            }
            None => {
                let what = match (&e.asset, &e.message) {
                    (Some(a), Some(m)) if !m.is_empty() => format!("{} {a}: {m}", e.event),
                    (Some(a), _) => format!("{} {a}", e.event),
                    (None, Some(m)) if !m.is_empty() => format!("{}: {m}", e.event),
                    _ => e.event.clone(),
                };
                self.prefixed(step, &what);
            }
        }
    }

    fn line(&self, step: usize, stream: Stream, line: &str) {
        let echo = stream == Stream::Stderr && is_console_event_echo(line);
        if echo && !self.printer.verbose {
            return;
        }
        match &self.live {
            // On a terminal only what the user asked for: --verbose shows every line.
            Some(live) => {
                if self.printer.verbose {
                    let _ = live
                        .multi
                        .println(format!("[{}] {line}", self.labels[step]));
                }
            }
            None => self.prefixed(step, line),
        }
    }

    fn finished(&self, step: usize, o: &StepOutcome) {
        let how = match o.status {
            StepStatus::Succeeded => format!(
                "✓ succeeded in {} ({} materialized)",
                seconds(o.seconds),
                o.materialized.len()
            ),
            StepStatus::Failed => format!(
                "✗ failed in {}{}",
                seconds(o.seconds),
                o.error
                    .as_ref()
                    .map(|e| format!(": {}", e.message))
                    .unwrap_or_default()
            ),
            StepStatus::Skipped => match o.blocked_by {
                Some(b) => format!("- skipped ({} did not succeed)", self.labels[b]),
                None => "- skipped".into(),
            },
            StepStatus::Interrupted => format!("✗ interrupted after {}", seconds(o.seconds)),
            StepStatus::NotStarted => "- not started".into(),
        };
        match &self.live {
            Some(live) => {
                let bar = &live.bars[step];
                bar.set_style(
                    ProgressStyle::with_template("{prefix} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.finish_with_message(how);
            }
            None => self.prefixed(step, &how),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::execute::StepError;

    fn step(n: usize, loc: &str, assets: &[&str], deps: &[usize]) -> StepJson {
        StepJson {
            step: n,
            location: loc.into(),
            job: None,
            assets: assets.iter().map(|s| s.to_string()).collect(),
            depends_on: deps.to_vec(),
            wave: n,
            python: "3.11.7".into(),
            dagster_version: "1.12.22".into(),
        }
    }

    #[test]
    fn the_summary_names_the_failing_asset_and_the_skipped_step() {
        let steps = vec![
            step(
                1,
                "data-engineering",
                &["cleaned_orders", "raw_orders"],
                &[],
            ),
            step(2, "data-science", &["data_science_asset"], &[1]),
        ];
        let outcomes = vec![
            StepOutcome {
                status: StepStatus::Failed,
                run_id: Some("abc".into()),
                seconds: Some(4.0),
                dagster_version: None,
                materialized: vec!["raw_orders".into()],
                failed_assets: vec!["cleaned_orders".into()],
                error: Some(StepError {
                    kind: crate::launch::execute::StepErrorKind::StepFailure,
                    asset: Some("cleaned_orders".into()),
                    message: "RuntimeError: injected failure in cleaned_orders".into(),
                    traceback_tail: "Traceback (most recent call last):\n  boom".into(),
                }),
                blocked_by: None,
            },
            StepOutcome {
                status: StepStatus::Skipped,
                run_id: None,
                seconds: None,
                dagster_version: None,
                materialized: vec![],
                failed_assets: vec![],
                error: None,
                blocked_by: Some(0),
            },
        ];
        let text = summary("L1", "/h", &steps, &outcomes, false);
        insta::assert_snapshot!(text, @r"
        STEP  LOCATION          ASSETS                      STATUS                            DURATION  RUN ID
        1     data-engineering  cleaned_orders, raw_orders  failed                            4.0 s     abc
        2     data-science      data_science_asset          skipped (step 1 did not succeed)  -         -

        step 1 (data-engineering) failed in asset cleaned_orders: RuntimeError: injected failure in cleaned_orders
            Traceback (most recent call last):
              boom

        Launch L1: 0 succeeded, 1 failed, 1 skipped. Runs are in the Dagster instance at /h (tag dg-rs/launch_id=L1).
        ");
    }
}
