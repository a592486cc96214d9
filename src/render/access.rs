//! Output of `dg access`: the explained roles (table and JSON), the launch verdict line, and
//! the proxy's log (one line per refusal and per allowed mutation, on stderr).

use crate::access::Role;
use crate::access::identity::Person;
use crate::access::proxy::{Decision, ProxyEvents};
use crate::access::roles::{Because, Effective, LaunchVerdict};
use crate::render::Printer;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::Path;

/// What each role may do, lowest first (Dagster+'s roles, enforced per location).
pub(crate) const ROLE_LEGEND: &str = "\
viewer: see every location (the UI, runs, logs, assets)
launcher: also launch, re-execute, terminate and delete runs and backfills
editor: also start and stop schedules and sensors, wipe assets, report asset events, reload the location, edit dynamic partitions
admin: everything, including the workspace-wide settings";

#[derive(Serialize)]
pub(crate) struct ReasonJson {
    pub(crate) role: Role,
    /// `default_role`, `admins` or `grant`.
    pub(crate) rule: &'static str,
    pub(crate) grantee: Option<String>,
    pub(crate) file: Option<String>,
    pub(crate) line: Option<usize>,
}

#[derive(Serialize)]
pub(crate) struct LocationRoleJson {
    pub(crate) location: String,
    pub(crate) role: Role,
    pub(crate) reasons: Vec<ReasonJson>,
}

#[derive(Serialize)]
pub(crate) struct ExplainJson<'a> {
    pub(crate) person: &'a str,
    pub(crate) source: &'a str,
    pub(crate) enforced: bool,
    pub(crate) teams: Vec<&'a str>,
    pub(crate) locations: Vec<LocationRoleJson>,
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or(path.display().to_string(), |n| {
        n.to_string_lossy().into_owned()
    })
}

pub(crate) fn explain_json<'a>(
    person: &'a Person,
    teams: Vec<&'a str>,
    roles: &[Effective],
    policy_file: Option<&Path>,
) -> ExplainJson<'a> {
    ExplainJson {
        person: &person.id,
        source: person.source.describe(),
        enforced: policy_file.is_some(),
        teams,
        locations: roles
            .iter()
            .map(|e| LocationRoleJson {
                location: e.location.clone(),
                role: e.role,
                reasons: e
                    .reasons
                    .iter()
                    .map(|r| {
                        let (rule, grantee) = match &r.because {
                            Because::DefaultRole => ("default_role", None),
                            Because::Admin(g) => ("admins", Some(g.to_string())),
                            Because::Grant(g) => ("grant", Some(g.to_string())),
                        };
                        ReasonJson {
                            role: r.role,
                            rule,
                            grantee,
                            file: r.at.as_ref().map(|a| a.file.display().to_string()),
                            line: r.at.as_ref().map(|a| a.line),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// `dg access explain`: who, their teams, then one row per location with every rule that
/// gives them a role there (the highest first).
pub(crate) fn explain_text(json: &ExplainJson, policy_file: Option<&Path>) -> String {
    let Some(file) = policy_file else {
        return format!(
            "{} (from {}): no access policy (no [access] table in dg-rs.toml), so nothing is \
             enforced: everyone may do everything.",
            json.person, json.source
        );
    };
    let name = file_name(file);
    let mut out = format!("{} (from {})", json.person, json.source);
    if json.teams.is_empty() {
        out.push_str(", in no team");
    } else {
        out.push_str(&format!(", teams: {}", json.teams.join(", ")));
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = json
        .locations
        .iter()
        .map(|l| {
            let why: Vec<String> = l
                .reasons
                .iter()
                .map(|r| {
                    let at = r.line.map(|n| format!(" ({name}:{n})")).unwrap_or_default();
                    match (r.rule, &r.grantee) {
                        ("default_role", _) if r.line.is_none() => {
                            format!("default_role (not set: {})", r.role)
                        }
                        ("default_role", _) => format!("default_role = {}{at}", r.role),
                        ("admins", Some(g)) => format!("admins: {g}{at}"),
                        (_, Some(g)) => format!("{} = {g}{at}", r.role),
                        _ => r.role.to_string(),
                    }
                })
                .collect();
            vec![l.location.clone(), l.role.to_string(), why.join("\n")]
        })
        .collect();
    out.push_str(&super::table::render(
        &["LOCATION", "ROLE", "BECAUSE"],
        &rows,
    ));
    out.push_str("\n\n");
    out.push_str(ROLE_LEGEND);
    out
}

/// The one line `dg launch` prints about the policy before (or instead of) running.
pub(crate) fn launch_verdict_line(v: &LaunchVerdict) -> Option<String> {
    if !v.enforced {
        return None;
    }
    let parts: Vec<String> = v
        .locations
        .iter()
        .map(|l| {
            format!(
                "{} in {} ({})",
                l.role,
                l.location,
                if l.allowed { "may launch" } else { "refused" }
            )
        })
        .collect();
    Some(format!(
        "Access: {} (from {}) has {}",
        v.person.id,
        v.person.source.describe(),
        parts.join(", ")
    ))
}

/// The proxy's log on stderr.
pub(crate) struct ProxyLog {
    pub(crate) printer: Printer,
}

impl ProxyEvents for ProxyLog {
    fn listening(&self, addr: SocketAddr, upstream: SocketAddr) {
        self.printer.status(&format!(
            "dg access proxy listening on http://{addr} (Dagster webserver at http://{upstream})"
        ));
    }

    fn decision(&self, d: &Decision) {
        self.printer.status(&d.to_string());
    }
}
