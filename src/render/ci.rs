//! CI-native output: GitHub Actions workflow-command annotations (`::error file=…,line=…::…`,
//! shown on the pull request's diff at that line) and JUnit XML (one test case per problem
//! or launch step, which every CI system can display).

use crate::check::CheckReport;
use crate::graph::Severity;
use crate::launch::execute::{StepOutcome, StepStatus};
use crate::manifest::extract::LocationFailure;
use crate::render::launch::StepJson;
use quick_xml::Writer;
use quick_xml::events::BytesText;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One annotation: a problem, where it is (when known), and its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    /// As shown to the user (relative to the current directory when below it).
    pub file: Option<String>,
    pub line: Option<usize>,
    pub title: String,
    pub message: String,
}

/// GitHub's escaping for a workflow command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// …and for a property value (`file=`, `title=`), where `:` and `,` separate.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per annotation (`::error file=F,line=L,title=T::message`).
pub fn github_annotations(items: &[Annotation]) -> String {
    let mut out = String::new();
    for a in items {
        let mut props = Vec::new();
        if let Some(f) = &a.file {
            props.push(format!("file={}", escape_property(f)));
            if let Some(l) = a.line {
                props.push(format!("line={l}"));
            }
        }
        props.push(format!("title={}", escape_property(&a.title)));
        out.push_str(&format!(
            "::{} {}::{}\n",
            a.level.command(),
            props.join(","),
            escape_data(&a.message)
        ));
    }
    out
}

/// Annotations for the problems of an error (configuration problems, before any location
/// is loaded), at their file and line when they have one.
pub fn problem_annotations(e: &crate::error::Error) -> Vec<Annotation> {
    e.problems
        .iter()
        .map(|p| Annotation {
            level: Level::Error,
            file: p.at.as_ref().map(|a| super::display_path(&a.file)),
            line: p.at.as_ref().map(|a| a.line),
            title: "dg check: configuration".into(),
            message: match &p.hint {
                Some(h) => format!("{}\nhint: {h}", p.message),
                None => p.message.clone(),
            },
        })
        .collect()
}

/// The last `File "…", line N` of a Python traceback: where a location failed to load.
pub fn traceback_position(detail: &str) -> Option<(String, usize)> {
    detail.lines().rev().find_map(|l| {
        let rest = l.trim_start().strip_prefix("File \"")?;
        let (file, rest) = rest.split_once('"')?;
        let line = rest.trim_start_matches(',').trim().strip_prefix("line ")?;
        let digits: String = line.chars().take_while(|c| c.is_ascii_digit()).collect();
        Some((file.to_string(), digits.parse().ok()?))
    })
}

/// A location that failed to load, with its project's config file (where to point when the
/// traceback names no file).
pub struct FailedLocation<'a> {
    pub error: &'a LocationFailure,
    pub config_file: PathBuf,
}

fn failure_annotation(f: &FailedLocation) -> Annotation {
    let hint = crate::render::errors::location_failure_hint(f.error);
    let (file, line) = match traceback_position(&f.error.detail) {
        Some((file, line)) => (super::display_path(std::path::Path::new(&file)), Some(line)),
        None => (super::display_path(&f.config_file), None),
    };
    Annotation {
        level: Level::Error,
        file: Some(file),
        line,
        title: format!("location {} failed to load", f.error.location),
        message: format!("{}\nhint: {hint}", f.error.message),
    }
}

/// `dg check`'s problems as annotations: each at every place its keys are defined (the
/// subject's first; files are relative to `workspace_root` in the report), a load failure at
/// the failing line of its traceback.
pub fn check_annotations(
    r: &CheckReport,
    failures: &[FailedLocation],
    workspace_root: &std::path::Path,
) -> Vec<Annotation> {
    let mut out: Vec<Annotation> = failures.iter().map(failure_annotation).collect();
    for p in &r.problems {
        let level = if p.severity == Severity::Error {
            Level::Error
        } else {
            Level::Warning
        };
        let mut message = p.message.clone();
        if let Some(h) = &p.hint {
            message.push_str(&format!("\nhint: {h}"));
        }
        let title = format!("dg check: {}", p.code);
        if p.at.is_empty() {
            out.push(Annotation {
                level,
                file: None,
                line: None,
                title: title.clone(),
                message: message.clone(),
            });
        }
        for at in &p.at {
            out.push(Annotation {
                level,
                file: Some(super::display_path(&workspace_root.join(&at.file))),
                line: at.line.map(|l| l as usize),
                title: title.clone(),
                message: message.clone(),
            });
        }
    }
    out
}

/// What happened to one test case.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Passed {
        output: Option<String>,
    },
    Failed {
        kind: String,
        message: String,
        detail: String,
    },
    Skipped {
        message: String,
    },
    Errored {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    pub classname: String,
    pub time: Option<f64>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub outcome: Outcome,
}

/// XML 1.0 forbids most control characters (a traceback may carry ANSI colours).
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r') || c >= ' ')
        .collect()
}

/// A JUnit XML document of one suite (`<testsuites>` around one `<testsuite>`).
pub fn junit(suite_name: &str, cases: &[TestCase]) -> String {
    let count = |f: fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let failures = count(|o| matches!(o, Outcome::Failed { .. }));
    let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
    let errors = count(|o| matches!(o, Outcome::Errored { .. }));
    let time = cases.iter().filter_map(|c| c.time).fold(0.0, |a, b| a + b);
    let tests = cases.len().to_string();
    let (failures, skipped, errors) = (
        failures.to_string(),
        skipped.to_string(),
        errors.to_string(),
    );
    let time = format!("{time:.3}");
    // The suite and its one testsuite carry the same totals.
    let totals = [
        ("name", suite_name),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
        ("skipped", skipped.as_str()),
        ("time", time.as_str()),
    ];
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = (|| -> std::io::Result<()> {
        w.write_event(quick_xml::events::Event::Decl(
            quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
        ))?;
        w.create_element("testsuites")
            .with_attributes(totals)
            .write_inner_content(|w| {
                w.create_element("testsuite")
                    .with_attributes(totals)
                    .write_inner_content(|w| {
                        for c in cases {
                            write_case(w, c)?;
                        }
                        Ok(())
                    })?;
                Ok(())
            })?;
        Ok(())
    })();
    // Writing into a Vec cannot fail.
    debug_assert!(written.is_ok());
    let mut xml = String::from_utf8(w.into_inner()).unwrap_or_default();
    xml.push('\n');
    xml
}

fn write_case(w: &mut Writer<Vec<u8>>, c: &TestCase) -> std::io::Result<()> {
    let name = xml_safe(&c.name);
    let mut attrs: Vec<(&str, String)> =
        vec![("name", name), ("classname", xml_safe(&c.classname))];
    if let Some(t) = c.time {
        attrs.push(("time", format!("{t:.3}")));
    }
    if let Some(f) = &c.file {
        attrs.push(("file", xml_safe(f)));
    }
    if let Some(l) = c.line {
        attrs.push(("line", l.to_string()));
    }
    let el = w
        .create_element("testcase")
        .with_attributes(attrs.iter().map(|(k, v)| (*k, v.as_str())));
    match &c.outcome {
        Outcome::Passed { output: None } => {
            el.write_empty()?;
        }
        Outcome::Passed { output: Some(text) } => {
            el.write_inner_content(|w| {
                w.create_element("system-out")
                    .write_text_content(BytesText::new(&xml_safe(text)))?;
                Ok(())
            })?;
        }
        Outcome::Failed {
            kind,
            message,
            detail,
        } => {
            el.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attributes([("message", xml_safe(message).as_str()), ("type", kind)])
                    .write_text_content(BytesText::new(&xml_safe(detail)))?;
                Ok(())
            })?;
        }
        Outcome::Skipped { message } | Outcome::Errored { message } => {
            let tag = if matches!(c.outcome, Outcome::Skipped { .. }) {
                "skipped"
            } else {
                "error"
            };
            el.write_inner_content(|w| {
                w.create_element(tag)
                    .with_attribute(("message", xml_safe(message).as_str()))
                    .write_empty()?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// `dg check` as JUnit: a test case per location (does it load?) and one per problem.
/// Warnings pass (with the warning as output) unless `strict`.
pub fn check_junit(r: &CheckReport, failures: &[FailedLocation], strict: bool) -> String {
    let mut cases = Vec::new();
    for l in &r.locations {
        let failure = failures.iter().find(|f| f.error.location == l.name);
        let outcome = match failure {
            Some(f) => {
                let a = failure_annotation(f);
                Outcome::Failed {
                    kind: f.error.kind.as_str().to_string(),
                    message: f.error.message.clone(),
                    detail: format!("{}\n{}", f.error.detail, a.message),
                }
            }
            None => Outcome::Passed {
                output: l
                    .from_state
                    .then(|| "read from the saved state (environment missing)".to_string()),
            },
        };
        let at = failure.map(failure_annotation);
        cases.push(TestCase {
            name: format!("location {} loads", l.name),
            classname: format!("dg.check.{}", l.name),
            time: None,
            file: at.as_ref().and_then(|a| a.file.clone()),
            line: at.as_ref().and_then(|a| a.line),
            outcome,
        });
    }
    for p in &r.problems {
        let first = p.at.first();
        let mut detail = p.message.clone();
        for at in &p.at {
            detail.push_str(&format!(
                "\n  defined: {}{}",
                at.file,
                at.line.map(|l| format!(":{l}")).unwrap_or_default()
            ));
        }
        if let Some(h) = &p.hint {
            detail.push_str(&format!("\nhint: {h}"));
        }
        let outcome = if p.severity == Severity::Error || strict {
            Outcome::Failed {
                kind: p.code.to_string(),
                message: p.message.clone(),
                detail,
            }
        } else {
            Outcome::Passed {
                output: Some(format!("warning: {detail}")),
            }
        };
        cases.push(TestCase {
            name: format!(
                "{}: {}",
                p.code,
                p.keys.first().cloned().unwrap_or_default()
            ),
            classname: format!(
                "dg.check.{}",
                p.locations
                    .first()
                    .map(String::as_str)
                    .unwrap_or("workspace")
            ),
            time: None,
            file: first.map(|a| a.file.clone()),
            line: first.and_then(|a| a.line).map(|l| l as usize),
            outcome,
        });
    }
    junit("dg check", &cases)
}

/// `dg launch` as JUnit: a test case per step, timed, its failure with the traceback.
pub fn launch_junit(steps: &[StepJson], outcomes: &[StepOutcome]) -> String {
    let cases: Vec<TestCase> = steps
        .iter()
        .zip(outcomes)
        .map(|(s, o)| {
            let outcome = match o.status {
                StepStatus::Succeeded => Outcome::Passed {
                    output: (!o.materialized.is_empty())
                        .then(|| format!("materialized: {}", o.materialized.join(", "))),
                },
                StepStatus::Failed => match &o.error {
                    Some(e) => Outcome::Failed {
                        // The kind's name as the JSON report spells it (`step_failure`).
                        kind: serde_json::to_value(e.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        message: match &e.asset {
                            Some(a) => format!("{a}: {}", e.message),
                            None => e.message.clone(),
                        },
                        detail: e.traceback_tail.clone(),
                    },
                    None => Outcome::Failed {
                        kind: "crash".into(),
                        message: "the step failed".into(),
                        detail: String::new(),
                    },
                },
                StepStatus::Skipped => Outcome::Skipped {
                    message: match o.blocked_by {
                        Some(b) => format!("not run: step {} did not succeed", b + 1),
                        None => "not run".into(),
                    },
                },
                StepStatus::NotStarted => Outcome::Skipped {
                    message: "not started: the launch was interrupted".into(),
                },
                StepStatus::Interrupted => Outcome::Errored {
                    message: "interrupted".into(),
                },
            };
            TestCase {
                name: format!("step {}: {}", s.step, s.assets.join(", ")),
                classname: format!("dg.launch.{}", s.location),
                time: o.seconds,
                file: None,
                line: None,
                outcome,
            }
        })
        .collect();
    junit("dg launch", &cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_parses() {
        let a = Annotation {
            level: Level::Error,
            file: Some("projects/a,b/x.py".into()),
            line: Some(12),
            title: "dg check: unknown-dependency".into(),
            message: "100% wrong\nsecond line".into(),
        };
        assert_eq!(
            github_annotations(&[a]),
            "::error file=projects/a%2Cb/x.py,line=12,title=dg check%3A unknown-dependency::100%25 wrong%0Asecond line\n"
        );
    }

    #[test]
    fn the_last_traceback_frame_is_where_a_location_failed() {
        let tb = "Traceback (most recent call last):\n  File \"/ws/a/defs.py\", line 3, in <module>\n    import b\n  File \"/ws/a/b.py\", line 7, in <module>\n    raise X\nX: boom";
        assert_eq!(traceback_position(tb), Some(("/ws/a/b.py".into(), 7)));
        assert_eq!(traceback_position("no frames"), None);
    }

    #[test]
    fn junit_counts_outcomes_and_keeps_control_characters_out() {
        let case = |name: &str, outcome| TestCase {
            name: name.into(),
            classname: "c".into(),
            time: Some(0.5),
            file: None,
            line: None,
            outcome,
        };
        let xml = junit(
            "s",
            &[
                case("ok", Outcome::Passed { output: None }),
                case(
                    "bad <\u{1b}[31m>",
                    Outcome::Failed {
                        kind: "k".into(),
                        message: "m & n".into(),
                        detail: "trace\u{1b}[0m".into(),
                    },
                ),
                case(
                    "later",
                    Outcome::Skipped {
                        message: "s".into(),
                    },
                ),
            ],
        );
        assert!(
            xml.contains(r#"tests="3" failures="1" errors="0" skipped="1" time="1.500""#),
            "{xml}"
        );
        assert!(xml.contains("bad &lt;[31m&gt;"), "{xml}");
        assert!(xml.contains(r#"message="m &amp; n""#), "{xml}");
        assert!(!xml.contains('\u{1b}'));
    }
}
