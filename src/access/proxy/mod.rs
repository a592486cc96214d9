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

//!
//! The rooms: [`routes`] (what each request is and where it goes), [`authorize`] (who is
//! asking, and whether they may), [`refusal`] (the texts and bodies of a refusal),
//! [`transport`] (the webserver: forwarding, the websocket tunnel, lookups), [`request`]
//! (a GraphQL request read from GET or POST) and [`resolve`] (a target's location).

mod authorize;
mod refusal;
mod request;
mod resolve;
mod routes;
mod transport;

use super::error::AccessError;
use super::identity::TokenFile;
use super::policy::RolePolicy;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::header::HeaderName;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use transport::Upstream;

type Body = BoxBody<Bytes, hyper::Error>;

/// The header the proxy tells the webserver a person's roles in (JSON); any copy a client
/// sends is removed.
pub(crate) const ROLES_HEADER: &str = "x-dg-rs-roles";
/// The header carrying the authenticated person to the webserver.
pub(crate) const PERSON_HEADER: &str = "x-dg-rs-person";

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

/// One decision as a log line (`dg access proxy`'s stderr, `dg dev`'s access service):
/// `allowed 200 ada POST /graphql [launchRun]` or `refused 403 ... : reason`.
impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.person.as_deref().unwrap_or("(nobody)");
        let verdict = if self.allowed || self.reason.is_none() {
            "allowed"
        } else {
            "refused"
        };
        write!(
            f,
            "{verdict} {} {who} {} {}",
            self.status, self.method, self.path
        )?;
        if !self.mutations.is_empty() {
            write!(f, " [{}]", self.mutations.join(", "))?;
        }
        match (&self.reason, self.allowed) {
            (Some(reason), false) => write!(f, ": {reason}"),
            _ => Ok(()),
        }
    }
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
        let identity_header = config.policy.proxy.identity_header.clone();
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

async fn handle(state: &State, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let method = req.method().to_string();
    let raw_path = req.uri().path().to_string();
    let person = authorize::identify(state, &req, peer);
    let outcome = routes::route(state, req, peer, person.as_ref()).await;
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
                refusal::refusal(refused.status, &refused.message, refused.extra),
                Some(d),
            )
        }
    };
    if let Some(d) = decision {
        state.events.decision(&d);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::Decision;

    fn decision(allowed: bool, reason: Option<&str>, mutations: &[&str]) -> Decision {
        Decision {
            person: Some("ada@example.com".into()),
            method: "POST".into(),
            path: "/graphql".into(),
            mutations: mutations.iter().map(|m| m.to_string()).collect(),
            allowed,
            status: if allowed { 200 } else { 403 },
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn a_decision_is_one_log_line_that_says_who_what_and_why() {
        assert_eq!(
            decision(true, None, &["launchRun"]).to_string(),
            "allowed 200 ada@example.com POST /graphql [launchRun]"
        );
        assert_eq!(
            decision(false, Some("viewer on data-science"), &["launchRun"]).to_string(),
            "refused 403 ada@example.com POST /graphql [launchRun]: viewer on data-science"
        );
        let nobody = Decision {
            person: None,
            ..decision(true, None, &[])
        };
        assert_eq!(nobody.to_string(), "allowed 200 (nobody) POST /graphql");
    }
}
