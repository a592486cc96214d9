//! One error type for the whole tool. Each error has a kind that decides the exit code
//! (0 ok, 1 a check or run failed, 2 usage or configuration error, 130 interrupted), a
//! message, optionally a position in a user file, and hints saying what to do.

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

impl SourcePos {
    /// Position of a byte range inside `text`, which was read from `file`.
    pub fn from_span(file: &Path, text: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
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
