//! `dg scaffold defs TYPE PATH`: the one-file stubs real `dg scaffold defs dagster.asset PATH`
//! (dagster 1.13's shim scaffolders) writes under the project's defs folder, byte for byte.
//! Real dg needs the project importable to do this; these stubs need no Python.

use super::error::{Result, ScaffoldError};
use crate::config::Project;
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
    type Err = ScaffoldError;

    /// `asset` or real dg's `dagster.asset` (and `asset-check` for `asset_check`).
    fn from_str(s: &str) -> Result<Self> {
        let short = s.strip_prefix("dagster.").unwrap_or(s).replace('-', "_");
        DefsKind::ALL
            .into_iter()
            .find(|k| k.name() == short)
            .ok_or_else(|| ScaffoldError::UnknownType {
                given: s.to_string(),
                known: DefsKind::ALL.iter().map(|k| k.name()).collect(),
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
            let key = asset_key
                .filter(|k| !k.trim().is_empty())
                .ok_or(ScaffoldError::AssetKeyMissing)?;
            if key.split('/').any(|part| part.trim().is_empty()) {
                return Err(ScaffoldError::BadAssetKey {
                    key: key.to_string(),
                });
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

/// The project's defs folder, when it exists and `path` is a path inside it (relative, no
/// `..`, not empty).
pub(super) fn inside_defs(project: &Project, path: &str) -> Result<PathBuf> {
    let folder = defs_folder(project);
    if !folder.is_dir() {
        return Err(ScaffoldError::NoDefsFolder {
            folder,
            project: project.name.clone(),
            config_file: project.config_file.clone(),
        });
    }
    let rel = Path::new(path);
    let inside = !rel.is_absolute()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside || path.is_empty() {
        return Err(ScaffoldError::NotInDefs {
            path: path.to_string(),
            defs: folder
                .strip_prefix(&project.root)
                .unwrap_or(&folder)
                .to_path_buf(),
        });
    }
    Ok(folder)
}

/// Writes the stub for `kind` at `path` (relative to the defs folder). Refuses to overwrite.
pub fn scaffold_defs(
    project: &Project,
    kind: DefsKind,
    path: &str,
    asset_key: Option<&str>,
) -> Result<PathBuf> {
    let folder = inside_defs(project, path)?;
    let rel = Path::new(path);
    if rel.file_name().is_some_and(|n| n == ".py") {
        return Err(ScaffoldError::NoFileName {
            path: path.to_string(),
            kind: kind.name(),
        });
    }
    if rel.extension().is_none_or(|e| e != "py") {
        return Err(ScaffoldError::NotPython {
            path: path.to_string(),
            kind: kind.name(),
        });
    }
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !super::names::is_identifier(&stem) {
        return Err(ScaffoldError::StemNotIdentifier {
            stem,
            kind: kind.name(),
        });
    }
    let target = folder.join(rel);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(ScaffoldError::DefsFileExists { path: target });
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
