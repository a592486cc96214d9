//! Writes a large synthetic workspace whose manifests are already in dg-rs's cache, so graph
//! work (`dg check`, selections, `dg graph`) can be measured at scale without any Python.
//!
//!     cargo run --release --features bench --example gen_workspace -- DIR LOCATIONS ASSETS_PER_LOCATION [CROSS_EDGES]
//!     cargo run --release --features bench --example gen_workspace -- --reseed DIR LOCATIONS ASSETS_PER_LOCATION [CROSS_EDGES]
//!
//! Each location is a real project folder (pyproject.toml with [tool.dg], a package under
//! src/) listed in DIR/dg.toml; its manifest is stored under the fingerprint dg-rs itself
//! computes for that project, so every command runs warm. The assets' modules
//! (`defs/group_N.py`) exist too. `--reseed` only stores the manifests again under the
//! current fingerprints (after files were edited, e.g. by a benchmark's git commits).

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
    let made = if reseed {
        dg_rs::seed_workspace(&dir, locations, assets, cross)
    } else {
        dg_rs::generate_workspace(&dir, locations, assets, cross)
    };
    match made {
        Ok(()) => {
            println!(
                "{}: {locations} locations x {assets} assets, cache seeded",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
