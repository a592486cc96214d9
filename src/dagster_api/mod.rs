//! The Dagster webserver's GraphQL API, as dg-rs speaks it: one client over HTTP, one rule
//! for a response (a non-empty `errors` fails the request, whatever `data` holds), typed
//! answers ([`types`]) and every query string dg-rs sends ([`queries`]). Used by `dg dev`
//! (location statuses, reloads), `dg launch --remote` (submit, follow, terminate runs) and
//! the access proxy, whose async transport hands its response bodies to [`data`].

pub(crate) mod queries;
pub(crate) mod types;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a GraphQL request did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// No HTTP answer at all (connection refused, timeout).
    #[error("{0}")]
    Unreachable(String),
    /// An HTTP status outside 2xx.
    #[error("HTTP {0}")]
    Status(u16),
    /// The body is not a GraphQL response.
    #[error("{0}")]
    NotJson(String),
    /// The response's `errors`, each message.
    #[error("{}", .0.join("; "))]
    Errors(Vec<String>),
    /// `data` does not have the shape the query asks for.
    #[error("unexpected answer: {0}")]
    Shape(String),
}

/// The `data` of a GraphQL response body, typed; the one rule for `errors`: present and not
/// empty, the request failed (with each error's message, or the errors as JSON when they
/// carry none).
pub(crate) fn data<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut body: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::NotJson(e.to_string()))?;
    check_errors(&body)?;
    let data = body.get_mut("data").map(Value::take).unwrap_or(Value::Null);
    serde_json::from_value(data.clone()).map_err(|e| ApiError::Shape(format!("{e} in {data}")))
}

fn check_errors(body: &Value) -> Result<(), ApiError> {
    let errors = match body.get("errors") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(a)) if a.is_empty() => return Ok(()),
        Some(e) => e,
    };
    let messages: Vec<String> = errors
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    Err(ApiError::Errors(if messages.is_empty() {
        vec![errors.to_string()]
    } else {
        messages
    }))
}

/// The request body of `query` with `variables`.
pub(crate) fn request_body(query: &str, variables: Value) -> Value {
    json!({ "query": query, "variables": variables })
}

/// A blocking GraphQL client of one webserver.
pub(crate) struct Client {
    agent: ureq::Agent,
    endpoint: String,
    token: Option<String>,
}

impl Client {
    /// `base` is the webserver's base URL (`http://host:3000`, with its path prefix if any);
    /// `token` is sent as `Authorization: Bearer …` (the access proxy in front of it).
    pub(crate) fn new(base: &str, token: Option<String>, timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Client {
            agent,
            endpoint: format!("{}/graphql", base.trim_end_matches('/')),
            token,
        }
    }

    /// Sends `query` and returns its `data` as `T`.
    pub(crate) fn request<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, ApiError> {
        let mut req = self.agent.post(&self.endpoint);
        if let Some(t) = &self.token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut resp = req
            .send_json(request_body(query, variables))
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(ApiError::Status(status));
        }
        let body = resp
            .body_mut()
            .read_to_vec()
            .map_err(|e| ApiError::NotJson(e.to_string()))?;
        data(&body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fail_the_request_whatever_data_holds() {
        let body = br#"{"data": {"x": 1}, "errors": [{"message": "a"}, {"message": "b"}]}"#;
        assert_eq!(
            data::<Value>(body),
            Err(ApiError::Errors(vec!["a".into(), "b".into()]))
        );
        let odd = br#"{"data": null, "errors": {"oops": true}}"#;
        assert_eq!(
            data::<Value>(odd),
            Err(ApiError::Errors(vec![r#"{"oops":true}"#.into()]))
        );
    }

    #[test]
    fn empty_or_null_errors_are_no_errors() {
        for body in [
            &br#"{"data": {"x": 1}, "errors": []}"#[..],
            br#"{"data": {"x": 1}, "errors": null}"#,
            br#"{"data": {"x": 1}}"#,
        ] {
            assert_eq!(data::<Value>(body), Ok(json!({"x": 1})));
        }
    }

    #[test]
    fn a_body_that_is_not_json_or_of_another_shape_is_told_apart() {
        assert!(matches!(
            data::<Value>(b"<html>"),
            Err(ApiError::NotJson(_))
        ));
        assert!(matches!(
            data::<Vec<u8>>(br#"{"data": {"x": 1}}"#),
            Err(ApiError::Shape(_))
        ));
    }
}
