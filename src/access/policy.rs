//! The access policy as values: roles, who holds them where, what each location publishes,
//! and the proxy's identity settings. Every rule keeps the position it was written at, so a
//! verdict can say which line of which file decided it.

use crate::error::SourcePos;
use crate::graph::selection::Selection;
use ipnet::IpNet;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Dagster+'s roles, lowest first; each includes every role below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    None,
    Viewer,
    Launcher,
    Editor,
    Admin,
}

impl Role {
    pub(crate) const ALL: [Role; 5] = [
        Role::None,
        Role::Viewer,
        Role::Launcher,
        Role::Editor,
        Role::Admin,
    ];
    /// The roles a location table may grant (granting `none` would change nothing).
    pub(crate) const GRANTABLE: [Role; 4] =
        [Role::Viewer, Role::Launcher, Role::Editor, Role::Admin];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Viewer => "viewer",
            Role::Launcher => "launcher",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a grant names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grantee {
    /// A person, by email address (lower-cased).
    Person(String),
    /// `team:NAME`, a key of `[access.teams]`.
    Team(String),
}

impl std::fmt::Display for Grantee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Grantee::Person(p) => f.write_str(p),
            Grantee::Team(t) => write!(f, "team:{t}"),
        }
    }
}

/// One entry of `admins` or of a location's role list, where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) role: Role,
    pub(crate) grantee: Grantee,
    pub(crate) at: SourcePos,
    /// From the workspace-wide `admins` list (else from a location's table).
    pub(crate) workspace_admin: bool,
}

impl Grant {
    /// The rule as written: `admins` or the role key of a location table.
    pub(crate) fn rule(&self) -> &'static str {
        if self.workspace_admin {
            "admins"
        } else {
            self.role.as_str()
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Team {
    /// Email addresses, lower-cased.
    pub(crate) members: Vec<String>,
}

/// The `[access]` table of `dg-rs.toml`.
#[derive(Debug, Clone)]
pub(crate) struct RolePolicy {
    pub(crate) file: PathBuf,
    pub(crate) default_role: Role,
    /// Where `default_role` is written; `None` when it is left at its default (viewer).
    pub(crate) default_role_at: Option<SourcePos>,
    /// Workspace-wide admins (role `admin` everywhere).
    pub(crate) admins: Vec<Grant>,
    pub(crate) teams: BTreeMap<String, Team>,
    /// Grants per location name, in file order.
    pub(crate) locations: BTreeMap<String, Vec<Grant>>,
    /// Where each `[access.locations.NAME]` table starts, for messages naming it.
    pub(crate) location_tables: BTreeMap<String, SourcePos>,
    pub(crate) proxy: ProxySettings,
}

/// `[access.proxy]`: how the authorizing proxy learns who is asking.
#[derive(Debug, Clone)]
pub(crate) struct ProxySettings {
    /// The header an SSO proxy in front sets (oauth2-proxy's `X-Forwarded-Email`), checked
    /// once when the policy is read.
    pub(crate) identity_header: hyper::header::HeaderName,
    /// Peers whose identity header is believed; loopback by default.
    pub(crate) trusted_sources: Vec<IpNet>,
    /// Bearer tokens, hashed, one per line (see [`crate::access::identity::TokenFile`]).
    pub(crate) tokens_file: Option<PathBuf>,
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings {
            identity_header: hyper::header::HeaderName::from_static("x-forwarded-email"),
            trusted_sources: vec![
                "127.0.0.0/8".parse().expect("valid net"),
                "::1/128".parse().expect("valid net"),
            ],
            tokens_file: None,
        }
    }
}

/// One `public` entry of a project: a Dagster selection string.
#[derive(Debug, Clone)]
pub(crate) struct PublicRule {
    pub(crate) text: String,
    pub(crate) selection: Selection,
    pub(crate) at: SourcePos,
}

/// A project's `[tool.dg-rs.access]`.
#[derive(Debug, Clone)]
pub(crate) struct Publication {
    pub(crate) location: String,
    /// The project's pyproject.toml, relative to the workspace root, for messages.
    pub(crate) file_display: String,
    /// `None`: every asset is published (as without the table).
    pub(crate) public: Option<Vec<PublicRule>>,
    pub(crate) public_at: Option<SourcePos>,
    /// `None`: published to every location.
    pub(crate) visible_to: Option<Vec<String>>,
    pub(crate) visible_to_at: Option<SourcePos>,
}

/// The whole policy of a workspace.
#[derive(Debug, Clone, Default)]
pub(crate) struct AccessPolicy {
    /// `None` without an `[access]` table: no role is enforced (today's behaviour).
    pub(crate) roles: Option<RolePolicy>,
    /// Only the locations that declare `[tool.dg-rs.access]`.
    pub(crate) publications: Vec<Publication>,
    /// Every location of the workspace, in workspace order.
    pub(crate) locations: Vec<String>,
}

impl AccessPolicy {
    pub(crate) fn publication(&self, location: &str) -> Option<&Publication> {
        self.publications.iter().find(|p| p.location == location)
    }
}
