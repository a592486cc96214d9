//! `dg utils configure-editor vscode|cursor` and `dg utils generate-component-schema`: each
//! location's combined defs.yaml schema written where real dg writes it
//! (`<project>/.dg/schema.json`), and the editor pointed at it through the YAML extension's
//! `yaml.schemas` setting in `.vscode/settings.json` (Cursor reads it too), changed with a
//! minimal text edit that keeps the user's other settings and comments. Real dg instead builds
//! a private VS Code extension in the user's home; a project setting travels with the
//! repository and needs nothing installed but the YAML extension.

use super::error::{Result, ScaffoldError};
use super::jsonc::set_member;
use crate::components::Registry;
use crate::config::Project;
use crate::process::Cmd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The YAML language support the schema setting is for.
pub const YAML_EXTENSION: &str = "redhat.vscode-yaml";

/// Writes `registry`'s combined schema to `output`, else `<project>/.dg/schema.json` (as
/// real dg does: JSON with two-space indentation, no newline at the end).
pub fn write_schema(
    project: &Project,
    registry: &Registry,
    output: Option<&Path>,
) -> Result<PathBuf> {
    let path = match output {
        Some(p) => p.to_path_buf(),
        None => project.root.join(".dg").join("schema.json"),
    };
    let text = serde_json::to_string_pretty(&super::schema::combined_schema(registry))
        .map_err(|e| ScaffoldError::Template(format!("the schema does not serialize: {e}")))?;
    crate::fs::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The files one schema is for: every defs.yaml below the project's defs folder.
pub fn defs_yaml_glob(project: &Project, settings_dir: &Path) -> String {
    let defs = super::defs::defs_folder(project);
    format!("{}/**/defs.y*ml", relative(&defs, settings_dir))
}

fn relative(path: &Path, dir: &Path) -> String {
    pathdiff::diff_paths(path, dir)
        .unwrap_or_else(|| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Sets `yaml.schemas` entries in `<dir>/.vscode/settings.json` (created when missing): each
/// schema file (its path relative to `dir`, as VS Code resolves it) mapped to its globs.
/// Returns the file and whether it changed.
pub fn point_settings(dir: &Path, schemas: &[(PathBuf, String)]) -> Result<(PathBuf, bool)> {
    let file = dir.join(".vscode").join("settings.json");
    let old = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ScaffoldError::io("read", &file, e)),
    };
    let mut text = old.clone();
    for (schema, glob) in schemas {
        let key = relative(schema, dir);
        text = set_member(&text, &["yaml.schemas", &key], &serde_json::json!([glob])).map_err(
            |message| ScaffoldError::EditorSettings {
                file: file.clone(),
                message,
            },
        )?;
    }
    if text == old {
        return Ok((file, false));
    }
    crate::fs::write_atomic(&file, text.as_bytes())?;
    Ok((file, true))
}

/// What became of the YAML extension in the editor.
#[derive(Debug, PartialEq)]
pub enum Extension {
    AlreadyInstalled,
    Installed,
    /// The editor's command failed; what it said.
    Failed(String),
}

/// Installs the YAML extension with the editor's own command (`code`, `cursor`) unless it
/// lists it already, as real dg does.
pub fn ensure_yaml_extension(editor: &Path) -> Extension {
    let run = |args: &[&str]| {
        Cmd::new(editor)
            .args(args.iter().copied())
            .timeout(Duration::from_secs(120))
            .output()
    };
    match run(&["--list-extensions"]) {
        Ok(f) if f.success() && f.stdout.lines().any(|l| l.trim() == YAML_EXTENSION) => {
            return Extension::AlreadyInstalled;
        }
        Ok(f) if !f.success() => return Extension::Failed(f.stderr_tail(5)),
        Err(e) => return Extension::Failed(e.to_string()),
        Ok(_) => {}
    }
    match run(&["--install-extension", YAML_EXTENSION]) {
        Ok(f) if f.success() => Extension::Installed,
        Ok(f) => Extension::Failed(f.stderr_tail(5)),
        Err(e) => Extension::Failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn settings_are_created_then_kept_and_rewritten_only_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let schema = dir.path().join("projects/a/.dg/schema.json");
        let entry = vec![(schema, "projects/a/src/a/defs/**/defs.y*ml".to_string())];
        let (file, changed) = point_settings(dir.path(), &entry).unwrap();
        assert!(changed);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.contains(
                "\"projects/a/.dg/schema.json\": [\"projects/a/src/a/defs/**/defs.y*ml\"]"
            ),
            "{text}"
        );
        let (_, again) = point_settings(dir.path(), &entry).unwrap();
        assert!(!again);
        std::fs::write(&file, "{ // mine\n  \"a\": 1 }").unwrap();
        point_settings(dir.path(), &entry).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("{ // mine\n  \"a\": 1,\n  \"yaml.schemas\": {"),
            "{text}"
        );
    }

    #[test]
    fn the_extension_is_installed_with_the_editors_command() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let fake = dir.path().join("code");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\necho \"$@\" >> {}\n[ \"$1\" = --list-extensions ] && echo ms-python.python\nexit 0\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(ensure_yaml_extension(&fake), Extension::Installed);
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "--list-extensions\n--install-extension redhat.vscode-yaml\n"
        );
    }
}
