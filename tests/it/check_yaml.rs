//! `dg check yaml` against real dg inside each project (Dagster 1.12 and 1.13), on 17
//! broken component files per project; and `dg check` running it first.

use crate::common::{TestContext, fixture_envs, json, real_dg_with, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Broken component files (folder below `defs/broken/`, text).
const CASES: &[(&str, &str)] = &[
    (
        "unknown_attribute",
        "type: dagster.TemplatedSqlComponent\nattributes:\n  sql_templat: select 1\n  connection: \"{{ context.load_component('conn') }}\"\n",
    ),
    (
        "missing_required",
        "type: dagster.TemplatedSqlComponent\nattributes:\n  sql_template: select 1\n",
    ),
    (
        "wrong_type_nested",
        "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: 5\n",
    ),
    (
        "unknown_type",
        "type: dagster.PythonScriptComponnt\nattributes: {}\n",
    ),
    (
        "top_level_typo",
        "type: dagster.PythonScriptComponent\nattribute:\n  execution:\n    path: x.py\n",
    ),
    (
        "attributes_list",
        "type: dagster.PythonScriptComponent\nattributes:\n  - execution\n",
    ),
    ("not_a_mapping", "- type: dagster.PythonScriptComponent\n"),
    (
        "syntax_error",
        "type: dagster.PythonScriptComponent\nattributes: [1\n",
    ),
    (
        "requirements_key",
        "type: dagster.DefsFolderComponent\nrequirements:\n  envs: [TOKEN]\n",
    ),
    (
        "post_processing_item",
        "type: dagster.DefsFolderComponent\npost_processing:\n  assets:\n    - 1\n",
    ),
    (
        "second_document",
        "type: dagster.DefsFolderComponent\n---\ntype: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: a.py\n  extra: 1\n",
    ),
    (
        "nested_list_for_string",
        "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: a.py\n    name: [a, b]\n",
    ),
    ("type_not_string", "type: 5\nattributes: {}\n"),
    (
        "unknown_root_attribute",
        "type: dagster.DefsFolderComponent\nattributes:\n  path: here\n",
    ),
    (
        "deprecated_component_yaml",
        "type: dagster.TemplatedSqlComponent\nattributes:\n  sql_template: 1\n",
    ),
    (
        "bad_template_variable",
        "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: \"{{ evn.SCRIPT }}\"\n",
    ),
    ("relative_unknown_type", "type: .NotHere\nattributes: {}\n"),
];

/// Real dg checks one document per component type and drops the others, so it is run on
/// groups of files of distinct types.
const ROUNDS: &[&[&str]] = &[
    &[
        "unknown_attribute",
        "wrong_type_nested",
        "unknown_root_attribute",
        "unknown_type",
        "top_level_typo",
        "attributes_list",
        "not_a_mapping",
        "requirements_key",
        "post_processing_item",
        "type_not_string",
    ],
    &["missing_required", "nested_list_for_string"],
    &["second_document"],
    &["deprecated_component_yaml", "bad_template_variable"],
];

/// Where dg-rs points deeper on purpose: real dg stops at a value that matches none of its
/// alternatives (`execution:`, line 3); dg-rs names the field inside it that is wrong.
const DEEPER: &[(&str, usize, usize)] = &[
    ("wrong_type_nested", 3, 4),
    ("nested_list_for_string", 3, 5),
];

/// What only dg-rs reports: real dg does not check templates, and crashes with a traceback
/// on a YAML parser error and on a relative type (it imports the wrong module).
const OURS_ONLY: &[(&str, usize)] = &[
    ("bad_template_variable", 4),
    ("syntax_error", 3),
    ("relative_unknown_type", 1),
];

fn file_name(case: &str) -> &'static str {
    if case == "deprecated_component_yaml" {
        "component.yaml"
    } else {
        "defs.yaml"
    }
}

fn write_cases(ctx: &TestContext) {
    for project in ["data-engineering", "data-science"] {
        let module = project.replace('-', "_");
        for (case, text) in CASES {
            ctx.write(
                &format!(
                    "projects/{project}/src/{module}/defs/broken/{case}/{}",
                    file_name(case)
                ),
                text,
            );
        }
    }
}

/// The lines of each case's problems in one listing of files (`…/broken/<case>/<file>`).
fn by_case<'a>(files: impl Iterator<Item = (&'a str, usize)>) -> BTreeMap<String, BTreeSet<usize>> {
    let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (file, line) in files {
        let case = file
            .split("broken/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        out.entry(case.to_string()).or_default().insert(line);
    }
    out
}

fn real_lines(python: &Path, dir: &Path, module: &str) -> BTreeMap<String, BTreeSet<usize>> {
    let mut all = BTreeMap::new();
    for round in ROUNDS {
        let mut args = vec!["check".to_string(), "yaml".into()];
        args.extend(
            round
                .iter()
                .map(|c| format!("src/{module}/defs/broken/{c}")),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = real_dg_with(python, dir, &args, &[("PYTHONPATH", "src")]);
        assert_eq!(
            out.code, 1,
            "real dg {args:?}: {}{}",
            out.stdout, out.stderr
        );
        assert!(
            !out.stderr.contains("Traceback"),
            "real dg crashed: {}",
            out.stderr
        );
        let found = out.stdout.lines().filter_map(|l| {
            let (file, rest) = l.split_once(':')?;
            let (line, _) = rest.split_once(" - ")?;
            Some((file, line.parse().ok()?))
        });
        all.extend(by_case(found));
    }
    all
}

#[test]
fn problems_are_on_the_lines_real_dg_finds_them_in_both_dagster_versions() {
    let ctx = TestContext::with_envs();
    write_cases(&ctx);
    let out = run(ctx.dg().args(["check", "yaml", "--json"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out.stdout);
    assert_eq!(report["ok"], false);
    assert_eq!(report["files"].as_array().unwrap().len(), 2 * CASES.len());
    let envs = fixture_envs();
    let locations = [
        ("data-engineering", &envs.data_engineering),
        ("data-science", &envs.data_science),
    ];
    std::thread::scope(|s| {
        let handles: Vec<_> = locations
            .iter()
            .map(|(project, python)| {
                let dir = ctx.path(&format!("projects/{project}"));
                s.spawn(move || {
                    (
                        project,
                        real_lines(python, &dir, &project.replace('-', "_")),
                    )
                })
            })
            .collect();
        for h in handles {
            let (project, real) = h.join().unwrap();
            let ours = by_case(
                report["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["location"] == **project)
                    .map(|p| {
                        (
                            p["file"].as_str().unwrap(),
                            p["line"].as_u64().unwrap() as usize,
                        )
                    }),
            );
            compare(project, &ours, &real);
        }
    });
}

fn compare(
    project: &str,
    ours: &BTreeMap<String, BTreeSet<usize>>,
    real: &BTreeMap<String, BTreeSet<usize>>,
) {
    for (case, _) in CASES {
        let mine = ours.get(*case).cloned().unwrap_or_default();
        let theirs = real.get(*case).cloned().unwrap_or_default();
        if let Some((_, real_line, our_line)) = DEEPER.iter().find(|d| d.0 == *case) {
            assert_eq!(
                theirs,
                BTreeSet::from([*real_line]),
                "{project} {case}: real dg moved"
            );
            assert_eq!(mine, BTreeSet::from([*our_line]), "{project} {case}");
        } else if let Some((_, line)) = OURS_ONLY.iter().find(|d| d.0 == *case) {
            assert!(
                theirs.is_empty(),
                "{project} {case}: real dg now reports {theirs:?}"
            );
            assert_eq!(mine, BTreeSet::from([*line]), "{project} {case}");
        } else {
            assert!(
                !theirs.is_empty(),
                "{project} {case}: real dg found nothing"
            );
            assert_eq!(mine, theirs, "{project} {case}: ours vs real dg's lines");
        }
    }
}

/// The problem of `case` in data-science at `yaml_path`.
fn problem<'a>(report: &'a Value, case: &str, yaml_path: &str) -> &'a Value {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["location"] == "data-science"
                && p["file"].as_str().unwrap().contains(&format!("/{case}/"))
                && p["yaml_path"] == yaml_path
        })
        .unwrap_or_else(|| panic!("no problem at {yaml_path} for {case}: {report}"))
}

#[test]
fn each_problem_says_where_what_and_what_to_do() {
    let ctx = TestContext::with_envs();
    write_cases(&ctx);
    let out = run(ctx
        .dg_in("projects/data-science")
        .args(["check", "yaml", "--json"]));
    let report = json(&out.stdout);
    // Inside a project: only that project's files.
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["location"] == "data-science")
    );
    let p = problem(&report, "unknown_attribute", "attributes.sql_templat");
    assert_eq!(
        p["message"],
        "`sql_templat` is not an attribute of dagster.TemplatedSqlComponent"
    );
    assert!(
        p["hint"]
            .as_str()
            .unwrap()
            .starts_with("did you mean `sql_template`?"),
        "{p}"
    );
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(3), Some(3))
    );
    let p = problem(&report, "unknown_type", "type");
    assert!(
        p["hint"]
            .as_str()
            .unwrap()
            .contains("did you mean `dagster.PythonScriptComponent`?")
    );
    let p = problem(
        &report,
        "bad_template_variable",
        "attributes.execution.path",
    );
    assert_eq!(p["message"], "unknown template variable `evn`");
    assert!(
        p["hint"]
            .as_str()
            .unwrap()
            .starts_with("did you mean `env`?")
    );
    let p = problem(&report, "relative_unknown_type", "type");
    assert_eq!(
        p["message"],
        "component type `data_science.defs.broken.relative_unknown_type.NotHere` not found in data-science's environment"
    );

    // The human report shows the line with a caret under the key, and a verdict.
    let out = run(ctx.dg_in("projects/data-science").args([
        "check",
        "yaml",
        "src/data_science/defs/broken/unknown_attribute",
    ]));
    assert_eq!(out.code, 1);
    let text = out.stdout.replace(['\\'], "/");
    assert!(
        text.contains(
            "error: `sql_templat` is not an attribute of dagster.TemplatedSqlComponent\n  at src/data_science/defs/broken/unknown_attribute/defs.yaml:3:3\n    |\n  3 |   sql_templat: select 1\n    |   ^^^^^^^^^^^\n  hint: did you mean `sql_template`?"
        ),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("Component YAML check failed: 2 problems in 1 file of 1 component file."),
        "{text}"
    );

    // GitHub annotations on the file and line; a JUnit case per file.
    let out = run(ctx.dg().args([
        "check",
        "yaml",
        "--format",
        "github",
        "--junit",
        "yaml.xml",
        "projects/data-science/src/data_science/defs/broken/unknown_type",
        "projects/data-science/src/data_science/defs/broken/requirements_key",
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("::error file=projects/data-science/src/data_science/defs/broken/unknown_type/defs.yaml,line=1,title=dg check yaml::component type `dagster.PythonScriptComponnt` not found"), "{}", out.stdout);
    let xml = std::fs::read_to_string(ctx.path("yaml.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    assert!(
        cases
            .iter()
            .all(|c| c.children().any(|n| n.has_tag_name("failure")))
    );

    // A path that does not exist is a usage error.
    let out = run(ctx.dg().args(["check", "yaml", "nowhere"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("nowhere: no such file or folder"),
        "{}",
        out.stderr
    );
}

#[test]
fn dg_check_runs_it_first_and_a_yaml_edit_starts_no_python() {
    let ctx = TestContext::with_envs();
    let file = "projects/data-science/src/data_science/defs/orders/defs.yaml";
    ctx.write(
        file,
        "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    path: run.py\n",
    );
    ctx.write(
        "projects/data-science/src/data_science/defs/orders/run.py",
        "print('hi')\n",
    );
    let out = run(ctx.dg().args(["check", "yaml"]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout.trim(),
        "All component YAML validated successfully (1 component file in 1 location)."
    );
    let cache = ctx.path(".dg/cache/components");
    let stamps = || -> Vec<_> {
        let mut v: Vec<_> = std::fs::read_dir(&cache)
            .unwrap()
            .flatten()
            .map(|e| (e.file_name(), e.metadata().unwrap().modified().unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = stamps();
    ctx.write(
        file,
        "type: dagster.PythonScriptComponent\nattributes:\n  execution:\n    pth: run.py\n",
    );
    let out = run(ctx.dg().args(["check"]));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("`pth` is not an attribute of `attributes.execution`"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("LOCATION"),
        "the definitions were loaded: {}",
        out.stdout
    );
    // The registry was read from its cache: editing a defs.yaml does not change what it
    // depends on.
    assert_eq!(stamps(), before);
    let out = run(ctx.dg().args(["check", "--no-check-yaml"]));
    assert!(
        out.stdout.contains("LOCATION"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}
