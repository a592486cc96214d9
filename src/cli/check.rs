//! `dg check ...` handlers.

use super::{CheckCommand, JsonFlag, Settings};
use crate::config;
use crate::error::{Error, ErrorKind, Problem, Result};
use serde::Serialize;

pub fn run(settings: &Settings, cmd: &CheckCommand) -> Result<()> {
    match cmd {
        CheckCommand::Toml(flags) => toml(settings, *flags),
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
struct TomlReport {
    ok: bool,
    files: Vec<String>,
    problems: Vec<ProblemJson>,
}

/// Validates the workspace file and every project's file. Problems are a failed check
/// (exit 1, as real dg's `check toml`); every problem is reported, not only the first.
fn toml(settings: &Settings, flags: JsonFlag) -> Result<()> {
    let outcome = config::find_config_files(&settings.target);
    let (files, problems) = match &outcome {
        Ok(files) => (files.clone(), Vec::new()),
        Err(e) => (Vec::new(), e.problems.clone()),
    };
    if flags.json {
        settings.printer.json(&TomlReport {
            ok: problems.is_empty(),
            files: files.iter().map(|f| f.display().to_string()).collect(),
            problems: problems.iter().map(ProblemJson::from).collect(),
        });
        return match outcome {
            Ok(_) => Ok(()),
            Err(_) => Err(Error {
                kind: ErrorKind::Failed,
                problems: Vec::new(),
            }),
        };
    }
    match outcome {
        Ok(files) => {
            let mut text = format!("All {} config files are valid:", files.len());
            for f in &files {
                text.push_str(&format!("\n  {}", crate::render::display_path(f)));
            }
            settings.printer.out(&text);
            Ok(())
        }
        Err(e) => Err(e.with_kind(ErrorKind::Failed)),
    }
}
