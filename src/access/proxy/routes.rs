//! What each request is and where it goes: the websocket (subscriptions), `/graphql` over
//! GET and POST (classified, authorised, forwarded as one JSON POST), the asset report
//! endpoints, reads; anything else is refused.

use super::authorize::{authorize, may_view};
use super::refusal::{self, Refusal};
use super::transport::{forward, full, tunnel};
use super::{Body, MAX_GRAPHQL_BODY, State, request};
use crate::access::graphql::{self, Classified, Demand, OperationKind, Refused, Scope};
use crate::access::identity::Person;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;

/// The answer and the request's mutations (response keys), or the refusal and them.
pub(super) type Routed = Result<(Response<Body>, Vec<String>), (Refusal, Vec<String>)>;

/// Routes one request of an authenticated (or not) person.
pub(super) async fn route(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: Option<&Person>,
) -> Routed {
    let Some(person) = person else {
        return Err((refusal::who_is_asking(&state.config.policy), Vec::new()));
    };
    if let Err(refused) = may_view(state, person) {
        return Err((refused, Vec::new()));
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
        refusal::unknown_request(req.method(), req.uri().path()),
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
    let (head, parsed) = match *req.method() {
        Method::GET if accepts_html => {
            return graphiql_page(state, req, peer, person)
                .await
                .map(|r| (r, Vec::new()))
                .map_err(no_mutations);
        }
        Method::GET => {
            let parsed = request::from_get(req.uri().query());
            (req.into_parts().0, parsed)
        }
        Method::POST => {
            let (parts, parsed) = read_post(req).await.map_err(no_mutations)?;
            (parts, parsed)
        }
        _ => {
            return Err(no_mutations(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            )));
        }
    };
    match parsed {
        Ok(gql) => {
            authorize_and_forward(state, Request::from_parts(head, ()), peer, person, gql).await
        }
        Err(e) => Err(no_mutations(Refusal::new(
            StatusCode::BAD_REQUEST,
            e.to_string(),
        ))),
    }
}

/// The GraphiQL page: the webserver executes nothing for it. It is sent on without the
/// query string and with one Accept header, so nothing can be executed.
async fn graphiql_page(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    person: &Person,
) -> Result<Response<Body>, Refusal> {
    let (mut parts, _) = req.into_parts();
    parts.uri = format!("{}/graphql", state.config.path_prefix)
        .parse()
        .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "bad path"))?;
    parts.headers.remove(header::ACCEPT);
    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    forward(
        state,
        Request::from_parts(parts, full(Bytes::new())),
        peer,
        person,
    )
    .await
}

/// A POSTed GraphQL request: its head and what its body (at most [`MAX_GRAPHQL_BODY`]) and
/// query string say.
async fn read_post(
    req: Request<Incoming>,
) -> Result<
    (
        hyper::http::request::Parts,
        Result<graphql::GraphqlRequest, request::BadRequest>,
    ),
    Refusal,
> {
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
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "dg-rs access: the GraphQL request is too large or broke off",
            ));
        }
    };
    let parsed = request::from_post(&content_type, query.as_deref(), &bytes);
    Ok((parts, parsed))
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
