//! `dg dev` against the real thing: the real webserver, daemon and one code server per
//! location of the fixture (data-engineering: Python 3.11 + dagster 1.12; data-science:
//! Python 3.12 + dagster 1.13), the host environment `dg sync` built, one instance shared
//! with `dg launch`. Everything is asserted through the webserver's GraphQL API, the files
//! the assets write, the processes left, and one real browser (headless Chromium).
//!
//! One platform start is shared by the assertions of the end-to-end test (a start costs
//! seconds of Python imports); the refusals are checked without starting Python. Every test
//! here needs the fixture environments (tier `tier-index`); the end-to-end test also needs
//! Chromium (tier `tier-browser`).

use crate::common::{TestContext, fixture_envs, fixtures_dir, run};
#[cfg(feature = "tier-browser")]
use crate::common::{clean_command, repo_root};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
#[cfg(feature = "tier-browser")]
use std::path::Path;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The host environment `dg sync` builds at the fixture's workspace root.
fn host_venv() -> PathBuf {
    fixture_envs();
    fixtures_dir().join("workspace/deployments/local/.venv")
}

/// The fixture copied, projects pointed at their real environments, and the real host
/// environment linked in as the copy's `deployments/local/.venv`.
fn dev_context() -> TestContext {
    let ctx = TestContext::with_envs();
    std::os::unix::fs::symlink(host_venv(), ctx.path("deployments/local/.venv")).unwrap();
    ctx
}

/// `dg` as a child process (the TestContext's environment), for a long-running command.
fn dg_process(ctx: &TestContext, rel_dir: &str, args: &[&str]) -> Command {
    let mut cmd = ctx.command(env!("CARGO_BIN_EXE_dg"));
    cmd.current_dir(ctx.path(rel_dir)).args(args);
    cmd
}

struct Platform {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

/// A failing test still stops its platform (dg dev stops its children on SIGTERM).
impl Drop for Platform {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
        }
    }
}

fn collect(pipe: impl std::io::Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut s = into.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
}

/// Starts `dg dev --port 0` in `rel_dir` and waits for it to print the UI's address.
fn start_dev(ctx: &TestContext, rel_dir: &str, extra: &[&str]) -> Platform {
    let mut args = vec!["dev", "--port", "0"];
    args.extend_from_slice(extra);
    let mut child = dg_process(ctx, rel_dir, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dg dev");
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    collect(child.stdout.take().unwrap(), Arc::clone(&stdout));
    collect(child.stderr.take().unwrap(), Arc::clone(&stderr));
    let start = Instant::now();
    let url = loop {
        // The address comes on stdout, the status lines after it on stderr.
        if let Some(url) = stdout
            .lock()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("Dagster UI: "))
            && stderr.lock().unwrap().contains("Ready in")
        {
            break url.trim().to_string();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "dg dev exited ({status}) before it was ready:\n{}",
                stderr.lock().unwrap()
            );
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("dg dev not ready after 300 s:\n{}", stderr.lock().unwrap());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Platform { child, url, stderr }
}

// The GraphQL views are used by the browser tier's tests only.
#[cfg_attr(not(feature = "tier-browser"), allow(dead_code))]
impl Platform {
    fn gql(&self, query: &str, variables: Value) -> Value {
        crate::graphql::data(&self.url, query, variables, &|| self.stderr())
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Polls `f` until it returns Some, or fails the test saying what was awaited.
    fn wait_for<T>(&self, what: &str, timeout: Duration, f: impl Fn(&Platform) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = f(self) {
                return v;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}; dg dev said:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// location name → (typename, message or "", dagster version or "").
    fn locations(&self) -> Vec<(String, String, String, String)> {
        let d = self.gql(
            "{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename ... on PythonError { message errorChain { error { message } } } ... on RepositoryLocation { dagsterLibraryVersions { name version } } } } } } }",
            json!({}),
        );
        d["workspaceOrError"]["locationEntries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let l = &e["locationOrLoadError"];
                let mut message = l["message"].as_str().unwrap_or_default().to_string();
                for link in l["errorChain"].as_array().into_iter().flatten() {
                    message.push('\n');
                    message.push_str(link["error"]["message"].as_str().unwrap_or_default());
                }
                let version = l["dagsterLibraryVersions"]
                    .as_array()
                    .and_then(|vs| vs.iter().find(|v| v["name"] == "dagster"))
                    .and_then(|v| v["version"].as_str())
                    .unwrap_or_default();
                (
                    e["name"].as_str().unwrap().to_string(),
                    l["__typename"].as_str().unwrap_or_default().to_string(),
                    message,
                    version.to_string(),
                )
            })
            .collect()
    }

    fn status_of(&self, location: &str) -> (String, String) {
        self.locations()
            .into_iter()
            .find(|l| l.0 == location)
            .map(|l| (l.1, l.2))
            .unwrap_or_default()
    }

    /// asset key → (location, upstream keys).
    fn assets(&self) -> Vec<(String, String, Vec<String>)> {
        let d = self.gql(
            "{ assetNodes { assetKey { path } repository { location { name } } dependencyKeys { path } } }",
            json!({}),
        );
        let key = |v: &Value| {
            v["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("/")
        };
        d["assetNodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    key(&n["assetKey"]),
                    n["repository"]["location"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    n["dependencyKeys"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(key)
                        .collect(),
                )
            })
            .collect()
    }

    fn run_status(&self, run_id: &str) -> String {
        let d = self.gql(
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
            json!({"id": run_id}),
        );
        d["runOrError"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Sends `signal` to dg; waits for it to exit. Returns (exit code, seconds, stderr).
    fn stop(mut self, signal: Signal) -> (Option<i32>, f64, String) {
        self.stop_mut(signal)
    }

    fn stop_mut(&mut self, signal: Signal) -> (Option<i32>, f64, String) {
        let start = Instant::now();
        let _ = kill(Pid::from_raw(self.child.id() as i32), signal);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return (status.code(), start.elapsed().as_secs_f64(), self.stderr());
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                panic!(
                    "dg dev did not exit within 60 s of the signal:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Every process below `root` (by parent pid, from /proc).
fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent_of = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let cmdline = std::fs::read(e.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        parent_of.push((pid, ppid, cmdline));
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, ppid, cmd) in &parent_of {
            if *ppid == p {
                out.push((*pid, cmd.clone()));
                frontier.push(*pid);
            }
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped) is not running anything.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next())
                .is_some_and(|state| state != "Z")
        })
        .unwrap_or(false)
}

/// Debian's Chromium (tier `tier-browser`). The suite never installs it: when it is missing
/// the test fails, naming the script that does.
#[cfg(feature = "tier-browser")]
fn chromium() -> PathBuf {
    let exe = PathBuf::from("/usr/bin/chromium");
    assert!(
        exe.is_file(),
        "Chromium is not installed ({} is missing; the browser tier needs Debian's chromium): {}",
        exe.display(),
        crate::common::PROVIDED_BY
    );
    exe
}

/// Headless Chromium, as root needs it, with everything that reaches the network off.
#[cfg(feature = "tier-browser")]
fn chromium_cmd(profile: &Path) -> Command {
    let mut c = clean_command(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1000",
        "--virtual-time-budget=20000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The browser: the UI's lineage graph of data_science_asset, rendered by a real Chromium,
/// shows the assets of both locations, joined across the location boundary. The screenshot
/// stays in target/dev-ui/ as the test's artifact.
#[cfg(feature = "tier-browser")]
fn browser_shows_both_locations(p: &Platform) {
    // The UI's first-visit pop-up ("Join the Dagster community") is dismissed as a user's
    // "Skip" does: the instance records it.
    p.gql("mutation { setNuxSeen }", json!({}));
    let page = format!(
        "{}/assets/data_science_asset?view=lineage&lineageScope=upstream&lineageDepth=5",
        p.url
    );
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium_cmd(&profile.path().join("a"))
        .arg("--dump-dom")
        .arg(&page)
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    for (asset, location) in [
        ("raw_orders", "data-engineering"),
        ("data_engineering_asset", "data-engineering"),
        ("data_science_asset", "data-science"),
    ] {
        assert!(
            dom.contains(asset),
            "the rendered lineage graph does not show {asset} (of {location}); page: {}",
            &dom[..dom.len().min(3000)]
        );
    }
    let dir = repo_root().join("target").join("dev-ui");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("asset-lineage.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium_cmd(&profile.path().join("b"))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&page)
        .output()
        .expect("run chromium");
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "no screenshot at {} ({size} bytes): {}",
        shot.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[cfg(feature = "tier-browser")]
const FRESH_ASSET: &str = r#"import json
import os
import sys
from pathlib import Path

import dagster as dg


@dg.asset(group_name="analytics")
def fresh_asset() -> None:
    out = Path(__file__).resolve().parents[3] / "data"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fresh_asset.json").write_text(
        json.dumps({"executable": sys.executable, "dagster": dg.__version__, "pid": os.getpid()})
    )


@dg.sensor(
    target=[fresh_asset],
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def fresh_sensor(context: dg.SensorEvaluationContext):
    return dg.RunRequest(run_key="once")
"#;

/// Needs Chromium for its last assertion: the browser tier.
#[cfg(feature = "tier-browser")]
#[test]
fn dev_serves_every_location_in_its_own_env_reloads_and_stops_leaving_nothing() {
    let ctx = dev_context();
    let envs = fixture_envs();

    // A run launched before dg dev starts, into the same instance.
    let out = run(ctx.dg().args(["launch", "--assets", "key:raw_orders"]));
    assert_eq!(out.code, 0, "dg launch: {}\n{}", out.stdout, out.stderr);

    let p = start_dev(&ctx, ".", &[]);
    assert!(p.url.starts_with("http://127.0.0.1:"), "{}", p.url);
    let ready = p.stderr();
    for (location, version) in [("data-engineering", "1.12.22"), ("data-science", "1.13.27")] {
        let line = ready
            .lines()
            .find(|l| l.trim_start().starts_with(location))
            .unwrap_or_else(|| panic!("no status line for {location}:\n{ready}"));
        assert!(
            line.contains("loaded") && line.contains(&format!("dagster {version}")),
            "{line}"
        );
    }
    assert!(ready.contains("Ready in"), "{ready}");

    // Every location loaded, each by its own Dagster version (its own interpreter).
    let locations = p.locations();
    let names: Vec<&str> = locations.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(names, ["data-engineering", "data-science"], "{locations:?}");
    for (name, typename, _, version) in &locations {
        assert_eq!(typename, "RepositoryLocation", "{name}: {locations:?}");
        let want = if name == "data-engineering" {
            "1.12.22"
        } else {
            "1.13.27"
        };
        assert_eq!(version, want, "{name}");
    }

    // The merged asset graph has the edge across the two locations.
    let assets = p.assets();
    let node = |k: &str| assets.iter().find(|a| a.0 == k).cloned();
    let ds = node("data_science_asset").expect("data_science_asset in the graph");
    let de = node("data_engineering_asset").expect("data_engineering_asset in the graph");
    assert_eq!(ds.1, "data-science");
    assert_eq!(de.1, "data-engineering");
    assert!(
        ds.2.contains(&"data_engineering_asset".to_string()),
        "{ds:?}"
    );

    // The run dg launch made is in the UI, from its location, and re-executes from there: the
    // daemon dequeues the new run and the data-engineering code server runs it.
    let runs = p.gql(
        "{ runsOrError(filter: {tags: [{key: \"dg-rs/step\", value: \"1\"}]}) { ... on Runs { results { runId status repositoryOrigin { repositoryLocationName } } } } }",
        json!({}),
    );
    let run0 = &runs["runsOrError"]["results"][0];
    assert_eq!(run0["status"], "SUCCESS", "{runs}");
    assert_eq!(
        run0["repositoryOrigin"]["repositoryLocationName"], "data-engineering",
        "{runs}"
    );
    let parent = run0["runId"].as_str().unwrap().to_string();
    let re = p.gql(
        "mutation($id: String!) { launchRunReexecution(reexecutionParams: {parentRunId: $id, strategy: ALL_STEPS}) { __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }",
        json!({"id": parent}),
    );
    let re = &re["launchRunReexecution"];
    assert_eq!(re["__typename"], "LaunchRunSuccess", "{re}");
    let child_run = re["run"]["runId"].as_str().unwrap().to_string();
    p.wait_for(
        "the re-executed run to succeed",
        Duration::from_secs(180),
        |p| {
            let s = p.run_status(&child_run);
            assert!(s != "FAILURE" && s != "CANCELED", "re-execution ended {s}");
            (s == "SUCCESS").then_some(())
        },
    );

    // An edit: a new asset and a sensor in data-science. Watch restarts only that location's
    // code server; the new asset appears without a restart of dg dev, and the daemon runs
    // the sensor's request in data-science's own environment.
    let de_pid_before = code_server_pid(&p, "data-engineering");
    ctx.write(
        "projects/data-science/src/data_science/defs/fresh.py",
        FRESH_ASSET,
    );
    p.wait_for("fresh_asset in the UI", Duration::from_secs(120), |p| {
        p.assets()
            .iter()
            .any(|a| a.0 == "fresh_asset" && a.1 == "data-science")
            .then_some(())
    });
    assert!(
        p.stderr().contains("data-science reloaded"),
        "{}",
        p.stderr()
    );
    assert_eq!(
        code_server_pid(&p, "data-engineering"),
        de_pid_before,
        "the unchanged location's code server was restarted"
    );
    let written = ctx.path("projects/data-science/data/fresh_asset.json");
    let fresh: Value = p.wait_for(
        "the sensor's run to write fresh_asset.json",
        Duration::from_secs(180),
        |_| {
            std::fs::read_to_string(&written)
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
        },
    );
    assert_eq!(fresh["dagster"], "1.13.27", "{fresh}");
    assert_eq!(
        PathBuf::from(fresh["executable"].as_str().unwrap()),
        envs.data_science,
        "the sensor's run did not execute in data-science's environment"
    );

    // A location whose code does not import is shown with its error while the other serves;
    // fixing the file brings it back.
    let broken = "projects/data-engineering/src/data_engineering/defs/broken.py";
    ctx.write(broken, "import dg_rs_no_such_module\n");
    p.wait_for(
        "data-engineering's import error in the UI",
        Duration::from_secs(120),
        |p| {
            let (t, m) = p.status_of("data-engineering");
            (t == "PythonError" && m.contains("dg_rs_no_such_module")).then_some(())
        },
    );
    assert_eq!(p.status_of("data-science").0, "RepositoryLocation");
    assert!(
        p.stderr().contains("data-engineering failed to load"),
        "{}",
        p.stderr()
    );
    std::fs::remove_file(ctx.path(broken)).unwrap();
    p.wait_for(
        "data-engineering loaded again",
        Duration::from_secs(120),
        |p| (p.status_of("data-engineering").0 == "RepositoryLocation").then_some(()),
    );

    // A code server that dies is restarted and reported.
    let victim = code_server_pid(&p, "data-science").expect("data-science's code server");
    // The code server leads its own process group, which this test's dg dev started.
    let _ = killpg(Pid::from_raw(victim as i32), Signal::SIGKILL);
    p.wait_for(
        "the dead code server to be restarted",
        Duration::from_secs(120),
        |p| {
            let pid = code_server_pid(p, "data-science")?;
            (pid != victim
                && p.stderr().contains("data-science's code server exited")
                && p.status_of("data-science").0 == "RepositoryLocation")
                .then_some(())
        },
    );

    // Inside a project, dg dev serves only that project (a second platform, same instance).
    let single = start_dev(&ctx, "projects/data-engineering", &["--no-watch"]);
    let only: Vec<String> = single.locations().into_iter().map(|l| l.0).collect();
    assert_eq!(only, ["data-engineering"]);
    let (code, _, err) = single.stop(Signal::SIGINT);
    assert_eq!(code, Some(0), "{err}");

    browser_shows_both_locations(&p);

    // Ctrl-C's sibling SIGTERM: every service stops, nothing is left, exit 0 in seconds.
    let tree = descendants(p.child.id());
    assert!(
        tree.len() >= 4,
        "expected webserver, daemon and two code servers: {tree:?}"
    );
    let (code, seconds, err) = p.stop(Signal::SIGTERM);
    assert_eq!(code, Some(0), "{err}");
    assert!(seconds < 15.0, "took {seconds:.1} s to stop:\n{err}");
    assert!(err.contains("stopped in"), "{err}");
    let left: Vec<_> = tree.iter().filter(|(pid, _)| alive(*pid)).collect();
    assert!(left.is_empty(), "left running: {left:?}");
}

/// The pid of the code server dg dev runs for `location`.
#[cfg(feature = "tier-browser")]
fn code_server_pid(p: &Platform, location: &str) -> Option<u32> {
    descendants(p.child.id())
        .into_iter()
        .find(|(_, cmd)| {
            cmd.contains(" api grpc ") && cmd.contains(&format!("--location-name {location} "))
        })
        .map(|(pid, _)| pid)
}

#[test]
fn an_older_host_is_refused_naming_both_versions() {
    let envs = fixture_envs();
    let ctx = TestContext::with_envs();
    // A real environment with dagster 1.12.22 and dagster-webserver: data-engineering's.
    let de_venv = envs.data_engineering.parent().unwrap().parent().unwrap();
    std::os::unix::fs::symlink(de_venv, ctx.path("deployments/local/.venv")).unwrap();
    let out = run(ctx.dg().args(["dev", "--port", "0"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("has dagster 1.12.22, older than location `data-science`'s dagster 1.13.27"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("hint: run `dg sync`"), "{}", out.stderr);
    assert!(
        !ctx.path(".dg/dagster_home").exists(),
        "the instance was touched"
    );
}

#[test]
fn without_deployments_local_dg_dev_says_how_to_get_one() {
    fixture_envs();
    let ctx = TestContext::with_envs();
    std::fs::remove_dir_all(ctx.path("deployments")).unwrap();
    let out = run(ctx.dg().args(["dev"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("has no deployments/local/pyproject.toml"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("dagster-webserver") && out.stderr.contains("run `dg sync`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let ctx = dev_context();
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run(ctx.dg().args(["dev", "--port", &port]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("error: port {port} on 127.0.0.1 is in use")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--port"), "{}", out.stderr);
}

#[test]
fn a_dg_dev_killed_outright_takes_every_service_with_it() {
    let ctx = dev_context();
    let mut p = start_dev(&ctx, ".", &[]);
    // The daemon starts just after ready: wait until all four services run.
    let dg = p.child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let services = loop {
        let d = descendants(dg);
        if d.iter().any(|(_, c)| c.contains("dagster._daemon")) {
            break d;
        }
        assert!(Instant::now() < deadline, "no daemon under dg dev: {d:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(services.len() >= 4, "{services:?}");
    // SIGKILL: dg-rs runs no handler, stops nobody; the kernel tells the services.
    let (code, _, _) = p.stop_mut(Signal::SIGKILL);
    assert_eq!(code, None, "killed by the signal");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left: Vec<&(u32, String)> = services.iter().filter(|(pid, _)| alive(*pid)).collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for (pid, _) in &left {
                let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGKILL);
            }
            panic!("services outlived a killed dg dev by 30 s: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn dg_sync_builds_the_host_with_the_newest_locations_dagster() {
    let host = host_venv();
    let site = std::fs::read_dir(host.join("lib"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .expect("host site-packages");
    for dist in [
        "dagster-1.13.27.dist-info",
        "dagster_webserver-1.13.27.dist-info",
    ] {
        assert!(site.join(dist).is_dir(), "{dist} not in {}", site.display());
    }
    // A second sync at the root is a no-op for the host too.
    let out = run(crate::common::TestContext::new("workspace")
        .dg()
        .current_dir(fixtures_dir().join("workspace"))
        .args(["sync", "--json"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = crate::common::json(&out.stdout);
    let host_report = report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["project"] == "deployments/local")
        .unwrap_or_else(|| panic!("no host in {report}"));
    assert_eq!(host_report["action"], "up_to_date", "{report}");
}

/// `dg dev --access`: the URL is the authorizing proxy's; the webserver behind it listens on
/// another, loopback-only port; requests are judged by the workspace's policy.
#[test]
fn dev_access_puts_the_authorizing_proxy_in_front_of_the_webserver() {
    let ctx = dev_context();
    std::fs::copy(
        fixtures_dir().join("access/dg-rs.toml"),
        ctx.path("dg-rs.toml"),
    )
    .unwrap();
    let p = start_dev(&ctx, ".", &["--access"]);
    assert!(
        p.stderr().contains("authorizing proxy on"),
        "{}",
        p.stderr()
    );
    let post = |who: Option<&str>, query: &str| -> (u16, Value) {
        let headers: Vec<(&str, String)> = who
            .map(|w| ("X-Forwarded-Email", w.to_string()))
            .into_iter()
            .collect();
        crate::graphql::post(&p.url, &headers, query, json!({}), None)
            .unwrap_or_else(|e| panic!("{e}\n{}", p.stderr()))
    };
    let launch = r#"mutation { launchRun(executionParams: {selector: {repositoryLocationName: "data-engineering", repositoryName: "__repository__", jobName: "__ASSET_JOB", assetSelection: [{path: ["raw_orders"]}]}}) { __typename } }"#;
    // Nobody: not even a query.
    let (status, _) = post(None, "{ version }");
    assert_eq!(status, 401);
    // carol may view everything, and may not launch in data-engineering.
    let (status, v) = post(Some("carol@example.com"), "{ version }");
    assert_eq!(status, 200, "{v}");
    let (status, v) = post(Some("carol@example.com"), launch);
    assert_eq!(status, 403, "{v}");
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "DG_RS_ACCESS_DENIED",
        "{v}"
    );
    // alice is editor there: the launch reaches the webserver.
    let (status, v) = post(Some("alice@example.com"), launch);
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["data"]["launchRun"]["__typename"], "LaunchRunSuccess",
        "{v}"
    );
    assert!(
        p.stderr().contains("refused 403 carol@example.com"),
        "{}",
        p.stderr()
    );
    let (code, _, stderr) = p.stop(Signal::SIGTERM);
    assert_eq!(code, Some(0), "{stderr}");
}
