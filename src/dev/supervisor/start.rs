//! Start-up: the addresses, the access front, the instance, the runtime folder and
//! workspace.yaml, the webserver's and daemon's commands, then the platform is run by the
//! parent module's loop and its threads are joined.

use super::super::commands::{daemon_cmd, webserver_cmd};
use super::super::error::{DevError, Result};
use super::super::host::{HostEnv, resolve_host};
use super::super::ports::{choose_port, client_host, shown_host};
use super::super::service::Message;
use super::super::webserver::Client;
use super::super::workspace_yaml::{GrpcEntry, render};
use super::super::{DevObserver, DevOptions, ReadyReport, ServiceId, watch};
use super::{HostService, Location, Platform};
use crate::config::{Project, Workspace};
use crate::instance::{Instance, InstancePython};
use crate::process::{Cmd, interrupt};
use crate::python::scripts::Script;
use crate::settings::Settings;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;
/// Runs `dg dev` for `projects` of `ws` until interrupted.
pub(crate) fn run(
    settings: &Settings,
    ws: &Workspace,
    projects: Vec<Project>,
    opts: &DevOptions,
    observer: &dyn DevObserver,
) -> Result<()> {
    let t0 = Instant::now();
    let refs: Vec<&Project> = projects.iter().collect();
    let host = resolve_host(settings, ws, &refs)?;
    let addrs = Addresses::choose(opts)?;
    let front = bind_front(ws, opts, &addrs)?;
    observer.starting(&location_names(&projects));
    let (instance, script_dir, instance_seconds) = prepare_instance(settings, ws, &host)?;
    let runtime = Runtime::create(&projects)?;

    let watched: watch::Watched = Arc::new(Mutex::new(projects.clone()));
    let baseline: Vec<String> = projects.iter().map(watch::fingerprint_of).collect();
    let mut platform = Platform::new(
        Services {
            ws,
            host: &host,
            opts,
            settings,
            instance: &instance,
            observer,
        },
        &addrs,
        &runtime.yaml_path,
        &script_dir,
        Arc::clone(&watched),
    );
    platform.spawn_code_servers(runtime.locations);
    let stop_proxy = Arc::new(AtomicBool::new(false));
    let proxy_addrs = front
        .as_ref()
        .and_then(|(config, listener)| Some((listener.local_addr().ok()?, config.upstream)));
    let proxy = start_proxy(front, &platform.tx, &stop_proxy);
    let web_spawned = Instant::now();
    if let Err(e) = platform.webserver.start(&platform.tx) {
        platform.shutdown();
        return Err(e);
    }

    let (stop_watch, watcher) = start_watcher(opts.watch, watched, baseline, &platform.tx);

    let result = platform
        .start_up(web_spawned)
        .and_then(|(held, webserver_seconds)| {
            if platform.interrupted() {
                return Ok(());
            }
            let report = ReadyReport {
                url: addrs.url.clone(),
                port_note: addrs.port_note.clone(),
                locations: platform.location_lines(),
                dagster_home: instance.home.clone(),
                host_env: host_env_dir(&host.python),
                host_dagster: host.dagster.to_string(),
                watching: opts.watch,
                seconds: t0.elapsed().as_secs_f64(),
                webserver_seconds,
                instance_seconds,
                proxy: proxy_addrs,
            };
            platform.run_ready(&report, held)
        });
    stop_watch.store(true, Ordering::SeqCst);
    platform.shutdown();
    stop_proxy.store(true, Ordering::SeqCst);
    join_threads(proxy, watcher);
    drop(runtime.dir);
    result
}

/// What the platform's services are made from.
struct Services<'a> {
    ws: &'a Workspace,
    host: &'a HostEnv,
    opts: &'a DevOptions,
    settings: &'a Settings,
    instance: &'a Instance,
    observer: &'a dyn DevObserver,
}

impl<'a> Platform<'a> {
    /// The platform with nothing started yet and no locations.
    fn new(
        s: Services<'a>,
        addrs: &Addresses,
        yaml_path: &Path,
        script_dir: &Path,
        watched: watch::Watched,
    ) -> Platform<'a> {
        let (tx, rx) = mpsc::channel();
        Platform {
            opts: s.opts,
            settings: s.settings,
            instance: s.instance,
            observer: s.observer,
            ws_root: s.ws.root.clone(),
            webserver: HostService::webserver(
                s.ws,
                s.host,
                s.opts,
                s.instance,
                (&addrs.web_host, addrs.web_port),
                yaml_path,
                script_dir,
            ),
            daemon: HostService::daemon(s.ws, s.host, s.opts, s.instance, yaml_path),
            client: Client::new(&format!(
                "http://{}:{}",
                client_host(&addrs.web_host),
                addrs.web_port
            )),
            locations: Vec::new(),
            watched,
            tx,
            rx,
        }
    }
}

/// Where `dg dev` is reached and where the webserver listens.
struct Addresses {
    port: u16,
    port_note: Option<String>,
    url: String,
    web_host: String,
    web_port: u16,
}

impl Addresses {
    fn choose(opts: &DevOptions) -> Result<Addresses> {
        let (port, port_note) = choose_port(&opts.host, opts.port)?;
        let url = format!("http://{}:{port}", shown_host(&opts.host));
        // With --access the person-facing address is the proxy's; the webserver listens where
        // only the proxy reaches it (loopback, a free port).
        let (web_host, web_port) = if opts.access {
            (
                "127.0.0.1".to_string(),
                choose_port("127.0.0.1", Some(0))?.0,
            )
        } else {
            (opts.host.clone(), port)
        };
        Ok(Addresses {
            port,
            port_note,
            url,
            web_host,
            web_port,
        })
    }
}

type Front = (crate::access::proxy::ProxyConfig, std::net::TcpListener);

/// With `--access`: the proxy's configuration and its bound listener.
fn bind_front(ws: &Workspace, opts: &DevOptions, addrs: &Addresses) -> Result<Option<Front>> {
    if !opts.access {
        return Ok(None);
    }
    let port = addrs.port;
    let upstream: std::net::SocketAddr = ([127, 0, 0, 1], addrs.web_port).into();
    let config = crate::access::proxy_config(ws, upstream, "")?;
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&(opts.host.as_str(), port))
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| DevError::CannotListen {
            host: opts.host.clone(),
            port,
            reason: None,
        })?;
    Ok(Some((config, crate::access::proxy::bind(addr)?)))
}

/// The one instance, created or migrated by the host's Dagster (the newest of all) before
/// any service opens it; a stamp makes this free once done. Returns it, the scripts' folder
/// and how long preparing took.
fn prepare_instance(
    settings: &Settings,
    ws: &Workspace,
    host: &HostEnv,
) -> Result<(Instance, PathBuf, f64)> {
    let instance = Instance::resolve(settings, ws);
    let prepared = Instant::now();
    let mut notes = Vec::new();
    let script_dir = crate::python::scripts::materialize(&crate::workspace::cache_root(
        settings, ws, &mut notes,
    ))?;
    instance.prepare(
        &InstancePython {
            cmd: Cmd::new(&host.python).cwd(&ws.root),
            dagster_version: host.dagster.to_string(),
        },
        &script_dir,
    )?;
    Ok((instance, script_dir, prepared.elapsed().as_secs_f64()))
}

/// Sockets and the workspace file live in a private temporary folder (short paths: a Unix
/// socket path has at most 107 bytes), removed at exit.
struct Runtime {
    dir: tempfile::TempDir,
    locations: Vec<Location>,
    yaml_path: PathBuf,
}

impl Runtime {
    /// Makes the folder and writes the workspace.yaml pointing at every location's socket.
    fn create(projects: &[Project]) -> Result<Runtime> {
        let dir = tempfile::Builder::new()
            .prefix("dg-dev-")
            .tempdir()
            .map_err(DevError::TempDir)?;
        let locations: Vec<Location> = projects
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Location::new(
                    p.clone(),
                    dir.path().join(format!("{i}.sock")),
                    dir.path(),
                    i,
                )
            })
            .collect();
        let yaml_path = dir.path().join("workspace.yaml");
        let entries: Vec<GrpcEntry> = locations
            .iter()
            .map(|l| GrpcEntry {
                location_name: l.project.code_location_name.clone(),
                socket: l.socket.clone(),
                executable_path: l.project.interpreter.path.clone(),
                module_name: l.project.code_location_target_module.clone(),
                working_directory: l.project.working_directory.clone(),
            })
            .collect();
        crate::fs::write_atomic(&yaml_path, render(&entries).as_bytes())?;
        Ok(Runtime {
            dir,
            locations,
            yaml_path,
        })
    }
}

fn location_names(projects: &[Project]) -> Vec<String> {
    projects
        .iter()
        .map(|p| p.code_location_name.clone())
        .collect()
}

type ProxyThread = std::thread::JoinHandle<std::result::Result<(), crate::access::AccessError>>;

/// With `--watch`: the file watcher's thread and its stop flag (the flag either way).
fn start_watcher(
    on: bool,
    watched: watch::Watched,
    baseline: Vec<String>,
    tx: &mpsc::Sender<Message>,
) -> (Arc<AtomicBool>, Option<std::thread::JoinHandle<()>>) {
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watcher = on.then(|| watch::start(watched, baseline, tx.clone(), Arc::clone(&stop_watch)));
    (stop_watch, watcher)
}

/// Waits for the proxy's and the watcher's threads (told to stop already).
fn join_threads(proxy: Option<ProxyThread>, watcher: Option<std::thread::JoinHandle<()>>) {
    if let Some(p) = proxy {
        let _ = p.join();
    }
    if let Some(w) = watcher {
        let _ = w.join();
    }
}

/// Serves the proxy on a thread of its own until `stop` (or an interrupt).
fn start_proxy(
    front: Option<Front>,
    tx: &mpsc::Sender<Message>,
    stop_proxy: &Arc<AtomicBool>,
) -> Option<ProxyThread> {
    front.map(|(config, listener)| {
        let events = Arc::new(ProxyLines(Mutex::new(tx.clone())));
        let stop = Arc::clone(stop_proxy);
        std::thread::spawn(move || {
            crate::access::proxy::serve(
                config,
                listener,
                events,
                Arc::new(move || stop.load(Ordering::SeqCst) || interrupt::requested()),
            )
        })
    })
}

/// The host environment's folder: the interpreter's `bin/`'s parent.
fn host_env_dir(python: &Path) -> PathBuf {
    python
        .parent()
        .and_then(Path::parent)
        .unwrap_or(python)
        .to_path_buf()
}

impl HostService {
    fn webserver(
        ws: &Workspace,
        host: &HostEnv,
        opts: &DevOptions,
        instance: &Instance,
        listen: (&str, u16),
        yaml_path: &Path,
        script_dir: &Path,
    ) -> HostService {
        HostService {
            id: ServiceId::Webserver,
            name: "webserver",
            cmd: webserver_cmd(
                ws,
                host,
                opts,
                instance,
                listen,
                yaml_path,
                opts.access
                    .then(|| script_dir.join(Script::AccessWebserver.file_name())),
            ),
            service: None,
            restart_at: None,
            crashes: 0,
        }
    }

    fn daemon(
        ws: &Workspace,
        host: &HostEnv,
        opts: &DevOptions,
        instance: &Instance,
        yaml_path: &Path,
    ) -> HostService {
        HostService {
            id: ServiceId::Daemon,
            name: "daemon",
            cmd: daemon_cmd(ws, host, opts, instance, yaml_path),
            service: None,
            restart_at: None,
            crashes: 0,
        }
    }
}

/// The proxy's decisions, as log lines of the `access` service.
struct ProxyLines(Mutex<mpsc::Sender<Message>>);

impl crate::access::proxy::ProxyEvents for ProxyLines {
    /// Said once, in the ready report, before "Ready in".
    fn listening(&self, _addr: std::net::SocketAddr, _upstream: std::net::SocketAddr) {}
    fn decision(&self, d: &crate::access::proxy::Decision) {
        self.line(d.to_string());
    }
}

impl ProxyLines {
    fn line(&self, line: String) {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(Message::Line {
                service: ServiceId::Proxy,
                line,
            });
        }
    }
}
