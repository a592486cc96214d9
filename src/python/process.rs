//! The one subprocess helper: argv lists only (never a shell string), optional timeout,
//! captured output, and an environment built from the project's `.env`.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// A command to run: program, arguments, working directory, extra environment.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: BTreeMap<String, OsString>,
    pub timeout: Option<Duration>,
}

#[derive(Debug)]
pub struct Finished {
    /// None when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
    /// The last `n` lines of stderr, for error messages.
    pub fn stderr_tail(&self, n: usize) -> String {
        tail_lines(&self.stderr, n)
    }
}

pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Cmd {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: BTreeMap::new(),
            timeout: None,
        }
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<OsString>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// Builds the std Command (argv list; stdin closed).
    pub fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args).stdin(Stdio::null());
        if let Some(dir) = &self.cwd {
            c.current_dir(dir);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs to completion, capturing stdout and stderr.
    pub fn output(&self) -> Result<Finished> {
        let start = Instant::now();
        let mut child = self
            .to_command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(&e))?;
        // Drain both pipes on threads so a chatty child never blocks on a full pipe.
        let mut out_pipe = child.stdout.take();
        let mut err_pipe = child.stderr.take();
        let out_thread = std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(p) = out_pipe.as_mut() {
                let _ = p.read_to_end(&mut s);
            }
            s
        });
        let err_thread = std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(p) = err_pipe.as_mut() {
                let _ = p.read_to_end(&mut s);
            }
            s
        });
        let (status, timed_out) = match self.timeout {
            Some(t) => match child.wait_timeout(t).map_err(|e| self.spawn_error(&e))? {
                Some(status) => (Some(status), false),
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    (None, true)
                }
            },
            None => (Some(child.wait().map_err(|e| self.spawn_error(&e))?), false),
        };
        let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
        Ok(Finished {
            code: status.and_then(|s| s.code()),
            timed_out,
            stdout,
            stderr,
            elapsed: start.elapsed(),
        })
    }

    fn spawn_error(&self, e: &std::io::Error) -> Error {
        Error::failed(format!("could not run {}: {e}", self.program.display()))
    }
}

/// The variables of a project's `.env` file (empty when there is none).
pub fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    if !path.is_file() {
        return Ok(vars);
    }
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| Error::usage(format!("could not read {}: {e}", path.display())))?;
    for item in iter {
        let (k, v) = item.map_err(|e| {
            Error::usage(format!("invalid line in {}: {e}", path.display()))
                .with_hint("each line of a .env file is KEY=value")
        })?;
        vars.insert(k, v);
    }
    Ok(vars)
}
