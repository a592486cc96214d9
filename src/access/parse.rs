//! Reading the policy from `<workspace>/dg-rs.toml` (`[access]`) and each project's
//! `pyproject.toml` (`[tool.dg-rs.access]`), strictly: an unknown key, role, team, location, a
//! person that is not an email address or a selection that does not parse is a problem with
//! its file, line and column and a hint. Every problem of every file is collected, so one run
//! shows them all.

use super::error::AccessError;
use super::policy::{
    AccessPolicy, Grant, Grantee, ProxySettings, PublicRule, Publication, Role, RolePolicy, Team,
};
use crate::config::Workspace;
use crate::error::{Problem, SourcePos};
use crate::graph::selection;
use crate::suggest::closest;
use crate::toml_check::{Checker, read_if_exists};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml_edit::{Document, Item, TableLike};

/// The workspace-level file dg-rs reads its own settings from (real dg ignores it).
pub(crate) const POLICY_FILE: &str = "dg-rs.toml";

/// Loads the policy of `ws`. Without a `dg-rs.toml` `[access]` table no role is enforced;
/// without `[tool.dg-rs.access]` a location publishes everything.
pub(crate) fn load(ws: &Workspace) -> Result<AccessPolicy, AccessError> {
    let locations: Vec<String> = ws
        .projects
        .iter()
        .map(|p| p.code_location_name.clone())
        .collect();
    let mut problems = Vec::new();
    let policy_file = ws.root.join(POLICY_FILE);
    let roles = match read_if_exists(&policy_file) {
        Ok(Some((text, doc))) => {
            let (roles, mut found) = parse_roles(&policy_file, &text, &doc, &locations);
            problems.append(&mut found);
            roles
        }
        Ok(None) => None,
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let mut publications = Vec::new();
    for project in &ws.projects {
        let file = project.root.join("pyproject.toml");
        match read_if_exists(&file) {
            Ok(Some((text, doc))) => {
                let (publication, mut found) =
                    parse_publication(&file, &text, &doc, &project.code_location_name, &locations);
                publications.extend(publication.map(|mut p| {
                    p.file_display = file
                        .strip_prefix(&ws.root)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    p
                }));
                problems.append(&mut found);
            }
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(AccessPolicy {
            roles,
            publications,
            locations,
        })
    } else {
        Err(AccessError::Config(problems))
    }
}

/// The `[access]` table of a `dg-rs.toml` (`None` without one) and the problems found.
pub(crate) fn parse_roles(
    file: &Path,
    text: &str,
    doc: &Document<String>,
    locations: &[String],
) -> (Option<RolePolicy>, Vec<Problem>) {
    let mut r = Reader::new(file, text);
    let roles = r.role_policy(doc, locations);
    (roles, r.c.problems)
}

/// The `[tool.dg-rs.access]` table of a project's pyproject.toml and the problems found.
pub(crate) fn parse_publication(
    file: &Path,
    text: &str,
    doc: &Document<String>,
    location: &str,
    locations: &[String],
) -> (Option<Publication>, Vec<Problem>) {
    let mut r = Reader::new(file, text);
    let publication = r.publication(doc, location, locations);
    (publication, r.c.problems)
}

/// Is `s` written like an email address? Deliberately loose: one `@` between two non-empty
/// parts, no whitespace. Identities come from an SSO proxy or git, which both use emails.
pub(crate) fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    ) && !s.chars().any(char::is_whitespace)
}

fn is_team_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The access-specific rules over the shared strict [`Checker`].
struct Reader<'a> {
    c: Checker<'a>,
}

impl<'a> Reader<'a> {
    fn new(file: &'a Path, text: &'a str) -> Self {
        Reader {
            c: Checker::dg_rs(file, text),
        }
    }

    fn pos(&self, span: Option<Range<usize>>) -> SourcePos {
        self.c.pos(span)
    }

    fn problem(&mut self, span: Option<Range<usize>>, message: String, hint: String) {
        self.c.problem(span, message, Some(hint));
    }

    fn string<'d>(&mut self, item: &'d Item, path: &str) -> Option<(&'d str, SourcePos)> {
        let s = self.c.str_item(item, path)?;
        Some((s, self.pos(item.span())))
    }

    fn role_policy(&mut self, doc: &Document<String>, locations: &[String]) -> Option<RolePolicy> {
        let item = doc.get("access")?;
        let access = self.c.table(item, "access")?;
        self.c.unknown_keys(
            access,
            "access",
            &["default_role", "admins", "teams", "locations", "proxy"],
        );
        let mut policy = RolePolicy {
            file: self.c.file.to_path_buf(),
            default_role: Role::Viewer,
            default_role_at: None,
            admins: Vec::new(),
            teams: BTreeMap::new(),
            locations: BTreeMap::new(),
            location_tables: BTreeMap::new(),
            proxy: ProxySettings::default(),
        };
        if let Some(item) = access.get("default_role")
            && let Some((s, at)) = self.string(item, "access.default_role")
        {
            match Role::parse(s) {
                Some(role) => {
                    policy.default_role = role;
                    policy.default_role_at = Some(at);
                }
                None => self.unknown_role(item.span(), s, &Role::ALL),
            }
        }
        // Teams first: grants refer to them.
        if let Some(item) = access.get("teams")
            && let Some(teams) = self.c.table(item, "access.teams")
        {
            policy.teams = self.teams(teams);
        }
        if let Some(item) = access.get("admins") {
            policy.admins = self.admins(item, &policy.teams);
        }
        if let Some(item) = access.get("locations")
            && let Some(table) = self.c.table(item, "access.locations")
        {
            self.locations(table, locations, &mut policy);
        }
        if let Some(item) = access.get("proxy")
            && let Some(table) = self.c.table(item, "access.proxy")
        {
            self.proxy(table, &mut policy.proxy);
        }
        Some(policy)
    }

    /// `[access.teams]`: each team's members, people only.
    fn teams(&mut self, teams: &dyn TableLike) -> BTreeMap<String, Team> {
        let mut out = BTreeMap::new();
        for (name, members) in teams.iter() {
            let path = format!("access.teams.{name}");
            if !is_team_name(name) {
                self.problem(
                    Checker::key_span(teams, name),
                    format!("invalid team name `{name}`"),
                    "a team name uses letters, digits, `-`, `_` and `.`".into(),
                );
            }
            let mut team = Team {
                members: Vec::new(),
            };
            for (member, span) in self.c.strings(members, &path) {
                if let Some(inner) = member.strip_prefix("team:") {
                    self.problem(
                        Some(span),
                        format!("`{member}` in `{path}`: a team lists people, not teams"),
                        format!("list the members of `{inner}` here instead"),
                    );
                } else if is_email(member) {
                    team.members.push(member.to_lowercase());
                } else {
                    self.bad_person(span, member, &path);
                }
            }
            out.insert(name.to_string(), team);
        }
        out
    }

    /// `access.admins`: workspace admins, people or teams.
    fn admins(&mut self, item: &Item, teams: &BTreeMap<String, Team>) -> Vec<Grant> {
        let mut out = Vec::new();
        for (s, span) in self.c.strings(item, "access.admins") {
            if let Some(grantee) = self.grantee(s, span.clone(), "access.admins", teams) {
                out.push(Grant {
                    role: Role::Admin,
                    grantee,
                    at: self.pos(Some(span)),
                    workspace_admin: true,
                });
            }
        }
        out
    }

    /// `[access.locations.NAME]`: per location, a list of grantees per role.
    fn locations(&mut self, table: &dyn TableLike, locations: &[String], policy: &mut RolePolicy) {
        for (name, grants) in table.iter() {
            let path = format!("access.locations.{name}");
            if !locations.iter().any(|l| l == name) {
                let names: Vec<&str> = locations.iter().map(String::as_str).collect();
                let hint = match closest(name, &names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the workspace's locations: {}", listed(&names)),
                };
                self.problem(
                    Checker::key_span(table, name),
                    format!("unknown location `{name}` in `access.locations`"),
                    hint,
                );
                continue;
            }
            let Some(grants) = self.c.table(grants, &path) else {
                continue;
            };
            let at = self.pos(Checker::key_span(table, name));
            policy.location_tables.insert(name.to_string(), at);
            let list = self.grants(grants, &path, &policy.teams);
            policy.locations.insert(name.to_string(), list);
        }
    }

    /// One location's `ROLE = [grantee, ...]` entries.
    fn grants(
        &mut self,
        grants: &dyn TableLike,
        path: &str,
        teams: &BTreeMap<String, Team>,
    ) -> Vec<Grant> {
        let mut list = Vec::new();
        for (role_key, entries) in grants.iter() {
            let Some(role) = Role::parse(role_key).filter(|r| *r != Role::None) else {
                self.unknown_role(
                    Checker::key_span(grants, role_key),
                    role_key,
                    &Role::GRANTABLE,
                );
                continue;
            };
            let entry_path = format!("{path}.{role_key}");
            for (s, span) in self.c.strings(entries, &entry_path) {
                if let Some(grantee) = self.grantee(s, span.clone(), &entry_path, teams) {
                    list.push(Grant {
                        role,
                        grantee,
                        at: self.pos(Some(span)),
                        workspace_admin: false,
                    });
                }
            }
        }
        list
    }

    fn proxy(&mut self, table: &dyn TableLike, out: &mut ProxySettings) {
        self.c.unknown_keys(
            table,
            "access.proxy",
            &["identity_header", "trusted_sources", "tokens_file"],
        );
        if let Some(item) = table.get("identity_header")
            && let Some((s, _)) = self.string(item, "access.proxy.identity_header")
        {
            if let Ok(name) = hyper::header::HeaderName::from_bytes(s.as_bytes()) {
                out.identity_header = name;
            } else {
                self.problem(
                    item.span(),
                    format!("`{s}` is not a valid HTTP header name"),
                    "use a header name such as \"X-Forwarded-Email\"".into(),
                );
            }
        }
        if let Some(item) = table.get("trusted_sources") {
            let mut nets = Vec::new();
            for (s, span) in self.c.strings(item, "access.proxy.trusted_sources") {
                let net = s
                    .parse::<IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from));
                match net {
                    Ok(n) => nets.push(n),
                    Err(_) => self.problem(
                        Some(span),
                        format!("`{s}` is not an IP address or network"),
                        "write an address (\"127.0.0.1\") or a network (\"10.0.0.0/8\")".into(),
                    ),
                }
            }
            out.trusted_sources = nets;
        }
        if let Some(item) = table.get("tokens_file")
            && let Some((s, _)) = self.string(item, "access.proxy.tokens_file")
        {
            let base = self.c.file.parent().unwrap_or(Path::new("."));
            out.tokens_file = Some(base.join(s));
        }
    }

    fn unknown_role(&mut self, span: Option<Range<usize>>, given: &str, allowed: &[Role]) {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        let hint = match closest(given, &names) {
            Some(best) => format!("did you mean `{best}`? (roles: {})", listed(&names)),
            None => format!("roles: {}", listed(&names)),
        };
        self.problem(span, format!("unknown role `{given}`"), hint);
    }

    fn bad_person(&mut self, span: Range<usize>, given: &str, path: &str) {
        self.problem(
            Some(span),
            format!("`{given}` in `{path}` is neither a person nor a team"),
            "write a person as an email address (\"alice@example.com\") and a team as \
             \"team:NAME\""
                .into(),
        );
    }

    fn grantee(
        &mut self,
        s: &str,
        span: Range<usize>,
        path: &str,
        teams: &BTreeMap<String, Team>,
    ) -> Option<Grantee> {
        if let Some(team) = s.strip_prefix("team:") {
            if teams.contains_key(team) {
                return Some(Grantee::Team(team.to_string()));
            }
            let names: Vec<&str> = teams.keys().map(String::as_str).collect();
            let hint = match closest(team, &names) {
                Some(best) => format!("did you mean `team:{best}`?"),
                None if teams.is_empty() => {
                    "define the team in `[access.teams]` (NAME = [\"person@example.com\"])".into()
                }
                None => format!("teams defined in `[access.teams]`: {}", listed(&names)),
            };
            self.problem(
                Some(span),
                format!("unknown team `{team}` in `{path}`"),
                hint,
            );
            return None;
        }
        if is_email(s) {
            return Some(Grantee::Person(s.to_lowercase()));
        }
        self.bad_person(span, s, path);
        None
    }

    fn publication(
        &mut self,
        doc: &Document<String>,
        location: &str,
        locations: &[String],
    ) -> Option<Publication> {
        let item = doc
            .get("tool")?
            .as_table_like()?
            .get("dg-rs")?
            .as_table_like()?
            .get("access")?;
        let table = self.c.table(item, "tool.dg-rs.access")?;
        self.c
            .unknown_keys(table, "tool.dg-rs.access", &["public", "visible_to"]);
        let mut out = Publication {
            location: location.to_string(),
            file_display: self.c.file.display().to_string(),
            public: None,
            public_at: None,
            visible_to: None,
            visible_to_at: None,
        };
        if let Some(item) = table.get("public") {
            out.public_at = Some(self.pos(Checker::key_span(table, "public")));
            let mut rules = Vec::new();
            for (s, span) in self.c.strings(item, "tool.dg-rs.access.public") {
                match selection::parse(s) {
                    Ok(sel) => rules.push(PublicRule {
                        text: s.to_string(),
                        selection: sel,
                        at: self.pos(Some(span)),
                    }),
                    Err(e) => {
                        let at = self.inside_string(span, s, e.column, e.len);
                        self.c.problems.push(
                            Problem::new(format!(
                                "`{s}` in `tool.dg-rs.access.public` is not a valid asset \
                                 selection: {}",
                                e.message
                            ))
                            .at(at)
                            .hint(
                                "write a Dagster selection string, e.g. \
                                 \"key:orders\" or \"group:marts\"",
                            ),
                        );
                    }
                }
            }
            out.public = Some(rules);
        }
        if let Some(item) = table.get("visible_to") {
            out.visible_to_at = Some(self.pos(Checker::key_span(table, "visible_to")));
            let mut names = Vec::new();
            for (s, span) in self.c.strings(item, "tool.dg-rs.access.visible_to") {
                if locations.iter().any(|l| l == s) {
                    names.push(s.to_string());
                } else {
                    let all: Vec<&str> = locations.iter().map(String::as_str).collect();
                    let hint = match closest(s, &all) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("the workspace's locations: {}", listed(&all)),
                    };
                    self.problem(
                        Some(span),
                        format!("unknown location `{s}` in `tool.dg-rs.access.visible_to`"),
                        hint,
                    );
                }
            }
            out.visible_to = Some(names);
        }
        Some(out)
    }

    /// The position of `column..column+len` (in chars) inside the string literal at `span`,
    /// exact for literals without escapes, else the start of the literal.
    fn inside_string(
        &self,
        span: Range<usize>,
        value: &str,
        column: usize,
        len: usize,
    ) -> SourcePos {
        let raw = self.c.text.get(span.clone()).unwrap_or_default();
        let plain = raw.len() == value.len() + 2 && &raw[1..raw.len() - 1] == value;
        if !plain {
            return self.pos(Some(span));
        }
        let byte = |chars: usize| {
            value
                .char_indices()
                .nth(chars)
                .map_or(value.len(), |(i, _)| i)
        };
        let start = span.start + 1 + byte(column);
        let end = span.start + 1 + byte(column + len.max(1)).max(byte(column));
        self.pos(Some(start..end.max(start + 1)))
    }
}

#[cfg(test)]
mod tests;
