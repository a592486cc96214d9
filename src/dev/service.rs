//! One supervised process: started through the core's process layer (its own process group,
//! default signal dispositions: dg-rs handles SIGINT/SIGTERM/SIGHUP itself from the start,
//! so nothing is inherited as ignored; Dagster would then ignore SIGTERM too), its output
//! read line by line into the supervisor's channel, stopped with its whole group.

use super::ServiceId;
use crate::process::{Cmd, GroupChild, OnInterrupt, ProcessError, Sig, for_each_line};
use nix::sys::signal::killpg;
use nix::unistd::Pid;
use std::collections::VecDeque;
use std::io::Read;
use std::process::{ExitStatus, Stdio};
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
    child: GroupChild,
    pub started: Instant,
    tail: Arc<Mutex<VecDeque<String>>>,
    exited: Option<ExitStatus>,
}

impl Service {
    /// Starts `cmd`; dg-rs's interrupt does not kill it (the supervisor stops it).
    pub fn spawn(cmd: &Cmd, id: ServiceId, tx: &Sender<Message>) -> Result<Service, ProcessError> {
        let mut child = cmd.spawn(
            Stdio::null(),
            Stdio::piped(),
            Stdio::piped(),
            OnInterrupt::Caller,
        )?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        for pipe in [
            child
                .child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .child
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
        self.child.child.id()
    }

    /// The exit status once the process has exited (reaped here).
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Signals the whole process group (the child leads it).
    pub fn signal(&self, signal: Sig) {
        self.child.signal(signal);
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
        s.signal(Sig::SIGTERM);
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
            s.signal(Sig::SIGKILL);
            let _ = s.child.wait();
            s.exited = s.child.try_wait().ok().flatten();
        }
    }
    killed
}

/// Whether any process of the group led by `pid` is still alive.
pub fn group_alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|p| killpg(Pid::from_raw(p), None).is_ok())
}

fn read_lines(
    pipe: Box<dyn Read + Send>,
    id: ServiceId,
    tx: &Sender<Message>,
    tail: &Mutex<VecDeque<String>>,
) {
    for_each_line(pipe, |line| {
        if let Ok(mut t) = tail.lock() {
            if t.len() == TAIL_LINES {
                t.pop_front();
            }
            t.push_back(line.to_string());
        }
        let _ = tx.send(Message::Line {
            service: id,
            line: line.to_string(),
        });
    });
}
