//! `dg check` and `dg graph` on the real fixture and its broken variants.

use crate::common::{TestContext, json, run};

const DS_ASSETS: &str = "projects/data-science/src/data_science/defs/assets.py";

/// The data-science asset depends on a misspelled upstream key.
fn misspelled(ctx: &TestContext) {
    let p = ctx.path(DS_ASSETS);
    let text = std::fs::read_to_string(&p).unwrap();
    let edited = text.replace(
        "dg.AssetKey(\"data_engineering_asset\")",
        "dg.AssetKey(\"data_engineering_assett\")",
    );
    assert_ne!(text, edited);
    std::fs::write(p, edited).unwrap();
}

/// data-science also defines data_engineering_asset.
fn duplicated(ctx: &TestContext) {
    ctx.write(
        "projects/data-science/src/data_science/defs/copy.py",
        "import dagster as dg\n\n\n@dg.asset\ndef data_engineering_asset() -> None:\n    pass\n",
    );
}

#[test]
fn the_clean_fixture_passes() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().arg("check"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(out.stdout, @"
    LOCATION          STATUS  ASSETS  PYTHON  DAGSTER
    data-engineering  ok      3       3.11.x 1.12.22
    data-science      ok      2       3.12.x 1.13.27

    All checks passed.
    ");
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .take(3)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[1][..3], ["data-engineering", "ok", "3"]);
    assert_eq!(lines[2][..3], ["data-science", "ok", "2"]);
    assert!(lines[1][4].starts_with("1.12."), "{lines:?}");
    assert!(lines[2][4].starts_with("1.13."), "{lines:?}");
    // `dg check defs` is the same check under real dg's name.
    let defs = run(ctx.dg().args(["check", "defs", "--json"]));
    assert_eq!(defs.code, 0);
    assert_eq!(json(&defs.stdout)["ok"], true);
}

#[test]
fn a_misspelled_upstream_key_fails_and_names_both_locations() {
    let ctx = TestContext::with_envs();
    misspelled(&ctx);
    let out = run(ctx.dg().arg("check"));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(out.stdout, @"
    LOCATION          STATUS    ASSETS  PYTHON  DAGSTER
    data-engineering  ok        3       3.11.x 1.12.22
    data-science      problems  2       3.12.x 1.13.27

    error[unknown-dependency]: `data_engineering_assett` is a dependency of data_science_asset (data-science), but no location defines it
      locations: data-science
      defined: data_science_asset in data-science: src/data_science/defs/assets.py:12
      hint: did you mean `data_engineering_asset` (owned by data-engineering)?

    Check failed: 1 error, 0 warnings.
    ");
    assert!(
        out.stdout.contains("error[unknown-dependency]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("data_engineering_assett"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("did you mean `data_engineering_asset`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("data-science"), "{}", out.stdout);
    assert!(out.stdout.contains("data-engineering"), "{}", out.stdout);
    assert!(
        out.stdout.contains("src/data_science/defs/assets.py:"),
        "{}",
        out.stdout
    );
    let v = json(&run(ctx.dg().args(["check", "--json"])).stdout);
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["code"], "unknown-dependency");
    // From inside data-science too (the other location is loaded to judge the edge).
    let inside = run(ctx.dg_in("projects/data-science").arg("check"));
    assert_eq!(inside.code, 1, "{}", inside.stdout);
}

#[test]
fn the_same_key_in_two_locations_fails_and_names_both() {
    let ctx = TestContext::with_envs();
    duplicated(&ctx);
    let out = run(ctx.dg().args(["check", "--json"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let v = json(&out.stdout);
    let dup = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "duplicate-owner")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(
        dup["locations"],
        serde_json::json!(["data-engineering", "data-science"])
    );
    let at = dup["defined_at"].to_string();
    assert!(at.contains("src/data_engineering/defs/assets.py"), "{at}");
    assert!(at.contains("src/data_science/defs/copy.py"), "{at}");
}

#[test]
fn version_mismatches_are_reported() {
    let ctx = TestContext::with_envs();
    // Declare a dagster the environment does not have, and a Python it is not.
    let p = ctx.path("projects/data-engineering/pyproject.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text
        .replace("\"dagster==1.12.22\"", "\"dagster>=1.13\"")
        .replace(">=3.11,<3.12", ">=3.12");
    std::fs::write(&p, text).unwrap();
    let v = json(&run(ctx.dg().args(["check", "--json"])).stdout);
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["python-version", "dagster-version"], "{v:#}");
}

#[test]
fn graph_exports_show_locations_and_the_cross_location_edge() {
    let ctx = TestContext::with_envs();
    let mermaid = run(ctx.dg().arg("graph"));
    assert_eq!(mermaid.code, 0, "{}", mermaid.stderr);
    assert!(
        mermaid.stdout.starts_with("flowchart LR\n"),
        "{}",
        mermaid.stdout
    );
    assert!(
        mermaid
            .stdout
            .contains("subgraph loc_data_engineering[\"data-engineering\"]")
    );
    // The cross-location edge is dotted, in-location edges solid.
    assert!(
        mermaid
            .stdout
            .contains("a_data_engineering_asset -.-> a_data_science_asset")
    );
    assert!(mermaid.stdout.contains("a_raw_orders --> a_cleaned_orders"));

    let out = run(ctx.dg().args([
        "graph",
        "--select",
        "+key:data_science_asset",
        "--output",
        "g.json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&std::fs::read_to_string(ctx.path("g.json")).unwrap());
    let nodes: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap())
        .collect();
    assert_eq!(nodes.len(), 4, "{nodes:?}");
    assert!(!nodes.contains(&"reports/regional_report"));
    let cross: Vec<_> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cross_location"] == true)
        .collect();
    assert_eq!(cross.len(), 1);
    assert_eq!(cross[0]["from"], "data_engineering_asset");

    let dot = run(ctx.dg().args(["graph", "--output", "g.dot"]));
    assert_eq!(dot.code, 0);
    assert!(
        std::fs::read_to_string(ctx.path("g.dot"))
            .unwrap()
            .starts_with("digraph")
    );
    let bad = run(ctx.dg().args(["graph", "--output", "g.png"]));
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--format"), "{}", bad.stderr);
}
