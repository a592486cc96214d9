//! What the other commands ask of the policy: `dg check`'s access violations, `dg list
//! assets`' visibility labels, and `dg launch`'s verdict for the person launching (a launch
//! runs only as [`Authorized`], which only an allowing verdict gives).

use super::identity::{self, Person};
use super::roles::{self, LaunchVerdict};
use super::visibility::{self, Visibility};
use super::{AccessError, load};
use crate::config::Workspace;
use crate::graph::AssetGraph;
use crate::graph::Diagnostic;
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

/// What a launch touches, as the policy sees it (implemented by the launch being checked,
/// so this module needs nothing of `launch`).
pub(crate) trait LaunchScope {
    /// The locations the launch runs in, each once, in the workspace's order.
    fn locations<'g>(&self, graph: &'g AssetGraph) -> Vec<&'g str>;
}

/// A launch the policy allows. Only [`LaunchCheck::authorized`] makes one, and `launch::run`
/// takes one, so core cannot run a launch that was not checked.
pub(crate) struct Authorized<T>(T);

impl<T> std::ops::Deref for Authorized<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A launch and the launching person's verdict on it.
pub(crate) struct LaunchCheck<T> {
    pub(crate) verdict: LaunchVerdict,
    launch: T,
}

impl<T> LaunchCheck<T> {
    /// The launch, when the verdict allows it; else the refusal (exit 3).
    pub(crate) fn authorized(self) -> Result<Authorized<T>, AccessError> {
        if self.verdict.allowed() {
            Ok(Authorized(self.launch))
        } else {
            Err(AccessError::LaunchRefused(Box::new(self.verdict)))
        }
    }
}

/// The launching person's verdict for every location `launch` touches.
pub(crate) fn check_launch<T: LaunchScope>(
    settings: &Settings,
    loaded: &Loaded,
    launch: T,
) -> Result<LaunchCheck<T>, AccessError> {
    let policy = load(&loaded.ws)?;
    let locations = launch.locations(&loaded.graph);
    let person = current_person(settings, &loaded.ws);
    Ok(LaunchCheck {
        verdict: roles::launch_verdict(&policy, &person, &locations),
        launch,
    })
}
