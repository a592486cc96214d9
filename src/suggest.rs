//! The one "did you mean" matcher, for config keys, asset keys and selection attributes
//! alike, so every command suggests the same thing for the same typo.
//!
//! The rule: the candidate with the fewest edits (optimal string alignment: insert, delete,
//! substitute, swap two neighbours) from what was typed, if that is at most one edit per five
//! characters of the longer of the two, and at least one; ties go to the earlier candidate.
//!
//! [`Matcher`] indexes many candidates (100k asset keys) so a lookup compares only a few:
//! candidates are sorted by length, and each carries a histogram of its characters. One edit
//! changes the histogram by at most 2, so half the histogram distance bounds the edit
//! distance from below and rules most candidates out before the real comparison.

/// How many edits a typo may be away from a candidate, for the longer length of the two.
pub(crate) fn max_edits(longest: usize) -> usize {
    (longest / 5).max(1)
}

/// The closest of a few candidates (config keys, attribute names), by [`max_edits`].
pub(crate) fn closest<'s>(given: &str, candidates: &[&'s str]) -> Option<&'s str> {
    let mut best: Option<(usize, &'s str)> = None;
    let len = given.chars().count();
    for &c in candidates {
        let edits = strsim::osa_distance(given, c);
        if edits <= max_edits(len.max(c.chars().count())) && best.is_none_or(|(d, _)| edits < d) {
            best = Some((edits, c));
        }
    }
    best.map(|(_, c)| c)
}

const HIST: usize = 64;

fn histogram(s: &str, out: &mut [u8]) {
    for c in s.chars() {
        let bucket = &mut out[c as usize % HIST];
        *bucket = bucket.saturating_add(1);
    }
}

/// An index of many candidate strings, each with a value (an asset's node id).
pub(crate) struct Matcher<T> {
    /// (char count, text, value), sorted by count then text.
    by_len: Vec<(usize, String, T)>,
    /// `HIST` buckets per entry of `by_len`, in the same order.
    histograms: Vec<u8>,
}

impl<T: Copy> Matcher<T> {
    pub(crate) fn new(candidates: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut by_len: Vec<(usize, String, T)> = candidates
            .into_iter()
            .map(|(s, v)| (s.chars().count(), s, v))
            .collect();
        by_len.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut histograms = vec![0u8; by_len.len() * HIST];
        for (i, (_, s, _)) in by_len.iter().enumerate() {
            histogram(s, &mut histograms[i * HIST..(i + 1) * HIST]);
        }
        Matcher { by_len, histograms }
    }

    /// The value of the closest candidate within [`max_edits`]; ties go to the smaller text.
    pub(crate) fn best(&self, given: &str) -> Option<T> {
        let len = given.chars().count();
        // |length difference| is a lower bound on the edits.
        let min = len.saturating_sub(max_edits(len));
        let start = self.by_len.partition_point(|(l, _, _)| *l < min);
        let mut wanted = [0u8; HIST];
        histogram(given, &mut wanted);
        let mut best: Option<(usize, &str, T)> = None;
        for (i, (l, text, value)) in self.by_len.iter().enumerate().skip(start) {
            let l = *l;
            if l > len && l - len > max_edits(l) {
                break;
            }
            // Only as many edits as the best so far (ties may still win on text order).
            let limit = max_edits(len.max(l));
            let allowed = best.map_or(limit, |(d, _, _)| d.min(limit));
            if len.abs_diff(l) > allowed {
                continue;
            }
            let hist = &self.histograms[i * HIST..(i + 1) * HIST];
            let l1: usize = hist
                .iter()
                .zip(&wanted)
                .map(|(a, b)| a.abs_diff(*b) as usize)
                .sum();
            if l1.div_ceil(2) > allowed {
                continue;
            }
            let edits = strsim::osa_distance(given, text);
            if edits <= allowed && best.is_none_or(|(d, t, _)| (edits, text.as_str()) < (d, t)) {
                best = Some((edits, text, *value));
            }
        }
        best.map(|(_, _, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_per_five_characters_at_least_one() {
        assert_eq!(closest("pth", &["path", "root_module"]), Some("path"));
        assert_eq!(closest("grop", &["group", "key"]), Some("group"));
        assert_eq!(closest("xyz", &["path"]), None);
        assert_eq!(closest("root_modle", &["root_module"]), Some("root_module"));
    }

    #[test]
    fn the_index_agrees_with_the_plain_rule() {
        let keys = [
            "data_engineering_asset",
            "raw_orders",
            "cleaned_orders",
            "a/b",
        ];
        let m = Matcher::new(keys.iter().map(|k| (k.to_string(), *k)));
        for typo in [
            "data_engineering_assett",
            "raw_order",
            "cleand_orders",
            "a/c",
            "zzz",
        ] {
            assert_eq!(m.best(typo), closest(typo, &keys), "{typo}");
        }
    }
}
