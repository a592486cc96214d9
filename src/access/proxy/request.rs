//! Reading a GraphQL request the way dagster-webserver 1.13 does (`graphql.py`,
//! `graphql_http_endpoint`): GET takes the query string; POST takes a JSON body when the
//! content type mentions `application/json`, the raw body as the document for
//! `application/graphql`, and the query string otherwise. A repeated query-string key counts
//! by its last value, as Starlette's `QueryParams.get` does. The proxy then forwards exactly
//! what it classified as one JSON POST, so the webserver cannot read the request differently.

use crate::access::graphql::GraphqlRequest;
use serde_json::Value;
use std::collections::HashMap;

/// Why a request cannot be read as GraphQL (answered 400, as the webserver would).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadRequest {
    #[error("No GraphQL query found in the request")]
    NoQuery,
    #[error("GraphQL request is invalid JSON: {0}")]
    InvalidJson(String),
    #[error("the GraphQL request body must be a JSON object")]
    NotAnObject,
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    #[error("Malformed GraphQL variables: {0}")]
    Variables(String),
    #[error("the GraphQL document is not UTF-8")]
    NotUtf8,
}

/// Query-string parameters, last value winning.
fn query_params(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn variables(v: Option<Value>) -> Result<serde_json::Map<String, Value>, BadRequest> {
    match v {
        None | Some(Value::Null) => Ok(serde_json::Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(Value::Null) => Ok(serde_json::Map::new()),
            Ok(_) => Err(BadRequest::Variables("not a JSON object".into())),
            Err(e) => Err(BadRequest::Variables(e.to_string())),
        },
        Some(_) => Err(BadRequest::Variables("not a JSON object".into())),
    }
}

fn from_params(params: HashMap<String, String>) -> Result<GraphqlRequest, BadRequest> {
    let mut params = params;
    let query = params.remove("query").ok_or(BadRequest::NoQuery)?;
    Ok(GraphqlRequest {
        query,
        variables: variables(params.remove("variables").map(Value::String))?,
        operation_name: params.remove("operationName"),
    })
}

/// A GET request's GraphQL parameters.
pub(crate) fn from_get(query_string: Option<&str>) -> Result<GraphqlRequest, BadRequest> {
    from_params(query_params(query_string))
}

/// A POST request's GraphQL parameters.
pub(crate) fn from_post(
    content_type: &str,
    query_string: Option<&str>,
    body: &[u8],
) -> Result<GraphqlRequest, BadRequest> {
    if content_type.contains("application/json") {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| BadRequest::InvalidJson(e.to_string()))?;
        let Value::Object(mut data) = value else {
            return Err(BadRequest::NotAnObject);
        };
        let query = match data.remove("query") {
            None | Some(Value::Null) => return Err(BadRequest::NoQuery),
            Some(Value::String(s)) => s,
            Some(_) => return Err(BadRequest::NotAString("query")),
        };
        let operation_name = match data.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(BadRequest::NotAString("operationName")),
        };
        Ok(GraphqlRequest {
            query,
            variables: variables(data.remove("variables"))?,
            operation_name,
        })
    } else if content_type.contains("application/graphql") {
        let query = std::str::from_utf8(body).map_err(|_| BadRequest::NotUtf8)?;
        Ok(GraphqlRequest {
            query: query.to_string(),
            variables: serde_json::Map::new(),
            operation_name: None,
        })
    } else {
        from_params(query_params(query_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_the_last_value_of_a_repeated_key() {
        let r = from_get(Some(
            "query=query%7B__typename%7D&query=mutation+%7BreloadWorkspace%7B__typename%7D%7D&variables=%7B%22a%22%3A1%7D",
        ))
        .unwrap();
        assert_eq!(r.query, "mutation {reloadWorkspace{__typename}}");
        assert_eq!(r.variables.get("a"), Some(&Value::from(1)));
    }

    #[test]
    fn post_json_graphql_and_form() {
        let json = br#"{"query":"{a}","variables":"{\"x\":2}","operationName":null}"#;
        let r = from_post(
            "application/json; charset=utf-8",
            Some("query=ignored"),
            json,
        )
        .unwrap();
        assert_eq!((r.query.as_str(), r.operation_name), ("{a}", None));
        assert_eq!(r.variables.get("x"), Some(&Value::from(2)));
        let r = from_post("application/graphql", None, b"mutation{setNuxSeen}").unwrap();
        assert_eq!(r.query, "mutation{setNuxSeen}");
        // Any other content type: the body is ignored, the query string is read.
        let r = from_post("text/plain", Some("query=%7Bb%7D"), b"query={c}").unwrap();
        assert_eq!(r.query, "{b}");
    }

    #[test]
    fn malformed_requests_are_refused() {
        assert_eq!(from_get(None), Err(BadRequest::NoQuery));
        assert_eq!(
            from_post("application/json", None, b"[{\"query\":\"{a}\"}]"),
            Err(BadRequest::NotAnObject)
        );
        assert!(matches!(
            from_post(
                "application/json",
                None,
                b"{\"query\":\"{a}\",\"variables\":\"[1]\"}"
            ),
            Err(BadRequest::Variables(_))
        ));
    }
}
