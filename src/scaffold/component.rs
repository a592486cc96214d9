//! `dg scaffold defs TYPE PATH` for any type the location's registry can scaffold (a
//! component type of dagster, an integration or the team's own): the type's own scaffolder
//! runs in the location's interpreter, as real dg runs it, but into a staging folder beside
//! the project; what it wrote is moved into the defs folder in one rename, so a scaffolder
//! that fails leaves nothing half-written.

use super::defs::inside_defs;
use super::error::{Result, ScaffoldError};
use crate::components::{Registry, RegistryObject};
use crate::config::Project;
use crate::manifest::extract::{LoadOptions, location_python};
use crate::python::scripts::Script;
use std::path::{Path, PathBuf};

/// What to scaffold and how.
pub struct ComponentRequest<'a> {
    pub typename: &'a str,
    /// A folder relative to the defs folder.
    pub path: &'a str,
    /// `yaml` (a defs.yaml) or `python` (a component.py).
    pub format: &'a str,
    pub json_params: Option<&'a str>,
    /// The parameters as options (`--project-path dbt`), as real dg also takes them.
    pub options: &'a [String],
    /// Where the command runs: the scaffolder's working directory. Real dg runs scaffolders
    /// in its own process, so a relative path among the parameters (dagster_dbt's
    /// `project_path`) is relative to where the user is, not to the project root.
    pub cwd: &'a Path,
}

/// Scaffolds `req` in `project`, whose registry is `registry`; returns the new folder.
pub fn scaffold_component(
    project: &Project,
    registry: &Registry,
    req: &ComponentRequest<'_>,
    script_dir: &Path,
    opts: &LoadOptions,
) -> Result<PathBuf> {
    let object = scaffoldable(project, registry, req.typename)?;
    let from_options = match (req.json_params, req.options.is_empty()) {
        (Some(_), false) => {
            return Err(ScaffoldError::BadParams {
                given: object.key.clone(),
                message: "parameters given both as --json-params and as options: use one".into(),
            });
        }
        (None, false) => Some(super::params::from_options(object, req.options)?.to_string()),
        (_, true) => None,
    };
    let json_params = from_options.as_deref().or(req.json_params);
    let target = target_in_defs(project, req.path)?;
    let rel = Path::new(req.path);
    let staging = tempfile::Builder::new()
        .prefix(".dg-rs-scaffold-")
        .tempdir_in(&project.root)
        .map_err(|e| io("create a staging folder in", &project.root, e))?;
    // A path of only `.` parts names the defs folder itself, which exists.
    let Some(name) = rel.file_name() else {
        return Err(ScaffoldError::DefsFileExists { path: target });
    };
    let staged = staging.path().join(name);
    let run = Scaffolder {
        typename: &object.key,
        json_params,
        staged: &staged,
        script_dir,
    };
    run_scaffolder(project, req, &run, opts)?;
    if !staged.exists() {
        return Err(ScaffoldError::ScaffolderFailed {
            given: req.typename.to_string(),
            message: "the scaffolder wrote nothing".into(),
            detail: String::new(),
        });
    }
    if let Some(parent) = target.parent() {
        crate::fs::create_dir_all(parent)?;
    }
    // Checked again: another process may have made it meanwhile.
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(ScaffoldError::DefsFileExists { path: target });
    }
    std::fs::rename(&staged, &target)
        .map_err(|e| io("move the scaffolded files to", &target, e))?;
    Ok(target)
}

/// The object `typename` names in `registry` when it can be scaffolded: its full key, an
/// alias, or a name only one scaffoldable type has.
fn scaffoldable<'r>(
    project: &Project,
    registry: &'r Registry,
    typename: &str,
) -> Result<&'r RegistryObject> {
    let can = |o: &&RegistryObject| o.features.iter().any(|f| f == "scaffold-target");
    let by_name = || {
        let mut named = registry
            .objects
            .iter()
            .filter(|o| o.name == typename)
            .filter(can);
        named.next().filter(|_| named.next().is_none())
    };
    if let Some(object) = registry.find(typename).filter(can).or_else(by_name) {
        return Ok(object);
    }
    let mut known: Vec<String> = registry
        .objects
        .iter()
        .filter(can)
        .map(|o| o.key.clone())
        .collect();
    known.sort();
    Err(ScaffoldError::NotInRegistry {
        given: typename.to_string(),
        location: project.code_location_name.clone(),
        known,
    })
}

/// The new folder `path` names inside the project's defs folder, which must not exist yet.
fn target_in_defs(project: &Project, path: &str) -> Result<PathBuf> {
    let folder = inside_defs(project, path)?;
    let rel = Path::new(path);
    let target = folder.join(rel);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(ScaffoldError::DefsFileExists { path: target });
    }
    Ok(target)
}

fn io(action: &'static str, path: &Path, e: std::io::Error) -> ScaffoldError {
    ScaffoldError::Io {
        action,
        path: path.to_path_buf(),
        source: e,
    }
}

/// One run of a type's scaffolder: the type's key, its JSON parameters, where it writes.
struct Scaffolder<'a> {
    typename: &'a str,
    json_params: Option<&'a str>,
    staged: &'a Path,
    script_dir: &'a Path,
}

/// Runs `components.py --scaffold` in the location's interpreter, writing into `staged`.
fn run_scaffolder(
    project: &Project,
    req: &ComponentRequest<'_>,
    run: &Scaffolder<'_>,
    opts: &LoadOptions,
) -> Result<()> {
    let Scaffolder {
        typename,
        json_params,
        staged,
        script_dir,
    } = *run;
    let failed = |message: String, detail: String| ScaffoldError::ScaffolderFailed {
        given: req.typename.to_string(),
        message,
        detail,
    };
    let answer = staged.with_extension("answer.json");
    let mut cmd = location_python(project, opts.path.as_deref())
        .map_err(|e| failed(e.to_string(), String::new()))?
        .cwd(req.cwd)
        .arg(script_dir.join(Script::Components.file_name()))
        .arg("--working-directory")
        .arg(&project.working_directory)
        .arg("--output")
        .arg(&answer)
        .arg("--scaffold")
        .arg(typename)
        .arg("--target")
        .arg(staged)
        .arg("--format")
        .arg(req.format)
        .arg("--project-root")
        .arg(&project.root)
        .timeout(opts.timeout);
    if let Some(json) = json_params {
        cmd = cmd.arg("--json-params").arg(json);
    }
    let finished = cmd
        .output()
        .map_err(|e| failed(e.to_string(), String::new()))?;
    match finished.code {
        Some(0) => Ok(()),
        Some(3) => {
            let doc = std::fs::read(&answer)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
            let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("").to_string();
            Err(match doc.as_ref().map(|d| &d["error"]) {
                Some(e) if e["kind"] == "invalid_params" => ScaffoldError::BadParams {
                    given: req.typename.to_string(),
                    message: text(e, "message")
                        .trim_start_matches("InvalidParams: ")
                        .to_string(),
                },
                Some(e) if e.is_object() => failed(text(e, "message"), text(e, "traceback_tail")),
                _ => failed("the scaffolder failed".into(), finished.stderr_tail(15)),
            })
        }
        _ => Err(failed(
            "the scaffolding script did not finish".into(),
            finished.stderr_tail(15),
        )),
    }
}
