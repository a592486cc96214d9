//! Writes a large synthetic workspace whose manifests are already in dg-rs's cache, so graph
//! work (`dg check`, selections, `dg graph`) can be measured at scale without any Python.
//!
//!     cargo run --release --example gen_workspace -- DIR LOCATIONS ASSETS_PER_LOCATION [CROSS_EDGES]
//!     cargo run --release --example gen_workspace -- --reseed DIR LOCATIONS ASSETS_PER_LOCATION [CROSS_EDGES]
//!
//! Each location is a real project folder (pyproject.toml with [tool.dg], a package under
//! src/) listed in DIR/dg.toml; its manifest comes from `graph::synthetic` and is stored under
//! the fingerprint dg-rs itself computes for that project, so every command runs warm. The
//! assets' source files (`defs/group_N.py`, a hundred assets each) exist too. `--reseed`
//! only stores the manifests again under the current fingerprints (after files were edited,
//! e.g. by a benchmark's git commits), writing no project file.

use dg_rs::config;
use dg_rs::graph::synthetic::{location_name, synthetic_workspace};
use dg_rs::manifest::cache::{ManifestCache, write_atomic};
use dg_rs::manifest::fingerprint::fingerprint;
use dg_rs::python::scripts;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let reseed = args.first().is_some_and(|a| a == "--reseed");
    if reseed {
        args.remove(0);
    }
    if args.len() < 3 {
        eprintln!(
            "usage: gen_workspace [--reseed] DIR LOCATIONS ASSETS_PER_LOCATION [CROSS_EDGES]"
        );
        return ExitCode::from(2);
    }
    let dir = PathBuf::from(&args[0]);
    let locations: usize = args[1].parse().expect("LOCATIONS is a number");
    let assets: usize = args[2].parse().expect("ASSETS_PER_LOCATION is a number");
    let cross: usize = args
        .get(3)
        .map_or(20, |s| s.parse().expect("CROSS_EDGES is a number"));
    if !reseed && dir.exists() {
        eprintln!("{} exists; pick a new folder", dir.display());
        return ExitCode::from(2);
    }
    if !reseed {
        write_projects(&dir, locations, assets);
    }
    seed(&dir, locations, assets, cross);
    ExitCode::SUCCESS
}

fn write_projects(dir: &std::path::Path, locations: usize, assets: usize) {
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
            write_atomic(&path, text.as_bytes()).expect("write project file");
        }
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
            write_atomic(&path, text.as_bytes()).expect("write source file");
        }
    }
    write_atomic(&dir.join("dg.toml"), dg_toml.as_bytes()).expect("write dg.toml");
}

fn seed(dir: &std::path::Path, locations: usize, assets: usize, cross: usize) {
    let ws = config::discover(dir).expect("the generated workspace loads");
    let cache = ManifestCache::new(&ws.state_dir());
    let version = scripts::version();
    for (name, manifest) in synthetic_workspace(locations, assets, cross, 7) {
        let project = ws
            .projects
            .iter()
            .find(|p| p.code_location_name == name)
            .expect("one project per synthetic location");
        cache
            .put(&name, &fingerprint(project, &version), &manifest)
            .expect("write cache entry");
    }
    println!(
        "{}: {locations} locations x {assets} assets, cache seeded",
        dir.display()
    );
}
