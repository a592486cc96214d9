//! Changed files from git, the way CI needs them: `git diff --name-only --no-renames` from
//! the merge base of the base and the head (so commits that landed on the base since the
//! branch was cut do not count), plus uncommitted and untracked files when asked. Without
//! `--no-renames` git would hide the old path of a renamed file, and that path's location
//! changed too.
//!
//! Every git call is an argv list run in the workspace root with `--relative`, so paths come
//! back relative to the workspace even when it sits deep inside a larger repository. Each
//! call costs a process, so the happy path makes two rounds of calls that run side by side
//! (merge base and head; diff and the base's workspace file), and failures are diagnosed
//! only when they happen.

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

impl Repo {
    /// The repository `dir` is in, worked on with the `git` program found by the caller.
    /// Nothing runs yet: the first call says whether `dir` is in a repository at all.
    pub fn open(dir: &Path, git: &Path) -> Repo {
        Repo {
            dir: dir.to_path_buf(),
            git: git.to_path_buf(),
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

    fn not_a_repository(&self, stderr: &str) -> Option<AffectedError> {
        stderr
            .contains("not a git repository")
            .then(|| AffectedError::NotARepository {
                dir: self.dir.clone(),
            })
    }

    fn run_ok(&self, args: &[&str]) -> Result<String> {
        let (ok, out, err) = self.run(args)?;
        if ok {
            return Ok(out);
        }
        Err(self
            .not_a_repository(&err)
            .unwrap_or_else(|| AffectedError::Git {
                args: args.join(" "),
                stderr: err.trim().to_string(),
            }))
    }

    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|(ok, out, _)| ok && out.trim() == "true")
    }

    /// The commit `rev` names.
    pub fn commit(&self, rev: &str) -> Result<String> {
        let spec = format!("{rev}^{{commit}}");
        let (ok, out, err) = self.run(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ])?;
        if ok && !out.trim().is_empty() {
            return Ok(out.trim().to_string());
        }
        Err(self
            .not_a_repository(&err)
            .unwrap_or_else(|| AffectedError::UnknownRevision {
                rev: rev.to_string(),
                shallow: self.is_shallow(),
            }))
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

/// The range of a comparison: both commits and their merge base (an error, never a guess,
/// when there is none). The merge base and the head's commit are asked at once; an unknown
/// name is diagnosed only when `merge-base` fails.
pub fn range(repo: &Repo, base: &str, head: Option<&str>) -> Result<GitRange> {
    let head_name = head.unwrap_or("HEAD");
    let (merge_base, head_commit) = std::thread::scope(|s| {
        let head_commit = s.spawn(|| repo.commit(head_name));
        let merge_base = repo.merge_base(base, head_name);
        let head_commit = head_commit
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (merge_base, head_commit)
    });
    let merge_base = match merge_base {
        Ok(sha) => sha,
        // A name git does not know is a clearer error than what merge-base says about it.
        Err(e @ AffectedError::Git { .. }) => {
            head_commit.as_ref().map_err(Clone::clone)?;
            repo.commit(base)?;
            return Err(e);
        }
        Err(e) => return Err(head_commit.err().unwrap_or(e)),
    };
    Ok(GitRange {
        base: base.to_string(),
        head: head_name.to_string(),
        merge_base,
        head_commit: head_commit?,
    })
}

/// The changed files: from the merge base to the head of `range`, plus the working tree's
/// edits and untracked files with `uncommitted`. Sorted, unique.
pub fn changed_files(
    repo: &Repo,
    range: Option<&GitRange>,
    uncommitted: bool,
) -> Result<Vec<String>> {
    let mut files = Vec::new();
    if let Some(r) = range {
        files.extend(repo.diff_names(&r.merge_base, Some(&r.head_commit))?);
    }
    if uncommitted {
        files.extend(repo.diff_names("HEAD", None)?);
        files.extend(repo.untracked()?);
    }
    files.sort();
    files.dedup();
    Ok(files)
}
