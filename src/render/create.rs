//! What `create-dagster` says about what it made.

use crate::scaffold::{Created, DEFAULT_DAGSTER_VERSION};

/// "at PATH", or "in the current directory" for `.`.
pub(crate) fn place(root: &str) -> String {
    if root == "." {
        "in the current directory".into()
    } else {
        format!("at {root}")
    }
}

pub(crate) fn describe_pins(created: &Created, pinned: bool) -> String {
    let python = match &created.python {
        Some(p) => format!("Python {p}"),
        None => "Python >=3.10,<3.15".to_string(),
    };
    let tools = if pinned {
        format!(
            "dagster, dagster-dg-cli and dagster-webserver pinned to {}",
            created.dagster_version
        )
    } else {
        format!(
            "dagster=={} (the default; dev tools unpinned, as real create-dagster writes)",
            DEFAULT_DAGSTER_VERSION
        )
    };
    format!("It asks for {python}; {tools}.")
}
