//! Access control: the policy's errors, `dg check`'s access-violation, `dg launch`'s
//! guardrail (asserted in the Dagster instance), `dg list assets`' visibility, `dg access
//! explain` and `dg access codeowners`. The proxy in front of the real webserver: `proxy`.

#[cfg(feature = "tier-index")]
mod proxy;

#[cfg(feature = "tier-index")]
use crate::common::fixture_envs;
use crate::common::{TestContext, json, run};
use std::path::Path;

/// The README's policy (fixtures/access/dg-rs.toml): data-engineering and data-science edit
/// their own location; anyone else (and the other team) may view; ops administers everything.
pub(crate) const POLICY: &str = include_str!("../../fixtures/access/dg-rs.toml");

const DE_PYPROJECT: &str = "projects/data-engineering/pyproject.toml";

fn publish(ctx: &TestContext, table: &str) {
    ctx.append(DE_PYPROJECT, &format!("\n[tool.dg-rs.access]\n{table}"));
}

#[test]
fn policy_mistakes_are_configuration_errors_with_file_line_and_column() {
    let ctx = TestContext::new("workspace");
    ctx.write(
        "dg-rs.toml",
        r#"[access]
default_role = "reader"
admins = ["ops"]

[access.teams]
data-science = ["carol@example.com"]

[access.locations.data-sciense]
editor = ["team:data-science"]

[access.locations.data-engineering]
launcher = ["team:datascience"]
"#,
    );
    publish(
        &ctx,
        "public = [\"key:raw_orders and\"]\nvisible_to = [\"analytics\"]\n",
    );
    let out = run(ctx.dg().args(["access", "explain", "carol@example.com"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let err = &out.stderr;
    for expected in [
        "error: unknown role `reader`\n  at dg-rs.toml:2:16",
        "hint: roles: `none`, `viewer`, `launcher`, `editor`, `admin`",
        "error: `ops` in `access.admins` is neither a person nor a team\n  at dg-rs.toml:3:11",
        "hint: write a person as an email address (\"alice@example.com\") and a team as \"team:NAME\"",
        "error: unknown location `data-sciense` in `access.locations`\n  at dg-rs.toml:8:19",
        "hint: did you mean `data-science`?",
        "error: unknown team `datascience` in `access.locations.data-engineering.launcher`\n  at dg-rs.toml:12:13",
        "hint: did you mean `team:data-science`?",
        "is not a valid asset selection",
        "error: unknown location `analytics` in `tool.dg-rs.access.visible_to`",
        "error: 6 problems found",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // The selection error points into the string, at the end of the dangling `and`.
    let at = format!("at {}:", Path::new(DE_PYPROJECT).display());
    assert!(err.contains(&format!("{at}32:30")), "{err}");
    // `dg check toml`-style validation of [tool.dg-rs] still accepts the `access` key.
    assert!(!err.contains("unknown key `access`"), "{err}");
}

#[cfg(feature = "tier-index")]
#[test]
fn check_refuses_a_dependency_on_an_asset_the_other_location_does_not_publish() {
    let ctx = TestContext::with_envs();
    ctx.write("dg-rs.toml", POLICY);
    publish(&ctx, "public = [\"group:ingestion\"]\n");
    let out = run(ctx.dg().args(["check"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let text = &out.stdout;
    for expected in [
        "error[access-violation]: `data_science_asset` (data-science) depends on \
         `data_engineering_asset` (data-engineering), which data-engineering does not make \
         visible to data-science: data-engineering publishes only what `public` selects \
         (projects/data-engineering/pyproject.toml:32:1), and `data_engineering_asset` is not selected",
        "  locations: data-engineering, data-science",
        "  defined: data_science_asset in data-science: src/data_science/defs/assets.py:12",
        "  defined: data_engineering_asset in data-engineering: src/data_engineering/defs/assets.py:51",
        "  hint: publish it in data-engineering: add \"key:data_engineering_asset\" to `public` in \
         projects/data-engineering/pyproject.toml, or depend on what data-engineering publishes \
         to data-science: `cleaned_orders`, `raw_orders`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let report = json(&run(ctx.dg().args(["check", "--json"])).stdout);
    let problem = &report["problems"][0];
    assert_eq!(problem["code"], "access-violation");
    assert_eq!(problem["severity"], "error");
    assert_eq!(
        problem["keys"],
        serde_json::json!(["data_science_asset", "data_engineering_asset"])
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn check_passes_when_the_dependency_is_published_and_visible_to_the_dependent() {
    let ctx = TestContext::with_envs();
    // The README's publication.
    ctx.append(
        DE_PYPROJECT,
        include_str!("../../fixtures/access/data-engineering-access.toml"),
    );
    let out = run(ctx.dg().args(["check"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("All checks passed."), "{}", out.stdout);
    let assets = json(&run(ctx.dg().args(["list", "assets", "--json"])).stdout);
    let visibility: Vec<(String, serde_json::Value)> = assets
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_string(),
                a["visibility"].clone(),
            )
        })
        .collect();
    assert_eq!(
        visibility,
        vec![
            ("cleaned_orders".to_string(), "private".into()),
            (
                "data_engineering_asset".to_string(),
                "visible to data-science".into()
            ),
            ("data_science_asset".to_string(), "public".into()),
            ("raw_orders".to_string(), "private".into()),
            ("reports/regional_report".to_string(), "public".into()),
        ]
    );
    let table = run(ctx.dg().args(["list", "assets"])).stdout;
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(table, @"
    KEY                      LOCATION          GROUP      KINDS           UPSTREAM (⇠ other location)                VISIBILITY
    cleaned_orders           data-engineering  ingestion  python          raw_orders                                 private
    data_engineering_asset   data-engineering  warehouse  duckdb, python  cleaned_orders                             visible to data-science
    data_science_asset       data-science      analytics  pandas, python  data_engineering_asset ⇠ data-engineering  public
    raw_orders               data-engineering  ingestion  json, python                                               private
    reports/regional_report  data-science      analytics  python          data_science_asset                         public
    ");

    // Narrowing `visible_to` to nobody hides it again: a violation naming the rule.
    let text = std::fs::read_to_string(ctx.path(DE_PYPROJECT)).unwrap();
    std::fs::write(
        ctx.path(DE_PYPROJECT),
        text.replace("visible_to = [\"data-science\"]", "visible_to = []"),
    )
    .unwrap();
    let out = run(ctx.dg().args(["check"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "`data_engineering_asset` is published by `key:data_engineering_asset`, visible only \
             to no other location (`visible_to` at projects/data-engineering/pyproject.toml:33:1)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("let data-science see it: add \"data-science\" to `visible_to`")
    );
}

/// Every run the Dagster instance in `home` holds (0 when there is no instance at all).
#[cfg(feature = "tier-index")]
fn run_count(home: &Path) -> usize {
    if !home.join("history").exists() {
        return 0;
    }
    let out = std::process::Command::new(&fixture_envs().data_science)
        .args([
            "-c",
            "from dagster import DagsterInstance\nwith DagsterInstance.get() as i: print(len(i.get_runs()))",
        ])
        .env("DAGSTER_HOME", home)
        .output()
        .expect("ask Dagster");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[cfg(feature = "tier-index")]
#[test]
fn launch_is_refused_without_launcher_in_every_location_and_no_run_is_created() {
    let ctx = TestContext::with_envs();
    ctx.write("dg-rs.toml", POLICY);
    let home = ctx.path(".dg/dagster_home");
    let launch = |who: &str, extra: &[&str]| {
        let mut cmd = ctx.dg();
        cmd.env("DG_RS_USER", who)
            .args(["launch", "--assets", "+key:data_science_asset"])
            .args(extra);
        run(&mut cmd)
    };

    // carol edits data-science but only views data-engineering, which the plan touches.
    let out = launch("carol@example.com", &[]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let err = &out.stderr;
    for expected in [
        "Access: carol@example.com (from DG_RS_USER) has viewer in data-engineering (refused), \
         editor in data-science (may launch)",
        "error: carol@example.com may not launch in data-engineering: a launch needs launcher in \
         every location it touches, and carol@example.com (from DG_RS_USER) has viewer there \
         (default_role, dg-rs.toml:2)\n  at dg-rs.toml:9:19",
        "hint: launcher or more in data-engineering is granted by admins = ops@example.com \
         (dg-rs.toml:3), editor = team:data-engineering (dg-rs.toml:10)",
        "error: nothing was launched: no run was created",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!err.contains("Launching"), "{err}");
    assert_eq!(run_count(&home), 0, "a refused launch created a run");

    // --dry-run prints the plan and the same verdict, with the same exit code.
    let out = launch("carol@example.com", &["--dry-run"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stdout.contains("Launch plan: 2 steps"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("has viewer in data-engineering (refused)"),
        "{}",
        out.stderr
    );

    // An admin may launch everywhere: the dry run says so and exits 0.
    let out = launch("ops@example.com", &["--dry-run"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("admin in data-engineering (may launch), admin in data-science (may launch)")
    );
    assert_eq!(run_count(&home), 0);

    // carol may launch what lives in data-science alone, and the run is recorded.
    let mut cmd = ctx.dg();
    cmd.env("DG_RS_USER", "carol@example.com").args([
        "launch",
        "--assets",
        "key:data_science_asset",
    ]);
    let out = run(&mut cmd);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(run_count(&home), 1);
}

#[test]
fn without_an_access_table_nothing_is_enforced() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx
        .dg()
        .env("DG_RS_USER", "x@example.com")
        .args(["access", "explain"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        "x@example.com (from DG_RS_USER): no access policy (no [access] table in dg-rs.toml), \
         so nothing is enforced: everyone may do everything."
    );
    let out = run(ctx.dg().args(["access", "codeowners"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("has no [access] table"),
        "{}",
        out.stderr
    );
}

#[test]
fn explain_shows_each_location_role_and_the_rules_behind_it() {
    let ctx = TestContext::new("workspace");
    ctx.write(
        "dg-rs.toml",
        &POLICY.replace(
            "editor = [\"team:data-engineering\"]",
            "editor = [\"team:data-engineering\"]\nlauncher = [\"team:data-science\"]",
        ),
    );
    let out = run(ctx.dg().args(["access", "explain", "Carol@Example.com"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let head: Vec<&str> = out.stdout.lines().take(5).collect();
    assert_eq!(
        head,
        vec![
            "carol@example.com (from the command line), teams: data-science",
            "LOCATION          ROLE      BECAUSE",
            "data-engineering  launcher  launcher = team:data-science (dg-rs.toml:11)",
            "                            default_role = viewer (dg-rs.toml:2)",
            "data-science      editor    editor = team:data-science (dg-rs.toml:14)",
        ]
    );
    assert!(
        out.stdout
            .contains("launcher: also launch, re-execute, terminate and delete runs")
    );

    // The person defaults to DG_RS_USER, else git's user.email.
    let git_config = ctx.path("gitconfig");
    std::fs::write(&git_config, "[user]\n\temail = Alice@Example.com\n").unwrap();
    let out = run(ctx
        .dg()
        .env("GIT_CONFIG_GLOBAL", &git_config)
        .args(["access", "explain", "--json"]));
    let v = json(&out.stdout);
    assert_eq!(v["person"], "alice@example.com");
    assert_eq!(v["source"], "git user.email");
    assert_eq!(v["locations"][0]["role"], "editor");
    assert_eq!(v["locations"][0]["reasons"][0]["rule"], "grant");
    assert_eq!(v["locations"][0]["reasons"][0]["line"], 10);
    assert_eq!(v["locations"][1]["role"], "viewer");
}

#[test]
fn codeowners_gives_each_project_to_its_editors_and_the_policy_to_the_admins() {
    let ctx = TestContext::new("workspace");
    ctx.write("dg-rs.toml", POLICY);
    let expected = "\
# Generated by `dg access codeowners` from the [access] policy in dg-rs.toml.
# Regenerate it after changing the policy. Later lines win: each location's project
# belongs to its editors, the workspace files holding the policy to the admins.

# data-engineering: editors and admins
/projects/data-engineering/ alice@example.com ops@example.com

# data-science: editors and admins
/projects/data-science/ carol@example.com ops@example.com

# The workspace and its access policy: admins
/dg.toml ops@example.com
/dg-rs.toml ops@example.com
";
    let out = run(ctx.dg().args(["access", "codeowners"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, expected);

    // Inside a git repository the paths are relative to its top level.
    let repo = ctx.root.parent().unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo)
        .status()
        .unwrap();
    assert!(git.success());
    let out = run(ctx.dg_in("projects/data-science").args([
        "access",
        "codeowners",
        "--output",
        "../../.github/CODEOWNERS",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(ctx.path(".github/CODEOWNERS")).unwrap();
    assert_eq!(written, expected.replace("\n/", "\n/ws/"));
    assert!(out.stderr.contains("Wrote"), "{}", out.stderr);
}
