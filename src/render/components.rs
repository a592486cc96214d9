//! `dg list components` and `dg list registry-modules`: inside a project, real dg's table and
//! JSON (`{"items": [{"key", "summary"}]}`, `{"items": [{"module"}]}`, each item with its
//! `location` added); at the workspace root, one table over every location with the
//! locations that offer each type or module.

use crate::components::{LocationRegistry, Registry, RegistryObject};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The locations that answered, in workspace order.
fn answered(regs: &[LocationRegistry]) -> Vec<(&str, &Registry)> {
    regs.iter()
        .filter_map(|r| r.outcome.as_ref().ok().map(|g| (r.location.as_str(), g)))
        .collect()
}

pub(crate) fn components_json(regs: &[LocationRegistry], package: Option<&str>) -> Value {
    let items: Vec<Value> = answered(regs)
        .into_iter()
        .flat_map(|(location, r)| {
            r.components(package)
                .into_iter()
                .map(move |o| json!({"key": o.key, "summary": o.summary, "location": location}))
        })
        .collect();
    json!({ "items": items })
}

pub(crate) fn registry_modules_json(regs: &[LocationRegistry]) -> Value {
    let items: Vec<Value> = answered(regs)
        .into_iter()
        .flat_map(|(location, r)| {
            r.sorted_modules()
                .into_iter()
                .map(move |m| json!({"module": m, "location": location}))
        })
        .collect();
    json!({ "items": items })
}

/// The table; `per_location` (the workspace root) adds the locations offering each type.
/// Empty when no location offers a component type.
pub(crate) fn components_text(
    regs: &[LocationRegistry],
    package: Option<&str>,
    per_location: bool,
) -> String {
    // key -> (summary, locations offering it)
    let mut by_key: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    for (location, r) in answered(regs) {
        for o in r.components(package) {
            let entry = by_key
                .entry(o.key.as_str())
                .or_insert((o.summary.as_deref().unwrap_or(""), Vec::new()));
            entry.1.push(location);
        }
    }
    if by_key.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = by_key
        .into_iter()
        .map(|(key, (summary, locations))| {
            let mut row = vec![key.to_string(), summary.to_string()];
            if per_location {
                row.push(locations.join(", "));
            }
            row
        })
        .collect();
    let header: &[&str] = if per_location {
        &["KEY", "SUMMARY", "LOCATIONS"]
    } else {
        &["KEY", "SUMMARY"]
    };
    super::table::render(header, &rows)
}

pub(crate) fn registry_modules_text(regs: &[LocationRegistry], per_location: bool) -> String {
    let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (location, r) in answered(regs) {
        for m in r.sorted_modules() {
            let locations = by_module.entry(m).or_default();
            if !locations.contains(&location) {
                locations.push(location);
            }
        }
    }
    if by_module.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = by_module
        .into_iter()
        .map(|(module, locations)| {
            let mut row = vec![module.to_string()];
            if per_location {
                row.push(locations.join(", "));
            }
            row
        })
        .collect();
    let header: &[&str] = if per_location {
        &["MODULE", "LOCATIONS"]
    } else {
        &["MODULE"]
    };
    super::table::render(header, &rows)
}

/// What `dg utils inspect-component` prints of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inspect {
    /// Everything, as real dg prints it without a flag.
    All,
    Description,
    ScaffoldParamsSchema,
    DefsYamlJsonSchema,
}

/// Real dg's text for `inspect-component`, without the final newline.
pub(crate) fn inspect(typename: &str, o: &RegistryObject, what: Inspect) -> String {
    match what {
        Inspect::Description => o
            .description
            .clone()
            .unwrap_or_else(|| "No description available.".into()),
        Inspect::ScaffoldParamsSchema => o
            .scaffolder_schema
            .clone()
            .unwrap_or_else(|| "No scaffold params schema defined.".into()),
        Inspect::DefsYamlJsonSchema => o.defs_yaml_json_schema.clone().unwrap_or_default(),
        Inspect::All => {
            let mut out = typename.to_string();
            for (title, text) in [
                ("Description", &o.description),
                ("Scaffold params schema", &o.scaffolder_schema),
                ("Component schema", &o.component_schema),
            ] {
                if let Some(text) = text.as_deref().filter(|t| !t.is_empty()) {
                    out.push_str(&format!("\n\n{title}:\n\n{text}"));
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(location: &str, keys: &[(&str, &str)], modules: &[&str]) -> LocationRegistry {
        LocationRegistry {
            location: location.into(),
            outcome: Ok(Registry {
                dagster_version: "1.13.27".into(),
                modules: modules.iter().map(|m| m.to_string()).collect(),
                objects: keys
                    .iter()
                    .map(|(k, summary)| RegistryObject {
                        summary: Some(summary.to_string()),
                        ..RegistryObject::for_tests(k, &["component"])
                    })
                    .collect(),
                template_scope: None,
            }),
            from_cache: false,
        }
    }

    fn workspace() -> Vec<LocationRegistry> {
        vec![
            reg(
                "data-engineering",
                &[("dagster.DefsFolderComponent", "A folder.")],
                &["dagster"],
            ),
            reg(
                "data-science",
                &[
                    ("dagster_dbt.DbtProjectComponent", "A dbt project."),
                    ("dagster.DefsFolderComponent", "A folder."),
                ],
                &["dagster_dbt", "dagster"],
            ),
        ]
    }

    #[test]
    fn the_workspace_table_says_which_locations_offer_each_type() {
        let text = components_text(&workspace(), None, true);
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        assert!(lines[0].starts_with("KEY") && lines[0].ends_with("LOCATIONS"));
        assert!(lines[1].starts_with("dagster.DefsFolderComponent"));
        assert!(
            lines[1].ends_with("data-engineering, data-science"),
            "{text}"
        );
        assert!(lines[2].starts_with("dagster_dbt.DbtProjectComponent"));
        assert!(lines[2].ends_with("A dbt project.  data-science"), "{text}");
        let modules = registry_modules_text(&workspace(), true);
        assert!(modules.contains("dagster_dbt  data-science"), "{modules}");
    }

    #[test]
    fn json_keeps_real_dgs_items_and_adds_the_location() {
        let v = components_json(&workspace(), Some("dagster_dbt"));
        assert_eq!(
            v,
            json!({"items": [{"key": "dagster_dbt.DbtProjectComponent",
                               "summary": "A dbt project.", "location": "data-science"}]})
        );
        let m = registry_modules_json(&workspace()[..1]);
        assert_eq!(
            m,
            json!({"items": [{"module": "dagster", "location": "data-engineering"}]})
        );
    }
}
