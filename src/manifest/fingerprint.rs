//! The fingerprint of a project: a blake3 hash over everything that can change what the
//! introspection script would report, computed without starting Python. A cache entry is
//! used only when its fingerprint equals the current one, so a stale answer is a bug here.
//!
//! Covered: the script itself and the manifest version; the project's resolved settings
//! (location name, target module, working directory); every source file Dagster may read
//! (`.py`, `.pyi`, YAML, TOML, SQL, `.cfg`, `.ini`, lock files) that git would not ignore;
//! the project's `.env`; the interpreter (path, the file it resolves to, its size and mtime,
//! `pyvenv.cfg`); and the names of every entry in the environment's site-packages, which carry
//! the installed distributions and their versions (installing, upgrading or removing a
//! package changes them). Not covered on purpose: data files the assets write.

use super::schema::MANIFEST_VERSION;
use crate::config::Project;
use std::path::Path;
use std::time::UNIX_EPOCH;

const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "yaml", "yml", "toml", "sql", "cfg", "ini", "lock", "pth",
];

pub fn fingerprint(project: &Project, script: &str) -> String {
    let mut h = blake3::Hasher::new();
    field(&mut h, "manifest_version", &MANIFEST_VERSION.to_string());
    field(&mut h, "script", script);
    field(&mut h, "location", &project.code_location_name);
    field(&mut h, "module", &project.code_location_target_module);
    field(
        &mut h,
        "working_directory",
        &project.working_directory.display().to_string(),
    );
    field(&mut h, "root", &project.root.display().to_string());
    hash_sources(&mut h, &project.root);
    file(&mut h, &project.dotenv_path());
    hash_interpreter(&mut h, &project.interpreter.path);
    h.finalize().to_hex().to_string()
}

fn field(h: &mut blake3::Hasher, name: &str, value: &str) {
    h.update(name.as_bytes());
    h.update(&(value.len() as u64).to_le_bytes());
    h.update(value.as_bytes());
}

fn file(h: &mut blake3::Hasher, path: &Path) {
    field(h, "file", &path.display().to_string());
    match std::fs::read(path) {
        Ok(bytes) => {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Err(_) => {
            h.update(b"<absent>");
        }
    }
}

/// Whether a file at `rel` (relative to the project root) is one the fingerprint covers:
/// what `dg affected` treats as able to change every asset of the location.
pub fn covers(rel: &Path) -> bool {
    if rel == Path::new(".env") {
        return true;
    }
    let hidden = rel
        .components()
        .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with('.')));
    !hidden
        && rel
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e))
}

/// The source files the fingerprint hashes, sorted (absolute paths).
pub fn source_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .parents(false)
        .build()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| e.into_path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e))
        })
        .collect();
    files.sort();
    files
}

fn hash_sources(h: &mut blake3::Hasher, root: &Path) {
    let files = source_files(root);
    for f in &files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        field(h, "source", &rel.display().to_string());
        file(h, f);
    }
}

fn hash_interpreter(h: &mut blake3::Hasher, python: &Path) {
    field(h, "interpreter", &python.display().to_string());
    let real = std::fs::canonicalize(python).ok();
    field(
        h,
        "interpreter_real",
        &real
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    if let Some(meta) = real.as_deref().and_then(|p| std::fs::metadata(p).ok()) {
        h.update(&meta.len().to_le_bytes());
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        h.update(&mtime.to_le_bytes());
    }
    // <prefix>/bin/python → <prefix>/pyvenv.cfg and <prefix>/lib/python3.X/site-packages.
    let Some(prefix) = python.parent().and_then(Path::parent) else {
        return;
    };
    file(h, &prefix.join("pyvenv.cfg"));
    for lib in ["lib", "lib64"] {
        let Ok(rd) = std::fs::read_dir(prefix.join(lib)) else {
            continue;
        };
        let mut pys: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        pys.sort();
        for py in pys {
            let site = py.join("site-packages");
            let Ok(entries) = std::fs::read_dir(&site) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            field(h, "site-packages", &site.display().to_string());
            for n in &names {
                field(h, "entry", n);
                // Editable installs and path hooks live in .pth files; their content matters.
                if n.ends_with(".pth") {
                    file(h, &site.join(n));
                }
            }
        }
    }
}
