//! Minimal text edits of a JSON-with-comments file (VS Code's `settings.json`): setting one
//! member of an object nested under the top-level object, leaving every other byte as it is
//! (the user's keys, comments, trailing commas and layout). Only what the edit needs is
//! parsed: the objects on the way, and enough of every other value to skip it.

/// A byte range of the text.
type Span = (usize, usize);

/// An object member: its key (unescaped) and where its value is.
struct Member {
    key: String,
    key_start: usize,
    value: Span,
}

/// An object: where its braces are and its members.
struct Object {
    open: usize,
    close: usize,
    members: Vec<Member>,
    /// A comma after the last member (JSONC allows it).
    trailing_comma: Option<usize>,
}

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
}

impl<'t> Scanner<'t> {
    fn err<T>(&self, at: usize, what: &str) -> Result<T, String> {
        let line = self.text[..at.min(self.text.len())].matches('\n').count() + 1;
        Err(format!("line {line}: {what}"))
    }

    /// The position after whitespace and comments from `i`.
    fn skip_trivia(&self, mut i: usize) -> Result<usize, String> {
        loop {
            match self.bytes.get(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
                Some(b'/') if self.bytes.get(i + 1) == Some(&b'/') => {
                    i = self.text[i..]
                        .find('\n')
                        .map_or(self.bytes.len(), |n| i + n);
                }
                Some(b'/') if self.bytes.get(i + 1) == Some(&b'*') => {
                    match self.text[i + 2..].find("*/") {
                        Some(n) => i = i + 2 + n + 2,
                        None => return self.err(i, "a comment that does not end"),
                    }
                }
                _ => return Ok(i),
            }
        }
    }

    /// A string starting at `i` (a `"`): its unescaped text and the position after it.
    fn string(&self, i: usize) -> Result<(String, usize), String> {
        let mut j = i + 1;
        while let Some(&b) = self.bytes.get(j) {
            match b {
                b'\\' => j += 2,
                b'"' => {
                    let raw = &self.text[i..=j];
                    let s = serde_json::from_str(raw)
                        .or_else(|_| self.err(i, "a string that is not valid JSON"))?;
                    return Ok((s, j + 1));
                }
                _ => j += 1,
            }
        }
        self.err(i, "a string that does not end")
    }

    /// The end of the value starting at `i` (after trivia).
    fn value_end(&self, i: usize) -> Result<usize, String> {
        match self.bytes.get(i) {
            Some(b'{') => Ok(self.object(i)?.close + 1),
            Some(b'[') => {
                let mut j = self.skip_trivia(i + 1)?;
                loop {
                    match self.bytes.get(j) {
                        Some(b']') => return Ok(j + 1),
                        Some(b',') => j = self.skip_trivia(j + 1)?,
                        Some(_) => j = self.skip_trivia(self.value_end(j)?)?,
                        None => return self.err(i, "an array that does not end"),
                    }
                }
            }
            Some(b'"') => Ok(self.string(i)?.1),
            Some(_) => {
                let n = self.text[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
                    .unwrap_or(self.text.len() - i);
                if n == 0 {
                    return self.err(i, "a value was expected");
                }
                Ok(i + n)
            }
            None => self.err(i, "a value was expected"),
        }
    }

    /// The object whose `{` is at `open`.
    fn object(&self, open: usize) -> Result<Object, String> {
        let mut obj = Object {
            open,
            close: 0,
            members: Vec::new(),
            trailing_comma: None,
        };
        let mut j = self.skip_trivia(open + 1)?;
        loop {
            match self.bytes.get(j) {
                Some(b'}') => {
                    obj.close = j;
                    return Ok(obj);
                }
                Some(b'"') => {
                    let (key, after) = self.string(j)?;
                    let colon = self.skip_trivia(after)?;
                    if self.bytes.get(colon) != Some(&b':') {
                        return self.err(colon, "`:` was expected after a key");
                    }
                    let start = self.skip_trivia(colon + 1)?;
                    let end = self.value_end(start)?;
                    obj.members.push(Member {
                        key,
                        key_start: j,
                        value: (start, end),
                    });
                    obj.trailing_comma = None;
                    j = self.skip_trivia(end)?;
                    match self.bytes.get(j) {
                        Some(b',') => {
                            obj.trailing_comma = Some(j);
                            j = self.skip_trivia(j + 1)?;
                        }
                        Some(b'}') => {}
                        _ => return self.err(j, "`,` or `}` was expected"),
                    }
                }
                _ => return self.err(j, "a key or `}` was expected"),
            }
        }
    }

    /// The whitespace before `i` on its line, when only whitespace precedes it there.
    fn line_indent(&self, i: usize) -> Option<&'t str> {
        let start = self.text[..i].rfind('\n').map_or(0, |n| n + 1);
        let before = &self.text[start..i];
        before.trim().is_empty().then_some(before)
    }
}

/// `text` with `path[0]` → ... → `path[n-1]` (objects, created when missing) set to `value`,
/// as a minimal edit. An empty text is a new file. Errors say what is in the way.
pub fn set_member(text: &str, path: &[&str], value: &serde_json::Value) -> Result<String, String> {
    if text.trim().is_empty() {
        let mut nested = value.clone();
        for key in path.iter().rev() {
            nested = serde_json::json!({ *key: nested });
        }
        return Ok(format!("{}\n", pretty(&nested, "", "    ")));
    }
    let s = Scanner {
        text,
        bytes: text.as_bytes(),
    };
    let start = s.skip_trivia(0)?;
    if s.bytes.get(start) != Some(&b'{') {
        return s.err(start, "the file is not a JSON object");
    }
    let mut obj = s.object(start)?;
    let unit = obj
        .members
        .first()
        .and_then(|m| s.line_indent(m.key_start))
        .filter(|i| !i.is_empty())
        .unwrap_or("    ")
        .to_string();
    let mut indent = String::new();
    for (depth, key) in path.iter().enumerate() {
        indent.push_str(&unit);
        let last = depth + 1 == path.len();
        let Some(m) = obj.members.iter().find(|m| m.key == *key) else {
            let mut rest = value.clone();
            for k in path[depth + 1..].iter().rev() {
                rest = serde_json::json!({ *k: rest });
            }
            return Ok(insert(&s, &obj, key, &rest, &indent, &unit));
        };
        if last {
            let new = pretty(value, &indent, &unit);
            return Ok(format!("{}{new}{}", &text[..m.value.0], &text[m.value.1..]));
        }
        if s.bytes.get(m.value.0) != Some(&b'{') {
            let shown: Vec<&str> = path[..=depth].to_vec();
            return s.err(
                m.value.0,
                &format!("`{}` is not an object", shown.join(".")),
            );
        }
        obj = s.object(m.value.0)?;
    }
    unreachable!("the path is not empty")
}

/// `value` as JSON laid out with `unit` per level, its lines after the first indented by
/// `indent`.
fn pretty(value: &serde_json::Value, indent: &str, unit: &str) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    value.serialize(&mut ser).expect("a JSON value serializes");
    String::from_utf8_lossy(&out).replace('\n', &format!("\n{indent}"))
}

/// `obj`'s text with the member `key: value` added after its last member, on a line of its
/// own indented by `indent` (comments after the last member stay on their line).
fn insert(
    s: &Scanner<'_>,
    obj: &Object,
    key: &str,
    value: &serde_json::Value,
    indent: &str,
    unit: &str,
) -> String {
    let text = s.text;
    let key = serde_json::Value::from(key).to_string();
    let member = format!("{key}: {}", pretty(value, indent, unit));
    let close_indent = s
        .line_indent(obj.close)
        .map(str::to_string)
        .unwrap_or_else(|| indent[..indent.len() - unit.len()].to_string());
    let Some(last) = obj.members.last() else {
        let inner = &text[obj.open + 1..obj.close];
        let kept = if inner.trim().is_empty() {
            ""
        } else {
            inner.trim_end()
        };
        return format!(
            "{}{kept}\n{indent}{member}\n{close_indent}{}",
            &text[..=obj.open],
            &text[obj.close..]
        );
    };
    // After the last member and whatever comments follow it, before `}`; the comma goes
    // right after the last value.
    let value_end = last.value.1;
    let at = text[..obj.close].trim_end().len();
    let comma = if obj.trailing_comma.is_some() {
        ""
    } else {
        ","
    };
    let tail_comma = if obj.trailing_comma.is_some() {
        ","
    } else {
        ""
    };
    let close = if text[at..obj.close].contains('\n') {
        String::new()
    } else {
        format!("\n{close_indent}")
    };
    format!(
        "{}{comma}{}\n{indent}{member}{tail_comma}{close}{}",
        &text[..value_end],
        &text[value_end..at],
        &text[at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(text: &str) -> String {
        set_member(
            text,
            &["yaml.schemas", "a/schema.json"],
            &json!(["src/**/defs.y*ml"]),
        )
        .unwrap()
    }

    #[test]
    fn a_new_file() {
        assert_eq!(
            set(""),
            "{\n    \"yaml.schemas\": {\n        \"a/schema.json\": [\n            \"src/**/defs.y*ml\"\n        ]\n    }\n}\n"
        );
    }

    #[test]
    fn other_keys_and_comments_stay() {
        let text = "// my settings\n{\n  \"editor.tabSize\": 2, // two\n  /* block */\n  \"files.exclude\": {\"x\": true}\n}\n";
        assert_eq!(
            set(text),
            "// my settings\n{\n  \"editor.tabSize\": 2, // two\n  /* block */\n  \"files.exclude\": {\"x\": true},\n  \"yaml.schemas\": {\n    \"a/schema.json\": [\n      \"src/**/defs.y*ml\"\n    ]\n  }\n}\n"
        );
    }

    #[test]
    fn a_trailing_comma_and_a_comment_after_the_last_member() {
        let text = "{\n    \"a\": 1, // one\n}\n";
        assert_eq!(
            set_member(text, &["b"], &json!(2)).unwrap(),
            "{\n    \"a\": 1, // one\n    \"b\": 2,\n}\n"
        );
        let text = "{\n    \"a\": 1 // one\n}";
        assert_eq!(
            set_member(text, &["b"], &json!(2)).unwrap(),
            "{\n    \"a\": 1, // one\n    \"b\": 2\n}"
        );
    }

    #[test]
    fn an_existing_entry_is_replaced_and_others_kept() {
        let text = "{\n  \"yaml.schemas\": {\n    \"other.json\": \"*.yml\", // theirs\n    \"a/schema.json\": \"old\"\n  }\n}\n";
        assert_eq!(
            set(text),
            "{\n  \"yaml.schemas\": {\n    \"other.json\": \"*.yml\", // theirs\n    \"a/schema.json\": [\n      \"src/**/defs.y*ml\"\n    ]\n  }\n}\n"
        );
        let text = "{\"yaml.schemas\": {\"other.json\": \"*.yml\"}}";
        assert_eq!(
            set(text),
            "{\"yaml.schemas\": {\"other.json\": \"*.yml\",\n        \"a/schema.json\": [\n            \"src/**/defs.y*ml\"\n        ]\n    }}"
        );
    }

    #[test]
    fn empty_objects() {
        assert_eq!(
            set_member("{}", &["b"], &json!(2)).unwrap(),
            "{\n    \"b\": 2\n}"
        );
        assert_eq!(
            set_member("{\n  // nothing yet\n}\n", &["b"], &json!(2)).unwrap(),
            "{\n  // nothing yet\n    \"b\": 2\n}\n"
        );
    }

    #[test]
    fn what_is_in_the_way_is_named() {
        let err =
            set_member("{\"yaml.schemas\": 3}", &["yaml.schemas", "x"], &json!(1)).unwrap_err();
        assert!(err.contains("`yaml.schemas` is not an object"), "{err}");
        assert!(set_member("[1]", &["x"], &json!(1)).is_err());
        assert!(set_member("{\"a\": 1 \"b\": 2}", &["x"], &json!(1)).is_err());
        assert!(set_member("{\"a\": \"x}", &["x"], &json!(1)).is_err());
        assert!(set_member("{/* open", &["x"], &json!(1)).is_err());
        // Strings holding braces and comment markers are not structure.
        let text = "{\"u\": \"http://x/{y}\" /* c */}";
        assert_eq!(
            set_member(text, &["v"], &json!(1)).unwrap(),
            "{\"u\": \"http://x/{y}\", /* c */\n    \"v\": 1\n}"
        );
    }
}
