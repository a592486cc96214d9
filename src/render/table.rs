//! Human tables for every listing command (one renderer for all of them): plain, borderless,
//! left-aligned columns two spaces apart, a multi-line cell taking several lines.
//!
//! How wide: `COLUMNS` when set (a terminal that reports 0 columns, as `script` or
//! `docker -t` do, would otherwise squeeze every column to one character); else the terminal's
//! width; else (a pipe, a file) no limit. Only a table that must fit a width goes through
//! comfy-table's wrapping; the unlimited case, which is how large listings reach files and
//! CI logs, is written in one pass.
//!
//! When a table must fit, cells wrap at spaces and no word of a key, name, path or location
//! is broken (they are what people copy and search for) as long as the width allows it:
//! prose (descriptions, kinds, tags, hints) gives way first, down to ten columns. Only a
//! table whose keys alone are wider than the terminal has words cut, so that it still fits:
//! a line longer than the terminal would wrap and break every row apart.

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};
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

/// The longest word of prose kept whole when a table must fit.
const MIN_PROSE_WIDTH: u16 = 20;

/// Columns of running text, whose over-long words may be cut.
fn is_prose(header: &str) -> bool {
    matches!(header, "DESCRIPTION" | "TAGS" | "KINDS" | "HINT" | "REASON")
}

/// The narrowest a column of prose gets when the table cannot fit otherwise.
const NARROW_PROSE_WIDTH: usize = 10;

/// Room left for each column that keeps no floor, when the floors do not all fit.
const FREE_COLUMN_WIDTH: usize = 6;

/// Each column's least width, so that no word of a key, name or location is broken: its
/// longest word, prose kept to [`MIN_PROSE_WIDTH`] or, when that is too wide, to
/// [`NARROW_PROSE_WIDTH`] (never below its header). When even that does not fit `width`,
/// the leftmost columns (the key, the location) keep theirs while room is left for the
/// rest, whose words comfy-table breaks (`None`).
fn word_floors(header: &[&str], rows: &[Vec<String>], width: u16) -> Vec<Option<u16>> {
    let longest = (0..header.len()).map(|i| {
        std::iter::once(header[i])
            .chain(rows.iter().filter_map(|r| r.get(i).map(String::as_str)))
            .flat_map(str::split_whitespace)
            .map(UnicodeWidthStr::width)
            .max()
            .unwrap_or(0)
    });
    let floors_with = |prose: usize| -> Vec<usize> {
        header
            .iter()
            .zip(longest.clone())
            .map(|(h, w)| {
                if is_prose(h) {
                    w.min(prose).max(h.width())
                } else {
                    w
                }
            })
            .collect()
    };
    let width = usize::from(width);
    // Two spaces between columns, none before the first.
    let gaps = 2 * header.len().saturating_sub(1);
    let to_u16 = |f: usize| Some(u16::try_from(f).unwrap_or(u16::MAX));
    for prose in [usize::from(MIN_PROSE_WIDTH), NARROW_PROSE_WIDTH] {
        let floors = floors_with(prose);
        if floors.iter().sum::<usize>() + gaps <= width {
            return floors.into_iter().map(to_u16).collect();
        }
    }
    let mut used = gaps;
    let mut room = true;
    floors_with(NARROW_PROSE_WIDTH)
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let rest = FREE_COLUMN_WIDTH * (header.len() - i - 1);
            room = room && used + f + rest <= width;
            used += f;
            if room { to_u16(f) } else { None }
        })
        .collect()
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
    for (i, floor) in word_floors(header, rows, width).into_iter().enumerate() {
        if let Some(floor) = floor
            && let Some(c) = table.column_mut(i)
        {
            // comfy-table's boundary is the column's whole width, its padding included.
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                floor.saturating_add(c.padding_width()),
            )));
        }
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

    fn listing() -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec!["KEY", "LOCATION", "GROUP", "DESCRIPTION"];
        let body = rows(&[
            &[
                "raw_orders_from_the_warehouse",
                "data-engineering",
                "ingestion",
                "Orders as the warehouse exports them each night, one row per order line, \
                 see https://example.com/a/very/long/documentation/url/for/orders",
            ],
            &[
                "churn_model",
                "data-science",
                "analytics",
                "Churn model trained on the curated orders.",
            ],
        ]);
        (header, body)
    }

    #[test]
    fn a_narrow_table_wraps_prose_but_never_breaks_a_key_or_a_location() {
        let (header, body) = listing();
        for width in [80u16, 90, 120] {
            let text = fitted(&header, &body, width);
            for whole in [
                "raw_orders_from_the_warehouse",
                "data-engineering",
                "data-science",
                "churn_model",
                "analytics",
                "DESCRIPTION",
            ] {
                assert!(
                    text.contains(whole),
                    "{whole} was broken at {width}:\n{text}"
                );
            }
            // The words fit (29 + 16 + 9 + 20 and the gaps), so the table does too.
            assert!(
                text.lines().all(|l| l.width() <= usize::from(width)),
                "wider than {width}:\n{text}"
            );
        }
    }

    #[test]
    fn prose_narrows_first_and_a_table_too_wide_for_its_keys_still_fits() {
        let (header, body) = listing();
        // 29 + 16 + 9 + 11 (its header) and the gaps: the description narrows.
        let text = fitted(&header, &body, 72);
        assert!(text.contains("raw_orders_from_the_warehouse"), "{text}");
        assert!(text.lines().all(|l| l.width() <= 72), "{text}");
        // Too narrow for every word: the key and the location stay whole, the rest gives
        // way, and no line runs past the edge.
        let text = fitted(&header, &body, 64);
        assert!(text.contains("raw_orders_from_the_warehouse"), "{text}");
        assert!(text.contains("data-engineering"), "{text}");
        assert!(text.lines().all(|l| l.width() <= 64), "{text}");
        let text = fitted(&header, &body, 40);
        assert!(text.lines().all(|l| l.width() <= 40), "{text}");
    }
}
