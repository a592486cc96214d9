//! The tests' one GraphQL client of a Dagster webserver (or of the access proxy in front of
//! it): a raw POST that returns the status and the answer, a query that must succeed, and the
//! workspace's location entries, which several tests wait on.

use serde_json::{Value, json};
use std::time::Duration;

/// An agent that returns every HTTP status as an answer.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// POSTs a GraphQL request to `base`'s `/graphql` with `headers`; returns the status and the
/// JSON answer (the text, as a JSON string, when it is not JSON).
pub(crate) fn post(
    base: &str,
    headers: &[(&str, String)],
    query: &str,
    variables: Value,
    operation_name: Option<&str>,
) -> Result<(u16, Value), ureq::Error> {
    let mut req = agent()
        .post(&format!("{base}/graphql"))
        .header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let body = json!({ "query": query, "variables": variables, "operationName": operation_name });
    let mut resp = req.send(body.to_string())?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string()?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// The `data` of a query that must succeed (HTTP 200, no `errors`); `context` (a log tail)
/// is shown when it does not.
pub(crate) fn data(
    base: &str,
    query: &str,
    variables: Value,
    context: &dyn Fn() -> String,
) -> Value {
    let (status, v) = post(base, &[], query, variables, None)
        .unwrap_or_else(|e| panic!("GraphQL request failed: {e}\n{}", context()));
    assert_eq!(status, 200, "{v}\n{}", context());
    assert!(v.get("errors").is_none(), "GraphQL errors: {v}");
    v["data"].clone()
}

/// The workspace's location entries with `fields` (GraphQL selection inside an entry);
/// `None` while the webserver does not answer.
pub(crate) fn location_entries(base: &str, fields: &str) -> Option<Vec<Value>> {
    let query = format!(
        "{{ workspaceOrError {{ ... on Workspace {{ locationEntries {{ {fields} }} }} }} }}"
    );
    match post(base, &[], &query, json!({}), None) {
        Ok((200, v)) => v["data"]["workspaceOrError"]["locationEntries"]
            .as_array()
            .cloned(),
        _ => None,
    }
}

/// Whether there are `n` entries and every one is a loaded repository location.
pub(crate) fn all_loaded(entries: &[Value], n: usize) -> bool {
    entries.len() == n
        && entries
            .iter()
            .all(|e| e["locationOrLoadError"]["__typename"] == "RepositoryLocation")
}
