//! A defs.yaml read the way Dagster reads it (PyYAML's safe loader, so YAML 1.1 scalars:
//! `yes` is a boolean, `1e5` a string), as JSON values with where each one is in the file.

use saphyr::{MarkedYaml, Marker, Scalar, ScalarStyle, Tag, YamlData, YamlLoader};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A place in the text: 1-based line, 0-based column and length, both in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) len: usize,
}

/// Where a value is: its key's place in a mapping (when it has a key) and the value's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) key: Option<At>,
    pub(crate) value: At,
}

/// One YAML document of a file.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) value: Value,
    /// The place of every value, by its path (mapping keys and sequence indexes as text).
    places: HashMap<Vec<String>, Place>,
}

impl Doc {
    /// The place of the value at `path`, or of its nearest ancestor that exists, with how
    /// many segments of `path` exist.
    pub(crate) fn closest(&self, path: &[String]) -> (usize, Place) {
        for depth in (0..=path.len()).rev() {
            if let Some(p) = self.places.get(&path[..depth]) {
                return (depth, *p);
            }
        }
        (
            0,
            Place {
                key: None,
                value: At {
                    line: 1,
                    col: 0,
                    len: 1,
                },
            },
        )
    }

    /// Every string in the document with its path and place (for template checks).
    pub(crate) fn strings(&self) -> Vec<(Vec<String>, &str, Place)> {
        let mut out = Vec::new();
        collect_strings(&self.value, &mut Vec::new(), &self.places, &mut out);
        out
    }
}

fn collect_strings<'a>(
    v: &'a Value,
    path: &mut Vec<String>,
    places: &HashMap<Vec<String>, Place>,
    out: &mut Vec<(Vec<String>, &'a str, Place)>,
) {
    match v {
        Value::String(s) => {
            if let Some(p) = places.get(path.as_slice()) {
                out.push((path.clone(), s, *p));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                collect_strings(item, path, places, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                path.push(k.clone());
                collect_strings(item, path, places, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Why a file is not YAML, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) at: At,
}

/// The documents of a YAML file (an empty file has none).
pub(crate) fn parse(text: &str) -> Result<Vec<Doc>, SyntaxError> {
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    let mut loader: YamlLoader<MarkedYaml> = YamlLoader::default();
    // Scalars are resolved here, by PyYAML's rules; a repeated key keeps its last value, as
    // PyYAML does.
    loader.early_parse(false);
    loader.allow_duplicate_keys(true);
    let scan = parser
        .load(&mut loader, true)
        .err()
        .or_else(|| loader.error().cloned());
    if let Some(e) = scan {
        let m = e.marker();
        return Err(SyntaxError {
            message: e.info().to_string(),
            at: At {
                line: m.line().max(1),
                col: m.col(),
                len: 1,
            },
        });
    }
    let lines: Vec<&str> = text.lines().collect();
    Ok(loader
        .into_documents()
        .into_iter()
        .map(|node| {
            let mut places = HashMap::new();
            let value = convert(&node, &mut Vec::new(), None, &lines, &mut places);
            Doc { value, places }
        })
        .collect())
}

fn at(start: Marker, end: Marker, lines: &[&str]) -> At {
    let len = if end.line() == start.line() && end.col() > start.col() {
        end.col() - start.col()
    } else {
        // To the end of the line (a block value that goes on below).
        lines
            .get(start.line().saturating_sub(1))
            .map_or(1, |l| l.chars().count().saturating_sub(start.col()))
    };
    At {
        line: start.line().max(1),
        col: start.col(),
        len: len.max(1),
    }
}

fn convert(
    node: &MarkedYaml,
    path: &mut Vec<String>,
    key: Option<At>,
    lines: &[&str],
    places: &mut HashMap<Vec<String>, Place>,
) -> Value {
    let value_at = at(node.span.start, node.span.end, lines);
    places.insert(
        path.clone(),
        Place {
            key,
            value: value_at,
        },
    );
    match &node.data {
        YamlData::Representation(raw, style, tag) => scalar(raw, *style, tag.as_deref()),
        YamlData::Value(s) => resolved(s),
        YamlData::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    path.push(i.to_string());
                    let v = convert(item, path, None, lines, places);
                    path.pop();
                    v
                })
                .collect(),
        ),
        YamlData::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter() {
                let name = key_text(k);
                path.push(name.clone());
                let key_at = at(k.span.start, k.span.end, lines);
                let value = convert(v, path, Some(key_at), lines, places);
                path.pop();
                out.insert(name, value);
            }
            Value::Object(out)
        }
        YamlData::Tagged(_, inner) => {
            // A non-core tag on a collection: the collection itself.
            places.remove(path.as_slice());
            convert(inner, path, key, lines, places)
        }
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    }
}

/// A scalar the loader resolved itself (none, with early parsing off; kept for safety).
fn resolved(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => Value::from(f.into_inner()),
        Scalar::String(t) => Value::String(t.to_string()),
    }
}

/// A mapping key as the text JSON needs (PyYAML would keep `1:` an integer key).
fn key_text(k: &MarkedYaml) -> String {
    match &k.data {
        YamlData::Representation(raw, _, _) => raw.to_string(),
        YamlData::Value(s) => resolved(s)
            .as_str()
            .map_or_else(|| resolved(s).to_string(), str::to_string),
        _ => String::from("<key>"),
    }
}

static BOOL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    )
    .expect("valid")
});
static INT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    )
    .expect("valid")
});
static FLOAT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    )
    .expect("valid")
});

/// A scalar as PyYAML's safe loader resolves it (its implicit resolvers for plain scalars,
/// the core tags when given; anything else is a string).
fn scalar(raw: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let kind = match tag {
        Some(t) if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" => t.suffix.as_str(),
        Some(_) => "str",
        None if style != ScalarStyle::Plain => "str",
        None if matches!(raw, "" | "~" | "null" | "Null" | "NULL") => "null",
        None if BOOL.is_match(raw) => "bool",
        None if INT.is_match(raw) => "int",
        None if FLOAT.is_match(raw) => "float",
        None => "str",
    };
    match kind {
        "null" => Value::Null,
        "bool" => Value::Bool(matches!(
            raw.to_ascii_lowercase().as_str(),
            "yes" | "true" | "on"
        )),
        "int" => int(raw).map_or_else(|| Value::String(raw.into()), Value::from),
        "float" => float(raw).map_or_else(|| Value::String(raw.into()), Value::from),
        _ => Value::String(raw.into()),
    }
}

fn int(raw: &str) -> Option<i64> {
    let s = raw.replace('_', "");
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let n = if let Some(b) = digits.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if let Some(x) = digits.strip_prefix("0x") {
        i64::from_str_radix(x, 16).ok()?
    } else if digits.contains(':') {
        digits
            .split(':')
            .try_fold(0i64, |acc, part| Some(acc * 60 + part.parse::<i64>().ok()?))?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(digits, 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

fn float(raw: &str) -> Option<f64> {
    let s = raw.replace('_', "").to_ascii_lowercase();
    if s.ends_with("inf") {
        // JSON has no infinity; the largest number stands in for it.
        return Some(if s.starts_with('-') {
            f64::MIN
        } else {
            f64::MAX
        });
    }
    if s.ends_with("nan") {
        return None;
    }
    if s.contains(':') {
        let neg = s.starts_with('-');
        let body = s.trim_start_matches(['-', '+']);
        let v = body.split(':').try_fold(0f64, |acc, part| {
            Some(acc * 60.0 + part.parse::<f64>().ok()?)
        })?;
        return Some(if neg { -v } else { v });
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_resolve_as_pyyaml_resolves_them() {
        let docs = parse(
            "a: yes\nb: off\nc: 010\nd: 0x1F\ne: 1_000\nf: 1e5\ng: 1.5e+3\nh: ~\ni: '12'\nj: 1:30\nk: .5\nl:\nm: \"true\"\nn: !!str 5\n",
        )
        .unwrap();
        assert_eq!(
            docs[0].value,
            json!({"a": true, "b": false, "c": 8, "d": 31, "e": 1000, "f": "1e5", "g": 1500.0,
                   "h": null, "i": "12", "j": 90, "k": 0.5, "l": null, "m": "true", "n": "5"})
        );
    }

    #[test]
    fn every_value_has_its_key_and_value_place() {
        let docs =
            parse("type: x\nattributes:\n  name: n\n  items:\n    - 1\n    - two\n").unwrap();
        let d = &docs[0];
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (depth, p) = d.closest(&path(&["attributes", "name"]));
        assert_eq!(depth, 2);
        assert_eq!(
            p.key,
            Some(At {
                line: 3,
                col: 2,
                len: 4
            })
        );
        assert_eq!(
            p.value,
            At {
                line: 3,
                col: 8,
                len: 1
            }
        );
        let (_, p) = d.closest(&path(&["attributes", "items", "1"]));
        assert_eq!(
            p.value,
            At {
                line: 6,
                col: 6,
                len: 3
            }
        );
        assert_eq!(p.key, None);
        let (depth, p) = d.closest(&path(&["attributes", "missing", "deeper"]));
        assert_eq!(depth, 1);
        assert_eq!(
            p.key,
            Some(At {
                line: 2,
                col: 0,
                len: 10
            })
        );
    }

    #[test]
    fn documents_are_split_and_a_syntax_error_has_its_place() {
        assert_eq!(parse("type: a\n---\ntype: b\n").unwrap().len(), 2);
        assert!(parse("").unwrap().is_empty());
        let e = parse("type: a\nattributes:\n  x: [1, 2\n").unwrap_err();
        assert!(e.at.line >= 3, "{e:?}");
        let e = parse("type: a\n  bad: indent\n").unwrap_err();
        assert_eq!(e.at.line, 2, "{e:?}");
    }
}
