//! The supervisor: starts the platform, says when it is ready, keeps it running, stops it.
//! Assembling the platform (addresses, the access front, the instance, workspace.yaml, the
//! host services' commands) is [`start`]; this file is the running platform.
//!
//! Start-up, in this order: the host environment and its version check, the port, the
//! instance (prepared once), the workspace.yaml; then every code server and the webserver at
//! once (they import Dagster in parallel: the seconds that count); the daemon once the UI is
//! ready, so it loads a complete workspace and does not compete for the CPU with the UI's
//! start. Ready = the webserver's GraphQL API shows every location
//! loaded or with its load error (or the code server could not start). A location whose code
//! server began listening after the webserver looked for it is reloaded in the webserver
//! right away instead of waiting for Dagster's own 10-second recovery.
//!
//! While running: service output goes to the observer line by line; a changed location gets
//! a replacement code server on a socket of its own; once it listens, the old one stops and
//! the location's socket (a symlink, the path in workspace.yaml) points at the new one (each
//! server has its own path because a gRPC server removes its socket file when it stops); a service that exits is started again after
//! a back-off. Ctrl-C or SIGTERM (the `interrupts` counter) stops every process group:
//! SIGTERM, then SIGKILL after a grace period (at once on a second interrupt).

use super::commands::with_platform_env;
use super::error::{DevError, Result};
use super::service::{Message, Service, group_alive, stop_all};
use super::webserver::{Client, UiStatus};
use super::{
    DevEvent, DevObserver, DevOptions, LocationLine, LocationStatus, ReadyReport, RestartReason,
    ServiceId, watch,
};
use crate::config::Project;
use crate::instance::Instance;
use crate::manifest::extract::location_env;
use crate::process::{Cmd, Sig, interrupt};
use crate::settings::Settings;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(50);
const POLL_EVERY: Duration = Duration::from_millis(150);
const RELOAD_RETRY: Duration = Duration::from_secs(1);
/// How long services get to stop after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a replaced code server gets to stop before the new one takes its socket.
const REPLACE_GRACE: Duration = Duration::from_secs(5);
/// A service that ran shorter than this before exiting counts as crashing; its restarts back
/// off (1, 2, 4 ... 30 s).
const QUICK_EXIT: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The webserver or the daemon crashing this many times in a row ends `dg dev`.
const MAX_HOST_CRASHES: u32 = 5;

mod start;
pub(crate) use start::run;

#[derive(Debug, Clone)]
enum ServerState {
    Starting,
    Listening,
    Failed(Arc<DevError>),
}

/// One location and its code server(s).
struct Location {
    project: Project,
    /// The path in workspace.yaml: a symlink to the socket of the current server.
    socket: PathBuf,
    /// The runtime folder, where every server gets `<index>.<generation>.sock`.
    dir: PathBuf,
    index: usize,
    generation: u32,
    /// The socket the current server listens on.
    server_socket: PathBuf,
    replacement_socket: PathBuf,
    server: Option<Service>,
    state: ServerState,
    listened_after: f64,
    /// A code server started for changed code, listening on `next_socket` once ready.
    replacement: Option<Service>,
    ui: UiStatus,
    last_reload: Option<Instant>,
    restart_at: Option<Instant>,
    crashes: u32,
    /// Reload in the webserver (and report) once the server on `socket` listens again.
    reload_when_listening: bool,
    restart_started: Option<Instant>,
}

impl Location {
    /// A location whose code server has not started yet.
    fn new(project: Project, socket: PathBuf, dir: &Path, index: usize) -> Location {
        Location {
            project,
            socket,
            dir: dir.to_path_buf(),
            index,
            generation: 0,
            server_socket: PathBuf::new(),
            replacement_socket: PathBuf::new(),
            server: None,
            state: ServerState::Starting,
            listened_after: 0.0,
            replacement: None,
            ui: UiStatus::Loading,
            last_reload: None,
            restart_at: None,
            crashes: 0,
            reload_when_listening: false,
            restart_started: None,
        }
    }
}

/// The webserver or the daemon.
struct HostService {
    id: ServiceId,
    name: &'static str,
    cmd: Cmd,
    service: Option<Service>,
    restart_at: Option<Instant>,
    crashes: u32,
}

impl HostService {
    fn start(&mut self, tx: &mpsc::Sender<Message>) -> Result<()> {
        let s = Service::spawn(&self.cmd, self.id, tx).map_err(|source| DevError::Spawn {
            name: Some(self.name.to_string()),
            program: self.cmd.program.clone(),
            source,
        })?;
        self.service = Some(s);
        self.restart_at = None;
        Ok(())
    }
}

struct Platform<'a> {
    opts: &'a DevOptions,
    settings: &'a Settings,
    instance: &'a Instance,
    observer: &'a dyn DevObserver,
    ws_root: PathBuf,
    locations: Vec<Location>,
    webserver: HostService,
    daemon: HostService,
    client: Client,
    watched: watch::Watched,
    tx: mpsc::Sender<Message>,
    rx: Receiver<Message>,
}

impl Platform<'_> {
    fn interrupted(&self) -> bool {
        interrupt::requested()
    }

    fn service_name(&self, id: ServiceId) -> String {
        match id {
            ServiceId::Webserver => "webserver".into(),
            ServiceId::Daemon => "daemon".into(),
            ServiceId::Proxy => "access".into(),
            ServiceId::CodeServer(i) => self
                .locations
                .get(i)
                .map(|l| l.project.code_location_name.clone())
                .unwrap_or_default(),
        }
    }

    /// Starts every location's code server and takes the locations in.
    fn spawn_code_servers(&mut self, mut locations: Vec<Location>) {
        for (i, loc) in locations.iter_mut().enumerate() {
            self.spawn_code_server(i, loc);
        }
        self.locations = locations;
    }

    /// Starts the location's code server on a fresh socket the location's path points at.
    fn spawn_code_server(&self, index: usize, loc: &mut Location) {
        loc.state = ServerState::Starting;
        let socket = loc.fresh_socket();
        loc.point_at(&socket);
        loc.server_socket = socket.clone();
        match self
            .code_server_cmd(&loc.project, &socket)
            .and_then(|cmd| spawn(&cmd, ServiceId::CodeServer(index), &self.tx))
        {
            Ok(s) => loc.server = Some(s),
            Err(e) => {
                loc.server = None;
                loc.state = ServerState::Failed(Arc::new(e));
            }
        }
    }

    /// Reports ready, starts the daemon, prints the service lines held back, then serves.
    fn run_ready(&mut self, report: &ReadyReport, held: Vec<(ServiceId, String)>) -> Result<()> {
        self.observer.ready(report);
        // The daemon starts once the UI is up: it then loads a complete workspace (it
        // would otherwise wait for its 60-second refresh to see a late location), and
        // its import does not compete for the CPU with the UI's start.
        self.daemon.start(&self.tx)?;
        for (service, line) in held {
            self.observer.log(&self.service_name(service), &line);
        }
        self.serve()
    }

    /// Until every location is loaded or failed. Returns the service lines held back
    /// meanwhile (printed after the status block) and the webserver's start time.
    fn start_up(&mut self, web_spawned: Instant) -> Result<(Vec<(ServiceId, String)>, f64)> {
        let mut held = Vec::new();
        let mut webserver_seconds = None;
        let mut last_poll: Option<Instant> = None;
        let started = Instant::now();
        loop {
            match self.rx.recv_timeout(TICK) {
                Ok(Message::Line { service, line }) => held.push((service, line)),
                // Changes during start-up are picked up once running: the watcher's baseline
                // predates the spawn, so nothing is lost.
                Ok(Message::Changed(i)) => {
                    if let Some(l) = self.locations.get_mut(i) {
                        l.reload_when_listening = true;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.interrupted() {
                return Ok((held, 0.0));
            }
            let timed_out = started.elapsed() > self.settings.load_timeout;
            self.settle_starting_servers(timed_out);
            self.check_webserver_alive()?;
            let all_settled = self
                .locations
                .iter()
                .all(|l| !matches!(l.state, ServerState::Starting));
            if last_poll.is_none_or(|t| t.elapsed() >= POLL_EVERY) {
                last_poll = Some(Instant::now());
                if let Ok(entries) = self.client.locations() {
                    webserver_seconds.get_or_insert(web_spawned.elapsed().as_secs_f64());
                    self.apply_ui(&entries);
                    self.reload_unreachable();
                }
            }
            if webserver_seconds.is_some() && self.all_ready() {
                return Ok((held, webserver_seconds.unwrap_or_default()));
            }
            if timed_out && webserver_seconds.is_none() {
                return Err(DevError::WebserverSilent {
                    seconds: self.settings.load_timeout.as_secs(),
                });
            }
            if timed_out && all_settled {
                self.mark_not_loaded();
            }
        }
        Ok((held, webserver_seconds.unwrap_or_default()))
    }

    /// Moves each starting code server to listening or failed (exited, or silent past the
    /// load timeout).
    fn settle_starting_servers(&mut self, timed_out: bool) {
        for loc in &mut self.locations {
            if !matches!(loc.state, ServerState::Starting) {
                continue;
            }
            if let Some(s) = &mut loc.server {
                if let Some(status) = s.exit_status() {
                    loc.state = ServerState::Failed(Arc::new(DevError::CodeServerExited {
                        status: describe_exit(status.code()),
                        tail: s.tail(12),
                        interpreter: loc.project.interpreter.path.clone(),
                        project: loc.project.name.clone(),
                    }));
                } else if UnixStream::connect(&loc.server_socket).is_ok() {
                    loc.state = ServerState::Listening;
                    loc.listened_after = s.started.elapsed().as_secs_f64();
                    self.observer
                        .location_listening(&loc.project.code_location_name, loc.listened_after);
                } else if timed_out {
                    loc.state = ServerState::Failed(Arc::new(DevError::CodeServerSilent {
                        seconds: self.settings.load_timeout.as_secs(),
                    }));
                }
            }
        }
    }

    /// During start-up a webserver that exits ends `dg dev`.
    fn check_webserver_alive(&mut self) -> Result<()> {
        if let Some(s) = &mut self.webserver.service
            && let Some(status) = s.exit_status()
        {
            return Err(DevError::WebserverExited {
                status: describe_exit(status.code()),
                tail: s.tail(15),
            });
        }
        Ok(())
    }

    /// Every location failed, or listening and shown loaded (or with its load error).
    fn all_ready(&self) -> bool {
        self.locations.iter().all(|l| match l.state {
            ServerState::Failed { .. } => true,
            ServerState::Listening => {
                matches!(l.ui, UiStatus::Loaded { .. } | UiStatus::LoadError { .. })
            }
            ServerState::Starting => false,
        })
    }

    /// Listening, but the webserver never showed it loaded: report what it shows.
    fn mark_not_loaded(&mut self) {
        for l in &mut self.locations {
            if matches!(l.state, ServerState::Listening)
                && !matches!(l.ui, UiStatus::Loaded { .. } | UiStatus::LoadError { .. })
            {
                l.ui = UiStatus::LoadError {
                    message: "the webserver could not load it from its code server".into(),
                };
            }
        }
    }

    fn apply_ui(&mut self, entries: &[(String, UiStatus)]) {
        for loc in &mut self.locations {
            if let Some((_, s)) = entries
                .iter()
                .find(|(n, _)| *n == loc.project.code_location_name)
            {
                loc.ui = s.clone();
            }
        }
    }

    /// Locations whose server listens but which the webserver could not reach when it looked.
    fn reload_unreachable(&mut self) {
        for loc in &mut self.locations {
            if matches!(loc.state, ServerState::Listening)
                && loc.ui == UiStatus::Unreachable
                && loc.last_reload.is_none_or(|t| t.elapsed() >= RELOAD_RETRY)
            {
                loc.last_reload = Some(Instant::now());
                if let Ok(s) = self.client.reload(&loc.project.code_location_name) {
                    loc.ui = s;
                }
            }
        }
    }

    fn location_lines(&self) -> Vec<LocationLine> {
        self.locations
            .iter()
            .map(|l| {
                let status = match (&l.state, &l.ui) {
                    (ServerState::Failed(e), _) => LocationStatus::NotStarted { error: e.clone() },
                    (_, UiStatus::Loaded { assets }) => LocationStatus::Loaded { assets: *assets },
                    (_, UiStatus::LoadError { message }) => LocationStatus::LoadError {
                        message: message.clone(),
                    },
                    _ => LocationStatus::LoadError {
                        message: "not loaded".into(),
                    },
                };
                let venv = l.project.interpreter.path.parent().and_then(Path::parent);
                LocationLine {
                    name: l.project.code_location_name.clone(),
                    status,
                    dagster_version: crate::python::host::installed_version(
                        &l.project.interpreter.path,
                        "dagster",
                    )
                    .map(|v| v.to_string()),
                    python_version: venv.and_then(crate::python::env::venv_python_version),
                    seconds: l.listened_after,
                }
            })
            .collect()
    }

    /// The running platform, until interrupted.
    fn serve(&mut self) -> Result<()> {
        loop {
            match self.rx.recv_timeout(TICK) {
                Ok(Message::Line { service, line }) => {
                    self.observer.log(&self.service_name(service), &line)
                }
                Ok(Message::Changed(i)) => self.changed(i),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if self.interrupted() {
                return Ok(());
            }
            for i in 0..self.locations.len() {
                self.tend_location(i);
            }
            self.tend_host_service(ServiceId::Webserver)?;
            self.tend_host_service(ServiceId::Daemon)?;
        }
    }

    /// A location's files changed: re-read its configuration and start a replacement.
    fn changed(&mut self, i: usize) {
        match crate::config::discover(&self.ws_root, crate::python::interpreter::resolve_project) {
            Ok(ws) => {
                let name = self.locations[i].project.code_location_name.clone();
                if let Some(p) = ws
                    .projects
                    .into_iter()
                    .find(|p| p.code_location_name == name)
                {
                    if let Ok(mut w) = self.watched.lock()
                        && let Some(slot) = w.get_mut(i)
                    {
                        *slot = p.clone();
                    }
                    self.locations[i].project = p;
                }
            }
            Err(e) => self.observer.event(&DevEvent::ConfigError {
                message: e.to_string(),
            }),
        }
        let ph = placeholder(&self.locations[i]);
        let mut loc = std::mem::replace(&mut self.locations[i], ph);
        self.observer.event(&DevEvent::Restarting {
            location: loc.project.code_location_name.clone(),
            reason: RestartReason::Changed,
        });
        loc.restart_started = Some(Instant::now());
        if let Some(old) = loc.replacement.take() {
            old.stop(REPLACE_GRACE);
        }
        if loc.server.is_some() && matches!(loc.state, ServerState::Listening) {
            // The running server keeps serving until the new one listens.
            let next = loc.fresh_socket();
            loc.replacement_socket = next.clone();
            match self
                .code_server_cmd(&loc.project, &next)
                .and_then(|cmd| spawn(&cmd, ServiceId::CodeServer(i), &self.tx))
            {
                Ok(s) => loc.replacement = Some(s),
                Err(e) => self.observer.event(&DevEvent::ReplacementFailed {
                    location: loc.project.code_location_name.clone(),
                    message: e.to_string(),
                }),
            }
        } else {
            if let Some(old) = loc.server.take() {
                old.stop(REPLACE_GRACE);
            }
            self.spawn_code_server(i, &mut loc);
            loc.restart_at = None;
            loc.reload_when_listening = true;
        }
        self.locations[i] = loc;
    }

    fn tend_location(&mut self, i: usize) {
        let name = self.locations[i].project.code_location_name.clone();
        // A replacement that listens takes over the location's socket.
        let mut took_over = false;
        if let Some(r) = &mut self.locations[i].replacement {
            if let Some(status) = r.exit_status() {
                let message = format!(
                    "its new code server exited ({}) before listening:\n{}",
                    describe_exit(status.code()),
                    r.tail(12)
                );
                self.locations[i].replacement = None;
                self.observer.event(&DevEvent::ReplacementFailed {
                    location: name.clone(),
                    message,
                });
            } else if UnixStream::connect(&self.locations[i].replacement_socket).is_ok() {
                took_over = true;
            }
        }
        if took_over {
            let loc = &mut self.locations[i];
            if let Some(old) = loc.server.take() {
                old.stop(REPLACE_GRACE);
            }
            let next = loc.replacement_socket.clone();
            loc.point_at(&next);
            loc.server_socket = next;
            loc.server = loc.replacement.take();
            loc.state = ServerState::Listening;
            self.reload_and_report(i);
            return;
        }
        let loc = &mut self.locations[i];
        if let Some(s) = &mut loc.server {
            if let Some(status) = s.exit_status() {
                let ran = s.started.elapsed();
                loc.crashes = if ran < QUICK_EXIT { loc.crashes + 1 } else { 1 };
                let delay = backoff(loc.crashes);
                loc.server = None;
                loc.restart_at = Some(Instant::now() + delay);
                self.observer.event(&DevEvent::Restarting {
                    location: name,
                    reason: RestartReason::Exited {
                        code: status.code(),
                    },
                });
                return;
            }
            if matches!(loc.state, ServerState::Starting)
                && UnixStream::connect(&loc.server_socket).is_ok()
            {
                loc.state = ServerState::Listening;
                if loc.reload_when_listening {
                    loc.reload_when_listening = false;
                    self.reload_and_report(i);
                }
            }
        } else if loc.restart_at.is_some_and(|t| Instant::now() >= t) {
            loc.restart_at = None;
            loc.reload_when_listening = true;
            loc.restart_started = Some(Instant::now());
            let ph = placeholder(&self.locations[i]);
            let mut loc = std::mem::replace(&mut self.locations[i], ph);
            self.spawn_code_server(i, &mut loc);
            if let ServerState::Failed(e) = &loc.state {
                self.observer.event(&DevEvent::ReplacementFailed {
                    location: loc.project.code_location_name.clone(),
                    message: e.to_string(),
                });
            }
            self.locations[i] = loc;
        }
    }

    /// Reloads location `i` in the webserver and reports what it shows.
    fn reload_and_report(&mut self, i: usize) {
        let loc = &mut self.locations[i];
        let name = loc.project.code_location_name.clone();
        let seconds = loc
            .restart_started
            .take()
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or_default();
        // Right after a restart the webserver may still hold the broken connection: retry.
        let mut status = Ok(UiStatus::Unreachable);
        for _ in 0..20 {
            status = self.client.reload(&name);
            if !matches!(status, Ok(UiStatus::Unreachable) | Err(_)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        match status {
            Ok(UiStatus::Loaded { assets }) => {
                loc.crashes = 0;
                loc.ui = UiStatus::Loaded { assets };
                self.observer.event(&DevEvent::Reloaded {
                    location: name,
                    assets,
                    seconds,
                })
            }
            Ok(UiStatus::LoadError { message }) => {
                loc.ui = UiStatus::LoadError {
                    message: message.clone(),
                };
                self.observer.event(&DevEvent::LoadFailed {
                    location: name,
                    message,
                })
            }
            Ok(_) | Err(_) => self.observer.event(&DevEvent::LoadFailed {
                location: name,
                message: "the webserver could not reach the new code server".into(),
            }),
        }
    }

    /// `<location python> -m dagster api grpc` on `socket`, as `dg list defs` runs the location:
    /// cwd = the project, its `.env` applied, its venv's `bin/` first on PATH.
    fn code_server_cmd(&self, project: &Project, socket: &Path) -> Result<Cmd> {
        if !project.interpreter.exists() {
            return Err(DevError::NoInterpreter {
                path: project.interpreter.path.clone(),
                project: project.name.clone(),
            });
        }
        let mut cmd = Cmd::new(&project.interpreter.path)
            .args(["-m", "dagster", "api", "grpc", "--socket"])
            .arg(socket)
            // A location whose code does not import still serves, with its error: the UI shows it.
            .arg("--lazy-load-user-code")
            // Runs the daemon launches through this server start with this interpreter's dagster.
            .arg("--use-python-environment-entry-point")
            .arg("--location-name")
            .arg(&project.code_location_name)
            .arg("-m")
            .arg(&project.code_location_target_module)
            .arg("-d")
            .arg(&project.working_directory)
            .arg("--log-level")
            .arg(self.opts.code_server_log_level.as_str())
            .cwd(&project.root);
        cmd = cmd.envs(location_env(project, self.settings.path.as_deref())?);
        Ok(with_platform_env(cmd, self.instance))
    }

    fn tend_host_service(&mut self, id: ServiceId) -> Result<()> {
        let svc = match id {
            ServiceId::Webserver => &mut self.webserver,
            _ => &mut self.daemon,
        };
        if let Some(s) = &mut svc.service
            && let Some(status) = s.exit_status()
        {
            let ran = s.started.elapsed();
            svc.crashes = if ran < QUICK_EXIT { svc.crashes + 1 } else { 1 };
            let tail = s.tail(15);
            svc.service = None;
            if svc.crashes >= MAX_HOST_CRASHES {
                return Err(DevError::KeepsExiting {
                    name: svc.name.to_string(),
                    crashes: svc.crashes,
                    tail,
                });
            }
            let delay = backoff(svc.crashes);
            svc.restart_at = Some(Instant::now() + delay);
            self.observer.event(&DevEvent::ServiceExited {
                service: svc.name,
                code: status.code(),
                restart_in: delay,
            });
        }
        if svc.service.is_none() && svc.restart_at.is_some_and(|t| Instant::now() >= t) {
            svc.start(&self.tx)?;
            if id == ServiceId::Webserver {
                // Its fresh workspace may have missed nothing, but make sure every location
                // shows what its server serves.
                self.webserver_restarted();
            }
        }
        Ok(())
    }

    fn webserver_restarted(&mut self) {
        for loc in &mut self.locations {
            loc.last_reload = None;
        }
    }

    /// Stops every process group; reports how long it took and what was left.
    fn shutdown(&mut self) {
        if interrupt::requested() || self.webserver.service.is_some() {
            self.observer.event(&DevEvent::Stopping);
        }
        let start = Instant::now();
        let mut all: Vec<Service> = Vec::new();
        for loc in &mut self.locations {
            all.extend(loc.server.take());
            all.extend(loc.replacement.take());
        }
        all.extend(self.webserver.service.take());
        all.extend(self.daemon.service.take());
        if all.is_empty() {
            return;
        }
        let pids: Vec<u32> = all.iter().map(Service::pid).collect();
        let grace = if interrupt::count() > 1 {
            Duration::ZERO
        } else {
            STOP_GRACE
        };
        stop_all_interruptible(&mut all, grace);
        // Drain what the services said while stopping.
        while let Ok(Message::Line { service, line }) = self.rx.try_recv() {
            self.observer.log(&self.service_name(service), &line);
        }
        let leftover = pids.into_iter().filter(|p| group_alive(*p)).count();
        self.observer
            .stopped(start.elapsed().as_secs_f64(), leftover);
    }
}

/// `stop_all`, but a second interrupt while waiting kills at once.
fn stop_all_interruptible(all: &mut [Service], grace: Duration) {
    let before = interrupt::count();
    let deadline = Instant::now() + grace;
    for s in all.iter() {
        s.signal(Sig::SIGTERM);
    }
    while Instant::now() < deadline && interrupt::count() == before {
        if all
            .iter_mut()
            .all(|s| s.exit_status().is_some() && !group_alive(s.pid()))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    stop_all(all, Duration::ZERO);
}

impl Location {
    fn fresh_socket(&mut self) -> PathBuf {
        self.generation += 1;
        self.dir
            .join(format!("{}.{}.sock", self.index, self.generation))
    }

    /// Points the location's path (a symlink) at `socket`, atomically.
    fn point_at(&self, socket: &Path) {
        let tmp = self.dir.join(format!("{}.link", self.index));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(socket, &tmp).is_ok() {
            let _ = std::fs::rename(&tmp, &self.socket);
        }
    }
}

/// A stand-in while a location is taken out of the list to be worked on.
fn placeholder(l: &Location) -> Location {
    Location {
        generation: l.generation,
        server_socket: l.server_socket.clone(),
        replacement_socket: l.replacement_socket.clone(),
        ..Location::new(l.project.clone(), l.socket.clone(), &l.dir, l.index)
    }
}

fn backoff(crashes: u32) -> Duration {
    let secs = 1u64 << crashes.saturating_sub(1).min(5);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

fn describe_exit(code: Option<i32>) -> String {
    match code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".into(),
    }
}

fn spawn(cmd: &Cmd, id: ServiceId, tx: &mpsc::Sender<Message>) -> Result<Service> {
    Service::spawn(cmd, id, tx).map_err(|source| DevError::Spawn {
        name: None,
        program: cmd.program.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_back_off() {
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(4));
        assert_eq!(backoff(20), MAX_BACKOFF);
    }
}
