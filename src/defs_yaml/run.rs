//! One `dg check yaml` over some locations: their component files read and checked, each
//! location's registry loaded in parallel (only for locations that have component files),
//! and searched again with the modules of the types it lacks, as real dg searches them.

use super::{Parsed, YamlProblem, check, files, parse_file};
use crate::components::{LocationRegistry, Registry, load, load_searching};
use crate::config::Project;
use crate::manifest::extract::{LoadOptions, LocationFailure};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a check found.
#[derive(Debug, Default)]
pub(crate) struct YamlReport {
    /// The component files read, with their location.
    pub(crate) files: Vec<(String, PathBuf)>,
    /// How many locations they are in.
    pub(crate) locations: usize,
    /// Sorted by file, line and column.
    pub(crate) problems: Vec<YamlProblem>,
    /// Locations whose registry could not be read (their files' attributes unchecked).
    pub(crate) failures: Vec<LocationFailure>,
}

impl YamlReport {
    pub(crate) fn ok(&self) -> bool {
        self.problems.is_empty() && self.failures.is_empty()
    }
}

/// Checks the component files of `projects` (with `paths`, only those at or below them).
pub(crate) fn run(
    projects: &[&Project],
    paths: &[PathBuf],
    cache_root: &Path,
    opts: &LoadOptions,
) -> YamlReport {
    let parsed: Vec<(&Project, Vec<Parsed>)> = projects
        .iter()
        .map(|p| {
            (
                *p,
                files(p, paths)
                    .iter()
                    .map(|f| parse_file(p, f))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, files)| !files.is_empty())
        .collect();
    let with_files: Vec<&Project> = parsed.iter().map(|(p, _)| *p).collect();
    let mut registries = load(&with_files, cache_root, opts);
    search_missing_modules(&parsed, &mut registries, cache_root, opts);
    let mut report = YamlReport {
        files: parsed
            .iter()
            .flat_map(|(p, files)| {
                files
                    .iter()
                    .map(|f| (p.code_location_name.clone(), f.file.clone()))
            })
            .collect(),
        locations: parsed.len(),
        ..YamlReport::default()
    };
    for ((project, files), reg) in parsed.iter().zip(registries) {
        let registry = match reg.outcome {
            Ok(r) => Some(r),
            Err(f) => {
                report.failures.push(f);
                None
            }
        };
        report
            .problems
            .extend(check(project, files, registry.as_ref()));
    }
    report.problems.sort_by(|a, b| {
        let key = |p: &YamlProblem| {
            let at = p.problem.at.as_ref();
            (at.map(|a| a.file.clone()), at.map(|a| (a.line, a.column)))
        };
        key(a).cmp(&key(b))
    });
    report
}

/// The modules (namespaces) of the types `files` name that `registry` neither has nor
/// searched.
fn missing_modules(files: &[Parsed], registry: &Registry) -> Vec<String> {
    let mut out = BTreeSet::new();
    for t in files.iter().flat_map(Parsed::typenames) {
        let Some((namespace, _)) = t.rsplit_once('.') else {
            continue;
        };
        if registry.find(&t).is_none() && !registry.modules.iter().any(|m| m == namespace) {
            out.insert(namespace.to_string());
        }
    }
    out.into_iter().collect()
}

/// Where a location lacks a type its files name, its registry is read again with that
/// type's module searched (one Python start for all such locations, cached). A module
/// that cannot be imported leaves the plain registry, and its type reads as not found.
fn search_missing_modules(
    parsed: &[(&Project, Vec<Parsed>)],
    registries: &mut [LocationRegistry],
    cache_root: &Path,
    opts: &LoadOptions,
) {
    let wanted: Vec<(usize, Vec<String>)> = parsed
        .iter()
        .zip(registries.iter())
        .enumerate()
        .filter_map(|(i, ((_, files), reg))| {
            let modules = missing_modules(files, reg.outcome.as_ref().ok()?);
            (!modules.is_empty()).then_some((i, modules))
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let requests: Vec<(&Project, Vec<String>)> = wanted
        .iter()
        .map(|(i, m)| (parsed[*i].0, m.clone()))
        .collect();
    for ((i, _), searched) in wanted
        .iter()
        .zip(load_searching(&requests, cache_root, opts))
    {
        if searched.outcome.is_ok() {
            registries[*i] = searched;
        }
    }
}
