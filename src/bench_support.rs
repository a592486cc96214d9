//! Deterministic synthetic workspaces for scale tests and benchmarks (compiled for tests and
//! with the `bench` feature only: not part of the shipped binary).
//!
//! The shape imitates real projects: chains of assets with some fan-in inside a location,
//! a few dependencies on assets of lower-numbered locations (so the whole workspace is a
//! DAG), each such dependency listed as the non-executable stub real Dagster emits, plus
//! groups, kinds, tags, owners, a source file per group of a hundred assets, one job and one
//! schedule per location.

use crate::manifest::schema::{
    AssetDef, JobDef, KeyParts, LocationInfo, MANIFEST_VERSION, Manifest, ScheduleDef,
    SourceLocation,
};
use std::collections::{BTreeMap, BTreeSet};

const KINDS: [&str; 5] = ["python", "dbt", "duckdb", "snowflake", "pandas"];
const TIERS: [&str; 3] = ["bronze", "silver", "gold"];

/// A tiny linear congruential generator: enough for reproducible shapes, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(feature = "bench")]
/// Writes a synthetic workspace of `locations` x `assets` into the new folder `dir`, each
/// location a real project folder whose manifest is already in dg-rs's cache under the
/// fingerprint dg-rs itself computes, so every command runs warm without Python.
pub fn generate_workspace(
    dir: &std::path::Path,
    locations: usize,
    assets: usize,
    cross: usize,
) -> Result<(), String> {
    use crate::fs::write_atomic;
    if dir.exists() {
        return Err(format!("{} exists; pick a new folder", dir.display()));
    }
    let mut dg_toml = String::from("directory_type = \"workspace\"\n\n[workspace]\n");
    for i in 0..locations {
        let name = location_name(i);
        let module = name.replace('-', "_");
        let root = dir.join("projects").join(&name);
        dg_toml.push_str(&format!(
            "\n[[workspace.projects]]\npath = \"projects/{name}\"\n"
        ));
        let files = [
            (
                root.join("pyproject.toml"),
                format!(
                    "[project]\nname = \"{module}\"\nrequires-python = \">=3.10,<3.15\"\nversion = \"0.1.0\"\ndependencies = [\"dagster==1.13.27\"]\n\n[tool.dg]\ndirectory_type = \"project\"\n\n[tool.dg.project]\nroot_module = \"{module}\"\n"
                ),
            ),
            (
                root.join("src").join(&module).join("__init__.py"),
                String::new(),
            ),
            (
                root.join("src").join(&module).join("definitions.py"),
                "# synthetic location: its manifest is pre-seeded in the cache\n".into(),
            ),
        ];
        for (path, text) in files {
            write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        }
        // The modules the assets are defined in, a hundred each (what `dg affected` maps
        // changed files to).
        for group in 0..assets.div_ceil(100) {
            let path = root
                .join("src")
                .join(&module)
                .join("defs")
                .join(format!("group_{group}.py"));
            let text = format!(
                "# synthetic assets {}..{} of {name}\n",
                group * 100,
                (group + 1) * 100
            );
            write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        }
    }
    write_atomic(&dir.join("dg.toml"), dg_toml.as_bytes()).map_err(|e| e.to_string())?;
    seed_workspace(dir, locations, assets, cross)
}

#[cfg(feature = "bench")]
/// Stores the synthetic manifests of the workspace in `dir` again, under the fingerprints
/// its files have now (after a benchmark edited and committed some), writing no project file.
pub fn seed_workspace(
    dir: &std::path::Path,
    locations: usize,
    assets: usize,
    cross: usize,
) -> Result<(), String> {
    let ws = crate::config::discover(dir, crate::python::interpreter::resolve_project)
        .map_err(|e| e.to_string())?;
    let cache = crate::manifest::cache::ManifestCache::new(&ws.state_dir().join("cache"));
    let version = crate::python::scripts::version();
    for (name, manifest) in synthetic_workspace(locations, assets, cross, 7) {
        let project = ws
            .project_by_location(&name)
            .ok_or_else(|| format!("no project for synthetic location {name}"))?;
        cache
            .put(
                &name,
                &crate::manifest::fingerprint::fingerprint(project, &version),
                &manifest,
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The name of location `i` (`loc-007`).
pub fn location_name(i: usize) -> String {
    format!("loc-{i:03}")
}

/// The key of asset `j` of location `i` (`loc_007/asset_0042`).
pub fn asset_key(i: usize, j: usize) -> KeyParts {
    vec![format!("loc_{i:03}"), format!("asset_{j:04}")]
}

/// `locations` manifests of `assets_per_location` executable assets each; every location but
/// the first gets up to `cross_edges_per_location` dependencies on earlier locations.
pub fn synthetic_workspace(
    locations: usize,
    assets_per_location: usize,
    cross_edges_per_location: usize,
    seed: u64,
) -> Vec<(String, Manifest)> {
    let mut rng = Lcg(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(locations);
    for i in 0..locations {
        let mut assets: Vec<AssetDef> =
            Vec::with_capacity(assets_per_location + cross_edges_per_location);
        for j in 0..assets_per_location {
            assets.push(synthetic_asset(&mut rng, i, j));
        }
        // Dependencies on earlier locations, with the stubs Dagster lists for them.
        let mut stubs: BTreeSet<KeyParts> = BTreeSet::new();
        if i > 0 && assets_per_location > 0 {
            for _ in 0..cross_edges_per_location {
                let upstream = asset_key(rng.below(i), rng.below(assets_per_location));
                let downstream = rng.below(assets_per_location);
                let deps = &mut assets[downstream].deps;
                if !deps.contains(&upstream) {
                    deps.push(upstream.clone());
                    deps.sort();
                }
                stubs.insert(upstream);
            }
        }
        assets.extend(stubs.into_iter().map(stub_asset));
        assets.sort_by(|a, b| a.key.cmp(&b.key));
        out.push(synthetic_manifest(i, assets, assets_per_location));
    }
    out
}

/// Executable asset `j` of location `i`.
fn synthetic_asset(rng: &mut Lcg, i: usize, j: usize) -> AssetDef {
    let mut deps: Vec<KeyParts> = Vec::new();
    // Chains of ten, with occasional fan-in from further back in the location.
    if !j.is_multiple_of(10) {
        deps.push(asset_key(i, j - 1));
        if rng.below(4) == 0 {
            deps.push(asset_key(i, rng.below(j)));
        }
    }
    deps.sort();
    deps.dedup();
    let mut kinds = vec![KINDS[rng.below(KINDS.len())].to_owned()];
    if rng.below(3) == 0 {
        kinds.push("python".to_owned());
    }
    kinds.sort();
    kinds.dedup();
    let mut tags = BTreeMap::new();
    tags.insert("tier".to_owned(), TIERS[j % TIERS.len()].to_owned());
    if j.is_multiple_of(7) {
        tags.insert("pii".to_owned(), String::new());
    }
    let owner = if j.is_multiple_of(2) {
        format!("team:team_{}", i % 10)
    } else {
        format!("owner{}@example.com", i % 10)
    };
    AssetDef {
        key: asset_key(i, j),
        deps,
        group_name: Some(format!("group_{}", j / 100)),
        kinds,
        owners: vec![owner],
        tags,
        description: Some(format!("Synthetic asset {j} of location {i}.")),
        is_executable: true,
        partitions: None,
        automation_condition: None,
        code_version: None,
        // One module per group of a hundred assets, as a project splits its defs.
        source: Some(SourceLocation {
            file: format!("src/loc_{i:03}/defs/group_{}.py", j / 100),
            line: Some((j % 100) as u32 * 10 + 1),
        }),
        dg_source: None,
        metadata: Default::default(),
        partition_mappings: Default::default(),
    }
}

/// The non-executable stub Dagster lists for an asset of another location.
fn stub_asset(key: KeyParts) -> AssetDef {
    AssetDef {
        key,
        deps: vec![],
        group_name: Some("default".to_owned()),
        kinds: vec![],
        owners: vec![],
        tags: BTreeMap::new(),
        description: None,
        is_executable: false,
        partitions: None,
        automation_condition: None,
        code_version: None,
        source: None,
        dg_source: None,
        metadata: Default::default(),
        partition_mappings: Default::default(),
    }
}

/// Location `i`'s name and manifest: `assets`, one job over its first hundred assets and a
/// nightly schedule of that job.
fn synthetic_manifest(
    i: usize,
    assets: Vec<AssetDef>,
    assets_per_location: usize,
) -> (String, Manifest) {
    let name = location_name(i);
    let job_assets: Vec<KeyParts> = (0..assets_per_location.min(100))
        .map(|j| asset_key(i, j))
        .collect();
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        location: LocationInfo {
            name: name.clone(),
            module: format!("loc_{i:03}.definitions"),
            python_executable: format!("/synthetic/{name}/.venv/bin/python"),
            python_version: "3.12.0".to_owned(),
            dagster_version: "1.13.27".to_owned(),
            extraction_seconds: 0.0,
            warnings: vec![],
        },
        assets,
        asset_checks: vec![],
        jobs: vec![JobDef {
            name: format!("loc_{i:03}_group_0_job"),
            description: None,
            asset_keys: job_assets,
            dg_source: None,
        }],
        schedules: vec![ScheduleDef {
            name: format!("loc_{i:03}_nightly"),
            cron_schedule: "0 2 * * *".to_owned(),
            job_name: Some(format!("loc_{i:03}_group_0_job")),
            dg_source: None,
        }],
        sensors: vec![],
        resources: vec![],
    };
    (name, manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::AssetGraph;

    #[test]
    fn same_seed_same_workspace() {
        assert_eq!(
            synthetic_workspace(3, 50, 5, 7),
            synthetic_workspace(3, 50, 5, 7)
        );
        assert_ne!(
            synthetic_workspace(3, 50, 5, 7),
            synthetic_workspace(3, 50, 5, 8)
        );
    }

    #[test]
    fn stubs_point_only_at_lower_locations_and_the_graph_is_a_dag() {
        let ws = synthetic_workspace(5, 40, 6, 1);
        for (i, (_, manifest)) in ws.iter().enumerate() {
            for asset in manifest.assets.iter().filter(|a| !a.is_executable) {
                let prefix = &asset.key[0];
                assert!(prefix.as_str() < format!("loc_{i:03}").as_str());
            }
        }
        let graph = AssetGraph::build(ws);
        assert_eq!(graph.node_count(), 5 * 40);
        assert!(graph.topological_order().is_ok());
        assert!(graph.edges().any(|(_, _, e)| e.cross_location));
        assert!(graph.node_ids().all(|id| !graph.node(id).is_external()));
    }

    /// The scale the design targets: 100 locations × 1,000 assets. Asserts results only.
    #[test]
    fn hundred_locations_of_a_thousand_assets() {
        use crate::graph::{selection, validate};

        let graph = AssetGraph::build(synthetic_workspace(100, 1000, 20, 42));
        assert_eq!(graph.node_count(), 100_000);
        assert_eq!(graph.locations().len(), 100);
        assert!(validate(&graph).is_empty());
        assert_eq!(graph.topological_order().map(|o| o.len()), Ok(100_000));

        let up = selection::parse("+key:loc_099/asset_0999")
            .unwrap()
            .evaluate(&graph)
            .unwrap();
        let selected: std::collections::HashSet<_> = up.iter().copied().collect();
        // The chain of ten within its location, and closed under "upstream of".
        for j in 990..1000 {
            assert!(selected.contains(&graph.find(&asset_key(99, j).into()).unwrap()));
        }
        for &id in &up {
            assert!(graph.upstream(id).all(|u| selected.contains(&u)));
        }

        let down = selection::parse("key:loc_000/*+")
            .unwrap()
            .evaluate(&graph)
            .unwrap();
        let reached: std::collections::HashSet<_> = down.iter().copied().collect();
        for &id in &down {
            assert!(graph.downstream(id).all(|d| reached.contains(&d)));
        }
        // Location 0 is upstream of many others through the cross-location stubs.
        let locations: std::collections::BTreeSet<_> =
            down.iter().filter_map(|&id| graph.node(id).owner).collect();
        assert!(locations.len() > 10, "{}", locations.len());

        let sinks = selection::parse(r#"sinks(code_location:"loc-050")"#)
            .unwrap()
            .evaluate(&graph)
            .unwrap();
        assert!(!sinks.is_empty());
        assert!(
            sinks
                .iter()
                .all(|&id| graph.owner_name(id) == Some("loc-050"))
        );
    }
}
