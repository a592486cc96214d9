//! The crate's module graph, read from its sources: which top-level module (`src/X.rs` or
//! `src/X/`) names which (`crate::X`), outside tests. It must have no cycle, `diagnostic` must
//! be a leaf, and `error` may build on `diagnostic` only: how each module's typed error
//! reads lives in `render::errors`, which no core module imports.

use crate::common::repo_root;
use petgraph::graph::DiGraph;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_root().join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(&src).build().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.file_name().unwrap() == "tests.rs" {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if matches!(module.as_str(), "lib" | "main" | "bin") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        // Test modules may use anything (a synthetic workspace from bench_support, say).
        let code = text.split("#[cfg(test)]").next().unwrap();
        let names = edges.entry(module.clone()).or_default();
        for line in code.lines() {
            let line = line.split("//").next().unwrap();
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module && module_exists(&src, &name) {
                    names.insert(name);
                }
            }
        }
    }
    edges
}

fn module_exists(src: &Path, name: &str) -> bool {
    src.join(format!("{name}.rs")).is_file() || src.join(name).is_dir()
}

#[test]
fn the_module_graph_has_no_cycle_and_errors_build_on_a_leaf() {
    let edges = module_graph();
    assert!(edges.len() > 10, "read too few modules: {edges:?}");
    let mut graph = DiGraph::<&str, ()>::new();
    let mut index = BTreeMap::new();
    for name in edges.keys().chain(edges.values().flatten()) {
        index
            .entry(name.as_str())
            .or_insert_with(|| graph.add_node(name.as_str()));
    }
    for (from, tos) in &edges {
        for to in tos {
            graph.add_edge(index[from.as_str()], index[to.as_str()], ());
        }
    }
    let cycles: Vec<Vec<&str>> = petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.into_iter().map(|n| graph[n]).collect())
        .collect();
    assert!(
        cycles.is_empty(),
        "modules that import each other: {cycles:?}"
    );
    assert_eq!(edges["diagnostic"], BTreeSet::new(), "diagnostic is a leaf");
    assert_eq!(edges["path"], BTreeSet::new(), "path is a leaf");
    assert_eq!(
        edges["error"],
        BTreeSet::from(["diagnostic".to_string()]),
        "error builds on diagnostic only"
    );
    for (module, names) in &edges {
        if names.contains("render") || names.contains("cli") {
            assert!(
                matches!(module.as_str(), "cli" | "render"),
                "core module `{module}` imports {names:?}"
            );
        }
    }
}
