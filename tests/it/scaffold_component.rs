//! `dg scaffold component`, `dg scaffold defs inline-component` and `dg utils
//! configure-editor` against real dg in real environments (Dagster 1.12 and 1.13 side by
//! side): the same files, byte for byte, the new type usable at once, and the errors.

use crate::common::{Output, TestContext, fixture_envs, json, real_dg_with, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Each location of the fixture with its package and its environment's interpreter.
fn locations() -> [(&'static str, &'static str, &'static Path); 2] {
    let envs = fixture_envs();
    [
        (
            "data-engineering",
            "data_engineering",
            &envs.data_engineering,
        ),
        ("data-science", "data_science", &envs.data_science),
    ]
}

/// Real dg run in `dir` of a copied workspace, with the copy's sources first on the path.
fn real(python: &Path, ctx: &TestContext, dir: &str, args: &[&str]) -> Output {
    let out = real_dg_with(python, &ctx.path(dir), args, &[("PYTHONPATH", "src")]);
    assert_eq!(out.code, 0, "real dg {args:?}: {}", out.stderr);
    out
}

fn ours(ctx: &TestContext, dir: &str, args: &[&str]) -> Output {
    let out = run(ctx.dg_in(dir).args(args));
    assert_eq!(out.code, 0, "dg {args:?}: {}", out.stderr);
    out
}

/// Every file below `dir` (no `__pycache__`), relative, with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if e.file_name() != "__pycache__" {
                    walk(root, &p, out);
                }
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The project's pyproject.toml without its `registry_modules` (so the module has to be
/// added), with a comment that must survive the edit.
fn without_registry_modules(ctx: &TestContext, project: &str) {
    let file = format!("projects/{project}/pyproject.toml");
    let text = std::fs::read_to_string(ctx.path(&file)).unwrap();
    let start = text.find("registry_modules = [").unwrap();
    let end = start + text[start..].find("]\n").unwrap() + 2;
    let text = format!(
        "{}# the team's own settings\n{}",
        &text[..start],
        &text[end..]
    );
    ctx.write(&file, &text);
}

#[test]
fn component_types_are_written_as_real_dg_writes_them_in_both_dagster_versions() {
    let (mine, theirs) = (TestContext::with_envs(), TestContext::with_envs());
    // data-engineering has no registry_modules: the first module outside a pattern adds it.
    for ctx in [&mine, &theirs] {
        without_registry_modules(ctx, "data-engineering");
    }
    for (project, package, python) in locations() {
        let dir = format!("projects/{project}");
        let weekly = format!("{package}.lib.rollups.Weekly");
        let cases: [&[&str]; 3] = [
            &["scaffold", "component", "ForecastModel"],
            &["scaffold", "component", "ACMEWarehouseJob", "--no-model"],
            // Outside the pattern `<package>.components.*`: added to registry_modules.
            &["scaffold", "component", &weekly],
        ];
        for args in cases {
            let out = ours(&mine, &dir, args);
            assert!(
                out.stderr.contains("Scaffolded Dagster component at src/"),
                "{}",
                out.stderr
            );
            real(python, &theirs, &dir, args);
        }
        let src = format!("{dir}/src/{package}");
        assert_eq!(
            files(&mine.path(&src)),
            files(&theirs.path(&src)),
            "{project}"
        );
        let pyproject = format!("{dir}/pyproject.toml");
        let text = |ctx: &TestContext| std::fs::read_to_string(ctx.path(&pyproject)).unwrap();
        assert_eq!(text(&mine), text(&theirs), "{project}");
        assert!(
            text(&mine).contains(&format!("    \"{package}.lib.rollups\",\n]")),
            "{}",
            text(&mine)
        );
    }
    let de =
        std::fs::read_to_string(mine.path("projects/data-engineering/pyproject.toml")).unwrap();
    // Each module outside a pattern is listed, after the comment that ended the table.
    assert!(
        de.ends_with(
            "root_module = \"data_engineering\"\n# the team's own settings\nregistry_modules = [\n    \"data_engineering.components.forecast_model\",\n    \"data_engineering.components.acme_warehouse_job\",\n    \"data_engineering.lib.rollups\",\n]\n"
        ),
        "{de}"
    );
    let model = std::fs::read_to_string(
        mine.path("projects/data-science/src/data_science/components/forecast_model.py"),
    )
    .unwrap();
    assert!(model.contains("class ForecastModel(dg.Component, dg.Model, dg.Resolvable):"));
}

#[test]
fn a_new_type_is_listed_at_once_and_scaffolds_defs() {
    let ctx = TestContext::with_envs();
    let dir = "projects/data-science";
    // Warm the registry cache first: the new type must be seen without --refresh.
    let before = ours(&ctx, dir, &["list", "components", "--json"]);
    assert!(!before.stdout.contains("ForecastModel"));
    ours(&ctx, dir, &["scaffold", "component", "ForecastModel"]);
    ours(
        &ctx,
        dir,
        &["scaffold", "component", "data_science.lib.Custom"],
    );
    let listed = ours(&ctx, dir, &["--verbose", "list", "components", "--json"]);
    assert!(
        listed
            .stderr
            .contains("data-science: component registry read"),
        "{}",
        listed.stderr
    );
    let keys: Vec<String> = json(&listed.stdout)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect();
    for key in [
        "data_science.components.forecast_model.ForecastModel",
        // Listed through the registry_modules entry the edit added.
        "data_science.lib.Custom",
    ] {
        assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
    }
    let table = ours(&ctx, dir, &["list", "components"]);
    assert!(
        table.stdout.contains(
            "data_science.components.forecast_model.ForecastModel  COMPONENT SUMMARY HERE."
        ),
        "{}",
        table.stdout
    );
    // Instances of it, by full name and by its class name alone.
    ours(
        &ctx,
        dir,
        &[
            "scaffold",
            "defs",
            "data_science.components.forecast_model.ForecastModel",
            "forecast",
        ],
    );
    ours(&ctx, dir, &["scaffold", "defs", "Custom", "custom"]);
    let defs = "projects/data-science/src/data_science/defs";
    let yaml = std::fs::read_to_string(ctx.path(&format!("{defs}/forecast/defs.yaml"))).unwrap();
    assert!(
        yaml.starts_with("type: data_science.components.forecast_model.ForecastModel\n"),
        "{yaml}"
    );
    let real_dg = real(
        &fixture_envs().data_science,
        &ctx,
        dir,
        &["scaffold", "defs", "data_science.lib.Custom", "custom_real"],
    );
    assert_eq!(real_dg.code, 0);
    assert_eq!(
        files(&ctx.path(&format!("{defs}/custom"))),
        files(&ctx.path(&format!("{defs}/custom_real")))
    );
}

#[test]
fn inline_components_are_written_as_real_dg_writes_them_in_both_dagster_versions() {
    let (mine, theirs) = (TestContext::with_envs(), TestContext::with_envs());
    for (project, package, python) in locations() {
        let dir = format!("projects/{project}");
        for args in [
            &[
                "scaffold",
                "defs",
                "inline-component",
                "ingest/orders",
                "--typename",
                "OrdersComponent",
            ][..],
            &[
                "scaffold",
                "defs",
                "inline-component",
                "scripts",
                "--typename",
                "MyScript",
                "--superclass",
                "dagster.PythonScriptComponent",
            ],
        ] {
            let out = ours(&mine, &dir, args);
            assert!(
                out.stderr
                    .contains("Creating a Dagster inline component and corresponding component instance at src/"),
                "{}",
                out.stderr
            );
            real(python, &theirs, &dir, args);
        }
        let defs = format!("{dir}/src/{package}/defs");
        assert_eq!(
            files(&mine.path(&defs)),
            files(&theirs.path(&defs)),
            "{project}"
        );
    }
    let yaml = std::fs::read_to_string(
        mine.path("projects/data-science/src/data_science/defs/ingest/orders/defs.yaml"),
    )
    .unwrap();
    assert_eq!(
        yaml,
        "type: data_science.defs.ingest.orders.orders_component.OrdersComponent\nattributes: {}"
    );
    // An existing folder is never touched.
    let again = run(mine.dg_in("projects/data-science").args([
        "scaffold",
        "defs",
        "inline-component",
        "ingest/orders",
        "--typename",
        "Other",
    ]));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("ingest/orders already exists"),
        "{}",
        again.stderr
    );
}

#[test]
fn refusals_exit_2_with_what_to_do_and_write_nothing() {
    let ctx = TestContext::new("workspace");
    let dir = "projects/data-science";
    let components = ctx.path("projects/data-science/src/data_science/components");
    let pyproject = || std::fs::read_to_string(ctx.path(&format!("{dir}/pyproject.toml"))).unwrap();
    let before = pyproject();
    let refused = |dir: &str, args: &[&str], says: &[&str]| {
        let out = run(ctx.dg_in(dir).args(args));
        assert_eq!(out.code, 2, "{args:?}: {}\n{}", out.stdout, out.stderr);
        for s in says {
            assert!(
                out.stderr.contains(s),
                "{args:?}: expected {s:?} in\n{}",
                out.stderr
            );
        }
        assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    };
    refused(
        dir,
        &["scaffold", "component", "My-Comp"],
        &["`My-Comp` cannot name a component type: `My-Comp` is not a Python class name"],
    );
    refused(
        dir,
        &["scaffold", "component", "other_pkg.components.Thing"],
        &["must be nested under the root module `data_science`"],
    );
    refused(
        dir,
        &["scaffold", "component", "data_science.bad-part.Thing"],
        &["`bad-part` in `data_science.bad-part` is not a Python module name"],
    );
    refused(
        ".",
        &["scaffold", "component", "Thing"],
        &["dg scaffold component must run inside a project: this is the workspace root"],
    );
    assert!(!components.exists(), "nothing is written on a refusal");
    assert_eq!(pyproject(), before);
    // An existing module is never overwritten.
    ctx.write(
        "projects/data-science/src/data_science/components/thing.py",
        "# the team's code\n",
    );
    refused(
        dir,
        &["scaffold", "component", "Thing"],
        &[
            "a module `data_science.components.thing` already exists at",
            "src/data_science/components/thing.py",
            "choose a different name",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(components.join("thing.py")).unwrap(),
        "# the team's code\n"
    );
    // A package of that name too.
    ctx.write(
        "projects/data-science/src/data_science/components/pkg/__init__.py",
        "",
    );
    refused(dir, &["scaffold", "component", "Pkg"], &["components/pkg"]);
    refused(
        dir,
        &[
            "scaffold",
            "defs",
            "inline-component",
            "x",
            "--typename",
            "a-b",
        ],
        &["`a-b` is not a Python class name"],
    );
    refused(
        dir,
        &[
            "scaffold",
            "defs",
            "inline-component",
            "x",
            "--typename",
            "X",
            "--superclass",
            "PythonScriptComponent",
        ],
        &[
            "`PythonScriptComponent` is not a class to inherit from",
            "dagster.PythonScriptComponent",
        ],
    );
    assert!(
        !ctx.path("projects/data-science/src/data_science/defs/x")
            .exists()
    );
    // Outside any workspace or project.
    let outside = TestContext::empty();
    let out = run(outside.dg().args(["scaffold", "component", "Thing"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no dg workspace or project found"),
        "{}",
        out.stderr
    );
}

/// A fake editor command that records its arguments and lists no extensions.
fn fake_editor(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join(format!("{name}.log"));
    let exe = bin.join(name);
    std::fs::write(
        &exe,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap()
}

#[test]
fn configure_editor_writes_each_locations_schema_and_points_the_settings_at_it() {
    let ctx = TestContext::with_envs();
    ours(
        &ctx,
        "projects/data-science",
        &["scaffold", "component", "ForecastModel"],
    );
    let settings = ".vscode/settings.json";
    ctx.write(
        settings,
        "// The team's settings.\n{\n  \"editor.rulers\": [100], // wide\n  \"yaml.schemas\": {\n    \"other.json\": \"*.other.yaml\"\n  },\n}\n",
    );
    let (bin, log) = fake_editor(&ctx.root, "code");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = run(ctx
        .dg()
        .args(["utils", "configure-editor", "vscode"])
        .env("PATH", &path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("data-science: wrote projects/data-science/.dg/schema.json"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--list-extensions\n--install-extension redhat.vscode-yaml\n"
    );
    assert!(
        out.stderr
            .contains("Installed the redhat.vscode-yaml extension.")
    );
    let text = std::fs::read_to_string(ctx.path(settings)).unwrap();
    assert_eq!(
        text,
        "// The team's settings.\n{\n  \"editor.rulers\": [100], // wide\n  \"yaml.schemas\": {\n    \"other.json\": \"*.other.yaml\",\n    \"projects/data-engineering/.dg/schema.json\": [\"projects/data-engineering/src/data_engineering/defs/**/defs.y*ml\"],\n    \"projects/data-science/.dg/schema.json\": [\"projects/data-science/src/data_science/defs/**/defs.y*ml\"]\n  },\n}\n"
    );
    // A second run changes nothing in the settings.
    // Without the editor's command on PATH it says what to run.
    let empty = ctx.path("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let again = run(ctx
        .dg()
        .args(["utils", "configure-editor", "vscode"])
        .env("PATH", &empty));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(ctx.path(settings)).unwrap(), text);
    assert!(
        again.stderr.contains("`code` is not on PATH"),
        "{}",
        again.stderr
    );
    assert!(
        again
            .stderr
            .contains("code --install-extension redhat.vscode-yaml")
    );

    for (project, _, python) in locations() {
        let dir = format!("projects/{project}");
        let schema =
            json(&std::fs::read_to_string(ctx.path(&format!("{dir}/.dg/schema.json"))).unwrap());
        let types: Vec<&str> = schema["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["properties"]["type"]["const"].as_str().unwrap())
            .collect();
        // Every type real dg's schema has (it leaves out the project's own).
        let theirs = TestContext::with_envs();
        real(
            python,
            &theirs,
            &dir,
            &["utils", "generate-component-schema"],
        );
        let real_schema =
            json(&std::fs::read_to_string(theirs.path(&format!("{dir}/.dg/schema.json"))).unwrap());
        for r in real_schema["anyOf"].as_array().unwrap() {
            let name = r["$ref"].as_str().unwrap().trim_start_matches("#/$defs/");
            let key = real_schema["$defs"][name]["properties"]["type"]["const"]
                .as_str()
                .unwrap();
            assert!(types.contains(&key), "{project}: {key} not in {types:?}");
        }
        // It validates what the editor will check.
        let v = validator(&schema);
        let good = yaml(
            "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: script.py\n  assets:\n    - key: a\n",
        );
        let errors: Vec<String> = v.iter_errors(&good).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{project}: {errors:?}");
        let typo = yaml(
            "type: dagster.PythonScriptComponent\nattributes:\n  executoin:\n    path: script.py\n",
        );
        assert!(!v.is_valid(&typo), "{project}");
        assert!(
            !v.is_valid(&yaml("type: dagster.NoSuchComponent\n")),
            "{project}"
        );
    }
    let ds =
        json(&std::fs::read_to_string(ctx.path("projects/data-science/.dg/schema.json")).unwrap());
    let own = yaml("type: data_science.components.forecast_model.ForecastModel\nattributes: {}\n");
    assert!(validator(&ds).is_valid(&own));
}

#[test]
fn inside_a_project_configure_editor_configures_that_project() {
    let ctx = TestContext::with_envs();
    let (bin, log) = fake_editor(&ctx.root, "cursor");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = run(ctx
        .dg_in("projects/data-engineering")
        .args(["utils", "configure-editor", "cursor"])
        .env("PATH", &path));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(log.exists(), "cursor was run");
    assert_eq!(
        std::fs::read_to_string(ctx.path("projects/data-engineering/.vscode/settings.json"))
            .unwrap(),
        "{\n  \"yaml.schemas\": {\n    \".dg/schema.json\": [\"src/data_engineering/defs/**/defs.y*ml\"]\n  }\n}\n"
    );
    assert!(!ctx.path(".vscode").exists());
    assert!(!ctx.path("projects/data-science/.dg/schema.json").exists());
    // generate-component-schema writes where it is told.
    ours(
        &ctx,
        "projects/data-engineering",
        &[
            "utils",
            "generate-component-schema",
            "--output-path",
            "out/schema.json",
        ],
    );
    let written =
        std::fs::read_to_string(ctx.path("projects/data-engineering/out/schema.json")).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(ctx.path("projects/data-engineering/.dg/schema.json")).unwrap()
    );
}

#[test]
fn with_a_registry_entry_point_the_class_is_imported_in_its_package_as_real_dg_does() {
    let (mine, theirs) = (TestContext::with_envs(), TestContext::with_envs());
    let dir = "projects/data-science";
    for ctx in [&mine, &theirs] {
        ctx.append(
            &format!("{dir}/pyproject.toml"),
            "\n[project.entry-points.\"dagster_dg_cli.registry_modules\"]\ndata_science = \"data_science.lib\"\n",
        );
    }
    let before = std::fs::read_to_string(mine.path(&format!("{dir}/pyproject.toml"))).unwrap();
    for args in [
        &["scaffold", "component", "Thing"][..],
        &["scaffold", "component", "data_science.lib.more.Other"],
    ] {
        ours(&mine, dir, args);
        real(&fixture_envs().data_science, &theirs, dir, args);
    }
    let src = format!("{dir}/src/data_science");
    assert_eq!(files(&mine.path(&src)), files(&theirs.path(&src)));
    assert_eq!(
        std::fs::read_to_string(mine.path(&format!("{src}/lib/__init__.py"))).unwrap(),
        "from data_science.lib.thing import Thing as Thing\nfrom data_science.lib.more import Other as Other\n"
    );
    // registry_modules is left alone.
    let after = std::fs::read_to_string(mine.path(&format!("{dir}/pyproject.toml"))).unwrap();
    assert_eq!(after, before);
    let out =
        run(mine
            .dg_in(dir)
            .args(["scaffold", "component", "data_science.components.Elsewhere"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("must be nested under the registry entry point module `data_science.lib`"),
        "{}",
        out.stderr
    );
}
