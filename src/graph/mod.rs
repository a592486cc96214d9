//! The workspace asset graph: keys, the merge of per-location manifests, validation and the
//! asset selection language.
