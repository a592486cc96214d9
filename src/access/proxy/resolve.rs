//! Finding the code location of what a mutation acts on by asking the webserver itself (the
//! same lookups its own permission checks make): a run's origin (or, for a run launched
//! outside the webserver, the locations of the assets it materialized), a backfill's
//! partition set or assets, an asset's repository, a schedule's or sensor's origin id among
//! the workspace's instigators. Lookups of one kind are batched into one query
//! ([`crate::dagster_api::queries::Lookup`]).

use super::Upstream;
use crate::access::graphql::Target;
use crate::dagster_api::queries::{self, Lookup};
use crate::dagster_api::types::{
    AssetKey, Batched, Instigator, LookupAsset, LookupBackfill, LookupRun, Repository,
    RepositoryOrigin, WorkspaceData,
};
use serde::de::DeserializeOwned;
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

/// One batched lookup: the answer for each item, in order (`None` where the webserver gave
/// none).
async fn lookup<T: DeserializeOwned, I: serde::Serialize>(
    up: &Upstream,
    kind: &Lookup,
    items: &[I],
) -> Result<Vec<Option<T>>, String> {
    let query = kind.batched(items.len());
    let mut data: Batched<Option<T>> = up.query(&query, queries::batched_variables(items)).await?;
    Ok((0..items.len())
        .map(|i| data.remove(&queries::alias(i)).flatten())
        .collect())
}

fn key_paths(keys: Option<Vec<AssetKey>>) -> Vec<Vec<String>> {
    keys.into_iter().flatten().map(|k| k.path).collect()
}

fn location_of(origin: Option<RepositoryOrigin>) -> Option<String> {
    origin.and_then(|o| o.repository_location_name)
}

/// Adds each run's location to `out`; returns the assets of runs without an origin.
async fn run_locations(
    up: &Upstream,
    runs: &[String],
    out: &mut BTreeSet<String>,
) -> Result<Vec<Vec<String>>, String> {
    let answers = lookup::<LookupRun, _>(up, &queries::LOOKUP_RUN, runs).await?;
    let mut assets = Vec::new();
    for (run, answer) in runs.iter().zip(answers) {
        let Some(LookupRun::Run {
            repository_origin,
            asset_selection,
        }) = answer
        else {
            return Err(format!("there is no run `{run}`"));
        };
        if let Some(l) = location_of(repository_origin) {
            out.insert(l);
            continue;
        }
        let keys = key_paths(asset_selection);
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
    let answers = lookup::<LookupBackfill, _>(up, &queries::LOOKUP_BACKFILL, ids).await?;
    let mut assets = Vec::new();
    for (id, answer) in ids.iter().zip(answers) {
        let Some(LookupBackfill::PartitionBackfill {
            is_asset_backfill,
            partition_set,
            asset_selection,
        }) = answer
        else {
            return Err(format!("there is no backfill `{id}`"));
        };
        if is_asset_backfill {
            let keys = key_paths(asset_selection);
            if keys.is_empty() {
                return Err(format!("backfill `{id}` names no assets"));
            }
            assets.extend(keys);
        } else {
            match location_of(partition_set.and_then(|p| p.repository_origin)) {
                Some(l) => {
                    out.insert(l);
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
    let answers = lookup::<LookupAsset, _>(up, &queries::LOOKUP_ASSET, &inputs).await?;
    for (key, answer) in unique.iter().zip(answers) {
        let location = match answer {
            Some(LookupAsset::AssetNode { repository }) => {
                repository.and_then(|r| r.location).map(|l| l.name)
            }
            _ => None,
        };
        match location {
            Some(l) => {
                out.insert(l);
            }
            None => {
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
    let data: WorkspaceData = up.query(queries::LOCATION_INSTIGATORS, json!({})).await?;
    // A workspace the webserver cannot show has no instigators to find.
    let entries = data.entries().unwrap_or_default();
    for t in targets {
        let (wanted, kind, of): (_, _, fn(&Repository) -> &[Instigator]) = match t {
            Target::Schedule(o) => (o, "schedule", |r| &r.schedules),
            Target::Sensor(o) => (o, "sensor", |r| &r.sensors),
            _ => continue,
        };
        let found = entries.iter().find(|entry| {
            entry
                .repositories()
                .iter()
                .any(|r| of(r).iter().any(|i| i.origin_id() == wanted))
        });
        match found {
            Some(e) => {
                out.insert(e.name.clone());
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
