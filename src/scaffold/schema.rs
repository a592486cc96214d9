//! The one JSON schema of every defs.yaml a location can hold (`.dg/schema.json`, what
//! `dg utils configure-editor` points the editor's YAML extension at): any of the location's
//! component types, each the schema of a defs.yaml of that type (from the registry, as
//! `dg utils inspect-component --defs-yaml-json-schema` prints it) with its `type` fixed to
//! the type's name. The `$defs` each type's schema brings are gathered at the top, where
//! their `$ref`s point; one that two types define differently is renamed for the second.

use crate::components::Registry;
use serde_json::{Map, Value, json};

/// The combined schema of `registry`'s component types that take attributes (real dg's
/// combined schema leaves out the types without a model too).
pub fn combined_schema(registry: &Registry) -> Value {
    let mut defs = Map::new();
    let mut variants = Vec::new();
    for o in registry.components(None) {
        if o.component_schema.is_none() {
            continue;
        }
        let Some(mut schema) = o
            .defs_yaml_json_schema
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
        else {
            continue;
        };
        // The attributes' own `$defs` (the component's model), then the file's, each scope
        // renamed on its own (taken out in place, so the keys keep their order).
        let mut attrs = schema
            .pointer_mut("/properties/attributes")
            .map(std::mem::take)
            .unwrap_or(Value::Null);
        hoist(&mut attrs, &mut defs, &o.key);
        hoist(&mut schema, &mut defs, &format!("{}.file", o.key));
        if let Some(slot) = schema.pointer_mut("/properties/attributes") {
            *slot = attrs;
        }
        schema["title"] = Value::from(o.name.as_str());
        schema["properties"]["type"] = json!({
            "const": o.key,
            "default": o.key,
            "title": "Type",
            "type": "string",
        });
        variants.push(schema);
    }
    let mut out = Map::new();
    if !defs.is_empty() {
        out.insert("$defs".into(), Value::Object(defs));
    }
    if !variants.is_empty() {
        out.insert("anyOf".into(), Value::Array(variants));
    }
    Value::Object(out)
}

/// Moves `schema`'s `$defs` into `defs`, keeping their names unless another type's definition
/// of that name differs; then everything in this scope is renamed `<key>.<name>`.
fn hoist(schema: &mut Value, defs: &mut Map<String, Value>, key: &str) {
    let Some(Value::Object(own)) = schema.as_object_mut().and_then(|o| o.remove("$defs")) else {
        return;
    };
    let clash = own
        .iter()
        .any(|(name, v)| defs.get(name).is_some_and(|existing| existing != v));
    let rename = |name: &str| {
        if clash {
            format!("{key}.{name}")
        } else {
            name.to_string()
        }
    };
    for (name, mut v) in own {
        if clash {
            rewrite_refs(&mut v, &rename);
        }
        defs.insert(rename(&name), v);
    }
    if clash {
        rewrite_refs(schema, &rename);
    }
}

/// Points every `#/$defs/<name>` reference in `v` at `#/$defs/<rename(name)>`.
fn rewrite_refs(v: &mut Value, rename: &dyn Fn(&str) -> String) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                match (k.as_str(), child) {
                    ("$ref", Value::String(r)) => {
                        if let Some(name) = r.strip_prefix("#/$defs/") {
                            *r = format!("#/$defs/{}", rename(name));
                        }
                    }
                    (_, child) => rewrite_refs(child, rename),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_refs(c, rename)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::RegistryObject;

    fn object(key: &str, attrs: Option<Value>) -> RegistryObject {
        let base = json!({
            "$defs": {"Req": {"type": "object"}},
            "additionalProperties": false,
            "properties": {
                "type": {"title": "Type", "type": "string"},
                "attributes": attrs.clone().unwrap_or(json!({"type": "object"})),
                "requirements": {"$ref": "#/$defs/Req"}
            },
            "title": "ComponentFileModel",
            "type": "object"
        });
        RegistryObject {
            component_schema: attrs.map(|a| a.to_string()),
            defs_yaml_json_schema: Some(base.to_string()),
            ..RegistryObject::for_tests(key, &["component"])
        }
    }

    #[test]
    fn types_become_variants_and_clashing_defs_are_renamed() {
        let a =
            json!({"$defs": {"M": {"type": "string"}}, "properties": {"m": {"$ref": "#/$defs/M"}}});
        let b = json!({"$defs": {"M": {"type": "integer"}}, "properties": {"m": {"$ref": "#/$defs/M"}}});
        let registry = Registry {
            dagster_version: "1.13.0".into(),
            modules: vec![],
            objects: vec![
                object("pkg.B", Some(b)),
                object("pkg.A", Some(a)),
                object("pkg.NoModel", None),
            ],
            template_scope: None,
        };
        let s = combined_schema(&registry);
        let variants = s["anyOf"].as_array().unwrap();
        assert_eq!(variants.len(), 2, "{s:#}");
        assert_eq!(variants[0]["properties"]["type"]["const"], "pkg.A");
        assert_eq!(variants[0]["title"], "A");
        assert_eq!(
            variants[0]["properties"]["attributes"]["properties"]["m"]["$ref"],
            "#/$defs/M"
        );
        assert_eq!(
            variants[1]["properties"]["attributes"]["properties"]["m"]["$ref"],
            "#/$defs/pkg.B.M"
        );
        assert_eq!(s["$defs"]["M"]["type"], "string");
        assert_eq!(s["$defs"]["pkg.B.M"]["type"], "integer");
        // The file's own definitions are shared.
        assert_eq!(
            variants[1]["properties"]["requirements"]["$ref"],
            "#/$defs/Req"
        );
        assert!(variants.iter().all(|v| v.get("$defs").is_none()));
    }
}
