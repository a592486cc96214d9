use super::*;
use crate::components::RegistryObject;

fn project(root: &Path) -> Project {
    Project::for_tests(root, "acme")
}

fn registry() -> Registry {
    let schema = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["sql_template"],
        "properties": {"sql_template": {"type": "string"}, "limit": {"type": "integer"}}
    });
    let object = |key: &str, features: &[&str], schema: Option<String>| RegistryObject {
        component_schema: schema,
        template_vars: Some(vec![]),
        untemplated_attributes: Some(vec![]),
        ..RegistryObject::for_tests(key, features)
    };
    Registry {
        dagster_version: "1.13.27".into(),
        modules: vec!["dagster".into()],
        objects: vec![
            object(
                "dagster.TemplatedSqlComponent",
                &["component"],
                Some(schema.to_string()),
            ),
            object("acme.defs.local.Local", &["component"], None),
            object("dagster.asset", &["scaffold-target"], None),
        ],
        template_scope: Some(vec!["env".into(), "context".into()]),
    }
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join("src/acme/defs").join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(root: &Path, registry: Option<&Registry>) -> Vec<YamlProblem> {
    let p = project(root);
    let parsed: Vec<Parsed> = files(&p, &[]).iter().map(|f| parse_file(&p, f)).collect();
    check(&p, &parsed, registry)
}

#[test]
fn one_file_per_folder_is_read_with_defs_yaml_first_and_paths_narrow_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/defs.yaml", "type: x\n");
    write(root, "a/component.yaml", "type: y\n");
    write(root, "b/c/defs.yml", "type: x\n");
    write(root, "b/other.yaml", "type: x\n");
    let p = project(root);
    let rels = |fs: Vec<PathBuf>| -> Vec<String> {
        fs.iter()
            .map(|f| {
                f.strip_prefix(p.defs_folder())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(rels(files(&p, &[])), ["a/defs.yaml", "b/c/defs.yml"]);
    assert_eq!(
        rels(files(&p, &[p.defs_folder().join("b")])),
        ["b/c/defs.yml"]
    );
}

#[test]
fn problems_have_their_file_line_column_and_the_type() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let file = write(
        root,
        "orders/defs.yaml",
        "type: dagster.TemplatedSqlComponent\nattributes:\n  sql_templat: select 1\n  limit: ten\n",
    );
    let mut got = problems(root, Some(&registry()));
    got.sort_by_key(|p| p.problem.at.as_ref().unwrap().line);
    let summary: Vec<(usize, usize, &str)> = got
        .iter()
        .map(|p| {
            let at = p.problem.at.as_ref().unwrap();
            (at.line, at.column, p.yaml_path.as_str())
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, 1, "attributes"),
            (3, 3, "attributes.sql_templat"),
            (4, 10, "attributes.limit")
        ]
    );
    assert!(
        got.iter()
            .all(|p| p.typename.as_deref() == Some("dagster.TemplatedSqlComponent"))
    );
    assert_eq!(got[1].problem.at.as_ref().unwrap().file, file);
    assert_eq!(
        got[1].problem.at.as_ref().unwrap().line_text,
        "  sql_templat: select 1"
    );
    assert!(
        got[1]
            .problem
            .hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `sql_template`?")
    );
}

#[test]
fn unknown_types_relative_types_objects_and_syntax_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/defs.yaml", "type: TemplatedSqlComponent\n");
    write(
        root,
        "local/defs.yaml",
        "type: .Local\nattributes: {}\n---\ntype: dagster.asset\n",
    );
    write(root, "z/defs.yaml", "type: x\nattributes: [1\n");
    let got = problems(root, Some(&registry()));
    let messages: Vec<&str> = got.iter().map(|p| p.problem.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(
        messages[0],
        "component type `TemplatedSqlComponent` not found in acme's environment"
    );
    assert!(
        got[0]
            .problem
            .hint
            .as_deref()
            .unwrap()
            .contains("dagster.TemplatedSqlComponent")
    );
    assert!(messages[1].starts_with("`dagster.asset` is not a component type"));
    assert_eq!(got[1].problem.at.as_ref().unwrap().line, 4);
    assert!(messages[2].starts_with("not valid YAML"), "{messages:?}");
    // Without a registry only the file's own shape and syntax are judged.
    assert_eq!(problems(root, None).len(), 1);
}

#[test]
fn a_misspelled_attribute_is_one_problem_with_a_hint_and_a_missing_one_says_where_to_add_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "orders/defs.yaml",
        "type: dagster.TemplatedSqlComponent\nattributes:\n  sql_templat: \"select * from {{ table }}\"\n",
    );
    let mut got = problems(root, Some(&registry()));
    got.sort_by_key(|p| p.problem.at.as_ref().unwrap().line);
    let messages: Vec<&str> = got.iter().map(|p| p.problem.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "missing required attribute `sql_template` of dagster.TemplatedSqlComponent",
            "`sql_templat` is not an attribute of dagster.TemplatedSqlComponent"
        ]
    );
    assert!(
        got[0]
            .problem
            .hint
            .as_deref()
            .unwrap()
            .starts_with("add `sql_template:` below `attributes:`"),
        "{:?}",
        got[0].problem.hint
    );
}
