//! Role resolution: a person's role in a location is the highest of `default_role`, the
//! `admins` list and every grant naming them or one of their teams. Each contribution is
//! kept with its position, so `dg access explain` and a refused launch can say why.

use super::identity::Person;
use super::policy::{AccessPolicy, Grant, Grantee, Role, RolePolicy};
use crate::error::SourcePos;
use serde::Serialize;

/// Why a person holds a role in a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Because {
    /// `default_role` (or its default, viewer).
    DefaultRole,
    /// Named in `admins`, directly or through a team.
    Admin(Grantee),
    /// A grant in `[access.locations.NAME]`, directly or through a team.
    Grant(Grantee),
}

#[derive(Debug, Clone)]
pub(crate) struct Reason {
    pub(crate) role: Role,
    pub(crate) because: Because,
    pub(crate) at: Option<SourcePos>,
}

/// A person's role in one location, and every rule that contributes to it (highest first).
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub(crate) location: String,
    pub(crate) role: Role,
    pub(crate) reasons: Vec<Reason>,
}

impl RolePolicy {
    /// The teams `person` belongs to, in name order.
    pub(crate) fn teams_of(&self, person: &str) -> Vec<&str> {
        let person = person.to_lowercase();
        self.teams
            .iter()
            .filter(|(_, t)| t.members.contains(&person))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    fn names(&self, grantee: &Grantee, person: &str, teams: &[&str]) -> bool {
        match grantee {
            Grantee::Person(p) => p == person,
            Grantee::Team(t) => teams.contains(&t.as_str()),
        }
    }

    /// The role of `person` in `location` (a location without a table gets the default role
    /// and the admins list), with every reason.
    pub(crate) fn effective(&self, person: &str, location: &str) -> Effective {
        let person = person.to_lowercase();
        let teams = self.teams_of(&person);
        let mut reasons = vec![Reason {
            role: self.default_role,
            because: Because::DefaultRole,
            at: self.default_role_at.clone(),
        }];
        for g in &self.admins {
            if self.names(&g.grantee, &person, &teams) {
                reasons.push(Reason {
                    role: Role::Admin,
                    because: Because::Admin(g.grantee.clone()),
                    at: Some(g.at.clone()),
                });
            }
        }
        for g in self.locations.get(location).into_iter().flatten() {
            if self.names(&g.grantee, &person, &teams) {
                reasons.push(Reason {
                    role: g.role,
                    because: Because::Grant(g.grantee.clone()),
                    at: Some(g.at.clone()),
                });
            }
        }
        // Highest first; among equals, file order.
        reasons.sort_by_key(|r| std::cmp::Reverse(r.role));
        Effective {
            location: location.to_string(),
            role: reasons[0].role,
            reasons,
        }
    }

    pub(crate) fn role(&self, person: &str, location: &str) -> Role {
        self.effective(person, location).role
    }

    /// The role of `person` in a location the policy does not name (one the webserver knows
    /// and the workspace does not): the default role, or admin.
    pub(crate) fn role_elsewhere(&self, person: &str) -> Role {
        self.effective(person, "\0no such location").role
    }

    /// The lowest role `person` holds anywhere, including locations the policy does not name:
    /// what they may do whatever the location.
    pub(crate) fn role_everywhere(&self, person: &str, locations: &[String]) -> Role {
        locations
            .iter()
            .map(|l| self.role(person, l))
            .chain([self.role_elsewhere(person)])
            .min()
            .unwrap_or(Role::None)
    }

    /// Every rule that gives `role` or more in `location`: the default role when it is high
    /// enough, the admins, and the location's grants.
    pub(crate) fn granted_by(&self, location: &str, role: Role) -> Vec<&Grant> {
        self.admins
            .iter()
            .chain(self.locations.get(location).into_iter().flatten())
            .filter(|g| g.role >= role)
            .collect()
    }
}

/// One location of a launch and the person's role there.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LocationVerdict {
    pub(crate) location: String,
    pub(crate) role: Role,
    pub(crate) allowed: bool,
}

/// What the policy says about a person launching in some locations.
#[derive(Debug, Clone)]
pub(crate) struct LaunchVerdict {
    pub(crate) person: Person,
    /// `false` without an `[access]` table: everything is allowed.
    pub(crate) enforced: bool,
    pub(crate) locations: Vec<LocationVerdict>,
    /// Every location where the person's role is too low.
    pub(crate) refused: Vec<Refusal>,
    pub(crate) policy_file: Option<std::path::PathBuf>,
}

/// A location a launch may not touch: the person's role there, why, and who grants enough.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) effective: Effective,
    pub(crate) needed: Role,
    pub(crate) granted_by: Vec<Grant>,
    /// Where `[access.locations.NAME]` starts, when the location has one.
    pub(crate) table_at: Option<SourcePos>,
}

/// The role a launch needs in every location it touches.
pub(crate) const LAUNCH_ROLE: Role = Role::Launcher;

/// Judges `person` launching in `locations` (every location a plan touches).
pub(crate) fn launch_verdict(
    policy: &AccessPolicy,
    person: &Person,
    locations: &[&str],
) -> LaunchVerdict {
    let Some(roles) = &policy.roles else {
        return LaunchVerdict {
            person: person.clone(),
            enforced: false,
            locations: Vec::new(),
            refused: Vec::new(),
            policy_file: None,
        };
    };
    let mut out = LaunchVerdict {
        person: person.clone(),
        enforced: true,
        locations: Vec::new(),
        refused: Vec::new(),
        policy_file: Some(roles.file.clone()),
    };
    for location in locations {
        let effective = roles.effective(&person.id, location);
        let allowed = effective.role >= LAUNCH_ROLE;
        out.locations.push(LocationVerdict {
            location: location.to_string(),
            role: effective.role,
            allowed,
        });
        if !allowed {
            out.refused.push(Refusal {
                granted_by: roles
                    .granted_by(location, LAUNCH_ROLE)
                    .into_iter()
                    .cloned()
                    .collect(),
                table_at: roles.location_tables.get(*location).cloned(),
                needed: LAUNCH_ROLE,
                effective,
            });
        }
    }
    out
}

impl LaunchVerdict {
    pub(crate) fn allowed(&self) -> bool {
        self.refused.is_empty()
    }
}

#[cfg(test)]
mod tests;
