//! The error a command ends with. An [`Error`] has a kind that decides the exit code (0 ok,
//! 1 a check or run failed, 2 usage or configuration error, 3 refused by the access policy,
//! 130 interrupted) and problems ([`crate::diagnostic::Problem`]), each a message, optionally
//! a position in a user file, and a hint saying what to do. How each core module's typed
//! error becomes one lives in `render::errors`, which only `cli` and `render` use: this
//! module imports nothing of the crate but `diagnostic`.

pub use crate::diagnostic::{Problem, SourcePos};
use std::fmt;

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
