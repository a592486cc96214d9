//! One supervised process: started in its own process group with default signal
//! dispositions, its output read line by line into the supervisor's channel, stopped with its
//! whole group.
//!
//! Default dispositions matter: Dagster sets SIGTERM to its SIGINT handler, so a child that
//! inherited an ignored SIGINT (a background job of a script) would ignore SIGTERM too. The
//! child also gets SIGTERM when the supervisor dies (Linux `PR_SET_PDEATHSIG`), so a killed
//! `dg dev` leaves no code server or webserver behind. That signal follows the *thread* that
//! forked, so every service is spawned from the supervisor's own (main) thread.
//!
//! The core's shared process supervisor is not there yet; this is dev's own.

use super::ServiceId;
use crate::python::process::Cmd;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TAIL_LINES: usize = 40;

/// What the reader threads and the watcher send to the supervisor.
#[derive(Debug)]
pub enum Message {
    Line {
        service: ServiceId,
        line: String,
    },
    /// The fingerprint of the location with this index changed.
    Changed(usize),
}

pub struct Service {
    child: Child,
    pub started: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
    exited: Option<ExitStatus>,
}

impl Service {
    pub fn spawn(cmd: &Cmd, id: ServiceId, tx: &Sender<Message>) -> std::io::Result<Service> {
        let mut command = cmd.to_command();
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let parent = std::process::id();
        // SAFETY: between fork and exec only async-signal-safe calls are made (signal,
        // sigemptyset, sigprocmask, prctl, getppid, raise); no allocation, no locks.
        unsafe {
            command.pre_exec(move || {
                for sig in [
                    libc::SIGINT,
                    libc::SIGTERM,
                    libc::SIGHUP,
                    libc::SIGQUIT,
                    libc::SIGPIPE,
                ] {
                    libc::signal(sig, libc::SIG_DFL);
                }
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
                #[cfg(target_os = "linux")]
                {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    // The supervisor died before the prctl: nobody would stop us.
                    if libc::getppid() as u32 != parent {
                        libc::raise(libc::SIGTERM);
                    }
                }
                #[cfg(not(target_os = "linux"))]
                let _ = parent;
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let (tx, tail) = (tx.clone(), Arc::clone(&tail));
            std::thread::spawn(move || read_lines(pipe, id, &tx, &tail));
        }
        Ok(Service {
            child,
            started: Instant::now(),
            tail,
            exited: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the process has exited (reaped here).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Signals the whole process group (the child leads it).
    pub fn signal(&self, signal: libc::c_int) {
        signal_group(self.child.id(), signal);
    }

    /// The last lines the process wrote (for error messages).
    pub fn tail(&self, n: usize) -> String {
        let t = self.tail.lock().map(|t| t.clone()).unwrap_or_default();
        let skip = t.len().saturating_sub(n);
        t.into_iter().skip(skip).collect::<Vec<_>>().join("\n")
    }

    /// SIGTERM to the group, SIGKILL after `grace`; returns once the leader is reaped and the
    /// group is gone.
    pub fn stop(mut self, grace: Duration) {
        stop_all(std::slice::from_mut(&mut self), grace);
    }
}

/// Stops several services at once: SIGTERM to every group, then SIGKILL to whatever is left
/// after `grace`. Returns how many groups needed SIGKILL.
pub fn stop_all(services: &mut [Service], grace: Duration) -> usize {
    for s in services.iter() {
        s.signal(libc::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    loop {
        let mut alive = 0;
        for s in services.iter_mut() {
            if s.exit_status().is_none() || group_alive(s.pid()) {
                alive += 1;
            }
        }
        if alive == 0 || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut killed = 0;
    for s in services.iter_mut() {
        if s.exit_status().is_none() || group_alive(s.pid()) {
            killed += 1;
            s.signal(libc::SIGKILL);
            let _ = s.child.wait();
            s.exited = s.child.try_wait().ok().flatten();
        }
    }
    killed
}

/// Whether any process of the group led by `pid` is still alive.
pub fn group_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks for existence; a negative pid names the group.
    unsafe { libc::kill(-pid, 0) == 0 }
}

fn signal_group(pid: u32, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

fn read_lines(
    pipe: Box<dyn Read + Send>,
    id: ServiceId,
    tx: &Sender<Message>,
    tail: &Mutex<VecDeque<String>>,
) {
    let mut reader = BufReader::new(pipe);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if let Ok(mut t) = tail.lock() {
                    if t.len() == TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line.clone());
                }
                let _ = tx.send(Message::Line { service: id, line });
            }
        }
    }
}
