//! The on-disk manifest cache: `<workspace>/.dg/cache/manifests/<location>.json`, each entry
//! holding the fingerprint it was made under. Writes are atomic (temp file + rename in the
//! same folder); a per-location lock file makes concurrent invocations wait for one
//! extraction instead of racing; a corrupt entry is ignored and rebuilt.

use super::schema::Manifest;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    manifest: Manifest,
}

pub struct ManifestCache {
    dir: PathBuf,
}

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], for content produced by a writer (large exports are streamed).
pub fn write_atomic_with(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, &e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, &e))?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        produce(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| Error::io("write", path, &e))?;
    }
    tmp.as_file()
        .sync_data()
        .map_err(|e| Error::io("write", tmp.path(), &e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("replace", path, &e.error))?;
    Ok(())
}

/// A held lock; released on drop.
pub struct LocationLock(File);

impl Drop for LocationLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl ManifestCache {
    pub fn new(state_dir: &Path) -> Self {
        ManifestCache {
            dir: state_dir.join("cache").join("manifests"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, location: &str) -> PathBuf {
        self.dir.join(format!("{}.json", file_safe(location)))
    }

    /// The cached manifest for `location` if it was made under `fingerprint`.
    pub fn get(&self, location: &str, fingerprint: &str) -> Option<Manifest> {
        let bytes = std::fs::read(self.entry_path(location)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.fingerprint == fingerprint).then_some(entry.manifest)
    }

    pub fn put(&self, location: &str, fingerprint: &str, manifest: &Manifest) -> Result<()> {
        self.ensure_dir()?;
        let entry = Entry {
            fingerprint: fingerprint.to_string(),
            manifest: manifest.clone(),
        };
        let bytes = serde_json::to_vec(&entry)
            .map_err(|e| Error::failed(format!("could not encode the manifest: {e}")))?;
        write_atomic(&self.entry_path(location), &bytes)
    }

    /// Blocks until this process holds the extraction lock of `location`.
    pub fn lock(&self, location: &str) -> Result<LocationLock> {
        self.ensure_dir()?;
        let path = self.dir.join(format!("{}.lock", file_safe(location)));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, &e))?;
        file.lock().map_err(|e| Error::io("lock", &path, &e))?;
        Ok(LocationLock(file))
    }

    /// A scratch path for the introspection script's output.
    pub fn scratch_file(&self, location: &str) -> Result<tempfile::TempPath> {
        self.ensure_dir()?;
        Ok(tempfile::Builder::new()
            .prefix(&format!(".out-{}-", file_safe(location)))
            .suffix(".json")
            .tempfile_in(&self.dir)
            .map_err(|e| Error::io("create a file in", &self.dir, &e))?
            .into_temp_path())
    }

    fn ensure_dir(&self) -> Result<()> {
        if self.dir.is_dir() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io("create", &self.dir, &e))?;
        // Keep the cache out of version control whatever the project's .gitignore says.
        if let Some(cache_root) = self.dir.parent() {
            let ignore = cache_root.join(".gitignore");
            if !ignore.exists() {
                let _ = write_atomic(&ignore, b"# Created by dg-rs: this folder is a cache.\n*\n");
            }
        }
        Ok(())
    }
}

/// A location name as a file name (location names may hold any character).
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        + &format!("-{}", &blake3::hash(name.as_bytes()).to_hex()[..8])
}
