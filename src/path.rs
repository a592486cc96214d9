//! Paths as dg shows, writes and compares them: one rule per operation.
//!
//! - [`display`]: for messages. Relative to a base when below it, `.` for the base itself,
//!   otherwise the path as given.
//! - [`slash`]: for files we write (Dockerfiles, YAML, state files) and for comparing with
//!   git's paths. Components joined with `/`; an empty path is `.`.
//! - [`relative`]: from a directory to a path, with `..` where needed; `.` for the directory
//!   itself.
//! - [`normalize`]: lexical. Drops `.`, resolves `..` against a preceding normal component,
//!   keeps a leading `..` that cannot be resolved, and drops `..` right after the root.
//!
//! None of them touch the filesystem. A leaf module: std and `pathdiff` only.

use std::path::{Component, Path, PathBuf};

/// `path` as the user would type it, for messages: relative to `base` when below it (`.` for
/// `base` itself), otherwise `path` as given. Component-wise, so `/a/bc` is not below `/a/b`.
pub(crate) fn display(path: &Path, base: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// `path` with `/` between its components, for files we write: `a/b`, `/abs/c`, `../d`.
/// An empty path is `.`, so a written path is never blank. No other change (see [`normalize`]).
pub(crate) fn slash(path: &Path) -> String {
    let mut out = String::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => out.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => out.push('/'),
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    if out.is_empty() { ".".into() } else { out }
}

/// The path that leads from the directory `from_dir` to `to`, both first [`normalize`]d:
/// `../b` from `/w/a` to `/w/b`, `.` from a directory to itself. When no relative path exists
/// (one side absolute, the other not), `to` as normalized.
pub(crate) fn relative(from_dir: &Path, to: &Path) -> PathBuf {
    let (from_dir, to) = (normalize(from_dir), normalize(to));
    match pathdiff::diff_paths(&to, &from_dir) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel,
        None => to,
    }
}

/// `path` without `.` and with each `..` applied to the normal component before it, without
/// touching the filesystem: `a/./b/../c` → `a/c`, `/w/../t` → `/t`, `a/../..` → `..`.
/// A leading `..` that cannot be resolved stays (`../../x`); `..` right after the root is
/// dropped (`/..` → `/`). An empty result is `.`.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> &Path {
        Path::new(s)
    }

    #[test]
    fn display_is_relative_below_the_base_dot_for_the_base_and_as_given_outside() {
        assert_eq!(display(p("/w/a/b.py"), p("/w")), "a/b.py");
        assert_eq!(display(p("/w"), p("/w")), ".");
        assert_eq!(display(p("/w/"), p("/w")), ".");
        assert_eq!(display(p("/w/a/"), p("/w/")), "a");
        assert_eq!(display(p("/x/a"), p("/w")), "/x/a");
        assert_eq!(display(p("/wide/a"), p("/w")), "/wide/a");
        assert_eq!(display(p("rel/a"), p("/w")), "rel/a");
        assert_eq!(display(p("/w/../x"), p("/w")), "../x");
    }

    #[test]
    fn slash_joins_components_with_a_forward_slash() {
        assert_eq!(slash(p("a/b/c")), "a/b/c");
        assert_eq!(slash(p("a/b/")), "a/b");
        assert_eq!(slash(p("a//b")), "a/b");
        assert_eq!(slash(p("/abs/c")), "/abs/c");
        assert_eq!(slash(p("/")), "/");
        assert_eq!(slash(p("../d")), "../d");
        assert_eq!(slash(p("./e")), "./e");
        assert_eq!(slash(p("")), ".");
        assert_eq!(slash(p(".")), ".");
    }

    #[test]
    fn relative_walks_up_with_dotdot_and_is_dot_for_the_same_directory() {
        assert_eq!(relative(p("/w/out"), p("/w/a")), p("../a"));
        assert_eq!(relative(p("/w"), p("/w/a/b")), p("a/b"));
        assert_eq!(relative(p("/w"), p("/w")), p("."));
        assert_eq!(relative(p("/w/"), p("/w")), p("."));
        assert_eq!(relative(p("/w/x/y"), p("/w")), p("../.."));
        assert_eq!(relative(p("/w/./out/../out"), p("/w/a")), p("../a"));
        assert_eq!(relative(p("a"), p("/abs")), p("/abs"));
        assert_eq!(relative(p("/abs"), p("a/b")), p("a/b"));
    }

    #[test]
    fn normalize_drops_dot_resolves_dotdot_and_keeps_a_leading_dotdot() {
        assert_eq!(normalize(p("a/./b/../c")), p("a/c"));
        assert_eq!(normalize(p("/workspace/../tokens")), p("/tokens"));
        assert_eq!(normalize(p("./projects/x/")), p("projects/x"));
        assert_eq!(normalize(p("../x")), p("../x"));
        assert_eq!(normalize(p("../../x")), p("../../x"));
        assert_eq!(normalize(p("a/../..")), p(".."));
        assert_eq!(normalize(p("a/../../b")), p("../b"));
        assert_eq!(normalize(p("/..")), p("/"));
        assert_eq!(normalize(p("/../a")), p("/a"));
        assert_eq!(normalize(p("a/..")), p("."));
        assert_eq!(normalize(p(".")), p("."));
        assert_eq!(normalize(p("")), p("."));
    }
}
