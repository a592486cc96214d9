//! The checks of one defs.yaml document, as values: the file's own keys (the shape Dagster
//! reads: `type`, `attributes`, `requirements`, `template_vars_module`, `post_processing`),
//! then the attributes against the component type's JSON schema from the location's
//! registry. Each finding names the YAML path it is about; `super` turns it into a place.

use crate::suggest::closest;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::Value;

/// One problem in a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    /// The YAML path of the value it is about (`attributes`, `execution`, `path`).
    pub(crate) path: Vec<String>,
    /// Point at the key (an unknown or missing key) rather than the value.
    pub(crate) on_key: bool,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    /// It is about an attribute the type does not have.
    pub(crate) unknown_attribute: bool,
}

impl Finding {
    pub(crate) fn new(path: Vec<String>, on_key: bool, message: String) -> Self {
        Finding {
            path,
            on_key,
            message,
            hint: None,
            unknown_attribute: false,
        }
    }

    pub(crate) fn hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

const TOP_LEVEL: &[&str] = &[
    "type",
    "attributes",
    "requirements",
    "template_vars_module",
    "post_processing",
];

/// What kind of JSON value this is, for a message.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn dotted(path: &[String]) -> String {
    path.join(".")
}

fn did_you_mean(given: &str, candidates: &[&str]) -> Option<String> {
    let mut hint = closest(given, candidates).map(|c| format!("did you mean `{c}`? "));
    if !candidates.is_empty() {
        let listed = candidates
            .iter()
            .take(12)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let more = if candidates.len() > 12 { ", …" } else { "" };
        hint = Some(format!(
            "{}expected one of: {listed}{more}",
            hint.unwrap_or_default()
        ));
    }
    hint
}

/// The file's own keys, as Dagster's defs.yaml model declares them. Empty when the
/// document has the shape, so its attributes can be checked.
pub(crate) fn shape(doc: &Value) -> Vec<Finding> {
    let Value::Object(map) = doc else {
        return vec![Finding::new(
            vec![],
            false,
            format!(
                "a defs.yaml document must be a mapping with `type:` and `attributes:`, found {}",
                kind(doc)
            ),
        )];
    };
    let mut out = Vec::new();
    for key in map.keys().filter(|k| !TOP_LEVEL.contains(&k.as_str())) {
        out.push(
            Finding::new(
                vec![key.clone()],
                true,
                format!("`{key}` is not a defs.yaml key"),
            )
            .hint(did_you_mean(key, TOP_LEVEL)),
        );
    }
    let mut expect = |key: &str, ok: fn(&Value) -> bool, what: &str| {
        if let Some(v) = map.get(key).filter(|v| !ok(v)) {
            out.push(Finding::new(
                vec![key.into()],
                false,
                format!("`{key}` must be {what}, found {}", kind(v)),
            ));
        }
    };
    expect("type", Value::is_string, "a string (the component type)");
    expect("attributes", Value::is_object, "a mapping");
    expect(
        "template_vars_module",
        Value::is_string,
        "a string (a module name)",
    );
    expect("requirements", Value::is_object, "a mapping");
    expect("post_processing", Value::is_object, "a mapping");
    nested_shape(map, &mut out);
    if !map.contains_key("type") {
        out.push(
            Finding::new(vec![], false, "missing `type:`: which component this is".into()).hint(
                Some("add e.g. `type: dagster.PythonScriptComponent` (dg list components lists the types)".into()),
            ),
        );
    }
    out
}

/// `requirements: {env: [str]}` and `post_processing: {assets: [mapping]}`.
fn nested_shape(map: &serde_json::Map<String, Value>, out: &mut Vec<Finding>) {
    for (table, key, item_ok, item_what) in [
        (
            "requirements",
            "env",
            Value::is_string as fn(&Value) -> bool,
            "a string",
        ),
        ("post_processing", "assets", Value::is_object, "a mapping"),
    ] {
        let Some(Value::Object(inner)) = map.get(table) else {
            continue;
        };
        for k in inner.keys().filter(|k| *k != key) {
            out.push(
                Finding::new(
                    vec![table.into(), k.clone()],
                    true,
                    format!("`{k}` is not a key of `{table}`"),
                )
                .hint(did_you_mean(k, &[key])),
            );
        }
        match inner.get(key) {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate().filter(|(_, v)| !item_ok(v)) {
                    out.push(Finding::new(
                        vec![table.into(), key.into(), i.to_string()],
                        false,
                        format!(
                            "each of `{table}.{key}` must be {item_what}, found {}",
                            kind(item)
                        ),
                    ));
                }
            }
            Some(v) => out.push(Finding::new(
                vec![table.into(), key.into()],
                false,
                format!("`{table}.{key}` must be a list, found {}", kind(v)),
            )),
        }
    }
}

/// The YAML path of an error in the attributes.
fn yaml_path(e: &jsonschema::ValidationError<'_>) -> Vec<String> {
    std::iter::once("attributes".to_string())
        .chain(e.instance_path().segments().map(|s| match s {
            LocationSegment::Property(p) => p.to_string(),
            LocationSegment::Index(i) => i.to_string(),
        }))
        .collect()
}

/// The attributes against the type's schema. `validator` was built from `schema`.
pub(crate) fn attributes(
    schema: &Value,
    validator: &jsonschema::Validator,
    attrs: &Value,
    typename: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in validator.iter_errors(attrs) {
        let path = yaml_path(&e);
        finding(
            schema,
            &path,
            e.kind(),
            e.instance(),
            &e.to_string(),
            typename,
            &mut out,
        );
    }
    out
}

fn finding(
    schema: &Value,
    path: &[String],
    err: &ValidationErrorKind,
    instance: &Value,
    message: &str,
    typename: &str,
    out: &mut Vec<Finding>,
) {
    let at = dotted(path);
    let owner = if path.len() == 1 {
        typename.to_string()
    } else {
        format!("`{at}`")
    };
    match err {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let keys = keys_at(schema, &path[1..]);
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            for u in unexpected {
                let mut p = path.to_vec();
                p.push(u.clone());
                let mut f = Finding::new(p, true, format!("`{u}` is not an attribute of {owner}"))
                    .hint(did_you_mean(u, &keys));
                f.unknown_attribute = true;
                out.push(f);
            }
        }
        ValidationErrorKind::Required { property } => {
            out.push(required(path, property, &owner, typename));
        }
        ValidationErrorKind::Type { kind: expected } => {
            let expected: Vec<&str> = match expected {
                jsonschema::error::TypeKind::Single(t) => vec![t.as_str()],
                jsonschema::error::TypeKind::Multiple(set) => {
                    set.iter().map(|t| t.as_str()).collect()
                }
            };
            out.push(Finding::new(
                path.to_vec(),
                false,
                format!(
                    "`{at}` must be of type {}, found {}",
                    expected.join(" or "),
                    kind(instance)
                ),
            ));
        }
        ValidationErrorKind::Enum { options } => out.push(not_allowed(path, options, instance)),
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            any_of(schema, path, context, instance, typename, out);
        }
        _ => out.push(Finding::new(
            path.to_vec(),
            false,
            format!("`{at}`: {message}"),
        )),
    }
}

/// A required property that is missing, with where to add it.
fn required(path: &[String], property: &Value, owner: &str, typename: &str) -> Finding {
    let name = property
        .as_str()
        .map_or_else(|| property.to_string(), str::to_string);
    let below = if path.len() == 1 {
        "attributes".to_string()
    } else {
        dotted(path)
    };
    Finding::new(
        path.to_vec(),
        true,
        format!("missing required attribute `{name}` of {owner}"),
    )
    .hint(Some(format!(
        "add `{name}:` below `{below}:` (`dg utils inspect-component {typename} \
         --defs-yaml-json-schema` shows every attribute)"
    )))
}

/// A value outside the allowed ones, with the closest allowed one.
fn not_allowed(path: &[String], options: &Value, instance: &Value) -> Finding {
    let given = instance.as_str().unwrap_or_default();
    let opts: Vec<String> = options
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
    Finding::new(
        path.to_vec(),
        false,
        format!("`{}` is not one of the allowed values", dotted(path)),
    )
    .hint(did_you_mean(given, &opts))
}

/// None of the alternatives matched. When one alternative is of the value's own kind (a
/// mapping where a mapping is accepted), its problems are the precise ones; otherwise the
/// accepted kinds are listed.
fn any_of(
    schema: &Value,
    path: &[String],
    context: &[Vec<jsonschema::ValidationError<'static>>],
    instance: &Value,
    typename: &str,
    out: &mut Vec<Finding>,
) {
    let deeper = context.iter().find(|branch| {
        !branch.is_empty()
            && branch.iter().all(|e| {
                !matches!(e.kind(), ValidationErrorKind::Type { .. })
                    || e.instance_path().segments().count() > path.len() - 1
            })
    });
    if let Some(branch) = deeper {
        for e in branch {
            let p = yaml_path(e);
            finding(
                schema,
                &p,
                e.kind(),
                e.instance(),
                &e.to_string(),
                typename,
                out,
            );
        }
        return;
    }
    out.push(Finding::new(
        path.to_vec(),
        false,
        format!(
            "`{}`: {} matches none of the accepted forms",
            dotted(path),
            kind(instance)
        ),
    ));
}

/// The property names the schema allows at `path` (below the attributes), through `$ref`s
/// and alternatives, sorted.
pub(crate) fn keys_at(schema: &Value, path: &[String]) -> Vec<String> {
    let mut current = branches(schema, schema);
    for seg in path {
        let mut next = Vec::new();
        for b in current {
            if let Some(p) = b.get("properties").and_then(|p| p.get(seg)) {
                next.extend(branches(schema, p));
            } else if let Some(a @ Value::Object(_)) = b.get("additionalProperties") {
                next.extend(branches(schema, a));
            }
            if let (true, Some(items)) = (seg.parse::<usize>().is_ok(), b.get("items")) {
                next.extend(branches(schema, items));
            }
        }
        current = next;
    }
    let mut keys: Vec<String> = current
        .iter()
        .filter_map(|b| b.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A schema with its `$ref`s followed and `anyOf`/`oneOf`/`allOf` spread into alternatives.
fn branches<'a>(root: &'a Value, s: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut stack = vec![(s, 0)];
    while let Some((s, depth)) = stack.pop() {
        if depth > 32 {
            continue;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                stack.push((target, depth + 1));
            }
            continue;
        }
        let mut spread = false;
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                spread = true;
                stack.extend(alts.iter().map(|a| (a, depth + 1)));
            }
        }
        if !spread || s.get("properties").is_some() {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(fs: &[Finding]) -> Vec<String> {
        fs.iter().map(|f| dotted(&f.path)).collect()
    }

    #[test]
    fn the_files_own_keys_are_checked_with_a_suggestion() {
        let fs = shape(&json!({"typ": "x", "attributes": []}));
        assert_eq!(paths(&fs), ["typ", "attributes", ""]);
        assert!(
            fs[0]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `type`?"),
            "{fs:?}"
        );
        assert!(fs[1].message.contains("must be a mapping, found a list"));
        assert!(shape(&json!({"type": "a.B", "attributes": {}})).is_empty());
        let fs = shape(
            &json!({"type": "a.B", "requirements": {"envs": ["X"]}, "post_processing": {"assets": [1]}}),
        );
        assert_eq!(
            paths(&fs),
            ["requirements.envs", "post_processing.assets.0"]
        );
        assert_eq!(paths(&shape(&json!(null))), [""]);
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["sql"],
            "properties": {
                "sql": {"type": "string"},
                "count": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                "execution": {"anyOf": [{"$ref": "#/$defs/Exec"}, {"type": "null"}]},
                "mode": {"enum": ["full", "incremental"]}
            },
            "$defs": {"Exec": {"type": "object", "additionalProperties": false,
                               "properties": {"name": {"type": "string"}, "path": {"type": "string"}}}}
        })
    }

    fn check(attrs: Value) -> Vec<Finding> {
        let s = schema();
        let v = jsonschema::draft202012::new(&s).unwrap();
        attributes(&s, &v, &attrs, "acme.Sql")
    }

    #[test]
    fn attribute_problems_name_their_path_and_suggest_a_key() {
        let fs = check(json!({"sqll": "x"}));
        let mut got = paths(&fs);
        got.sort();
        assert_eq!(got, ["attributes", "attributes.sqll"]);
        let unknown = fs.iter().find(|f| f.path.len() == 2).unwrap();
        assert!(unknown.on_key);
        assert_eq!(unknown.message, "`sqll` is not an attribute of acme.Sql");
        assert!(
            unknown
                .hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `sql`?")
        );
        let fs = check(json!({"sql": 1, "mode": "ful"}));
        assert_eq!(paths(&fs).len(), 2);
        assert!(
            fs.iter()
                .any(|f| f.message == "`attributes.sql` must be of type string, found an integer")
        );
        assert!(fs.iter().any(|f| {
            f.hint
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `full`?"))
        }));
    }

    #[test]
    fn an_alternative_of_the_values_kind_gives_the_precise_problem() {
        let fs = check(json!({"sql": "x", "execution": {"pathh": "a.py"}}));
        assert_eq!(paths(&fs), ["attributes.execution.pathh"]);
        assert!(
            fs[0]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `path`?"),
            "{fs:?}"
        );
        let fs = check(json!({"sql": "x", "count": [1]}));
        assert_eq!(paths(&fs), ["attributes.count"]);
        assert!(fs[0].message.contains("matches none"), "{fs:?}");
    }

    #[test]
    fn keys_are_found_through_refs_and_alternatives() {
        let s = schema();
        assert_eq!(keys_at(&s, &[]), ["count", "execution", "mode", "sql"]);
        assert_eq!(keys_at(&s, &["execution".into()]), ["name", "path"]);
    }
}
