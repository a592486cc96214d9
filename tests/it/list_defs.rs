//! `dg list defs` / `dg list assets` against real Dagster in real environments.

use crate::common::{TestContext, fixture_envs, json, run};
use serde_json::Value;

fn strip_location(mut v: Value) -> Value {
    for section in v.as_object_mut().unwrap().values_mut() {
        for item in section.as_array_mut().unwrap() {
            item.as_object_mut().unwrap().remove("location");
        }
    }
    v
}

/// Inside each project our JSON equals real `dg list defs --json` (run in the same
/// environment, same project), except for the added `location` field.
#[test]
fn project_listing_equals_real_dg_in_both_dagster_versions() {
    let ctx = TestContext::with_envs();
    let envs = fixture_envs();
    for (project, python) in [
        ("data-engineering", &envs.data_engineering),
        ("data-science", &envs.data_science),
    ] {
        let dir = format!("projects/{project}");
        let ours = run(ctx.dg_in(&dir).args(["list", "defs", "--json"]));
        assert_eq!(ours.code, 0, "{project}: {}", ours.stderr);
        let ours = json(&ours.stdout);
        for item in ours["assets"].as_array().unwrap() {
            assert_eq!(item["location"], project);
        }
        let real = crate::common::real_dg(python, &ctx.path(&dir), &["list", "defs", "--json"]);
        assert_eq!(real.code, 0, "real dg failed: {}", real.stderr);
        let real = json(&real.stdout);
        assert_eq!(strip_location(ours), real, "{project} differs from real dg");
    }
}

#[test]
fn workspace_listing_merges_locations_and_resolves_the_stub() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out.stdout);
    let assets = v["assets"].as_array().unwrap();
    let keys: Vec<(&str, &str)> = assets
        .iter()
        .map(|a| {
            (
                a["asset_key"].as_str().unwrap(),
                a["location"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("cleaned_orders", "data-engineering"),
            ("data_engineering_asset", "data-engineering"),
            ("data_science_asset", "data-science"),
            ("raw_orders", "data-engineering"),
            ("reports/regional_report", "data-science"),
        ]
    );
    // The data-science stub (is_executable: false, group "default") is resolved to its owner.
    let de = &assets[1];
    assert_eq!(de["is_executable"], true);
    assert_eq!(de["group_name"], "warehouse");
    assert_eq!(de["dependency_keys"], serde_json::json!(["cleaned_orders"]));
    assert_eq!(v["schedules"][0]["name"], "nightly_ingestion");
    assert_eq!(v["schedules"][0]["cron_schedule"], "0 2 * * *");
    assert_eq!(v["sensors"][0]["location"], "data-science");
    assert_eq!(
        v["resources"][0]["type"],
        "data_engineering.defs.resources.WarehouseResource"
    );
    assert_eq!(
        v["asset_checks"][0]["key"],
        "data_engineering_asset:data_engineering_asset_not_empty"
    );
    // Six arrays, in real dg's order (checked on the text: parsing sorts keys).
    let order: Vec<usize> = [
        "assets",
        "asset_checks",
        "jobs",
        "resources",
        "schedules",
        "sensors",
    ]
    .iter()
    .map(|s| out.stdout.find(&format!("\n  \"{s}\": [")).expect(s))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn human_table_has_a_location_column_and_columns_flag() {
    let ctx = TestContext::with_envs();
    let all = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(all.code, 0, "{}", all.stderr);
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(all.stdout, @"
    Assets
    LOCATION          KEY                      GROUP      DEPS                    KINDS           DESCRIPTION
    data-engineering  cleaned_orders           ingestion  raw_orders              python          Orders with obviously bad rows removed.
    data-engineering  data_engineering_asset   warehouse  cleaned_orders          duckdb, python  The curated orders table other locations build on.
    data-science      data_science_asset       analytics  data_engineering_asset  pandas, python  Features computed from the curated orders table.
    data-engineering  raw_orders               ingestion                          json, python    Raw orders as they arrive from the shop.
    data-science      reports/regional_report  analytics  data_science_asset      python          A regional report, one partition per region.

    Asset Checks
    LOCATION          KEY                                                      DESCRIPTION
    data-engineering  data_engineering_asset:data_engineering_asset_not_empty  The curated table is not empty.

    Jobs
    LOCATION          NAME           DESCRIPTION
    data-engineering  ingestion_job  Refresh the ingestion group.

    Schedules
    LOCATION          NAME               CRON
    data-engineering  nightly_ingestion  0 2 * * *

    Sensors
    LOCATION      NAME
    data-science  upstream_orders_sensor

    Resources
    LOCATION          NAME       TYPE
    data-engineering  warehouse  data_engineering.defs.resources.WarehouseResource
    ");
    let out = run(ctx.dg().args(["list", "defs", "-c", "key,kinds"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first_lines: Vec<&str> = out.stdout.lines().take(3).collect();
    assert_eq!(first_lines[0], "Assets");
    assert_eq!(
        first_lines[1].split_whitespace().collect::<Vec<_>>(),
        ["LOCATION", "KEY", "KINDS"]
    );
    assert_eq!(
        first_lines[2].split_whitespace().collect::<Vec<_>>(),
        ["data-engineering", "cleaned_orders", "python"]
    );
    let bad = run(ctx.dg().args(["list", "defs", "-c", "kye"]));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("unknown column `kye`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn assets_selection_filters_defs_like_real_dg() {
    let ctx = TestContext::with_envs();
    let out = run(ctx
        .dg()
        .args(["list", "defs", "--json", "--assets", "group:warehouse"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out.stdout);
    assert_eq!(v["assets"].as_array().unwrap().len(), 1);
    assert_eq!(v["assets"][0]["asset_key"], "data_engineering_asset");
    assert_eq!(v["asset_checks"].as_array().unwrap().len(), 1);
    assert_eq!(v["jobs"], serde_json::json!([]));
}

fn cache_report(ctx: &TestContext) -> Vec<String> {
    let out = run(ctx.dg().args(["list", "defs", "--json", "--verbose"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut lines: Vec<String> = out
        .stderr
        .lines()
        .map(|l| {
            if l.contains("from cache") {
                format!("{} cached", l.split(':').next().unwrap())
            } else if l.contains("loaded in") {
                format!("{} loaded", l.split(':').next().unwrap())
            } else {
                l.to_string()
            }
        })
        .collect();
    lines.sort();
    lines
}

/// The fingerprint covers what can change the answer, and nothing else.
#[test]
fn edits_re_extract_only_the_edited_location() {
    let ctx = TestContext::with_envs();
    let both_loaded = ["data-engineering loaded", "data-science loaded"];
    let both_cached = ["data-engineering cached", "data-science cached"];
    let only = |loaded: &str| {
        let mut v = vec![
            format!(
                "data-engineering {}",
                if loaded == "data-engineering" {
                    "loaded"
                } else {
                    "cached"
                }
            ),
            format!(
                "data-science {}",
                if loaded == "data-science" {
                    "loaded"
                } else {
                    "cached"
                }
            ),
        ];
        v.sort();
        v
    };
    assert_eq!(cache_report(&ctx), both_loaded);
    assert_eq!(cache_report(&ctx), both_cached);

    // An asset file.
    ctx.append(
        "projects/data-science/src/data_science/defs/assets.py",
        "\n# edited\n",
    );
    assert_eq!(cache_report(&ctx), only("data-science"));
    // pyproject.toml.
    ctx.append("projects/data-engineering/pyproject.toml", "\n# edited\n");
    assert_eq!(cache_report(&ctx), only("data-engineering"));
    // A lock file appears.
    ctx.write("projects/data-science/uv.lock", "version = 1\n");
    assert_eq!(cache_report(&ctx), only("data-science"));
    // .env changes.
    ctx.append("projects/data-engineering/.env", "SOME_SETTING=1\n");
    assert_eq!(cache_report(&ctx), only("data-engineering"));
    // A YAML file under defs/ (components are defined in YAML).
    ctx.write(
        "projects/data-science/src/data_science/defs/notes.yaml",
        "a: 1\n",
    );
    assert_eq!(cache_report(&ctx), only("data-science"));

    // Nothing else does: data the assets write, README edits, caches of other tools.
    ctx.write("projects/data-science/data/output.json", "{}");
    ctx.write("projects/data-engineering/README.md", "# notes\n");
    ctx.write("projects/data-engineering/.pytest_cache/x.py", "");
    assert_eq!(cache_report(&ctx), both_cached);

    // --refresh forces extraction.
    let out = run(ctx
        .dg()
        .args(["list", "defs", "--json", "--verbose", "--refresh"]));
    assert_eq!(out.stderr.matches("loaded in").count(), 2, "{}", out.stderr);
}

#[test]
fn corrupt_cache_entries_are_rebuilt() {
    let ctx = TestContext::with_envs();
    let first = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let dir = ctx.path(".dg/cache/manifests");
    let mut corrupted = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            std::fs::write(&p, b"{\"fingerprint\": \"tr").unwrap();
            corrupted += 1;
        }
    }
    assert_eq!(corrupted, 2);
    let again = run(ctx.dg().args(["list", "defs", "--json", "--verbose"]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stderr.matches("loaded in").count(),
        2,
        "{}",
        again.stderr
    );
    assert_eq!(again.stdout, first.stdout);
    // The cache keeps itself out of version control.
    assert_eq!(
        std::fs::read_to_string(ctx.path(".dg/cache/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
}

#[test]
fn eight_parallel_cold_runs_agree_and_leave_a_valid_cache() {
    let ctx = TestContext::with_envs();
    let children: Vec<_> = (0..8)
        .map(|_| {
            ctx.command(env!("CARGO_BIN_EXE_dg"))
                .args(["list", "defs", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.stdout, outputs[0].stdout);
    }
    // The cache they left is complete and used.
    let warm = run(ctx.dg().args(["list", "defs", "--json", "--verbose"]));
    assert_eq!(
        warm.stderr.matches("from cache").count(),
        2,
        "{}",
        warm.stderr
    );
    assert_eq!(warm.stdout.as_bytes(), outputs[0].stdout.as_slice());
}

#[test]
fn a_broken_location_is_named_and_the_others_still_list() {
    let ctx = TestContext::with_envs();
    ctx.write(
        "projects/data-science/src/data_science/defs/broken.py",
        "import dagster as dg\nimport not_a_real_module_xyz\n",
    );
    let out = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v = json(&out.stdout);
    let locations: Vec<&str> = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["location"].as_str().unwrap())
        .collect();
    assert!(!locations.is_empty() && locations.iter().all(|l| *l == "data-engineering"));
    assert!(
        out.stderr.contains(
            "location `data-science` failed to load: ModuleNotFoundError: No module named 'not_a_real_module_xyz'"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("broken.py\", line 2"), "{}", out.stderr);
    assert!(
        out.stderr.contains("hint: fix the import"),
        "{}",
        out.stderr
    );
    // The useful tail only: no frames from dagster's own package.
    assert!(
        !out.stderr.contains("site-packages/dagster/"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.lines().count() < 40, "{}", out.stderr);
}

#[test]
fn a_failing_location_is_remembered_until_something_it_depends_on_changes() {
    let ctx = TestContext::with_envs();
    // Each import of the module appends its process id to a file outside the workspace, so
    // the test counts the Python starts (Dagster may import a failing module more than once
    // in one start); it fails for want of a credential, as real locations do.
    let marker = ctx.path("../loads.txt");
    let module = format!(
        "import os\nwith open({marker:?}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')\n\
         if not os.environ.get('WAREHOUSE_TOKEN'):\n    \
         raise RuntimeError('WAREHOUSE_TOKEN is not set')\n",
        marker = marker.display().to_string()
    );
    let loads = || {
        std::fs::read_to_string(&marker)
            .unwrap_or_default()
            .lines()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let broken = "projects/data-science/src/data_science/defs/warehouse.py";
    ctx.write(broken, &module);
    let first = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(
        first
            .stderr
            .contains("RuntimeError: WAREHOUSE_TOKEN is not set"),
        "{}",
        first.stderr
    );
    assert!(!first.stderr.contains("remembered"), "{}", first.stderr);
    assert_eq!(loads(), 1);

    // Nothing changed: the same answer, without starting the location's Python again.
    let second = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("RuntimeError: WAREHOUSE_TOKEN is not set"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("remembered from the last load")
            && second.stderr.contains("`--refresh` loads it again"),
        "{}",
        second.stderr
    );
    assert!(
        second.stdout.contains("data_engineering_asset"),
        "{}",
        second.stdout
    );
    assert_eq!(loads(), 1, "the remembered failure started Python");
    // `dg check` and `dg list assets` read the same memory.
    assert_eq!(run(ctx.dg().args(["check"])).code, 1);
    assert_eq!(run(ctx.dg().args(["list", "assets"])).code, 1);
    assert_eq!(loads(), 1);

    // `--refresh` tries again; so does an edit to the location's code.
    assert_eq!(run(ctx.dg().args(["list", "defs", "--refresh"])).code, 1);
    assert_eq!(loads(), 2);
    ctx.write(broken, &format!("{module}# edited\n"));
    let edited = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(edited.code, 1);
    assert!(!edited.stderr.contains("remembered"), "{}", edited.stderr);
    assert_eq!(loads(), 3);

    // Exporting the missing credential is a change too: the location loads.
    let fixed = run(ctx
        .dg()
        .args(["list", "defs"])
        .env("WAREHOUSE_TOKEN", "secret"));
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert!(
        fixed.stdout.contains("data_science_asset"),
        "{}",
        fixed.stdout
    );
    assert_eq!(loads(), 4);
}

#[test]
fn a_missing_environment_says_run_dg_sync() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "error: 2 locations have no Python environment yet: data-engineering, data-science"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: run `dg sync`"), "{}", out.stderr);
    // One missing: named with its interpreter and its own `dg sync` hint.
    ctx.write(
        "projects/data-science/.env",
        &format!(
            "DG_PROJECT_PYTHON_EXECUTABLE={}\n",
            crate::common::fixture_envs().data_science.display()
        ),
    );
    let one = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(one.code, 1);
    assert!(
        one.stderr
            .contains("location `data-engineering` failed to load: the interpreter"),
        "{}",
        one.stderr
    );
    assert!(
        one.stderr.contains("run `dg sync data-engineering`"),
        "{}",
        one.stderr
    );
    assert!(one.stdout.contains("data_science_asset"), "{}", one.stdout);
}

#[test]
fn list_assets_shows_both_locations_and_the_cross_location_edge() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args(["list", "assets", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out.stdout);
    let ds = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "data_science_asset")
        .unwrap();
    assert_eq!(ds["location"], "data-science");
    assert_eq!(
        ds["upstream"],
        serde_json::json!([{"key": "data_engineering_asset", "location": "data-engineering", "cross_location": true}])
    );
    let table = run(ctx.dg().args(["list", "assets"]));
    let _snapshots = ctx.snapshots();
    insta::assert_snapshot!(table.stdout, @"
    KEY                      LOCATION          GROUP      KINDS           UPSTREAM (⇠ other location)
    cleaned_orders           data-engineering  ingestion  python          raw_orders
    data_engineering_asset   data-engineering  warehouse  duckdb, python  cleaned_orders
    data_science_asset       data-science      analytics  pandas, python  data_engineering_asset ⇠ data-engineering
    raw_orders               data-engineering  ingestion  json, python
    reports/regional_report  data-science      analytics  python          data_science_asset
    ");
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("data_science_asset")
                && l.contains("data_engineering_asset ⇠ data-engineering")),
        "{}",
        table.stdout
    );
}

#[test]
fn upstream_selection_crosses_locations() {
    let ctx = TestContext::with_envs();
    // From the workspace root and from inside data-science: the whole chain above.
    for dir in [".", "projects/data-science"] {
        let out = run(ctx.dg_in(dir).args([
            "list",
            "assets",
            "--json",
            "--select",
            "+key:data_science_asset",
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let keys: Vec<String> = json(&out.stdout)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                format!(
                    "{} @ {}",
                    a["key"].as_str().unwrap(),
                    a["location"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                "cleaned_orders @ data-engineering",
                "data_engineering_asset @ data-engineering",
                "data_science_asset @ data-science",
                "raw_orders @ data-engineering",
            ]
        );
    }
}

#[test]
fn bad_selection_points_at_the_column() {
    let ctx = TestContext::with_envs();
    let out = run(ctx
        .dg()
        .args(["list", "assets", "--select", "group:analytics and"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("group:analytics and\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("                   ^"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_location_that_hangs_is_stopped_at_the_timeout() {
    let ctx = TestContext::with_envs();
    // Warm first: only the edited location loads again, so a busy machine cannot push the
    // other one past the short timeout.
    assert_eq!(run(ctx.dg().args(["list", "defs", "--json"])).code, 0);
    ctx.write(
        "projects/data-science/src/data_science/defs/slow.py",
        "import time\ntime.sleep(600)\n",
    );
    let out = run(ctx
        .dg()
        .args(["list", "defs", "--json"])
        .env("DG_RS_LOAD_TIMEOUT", "8"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "location `data-science` failed to load: loading the location took longer than 8 s"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("DG_RS_LOAD_TIMEOUT"), "{}", out.stderr);
    // The other location still lists.
    assert!(json(&out.stdout)["assets"].as_array().unwrap().len() >= 3);
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let ctx = TestContext::with_envs();
    ctx.write(
        "projects/data-engineering/src/data_engineering/defs/typo.py",
        "import dagster as dg\n\ndef broken(:\n    pass\n",
    );
    let out = run(ctx.dg().args(["list", "defs"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("location `data-engineering` failed to load: SyntaxError"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("typo.py"), "{}", out.stderr);
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
    // data-science still lists, in the table on stdout.
    assert!(out.stdout.contains("data_science_asset"), "{}", out.stdout);
}

#[test]
fn a_launch_that_may_need_a_location_that_failed_is_refused_with_its_error() {
    let ctx = TestContext::with_envs();
    ctx.write(
        "projects/data-engineering/src/data_engineering/defs/broken.py",
        "import not_a_real_module_xyz\n",
    );
    let out = run(ctx.dg().args(["launch", "--assets", "data_science_asset"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("location `data-engineering` failed to load: ModuleNotFoundError"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "cannot launch: the plan depends on data_engineering_asset that no loaded location defines, and data-engineering failed to load"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: fix the location (see `dg check`)"),
        "{}",
        out.stderr
    );
}
