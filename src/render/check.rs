//! The human report of `dg check`: one line per location, then every problem of the graph
//! with the locations and files involved.

use crate::cli::check::CheckReport;

pub fn human(r: &CheckReport) -> String {
    let mut out = Vec::new();
    let rows: Vec<Vec<String>> = r
        .locations
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                match l.status {
                    "ok" => "ok".to_string(),
                    "failed" => "failed to load".to_string(),
                    _ => "problems".to_string(),
                } + if l.from_state {
                    " (from saved state)"
                } else {
                    ""
                },
                l.assets.to_string(),
                l.python_version.clone().unwrap_or_default(),
                l.dagster_version.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push(super::table::render(
        &["LOCATION", "STATUS", "ASSETS", "PYTHON", "DAGSTER"],
        &rows,
    ));
    for p in &r.problems {
        let mut s = format!("\n{}[{}]: {}", p.severity, p.code, p.message);
        if !p.locations.is_empty() {
            s.push_str(&format!("\n  locations: {}", p.locations.join(", ")));
        }
        for at in &p.defined_at {
            s.push_str(&format!("\n  defined: {at}"));
        }
        if let Some(h) = &p.hint {
            s.push_str(&format!("\n  hint: {h}"));
        }
        out.push(s);
    }
    let verdict = if r.ok {
        if r.warnings > 0 {
            format!("\nAll checks passed ({}).", plural(r.warnings, "warning"))
        } else {
            "\nAll checks passed.".to_string()
        }
    } else {
        format!(
            "\nCheck failed: {} errors, {} warnings.",
            r.errors, r.warnings
        )
    };
    out.push(verdict);
    out.join("\n")
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
