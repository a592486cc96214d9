//! Dagster's asset selection language over the workspace graph.
//!
//! The grammar is the ANTLR `AssetSelection.g4` of Dagster 1.13.27 (see dg-reference §7.2):
//! attributes (`key:`, `tag:`, `owner:`, `group:`, `kind:`, `is:`, `code_location:`, `job:`,
//! …), `and` / `or` / `not`, parentheses, `*`, `sinks()` / `roots()` and up/down traversal
//! (`+x`, `2+x`, `x+`, `x+1`). When the grammar does not match, Dagster's legacy clause syntax
//! is tried (`a`, `pre/c`, `+a`, `*a`, `a+++`, `tag:k=v`), exactly as `from_string` does.
//!
//! Differences from real Dagster, all deliberate:
//! * `code_location:` resolves against the workspace (real Dagster rejects it in user code);
//! * `job:`, `schedule:` and `sensor:` resolve statically from the manifests (assets of the
//!   job; of the schedule's job; of the sensor's target jobs);
//! * the other runtime attributes (`status:`, `column:`, …) are rejected at parse time;
//! * `changed_in_branch:KIND` compares with a git base or a saved state (`--base`,
//!   `--state`), not a Dagster+ branch deployment; `SOURCE` is an extra kind;
//! * `owner:<null>` selects assets without owners (Dagster's selects nothing);
//! * a selection spans every location: traversals follow cross-location edges.

mod eval;
mod lexer;
mod parser;

#[cfg(test)]
use super::AssetKey;
use super::changes::BranchChanges;
use super::{AssetGraph, NodeId};
use parser::Expr;

/// A selection that did not parse or could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectionError {
    pub message: String,
    /// 0-based offset in chars into the input.
    pub column: usize,
    /// Length in chars of the offending span (0 at the end of the input).
    pub len: usize,
}

impl SelectionError {
    /// An error for the byte range `start..end` of `input`.
    fn at_bytes(input: &str, start: usize, end: usize, message: impl Into<String>) -> Self {
        let start = start.min(input.len());
        let end = end.clamp(start, input.len());
        Self {
            message: message.into(),
            column: input.get(..start).map_or(0, |s| s.chars().count()),
            len: input.get(start..end).map_or(0, |s| s.chars().count()),
        }
    }

    /// The input on one line and a `^^^` under the offending span, followed by the message:
    ///
    /// ```text
    /// key:a foo
    ///       ^^^ unexpected token 'foo'; …
    /// ```
    pub fn caret_display(&self, input: &str) -> String {
        let line: String = input
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        format!(
            "{line}\n{}{} {}",
            " ".repeat(self.column),
            "^".repeat(self.len.max(1)),
            self.message
        )
    }
}

/// A parsed selection, ready to evaluate against any [`AssetGraph`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    expr: Expr,
}

/// Parses one selection string, as Dagster's `AssetSelection.from_string` does.
pub fn parse(input: &str) -> Result<Selection, SelectionError> {
    parser::parse_expr(input, 0).map(|expr| Selection { expr })
}

/// Parses what `dg launch --assets` accepts: pieces separated by commas (outside quotes),
/// each a selection of its own, united.
pub fn parse_union(input: &str) -> Result<Selection, SelectionError> {
    let mut start = 0;
    let mut in_quotes = false;
    let mut pieces = Vec::new();
    for (i, c) in input.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                pieces.push((start, &input[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push((start, &input[start..]));
    let mut exprs = pieces.into_iter().map(|(byte_start, piece)| {
        let offset = input[..byte_start].chars().count();
        parser::parse_expr(piece, offset)
    });
    // There is always at least one piece.
    let mut expr = exprs.next().unwrap_or_else(|| parser::parse_expr("", 0))?;
    for piece in exprs {
        expr = Expr::Or(Box::new(expr), Box::new(piece?));
    }
    Ok(Selection { expr })
}

impl Selection {
    /// The selected assets, in key order.
    pub fn evaluate(&self, graph: &AssetGraph) -> Result<Vec<NodeId>, SelectionError> {
        eval::evaluate(&self.expr, graph, None)
    }

    /// Like [`Selection::evaluate`], with what changed in the branch for
    /// `changed_in_branch:` (without it that attribute is an error).
    pub fn evaluate_with_changes(
        &self,
        graph: &AssetGraph,
        changes: Option<&BranchChanges>,
    ) -> Result<Vec<NodeId>, SelectionError> {
        eval::evaluate(&self.expr, graph, changes)
    }

    /// Whether the selection uses `changed_in_branch:` (so the caller knows to work out what
    /// changed before evaluating).
    pub fn uses_changes(&self) -> bool {
        self.expr
            .any(&|e| matches!(e, Expr::ChangedInBranch { .. }))
    }

    /// The selected keys, sorted.
    #[cfg(test)]
    pub fn evaluate_keys(&self, graph: &AssetGraph) -> Result<Vec<AssetKey>, SelectionError> {
        Ok(self
            .evaluate(graph)?
            .into_iter()
            .map(|id| graph.key(id).clone())
            .collect())
    }
}

#[cfg(test)]
mod tests;
