//! Changed files from git, the way CI needs them: `git diff --name-only --no-renames` from
//! the merge base of the base and the head (so commits that landed on the base since the
//! branch was cut do not count), plus uncommitted and untracked files when asked. Without
//! `--no-renames` git would hide the old path of a renamed file, and that path's location
//! changed too.
//!
//! Every git call is an argv list run in the workspace root with `--relative`, so paths come
//! back relative to the workspace even when it sits deep inside a larger repository.

use super::AffectedError;
use crate::process::Cmd;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, AffectedError>;

/// A git working tree, addressed from the workspace root.
pub struct Repo {
    dir: PathBuf,
    git: PathBuf,
}

/// The commits a comparison ran between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRange {
    /// As given (`origin/main`).
    pub base: String,
    /// As given, `HEAD` by default.
    pub head: String,
    pub merge_base: String,
    pub head_commit: String,
}

/// What git says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitChanges {
    /// `None` with only `--uncommitted`.
    pub range: Option<GitRange>,
    pub uncommitted: bool,
    /// Relative to the workspace root, `/`-separated, sorted, unique.
    pub files: Vec<String>,
}

impl Repo {
    /// The repository `dir` is in, worked on with the `git` program found by the caller.
    pub fn open(dir: &Path, git: &Path) -> Result<Repo> {
        let repo = Repo {
            dir: dir.to_path_buf(),
            git: git.to_path_buf(),
        };
        let out = repo.run(&["rev-parse", "--is-inside-work-tree"])?;
        if out.0 && out.1.trim() == "true" {
            Ok(repo)
        } else {
            Err(AffectedError::NotARepository {
                dir: dir.to_path_buf(),
            })
        }
    }

    /// (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> Result<(bool, String, String)> {
        // No pager, no external diff drivers, no prompts: plain output for a program.
        let finished = Cmd::new(&self.git)
            .args(["--no-pager", "-c", "core.quotePath=false"])
            .args(args.iter().copied())
            .cwd(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| AffectedError::GitMissing {
                message: e.to_string(),
            })?;
        Ok((finished.success(), finished.stdout, finished.stderr))
    }

    fn run_ok(&self, args: &[&str]) -> Result<String> {
        let (ok, out, err) = self.run(args)?;
        if ok {
            Ok(out)
        } else {
            Err(AffectedError::Git {
                args: args.join(" "),
                stderr: err.trim().to_string(),
            })
        }
    }

    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|(ok, out, _)| ok && out.trim() == "true")
    }

    /// The commit `rev` names.
    pub fn commit(&self, rev: &str) -> Result<String> {
        let spec = format!("{rev}^{{commit}}");
        let (ok, out, _) = self.run(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ])?;
        if ok && !out.trim().is_empty() {
            Ok(out.trim().to_string())
        } else {
            Err(AffectedError::UnknownRevision {
                rev: rev.to_string(),
                shallow: self.is_shallow(),
            })
        }
    }

    /// The best common ancestor of `base` and `head`; an error (never a guess) without one.
    pub fn merge_base(&self, base: &str, head: &str) -> Result<String> {
        let (ok, out, err) = self.run(&["merge-base", "--end-of-options", base, head])?;
        match (ok, out.trim()) {
            (true, sha) if !sha.is_empty() => Ok(sha.to_string()),
            // Exit 1 with no output: no common ancestor.
            (false, "") if err.trim().is_empty() => Err(AffectedError::NoMergeBase {
                base: base.to_string(),
                head: head.to_string(),
                shallow: self.is_shallow(),
            }),
            _ => Err(AffectedError::Git {
                args: format!("merge-base {base} {head}"),
                stderr: err.trim().to_string(),
            }),
        }
    }

    /// Files that differ between two commits, or between a commit and the working tree
    /// (staged and unstaged) when `to` is `None`.
    pub fn diff_names(&self, from: &str, to: Option<&str>) -> Result<Vec<String>> {
        let mut args = vec![
            "diff",
            "--name-only",
            "--no-renames",
            "--no-ext-diff",
            "--relative",
            "-z",
            from,
        ];
        args.extend(to);
        args.push("--");
        Ok(split_z(&self.run_ok(&args)?))
    }

    /// Files git does not track and does not ignore.
    pub fn untracked(&self) -> Result<Vec<String>> {
        Ok(split_z(&self.run_ok(&[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--",
            ".",
        ])?))
    }

    /// The content of `path` (relative to the workspace root) at `rev`; `None` when it does
    /// not exist there.
    pub fn show(&self, rev: &str, path: &str) -> Result<Option<String>> {
        let spec = format!("{rev}:./{path}");
        let (ok, out, _) = self.run(&["show", "--no-textconv", &spec])?;
        Ok(ok.then_some(out))
    }
}

fn split_z(out: &str) -> Vec<String> {
    out.split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The changed files of a comparison: `base` (merge base with `head`) to `head`, plus the
/// working tree's edits and untracked files with `uncommitted`.
pub fn changes(
    repo: &Repo,
    base: Option<&str>,
    head: Option<&str>,
    uncommitted: bool,
) -> Result<GitChanges> {
    if uncommitted && head.is_some() {
        return Err(AffectedError::UncommittedWithHead);
    }
    let mut files = Vec::new();
    let range = match base {
        Some(base) => {
            let head_name = head.unwrap_or("HEAD");
            // Resolve both first: an unknown name is a clearer error than "no merge base".
            repo.commit(base)?;
            let head_commit = repo.commit(head_name)?;
            let merge_base = repo.merge_base(base, head_name)?;
            files.extend(repo.diff_names(&merge_base, Some(&head_commit))?);
            Some(GitRange {
                base: base.to_string(),
                head: head_name.to_string(),
                merge_base,
                head_commit,
            })
        }
        None => None,
    };
    if uncommitted {
        files.extend(repo.diff_names("HEAD", None)?);
        files.extend(repo.untracked()?);
    }
    files.sort();
    files.dedup();
    Ok(GitChanges {
        range,
        uncommitted,
        files,
    })
}
