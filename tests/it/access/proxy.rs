//! The authorizing proxy in front of the real dagster-webserver 1.13.27 (from a host venv the
//! harness builds once under target/, started through dg-rs's webserver entry point) with the
//! fixture's two locations in their own environments. One platform start serves every
//! assertion: requests as each role for each mutation family, allowed and refused, including
//! a GET mutation, an aliased mutation, one hidden in a fragment and one in a second
//! operation; refusals are checked against what the webserver recorded.

use crate::common::{TestContext, fixture_envs, repo_root};
use crate::graphql;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HOST_DAGSTER: &str = "1.13.27";

/// The host environment (dagster + dagster-webserver 1.13.27), built once per machine.
pub(crate) fn host_python() -> PathBuf {
    static HOST: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let host = HOST.get_or_init(|| {
        let target = repo_root().join("target");
        std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        let lock =
            std::fs::File::create(target.join("dagster-host.lock")).map_err(|e| e.to_string())?;
        lock.lock().map_err(|e| e.to_string())?;
        let venv = target.join(format!("dagster-host-{HOST_DAGSTER}"));
        let python = venv.join("bin/python");
        let works = || {
            Command::new(&python)
                .args([
                    "-c",
                    "import dagster, dagster_webserver; print(dagster.__version__)",
                ])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == HOST_DAGSTER)
        };
        if works() {
            return Ok(python);
        }
        let _ = std::fs::remove_dir_all(&venv);
        let steps: [Vec<String>; 2] = [
            vec![
                "python3".into(),
                "-m".into(),
                "venv".into(),
                venv.display().to_string(),
            ],
            vec![
                python.display().to_string(),
                "-m".into(),
                "pip".into(),
                "install".into(),
                "--disable-pip-version-check".into(),
                "-q".into(),
                format!("dagster=={HOST_DAGSTER}"),
                format!("dagster-webserver=={HOST_DAGSTER}"),
            ],
        ];
        for step in steps {
            let out = Command::new(&step[0])
                .args(&step[1..])
                .output()
                .map_err(|e| format!("could not run {}: {e}", step[0]))?;
            if !out.status.success() {
                return Err(format!(
                    "could not build the Dagster host environment ({}):\n{}\n{}",
                    step.join(" "),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        if works() {
            Ok(python)
        } else {
            Err(
                "the Dagster host environment was built but does not import dagster_webserver"
                    .into(),
            )
        }
    });
    match host {
        Ok(p) => p.clone(),
        Err(msg) => panic!("{msg}"),
    }
}

/// A child in its own process group, stopped with its group (SIGTERM, then SIGKILL).
pub(crate) struct Group(Child);

impl Group {
    pub(crate) fn spawn(cmd: &mut Command) -> Group {
        cmd.process_group(0);
        Group(cmd.spawn().expect("start a child"))
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, killpg};
        // Only the group this test started.
        let pgid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = killpg(pgid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The workspace.yaml a webserver loads the copied fixture from, each location in its own env.
pub(crate) fn workspace_yaml(ctx: &TestContext) -> PathBuf {
    let envs = fixture_envs();
    let entry = |name: &str, module: &str, python: &Path| {
        format!(
            "  - python_module:\n      location_name: {name}\n      module_name: {module}.definitions\n      \
             working_directory: {}\n      executable_path: {}\n",
            ctx.path(&format!("projects/{name}/src")).display(),
            python.display()
        )
    };
    let text = format!(
        "load_from:\n{}{}",
        entry(
            "data-engineering",
            "data_engineering",
            &envs.data_engineering
        ),
        entry("data-science", "data_science", &envs.data_science)
    );
    let path = ctx.path(".dg/workspace.yaml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// The real webserver (through python/access_webserver.py) on a free loopback port.
pub(crate) struct Webserver {
    pub(crate) port: u16,
    pub(crate) log: PathBuf,
    _group: Group,
}

pub(crate) fn start_webserver(ctx: &TestContext) -> Webserver {
    let python = host_python();
    let yaml = workspace_yaml(ctx);
    let home = ctx.path(".dg/dagster_home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("dagster.yaml"), "telemetry:\n  enabled: false\n").unwrap();
    let log = ctx.path(".dg/webserver.log");
    let port = free_port();
    let group = Group::spawn(
        Command::new(python)
            .arg(repo_root().join("python/access_webserver.py"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-w"])
            .arg(&yaml)
            .env("DAGSTER_HOME", &home)
            .current_dir(&ctx.root)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap()),
    );
    let ws = Webserver {
        port,
        log,
        _group: group,
    };
    ws.wait_loaded();
    ws
}

impl Webserver {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits until both locations are loaded (fails loudly after three minutes).
    fn wait_loaded(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let entries =
                graphql::location_entries(&self.url(), "name locationOrLoadError { __typename }");
            if entries.is_some_and(|e| graphql::all_loaded(&e, 2)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Dagster webserver did not load both locations:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// A query straight to the webserver (bypassing the proxy), for assertions.
    pub(crate) fn direct(&self, query: &str, variables: Value) -> Value {
        graphql::data(&self.url(), query, variables, &|| self.log_tail())
    }

    pub(crate) fn run_count(&self) -> u64 {
        self.direct("{ runsOrError { ... on Runs { count } } }", json!({}))["runsOrError"]["count"]
            .as_u64()
            .unwrap()
    }
}

/// `dg access proxy` in front of `upstream`, started from the workspace at `dir`.
pub(crate) struct Proxy {
    pub(crate) url: String,
    pub(crate) log: mpsc::Receiver<String>,
    _group: Group,
}

pub(crate) fn start_proxy(ctx: &TestContext, dir: &str, upstream: u16) -> Proxy {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dg"));
    command
        .args([
            "--color",
            "never",
            "access",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
        ])
        .arg(format!("127.0.0.1:{upstream}"))
        .current_dir(ctx.path(dir))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut group = Group::spawn(&mut command);
    let stderr = group.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the proxy says where it listens");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    Proxy {
        url,
        log: rx,
        _group: group,
    }
}

/// Who a request comes from.
#[derive(Clone, Copy)]
pub(crate) enum As<'a> {
    Nobody,
    Email(&'a str),
    Token(&'a str),
}

fn headers(who: As) -> Vec<(&'static str, String)> {
    match who {
        As::Nobody => vec![],
        As::Email(e) => vec![("X-Forwarded-Email", e.to_string())],
        As::Token(t) => vec![("Authorization", format!("Bearer {t}"))],
    }
}

impl Proxy {
    fn gql(&self, who: As, query: &str, variables: Value) -> (u16, Value) {
        self.gql_op(who, query, variables, None)
    }

    fn gql_op(&self, who: As, query: &str, variables: Value, op: Option<&str>) -> (u16, Value) {
        graphql::post(&self.url, &headers(who), query, variables, op).expect("reach the proxy")
    }

    /// Asserts the request was refused by the proxy (403, naming `needle`).
    fn refused(&self, who: As, query: &str, variables: Value, needle: &str) -> Value {
        let (status, v) = self.gql(who, query, variables);
        assert_eq!(status, 403, "{v}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "DG_RS_ACCESS_DENIED",
            "{v}"
        );
        let msg = v["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{needle:?} not in {msg}");
        v
    }

    /// Asserts the request reached the webserver and returns `data.<field>`.
    fn allowed(&self, who: As, query: &str, variables: Value, field: &str) -> Value {
        let (status, v) = self.gql(who, query, variables);
        assert_eq!(status, 200, "{v}");
        assert!(v.get("errors").is_none_or(Value::is_null), "{v}");
        v["data"][field].clone()
    }
}

const POLICY: &str = r#"[access]
default_role = "viewer"
admins = ["ops@example.com"]

[access.teams]
data-engineering = ["alice@example.com"]
data-science = ["carol@example.com"]

[access.locations.data-engineering]
editor = ["team:data-engineering"]
launcher = ["lara@example.com"]

[access.locations.data-science]
editor = ["team:data-science"]

[access.proxy]
tokens_file = "tokens.txt"
"#;

const ALICE: As = As::Email("alice@example.com"); // editor in data-engineering
const LARA: As = As::Email("lara@example.com"); // launcher in data-engineering
const CAROL: As = As::Email("carol@example.com"); // editor in data-science, viewer elsewhere
const OPS: As = As::Email("ops@example.com"); // admin
const BOB_TOKEN: &str = "bob-secret-token"; // bob: viewer everywhere, by bearer token

fn launch_run(location: &str, asset: &str) -> String {
    format!(
        r#"launchRun(executionParams: {{selector: {{repositoryLocationName: "{location}", repositoryName: "__repository__", jobName: "__ASSET_JOB", assetSelection: [{{path: ["{asset}"]}}]}}}}) {{ __typename ... on LaunchRunSuccess {{ run {{ runId }} }} }}"#
    )
}

#[test]
fn the_proxy_enforces_every_role_in_front_of_the_real_webserver() {
    let ctx = TestContext::with_envs();
    ctx.write("dg-rs.toml", POLICY);
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(BOB_TOKEN.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    ctx.write(
        "tokens.txt",
        &format!("# test tokens\nbob@example.com sha256:{sha}\n"),
    );
    let web = start_webserver(&ctx);
    let proxy = start_proxy(&ctx, ".", web.port);

    identities(&proxy);
    runs(&proxy, &web);
    backfills(&proxy, &web);
    schedules_and_sensors(&proxy, &web);
    assets_and_reports(&proxy, &web);
    workspace_and_locations(&proxy);
    hidden_mutations(&proxy, &web);
    subscriptions_over_the_websocket(&proxy);
    the_ui_greys_out_what_a_person_may_not_do(&proxy, &web);
    untrusted_identity_headers_are_ignored(&ctx, &web);

    // The proxy logged its refusals and allowed mutations (stderr).
    let log: Vec<String> = proxy.log.try_iter().collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("refused 403 carol@example.com POST /graphql [launchRun]")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("allowed 200 lara@example.com POST /graphql [launchRun]"))
    );
}

fn identities(proxy: &Proxy) {
    let (status, v) = proxy.gql(As::Nobody, "{ version }", json!({}));
    assert_eq!(status, 401, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("who is asking?")
    );
    let (status, _) = proxy.gql(As::Token("wrong-token"), "{ version }", json!({}));
    assert_eq!(status, 401);
    // Viewers may query, by header or by bearer token.
    for who in [CAROL, As::Token(BOB_TOKEN)] {
        let (status, v) = proxy.gql(who, "{ version }", json!({}));
        assert_eq!(status, 200, "{v}");
        assert!(v["data"]["version"].is_string(), "{v}");
    }
    // The UI's own bookkeeping is open to viewers.
    let v = proxy.allowed(
        As::Token(BOB_TOKEN),
        "mutation { setNuxSeen }",
        json!({}),
        "setNuxSeen",
    );
    assert_eq!(v, true);
    // And the UI itself (static files) is served.
    let resp = graphql::agent()
        .get(format!("{}/", proxy.url))
        .header("X-Forwarded-Email", "carol@example.com")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

fn runs(proxy: &Proxy, web: &Webserver) {
    let launch = format!(
        "mutation {{ {} }}",
        launch_run("data-engineering", "raw_orders")
    );
    let before = web.run_count();
    // carol views data-engineering: refused, naming location, roles and who grants it.
    let v = proxy.refused(
        CAROL,
        &launch,
        json!({}),
        "carol@example.com may not run `launchRun` in code location data-engineering: runs need \
         launcher, and carol@example.com has viewer there (granted in",
    );
    assert_eq!(v["errors"][0]["extensions"]["needs"], "launcher");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("launcher = lara@example.com (line 11)")
    );
    assert_eq!(web.run_count(), before, "a refused launch created a run");
    // lara is launcher there.
    let v = proxy.allowed(LARA, &launch, json!({}), "launchRun");
    assert_eq!(v["__typename"], "LaunchRunSuccess", "{v}");
    let run_id = v["run"]["runId"].as_str().unwrap().to_string();
    assert_eq!(web.run_count(), before + 1);

    // Terminate and delete find the location through the run id.
    let terminate = "mutation ($id: String!) { terminateRun(runId: $id) { __typename } }";
    proxy.refused(
        CAROL,
        terminate,
        json!({"id": run_id}),
        "in code location data-engineering",
    );
    let v = proxy.allowed(LARA, terminate, json!({"id": run_id}), "terminateRun");
    assert_ne!(v["__typename"], "UnauthorizedError", "{v}");
    let delete = "mutation ($id: String!) { deleteRun(runId: $id) { __typename } }";
    proxy.refused(
        CAROL,
        delete,
        json!({"id": run_id}),
        "`deleteRun` in code location data-engineering",
    );
    let v = proxy.allowed(LARA, delete, json!({"id": run_id}), "deleteRun");
    assert_eq!(v["__typename"], "DeletePipelineRunSuccess", "{v}");
    assert_eq!(web.run_count(), before);
    // A run id nobody knows: its location cannot be determined, so refused.
    proxy.refused(
        LARA,
        terminate,
        json!({"id": "no-such-run"}),
        "cannot be determined (there is no run `no-such-run`)",
    );
}

fn backfills(proxy: &Proxy, web: &Webserver) {
    let launch = r#"mutation { launchPartitionBackfill(backfillParams: {assetSelection: [{path: ["reports", "regional_report"]}], partitionNames: ["eu"]}) { __typename ... on LaunchBackfillSuccess { backfillId } } }"#;
    proxy.refused(
        ALICE,
        launch,
        json!({}),
        "backfills need launcher, and alice@example.com has viewer there",
    );
    let v = proxy.allowed(CAROL, launch, json!({}), "launchPartitionBackfill");
    assert_eq!(v["__typename"], "LaunchBackfillSuccess", "{v}");
    let id = v["backfillId"].as_str().unwrap().to_string();
    let cancel =
        "mutation ($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }";
    proxy.refused(
        ALICE,
        cancel,
        json!({"id": id}),
        "in code location data-science",
    );
    let v = proxy.allowed(CAROL, cancel, json!({"id": id}), "cancelPartitionBackfill");
    assert_eq!(v["__typename"], "CancelBackfillSuccess", "{v}");
    let status = web.direct(
        "query ($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }",
        json!({"id": id}),
    );
    assert_ne!(
        status["partitionBackfillOrError"]["status"], "REQUESTED",
        "{status}"
    );
}

fn schedules_and_sensors(proxy: &Proxy, web: &Webserver) {
    let schedule = json!({"s": {"repositoryLocationName": "data-engineering", "repositoryName": "__repository__", "scheduleName": "nightly_ingestion"}});
    let start = "mutation ($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) { __typename ... on ScheduleStateResult { scheduleState { id status } } } }";
    proxy.refused(
        LARA,
        start,
        schedule.clone(),
        "schedules need editor, and lara@example.com has launcher there",
    );
    let v = proxy.allowed(ALICE, start, schedule.clone(), "startSchedule");
    assert_eq!(v["scheduleState"]["status"], "RUNNING", "{v}");
    // Stopping names the schedule by id only: the proxy finds its location in the workspace.
    let id = v["scheduleState"]["id"].as_str().unwrap().to_string();
    let stop = "mutation ($id: String!) { stopRunningSchedule(id: $id) { __typename ... on ScheduleStateResult { scheduleState { status } } } }";
    proxy.refused(
        LARA,
        stop,
        json!({"id": id}),
        "`stopRunningSchedule` in code location data-engineering",
    );
    let v = proxy.allowed(ALICE, stop, json!({"id": id}), "stopRunningSchedule");
    assert_eq!(v["scheduleState"]["status"], "STOPPED", "{v}");

    let sensor = json!({"s": {"repositoryLocationName": "data-science", "repositoryName": "__repository__", "sensorName": "upstream_orders_sensor"}});
    let start = "mutation ($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename ... on Sensor { sensorState { id status } } } }";
    proxy.refused(
        ALICE,
        start,
        sensor.clone(),
        "sensors need editor, and alice@example.com has viewer there",
    );
    let v = proxy.allowed(CAROL, start, sensor, "startSensor");
    assert_eq!(v["sensorState"]["status"], "RUNNING", "{v}");
    let id = v["sensorState"]["id"].as_str().unwrap().to_string();
    let stop = "mutation ($id: String!) { stopSensor(id: $id) { __typename ... on StopSensorMutationResult { instigationState { status } } } }";
    proxy.refused(
        ALICE,
        stop,
        json!({"id": id}),
        "`stopSensor` in code location data-science",
    );
    let v = proxy.allowed(CAROL, stop, json!({"id": id}), "stopSensor");
    assert_eq!(v["instigationState"]["status"], "STOPPED", "{v}");
    let _ = web;
}

fn materializations(web: &Webserver, key: &str) -> usize {
    let v = web.direct(
        "query ($k: AssetKeyInput!) { assetOrError(assetKey: $k) { ... on Asset { assetMaterializations { timestamp } } } }",
        json!({"k": {"path": [key]}}),
    );
    v["assetOrError"]["assetMaterializations"]
        .as_array()
        .map_or(0, Vec::len)
}

fn assets_and_reports(proxy: &Proxy, web: &Webserver) {
    let report = r#"mutation { reportRunlessAssetEvents(eventParams: {eventType: ASSET_MATERIALIZATION, assetKey: {path: ["data_science_asset"]}}) { __typename } }"#;
    proxy.refused(
        ALICE,
        report,
        json!({}),
        "asset wipes and reported events need editor",
    );
    assert_eq!(materializations(web, "data_science_asset"), 0);
    let v = proxy.allowed(CAROL, report, json!({}), "reportRunlessAssetEvents");
    assert_eq!(v["__typename"], "ReportRunlessAssetEventsSuccess", "{v}");
    assert_eq!(materializations(web, "data_science_asset"), 1);

    // The REST endpoint: editor in the asset's location, the key in the path.
    let rest = |who: &str, key: &str| {
        let mut resp = graphql::agent()
            .post(format!("{}/report_asset_materialization/{key}", proxy.url))
            .header("X-Forwarded-Email", who)
            .header("Content-Type", "application/json")
            .send("{}")
            .unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    };
    let (status, body) = rest("carol@example.com", "data_engineering_asset");
    assert_eq!(status, 403, "{body}");
    assert_eq!(materializations(web, "data_engineering_asset"), 0);
    let (status, body) = rest("alice@example.com", "data_engineering_asset");
    assert_eq!(status, 200, "{body}");
    assert_eq!(materializations(web, "data_engineering_asset"), 1);
    let (status, _) = rest("alice@example.com", "");
    assert_eq!(status, 403, "a report without a key in the path is refused");

    let wipe = r#"mutation { wipeAssets(assetPartitionRanges: [{assetKey: {path: ["data_engineering_asset"]}}]) { __typename } }"#;
    proxy.refused(
        LARA,
        wipe,
        json!({}),
        "and lara@example.com has launcher there",
    );
    let v = proxy.allowed(ALICE, wipe, json!({}), "wipeAssets");
    assert_eq!(v["__typename"], "AssetWipeSuccess", "{v}");
    assert_eq!(materializations(web, "data_engineering_asset"), 0);

    // Dynamic partitions and components: editor; what the webserver answers is its business.
    let add = r#"mutation { addDynamicPartition(partitionKey: "k", partitionsDefName: "none", repositorySelector: {repositoryLocationName: "data-science", repositoryName: "__repository__"}) { __typename ... on UnauthorizedError { message } } }"#;
    proxy.refused(ALICE, add, json!({}), "dynamic partitions need editor");
    // Allowed through: the webserver answers that the location has no such definition.
    let v = proxy.allowed(CAROL, add, json!({}), "addDynamicPartition");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains("partitions definition"), "{v}");
    assert!(!message.contains("Authorization failed"), "{v}");
    let refresh = r#"mutation { refreshComponentState(defsStateKey: "k", locationName: "data-engineering") { __typename } }"#;
    proxy.refused(
        CAROL,
        refresh,
        json!({}),
        "app-managed components need editor",
    );
}

fn workspace_and_locations(proxy: &Proxy) {
    let reload = r#"mutation { reloadRepositoryLocation(repositoryLocationName: "data-science") { __typename } }"#;
    proxy.refused(
        ALICE,
        reload,
        json!({}),
        "code location reloads need editor",
    );
    let v = proxy.allowed(CAROL, reload, json!({}), "reloadRepositoryLocation");
    assert_eq!(v["__typename"], "WorkspaceLocationEntry", "{v}");

    let limit = r#"mutation { setConcurrencyLimit(concurrencyKey: "db", limit: 2) }"#;
    proxy.refused(
        CAROL,
        limit,
        json!({}),
        "workspace-wide settings are workspace-wide and need admin in every code location; \
         carol@example.com has viewer in data-engineering, editor in data-science",
    );
    proxy.refused(
        ALICE,
        "mutation { reloadWorkspace { __typename } }",
        json!({}),
        "need admin in every code location",
    );
    let v = proxy.allowed(OPS, limit, json!({}), "setConcurrencyLimit");
    assert_eq!(v, true);
}

fn hidden_mutations(proxy: &Proxy, web: &Webserver) {
    let before = web.run_count();
    let launch = launch_run("data-engineering", "raw_orders");

    // A mutation sent with GET.
    let get = |who: &str, query: &str| {
        let resp = graphql::agent()
            .get(format!("{}/graphql", proxy.url))
            .query("query", query)
            .header("X-Forwarded-Email", who)
            .call()
            .unwrap();
        resp.status().as_u16()
    };
    let reload = r#"mutation { reloadRepositoryLocation(repositoryLocationName: "data-engineering") { __typename } }"#;
    assert_eq!(get("carol@example.com", reload), 403);
    assert_eq!(get("alice@example.com", reload), 200);
    assert_eq!(
        get("carol@example.com", &format!("mutation {{ {launch} }}")),
        403
    );
    // The webserver reads the last of repeated keys, and so does the proxy.
    let resp = graphql::agent()
        .get(format!(
            "{}/graphql?query=%7Bversion%7D&query={}",
            proxy.url,
            urlencode(&format!("mutation {{ {launch} }}"))
        ))
        .header("X-Forwarded-Email", "carol@example.com")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);

    // The GraphiQL page (GET with Accept: text/html) is served, and runs nothing.
    let mut resp = graphql::agent()
        .get(format!("{}/graphql", proxy.url))
        .query("query", format!("mutation {{ {launch} }}"))
        .header("Accept", "text/html")
        .header("X-Forwarded-Email", "carol@example.com")
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.body_mut().read_to_string().unwrap().contains("<html"));

    // An alias, a fragment, an inline fragment.
    proxy.refused(
        CAROL,
        &format!("mutation {{ harmless: {launch} }}"),
        json!({}),
        "`launchRun` in code location data-engineering",
    );
    proxy.refused(
        CAROL,
        &format!(
            "mutation {{ ...Innocent }} fragment Innocent on Mutation {{ __typename {launch} }}"
        ),
        json!({}),
        "`launchRun`",
    );
    proxy.refused(
        CAROL,
        &format!("mutation {{ ... on Mutation {{ {launch} }} }}"),
        json!({}),
        "`launchRun`",
    );
    // Several operations: the one named by operationName is judged (and the only one run).
    let doc = format!("query Innocent {{ version }} mutation Hidden {{ {launch} }}");
    let (status, v) = proxy.gql_op(CAROL, &doc, json!({}), Some("Hidden"));
    assert_eq!(status, 403, "{v}");
    let (status, v) = proxy.gql_op(CAROL, &doc, json!({}), Some("Innocent"));
    assert_eq!(status, 200, "{v}");
    assert!(v["data"]["version"].is_string(), "{v}");
    let (status, _) = proxy.gql_op(CAROL, &doc, json!({}), None);
    assert_eq!(status, 400, "an ambiguous document is refused");
    // Two mutations: one refused field refuses the whole request.
    proxy.refused(
        CAROL,
        &format!("mutation {{ setNuxSeen {launch} }}"),
        json!({}),
        "`launchRun`",
    );
    // Unknown mutations are refused, whoever asks (deny by default).
    proxy.refused(
        OPS,
        "mutation { dropEverything }",
        json!({}),
        "`dropEverything` is not a mutation the access proxy knows",
    );
    assert_eq!(web.run_count(), before, "a refused request created a run");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn subscriptions_over_the_websocket(proxy: &Proxy) {
    use tungstenite::client::IntoClientRequest;
    let ws_url = format!("{}/graphql", proxy.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.clone().into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-ws".parse().unwrap());
    req.headers_mut()
        .insert("X-Forwarded-Email", "carol@example.com".parse().unwrap());
    let (mut socket, resp) = tungstenite::connect(req).expect("websocket through the proxy");
    assert_eq!(resp.status().as_u16(), 101);
    socket
        .send(tungstenite::Message::text(
            r#"{"type":"connection_init","payload":{}}"#,
        ))
        .unwrap();
    let ack = socket.read().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let _ = socket.close(None);
    // Without an identity the upgrade is refused.
    let mut req = ws_url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-ws".parse().unwrap());
    match tungstenite::connect(req) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
}

fn the_ui_greys_out_what_a_person_may_not_do(proxy: &Proxy, web: &Webserver) {
    let query = "{ permissions { permission value } workspaceOrError { ... on Workspace { locationEntries { name permissions { permission value disabledReason } } } } }";
    let pick = |data: &Value, location: &str, permission: &str| -> Value {
        data["workspaceOrError"]["locationEntries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == location)
            .and_then(|e| {
                e["permissions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["permission"] == permission)
                    .cloned()
            })
            .unwrap()
    };
    let (status, v) = proxy.gql(LARA, query, json!({}));
    assert_eq!(status, 200, "{v}");
    let data = &v["data"];
    assert_eq!(
        pick(data, "data-engineering", "launch_pipeline_execution")["value"],
        true
    );
    let start = pick(data, "data-engineering", "start_schedule");
    assert_eq!(start["value"], false);
    assert_eq!(
        start["disabledReason"],
        "dg-rs access: needs editor in data-engineering; you have launcher"
    );
    assert_eq!(
        pick(data, "data-science", "launch_pipeline_execution")["value"],
        false
    );
    let global = data["permissions"].as_array().unwrap();
    assert!(
        global
            .iter()
            .any(|p| p["permission"] == "reload_workspace" && p["value"] == false)
    );
    // The webserver itself, asked directly, is unchanged (only the proxy reaches it in a
    // deployment).
    let direct = web.direct(query, json!({}));
    assert_eq!(
        pick(&direct, "data-science", "launch_pipeline_execution")["value"],
        true
    );
    // A client cannot hand the webserver roles of its own: the proxy replaces the header.
    let (_, v) = graphql::post(
        &proxy.url,
        &[
            ("X-Forwarded-Email", "lara@example.com".into()),
            (
                "X-Dg-Rs-Roles",
                r#"{"default":"admin","locations":{}}"#.into(),
            ),
        ],
        query,
        json!({}),
        None,
    )
    .unwrap();
    assert_eq!(
        pick(&v["data"], "data-science", "launch_pipeline_execution")["value"],
        false
    );
}

fn untrusted_identity_headers_are_ignored(ctx: &TestContext, web: &Webserver) {
    // A second workspace view whose policy trusts the header only from 10.0.0.0/8: the test,
    // on loopback, is not such a peer, so its header is ignored (a token still works).
    crate::common::copy_tree(&ctx.root.join("projects"), &ctx.path("strict/projects"));
    std::fs::copy(ctx.path("dg.toml"), ctx.path("strict/dg.toml")).unwrap();
    std::fs::write(
        ctx.path("strict/dg-rs.toml"),
        POLICY.replace(
            "tokens_file = \"tokens.txt\"",
            "tokens_file = \"../tokens.txt\"\ntrusted_sources = [\"10.0.0.0/8\"]",
        ),
    )
    .unwrap();
    let strict = start_proxy(ctx, "strict", web.port);
    let (status, _) = strict.gql(OPS, "{ version }", json!({}));
    assert_eq!(status, 401, "a header from an untrusted peer was believed");
    let (status, _) = strict.gql(As::Token(BOB_TOKEN), "{ version }", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn the_classifier_table_matches_the_real_webservers_mutations() {
    // fixtures/access/mutations-1.13.27.txt is what the classifier's unit test checks its
    // table against; here it is compared with `type Mutation` of the real schema.
    let out = Command::new(host_python())
        .args([
            "-c",
            "from dagster_graphql.schema import create_schema\n\
             s = create_schema()\n\
             s = getattr(s, 'graphql_schema', s)\n\
             print('\\n'.join(sorted(s.mutation_type.fields)))",
        ])
        .output()
        .expect("run the host python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixture =
        std::fs::read_to_string(repo_root().join("fixtures/access/mutations-1.13.27.txt")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), fixture);
}
