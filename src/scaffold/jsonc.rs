//! Minimal edits of a JSON-with-comments file (VS Code's `settings.json`): setting one
//! member of an object nested under the top-level object through jsonc-parser's concrete
//! syntax tree, which keeps every other byte as it is (the user's keys, comments, trailing
//! commas and layout).

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};

/// What VS Code's settings files allow beyond JSON: comments and trailing commas.
const VSCODE_JSONC: ParseOptions = ParseOptions {
    allow_comments: true,
    allow_trailing_commas: true,
    allow_loose_object_property_names: false,
    allow_missing_commas: false,
    allow_single_quoted_strings: false,
    allow_hexadecimal_numbers: false,
    allow_unary_plus_numbers: false,
    allow_bare_decimal_point_numbers: false,
    allow_non_finite_numbers: false,
    allow_extended_string_escapes: false,
};

/// `text` with `path[0]` → ... → `path[n-1]` (objects, created when missing) set to `value`,
/// as a minimal edit. An empty text is a new file. Errors say what is in the way.
pub fn set_member(text: &str, path: &[&str], value: &serde_json::Value) -> Result<String, String> {
    let (last, parents) = path.split_last().expect("a path to set");
    let root = CstRootNode::parse(text, &VSCODE_JSONC).map_err(|e| e.to_string())?;
    let mut obj = if text.trim().is_empty() {
        root.object_value_or_set()
    } else {
        root.object_value()
            .ok_or_else(|| "the file is not a JSON object".to_string())?
    };
    for (depth, key) in parents.iter().enumerate() {
        obj = obj
            .object_value_or_create(key)
            .ok_or_else(|| format!("`{}` is not an object", path[..=depth].join(".")))?;
    }
    match obj.get(last) {
        Some(prop) => prop.set_value(input(value)),
        None => {
            obj.append(last, input(value));
        }
    }
    let mut out = root.to_string();
    if text.trim().is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

fn input(v: &serde_json::Value) -> CstInputValue {
    match v {
        serde_json::Value::Null => CstInputValue::Null,
        serde_json::Value::Bool(b) => CstInputValue::Bool(*b),
        serde_json::Value::Number(n) => CstInputValue::Number(n.to_string()),
        serde_json::Value::String(s) => CstInputValue::String(s.clone()),
        serde_json::Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        serde_json::Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(text: &str) -> String {
        set_member(
            text,
            &["yaml.schemas", "a/schema.json"],
            &json!(["src/**/defs.y*ml"]),
        )
        .unwrap()
    }

    #[test]
    fn a_new_file() {
        assert_eq!(
            set(""),
            "{\n  \"yaml.schemas\": {\n    \"a/schema.json\": [\"src/**/defs.y*ml\"]\n  }\n}\n"
        );
    }

    #[test]
    fn other_keys_and_comments_stay() {
        let text = "// my settings\n{\n  \"editor.tabSize\": 2, // two\n  /* block */\n  \"files.exclude\": {\"x\": true}\n}\n";
        assert_eq!(
            set(text),
            "// my settings\n{\n  \"editor.tabSize\": 2, // two\n  /* block */\n  \"files.exclude\": {\"x\": true},\n  \"yaml.schemas\": {\n    \"a/schema.json\": [\"src/**/defs.y*ml\"]\n  }\n}\n"
        );
    }

    #[test]
    fn a_trailing_comma_and_a_comment_after_the_last_member() {
        let text = "{\n    \"a\": 1, // one\n}\n";
        assert_eq!(
            set_member(text, &["b"], &json!(2)).unwrap(),
            "{\n    \"a\": 1, // one\n    \"b\": 2,\n}\n"
        );
        let text = "{\n    \"a\": 1 // one\n}";
        assert_eq!(
            set_member(text, &["b"], &json!(2)).unwrap(),
            "{\n    \"a\": 1, // one\n    \"b\": 2\n}"
        );
    }

    #[test]
    fn an_existing_entry_is_replaced_and_others_kept() {
        let text = "{\n  \"yaml.schemas\": {\n    \"other.json\": \"*.yml\", // theirs\n    \"a/schema.json\": \"old\"\n  }\n}\n";
        assert_eq!(
            set(text),
            "{\n  \"yaml.schemas\": {\n    \"other.json\": \"*.yml\", // theirs\n    \"a/schema.json\": [\"src/**/defs.y*ml\"]\n  }\n}\n"
        );
        let text = "{\"yaml.schemas\": {\"other.json\": \"*.yml\"}}";
        assert_eq!(
            set(text),
            "{\"yaml.schemas\": {\n    \"other.json\": \"*.yml\",\n    \"a/schema.json\": [\"src/**/defs.y*ml\"]\n  }}"
        );
    }

    #[test]
    fn empty_objects() {
        assert_eq!(
            set_member("{}", &["b"], &json!(2)).unwrap(),
            "{\n  \"b\": 2\n}"
        );
        assert_eq!(
            set_member("{\n  // nothing yet\n}\n", &["b"], &json!(2)).unwrap(),
            "{\n  // nothing yet\n  \"b\": 2\n}\n"
        );
    }

    #[test]
    fn what_is_in_the_way_is_named() {
        let err =
            set_member("{\"yaml.schemas\": 3}", &["yaml.schemas", "x"], &json!(1)).unwrap_err();
        assert!(err.contains("`yaml.schemas` is not an object"), "{err}");
        assert!(set_member("[1]", &["x"], &json!(1)).is_err());
        assert!(set_member("{\"a\": 1 \"b\": 2}", &["x"], &json!(1)).is_err());
        assert!(set_member("{\"a\": \"x}", &["x"], &json!(1)).is_err());
        assert!(set_member("{/* open", &["x"], &json!(1)).is_err());
        // Strings holding braces and comment markers are not structure.
        let text = "{\"u\": \"http://x/{y}\" /* c */}";
        assert_eq!(
            set_member(text, &["v"], &json!(1)).unwrap(),
            "{\n  \"u\": \"http://x/{y}\", /* c */\n  \"v\": 1\n}"
        );
    }
}
