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
    /// Ctrl-C: exit 130.
    Interrupted,
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
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
