//! The one strict reader over a span-preserving TOML document, for dg.toml, pyproject.toml
//! (`[tool.dg]`, `[project]`, `[tool.dg-rs]`) and dg-rs.toml alike: it reads and parses a
//! file with the position of any syntax or encoding error, walks tables, checks keys against
//! a schema, suggests the nearest valid key with the crate's one matcher ([`crate::suggest`]),
//! and records every problem with its position, so a user sees all mistakes in one run and
//! the same mistake gets the same words in every file.

use crate::diagnostic::{LineIndex, Problem, SourcePos};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Document, Item, TableLike, Value};

/// Appended to an unknown key's hint in the files real dg reads too.
const DG_NOTE: &str = " (real dg rejects unknown keys too)";

/// One parsed config file plus the problems found while reading it.
pub struct Checker<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// Prefix used when naming keys in messages (`tool.dg.` for pyproject.toml).
    pub prefix: &'a str,
    /// Appended to the hint of an unknown key.
    note: &'static str,
    /// The file that documents every key and its type, named in a wrong type's hint.
    reference: &'static str,
    pub problems: Vec<Problem>,
    lines: std::cell::OnceCell<LineIndex>,
}

impl<'a> Checker<'a> {
    /// A checker for a file real dg reads (dg.toml, pyproject.toml).
    pub fn new(file: &'a Path, text: &'a str, prefix: &'a str) -> Self {
        Checker {
            file,
            text,
            prefix,
            note: DG_NOTE,
            reference: "dg.toml.example",
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

    /// A checker for dg-rs's own settings (`dg-rs.toml`, `[tool.dg-rs]`), which real dg
    /// does not read; keys are named by their full path.
    pub fn dg_rs(file: &'a Path, text: &'a str) -> Self {
        Checker {
            note: "",
            reference: "README.md, section \"Access control\"",
            ..Checker::new(file, text, "")
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

    /// The span of `key` in `table` (its key, else its value).
    pub fn key_span(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        table
            .key(key)
            .and_then(|k| k.span())
            .or_else(|| table.get(key).and_then(Item::span))
    }

    /// Reports keys of `table` that are not in `allowed`, suggesting the nearest valid key.
    pub fn unknown_keys(&mut self, table: &dyn TableLike, table_path: &str, allowed: &[&str]) {
        for (key, _) in table.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let span = Self::key_span(table, key);
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
                Some(format!("{hint}{}", self.note)),
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
            Some(item) => self
                .str_item(item, key_path)
                .map(|s| (s.to_string(), item.span())),
        }
    }

    /// `item` as a string; reports a wrong type.
    pub fn str_item<'i>(&mut self, item: &'i Item, key_path: &str) -> Option<&'i str> {
        let s = item.as_str();
        if s.is_none() {
            self.wrong_type(item, key_path, "a string");
        }
        s
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

    /// The strings of the array at `table.key` (none when absent); reports wrong types.
    pub fn string_list(&mut self, table: &dyn TableLike, key_path: &str, key: &str) -> Vec<String> {
        match table.get(key) {
            Some(item) => self
                .strings(item, key_path)
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Every string of the array `item`, with its span; a non-array or a non-string entry
    /// is a problem.
    pub fn strings<'i>(&mut self, item: &'i Item, key_path: &str) -> Vec<(&'i str, Range<usize>)> {
        let Some(array) = item.as_array() else {
            self.wrong_type(item, key_path, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for value in array.iter() {
            match value {
                Value::String(s) => out.push((s.value().as_str(), value.span().unwrap_or(0..0))),
                _ => self.problem(
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
                "write `{}` as {expected} (every key and its type: {})",
                key_path.rsplit('.').next().unwrap_or(key_path),
                self.reference
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

/// Reads a file as UTF-8 text, reporting the position of the first invalid byte.
pub fn read_text(path: &Path) -> Result<String, Problem> {
    let bytes = std::fs::read(path).map_err(|e| {
        Problem::new(format!("could not read {}: {e}", path.display()))
            .hint("check the file's permissions, or that it is not a dangling symlink")
    })?;
    utf8(path, bytes)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Problem> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let pos = SourcePos::from_span(path, &text, valid..valid);
        Problem::new("the file is not valid UTF-8 text")
            .at(pos)
            .hint("TOML files must be UTF-8: re-save the file as UTF-8")
    })
}

/// Parses `text` (read from `path`) into a span-keeping document, or the syntax error's
/// position.
pub fn parse(path: &Path, text: String) -> Result<Document<String>, Problem> {
    Document::parse(text.clone()).map_err(|e| {
        let message = e.message().trim().to_string();
        let pos = match e.span() {
            Some(span) => SourcePos::from_span(path, &text, span),
            None => SourcePos::start_of(path, &text),
        };
        Problem::new(format!("invalid TOML: {message}"))
            .at(pos)
            .hint("fix the TOML syntax at the position shown")
    })
}

/// The text and document of `path`, or `None` when there is no such file.
pub fn read_if_exists(path: &Path) -> Result<Option<(String, Document<String>)>, Problem> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(
                Problem::new(format!("could not read {}: {e}", path.display()))
                    .hint("check the file's permissions"),
            );
        }
    };
    let text = utf8(path, bytes)?;
    let doc = parse(path, text.clone())?;
    Ok(Some((text, doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown_key_hints(text: &str, dg_rs: bool) -> Vec<(usize, usize, String, String)> {
        let file = Path::new(if dg_rs { "dg-rs.toml" } else { "dg.toml" });
        let doc = parse(file, text.to_string()).unwrap();
        let mut c = if dg_rs {
            Checker::dg_rs(file, text)
        } else {
            Checker::new(file, text, "")
        };
        let table = doc.get("t").unwrap().as_table_like().unwrap();
        c.unknown_keys(table, "t", &["locations", "default_role"]);
        c.problems
            .iter()
            .map(|p| {
                let at = p.at.as_ref().unwrap();
                (
                    at.line,
                    at.column,
                    p.message.clone(),
                    p.hint.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn one_typo_gets_the_same_hint_in_dg_files_and_dg_rs_toml() {
        let text = "[t]\nlocatons = 1\ndefault_rol = 2\nzzz = 3\n";
        let dg = unknown_key_hints(text, false);
        let ours = unknown_key_hints(text, true);
        assert_eq!(dg.len(), 3);
        for (a, b) in dg.iter().zip(&ours) {
            assert_eq!((a.0, a.1, &a.2), (b.0, b.1, &b.2));
            // The same suggestion; only dg's files add that real dg rejects the key too.
            assert_eq!(
                a.3.trim_end_matches(" (real dg rejects unknown keys too)"),
                b.3
            );
        }
        assert_eq!(ours[0].2, "unknown key `locatons` in `t`");
        assert_eq!(ours[0].3, "did you mean `locations`?");
        assert_eq!(ours[1].3, "did you mean `default_role`?");
        assert_eq!(ours[2].3, "valid keys here: `locations`, `default_role`");
        assert!(dg[0].3.ends_with("(real dg rejects unknown keys too)"));
    }

    #[test]
    fn a_wrong_type_names_the_file_that_documents_the_key() {
        let text = "t = \"x\"\n";
        let file = Path::new("dg-rs.toml");
        let doc = parse(file, text.to_string()).unwrap();
        let mut c = Checker::dg_rs(file, text);
        assert!(c.table(doc.get("t").unwrap(), "access").is_none());
        let p = &c.problems[0];
        assert_eq!(
            p.message,
            "invalid value for `access`: expected a table, found a string"
        );
        assert!(
            p.hint
                .as_deref()
                .unwrap()
                .contains("README.md, section \"Access control\"")
        );
    }

    #[test]
    fn a_missing_file_is_none_and_a_broken_one_has_a_position() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_if_exists(&dir.path().join("dg-rs.toml"))
                .unwrap()
                .is_none()
        );
        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "[access\n").unwrap();
        let p = read_if_exists(&broken).unwrap_err();
        assert!(p.message.starts_with("invalid TOML"), "{}", p.message);
        assert_eq!(p.at.as_ref().unwrap().line, 1);
        std::fs::write(&broken, b"a = \"\xff\"\n").unwrap();
        let p = read_if_exists(&broken).unwrap_err();
        assert_eq!(p.message, "the file is not valid UTF-8 text");
    }
}
