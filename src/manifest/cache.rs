//! The on-disk cache of what a location's Python answered: manifests in
//! `<cache root>/manifests/<location>.json` ([`ManifestCache`]), component registries in
//! `<cache root>/components/` (`crate::components`), each entry holding the fingerprint it
//! was made under. The cache root is `<workspace>/.dg/cache`, or a
//! per-user folder when the workspace cannot be written (see `workspace::cache_root`).
//! Writes are atomic; a per-location lock makes concurrent invocations wait for one
//! extraction instead of racing; a corrupt entry is ignored and rebuilt.
//!
//! A location that failed to load for a reason in its own code or environment (an import
//! error, no `Definitions`, a timeout) is remembered too, under the same fingerprint: until
//! something it depends on changes, every command answers with that failure at once
//! instead of starting Python again (`--refresh` retries it). A failure is remembered for
//! the environment variables it saw as well (`fingerprint::environment`): exporting the
//! credential a location was missing loads it again.

use super::extract::LocationFailure;
use super::schema::Manifest;
use crate::fs::{self, FsError, LockedFile};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct Entry<T> {
    fingerprint: String,
    /// The answer (named `manifest`, as manifest entries always were).
    #[serde(rename = "manifest", default, skip_serializing_if = "Option::is_none")]
    answer: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<LocationFailure>,
    /// For a failure: `fingerprint::environment()` when it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    environment: Option<String>,
}

/// What the cache holds for a location under a fingerprint.
pub(crate) enum Cached<T> {
    Answer(T),
    /// Marked `remembered`.
    Failure(LocationFailure),
}

/// One folder of the cache, holding one kind of answer `T` per location.
pub(crate) struct LocationCache<T> {
    root: PathBuf,
    dir: PathBuf,
    answer: PhantomData<fn() -> T>,
}

/// The manifests.
pub(crate) type ManifestCache = LocationCache<Manifest>;

impl ManifestCache {
    pub(crate) fn new(cache_root: &Path) -> Self {
        LocationCache::in_folder(cache_root, "manifests")
    }
}

impl<T: Serialize + DeserializeOwned> LocationCache<T> {
    /// The cache in `<cache_root>/<folder>`.
    pub(crate) fn in_folder(cache_root: &Path, folder: &str) -> Self {
        LocationCache {
            root: cache_root.to_path_buf(),
            dir: cache_root.join(folder),
            answer: PhantomData,
        }
    }

    /// The cache root (scripts are kept beside the manifests).
    pub(crate) fn state_root(&self) -> &Path {
        &self.root
    }

    fn entry_path(&self, location: &str) -> PathBuf {
        self.dir.join(format!("{}.json", file_safe(location)))
    }

    /// The cached answer or failure for `location` if it was made under `fingerprint`.
    pub(crate) fn get(&self, location: &str, fingerprint: &str) -> Option<Cached<T>> {
        let bytes = std::fs::read(self.entry_path(location)).ok()?;
        let entry: Entry<T> = serde_json::from_slice(&bytes).ok()?;
        if entry.fingerprint != fingerprint {
            return None;
        }
        match (entry.answer, entry.failure) {
            (Some(m), _) => Some(Cached::Answer(m)),
            (None, Some(mut f))
                if entry.environment.as_deref() == Some(super::fingerprint::environment()) =>
            {
                f.remembered = true;
                Some(Cached::Failure(f))
            }
            (None, _) => None,
        }
    }

    pub(crate) fn put(&self, location: &str, fingerprint: &str, answer: &T) -> Result<(), FsError> {
        self.write(location, fingerprint, Some(answer), None, None)
    }

    /// Remembers that `location` failed under `fingerprint`.
    pub(crate) fn put_failure(
        &self,
        location: &str,
        fingerprint: &str,
        failure: &LocationFailure,
    ) -> Result<(), FsError> {
        let environment = super::fingerprint::environment().to_string();
        self.write(
            location,
            fingerprint,
            None,
            Some(failure.clone()),
            Some(environment),
        )
    }

    fn write(
        &self,
        location: &str,
        fingerprint: &str,
        answer: Option<&T>,
        failure: Option<LocationFailure>,
        environment: Option<String>,
    ) -> Result<(), FsError> {
        self.ensure_dir()?;
        let entry = Entry {
            fingerprint: fingerprint.to_string(),
            answer,
            failure,
            environment,
        };
        let bytes = serde_json::to_vec(&entry).expect("answers serialize");
        fs::write_atomic(&self.entry_path(location), &bytes)
    }

    /// Blocks until this process holds the extraction lock of `location`; `None` when dg-rs
    /// was interrupted while waiting.
    pub(crate) fn lock(&self, location: &str) -> Result<Option<LockedFile>, FsError> {
        self.ensure_dir()?;
        let path = self.dir.join(format!("{}.lock", file_safe(location)));
        LockedFile::acquire_unless(&path, crate::process::interrupt::requested)
    }

    /// A scratch path for a script's output, removed when dropped.
    pub(crate) fn scratch_file(&self, location: &str) -> Result<tempfile::TempPath, FsError> {
        self.ensure_dir()?;
        Ok(tempfile::Builder::new()
            .prefix(&format!(".out-{}-", file_safe(location)))
            .suffix(".json")
            .tempfile_in(&self.dir)
            .map_err(|e| FsError::io("create a file in", &self.dir, e))?
            .into_temp_path())
    }

    fn ensure_dir(&self) -> Result<(), FsError> {
        if self.dir.is_dir() {
            return Ok(());
        }
        // Keep the cache out of version control whatever the project's .gitignore says.
        fs::create_ignored_dir(&self.root, "this folder is a cache")?;
        fs::create_dir_all(&self.dir)
    }
}

/// A location name as a short file name (location names may hold any character and be of
/// any length; file names may not): a readable prefix and a hash of the whole name.
pub(crate) fn file_safe(name: &str) -> String {
    let readable: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    format!(
        "{readable}-{}",
        &blake3::hash(name.as_bytes()).to_hex()[..8]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_make_short_file_names() {
        let long = "x".repeat(250);
        let name = file_safe(&long);
        assert!(name.len() <= 80, "{}", name.len());
        assert_ne!(file_safe(&long), file_safe(&"x".repeat(251)));
    }
}
