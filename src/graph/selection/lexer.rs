//! The token set of Dagster's `AssetSelection.g4` (1.13.27), lexed the way ANTLR does it:
//! longest match wins, and on equal length the rule declared first (keywords before
//! strings, `UNQUOTED_STRING` before `UNQUOTED_WILDCARD_STRING`, `*` before wildcards).
//! Offsets are byte offsets into the input.

use super::SelectionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    And,
    Or,
    Not,
    Star,
    Plus,
    Digits(&'a str),
    Colon,
    LParen,
    RParen,
    Comma,
    Equal,
    /// An attribute or function keyword (`key`, `tag`, `sinks`, …), lowercase as written.
    Keyword(&'a str),
    /// Inner text, quotes removed.
    Quoted(&'a str),
    Unquoted(&'a str),
    Wildcard(&'a str),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

/// Every keyword token of the grammar (attributes and functions).
pub(super) const KEYWORDS: [&str; 19] = [
    "key",
    "owner",
    "group",
    "tag",
    "kind",
    "is",
    "code_location",
    "status",
    "column",
    "table_name",
    "column_tag",
    "changed_in_branch",
    "partitions",
    "automation_type",
    "sensor",
    "schedule",
    "job",
    "sinks",
    "roots",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'/'
}

pub(super) fn lex(input: &str) -> Result<Vec<Token<'_>>, SelectionError> {
    let bytes = input.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let single = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'=' => Some(Tok::Equal),
            b':' => Some(Tok::Colon),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b',' => Some(Tok::Comma),
            b'+' => Some(Tok::Plus),
            _ => None,
        };
        if let Some(tok) = single {
            i += 1;
            tokens.push(Token { tok, start, end: i });
            continue;
        }
        let tok = match b {
            b'"' => {
                let (tok, end) = quoted(input, start)?;
                i = end;
                tok
            }
            b'<' if input[i..].starts_with("<null>") => {
                i += "<null>".len();
                Tok::Null
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Digits(&input[start..i])
            }
            b'*' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let (tok, end) = word(input, start);
                i = end;
                tok
            }
            _ => return Err(unexpected_char(input, start)),
        };
        tokens.push(Token { tok, start, end: i });
    }
    Ok(tokens)
}

/// The quoted string starting at `start` (its `"`), and where it ends.
fn quoted(input: &str, start: usize) -> Result<(Tok<'_>, usize), SelectionError> {
    let bytes = input.as_bytes();
    let mut j = start + 1;
    loop {
        match bytes.get(j) {
            Some(b'"') => break,
            Some(b'\\' | b'\r' | b'\n') | None => {
                return Err(SelectionError::at_bytes(
                    input,
                    start,
                    j.min(bytes.len()),
                    "unterminated quoted string (quoted values cannot contain \
                     backslashes or line breaks)",
                ));
            }
            Some(_) => j += 1,
        }
    }
    Ok((Tok::Quoted(&input[start + 1..j]), j + 1))
}

/// The word starting at `start` (an unquoted string, keyword, operator, wildcard pattern or
/// `*`), and where it ends.
fn word(input: &str, start: usize) -> (Tok<'_>, usize) {
    let bytes = input.as_bytes();
    let b = bytes[start];
    // UNQUOTED_WILDCARD_STRING covers UNQUOTED_STRING, so measure both.
    let mut unquoted_end = start;
    if is_ident_start(b) {
        unquoted_end = start + 1;
        while unquoted_end < bytes.len() && is_ident_continue(bytes[unquoted_end]) {
            unquoted_end += 1;
        }
    }
    let mut wildcard_end = start + 1;
    while wildcard_end < bytes.len()
        && (is_ident_continue(bytes[wildcard_end]) || bytes[wildcard_end] == b'*')
    {
        wildcard_end += 1;
    }
    if wildcard_end > unquoted_end {
        if wildcard_end == start + 1 {
            (Tok::Star, wildcard_end)
        } else {
            (Tok::Wildcard(&input[start..wildcard_end]), wildcard_end)
        }
    } else {
        let text = &input[start..unquoted_end];
        let tok = match text {
            "and" | "AND" => Tok::And,
            "or" | "OR" => Tok::Or,
            "not" | "NOT" => Tok::Not,
            _ if KEYWORDS.contains(&text) => Tok::Keyword(text),
            _ => Tok::Unquoted(text),
        };
        (tok, unquoted_end)
    }
}

/// The error for a character no token starts with at `start`.
fn unexpected_char(input: &str, start: usize) -> SelectionError {
    let c = input[start..].chars().next().unwrap_or('?');
    let hint = if matches!(c, '-' | '.' | '@' | '/') {
        format!(
            "unexpected character '{c}' (values containing '{c}' must be quoted, \
             e.g. group:\"my-group\")"
        )
    } else {
        format!("unexpected character '{c}'")
    };
    SelectionError::at_bytes(input, start, start + c.len_utf8(), hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(input: &str) -> Vec<Tok<'_>> {
        lex(input).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn keywords_beat_strings_of_equal_length_and_lose_to_longer_ones() {
        assert_eq!(
            toks("key:keys and AND andx"),
            [
                Tok::Keyword("key"),
                Tok::Colon,
                Tok::Unquoted("keys"),
                Tok::And,
                Tok::And,
                Tok::Unquoted("andx"),
            ]
        );
        assert_eq!(toks("KEY"), [Tok::Unquoted("KEY")]);
    }

    #[test]
    fn star_alone_is_star_but_starts_wildcards() {
        assert_eq!(toks("*"), [Tok::Star]);
        assert_eq!(toks("**"), [Tok::Wildcard("**")]);
        assert_eq!(toks("*a"), [Tok::Wildcard("*a")]);
        assert_eq!(toks("pre/*"), [Tok::Wildcard("pre/*")]);
        assert_eq!(toks("pre/c"), [Tok::Unquoted("pre/c")]);
    }

    #[test]
    fn digits_plus_and_values() {
        assert_eq!(
            toks("2+key:d+10"),
            [
                Tok::Digits("2"),
                Tok::Plus,
                Tok::Keyword("key"),
                Tok::Colon,
                Tok::Unquoted("d"),
                Tok::Plus,
                Tok::Digits("10"),
            ]
        );
        assert_eq!(
            toks(r#"tag:"a b"=<null>"#),
            [
                Tok::Keyword("tag"),
                Tok::Colon,
                Tok::Quoted("a b"),
                Tok::Equal,
                Tok::Null
            ]
        );
    }

    #[test]
    fn errors_point_at_the_offending_character() {
        let err = lex("group:my-group").unwrap_err();
        assert_eq!((err.column, err.len), (8, 1));
        assert!(err.message.contains("must be quoted"));
        let err = lex("key:\"abc").unwrap_err();
        assert_eq!((err.column, err.len), (4, 4));
        let err = lex("é").unwrap_err();
        assert_eq!((err.column, err.len), (0, 1));
    }
}
