//! Parser for Dagster's asset selection grammar (`AssetSelection.g4`), with ANTLR's
//! precedence (`not` > `and` > `or`), and the legacy clause syntax Dagster falls back to when
//! the grammar does not match (`a`, `pre/c`, `+a`, `*a`, `a+++`, `tag:k=v`).

use super::SelectionError;
use super::lexer::{KEYWORDS, Tok, Token, lex};
use crate::graph::changes::ChangeKind;

/// Traversal depth: `None` is unlimited (a bare `+` or a legacy `*`).
pub(super) type Depth = Option<u32>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Null,
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IsValue {
    External,
    Materializable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expr {
    All,
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `up` / `down`: `None` = no traversal that way, `Some(depth)` = traverse.
    Traverse {
        inner: Box<Expr>,
        up: Option<Depth>,
        down: Option<Depth>,
    },
    Sinks(Box<Expr>),
    Roots(Box<Expr>),
    /// `key:` — a whole-string glob (`*` only) on the `/`-joined key.
    Key(String),
    Tag {
        key: Value,
        value: Value,
    },
    Owner(Value),
    Group(Value),
    Kind(Value),
    Is(IsValue),
    CodeLocation(Value),
    Job(Value),
    Schedule(Value),
    Sensor(Value),
    /// `changed_in_branch:KIND` (`None` is `ANY`); the span is for the error when there is
    /// nothing to compare with.
    ChangedInBranch {
        kind: Option<ChangeKind>,
        column: usize,
        len: usize,
    },
    /// A legacy bare key: unlike `key:`, selecting a key nobody defines is an error.
    LegacyKey {
        key: String,
        column: usize,
        len: usize,
    },
}

impl Expr {
    /// Whether `pred` holds for this expression or any inside it.
    pub(super) fn any(&self, pred: &dyn Fn(&Expr) -> bool) -> bool {
        // A work list, not recursion: generated selections chain thousands of `or`s.
        let mut todo = vec![self];
        while let Some(e) = todo.pop() {
            if pred(e) {
                return true;
            }
            match e {
                Expr::Not(e) | Expr::Sinks(e) | Expr::Roots(e) => todo.push(e),
                Expr::Traverse { inner, .. } => todo.push(inner),
                Expr::And(a, b) | Expr::Or(a, b) => {
                    todo.push(a);
                    todo.push(b);
                }
                _ => {}
            }
        }
        false
    }
}

/// Attributes real Dagster only resolves against a running instance or Dagster+ data.
const RUNTIME_ONLY: [&str; 7] = [
    "status",
    "column",
    "table_name",
    "column_tag",
    "partitions",
    "automation_type",
    "not_materialized_in_hours",
];

/// Why the grammar did not accept the input: syntax errors let the legacy syntax have a go,
/// semantic ones (an unsupported attribute, a bad `is:` value) are final.
pub(super) struct Failure {
    pub error: SelectionError,
    pub syntax: bool,
}

/// The grammar first, then the legacy clause syntax; the grammar's error when both fail.
/// `offset` (chars) shifts error columns, for pieces of a comma-separated union.
pub(super) fn parse_expr(input: &str, offset: usize) -> Result<Expr, SelectionError> {
    let shift = |mut e: SelectionError| {
        e.column += offset;
        e
    };
    match parse_grammar(input) {
        Ok(expr) => Ok(expr),
        Err(Failure {
            error,
            syntax: true,
        }) => legacy(input, offset).ok_or_else(|| shift(error)),
        Err(Failure { error, .. }) => Err(shift(error)),
    }
}

fn parse_grammar(input: &str) -> Result<Expr, Failure> {
    let tokens = lex(input).map_err(|error| Failure {
        error,
        syntax: true,
    })?;
    if let Some(comma) = tokens.iter().find(|t| t.tok == Tok::Comma) {
        return Err(Failure {
            error: SelectionError::at_bytes(
                input,
                comma.start,
                comma.end,
                "unexpected ','; combine selections with 'or' (only dg launch --assets \
                 accepts comma-separated selections)",
            ),
            syntax: true,
        });
    }
    let mut parser = Parser {
        input,
        tokens,
        pos: 0,
    };
    let expr = parser.or_expr()?;
    if let Some(token) = parser.peek() {
        return Err(parser.unexpected(token, "expected 'and', 'or' or the end of the selection"));
    }
    Ok(expr)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn peek_tok(&self) -> Option<Tok<'a>> {
        self.peek().map(|t| t.tok)
    }

    fn bump(&mut self) -> Option<Token<'a>> {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn syntax_error(&self, start: usize, end: usize, message: impl Into<String>) -> Failure {
        Failure {
            error: SelectionError::at_bytes(self.input, start, end, message),
            syntax: true,
        }
    }

    fn semantic_error(&self, start: usize, end: usize, message: impl Into<String>) -> Failure {
        Failure {
            error: SelectionError::at_bytes(self.input, start, end, message),
            syntax: false,
        }
    }

    fn unexpected(&self, token: Token<'a>, expected: &str) -> Failure {
        let text = &self.input[token.start..token.end];
        self.syntax_error(
            token.start,
            token.end,
            format!("unexpected token '{text}'; {expected}"),
        )
    }

    fn end_error(&self, expected: &str) -> Failure {
        let end = self.input.len();
        self.syntax_error(end, end, format!("unexpected end of selection; {expected}"))
    }

    fn expect(&mut self, want: Tok<'static>, what: &str) -> Result<Token<'a>, Failure> {
        match self.peek() {
            Some(t) if t.tok == want => {
                self.pos += 1;
                Ok(t)
            }
            Some(t) => Err(self.unexpected(t, &format!("expected {what}"))),
            None => Err(self.end_error(&format!("expected {what}"))),
        }
    }

    fn or_expr(&mut self) -> Result<Expr, Failure> {
        let mut left = self.and_expr()?;
        while self.peek_tok() == Some(Tok::Or) {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, Failure> {
        let mut left = self.unary()?;
        while self.peek_tok() == Some(Tok::And) {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, Failure> {
        match self.peek_tok() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Star) => {
                self.pos += 1;
                Ok(Expr::All)
            }
            _ => self.traversal(),
        }
    }

    /// `DIGITS? '+' traversalAllowedExpr ('+' DIGITS?)?` and its partial forms.
    fn traversal(&mut self) -> Result<Expr, Failure> {
        let mut up = None;
        match (
            self.peek_tok(),
            self.tokens.get(self.pos + 1).map(|t| t.tok),
        ) {
            (Some(Tok::Digits(d)), Some(Tok::Plus)) => {
                self.pos += 2;
                up = Some(Some(depth(d)));
            }
            (Some(Tok::Digits(_)), _) => {
                let t = self.peek().expect("peeked");
                return Err(self.unexpected(t, "a depth must be followed by '+' (2+key:a)"));
            }
            (Some(Tok::Plus), _) => {
                self.pos += 1;
                up = Some(None);
            }
            _ => {}
        }
        let inner = self.traversal_allowed()?;
        let mut down = None;
        if self.peek_tok() == Some(Tok::Plus) {
            self.pos += 1;
            let mut d = None;
            if let Some(Tok::Digits(digits)) = self.peek_tok() {
                self.pos += 1;
                d = Some(depth(digits));
            }
            down = Some(d);
        }
        if up.is_none() && down.is_none() {
            return Ok(inner);
        }
        Ok(Expr::Traverse {
            inner: Box::new(inner),
            up,
            down,
        })
    }

    fn traversal_allowed(&mut self) -> Result<Expr, Failure> {
        const EXPECTED: &str = "expected an attribute (key:…, tag:…, group:…), \
                                sinks(…), roots(…), '(' , '*' or 'not'";
        let Some(token) = self.peek() else {
            return Err(self.end_error(EXPECTED));
        };
        match token.tok {
            Tok::LParen => {
                self.pos += 1;
                let inner = self.or_expr()?;
                self.expect(Tok::RParen, "')'")?;
                Ok(inner)
            }
            Tok::Keyword(f @ ("sinks" | "roots")) => {
                self.pos += 1;
                self.expect(Tok::LParen, &format!("'(' after {f}"))?;
                let inner = Box::new(self.or_expr()?);
                self.expect(Tok::RParen, "')'")?;
                Ok(if f == "sinks" {
                    Expr::Sinks(inner)
                } else {
                    Expr::Roots(inner)
                })
            }
            Tok::Keyword(name) => {
                self.pos += 1;
                self.attribute(name, token.start)
            }
            Tok::Unquoted(name) | Tok::Wildcard(name)
                if self.tokens.get(self.pos + 1).map(|t| t.tok) == Some(Tok::Colon) =>
            {
                Err(self.unknown_attribute(name, token))
            }
            Tok::Unquoted(name) | Tok::Wildcard(name) => Err(self.unexpected(
                token,
                &format!("select keys with the key: attribute (key:{name})"),
            )),
            Tok::Star => {
                Err(self.unexpected(token, "'*' cannot be traversed; use parentheses: +(*)"))
            }
            _ => Err(self.unexpected(token, EXPECTED)),
        }
    }

    fn unknown_attribute(&self, name: &str, token: Token<'a>) -> Failure {
        let lower = name.to_ascii_lowercase();
        if RUNTIME_ONLY.contains(&lower.as_str()) && lower == name {
            return self.semantic_error(token.start, token.end, unsupported_message(name));
        }
        let attributes: Vec<&str> = KEYWORDS
            .iter()
            .copied()
            .filter(|k| !matches!(*k, "sinks" | "roots"))
            .collect();
        let message = match crate::suggest::closest(&lower, &attributes) {
            Some(k) if k == lower => {
                format!("unknown attribute '{name}'; attribute names are lowercase: '{k}'")
            }
            Some(k) => format!("unknown attribute '{name}'; did you mean '{k}'?"),
            None => format!(
                "unknown attribute '{name}'; expected one of {}",
                KEYWORDS[..17].join(", ")
            ),
        };
        self.syntax_error(token.start, token.end, message)
    }

    fn attribute(&mut self, name: &'a str, start: usize) -> Result<Expr, Failure> {
        self.expect(Tok::Colon, &format!("':' after {name}"))?;
        if name == "key" {
            return self.key_value();
        }
        let value_start = self.peek().map_or(self.input.len(), |t| t.start);
        let value = self.value(name)?;
        let end = self.tokens[self.pos - 1].end;
        if RUNTIME_ONLY.contains(&name) {
            // Parse the rest of the attribute first, so the caret covers all of it.
            if name == "column_tag" && self.peek_tok() == Some(Tok::Equal) {
                self.pos += 1;
                self.value(name)?;
            }
            let end = self.tokens[self.pos - 1].end;
            return Err(self.semantic_error(start, end, unsupported_message(name)));
        }
        Ok(match name {
            "tag" => {
                let tag_value = if self.peek_tok() == Some(Tok::Equal) {
                    self.pos += 1;
                    match self.value(name)? {
                        // `tag:k=<null>` is `tag:k` in Dagster (`value or ""`).
                        Value::Null => Value::Str(String::new()),
                        v => v,
                    }
                } else {
                    Value::Str(String::new())
                };
                Expr::Tag {
                    key: value,
                    value: tag_value,
                }
            }
            "owner" => Expr::Owner(value),
            "group" => Expr::Group(value),
            "kind" => Expr::Kind(value),
            "code_location" => Expr::CodeLocation(value),
            "job" => Expr::Job(value),
            "schedule" => Expr::Schedule(value),
            "sensor" => Expr::Sensor(value),
            "changed_in_branch" => {
                let kind = self.change_kind(&value, value_start, end)?;
                let column = self.input[..start].chars().count();
                let len = self.input[start..end].chars().count();
                Expr::ChangedInBranch { kind, column, len }
            }
            "is" => match value {
                Value::Str(v) if v == "external" => Expr::Is(IsValue::External),
                Value::Str(v) if v == "materializable" => Expr::Is(IsValue::Materializable),
                _ => {
                    let shown = &self.input[value_start..end];
                    return Err(self.semantic_error(
                        value_start,
                        end,
                        format!(
                            "invalid value '{shown}' for is:; expected 'external' or \
                             'materializable'"
                        ),
                    ));
                }
            },
            _ => {
                return Err(self.semantic_error(
                    start,
                    end,
                    format!("'{name}' cannot be used as an attribute"),
                ));
            }
        })
    }

    /// The value of `key:` (a key, quoted or not, or a wildcard pattern).
    fn key_value(&mut self) -> Result<Expr, Failure> {
        match self.bump() {
            Some(Token {
                tok: Tok::Quoted(v) | Tok::Unquoted(v) | Tok::Wildcard(v),
                ..
            }) => Ok(Expr::Key(v.to_owned())),
            Some(t) => {
                let quote = if matches!(t.tok, Tok::Keyword(_) | Tok::And | Tok::Or | Tok::Not) {
                    let text = &self.input[t.start..t.end];
                    format!(" (quote keywords: key:\"{text}\")")
                } else {
                    String::new()
                };
                Err(self.unexpected(t, &format!("expected an asset key{quote}")))
            }
            None => Err(self.end_error("expected an asset key")),
        }
    }

    /// The kind of `changed_in_branch:` (`None` for ANY) at `start..end`.
    fn change_kind(
        &self,
        value: &Value,
        start: usize,
        end: usize,
    ) -> Result<Option<ChangeKind>, Failure> {
        Ok(match value {
            Value::Str(v) if v == "ANY" => None,
            Value::Str(v) => match ChangeKind::parse(v) {
                Some(ChangeKind::Removed) => {
                    return Err(self.semantic_error(
                        start,
                        end,
                        "changed_in_branch:REMOVED cannot select anything: removed \
                         assets are not in the graph (`dg affected` lists them)",
                    ));
                }
                Some(k) => Some(k),
                None => return Err(self.bad_change_kind(start, end)),
            },
            Value::Null => return Err(self.bad_change_kind(start, end)),
        })
    }

    fn bad_change_kind(&self, start: usize, end: usize) -> Failure {
        let shown = &self.input[start..end];
        let kinds: Vec<&str> = std::iter::once("ANY")
            .chain(
                ChangeKind::ALL
                    .iter()
                    .filter(|k| **k != ChangeKind::Removed)
                    .map(|k| k.as_str()),
            )
            .collect();
        let upper = shown.trim_matches('"').to_ascii_uppercase();
        let message = if kinds.contains(&upper.as_str()) {
            format!("invalid value '{shown}' for changed_in_branch:; kinds are uppercase: {upper}")
        } else {
            format!(
                "invalid value '{shown}' for changed_in_branch:; expected one of {}",
                kinds.join(", ")
            )
        };
        self.semantic_error(start, end, message)
    }

    /// `NULL_STRING | QUOTED_STRING | UNQUOTED_STRING | 'sensor' | 'schedule' | 'job'`.
    fn value(&mut self, attribute: &str) -> Result<Value, Failure> {
        match self.bump() {
            Some(Token { tok: Tok::Null, .. }) => Ok(Value::Null),
            Some(Token {
                tok:
                    Tok::Quoted(v)
                    | Tok::Unquoted(v)
                    | Tok::Keyword(v @ ("sensor" | "schedule" | "job")),
                ..
            }) => Ok(Value::Str(v.to_owned())),
            Some(t) => {
                let text = &self.input[t.start..t.end];
                let why = match t.tok {
                    Tok::Wildcard(_) => format!(
                        "wildcards only work in key:; quote the value: {attribute}:\"{text}\""
                    ),
                    Tok::Digits(_) | Tok::Keyword(_) | Tok::And | Tok::Or | Tok::Not => {
                        format!("quote the value: {attribute}:\"{text}\"")
                    }
                    _ => format!("expected a value for {attribute}:"),
                };
                Err(self.unexpected(t, &why))
            }
            None => Err(self.end_error(&format!("expected a value for {attribute}:"))),
        }
    }
}

fn unsupported_message(name: &str) -> String {
    format!("'{name}:' is not supported by dg-rs: it needs a running Dagster instance")
}

/// Digits in the input can be arbitrarily long; anything past `u32` is as good as unlimited.
fn depth(digits: &str) -> u32 {
    digits.parse().unwrap_or(u32::MAX)
}

/// Dagster's legacy clause: `^(\*?\+*)?([./\w\d\[\]?_-]+)(\+*\*?)?$` on the stripped string,
/// `+` counting levels and `*` meaning unlimited; else a `tag:k[=v]` string.
fn legacy(input: &str, offset: usize) -> Option<Expr> {
    let clause = input.trim();
    let lead = input.len() - input.trim_start().len();
    let column = offset + input[..lead].chars().count();
    let len = clause.chars().count();
    if let Some(expr) = legacy_clause(clause, column, len) {
        return Some(expr);
    }
    let tag = input.strip_prefix("tag:")?;
    let mut parts = tag.split('=');
    let key = parts.next().unwrap_or_default().to_owned();
    let value = parts.next().unwrap_or_default().to_owned();
    if parts.next().is_some() {
        return None;
    }
    Some(Expr::Tag {
        key: Value::Str(key),
        value: Value::Str(value),
    })
}

fn legacy_clause(clause: &str, column: usize, len: usize) -> Option<Expr> {
    let is_item = |c: char| c.is_alphanumeric() || "./[]?_-".contains(c);
    // Leading `\*?\+*`: an optional star, then pluses.
    let mut rest = clause;
    let up_star = rest.starts_with('*');
    if up_star {
        rest = &rest[1..];
    }
    let up_plus = rest.len() - rest.trim_start_matches('+').len();
    rest = &rest[up_plus..];
    let item_len: usize = rest
        .char_indices()
        .find(|&(_, c)| !is_item(c))
        .map_or(rest.len(), |(i, _)| i);
    if item_len == 0 {
        return None;
    }
    let item = &rest[..item_len];
    let tail = &rest[item_len..];
    // Trailing `\+*\*?`.
    let down_plus = tail.len() - tail.trim_start_matches('+').len();
    let after = &tail[down_plus..];
    let down_star = match after {
        "" => false,
        "*" => true,
        _ => return None,
    };
    let level = |star: bool, plus: usize| -> Depth {
        if star {
            None
        } else {
            Some(plus.min(u32::MAX as usize) as u32)
        }
    };
    let up = level(up_star, up_plus);
    let down = level(down_star, down_plus);
    let key = Expr::LegacyKey {
        key: item.to_owned(),
        column,
        len,
    };
    let up = (up != Some(0)).then_some(up);
    let down = (down != Some(0)).then_some(down);
    if up.is_none() && down.is_none() {
        return Some(key);
    }
    Some(Expr::Traverse {
        inner: Box::new(key),
        up,
        down,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(input: &str) -> Expr {
        parse_expr(input, 0).unwrap_or_else(|e| panic!("{input}: {}", e.message))
    }

    fn key(k: &str) -> Box<Expr> {
        Box::new(Expr::Key(k.into()))
    }

    fn err(input: &str) -> SelectionError {
        parse_expr(input, 0).unwrap_err()
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        assert_eq!(
            p("key:a and key:b or key:d"),
            Expr::Or(Box::new(Expr::And(key("a"), key("b"))), key("d"))
        );
        assert_eq!(
            p("key:d or key:a and key:b"),
            Expr::Or(key("d"), Box::new(Expr::And(key("a"), key("b"))))
        );
        assert_eq!(
            p("not key:a and key:b"),
            Expr::And(Box::new(Expr::Not(key("a"))), key("b"))
        );
        assert_eq!(p("NOT key:a OR key:b"), p("(not key:a) or key:b"));
    }

    #[test]
    fn traversals_take_optional_depths() {
        assert_eq!(
            p("2+key:d"),
            Expr::Traverse {
                inner: key("d"),
                up: Some(Some(2)),
                down: None
            }
        );
        assert_eq!(
            p("+key:a+1"),
            Expr::Traverse {
                inner: key("a"),
                up: Some(None),
                down: Some(Some(1))
            }
        );
        assert_eq!(
            p("sinks(group:g1)+"),
            Expr::Traverse {
                inner: Box::new(Expr::Sinks(Box::new(Expr::Group(Value::Str("g1".into()))))),
                up: None,
                down: Some(None)
            }
        );
        assert_eq!(p("key: a"), Expr::Key("a".into()));
        assert_eq!(
            p("99999999999+key:a"),
            Expr::Traverse {
                inner: key("a"),
                up: Some(Some(u32::MAX)),
                down: None
            }
        );
    }

    #[test]
    fn attribute_values() {
        assert_eq!(
            p("tag:t"),
            Expr::Tag {
                key: Value::Str("t".into()),
                value: Value::Str(String::new())
            }
        );
        assert_eq!(
            p(r#"tag:"a-b"=v"#),
            Expr::Tag {
                key: Value::Str("a-b".into()),
                value: Value::Str("v".into())
            }
        );
        assert_eq!(p("kind:<null>"), Expr::Kind(Value::Null));
        assert_eq!(
            p(r#"owner:"team:x""#),
            Expr::Owner(Value::Str("team:x".into()))
        );
        assert_eq!(p("job:job"), Expr::Job(Value::Str("job".into())));
        assert_eq!(p("is:external"), Expr::Is(IsValue::External));
        assert_eq!(
            p(r#"code_location:"data-engineering""#),
            Expr::CodeLocation(Value::Str("data-engineering".into()))
        );
        assert_eq!(p(r#"key:"pre/c""#), Expr::Key("pre/c".into()));
        assert_eq!(p("key:pre/*"), Expr::Key("pre/*".into()));
    }

    #[test]
    fn legacy_clauses_when_the_grammar_fails() {
        let legacy = |k: &str, up: Option<Depth>, down: Option<Depth>, len: usize| {
            let inner = Expr::LegacyKey {
                key: k.into(),
                column: 0,
                len,
            };
            if up.is_none() && down.is_none() {
                inner
            } else {
                Expr::Traverse {
                    inner: Box::new(inner),
                    up,
                    down,
                }
            }
        };
        assert_eq!(p("a"), legacy("a", None, None, 1));
        assert_eq!(p("pre/c"), legacy("pre/c", None, None, 5));
        assert_eq!(p("+a"), legacy("a", Some(Some(1)), None, 2));
        assert_eq!(p("++a"), legacy("a", Some(Some(2)), None, 3));
        assert_eq!(p("*a"), legacy("a", Some(None), None, 2));
        assert_eq!(p("a*"), legacy("a", None, Some(None), 2));
        assert_eq!(p("a+++"), legacy("a", None, Some(Some(3)), 4));
        assert_eq!(p("*+a+*"), legacy("a", Some(None), Some(None), 5));
        assert_eq!(p("my-asset"), legacy("my-asset", None, None, 8));
        assert_eq!(
            p("tag:my-tag=x"),
            Expr::Tag {
                key: Value::Str("my-tag".into()),
                value: Value::Str("x".into())
            }
        );
        assert_eq!(p("*"), Expr::All);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = err("key:a or");
        assert_eq!((e.column, e.len), (8, 0));
        let e = err("key:a foo");
        assert_eq!((e.column, e.len), (6, 3));
        assert_eq!(
            e.message,
            "unexpected token 'foo'; expected 'and', 'or' or the end of the selection"
        );
        let e = err("grop:x");
        assert_eq!(e.message, "unknown attribute 'grop'; did you mean 'group'?");
        assert_eq!((e.column, e.len), (0, 4));
        let e = err("KEY:a");
        assert_eq!(
            e.message,
            "unknown attribute 'KEY'; attribute names are lowercase: 'key'"
        );
        let e = err("status:x or key:a");
        assert!(
            e.message.contains("not supported by dg-rs"),
            "{}",
            e.message
        );
        assert_eq!((e.column, e.len), (0, 8));
        let e = err("is:foo");
        assert_eq!((e.column, e.len), (3, 3));
        assert!(err("owner:team:x").message.contains("unexpected token ':'"));
        assert!(err("key:*").message.contains("expected an asset key"));
        assert!(err("a,b").message.contains("','"));
        assert!(err("tag:a=b=c").message.contains("'='"));
        assert!(err("").message.contains("unexpected end"));
        assert!(err("key:tag").message.contains(r#"key:"tag""#));
    }

    #[test]
    fn offsets_shift_columns() {
        let e = parse_expr("grop:x", 10).unwrap_err();
        assert_eq!(e.column, 10);
    }
}
