use crate::common::{TestContext, run};

#[test]
fn lists_workspace_projects_like_real_dg() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args(["list", "projects"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "projects/data-engineering\nprojects/data-science\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn inside_a_project_still_lists_the_whole_workspace() {
    // Real dg prints every workspace project from inside one of them too.
    let ctx = TestContext::new("workspace");
    let out = run(ctx
        .dg_in("projects/data-science/src")
        .args(["list", "projects"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "projects/data-engineering\nprojects/data-science\n"
    );
}

#[test]
fn scaffolded_deployment_dir_is_not_a_root() {
    // Real dg fails inside deployments/local (directory_type = "deployment"); we look past it.
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg_in("deployments/local").args(["list", "projects"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2);
}

#[test]
fn target_path_flag_selects_the_workspace() {
    let ctx = TestContext::empty();
    let ws = crate::common::fixtures_dir().join("workspace");
    let out = run(ctx
        .dg()
        .args(["list", "projects", "--target-path"])
        .arg(&ws));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "projects/data-engineering\nprojects/data-science\n"
    );
}

#[test]
fn json_carries_every_project_field() {
    let ctx = TestContext::new("workspace");
    ctx.write(
        "projects/data-science/.env",
        "# the real dg backdoor\nDG_PROJECT_PYTHON_EXECUTABLE=../../envs/ds/bin/python\n",
    );
    let out = run(ctx.dg().args(["list", "projects", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = crate::common::json(&out.stdout);
    let de = &v[0];
    assert_eq!(de["name"], "data-engineering");
    assert_eq!(de["path"], "projects/data-engineering");
    assert_eq!(de["root_module"], "data_engineering");
    assert_eq!(de["code_location_name"], "data-engineering");
    assert_eq!(
        de["code_location_target_module"],
        "data_engineering.definitions"
    );
    assert_eq!(de["defs_module"], "data_engineering.defs");
    assert_eq!(de["requires_python"], ">=3.11,<3.12");
    assert_eq!(de["dagster_requirement"], "dagster==1.12.22");
    assert_eq!(de["interpreter"]["source"], "venv");
    assert_eq!(
        de["interpreter"]["path"],
        ctx.path("projects/data-engineering/.venv/bin/python")
            .display()
            .to_string()
    );
    assert_eq!(de["interpreter"]["exists"], false);
    assert_eq!(
        de["working_directory"],
        ctx.path("projects/data-engineering/src")
            .display()
            .to_string()
    );
    let ds = &v[1];
    assert_eq!(ds["interpreter"]["source"], "dotenv");
    assert_eq!(
        ds["interpreter"]["path"],
        ctx.path("projects/data-science/../../envs/ds/bin/python")
            .display()
            .to_string()
    );
}

#[test]
fn project_defaults_follow_real_dg() {
    // code_location_name defaults to the directory name (hyphen kept); defs_module falls back
    // to <root>.definitions when <root>.defs does not exist; no src/ means a flat layout.
    let ctx = TestContext::empty();
    ctx.write(
        "dg.toml",
        "directory_type = \"workspace\"\n[workspace]\nprojects = [{ path = \"my-proj\" }]\n",
    );
    ctx.write(
        "my-proj/pyproject.toml",
        "[tool.dg]\ndirectory_type = \"project\"\n[tool.dg.project]\nroot_module = \"my_proj\"\n",
    );
    ctx.write("my-proj/my_proj/__init__.py", "");
    ctx.write("my-proj/my_proj/definitions.py", "");
    let out = run(ctx.dg().args(["list", "projects", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = crate::common::json(&out.stdout);
    assert_eq!(v[0]["code_location_name"], "my-proj");
    assert_eq!(v[0]["defs_module"], "my_proj.definitions");
    assert_eq!(
        v[0]["working_directory"],
        ctx.path("my-proj").display().to_string()
    );
}

#[test]
fn standalone_project_prints_dot() {
    let ctx = TestContext::empty();
    ctx.write(
        "pyproject.toml",
        "[project]\nname = \"solo\"\n\n[tool.dg]\ndirectory_type = \"project\"\n\n[tool.dg.project]\nroot_module = \"solo\"\ncode_location_name = \"solo-loc\"\n",
    );
    let out = run(ctx.dg().args(["list", "projects"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, ".\n");
}

#[test]
fn dg_toml_shadows_pyproject_in_the_same_directory() {
    let ctx = TestContext::empty();
    ctx.write(
        "dg.toml",
        "directory_type = \"workspace\"\n[workspace]\n[[workspace.projects]]\npath = \"p\"\n",
    );
    // A broken [tool.dg] beside dg.toml is never read.
    ctx.write("pyproject.toml", "[tool.dg]\ndirectory_type = \"bogus\"\n");
    ctx.write(
        "p/dg.toml",
        "directory_type = \"project\"\n[project]\nroot_module = \"p\"\n",
    );
    let out = run(ctx.dg().args(["list", "projects"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "p\n");
}

#[test]
fn outside_any_workspace_is_a_clear_usage_error() {
    let ctx = TestContext::empty();
    let out = run(ctx.dg().args(["list", "projects"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no dg workspace or project found"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args(["list", "projcts"]));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("projects"), "{}", out.stderr);
}

/// Real dg (dagster-dg-cli 1.13, from the data-science environment's dev group) prints the
/// same lines for the same workspace, from the root and from inside a project.
#[cfg(feature = "tier-index")]
#[test]
fn output_equals_real_dg_list_projects() {
    let envs = crate::common::fixture_envs();
    let ctx = TestContext::new("workspace");
    ctx.write(
        "dg.toml",
        "directory_type = \"workspace\"\n\n[workspace]\nprojects = [\n    { path = \"projects/data-science\" },\n    { path = \"projects/data-engineering\" },\n]\n",
    );
    for dir in [".", "projects/data-engineering"] {
        let real =
            crate::common::real_dg(&envs.data_science, &ctx.path(dir), &["list", "projects"]);
        assert_eq!(real.code, 0, "{}", real.stderr);
        let ours = run(ctx.dg_in(dir).args(["list", "projects"]));
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        assert_eq!(ours.stdout, real.stdout, "in {dir}");
    }
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let ctx = TestContext::empty();
    // The harness sets NO_COLOR: plain text by default.
    let plain = run(ctx.dg().args(["list", "projects"]));
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
    let forced = run(ctx.dg().args(["--color", "always", "list", "projects"]));
    assert!(forced.stderr.contains("\u{1b}[31m"), "{:?}", forced.stderr);
    let never = run(ctx
        .dg()
        .env_remove("NO_COLOR")
        .args(["--color", "never", "list", "projects"]));
    assert!(!never.stderr.contains('\u{1b}'), "{:?}", never.stderr);
}
