//! Finding the code location of what a mutation acts on by asking the webserver itself (the
//! same lookups its own permission checks make): a run's origin (or, for a run launched
//! outside the webserver, the locations of the assets it materialized), a backfill's
//! partition set or assets, an asset's repository, a schedule's or sensor's origin id among
//! the workspace's instigators. Lookups of one kind are batched into one query.

use super::Upstream;
use crate::access::graphql::Target;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The locations of every target, or why one could not be found.
pub(crate) async fn locations(
    up: &Upstream,
    targets: &[Target],
) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    let mut runs = Vec::new();
    let mut backfills = Vec::new();
    let mut assets = Vec::new();
    let mut instigators = Vec::new();
    for t in targets {
        match t {
            Target::Location(l) => {
                out.insert(l.clone());
            }
            Target::Run(id) => runs.push(id.clone()),
            Target::Backfill(id) => backfills.push(id.clone()),
            Target::Asset(key) => assets.push(key.clone()),
            Target::Schedule(_) | Target::Sensor(_) => instigators.push(t.clone()),
        }
    }
    if !runs.is_empty() {
        assets.extend(run_locations(up, &runs, &mut out).await?);
    }
    if !backfills.is_empty() {
        assets.extend(backfill_locations(up, &backfills, &mut out).await?);
    }
    if !assets.is_empty() {
        asset_locations(up, &assets, &mut out).await?;
    }
    if !instigators.is_empty() {
        instigator_locations(up, &instigators, &mut out).await?;
    }
    Ok(out)
}

/// One aliased field per id: `query($v0: T!, $v1: T!) { r0: field(arg: $v0) {...} ... }`.
fn batched(field: &str, arg: &str, ty: &str, selection: &str, n: usize) -> String {
    let vars: Vec<String> = (0..n).map(|i| format!("$v{i}: {ty}")).collect();
    let fields: Vec<String> = (0..n)
        .map(|i| format!("r{i}: {field}({arg}: $v{i}) {selection}"))
        .collect();
    format!(
        "query DgRsAccessLookup({}) {{ {} }}",
        vars.join(", "),
        fields.join(" ")
    )
}

fn vars<T: serde::Serialize>(items: &[T]) -> Value {
    let mut m = serde_json::Map::new();
    for (i, item) in items.iter().enumerate() {
        m.insert(format!("v{i}"), json!(item));
    }
    Value::Object(m)
}

fn key_paths(v: &Value) -> Vec<Vec<String>> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| {
            k["path"]
                .as_array()?
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Adds each run's location to `out`; returns the assets of runs without an origin.
async fn run_locations(
    up: &Upstream,
    runs: &[String],
    out: &mut BTreeSet<String>,
) -> Result<Vec<Vec<String>>, String> {
    let query = batched(
        "runOrError",
        "runId",
        "ID!",
        "{ __typename ... on Run { repositoryOrigin { repositoryLocationName } assetSelection { path } } }",
        runs.len(),
    );
    let data = up.query(&query, vars(runs)).await?;
    let mut assets = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let r = &data[format!("r{i}")];
        if r["__typename"] != "Run" {
            return Err(format!("there is no run `{run}`"));
        }
        if let Some(l) = r["repositoryOrigin"]["repositoryLocationName"].as_str() {
            out.insert(l.to_string());
            continue;
        }
        let keys = key_paths(&r["assetSelection"]);
        if keys.is_empty() {
            return Err(format!("run `{run}` names no code location and no assets"));
        }
        assets.extend(keys);
    }
    Ok(assets)
}

async fn backfill_locations(
    up: &Upstream,
    ids: &[String],
    out: &mut BTreeSet<String>,
) -> Result<Vec<Vec<String>>, String> {
    let query = batched(
        "partitionBackfillOrError",
        "backfillId",
        "String!",
        "{ __typename ... on PartitionBackfill { isAssetBackfill \
         partitionSet { repositoryOrigin { repositoryLocationName } } assetSelection { path } } }",
        ids.len(),
    );
    let data = up.query(&query, vars(ids)).await?;
    let mut assets = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let b = &data[format!("r{i}")];
        if b["__typename"] != "PartitionBackfill" {
            return Err(format!("there is no backfill `{id}`"));
        }
        if b["isAssetBackfill"] == true {
            let keys = key_paths(&b["assetSelection"]);
            if keys.is_empty() {
                return Err(format!("backfill `{id}` names no assets"));
            }
            assets.extend(keys);
        } else {
            match b["partitionSet"]["repositoryOrigin"]["repositoryLocationName"].as_str() {
                Some(l) => {
                    out.insert(l.to_string());
                }
                None => return Err(format!("backfill `{id}` names no code location")),
            }
        }
    }
    Ok(assets)
}

async fn asset_locations(
    up: &Upstream,
    keys: &[Vec<String>],
    out: &mut BTreeSet<String>,
) -> Result<(), String> {
    let mut unique: Vec<&Vec<String>> = keys.iter().collect();
    unique.sort();
    unique.dedup();
    let inputs: Vec<Value> = unique.iter().map(|k| json!({ "path": k })).collect();
    let query = batched(
        "assetNodeOrError",
        "assetKey",
        "AssetKeyInput!",
        "{ __typename ... on AssetNode { repository { location { name } } } }",
        inputs.len(),
    );
    let data = up.query(&query, vars(&inputs)).await?;
    for (i, key) in unique.iter().enumerate() {
        let a = &data[format!("r{i}")];
        match a["repository"]["location"]["name"].as_str() {
            Some(l) if a["__typename"] == "AssetNode" => {
                out.insert(l.to_string());
            }
            _ => {
                return Err(format!(
                    "no code location defines asset `{}`",
                    key.join("/")
                ));
            }
        }
    }
    Ok(())
}

async fn instigator_locations(
    up: &Upstream,
    targets: &[Target],
    out: &mut BTreeSet<String>,
) -> Result<(), String> {
    let query = "query DgRsAccessInstigators { workspaceOrError { __typename ... on Workspace { \
                 locationEntries { name locationOrLoadError { __typename ... on RepositoryLocation { \
                 repositories { schedules { id } sensors { id } } } } } } } }";
    let data = up.query(query, json!({})).await?;
    let origin = |id: &Value| {
        id.as_str()
            .and_then(|s| s.split("::").next())
            .map(str::to_string)
    };
    for t in targets {
        let (wanted, kind, list) = match t {
            Target::Schedule(o) => (o, "schedule", "schedules"),
            Target::Sensor(o) => (o, "sensor", "sensors"),
            _ => continue,
        };
        let found = data["workspaceOrError"]["locationEntries"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|entry| {
                entry["locationOrLoadError"]["repositories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|r| r[list].as_array().into_iter().flatten())
                    .any(|i| origin(&i["id"]).as_ref() == Some(wanted))
            });
        match found.and_then(|e| e["name"].as_str()) {
            Some(l) => {
                out.insert(l.to_string());
            }
            None => {
                return Err(format!(
                    "no loaded code location has a {kind} with origin id `{wanted}`"
                ));
            }
        }
    }
    Ok(())
}
