//! `dg list components` and `dg list registry-modules` against real dg in real environments
//! (Dagster 1.12 and 1.13 side by side).

use crate::common::{TestContext, fixture_envs, json, real_dg_with, run};
use serde_json::Value;
use std::path::Path;

/// Each location of the fixture with its environment's interpreter (Dagster 1.12, 1.13).
fn locations() -> [(&'static str, &'static Path); 2] {
    let envs = fixture_envs();
    [
        ("data-engineering", &envs.data_engineering),
        ("data-science", &envs.data_science),
    ]
}

fn strip_location(mut v: Value) -> Value {
    for item in v["items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("location");
    }
    v
}

/// Real dg run in `dir` of the copied workspace. The fixture environments have each project
/// installed from the fixture itself, so the copy's `src` goes first on the path to let real
/// dg see the copy's own component types, as dg-rs does.
fn real(python: &Path, dir: &Path, args: &[&str]) -> Value {
    let out = real_dg_with(python, dir, args, &[("PYTHONPATH", "src")]);
    assert_eq!(out.code, 0, "real dg {args:?} failed: {}", out.stderr);
    json(&out.stdout)
}

/// A component type of the data-science project's own, where its `registry_modules`
/// pattern (`data_science.components.*`) finds it.
fn forecast_component(ctx: &TestContext) {
    ctx.write(
        "projects/data-science/src/data_science/components/__init__.py",
        "",
    );
    ctx.write(
        "projects/data-science/src/data_science/components/forecast.py",
        "import dagster as dg\n\n\nclass ForecastComponent(dg.Component):\n    \"\"\"Forecasts orders for the data-science team.\n\n    More words.\n    \"\"\"\n\n    def build_defs(self, context):\n        return dg.Definitions()\n",
    );
}

#[test]
fn use_component_modules_replaces_the_entry_points_as_in_real_dg() {
    let ctx = TestContext::with_envs();
    forecast_component(&ctx);
    ctx.append(
        "dg.toml",
        "\n[cli]\nuse_component_modules = [\"data_science.components.forecast\"]\n",
    );
    let (_, python) = locations()[1];
    let dir = "projects/data-science";
    for args in [
        &["list", "components", "--json"][..],
        &["list", "registry-modules", "--json"],
    ] {
        let out = run(ctx.dg_in(dir).args(args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let ours = strip_location(json(&out.stdout));
        assert_eq!(ours, real(python, &ctx.path(dir), args), "{args:?}");
    }
    let out = run(ctx.dg_in(dir).args(["list", "components", "--json"]));
    let keys: Vec<String> = json(&out.stdout)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["data_science.components.forecast.ForecastComponent"]);
}

#[test]
fn inside_each_project_the_lists_equal_real_dg_in_both_dagster_versions() {
    let ctx = TestContext::with_envs();
    forecast_component(&ctx);
    for (project, python) in locations() {
        let dir = format!("projects/{project}");
        for args in [
            &["list", "components", "--json"][..],
            &["list", "components", "--package", "dagster", "--json"],
            &["list", "components", "--package", "data_science", "--json"],
            &["list", "registry-modules", "--json"],
        ] {
            let out = run(ctx.dg_in(&dir).args(args));
            assert_eq!(out.code, 0, "{project} {args:?}: {}", out.stderr);
            let ours = json(&out.stdout);
            for item in ours["items"].as_array().unwrap() {
                assert_eq!(item["location"], project, "{args:?}");
            }
            let expected = real(python, &ctx.path(&dir), args);
            assert_eq!(strip_location(ours), expected, "{project} {args:?}");
        }
    }
    // The project's own type is there, in its location only, with its docstring's summary.
    let out = run(ctx
        .dg_in("projects/data-science")
        .args(["list", "components"]));
    assert!(
        out.stdout
            .contains("data_science.components.forecast.ForecastComponent  Forecasts orders"),
        "{}",
        out.stdout
    );
}

#[test]
fn at_the_workspace_root_one_table_says_which_locations_offer_each_type() {
    let ctx = TestContext::with_envs();
    forecast_component(&ctx);
    let out = run(ctx.dg().args(["--verbose", "list", "components"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().map(str::trim_end).collect();
    assert!(
        lines[0].starts_with("KEY") && lines[0].ends_with("LOCATIONS"),
        "{}",
        out.stdout
    );
    let row = |key: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no row for {key}:\n{}", out.stdout))
            .to_string()
    };
    assert!(row("dagster.DefsFolderComponent").ends_with("data-engineering, data-science"));
    let own = row("data_science.components.forecast.ForecastComponent");
    assert!(own.ends_with("  data-science"), "{own}");
    assert!(!own.contains("data-engineering"), "{own}");
    assert!(
        out.stderr
            .contains("data-science: component registry read (dagster 1.13"),
        "{}",
        out.stderr
    );
    // Warm: from the cache, no Python started.
    let again = run(ctx.dg().args(["--verbose", "list", "components"]));
    assert_eq!(again.stdout, out.stdout);
    assert!(
        again
            .stderr
            .contains("data-engineering: component registry from cache")
            && again
                .stderr
                .contains("data-science: component registry from cache"),
        "{}",
        again.stderr
    );
    // A new type in the project's source is seen without --refresh.
    ctx.write(
        "projects/data-science/src/data_science/components/weekly.py",
        "import dagster as dg\n\n\nclass WeeklyComponent(dg.Component):\n    \"\"\"Weekly rollups.\"\"\"\n\n    def build_defs(self, context):\n        return dg.Definitions()\n",
    );
    let changed = run(ctx.dg().args(["--verbose", "list", "components", "--json"]));
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let keys: Vec<String> = json(&changed.stdout)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["location"].as_str().unwrap(),
                i["key"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        keys.contains(&"data-science data_science.components.weekly.WeeklyComponent".to_string()),
        "{keys:?}"
    );
    assert!(
        changed
            .stderr
            .contains("data-engineering: component registry from cache")
    );
    assert!(
        changed
            .stderr
            .contains("data-science: component registry read")
    );
    let modules = run(ctx.dg().args(["list", "registry-modules"]));
    assert!(
        modules
            .stdout
            .contains("data_science.components.forecast  data-science"),
        "{}",
        modules.stdout
    );
}

#[test]
fn a_location_that_cannot_answer_is_an_error_the_others_are_still_listed() {
    let ctx = TestContext::with_envs();
    // A registry module that fails to import.
    ctx.write(
        "projects/data-science/src/data_science/components/__init__.py",
        "",
    );
    ctx.write(
        "projects/data-science/src/data_science/components/broken.py",
        "import dagster as dg\nraise RuntimeError('the forecasting service is down')\n",
    );
    let out = run(ctx.dg().args(["list", "components"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("dagster.DefsFolderComponent"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("data-engineering"), "{}", out.stdout);
    assert!(out.stderr.contains("data-science"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the forecasting service is down"),
        "{}",
        out.stderr
    );
    // The user's frame, not dg-rs's script.
    assert!(
        out.stderr.contains("components/broken.py\", line 2"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("/components.py\", line"),
        "{}",
        out.stderr
    );
    // Remembered: the same failure again, from the cache.
    let again = run(ctx.dg().args(["--verbose", "list", "components"]));
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("the forecasting service is down"),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("data-engineering: component registry from cache")
    );
}

#[test]
fn inspect_component_prints_what_real_dg_prints_for_every_type_in_both_versions() {
    let ctx = TestContext::with_envs();
    forecast_component(&ctx);
    for (project, python) in locations() {
        let dir = format!("projects/{project}");
        let listed = run(ctx.dg_in(&dir).args(["list", "components", "--json"]));
        let items = json(&listed.stdout)["items"].as_array().unwrap().clone();
        assert!(items.len() >= 6, "{project}: {items:?}");
        for item in items {
            let key = item["key"].as_str().unwrap();
            // Without a flag it prints the description and both schemas; the defs.yaml schema
            // is the one part it composes.
            for flag in [None, Some("--defs-yaml-json-schema")] {
                let mut args = vec!["utils", "inspect-component", key];
                args.extend(flag);
                let ours = run(ctx.dg_in(&dir).args(&args));
                assert_eq!(ours.code, 0, "{project} {args:?}: {}", ours.stderr);
                let real = real_dg_with(python, &ctx.path(&dir), &args, &[("PYTHONPATH", "src")]);
                assert_eq!(real.code, 0, "real dg {args:?}: {}", real.stderr);
                assert_eq!(ours.stdout, real.stdout, "{project} {args:?}");
            }
        }
    }
}

#[test]
fn inspect_component_at_the_root_asks_whose_definition_when_locations_differ() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args([
        "utils",
        "inspect-component",
        "dagster.PythonScriptComponent",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "`dagster.PythonScriptComponent` is defined differently in data-engineering \
             (dagster 1.12.22) and data-science (dagster 1.13.27)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("pass --location NAME"),
        "{}",
        out.stderr
    );
    let chosen = run(ctx.dg().args([
        "utils",
        "inspect-component",
        "dagster.PythonScriptComponent",
        "--location",
        "data-science",
        "--defs-yaml-json-schema",
    ]));
    assert_eq!(chosen.code, 0, "{}", chosen.stderr);
    let schema = json(&chosen.stdout);
    assert_eq!(schema["properties"]["type"]["type"], "string", "{schema}");
    assert!(schema["properties"]["attributes"]["properties"]["execution"].is_object());
    let typo = run(ctx
        .dg()
        .args(["utils", "inspect-component", "dagster.PythonScriptComponen"]));
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr
            .contains("no component type `dagster.PythonScriptComponen` is registered")
            && typo
                .stderr
                .contains("did you mean `dagster.PythonScriptComponent`?"),
        "{}",
        typo.stderr
    );
}

#[test]
fn scaffold_defs_of_any_type_writes_what_real_dg_writes_and_nothing_on_failure() {
    let ours = TestContext::with_envs();
    let theirs = TestContext::with_envs();
    let cases: &[(&str, &[&str])] = &[
        ("dagster.PythonScriptComponent", &["ingest/script"]),
        ("dagster.TemplatedSqlComponent", &["sql/orders"]),
        ("dagster.DefsFolderComponent", &["folder"]),
        (
            "dagster.PythonScriptComponent",
            &["as_python", "--format", "python"],
        ),
        // Scaffold parameters as options, one each (an array parameter repeats).
        (
            "dagster.multi_asset",
            &[
                "multi.py",
                "--asset-key",
                "orders",
                "--asset-key",
                "sales/daily",
            ],
        ),
        (
            "dagster.asset_check",
            &["check.py", "--asset-key", "orders"],
        ),
    ];
    for (project, python) in locations() {
        let dir = format!("projects/{project}");
        for (typename, rest) in cases {
            let mut args = vec!["scaffold", "defs", typename];
            args.extend_from_slice(rest);
            let out = run(ours.dg_in(&dir).args(&args));
            assert_eq!(out.code, 0, "{project} {args:?}: {}", out.stderr);
            assert!(out.stderr.contains("Creating defs at "), "{}", out.stderr);
            let real = real_dg_with(python, &theirs.path(&dir), &args, &[("PYTHONPATH", "src")]);
            assert_eq!(real.code, 0, "real dg {args:?}: {}", real.stderr);
        }
        // A short name one type has is enough.
        let short = run(ours
            .dg_in(&dir)
            .args(["scaffold", "defs", "FunctionComponent", "fn"]));
        assert_eq!(short.code, 0, "{}", short.stderr);
        let real = real_dg_with(
            python,
            &theirs.path(&dir),
            &["scaffold", "defs", "dagster.FunctionComponent", "fn"],
            &[("PYTHONPATH", "src")],
        );
        assert_eq!(real.code, 0, "{}", real.stderr);
    }
    for project in ["data-engineering", "data-science"] {
        let package = project.replace('-', "_");
        let defs = format!("projects/{project}/src/{package}/defs");
        let files = |ctx: &TestContext| {
            let root = ctx.path(&defs);
            let mut out: Vec<(String, String)> = walk(&root)
                .into_iter()
                .map(|p| {
                    let rel = p.strip_prefix(&root).unwrap().display().to_string();
                    (rel, std::fs::read_to_string(&p).unwrap())
                })
                .collect();
            out.sort();
            out
        };
        assert_eq!(files(&ours), files(&theirs), "{project}");
        assert!(
            files(&ours)
                .iter()
                .any(|(p, _)| p == "ingest/script/defs.yaml")
        );
    }
    // Parameters the scaffolder refuses: exit 2, nothing written, no staging folder left.
    let dir = "projects/data-science";
    let bad = run(ours.dg_in(dir).args([
        "scaffold",
        "defs",
        "dagster.PythonScriptComponent",
        "refused",
        "--json-params",
        "{\"nope\": 1}",
    ]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("invalid scaffold parameters for `dagster.PythonScriptComponent`")
            && bad.stderr.contains("--scaffold-params-schema"),
        "{}",
        bad.stderr
    );
    assert!(
        !ours
            .path("projects/data-science/src/data_science/defs/refused")
            .exists()
    );
    let leftovers: Vec<_> = std::fs::read_dir(ours.path(dir))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".dg-rs-scaffold-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An option the scaffolder does not take: exit 2, with what it takes.
    let bad = run(ours.dg_in(dir).args([
        "scaffold",
        "defs",
        "dagster.multi_asset",
        "nope.py",
        "--asset-kye",
        "a",
    ]));
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(
            "`--asset-kye` is not a parameter (did you mean `--asset-key`?); it takes --asset-key"
        ),
        "{}",
        bad.stderr
    );
    // An existing path is never touched; a typo gets "did you mean".
    let again =
        run(ours
            .dg_in(dir)
            .args(["scaffold", "defs", "dagster.DefsFolderComponent", "folder"]));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let typo = run(ours
        .dg_in(dir)
        .args(["scaffold", "defs", "dagster.PythonScriptComponen", "t"]));
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr
            .contains("did you mean `dagster.PythonScriptComponent`?"),
        "{}",
        typo.stderr
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if e.file_name() != "__pycache__" {
                out.extend(walk(&p));
            }
        } else {
            out.push(p);
        }
    }
    out
}
