//! The parts of the deployed topology, run without containers: a real PostgreSQL server,
//! one environment per location with the Postgres storage its image installs, and the host
//! environment of the webserver and daemon. Each is provisioned once and cached under
//! `target/`; a test that needs one fails loudly when it cannot be made.
//!
//! PostgreSQL comes from Debian's `postgresql` package (tier `tier-postgres`; the suite never
//! installs it: `scripts/test.sh` does). It refuses to run as root, so as root the server runs
//! as the package's `postgres` user (`setpriv`), in a temporary data folder owned by that user.

use crate::common::{fixture_envs, repo_root};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child in its own process group, stopped with its group when dropped.
pub struct Supervised {
    pub name: String,
    child: Child,
    pub log: PathBuf,
}

impl Supervised {
    pub fn start(name: &str, cmd: &mut Command, log_dir: &Path) -> Supervised {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        Supervised {
            name: name.to_string(),
            child,
            log,
        }
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, killpg};
        let pgid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = killpg(pgid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// A free TCP port on loopback (bind 0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `n` consecutive free ports (the generated workspace numbers locations from a base).
pub fn free_port_block(n: u16) -> u16 {
    for _ in 0..200 {
        let base = free_port();
        if base.checked_add(n).is_none() {
            continue;
        }
        let held: Vec<_> = (0..n)
            .map_while(|i| TcpListener::bind(("127.0.0.1", base + i)).ok())
            .collect();
        if held.len() == usize::from(n) {
            return base;
        }
    }
    panic!("no block of {n} free ports on loopback");
}

fn run_ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`, the newest). When they
/// are missing the test fails, naming the script that installs them.
fn postgres_bin() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    dirs.sort();
    match dirs.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; the postgres \
             tier needs Debian's postgresql): {}",
            crate::common::PROVIDED_BY
        ),
    }
}

/// A file lock under target/ shared by test processes.
fn lock(name: &str) -> std::fs::File {
    let p = repo_root()
        .join("target")
        .join(format!("dg-rs-{name}.lock"));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let f = std::fs::File::create(&p).unwrap();
    f.lock().unwrap();
    f
}

/// A PostgreSQL server on a free loopback port with a `dagster` database (trust auth).
pub struct Postgres {
    pub port: u16,
    pub bin: PathBuf,
    _server: Supervised,
    _dir: tempfile::TempDir,
}

pub const PG_USER: &str = "dagster";
pub const PG_DB: &str = "dagster";

impl Postgres {
    pub fn start() -> Postgres {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new()
            .prefix("dg-rs-pg-")
            .tempdir()
            .unwrap();
        let data = dir.path().join("data");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        // As root: the server runs as the package's `postgres` user, which must own its files.
        let as_user: Option<(u32, u32)> = is_root().then(|| {
            let id = |flag: &str| -> u32 {
                run_ok(Command::new("id").args([flag, "postgres"]), "id postgres")
                    .trim()
                    .parse()
                    .expect("numeric id")
            };
            (id("-u"), id("-g"))
        });
        if let Some((uid, gid)) = as_user {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
            std::os::unix::fs::chown(&run, Some(uid), Some(gid)).unwrap();
        }
        let cmd = |prog: &str| -> Command {
            let exe = bin.join(prog);
            match as_user {
                Some(_) => {
                    let mut c = Command::new("setpriv");
                    c.args([
                        "--reuid=postgres",
                        "--regid=postgres",
                        "--init-groups",
                        "--",
                    ])
                    .arg(exe);
                    c
                }
                None => Command::new(exe),
            }
        };
        run_ok(
            cmd("initdb").arg("-D").arg(&data).args([
                "-U",
                PG_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]),
            "initdb",
        );
        let port = free_port();
        let server = Supervised::start(
            "postgres",
            cmd("postgres")
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&run)
                .args([
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                ]),
            dir.path(),
        );
        let mut pg = Postgres {
            port,
            bin,
            _server: server,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(pg.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .output()
                .is_ok_and(|o| o.status.success());
            if ready {
                break;
            }
            assert!(
                pg._server.alive() && Instant::now() < deadline,
                "PostgreSQL did not start:\n{}",
                pg._server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        run_ok(
            Command::new(pg.bin.join("createdb")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                PG_USER,
                PG_DB,
            ]),
            "createdb",
        );
        pg
    }

    /// The variables the generated dagster.yaml reads.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DAGSTER_POSTGRES_HOST", "127.0.0.1".into()),
            ("DAGSTER_POSTGRES_PORT", self.port.to_string()),
            ("DAGSTER_POSTGRES_USER", PG_USER.into()),
            ("DAGSTER_POSTGRES_PASSWORD", "unused-with-trust-auth".into()),
            ("DAGSTER_POSTGRES_DB", PG_DB.into()),
        ]
    }

    /// One value from SQL (psql -tA).
    pub fn sql(&self, query: &str) -> String {
        run_ok(
            Command::new(self.bin.join("psql")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                PG_USER,
                "-d",
                PG_DB,
                "-tAc",
                query,
            ]),
            "psql",
        )
        .trim()
        .to_string()
    }
}

/// A cached venv under target/dg-rs-topology-envs/<name>-<hash of requirements>, built from
/// `base_python` with pip. Test processes wait for each other (lock); a half-built env is
/// rebuilt (the `.complete` marker is written last).
fn cached_env(name: &str, base_python: &Path, requirements: &[String]) -> PathBuf {
    let key =
        blake3::hash(format!("{}\n{}", base_python.display(), requirements.join("\n")).as_bytes())
            .to_hex()[..12]
            .to_string();
    let dir = repo_root()
        .join("target")
        .join("dg-rs-topology-envs")
        .join(format!("{name}-{key}"));
    let python = dir.join("bin/python");
    let marker = dir.join(".complete");
    if marker.is_file() {
        return python;
    }
    let _lock = lock(&format!("topology-env-{name}"));
    if marker.is_file() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    run_ok(
        Command::new(base_python).arg("-m").arg("venv").arg(&dir),
        &format!("creating the {name} environment"),
    );
    run_ok(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
            .args(requirements),
        &format!(
            "pip install into the {name} environment ({})",
            requirements.join(" ")
        ),
    );
    std::fs::write(&marker, requirements.join("\n")).unwrap();
    python
}

/// The environment a location's image would have, without the container run launchers the
/// test replaces with the default one: the project's dependencies and the Dockerfile's pins
/// (dagster-postgres matching its Dagster). Kept apart from the fixture environments so the
/// other tests see those unchanged.
pub fn location_env(location: &str, base_python: &Path, requirements: &[String]) -> PathBuf {
    cached_env(&format!("location-{location}"), base_python, requirements)
}

/// The host environment of the webserver and the daemon, built from the pins of the generated
/// host Dockerfile (minus dagster-docker, whose launcher the test replaces). To be unified with
/// `dg sync` of the workspace's `deployments/local` environment once that lands.
pub fn topology_host_env(requirements: &[String]) -> PathBuf {
    // The data-science fixture env's base interpreter is Python 3.12, like the host image.
    let base = fixture_envs().data_science.clone();
    cached_env("host", &base, requirements)
}
