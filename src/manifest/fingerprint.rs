//! The fingerprint of a project: a blake3 hash over everything that can change what the
//! introspection script would report, computed without starting Python. A cache entry is
//! used only when its fingerprint equals the current one, so a stale answer is a bug here.
//!
//! Covered: the script itself and the manifest version; the project's resolved settings
//! (location name, target module, working directory); every source file Dagster may read
//! (`.py`, `.pyi`, YAML, TOML, SQL, `.cfg`, `.ini`, lock files) that git would not ignore;
//! the project's `.env`; the interpreter (path, the file it resolves to, its size and mtime,
//! `pyvenv.cfg`); the names of every entry in the environment's site-packages, which carry
//! the installed distributions and their versions (installing, upgrading or removing a
//! package changes them); the source files of editable installs outside the project (a
//! sibling `libs/shared` that a `.pth` file or an editable finder points at); and the files
//! the project names in `[tool.dg-rs] extra_inputs` (data read at import, such as a JSON
//! file). Not covered on purpose: data files the assets write.

use super::schema::MANIFEST_VERSION;
use crate::config::Project;
use std::path::Path;
use std::time::UNIX_EPOCH;

const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "pyi", "yaml", "yml", "toml", "sql", "cfg", "ini", "lock", "pth",
];

/// Which of a project's source files a fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sources {
    /// Every source file Dagster may read (a manifest).
    All,
    /// Only code and configuration, not the YAML and SQL that components read (a component
    /// registry, which imports modules and reads no defs.yaml).
    Code,
}

pub fn fingerprint(project: &Project, script: &str) -> String {
    fingerprint_of(project, script, Sources::All)
}

pub fn fingerprint_of(project: &Project, script: &str, sources: Sources) -> String {
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
    hash_sources(&mut h, &project.root, sources);
    file(&mut h, &project.dotenv_path());
    hash_extra_inputs(&mut h, project);
    hash_interpreter(&mut h, &project.interpreter.path, &project.root);
    h.finalize().to_hex().to_string()
}

/// Variables that differ between two shells of one user without changing what Python sees
/// of its configuration.
const VOLATILE_VARIABLES: &[&str] = &[
    "_",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "COLUMNS",
    "LINES",
    "TERM",
    "TERM_SESSION_ID",
    "WINDOWID",
    "SSH_TTY",
    "TMUX_PANE",
    "STY",
];

/// Families of variables a terminal, multiplexer, SSH session or benchmark tool sets per
/// session or per run (hyperfine's randomized offset, a new SSH client port).
const VOLATILE_PREFIXES: &[&str] = &[
    "HYPERFINE_",
    "SSH_",
    "TMUX",
    "TERM_",
    "DIRENV_",
    "VSCODE_",
    "KITTY_",
    "WEZTERM_",
    "ITERM_",
    "XDG_SESSION_",
    "WINDOW",
];

/// A hash of this process's environment variables (which the locations inherit), for a
/// remembered failure: a location that failed for want of a credential loads again once
/// the variable is exported, though its fingerprint did not change. Not part of
/// [`fingerprint`]: a manifest does not depend on which shell asked for it.
pub fn environment() -> &'static str {
    static PRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PRINT.get_or_init(|| {
        let mut vars: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os()
            .filter(|(k, _)| {
                let k = k.to_string_lossy();
                !VOLATILE_VARIABLES.iter().any(|v| k == *v)
                    && !VOLATILE_PREFIXES.iter().any(|p| k.starts_with(p))
            })
            .collect();
        vars.sort();
        let mut h = blake3::Hasher::new();
        for (k, v) in &vars {
            field(&mut h, &k.to_string_lossy(), &v.to_string_lossy());
        }
        h.finalize().to_hex().to_string()
    })
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

/// `[tool.dg-rs] extra_inputs`: a file, a folder (every file below it that git would not
/// ignore), or a glob matched below the project root.
fn hash_extra_inputs(h: &mut blake3::Hasher, project: &Project) {
    for entry in &project.extra_inputs {
        field(h, "extra_input", entry);
        if entry.contains(['*', '?', '[', '{']) {
            let Ok(glob) = globset::Glob::new(entry) else {
                continue;
            };
            let matcher = glob.compile_matcher();
            let mut files: Vec<_> = walk(&project.root)
                .filter(|p| {
                    p.strip_prefix(&project.root)
                        .is_ok_and(|r| matcher.is_match(r))
                })
                .collect();
            files.sort();
            for f in &files {
                file(h, f);
            }
            continue;
        }
        let path = project.root.join(entry);
        if path.is_dir() {
            let mut files: Vec<_> = walk(&path).collect();
            files.sort();
            for f in &files {
                file(h, f);
            }
        } else {
            file(h, &path);
        }
    }
}

/// Every file below `root` that git would not ignore.
fn walk(root: &Path) -> impl Iterator<Item = std::path::PathBuf> {
    ignore::WalkBuilder::new(root)
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
}

/// Folders an editable install makes importable: the path lines of a `.pth` file, and the
/// absolute paths quoted in a setuptools editable finder (`__editable___*_finder.py`).
fn editable_roots(site: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let Ok(text) = std::fs::read_to_string(site.join(name)) else {
        return Vec::new();
    };
    if name.ends_with(".pth") {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("import "))
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_dir())
            .collect()
    } else {
        text.split(['\'', '"'])
            .skip(1)
            .step_by(2)
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_dir())
            .collect()
    }
}

/// Whether a file at `rel` (relative to the project root) is one the fingerprint covers:
/// what `dg affected` treats as able to change every asset of the location. (Editable
/// sibling packages lie outside the project; their files belong to their own folders.)
pub fn covers(project: &Project, rel: &Path) -> bool {
    if rel == Path::new(".env") {
        return true;
    }
    let hidden = rel
        .components()
        .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with('.')));
    let source = !hidden
        && rel
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e));
    source
        || project.extra_inputs.iter().any(|entry| {
            if entry.contains(['*', '?', '[', '{']) {
                globset::Glob::new(entry).is_ok_and(|g| g.compile_matcher().is_match(rel))
            } else {
                rel.starts_with(entry)
            }
        })
}

/// The project's files the fingerprint hashes, sorted (absolute paths): its source files and
/// its `[tool.dg-rs] extra_inputs` below the project root.
pub fn covered_files(project: &Project) -> Vec<std::path::PathBuf> {
    let mut files = source_files(&project.root);
    files.extend(walk(&project.root).filter(|p| {
        p.strip_prefix(&project.root)
            .is_ok_and(|rel| !project.extra_inputs.is_empty() && covers(project, rel))
    }));
    files.sort();
    files.dedup();
    files
}

/// The source files below `root` (`.py`, YAML, TOML, SQL, lock files, …), sorted.
fn source_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = walk(root)
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e))
        })
        .collect();
    files.sort();
    files
}

fn hash_sources(h: &mut blake3::Hasher, root: &Path, sources: Sources) {
    let files = source_files(root);
    let data = |f: &Path| {
        f.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "sql"))
    };
    for f in files.iter().filter(|f| sources == Sources::All || !data(f)) {
        let rel = f.strip_prefix(root).unwrap_or(f);
        field(h, "source", &rel.display().to_string());
        file(h, f);
    }
}

fn hash_interpreter(h: &mut blake3::Hasher, python: &Path, project_root: &Path) {
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
            let mut editable = Vec::new();
            for n in &names {
                field(h, "entry", n);
                // Editable installs and path hooks live in .pth files; their content matters,
                // and so do the sources they point at (a sibling package of the workspace).
                let finder = n.starts_with("__editable__") && n.ends_with("_finder.py");
                if n.ends_with(".pth") || finder {
                    file(h, &site.join(n));
                    editable.extend(editable_roots(&site, n));
                }
            }
            editable.sort();
            editable.dedup();
            for dir in editable {
                // The project's own sources are hashed already.
                if dir.starts_with(project_root) || project_root.starts_with(&dir) {
                    continue;
                }
                field(h, "editable", &dir.display().to_string());
                hash_sources(h, &dir, Sources::All);
            }
        }
    }
}
