//! `AssetKey`: the identity of an asset across the whole workspace.
//!
//! Dagster's user-facing string form joins the parts with `/` (`reports/regional_report`),
//! and that is what manifests, selections and exports use. Parsing splits on `/`, exactly as
//! Dagster's `AssetKey.from_user_string` does, so a part that itself contains `/` cannot
//! round-trip (the same ambiguity real `dg` has).

use crate::manifest::schema::KeyParts;
use std::fmt;

/// An asset key as its parts. Ordered part by part (`a` < `a/b` < `a_b`), which keeps
/// sorted listings grouped by prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetKey {
    parts: Vec<String>,
}

impl AssetKey {
    /// A key from its parts. An empty part list is allowed (it displays as the empty string)
    /// so that no manifest content can make construction fail.
    pub fn new(parts: Vec<String>) -> Self {
        Self { parts }
    }

    /// Parses the `/`-joined user form (`pre/c` → `["pre", "c"]`).
    pub fn parse(user_string: &str) -> Self {
        Self {
            parts: user_string.split('/').map(str::to_owned).collect(),
        }
    }

    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// The last part, Dagster's "name" of the asset.
    pub fn name(&self) -> &str {
        self.parts.last().map_or("", String::as_str)
    }
}

impl fmt::Display for AssetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl From<KeyParts> for AssetKey {
    fn from(parts: KeyParts) -> Self {
        Self::new(parts)
    }
}

impl From<&KeyParts> for AssetKey {
    fn from(parts: &KeyParts) -> Self {
        Self::new(parts.clone())
    }
}

impl From<&str> for AssetKey {
    fn from(user_string: &str) -> Self {
        Self::parse(user_string)
    }
}

impl std::str::FromStr for AssetKey {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_parts_with_slash() {
        let key = AssetKey::new(vec!["reports".into(), "regional_report".into()]);
        assert_eq!(key.to_string(), "reports/regional_report");
        assert_eq!(key.name(), "regional_report");
    }

    #[test]
    fn parse_round_trips_the_user_string() {
        for s in ["a", "pre/c", "a/b/c", ""] {
            assert_eq!(AssetKey::parse(s).to_string(), s);
        }
        assert_eq!(AssetKey::parse("pre/c").parts(), ["pre", "c"]);
        assert_eq!("x/y".parse::<AssetKey>(), Ok(AssetKey::parse("x/y")));
    }

    #[test]
    fn ordering_is_part_by_part() {
        let mut keys: Vec<AssetKey> = ["b", "a/b", "a", "a_b"].map(AssetKey::parse).to_vec();
        keys.sort();
        let shown: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a", "a/b", "a_b", "b"]);
    }
}
