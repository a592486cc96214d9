//! A small strict reader over a span-preserving TOML document: it walks tables, checks keys
//! against the schema real dg enforces, and records every problem with its position, so a
//! user sees all mistakes in one run.

use crate::error::{LineIndex, Problem, SourcePos};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, TableLike, Value};

/// One parsed config file plus the problems found while reading it.
pub struct Checker<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// Prefix used when naming keys in messages (`tool.dg.` for pyproject.toml).
    pub prefix: &'a str,
    pub problems: Vec<Problem>,
    lines: std::cell::OnceCell<LineIndex>,
}

impl<'a> Checker<'a> {
    pub fn new(file: &'a Path, text: &'a str, prefix: &'a str) -> Self {
        Checker {
            file,
            text,
            prefix,
            problems: Vec::new(),
            lines: std::cell::OnceCell::new(),
        }
    }

    pub fn pos(&self, span: Option<Range<usize>>) -> SourcePos {
        match span {
            Some(span) => self
                .lines
                .get_or_init(|| LineIndex::new(self.text))
                .pos(self.file, self.text, span),
            None => SourcePos::start_of(self.file, self.text),
        }
    }

    pub fn problem(&mut self, span: Option<Range<usize>>, message: String, hint: Option<String>) {
        let mut p = Problem::new(message).at(self.pos(span));
        p.hint = hint;
        self.problems.push(p);
    }

    pub fn dotted(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }

    /// Reports keys of `table` that are not in `allowed`, suggesting the nearest valid key.
    pub fn unknown_keys(&mut self, table: &dyn TableLike, table_path: &str, allowed: &[&str]) {
        for (key, item) in table.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let span = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span());
            let where_ = if table_path.is_empty() {
                if self.prefix.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in `{}`", self.prefix.trim_end_matches('.'))
                }
            } else {
                format!("in `{}`", self.dotted(table_path))
            };
            let hint = match crate::suggest::closest(key, allowed) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "valid keys here: {}",
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.problem(
                span,
                format!("unknown key `{key}` {where_}"),
                Some(format!("{hint} (real dg rejects unknown keys too)")),
            );
        }
    }

    /// A required string value; reports a missing key or wrong type.
    pub fn string(
        &mut self,
        table: &dyn TableLike,
        table_span: Option<Range<usize>>,
        key_path: &str,
        key: &str,
        required: bool,
    ) -> Option<(String, Option<Range<usize>>)> {
        match table.get(key) {
            None => {
                if required {
                    self.problem(
                        table_span,
                        format!("missing required key `{}`", self.dotted(key_path)),
                        Some(format!("add `{key} = \"...\"` to this table")),
                    );
                }
                None
            }
            Some(item) => match item.as_str() {
                Some(s) => Some((s.to_string(), item.span())),
                None => {
                    self.wrong_type(item, key_path, "a string");
                    None
                }
            },
        }
    }

    pub fn bool(&mut self, table: &dyn TableLike, key_path: &str, key: &str) -> Option<bool> {
        let item = table.get(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(item, key_path, "a boolean (true or false)");
                None
            }
        }
    }

    pub fn string_list(&mut self, table: &dyn TableLike, key_path: &str, key: &str) -> Vec<String> {
        let Some(item) = table.get(key) else {
            return Vec::new();
        };
        let Some(array) = item.as_array() else {
            self.wrong_type(item, key_path, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for value in array.iter() {
            match value.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.problem(
                    value.span(),
                    format!(
                        "invalid value in `{}`: expected a string, found {}",
                        self.dotted(key_path),
                        value_type_name(value)
                    ),
                    Some("quote each entry: [\"a\", \"b\"]".into()),
                ),
            }
        }
        out
    }

    /// A sub-table (standard or inline); reports a wrong type.
    pub fn table<'i>(&mut self, item: &'i Item, key_path: &str) -> Option<&'i dyn TableLike> {
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.wrong_type(item, key_path, "a table");
                None
            }
        }
    }

    pub fn wrong_type(&mut self, item: &Item, key_path: &str, expected: &str) {
        let found = match item {
            Item::Value(v) => value_type_name(v),
            Item::Table(_) => "a table",
            Item::ArrayOfTables(_) => "an array of tables",
            Item::None => "nothing",
        };
        self.problem(
            item.span(),
            format!(
                "invalid value for `{}`: expected {expected}, found {found}",
                self.dotted(key_path)
            ),
            Some(format!(
                "write `{}` as {expected} (every key and its type: dg.toml.example)",
                key_path.rsplit('.').next().unwrap_or(key_path)
            )),
        );
    }
}

pub fn value_type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "an inline table",
    }
}
