//! What changed in a branch, per asset: the values the `changed_in_branch:KIND` selection
//! attribute matches on. The kinds are Dagster's own (`AssetDefinitionChangeType`) plus
//! `SOURCE`, the one Dagster cannot see without code versions: the file that defines the
//! asset changed (or a file its whole location depends on). Who computes them (a git diff, a
//! saved state) is not this module's business; it only holds the answer for the selection.

use super::AssetKey;
use serde::Serialize;
use std::collections::HashMap;

/// One way an asset definition differs from the one it is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    /// No definition of the key in the base.
    New,
    /// No definition of the key in the branch (never selectable: nothing to select).
    Removed,
    CodeVersion,
    /// The set of upstream keys differs (or a partition mapping to one of them).
    Dependencies,
    PartitionsDefinition,
    Tags,
    Metadata,
    /// The defining file changed, or a file the whole location depends on (pyproject, lock
    /// file, `.env`, a shared module).
    Source,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::New,
        ChangeKind::Removed,
        ChangeKind::CodeVersion,
        ChangeKind::Dependencies,
        ChangeKind::PartitionsDefinition,
        ChangeKind::Tags,
        ChangeKind::Metadata,
        ChangeKind::Source,
    ];

    /// The name as Dagster spells it (`CODE_VERSION`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::New => "NEW",
            ChangeKind::Removed => "REMOVED",
            ChangeKind::CodeVersion => "CODE_VERSION",
            ChangeKind::Dependencies => "DEPENDENCIES",
            ChangeKind::PartitionsDefinition => "PARTITIONS_DEFINITION",
            ChangeKind::Tags => "TAGS",
            ChangeKind::Metadata => "METADATA",
            ChangeKind::Source => "SOURCE",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A small set of [`ChangeKind`]s (a bit set; iterates in declaration order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ChangeKinds(u16);

impl ChangeKinds {
    pub fn insert(&mut self, kind: ChangeKind) {
        self.0 |= kind.bit();
    }

    pub fn contains(self, kind: ChangeKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: ChangeKinds) -> ChangeKinds {
        ChangeKinds(self.0 | other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = ChangeKind> {
        ChangeKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

impl FromIterator<ChangeKind> for ChangeKinds {
    fn from_iter<I: IntoIterator<Item = ChangeKind>>(iter: I) -> Self {
        let mut out = ChangeKinds::default();
        for k in iter {
            out.insert(k);
        }
        out
    }
}

impl Serialize for ChangeKinds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The change kinds of every asset that changed, by key. Assets not in it did not change.
#[derive(Debug, Clone, Default)]
pub struct BranchChanges {
    by_key: HashMap<AssetKey, ChangeKinds>,
}

impl BranchChanges {
    pub fn add(&mut self, key: AssetKey, kinds: ChangeKinds) {
        if kinds.is_empty() {
            return;
        }
        let entry = self.by_key.entry(key).or_default();
        *entry = entry.union(kinds);
    }

    /// The kinds of `key` (empty when it did not change).
    pub fn kinds(&self, key: &AssetKey) -> ChangeKinds {
        self.by_key.get(key).copied().unwrap_or_default()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_dagster_names() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ChangeKind::parse("code_version"), None);
    }

    #[test]
    fn a_set_iterates_in_declaration_order_and_serializes_as_names() {
        let set: ChangeKinds = [ChangeKind::Source, ChangeKind::New, ChangeKind::Tags]
            .into_iter()
            .collect();
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [ChangeKind::New, ChangeKind::Tags, ChangeKind::Source]
        );
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["NEW","TAGS","SOURCE"]"#
        );
    }

    #[test]
    fn adding_twice_unites_and_empty_sets_are_not_recorded() {
        let mut c = BranchChanges::default();
        c.add("a".into(), [ChangeKind::Tags].into_iter().collect());
        c.add("a".into(), [ChangeKind::Source].into_iter().collect());
        c.add("b".into(), ChangeKinds::default());
        assert_eq!(c.len(), 1);
        assert!(c.kinds(&"a".into()).contains(ChangeKind::Tags));
        assert!(c.kinds(&"a".into()).contains(ChangeKind::Source));
        assert!(c.kinds(&"b".into()).is_empty());
    }
}
