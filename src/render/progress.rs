//! Live progress on a terminal (indicatif spinners on stderr) for the long parts of a
//! command: locations loading, environments building. Nothing is drawn when stderr is not a
//! terminal or the command prints JSON.

use super::Printer;
use crate::manifest::extract::ExtractProgress;
use crate::python::env::SyncProgress;
use crate::workspace::Loaded;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One spinner per named piece of work.
pub(crate) struct Spinners {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    verb: &'static str,
}

impl Spinners {
    pub(crate) fn new(verb: &'static str) -> Self {
        Spinners {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
            verb,
        }
    }

    pub(crate) fn start(&self, name: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{} {name}", self.verb));
        bar.enable_steady_tick(Duration::from_millis(100));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(name.to_string(), bar);
        }
    }

    /// Changes what a spinner says (starting it if needed).
    pub(crate) fn say(&self, name: &str, what: &str) {
        let has = self.bars.lock().is_ok_and(|b| b.contains_key(name));
        if !has {
            self.start(name);
        }
        if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(name).cloned()) {
            bar.set_message(format!("{name}: {what}"));
        }
    }

    pub(crate) fn finish(&self, name: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(name)) {
            bar.finish_and_clear();
        }
    }
}

/// Progress of a workspace load: a spinner per location being extracted.
pub(crate) struct LoadProgress {
    spinners: Option<Spinners>,
}

impl LoadProgress {
    /// Draws only when `wanted` and stderr is a terminal a person watches.
    pub(crate) fn new(printer: &Printer, wanted: bool) -> Self {
        LoadProgress {
            spinners: (wanted && printer.interactive()).then(|| Spinners::new("loading")),
        }
    }
}

impl ExtractProgress for LoadProgress {
    fn started(&self, location: &str) {
        if let Some(s) = &self.spinners {
            s.start(location);
        }
    }
    fn finished(&self, location: &str, _ok: bool) {
        if let Some(s) = &self.spinners {
            s.finish(location);
        }
    }
}

/// After a load: the notes (a read-only workspace), and with `--verbose` how each location
/// was loaded.
pub(crate) fn report_load(printer: &Printer, loaded: &Loaded) {
    for note in &loaded.notes {
        printer.status(note);
    }
    if !printer.verbose {
        return;
    }
    for l in &loaded.loads {
        let what = match (&l.failed, l.from_cache) {
            (None, true) => "manifest from cache".to_string(),
            (None, false) => format!(
                "loaded in {:.2} s (Python {}, dagster {})",
                l.seconds,
                l.python_version.as_deref().unwrap_or("?"),
                l.dagster_version.as_deref().unwrap_or("?")
            ),
            (Some(kind), _) => format!("failed to load ({})", kind.as_str()),
        };
        printer.status(&format!("{}: {what}", l.location));
    }
}

/// Progress of `dg sync`: a line per project saying what its build does now, with the
/// installer's latest output line.
pub(crate) struct BuildProgress {
    spinners: Option<Spinners>,
}

impl BuildProgress {
    pub(crate) fn new(printer: &Printer, wanted: bool) -> Self {
        BuildProgress {
            spinners: (wanted && printer.interactive()).then(|| Spinners::new("syncing")),
        }
    }
}

impl SyncProgress for BuildProgress {
    fn step(&self, project: &str, what: &str) {
        if let Some(s) = &self.spinners {
            s.say(project, what);
        }
    }
    fn output(&self, project: &str, line: &str) {
        let line = line.trim();
        if let Some(s) = &self.spinners
            && !line.is_empty()
        {
            let shown: String = line.chars().take(80).collect();
            s.say(project, &shown);
        }
    }
    fn done(&self, project: &str) {
        if let Some(s) = &self.spinners {
            s.finish(project);
        }
    }
}
