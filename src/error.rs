//! The error a command ends with, and the one place where every core module's typed error
//! becomes what the user reads. An [`Error`] has a kind that decides the exit code (0 ok,
//! 1 a check or run failed, 2 usage or configuration error, 3 refused by the access policy,
//! 130 interrupted) and problems,
//! each a message, optionally a position in a user file, and a hint saying what to do.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A position in a user's file, with the text of that line so it can be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePos {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The whole line the position is on, without its newline.
    pub line_text: String,
    /// How many characters to underline (at least 1).
    pub len: usize,
}

/// Where each line of a text starts, so many positions in one file cost a binary search
/// each instead of a scan from the top (thousands of problems in one file stay linear).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// Position of a byte range inside `text` (the text this index was made from).
    pub fn pos(&self, file: &Path, text: &str, span: Range<usize>) -> SourcePos {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
        let line0 = self.starts.partition_point(|&s| s <= start) - 1;
        let line_start = self.starts[line0];
        let line_end = self
            .starts
            .get(line0 + 1)
            .map_or(text.len(), |next| next - 1)
            .max(start);
        SourcePos::build(file, text, start, end, line0 + 1, line_start, line_end)
    }
}

impl SourcePos {
    /// Position of a byte range inside `text`, which was read from `file`.
    pub fn from_span(file: &Path, text: &str, span: Range<usize>) -> Self {
        LineIndex::new(text).pos(file, text, span)
    }

    fn build(
        file: &Path,
        text: &str,
        start: usize,
        end: usize,
        line: usize,
        line_start: usize,
        line_end: usize,
    ) -> Self {
        let column = text[line_start..start].chars().count() + 1;
        let len = text[start..end.min(line_end)].chars().count().max(1);
        SourcePos {
            file: file.to_path_buf(),
            line,
            column,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            len,
        }
    }

    /// The start of a file (for problems about the file as a whole).
    pub fn start_of(file: &Path, text: &str) -> Self {
        Self::from_span(file, text, 0..0)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem found in the user's input. Several are collected and reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub at: Option<SourcePos>,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            at: None,
            hint: None,
        }
    }
    pub fn at(mut self, pos: SourcePos) -> Self {
        self.at = Some(pos);
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// How an error ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A check or run failed: exit 1.
    Failed,
    /// Bad command line or bad configuration: exit 2.
    Usage,
    /// The access policy does not allow what was asked (a launch): exit 3.
    Denied,
    /// Ctrl-C: exit 130.
    Interrupted,
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Denied => 3,
            ErrorKind::Interrupted => 130,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// One or more problems; the first one's message is the headline.
    pub problems: Vec<Problem>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Usage,
            problems: vec![Problem::new(message)],
        }
    }
    pub fn failed(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Failed,
            problems: vec![Problem::new(message)],
        }
    }
    pub fn config(problems: Vec<Problem>) -> Self {
        Error {
            kind: ErrorKind::Usage,
            problems,
        }
    }
    /// An I/O failure on a user's file or directory: named, with exit 2.
    /// Ctrl-C (exit 130); what was interrupted has been reported already.
    pub fn interrupted() -> Self {
        Error {
            kind: ErrorKind::Interrupted,
            problems: Vec::new(),
        }
    }
    /// A failed check or run whose report was printed already (exit 1, nothing more said).
    pub fn silent_failure() -> Self {
        Error {
            kind: ErrorKind::Failed,
            problems: Vec::new(),
        }
    }
    pub fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        Error::usage(format!("could not {action} {}: {err}", path.display()))
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        if let Some(p) = self.problems.last_mut() {
            p.hint = Some(hint.into());
        }
        self
    }
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for p in &self.problems {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{}", p.message)?;
            if let Some(at) = &p.at {
                write!(f, " (at {}:{}:{})", at.file.display(), at.line, at.column)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

// ---- Core errors → what the user reads (message, hint, exit code), in one place. ----

impl From<crate::fs::FsError> for Error {
    fn from(e: crate::fs::FsError) -> Self {
        use crate::fs::FsError;
        let hint = match &e {
            FsError::ReadOnly { path } => Some(format!(
                "make it writable (`chmod u+w {}`) if it should change",
                path.display()
            )),
            FsError::IsDirectory { .. } => Some("name a file, not a folder".to_string()),
            FsError::SymlinkLoop { .. } => Some("fix or remove the symlink".to_string()),
            FsError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
            {
                Some("the file system is mounted read-only".to_string())
            }
            FsError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some("check the folder's permissions".to_string())
            }
            _ => None,
        };
        let err = Error::usage(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<crate::process::ProcessError> for Error {
    fn from(e: crate::process::ProcessError) -> Self {
        Error::failed(e.to_string())
    }
}

impl From<crate::config::DotenvError> for Error {
    fn from(e: crate::config::DotenvError) -> Self {
        match e {
            crate::config::DotenvError::InvalidLine { .. } => {
                Error::usage(e.to_string()).with_hint("each line of a .env file is KEY=value")
            }
            other => Error::usage(other.to_string()),
        }
    }
}

impl From<crate::instance::InstanceError> for Error {
    fn from(e: crate::instance::InstanceError) -> Self {
        use crate::instance::InstanceError as E;
        match e {
            E::Fs(e) => e.into(),
            E::Interrupted => Error {
                kind: ErrorKind::Interrupted,
                problems: vec![Problem::new(E::Interrupted.to_string())],
            },
            E::Damaged {
                home,
                message,
                tables,
                head,
            } => {
                let mut what = format!("the Dagster instance at {} is damaged: ", home.display());
                let hint = match (tables.as_slice(), head.as_deref()) {
                    ([], _) | (_, None) => {
                        what.push_str(&message);
                        format!(
                            "its alembic_version tables must hold one row each (the newest \
                             revision); repair them, or move {} away to start a new instance",
                            home.display()
                        )
                    }
                    (tables, Some(head)) => {
                        let listed: Vec<String> = tables
                            .iter()
                            .map(|t| {
                                format!("{} holds {}", t.file.display(), t.revisions.join(", "))
                            })
                            .collect();
                        what.push_str(&format!(
                            "its schema version table has more than one row ({}), left by two \
                             processes that created the instance at the same time",
                            listed.join("; ")
                        ));
                        let commands: Vec<String> = tables
                            .iter()
                            .map(|t| {
                                format!(
                                    "sqlite3 {} \"DELETE FROM alembic_version WHERE version_num <> '{head}'\"",
                                    t.file.display()
                                )
                            })
                            .collect();
                        format!(
                            "back up {}, then keep only the newest revision: {}; then run the command again",
                            home.display(),
                            commands.join(" && ")
                        )
                    }
                };
                Error::usage(what).with_hint(hint)
            }
            E::Failed {
                home,
                message,
                detail,
            } => {
                let mut msg = format!(
                    "could not prepare the Dagster instance at {}: {message}",
                    home.display()
                );
                if !detail.trim().is_empty() {
                    for l in detail.trim_end().lines() {
                        msg.push_str("\n    ");
                        msg.push_str(l);
                    }
                }
                let hint = if message.contains("Read-only") || message.contains("Permission denied")
                {
                    "DAGSTER_HOME must be a folder dg-rs may write: point DAGSTER_HOME elsewhere, or unset it to use <workspace>/.dg/dagster_home"
                } else if message.contains("module dagster_postgres") {
                    // A Postgres-backed instance (as `dg deploy` writes): every location that
                    // runs against it imports the storage library.
                    "the instance stores in Postgres: add dagster-postgres matching each location's Dagster (dagster 1.X.Y goes with dagster-postgres 0.(X+16).Y, e.g. 1.13.27 with 0.29.27) to every project's dependencies, then `dg sync`"
                } else {
                    "check the instance's dagster.yaml (storage settings) and that its database is reachable"
                };
                Error::usage(msg).with_hint(hint)
            }
        }
    }
}

impl From<crate::access::AccessError> for Error {
    fn from(e: crate::access::AccessError) -> Self {
        use crate::access::AccessError as A;
        match e {
            A::Config(problems) => Error::config(problems),
            A::LaunchRefused(verdict) => Error {
                kind: ErrorKind::Denied,
                problems: launch_refusal(&verdict),
            },
            A::NoPolicy { file } => Error::usage(format!(
                "the workspace has no access policy: {} has no [access] table",
                file.display()
            ))
            .with_hint("add an [access] table (README, \"Access control\") and run again"),
            A::Listen { addr, source } => {
                Error::usage(format!("could not listen on {addr}: {source}"))
                    .with_hint("pick another address or port (port 0 picks a free one)")
            }
            A::Runtime(source) => Error::failed(format!("the access proxy stopped: {source}")),
        }
    }
}

/// One problem per location a launch may not touch: the role needed, the person's role and
/// why, and who grants enough.
fn launch_refusal(verdict: &crate::access::roles::LaunchVerdict) -> Vec<Problem> {
    use crate::access::roles::Because;
    let person = &verdict.person;
    let file = verdict
        .policy_file
        .as_deref()
        .map(|f| {
            f.file_name().map_or(f.display().to_string(), |n| {
                n.to_string_lossy().into_owned()
            })
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for r in &verdict.refused {
        let e = &r.effective;
        let why: Vec<String> = e
            .reasons
            .iter()
            .filter(|reason| reason.role == e.role)
            .map(|reason| {
                let line = reason
                    .at
                    .as_ref()
                    .map(|a| format!(", {file}:{}", a.line))
                    .unwrap_or_default();
                match &reason.because {
                    Because::DefaultRole if reason.at.is_none() => {
                        "default_role, not set: viewer".to_string()
                    }
                    Because::DefaultRole => format!("default_role{line}"),
                    Because::Admin(g) => format!("admins: {g}{line}"),
                    Because::Grant(g) => format!("{} = {g}{line}", reason.role),
                }
            })
            .collect();
        let grants: Vec<String> = r
            .granted_by
            .iter()
            .map(|g| format!("{} = {} ({file}:{})", g.rule(), g.grantee, g.at.line))
            .collect();
        let who = if grants.is_empty() {
            format!(
                "nobody holds {} or more in {}; an admin can grant it",
                r.needed, e.location
            )
        } else {
            format!(
                "{} or more in {} is granted by {}",
                r.needed,
                e.location,
                grants.join(", ")
            )
        };
        let email_note = if person.is_email() {
            String::new()
        } else {
            " (not an email address, so no grant can name it: set DG_RS_USER to your email)"
                .to_string()
        };
        let mut p = Problem::new(format!(
            "{} may not launch in {}: a launch needs {} in every location it touches, and {} \
             (from {}){email_note} has {} there ({})",
            person.id,
            e.location,
            r.needed,
            person.id,
            person.source.describe(),
            e.role,
            why.join("; ")
        ))
        .hint(format!(
            "{who}; ask for it, or leave {}'s assets out of the selection",
            e.location
        ));
        p.at = r.table_at.clone();
        out.push(p);
    }
    out.push(Problem::new(
        "nothing was launched: no run was created (dg access explain shows every role and why)",
    ));
    out
}

impl From<crate::launch::LaunchError> for Error {
    fn from(e: crate::launch::LaunchError) -> Self {
        use crate::launch::LaunchError as E;
        let hint: Option<String> = match &e {
            E::MissingInterpreter { project, .. } => Some(format!(
                "run `dg sync {project}` to create the project's environment"
            )),
            E::NothingSelected(_) => Some("see the workspace's assets with `dg list assets`".into()),
            E::OnlyExternal { .. } => Some(
                "external assets are produced outside Dagster: select the assets that read them"
                    .into(),
            ),
            E::Cycle(_) => Some("`dg check` shows the whole cycle".into()),
            E::PartitionMissing(_) => Some(
                "pass --partition KEY, or leave the partitioned assets out of the selection".into(),
            ),
            E::NoSuchLocation { locations, .. } => Some(format!("locations: {locations}")),
            E::JobNotInLocation { jobs, .. } | E::NoSuchJob { jobs, .. } => {
                Some(format!("jobs: {jobs}"))
            }
            E::AmbiguousJob { .. } => Some("choose one with --location NAME".into()),
            E::ConfigYaml { .. } => Some(
                "a run config file is a YAML or JSON mapping, e.g. `ops: {my_asset: {config: {...}}}`"
                    .into(),
            ),
            E::ConfigUnused(_) => Some(
                "with several steps, `ops` entries go to the step of the asset with that op name and `resources` entries to the locations defining that resource"
                    .into(),
            ),
            _ => None,
        };
        let err = match &e {
            E::NoProject(_) | E::TempDir(_) => Error::failed(e.to_string()),
            _ => Error::usage(e.to_string()),
        };
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

/// A selection that did not parse or evaluate, shown with a caret under the bad part.
impl From<crate::affected::AffectedError> for Error {
    fn from(e: crate::affected::AffectedError) -> Self {
        let kind = if e.is_usage() {
            ErrorKind::Usage
        } else {
            ErrorKind::Failed
        };
        let mut problem = Problem::new(e.to_string());
        if let Some(h) = e.hint() {
            problem = problem.hint(h);
        }
        Error {
            kind,
            problems: vec![problem],
        }
    }
}

impl From<crate::graph::InvalidSelection> for Error {
    fn from(e: crate::graph::InvalidSelection) -> Self {
        Error::usage(format!(
            "invalid asset selection\n{}",
            e.error.caret_display(&e.text)
        ))
    }
}

/// The hint for a location that failed to load.
impl From<crate::deploy::DeployError> for Error {
    fn from(e: crate::deploy::DeployError) -> Self {
        use crate::deploy::DeployError as D;
        let e = match e {
            D::Fs(fs) => return Error::from(fs),
            D::Access(access) => return Error::from(*access),
            other => other,
        };
        let shown = |p: &Path| p.display().to_string();
        let message = e.to_string();
        let problem = match &e {
            D::NoProjects(file) => Problem::new(message)
                .hint(format!("list the projects under [workspace] in {}", shown(file))),
            D::NotPinned { location, at, .. } => {
                let p = Problem::new(message).hint(format!(
                    "pin it (`dagster==1.13.27`) in the `{location}` project's dependencies, or lock the project with `uv lock`: the image must get the Dagster the location was tested with"
                ));
                match at {
                    Some(at) => p.at((**at).clone()),
                    None => p,
                }
            }
            D::NotLocked { .. } => {
                Problem::new(message).hint("run `uv lock` in the project to lock its dependencies")
            }
            D::UnsupportedVersion { .. } => Problem::new(message)
                .hint("use a released Dagster 1.x (X.Y.Z); pre-releases have no matching dagster-postgres"),
            D::PythonUnknown { file, .. } => Problem::new(message).hint(format!(
                "set `[tool.dg-rs] python = \"3.12\"` in {}, or a `.python-version` file, or a requires-python that allows one minor (`>=3.12,<3.13`)",
                shown(file)
            )),
            D::WorkingDirOutside { .. } => {
                Problem::new(message).hint("keep the project's code inside its folder")
            }
            D::HostTooOld { file, version, .. } => Problem::new(message).hint(format!(
                "the webserver and daemon must run a Dagster at least every location's: raise the pin in {} to dagster=={version} (upgrade the host first, then the locations)",
                shown(file)
            )),
            D::Port { .. } => Problem::new(message).hint("choose a lower --grpc-base-port"),
            D::NotDns1035 {
                name,
                suggestion,
                project,
                at,
            } => {
                let p = Problem::new(format!(
                    "{message}: Kubernetes names each location's Service after it, and a Service name must be a DNS-1035 label (lowercase letters, digits and `-`, starting with a letter, ending with a letter or digit, at most 63 characters); `{name}` is not"
                ))
                .hint(format!(
                    "set `code_location_name = \"{suggestion}\"` under [tool.dg.project] in {} (renaming a location starts a new run history for it in Dagster)",
                    shown(project)
                ));
                match at {
                    Some(at) => p.at((**at).clone()),
                    None => p,
                }
            }
            D::NotServiceName { project, .. } => Problem::new(message).hint(format!(
                "set a `code_location_name` of letters, digits, `_`, `.` and `-` under [tool.dg.project] in {}",
                shown(project)
            )),
            D::ReservedName { project, .. } => Problem::new(message).hint(format!(
                "set another `code_location_name` under [tool.dg.project] in {}",
                shown(project)
            )),
            D::BadOption { .. } => Problem::new(message),
            D::Fs(_) | D::Access(_) => unreachable!("handled above"),
            D::Io { .. } | D::Template { .. } => Problem::new(message),
        };
        Error {
            kind: ErrorKind::Usage,
            problems: vec![problem],
        }
    }
}

impl From<crate::launch::remote::RemoteError> for Error {
    fn from(e: crate::launch::remote::RemoteError) -> Self {
        use crate::launch::remote::RemoteError as R;
        let message = e.to_string();
        let (kind, hint) = match &e {
            R::Unreachable { .. } => (
                ErrorKind::Failed,
                "check the URL given to --remote and that the webserver is running".to_string(),
            ),
            R::Refused { status: 401 | 403, .. } => (
                ErrorKind::Usage,
                "pass a token the webserver (or the proxy in front of it) accepts: --token, or DG_RS_REMOTE_TOKEN".to_string(),
            ),
            R::Refused { .. } | R::NotGraphql { .. } => (
                ErrorKind::Failed,
                "--remote takes the webserver's base URL (http://host:3000, with its path prefix if any)".to_string(),
            ),
            R::MissingLocation { location, .. } => (
                ErrorKind::Usage,
                format!("deploy `{location}` to that instance (dg deploy) or launch locally without --remote"),
            ),
            R::LocationError { .. } => (
                ErrorKind::Failed,
                "fix the location and reload it in the Dagster UI, then launch again".to_string(),
            ),
        };
        Error {
            kind,
            problems: vec![Problem::new(message).hint(hint)],
        }
    }
}

pub(crate) fn location_failure_hint(f: &crate::manifest::extract::LocationFailure) -> String {
    use crate::manifest::extract::FailureKind as K;
    match f.kind {
        K::MissingInterpreter => format!(
            "run `dg sync {}` to create the project's environment",
            f.project
        ),
        K::DagsterMissing => format!(
            "dagster is not installed in {}: run `dg sync {}`",
            f.interpreter.display(),
            f.project
        ),
        K::ImportError => format!(
            "fix the import, or run `dg sync {}` if a dependency is missing",
            f.project
        ),
        K::NoDefinitions => format!(
            "{} must define a `Definitions` object or a @definitions function",
            f.module
        ),
        K::Timeout => {
            "set DG_RS_LOAD_TIMEOUT (seconds) to allow more time, or make imports lighter".into()
        }
        K::State => "check that the workspace folder is writable".into(),
        K::Interrupted => "run the command again".into(),
        K::Protocol => "this is a dg-rs bug: please report it".into(),
        K::Crash => "run with --verbose to see the location's whole output".into(),
        K::SyntaxError | K::DefinitionsError => {
            "fix the error in the location's code shown above".into()
        }
    }
}

/// Every failed location as one problem each (exit 1: the others were still listed).
/// Locations that merely have no environment yet are named together in one problem. With
/// `verbose`, the whole output of each failed load is shown, not only its tail.
pub(crate) fn location_failures(
    failures: &[crate::manifest::extract::LocationFailure],
    verbose: bool,
) -> Error {
    use crate::manifest::extract::FailureKind;
    let (missing, other): (Vec<_>, Vec<_>) = failures
        .iter()
        .partition(|f| f.kind == FailureKind::MissingInterpreter && f.detail.trim().is_empty());
    let mut problems = Vec::new();
    match missing.as_slice() {
        [] => {}
        [one] => problems.push(
            Problem::new(format!(
                "location `{}` failed to load: {}",
                one.location, one.message
            ))
            .hint(location_failure_hint(one)),
        ),
        many => {
            let names: Vec<&str> = many.iter().map(|f| f.location.as_str()).collect();
            let shown = if names.len() > 8 {
                format!("{}, ... ({} in all)", names[..8].join(", "), names.len())
            } else {
                names.join(", ")
            };
            problems.push(
                Problem::new(format!(
                    "{} locations have no Python environment yet: {shown}",
                    names.len()
                ))
                .hint("run `dg sync` to create them (or `dg sync NAME...` for some)"),
            );
        }
    }
    for f in other {
        let mut msg = format!("location `{}` failed to load: {}", f.location, f.message);
        let detail = if verbose && !f.output.trim().is_empty() {
            &f.output
        } else {
            &f.detail
        };
        if !detail.trim().is_empty() {
            msg.push('\n');
            msg.push_str(
                &detail
                    .trim_end()
                    .lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        let mut hint = if verbose && f.kind == crate::manifest::extract::FailureKind::Crash {
            "the location's whole output is shown above".to_string()
        } else {
            location_failure_hint(f)
        };
        if f.remembered {
            hint.push_str(
                " (remembered from the last load: nothing the location depends on has changed \
                 since; `--refresh` loads it again)",
            );
        }
        problems.push(Problem::new(msg).hint(hint));
    }
    Error {
        kind: ErrorKind::Failed,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_to_line_and_column() {
        let text = "a = 1\nbé = 2\nc = 3\n";
        let start = text.find("= 2").unwrap();
        let pos = SourcePos::from_span(Path::new("x.toml"), text, start..start + 3);
        assert_eq!((pos.line, pos.column, pos.len), (2, 4, 3));
        assert_eq!(pos.line_text, "bé = 2");
    }

    #[test]
    fn span_past_end_is_clamped() {
        let pos = SourcePos::from_span(Path::new("x"), "ab", 10..20);
        assert_eq!((pos.line, pos.column, pos.len), (1, 3, 1));
    }
}
