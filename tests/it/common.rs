//! TestContext: a fixture workspace copied into a temp dir, and the real binary run in it
//! with a controlled environment and normalised output.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures")
}

pub struct TestContext {
    _temp: TempDir,
    /// Root of the copied fixture.
    pub root: PathBuf,
}

impl TestContext {
    /// Copies `fixtures/<name>` (symlinks kept as symlinks, `.venv` and data left out).
    pub fn new(fixture: &str) -> Self {
        let temp = tempfile::Builder::new()
            .prefix("dg-rs-test-")
            .tempdir()
            .expect("temp dir");
        let root = temp.path().canonicalize().unwrap().join("ws");
        copy_tree(&fixtures_dir().join(fixture), &root);
        TestContext { _temp: temp, root }
    }

    /// An empty directory, for tests that build their own files.
    pub fn empty() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("dg-rs-test-")
            .tempdir()
            .expect("temp dir");
        let root = temp.path().canonicalize().unwrap().join("ws");
        std::fs::create_dir_all(&root).unwrap();
        TestContext { _temp: temp, root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// `dg` with cwd = the workspace root and only a minimal, known environment.
    pub fn dg(&self) -> Command {
        self.dg_in(".")
    }

    pub fn dg_in(&self, rel_dir: &str) -> Command {
        self.bin_in(env!("CARGO_BIN_EXE_dg"), rel_dir)
    }

    /// Our `create-dagster`, run like `dg_in`.
    pub fn create_dagster_in(&self, rel_dir: &str) -> Command {
        self.bin_in(env!("CARGO_BIN_EXE_create-dagster"), rel_dir)
    }

    fn bin_in(&self, exe: &str, rel_dir: &str) -> Command {
        let mut cmd = Command::new(exe);
        cmd.current_dir(self.root.join(rel_dir));
        clear_env(&mut cmd);
        cmd
    }

    /// Any other program (a Python, real dg, git), run like `dg`: cwd = the workspace root
    /// and the same minimal, known environment.
    #[cfg(feature = "tier-index")]
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut cmd = clean_command(program);
        cmd.current_dir(&self.root);
        cmd
    }

    /// Snapshot settings with this context's filters (its paths, durations, run and launch
    /// ids, temp dirs), active while the returned guard lives.
    #[cfg(feature = "tier-index")]
    pub fn snapshots(&self) -> insta::internals::SettingsBindDropGuard {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(&regex_escape(&self.root.display().to_string()), "[WS]");
        for (pattern, replacement) in common_filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind_to_scope()
    }
}

/// The variables every spawned command keeps; everything else is cleared, so a developer's
/// DAGSTER_HOME, DG_RS_INSTALLER or VIRTUAL_ENV never leaks into a test.
const KEPT_VARS: &[&str] = &["PATH", "HOME", "PYENV_ROOT", "SYSTEMROOT", "TMPDIR"];

fn clear_env(cmd: &mut Command) {
    cmd.env_clear();
    for var in KEPT_VARS {
        if let Ok(v) = std::env::var(var) {
            cmd.env(var, v);
        }
    }
    cmd.env("NO_COLOR", "1");
}

/// A program run by the harness itself (provisioning), with the same minimal environment.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    clear_env_std(&mut cmd);
    cmd
}

fn clear_env_std(cmd: &mut std::process::Command) {
    cmd.env_clear();
    for var in KEPT_VARS {
        if let Ok(v) = std::env::var(var) {
            cmd.env(var, v);
        }
    }
    cmd.env("NO_COLOR", "1");
}

#[cfg(feature = "tier-index")]
fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Filters for what changes from run to run: durations, ids, temporary folders.
#[cfg(feature = "tier-index")]
pub fn common_filters() -> Vec<(String, String)> {
    vec![
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".into(),
            "[ID]".into(),
        ),
        // With the padding after them: a longer duration must not move the next column.
        (r"\b\d+\.\d+ s\b *".into(), "[DURATION] ".into()),
        // Python patch releases differ between machines; the minor is what the project asks.
        (r"\b(3\.1\d)\.\d+\b *".into(), "$1.x ".into()),
        (r"/tmp/[^\s/]+".into(), "[TMP]".into()),
    ]
}
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run dg");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".venv" || name == "data" || name == "__pycache__" {
            continue;
        }
        // What loading and running a dbt project leaves (the component fixture's env build
        // and a developer's real dg may): its artifacts and logs, Dagster's defs state.
        if name == ".local_defs_state"
            || ((name == "target" || name == "logs") && from.join("dbt_project.yml").exists())
        {
            continue;
        }
        // State dg-rs generates (the demo leaves an instance and a cache in the fixture):
        // a copy starts without it. Project `.dg/telemetry.yaml` is part of the layout.
        if from.file_name().is_some_and(|f| f == ".dg")
            && (name == "cache" || name == "dagster_home")
        {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let ft = entry.file_type().unwrap();
        if ft.is_symlink() {
            let target = std::fs::read_link(&src).unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dst).unwrap();
        } else if ft.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// What a tier's test says when the machine lacks what the tier needs: the script that
/// provides it (the suite itself never installs anything on the machine).
#[cfg(feature = "tier-index")]
pub const PROVIDED_BY: &str =
    "`bash scripts/test.sh` installs what the test tiers need and runs them";

/// The fixture workspace's real environments (data-engineering: Python 3.11 + dagster
/// 1.12.x; data-science: Python 3.12 + dagster 1.13.x), built once per machine by the
/// product's own builder (`dg sync`, from the package index: tier `tier-index`) and reused by
/// every test. Never skipped: if they cannot be made, every test that needs them fails with
/// the builder's error.
#[cfg(feature = "tier-index")]
pub struct FixtureEnvs {
    pub data_engineering: PathBuf,
    pub data_science: PathBuf,
}

#[cfg(feature = "tier-index")]
static ENVS: std::sync::OnceLock<Result<FixtureEnvs, String>> = std::sync::OnceLock::new();

#[cfg(feature = "tier-index")]
pub fn fixture_envs() -> &'static FixtureEnvs {
    let envs = ENVS.get_or_init(|| {
        let py = sync_fixture(
            "workspace",
            "the fixture environments",
            "dg-rs-fixture-envs.lock",
        )?;
        Ok(FixtureEnvs {
            data_engineering: py("data-engineering"),
            data_science: py("data-science"),
        })
    });
    match envs {
        Ok(e) => e,
        Err(msg) => panic!("{msg}"),
    }
}

/// Builds the environments of fixture workspace `fixture` with `dg sync` (once per
/// machine: test processes may race, so one builds under `lock` while the others wait);
/// gives each project's interpreter by name, or the builder's error.
#[cfg(feature = "tier-index")]
fn sync_fixture(fixture: &str, what: &str, lock: &str) -> Result<impl Fn(&str) -> PathBuf, String> {
    let ws = fixtures_dir().join(fixture);
    let lock_path = repo_root().join("target").join(lock);
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let out = clean_command(env!("CARGO_BIN_EXE_dg"))
        .args(["--color", "never", "sync"])
        .current_dir(&ws)
        .output()
        .expect("run dg sync");
    let _ = lock.unlock();
    if !out.status.success() {
        return Err(format!(
            "`dg sync` could not build {what} from the package index \
             (exit {:?}; {PROVIDED_BY}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(move |p: &str| ws.join("projects").join(p).join(".venv/bin/python"))
}

#[cfg(feature = "tier-index")]
impl TestContext {
    /// The seed workspace, copied, with each project pointed at its real environment through
    /// the `.env` key real dg honours (DG_PROJECT_PYTHON_EXECUTABLE).
    pub fn with_envs() -> Self {
        let envs = fixture_envs();
        let ctx = TestContext::new("workspace");
        ctx.write(
            "projects/data-engineering/.env",
            &format!(
                "DG_PROJECT_PYTHON_EXECUTABLE={}\n",
                envs.data_engineering.display()
            ),
        );
        ctx.write(
            "projects/data-science/.env",
            &format!(
                "DG_PROJECT_PYTHON_EXECUTABLE={}\n",
                envs.data_science.display()
            ),
        );
        ctx
    }
}

/// The component fixture's environments (`fixtures/components`: analytics with dagster
/// 1.13, dagster-dbt and dbt-duckdb; reporting with dagster 1.13), built once per machine by
/// `dg sync` in that fixture and reused by every test, as [`fixture_envs`] does for the seed.
#[cfg(feature = "tier-index")]
pub struct ComponentEnvs {
    pub analytics: PathBuf,
    pub reporting: PathBuf,
}

#[cfg(feature = "tier-index")]
static COMPONENT_ENVS: std::sync::OnceLock<Result<ComponentEnvs, String>> =
    std::sync::OnceLock::new();

#[cfg(feature = "tier-index")]
pub fn component_envs() -> &'static ComponentEnvs {
    let envs = COMPONENT_ENVS.get_or_init(|| {
        let py = sync_fixture(
            "components",
            "the component fixture's environments",
            "dg-rs-component-envs.lock",
        )?;
        Ok(ComponentEnvs {
            analytics: py("analytics"),
            reporting: py("reporting"),
        })
    });
    match envs {
        Ok(e) => e,
        Err(msg) => panic!("{msg}"),
    }
}

#[cfg(feature = "tier-index")]
impl TestContext {
    /// The component fixture, copied, each project pointed at its real environment as
    /// [`TestContext::with_envs`] does.
    pub fn with_component_envs() -> Self {
        let envs = component_envs();
        let ctx = TestContext::new("components");
        for (project, python) in [
            ("analytics", &envs.analytics),
            ("reporting", &envs.reporting),
        ] {
            ctx.write(
                &format!("projects/{project}/.env"),
                &format!("DG_PROJECT_PYTHON_EXECUTABLE={}\n", python.display()),
            );
        }
        ctx
    }
}

impl TestContext {
    /// Appends a line to a file of the copied workspace.
    pub fn append(&self, rel: &str, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path(rel))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }
}

/// Parses JSON strictly: a document with a duplicate key in any object is not accepted
/// (serde_json alone keeps the last value silently).
pub fn json(text: &str) -> serde_json::Value {
    let strict: StrictValue =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not strict JSON ({e}):\n{text}"));
    strict.0
}

struct StrictValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StrictValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_unit<E>(self) -> Result<StrictValue, E> {
                Ok(StrictValue(serde_json::Value::Null))
            }
            fn visit_none<E>(self) -> Result<StrictValue, E> {
                Ok(StrictValue(serde_json::Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<StrictValue, A::Error> {
                let mut v = Vec::new();
                while let Some(StrictValue(x)) = a.next_element()? {
                    v.push(x);
                }
                Ok(StrictValue(v.into()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<StrictValue, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some(k) = a.next_key::<String>()? {
                    let StrictValue(v) = a.next_value()?;
                    if m.insert(k.clone(), v).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
                    }
                }
                Ok(StrictValue(m.into()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Real dg (the dagster-dg-cli installed next to `env_python`), run in `dir` with its update
/// check off: the reference our output is compared with.
#[cfg(feature = "tier-index")]
pub fn real_dg(env_python: &Path, dir: &Path, args: &[&str]) -> Output {
    real_dg_with(env_python, dir, args, &[])
}

/// [`real_dg`] with more environment variables.
#[cfg(feature = "tier-index")]
pub fn real_dg_with(env_python: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let exe = env_python.parent().expect("bin folder").join("dg");
    let mut cmd = Command::new(exe);
    clear_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd
        .args(args)
        .current_dir(dir)
        .env("DAGSTER_DG_UPDATE_CHECK_ENABLED", "0"))
}

/// A null character device to write to: as root a node of its own in `dir` (mknod c 1 3),
/// so that a regression that replaces devices cannot damage the machine's `/dev/null`;
/// otherwise `/dev/null`, which only root could replace.
#[cfg(feature = "tier-index")]
pub fn null_device(dir: &Path) -> PathBuf {
    if !nix::unistd::geteuid().is_root() {
        return PathBuf::from("/dev/null");
    }
    let node = dir.join("null-device");
    nix::sys::stat::mknod(
        &node,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(1, 3),
    )
    .unwrap_or_else(|e| panic!("root makes a null device at {}: {e}", node.display()));
    node
}

/// PATH and the package-index settings `dg sync` needs for real installs.
#[cfg(feature = "tier-index")]
pub fn with_index_env(cmd: &mut Command) -> &mut Command {
    for (k, v) in std::env::vars() {
        if k.starts_with("PIP_")
            || k.starts_with("UV_")
            || k.ends_with("_proxy")
            || k == "SSL_CERT_FILE"
        {
            cmd.env(k, v);
        }
    }
    cmd
}
