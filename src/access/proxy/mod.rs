//! The authorizing reverse proxy in front of the real Dagster webserver: the security
//! boundary of access control. The webserver listens on loopback only; everything reaches it
//! through here.
//!
//! Every request needs an identity: the trusted header an SSO proxy in front sets (believed
//! only from `trusted_sources`, loopback by default), else a bearer token from the tokens
//! file. Reading (the UI, GraphQL queries, subscriptions over the websocket, log and debug
//! downloads) needs viewer in some location; Dagster+ does not hide locations from viewers
//! either. `/graphql` over GET and POST is parsed and classified ([`crate::access::graphql`]);
//! every mutation field must be allowed in every location it touches, else the whole request
//! is refused with 403 and a GraphQL error naming the person, mutation, location and roles.
//! The REST report endpoints (`/report_asset_*`) need editor in the asset's location. Any
//! other write is refused. An allowed GraphQL request is forwarded as one JSON POST of
//! exactly what was classified.
//!
//! The webserver also learns the person's roles (`X-Dg-Rs-Roles`, set only by the proxy) so
//! the dg-rs webserver entry point can grey out what they may not do; the proxy stays the
//! enforcement.

mod request;
mod resolve;

use super::error::AccessError;
use super::graphql::{self, Classified, Demand, OperationKind, Refused, Scope};
use super::identity::{Person, PersonSource, TokenFile};
use super::policy::{Grant, Role, RolePolicy};
use crate::dagster_api::{self, ApiError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Serialize;
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

type Body = BoxBody<Bytes, hyper::Error>;

/// The header the proxy tells the webserver a person's roles in (JSON); any copy a client
/// sends is removed.
pub(crate) const ROLES_HEADER: &str = "x-dg-rs-roles";
/// The header carrying the authenticated person to the webserver.
pub(crate) const PERSON_HEADER: &str = "x-dg-rs-person";

/// How long a location lookup may take before the request is refused.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest GraphQL body the proxy reads (the UI's biggest queries are far smaller).
const MAX_GRAPHQL_BODY: usize = 16 * 1024 * 1024;

/// What the proxy needs to run.
pub(crate) struct ProxyConfig {
    pub(crate) policy: RolePolicy,
    /// The workspace's locations.
    pub(crate) locations: Vec<String>,
    pub(crate) tokens: TokenFile,
    /// The webserver (`127.0.0.1:PORT`).
    pub(crate) upstream: SocketAddr,
    /// The webserver's `--path-prefix`, or empty.
    pub(crate) path_prefix: String,
}

/// One decision, for the proxy's log.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Decision {
    pub(crate) person: Option<String>,
    pub(crate) method: String,
    pub(crate) path: String,
    /// The mutations of the request (response keys), when it had any.
    pub(crate) mutations: Vec<String>,
    pub(crate) allowed: bool,
    pub(crate) status: u16,
    pub(crate) reason: Option<String>,
}

/// Where the proxy reports what it does (render implements it).
pub(crate) trait ProxyEvents: Send + Sync {
    fn listening(&self, addr: SocketAddr, upstream: SocketAddr);
    fn decision(&self, decision: &Decision);
}

/// Binds the proxy's listening socket (port 0 picks a free port).
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, AccessError> {
    let listener =
        TcpListener::bind(addr).map_err(|source| AccessError::Listen { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| AccessError::Listen { addr, source })?;
    Ok(listener)
}

/// The webserver the proxy forwards to, and the lookups it makes there.
pub(crate) struct Upstream {
    addr: SocketAddr,
    prefix: String,
    client: Client<HttpConnector, Body>,
}

impl Upstream {
    fn new(addr: SocketAddr, prefix: String) -> Self {
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

    fn uri(&self, path_and_query: &str) -> Result<hyper::Uri, String> {
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

struct State {
    config: ProxyConfig,
    upstream: Upstream,
    identity_header: HeaderName,
    events: Arc<dyn ProxyEvents>,
}

/// Serves until `stop` says so (polled ten times a second: an interrupt of dg-rs, or the
/// end of `dg dev`). Blocks; runs its own small runtime.
pub(crate) fn serve(
    config: ProxyConfig,
    listener: TcpListener,
    events: Arc<dyn ProxyEvents>,
    stop: Arc<dyn Fn() -> bool + Send + Sync>,
) -> Result<(), AccessError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(AccessError::Runtime)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(AccessError::Runtime)?;
        let local = listener.local_addr().map_err(AccessError::Runtime)?;
        let identity_header =
            HeaderName::from_bytes(config.policy.proxy.identity_header.as_bytes())
                .unwrap_or(HeaderName::from_static("x-forwarded-email"));
        let state = Arc::new(State {
            upstream: Upstream::new(config.upstream, config.path_prefix.clone()),
            identity_header,
            events,
            config,
        });
        state.events.listening(local, state.config.upstream);
        // dg-rs's own handler owns SIGINT/SIGTERM (see `process::interrupt`).
        let stop = async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            while !stop() {
                tick.tick().await;
            }
        };
        tokio::pin!(stop);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let state = state.clone();
                            async move { Ok::<_, hyper::Error>(handle(&state, req, peer).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
                () = &mut stop => break,
            }
        }
        Ok(())
    })
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut resp = Response::new(full(serde_json::to_vec(body).unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A refusal as a GraphQL error body (what the UI shows).
fn refusal(status: StatusCode, message: &str, extra: Value) -> Response<Body> {
    let mut ext = json!({ "code": "DG_RS_ACCESS_DENIED" });
    if let (Some(e), Value::Object(more)) = (ext.as_object_mut(), extra) {
        e.extend(more);
    }
    let mut resp = json_response(
        status,
        &json!({ "data": null, "errors": [{ "message": message, "extensions": ext }] }),
    );
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// Why a request was not forwarded.
struct Refusal {
    status: StatusCode,
    message: String,
    extra: Value,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
            extra: json!({}),
        }
    }
    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
}

async fn handle(state: &State, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let method = req.method().to_string();
    let raw_path = req.uri().path().to_string();
    let person = identify(state, &req, peer);
    let outcome = route(state, req, peer, person.as_ref()).await;
    let (resp, decision) = match outcome {
        Ok((resp, mutations)) => {
            let status = resp.status().as_u16();
            let log = (!mutations.is_empty()).then(|| Decision {
                person: person.as_ref().map(|p| p.id.clone()),
                method,
                path: raw_path,
                mutations,
                allowed: true,
                status,
                reason: None,
            });
            (resp, log)
        }
        Err((refused, mutations)) => {
            let d = Decision {
                person: person.as_ref().map(|p| p.id.clone()),
                method,
                path: raw_path,
                mutations,
                allowed: false,
                status: refused.status.as_u16(),
                reason: Some(refused.message.clone()),
            };
            (
                refusal(refused.status, &refused.message, refused.extra),
                Some(d),
            )
        }
    };
    if let Some(d) = decision {
        state.events.decision(&d);
    }
    resp
}

/// The authenticated person: the identity header from a trusted peer, else a bearer token.
fn identify(state: &State, req: &Request<Incoming>, peer: SocketAddr) -> Option<Person> {
    let trusted = state
        .config
        .policy
        .proxy
        .trusted_sources
        .iter()
        .any(|net| net.contains(&peer.ip().to_canonical()));
    if trusted
        && let Some(v) = req.headers().get(&state.identity_header)
        && let Ok(s) = v.to_str()
        && !s.trim().is_empty()
    {
        return Some(Person::new(s, PersonSource::Header));
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let person = state.config.tokens.person_for(token.trim())?;
    Some(Person::new(person, PersonSource::Token))
}

type Routed = Result<(Response<Body>, Vec<String>), (Refusal, Vec<String>)>;

async fn route(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: Option<&Person>,
) -> Routed {
    let Some(person) = person else {
        return Err((
            Refusal::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "dg-rs access: who is asking? Sign in through the SSO proxy (it sets {}) \
                     or send `Authorization: Bearer TOKEN` with a token from the policy's tokens file",
                    state.config.policy.proxy.identity_header
                ),
            ),
            Vec::new(),
        ));
    };
    let roles = &state.config.policy;
    let best = state
        .config
        .locations
        .iter()
        .map(|l| roles.role(&person.id, l))
        .chain([roles.role_elsewhere(&person.id)])
        .max()
        .unwrap_or(Role::None);
    if best < Role::Viewer {
        return Err((
            Refusal::forbidden(format!(
                "dg-rs access: {} has no role in any code location (default_role is {}); \
                 ask an admin to grant viewer or more in {}",
                person.id,
                roles.default_role,
                roles.file.display()
            )),
            Vec::new(),
        ));
    }
    let decoded = percent_encoding::percent_decode_str(req.uri().path())
        .decode_utf8_lossy()
        .into_owned();
    let prefix = state.config.path_prefix.as_str();
    let path = decoded.strip_prefix(prefix).unwrap_or("");
    let is_ws = req.method() == Method::GET
        && req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if path == "/graphql" && is_ws {
        // Subscriptions only: the webserver runs every websocket operation against the
        // Subscription type, so a mutation sent there is rejected by the server itself.
        return tunnel(state, req, peer, person)
            .await
            .map(|r| (r, Vec::new()))
            .map_err(|e| (e, Vec::new()));
    }
    if path == "/graphql" {
        return graphql_request(state, req, peer, person).await;
    }
    for endpoint in [
        "/report_asset_materialization/",
        "/report_asset_check/",
        "/report_asset_observation/",
    ] {
        if let Some(key) = path.strip_prefix(endpoint)
            && req.method() == Method::POST
        {
            return report(state, req, peer, person, endpoint, key).await;
        }
    }
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return forward(state, req, peer, person)
            .await
            .map(|r| (r, Vec::new()))
            .map_err(|e| (e, Vec::new()));
    }
    Err((
        Refusal::forbidden(format!(
            "dg-rs access: {} {} is not a request the access proxy knows; refused (deny by default)",
            req.method(),
            req.uri().path()
        )),
        Vec::new(),
    ))
}

async fn graphql_request(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: &Person,
) -> Routed {
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let no_mutations = |e: Refusal| (e, Vec::new());
    let parsed = match *req.method() {
        // The GraphiQL page: the webserver executes nothing for it. It is sent on without
        // the query string and with one Accept header, so nothing can be executed.
        Method::GET if accepts_html => {
            let (mut parts, _) = req.into_parts();
            parts.uri = match format!("{}/graphql", state.config.path_prefix).parse() {
                Ok(u) => u,
                Err(_) => {
                    return Err(no_mutations(Refusal::new(
                        StatusCode::BAD_REQUEST,
                        "bad path",
                    )));
                }
            };
            parts.headers.remove(header::ACCEPT);
            parts
                .headers
                .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
            let req = Request::from_parts(parts, full(Bytes::new()));
            return forward(state, req, peer, person)
                .await
                .map(|r| (r, Vec::new()))
                .map_err(no_mutations);
        }
        Method::GET => request::from_get(req.uri().query()),
        Method::POST => {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let query = req.uri().query().map(str::to_string);
            let (parts, body) = req.into_parts();
            let bytes = match Limited::new(body, MAX_GRAPHQL_BODY).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return Err(no_mutations(Refusal::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "dg-rs access: the GraphQL request is too large or broke off",
                    )));
                }
            };
            let parsed = request::from_post(&content_type, query.as_deref(), &bytes);
            let req = Request::from_parts(parts, ());
            return match parsed {
                Ok(gql) => authorize_and_forward(state, req, peer, person, gql).await,
                Err(e) => Err(no_mutations(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    e.to_string(),
                ))),
            };
        }
        _ => {
            return Err(no_mutations(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            )));
        }
    };
    let (parts, _) = req.into_parts();
    match parsed {
        Ok(gql) => {
            authorize_and_forward(state, Request::from_parts(parts, ()), peer, person, gql).await
        }
        Err(e) => Err(no_mutations(Refusal::new(
            StatusCode::BAD_REQUEST,
            e.to_string(),
        ))),
    }
}

async fn authorize_and_forward(
    state: &State,
    head: Request<()>,
    peer: SocketAddr,
    person: &Person,
    gql: graphql::GraphqlRequest,
) -> Routed {
    let classified = match graphql::classify(&gql) {
        Ok(c) => c,
        Err(e) => {
            let status = match e {
                Refused::UnknownMutation(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            return Err((
                Refusal::new(status, format!("dg-rs access: {e}")),
                Vec::new(),
            ));
        }
    };
    let mutations: Vec<String> = classified.demands.iter().map(|d| d.field.clone()).collect();
    if let Err(refused) = authorize(state, person, &classified).await {
        return Err((refused, mutations));
    }
    // Forward exactly what was classified, as one JSON POST.
    let body = match serde_json::to_vec(&gql) {
        Ok(b) => b,
        Err(e) => {
            return Err((
                Refusal::new(StatusCode::BAD_REQUEST, e.to_string()),
                mutations,
            ));
        }
    };
    let (mut parts, ()) = head.into_parts();
    parts.method = Method::POST;
    parts.uri = match format!("{}/graphql", state.config.path_prefix).parse() {
        Ok(u) => u,
        Err(_) => return Err((Refusal::new(StatusCode::BAD_REQUEST, "bad path"), mutations)),
    };
    for h in [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONTENT_ENCODING,
    ] {
        parts.headers.remove(h);
    }
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let req = Request::from_parts(parts, full(body));
    match forward(state, req, peer, person).await {
        Ok(resp) => Ok((resp, mutations)),
        Err(e) => Err((e, mutations)),
    }
}

/// Every demand of the operation must be allowed; the first that is not refuses all.
async fn authorize(state: &State, person: &Person, classified: &Classified) -> Result<(), Refusal> {
    if classified.kind != OperationKind::Mutation {
        return Ok(());
    }
    let roles = &state.config.policy;
    let everywhere = roles.role_everywhere(&person.id, &state.config.locations);
    for demand in &classified.demands {
        let needed = demand.family.needs();
        // Holding the role in every location (and in any the policy does not name) decides
        // without looking the location up.
        if everywhere >= needed {
            continue;
        }
        match &demand.scope {
            Scope::Anywhere => {}
            Scope::Workspace => {
                return Err(refuse_workspace(
                    roles,
                    person,
                    demand,
                    &state.config.locations,
                ));
            }
            Scope::Undeterminable(why) => {
                return Err(refuse_unknown_location(person, demand, why, everywhere));
            }
            Scope::Targets(targets) => {
                let locations = match resolve::locations(&state.upstream, targets).await {
                    Ok(l) => l,
                    Err(why) => {
                        return Err(refuse_unknown_location(person, demand, &why, everywhere));
                    }
                };
                for location in &locations {
                    let effective = roles.effective(&person.id, location);
                    if effective.role < needed {
                        return Err(refuse_location(
                            roles,
                            person,
                            demand,
                            location,
                            effective.role,
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn grants_text(policy: &RolePolicy, grants: &[&Grant]) -> String {
    if grants.is_empty() {
        return format!(
            "nobody holds it there; an admin can grant it in {}",
            policy.file.display()
        );
    }
    let list: Vec<String> = grants
        .iter()
        .map(|g| format!("{} = {} (line {})", g.rule(), g.grantee, g.at.line))
        .collect();
    format!(
        "granted in {} by {}",
        policy.file.display(),
        list.join(", ")
    )
}

fn refuse_location(
    policy: &RolePolicy,
    person: &Person,
    demand: &Demand,
    location: &str,
    has: Role,
) -> Refusal {
    let needed = demand.family.needs();
    let grants = policy.granted_by(location, needed);
    Refusal {
        status: StatusCode::FORBIDDEN,
        message: format!(
            "dg-rs access: {} may not run `{}` in code location {location}: {} need {needed}, \
             and {} has {has} there ({})",
            person.id,
            demand.mutation,
            demand.family.describe(),
            person.id,
            grants_text(policy, &grants)
        ),
        extra: json!({
            "person": person.id, "mutation": demand.mutation, "field": demand.field,
            "location": location, "needs": needed, "role": has,
        }),
    }
}

fn refuse_workspace(
    policy: &RolePolicy,
    person: &Person,
    demand: &Demand,
    locations: &[String],
) -> Refusal {
    let roles: Vec<String> = locations
        .iter()
        .map(|l| format!("{} in {l}", policy.role(&person.id, l)))
        .collect();
    Refusal {
        status: StatusCode::FORBIDDEN,
        message: format!(
            "dg-rs access: {} may not run `{}`: {} are workspace-wide and need admin in every \
             code location; {} has {} (admins are listed in {})",
            person.id,
            demand.mutation,
            demand.family.describe(),
            person.id,
            roles.join(", "),
            policy.file.display()
        ),
        extra: json!({
            "person": person.id, "mutation": demand.mutation, "field": demand.field,
            "needs": Role::Admin,
        }),
    }
}

fn refuse_unknown_location(
    person: &Person,
    demand: &Demand,
    why: &str,
    everywhere: Role,
) -> Refusal {
    Refusal {
        status: StatusCode::FORBIDDEN,
        message: format!(
            "dg-rs access: `{}` refused: its code location cannot be determined ({why}); \
             without it, {} needs {} in every location and has {everywhere} in some",
            demand.mutation,
            person.id,
            demand.family.needs()
        ),
        extra: json!({
            "person": person.id, "mutation": demand.mutation, "field": demand.field,
            "needs": demand.family.needs(),
        }),
    }
}

/// `POST /report_asset_*/{asset_key}`: editor in the asset's location. The key must be in
/// the path (the webserver reads the path first; the body and query forms are refused).
async fn report(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: &Person,
    endpoint: &str,
    key: &str,
) -> Routed {
    let what = vec![endpoint.trim_matches('/').to_string()];
    let parts: Vec<String> = key.split('/').map(str::to_string).collect();
    if key.is_empty() || parts.iter().any(String::is_empty) {
        return Err((
            Refusal::forbidden(format!(
                "dg-rs access: give the asset key in the path ({endpoint}KEY/PARTS); \
                 the access proxy does not accept it in the body or query"
            )),
            what,
        ));
    }
    let demand = Demand {
        field: what[0].clone(),
        mutation: what[0].clone(),
        family: graphql::Family::Assets,
        scope: Scope::Targets(vec![graphql::Target::Asset(parts)]),
    };
    let classified = Classified {
        kind: OperationKind::Mutation,
        operation_name: None,
        demands: vec![demand],
    };
    if let Err(r) = authorize(state, person, &classified).await {
        return Err((r, what));
    }
    match forward(state, req, peer, person).await {
        Ok(resp) => Ok((resp, what)),
        Err(e) => Err((e, what)),
    }
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

fn strip_hop_by_hop(headers: &mut HeaderMap) {
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
async fn forward<B>(
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
async fn tunnel(
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
