//! `dg affected`, saved state and CI output, on real git repositories in temp dirs.
//!
//! Most tests run the way a pull request's CI job does: no environment is built, and every
//! location is read from a state exported once (with real Dagster, in the fixture's real
//! environments) by `dg state export`. The tests that need the head's definitions (the change
//! kinds, a check of a broken location, a launch) use the real environments. Both need the
//! fixture environments, so they are tier `tier-index`; the CI output that needs no state
//! (configuration annotations, the workflow, completions) is plain.

#[cfg(feature = "tier-index")]
use crate::common::{Output, json};
use crate::common::{TestContext, clean_command, run};
#[cfg(feature = "tier-index")]
use serde_json::Value;
#[cfg(feature = "tier-index")]
use std::collections::BTreeMap;
use std::path::Path;
#[cfg(feature = "tier-index")]
use std::path::PathBuf;
#[cfg(feature = "tier-index")]
use std::sync::OnceLock;

#[cfg(feature = "tier-index")]
const DE_ASSETS: &str = "projects/data-engineering/src/data_engineering/defs/assets.py";
#[cfg(feature = "tier-index")]
const DS_ASSETS: &str = "projects/data-science/src/data_science/defs/assets.py";

/// git with a fixed identity and no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = clean_command("git")
        .args([
            "-c",
            "user.name=dg-rs tests",
            "-c",
            "user.email=tests@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The fixture workspace as a git repository: one commit on `main`, then on `feature`.
#[cfg(feature = "tier-index")]
fn repo() -> TestContext {
    repo_of(TestContext::new("workspace"))
}

#[cfg(feature = "tier-index")]
fn repo_of(ctx: TestContext) -> TestContext {
    git(&ctx.root, &["init", "-q", "-b", "main"]);
    commit_all(&ctx, "base");
    git(&ctx.root, &["checkout", "-q", "-b", "feature"]);
    ctx
}

#[cfg(feature = "tier-index")]
fn commit_all(ctx: &TestContext, message: &str) {
    git(&ctx.root, &["add", "-A"]);
    git(&ctx.root, &["commit", "-q", "-m", message]);
}

#[cfg(feature = "tier-index")]
fn edit(ctx: &TestContext, rel: &str, from: &str, to: &str) {
    let path = ctx.path(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The state of the fixture workspace as it is committed, exported once by real dg-rs with
/// the real environments (what a main-branch CI job keeps).
#[cfg(feature = "tier-index")]
fn saved_state() -> &'static Path {
    static STATE: OnceLock<PathBuf> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("affected-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ctx = TestContext::with_envs();
        let out = run(ctx.dg().args(["state", "export", "--output"]).arg(&dir));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("wrote the state of 2 locations (5 assets"),
            "{}",
            out.stderr
        );
        // Never into a folder that holds something else.
        let other = ctx.path("not-a-state");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("keep.txt"), "mine").unwrap();
        let refused = run(ctx
            .dg()
            .args(["state", "export", "--output", "not-a-state"]));
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(
            refused.stderr.contains("is not a saved state"),
            "{}",
            refused.stderr
        );
        assert_eq!(
            std::fs::read_to_string(other.join("keep.txt")).unwrap(),
            "mine"
        );
        dir
    })
}

#[cfg(feature = "tier-index")]
fn affected_json(ctx: &TestContext, args: &[&str]) -> Value {
    let out = run(ctx
        .dg()
        .arg("affected")
        .args(args)
        .arg("--state")
        .arg(saved_state())
        .args(["--format", "json"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    json(&out.stdout)
}

/// key → reason.
#[cfg(feature = "tier-index")]
fn reasons(v: &Value) -> BTreeMap<String, String> {
    v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_string(),
                a["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// location → (status, changed, assets).
#[cfg(feature = "tier-index")]
fn locations(v: &Value) -> BTreeMap<String, (String, bool, u64)> {
    v["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                (
                    l["status"].as_str().unwrap().to_string(),
                    l["changed"].as_bool().unwrap(),
                    l["assets"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[cfg(feature = "tier-index")]
fn map<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[cfg(feature = "tier-index")]
fn loc(status: &str, changed: bool, assets: u64) -> (String, bool, u64) {
    (status.to_string(), changed, assets)
}

#[cfg(feature = "tier-index")]
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[cfg(feature = "tier-index")]
#[test]
fn a_change_on_a_branch_affects_its_assets_and_everything_downstream_in_other_locations() {
    let ctx = repo();
    edit(
        &ctx,
        DE_ASSETS,
        "Raw orders as they arrive",
        "Raw orders, as they arrive",
    );
    commit_all(&ctx, "feature: edit data-engineering");
    // main moves on after the branch was cut: from the merge base, that is not the branch's.
    git(&ctx.root, &["checkout", "-q", "main"]);
    edit(&ctx, DS_ASSETS, "Features computed", "Features, computed");
    commit_all(&ctx, "main: edit data-science");
    git(&ctx.root, &["checkout", "-q", "feature"]);

    let v = affected_json(&ctx, &["--base", "main"]);
    assert_eq!(strings(&v["changed_files"]), [DE_ASSETS]);
    assert_eq!(v["base"], "main");
    assert_eq!(v["head"], "HEAD");
    assert_eq!(
        v["merge_base"].as_str().unwrap(),
        git(&ctx.root, &["rev-parse", "main~1"]).trim()
    );
    assert_eq!(
        reasons(&v),
        map([
            ("cleaned_orders", "changed"),
            ("data_engineering_asset", "changed"),
            ("data_science_asset", "downstream of data_engineering_asset"),
            ("raw_orders", "changed"),
            (
                "reports/regional_report",
                "downstream of data_engineering_asset"
            ),
        ])
    );
    assert_eq!(
        locations(&v),
        BTreeMap::from([
            ("data-engineering".into(), loc("changed", true, 3)),
            ("data-science".into(), loc("downstream", false, 2)),
        ])
    );
    // Neither environment exists: both locations came from the saved state, and it says so.
    assert_eq!(
        strings(&v["from_state"]),
        ["data-engineering", "data-science"]
    );
    assert_eq!(v["assets"][0]["kinds"], serde_json::json!(["SOURCE"]));
    assert_eq!(v["assets"][1]["upstream"], Value::Null);
    assert_eq!(v["assets"][2]["upstream"], "data_engineering_asset");

    // An explicit head is the same comparison.
    let same = affected_json(&ctx, &["--base", "main", "--head", "feature"]);
    assert_eq!(reasons(&same), reasons(&v));
    assert_eq!(same["head"], "feature");

    // The human report.
    let text = run(ctx
        .dg()
        .args(["affected", "--base", "main", "--state"])
        .arg(saved_state()));
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("Compared main...HEAD (merge base"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["data-science", "downstream", "re-test", "2", "0"]),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("5 assets affected: 1 location to rebuild, 1 to re-test.")
    );
    assert!(
        text.stderr
            .contains("read 2 locations from the saved state"),
        "{}",
        text.stderr
    );

    // The selection is one `dg list assets -s` (and `dg launch --assets`) accepts, and it
    // selects exactly the affected assets.
    let sel = run(ctx
        .dg()
        .args([
            "affected",
            "--base",
            "main",
            "--format",
            "selection",
            "--state",
        ])
        .arg(saved_state()));
    assert_eq!(sel.code, 0, "{}", sel.stderr);
    let listed = run(ctx
        .dg()
        .args([
            "list",
            "assets",
            "--json",
            "-s",
            sel.stdout.trim(),
            "--state",
        ])
        .arg(saved_state()));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let keys: Vec<String> = json(&listed.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, reasons(&v).into_keys().collect::<Vec<_>>());

    // GitHub step outputs: a matrix of both locations (rebuild vs re-test) and the guard.
    let m = run(ctx
        .dg()
        .args([
            "affected",
            "--base",
            "main",
            "--format",
            "github-matrix",
            "--state",
        ])
        .arg(saved_state()));
    assert_eq!(m.code, 0, "{}", m.stderr);
    let outputs: BTreeMap<&str, &str> = m
        .stdout
        .lines()
        .map(|l| l.split_once('=').unwrap())
        .collect();
    assert_eq!(outputs["has_changes"], "true");
    assert_eq!(outputs["projects"], "data-engineering data-science");
    assert_eq!(outputs["assets"], "5");
    let matrix: Value = json(outputs["matrix"]);
    assert_eq!(
        matrix,
        serde_json::json!({"include": [
            {"location": "data-engineering", "project": "data-engineering", "path": "projects/data-engineering", "rebuild": true, "assets": 3},
            {"location": "data-science", "project": "data-science", "path": "projects/data-science", "rebuild": false, "assets": 2},
        ]})
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn changed_in_branch_selects_what_a_change_touches_in_list_and_launch() {
    // With the real environments: a launch, even a dry run, needs the interpreters.
    let ctx = repo_of(TestContext::with_envs());
    edit(&ctx, DS_ASSETS, "Features computed", "Features, computed");
    commit_all(&ctx, "edit data-science");
    let keys = |args: &[&str]| -> Vec<String> {
        let out = run(ctx.dg().args(["list", "assets", "--json"]).args(args));
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap().to_string())
            .collect()
    };
    let state = saved_state().to_str().unwrap();
    assert_eq!(
        keys(&[
            "-s",
            "changed_in_branch:ANY",
            "--base",
            "main",
            "--state",
            state
        ]),
        ["data_science_asset", "reports/regional_report"]
    );
    assert_eq!(
        keys(&[
            "-s",
            "changed_in_branch:SOURCE and kind:pandas",
            "--base",
            "main",
            "--state",
            state
        ]),
        ["data_science_asset"]
    );
    assert_eq!(
        keys(&[
            "-s",
            "changed_in_branch:CODE_VERSION",
            "--base",
            "main",
            "--state",
            state
        ]),
        Vec::<String>::new()
    );
    // Upstream of what changed, across locations.
    assert_eq!(
        keys(&[
            "-s",
            "+changed_in_branch:ANY and not changed_in_branch:ANY",
            "--base",
            "main",
            "--state",
            state
        ]),
        ["cleaned_orders", "data_engineering_asset", "raw_orders"]
    );
    // dg launch plans it.
    let plan = run(ctx
        .dg()
        .args([
            "launch",
            "--assets",
            "changed_in_branch:ANY+",
            "--partition",
            "eu",
            "--dry-run",
            "--json",
        ])
        .args(["--base", "main", "--state", state]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: Value = json(&plan.stdout);
    let planned: Vec<String> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| strings(&s["assets"]))
        .collect();
    assert_eq!(planned, ["data_science_asset", "reports/regional_report"]);
    // Without anything to compare with: exit 2, saying what to pass.
    let bad = run(ctx.dg().args([
        "list",
        "assets",
        "-s",
        "changed_in_branch:ANY+",
        "--state",
        state,
    ]));
    assert_eq!(bad.code, 0, "a state alone is a comparison: {}", bad.stderr);
    let bad = run(ctx.dg().args(["graph", "-s", "changed_in_branch:ANY+"]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("pass --base REF"), "{}", bad.stderr);
    let bad = run(ctx.dg().args([
        "list",
        "assets",
        "-s",
        "changed_in_branch:tags",
        "--state",
        state,
    ]));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("kinds are uppercase: TAGS"),
        "{}",
        bad.stderr
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn lock_files_affect_their_location_and_a_root_lock_file_every_location() {
    let ctx = repo();
    ctx.write("projects/data-science/uv.lock", "version = 1\n");
    commit_all(&ctx, "lock data-science");
    let v = affected_json(&ctx, &["--base", "main"]);
    assert_eq!(
        reasons(&v),
        map([
            ("data_science_asset", "location-config"),
            ("reports/regional_report", "location-config"),
        ])
    );
    assert_eq!(
        locations(&v),
        BTreeMap::from([
            ("data-engineering".into(), loc("unchanged", false, 0)),
            ("data-science".into(), loc("changed", true, 2)),
        ])
    );
    assert_eq!(
        strings(&v["assets"][0]["files"]),
        ["projects/data-science/uv.lock"]
    );

    ctx.write("uv.lock", "version = 1\n");
    commit_all(&ctx, "lock the workspace");
    let v = affected_json(&ctx, &["--base", "main"]);
    assert_eq!(strings(&v["workspace_files"]), ["uv.lock"]);
    assert_eq!(reasons(&v).len(), 5);
    assert!(reasons(&v).values().all(|r| r == "location-config"));
    assert!(locations(&v).values().all(|l| l.0 == "changed"));

    // A file outside every project affects nothing.
    let ctx = repo();
    ctx.write("docs/ci.md", "# CI\n");
    commit_all(&ctx, "docs");
    let v = affected_json(&ctx, &["--base", "main"]);
    assert!(reasons(&v).is_empty());
    assert_eq!(strings(&v["unowned_files"]), ["docs/ci.md"]);
    let m = run(ctx
        .dg()
        .args([
            "affected",
            "--base",
            "main",
            "--format",
            "github-matrix",
            "--state",
        ])
        .arg(saved_state()));
    assert!(
        m.stdout
            .contains("matrix={\"include\":[]}\nhas_changes=false"),
        "{}",
        m.stdout
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn uncommitted_and_untracked_files_count_only_when_asked() {
    let ctx = repo();
    edit(&ctx, DS_ASSETS, "Features computed", "Features, computed");
    ctx.write(
        "projects/data-engineering/src/data_engineering/defs/helpers.py",
        "X = 1\n",
    );
    let v = affected_json(&ctx, &["--base", "main"]);
    assert!(strings(&v["changed_files"]).is_empty());
    assert!(reasons(&v).is_empty());

    let v = affected_json(&ctx, &["--uncommitted"]);
    assert_eq!(
        strings(&v["changed_files"]),
        [
            "projects/data-engineering/src/data_engineering/defs/helpers.py",
            DS_ASSETS
        ]
    );
    assert_eq!(v["uncommitted"], true);
    assert_eq!(v["base"], Value::Null);
    // A module no asset is defined in may be imported by any of them: the whole location.
    assert_eq!(
        reasons(&v),
        map([
            ("cleaned_orders", "location-config"),
            ("data_engineering_asset", "location-config"),
            ("data_science_asset", "changed"),
            ("raw_orders", "location-config"),
            ("reports/regional_report", "changed"),
        ])
    );
    let with_base = affected_json(&ctx, &["--base", "main", "--uncommitted"]);
    assert_eq!(reasons(&with_base), reasons(&v));

    // Exactly the files given, relative to the current directory; no git needed.
    let plain = TestContext::new("workspace");
    let out = run(plain
        .dg_in("projects/data-science")
        .args([
            "affected", "--files", "uv.lock", "--format", "json", "--state",
        ])
        .arg(saved_state()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = json(&out.stdout);
    assert_eq!(
        strings(&v["changed_files"]),
        ["projects/data-science/uv.lock"]
    );
    assert_eq!(reasons(&v).len(), 2);
    // Outside a git repository, --base is an error naming the way out.
    let out = run(plain.dg().args(["affected", "--base", "main"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not inside a git repository"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--files"), "{}", out.stderr);
    let out = run(plain.dg().arg("affected"));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("nothing to compare with"),
        "{}",
        out.stderr
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn a_shallow_clone_is_an_error_with_the_fix_never_a_silent_everything() {
    let ctx = repo();
    edit(&ctx, DS_ASSETS, "Features computed", "Features, computed");
    commit_all(&ctx, "feature 1");
    edit(&ctx, DS_ASSETS, "Features, computed", "Features, computed,");
    commit_all(&ctx, "feature 2");
    git(&ctx.root, &["checkout", "-q", "main"]);
    edit(
        &ctx,
        DE_ASSETS,
        "Raw orders as they arrive",
        "Raw orders, as they arrive",
    );
    commit_all(&ctx, "main moves on");
    // What actions/checkout does by default: one commit of the branch, then a shallow base.
    let clone = ctx.root.parent().unwrap().join("clone");
    let url = format!("file://{}", ctx.root.display());
    git(
        ctx.root.parent().unwrap(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "clone",
        ],
    );
    let dg = |args: &[&str]| -> Output {
        let mut cmd = ctx.dg();
        cmd.current_dir(&clone)
            .arg("affected")
            .args(args)
            .arg("--state")
            .arg(saved_state());
        run(&mut cmd)
    };
    let out = dg(&["--base", "origin/main"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("unknown git revision `origin/main` (the clone is shallow)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fetch-depth: 0"), "{}", out.stderr);

    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let out = dg(&["--base", "origin/main"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("`origin/main` and `HEAD` have no merge base: the clone is shallow"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("set `fetch-depth: 0` on actions/checkout"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--fallback all"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "no answer at all: {}", out.stdout);

    // Asked for explicitly, everything is affected, and the answer says why.
    let out = dg(&[
        "--base",
        "origin/main",
        "--fallback",
        "all",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = json(&out.stdout);
    assert!(v["fallback"].as_str().unwrap().contains("no merge base"));
    assert_eq!(reasons(&v).len(), 5);
    assert!(reasons(&v).values().all(|r| r == "fallback"));

    // The whole history makes it work: only the branch's own change.
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--unshallow",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let out = dg(&["--base", "origin/main", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: Value = json(&out.stdout);
    assert_eq!(strings(&v["changed_files"]), [DS_ASSETS]);
}

#[cfg(feature = "tier-index")]
#[test]
fn renamed_and_deleted_projects_are_reported_as_such() {
    // Renamed: the folder moved, dg.toml lists the new path; the location (named after its
    // folder) is recognised by its root module, and no other location changes.
    let ctx = repo();
    git(
        &ctx.root,
        &["mv", "projects/data-science", "projects/science"],
    );
    edit(&ctx, "dg.toml", "projects/data-science", "projects/science");
    commit_all(&ctx, "rename");
    let v = affected_json(&ctx, &["--base", "main"]);
    let science = v["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "science")
        .unwrap();
    assert_eq!(science["status"], "renamed");
    assert_eq!(science["renamed_from"], "projects/data-science");
    assert_eq!(science["changed"], true);
    assert!(strings(&science["files"]).contains(&DS_ASSETS.to_string()));
    assert_eq!(
        locations(&v)["data-engineering"],
        loc("unchanged", false, 0)
    );
    assert_eq!(
        reasons(&v),
        map([
            ("data_science_asset", "changed"),
            ("reports/regional_report", "changed"),
        ])
    );
    assert_eq!(strings(&v["from_state"]), ["data-engineering", "science"]);

    // Deleted: listed as deleted with its files, its assets removed; nothing else affected
    // (no location depended on it).
    let ctx = repo();
    git(&ctx.root, &["rm", "-q", "-r", "projects/data-science"]);
    edit(
        &ctx,
        "dg.toml",
        "\n[[workspace.projects]]\npath = \"projects/data-science\"\n",
        "",
    );
    commit_all(&ctx, "delete data-science");
    let v = affected_json(&ctx, &["--base", "main"]);
    assert_eq!(
        locations(&v),
        BTreeMap::from([
            ("data-engineering".into(), loc("unchanged", false, 0)),
            ("data-science".into(), loc("deleted", true, 0)),
        ])
    );
    assert!(reasons(&v).is_empty());
    assert_eq!(
        v["removed"],
        serde_json::json!([
            {"key": "data_science_asset", "location": "data-science"},
            {"key": "reports/regional_report", "location": "data-science"},
        ])
    );
    let text = run(ctx
        .dg()
        .args(["affected", "--base", "main", "--state"])
        .arg(saved_state()));
    assert!(
        text.stdout
            .contains("removed: data_science_asset (was in data-science)"),
        "{}",
        text.stdout
    );
    // A deleted location is nothing CI can build.
    let m = run(ctx
        .dg()
        .args([
            "affected",
            "--base",
            "main",
            "--format",
            "github-matrix",
            "--state",
        ])
        .arg(saved_state()));
    assert!(m.stdout.contains("has_changes=false"), "{}", m.stdout);
}

#[cfg(feature = "tier-index")]
#[test]
fn a_saved_state_reveals_each_kind_of_definition_change() {
    let ctx = TestContext::with_envs();
    let v = affected_json(&ctx, &[]);
    assert!(strings(&v["changed_files"]).is_empty(), "{v}");
    assert!(reasons(&v).is_empty());

    edit(
        &ctx,
        DE_ASSETS,
        r#"tags={"tier": "bronze"}"#,
        r#"tags={"tier": "bronze", "pii": "yes"}"#,
    );
    edit(
        &ctx,
        DE_ASSETS,
        r#"tags={"tier": "silver"},"#,
        r#"tags={"tier": "silver"}, metadata={"note": "dedup by id"},"#,
    );
    edit(
        &ctx,
        DE_ASSETS,
        r#"code_version="1","#,
        r#"code_version="2", partitions_def=dg.StaticPartitionsDefinition(["x"]),"#,
    );
    edit(
        &ctx,
        DS_ASSETS,
        r#"deps=[dg.AssetKey("data_engineering_asset")]"#,
        r#"deps=[dg.AssetKey("data_engineering_asset"), dg.AssetKey("cleaned_orders")]"#,
    );
    edit(
        &ctx,
        DS_ASSETS,
        r#"key_prefix=["reports"]"#,
        r#"key_prefix=["regional"]"#,
    );
    ctx.append(
        DS_ASSETS,
        "\n\n@dg.asset\ndef brand_new() -> None:\n    pass\n",
    );

    let v = affected_json(&ctx, &[]);
    let kinds: BTreeMap<String, Vec<String>> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["reason"] == "changed")
        .map(|a| (a["key"].as_str().unwrap().to_string(), strings(&a["kinds"])))
        .collect();
    let expect = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("brand_new".to_string(), expect(&["NEW", "SOURCE"])),
            (
                "cleaned_orders".to_string(),
                expect(&["METADATA", "SOURCE"])
            ),
            (
                "data_engineering_asset".to_string(),
                expect(&["CODE_VERSION", "PARTITIONS_DEFINITION", "SOURCE"])
            ),
            (
                "data_science_asset".to_string(),
                expect(&["DEPENDENCIES", "SOURCE"])
            ),
            ("raw_orders".to_string(), expect(&["TAGS", "SOURCE"])),
            (
                "regional/regional_report".to_string(),
                expect(&["NEW", "SOURCE"])
            ),
        ])
    );
    assert_eq!(
        v["removed"],
        serde_json::json!([{"key": "reports/regional_report", "location": "data-science"}])
    );
    assert!(
        strings(&v["from_state"]).is_empty(),
        "both environments exist"
    );
    assert_eq!(strings(&v["changed_files"]), [DE_ASSETS, DS_ASSETS]);

    // The same kinds in every selection (warm now: no Python).
    let state = saved_state().to_str().unwrap();
    let keys = |sel: &str| -> Vec<String> {
        let out = run(ctx
            .dg()
            .args(["list", "assets", "--json", "--state", state, "-s", sel]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys("changed_in_branch:CODE_VERSION"),
        ["data_engineering_asset"]
    );
    assert_eq!(
        keys("changed_in_branch:NEW"),
        ["brand_new", "regional/regional_report"]
    );
    assert_eq!(
        keys("changed_in_branch:METADATA+1"),
        [
            "cleaned_orders",
            "data_engineering_asset",
            "data_science_asset"
        ]
    );
    assert_eq!(
        keys("changed_in_branch:PARTITIONS_DEFINITION"),
        ["data_engineering_asset"]
    );
    assert_eq!(
        keys("changed_in_branch:DEPENDENCIES"),
        ["data_science_asset"]
    );
    assert_eq!(keys("changed_in_branch:TAGS"), ["raw_orders"]);
}

#[cfg(feature = "tier-index")]
#[test]
fn check_reads_a_location_without_environment_from_the_state_and_annotates_problems() {
    // data-science's CI job: only its own environment; data-engineering from main's state.
    let envs = crate::common::fixture_envs();
    let ctx = TestContext::new("workspace");
    ctx.write(
        "projects/data-science/.env",
        &format!(
            "DG_PROJECT_PYTHON_EXECUTABLE={}\n",
            envs.data_science.display()
        ),
    );
    edit(
        &ctx,
        DS_ASSETS,
        r#"dg.AssetKey("data_engineering_asset")"#,
        r#"dg.AssetKey("data_engineering_assett")"#,
    );
    // Without the state, data-engineering fails to load.
    let plain = run(ctx.dg().args(["check", "--json"]));
    assert_eq!(plain.code, 1);
    let report: Value = json(&plain.stdout);
    assert_eq!(report["locations"][0]["status"], "failed");

    let junit = ctx.path("dg-check.xml");
    let out = run(ctx
        .dg()
        .args(["check", "--format", "github", "--junit"])
        .arg(&junit)
        .arg("--state")
        .arg(saved_state()));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("read 1 location from the saved state"),
        "{}",
        out.stderr
    );
    let annotations: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{}", out.stdout);
    let prefix = format!("::error file={DS_ASSETS},line=");
    let rest = annotations[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{}", annotations[0]));
    let (line, rest) = rest.split_once(',').unwrap();
    let line: usize = line.parse().unwrap();
    let source = std::fs::read_to_string(ctx.path(DS_ASSETS)).unwrap();
    assert_eq!(
        source.lines().nth(line - 1).unwrap().trim(),
        "@dg.asset(",
        "line {line}"
    );
    assert!(rest.starts_with("title=dg check%3A unknown-dependency::`data_engineering_assett` is a dependency of data_science_asset"), "{rest}");
    assert!(
        rest.contains("%0Ahint: did you mean `data_engineering_asset`"),
        "{rest}"
    );
    // The human report follows, saying which location came from the state.
    assert!(
        out.stdout.contains("ok (from saved state)"),
        "{}",
        out.stdout
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    let cases: Vec<roxmltree::Node> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(
        cases[0].attribute("name"),
        Some("location data-engineering loads")
    );
    let out_text = cases[0]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(out_text.contains("saved state"));
    assert_eq!(
        cases[1].attribute("name"),
        Some("location data-science loads")
    );
    assert!(cases[1].children().all(|n| !n.has_tag_name("failure")));
    let failing = cases[2];
    assert_eq!(
        failing.attribute("classname"),
        Some("dg.check.data-science")
    );
    assert_eq!(failing.attribute("file"), Some(DS_ASSETS));
    assert_eq!(failing.attribute("line"), Some(line.to_string().as_str()));
    let failure = failing
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("unknown-dependency"));
    assert!(
        failure
            .text()
            .unwrap()
            .contains("hint: did you mean `data_engineering_asset`")
    );

    // JSON says so too.
    let as_json = run(ctx
        .dg()
        .args(["check", "--json", "--state"])
        .arg(saved_state()));
    let report: Value = json(&as_json.stdout);
    assert_eq!(report["locations"][0]["from_state"], true);
    assert_eq!(report["locations"][1]["from_state"], false);
    assert_eq!(report["problems"][0]["at"][0]["file"], DS_ASSETS);
}

#[test]
fn configuration_problems_are_annotated_at_their_line() {
    let ctx = TestContext::new("workspace");
    ctx.append("dg.toml", "\n[workspace.nope]\n");
    let out = run(ctx.dg().args(["check", "--format", "github"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let line = out.stdout.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("::error file=dg.toml,line="),
        "{}",
        out.stdout
    );
    assert!(line.contains("title=dg check%3A configuration::"), "{line}");
}

#[cfg(feature = "tier-index")]
#[test]
fn launch_junit_has_a_test_case_per_step() {
    let ctx = TestContext::with_envs();
    ctx.append(
        "projects/data-science/.env",
        "DG_FIXTURE_FAIL_ASSET=data_science_asset\n",
    );
    let junit = ctx.path("launch.xml");
    let out = run(ctx
        .dg()
        .args([
            "launch",
            "--assets",
            "key:raw_orders or key:data_science_asset or key:reports/regional_report",
            "--partition",
            "eu",
            "--junit",
        ])
        .arg(&junit));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("skipped"), Some("1"));
    let cases: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
    assert_eq!(
        names,
        [
            "step 1: raw_orders",
            "step 2: data_science_asset",
            "step 3: reports/regional_report"
        ]
    );
    assert_eq!(
        cases[0].attribute("classname"),
        Some("dg.launch.data-engineering")
    );
    assert!(cases[0].attribute("time").unwrap().parse::<f64>().unwrap() > 0.0);
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("injected failure in data_science_asset"),
        "{xml}"
    );
    assert!(
        failure.text().unwrap_or_default().contains("RuntimeError"),
        "{xml}"
    );
    let skipped = cases[2]
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("not run: step 2 did not succeed")
    );
}

/// The `dg` commands of a workflow's `run:` scripts, as argv words.
fn dg_commands(workflow: &serde_norway::Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (_, job) in workflow["jobs"].as_mapping().unwrap() {
        for step in job["steps"].as_sequence().unwrap() {
            let Some(script) = step.get("run").and_then(|r| r.as_str()) else {
                continue;
            };
            for line in script.lines() {
                for part in line.split(';').flat_map(|p| p.split("then")) {
                    let words: Vec<String> = part.split_whitespace().map(str::to_string).collect();
                    if words.first().is_some_and(|w| w == "dg") {
                        out.push(words);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_github_actions_workflow_builds_what_changed_with_the_guard_and_the_whole_history() {
    let ctx = TestContext::new("workspace");
    git(&ctx.root, &["init", "-q", "-b", "main"]);
    let out = run(ctx.dg().args(["scaffold", "github-actions"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = ctx.path(".github/workflows/dagster.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let wf: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let jobs = &wf["jobs"];
    assert_eq!(wf["on"]["push"]["branches"][0], "main");
    assert_eq!(jobs["affected"]["steps"][0]["with"]["fetch-depth"], 0);
    assert_eq!(jobs["launch"]["steps"][0]["with"]["fetch-depth"], 0);
    let affected_run = jobs["affected"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s.get("id").is_some_and(|i| i == "affected"))
        .unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(affected_run.contains("--format github-matrix >> \"$GITHUB_OUTPUT\""));
    assert_eq!(
        jobs["affected"]["outputs"]["has_changes"],
        "${{ steps.affected.outputs.has_changes }}"
    );
    assert_eq!(
        jobs["check"]["if"],
        "needs.affected.outputs.has_changes == 'true'"
    );
    assert_eq!(
        jobs["check"]["strategy"]["matrix"],
        "${{ fromJson(needs.affected.outputs.matrix) }}"
    );
    assert!(
        jobs["launch"]["if"]
            .as_str()
            .unwrap()
            .starts_with("needs.affected.outputs.has_changes == 'true'")
    );
    assert_eq!(
        jobs["check"]["steps"][1]["with"]["python-version"], "3.11\n3.12\n",
        "each location's Python"
    );
    assert!(text.contains("dg launch --assets 'changed_in_branch:ANY+'"));
    assert!(text.contains("dg state export --output \"$DG_STATE\""));
    assert!(
        wf.get("defaults").is_none(),
        "the workspace is the repository root"
    );

    // Every dg command and flag the workflow uses exists (a typo would silently break CI).
    let commands = dg_commands(&wf);
    assert!(commands.len() >= 8, "{commands:?}");
    for words in &commands {
        let sub: Vec<&str> = words[1..]
            .iter()
            .map(String::as_str)
            .filter(|w| ["affected", "check", "launch", "sync", "state", "export"].contains(w))
            .collect();
        let help = run(ctx.dg().args(&sub).arg("--help"));
        assert_eq!(help.code, 0, "{words:?}: {}", help.stderr);
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            let flag = flag.split('=').next().unwrap();
            assert!(
                help.stdout.contains(flag) || run(ctx.dg().arg("--help")).stdout.contains(flag),
                "`{}` has no {flag}",
                sub.join(" ")
            );
        }
    }

    // Never overwritten.
    std::fs::write(&path, "# mine\n").unwrap();
    let again = run(ctx.dg().args(["scaffold", "github-actions"]));
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("exists; dg-rs does not overwrite it"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");

    // A workspace inside a larger repository: run steps and the state path follow it.
    let nested = TestContext::new("workspace");
    let repo_root = nested.root.parent().unwrap();
    git(repo_root, &["init", "-q", "-b", "main"]);
    let out = run(nested
        .dg()
        .args(["scaffold", "github-actions", "--branch", "trunk"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let wf: serde_norway::Value = serde_norway::from_str(
        &std::fs::read_to_string(repo_root.join(".github/workflows/dagster.yml")).unwrap(),
    )
    .unwrap();
    assert_eq!(wf["defaults"]["run"]["working-directory"], "ws");
    assert_eq!(wf["on"]["push"]["branches"][0], "trunk");
    assert_eq!(
        wf["jobs"]["state"]["steps"][6]["with"]["path"],
        "ws/.dg-state"
    );
}

#[test]
fn shell_completions_are_generated_for_bash_zsh_and_fish() {
    let ctx = TestContext::new("workspace");
    let bash = run(ctx.dg().args(["completions", "bash"]));
    assert_eq!(bash.code, 0);
    // The script loads in a real bash and registers a completion for dg.
    let out = clean_command("bash")
        .args(["--norc", "-c", "source /dev/stdin; complete -p dg"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(bash.stdout.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("-F _dg dg"),
        "{out:?}"
    );
    assert!(bash.stdout.contains("affected") && bash.stdout.contains("--fallback"));
    for shell in ["zsh", "fish"] {
        let out = run(ctx.dg().args(["completions", shell]));
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("github-matrix"), "{shell}");
    }
}
