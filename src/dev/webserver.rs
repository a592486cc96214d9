//! The running webserver's GraphQL API, as the supervisor uses it: what each location's
//! entry shows (loaded, an error, or not reachable yet), and reloading one location after its
//! code server was replaced. Plain HTTP on the loopback interface, short timeouts.

use serde_json::{Value, json};
use std::time::Duration;

/// One location as the webserver shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum UiStatus {
    /// Still loading, or not in the workspace yet.
    Loading,
    Loaded {
        assets: usize,
    },
    /// The code server answered with an error (the location's code does not load).
    LoadError {
        message: String,
    },
    /// The webserver could not reach the code server (not started yet, or restarting).
    Unreachable,
}

const ENTRY_FIELDS: &str = "name loadStatus locationOrLoadError { __typename ... on PythonError { message className errorChain { error { message } } } ... on RepositoryLocation { repositories { assetNodes { id } } } }";

pub struct Client {
    agent: ureq::Agent,
    url: String,
}

impl Client {
    /// `base` is the webserver's address as printed (`http://127.0.0.1:3000`).
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Client {
            agent,
            url: format!("{base}/graphql"),
        }
    }

    fn query(&self, query: &str, variables: Value) -> Result<Value, String> {
        let mut resp = self
            .agent
            .post(&self.url)
            .send_json(json!({"query": query, "variables": variables}))
            .map_err(|e| e.to_string())?;
        if resp.status() != 200 {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.body_mut()
            .read_json::<Value>()
            .map_err(|e| e.to_string())
    }

    /// Every location entry of the workspace; Err while the webserver does not answer.
    pub fn locations(&self) -> Result<Vec<(String, UiStatus)>, String> {
        let v = self.query(
            &format!("{{ workspaceOrError {{ __typename ... on Workspace {{ locationEntries {{ {ENTRY_FIELDS} }} }} }} }}"),
            json!({}),
        )?;
        let entries = v["data"]["workspaceOrError"]["locationEntries"]
            .as_array()
            .ok_or_else(|| format!("unexpected answer: {v}"))?;
        Ok(entries
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap_or_default().to_string(),
                    status_of(e),
                )
            })
            .collect())
    }

    /// Reloads one location from its (new) code server; returns what the webserver shows then.
    pub fn reload(&self, location: &str) -> Result<UiStatus, String> {
        let v = self.query(
            &format!("mutation($n: String!) {{ reloadRepositoryLocation(repositoryLocationName: $n) {{ __typename ... on WorkspaceLocationEntry {{ {ENTRY_FIELDS} }} ... on PythonError {{ message }} }} }}"),
            json!({"n": location}),
        )?;
        let r = &v["data"]["reloadRepositoryLocation"];
        match r["__typename"].as_str() {
            Some("WorkspaceLocationEntry") => Ok(status_of(r)),
            _ => Err(format!("reload of {location} failed: {r}")),
        }
    }
}

fn status_of(entry: &Value) -> UiStatus {
    if entry["loadStatus"] != "LOADED" {
        return UiStatus::Loading;
    }
    let loc = &entry["locationOrLoadError"];
    match loc["__typename"].as_str() {
        Some("RepositoryLocation") => UiStatus::Loaded {
            assets: loc["repositories"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| r["assetNodes"].as_array().map_or(0, Vec::len))
                        .sum()
                })
                .unwrap_or(0),
        },
        Some("PythonError") => {
            // Dagster wraps the user's error (`DagsterUserCodeLoadError: Error occurred during
            // the loading...`); the innermost cause is what the user needs to see first.
            let message = loc["errorChain"]
                .as_array()
                .and_then(|chain| chain.last())
                .and_then(|link| link["error"]["message"].as_str())
                .or(loc["message"].as_str())
                .unwrap_or_default()
                .to_string();
            if loc["className"] == "DagsterUserCodeUnreachableError"
                || message.contains("DagsterUserCodeUnreachableError")
                || message.contains("Could not reach user code server")
            {
                UiStatus::Unreachable
            } else {
                UiStatus::LoadError { message }
            }
        }
        _ => UiStatus::Loading,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_told_apart() {
        let loaded = json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "RepositoryLocation", "repositories": [{"assetNodes": [{"id": 1}, {"id": 2}]}]}});
        assert_eq!(status_of(&loaded), UiStatus::Loaded { assets: 2 });
        let broken = json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "PythonError", "className": "DagsterUserCodeLoadError", "message": "DagsterUserCodeLoadError: Error occurred during the loading", "errorChain": [{"error": {"message": "ModuleNotFoundError: No module named 'x'\n"}}]}});
        assert!(
            matches!(status_of(&broken), UiStatus::LoadError { message } if message.contains("No module named"))
        );
        let away = json!({"name": "a", "loadStatus": "LOADED", "locationOrLoadError": {"__typename": "PythonError", "className": "DagsterUserCodeUnreachableError", "message": "Could not reach user code server."}});
        assert_eq!(status_of(&away), UiStatus::Unreachable);
        let loading = json!({"name": "a", "loadStatus": "LOADING", "locationOrLoadError": null});
        assert_eq!(status_of(&loading), UiStatus::Loading);
    }
}
