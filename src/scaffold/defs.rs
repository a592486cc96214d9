//! `dg scaffold defs TYPE PATH`: the one-file stubs real `dg scaffold defs dagster.asset PATH`
//! (dagster 1.13's shim scaffolders) writes under the project's defs folder, byte for byte.
//! Real dg needs the project importable to do this; these stubs need no Python.

use crate::config::Project;
use crate::error::{Error, Result};
use crate::fs::write_new;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefsKind {
    Asset,
    AssetCheck,
    Schedule,
    Sensor,
    Job,
}

impl DefsKind {
    pub const ALL: [DefsKind; 5] = [
        DefsKind::Asset,
        DefsKind::AssetCheck,
        DefsKind::Schedule,
        DefsKind::Sensor,
        DefsKind::Job,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DefsKind::Asset => "asset",
            DefsKind::AssetCheck => "asset_check",
            DefsKind::Schedule => "schedule",
            DefsKind::Sensor => "sensor",
            DefsKind::Job => "job",
        }
    }
}

impl FromStr for DefsKind {
    type Err = Error;

    /// `asset` or real dg's `dagster.asset` (and `asset-check` for `asset_check`).
    fn from_str(s: &str) -> Result<Self> {
        let short = s.strip_prefix("dagster.").unwrap_or(s).replace('-', "_");
        DefsKind::ALL
            .into_iter()
            .find(|k| k.name() == short)
            .ok_or_else(|| {
                let known: Vec<String> = DefsKind::ALL
                    .iter()
                    .map(|k| format!("{} (dagster.{})", k.name(), k.name()))
                    .collect();
                Error::usage(format!("dg-rs cannot scaffold `{s}`"))
                    .with_hint(format!(
                        "types: {}; for components and other types use real dg (`uvx --from dagster-dg-cli dg scaffold defs {s} ...`)",
                        known.join(", ")
                    ))
            })
    }
}

/// The file's text, exactly as dagster's shim scaffolder writes it. `stem` is the function
/// name; `asset_key` (user string, `a/b`) is required for an asset check.
pub fn stub_text(kind: DefsKind, stem: &str, asset_key: Option<&str>) -> Result<String> {
    Ok(match kind {
        DefsKind::Asset => format!(
            "import dagster as dg\n\n\n@dg.asset\ndef {stem}(context: dg.AssetExecutionContext) -> dg.MaterializeResult: ...\n"
        ),
        DefsKind::AssetCheck => {
            let key = asset_key.filter(|k| !k.trim().is_empty()).ok_or_else(|| {
                Error::usage("an asset check needs the key of the asset it checks")
                    .with_hint("pass --asset-key KEY (or real dg's --json-params '{\"asset_key\": \"KEY\"}'); use / between the parts of a multi-part key")
            })?;
            if key.split('/').any(|part| part.trim().is_empty()) {
                return Err(Error::usage(format!(
                    "`{key}` is not an asset key: every part between `/` must have a name"
                ))
                .with_hint("write the key like `raw_orders` or `warehouse/raw_orders`"));
            }
            let parts: Vec<String> = key.split('/').map(python_str_repr).collect();
            format!(
                "import dagster as dg\n\n\n@dg.asset_check(asset=dg.AssetKey([{}]))\ndef {stem}(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult: ...\n",
                parts.join(", ")
            )
        }
        DefsKind::Schedule => format!(
            "import dagster as dg\n\n\n@dg.schedule(cron_schedule=\"@daily\", target=\"*\")\ndef {stem}(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:\n    return dg.SkipReason(\"Skipping. Change this to return a RunRequest to launch a run.\")\n"
        ),
        DefsKind::Sensor => format!(
            "import dagster as dg\n\n\n@dg.sensor(target=None)\ndef {stem}(context: dg.SensorEvaluationContext) -> dg.SensorResult:\n    return dg.SensorResult()\n"
        ),
        DefsKind::Job => format!("import dagster as dg\n\n\n@dg.job\ndef {stem}():\n    pass\n"),
    })
}

/// Python's `repr()` of a string (single quotes unless the string holds one and no double).
fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The folder of the project's defs module (`src/<pkg>/defs`).
pub fn defs_folder(project: &Project) -> PathBuf {
    project
        .working_directory
        .join(project.defs_module.replace('.', "/"))
}

/// Writes the stub for `kind` at `path` (relative to the defs folder). Refuses to overwrite.
pub fn scaffold_defs(
    project: &Project,
    kind: DefsKind,
    path: &str,
    asset_key: Option<&str>,
) -> Result<PathBuf> {
    let folder = defs_folder(project);
    if !folder.is_dir() {
        return Err(Error::usage(format!(
            "the defs folder {} of project `{}` does not exist",
            folder.display(),
            project.name
        ))
        .with_hint(format!(
            "create it (with an empty __init__.py), or set defs_module under [tool.dg.project] in {}",
            project.config_file.display()
        )));
    }
    let rel = Path::new(path);
    let inside = !rel.is_absolute()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside || path.is_empty() {
        return Err(
            Error::usage(format!("`{path}` is not a path inside the defs folder")).with_hint(
                format!(
                    "paths are relative to {} and may not use `..`, like `ingest/raw_orders.py`",
                    folder
                        .strip_prefix(&project.root)
                        .unwrap_or(&folder)
                        .display()
                ),
            ),
        );
    }
    if rel.file_name().is_some_and(|n| n == ".py") {
        return Err(Error::usage(format!(
            "`{path}` has no file name before `.py`"
        ))
        .with_hint(format!(
            "the file name becomes the name of the {}'s function: write something like `raw_orders.py`",
            kind.name()
        )));
    }
    if rel.extension().is_none_or(|e| e != "py") {
        return Err(
            Error::usage(format!("`{path}` does not end in `.py`")).with_hint(format!(
                "a scaffolded {} is one Python file: write `{path}.py`",
                kind.name()
            )),
        );
    }
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !super::names::is_identifier(&stem) {
        return Err(Error::usage(format!(
            "`{stem}` is not a Python identifier, and the file name becomes the name of the {}'s function",
            kind.name()
        ))
        .with_hint("use letters, digits and `_`, starting with a letter, like `raw_orders.py`"));
    }
    let target = folder.join(rel);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(Error::usage(format!("{} already exists", target.display()))
            .with_hint("dg scaffold never overwrites a file: pick another path or remove it"));
    }
    let text = stub_text(kind, &stem, asset_key)?;
    write_new(&target, text.as_bytes())?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_real_dg_names() {
        assert_eq!(
            "dagster.asset".parse::<DefsKind>().unwrap(),
            DefsKind::Asset
        );
        assert_eq!(
            "asset-check".parse::<DefsKind>().unwrap(),
            DefsKind::AssetCheck
        );
        assert!("dagster.PythonScriptComponent".parse::<DefsKind>().is_err());
    }

    #[test]
    fn asset_check_key_is_a_python_list() {
        let t = stub_text(DefsKind::AssetCheck, "c", Some("a/it's")).unwrap();
        assert!(t.contains("dg.AssetKey(['a', \"it's\"])"), "{t}");
    }
}
