//! `dg list defs --json` in real dg 1.13's schema (six arrays, nulls omitted, the same field
//! order), with a `location` field added to every item; and the human tables.

use crate::manifest::schema::{
    AssetCheckDef, AssetDef, AutomationConditionInfo, JobDef, KeyParts, ResourceDef, ScheduleDef,
    SensorDef,
};
use serde::Serialize;

pub fn join_key(parts: &KeyParts) -> String {
    parts.join("/")
}

#[derive(Serialize, Default)]
pub struct DefsJson<'a> {
    pub assets: Vec<AssetJson<'a>>,
    pub asset_checks: Vec<CheckJson<'a>>,
    pub jobs: Vec<JobJson<'a>>,
    pub resources: Vec<ResourceJson<'a>>,
    pub schedules: Vec<ScheduleJson<'a>>,
    pub sensors: Vec<SensorJson<'a>>,
}

#[derive(Serialize)]
pub struct AssetJson<'a> {
    pub asset_key: String,
    pub asset_key_parts: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<&'a str>,
    pub kinds: Vec<&'a str>,
    pub dependency_keys: Vec<String>,
    pub owners: Vec<Owner<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_condition: Option<&'a AutomationConditionInfo>,
    pub is_executable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub location: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Owner<'a> {
    Team { team: &'a str },
    Email { email: &'a str },
}

#[derive(Serialize)]
pub struct Tag<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Serialize)]
pub struct CheckJson<'a> {
    pub key: String,
    pub asset_key: String,
    pub name: &'a str,
    pub additional_deps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub location: &'a str,
}

#[derive(Serialize)]
pub struct JobJson<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub location: &'a str,
}

#[derive(Serialize)]
pub struct ResourceJson<'a> {
    pub name: &'a str,
    #[serde(rename = "type")]
    pub type_name: &'a str,
    pub location: &'a str,
}

#[derive(Serialize)]
pub struct ScheduleJson<'a> {
    pub name: &'a str,
    pub cron_schedule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub location: &'a str,
}

#[derive(Serialize)]
pub struct SensorJson<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    pub location: &'a str,
}

pub fn asset<'a>(a: &'a AssetDef, location: &'a str) -> AssetJson<'a> {
    let mut deps: Vec<String> = a.deps.iter().map(join_key).collect();
    deps.sort();
    let mut kinds: Vec<&str> = a.kinds.iter().map(String::as_str).collect();
    kinds.sort();
    let tags: Vec<Tag> = a
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with("dagster/kind/"))
        .map(|(k, v)| Tag { key: k, value: v })
        .collect();
    AssetJson {
        asset_key: join_key(&a.key),
        asset_key_parts: a.key.clone(),
        description: a.description.as_deref(),
        group_name: a.group_name.as_deref(),
        kinds,
        dependency_keys: deps,
        owners: a.owners.iter().map(|o| owner(o)).collect(),
        tags: (!tags.is_empty()).then_some(tags),
        automation_condition: a.automation_condition.as_ref(),
        is_executable: a.is_executable,
        source: a.dg_source.as_deref(),
        location,
    }
}

/// Dagster stores owners as `team:name` or an email address.
pub fn owner(o: &str) -> Owner<'_> {
    match o.strip_prefix("team:") {
        Some(team) => Owner::Team { team },
        None => Owner::Email { email: o },
    }
}

pub fn check<'a>(c: &'a AssetCheckDef, location: &'a str) -> CheckJson<'a> {
    let mut deps: Vec<String> = c.additional_deps.iter().map(join_key).collect();
    deps.sort();
    let asset_key = join_key(&c.asset_key);
    CheckJson {
        key: format!("{asset_key}:{}", c.name),
        asset_key,
        name: &c.name,
        additional_deps: deps,
        description: c.description.as_deref(),
        source: c.dg_source.as_deref(),
        location,
    }
}

pub fn job<'a>(j: &'a JobDef, location: &'a str) -> JobJson<'a> {
    JobJson {
        name: &j.name,
        description: j.description.as_deref(),
        source: j.dg_source.as_deref(),
        location,
    }
}

pub fn resource<'a>(r: &'a ResourceDef, location: &'a str) -> ResourceJson<'a> {
    ResourceJson {
        name: &r.name,
        type_name: &r.type_name,
        location,
    }
}

pub fn schedule<'a>(s: &'a ScheduleDef, location: &'a str) -> ScheduleJson<'a> {
    ScheduleJson {
        name: &s.name,
        cron_schedule: &s.cron_schedule,
        source: s.dg_source.as_deref(),
        location,
    }
}

pub fn sensor<'a>(s: &'a SensorDef, location: &'a str) -> SensorJson<'a> {
    SensorJson {
        name: &s.name,
        source: s.dg_source.as_deref(),
        location,
    }
}

impl DefsJson<'_> {
    /// Real dg's order: assets by key, the other sections by name, then location.
    pub fn sort(&mut self) {
        self.assets
            .sort_by(|a, b| (&a.asset_key, a.location).cmp(&(&b.asset_key, b.location)));
        self.asset_checks
            .sort_by(|a, b| (&a.key, a.location).cmp(&(&b.key, b.location)));
        self.jobs.sort_by_key(|j| (j.name, j.location));
        self.resources.sort_by_key(|r| (r.name, r.location));
        self.schedules.sort_by_key(|s| (s.name, s.location));
        self.sensors.sort_by_key(|s| (s.name, s.location));
    }
}

/// A column of the `dg list defs` asset table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Key,
    Group,
    Deps,
    Kinds,
    Description,
    Tags,
    Cron,
    IsExecutable,
}

impl Column {
    pub(crate) const ALL: &[Column] = &[
        Column::Key,
        Column::Group,
        Column::Deps,
        Column::Kinds,
        Column::Description,
        Column::Tags,
        Column::Cron,
        Column::IsExecutable,
    ];
    pub(crate) const DEFAULT: &[Column] = &[
        Column::Key,
        Column::Group,
        Column::Deps,
        Column::Kinds,
        Column::Description,
        Column::Cron,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Column::Key => "key",
            Column::Group => "group",
            Column::Deps => "deps",
            Column::Kinds => "kinds",
            Column::Description => "description",
            Column::Tags => "tags",
            Column::Cron => "cron",
            Column::IsExecutable => "is_executable",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Column::Key => "KEY",
            Column::Group => "GROUP",
            Column::Deps => "DEPS",
            Column::Kinds => "KINDS",
            Column::Description => "DESCRIPTION",
            Column::Tags => "TAGS",
            Column::Cron => "CRON",
            Column::IsExecutable => "EXECUTABLE",
        }
    }

    /// A user's column name (singular forms too; `name` means `key`), or None.
    pub(crate) fn parse(given: &str) -> Option<Column> {
        let g = given.trim().to_ascii_lowercase();
        let g = match g.as_str() {
            "name" => "key",
            "dep" => "deps",
            "kind" => "kinds",
            "tag" => "tags",
            "executable" => "is_executable",
            other => other,
        };
        Column::ALL.iter().copied().find(|c| c.as_str() == g)
    }
}

/// How much of a description a table shows (real dg cuts at 100 characters too).
const DESCRIPTION_CHARS: usize = 100;

/// A description as one table line: its first paragraph (a docstring's summary) with every
/// run of whitespace made one space and control characters (a stray escape sequence) dropped,
/// cut at [`DESCRIPTION_CHARS`] with "…"; the whole text is in `--json`. Real dg prints the
/// text's own line breaks into the cell, which breaks the table's rows apart.
fn summary(description: Option<&str>) -> String {
    let mut lines = description
        .unwrap_or("")
        .lines()
        .skip_while(|l| l.trim().is_empty());
    let first: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let more = lines.any(|l| !l.trim().is_empty());
    let words: Vec<String> = first
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect();
    let mut one = words.join(" ");
    if one.chars().count() > DESCRIPTION_CHARS {
        one = one.chars().take(DESCRIPTION_CHARS - 1).collect::<String>() + "…";
    } else if more {
        one.push_str(" …");
    }
    one
}

/// What `dg list defs` lists of the loaded workspace: inside one project exactly what real
/// dg lists there (cross-location stubs included); at the workspace root every executable
/// definition (so duplicate owners stay visible) and each external key once. A selection
/// keeps its assets and their checks, and, as in real dg, drops the other sections.
pub(crate) fn defs_json<'a>(
    loaded: &'a crate::workspace::Loaded,
    selected: Option<&std::collections::BTreeSet<crate::graph::NodeId>>,
) -> DefsJson<'a> {
    let graph = &loaded.graph;
    let project_scope = matches!(loaded.scope, crate::workspace::Scope::Project(_));
    let mut out = DefsJson::default();
    for (li, loc) in graph.locations().iter().enumerate() {
        let m = &loc.manifest;
        let name = loc.name.as_str();
        for (ai, a) in m.assets.iter().enumerate() {
            let keep = if project_scope {
                graph.find(&crate::graph::AssetKey::from(&a.key))
            } else {
                graph.listed_definition(li, ai, a)
            };
            if let Some(id) = keep
                && selected.is_none_or(|s| s.contains(&id))
            {
                out.assets.push(asset(a, name));
            }
        }
        for c in &m.asset_checks {
            let in_selection = selected.is_none_or(|s| {
                graph
                    .find(&crate::graph::AssetKey::from(&c.asset_key))
                    .is_some_and(|id| s.contains(&id))
            });
            if in_selection {
                out.asset_checks.push(check(c, name));
            }
        }
        if selected.is_none() {
            out.jobs.extend(m.jobs.iter().map(|j| job(j, name)));
            out.resources
                .extend(m.resources.iter().map(|x| resource(x, name)));
            out.schedules
                .extend(m.schedules.iter().map(|x| schedule(x, name)));
            out.sensors
                .extend(m.sensors.iter().map(|x| sensor(x, name)));
        }
    }
    out.sort();
    out
}

/// The human listing: one table per non-empty section, each with a LOCATION column.
pub(crate) fn tables(defs: &DefsJson, columns: &[Column]) -> String {
    let mut out = Vec::new();
    out.extend(assets_table(&defs.assets, columns));
    out.extend(checks_table(&defs.asset_checks));
    out.extend(simple_tables(defs));
    out.join("\n\n")
}

/// The assets table, with the asked-for columns (no CRON), when there are assets.
fn assets_table(assets: &[AssetJson], columns: &[Column]) -> Option<String> {
    let asset_cols: Vec<Column> = columns
        .iter()
        .copied()
        .filter(|c| *c != Column::Cron)
        .collect();
    if assets.is_empty() {
        return None;
    }
    let mut header = vec!["LOCATION"];
    header.extend(asset_cols.iter().map(|c| c.header()));
    let rows: Vec<Vec<String>> = assets
        .iter()
        .map(|a| {
            let mut row = vec![a.location.to_string()];
            for c in &asset_cols {
                row.push(asset_cell(a, *c));
            }
            row
        })
        .collect();
    Some(format!("Assets\n{}", super::table::render(&header, &rows)))
}

/// One asset's value in column `c`.
fn asset_cell(a: &AssetJson, c: Column) -> String {
    match c {
        Column::Key => a.asset_key.clone(),
        Column::Group => a.group_name.unwrap_or("").to_string(),
        Column::Deps => a.dependency_keys.join("\n"),
        Column::Kinds => a.kinds.join(", "),
        Column::Description => summary(a.description),
        Column::Tags => a
            .tags
            .as_ref()
            .map(|t| {
                t.iter()
                    .map(|t| format!("{}={}", t.key, t.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        Column::IsExecutable => a.is_executable.to_string(),
        Column::Cron => String::new(),
    }
}

fn checks_table(checks: &[CheckJson]) -> Option<String> {
    if checks.is_empty() {
        return None;
    }
    let rows: Vec<Vec<String>> = checks
        .iter()
        .map(|c| {
            vec![
                c.location.to_string(),
                c.key.clone(),
                summary(c.description),
            ]
        })
        .collect();
    Some(format!(
        "Asset Checks\n{}",
        super::table::render(&["LOCATION", "KEY", "DESCRIPTION"], &rows)
    ))
}

/// The jobs, schedules, sensors and resources tables (the non-empty ones).
fn simple_tables(defs: &DefsJson) -> Vec<String> {
    let mut out = Vec::new();
    let simple = |title: &str, rows: Vec<Vec<String>>, header: &[&str]| {
        (!rows.is_empty()).then(|| format!("{title}\n{}", super::table::render(header, &rows)))
    };
    out.extend(simple(
        "Jobs",
        defs.jobs
            .iter()
            .map(|j| vec![j.location.into(), j.name.into(), summary(j.description)])
            .collect(),
        &["LOCATION", "NAME", "DESCRIPTION"],
    ));
    out.extend(simple(
        "Schedules",
        defs.schedules
            .iter()
            .map(|s| vec![s.location.into(), s.name.into(), s.cron_schedule.into()])
            .collect(),
        &["LOCATION", "NAME", "CRON"],
    ));
    out.extend(simple(
        "Sensors",
        defs.sensors
            .iter()
            .map(|s| vec![s.location.into(), s.name.into()])
            .collect(),
        &["LOCATION", "NAME"],
    ));
    out.extend(simple(
        "Resources",
        defs.resources
            .iter()
            .map(|r| vec![r.location.into(), r.name.into(), r.type_name.into()])
            .collect(),
        &["LOCATION", "NAME", "TYPE"],
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_docstring_shows_as_its_first_paragraph_on_one_line() {
        let doc = "\n    Churn model trained on\n    the curated orders.\n    \n    Columns:\n      - id\n";
        assert_eq!(
            summary(Some(doc)),
            "Churn model trained on the curated orders. …"
        );
        assert_eq!(summary(Some("One line.")), "One line.");
        assert_eq!(summary(None), "");
        assert_eq!(summary(Some("  \n\t ")), "");
    }

    #[test]
    fn long_text_is_cut_at_100_characters_and_escapes_are_dropped() {
        let long = "word ".repeat(40);
        let s = summary(Some(&long));
        assert_eq!(s.chars().count(), 100);
        assert!(s.ends_with('…'));
        assert_eq!(summary(Some("red \u{1b}[31mtext\u{7}")), "red [31mtext");
    }
}
