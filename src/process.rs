//! The one way dg-rs runs other programs, and how it stops them.
//!
//! - A [`Cmd`] is an argv list (never a shell string) with a working directory and extra
//!   environment.
//! - Every child is started as the leader of its own process group, so it and everything it
//!   starts can be signalled together, and a terminal's Ctrl-C reaches only dg-rs, which then
//!   decides what each child gets.
//! - dg-rs handles SIGINT, SIGTERM and SIGHUP itself from the start of every command
//!   ([`interrupt::install`]), even when it inherited them as ignored (a background job of a
//!   script). Children therefore start with the default dispositions: exec resets handled
//!   signals to default, while an ignored one would stay ignored (Dagster then ignores SIGTERM
//!   too).
//! - [`Cmd::output`] waits for its own child only, never for processes the child left behind
//!   holding the pipes (user code that starts a daemon at import): when the child ends, or
//!   its timeout passes, its whole group is killed and the pipes are read for a short grace
//!   period at most.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub(crate) use nix::sys::signal::Signal as Sig;

/// How long the pipes of a finished child are still read (output already written by the
/// child itself, but not yet read by us).
const PIPE_GRACE: Duration = Duration::from_millis(500);
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProcessError {
    #[error("could not run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not wait for {}: {source}", program.display())]
    Wait {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A command to run: program, arguments, working directory, extra environment.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) cwd: Option<PathBuf>,
    pub(crate) env: BTreeMap<String, OsString>,
    pub(crate) timeout: Option<Duration>,
    /// Linux: the child gets SIGTERM when dg-rs dies, even by SIGKILL (long-running services).
    pub(crate) die_with_parent: bool,
}

/// How a [`Cmd::output`] ended.
#[derive(Debug)]
pub(crate) struct Finished {
    /// None when killed by a signal or by the timeout.
    pub(crate) code: Option<i32>,
    pub(crate) timed_out: bool,
    /// Stopped because dg-rs was interrupted.
    pub(crate) interrupted: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Finished {
    pub(crate) fn success(&self) -> bool {
        self.code == Some(0)
    }
    /// The last `n` lines of stderr, for error messages.
    pub(crate) fn stderr_tail(&self, n: usize) -> String {
        tail_lines(&self.stderr, n)
    }
}

pub(crate) fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Cmd {
    pub(crate) fn new(program: impl Into<PathBuf>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: BTreeMap::new(),
            timeout: None,
            die_with_parent: false,
        }
    }

    pub(crate) fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub(crate) fn env(mut self, key: impl Into<String>, value: impl Into<OsString>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub(crate) fn envs<K: Into<String>, V: Into<OsString>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in vars {
            self.env.insert(k.into(), v.into());
        }
        self
    }

    pub(crate) fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// The child is sent SIGTERM when dg-rs ends without stopping it (SIGKILL, a crash), so
    /// a long-running service never outlives its supervisor. Linux only (`PR_SET_PDEATHSIG`);
    /// the signal comes when the thread that spawned the child ends, so spawn such children
    /// from a thread that lives as long as they should (the supervisor's).
    pub(crate) fn die_with_parent(mut self) -> Self {
        self.die_with_parent = true;
        self
    }

    /// The command line, for messages.
    pub(crate) fn describe(&self) -> String {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The std Command: argv list, stdin closed, its own process group.
    fn to_command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args).stdin(Stdio::null()).process_group(0);
        if let Some(dir) = &self.cwd {
            c.current_dir(dir);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        #[cfg(target_os = "linux")]
        if self.die_with_parent {
            use std::os::unix::process::CommandExt;
            let parent = nix::unistd::getpid();
            // SAFETY: between fork and exec only async-signal-safe calls run: prctl, getppid
            // and raise, no allocation and no locks.
            unsafe {
                c.pre_exec(move || {
                    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                    // dg-rs died before the prctl took effect: end as if it had come after.
                    if nix::unistd::getppid() != parent {
                        let _ = nix::sys::signal::raise(Signal::SIGTERM);
                    }
                    Ok(())
                });
            }
        }
        c
    }

    /// Starts the command in its own process group with the given stdio. The child is
    /// registered, so an interrupt of dg-rs reaches its group per `on_interrupt`.
    pub(crate) fn spawn(
        &self,
        stdin: Stdio,
        stdout: Stdio,
        stderr: Stdio,
        on_interrupt: OnInterrupt,
    ) -> Result<GroupChild, ProcessError> {
        let mut command = self.to_command();
        command.stdin(stdin).stdout(stdout).stderr(stderr);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let pgid = Pid::from_raw(child.id() as i32);
        if on_interrupt == OnInterrupt::KillGroup {
            interrupt::register(pgid);
            // Interrupted between the check and the spawn: this child must not live on.
            if interrupt::requested() {
                let _ = killpg(pgid, Signal::SIGKILL);
            }
        }
        Ok(GroupChild {
            child,
            pgid,
            program: self.program.clone(),
            registered: on_interrupt == OnInterrupt::KillGroup,
        })
    }

    /// Runs to completion, capturing stdout and stderr. Waits for the child itself only; the
    /// timeout, an interrupt, or the child's end stop its whole process group.
    pub(crate) fn output(&self) -> Result<Finished, ProcessError> {
        self.output_lines(&|_| {})
    }

    /// Like [`Cmd::output`], also calling `on_line` with each complete line either stream
    /// yields, as it comes (installer progress).
    pub(crate) fn output_lines(&self, on_line: &dyn Fn(&str)) -> Result<Finished, ProcessError> {
        self.run_to_end(on_line, OnInterrupt::KillGroup)
    }

    /// Like [`Cmd::output`] for the clean-up work an interrupt itself calls for (putting a
    /// run in a final state): an interrupt does not stop it; its timeout does.
    pub(crate) fn output_ignoring_interrupts(&self) -> Result<Finished, ProcessError> {
        self.run_to_end(&|_| {}, OnInterrupt::Caller)
    }

    fn run_to_end(
        &self,
        on_line: &dyn Fn(&str),
        on_interrupt: OnInterrupt,
    ) -> Result<Finished, ProcessError> {
        let mut child = self.spawn(Stdio::null(), Stdio::piped(), Stdio::piped(), on_interrupt)?;
        let watch_interrupts = on_interrupt == OnInterrupt::KillGroup;
        let (tx, rx) = mpsc::channel::<(bool, Vec<u8>)>();
        if let Some(out) = child.child.stdout.take() {
            forward_chunks(out, true, tx.clone());
        }
        if let Some(err) = child.child.stderr.take() {
            forward_chunks(err, false, tx.clone());
        }
        drop(tx);
        let deadline = self.timeout.map(|t| Instant::now() + t);
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut collect = |(is_out, chunk): (bool, Vec<u8>)| {
            let buf = if is_out { &mut stdout } else { &mut stderr };
            let line_start = buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            buf.extend(chunk);
            let mut start = line_start;
            while let Some(pos) = buf[start..].iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&buf[start..start + pos]);
                on_line(line.trim_end_matches('\r'));
                start += pos + 1;
            }
        };
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if watch_interrupts && interrupt::requested() {
                child.kill_group();
                break child.wait().ok();
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                timed_out = true;
                child.kill_group();
                let _ = child.wait();
                break None;
            }
            match rx.recv_timeout(POLL) {
                Ok(c) => collect(c),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(POLL),
            }
        };
        // What the child left behind goes with it, and cannot hold us on its pipes.
        child.kill_group();
        let grace = Instant::now() + PIPE_GRACE;
        while let Some(left) = grace.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(c) => collect(c),
                Err(_) => break,
            }
        }
        Ok(Finished {
            code: status.and_then(|s| s.code()),
            timed_out,
            interrupted: watch_interrupts && interrupt::requested(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

/// Sends what a pipe yields to `tx`, on a detached thread: it ends when the pipe closes,
/// which a grandchild may delay; nobody waits for it.
fn forward_chunks(
    mut pipe: impl Read + Send + 'static,
    is_out: bool,
    tx: mpsc::Sender<(bool, Vec<u8>)>,
) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 14];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send((is_out, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
}

/// What an interrupt of dg-rs does to a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnInterrupt {
    /// SIGKILL its group at once (helpers that record nothing: introspection, installers).
    KillGroup,
    /// Nothing: the caller stops it (a launch step records the interruption in Dagster; a
    /// service of `dg dev` gets its own shutdown).
    Caller,
}

/// A child that leads its own process group.
#[derive(Debug)]
pub(crate) struct GroupChild {
    pub(crate) child: Child,
    pgid: Pid,
    program: PathBuf,
    registered: bool,
}

impl GroupChild {
    /// Signals the whole group (the child and everything it started and kept in its group).
    pub(crate) fn signal(&self, signal: Signal) {
        let _ = killpg(self.pgid, signal);
    }

    pub(crate) fn kill_group(&self) {
        self.signal(Signal::SIGKILL);
    }

    pub(crate) fn try_wait(&mut self) -> Result<Option<ExitStatus>, ProcessError> {
        self.child.try_wait().map_err(|source| ProcessError::Wait {
            program: self.program.clone(),
            source,
        })
    }

    pub(crate) fn wait(&mut self) -> Result<ExitStatus, ProcessError> {
        self.child.wait().map_err(|source| ProcessError::Wait {
            program: self.program.clone(),
            source,
        })
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if self.registered {
            interrupt::unregister(self.pgid);
        }
    }
}

/// Calls `f` with each line a pipe yields (without its line ending), until it closes.
pub(crate) fn for_each_line(pipe: impl Read, mut f: impl FnMut(&str)) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                f(line.trim_end_matches(['\n', '\r']));
            }
        }
    }
}

/// The process-wide interrupt: SIGINT, SIGTERM or SIGHUP to dg-rs.
pub(crate) mod interrupt {
    use super::{Pid, Signal, killpg};
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static COUNT: AtomicUsize = AtomicUsize::new(0);
    static KILL_ON_INTERRUPT: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

    /// Installs the handler (once per process; later calls do nothing). It replaces an
    /// inherited "ignore" too: the children live in their own process groups, so letting a
    /// signal kill only dg-rs would orphan them.
    pub(crate) fn install() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let _ = ctrlc::set_handler(|| {
                COUNT.fetch_add(1, Ordering::SeqCst);
                if let Ok(groups) = KILL_ON_INTERRUPT.lock() {
                    for &g in groups.iter() {
                        let _ = killpg(Pid::from_raw(g), Signal::SIGKILL);
                    }
                }
            });
        });
    }

    /// Whether dg-rs has been interrupted.
    pub(crate) fn requested() -> bool {
        count() > 0
    }

    /// How many interrupts arrived (a second one ends grace periods at once).
    pub(crate) fn count() -> usize {
        COUNT.load(Ordering::SeqCst)
    }

    pub(super) fn register(pgid: Pid) {
        if let Ok(mut g) = KILL_ON_INTERRUPT.lock() {
            g.insert(pgid.as_raw());
        }
    }

    pub(super) fn unregister(pgid: Pid) {
        if let Ok(mut g) = KILL_ON_INTERRUPT.lock() {
            g.remove(&pgid.as_raw());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_does_not_wait_for_a_grandchild_holding_the_pipes() {
        // The child starts a long sleeper that inherits stdout, then exits at once.
        let start = Instant::now();
        let out = Cmd::new("/bin/sh")
            .arg("-c")
            .arg("sleep 30 & echo started")
            .output()
            .unwrap();
        assert!(out.success());
        assert_eq!(out.stdout.trim(), "started");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_timeout_stops_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let start = Instant::now();
        // The shell forks a child (like an interpreter wrapper would); both must stop.
        let out = Cmd::new("/bin/sh")
            .arg("-c")
            .arg(format!(
                "(sleep 2; touch '{}') & sleep 30",
                marker.display()
            ))
            .timeout(Duration::from_millis(300))
            .output()
            .unwrap();
        assert!(out.timed_out);
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "a process of the group outlived the timeout"
        );
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let err = Cmd::new("/nonexistent/python").output().unwrap_err();
        assert!(matches!(err, ProcessError::Spawn { .. }));
        assert!(err.to_string().contains("/nonexistent/python"));
    }
}
