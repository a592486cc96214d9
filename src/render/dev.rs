//! What `dg dev` prints: one line while starting, then the UI's address (stdout) with one
//! status line per location, then every service's output prefixed by its name, and the
//! supervisor's own events (restarts, reloads, load errors) prefixed `dg`.

use super::{Printer, display_path};
use crate::dev::{DevEvent, DevObserver, LocationStatus, ReadyReport, RestartReason};
use anstyle::{AnsiColor, Style};
use std::sync::atomic::{AtomicUsize, Ordering};

const NAME: Style = AnsiColor::Cyan.on_default();
const OK: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();
const DIM: Style = Style::new().dimmed();

pub struct DevOutput<'a> {
    printer: &'a Printer,
    width: AtomicUsize,
}

impl<'a> DevOutput<'a> {
    pub fn new(printer: &'a Printer) -> Self {
        DevOutput {
            printer,
            width: AtomicUsize::new("webserver".len()),
        }
    }

    fn line(&self, who: &str, text: &str) {
        let w = self.width.load(Ordering::Relaxed);
        self.printer
            .status(&format!("{NAME}{who:>w$}{NAME:#} {DIM}|{DIM:#} {text}"));
    }
}

/// The first line of a (Python) error message, shortened for one status line.
fn first_line(message: &str) -> String {
    let line = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut s: String = line.trim().chars().take(240).collect();
    if line.trim().chars().count() > 240 {
        s.push('…');
    }
    s
}

impl DevObserver for DevOutput<'_> {
    fn starting(&self, locations: &[String]) {
        let w = locations
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(0)
            .max("webserver".len());
        self.width.store(w, Ordering::Relaxed);
        let n = locations.len();
        self.printer.status(&format!(
            "Starting {n} code location{} ({}), the webserver and the daemon",
            if n == 1 { "" } else { "s" },
            locations.join(", "),
        ));
    }

    fn location_listening(&self, location: &str, seconds: f64) {
        if self.printer.verbose {
            self.line(
                "dg",
                &format!("{location}: code server listening after {seconds:.1} s"),
            );
        }
    }

    fn ready(&self, r: &ReadyReport) {
        if let Some(note) = &r.port_note {
            self.printer.status(&format!("note: {note}"));
        }
        self.printer.out(&format!("Dagster UI: {}", r.url));
        let w = r.locations.iter().map(|l| l.name.len()).max().unwrap_or(0);
        for l in &r.locations {
            let versions = [
                l.dagster_version.as_ref().map(|v| format!("dagster {v}")),
                l.python_version.as_ref().map(|v| format!("Python {v}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            let text = match &l.status {
                LocationStatus::Loaded { assets } => format!(
                    "{OK}loaded{OK:#}      {assets} asset{} · {versions} · code server up in {:.1} s",
                    if *assets == 1 { "" } else { "s" },
                    l.seconds
                ),
                LocationStatus::LoadError { message } => format!(
                    "{BAD}load error{BAD:#}  {} (shown in the UI; fix the code and it reloads)",
                    first_line(message)
                ),
                LocationStatus::NotStarted { error } => {
                    let p = super::errors::dev_problem(error);
                    let mut s = format!("{BAD}not started{BAD:#} {}", first_line(&p.message));
                    if let Some(h) = &p.hint {
                        s.push_str(&format!(" (hint: {h})"));
                    }
                    s
                }
            };
            self.printer.status(&format!("  {:<w$}  {text}", l.name));
        }
        if let Some((addr, upstream)) = r.proxy {
            self.printer.status(&format!(
                "  access: authorizing proxy on http://{addr} in front of the webserver at http://{upstream}"
            ));
        }
        // Worth saying only when the instance was created or migrated (a Python start).
        let instance = if r.instance_seconds >= 0.5 {
            format!(" (created or migrated in {:.1} s)", r.instance_seconds)
        } else {
            String::new()
        };
        self.printer.status(&format!(
            "Ready in {:.1} s (webserver answering after {:.1} s). Instance: {}{instance} · host: {} (dagster {}) · {} · Ctrl-C to stop",
            r.seconds,
            r.webserver_seconds,
            display_path(&r.dagster_home),
            display_path(&r.host_env),
            r.host_dagster,
            if r.watching { "watching for changes" } else { "not watching" },
        ));
    }

    fn log(&self, service: &str, line: &str) {
        self.line(service, line);
    }

    fn event(&self, event: &DevEvent) {
        let text = match event {
            DevEvent::Restarting {
                location,
                reason: RestartReason::Changed,
            } => format!("{location} changed: starting a new code server"),
            DevEvent::Restarting {
                location,
                reason: RestartReason::Exited { code },
            } => format!(
                "{BAD}{location}'s code server exited{BAD:#} ({}): restarting it",
                code.map(|c| format!("exit code {c}"))
                    .unwrap_or_else(|| "killed by a signal".into())
            ),
            DevEvent::Reloaded {
                location,
                assets,
                seconds,
            } => format!(
                "{OK}{location} reloaded{OK:#}: {assets} asset{} ({seconds:.1} s)",
                if *assets == 1 { "" } else { "s" }
            ),
            DevEvent::LoadFailed { location, message } => format!(
                "{BAD}{location} failed to load{BAD:#}: {} (shown in the UI)",
                first_line(message)
            ),
            DevEvent::ReplacementFailed { location, message } => format!(
                "{BAD}{location}: the new code server did not start{BAD:#}: {}",
                first_line(message)
            ),
            DevEvent::ServiceExited {
                service,
                code,
                restart_in,
            } => format!(
                "{BAD}the {service} exited{BAD:#} ({}): restarting it in {} s",
                code.map(|c| format!("exit code {c}"))
                    .unwrap_or_else(|| "killed by a signal".into()),
                restart_in.as_secs()
            ),
            DevEvent::ConfigError { message } => {
                format!("{BAD}the workspace configuration does not load{BAD:#}: {message}")
            }
            DevEvent::Stopping => "stopping every service…".to_string(),
        };
        self.line("dg", &text);
    }

    fn stopped(&self, seconds: f64, leftover: usize) {
        if leftover == 0 {
            self.line("dg", &format!("stopped in {seconds:.1} s"));
        } else {
            self.line(
                "dg",
                &format!("{BAD}stopped in {seconds:.1} s, but {leftover} process group(s) did not exit{BAD:#}"),
            );
        }
    }
}
