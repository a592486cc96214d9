//! Names create-dagster derives from a path, and the rule they must follow: the folder name
//! with `-` → `_` becomes the Python package, so it must be a Python identifier.

use crate::error::{Error, Result};

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Whether `s` is a Python identifier that is not a keyword.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !PYTHON_KEYWORDS.contains(&s)
}

/// The package name real create-dagster derives from a folder name (`data-science` →
/// `data_science`), validated. `what` is "project" or "workspace".
pub fn package_name(folder: &str, what: &str) -> Result<String> {
    let name = folder.replace('-', "_");
    let hint = "use letters, digits, `-` and `_`, starting with a letter (like `data-science`); \
                the name becomes a Python package with `-` replaced by `_`";
    if !is_identifier(&name) {
        let why = if PYTHON_KEYWORDS.contains(&name.as_str()) {
            "a Python keyword".to_string()
        } else {
            "not a Python identifier".to_string()
        };
        return Err(Error::usage(format!(
            "`{folder}` cannot be a {what} name: `{name}` is {why}"
        ))
        .with_hint(hint));
    }
    if what == "project" && name == "dagster" {
        return Err(Error::usage(format!(
            "`{folder}` cannot be a project name: a package named `dagster` would hide Dagster itself"
        ))
        .with_hint("pick another name, like `dagster-project`"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_become_underscores() {
        assert_eq!(
            package_name("data-science", "project").unwrap(),
            "data_science"
        );
        assert_eq!(package_name("_x1", "project").unwrap(), "_x1");
    }

    #[test]
    fn rejects_what_python_cannot_import() {
        for bad in ["1abc", "a.b", "my project", "class", "", "dagster", "a+b"] {
            assert!(package_name(bad, "project").is_err(), "{bad}");
        }
        assert!(package_name("dagster", "workspace").is_ok());
    }
}
