//! The analysis on the fixture workspace's shape: data-engineering (raw_orders →
//! cleaned_orders in ingest.py, data_engineering_asset in warehouse.py) feeding data-science
//! (data_science_asset in assets.py) across locations.

use super::*;
use crate::affected::projects::LostProject;
use crate::config::Project;
use crate::graph::test_support::two_locations;
use crate::manifest::schema::SourceLocation;
use std::path::PathBuf;

fn project(path: &str) -> Project {
    let name = path.rsplit('/').next().unwrap();
    let mut p = Project::for_tests(&PathBuf::from("/ws").join(path), name);
    p.listed_path = path.into();
    p.extra_inputs = vec!["seeds".into(), "conf/*.json".into()];
    p
}

fn workspace(paths: &[&str]) -> Workspace {
    Workspace {
        root: PathBuf::from("/ws"),
        config_file: PathBuf::from("/ws/dg.toml"),
        standalone: false,
        projects: paths.iter().map(|p| project(p)).collect(),
        current: None,
    }
}

fn graph() -> AssetGraph {
    let mut manifests = two_locations();
    for (_, m) in &mut manifests {
        for a in &mut m.assets {
            let file = match a.key.join("/").as_str() {
                "raw_orders" | "cleaned_orders" => "src/data_engineering/defs/ingest.py",
                "data_engineering_asset" => "src/data_engineering/defs/warehouse.py",
                "data_science_asset" => "src/data_science/defs/assets.py",
                _ => continue,
            };
            if a.is_executable {
                a.source = Some(SourceLocation {
                    file: file.into(),
                    line: Some(1),
                });
            }
        }
    }
    AssetGraph::build(manifests)
}

const PATHS: [&str; 2] = ["projects/data-engineering", "projects/data-science"];

fn run(files: &[&str], projects: &ProjectChanges, defs: Option<&DefinitionChanges>) -> Affected {
    let ws = workspace(&PATHS);
    let g = graph();
    let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
    analyze(&Input {
        workspace: &ws,
        graph: &g,
        files: &files,
        projects,
        definitions: defs,
    })
}

fn reasons(a: &Affected) -> Vec<(String, String)> {
    a.assets
        .iter()
        .map(|x| {
            let r = match &x.reason {
                Reason::Changed => "changed".to_string(),
                Reason::LocationConfig => "location-config".to_string(),
                Reason::Downstream(k) => format!("downstream of {k}"),
                Reason::Fallback => "fallback".to_string(),
            };
            (x.key.to_string(), r)
        })
        .collect()
}

fn statuses(a: &Affected) -> Vec<(&str, &str, usize)> {
    a.locations
        .iter()
        .map(|l| (l.name.as_str(), l.status.as_str(), l.assets))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn an_asset_file_affects_its_assets_and_everything_downstream_across_locations() {
    let a = run(
        &["projects/data-engineering/src/data_engineering/defs/ingest.py"],
        &ProjectChanges::default(),
        None,
    );
    assert_eq!(
        reasons(&a),
        pairs(&[
            ("cleaned_orders", "changed"),
            ("data_engineering_asset", "downstream of cleaned_orders"),
            ("data_science_asset", "downstream of cleaned_orders"),
            ("raw_orders", "changed"),
        ])
    );
    assert_eq!(
        statuses(&a),
        [
            ("data-engineering", "changed", 3),
            ("data-science", "downstream", 1)
        ]
    );
    assert!(a.locations[0].status.rebuild() && !a.locations[1].status.rebuild());
    assert_eq!(
        a.assets[0].files,
        ["projects/data-engineering/src/data_engineering/defs/ingest.py"]
    );
    // changed_in_branch: sees only the changed ones, with SOURCE.
    assert_eq!(a.changes.len(), 2);
    assert!(
        a.changes
            .kinds(&"raw_orders".into())
            .contains(ChangeKind::Source)
    );
    assert!(a.changes.kinds(&"data_science_asset".into()).is_empty());
}

#[test]
fn location_files_affect_every_asset_of_the_location() {
    for file in [
        "projects/data-engineering/pyproject.toml",
        "projects/data-engineering/uv.lock",
        "projects/data-engineering/requirements.txt",
        "projects/data-engineering/.env",
        "projects/data-engineering/src/data_engineering/definitions.py",
        "projects/data-engineering/src/data_engineering/defs/resources.py",
        // `[tool.dg-rs] extra_inputs`: a folder and a glob the fingerprint also covers.
        "projects/data-engineering/seeds/orders.csv",
        "projects/data-engineering/conf/prod.json",
    ] {
        let a = run(&[file], &ProjectChanges::default(), None);
        assert_eq!(
            reasons(&a),
            pairs(&[
                ("cleaned_orders", "location-config"),
                ("data_engineering_asset", "location-config"),
                ("data_science_asset", "downstream of data_engineering_asset"),
                ("raw_orders", "location-config"),
            ]),
            "{file}"
        );
        assert_eq!(a.assets[0].files, [file]);
    }
}

#[test]
fn a_file_outside_what_the_location_loads_changes_the_location_but_no_asset() {
    let a = run(
        &["projects/data-engineering/README.md", "docs/ci.md"],
        &ProjectChanges::default(),
        None,
    );
    assert!(a.assets.is_empty());
    assert_eq!(
        statuses(&a),
        [
            ("data-engineering", "changed", 0),
            ("data-science", "unchanged", 0)
        ]
    );
    assert_eq!(a.unowned_files, ["docs/ci.md"]);
    assert_eq!(
        a.locations[0].files,
        ["projects/data-engineering/README.md"]
    );
}

#[test]
fn workspace_files_affect_every_location() {
    for file in ["dg.toml", "dg-rs.toml", "uv.lock"] {
        let a = run(&[file], &ProjectChanges::default(), None);
        assert_eq!(a.workspace_files, [file]);
        assert_eq!(
            statuses(&a),
            [
                ("data-engineering", "changed", 3),
                ("data-science", "changed", 1)
            ],
            "{file}"
        );
        assert!(a.assets.iter().all(|x| x.reason == Reason::LocationConfig));
    }
    // A lock file inside a folder that is no project is no workspace file.
    let a = run(&["docs/uv.lock"], &ProjectChanges::default(), None);
    assert!(a.assets.is_empty() && a.unowned_files == ["docs/uv.lock"]);
}

#[test]
fn the_deepest_project_root_owns_a_file() {
    let ws = workspace(&[
        "projects/data",
        "projects/data-engineering",
        "projects/data-science",
    ]);
    let g = graph();
    let files = vec![
        "projects/data-engineering/src/data_engineering/defs/warehouse.py".to_string(),
        "projects/data/x.md".to_string(),
    ];
    let a = analyze(&Input {
        workspace: &ws,
        graph: &g,
        files: &files,
        projects: &ProjectChanges::default(),
        definitions: None,
    });
    assert_eq!(
        statuses(&a),
        [
            ("data", "changed", 0),
            ("data-engineering", "changed", 1),
            ("data-science", "downstream", 1)
        ]
    );
    assert_eq!(a.locations[0].files, ["projects/data/x.md"]);
}

#[test]
fn deleted_and_renamed_projects_are_reported_as_such() {
    let projects = ProjectChanges {
        lost: vec![
            LostProject {
                path: "projects/old-reports".into(),
                location: "old-reports".into(),
                fate: Fate::Deleted,
            },
            LostProject {
                path: "projects/science".into(),
                location: "science".into(),
                fate: Fate::Renamed {
                    location: "data-science".into(),
                    path: "projects/data-science".into(),
                },
            },
        ],
        new: vec![],
        listing_only: false,
    };
    let a = run(
        &[
            "projects/old-reports/pyproject.toml",
            "projects/science/pyproject.toml",
            "projects/data-science/pyproject.toml",
        ],
        &projects,
        None,
    );
    assert_eq!(
        statuses(&a),
        [
            ("data-engineering", "unchanged", 0),
            ("data-science", "renamed", 1),
            ("old-reports", "deleted", 0)
        ]
    );
    let ds = &a.locations[1];
    assert_eq!(ds.renamed_from.as_deref(), Some("projects/science"));
    assert_eq!(
        ds.files,
        [
            "projects/data-science/pyproject.toml",
            "projects/science/pyproject.toml"
        ]
    );
    assert_eq!(
        a.locations[2].files,
        ["projects/old-reports/pyproject.toml"]
    );
    assert!(!a.locations[2].status.needs_ci());
    let new = ProjectChanges {
        lost: vec![],
        new: vec!["data-science".into()],
        listing_only: false,
    };
    let a = run(&["projects/data-science/pyproject.toml"], &new, None);
    assert_eq!(a.locations[1].status, LocationStatus::New);
}

#[test]
fn definition_changes_from_a_state_are_changed_assets_and_removals_reach_their_dependents() {
    let mut defs = DefinitionChanges::default();
    defs.changed.insert(
        "raw_orders".into(),
        [ChangeKind::Tags, ChangeKind::Metadata]
            .into_iter()
            .collect(),
    );
    // data-science's stub still names data_engineering_asset; nobody owns it any more.
    defs.removed
        .push(("data_engineering_asset".into(), "data-engineering".into()));
    let ws = workspace(&PATHS);
    let mut manifests = two_locations();
    manifests[0]
        .1
        .assets
        .retain(|a| a.key != ["data_engineering_asset"]);
    let g = AssetGraph::build(manifests);
    let a = analyze(&Input {
        workspace: &ws,
        graph: &g,
        files: &[],
        projects: &ProjectChanges::default(),
        definitions: Some(&defs),
    });
    assert_eq!(
        reasons(&a),
        pairs(&[
            ("cleaned_orders", "downstream of raw_orders"),
            ("data_science_asset", "downstream of data_engineering_asset"),
            ("raw_orders", "changed"),
        ])
    );
    assert_eq!(
        a.changes
            .kinds(&"raw_orders".into())
            .iter()
            .collect::<Vec<_>>(),
        [ChangeKind::Tags, ChangeKind::Metadata]
    );
    assert_eq!(a.removed.len(), 1);
    // No file of its own changed: data-engineering only re-tests.
    assert_eq!(
        statuses(&a),
        [
            ("data-engineering", "downstream", 2),
            ("data-science", "downstream", 1)
        ]
    );
}

#[test]
fn fallback_declares_everything_and_says_why() {
    let ws = workspace(&PATHS);
    let g = graph();
    let a = Affected::everything(&ws, &g, "no merge base".into());
    assert_eq!(a.assets.len(), 4);
    assert!(a.assets.iter().all(|x| x.reason == Reason::Fallback));
    assert!(a.locations.iter().all(|l| l.status.rebuild()));
    assert_eq!(a.fallback.as_deref(), Some("no merge base"));
    assert_eq!(a.ci_locations().count(), 2);
}

#[test]
fn a_workspace_file_that_only_lists_projects_differently_changes_no_location() {
    let projects = ProjectChanges {
        listing_only: true,
        ..ProjectChanges::default()
    };
    let a = run(&["dg.toml"], &projects, None);
    assert!(a.workspace_files.is_empty() && a.assets.is_empty());
    assert!(
        a.locations
            .iter()
            .all(|l| l.status == LocationStatus::Unchanged)
    );
}
