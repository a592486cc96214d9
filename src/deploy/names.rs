//! Names the targets require: Kubernetes names every location's Service and Deployment after
//! it (a DNS-1035 label), compose makes it a service name and a host name on the network.
//! A name that does not fit is an error with the fix, never silently changed: the name is the
//! code location's identity in the Dagster instance (its runs, its history).

use super::{DeployError, DeployOptions};
use crate::config::Project;
use crate::error::SourcePos;

/// The services dg deploy adds beside the locations (compose).
pub(crate) const RESERVED: [&str; 4] = [
    "dagster-postgres",
    "dagster-webserver",
    "dagster-daemon",
    "dagster-access-proxy",
];

/// DNS-1035 label: lowercase letters, digits and `-`, starting with a letter, ending with a
/// letter or digit, at most 63 characters.
pub(crate) fn is_dns1035(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The nearest DNS-1035 label, offered as the fix.
pub(crate) fn suggest_dns1035(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut s: String = trimmed.chars().take(63).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "location".into() } else { s }
}

pub(crate) fn check_dns1035(name: &str, project: &Project) -> Result<(), DeployError> {
    if is_dns1035(name) {
        return Ok(());
    }
    Err(DeployError::NotDns1035 {
        name: name.to_string(),
        suggestion: suggest_dns1035(name),
        project: project.config_file.clone(),
        at: name_pos(project).map(Box::new),
    })
}

/// Compose service names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub(crate) fn check_service_name(name: &str, project: &Project) -> Result<(), DeployError> {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if !ok {
        return Err(DeployError::NotServiceName {
            name: name.to_string(),
            project: project.config_file.clone(),
        });
    }
    if RESERVED.contains(&name) {
        return Err(DeployError::ReservedName {
            name: name.to_string(),
            project: project.config_file.clone(),
        });
    }
    Ok(())
}

/// Where the name comes from: `code_location_name = ...` when set, else (the directory name)
/// the `[tool.dg.project]` table.
fn name_pos(project: &Project) -> Option<SourcePos> {
    let file = &project.config_file;
    let text = std::fs::read_to_string(file).ok()?;
    let doc = text.parse::<toml_edit::Document<String>>().ok()?;
    let tool = doc
        .get("tool")
        .and_then(|t| t.get("dg"))
        .and_then(|d| d.get("project"));
    let table = tool.or_else(|| doc.get("project"))?;
    let span = table
        .get("code_location_name")
        .and_then(|i| i.span())
        .or_else(|| table.span())?;
    Some(SourcePos::from_span(file, &text, span))
}

pub(crate) fn check_options(opts: &DeployOptions) -> Result<(), DeployError> {
    // Docker tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
    let t = opts.tag.as_bytes();
    let tag_ok = !t.is_empty()
        && t.len() <= 128
        && (t[0].is_ascii_alphanumeric() || t[0] == b'_')
        && t.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if !tag_ok {
        return Err(DeployError::BadOption {
            what: "image tag (letters, digits, `_`, `.`, `-`; at most 128)",
            value: opts.tag.clone(),
        });
    }
    if let Some(r) = &opts.registry {
        let ok = !r.is_empty()
            && !r.ends_with('/')
            && !r.starts_with('/')
            && r.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-/:".contains(&c));
        if !ok {
            return Err(DeployError::BadOption {
                what: "registry (host[:port][/path], lowercase, no trailing `/`)",
                value: r.clone(),
            });
        }
    }
    if let Some(h) = &opts.postgres_host {
        let ok = !h.is_empty()
            && h.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-_:".contains(&c));
        if !ok {
            return Err(DeployError::BadOption {
                what: "PostgreSQL host name",
                value: h.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1035_labels() {
        for ok in ["data-engineering", "a", "a1", "x-2-y"] {
            assert!(is_dns1035(ok), "{ok}");
        }
        for bad in [
            "data_engineering",
            "Data",
            "1abc",
            "abc-",
            "",
            &"a".repeat(64),
        ] {
            assert!(!is_dns1035(bad), "{bad}");
        }
        assert_eq!(suggest_dns1035("data_engineering"), "data-engineering");
        assert_eq!(suggest_dns1035("My Location!"), "my-location");
        assert_eq!(suggest_dns1035("3d_models"), "d-models");
        assert!(is_dns1035(&suggest_dns1035(&"B_".repeat(50))));
    }
}
