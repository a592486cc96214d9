//! `dg launch` against real Dagster in the fixture's real environments: data-engineering
//! (Python 3.11, dagster 1.12.x) and data-science (Python 3.12, dagster 1.13.x), one shared
//! Dagster instance.

use crate::common::{TestContext, fixture_envs, json, run};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHAIN: [&str; 4] = [
    "raw_orders",
    "cleaned_orders",
    "data_engineering_asset",
    "data_science_asset",
];

/// Asks Dagster itself (with `python`, against the instance in `home`) for the latest
/// materialization of each key: {key: null | {run_id, launch_id, step, status, timestamp}}.
pub(crate) fn latest_materializations(python: &Path, home: &Path, keys: &[&str]) -> Value {
    let script = r#"
import json, sys
from dagster import AssetKey, DagsterInstance
out = {}
with DagsterInstance.get() as instance:
    for key in json.loads(sys.argv[1]):
        event = instance.get_latest_materialization_event(AssetKey(key.split("/")))
        if event is None:
            out[key] = None
            continue
        run = instance.get_run_by_id(event.run_id)
        out[key] = {
            "run_id": event.run_id,
            "launch_id": run.tags.get("dg-rs/launch_id"),
            "step": run.tags.get("dg-rs/step"),
            "status": run.status.value,
            "timestamp": event.timestamp,
        }
print(json.dumps(out))
"#;
    let out = crate::common::clean_command(python)
        .args(["-c", script, &serde_json::to_string(keys).unwrap()])
        .env("DAGSTER_HOME", home)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "asking Dagster failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

/// The launch id from the summary's last line (`Launch <id>: ...`).
pub(crate) fn launch_id(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Launch ").and_then(|r| r.split(':').next()))
        .unwrap_or_else(|| panic!("no launch id in:\n{stdout}"))
        .to_string()
}

fn home(ctx: &TestContext) -> PathBuf {
    ctx.path(".dg/dagster_home")
}

#[test]
fn a_cross_location_launch_runs_each_location_in_its_own_env_into_one_instance() {
    let ctx = TestContext::with_envs();
    let envs = fixture_envs();
    let out = run(ctx
        .dg()
        .args(["launch", "--assets", "+key:data_science_asset"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(out.stdout, @"
    STEP  LOCATION          ASSETS                                              STATUS     DURATION  RUN ID
    1     data-engineering  cleaned_orders, data_engineering_asset, raw_orders  succeeded  [DURATION] [ID]
    2     data-science      data_science_asset                                  succeeded  [DURATION] [ID]

    Launch [ID]: 2 succeeded. Runs are in the Dagster instance at [WS]/.dg/dagster_home (tag dg-rs/launch_id=[ID]).
    ");
    // The summary: both locations, in order, both succeeded.
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("1 ") || l.starts_with("2 "))
        .collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    assert!(rows[0].contains("data-engineering") && rows[0].contains("succeeded"));
    assert!(rows[0].contains("raw_orders") && rows[0].contains("cleaned_orders"));
    assert!(rows[1].contains("data-science") && rows[1].contains("data_science_asset"));
    assert!(rows[1].contains("succeeded"));
    // Not a terminal: every event line is prefixed with its step and location.
    assert!(
        out.stderr
            .contains("[step 1 data-engineering] ASSET_MATERIALIZATION raw_orders"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("[step 2 data-science] ASSET_MATERIALIZATION data_science_asset")
    );
    let id = launch_id(&out.stdout);

    // Each env's own Dagster (1.12 and 1.13) finds every materialization in the ONE instance,
    // in runs tagged with this launch: the chain in step 1, data_science_asset in step 2.
    for python in [&envs.data_engineering, &envs.data_science] {
        let found = latest_materializations(python, &home(&ctx), &CHAIN);
        for key in CHAIN {
            let m = &found[key];
            assert!(!m.is_null(), "{key} not materialized ({python:?}): {found}");
            assert_eq!(m["launch_id"], id.as_str(), "{key}: {found}");
            assert_eq!(m["status"], "SUCCESS");
            let step = if key == "data_science_asset" {
                "2"
            } else {
                "1"
            };
            assert_eq!(m["step"], step, "{key}: {found}");
        }
        assert_ne!(
            found["raw_orders"]["run_id"],
            found["data_science_asset"]["run_id"]
        );
    }
    // The files the assets wrote, each in its own project.
    for (project, key) in [
        ("data-engineering", "raw_orders"),
        ("data-engineering", "cleaned_orders"),
        ("data-engineering", "data_engineering_asset"),
        ("data-science", "data_science_asset"),
    ] {
        let file = ctx.path(&format!("projects/{project}/data/{key}.json"));
        let v = json(&std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file:?}: {e}")));
        assert!(!v.is_null());
    }
    // The default instance is persistent and quiet (telemetry off).
    let yaml = std::fs::read_to_string(home(&ctx).join("dagster.yaml")).unwrap();
    assert!(yaml.contains("enabled: false"));
}

#[test]
fn a_failing_step_skips_its_dependents_and_the_summary_says_why() {
    let ctx = TestContext::with_envs();
    let out = run(ctx
        .dg()
        .args(["launch", "--assets", "+key:data_science_asset"])
        .env("DG_FIXTURE_FAIL_ASSET", "cleaned_orders"));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(out.stdout, @r#"
    STEP  LOCATION          ASSETS                                              STATUS                            DURATION  RUN ID
    1     data-engineering  cleaned_orders, data_engineering_asset, raw_orders  failed                            [DURATION] [ID]
    2     data-science      data_science_asset                                  skipped (step 1 did not succeed)  -         -

    step 1 (data-engineering) failed in asset cleaned_orders: RuntimeError: injected failure in cleaned_orders
        Traceback (most recent call last):
          File "[WS]/projects/data-engineering/src/data_engineering/defs/assets.py", line 47, in cleaned_orders
            raise RuntimeError("injected failure in cleaned_orders")
        RuntimeError: injected failure in cleaned_orders

    Launch [ID]: 0 succeeded, 1 failed, 1 skipped. Runs are in the Dagster instance at [WS]/.dg/dagster_home (tag dg-rs/launch_id=[ID]).
    "#);
    let step2 = out
        .stdout
        .lines()
        .find(|l| l.starts_with("2 "))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(step2.contains("data-science") && step2.contains("skipped (step 1"));
    assert!(
        out.stdout.contains(
            "step 1 (data-engineering) failed in asset cleaned_orders: RuntimeError: injected failure in cleaned_orders"
        ),
        "{}",
        out.stdout
    );
    // The tail of the user's traceback, pointing at the raising line.
    assert!(
        out.stdout
            .contains("raise RuntimeError(\"injected failure in cleaned_orders\")")
    );
    assert!(out.stdout.contains("1 failed, 1 skipped"));
    // data_science_asset never ran; raw_orders (before the failure) did.
    assert!(
        !ctx.path("projects/data-science/data/data_science_asset.json")
            .exists()
    );
    assert!(
        ctx.path("projects/data-engineering/data/raw_orders.json")
            .exists()
    );
    let found = latest_materializations(
        &fixture_envs().data_science,
        &home(&ctx),
        &["raw_orders", "cleaned_orders", "data_science_asset"],
    );
    assert!(!found["raw_orders"].is_null());
    assert_eq!(found["raw_orders"]["status"], "FAILURE");
    assert!(found["cleaned_orders"].is_null());
    assert!(found["data_science_asset"].is_null());
}

#[test]
fn dry_run_json_prints_the_plan_and_touches_neither_python_nor_the_instance() {
    let ctx = TestContext::with_envs();
    // Warm the manifest cache, then note its files.
    let warm = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    let cache = ctx.path(".dg/cache/manifests");
    let stamp = |dir: &Path| -> Vec<(PathBuf, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.path(), e.metadata().unwrap().modified().unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let before = stamp(&cache);
    // From inside a project: a launch still spans the whole workspace.
    let out = run(ctx.dg_in("projects/data-science").args([
        "launch",
        "--assets",
        "+key:data_science_asset",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = json(&out.stdout);
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["step"], 1);
    assert_eq!(steps[0]["location"], "data-engineering");
    assert_eq!(
        steps[0]["assets"],
        serde_json::json!(["cleaned_orders", "data_engineering_asset", "raw_orders"])
    );
    assert_eq!(steps[0]["depends_on"], serde_json::json!([]));
    assert!(steps[0]["python"].as_str().unwrap().starts_with("3.11."));
    assert!(
        steps[0]["dagster_version"]
            .as_str()
            .unwrap()
            .starts_with("1.12.")
    );
    assert_eq!(steps[1]["location"], "data-science");
    assert_eq!(
        steps[1]["assets"],
        serde_json::json!(["data_science_asset"])
    );
    assert_eq!(steps[1]["depends_on"], serde_json::json!([1]));
    assert_eq!(steps[1]["wave"], 2);
    assert!(steps[1]["python"].as_str().unwrap().starts_with("3.12."));
    assert!(
        steps[1]["dagster_version"]
            .as_str()
            .unwrap()
            .starts_with("1.13.")
    );
    assert_eq!(plan["executor"], "in_process");
    assert_eq!(
        plan["dagster_home"],
        home(&ctx).display().to_string().as_str()
    );
    assert!(!home(&ctx).exists(), "a dry run created the instance");
    assert_eq!(stamp(&cache), before, "a dry run re-extracted a manifest");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn selecting_nothing_or_only_external_assets_is_a_usage_error() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args(["launch", "--assets", "key:nope"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: the selection `key:nope` matched no assets"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("dg list assets"));

    // An external asset (declared, defined nowhere executably) in data-science.
    ctx.write(
        "projects/data-science/src/data_science/defs/external.py",
        "import dagster as dg\n\ncustomers = dg.AssetSpec(key=[\"crm\", \"customers\"])\n",
    );
    let out = run(ctx.dg().args(["launch", "--assets", "key:crm/customers"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("matched only external assets (crm/customers)"),
        "{}",
        out.stderr
    );
    assert!(!home(&ctx).exists());
    assert!(out.stdout.is_empty());
}

/// Every process whose command line mentions `needle` (our children carry the workspace path).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        if pid == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{pid}: {cmd}"));
            }
        }
    }
    found
}

#[test]
fn ctrl_c_stops_every_child_prints_the_summary_and_exits_130() {
    let ctx = TestContext::with_envs();
    let logs = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (logs.path().join("out"), logs.path().join("err"));
    // A std Command (assert_cmd cannot hand out the child), set up as TestContext::dg does.
    let mut child = ctx
        .command(env!("CARGO_BIN_EXE_dg"))
        .args(["launch", "--assets", "+key:data_science_asset"])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(&err_path)
        .unwrap_or_default()
        .contains("[step 1 data-engineering] started")
    {
        assert!(Instant::now() < deadline, "the first step never started");
        assert!(child.try_wait().unwrap().is_none(), "dg ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The step's Python is running: it carries the workspace path on its command line.
    assert!(!processes_mentioning(ctx.root.to_str().unwrap()).is_empty());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "dg did not stop after SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("Launch interrupted."), "{stdout}");
    let row = |n: &str| stdout.lines().find(|l| l.starts_with(n)).unwrap_or("");
    assert!(row("1 ").contains("interrupted"), "{stdout}");
    assert!(row("2 ").contains("not started"), "{stdout}");
    assert!(
        !ctx.path("projects/data-science/data/data_science_asset.json")
            .exists()
    );
    // No orphan: nothing is left running from this workspace.
    let left = processes_mentioning(ctx.root.to_str().unwrap());
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_job_of_one_location_is_launched_by_name() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args(["launch", "--job", "ingestion_job"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let row = out.stdout.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(row.contains("data-engineering") && row.contains("job ingestion_job"));
    assert!(row.contains("succeeded"));
    let data = ctx.path("projects/data-engineering/data");
    assert!(data.join("raw_orders.json").exists());
    assert!(data.join("cleaned_orders.json").exists());
    // Only the job's assets ran.
    assert!(!data.join("data_engineering_asset.json").exists());

    let out = run(ctx.dg().args(["launch", "--job", "nope"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("no location defines a job named `nope`")
    );
    assert!(out.stderr.contains("ingestion_job (data-engineering)"));
}

#[test]
fn partitioned_assets_need_a_partition_and_get_their_own_run() {
    let ctx = TestContext::with_envs();
    let out = run(ctx
        .dg()
        .args(["launch", "--assets", "key:data_science_asset+", "--dry-run"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("partitioned assets (reports/regional_report)")
    );
    let out = run(ctx.dg().args([
        "launch",
        "--assets",
        "key:data_science_asset+",
        "--partition",
        "eu",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = json(&out.stdout);
    let assets: Vec<&Value> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["assets"])
        .collect();
    assert_eq!(
        assets,
        [
            &serde_json::json!(["data_science_asset"]),
            &serde_json::json!(["reports/regional_report"])
        ]
    );
}
