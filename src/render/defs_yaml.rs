//! `dg check yaml`'s report: every problem at its file, line and column with the line and
//! a caret and what to do, then a verdict; as JSON; as GitHub annotations and JUnit cases
//! (one per component file).

use super::check::plural;
use crate::defs_yaml::YamlProblem;
use crate::defs_yaml::run::YamlReport;
use crate::render::ci::{Annotation, Level, Outcome, TestCase};
use serde::Serialize;
use std::path::Path;

/// The problems, each as an error with its place (for stdout).
pub(crate) fn human(r: &YamlReport) -> String {
    let mut out: Vec<String> = r
        .problems
        .iter()
        .map(|p| super::error_text(&p.problem))
        .collect();
    out.push(verdict(r));
    out.join("\n\n")
}

fn verdict(r: &YamlReport) -> String {
    let files = plural(r.files.len(), "component file");
    let locations = plural(r.locations, "location");
    if r.ok() {
        return format!("All component YAML validated successfully ({files} in {locations}).");
    }
    let mut bad: Vec<&Path> = r
        .problems
        .iter()
        .filter_map(|p| p.problem.at.as_ref().map(|a| a.file.as_path()))
        .collect();
    bad.dedup();
    let mut s = format!(
        "Component YAML check failed: {} in {} of {files}",
        plural(r.problems.len(), "problem"),
        plural(bad.len(), "file"),
    );
    if !r.failures.is_empty() {
        let names: Vec<&str> = r.failures.iter().map(|f| f.location.as_str()).collect();
        s.push_str(&format!(
            "; the attributes of {} could not be checked (its component registry did not load)",
            names.join(", ")
        ));
    }
    s.push('.');
    s
}

#[derive(Serialize)]
pub(crate) struct YamlJson {
    ok: bool,
    files: Vec<FileJson>,
    problems: Vec<ProblemJson>,
    failed_locations: Vec<String>,
}

#[derive(Serialize)]
struct FileJson {
    location: String,
    file: String,
}

#[derive(Serialize)]
struct ProblemJson {
    location: String,
    file: String,
    line: usize,
    column: usize,
    yaml_path: String,
    #[serde(rename = "type")]
    typename: Option<String>,
    message: String,
    hint: Option<String>,
}

/// Files relative to the workspace root.
pub(crate) fn json(r: &YamlReport, root: &Path) -> YamlJson {
    let rel = |f: &Path| crate::path::display(f, root);
    YamlJson {
        ok: r.ok(),
        files: r
            .files
            .iter()
            .map(|(location, f)| FileJson {
                location: location.clone(),
                file: rel(f),
            })
            .collect(),
        problems: r
            .problems
            .iter()
            .map(|p| {
                let at = p.problem.at.as_ref();
                ProblemJson {
                    location: p.location.clone(),
                    file: at.map(|a| rel(&a.file)).unwrap_or_default(),
                    line: at.map_or(0, |a| a.line),
                    column: at.map_or(0, |a| a.column),
                    yaml_path: p.yaml_path.clone(),
                    typename: p.typename.clone(),
                    message: p.problem.message.clone(),
                    hint: p.problem.hint.clone(),
                }
            })
            .collect(),
        failed_locations: r.failures.iter().map(|f| f.location.clone()).collect(),
    }
}

fn message(p: &YamlProblem) -> String {
    let mut m = p.problem.message.clone();
    if let Some(h) = &p.problem.hint {
        m.push_str(&format!("\nhint: {h}"));
    }
    m
}

/// One annotation per problem, on its line.
pub(crate) fn annotations(r: &YamlReport) -> Vec<Annotation> {
    r.problems
        .iter()
        .map(|p| Annotation {
            level: Level::Error,
            file: p.problem.at.as_ref().map(|a| super::display_path(&a.file)),
            line: p.problem.at.as_ref().map(|a| a.line),
            title: "dg check yaml".into(),
            message: message(p),
        })
        .collect()
}

/// A JUnit test case per component file: passed, or failed with its problems.
pub(crate) fn junit(r: &YamlReport, root: &Path) -> String {
    let cases: Vec<TestCase> = r
        .files
        .iter()
        .map(|(location, file)| {
            let mine: Vec<&YamlProblem> = r
                .problems
                .iter()
                .filter(|p| p.problem.at.as_ref().is_some_and(|a| &a.file == file))
                .collect();
            let name = crate::path::display(file, root);
            let outcome = match mine.first() {
                None => Outcome::Passed { output: None },
                Some(first) => Outcome::Failed {
                    kind: "defs-yaml".into(),
                    message: first.problem.message.clone(),
                    detail: mine
                        .iter()
                        .map(|p| {
                            let line = p.problem.at.as_ref().map_or(0, |a| a.line);
                            format!("{name}:{line}: {}", message(p))
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
            };
            TestCase {
                name: name.clone(),
                classname: format!("dg check yaml.{location}"),
                time: None,
                file: Some(name),
                line: mine
                    .first()
                    .and_then(|p| p.problem.at.as_ref().map(|a| a.line)),
                outcome,
            }
        })
        .collect();
    super::ci::junit("dg check yaml", &cases)
}
