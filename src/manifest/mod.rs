//! Definitions manifests: the schema shared with the embedded introspection script, the
//! per-project fingerprint, the on-disk cache and the extraction driver.

pub mod cache;
pub mod extract;
pub mod fingerprint;
pub mod schema;
