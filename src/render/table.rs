//! Human tables for every listing command (one renderer for all of them).

use comfy_table::{ContentArrangement, Table, presets};

/// Renders rows under a header as a plain, borderless, left-aligned table that fits the
/// terminal width when there is one.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
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
