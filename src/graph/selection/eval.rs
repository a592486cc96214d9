//! Evaluation of a parsed selection on the workspace graph, with Dagster's semantics:
//! `*` and `not` range over materializable assets only; `key:`, `owner:` and `is:external`
//! can select external assets; upstream traversal drops external assets (including the
//! starting ones), downstream traversal keeps everything it reaches; `sinks()` / `roots()`
//! are computed within the inner selection, through the whole graph.
//!
//! Sets are bitsets over node ids, and traversals are one multi-source breadth-first walk
//! (the union of per-asset depth-limited walks, which is what Dagster computes), so every
//! operation is linear in the graph.

use super::SelectionError;
use super::parser::{Depth, Expr, IsValue, Value};
use crate::graph::changes::BranchChanges;
use crate::graph::{AssetGraph, AssetKey, LocationId, NodeId};
use crate::manifest::schema::AssetDef;
use fixedbitset::FixedBitSet;
use petgraph::Direction;

/// A chain of `or` (`is_or`) or `and` nested to the left: its leftmost operand and the right
/// operands, innermost first.
fn spine(expr: &Expr, is_or: bool) -> (&Expr, Vec<&Expr>) {
    let mut rights: Vec<&Expr> = Vec::new();
    let mut left = expr;
    loop {
        match left {
            Expr::Or(a, b) if is_or => {
                rights.push(b);
                left = a;
            }
            Expr::And(a, b) if !is_or => {
                rights.push(b);
                left = a;
            }
            _ => break,
        }
    }
    (left, rights)
}

pub(super) fn evaluate(
    expr: &Expr,
    graph: &AssetGraph,
    changes: Option<&BranchChanges>,
) -> Result<Vec<NodeId>, SelectionError> {
    let n = graph.node_count();
    let mut materializable = FixedBitSet::with_capacity(n);
    for id in graph.node_ids() {
        if !graph.node(id).is_external() {
            materializable.insert(id.index());
        }
    }
    let ctx = Ctx {
        graph,
        materializable,
        changes,
    };
    let set = ctx.eval(expr)?;
    Ok(set.ones().map(NodeId::new).collect())
}

struct Ctx<'g> {
    graph: &'g AssetGraph,
    materializable: FixedBitSet,
    changes: Option<&'g BranchChanges>,
}

impl Ctx<'_> {
    fn empty(&self) -> FixedBitSet {
        FixedBitSet::with_capacity(self.graph.node_count())
    }

    /// Nodes for which `keep(node, definition)` holds, among `base`.
    fn filter(
        &self,
        base: Option<&FixedBitSet>,
        keep: impl Fn(NodeId, Option<&AssetDef>) -> bool,
    ) -> FixedBitSet {
        let mut out = self.empty();
        for id in self.graph.node_ids() {
            if base.is_some_and(|b| !b.contains(id.index())) {
                continue;
            }
            if keep(id, self.graph.definition(id)) {
                out.insert(id.index());
            }
        }
        out
    }

    fn materializable_where(&self, keep: impl Fn(&AssetDef) -> bool) -> FixedBitSet {
        self.filter(Some(&self.materializable), |_, def| def.is_some_and(&keep))
    }

    // One arm per selection expression; the recursive arms stay inline so a nested selection
    // costs one stack frame per level.
    fn eval(&self, expr: &Expr) -> Result<FixedBitSet, SelectionError> {
        Ok(match expr {
            Expr::All => self.materializable.clone(),
            Expr::Not(inner) => {
                let mut out = self.materializable.clone();
                out.difference_with(&self.eval(inner)?);
                out
            }
            // Long chains (a generated `key:"a" or key:"b" or …` of thousands of keys) nest
            // to the left: walk the spine in a loop so depth never grows with the length.
            Expr::And(..) | Expr::Or(..) => {
                let is_or = matches!(expr, Expr::Or(..));
                let (left, rights) = spine(expr, is_or);
                let mut out = self.eval(left)?;
                for right in rights.into_iter().rev() {
                    let r = self.eval(right)?;
                    if is_or {
                        out.union_with(&r);
                    } else {
                        out.intersect_with(&r);
                    }
                }
                out
            }
            Expr::Traverse { inner, up, down } => {
                let start = self.eval(inner)?;
                self.traverse(&start, *up, *down)
            }
            Expr::Sinks(inner) => {
                let within = self.eval(inner)?;
                self.without_relatives(within, Direction::Incoming)
            }
            Expr::Roots(inner) => {
                let within = self.eval(inner)?;
                self.without_relatives(within, Direction::Outgoing)
            }
            Expr::Key(pattern) => self.key(pattern),
            Expr::LegacyKey { key, column, len } => self.legacy_key(key, *column, *len)?,
            Expr::Tag { key, value } => match (key, value) {
                (Value::Str(k), Value::Str(v)) => {
                    self.materializable_where(|d| d.tags.get(k).is_some_and(|t| t == v))
                }
                // Dagster looks the tag up under `None`, which never matches.
                _ => self.empty(),
            },
            Expr::Owner(Value::Str(owner)) => {
                self.filter(None, |_, d| d.is_some_and(|d| d.owners.contains(owner)))
            }
            Expr::Owner(Value::Null) => {
                self.filter(None, |_, d| d.is_none_or(|d| d.owners.is_empty()))
            }
            Expr::Group(Value::Str(group)) => {
                self.materializable_where(|d| d.group_name.as_ref() == Some(group))
            }
            Expr::Group(Value::Null) => self.materializable_where(|d| d.group_name.is_none()),
            Expr::Kind(Value::Str(kind)) => self.materializable_where(|d| d.kinds.contains(kind)),
            Expr::Kind(Value::Null) => self.materializable_where(|d| d.kinds.is_empty()),
            Expr::Is(IsValue::Materializable) => self.materializable.clone(),
            Expr::Is(IsValue::External) => {
                let mut out = self.materializable.clone();
                out.toggle_range(..);
                out
            }
            Expr::CodeLocation(Value::Str(name)) => match self.graph.location_id(name) {
                Some(loc) => self.in_location(loc),
                None => self.empty(),
            },
            Expr::CodeLocation(Value::Null) => {
                self.filter(None, |id, _| self.graph.node(id).owner.is_none())
            }
            Expr::Job(Value::Str(name)) => self.jobs(|_, job| job == name),
            Expr::Schedule(Value::Str(name)) => self.schedule_targets(name),
            Expr::Sensor(Value::Str(name)) => self.sensor_targets(name),
            Expr::Job(Value::Null) | Expr::Schedule(Value::Null) | Expr::Sensor(Value::Null) => {
                self.empty()
            }
            Expr::ChangedInBranch { kind, column, len } => {
                self.changed_in_branch(*kind, *column, *len)?
            }
        })
    }

    /// Upstream of `start` to `up` levels (materializable only), downstream to `down`.
    fn traverse(&self, start: &FixedBitSet, up: Option<Depth>, down: Option<Depth>) -> FixedBitSet {
        let mut out = self.empty();
        if let Some(depth) = up
            && !start.is_clear()
        {
            let mut reached = self.walk(start, depth, Direction::Incoming);
            reached.intersect_with(&self.materializable);
            out.union_with(&reached);
        }
        if let Some(depth) = down {
            out.union_with(&self.walk(start, depth, Direction::Outgoing));
        }
        out
    }

    /// A legacy key selection: the one asset, which must exist.
    fn legacy_key(
        &self,
        key: &str,
        column: usize,
        len: usize,
    ) -> Result<FixedBitSet, SelectionError> {
        let key = AssetKey::parse(key);
        match self.graph.find(&key) {
            Some(id) => {
                let mut out = self.empty();
                out.insert(id.index());
                Ok(out)
            }
            None => Err(self.missing_key(&key, column, len)),
        }
    }

    /// The assets of the job every schedule named `name` targets.
    fn schedule_targets(&self, name: &str) -> FixedBitSet {
        let mut targets: Vec<(LocationId, &str)> = Vec::new();
        for (i, location) in self.graph.locations().iter().enumerate() {
            for schedule in &location.manifest.schedules {
                if schedule.name == name
                    && let Some(job) = &schedule.job_name
                {
                    targets.push((LocationId(i as u32), job));
                }
            }
        }
        self.jobs(|loc, job| targets.contains(&(loc, job)))
    }

    /// The assets of the jobs every sensor named `name` targets.
    fn sensor_targets(&self, name: &str) -> FixedBitSet {
        let mut targets: Vec<(LocationId, &str)> = Vec::new();
        for (i, location) in self.graph.locations().iter().enumerate() {
            for sensor in &location.manifest.sensors {
                if sensor.name == name {
                    for job in &sensor.job_names {
                        targets.push((LocationId(i as u32), job));
                    }
                }
            }
        }
        self.jobs(|loc, job| targets.contains(&(loc, job)))
    }

    /// Assets that changed (in `kind`, or in any way) against the base.
    fn changed_in_branch(
        &self,
        kind: Option<crate::graph::changes::ChangeKind>,
        column: usize,
        len: usize,
    ) -> Result<FixedBitSet, SelectionError> {
        let Some(changes) = self.changes else {
            return Err(SelectionError {
                message: "changed_in_branch: needs something to compare with: pass \
                          --base REF (a git branch or commit) or --state DIR (a saved \
                          state, `dg state export`)"
                    .into(),
                column,
                len,
            });
        };
        Ok(self.filter(None, |id, _| {
            let kinds = changes.kinds(self.graph.key(id));
            match kind {
                None => !kinds.is_empty(),
                Some(k) => kinds.contains(k),
            }
        }))
    }

    /// Owned by `loc`, or external and referenced by it (as Dagster's remote graph resolves
    /// an external asset to the location that declares it).
    fn in_location(&self, loc: LocationId) -> FixedBitSet {
        self.filter(None, |id, _| {
            let node = self.graph.node(id);
            match node.owner {
                Some(owner) => owner == loc,
                None => node.references.contains(&loc),
            }
        })
    }

    /// Assets of every job for which `is_target(location, job name)` holds.
    fn jobs(&self, is_target: impl Fn(LocationId, &str) -> bool) -> FixedBitSet {
        let mut out = self.empty();
        for (i, location) in self.graph.locations().iter().enumerate() {
            for job in &location.manifest.jobs {
                if is_target(LocationId(i as u32), &job.name) {
                    for key in &job.asset_keys {
                        if let Some(id) = self.graph.find(&AssetKey::from(key)) {
                            out.insert(id.index());
                        }
                    }
                }
            }
        }
        out
    }

    fn key(&self, pattern: &str) -> FixedBitSet {
        let mut out = self.empty();
        if pattern.contains('*') {
            let parts: Vec<&str> = pattern.split('*').collect();
            for id in self.graph.node_ids() {
                if glob_match(&parts, &self.graph.node(id).key_string) {
                    out.insert(id.index());
                }
            }
        } else if let Some(id) = self.graph.find(&AssetKey::parse(pattern)) {
            out.insert(id.index());
        }
        out
    }

    /// `start` plus everything within `depth` steps in `direction`.
    fn walk(&self, start: &FixedBitSet, depth: Depth, direction: Direction) -> FixedBitSet {
        let g = self.graph.petgraph();
        let mut seen = start.clone();
        let mut frontier: Vec<NodeId> = start.ones().map(NodeId::new).collect();
        let mut next = Vec::new();
        let mut level = 0u32;
        while !frontier.is_empty() && depth.is_none_or(|d| level < d) {
            for &at in &frontier {
                for n in g.neighbors_directed(at, direction) {
                    if !seen.put(n.index()) {
                        next.push(n);
                    }
                }
            }
            std::mem::swap(&mut frontier, &mut next);
            next.clear();
            level += 1;
        }
        seen
    }

    /// Members of `within` not reachable from another member walking `direction`:
    /// `Incoming` keeps sinks (no member downstream), `Outgoing` keeps roots (no member
    /// upstream).
    fn without_relatives(&self, within: FixedBitSet, direction: Direction) -> FixedBitSet {
        // Walk from every member's neighbours (other than itself); whatever is reached has a
        // member on the other side.
        let g = self.graph.petgraph();
        let mut reached = self.empty();
        let mut frontier: Vec<NodeId> = Vec::new();
        for at in within.ones().map(NodeId::new) {
            for n in g.neighbors_directed(at, direction) {
                if n != at && !reached.put(n.index()) {
                    frontier.push(n);
                }
            }
        }
        while let Some(at) = frontier.pop() {
            for n in g.neighbors_directed(at, direction) {
                if !reached.put(n.index()) {
                    frontier.push(n);
                }
            }
        }
        let mut out = within;
        out.difference_with(&reached);
        out
    }

    fn missing_key(&self, key: &AssetKey, column: usize, len: usize) -> SelectionError {
        let wanted = key.to_string();
        let best = crate::graph::validate::KeySuggester::new(self.graph).suggest(&wanted);
        let mut message = format!("asset key `{wanted}` was selected, but no location defines it");
        if let Some(id) = best {
            message.push_str(&format!(
                "; did you mean `{}`?",
                self.graph.node(id).key_string
            ));
        }
        SelectionError {
            message,
            column,
            len,
        }
    }
}

/// Whole-string match where `*` (the separators `parts` were split on) matches any run of
/// characters, `/` included, and everything else is literal — Dagster's
/// `re.escape(pattern).replace("\\*", ".*")`.
fn glob_match(parts: &[&str], text: &str) -> bool {
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(i) => remaining = &remaining[i + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(pattern: &str, text: &str) -> bool {
        let parts: Vec<&str> = pattern.split('*').collect();
        glob_match(&parts, text)
    }

    #[test]
    fn glob_is_whole_string_with_star_only() {
        assert!(m("pre/*", "pre/c"));
        assert!(m("pre/*", "pre/c/d"));
        assert!(!m("pre/*", "xpre/c"));
        assert!(m("*c", "pre/c"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "a_b_b_c"));
        assert!(!m("a*b*c", "a_c"));
        assert!(!m("ab*ba", "aba"));
        assert!(m("a.b*", "a.bc"));
        assert!(!m("a.b*", "axbc"));
    }
}
