//! Who is asking (the trusted identity header, else a bearer token) and whether they may:
//! viewer somewhere to read at all; every mutation allowed in every location it touches.

use super::refusal::{self, Refusal};
use super::{State, resolve};
use crate::access::graphql::{Classified, OperationKind, Scope};
use crate::access::identity::{Person, PersonSource};
use crate::access::policy::Role;
use hyper::Request;
use hyper::body::Incoming;
use hyper::header;
use std::net::SocketAddr;

/// The authenticated person: the identity header from a trusted peer, else a bearer token.
pub(super) fn identify(state: &State, req: &Request<Incoming>, peer: SocketAddr) -> Option<Person> {
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

/// Every demand of the operation must be allowed; the first that is not refuses all.
pub(super) async fn authorize(
    state: &State,
    person: &Person,
    classified: &Classified,
) -> Result<(), Refusal> {
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
                return Err(refusal::refuse_workspace(
                    roles,
                    person,
                    demand,
                    &state.config.locations,
                ));
            }
            Scope::Undeterminable(why) => {
                return Err(refusal::refuse_unknown_location(
                    person, demand, why, everywhere,
                ));
            }
            Scope::Targets(targets) => {
                let locations = match resolve::locations(&state.upstream, targets).await {
                    Ok(l) => l,
                    Err(why) => {
                        return Err(refusal::refuse_unknown_location(
                            person, demand, &why, everywhere,
                        ));
                    }
                };
                for location in &locations {
                    let effective = roles.effective(&person.id, location);
                    if effective.role < needed {
                        return Err(refusal::refuse_location(
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

/// Reading needs viewer in some location (or in those the policy does not name).
pub(super) fn may_view(state: &State, person: &Person) -> Result<(), Refusal> {
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
        return Err(refusal::no_role(roles, person));
    }
    Ok(())
}
