//! Definition changes between a saved state and the head, per asset, with Dagster's change
//! kinds (`AssetGraphDiffer`): a key owned only in the head is `NEW`, only in the base
//! `REMOVED`; otherwise `CODE_VERSION` (`!=`), `DEPENDENCIES` (the set of upstream keys, or
//! the partition mapping to one of them), `PARTITIONS_DEFINITION`, `TAGS` (kinds are tags in
//! Dagster, so they count) and `METADATA`. Group, owners, description and automation are not
//! compared, as in Dagster.
//!
//! Keys are compared across the whole workspace, not per location: an asset that moved to
//! another location is the same asset (Dagster scopes per location only because its keys
//! could collide between them; here the graph has one owner per key).

use crate::graph::changes::{ChangeKind, ChangeKinds};
use crate::graph::{AssetGraph, AssetKey};
use crate::manifest::schema::{AssetDef, Manifest, PartitionsInfo};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every owned asset whose definition differs from the base's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefinitionChanges {
    /// Keys of the head, with what changed.
    pub changed: BTreeMap<AssetKey, ChangeKinds>,
    /// Keys the base owned and the head does not: (key, the base's location).
    pub removed: Vec<(AssetKey, String)>,
}

/// Compares the head graph's owned assets with the base's manifests.
pub fn diff(base: &[(String, Manifest)], head: &AssetGraph) -> DefinitionChanges {
    let mut base_owned: HashMap<AssetKey, (&str, &AssetDef)> = HashMap::new();
    for (location, manifest) in base {
        for a in manifest.assets.iter().filter(|a| a.is_executable) {
            // The first owner wins, as in the graph's merge.
            base_owned
                .entry(AssetKey::from(&a.key))
                .or_insert((location.as_str(), a));
        }
    }
    let mut out = DefinitionChanges::default();
    let mut seen: BTreeSet<&AssetKey> = BTreeSet::new();
    for id in head.node_ids() {
        if head.node(id).is_external() {
            continue;
        }
        let Some(def) = head.definition(id) else {
            continue;
        };
        let key = head.key(id);
        let kinds = match base_owned.get(key) {
            None => [ChangeKind::New].into_iter().collect(),
            Some((_, old)) => {
                seen.insert(key);
                compare(old, def)
            }
        };
        if !kinds.is_empty() {
            out.changed.insert(key.clone(), kinds);
        }
    }
    let mut removed: Vec<(AssetKey, String)> = base_owned
        .iter()
        .filter(|(k, _)| !seen.contains(k))
        .map(|(k, (loc, _))| (k.clone(), loc.to_string()))
        .collect();
    removed.sort();
    out.removed = removed;
    out
}

/// The kinds by which `new` differs from `old` (the same key).
pub fn compare(old: &AssetDef, new: &AssetDef) -> ChangeKinds {
    let mut kinds = ChangeKinds::default();
    if old.code_version != new.code_version {
        kinds.insert(ChangeKind::CodeVersion);
    }
    let old_deps: BTreeSet<&Vec<String>> = old.deps.iter().collect();
    let new_deps: BTreeSet<&Vec<String>> = new.deps.iter().collect();
    if old_deps != new_deps || old.partition_mappings != new.partition_mappings {
        kinds.insert(ChangeKind::Dependencies);
    }
    if !same_partitions(old.partitions.as_ref(), new.partitions.as_ref()) {
        kinds.insert(ChangeKind::PartitionsDefinition);
    }
    let old_kinds: BTreeSet<&String> = old.kinds.iter().collect();
    let new_kinds: BTreeSet<&String> = new.kinds.iter().collect();
    if old.tags != new.tags || old_kinds != new_kinds {
        kinds.insert(ChangeKind::Tags);
    }
    if old.metadata != new.metadata {
        kinds.insert(ChangeKind::Metadata);
    }
    kinds
}

/// The same partitions definition: by identity when both sides have one; else by type and
/// first keys (never by the count, which grows with time for time windows).
fn same_partitions(old: Option<&PartitionsInfo>, new: Option<&PartitionsInfo>) -> bool {
    match (old, new) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.kind == b.kind
                && match (&a.identity, &b.identity) {
                    (Some(x), Some(y)) => x == y,
                    _ => a.sample_keys == b.sample_keys,
                }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{asset, manifest, stub};

    fn kinds(list: &[ChangeKind]) -> ChangeKinds {
        list.iter().copied().collect()
    }

    fn partitions(kind: &str, identity: Option<&str>, keys: &[&str], n: u64) -> PartitionsInfo {
        PartitionsInfo {
            kind: kind.into(),
            num_keys: Some(n),
            sample_keys: keys.iter().map(|k| k.to_string()).collect(),
            identity: identity.map(str::to_string),
        }
    }

    #[test]
    fn each_field_gives_its_own_kind() {
        let base = asset("a", &["x"]);
        let same = compare(&base, &base.clone());
        assert!(same.is_empty());

        let mut v = base.clone();
        v.code_version = Some("2".into());
        assert_eq!(compare(&base, &v), kinds(&[ChangeKind::CodeVersion]));

        let mut d = base.clone();
        d.deps.push(vec!["y".into()]);
        assert_eq!(compare(&base, &d), kinds(&[ChangeKind::Dependencies]));
        let mut reordered = d.clone();
        reordered.deps.reverse();
        assert!(compare(&d, &reordered).is_empty(), "order does not matter");
        let mut mapped = base.clone();
        mapped
            .partition_mappings
            .insert("x".into(), "digest".into());
        assert_eq!(compare(&base, &mapped), kinds(&[ChangeKind::Dependencies]));

        let mut t = base.clone();
        t.tags.insert("tier".into(), "gold".into());
        assert_eq!(compare(&base, &t), kinds(&[ChangeKind::Tags]));
        let mut k = base.clone();
        k.kinds.push("dbt".into());
        assert_eq!(compare(&base, &k), kinds(&[ChangeKind::Tags]));

        let mut m = base.clone();
        m.metadata.insert("owner_note".into(), "abc".into());
        assert_eq!(compare(&base, &m), kinds(&[ChangeKind::Metadata]));

        let mut p = base.clone();
        p.partitions = Some(partitions(
            "StaticPartitionsDefinition",
            Some("h1"),
            &["a"],
            1,
        ));
        assert_eq!(
            compare(&base, &p),
            kinds(&[ChangeKind::PartitionsDefinition])
        );

        let mut all = d.clone();
        all.code_version = Some("9".into());
        all.tags.insert("t".into(), String::new());
        assert_eq!(
            compare(&base, &all),
            kinds(&[
                ChangeKind::CodeVersion,
                ChangeKind::Dependencies,
                ChangeKind::Tags
            ])
        );
    }

    #[test]
    fn a_time_window_that_gained_keys_is_the_same_definition() {
        let day1 = partitions(
            "DailyPartitionsDefinition",
            Some("id"),
            &["2024-01-01"],
            400,
        );
        let day2 = partitions(
            "DailyPartitionsDefinition",
            Some("id"),
            &["2024-01-01"],
            401,
        );
        assert!(same_partitions(Some(&day1), Some(&day2)));
        let moved = partitions(
            "DailyPartitionsDefinition",
            Some("id2"),
            &["2024-01-01"],
            401,
        );
        assert!(!same_partitions(Some(&day1), Some(&moved)));
        // Without identities (an old state): type and first keys.
        let old = partitions("DailyPartitionsDefinition", None, &["2024-01-01"], 400);
        let later = partitions("DailyPartitionsDefinition", None, &["2024-01-01"], 500);
        assert!(same_partitions(Some(&old), Some(&later)));
        let start = partitions("DailyPartitionsDefinition", None, &["2023-01-01"], 500);
        assert!(!same_partitions(Some(&old), Some(&start)));
        assert!(!same_partitions(None, Some(&old)));
    }

    #[test]
    fn new_and_removed_keys_across_locations_and_moves_are_not_changes() {
        let base = vec![
            (
                "a".to_string(),
                manifest("a", vec![asset("x", &[]), asset("gone", &[])]),
            ),
            (
                "b".to_string(),
                manifest("b", vec![asset("moves", &[]), stub("x")]),
            ),
        ];
        let head = AssetGraph::build(vec![
            (
                "a".into(),
                manifest("a", vec![asset("x", &[]), asset("moves", &[])]),
            ),
            (
                "b".into(),
                manifest("b", vec![asset("fresh", &["x"]), stub("x")]),
            ),
        ]);
        let d = diff(&base, &head);
        assert_eq!(
            d.changed
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect::<Vec<_>>(),
            [("fresh".to_string(), kinds(&[ChangeKind::New]))]
        );
        assert_eq!(d.removed, [(AssetKey::parse("gone"), "a".to_string())]);
    }
}
