//! Live progress on a terminal (indicatif spinners on stderr); nothing when piped or in JSON.

use crate::manifest::extract::ExtractProgress;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One spinner per location being loaded or built.
pub struct Spinners {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    verb: &'static str,
}

impl Spinners {
    pub fn new(verb: &'static str) -> Self {
        Spinners {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
            verb,
        }
    }

    pub fn start(&self, name: &str) {
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

    pub fn finish(&self, name: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(name)) {
            bar.finish_and_clear();
        }
    }
}

impl ExtractProgress for Spinners {
    fn started(&self, location: &str) {
        self.start(location);
    }
    fn finished(&self, location: &str, _ok: bool) {
        self.finish(location);
    }
}
