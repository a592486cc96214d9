//! Checks of a location's environment against what its project declares: the interpreter
//! must satisfy `requires-python`, and the installed dagster must satisfy the project's
//! `dagster` requirement. Both facts come from the manifest, so no Python is started.

use crate::config::Project;
use crate::graph::validate::Code;
use crate::graph::{Diagnostic, Severity};
use crate::manifest::schema::Manifest;
use pep440_rs::{Version, VersionSpecifiers};
use std::str::FromStr;

/// The version specifiers of a PEP 508 requirement (`dagster[x]>=1.12,<1.14 ; python_version>'3'`).
pub(crate) fn requirement_specifiers(req: &str) -> Option<VersionSpecifiers> {
    let parsed = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(req).ok()?;
    match parsed.version_or_url {
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) if !spec.is_empty() => Some(spec),
        _ => None,
    }
}

pub(crate) fn check(project: &Project, manifest: &Manifest) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let loc = &manifest.location;
    let location = vec![project.code_location_name.clone()];
    if let (Some(req), Ok(v)) = (
        project.requires_python.as_deref(),
        Version::from_str(&loc.python_version),
    ) && let Ok(spec) = VersionSpecifiers::from_str(req)
        && !spec.contains(&v)
    {
        out.push(Diagnostic {
            severity: Severity::Error,
            code: Code::PythonVersion,
            message: format!(
                "{}'s interpreter is Python {} but the project requires-python {req}",
                project.code_location_name, loc.python_version
            ),
            locations: location.clone(),
            keys: Vec::new(),
            hint: Some(format!(
                "rebuild the environment with a matching Python: `dg sync {} --force`",
                project.name
            )),
        });
    }
    if let (Some(req), Ok(v)) = (
        project.dagster_requirement.as_deref(),
        Version::from_str(&loc.dagster_version),
    ) && let Some(spec) = requirement_specifiers(req)
        && !spec.contains(&v)
    {
        out.push(Diagnostic {
            severity: Severity::Error,
            code: Code::DagsterVersion,
            message: format!(
                "{} has dagster {} installed but its pyproject.toml requires `{req}`",
                project.code_location_name, loc.dagster_version
            ),
            locations: location,
            keys: Vec::new(),
            hint: Some(format!(
                "run `dg sync {}` to install the declared version",
                project.name
            )),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_of_requirements() {
        let v = |s: &str| Version::from_str(s).unwrap();
        let s = requirement_specifiers("dagster==1.12.22").unwrap();
        assert!(s.contains(&v("1.12.22")) && !s.contains(&v("1.13.0")));
        let s = requirement_specifiers("dagster[pandas]>=1.12,<1.14 ; python_version >= '3.10'")
            .unwrap();
        assert!(s.contains(&v("1.13.27")) && !s.contains(&v("1.14.0")));
        assert!(requirement_specifiers("dagster").is_none());
    }
}
