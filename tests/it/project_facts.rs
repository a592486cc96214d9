//! `dg sync` on a project that `uv sync` builds and pip cannot: a `uv.lock` that pins older
//! releases than the index's newest, and a library that only `[tool.uv.sources]` knows
//! where to find (fixtures/uv-locked). uv is used from PATH, else installed once into the
//! user's cache by dg-rs itself, as on this machine.

use crate::common::*;

/// How many of the lock's registry packages the venv holds at the lock's version, and which
/// at another (the lock's packages for other platforms, pywin32 say, are not installed).
#[cfg(feature = "tier-index")]
const LOCK_CHECK: &str = r#"
import importlib.metadata as m, sys, tomllib
lock = tomllib.load(open(sys.argv[1], "rb"))
same, wrong = 0, []
for p in lock["package"]:
    if "registry" not in p.get("source", {}):
        continue
    try:
        have = m.version(p["name"])
    except m.PackageNotFoundError:
        continue
    if have == p["version"]:
        same += 1
    else:
        wrong.append(f"{p['name']}: locked {p['version']}, installed {have}")
print(same, wrong, m.version("sqlalchemy"))
"#;

#[cfg(feature = "tier-index")]
#[test]
fn a_uv_locked_project_with_a_path_source_builds_as_uv_sync_builds_it() {
    let ctx = TestContext::new("uv-locked");
    let lock = ctx.path("projects/orders/uv.lock");
    let locked = std::fs::read(&lock).unwrap();

    let sync = run(with_index_env(&mut ctx.dg()).args(["sync", "--json"]));
    assert_eq!(sync.code, 0, "{}\n{}", sync.stdout, sync.stderr);
    let report = json(&sync.stdout);
    assert_eq!(report["projects"][0]["installer"], "uv", "{report}");
    assert_eq!(report["projects"][0]["action"], "created", "{report}");

    let python = ctx.path("projects/orders/.venv/bin/python");
    let check = ctx
        .command(&python)
        .args(["-c", LOCK_CHECK])
        .arg(&lock)
        .output()
        .unwrap();
    let checked = String::from_utf8_lossy(&check.stdout);
    let (same, rest) = checked.trim().split_once(' ').unwrap_or(("0", ""));
    assert!(
        same.parse::<usize>().unwrap_or(0) >= 40,
        "{checked}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // None at another version; SQLAlchemy at the lock's 2.1.6, older than the index's
    // newest, which pip would have chosen.
    assert_eq!(rest, "[] 2.1.6", "{checked}");
    // The lock is read, never rewritten.
    assert_eq!(std::fs::read(&lock).unwrap(), locked);

    // The location loads, with the library only the sources table names.
    let defs = run(ctx.dg().args(["list", "defs", "--json"]));
    assert_eq!(defs.code, 0, "{}", defs.stderr);
    assert_eq!(
        json(&defs.stdout)["assets"][0]["description"],
        "Orders, read from warehouse.orders."
    );

    let again = run(with_index_env(&mut ctx.dg()).args(["sync", "--json"]));
    assert_eq!(json(&again.stdout)["projects"][0]["action"], "up_to_date");

    // pip cannot honour the lock: forcing it is refused before anything is touched.
    let pip = run(with_index_env(&mut ctx.dg())
        .env("DG_RS_INSTALLER", "pip")
        .args(["sync", "--force"]));
    assert_eq!(pip.code, 2, "{}", pip.stderr);
    assert!(
        pip.stderr
            .contains("orders: DG_RS_INSTALLER=pip, but pip cannot build this project as `uv sync` does: it is locked by uv.lock"),
        "{}",
        pip.stderr
    );

    // A dependency added without `uv lock`: the lock is stale, and the user is told to
    // update it; dg sync does not.
    let pyproject = ctx.path("projects/orders/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    std::fs::write(
        &pyproject,
        text.replace(
            "\"orders-common\",",
            "\"orders-common\",\n    \"tabulate\",",
        ),
    )
    .unwrap();
    let stale = run(with_index_env(&mut ctx.dg()).args(["sync"]));
    assert_eq!(stale.code, 1, "{}", stale.stderr);
    assert!(
        stale.stderr.contains("needs to be updated")
            && stale
                .stderr
                .contains("hint: uv.lock no longer matches pyproject.toml: run `uv lock`"),
        "{}",
        stale.stderr
    );
    assert_eq!(std::fs::read(&lock).unwrap(), locked);
}

/// One rule for which Python a project wants, as uv reads it: `[tool.dg-rs] python`, else
/// `.python-version`, else requires-python. `dg list projects`, the GitHub workflow and
/// `dg deploy` (and `dg sync`, which reads the same field) agree.
#[test]
fn a_python_version_file_is_the_python_every_command_builds_with() {
    let ctx = TestContext::new("workspace");
    let pyproject = ctx.path("projects/data-engineering/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    std::fs::write(
        &pyproject,
        text.replace(
            "requires-python = \">=3.11,<3.12\"",
            "requires-python = \">=3.10\"",
        ),
    )
    .unwrap();
    // Without the file the workflow would take the newest that requires-python allows, 3.13.
    ctx.write(
        "projects/data-engineering/.python-version",
        "cpython-3.11\n",
    );

    let projects = run(ctx.dg().args(["list", "projects", "--json"]));
    assert_eq!(projects.code, 0, "{}", projects.stderr);
    let v = json(&projects.stdout);
    let de = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "data-engineering")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(de["python_request"], "3.11", "{de:#}");

    let out = run(ctx.dg().args(["scaffold", "github-actions"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let workflow = std::fs::read_to_string(ctx.path(".github/workflows/dagster.yml")).unwrap();
    let wf: serde_norway::Value = serde_norway::from_str(&workflow).unwrap();
    assert_eq!(
        wf["jobs"]["check"]["steps"][1]["with"]["python-version"], "3.11\n3.12\n",
        "{workflow}"
    );
}

/// The dagster requirement is found as a parsed entry of `[project] dependencies`, so an
/// error about it points at that entry, not at the first text that starts with "dagster".
#[test]
fn an_unpinned_dagster_is_shown_at_its_own_entry() {
    let ctx = TestContext::new("workspace");
    let pyproject = ctx.path("projects/data-science/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    std::fs::write(
        &pyproject,
        text.replace(
            "    \"dagster==1.13.27\",",
            "    \"dagster-webserver\",\n    \"dagster>=1.13\",",
        ),
    )
    .unwrap();
    let out = run(ctx.dg().args(["deploy", "compose"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "location `data-science` does not pin an exact Dagster version (found `dagster>=1.13`)"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pyproject.toml:7:5"), "{}", out.stderr);
    assert!(out.stderr.contains("\"dagster>=1.13\","), "{}", out.stderr);
}
