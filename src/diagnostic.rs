//! What a problem in a user's input is: a message, optionally a position in a file (with
//! the line's text, so it can be shown with a caret), and a hint saying what to do. A leaf:
//! it imports nothing of the crate, so every module can use it, and `error` (the error a
//! command ends with) and `render::errors` (how each module's typed error reads) build on it.

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
