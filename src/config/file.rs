//! One config file: `dg.toml` (keys at the top level) or a `pyproject.toml` with a
//! `[tool.dg]` table, read as UTF-8 and parsed into a span-keeping document, with the
//! position of any syntax error.

use crate::error::{Problem, SourcePos};
pub(super) use crate::toml_check::{parse, read_text};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_edit::{Document, TableLike};

/// Which of the two file formats a config file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `dg.toml`: keys at the top level.
    DgToml,
    /// `pyproject.toml`: keys under `[tool.dg]`.
    Pyproject,
}

/// A config file found during discovery, parsed but not yet validated.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub text: String,
    pub doc: Document<String>,
}

impl ConfigFile {
    pub(super) fn prefix(&self) -> &'static str {
        match self.kind {
            FileKind::DgToml => "",
            FileKind::Pyproject => "tool.dg.",
        }
    }

    /// The table holding dg's keys (`[tool.dg]` or the whole document).
    pub(super) fn dg_table(&self) -> Option<(&dyn TableLike, Option<Range<usize>>)> {
        match self.kind {
            FileKind::DgToml => Some((self.doc.as_table() as &dyn TableLike, Some(0..0))),
            FileKind::Pyproject => {
                let tool = self.doc.get("tool")?.as_table_like()?;
                let dg = tool.get("dg")?;
                Some((dg.as_table_like()?, dg.span()))
            }
        }
    }

    /// The raw `directory_type` string, if present and a string.
    pub fn directory_type(&self) -> Option<&str> {
        self.dg_table()?.0.get("directory_type")?.as_str()
    }
}

/// Reads `dir`'s config file if it has one: `dg.toml`, else a `pyproject.toml` with a
/// `[tool.dg]` table. A pyproject.toml without `[tool.dg]` is not a config file.
pub fn read_config_in(dir: &Path) -> std::result::Result<Option<ConfigFile>, Problem> {
    // `symlink_metadata`, not `exists`: a file that is there but cannot be read (a symlink
    // loop, no permission) is reported by name, not silently passed over.
    let present = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    let dg_toml = dir.join("dg.toml");
    if present(&dg_toml) {
        let text = read_text(&dg_toml)?;
        let doc = parse(&dg_toml, text.clone())?;
        return Ok(Some(ConfigFile {
            path: dg_toml,
            kind: FileKind::DgToml,
            text,
            doc,
        }));
    }
    let pyproject = dir.join("pyproject.toml");
    if present(&pyproject) {
        let text = read_text(&pyproject)?;
        let doc = parse(&pyproject, text.clone())?;
        let file = ConfigFile {
            path: pyproject,
            kind: FileKind::Pyproject,
            text,
            doc,
        };
        if file.dg_table().is_some() {
            return Ok(Some(file));
        }
        // `tool` or `tool.dg` present but not a table: dg's settings are there, written
        // wrongly. Say so where it is written (not "has no [tool.dg]").
        if let Some(tool) = file.doc.get("tool") {
            let wrong = match tool.as_table_like() {
                None => Some(("tool", tool.span())),
                Some(t) => t
                    .get("dg")
                    .filter(|dg| dg.as_table_like().is_none())
                    .map(|dg| ("tool.dg", dg.span().or_else(|| t.key("dg")?.span()))),
            };
            if let Some((name, span)) = wrong {
                let pos = match span {
                    Some(span) => SourcePos::from_span(&file.path, &file.text, span),
                    None => SourcePos::start_of(&file.path, &file.text),
                };
                return Err(Problem::new(format!("`{name}` must be a table"))
                    .at(pos)
                    .hint("write dg's settings as a table: [tool.dg] with directory_type = \"project\", and [tool.dg.project] root_module = \"...\""));
            }
        }
    }
    Ok(None)
}
