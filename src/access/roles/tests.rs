use super::*;
use crate::access::identity::PersonSource;
use crate::access::parse::parse_roles;
use std::path::Path;
use toml_edit::Document;

fn policy(text: &str) -> AccessPolicy {
    let locations = vec!["data-engineering".to_string(), "data-science".to_string()];
    let doc = Document::parse(text.to_string()).unwrap();
    let (roles, problems) = parse_roles(Path::new("dg-rs.toml"), text, &doc, &locations);
    assert!(problems.is_empty(), "{problems:?}");
    AccessPolicy {
        roles,
        publications: Vec::new(),
        locations,
    }
}

const POLICY: &str = r#"[access]
default_role = "viewer"
admins = ["ops@example.com", "team:platform"]

[access.teams]
data-engineering = ["alice@example.com"]
data-science = ["carol@example.com", "dave@example.com"]
platform = ["pat@example.com"]

[access.locations.data-engineering]
editor = ["team:data-engineering"]
launcher = ["team:data-science", "Erin@Example.com"]

[access.locations.data-science]
editor = ["team:data-science"]
viewer = ["carol@example.com"]
"#;

#[test]
fn the_highest_of_default_admins_and_grants_wins() {
    let p = policy(POLICY);
    let r = p.roles.as_ref().unwrap();
    let role = |who: &str, loc: &str| r.role(who, loc);
    assert_eq!(role("alice@example.com", "data-engineering"), Role::Editor);
    assert_eq!(role("alice@example.com", "data-science"), Role::Viewer);
    assert_eq!(
        role("carol@example.com", "data-engineering"),
        Role::Launcher
    );
    // A lower direct grant never lowers a team grant.
    assert_eq!(role("carol@example.com", "data-science"), Role::Editor);
    assert_eq!(role("erin@example.com", "data-engineering"), Role::Launcher);
    assert_eq!(role("ERIN@example.com", "data-engineering"), Role::Launcher);
    assert_eq!(role("ops@example.com", "data-science"), Role::Admin);
    assert_eq!(role("pat@example.com", "data-engineering"), Role::Admin);
    assert_eq!(role("nobody@example.com", "data-science"), Role::Viewer);
    assert_eq!(r.role_elsewhere("pat@example.com"), Role::Admin);
    assert_eq!(
        r.role_everywhere("carol@example.com", &p.locations),
        Role::Viewer
    );
    assert_eq!(
        r.role_everywhere("ops@example.com", &p.locations),
        Role::Admin
    );
}

#[test]
fn reasons_name_every_contributing_rule_highest_first() {
    let p = policy(POLICY);
    let e = p
        .roles
        .as_ref()
        .unwrap()
        .effective("carol@example.com", "data-science");
    let got: Vec<(Role, String, Option<usize>)> = e
        .reasons
        .iter()
        .map(|r| {
            let what = match &r.because {
                Because::DefaultRole => "default_role".to_string(),
                Because::Admin(g) => format!("admins {g}"),
                Because::Grant(g) => format!("grant {g}"),
            };
            (r.role, what, r.at.as_ref().map(|a| a.line))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (Role::Editor, "grant team:data-science".into(), Some(15)),
            (Role::Viewer, "default_role".into(), Some(2)),
            (Role::Viewer, "grant carol@example.com".into(), Some(16)),
        ]
    );
}

#[test]
fn a_launch_needs_launcher_in_every_location() {
    let p = policy(POLICY);
    let carol = Person::new("carol@example.com", PersonSource::DgRsUser);
    let v = launch_verdict(&p, &carol, &["data-engineering", "data-science"]);
    assert!(v.enforced && v.allowed());
    let alice = Person::new("alice@example.com", PersonSource::GitUserEmail);
    let v = launch_verdict(&p, &alice, &["data-engineering", "data-science"]);
    assert!(!v.allowed());
    assert_eq!(v.refused.len(), 1);
    let r = &v.refused[0];
    assert_eq!(
        (r.effective.location.as_str(), r.effective.role),
        ("data-science", Role::Viewer)
    );
    assert_eq!(r.table_at.as_ref().map(|a| a.line), Some(14));
    let granted: Vec<String> = r
        .granted_by
        .iter()
        .map(|g| format!("{} {}", g.rule(), g.grantee))
        .collect();
    assert_eq!(
        granted,
        vec![
            "admins ops@example.com",
            "admins team:platform",
            "editor team:data-science"
        ]
    );
}

#[test]
fn without_an_access_table_every_launch_is_allowed() {
    let p = AccessPolicy::default();
    let v = launch_verdict(&p, &Person::new("root", PersonSource::OsUser), &["x"]);
    assert!(!v.enforced && v.allowed());
}

#[test]
fn default_role_none_leaves_strangers_without_a_role() {
    let p = policy("[access]\ndefault_role = \"none\"\n");
    let r = p.roles.as_ref().unwrap();
    assert_eq!(r.role("x@example.com", "data-science"), Role::None);
    assert_eq!(
        r.effective("x@example.com", "data-science").reasons[0]
            .at
            .as_ref()
            .map(|a| a.line),
        Some(2)
    );
}
