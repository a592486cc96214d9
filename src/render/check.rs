//! The human report of `dg check`: one line per location, then every problem of the graph
//! with the locations and files involved; and `dg check toml`'s report.

use crate::check::{CheckReport, LocationStatus};
use crate::error::{Error, Problem};
use serde::Serialize;
use std::path::PathBuf;

pub(crate) fn human(r: &CheckReport) -> String {
    let mut out = Vec::new();
    let rows: Vec<Vec<String>> = r
        .locations
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                match l.status {
                    LocationStatus::Ok => "ok",
                    LocationStatus::Failed => "failed to load",
                    LocationStatus::Problems => "problems",
                }
                .to_string()
                    + if l.from_state {
                        " (from saved state)"
                    } else {
                        ""
                    },
                l.assets.to_string(),
                l.python_version.clone().unwrap_or_default(),
                l.dagster_version.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push(super::table::render(
        &["LOCATION", "STATUS", "ASSETS", "PYTHON", "DAGSTER"],
        &rows,
    ));
    for p in &r.problems {
        let mut s = format!("\n{}[{}]: {}", p.severity, p.code, p.message);
        if !p.locations.is_empty() {
            s.push_str(&format!("\n  locations: {}", p.locations.join(", ")));
        }
        for at in &p.defined_at {
            s.push_str(&format!("\n  defined: {at}"));
        }
        if let Some(h) = &p.hint {
            s.push_str(&format!("\n  hint: {h}"));
        }
        out.push(s);
    }
    let verdict = if r.ok {
        if r.warnings > 0 {
            format!("\nAll checks passed ({}).", plural(r.warnings, "warning"))
        } else {
            "\nAll checks passed.".to_string()
        }
    } else {
        format!(
            "\nCheck failed: {}, {}.",
            plural(r.errors, "error"),
            plural(r.warnings, "warning")
        )
    };
    out.push(verdict);
    out.join("\n")
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[derive(Serialize)]
struct ProblemJson {
    message: String,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    hint: Option<String>,
}

impl From<&Problem> for ProblemJson {
    fn from(p: &Problem) -> Self {
        ProblemJson {
            message: p.message.clone(),
            file: p.at.as_ref().map(|a| a.file.display().to_string()),
            line: p.at.as_ref().map(|a| a.line),
            column: p.at.as_ref().map(|a| a.column),
            hint: p.hint.clone(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct TomlReport {
    ok: bool,
    files: Vec<String>,
    problems: Vec<ProblemJson>,
}

/// `dg check toml --json`.
pub(crate) fn toml_json(outcome: &Result<Vec<PathBuf>, Error>) -> TomlReport {
    let (files, problems) = match outcome {
        Ok(files) => (files.clone(), Vec::new()),
        Err(e) => (Vec::new(), e.problems.clone()),
    };
    TomlReport {
        ok: problems.is_empty(),
        files: files.iter().map(|f| f.display().to_string()).collect(),
        problems: problems.iter().map(ProblemJson::from).collect(),
    }
}

/// `dg check toml` when every file is valid.
pub(crate) fn toml_text(files: &[PathBuf]) -> String {
    let mut text = format!("All {} config files are valid:", files.len());
    for f in files {
        text.push_str(&format!("\n  {}", super::display_path(f)));
    }
    text
}
