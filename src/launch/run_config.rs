//! Run config for a launch: `--config-json`, or `--config` files (YAML or JSON) deep-merged,
//! then routed to the steps that can use each part.

use super::error::LaunchError;
use super::plan::LaunchPlan;
use crate::graph::AssetGraph;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// `--config-json`, or the `--config` files deep-merged (later files win, as Dagster's
/// `merge_yamls` does).
pub(crate) fn read(
    config_json: Option<&str>,
    files: &[PathBuf],
) -> Result<Option<Value>, LaunchError> {
    if let Some(text) = config_json {
        let v: Value =
            serde_json::from_str(text).map_err(|e| LaunchError::ConfigJson(e.to_string()))?;
        if !v.is_object() {
            return Err(LaunchError::ConfigJsonNotObject);
        }
        return Ok(Some(v));
    }
    let mut merged: Option<Value> = None;
    for file in files {
        let text =
            std::fs::read_to_string(file).map_err(|source| LaunchError::ConfigUnreadable {
                path: file.clone(),
                source,
            })?;
        // YAML is a superset of JSON: one parser reads both.
        let v: Value = serde_norway::from_str(&text).map_err(|e| LaunchError::ConfigYaml {
            path: file.clone(),
            message: e.to_string(),
        })?;
        if !v.is_object() {
            return Err(LaunchError::ConfigNotMapping(file.clone()));
        }
        merged = Some(match merged {
            Some(m) => deep_merge(m, v),
            None => v,
        });
    }
    Ok(merged)
}

fn deep_merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => deep_merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, o) => o,
    }
}

/// Dagster's op name for an asset (`AssetKey.to_python_identifier`).
fn op_name(parts: &[String]) -> String {
    parts.join("__").replace(['-', '.'], "_")
}

/// The run config of each step. One step gets it whole; with several, `ops` entries go to the
/// step materializing that asset and `resources` entries to the steps whose location defines
/// that resource; everything else (execution, loggers) goes to every step. An entry no step
/// takes is an error rather than silently dropped.
pub fn route(
    graph: &AssetGraph,
    plan: &LaunchPlan,
    config: Option<Value>,
) -> Result<Vec<Option<Value>>, LaunchError> {
    let Some(config) = config else {
        return Ok(vec![None; plan.steps.len()]);
    };
    if plan.steps.len() == 1 {
        return Ok(vec![Some(config)]);
    }
    let Value::Object(top) = config else {
        return Ok(vec![None; plan.steps.len()]);
    };
    let mut used_ops = std::collections::BTreeSet::new();
    let mut used_resources = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for s in &plan.steps {
        let ops: Vec<String> = s
            .assets
            .iter()
            .map(|a| op_name(graph.key(*a).parts()))
            .collect();
        let resources: Vec<&str> = graph
            .location(s.location)
            .manifest
            .resources
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        out.push(Some(Value::Object(step_config(
            &top,
            |name| ops.iter().any(|o| o == name),
            |name| resources.contains(&name),
            &mut used_ops,
            &mut used_resources,
        ))));
    }
    all_used(&top, &used_ops, &used_resources)?;
    Ok(out)
}

type Used = std::collections::BTreeSet<String>;

/// One step's part of `top`: the `ops` and `resources` entries it takes (noted as used),
/// and every other entry whole.
fn step_config(
    top: &Map<String, Value>,
    takes_op: impl Fn(&str) -> bool,
    takes_resource: impl Fn(&str) -> bool,
    used_ops: &mut Used,
    used_resources: &mut Used,
) -> Map<String, Value> {
    let mut step_cfg = Map::new();
    for (k, v) in top {
        match (k.as_str(), v) {
            ("ops", Value::Object(entries)) => {
                let mine = pick(entries, &takes_op);
                used_ops.extend(mine.keys().cloned());
                if !mine.is_empty() {
                    step_cfg.insert(k.clone(), Value::Object(mine));
                }
            }
            ("resources", Value::Object(entries)) => {
                let mine = pick(entries, &takes_resource);
                used_resources.extend(mine.keys().cloned());
                if !mine.is_empty() {
                    step_cfg.insert(k.clone(), Value::Object(mine));
                }
            }
            _ => {
                step_cfg.insert(k.clone(), v.clone());
            }
        }
    }
    step_cfg
}

/// The entries whose name `keep` accepts.
fn pick(entries: &Map<String, Value>, keep: impl Fn(&str) -> bool) -> Map<String, Value> {
    entries
        .iter()
        .filter(|(name, _)| keep(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// An `ops` or `resources` entry no step took is an error.
fn all_used(
    top: &Map<String, Value>,
    used_ops: &Used,
    used_resources: &Used,
) -> Result<(), LaunchError> {
    let unused = |section: &str, used: &Used| -> Vec<String> {
        top.get(section)
            .and_then(Value::as_object)
            .map(|m| m.keys().filter(|k| !used.contains(*k)).cloned().collect())
            .unwrap_or_default()
    };
    let (ops, res) = (unused("ops", used_ops), unused("resources", used_resources));
    if !ops.is_empty() || !res.is_empty() {
        let mut what = Vec::new();
        if !ops.is_empty() {
            what.push(format!("ops {}", ops.join(", ")));
        }
        if !res.is_empty() {
            what.push(format!("resources {}", res.join(", ")));
        }
        return Err(LaunchError::ConfigUnused(what.join(" and ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_config_files_win_on_conflicts_and_maps_merge() {
        let a = json!({"ops": {"x": {"config": {"n": 1, "m": 1}}}, "execution": {"a": 1}});
        let b = json!({"ops": {"x": {"config": {"n": 2}}, "y": {}}});
        assert_eq!(
            deep_merge(a, b),
            json!({"ops": {"x": {"config": {"n": 2, "m": 1}}, "y": {}}, "execution": {"a": 1}})
        );
    }

    #[test]
    fn op_names_follow_dagster() {
        assert_eq!(
            op_name(&["reports".into(), "regional-report".into()]),
            "reports__regional_report"
        );
    }
}
