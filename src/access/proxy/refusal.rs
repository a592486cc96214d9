//! Why a request was not forwarded, in words the person can act on (who they are, what
//! they asked, where, the role it needs, the role they have and who grants it), and as the
//! GraphQL error body the UI shows.

use super::Body;
use super::transport::full;
use crate::access::graphql::Demand;
use crate::access::identity::Person;
use crate::access::policy::{Grant, Role, RolePolicy};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    let mut resp = Response::new(full(serde_json::to_vec(body).unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A refusal as a GraphQL error body (what the UI shows).
pub(super) fn refusal(status: StatusCode, message: &str, extra: Value) -> Response<Body> {
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
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    pub(super) message: String,
    pub(super) extra: Value,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
            extra: json!({}),
        }
    }
    pub(super) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
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

pub(super) fn refuse_location(
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

pub(super) fn refuse_workspace(
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

pub(super) fn refuse_unknown_location(
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

/// No identity: neither the trusted header nor a known bearer token.
pub(super) fn who_is_asking(policy: &RolePolicy) -> Refusal {
    Refusal::new(
        StatusCode::UNAUTHORIZED,
        format!(
            "dg-rs access: who is asking? Sign in through the SSO proxy (it sets {}) \
             or send `Authorization: Bearer TOKEN` with a token from the policy's tokens file",
            policy.proxy.identity_header
        ),
    )
}

/// A person without viewer in any location.
pub(super) fn no_role(policy: &RolePolicy, person: &Person) -> Refusal {
    Refusal::forbidden(format!(
        "dg-rs access: {} has no role in any code location (default_role is {}); \
         ask an admin to grant viewer or more in {}",
        person.id,
        policy.default_role,
        policy.file.display()
    ))
}

/// A request that is none the proxy knows (deny by default).
pub(super) fn unknown_request(method: &Method, path: &str) -> Refusal {
    Refusal::forbidden(format!(
        "dg-rs access: {method} {path} is not a request the access proxy knows; refused (deny by default)"
    ))
}
