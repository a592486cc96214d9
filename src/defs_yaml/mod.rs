//! `dg check yaml`: every `defs.yaml` (`defs.yml`, the deprecated `component.yaml`) under a
//! location's defs folder, checked without starting Python: the file is read here (with
//! each value's line and column), its own keys checked, then its attributes against the
//! component type's JSON schema and its templates against the variables in scope, both
//! from the location's component registry ([`crate::components`], cached per location).
//!
//! Where we differ from real dg on purpose: every document is checked (real dg keeps one
//! per component type and drops the others), a relative `type: .Name` resolves against the
//! file's whole module path under defs (as Dagster loads it; real dg uses only the folder's
//! name), `defs.yml` is read (Dagster loads it; real dg skips it), and a missing `type:`
//! is a problem rather than a crash.

pub(crate) mod run;
pub(crate) mod templates;
pub(crate) mod tree;
pub(crate) mod validate;

use crate::components::Registry;
use crate::config::Project;
use crate::diagnostic::{Problem, SourcePos};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tree::{Doc, SyntaxError};
use validate::Finding;

/// The names a component file may have, in the order Dagster prefers them in one folder.
pub(crate) const FILE_NAMES: &[&str] = &["defs.yaml", "defs.yml", "component.yaml"];

/// A component file, read.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) file: PathBuf,
    text: String,
    /// The module its folder is (`pkg.defs.ingest.orders`), for a relative `type: .Name`.
    module: String,
    docs: Result<Vec<Doc>, SyntaxError>,
}

/// A problem in a component file of a location.
#[derive(Debug, Clone)]
pub(crate) struct YamlProblem {
    pub(crate) location: String,
    /// The component type the document declares, when it has one.
    pub(crate) typename: Option<String>,
    /// The YAML path (`attributes.execution.path`), empty for the whole document.
    pub(crate) yaml_path: String,
    pub(crate) problem: Problem,
}

/// The component files of `project`, sorted; with `paths`, only those at or below one of
/// them (files or folders, absolute).
pub(crate) fn files(project: &Project, paths: &[PathBuf]) -> Vec<PathBuf> {
    let defs = project.defs_folder();
    let mut out = Vec::new();
    let mut stack = vec![defs];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names = BTreeSet::new();
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            if kind.is_dir() && name != "__pycache__" {
                stack.push(e.path());
            } else if FILE_NAMES.contains(&name.as_str()) {
                names.insert(name);
            }
        }
        if let Some(first) = FILE_NAMES.iter().find(|n| names.contains(**n)) {
            out.push(dir.join(first));
        }
    }
    out.retain(|f| paths.is_empty() || paths.iter().any(|p| f == p || f.starts_with(p)));
    out.sort();
    out
}

/// Reads a component file (a file that cannot be read is a syntax problem at its top).
pub(crate) fn parse_file(project: &Project, file: &Path) -> Parsed {
    let defs = project.defs_folder();
    let rel = file.parent().and_then(|d| d.strip_prefix(&defs).ok());
    let mut module = project.defs_module.clone();
    for part in rel.into_iter().flat_map(|r| r.components()) {
        module.push('.');
        module.push_str(&part.as_os_str().to_string_lossy());
    }
    let (text, docs) = match std::fs::read_to_string(file) {
        Ok(text) => {
            let docs = tree::parse(&text);
            (text, docs)
        }
        Err(e) => (
            String::new(),
            Err(SyntaxError {
                message: format!("cannot be read: {e}"),
                at: tree::At {
                    line: 1,
                    col: 0,
                    len: 1,
                },
            }),
        ),
    };
    Parsed {
        file: file.to_path_buf(),
        text,
        module,
        docs,
    }
}

impl Parsed {
    /// The component types its documents name, resolved (`.Name` against its module).
    pub(crate) fn typenames(&self) -> Vec<String> {
        let Ok(docs) = &self.docs else { return vec![] };
        docs.iter()
            .filter_map(|d| d.value.get("type").and_then(|t| t.as_str()))
            .map(|t| self.resolve(t))
            .collect()
    }

    fn resolve(&self, raw: &str) -> String {
        if raw.starts_with('.') {
            format!("{}{raw}", self.module)
        } else {
            raw.to_string()
        }
    }

    fn problem(
        &self,
        location: &str,
        typename: Option<&str>,
        doc: Option<&Doc>,
        f: Finding,
    ) -> YamlProblem {
        let at = match doc {
            Some(doc) => {
                let (depth, place) = doc.closest(&f.path);
                // A block value (a mapping or list below its key) is shown at its key, as
                // real dg shows it.
                let below_key = place.key.is_some_and(|k| place.value.line > k.line);
                if f.on_key || depth < f.path.len() || below_key {
                    place.key.unwrap_or(place.value)
                } else {
                    place.value
                }
            }
            None => tree::At {
                line: 1,
                col: 0,
                len: 1,
            },
        };
        let line_text = self
            .text
            .lines()
            .nth(at.line - 1)
            .unwrap_or_default()
            .to_string();
        let mut problem = Problem::new(f.message).at(SourcePos {
            file: self.file.clone(),
            line: at.line,
            column: at.col + 1,
            line_text,
            len: at.len,
        });
        problem.hint = f.hint;
        YamlProblem {
            location: location.to_string(),
            typename: typename.map(str::to_string),
            yaml_path: f.path.join("."),
            problem,
        }
    }
}

/// Everything wrong with `parsed` (files of the location `project`). Without a registry
/// (it could not be read) only what needs none is checked.
pub(crate) fn check(
    project: &Project,
    parsed: &[Parsed],
    registry: Option<&Registry>,
) -> Vec<YamlProblem> {
    let location = project.code_location_name.as_str();
    let mut validators = Validators::default();
    let mut out = Vec::new();
    for p in parsed {
        let docs = match &p.docs {
            Ok(docs) => docs,
            Err(e) => {
                let f = Finding::new(vec![], false, format!("not valid YAML: {}", e.message))
                    .hint(Some("Dagster cannot load this file until it parses".into()));
                let mut problem = p.problem(location, None, None, f);
                let pos = problem.problem.at.as_mut().expect("set above");
                pos.line = e.at.line;
                pos.column = e.at.col + 1;
                pos.line_text = p
                    .text
                    .lines()
                    .nth(e.at.line - 1)
                    .unwrap_or_default()
                    .to_string();
                out.push(problem);
                continue;
            }
        };
        for doc in docs {
            let shape = validate::shape(&doc.value);
            if !shape.is_empty() {
                out.extend(
                    shape
                        .into_iter()
                        .map(|f| p.problem(location, None, Some(doc), f)),
                );
                continue;
            }
            let raw = doc.value["type"].as_str().unwrap_or_default();
            let typename = p.resolve(raw);
            let Some(registry) = registry else { continue };
            let findings = typed(registry, &typename, doc, &mut validators, location);
            out.extend(
                findings
                    .into_iter()
                    .map(|f| p.problem(location, Some(&typename), Some(doc), f)),
            );
        }
    }
    out
}

/// The checks that need the component type.
fn typed(
    registry: &Registry,
    typename: &str,
    doc: &Doc,
    validators: &mut Validators,
    location: &str,
) -> Vec<Finding> {
    let Some(obj) = registry.find(typename) else {
        let keys: Vec<&str> = registry
            .components(None)
            .iter()
            .map(|o| o.key.as_str())
            .collect();
        let by_name = registry
            .components(None)
            .into_iter()
            .find(|o| o.name == typename)
            .map(|o| o.key.as_str());
        let guess = by_name.or_else(|| crate::suggest::closest(typename, &keys));
        let hint = match guess {
            Some(g) => format!("did you mean `{g}`? (dg list components lists {location}'s types)"),
            None => format!("dg list components lists the types {location}'s environment offers"),
        };
        return vec![
            Finding::new(
                vec!["type".into()],
                false,
                format!("component type `{typename}` not found in {location}'s environment"),
            )
            .hint(Some(hint)),
        ];
    };
    if !obj.features.iter().any(|f| f == "component") {
        return vec![
            Finding::new(
                vec!["type".into()],
                false,
                format!(
                    "`{}` is not a component type, so it cannot be declared in a defs.yaml",
                    obj.key
                ),
            )
            .hint(Some(format!(
                "it is scaffolded as Python instead: dg scaffold defs {} PATH",
                obj.key
            ))),
        ];
    }
    let mut out = Vec::new();
    if let Some((schema, validator)) = validators.get(obj) {
        let empty = serde_json::json!({});
        let attrs = doc.value.get("attributes").unwrap_or(&empty);
        out.extend(validate::attributes(schema, validator, attrs, &obj.key));
    }
    let scope = if doc.value.get("template_vars_module").is_some() {
        None
    } else {
        registry.template_scope(obj)
    };
    // A value under an attribute the type does not have is reported as that, not again
    // for its templates.
    let unknown: Vec<Vec<String>> = out
        .iter()
        .filter(|f| f.unknown_attribute)
        .map(|f| f.path.clone())
        .collect();
    out.extend(
        templates::check(doc, scope.as_ref())
            .into_iter()
            .filter(|f| !unknown.iter().any(|u| f.path.starts_with(u))),
    );
    out
}

/// Each type's schema and its compiled validator, made once per run.
#[derive(Default)]
struct Validators {
    by_key: HashMap<String, Option<(serde_json::Value, jsonschema::Validator)>>,
}

impl Validators {
    fn get(
        &mut self,
        obj: &crate::components::RegistryObject,
    ) -> Option<&(serde_json::Value, jsonschema::Validator)> {
        self.by_key
            .entry(obj.key.clone())
            .or_insert_with(|| {
                let schema: serde_json::Value =
                    serde_json::from_str(obj.component_schema.as_deref()?).ok()?;
                let validator = jsonschema::draft202012::new(&schema).ok()?;
                Some((schema, validator))
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests;
