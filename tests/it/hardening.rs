//! Regression tests for dg-rs used by a hostile but realistic user, as a CI system would use
//! it: special output files, modes and read-only files, read-only checkouts, concurrent and
//! interrupted launches, user code that starts processes or hangs, huge broken configs,
//! names that collide, and errors that must point at the right line.

#[cfg(feature = "tier-index")]
use crate::common::fixture_envs;
use crate::common::{TestContext, run};
#[cfg(feature = "tier-index")]
use crate::common::{clean_command, json, null_device};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
#[cfg(feature = "tier-index")]
use std::time::Instant;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// This process's umask, read without changing it.
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}

/// Python against the instance at `home`: every run as [run_id, status, launch_id], and the
/// rows of runs.db's schema version table.
#[cfg(feature = "tier-index")]
fn instance_state(home: &Path) -> serde_json::Value {
    let script = r#"
import json, os, sqlite3
from dagster import DagsterInstance
with DagsterInstance.get() as i:
    runs = [[r.run_id, r.status.value, r.tags.get("dg-rs/launch_id")] for r in i.get_runs()]
db = os.path.join(os.environ["DAGSTER_HOME"], "history", "runs.db")
rows = [r[0] for r in sqlite3.connect(db).execute("SELECT version_num FROM alembic_version")]
print(json.dumps({"runs": runs, "versions": rows}))
"#;
    let out = clean_command(&fixture_envs().data_science)
        .args(["-c", script])
        .env("DAGSTER_HOME", home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

#[cfg(feature = "tier-index")]
fn home(ctx: &TestContext) -> std::path::PathBuf {
    ctx.path(".dg/dagster_home")
}

// ---------------------------------------------------------------------------------------
// File safety
// ---------------------------------------------------------------------------------------

#[cfg(feature = "tier-index")]
#[test]
fn graph_output_streams_to_devices_and_writes_through_symlinks() {
    let ctx = TestContext::with_envs();
    assert_eq!(run(ctx.dg().args(["graph", "-o", "first.mmd"])).code, 0);
    let mermaid = std::fs::read_to_string(ctx.path("first.mmd")).unwrap();

    // A null device stays the character device it is (as root /dev/null used to become a
    // file). Root writes to a node of its own so that a regression cannot break the machine.
    let null = null_device(&ctx.path(""));
    let out = run(ctx
        .dg()
        .args(["graph", "-o", null.to_str().unwrap(), "-f", "mermaid"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ft = std::fs::symlink_metadata(&null).unwrap().file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(&ft));

    // /dev/stdout prints (and stays a symlink).
    let out = run(ctx
        .dg()
        .args(["graph", "-o", "/dev/stdout", "-f", "mermaid"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, mermaid);
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A link is written through: its target changes, the link stays.
    std::fs::write(ctx.path("target.mmd"), "old").unwrap();
    std::os::unix::fs::symlink("target.mmd", ctx.path("link.mmd")).unwrap();
    assert_eq!(run(ctx.dg().args(["graph", "-o", "link.mmd"])).code, 0);
    assert!(
        std::fs::symlink_metadata(ctx.path("link.mmd"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(ctx.path("target.mmd")).unwrap(),
        mermaid
    );
}

#[test]
fn created_files_get_the_umask_modes_and_registration_keeps_the_workspace_files_mode() {
    let ctx = TestContext::empty();
    let expected = 0o666 & !umask();
    assert_eq!(
        run(ctx.create_dagster_in(".").args(["workspace", "ws"])).code,
        0
    );
    assert_eq!(mode(&ctx.path("ws/dg.toml")), expected);
    std::fs::set_permissions(
        ctx.path("ws/dg.toml"),
        std::fs::Permissions::from_mode(0o664),
    )
    .unwrap();
    let out = run(ctx
        .create_dagster_in("ws")
        .args(["project", "projects/sales", "--no-uv-sync"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        mode(&ctx.path("ws/dg.toml")),
        0o664,
        "dg.toml keeps its mode"
    );
    for f in ["pyproject.toml", "src/sales/definitions.py"] {
        assert_eq!(
            mode(&ctx.path(&format!("ws/projects/sales/{f}"))),
            expected,
            "{f}"
        );
    }
    let out = run(ctx
        .dg_in("ws/projects/sales")
        .args(["scaffold", "defs", "asset", "orders.py"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        mode(&ctx.path("ws/projects/sales/src/sales/defs/orders.py")),
        expected
    );
}

#[test]
fn a_read_only_workspace_file_is_refused_and_the_new_project_is_removed_again() {
    let ctx = TestContext::empty();
    assert_eq!(
        run(ctx.create_dagster_in(".").args(["workspace", "ws"])).code,
        0
    );
    let dg_toml = ctx.path("ws/dg.toml");
    let before = std::fs::read_to_string(&dg_toml).unwrap();
    std::fs::set_permissions(&dg_toml, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = run(ctx
        .create_dagster_in("ws")
        .args(["project", "projects/sales", "--no-uv-sync"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is read-only"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the project was not created"),
        "{}",
        out.stderr
    );
    assert!(
        !ctx.path("ws/projects/sales").exists(),
        "nothing left behind"
    );
    assert_eq!(std::fs::read_to_string(&dg_toml).unwrap(), before);
    assert_eq!(mode(&dg_toml), 0o444);
    // Once writable, the same command works (it is not refused for a leftover tree).
    std::fs::set_permissions(&dg_toml, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(ctx
        .create_dagster_in("ws")
        .args(["project", "projects/sales", "--no-uv-sync"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[cfg(feature = "tier-index")]
#[test]
fn the_instance_and_the_cache_stay_out_of_git() {
    let ctx = TestContext::with_envs();
    let out = run(ctx.dg().args(["launch", "--assets", "key:raw_orders"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let git = |args: &[&str]| {
        let out = ctx.command("git").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    let files = git(&["ls-files"]);
    assert!(!files.contains(".dg/dagster_home"), "{files}");
    assert!(!files.contains(".dg/cache"), "{files}");
    assert!(files.contains("dg.toml"));
}

#[cfg(feature = "tier-index")]
#[test]
fn read_commands_work_in_a_read_only_checkout_with_a_per_user_cache() {
    let ctx = TestContext::with_envs();
    let cache = tempfile::tempdir().unwrap();
    // The checkout mounted read-only (as a CI system mounts it), in a mount namespace of
    // its own: writes fail with "Read-only file system", whoever dg runs as.
    let out = ctx
        .command("unshare")
        .args([
            "--mount",
            "sh",
            "-c",
            "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
        ])
        .arg(&ctx.root)
        .arg(env!("CARGO_BIN_EXE_dg"))
        .args(["list", "assets", "--json"])
        .env("XDG_CACHE_HOME", cache.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("cannot be written (Read-only file system"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&cache.path().join("dg-rs").display().to_string()),
        "{stderr}"
    );
    let assets = json(&String::from_utf8_lossy(&out.stdout));
    assert!(assets.as_array().unwrap().len() >= 5);
    assert!(
        !ctx.path(".dg/cache").exists(),
        "nothing written in the checkout"
    );
}

// ---------------------------------------------------------------------------------------
// The Dagster instance
// ---------------------------------------------------------------------------------------

#[cfg(feature = "tier-index")]
#[test]
fn concurrent_first_launches_share_one_instance_safely() {
    let ctx = TestContext::with_envs();
    // Warm the manifests, so the launches reach the instance at about the same moment.
    assert_eq!(run(ctx.dg().args(["list", "defs", "--json"])).code, 0);
    let spawn = || {
        ctx.command(env!("CARGO_BIN_EXE_dg"))
            .args(["launch", "--assets", "key:raw_orders"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [spawn(), spawn(), spawn()];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let state = instance_state(&home(&ctx));
    assert_eq!(state["versions"].as_array().unwrap().len(), 1, "{state}");
    let runs = state["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r[1] == "SUCCESS"), "{state}");
}

#[cfg(feature = "tier-index")]
#[test]
fn a_damaged_instance_is_named_with_its_repair() {
    let ctx = TestContext::with_envs();
    assert_eq!(
        run(ctx.dg().args(["launch", "--assets", "key:raw_orders"])).code,
        0
    );
    // What a creation race leaves: a second row in the version table.
    let db = home(&ctx).join("history/runs.db");
    let sql = |statement: &str| {
        let out = clean_command("sqlite3")
            .arg(&db)
            .arg(statement)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sql("INSERT INTO alembic_version VALUES ('5771160a95ad')");
    std::fs::remove_file(home(&ctx).join(".dg-rs-instance.json")).unwrap();
    let out = run(ctx.dg().args(["launch", "--assets", "key:raw_orders"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is damaged"), "{}", out.stderr);
    assert!(out.stderr.contains("runs.db holds"), "{}", out.stderr);
    let repair = "DELETE FROM alembic_version WHERE version_num <> '";
    assert!(out.stderr.contains(repair), "{}", out.stderr);
    // The repair it names works.
    let head = out
        .stderr
        .split(repair)
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    sql(&format!("{repair}{head}'"));
    let out = run(ctx.dg().args(["launch", "--assets", "key:raw_orders"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

#[cfg(feature = "tier-index")]
#[test]
fn a_read_only_dagster_home_is_a_clear_error() {
    let ctx = TestContext::with_envs();
    let home = tempfile::tempdir().unwrap();
    // DAGSTER_HOME mounted read-only (in a mount namespace of its own).
    let out = ctx
        .command("unshare")
        .args([
            "--mount",
            "sh",
            "-c",
            "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"",
        ])
        .arg(home.path())
        .arg(env!("CARGO_BIN_EXE_dg"))
        .args(["launch", "--assets", "key:raw_orders"])
        .env("DAGSTER_HOME", home.path())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert!(
        stderr.contains(&home.path().display().to_string()),
        "{stderr}"
    );
    assert!(!stderr.contains("without writing a result"), "{stderr}");
    assert!(stdout.is_empty(), "no step ran: {stdout}");
}

/// A data-engineering asset that ignores SIGINT and runs for minutes; it writes the pid of the
/// process running it to `stubborn.pid` at the workspace root.
#[cfg(feature = "tier-index")]
fn stubborn_asset(ctx: &TestContext) {
    ctx.write(
        "projects/data-engineering/src/data_engineering/defs/stubborn.py",
        "import os, pathlib, signal, time\nimport dagster as dg\n\n\n@dg.asset\ndef stubborn() -> None:\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    pathlib.Path(__file__).parents[5].joinpath(\"stubborn.pid\").write_text(str(os.getpid()))\n    time.sleep(300)\n",
    );
}

#[cfg(feature = "tier-index")]
fn wait_for(path: &Path, needle: &str, child: &mut std::process::Child, deadline: Instant) {
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(Instant::now() < deadline, "never saw `{needle}`");
        assert!(child.try_wait().unwrap().is_none(), "dg ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(feature = "tier-index")]
fn sigint(child: &std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
}

#[cfg(feature = "tier-index")]
#[test]
fn a_second_ctrl_c_ends_the_grace_period_and_the_killed_run_is_finished_in_the_instance() {
    let ctx = TestContext::with_envs();
    stubborn_asset(&ctx);
    let logs = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (logs.path().join("out"), logs.path().join("err"));
    let mut child = ctx
        .command(env!("CARGO_BIN_EXE_dg"))
        .args(["launch", "--assets", "key:stubborn"])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    wait_for(&err_path, "STEP_START stubborn", &mut child, deadline);
    let pid_file = ctx.path("stubborn.pid");
    while std::fs::read_to_string(&pid_file).is_err() {
        assert!(Instant::now() < deadline, "the asset never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let step: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    sigint(&child);
    std::thread::sleep(Duration::from_millis(500));
    let second = Instant::now();
    sigint(&child);
    // The second interrupt kills the step at once, not after the 10 s grace period (the
    // step ignores SIGINT, so only SIGKILL ends it). Measured on the step's own process,
    // not on dg's exit, which also waits for the run to be finalized in the instance.
    let step_alive = || nix::sys::signal::kill(nix::unistd::Pid::from_raw(step), None).is_ok();
    while step_alive() && second.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let step_ended = second.elapsed();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "dg did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(step_ended < Duration::from_secs(7), "{step_ended:?}");
    // One line per step, no Python tracebacks.
    assert!(!stderr.contains("Traceback"), "{stderr}");
    // The summary names the run, and the instance has it in a final state.
    let state = instance_state(&home(&ctx));
    let runs = state["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{state}");
    let run_id = runs[0][0].as_str().unwrap();
    assert_eq!(runs[0][1], "CANCELED", "{state}");
    let row = stdout.lines().find(|l| l.starts_with("1 ")).unwrap_or("");
    assert!(row.contains(run_id), "{stdout}");
    assert!(row.contains("interrupted"), "{stdout}");
}

#[cfg(feature = "tier-index")]
#[test]
fn an_interrupt_while_locations_load_is_not_lost_when_sigint_was_ignored() {
    let ctx = TestContext::with_envs();
    // A script's background job: SIGINT ignored from the start.
    let mut child = ctx
        .command("sh")
        .args(["-c", "trap '' INT; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_dg"))
        .args(["launch", "--assets", "+key:data_science_asset"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Cold: wait until a location's introspection runs.
    let root = ctx.root.display().to_string();
    loop {
        assert!(Instant::now() < deadline, "no location ever loaded");
        assert!(child.try_wait().unwrap().is_none(), "dg ended early");
        if processes(&root).iter().any(|p| p.contains("introspect.py")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing ran, nothing is left running, no scratch files are left in the cache.
    assert!(!home(&ctx).join("history").exists());
    assert!(processes(&root).is_empty(), "{:?}", processes(&root));
    let leftovers: Vec<_> = std::fs::read_dir(ctx.path(".dg/cache/manifests"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".out-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Command lines of processes that mention `needle`.
#[cfg(feature = "tier-index")]
fn processes(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        if pid == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(cmd);
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// Hangs and limits
// ---------------------------------------------------------------------------------------

#[cfg(feature = "tier-index")]
#[test]
fn a_process_started_at_import_does_not_hold_dg_and_does_not_outlive_the_load() {
    let ctx = TestContext::with_envs();
    // A marker argument no other process carries.
    let marker = format!("{}", 300 + std::process::id() % 600);
    ctx.write(
        "projects/data-science/src/data_science/defs/daemon.py",
        &format!("import subprocess\nsubprocess.Popen(['sleep', '{marker}'])\n"),
    );
    let out = run(ctx
        .dg()
        .args(["list", "defs", "--json"])
        .timeout(Duration::from_secs(120)));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(json(&out.stdout)["assets"].as_array().unwrap().len() >= 5);
    let sleepers: Vec<_> = processes(&format!("sleep {marker}"))
        .into_iter()
        .filter(|c| c.trim() == format!("sleep {marker}"))
        .collect();
    assert!(sleepers.is_empty(), "{sleepers:?}");
}

#[cfg(feature = "tier-index")]
#[test]
fn a_timeout_stops_an_interpreter_that_forks() {
    let ctx = TestContext::with_envs();
    // The location's "interpreter" is a wrapper that runs Python as its child (no exec).
    let wrapper = ctx.path("python-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\"{}\" \"$@\"\n",
            fixture_envs().data_science.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    ctx.write(
        "projects/data-science/.env",
        &format!("DG_PROJECT_PYTHON_EXECUTABLE={}\n", wrapper.display()),
    );
    ctx.write(
        "projects/data-science/src/data_science/defs/slow.py",
        "import time\ntime.sleep(300)\n",
    );
    let out = run(ctx
        .dg()
        .args(["list", "defs", "--json"])
        .env("DG_RS_LOAD_TIMEOUT", "5")
        .timeout(Duration::from_secs(120)));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("took longer than 5 s"),
        "{}",
        out.stderr
    );
    let left = processes(&ctx.root.display().to_string());
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn eighty_thousand_bad_project_entries_are_reported_in_linear_time() {
    let ctx = TestContext::empty();
    let mut text = String::from("directory_type = \"workspace\"\n\n[workspace]\n");
    for i in 0..80_000 {
        text.push_str(&format!(
            "\n[[workspace.projects]]\npath = \"projects/p{i}\"\n"
        ));
    }
    ctx.write("dg.toml", &text);
    // Quadratic reporting took about two minutes here; linear takes a second or two.
    let out = run(ctx
        .dg()
        .args(["check", "toml"])
        .timeout(Duration::from_secs(60)));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.ends_with("error: 80000 problems found\n"),
        "{}",
        &out.stderr[out.stderr.len().saturating_sub(300)..]
    );
    assert!(
        out.stderr.contains("at dg.toml:240003:8"),
        "the last entry's line"
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn a_terminal_that_reports_zero_columns_still_gets_readable_tables() {
    let ctx = TestContext::with_envs();
    assert_eq!(run(ctx.dg().args(["list", "assets", "--json"])).code, 0);
    // `script` runs dg on a pseudo-terminal whose size is 0x0, as `docker -t` in CI does.
    let dg = env!("CARGO_BIN_EXE_dg");
    let out = ctx
        .command("script")
        .args(["-qec", &format!("{dg} list assets"), "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("data_science_asset")),
        "{text}"
    );
    // COLUMNS is honoured: a narrow table wraps.
    let out = ctx
        .command("script")
        .args(["-qec", &format!("{dg} list assets"), "/dev/null"])
        .env("COLUMNS", "60")
        .output()
        .unwrap();
    let narrow = String::from_utf8_lossy(&out.stdout);
    assert!(
        narrow.lines().all(|l| l.trim_end().chars().count() <= 60),
        "{narrow}"
    );
}

// ---------------------------------------------------------------------------------------
// Scaffolding
// ---------------------------------------------------------------------------------------

#[test]
fn a_second_project_with_the_same_location_or_package_name_is_refused() {
    let ctx = TestContext::empty();
    assert_eq!(
        run(ctx.create_dagster_in(".").args(["workspace", "ws"])).code,
        0
    );
    let new = |path: &str| {
        run(ctx
            .create_dagster_in("ws")
            .args(["project", path, "--no-uv-sync"]))
    };
    assert_eq!(new("foo").code, 0);
    let before = std::fs::read_to_string(ctx.path("ws/dg.toml")).unwrap();
    let out = new("projects/foo");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("code location name `foo` is already used by the project at `foo`"),
        "{}",
        out.stderr
    );
    assert!(!ctx.path("ws/projects/foo").exists());
    assert_eq!(
        std::fs::read_to_string(ctx.path("ws/dg.toml")).unwrap(),
        before
    );
    // `my-lib` and `my_lib` are one package.
    assert_eq!(new("projects/my-lib").code, 0);
    let out = new("projects/my_lib");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("Python package `my_lib`"),
        "{}",
        out.stderr
    );
    // Every dg command still works.
    assert_eq!(run(ctx.dg_in("ws").args(["list", "projects"])).code, 0);
}

#[test]
fn names_that_shadow_python_or_dagster_are_refused() {
    let ctx = TestContext::empty();
    for name in [
        "os",
        "sys",
        "test",
        "dagster_webserver",
        "projects/-x",
        "projects/_x",
    ] {
        let out = run(ctx
            .create_dagster_in(".")
            .args(["project", name, "--no-uv-sync"]));
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert!(!ctx.path(name).exists(), "{name}");
    }
    let out = run(ctx
        .create_dagster_in(".")
        .args(["project", "os", "--no-uv-sync"]));
    assert!(out.stderr.contains("standard library"), "{}", out.stderr);
}

#[test]
fn a_very_long_project_name_loads_without_file_name_errors() {
    let ctx = TestContext::empty();
    assert_eq!(
        run(ctx.create_dagster_in(".").args(["workspace", "ws"])).code,
        0
    );
    let long = format!("p{}", "x".repeat(249));
    let out = run(ctx.create_dagster_in("ws").args([
        "project",
        &format!("projects/{long}"),
        "--no-uv-sync",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(ctx.dg_in("ws").args(["list", "defs"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stderr.contains("too long"), "{}", out.stderr);
    assert!(out.stderr.contains("dg sync"), "{}", out.stderr);
}

#[test]
fn scaffold_wording() {
    let ctx = TestContext::empty();
    let out = run(ctx.create_dagster_in(".").args(["workspace", "."]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("in the current directory"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("at .."), "{}", out.stderr);
    assert!(!out.stderr.contains("cd ."), "{}", out.stderr);
    assert_eq!(
        run(ctx
            .create_dagster_in(".")
            .args(["project", "projects/sales", "--no-uv-sync"]))
        .code,
        0
    );
    let p = "projects/sales";
    let out = run(ctx.dg_in(p).args(["scaffold", "defs", "asset", ".py"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`.py` has no file name before `.py`"),
        "{}",
        out.stderr
    );
    let out = run(ctx.dg_in(p).args([
        "scaffold",
        "defs",
        "asset_check",
        "c.py",
        "--asset-key",
        "/",
    ]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`/` is not an asset key"),
        "{}",
        out.stderr
    );
    assert!(!ctx.path("projects/sales/src/sales/defs/c.py").exists());
}

// ---------------------------------------------------------------------------------------
// Errors that point at the right place
// ---------------------------------------------------------------------------------------

#[test]
fn tool_dg_that_is_not_a_table_is_named_at_its_line() {
    let ctx = TestContext::new("workspace");
    let p = ctx.path("projects/data-science/pyproject.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let cut = text.find("[tool.dg]").unwrap();
    std::fs::write(&p, format!("{}[tool]\ndg = \"x\"\n", &text[..cut])).unwrap();
    let out = run(ctx.dg().args(["check", "toml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("`tool.dg` must be a table"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("projects/data-science/pyproject.toml:"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("has no pyproject.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreadable_project_file_is_named_with_the_reason() {
    let ctx = TestContext::new("workspace");
    let p = ctx.path("projects/data-science/pyproject.toml");
    std::fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink("pyproject.toml", &p).unwrap();
    let out = run(ctx.dg().args(["check", "toml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("projects/data-science/pyproject.toml"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Too many levels of symbolic links"),
        "{}",
        out.stderr
    );
}

#[test]
fn duplicate_code_location_names_point_at_the_lines_that_set_them() {
    let ctx = TestContext::new("workspace");
    for p in ["data-engineering", "data-science"] {
        ctx.append(
            &format!("projects/{p}/pyproject.toml"),
            "code_location_name = \"shared\"\n",
        );
    }
    let out = run(ctx.dg().args(["check", "toml"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("have the same code location name `shared`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("at projects/data-science/pyproject.toml:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("(set at projects/data-engineering/pyproject.toml:"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Smaller
// ---------------------------------------------------------------------------------------

#[cfg(feature = "tier-index")]
#[test]
fn launch_json_has_no_duplicate_keys() {
    let ctx = TestContext::with_envs();
    let out = run(ctx
        .dg()
        .args(["launch", "--json", "--assets", "+key:data_science_asset"])
        .env("DG_FIXTURE_FAIL_ASSET", "cleaned_orders"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    // `json` rejects duplicate keys (a skipped step used to carry two `dagster_version`s).
    let v = json(&out.stdout);
    assert_eq!(v["steps"][1]["status"], "skipped");
    assert_eq!(v["steps"][1]["dagster_version"], "1.13.27");
}

#[cfg(feature = "tier-index")]
#[test]
fn extra_inputs_a_file_read_at_import_refreshes_the_cache() {
    let ctx = TestContext::with_envs();
    ctx.write("projects/data-science/data-in/names.json", "[\"alpha\"]");
    ctx.write(
        "projects/data-science/src/data_science/defs/from_json.py",
        "import json, pathlib\nimport dagster as dg\n\n_ROOT = pathlib.Path(__file__).resolve().parents[3]\nfor _n in json.loads((_ROOT / 'data-in' / 'names.json').read_text()):\n    globals()[_n] = dg.asset(name=_n)(lambda: None)\n",
    );
    ctx.append(
        "projects/data-science/pyproject.toml",
        "\n[tool.dg-rs]\nextra_inputs = [\"data-in/*.json\"]\n",
    );
    let keys = || {
        let out = run(ctx.dg().args(["list", "assets", "--json"]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        json(&out.stdout)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(keys().contains(&"alpha".to_string()));
    ctx.write("projects/data-science/data-in/names.json", "[\"beta\"]");
    let now = keys();
    assert!(now.contains(&"beta".to_string()), "{now:?}");
    assert!(!now.contains(&"alpha".to_string()), "{now:?}");
}

#[cfg(feature = "tier-index")]
#[test]
fn a_broken_location_does_not_block_a_launch_that_cannot_involve_it() {
    let ctx = TestContext::with_envs();
    ctx.write(
        "projects/data-science/src/data_science/defs/broken.py",
        "import does_not_exist\n",
    );
    let out = run(ctx.dg().args(["launch", "--assets", "key:raw_orders"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("location `data-science` failed to load; launching anyway"),
        "{}",
        out.stderr
    );
    // data-engineering's assets are fine; but data-science's own asset depends on what
    // data-science declares: without it, launching that is refused.
    ctx.write(
        "projects/data-engineering/src/data_engineering/defs/broken.py",
        "import does_not_exist\n",
    );
    std::fs::remove_file(ctx.path("projects/data-science/src/data_science/defs/broken.py"))
        .unwrap();
    let out = run(ctx
        .dg()
        .args(["launch", "--assets", "key:data_science_asset"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("the plan depends on data_engineering_asset"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("data-engineering failed to load"),
        "{}",
        out.stderr
    );
}
