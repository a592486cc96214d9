//! Component-built definitions end to end, through each location's own Dagster, on the
//! component fixture (`fixtures/components`): analytics builds its assets from a dbt project
//! (dagster_dbt.DbtProjectComponent over dbt-duckdb) and from a YAML-only
//! dagster.PythonScriptComponent; reporting's Python asset depends on a dbt model of analytics.

use crate::common::{TestContext, component_envs, json, real_dg_with, run};
use crate::launch::{latest_materializations, launch_id};
use serde_json::{Value, json};
use std::path::Path;

const DBT_DEFS: &str = "projects/analytics/src/analytics/defs/orders_dbt/defs.yaml";

/// Real dg in `dir` of the copy, with the copy's `src` first on the path (the environment has
/// the fixture itself installed) and the environment's `bin/` first on PATH, where
/// dagster-dbt finds the `dbt` executable (an activated environment, as dg-rs gives it).
fn real(python: &Path, dir: &Path, args: &[&str]) -> crate::common::Output {
    let project = dir
        .ancestors()
        .find(|d| d.join("pyproject.toml").exists())
        .expect("a project around the folder");
    let src = project.join("src");
    let bin = python.parent().expect("bin folder");
    let path = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    real_dg_with(
        python,
        dir,
        args,
        &[
            ("PYTHONPATH", src.to_str().unwrap()),
            ("PATH", path.to_str().unwrap()),
        ],
    )
}

fn strip_location(mut v: Value) -> Value {
    for section in v.as_object_mut().unwrap().values_mut() {
        for item in section.as_array_mut().unwrap() {
            item.as_object_mut().unwrap().remove("location");
        }
    }
    v
}

fn asset<'a>(listing: &'a Value, key: &str) -> &'a Value {
    listing["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["asset_key"] == key)
        .unwrap_or_else(|| panic!("no asset {key} in {listing}"))
}

#[test]
fn the_workspace_lists_dbt_models_yaml_assets_and_the_report_on_a_model_as_real_dg_does() {
    let ctx = TestContext::with_component_envs();
    let out = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let all = json(&out.stdout);
    let keys: Vec<(&str, &str)> = all["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["asset_key"].as_str().unwrap(),
                a["location"].as_str().unwrap(),
            )
        })
        .collect();
    // Reporting's stub of customer_revenue is resolved to the dbt model that owns the key.
    assert_eq!(
        keys,
        [
            ("customer_revenue", "analytics"),
            ("exchange_rates", "analytics"),
            ("finance/currency_codes", "analytics"),
            ("raw_orders", "analytics"),
            ("revenue_report", "reporting"),
            ("stg_orders", "analytics"),
        ]
    );
    // From dbt's manifest: the keys, the lineage of ref(), the kinds, the model's description.
    for (key, deps) in [
        ("raw_orders", json!([])),
        ("stg_orders", json!(["raw_orders"])),
        ("customer_revenue", json!(["stg_orders"])),
    ] {
        let a = asset(&all, key);
        assert_eq!(a["dependency_keys"], deps, "{key}");
        assert_eq!(a["kinds"], json!(["dbt", "duckdb"]), "{key}");
        assert_eq!(a["is_executable"], true, "{key}");
    }
    assert!(
        asset(&all, "customer_revenue")["description"]
            .as_str()
            .unwrap()
            .starts_with("Revenue per customer, built on the staged orders."),
        "{}",
        asset(&all, "customer_revenue")
    );
    // Declared in YAML alone.
    let rates = asset(&all, "exchange_rates");
    assert_eq!(rates["group_name"], "finance");
    assert_eq!(rates["kinds"], json!(["csv", "python"]));
    assert_eq!(
        rates["source"],
        "src/analytics/defs/exchange_rates/defs.yaml:1"
    );
    assert_eq!(
        asset(&all, "finance/currency_codes")["dependency_keys"],
        json!(["exchange_rates"])
    );
    let report = asset(&all, "revenue_report");
    assert_eq!(report["dependency_keys"], json!(["customer_revenue"]));
    assert_eq!(report["group_name"], "reporting");

    // Inside each project, our listing is real dg's (analytics: dbt parsed by real dg too).
    let envs = component_envs();
    for (project, python) in [
        ("analytics", &envs.analytics),
        ("reporting", &envs.reporting),
    ] {
        let dir = format!("projects/{project}");
        let ours = run(ctx.dg_in(&dir).args(["list", "defs", "--json"]));
        assert_eq!(ours.code, 0, "{project}: {}", ours.stderr);
        let theirs = real(python, &ctx.path(&dir), &["list", "defs", "--json"]);
        assert_eq!(theirs.code, 0, "real dg in {project}: {}", theirs.stderr);
        assert_eq!(
            strip_location(json(&ours.stdout)),
            json(&theirs.stdout),
            "{project} differs from real dg"
        );
    }
}

#[test]
fn check_yaml_passes_and_finds_a_typo_in_the_dbt_component_where_real_dg_does() {
    let ctx = TestContext::with_component_envs();
    let ok = run(ctx.dg().args(["check", "yaml"]));
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout
            .contains("All component YAML validated successfully (2 component files"),
        "{}",
        ok.stdout
    );

    let text = std::fs::read_to_string(ctx.path(DBT_DEFS)).unwrap();
    ctx.write(DBT_DEFS, &text.replace("  project:", "  projcet:"));
    let out = run(ctx.dg().args(["check", "yaml", "--json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    let problems: Vec<(u64, u64, &str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["file"], DBT_DEFS);
            assert_eq!(p["type"], "dagster_dbt.DbtProjectComponent");
            (
                p["line"].as_u64().unwrap(),
                p["column"].as_u64().unwrap(),
                p["yaml_path"].as_str().unwrap(),
                p["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (
                3,
                1,
                "attributes",
                "missing required attribute `project` of dagster_dbt.DbtProjectComponent"
            ),
            (
                4,
                3,
                "attributes.projcet",
                "`projcet` is not an attribute of dagster_dbt.DbtProjectComponent"
            ),
        ]
    );
    assert!(
        report["problems"][1]["hint"]
            .as_str()
            .unwrap()
            .starts_with("did you mean `project`?"),
        "{report}"
    );

    // Real dg, in the project, finds the same two problems on the same lines.
    let dir = ctx.path("projects/analytics");
    let theirs = real(&component_envs().analytics, &dir, &["check", "yaml"]);
    assert_eq!(theirs.code, 1, "{}{}", theirs.stdout, theirs.stderr);
    let mut lines: Vec<(u64, String)> = theirs
        .stdout
        .lines()
        .filter_map(|l| {
            let (file, rest) = l.split_once(':')?;
            let (line, what) = rest.split_once(" - ")?;
            assert!(file.ends_with("orders_dbt/defs.yaml"), "{l}");
            Some((line.parse().ok()?, what.to_string()))
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            (
                3,
                "dagster_dbt.DbtProjectComponent attributes 'project' is a required property"
                    .to_string()
            ),
            (
                4,
                "dagster_dbt.DbtProjectComponent attributes.projcet Additional properties are \
                 not allowed ('projcet' was unexpected)"
                    .to_string()
            ),
        ],
        "{}",
        theirs.stdout
    );
}

#[test]
fn scaffolding_a_dbt_component_writes_what_real_dg_writes() {
    let ours = TestContext::with_component_envs();
    let theirs = TestContext::with_component_envs();
    let python = &component_envs().analytics;
    let dir = "projects/analytics";
    // The scaffolder makes the dbt project's path relative to the project root, whether it is
    // given absolute or relative to where the command runs (the project, or a folder in it).
    let cases = [
        ("relative", "", "dbt_project".to_string()),
        ("from_src", "/src", "../dbt_project".to_string()),
        (
            "absolute",
            "",
            ours.path("projects/analytics/dbt_project")
                .display()
                .to_string(),
        ),
    ];
    for (name, subdir, project_path) in &cases {
        let cwd = format!("{dir}{subdir}");
        let params = json!({ "project_path": project_path }).to_string();
        let mut args = vec![
            "scaffold",
            "defs",
            "dagster_dbt.DbtProjectComponent",
            name,
            "--json-params",
            &params,
        ];
        let out = run(ours.dg_in(&cwd).args(&args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        // Real dg is given the same path inside its own copy.
        let their_params = json!({
            "project_path": project_path.replace(
                &ours.root.display().to_string(),
                &theirs.root.display().to_string(),
            )
        })
        .to_string();
        args[5] = &their_params;
        let real = real(python, &theirs.path(&cwd), &args);
        assert_eq!(real.code, 0, "real dg {args:?}: {}", real.stderr);
        for ctx in [&ours, &theirs] {
            let folder = ctx.path(&format!("{dir}/src/analytics/defs/{name}"));
            let files: Vec<_> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(files, ["defs.yaml"], "{}", folder.display());
        }
        let file = format!("{dir}/src/analytics/defs/{name}/defs.yaml");
        let written = std::fs::read(ours.path(&file)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&std::fs::read(theirs.path(&file)).unwrap()),
            "{name}"
        );
        assert_eq!(
            written,
            b"type: dagster_dbt.DbtProjectComponent\n\nattributes:\n  project: '{{ context.project_root }}/dbt_project'\n",
            "{name}"
        );
    }
    // The parameter as an option of its own, as real dg takes it.
    let args = [
        "scaffold",
        "defs",
        "dagster_dbt.DbtProjectComponent",
        "as_option",
        "--project-path",
        "dbt_project",
    ];
    let out = run(ours.dg_in(dir).args(args));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let real = real(python, &theirs.path(dir), &args);
    assert_eq!(real.code, 0, "real dg: {}", real.stderr);
    let file = format!("{dir}/src/analytics/defs/as_option/defs.yaml");
    assert_eq!(
        std::fs::read_to_string(ours.path(&file)).unwrap(),
        std::fs::read_to_string(theirs.path(&file)).unwrap()
    );
}

#[test]
fn launching_the_report_and_its_upstream_runs_dbt_then_the_report_into_one_instance() {
    let ctx = TestContext::with_component_envs();
    let envs = component_envs();
    let out = run(ctx.dg().args(["launch", "--assets", "+key:revenue_report"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("1 ") || l.starts_with("2 "))
        .collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    assert!(
        rows[0].contains("analytics")
            && rows[0].contains("customer_revenue, raw_orders, stg_orders")
            && rows[0].contains("succeeded"),
        "{}",
        out.stdout
    );
    assert!(
        rows[1].contains("reporting")
            && rows[1].contains("revenue_report")
            && rows[1].contains("succeeded"),
        "{}",
        out.stdout
    );
    // dbt itself ran the seed and both models, in the analytics step.
    assert!(
        out.stderr
            .contains("[step 1 analytics] Done. PASS=3 WARN=0 ERROR=0 SKIP=0"),
        "{}",
        out.stderr
    );
    let id = launch_id(&out.stdout);

    // Dagster (analytics' and reporting's) finds every materialization in the one instance:
    // the dbt models in step 1, then the report in step 2, in a later run.
    let home = ctx.path(".dg/dagster_home");
    let keys = [
        "raw_orders",
        "stg_orders",
        "customer_revenue",
        "revenue_report",
        "exchange_rates",
    ];
    for python in [&envs.analytics, &envs.reporting] {
        let found = latest_materializations(python, &home, &keys);
        for (key, step) in [
            ("raw_orders", "1"),
            ("stg_orders", "1"),
            ("customer_revenue", "1"),
            ("revenue_report", "2"),
        ] {
            let m = &found[key];
            assert!(!m.is_null(), "{key} not materialized ({python:?}): {found}");
            assert_eq!(m["launch_id"], id.as_str(), "{key}: {found}");
            assert_eq!(m["status"], "SUCCESS", "{key}: {found}");
            assert_eq!(m["step"], step, "{key}: {found}");
        }
        assert_eq!(
            found["raw_orders"]["run_id"],
            found["customer_revenue"]["run_id"]
        );
        assert_ne!(
            found["customer_revenue"]["run_id"],
            found["revenue_report"]["run_id"]
        );
        assert!(
            found["revenue_report"]["timestamp"].as_f64().unwrap()
                > found["customer_revenue"]["timestamp"].as_f64().unwrap(),
            "{found}"
        );
        // Not selected: not run.
        assert!(found["exchange_rates"].is_null(), "{found}");
    }

    // What dbt built, read back from its duckdb file (in the dbt project that
    // DbtProjectComponent prepared under the defs folder's local state, where dbt ran).
    let db = ctx.path(
        "projects/analytics/src/analytics/defs/.local_defs_state/\
         DbtProjectComponent__dbt_project__/project/target/jaffle.duckdb",
    );
    let query = "import duckdb, json, sys\n\
                 con = duckdb.connect(sys.argv[1], read_only=True)\n\
                 print(json.dumps(con.execute('select customer_id, orders, round(revenue, 2) from customer_revenue order by customer_id').fetchall()))\n";
    let rows = crate::common::clean_command(&envs.analytics)
        .args(["-c", query])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        rows.status.success(),
        "{}",
        String::from_utf8_lossy(&rows.stderr)
    );
    assert_eq!(
        json(&String::from_utf8_lossy(&rows.stdout)),
        json!([[1, 1, 25.0], [2, 2, 113.9], [3, 1, 5.25]])
    );
    assert!(
        ctx.path("projects/reporting/data/revenue_report.json")
            .exists()
    );

    // The YAML-only component runs its script through Dagster Pipes: both of its assets in
    // one run, reported by the script.
    let yaml = run(ctx.dg().args(["launch", "--assets", "key:exchange_rates+"]));
    assert_eq!(yaml.code, 0, "{}\n{}", yaml.stdout, yaml.stderr);
    let second = launch_id(&yaml.stdout);
    let found = latest_materializations(
        &envs.analytics,
        &home,
        &["exchange_rates", "finance/currency_codes", "revenue_report"],
    );
    for key in ["exchange_rates", "finance/currency_codes"] {
        assert_eq!(found[key]["launch_id"], second.as_str(), "{key}: {found}");
        assert_eq!(found[key]["status"], "SUCCESS", "{key}: {found}");
    }
    assert_eq!(
        found["exchange_rates"]["run_id"],
        found["finance/currency_codes"]["run_id"]
    );
    // The first launch's report is still the latest: history is kept.
    assert_eq!(found["revenue_report"]["launch_id"], id.as_str());
    assert_eq!(
        std::fs::read_to_string(ctx.path("projects/analytics/data/exchange_rates.csv")).unwrap(),
        "currency,rate\nEUR,1.0\nUSD,1.08\n"
    );
    // What dbt wrote (target/, the duckdb file, the local defs state) is git-ignored, so
    // the manifests the launches loaded are still the answer: no Python starts.
    let warm = run(ctx.dg().args(["--verbose", "list", "defs", "--json"]));
    assert_eq!(warm.code, 0, "{}", warm.stderr);
    for project in ["analytics", "reporting"] {
        assert!(
            warm.stderr
                .contains(&format!("{project}: manifest from cache")),
            "{}",
            warm.stderr
        );
    }
}
