//! The proxy's side of the webserver: forwarding a request (hop-by-hop headers stripped,
//! credentials replaced by the authenticated person and their roles), the websocket tunnel,
//! and the lookups the authorisation makes (their answers read by [`crate::dagster_api`]).

use super::refusal::Refusal;
use super::{Body, PERSON_HEADER, ROLES_HEADER, State};
use crate::access::identity::Person;
use crate::dagster_api::{self, ApiError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

/// How long a location lookup may take before the request is refused.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The webserver the proxy forwards to, and the lookups it makes there.
pub(crate) struct Upstream {
    addr: SocketAddr,
    prefix: String,
    pub(super) client: Client<HttpConnector, Body>,
}

impl Upstream {
    pub(super) fn new(addr: SocketAddr, prefix: String) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Upstream {
            addr,
            prefix,
            client,
        }
    }

    pub(super) fn uri(&self, path_and_query: &str) -> Result<hyper::Uri, String> {
        format!("http://{}{path_and_query}", self.addr)
            .parse()
            .map_err(|e| format!("bad upstream address: {e}"))
    }

    /// Runs a lookup query against the webserver directly; returns its `data`, typed.
    pub(crate) async fn query<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, String> {
        let body = serde_json::to_vec(&dagster_api::request_body(query, variables))
            .map_err(|e| e.to_string())?;
        let req = Request::post(self.uri(&format!("{}/graphql", self.prefix))?)
            .header(header::CONTENT_TYPE, "application/json")
            .body(full(body))
            .map_err(|e| e.to_string())?;
        let resp = tokio::time::timeout(LOOKUP_TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| "the webserver did not answer a lookup in time".to_string())?
            .map_err(|e| format!("the webserver did not answer a lookup: {e}"))?;
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("the webserver's lookup answer broke off: {e}"))?
            .to_bytes();
        dagster_api::data(&bytes).map_err(|e| match e {
            ApiError::NotJson(e) => format!("the webserver's lookup answer is not JSON: {e}"),
            e => format!("the webserver's lookup failed: {e}"),
        })
    }
}

pub(super) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Headers that describe one connection, not the request (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub(super) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// The request headers the webserver gets: no credentials, no client copy of ours, the
/// authenticated person and their roles.
fn upstream_headers(state: &State, headers: &mut HeaderMap, peer: SocketAddr, person: &Person) {
    headers.remove(header::AUTHORIZATION);
    headers.remove(&state.identity_header);
    let ours: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("x-dg-rs-"))
        .cloned()
        .collect();
    for k in ours {
        headers.remove(k);
    }
    let roles = &state.config.policy;
    let mut by_location = serde_json::Map::new();
    for l in &state.config.locations {
        by_location.insert(l.clone(), json!(roles.role(&person.id, l)));
    }
    let value = json!({ "default": roles.role_elsewhere(&person.id), "locations": by_location });
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(HeaderName::from_static(ROLES_HEADER), v);
    }
    if let Ok(v) = HeaderValue::from_str(&person.id) {
        headers.insert(HeaderName::from_static(PERSON_HEADER), v.clone());
        headers.insert(state.identity_header.clone(), v);
    }
    let forwarded = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded) {
        headers.insert(HeaderName::from_static("x-forwarded-for"), v);
    }
}

/// Sends `req` on to the webserver and streams the answer back.
pub(super) async fn forward<B>(
    state: &State,
    req: Request<B>,
    peer: SocketAddr,
    person: &Person,
) -> Result<Response<Body>, Refusal>
where
    B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
{
    let (mut parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    parts.uri = state
        .upstream
        .uri(&path_and_query)
        .map_err(|e| Refusal::new(StatusCode::BAD_GATEWAY, e))?;
    strip_hop_by_hop(&mut parts.headers);
    upstream_headers(state, &mut parts.headers, peer, person);
    let req = Request::from_parts(parts, body.boxed());
    let resp = state.upstream.client.request(req).await.map_err(|e| {
        Refusal::new(
            StatusCode::BAD_GATEWAY,
            format!("dg-rs access: the Dagster webserver did not answer: {e}"),
        )
    })?;
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body.boxed()))
}

/// A websocket upgrade on its own upstream connection; after `101`, bytes flow both ways
/// untouched until either side closes.
pub(super) async fn tunnel(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: &Person,
) -> Result<Response<Body>, Refusal> {
    let bad_gateway = |e: String| {
        Refusal::new(
            StatusCode::BAD_GATEWAY,
            format!("dg-rs access: the Dagster webserver's websocket is not reachable: {e}"),
        )
    };
    let stream = tokio::net::TcpStream::connect(state.config.upstream)
        .await
        .map_err(|e| bad_gateway(e.to_string()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(stream))
        .await
        .map_err(|e| bad_gateway(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let mut req = req;
    let client_upgrade = hyper::upgrade::on(&mut req);
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.headers.get(header::UPGRADE).cloned();
    strip_hop_by_hop(&mut parts.headers);
    upstream_headers(state, &mut parts.headers, peer, person);
    if let Some(u) = upgrade {
        parts.headers.insert(header::UPGRADE, u);
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.to_string());
    parts.uri = path_and_query
        .parse()
        .map_err(|_| bad_gateway("bad path".into()))?;
    parts.headers.insert(
        header::HOST,
        HeaderValue::from_str(&state.config.upstream.to_string())
            .map_err(|e| bad_gateway(e.to_string()))?,
    );
    let upstream_req = Request::from_parts(parts, body.boxed());
    let mut resp = sender
        .send_request(upstream_req)
        .await
        .map_err(|e| bad_gateway(e.to_string()))?;
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        let (parts, body) = resp.into_parts();
        return Ok(Response::from_parts(parts, body.boxed()));
    }
    let upstream_upgrade = hyper::upgrade::on(&mut resp);
    tokio::spawn(async move {
        let (Ok(client), Ok(upstream)) = (client_upgrade.await, upstream_upgrade.await) else {
            return;
        };
        let _ =
            tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(upstream))
                .await;
    });
    let (parts, _) = resp.into_parts();
    Ok(Response::from_parts(parts, full(Bytes::new())))
}
