//! The one filesystem layer: every file dg-rs writes goes through here.
//!
//! What a write does depends on what is at the path, so a user's files and the machine are
//! never damaged:
//! - nothing there: a new file with mode `0666 & ~umask` (what real dg and create-dagster
//!   write), written to a temporary file beside it and renamed into place;
//! - a regular file: replaced atomically (readers see the old or the new content, never half),
//!   keeping its mode and, where the process may set it, its owner; a read-only file is
//!   refused, not replaced;
//! - a symlink: written through to its target (the link stays a link);
//! - a character device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe): written to
//!   directly, streamed, never replaced.
//!
//! It also owns the one file-lock type and how paths are shown to people.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum FsError {
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is read-only; dg-rs does not replace read-only files", path.display())]
    ReadOnly { path: PathBuf },
    #[error("{} is a directory", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("{} is a symlink loop", path.display())]
    SymlinkLoop { path: PathBuf },
}

impl FsError {
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        FsError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Whether the failure means "this folder cannot be written here" (a read-only mount,
    /// no permission), as opposed to a real problem with the data.
    pub(crate) fn is_unwritable(&self) -> bool {
        match self {
            FsError::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
            ),
            FsError::ReadOnly { .. } => true,
            _ => false,
        }
    }
}

pub(crate) type Result<T, E = FsError> = std::result::Result<T, E>;

/// What is at a path once symlinks are followed.
enum Target {
    /// A regular file (with its metadata) or nothing yet, at this resolved path.
    File(PathBuf, Option<Metadata>),
    /// A device, FIFO, socket or a process's file descriptor: written in place.
    Stream(PathBuf),
}

fn resolve(path: &Path) -> Result<Target> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        // `/proc/<pid>/fd/N` and `/dev/fd/N` (where `/dev/stdout` leads) are magic links
        // whose text is not a path ("pipe:[123]"): open them, never follow them by hand.
        if p.starts_with("/proc") || p.starts_with("/dev/fd") {
            return Ok(Target::Stream(p));
        }
        match std::fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::File(p, None)),
            Err(e) => return Err(FsError::io("inspect", &p, e)),
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).map_err(|e| FsError::io("read link", &p, e))?;
                p = if link.is_absolute() {
                    link
                } else {
                    p.parent().unwrap_or(Path::new("/")).join(link)
                };
            }
            Ok(m) if m.is_file() => return Ok(Target::File(p, Some(m))),
            Ok(m) if m.is_dir() => return Err(FsError::IsDirectory { path: p }),
            Ok(_) => return Ok(Target::Stream(p)),
        }
    }
    Err(FsError::SymlinkLoop {
        path: path.to_path_buf(),
    })
}

/// Whether this process may write the existing file. Root may write anything, so for root a
/// file that nobody may write (`0444`) counts as read-only too.
fn writable(path: &Path, meta: &Metadata) -> bool {
    if meta.permissions().mode() & 0o222 == 0 {
        return false;
    }
    nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// Writes `bytes` to `path` (see the module doc for what happens to what is there).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Like [`write_atomic`], for content produced by a writer (large exports are streamed).
pub(crate) fn write_atomic_with(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match resolve(path)? {
        Target::Stream(p) => {
            let file = OpenOptions::new()
                .append(true)
                .open(&p)
                .map_err(|e| FsError::io("open", path, e))?;
            let mut w = io::BufWriter::new(file);
            produce(&mut w)
                .and_then(|_| w.flush())
                .map_err(|e| FsError::io("write", path, e))
        }
        Target::File(p, meta) => replace(&p, meta.as_ref(), produce),
    }
}

/// Writes a new file; an existing one (or anything else at the path) is an error.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(FsError::Exists {
            path: path.to_path_buf(),
        });
    }
    let tmp = temp_beside(path, None)?;
    fill(&tmp, path, |w| w.write_all(bytes))?;
    tmp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            FsError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            FsError::io("create", path, e.error)
        }
    })?;
    Ok(())
}

/// A temporary file in `path`'s folder: with the existing file's mode, or `0666 & ~umask`
/// (the kernel applies the umask to the mode given at creation, as for any new file).
fn temp_beside(path: &Path, meta: Option<&Metadata>) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    create_dir_all(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-dg-rs-")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| FsError::io("create a temporary file in", dir, e))?;
    if let Some(meta) = meta {
        let file = tmp.as_file();
        file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(|e| FsError::io("set the mode of", tmp.path(), e))?;
        let own = file.metadata().ok();
        if own.is_some_and(|m| m.uid() != meta.uid() || m.gid() != meta.gid()) {
            // Only root (or the owner, for the group) may do this; elsewhere the new file is
            // ours, as it would be if we had written it in place.
            let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
            // chown clears set-id bits: put the mode back.
            let _ = file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777));
        }
    }
    Ok(tmp)
}

fn fill(
    tmp: &tempfile::NamedTempFile,
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let mut w = io::BufWriter::new(tmp.as_file());
    produce(&mut w)
        .and_then(|_| w.flush())
        .map_err(|e| FsError::io("write", path, e))?;
    drop(w);
    tmp.as_file()
        .sync_data()
        .map_err(|e| FsError::io("write", path, e))
}

fn replace(
    path: &Path,
    meta: Option<&Metadata>,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    if let Some(m) = meta
        && !writable(path, m)
    {
        return Err(FsError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    let tmp = temp_beside(path, meta)?;
    fill(&tmp, path, produce)?;
    tmp.persist(path)
        .map_err(|e| FsError::io("replace", path, e.error))?;
    Ok(())
}

pub(crate) fn create_dir_all(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| FsError::io("create", dir, e))
}

/// Creates `dir` (and its parents) holding a `.gitignore` that ignores everything in it, so
/// generated state stays out of version control whatever the project's ignore files say.
pub(crate) fn create_ignored_dir(dir: &Path, what: &str) -> Result<()> {
    create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if std::fs::symlink_metadata(&ignore).is_err() {
        let text = format!("# Created by dg-rs: {what}.\n*\n");
        match write_new(&ignore, text.as_bytes()) {
            Ok(()) | Err(FsError::Exists { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An exclusive advisory lock held until dropped: the one lock type of dg-rs (manifest
/// extraction per location, environment builds, the Dagster instance's creation).
#[derive(Debug)]
pub(crate) struct LockedFile(File);

impl LockedFile {
    /// Blocks until this process holds the lock on `path` (created, empty, if missing), or
    /// gives up and returns `None` when `stop` says so while waiting (an interrupt).
    pub(crate) fn acquire_unless(path: &Path, stop: impl Fn() -> bool) -> Result<Option<Self>> {
        if let Some(dir) = path.parent() {
            create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| FsError::io("open", path, e))?;
        Self::wait_for(file, path, stop)
    }

    /// Like [`LockedFile::acquire_unless`], for a directory itself (no lock file is left).
    pub(crate) fn acquire_dir_unless(dir: &Path, stop: impl Fn() -> bool) -> Result<Option<Self>> {
        create_dir_all(dir)?;
        let file = File::open(dir).map_err(|e| FsError::io("open", dir, e))?;
        Self::wait_for(file, dir, stop)
    }

    fn wait_for(file: File, path: &Path, stop: impl Fn() -> bool) -> Result<Option<Self>> {
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(LockedFile(file))),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if stop() {
                        return Ok(None);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(FsError::io("lock", path, e));
                }
            }
        }
    }

    /// Locks a directory itself (no lock file is left in it).
    pub(crate) fn acquire_dir(dir: &Path) -> Result<LockedFile> {
        create_dir_all(dir)?;
        let file = File::open(dir).map_err(|e| FsError::io("open", dir, e))?;
        file.lock().map_err(|e| FsError::io("lock", dir, e))?;
        Ok(LockedFile(file))
    }
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn umask() -> u32 {
        // Read without changing it (Linux >= 4.7).
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
    }

    #[test]
    fn a_new_file_gets_0666_minus_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/new.txt");
        write_atomic(&p, b"x").unwrap();
        assert_eq!(mode(&p), 0o666 & !umask());
        let q = dir.path().join("created.txt");
        write_new(&q, b"y").unwrap();
        assert_eq!(mode(&q), 0o666 & !umask());
    }

    #[test]
    fn a_rewritten_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dg.toml");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(mode(&p), 0o664);
    }

    #[test]
    fn a_read_only_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dg.toml");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&p, b"new").unwrap_err();
        assert!(matches!(err, FsError::ReadOnly { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(mode(&p), 0o444);
    }

    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.mmd");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.mmd");
        symlink("real.mmd", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling.mmd");
        symlink("made.mmd", &dangling).unwrap();
        write_atomic(&dangling, b"made").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.mmd")).unwrap(),
            "made"
        );
    }

    #[test]
    fn special_files_are_streamed_not_replaced() {
        // As root a regression would replace the device itself, so root writes to a null
        // device of its own (a node made in a temporary directory), never the machine's.
        let dir = tempfile::tempdir().unwrap();
        let null = if nix::unistd::geteuid().is_root() {
            let node = dir.path().join("null");
            nix::sys::stat::mknod(
                &node,
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::from_bits_truncate(0o666),
                nix::sys::stat::makedev(1, 3),
            )
            .expect("root makes a null device node (mknod c 1 3)");
            node
        } else {
            PathBuf::from("/dev/null")
        };
        write_atomic(&null, b"discarded").unwrap();
        let meta = std::fs::symlink_metadata(&null).unwrap();
        assert!(
            std::os::unix::fs::FileTypeExt::is_char_device(&meta.file_type()),
            "{} must stay a character device",
            null.display()
        );
        let fifo = dir.path().join("pipe");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        let ft = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&ft));
    }

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        std::fs::write(&p, "mine").unwrap();
        assert!(matches!(
            write_new(&p, b"theirs"),
            Err(FsError::Exists { .. })
        ));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "mine");
    }

    #[test]
    fn an_ignored_dir_holds_a_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join(".dg/dagster_home");
        create_ignored_dir(&d, "the Dagster instance").unwrap();
        let text = std::fs::read_to_string(d.join(".gitignore")).unwrap();
        assert!(text.lines().any(|l| l == "*"));
    }
}
