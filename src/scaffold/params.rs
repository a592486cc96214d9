//! A scaffolder's parameters given one option each (`--project-path dbt`), as real dg takes
//! them: each named by its schema property (`_` written `-`), typed by the scaffolder's
//! schema (an array parameter repeats, an object one is JSON), turned into the JSON
//! parameters the scaffolder reads.

use super::error::{Result, ScaffoldError};
use crate::components::RegistryObject;
use serde_json::{Map, Value};

/// `options` (`--name value` or `--name=value`) as the JSON parameters of `object`.
pub fn from_options(object: &RegistryObject, options: &[String]) -> Result<Value> {
    let bad = |message: String| ScaffoldError::BadParams {
        given: object.key.clone(),
        message,
    };
    let schema: Value = object
        .scaffolder_schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut out = Map::new();
    let mut rest = options.iter();
    while let Some(token) = rest.next() {
        let Some(flag) = token.strip_prefix("--") else {
            return Err(bad(format!("`{token}` is not an option (`--name value`)")));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (flag, None),
        };
        let key = name.replace('-', "_");
        let Some(prop) = props.get(&key) else {
            let names: Vec<String> = props
                .keys()
                .map(|k| format!("--{}", k.replace('_', "-")))
                .collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let guess = crate::suggest::closest(&format!("--{name}"), &refs)
                .map(|g| format!(" (did you mean `{g}`?)"))
                .unwrap_or_default();
            let takes = if names.is_empty() {
                "it takes no parameters".to_string()
            } else {
                format!("it takes {}", names.join(", "))
            };
            return Err(bad(format!(
                "`--{name}` is not a parameter{guess}; {takes}"
            )));
        };
        let Some(text) = inline.or_else(|| rest.next().cloned()) else {
            return Err(bad(format!("`--{name}` needs a value")));
        };
        let (kind, array) = field_type(prop);
        let value = typed(&text, kind).map_err(|why| bad(format!("`--{name} {text}`: {why}")))?;
        if array {
            let slot = out.entry(key).or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(items) = slot {
                items.push(value);
            }
        } else {
            out.insert(key, value);
        }
    }
    Ok(Value::Object(out))
}

/// dg-rs's own options among the parameter options (`--format`, `--json-params`, which
/// clap leaves there when they come after the first parameter): `(format, json_params,
/// the parameters)`.
pub fn own_flags(options: &[String]) -> (Option<String>, Option<String>, Vec<String>) {
    let (mut format, mut json, mut rest) = (None, None, Vec::new());
    let mut it = options.iter();
    while let Some(token) = it.next() {
        let (name, inline) = match token.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (token.as_str(), None),
        };
        let slot = match name {
            "--format" => &mut format,
            "--json-params" => &mut json,
            _ => {
                rest.push(token.clone());
                continue;
            }
        };
        *slot = inline.or_else(|| it.next().cloned());
    }
    (format, json, rest)
}

/// The JSON type of a property (through an `anyOf` with null, as pydantic writes an
/// optional field) and whether it is an array of that type.
fn field_type(prop: &Value) -> (&str, bool) {
    let info = prop["anyOf"]
        .as_array()
        .and_then(|alts| alts.iter().find(|a| a["type"] != "null"))
        .unwrap_or(prop);
    match info["type"].as_str() {
        Some("array") => (info["items"]["type"].as_str().unwrap_or("string"), true),
        Some(t) => (t, false),
        None => ("string", false),
    }
}

fn typed(text: &str, kind: &str) -> std::result::Result<Value, String> {
    match kind {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "not an integer".into()),
        "number" => text
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| "not a number".into()),
        // click's boolean words, as real dg reads them.
        "boolean" => match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" | "on" => Ok(Value::Bool(true)),
            "0" | "false" | "f" | "no" | "n" | "off" => Ok(Value::Bool(false)),
            _ => Err("not a boolean (true or false)".into()),
        },
        "object" => serde_json::from_str(text).map_err(|e| format!("not JSON: {e}")),
        _ => Ok(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object() -> RegistryObject {
        let schema = json!({"properties": {
            "project_path": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "threads": {"type": "integer"},
            "full": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "vars": {"type": "object"}
        }});
        RegistryObject {
            scaffolder_schema: Some(schema.to_string()),
            ..RegistryObject::for_tests(
                "dagster_dbt.DbtProjectComponent",
                &["component", "scaffold-target"],
            )
        }
    }

    fn opts(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_become_typed_json_parameters() {
        let v = from_options(
            &object(),
            &opts(&[
                "--project-path",
                "dbt",
                "--threads=4",
                "--full",
                "yes",
                "--tags",
                "a",
                "--tags",
                "b",
                "--vars",
                "{\"x\": 1}",
            ]),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"project_path": "dbt", "threads": 4, "full": true, "tags": ["a", "b"], "vars": {"x": 1}})
        );
    }

    #[test]
    fn dg_rs_own_flags_are_taken_out_wherever_they_are() {
        let (format, json, rest) = own_flags(&opts(&[
            "--project-path",
            "dbt",
            "--format",
            "python",
            "--json-params={}",
        ]));
        assert_eq!(format.as_deref(), Some("python"));
        assert_eq!(json.as_deref(), Some("{}"));
        assert_eq!(rest, ["--project-path", "dbt"]);
    }

    #[test]
    fn unknown_and_bad_options_say_what_the_type_takes() {
        let err = |args: &[&str]| match from_options(&object(), &opts(args)) {
            Err(ScaffoldError::BadParams { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        let m = err(&["--project-pth", "dbt"]);
        assert!(
            m.starts_with(
                "`--project-pth` is not a parameter (did you mean `--project-path`?); it takes "
            ),
            "{m}"
        );
        assert_eq!(
            err(&["--threads", "four"]),
            "`--threads four`: not an integer"
        );
        assert_eq!(err(&["--threads"]), "`--threads` needs a value");
        assert_eq!(err(&["dbt"]), "`dbt` is not an option (`--name value`)");
    }
}
