//! The component registry of each location: the component types and registry modules its
//! own environment offers (`dg list components`, `dg list registry-modules`), read by the
//! embedded `components.py` in the location's interpreter the way real dg reads them inside
//! that project, all locations in parallel.
//!
//! Cached in the manifests' cache ([`LocationCache`], folder `<cache>/components/`) under
//! the location's manifest fingerprint (its sources, which hold its own component types and
//! `registry_modules`; its environment's installed packages; the scripts' version), with the
//! same rules: a failure is remembered under the fingerprint and the shell's environment, so
//! a location that cannot answer costs no Python start until something it depends on
//! changes, and one process at a time reads a location.

use crate::config::Project;
use crate::manifest::cache::LocationCache;
use crate::manifest::extract::{
    FailureKind, LoadOptions, LocationFailure, ScriptAnswer, failure, interrupted, location_python,
    missing_interpreter, state_failure, still_holds,
};
use crate::manifest::fingerprint::{Sources, fingerprint_of};
use crate::parallel::parallel_map;
use crate::python::scripts::{self, Script};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What one location's environment offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Registry {
    pub(crate) dagster_version: String,
    /// The registry modules, as real dg holds them (entry points first, then the project's).
    pub(crate) modules: Vec<String>,
    pub(crate) objects: Vec<RegistryObject>,
    /// The names every component's templates have in scope in this Dagster (its default
    /// resolution scope and what `Component.load` adds); `None` when the script could not
    /// tell.
    #[serde(default)]
    pub(crate) template_scope: Option<Vec<String>>,
}

/// A component type or another scaffoldable object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegistryObject {
    /// `namespace.Name`, the `type:` of a defs.yaml.
    pub(crate) key: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    /// Other names it answers to (its full module path).
    #[serde(default)]
    pub(crate) aliases: Vec<String>,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    /// `component`, `scaffold-target`.
    pub(crate) features: Vec<String>,
    /// The JSON schemas as real `dg utils inspect-component` prints them (JSON text).
    #[serde(default)]
    pub(crate) scaffolder_schema: Option<String>,
    #[serde(default)]
    pub(crate) component_schema: Option<String>,
    /// The schema of a whole defs.yaml of this type.
    #[serde(default)]
    pub(crate) defs_yaml_json_schema: Option<String>,
    /// The type's own template variables (its `@template_var` static methods and
    /// `get_additional_scope`); `None` when the script could not tell.
    #[serde(default)]
    pub(crate) template_vars: Option<Vec<String>>,
    /// The attributes whose templates Dagster does not render (passed through to the
    /// component, such as a SQL template); `None` when the script could not tell.
    #[serde(default)]
    pub(crate) untemplated_attributes: Option<Vec<String>>,
}

impl RegistryObject {
    /// `key` with `features` and nothing else known, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(key: &str, features: &[&str]) -> Self {
        let (namespace, name) = key.rsplit_once('.').expect("a dotted key");
        RegistryObject {
            key: key.into(),
            namespace: namespace.into(),
            name: name.into(),
            aliases: vec![],
            summary: None,
            description: None,
            features: features.iter().map(|f| f.to_string()).collect(),
            scaffolder_schema: None,
            component_schema: None,
            defs_yaml_json_schema: None,
            template_vars: None,
            untemplated_attributes: None,
        }
    }
}

impl Registry {
    /// The component types, sorted by key; with `package`, only those whose namespace is it
    /// or below it (real dg's `--package`).
    pub(crate) fn components(&self, package: Option<&str>) -> Vec<&RegistryObject> {
        let mut out: Vec<&RegistryObject> = self
            .objects
            .iter()
            .filter(|o| o.features.iter().any(|f| f == "component"))
            .filter(|o| {
                package.is_none_or(|p| {
                    o.namespace == p
                        || o.namespace
                            .strip_prefix(p)
                            .is_some_and(|rest| rest.starts_with('.'))
                })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// The object named `typename` (its key or one of its aliases).
    pub(crate) fn find(&self, typename: &str) -> Option<&RegistryObject> {
        self.objects
            .iter()
            .find(|o| o.key == typename || o.aliases.iter().any(|a| a == typename))
    }

    /// The names a template in a defs.yaml of type `obj` may use, and the attributes whose
    /// templates are not rendered, when known.
    pub(crate) fn template_scope(&self, obj: &RegistryObject) -> Option<TemplateScope> {
        let mut names = self.template_scope.clone()?;
        names.extend(obj.template_vars.clone()?);
        names.sort();
        names.dedup();
        Some(TemplateScope {
            names,
            untemplated: obj.untemplated_attributes.clone()?,
        })
    }

    /// The registry modules, sorted (as real dg prints them).
    pub(crate) fn sorted_modules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.modules.iter().map(String::as_str).collect();
        out.sort_unstable();
        out
    }
}

/// What the templates of a defs.yaml may name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TemplateScope {
    pub(crate) names: Vec<String>,
    /// Top-level attributes whose templates Dagster leaves alone.
    pub(crate) untemplated: Vec<String>,
}

/// One location's answer.
#[derive(Debug)]
pub(crate) struct LocationRegistry {
    pub(crate) location: String,
    pub(crate) outcome: Result<Registry, LocationFailure>,
    pub(crate) from_cache: bool,
}

/// The registry of each of `projects` (in that order), from the cache when nothing it
/// depends on changed.
pub(crate) fn load(
    projects: &[&Project],
    cache_root: &Path,
    opts: &LoadOptions,
) -> Vec<LocationRegistry> {
    let plain: Vec<(&Project, Vec<String>)> = projects.iter().map(|p| (*p, vec![])).collect();
    load_searching(&plain, cache_root, opts)
}

/// The registry of each project with its `extra` modules searched too (the modules of the
/// types its defs.yaml files name, as real `dg check yaml` searches them), cached apart
/// from the plain registry so that neither evicts the other.
pub(crate) fn load_searching(
    projects: &[(&Project, Vec<String>)],
    cache_root: &Path,
    opts: &LoadOptions,
) -> Vec<LocationRegistry> {
    let plain = LocationCache::<Registry>::in_folder(cache_root, "components");
    let searching = LocationCache::<Registry>::in_folder(cache_root, "components-searching");
    let script_dir = std::sync::OnceLock::new();
    parallel_map(projects.len(), |i| {
        let (p, extra) = &projects[i];
        let cache = if extra.is_empty() { &plain } else { &searching };
        let tag = format!(
            "components/{}/{}/{}",
            scripts::version(),
            extra.join(","),
            opts.use_component_modules.join(",")
        );
        // The registry depends on code, not on the YAML and SQL a location's components
        // read: editing a defs.yaml keeps it.
        let print = fingerprint_of(p, &tag, Sources::Code);
        let cached = |cache: &LocationCache<Registry>| {
            (!opts.refresh)
                .then(|| cache.get(&p.code_location_name, &print))
                .flatten()
                .and_then(|c| still_holds(c, opts))
        };
        if let Some(outcome) = cached(cache) {
            return answer(p, outcome, true);
        }
        // One read per location at a time, across processes; whoever waited may find the
        // entry the other one just wrote.
        let _lock = match cache.lock(&p.code_location_name) {
            Ok(Some(held)) => held,
            Ok(None) => return answer(p, Err(*interrupted(p)), false),
            Err(e) => return answer(p, Err(*state_failure(p, &e)), false),
        };
        if let Some(outcome) = cached(cache) {
            return answer(p, outcome, true);
        }
        let outcome = script_dir
            .get_or_init(|| scripts::materialize(cache_root).map_err(|e| e.to_string()))
            .as_deref()
            .map_err(|e| failure(p, FailureKind::State, e.clone()))
            .and_then(|dir| read_registry(p, extra, dir, cache, opts))
            .map_err(|f| *f);
        // A cache that cannot be written still gave the answer.
        match &outcome {
            Ok(r) => {
                let _ = cache.put(&p.code_location_name, &print, r);
            }
            Err(f) if f.kind.is_repeatable() => {
                let _ = cache.put_failure(&p.code_location_name, &print, f);
            }
            Err(_) => {}
        }
        answer(p, outcome, false)
    })
}

fn answer(
    p: &Project,
    outcome: Result<Registry, LocationFailure>,
    from_cache: bool,
) -> LocationRegistry {
    LocationRegistry {
        location: p.code_location_name.clone(),
        outcome,
        from_cache,
    }
}

/// Runs `components.py` in the location's interpreter.
fn read_registry(
    project: &Project,
    extra: &[String],
    script_dir: &Path,
    cache: &LocationCache<Registry>,
    opts: &LoadOptions,
) -> Result<Registry, Box<LocationFailure>> {
    if let Some(f) = missing_interpreter(project) {
        return Err(f);
    }
    let output = cache
        .scratch_file(&project.code_location_name)
        .map_err(|e| state_failure(project, &e))?;
    let mut cmd = location_python(project, opts.path.as_deref())
        .map_err(|e| failure(project, FailureKind::Crash, e.to_string()))?
        .arg(script_dir.join(Script::Components.file_name()))
        .arg("--working-directory")
        .arg(&project.working_directory)
        .arg("--output")
        .arg(output.to_path_buf())
        .timeout(opts.timeout);
    if project.registry_entry_point {
        cmd = cmd.arg("--has-entry-point");
    }
    for pattern in &project.registry_modules {
        cmd = cmd.arg("--registry-module").arg(pattern);
    }
    for module in extra {
        cmd = cmd.arg("--extra-module").arg(module);
    }
    for module in &opts.use_component_modules {
        cmd = cmd.arg("--use-component-module").arg(module);
    }
    let finished = cmd
        .output()
        .map_err(|e| failure(project, FailureKind::MissingInterpreter, e.to_string()))?;
    let script = ScriptAnswer {
        script: "the component registry script",
        doing: "reading the component registry",
        answer: "answer",
        failed: "the component registry could not be read",
    };
    script.read(project, &finished, &output, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(key: &str, features: &[&str]) -> RegistryObject {
        let (namespace, name) = key.rsplit_once('.').unwrap();
        RegistryObject {
            aliases: vec![format!("{namespace}.lib.{name}")],
            ..RegistryObject::for_tests(key, features)
        }
    }

    fn registry() -> Registry {
        Registry {
            dagster_version: "1.13.27".into(),
            modules: vec![
                "dagster".into(),
                "dagster_dbt".into(),
                "acme.components".into(),
            ],
            objects: vec![
                object("dagster_dbt.DbtProjectComponent", &["component"]),
                object(
                    "dagster.DefsFolderComponent",
                    &["component", "scaffold-target"],
                ),
                object("dagster.asset", &["scaffold-target"]),
                object("acme.components.sub.Thing", &["component"]),
                object("acmeish.Other", &["component"]),
            ],
            template_scope: None,
        }
    }

    #[test]
    fn components_are_sorted_and_exclude_objects_that_are_not_components() {
        let r = registry();
        let keys: Vec<&str> = r.components(None).iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "acme.components.sub.Thing",
                "acmeish.Other",
                "dagster.DefsFolderComponent",
                "dagster_dbt.DbtProjectComponent"
            ]
        );
    }

    #[test]
    fn package_matches_the_namespace_or_below_it_not_a_longer_name() {
        let r = registry();
        let keys = |p| -> Vec<String> {
            r.components(Some(p))
                .iter()
                .map(|o| o.key.clone())
                .collect()
        };
        assert_eq!(keys("acme"), ["acme.components.sub.Thing"]);
        assert_eq!(keys("acme.components.sub"), ["acme.components.sub.Thing"]);
        assert_eq!(keys("dagster"), ["dagster.DefsFolderComponent"]);
        assert!(keys("dagster.Defs").is_empty());
    }

    #[test]
    fn an_object_is_found_by_its_key_or_an_alias() {
        let r = registry();
        assert_eq!(
            r.find("dagster.lib.DefsFolderComponent")
                .map(|o| o.key.as_str()),
            Some("dagster.DefsFolderComponent")
        );
        assert!(r.find("dagster.DefsFolderComponen").is_none());
    }

    #[test]
    fn modules_are_sorted() {
        assert_eq!(
            registry().sorted_modules(),
            ["acme.components", "dagster", "dagster_dbt"]
        );
    }
}
