//! Watch: every second, each served location's fingerprint (the one the manifest cache uses:
//! its sources, `.env`, pyproject, interpreter and installed packages) is computed again; a
//! change is sent to the supervisor, which restarts only that location's code server.
//!
//! Polling the fingerprint instead of subscribing to file events: it costs a directory walk
//! per second per location (about a millisecond for the example workspace), needs no watch
//! per folder of a project's `.venv`, and decides on exactly what the cache decides on.

use super::service::Message;
use crate::config::Project;
use crate::manifest::fingerprint::fingerprint;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// The projects being watched, by location index; the supervisor replaces one when the
/// workspace configuration changes what it resolves to.
pub type Watched = Arc<Mutex<Vec<Project>>>;

pub fn fingerprint_of(project: &Project) -> String {
    fingerprint(project, "")
}

/// Starts the watcher thread; it stops when `stop` is set.
pub fn start(
    projects: Watched,
    baseline: Vec<String>,
    tx: Sender<Message>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut last = baseline;
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(WATCH_INTERVAL);
            let current: Vec<Project> = match projects.lock() {
                Ok(p) => p.clone(),
                Err(_) => return,
            };
            for (i, p) in current.iter().enumerate() {
                let f = fingerprint_of(p);
                if last.get(i) != Some(&f) {
                    if let Some(slot) = last.get_mut(i) {
                        *slot = f;
                    }
                    if tx.send(Message::Changed(i)).is_err() {
                        return;
                    }
                }
            }
        }
    })
}
