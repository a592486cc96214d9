//! What the other commands ask of the policy: `dg check`'s access violations, `dg list
//! assets`' visibility labels, and `dg launch`'s verdict for the person launching.

use super::identity::{self, Person};
use super::roles::{self, LaunchVerdict};
use super::visibility::{self, Visibility};
use super::{AccessError, load};
use crate::config::Workspace;
use crate::graph::Diagnostic;
use crate::launch::plan::LaunchPlan;
use crate::settings::Settings;
use crate::workspace::Loaded;

/// The person running this command: DG_RS_USER, else git's user.email, else the OS user.
pub(crate) fn current_person(settings: &Settings, ws: &Workspace) -> Person {
    identity::launching_person(
        settings.dg_rs_user.as_deref(),
        settings.os_user.as_deref(),
        &ws.root,
    )
}

/// Every dependency across locations the upstream location does not make visible
/// (`access-violation`).
pub(crate) fn violations(loaded: &Loaded) -> Result<Vec<Diagnostic>, AccessError> {
    let policy = load(&loaded.ws)?;
    if policy.publications.is_empty() {
        return Ok(Vec::new());
    }
    let map = visibility::evaluate(&policy, &loaded.graph)?;
    Ok(visibility::violations(&policy, &loaded.graph, &map))
}

/// Each node's visibility label (`None` for external assets), and whether any location
/// publishes selectively (else everything is public).
pub(crate) fn visibility_labels(
    loaded: &Loaded,
) -> Result<(Vec<Option<String>>, bool), AccessError> {
    let policy = load(&loaded.ws)?;
    let map = visibility::evaluate(&policy, &loaded.graph)?;
    let labels = loaded
        .graph
        .node_ids()
        .map(|id| map.of(id).map(Visibility::label))
        .collect();
    Ok((labels, !policy.publications.is_empty()))
}

/// The launching person's verdict for every location the plan touches.
pub(crate) fn launch_verdict(
    settings: &Settings,
    loaded: &Loaded,
    plan: &LaunchPlan,
) -> Result<LaunchVerdict, AccessError> {
    let policy = load(&loaded.ws)?;
    let graph = &loaded.graph;
    let mut locations: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| graph.location_name(s.location))
        .collect();
    locations.sort_by_key(|l| graph.location_id(l));
    locations.dedup();
    let person = current_person(settings, &loaded.ws);
    Ok(roles::launch_verdict(&policy, &person, &locations))
}
