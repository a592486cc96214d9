//! The running webserver's GraphQL API, as the supervisor uses it: what each location's
//! entry shows (loaded, an error, or not reachable yet), and reloading one location after its
//! code server was replaced. Plain HTTP on the loopback interface, short timeouts; the
//! client, the queries and the answers' types are [`crate::dagster_api`]'s.

use crate::dagster_api::types::{ReloadData, ReloadResult, WorkspaceData};
use crate::dagster_api::{self, ApiError, queries};
use serde_json::json;
use std::time::Duration;

/// One location as the webserver shows it.
pub(crate) use crate::dagster_api::types::LocationState as UiStatus;

pub(crate) struct Client(dagster_api::Client);

impl Client {
    /// `base` is the webserver's address as printed (`http://127.0.0.1:3000`).
    pub(crate) fn new(base: &str) -> Client {
        Client(dagster_api::Client::new(
            base,
            None,
            Duration::from_secs(10),
        ))
    }

    /// Every location entry of the workspace; Err while the webserver does not answer.
    pub(crate) fn locations(&self) -> Result<Vec<(String, UiStatus)>, ApiError> {
        let data: WorkspaceData = self.0.request(queries::LOCATION_STATUSES, json!({}))?;
        let entries = data.entries().map_err(ApiError::Shape)?;
        Ok(entries
            .into_iter()
            .map(|e| (e.state(), e.name))
            .map(|(state, name)| (name, state))
            .collect())
    }

    /// Reloads one location from its (new) code server; returns what the webserver shows then.
    pub(crate) fn reload(&self, location: &str) -> Result<UiStatus, ApiError> {
        let data: ReloadData = self
            .0
            .request(queries::RELOAD_LOCATION, json!({"n": location}))?;
        match data.reload_repository_location {
            ReloadResult::WorkspaceLocationEntry(entry) => Ok(entry.state()),
            ReloadResult::PythonError(e) => Err(ApiError::Shape(format!(
                "reload of {location} failed: {}",
                e.message
            ))),
            ReloadResult::Other => Err(ApiError::Shape(format!("reload of {location} failed"))),
        }
    }
}
