//! Human tables for every listing command (one renderer for all of them): plain, borderless,
//! left-aligned columns two spaces apart, a multi-line cell taking several lines.
//!
//! How wide: `COLUMNS` when set (a terminal that reports 0 columns, as `script` or
//! `docker -t` do, would otherwise squeeze every column to one character); else the terminal's
//! width; else (a pipe, a file) no limit. Only a table that must fit a width goes through
//! comfy-table's wrapping; the unlimited case, which is how large listings reach files and
//! CI logs, is written in one pass.

use comfy_table::{ContentArrangement, Table, presets};
use std::io::IsTerminal;
use std::sync::OnceLock;
use unicode_width::UnicodeWidthStr;

/// Below this many columns a terminal's report is not believed (0 from `script`).
const MIN_TERMINAL_WIDTH: u16 = 20;
/// The width used when a terminal reports nonsense and COLUMNS is not set.
const FALLBACK_WIDTH: u16 = 100;

static COLUMNS: OnceLock<Option<u16>> = OnceLock::new();

/// The `COLUMNS` setting (resolved once by `cli`).
pub(crate) fn set_columns(columns: Option<u16>) {
    let _ = COLUMNS.set(columns);
}

fn width() -> Option<u16> {
    if let Some(Some(c)) = COLUMNS.get()
        && *c > 0
    {
        return Some(*c);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    match Table::new().width() {
        Some(w) if w >= MIN_TERMINAL_WIDTH => Some(w),
        _ => Some(FALLBACK_WIDTH),
    }
}

pub(crate) fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    match width() {
        Some(w) => fitted(header, rows, w),
        None => {
            let mut out = Vec::new();
            let _ = plain(&mut out, header, rows);
            String::from_utf8(out).expect("tables are text")
        }
    }
}

/// Wrapped to `width` columns (comfy-table).
fn fitted(header: &[&str], rows: &[Vec<String>], width: u16) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(header.iter().map(|h| h.to_string()));
    for row in rows {
        table.add_row(row.clone());
    }
    // comfy-table pads each line on the left by one space with this preset; trim it so the
    // output starts at column 0 and carries no trailing blanks.
    table
        .to_string()
        .lines()
        .map(|l| l.trim_end())
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Like [`render`], written straight to `w` with a final newline, for a table too large
/// to hold twice: `fill(i, cells)` makes row `i`'s
/// cells on demand. Without a width limit the rows are made twice (widths, then lines) and
/// never held together; a table that must fit a terminal is collected for comfy-table.
pub(crate) fn write_each(
    w: &mut dyn std::io::Write,
    header: &[&str],
    len: usize,
    fill: &dyn Fn(usize, &mut Vec<String>),
) -> std::io::Result<()> {
    match width() {
        Some(width) => {
            let rows: Vec<Vec<String>> = (0..len)
                .map(|i| {
                    let mut cells = Vec::new();
                    fill(i, &mut cells);
                    cells
                })
                .collect();
            writeln!(w, "{}", fitted(header, &rows, width))
        }
        None => {
            let visit = |f: &mut dyn FnMut(&[String]) -> std::io::Result<()>| {
                let mut cells = Vec::new();
                for i in 0..len {
                    cells.clear();
                    fill(i, &mut cells);
                    f(&cells)?;
                }
                Ok(())
            };
            plain_visit(w, header, &visit)?;
            w.write_all(b"\n")
        }
    }
}

/// No width limit: each column as wide as its widest line (no newline after the last).
fn plain(
    out: &mut dyn std::io::Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    plain_visit(out, header, &|f| rows.iter().try_for_each(|r| f(r)))
}

/// Calls its argument with every row's cells, in order (twice per table).
type Visit<'a> =
    dyn Fn(&mut dyn FnMut(&[String]) -> std::io::Result<()>) -> std::io::Result<()> + 'a;

fn plain_visit(out: &mut dyn std::io::Write, header: &[&str], rows: &Visit) -> std::io::Result<()> {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    rows(&mut |row| {
        for (i, cell) in row.iter().enumerate().take(n) {
            for line in cell.lines() {
                widths[i] = widths[i].max(line.width());
            }
        }
        Ok(())
    })?;
    let mut line = String::new();
    let mut first = true;
    let mut push_line = |cells: &[&str], out: &mut dyn std::io::Write| -> std::io::Result<()> {
        line.clear();
        if !first {
            line.push('\n');
        }
        first = false;
        for (i, cell) in cells.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < cells.len() {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.write_all(line.trim_end().as_bytes())
    };
    push_line(header, out)?;
    rows(&mut |row| {
        let mut cells: Vec<std::str::Lines> = row.iter().take(n).map(|c| c.lines()).collect();
        let height = row
            .iter()
            .map(|c| c.lines().count().max(1))
            .max()
            .unwrap_or(1);
        let mut parts: Vec<&str> = Vec::with_capacity(n);
        for _ in 0..height {
            parts.clear();
            parts.extend(cells.iter_mut().map(|l| l.next().unwrap_or("")));
            parts.resize(n, "");
            push_line(&parts, out)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn the_plain_table_is_what_comfy_table_draws_without_a_limit() {
        let header = ["KEY", "LOCATION", "UPSTREAM (⇠ other location)"];
        let body = rows(&[
            &["a", "data-engineering", ""],
            &[
                "data_science_asset",
                "data-science",
                "x ⇠ data-engineering\ny",
            ],
            &["é", "", "z (external)"],
        ]);
        let mut table = Table::new();
        table
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header.iter().map(|h| h.to_string()));
        for r in &body {
            table.add_row(r.clone());
        }
        let comfy: Vec<String> = table
            .to_string()
            .lines()
            .map(|l| {
                l.trim_end()
                    .strip_prefix(' ')
                    .unwrap_or(l.trim_end())
                    .to_string()
            })
            .collect();
        assert_eq!(render(&header, &body), comfy.join("\n"));
    }
}
