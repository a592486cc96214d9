use crate::common::{TestContext, fixtures_dir, run};

/// Every case in fixtures/broken has an `expect` file: `at: <file>:<line>:<col>` and
/// `message: <text>`. Each must fail with exit 2, name that position and show that message,
/// and never panic.
#[test]
fn every_broken_config_names_file_line_and_column() {
    let mut cases: Vec<_> = std::fs::read_dir(fixtures_dir().join("broken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let ctx = TestContext::new(&format!("broken/{case}"));
        let expect = std::fs::read_to_string(ctx.path("expect")).unwrap();
        let field = |name: &str| {
            expect
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_else(|| panic!("{case}/expect lacks {name}"))
                .to_string()
        };
        let (at, message) = (field("at: "), field("message: "));
        let out = run(ctx.dg().args(["list", "projects"]));
        let ok = out.code == 2
            && out.stderr.contains(&format!("at {at}\n"))
            && out.stderr.contains(&message)
            && out.stderr.contains("hint:")
            && !out.stderr.contains("panicked")
            && out.stdout.is_empty();
        if !ok {
            failures.push(format!("{case}: exit {}\n{}", out.code, out.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
}

#[test]
fn check_toml_reports_every_problem_at_once() {
    let ctx = TestContext::empty();
    ctx.write(
        "dg.toml",
        "directory_type = \"workspace\"\n\n[workspace]\nprojcts = []\n\n[[workspace.projects]]\npath = \"a\"\n\n[[workspace.projects]]\npath = \"missing\"\n",
    );
    ctx.write(
        "a/pyproject.toml",
        "[tool.dg]\ndirectory_type = \"project\"\n\n[tool.dg.project]\nroot_modul = \"a\"\n",
    );
    let out = run(ctx.dg().args(["check", "toml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr, @r#"
    error: unknown key `projcts` in `workspace`
      at dg.toml:4:1
        |
      4 | projcts = []
        | ^^^^^^^
      hint: did you mean `projects`? (real dg rejects unknown keys too)
    error: unknown key `root_modul` in `tool.dg.project`
      at a/pyproject.toml:5:1
        |
      5 | root_modul = "a"
        | ^^^^^^^^^^
      hint: did you mean `root_module`? (real dg rejects unknown keys too)
    error: missing required key `tool.dg.project.root_module`
      at a/pyproject.toml:4:1
        |
      4 | [tool.dg.project]
        | ^^^^^^^^^^^^^^^^^
      hint: add `root_module = "..."` to this table
    error: project path `missing` does not exist
      at dg.toml:10:8
         |
      10 | path = "missing"
         |        ^^^^^^^^^
      hint: create it with `create-dagster project missing`, or remove this entry
    error: 4 problems found
    "#);
}

#[test]
fn check_toml_json_lists_files_or_problems() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args(["check", "toml", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = crate::common::json(&out.stdout);
    assert_eq!(v["ok"], true);
    assert_eq!(v["files"].as_array().unwrap().len(), 3);

    let broken = TestContext::new("broken/unknown-workspace-key");
    let out = run(broken.dg().args(["check", "toml", "--json"]));
    assert_eq!(out.code, 1);
    let v: serde_json::Value = crate::common::json(&out.stdout);
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["line"], 4);
    assert_eq!(v["problems"][0]["column"], 1);
    assert_eq!(out.stderr, "", "JSON mode keeps stderr clean");
}

/// dg.toml.example documents every key; it must stay a valid workspace file.
#[test]
fn the_documented_example_is_a_valid_workspace_file() {
    let ctx = TestContext::new("workspace");
    let example =
        std::fs::read_to_string(crate::common::repo_root().join("dg.toml.example")).unwrap();
    ctx.write("dg.toml", &example);
    let out = run(ctx.dg().args(["check", "toml"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("All 3 config files are valid"),
        "{}",
        out.stdout
    );
}
