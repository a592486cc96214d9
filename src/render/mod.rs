//! Everything that formats output for people or machines lives here; core modules return
//! values and never print. The [`Printer`] owns stdout and stderr: data goes to stdout,
//! diagnostics and progress to stderr, and `--json` output is never mixed with human text.

pub(crate) mod access;
pub(crate) mod affected;
pub(crate) mod assets;
pub(crate) mod check;
pub(crate) mod ci;
pub(crate) mod components;
pub(crate) mod create;
pub(crate) mod defs;
pub(crate) mod defs_yaml;
pub(crate) mod deploy;
pub(crate) mod dev;
pub(crate) mod errors;
pub(crate) mod graph;
pub(crate) mod launch;
pub(crate) mod progress;
pub(crate) mod projects;
pub(crate) mod sync;
pub(crate) mod table;

use crate::error::{Error, Problem};
use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use std::io::{IsTerminal, Write};

/// `--color auto|always|never`; `auto` honours NO_COLOR and whether stderr is a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    Auto,
    Always,
    Never,
}

#[derive(Clone)]
pub struct Printer {
    color: ColorChoice,
    pub verbose: bool,
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();

impl Printer {
    pub fn new(mode: ColorMode, verbose: bool) -> Self {
        let color = match mode {
            ColorMode::Always => ColorChoice::Always,
            ColorMode::Never => ColorChoice::Never,
            ColorMode::Auto => ColorChoice::Auto,
        };
        Printer { color, verbose }
    }

    /// Whether stderr is a terminal a person is watching (progress bars go there).
    pub fn interactive(&self) -> bool {
        std::io::stderr().is_terminal() && self.color != ColorChoice::Never
    }

    fn stdout(&self) -> AutoStream<std::io::Stdout> {
        AutoStream::new(std::io::stdout(), self.color)
    }

    fn stderr(&self) -> AutoStream<std::io::Stderr> {
        AutoStream::new(std::io::stderr(), self.color)
    }

    /// Data for the user or a pipe. A closed pipe (`dg list | head`) is not an error.
    pub fn out(&self, text: &str) {
        let mut out = self.stdout();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// Streams machine data to stdout (large exports). It carries no colors, so it bypasses
    /// the color-stripping stream; a closed pipe is not an error.
    pub fn out_with(&self, produce: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let _ = produce(&mut out).and_then(|_| out.flush());
    }

    pub fn json<T: serde::Serialize>(&self, value: &T) {
        self.out_with(|w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        });
    }

    /// A line of status on stderr (never mixed into data).
    pub fn status(&self, text: &str) {
        let _ = writeln!(self.stderr(), "{text}");
    }

    pub fn warning(&self, problem: &Problem) {
        self.problem("warning", WARN, problem);
    }

    pub fn error(&self, err: &Error) {
        for p in &err.problems {
            self.problem("error", ERROR, p);
        }
        if err.problems.len() > 1 {
            let _ = writeln!(
                self.stderr(),
                "{ERROR}error{ERROR:#}: {} problems found",
                err.problems.len()
            );
        }
    }

    fn problem(&self, label: &str, style: Style, p: &Problem) {
        let _ = writeln!(self.stderr(), "{}", format_problem(label, style, p));
    }
}

/// A problem as [`Printer::error`] shows it, for a report on stdout.
pub fn error_text(p: &Problem) -> String {
    format_problem("error", ERROR, p)
}

/// `error: <what>` / `  at <file>:<line>:<col>` / the line with a caret / `  hint: ...`.
pub fn format_problem(label: &str, style: Style, p: &Problem) -> String {
    let mut s = format!("{style}{label}{style:#}: {}", p.message);
    if let Some(at) = &p.at {
        let file = display_path(&at.file);
        s.push_str(&format!("\n  at {file}:{}:{}", at.line, at.column));
        if !at.line_text.is_empty() {
            let num = at.line.to_string();
            let pad = " ".repeat(num.len());
            let shown: String = at.line_text.chars().take(200).collect();
            s.push_str(&format!("\n  {pad} |\n  {num} | {shown}\n  {pad} | "));
            s.push_str(&" ".repeat(at.column.saturating_sub(1)));
            s.push_str(&format!(
                "{style}{}{style:#}",
                "^".repeat(at.len.clamp(1, 200))
            ));
        }
    }
    if let Some(h) = &p.hint {
        s.push_str(&format!("\n  {HINT}hint{HINT:#}: {h}"));
    }
    s
}

/// A path as the user would type it: [`crate::path::display`] against the current directory.
pub fn display_path(path: &std::path::Path) -> String {
    match std::env::current_dir() {
        Ok(cwd) => crate::path::display(path, &cwd),
        Err(_) => path.display().to_string(),
    }
}
