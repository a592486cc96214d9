//! `create-dagster` and `dg scaffold defs`: the trees equal real create-dagster 1.13.27's
//! (which the harness installs itself), registration keeps the workspace file's layout,
//! refusals exit 2 and write nothing, and the new-user flow works end to end with real
//! environments built by `dg sync`.

use crate::common::{TestContext, json, run};
#[cfg(feature = "tier-index")]
use crate::common::{repo_root, with_index_env};
#[cfg(feature = "tier-index")]
use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::Path;
#[cfg(feature = "tier-index")]
use std::path::PathBuf;
#[cfg(feature = "tier-index")]
use std::time::{Duration, Instant};

#[cfg(feature = "tier-index")]
const REAL_CREATE_DAGSTER_VERSION: &str = "1.13.27";

/// Real create-dagster 1.13.27 in a venv under target/, made once per machine with pip (under
/// a file lock, so parallel test processes wait for one install). Never skipped: if it cannot
/// be installed, the test fails with pip's output.
#[cfg(feature = "tier-index")]
fn real_create_dagster() -> &'static Path {
    static REAL: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let result = REAL.get_or_init(|| {
        let target = repo_root().join("target");
        std::fs::create_dir_all(&target).unwrap();
        let lock = std::fs::File::create(target.join("real-create-dagster.lock")).unwrap();
        lock.lock().unwrap();
        let venv = target.join(format!("real-create-dagster-{REAL_CREATE_DAGSTER_VERSION}"));
        let exe = venv.join("bin/create-dagster");
        let works = |exe: &Path| {
            crate::common::clean_command(exe)
                .arg("--version")
                .output()
                .is_ok_and(|o| {
                    String::from_utf8_lossy(&o.stdout).contains(REAL_CREATE_DAGSTER_VERSION)
                })
        };
        if works(&exe) {
            return Ok(exe);
        }
        let _ = std::fs::remove_dir_all(&venv);
        let steps: [Vec<String>; 2] = [
            vec![
                "python3".into(),
                "-m".into(),
                "venv".into(),
                venv.display().to_string(),
            ],
            vec![
                venv.join("bin/python").display().to_string(),
                "-m".into(),
                "pip".into(),
                "install".into(),
                "--disable-pip-version-check".into(),
                format!("create-dagster=={REAL_CREATE_DAGSTER_VERSION}"),
            ],
        ];
        for step in steps {
            let out = crate::common::clean_command(&step[0])
                .args(&step[1..])
                .output()
                .map_err(|e| format!("could not run {}: {e}", step[0]))?;
            if !out.status.success() {
                return Err(format!(
                    "could not install real create-dagster ({}):\n{}\n{}",
                    step.join(" "),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        if works(&exe) {
            Ok(exe)
        } else {
            Err(format!("{} was installed but does not run", exe.display()))
        }
    });
    match result {
        Ok(p) => p,
        Err(msg) => panic!("real create-dagster {REAL_CREATE_DAGSTER_VERSION} is needed: {msg}"),
    }
}

#[cfg(feature = "tier-index")]
fn real_in(dir: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(real_create_dagster());
    cmd.current_dir(dir).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    // Keep real create-dagster's telemetry and update check out of the user's home.
    cmd.env("HOME", home);
    cmd.env("DAGSTER_DG_UPDATE_CHECK_ENABLED", "0");
    cmd
}

/// Every file (with its bytes) and folder below `root`, by relative path.
fn tree(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{rel}/"), None);
                walk(root, &path, out);
            } else {
                out.insert(rel, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

/// `project_id: <uuid4>` → a fixed value, after checking it is a random (v4) UUID.
#[cfg(feature = "tier-index")]
fn without_telemetry_uuid(
    mut t: BTreeMap<String, Option<Vec<u8>>>,
) -> BTreeMap<String, Option<Vec<u8>>> {
    for (path, bytes) in t.iter_mut() {
        if path.ends_with(".dg/telemetry.yaml") {
            let text = String::from_utf8(bytes.take().unwrap()).unwrap();
            let id = text
                .strip_prefix("project_id: ")
                .and_then(|s| s.strip_suffix('\n'))
                .unwrap_or_else(|| panic!("{path}: {text:?}"));
            let parts: Vec<&str> = id.split('-').collect();
            let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            assert_eq!(lens, [8, 4, 4, 4, 12], "{path}: {id}");
            assert!(parts[2].starts_with('4'), "{path}: not a v4 uuid: {id}");
            *bytes = Some(b"project_id: <uuid4>\n".to_vec());
        }
    }
    t
}

/// The same commands with real create-dagster 1.13.27 and ours give the same files, byte for
/// byte (the random telemetry id aside): a workspace with two projects, and a standalone one.
#[cfg(feature = "tier-index")]
#[test]
fn trees_equal_real_create_dagster() {
    let real = TestContext::empty();
    let ours = TestContext::empty();
    let home = real.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let steps: [(&str, &[&str]); 4] = [
        (".", &["workspace", "my-ws", "--no-uv-sync"]),
        (
            "my-ws",
            &["project", "projects/data-engineering", "--no-uv-sync"],
        ),
        (
            "my-ws",
            &["project", "projects/data-science", "--no-uv-sync"],
        ),
        (".", &["project", "solo-project", "--no-uv-sync"]),
    ];
    for (dir, args) in steps {
        let r = run(real_in(&real.path(dir), &home).args(args));
        assert_eq!(
            r.code, 0,
            "real create-dagster {args:?}: {}{}",
            r.stdout, r.stderr
        );
        let o = run(ours.create_dagster_in(dir).args(args));
        assert_eq!(o.code, 0, "our create-dagster {args:?}: {}", o.stderr);
    }
    for name in ["my-ws", "solo-project"] {
        let expected = without_telemetry_uuid(tree(&real.path(name)));
        let actual = without_telemetry_uuid(tree(&ours.path(name)));
        assert_eq!(
            actual.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{name}: the file lists differ"
        );
        for (path, bytes) in &expected {
            assert_eq!(
                actual[path]
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                bytes
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned()),
                "{name}/{path} differs from real create-dagster's"
            );
        }
    }
}

#[test]
fn python_and_dagster_version_options() {
    let ctx = TestContext::empty();
    let out = run(ctx.create_dagster_in(".").args([
        "project",
        "proj",
        "--python",
        "3.11",
        "--dagster-version",
        "1.12.22",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "", "status goes to stderr");
    let text = std::fs::read_to_string(ctx.path("proj/pyproject.toml")).unwrap();
    insta::assert_snapshot!(text, @r#"
    [project]
    name = "proj"
    requires-python = ">=3.11,<3.12"
    version = "0.1.0"
    dependencies = [
        "dagster==1.12.22",
    ]

    [dependency-groups]
    dev = [
        "dagster-dg-cli==1.12.22",
        "dagster-webserver==1.12.22",
    ]

    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"

    [tool.hatch.build.targets.wheel]
    force-include = { "pyproject.toml" = "pyproject.toml" }

    [tool.dg]
    directory_type = "project"

    [tool.dg.project]
    root_module = "proj"
    registry_modules = [
        "proj.components.*",
    ]

    [tool.dg-rs]
    python = "3.11"
    "#);
    // Real dg's validator must still accept the file: our key lives outside [tool.dg].
    let listed = run(ctx.dg_in("proj").args(["list", "projects", "--json"]));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let v = json(&listed.stdout);
    assert_eq!(v[0]["requires_python"], ">=3.11,<3.12");
    assert_eq!(v[0]["dagster_requirement"], "dagster==1.12.22");
}

fn register_into(dg_toml: &str) -> String {
    let ctx = TestContext::empty();
    ctx.write("dg.toml", dg_toml);
    let out = run(ctx
        .create_dagster_in(".")
        .args(["project", "projects/new-one"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(ctx.path("projects/new-one/pyproject.toml").is_file());
    std::fs::read_to_string(ctx.path("dg.toml")).unwrap()
}

#[test]
fn registration_keeps_comments_in_an_array_of_tables() {
    let before = r#"# The analytics workspace
directory_type = "workspace"

[workspace]
# projects, in the order the UI shows them
[[workspace.projects]]
path = "projects/ingest"   # raw data

[cli]
verbose = false
"#;
    insta::assert_snapshot!(register_into(before), @r#"
    # The analytics workspace
    directory_type = "workspace"

    [workspace]
    # projects, in the order the UI shows them
    [[workspace.projects]]
    path = "projects/ingest"   # raw data

    [[workspace.projects]]
    path = "projects/new-one"

    [cli]
    verbose = false
    "#);
}

#[test]
fn registration_creates_the_list_after_the_workspace_table() {
    let before = r#"directory_type = "workspace"

# settings below
[workspace]

# app settings
[cli]
verbose = false
"#;
    insta::assert_snapshot!(register_into(before), @r#"
    directory_type = "workspace"

    # settings below
    [workspace]

    [[workspace.projects]]
    path = "projects/new-one"

    # app settings
    [cli]
    verbose = false
    "#);
}

#[test]
fn registration_extends_a_multi_line_inline_array() {
    let before = r#"directory_type = "workspace" # root

[workspace]
projects = [
    # the first one
    { path = "projects/ingest" },
]
"#;
    insta::assert_snapshot!(register_into(before), @r#"
    directory_type = "workspace" # root

    [workspace]
    projects = [
        # the first one
        { path = "projects/ingest" },
        { path = "projects/new-one" },
    ]
    "#);
}

#[test]
fn registration_extends_a_one_line_inline_array() {
    let before = "directory_type = \"workspace\"\n\n[workspace]\nprojects = [{ path = \"projects/ingest\" }]  # keep\n";
    insta::assert_snapshot!(register_into(before), @r#"
    directory_type = "workspace"

    [workspace]
    projects = [{ path = "projects/ingest" }, { path = "projects/new-one" }]  # keep
    "#);
}

/// A refusal exits 2, explains itself with a hint, and writes nothing.
fn refused(ctx: &TestContext, dir: &str, args: &[&str]) -> String {
    let before = tree(&ctx.root);
    let out = run(ctx.create_dagster_in(dir).args(args));
    assert_eq!(out.code, 2, "{args:?} should be refused: {}", out.stderr);
    assert!(out.stderr.contains("hint: "), "{}", out.stderr);
    assert_eq!(tree(&ctx.root), before, "{args:?} changed files");
    out.stderr
        .replace(&ctx.root.display().to_string(), "[ROOT]")
}

#[test]
fn refusals_exit_2_and_write_nothing() {
    let ctx = TestContext::empty();
    let out = run(ctx.create_dagster_in(".").args(["workspace", "ws"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(ctx.create_dagster_in("ws").args(["project", "projects/a"]));
    assert_eq!(out.code, 0, "{}", out.stderr);

    insta::assert_snapshot!(refused(&ctx, "ws", &["project", "projects/a"]), @r#"
    error: the workspace already lists a project at `projects/a`
      at dg.toml:6:8
        |
      6 | path = "projects/a"
        |        ^^^^^^^^^^^^
      hint: pick another path, or remove the entry if the project is gone
    "#);
    // The same entry spelled differently is the same project.
    assert!(refused(&ctx, "ws", &["project", "./projects/x/../a/"]).contains("already lists"));
    // An unlisted folder that exists.
    std::fs::create_dir_all(ctx.path("ws/projects/taken")).unwrap();
    insta::assert_snapshot!(refused(&ctx, "ws", &["project", "projects/taken"]), @r"
    error: a file or directory already exists at [ROOT]/ws/projects/taken
      hint: choose a new path; create-dagster never writes into an existing folder (except `.`, the current directory, where it adds only files that do not exist)
    ");
    insta::assert_snapshot!(refused(&ctx, "ws", &["project", "projects/2fast"]), @r"
    error: `2fast` cannot be a project name: `2fast` is not a Python identifier
      hint: use letters, digits, `-` and `_`, starting with a letter (like `data-science`); the name becomes a Python package with `-` replaced by `_`
    ");
    assert!(refused(&ctx, "ws", &["project", "projects/import"]).contains("a Python keyword"));
    insta::assert_snapshot!(refused(&ctx, "ws/projects", &["project", "../../elsewhere"]), @r"
    error: [ROOT]/elsewhere is outside the workspace at [ROOT]/ws that the current directory belongs to
      hint: create it below the workspace root (like `projects/NAME`), or run create-dagster outside the workspace for a standalone project
    ");
    insta::assert_snapshot!(refused(&ctx, "ws", &["project", "."]), @r"
    error: [ROOT]/ws is the workspace root; a project cannot be the workspace itself
      hint: create the project in a folder below it, like `projects/NAME`
    ");
    insta::assert_snapshot!(refused(&ctx, "ws/projects", &["workspace", "inner"]), @r"
    error: [ROOT]/ws/projects/inner is inside the workspace at [ROOT]/ws
      hint: workspaces cannot be nested: create the workspace elsewhere, or add a project to this one with `create-dagster project projects/NAME`
    ");
    assert!(refused(&ctx, ".", &["workspace", "ws"]).contains("inside the workspace"));
    assert!(
        refused(&ctx, "ws", &["project", "projects/b", "--python", "3"])
            .contains("`3` is not a Python version")
    );
    assert!(
        refused(
            &ctx,
            "ws",
            &["project", "projects/b", "--dagster-version", "latest"]
        )
        .contains("`latest` is not a Dagster version")
    );
    // `.` adds files to an existing folder, but never replaces one.
    ctx.write("solo/README.md", "mine\n");
    assert!(refused(&ctx, "solo", &["project", "."]).contains("README.md already exists"));
    // stdin is not a terminal: no question, even without --no-uv-sync.
    let out = run(ctx.create_dagster_in(".").args(["project", "fresh"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn scaffold_defs_writes_real_dg_stubs() {
    let ctx = TestContext::empty();
    let out = run(ctx.create_dagster_in(".").args(["project", "proj"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (kind, path) in [
        ("dagster.asset", "my_asset.py"),
        ("schedule", "my_schedule.py"),
        ("sensor", "my_sensor.py"),
        ("dagster.job", "my_job.py"),
        ("asset", "nested/deeper/thing.py"),
    ] {
        let out = run(ctx.dg_in("proj").args(["scaffold", "defs", kind, path]));
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            format!("Creating defs at src/proj/defs/{path}.\n")
        );
    }
    let out = run(ctx.dg_in("proj/src").args([
        "scaffold",
        "defs",
        "asset_check",
        "my_check.py",
        "--json-params",
        r#"{"asset_key": "my_asset"}"#,
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let defs = ctx.path("proj/src/proj/defs");
    let read = |p: &str| std::fs::read_to_string(defs.join(p)).unwrap();
    // Each text is what real `dg scaffold defs dagster.<type>` 1.13.27 writes.
    assert_eq!(
        read("my_asset.py"),
        "import dagster as dg\n\n\n@dg.asset\ndef my_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult: ...\n"
    );
    assert_eq!(
        read("nested/deeper/thing.py"),
        read("my_asset.py").replace("my_asset", "thing")
    );
    assert_eq!(
        read("my_check.py"),
        "import dagster as dg\n\n\n@dg.asset_check(asset=dg.AssetKey(['my_asset']))\ndef my_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult: ...\n"
    );
    assert_eq!(
        read("my_schedule.py"),
        "import dagster as dg\n\n\n@dg.schedule(cron_schedule=\"@daily\", target=\"*\")\ndef my_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:\n    return dg.SkipReason(\"Skipping. Change this to return a RunRequest to launch a run.\")\n"
    );
    assert_eq!(
        read("my_sensor.py"),
        "import dagster as dg\n\n\n@dg.sensor(target=None)\ndef my_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:\n    return dg.SensorResult()\n"
    );
    assert_eq!(
        read("my_job.py"),
        "import dagster as dg\n\n\n@dg.job\ndef my_job():\n    pass\n"
    );

    // Refusals: overwrite, no .py, escaping, unknown type, check without key, workspace root.
    let before = tree(&ctx.root);
    for (args, message) in [
        (vec!["asset", "my_asset.py"], "my_asset.py already exists"),
        (vec!["asset", "noext"], "`noext` does not end in `.py`"),
        (
            vec!["asset", "../escape.py"],
            "is not a path inside the defs folder",
        ),
        (
            vec!["asset", "bad-name.py"],
            "`bad-name` is not a Python identifier",
        ),
        (vec!["asset_check", "c.py"], "needs the key of the asset"),
    ] {
        let out = run(ctx.dg_in("proj").args(["scaffold", "defs"]).args(&args));
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("hint: "), "{args:?}: {}", out.stderr);
    }
    // A component type needs the project's environment, which this project has not got.
    let out =
        run(ctx
            .dg_in("proj")
            .args(["scaffold", "defs", "dagster.PythonScriptComponent", "x"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(out.stderr.contains("dg sync"), "{}", out.stderr);
    assert_eq!(
        tree(&ctx.root),
        before,
        "a refused scaffold wrote something"
    );
}

/// The issue's new-user flow, for real: a workspace, a Python 3.11 / Dagster 1.12 location
/// and a Python 3.12 / Dagster 1.13 location, an asset in each with a cross-location
/// dependency, `dg sync` with pip, the one asset graph, and real dg in each environment
/// accepting the scaffolded files. Then `dg sync` again starts no installer.
#[cfg(feature = "tier-index")]
#[test]
fn new_user_flow_end_to_end() {
    let ctx = TestContext::empty();
    let step = |dir: &str, args: &[&str]| {
        let out = run(ctx.create_dagster_in(dir).args(args));
        assert_eq!(out.code, 0, "create-dagster {args:?}: {}", out.stderr);
    };
    step(".", &["workspace", "ws"]);
    step(
        "ws",
        &[
            "project",
            "projects/data-engineering",
            "--python",
            "3.11",
            "--dagster-version",
            "1.12.22",
        ],
    );
    step(
        "ws",
        &["project", "projects/data-science", "--python", "3.12"],
    );
    let scaffold = |project: &str, args: &[&str]| {
        let out = run(ctx
            .dg_in(&format!("ws/projects/{project}"))
            .args(["scaffold", "defs"])
            .args(args));
        assert_eq!(out.code, 0, "dg scaffold defs {args:?}: {}", out.stderr);
    };
    scaffold("data-engineering", &["asset", "raw_orders.py"]);
    scaffold("data-science", &["dagster.asset", "order_forecast.py"]);
    scaffold(
        "data-science",
        &[
            "asset_check",
            "forecast_check.py",
            "--asset-key",
            "order_forecast",
        ],
    );
    scaffold("data-science", &["schedule", "daily.py"]);
    scaffold("data-science", &["sensor", "watch.py"]);
    scaffold("data-science", &["job", "nightly.py"]);
    let forecast = "ws/projects/data-science/src/data_science/defs/order_forecast.py";
    let text = std::fs::read_to_string(ctx.path(forecast)).unwrap();
    ctx.write(
        forecast,
        &text.replace(
            "@dg.asset\n",
            "@dg.asset(deps=[dg.AssetKey(\"raw_orders\")])\n",
        ),
    );

    let sync = run(with_index_env(&mut ctx.dg_in("ws")).args(["sync", "--json"]));
    assert_eq!(sync.code, 0, "dg sync: {}\n{}", sync.stdout, sync.stderr);
    let report = json(&sync.stdout);
    let versions: Vec<&str> = report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["python_version"].as_str().unwrap())
        .collect();
    assert!(
        versions[0].starts_with("3.11.") && versions[1].starts_with("3.12."),
        "{versions:?}"
    );

    let assets = run(ctx.dg_in("ws").args(["list", "assets", "--json"]));
    assert_eq!(assets.code, 0, "{}", assets.stderr);
    let v = json(&assets.stdout);
    let forecast = v
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "order_forecast")
        .expect("order_forecast listed");
    assert_eq!(forecast["location"], "data-science");
    assert_eq!(forecast["upstream"][0]["key"], "raw_orders");
    assert_eq!(forecast["upstream"][0]["location"], "data-engineering");
    assert_eq!(forecast["upstream"][0]["cross_location"], true);
    let table = run(ctx.dg_in("ws").args(["list", "assets"]));
    assert!(
        table.stdout.contains("raw_orders ⇠ data-engineering"),
        "{}",
        table.stdout
    );

    // Real dg (the dagster-dg-cli of each environment's dev group) accepts the files.
    for (project, dg_version, keys) in [
        ("data-engineering", "1.12.22", vec!["raw_orders"]),
        ("data-science", "1.13.27", vec!["order_forecast"]),
    ] {
        let dir = ctx.path(&format!("ws/projects/{project}"));
        let python = dir.join(".venv/bin/python");
        let out = crate::common::real_dg(&python, &dir, &["--version"]);
        assert!(out.stdout.contains(dg_version), "{project}: {}", out.stdout);
        let out = crate::common::real_dg(&python, &dir, &["list", "defs", "--json"]);
        assert_eq!(
            out.code, 0,
            "real dg list defs in {project}: {}",
            out.stderr
        );
        let defs = json(&out.stdout);
        let listed: Vec<&str> = defs["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["asset_key"].as_str().unwrap())
            .collect();
        for key in keys {
            assert!(listed.contains(&key), "{project}: {listed:?}");
        }
        if project == "data-science" {
            let forecast = defs["assets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["asset_key"] == "order_forecast")
                .unwrap();
            assert_eq!(forecast["dependency_keys"][0], "raw_orders");
            for (section, name) in [
                ("asset_checks", "forecast_check"),
                ("schedules", "daily"),
                ("sensors", "watch"),
                ("jobs", "nightly"),
            ] {
                assert!(
                    defs[section].to_string().contains(name),
                    "{section}: {}",
                    defs[section]
                );
            }
        }
    }

    // Again: nothing changed, so no installer starts. A `uv` that records being run is
    // first on PATH and forced as the installer, to prove it.
    let spy = ctx.path("spy");
    ctx.write(
        "spy/uv",
        &format!("#!/bin/sh\ntouch {}/ran\nexit 1\n", spy.display()),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(spy.join("uv"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        spy.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut fastest = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let again = run(ctx
            .dg_in("ws")
            .env("PATH", &path)
            .env("DG_RS_INSTALLER", "uv")
            .args(["sync", "--json"]));
        fastest = fastest.min(start.elapsed());
        assert_eq!(again.code, 0, "{}", again.stderr);
        let v = json(&again.stdout);
        for p in v["projects"].as_array().unwrap() {
            assert_eq!(p["action"], "up_to_date", "{p}");
            assert_eq!(p["installer"], serde_json::Value::Null, "{p}");
        }
    }
    assert!(
        !spy.join("ran").exists(),
        "a no-op dg sync started an installer"
    );
    assert!(
        fastest < Duration::from_millis(100),
        "no-op dg sync took {fastest:?}"
    );
}

/// Issue "workspace foundation": on a workspace made by real create-dagster 1.13, `dg list
/// projects` prints exactly what real `dg list projects` (dagster-dg-cli 1.13) prints, and
/// the JSON carries each project's defaults.
#[cfg(feature = "tier-index")]
#[test]
fn list_projects_equals_real_dg_on_a_real_create_dagster_workspace() {
    let ctx = TestContext::empty();
    let home = ctx.path("home");
    std::fs::create_dir_all(&home).unwrap();
    let made = real_in(&ctx.root, &home)
        .args(["workspace", "made-ws", "--no-uv-sync"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for project in ["projects/zeta-team", "projects/alpha-team"] {
        let out = real_in(&ctx.path("made-ws"), &home)
            .args(["project", project, "--no-uv-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let python = crate::common::fixture_envs().data_science.clone();
    for dir in [
        "made-ws",
        "made-ws/projects/alpha-team/src",
        "made-ws/deployments/local",
    ] {
        let ours = run(ctx.dg_in(dir).args(["list", "projects"]));
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        assert_eq!(ours.stdout, "projects/zeta-team\nprojects/alpha-team\n");
        if dir.ends_with("deployments/local") {
            continue; // real dg fails there (directory_type = "deployment"); we look past it
        }
        let real = crate::common::real_dg(&python, &ctx.path(dir), &["list", "projects"]);
        assert_eq!(real.code, 0, "{}", real.stderr);
        assert_eq!(ours.stdout, real.stdout, "in {dir}");
    }
    let v =
        crate::common::json(&run(ctx.dg_in("made-ws").args(["list", "projects", "--json"])).stdout);
    assert_eq!(v[1]["code_location_name"], "alpha-team");
    assert_eq!(v[1]["root_module"], "alpha_team");
    assert_eq!(v[1]["defs_module"], "alpha_team.defs");
    assert_eq!(
        v[1]["code_location_target_module"],
        "alpha_team.definitions"
    );
    assert_eq!(v[1]["dagster_requirement"], "dagster==1.13.27");
    assert_eq!(v[1]["requires_python"], ">=3.10,<3.15");
}
