use super::*;
use std::path::PathBuf;

fn locations() -> Vec<String> {
    vec!["data-engineering".into(), "data-science".into()]
}

fn roles(text: &str) -> (Option<RolePolicy>, Vec<Problem>) {
    let doc = Document::parse(text.to_string()).expect("valid TOML");
    parse_roles(Path::new("dg-rs.toml"), text, &doc, &locations())
}

fn publication(text: &str) -> (Option<Publication>, Vec<Problem>) {
    let doc = Document::parse(text.to_string()).expect("valid TOML");
    parse_publication(
        Path::new("pyproject.toml"),
        text,
        &doc,
        "data-engineering",
        &locations(),
    )
}

/// (line, column, message, hint) of every problem.
fn problems(found: &[Problem]) -> Vec<(usize, usize, String, String)> {
    found
        .iter()
        .map(|p| {
            let at = p.at.as_ref().expect("a position");
            (
                at.line,
                at.column,
                p.message.clone(),
                p.hint.clone().unwrap_or_default(),
            )
        })
        .collect()
}

const ISSUE_EXAMPLE: &str = r#"[access]
default_role = "viewer"            # none | viewer | launcher | editor | admin, for anyone not named
admins = ["ops@example.com"]

[access.teams]
data-engineering = ["alice@example.com"]
data-science = ["carol@example.com"]

[access.locations.data-engineering]
editor = ["team:data-engineering"]  # users or team:NAME, per role
launcher = ["team:data-science"]

[access.locations.data-science]
editor = ["team:data-science"]
"#;

#[test]
fn the_issue_example_parses() {
    let (policy, found) = roles(ISSUE_EXAMPLE);
    assert!(found.is_empty(), "{found:?}");
    let p = policy.expect("an [access] table");
    assert_eq!(p.default_role, Role::Viewer);
    assert_eq!(p.default_role_at.as_ref().map(|a| a.line), Some(2));
    assert_eq!(
        p.admins[0].grantee,
        Grantee::Person("ops@example.com".into())
    );
    assert_eq!(p.teams["data-science"].members, vec!["carol@example.com"]);
    let de: Vec<(Role, String, usize)> = p.locations["data-engineering"]
        .iter()
        .map(|g| (g.role, g.grantee.to_string(), g.at.line))
        .collect();
    assert_eq!(
        de,
        vec![
            (Role::Editor, "team:data-engineering".into(), 10),
            (Role::Launcher, "team:data-science".into(), 11),
        ]
    );
    assert_eq!(p.proxy.identity_header, "x-forwarded-email");
    assert!(
        p.proxy
            .trusted_sources
            .iter()
            .all(|n| n.addr().is_loopback())
    );
}

#[test]
fn no_access_table_means_no_roles() {
    let (policy, found) = roles("[other]\nkey = 1\n");
    assert!(policy.is_none() && found.is_empty());
}

#[test]
fn every_mistake_is_reported_with_its_position_and_a_hint() {
    let text = r#"[access]
default_role = "launcer"
admins = ["ops"]
colour = 1

[access.teams]
data-science = ["carol@example.com", "team:data-engineering"]

[access.locations.data-enginering]
editor = ["alice@example.com"]

[access.locations.data-science]
editr = ["carol@example.com"]
launcher = ["team:data-sciense", "bob@example.com"]
"#;
    let (_, found) = roles(text);
    let got = problems(&found);
    let expect: Vec<(usize, usize, &str, &str)> = vec![
        (4, 1, "unknown key `colour` in `access`", "valid keys"),
        (2, 16, "unknown role `launcer`", "did you mean `launcher`?"),
        (
            7,
            38,
            "a team lists people, not teams",
            "list the members of `data-engineering`",
        ),
        (
            3,
            11,
            "`ops` in `access.admins` is neither a person nor a team",
            "email address",
        ),
        (
            9,
            19,
            "unknown location `data-enginering`",
            "did you mean `data-engineering`?",
        ),
        (13, 1, "unknown role `editr`", "did you mean `editor`?"),
        (
            14,
            13,
            "unknown team `data-sciense`",
            "did you mean `team:data-science`?",
        ),
    ];
    assert_eq!(got.len(), expect.len(), "{got:#?}");
    for ((line, col, msg, hint), (el, ec, em, eh)) in got.iter().zip(&expect) {
        assert_eq!((*line, *col), (*el, *ec), "{msg}");
        assert!(msg.contains(em), "{msg} should contain {em}");
        assert!(hint.contains(eh), "{hint} should contain {eh}");
    }
}

#[test]
fn proxy_settings_are_validated() {
    let text = r#"[access]
[access.proxy]
identity_header = "X Email"
trusted_sources = ["10.0.0.0/8", "192.168.1.7", "not-an-ip"]
tokens_file = "secrets/tokens"
"#;
    let (policy, found) = roles(text);
    let got = problems(&found);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!((got[0].0, got[0].1), (3, 19));
    assert!(got[0].2.contains("not a valid HTTP header name"));
    assert_eq!((got[1].0, got[1].1), (4, 49));
    let p = policy.unwrap();
    assert_eq!(p.proxy.trusted_sources.len(), 2);
    assert_eq!(p.proxy.tokens_file, Some(PathBuf::from("secrets/tokens")));
}

#[test]
fn a_publication_keeps_its_selections_and_locations() {
    let text = r#"[project]
name = "x"

[tool.dg-rs.access]
public = ["key:data_engineering_asset", "group:marts"]
visible_to = ["data-science"]
"#;
    let (p, found) = publication(text);
    assert!(found.is_empty(), "{found:?}");
    let p = p.unwrap();
    let public: Vec<&str> = p
        .public
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.text.as_str())
        .collect();
    assert_eq!(public, vec!["key:data_engineering_asset", "group:marts"]);
    assert_eq!(p.visible_to, Some(vec!["data-science".to_string()]));
    assert_eq!(p.public_at.as_ref().map(|a| a.line), Some(5));
}

#[test]
fn a_selection_that_does_not_parse_points_into_the_string() {
    let text = "[tool.dg-rs.access]\npublic = [\"group:marts and\"]\nvisible_to = [\"data-scince\"]\nprivate = []\n";
    let (_, found) = publication(text);
    let got = problems(&found);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(got[0].2.contains("unknown key `private`"));
    // `public = ["group:marts and"]`: the selection ends right after `and`, column 27.
    assert_eq!((got[1].0, got[1].1), (2, 27), "{}", got[1].2);
    assert!(got[1].2.contains("not a valid asset selection"));
    assert_eq!((got[2].0, got[2].1), (3, 15));
    assert!(got[2].3.contains("did you mean `data-science`?"));
}

#[test]
fn a_project_without_the_table_publishes_everything() {
    let (p, found) = publication("[tool.dg-rs]\npython = \"3.12\"\n");
    assert!(p.is_none() && found.is_empty());
}

#[test]
fn emails_are_loosely_checked() {
    for ok in ["a@b", "alice@example.com", "Bob.Smith+x@corp.example"] {
        assert!(is_email(ok), "{ok}");
    }
    for bad in ["alice", "@example.com", "a@", "a@b@c", "a b@c", ""] {
        assert!(!is_email(bad), "{bad}");
    }
}
