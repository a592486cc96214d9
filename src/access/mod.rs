//! Access control per code location: one policy, three enforcers.
//!
//! The policy has two halves. Roles live in the workspace's `dg-rs.toml` `[access]` table
//! (`default_role`, `admins`, `teams`, per-location grants); a person's role in a location is
//! the highest of the default role, the admins list and every grant naming them or one of
//! their teams (Dagster+'s rule: grants only ever raise a role). Visibility lives in each
//! project's `[tool.dg-rs.access]` (`public` selections, `visible_to` locations), the dbt Mesh
//! idea: another location may only depend on what a location publishes.
//!
//! The enforcers: `dg check` (who may depend on what, [`visibility`]), `dg launch` (who may
//! run where, [`roles::launch_verdict`]; a guardrail, the person is not authenticated) and the
//! authorizing reverse proxy in front of the real Dagster webserver ([`proxy`], the security
//! boundary: authenticated identity, every mutation classified by [`graphql`], deny by
//! default). [`codeowners`] turns the editors of each location into a CODEOWNERS file, so the
//! git host enforces who may change a location's code.

pub(crate) mod codeowners;
mod error;
pub(crate) mod graphql;
pub(crate) mod hooks;
pub(crate) mod identity;
mod parse;
pub(crate) mod policy;
pub(crate) mod proxy;
pub(crate) mod roles;
pub(crate) mod visibility;

pub(crate) use error::AccessError;
pub(crate) use parse::load;
pub(crate) use policy::{AccessPolicy, Role};

/// What the proxy needs for this workspace: its role policy (an `[access]` table is
/// required) and the tokens file the policy names.
pub(crate) fn proxy_config(
    ws: &crate::config::Workspace,
    upstream: std::net::SocketAddr,
    path_prefix: &str,
) -> Result<proxy::ProxyConfig, AccessError> {
    let policy = load(ws)?;
    let Some(roles) = policy.roles else {
        return Err(AccessError::NoPolicy {
            file: ws.root.join("dg-rs.toml"),
        });
    };
    let tokens = match &roles.proxy.tokens_file {
        Some(path) => identity::TokenFile::read(path)?,
        None => identity::TokenFile::default(),
    };
    Ok(proxy::ProxyConfig {
        policy: roles,
        locations: policy.locations,
        tokens,
        upstream,
        path_prefix: path_prefix.trim_end_matches('/').to_string(),
    })
}
