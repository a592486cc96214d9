//! `dg deploy` on the bundled workspace: the artifacts agree with each other and with the
//! workspace (ports, names, Python minors, COPY sources), the Helm values validate against the
//! chart's published schemas, the files are reproducible, hand edits are kept, and the
//! topology runs for real: PostgreSQL, one `dagster api grpc` per location from its own
//! environment, the webserver and daemon with the generated instance, `dg launch` into it and
//! `dg launch --remote` through it.

use crate::common::{TestContext, json, repo_root, run};
#[cfg(feature = "tier-postgres")]
use crate::topology::{
    Postgres, Supervised, free_port, free_port_block, location_env, topology_host_env,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
#[cfg(feature = "tier-postgres")]
use std::process::Command;
#[cfg(feature = "tier-postgres")]
use std::time::{Duration, Instant};

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// The instructions of a Dockerfile: (instruction, rest of the line).
fn instructions(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (i, rest) = l.split_once(' ').unwrap_or((l, ""));
            (i.to_ascii_uppercase(), rest.trim().to_string())
        })
        .collect()
}

fn instruction(path: &Path, name: &str) -> Vec<String> {
    instructions(path)
        .into_iter()
        .filter(|(i, _)| i == name)
        .map(|(_, r)| r)
        .collect()
}

fn exec_form(path: &Path, name: &str) -> Vec<String> {
    let line = instruction(path, name)
        .pop()
        .unwrap_or_else(|| panic!("no {name}"));
    // HEALTHCHECK [OPTIONS] CMD [...]: the exec form after CMD.
    let line = line.split_once("CMD ").map_or(line.as_str(), |(_, r)| r);
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} is not exec form ({e}): {line}"))
}

const LOCATIONS: [(&str, &str, &str, &str); 2] = [
    (
        "data-engineering",
        "projects/data-engineering",
        "3.11",
        "0.28.22",
    ),
    ("data-science", "projects/data-science", "3.12", "0.29.27"),
];

#[test]
fn compose_artifacts_agree_with_the_workspace_and_each_other() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args(["deploy", "compose"]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("Secrets are referenced, never copied"),
        "{}",
        out.stdout
    );
    let dir = ctx.path("deployments/compose");
    let ws = yaml(&dir.join("workspace.yaml"));
    let compose = yaml(&dir.join("compose.yaml"));
    let entries = ws["load_from"].as_array().unwrap();
    assert_eq!(entries.len(), LOCATIONS.len());
    let mut ports = BTreeMap::new();
    for (entry, (name, project, minor, lib)) in entries.iter().zip(LOCATIONS) {
        let g = &entry["grpc_server"];
        assert_eq!(g["location_name"], name);
        assert_eq!(g["host"], name, "host = the compose service");
        let port = g["port"].as_u64().unwrap();
        ports.insert(name, port);
        let dockerfile = ctx.path(project).join("Dockerfile");
        // The location's own Python minor.
        assert_eq!(
            instruction(&dockerfile, "FROM"),
            vec![format!("python:{minor}-slim")]
        );
        // Every COPY source exists in the build context (the project).
        for copy in instruction(&dockerfile, "COPY") {
            let words: Vec<&str> = copy.split_whitespace().collect();
            for src in &words[..words.len() - 1] {
                assert!(
                    ctx.path(project).join(src).exists(),
                    "COPY {src} in {project}"
                );
            }
        }
        // Pins match the location's Dagster; the server listens on the workspace port.
        let run_line = instruction(&dockerfile, "RUN").join("\n");
        for p in ["dagster-postgres", "dagster-docker", "dagster-k8s"] {
            assert!(run_line.contains(&format!("{p}=={lib}")), "{run_line}");
        }
        let cmd = exec_form(&dockerfile, "CMD");
        let p = cmd.iter().position(|a| a == "-p").unwrap();
        assert_eq!(cmd[p + 1], port.to_string());
        assert_eq!(instruction(&dockerfile, "EXPOSE"), vec![port.to_string()]);
        let health = exec_form(&dockerfile, "HEALTHCHECK");
        assert!(
            health.ends_with(&["-p".to_string(), port.to_string()]),
            "{health:?}"
        );
        // .env stays out of the image.
        let ignore = std::fs::read_to_string(ctx.path(project).join(".dockerignore")).unwrap();
        assert!(ignore.lines().any(|l| l == ".env"));
        // Compose: the service is built from that project and runs its image.
        let svc = &compose["services"][name];
        let context = dir.join(svc["build"]["context"].as_str().unwrap());
        assert_eq!(
            context.canonicalize().unwrap(),
            ctx.path(project).canonicalize().unwrap()
        );
        assert_eq!(svc["environment"]["DAGSTER_CURRENT_IMAGE"], svc["image"]);
        let env_file = dir.join(svc["env_file"][0]["path"].as_str().unwrap());
        assert_eq!(
            env_file
                .parent()
                .unwrap()
                .canonicalize()
                .unwrap()
                .join(env_file.file_name().unwrap()),
            ctx.path(project).canonicalize().unwrap().join(".env")
        );
    }
    assert_eq!(
        ports
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        2
    );
    let host = instruction(&dir.join("Dockerfile"), "RUN").join(" ");
    assert!(host.contains("dagster==1.13.27") && host.contains("dagster-postgres==0.29.27"));
    // The instance: Postgres storage from the environment, queued coordinator, docker launcher
    // on the compose network.
    let instance = yaml(&dir.join("dagster.yaml"));
    assert_eq!(
        instance["storage"]["postgres"]["postgres_db"]["password"]["env"],
        "DAGSTER_POSTGRES_PASSWORD"
    );
    assert_eq!(instance["run_coordinator"]["class"], "QueuedRunCoordinator");
    assert_eq!(instance["run_launcher"]["class"], "DockerRunLauncher");
    let network = instance["run_launcher"]["config"]["network"]
        .as_str()
        .unwrap();
    assert_eq!(compose["networks"]["dagster"]["name"], network);
}

/// The retriever that serves the Kubernetes definitions offline.
struct LocalKubernetes(Value);

impl jsonschema::Retrieve for LocalKubernetes {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().ends_with("/_definitions.json") {
            Ok(self.0.clone())
        } else {
            Err(format!("no network: {uri}").into())
        }
    }
}

fn strip_required(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("required");
            m.values_mut().for_each(strip_required);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_required),
        _ => {}
    }
}

fn validate(schema: &Value, instance: &Value, what: &str) {
    let k8s = json(
        &std::fs::read_to_string(repo_root().join("tests/data/helm/kubernetes-definitions.json"))
            .unwrap(),
    );
    for draft in [jsonschema::Draft::Draft7, jsonschema::Draft::Draft202012] {
        let v = jsonschema::options()
            .with_draft(draft)
            .with_retriever(LocalKubernetes(k8s.clone()))
            .build(schema)
            .unwrap_or_else(|e| panic!("{what}: schema does not compile: {e}"));
        let errors: Vec<String> = v
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} ({draft:?}):\n{}",
            errors.join("\n")
        );
    }
}

#[test]
fn helm_values_validate_against_the_charts_published_schemas() {
    let ctx = TestContext::new("workspace");
    let out = run(ctx.dg().args([
        "deploy",
        "helm",
        "--registry",
        "ghcr.io/acme",
        "--tag",
        "2026.12.1",
    ]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let values = yaml(&ctx.path("deployments/helm/values.yaml"));
    let data = repo_root().join("tests/data/helm");
    let root = json(&std::fs::read_to_string(data.join("dagster.values.schema.json")).unwrap());
    let sub = json(
        &std::fs::read_to_string(data.join("dagster-user-deployments.values.schema.json")).unwrap(),
    );
    // Maps merge with the chart's defaults (which satisfy `required`): lifted.
    let (mut root_open, mut sub_open) = (root.clone(), sub.clone());
    strip_required(&mut root_open);
    strip_required(&mut sub_open);
    validate(&root_open, &values, "values.yaml against the dagster chart");
    validate(
        &sub_open,
        &values["dagster-user-deployments"],
        "the subchart section",
    );
    // Lists replace the chart's: each deployment must be complete on its own.
    let deployments = values["dagster-user-deployments"]["deployments"]
        .as_array()
        .unwrap();
    for d in deployments {
        let item = serde_json::json!({"$ref": "#/definitions/UserDeployment", "definitions": root["definitions"]});
        validate(&item, d, "a deployment (root chart)");
        let item = serde_json::json!({"$ref": "#/$defs/UserDeployment", "$defs": sub["$defs"]});
        validate(&item, d, "a deployment (subchart)");
    }
    // Names, ports, images and grpc args agree with the Dockerfiles.
    for (d, (name, project, _, _)) in deployments.iter().zip(LOCATIONS) {
        assert_eq!(d["name"], name);
        assert_eq!(d["image"]["repository"], format!("ghcr.io/acme/{name}"));
        assert_eq!(d["image"]["tag"], "2026.12.1");
        assert_eq!(d["envSecrets"][0]["name"], format!("{name}-env"));
        let cmd = exec_form(&ctx.path(project).join("Dockerfile"), "CMD");
        let p = cmd.iter().position(|a| a == "-p").unwrap();
        assert_eq!(d["port"].as_u64().unwrap().to_string(), cmd[p + 1]);
        let args: Vec<String> = serde_json::from_value(d["dagsterApiGrpcArgs"].clone()).unwrap();
        assert_eq!(
            args,
            cmd[p + 2..].to_vec(),
            "the chart appends these to `dagster api grpc -h 0.0.0.0 -p PORT`"
        );
    }
    assert_eq!(values["runLauncher"]["type"], "K8sRunLauncher");
    // A schema violation is caught: an unknown key where the chart forbids them.
    let mut bad = values.clone();
    bad["dagsterWebserver"]["imagee"] = "x".into();
    let k8s = json(&std::fs::read_to_string(data.join("kubernetes-definitions.json")).unwrap());
    let v = jsonschema::options()
        .with_retriever(LocalKubernetes(k8s))
        .build(&root_open)
        .unwrap();
    assert!(!v.is_valid(&bad));
    // The script builds and pushes every image with the one tag.
    let script = std::fs::read_to_string(ctx.path("deployments/helm/build-images.sh")).unwrap();
    assert!(script.starts_with("#!/bin/sh\n"));
    for (name, project, _, _) in LOCATIONS {
        assert!(
            script.contains(&format!(
                "docker build -t ghcr.io/acme/{name}:2026.12.1 {project}"
            )),
            "{script}"
        );
        assert!(script.contains(&format!("docker push ghcr.io/acme/{name}:2026.12.1")));
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(ctx.path("deployments/helm/build-images.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "the script is executable");
}

fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for rel in [
        "projects/data-engineering/Dockerfile",
        "projects/data-engineering/.dockerignore",
        "projects/data-science/Dockerfile",
        "deployments/compose/compose.yaml",
        "deployments/compose/dagster.yaml",
        "deployments/compose/workspace.yaml",
        "deployments/compose/Dockerfile",
    ] {
        out.insert(
            rel.to_string(),
            std::fs::read_to_string(root.join(rel)).unwrap(),
        );
    }
    out
}

#[test]
fn generation_is_reproducible_check_tells_and_hand_edits_are_kept() {
    let a = TestContext::new("workspace");
    let b = TestContext::new("workspace");
    assert_eq!(run(a.dg().args(["deploy", "compose"])).code, 0);
    assert_eq!(run(b.dg().args(["deploy", "compose"])).code, 0);
    // Same workspace (in another folder), same bytes.
    assert_eq!(tree(&a.root), tree(&b.root));
    // In step: --check passes and a second run writes nothing.
    let check = run(a.dg().args(["deploy", "compose", "--check"]));
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(
        check
            .stdout
            .contains("All 8 files of the compose deployment are in step")
    );
    let again = run(a.dg().args(["deploy", "compose"]));
    assert!(
        again.stdout.starts_with("Checked 8 files"),
        "{}",
        again.stdout
    );
    // The workspace changes (a new Dagster for data-science): --check fails and names the files.
    let pyproject = a.path("projects/data-science/pyproject.toml");
    let text = std::fs::read_to_string(&pyproject).unwrap();
    std::fs::write(
        &pyproject,
        text.replace("dagster==1.13.27", "dagster==1.13.26"),
    )
    .unwrap();
    let check = run(a.dg().args(["deploy", "compose", "--check"]));
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check
            .stdout
            .contains("out of date     projects/data-science/Dockerfile"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("+RUN pip install --no-cache-dir . dagster-postgres==0.29.26"),
        "{}",
        check.stdout
    );
    assert!(
        check.stderr.contains("not in step with the workspace"),
        "{}",
        check.stderr
    );
    // A hand edit is never overwritten without --force: nothing is written, the diff is shown.
    let dockerfile = a.path("projects/data-engineering/Dockerfile");
    let mut edited = std::fs::read_to_string(&dockerfile).unwrap();
    edited.push_str("RUN apt-get update && apt-get install -y libpq5\n");
    std::fs::write(&dockerfile, &edited).unwrap();
    let refused = run(a.dg().args(["deploy", "compose"]));
    assert_eq!(refused.code, 2, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("edited by hand, so nothing was written"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stdout
            .contains("-RUN apt-get update && apt-get install -y libpq5"),
        "{}",
        refused.stdout
    );
    assert_eq!(std::fs::read_to_string(&dockerfile).unwrap(), edited);
    assert!(
        std::fs::read_to_string(a.path("projects/data-science/Dockerfile"))
            .unwrap()
            .contains("0.29.27"),
        "all or nothing"
    );
    let check = run(a.dg().args(["deploy", "compose", "--check"]));
    assert!(
        check
            .stdout
            .contains("edited by hand  projects/data-engineering/Dockerfile"),
        "{}",
        check.stdout
    );
    let forced = run(a.dg().args(["deploy", "compose", "--force"]));
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(
        forced
            .stdout
            .contains("replaced (--force) projects/data-engineering/Dockerfile"),
        "{}",
        forced.stdout
    );
    assert_eq!(run(a.dg().args(["deploy", "compose", "--check"])).code, 0);
}

#[test]
fn helm_refuses_a_location_name_kubernetes_cannot_use() {
    let ctx = TestContext::new("workspace");
    ctx.append(
        "projects/data-engineering/pyproject.toml",
        "code_location_name = \"data_engineering\"\n",
    );
    let out = run(ctx.dg().args(["deploy", "helm"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("location name `data_engineering` is not a valid Kubernetes name"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("DNS-1035"), "{}", out.stderr);
    assert!(
        out.stderr.contains("pyproject.toml:"),
        "names the file and line: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("set `code_location_name = \"data-engineering\"`"),
        "{}",
        out.stderr
    );
    assert!(!ctx.path("deployments/helm").exists(), "nothing written");
    // Compose accepts the name (a valid service and host name).
    assert_eq!(run(ctx.dg().args(["deploy", "compose"])).code, 0);
}

#[test]
fn secrets_in_a_projects_dotenv_are_referenced_never_copied() {
    let ctx = TestContext::new("workspace");
    ctx.write(
        "projects/data-science/.env",
        "WAREHOUSE_PASSWORD=hunter2-very-secret\n",
    );
    for target in ["compose", "helm"] {
        let out = run(ctx.dg().args(["deploy", target]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stdout.contains("hunter2"));
        assert!(
            out.stdout.contains("projects/data-science/.env ->"),
            "{}",
            out.stdout
        );
    }
    let helm = run(ctx.dg().args(["deploy", "helm"]));
    assert!(helm.stdout.contains("kubectl create secret generic data-science-env --from-env-file=projects/data-science/.env"), "{}", helm.stdout);
    for entry in ignore::WalkBuilder::new(&ctx.root)
        .hidden(false)
        .build()
        .flatten()
    {
        let p = entry.path();
        if p.is_file() && !p.ends_with(".env") {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            assert!(
                !text.contains("hunter2"),
                "secret copied into {}",
                p.display()
            );
        }
    }
}

// ---- The topology, run for real without containers (tier `tier-postgres`) -----------------

#[cfg(feature = "tier-postgres")]
fn graphql(url: &str, query: &str) -> Value {
    crate::graphql::data(url, query, serde_json::json!({}), &String::new)
}

/// The project's `[project] dependencies` (the image installs them with the project).
#[cfg(feature = "tier-postgres")]
fn project_dependencies(project: &Path) -> Vec<String> {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(project.join("pyproject.toml"))
        .unwrap()
        .parse()
        .unwrap();
    doc["project"]["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

/// `RUN pip install --no-cache-dir a b c` → the requirements, minus `.` and the container
/// launchers the test swaps out.
#[cfg(feature = "tier-postgres")]
fn dockerfile_pins(dockerfile: &Path) -> Vec<String> {
    instruction(dockerfile, "RUN")
        .iter()
        .filter_map(|r| r.strip_prefix("pip install --no-cache-dir "))
        .flat_map(|r| r.split_whitespace().map(str::to_string))
        .filter(|r| r != "." && !r.starts_with("dagster-docker") && !r.starts_with("dagster-k8s"))
        .collect()
}

/// A policy for the bundled workspace: everyone views, the CI identity launches in both
/// locations, bob (by token) only views.
const POLICY: &str = r#"[access]
default_role = "viewer"

[access.locations.data-engineering]
launcher = ["ci@example.com"]

[access.locations.data-science]
launcher = ["ci@example.com"]

[access.proxy]
tokens_file = "access-tokens"
"#;
const CI_TOKEN: &str = "ci-secret-token";
const BOB_TOKEN: &str = "bob-secret-token";

fn with_policy(ctx: &TestContext) {
    use sha2::Digest;
    let hash = |t: &str| {
        sha2::Sha256::digest(t.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    ctx.write("dg-rs.toml", POLICY);
    ctx.write(
        "access-tokens",
        &format!(
            "ci@example.com sha256:{}\nbob@example.com sha256:{}\n",
            hash(CI_TOKEN),
            hash(BOB_TOKEN)
        ),
    );
}

#[test]
fn compose_with_access_puts_the_proxy_in_front_of_a_loopback_webserver() {
    let ctx = TestContext::new("workspace");
    // Without a policy there is nothing to enforce: a configuration error, nothing written.
    let out = run(ctx.dg().args(["deploy", "compose", "--access"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("has no [access] table"),
        "{}",
        out.stderr
    );
    assert!(!ctx.path("deployments/compose").exists());
    // Helm has no such option (its webserver has no sidecars; README, "Deploying").
    let out = run(ctx.dg().args(["deploy", "helm", "--access"]));
    assert_eq!(out.code, 2, "{}", out.stderr);

    with_policy(&ctx);
    ctx.write("projects/data-science/.env", "SECRET_TOKEN=do-not-copy\n");
    let out = run(ctx.dg().args(["deploy", "compose", "--access"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("DG_RS_BINARY="), "{}", out.stdout);
    assert!(
        out.stdout.contains("behind the access proxy"),
        "{}",
        out.stdout
    );
    let dir = ctx.path("deployments/compose");
    let compose = yaml(&dir.join("compose.yaml"));
    let services = &compose["services"];
    let web: Vec<String> =
        serde_json::from_value(services["dagster-webserver"]["entrypoint"].clone()).unwrap();
    assert_eq!(&web[1..5], ["-h", "127.0.0.1", "-p", "3001"], "{web:?}");
    let proxy = &services["dagster-access-proxy"];
    assert_eq!(proxy["network_mode"], "service:dagster-webserver");
    assert!(proxy.get("ports").is_none() && proxy.get("networks").is_none());
    let entry: Vec<String> = serde_json::from_value(proxy["entrypoint"].clone()).unwrap();
    assert_eq!(
        entry,
        [
            "dg",
            "access",
            "proxy",
            "--listen",
            "0.0.0.0:3000",
            "--upstream",
            "127.0.0.1:3001"
        ]
    );
    // The only published port is the one the proxy listens on.
    let published: Vec<&Value> = services
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| s.get("ports"))
        .collect();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0][0], "3000:3000");
    // Its mounts: the dg binary, and exactly the policy files, read-only, at their place
    // under /workspace; no .env.
    let mounts: Vec<String> = serde_json::from_value(proxy["volumes"].clone()).unwrap();
    assert!(
        mounts[0].starts_with("${DG_RS_BINARY:?") && mounts[0].ends_with(":/usr/local/bin/dg:ro")
    );
    let mut inside = Vec::new();
    for m in &mounts[1..] {
        let parts: Vec<&str> = m.split(':').collect();
        assert_eq!(parts.len(), 3, "{m}");
        assert_eq!(parts[2], "ro", "{m}");
        let host = dir.join(parts[0]).canonicalize().unwrap();
        let rel = host
            .strip_prefix(ctx.path("").canonicalize().unwrap())
            .unwrap();
        assert_eq!(
            Path::new("/workspace").join(rel),
            Path::new(parts[1]),
            "{m}"
        );
        inside.push(rel.display().to_string());
    }
    inside.sort();
    assert_eq!(
        inside,
        [
            "access-tokens",
            "dg-rs.toml",
            "dg.toml",
            "projects/data-engineering/pyproject.toml",
            "projects/data-science/pyproject.toml"
        ]
    );
    assert!(
        !std::fs::read_to_string(dir.join("compose.yaml"))
            .unwrap()
            .contains("do-not-copy")
    );
    // --check knows which variant is on disk.
    assert_eq!(
        run(ctx.dg().args(["deploy", "compose", "--access", "--check"])).code,
        0
    );
    let plain = run(ctx.dg().args(["deploy", "compose", "--check"]));
    assert_eq!(plain.code, 1, "{}", plain.stdout);
    assert!(plain.stdout.contains("compose.yaml"), "{}", plain.stdout);
}

#[cfg(feature = "tier-postgres")]
#[test]
fn the_generated_topology_runs_on_postgres_and_launches_locally_and_remotely() {
    let envs = crate::common::fixture_envs();
    let ctx = TestContext::new("workspace");
    // With the access proxy, as a team that shares the instance would deploy it.
    with_policy(&ctx);
    let base = free_port_block(2);
    let out = run(ctx.dg().args([
        "deploy",
        "compose",
        "--access",
        "--grpc-base-port",
        &base.to_string(),
    ]));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let compose_dir = ctx.path("deployments/compose");

    // Environments: each location's image contents (its deps + dagster-postgres pin), the host's.
    let bases = [envs.data_engineering.clone(), envs.data_science.clone()];
    let mut location_pythons = Vec::new();
    for ((name, project, _, _), base_python) in LOCATIONS.iter().zip(&bases) {
        let mut reqs = project_dependencies(&ctx.path(project));
        reqs.extend(dockerfile_pins(&ctx.path(project).join("Dockerfile")));
        location_pythons.push(location_env(name, base_python, &reqs));
    }
    let host_python = topology_host_env(&dockerfile_pins(&compose_dir.join("Dockerfile")));
    let host_bin = host_python.parent().unwrap().to_path_buf();

    let pg = Postgres::start();
    let run_dir = tempfile::tempdir().unwrap();
    let home = run_dir.path().join("dagster_home");
    std::fs::create_dir_all(&home).unwrap();
    // The generated instance, with the container launcher swapped for the default one.
    let mut instance = yaml(&compose_dir.join("dagster.yaml"));
    instance.as_object_mut().unwrap().remove("run_launcher");
    std::fs::write(
        home.join("dagster.yaml"),
        serde_norway::to_string(&instance).unwrap(),
    )
    .unwrap();
    // The generated workspace, service hosts mapped to loopback.
    let mut workspace = yaml(&compose_dir.join("workspace.yaml"));
    for e in workspace["load_from"].as_array_mut().unwrap() {
        e["grpc_server"]["host"] = "127.0.0.1".into();
    }
    let ws_file = run_dir.path().join("workspace.yaml");
    std::fs::write(&ws_file, serde_norway::to_string(&workspace).unwrap()).unwrap();
    let env_of = |cmd: &mut Command| {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("DAGSTER_HOME", &home);
        for (k, v) in pg.env() {
            cmd.env(k, v);
        }
    };

    // One `dagster api grpc` per location: the Dockerfile's CMD, from the location's env.
    let mut servers: Vec<Supervised> = Vec::new();
    for ((name, project, _, _), python) in LOCATIONS.iter().zip(&location_pythons) {
        let cmd = exec_form(&ctx.path(project).join("Dockerfile"), "CMD");
        let project_dir = ctx.path(project);
        let args: Vec<String> = cmd[1..]
            .iter()
            .map(|a| match a.as_str() {
                "0.0.0.0" => "127.0.0.1".to_string(),
                _ => a.replace("/opt/dagster/app", &project_dir.display().to_string()),
            })
            .collect();
        let mut c = Command::new(python.parent().unwrap().join(&cmd[0]));
        c.args(&args).current_dir(&project_dir);
        env_of(&mut c);
        servers.push(Supervised::start(name, &mut c, run_dir.path()));
    }
    // The webserver and the daemon: compose's entrypoints, from the host env.
    let compose = yaml(&compose_dir.join("compose.yaml"));
    let web_port = free_port();
    let entry = |svc: &str| -> Vec<String> {
        serde_json::from_value(compose["services"][svc]["entrypoint"].clone()).unwrap()
    };
    let start_host = |svc: &str| -> Supervised {
        let e = entry(svc);
        let args: Vec<String> = e[1..]
            .iter()
            .map(|a| match a.as_str() {
                "0.0.0.0" => "127.0.0.1".to_string(),
                "3000" | "3001" => web_port.to_string(),
                "workspace.yaml" => ws_file.display().to_string(),
                _ => a.clone(),
            })
            .collect();
        let mut c = Command::new(host_bin.join(&e[0]));
        c.args(&args).current_dir(run_dir.path());
        env_of(&mut c);
        Supervised::start(svc, &mut c, run_dir.path())
    };
    servers.push(start_host("dagster-webserver"));
    let url = format!("http://127.0.0.1:{web_port}");
    // Every location loaded, through the webserver's GraphQL API.
    let deadline = Instant::now() + Duration::from_secs(240);
    let locations = loop {
        let entries = crate::graphql::location_entries(
            &url,
            "name loadStatus locationOrLoadError { __typename \
             ... on RepositoryLocation { dagsterLibraryVersions { name version } } }",
        )
        .unwrap_or_default();
        if crate::graphql::all_loaded(&entries, 2) {
            break entries;
        }
        for s in &mut servers {
            assert!(s.alive(), "{} exited:\n{}", s.name, s.log_tail());
        }
        assert!(
            Instant::now() < deadline,
            "locations did not load: {entries:?}\n{}",
            servers
                .iter()
                .map(|s| s.log_tail())
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let versions: BTreeMap<String, String> = locations
        .iter()
        .map(|e| {
            let v = e["locationOrLoadError"]["dagsterLibraryVersions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["name"] == "dagster")
                .map(|l| l["version"].as_str().unwrap().to_string())
                .unwrap();
            (e["name"].as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(
        versions["data-engineering"], "1.12.22",
        "each location on its own Dagster"
    );
    assert_eq!(versions["data-science"], "1.13.27");
    servers.push(start_host("dagster-daemon"));

    // `dg launch` into the Postgres instance, each location in its image's environment.
    for ((_, project, _, _), python) in LOCATIONS.iter().zip(&location_pythons) {
        ctx.write(
            &format!("{project}/.env"),
            &format!("DG_PROJECT_PYTHON_EXECUTABLE={}\n", python.display()),
        );
    }
    let chain = [
        "raw_orders",
        "cleaned_orders",
        "data_engineering_asset",
        "data_science_asset",
    ];
    let mut launch = ctx.dg();
    launch
        .args(["launch", "--assets", "+key:data_science_asset"])
        .env("DAGSTER_HOME", &home)
        .env("DG_RS_USER", "ci@example.com");
    for (k, v) in pg.env() {
        launch.env(k, v);
    }
    let local = run(&mut launch);
    assert_eq!(local.code, 0, "{}\n{}", local.stdout, local.stderr);
    let materialized = |key: &str| -> Value {
        graphql(
            &url,
            &format!(
                "{{ assetOrError(assetKey: {{path: [\"{key}\"]}}) {{ ... on Asset {{ assetMaterializations(limit: 1) {{ runId }} }} }} }}"
            ),
        )
    };
    let local_runs: Vec<String> = chain
        .iter()
        .map(|k| {
            materialized(k)["assetOrError"]["assetMaterializations"][0]["runId"]
                .as_str()
                .unwrap_or_else(|| panic!("{k} not materialized"))
                .to_string()
        })
        .collect();
    for r in &local_runs {
        assert!(
            local.stdout.contains(r.as_str()),
            "run {r} of the summary:\n{}",
            local.stdout
        );
    }
    let in_postgres: u64 = pg
        .sql("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
        .parse()
        .unwrap();
    assert_eq!(
        in_postgres, 4,
        "the four materializations are rows in Postgres"
    );

    // The same selection submitted to the webserver: the daemon runs each step with the
    // default launcher in the location's code server environment.
    let remote = run(ctx.dg().env("DG_RS_USER", "ci@example.com").args([
        "launch",
        "--remote",
        &url,
        "--assets",
        "+key:data_science_asset",
    ]));
    assert_eq!(remote.code, 0, "{}\n{}", remote.stdout, remote.stderr);
    let rows: Vec<&str> = remote
        .stdout
        .lines()
        .filter(|l| l.starts_with("1 ") || l.starts_with("2 "))
        .collect();
    assert!(
        rows.len() == 2 && rows.iter().all(|r| r.contains("succeeded")),
        "{}",
        remote.stdout
    );
    for (k, before) in chain.iter().zip(&local_runs) {
        let now = materialized(k)["assetOrError"]["assetMaterializations"][0]["runId"]
            .as_str()
            .unwrap()
            .to_string();
        assert_ne!(&now, before, "{k} materialized again by the remote launch");
        assert!(
            remote.stdout.contains(&now),
            "{k}'s run {now} in the summary:\n{}",
            remote.stdout
        );
        let run = graphql(
            &url,
            &format!(
                "{{ runOrError(runId: \"{now}\") {{ ... on Run {{ status tags {{ key value }} }} }} }}"
            ),
        );
        assert_eq!(run["runOrError"]["status"], "SUCCESS");
        let tags = run["runOrError"]["tags"].as_array().unwrap();
        assert!(
            tags.iter().any(|t| t["key"] == "dg-rs/launch_id"),
            "{tags:?}"
        );
    }
    let in_postgres: u64 = pg
        .sql("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
        .parse()
        .unwrap();
    assert_eq!(in_postgres, 8);

    // A step the webserver refuses fails like a local step: its dependents are skipped, the
    // summary says why, exit 1.
    let refused = run(ctx.dg().env("DG_RS_USER", "ci@example.com").args([
        "launch",
        "--remote",
        &url,
        "--assets",
        "+key:data_science_asset",
        "--config-json",
        r#"{"no_such_section": {"x": 1}}"#,
    ]));
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains("RunConfigValidationInvalid"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("1 failed, 1 skipped"),
        "{}",
        refused.stdout
    );
    let step2 = refused
        .stdout
        .lines()
        .find(|l| l.starts_with("2 "))
        .unwrap();
    assert!(step2.contains("skipped"), "{}", refused.stdout);

    // Behind the generated access proxy: its container's command, run with exactly the files
    // compose mounts into it (copied to where the container sees them), in front of the
    // webserver. The CI identity's token launches there; bob's (a viewer) is refused before
    // any run is created; no token is refused too.
    let proxy_svc = &compose["services"]["dagster-access-proxy"];
    let container = run_dir.path().join("proxy-root");
    let mounts: Vec<String> = serde_json::from_value(proxy_svc["volumes"].clone()).unwrap();
    for m in &mounts[1..] {
        let parts: Vec<&str> = m.split(':').collect();
        let to = container.join(parts[1].trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(compose_dir.join(parts[0]), &to).unwrap();
    }
    let proxy_port = free_port();
    let entry: Vec<String> = serde_json::from_value(proxy_svc["entrypoint"].clone()).unwrap();
    let args: Vec<String> = entry[1..]
        .iter()
        .map(|a| match a.as_str() {
            "0.0.0.0:3000" => format!("127.0.0.1:{proxy_port}"),
            "127.0.0.1:3001" => format!("127.0.0.1:{web_port}"),
            _ => a.clone(),
        })
        .collect();
    let workdir = container.join(
        proxy_svc["working_dir"]
            .as_str()
            .unwrap()
            .trim_start_matches('/'),
    );
    let mut c = Command::new(env!("CARGO_BIN_EXE_dg"));
    c.args(&args).current_dir(&workdir).env_clear();
    servers.push(Supervised::start(
        "dagster-access-proxy",
        &mut c,
        run_dir.path(),
    ));
    let proxy_url = format!("http://127.0.0.1:{proxy_port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", proxy_port)).is_err() {
        let proxy = servers.last_mut().unwrap();
        assert!(proxy.alive(), "the proxy exited:\n{}", proxy.log_tail());
        assert!(Instant::now() < deadline, "the proxy does not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let runs_now = || -> u64 {
        graphql(&url, "{ runsOrError { ... on Runs { count } } }")["runsOrError"]["count"]
            .as_u64()
            .unwrap()
    };
    let before = runs_now();
    for (token, what) in [(Some(BOB_TOKEN), "a viewer's token"), (None, "no token")] {
        let mut cmd = ctx.dg();
        cmd.env("DG_RS_USER", "ci@example.com").args([
            "launch",
            "--remote",
            &proxy_url,
            "--assets",
            "+key:data_science_asset",
        ]);
        if let Some(t) = token {
            cmd.args(["--token", t]);
        }
        let refused = run(&mut cmd);
        assert_ne!(
            refused.code, 0,
            "{what}: {}\n{}",
            refused.stdout, refused.stderr
        );
        assert!(
            refused.stdout.contains("launcher") || refused.stderr.contains("launcher"),
            "{what}: the refusal names the role needed:\n{}\n{}",
            refused.stdout,
            refused.stderr
        );
        assert_eq!(runs_now(), before, "{what}: no run was created");
    }
    let through = run(ctx.dg().env("DG_RS_USER", "ci@example.com").args([
        "launch",
        "--remote",
        &proxy_url,
        "--token",
        CI_TOKEN,
        "--assets",
        "+key:data_science_asset",
    ]));
    assert_eq!(through.code, 0, "{}\n{}", through.stdout, through.stderr);
    assert!(
        through.stdout.contains(": 2 succeeded"),
        "{}",
        through.stdout
    );
    assert_eq!(
        runs_now(),
        before + 2,
        "two runs, one per location, through the proxy"
    );
    let proxy_log = std::fs::read_to_string(&servers.last().unwrap().log).unwrap();
    assert!(
        proxy_log.contains("ci@example.com"),
        "the proxy logs who launched:\n{proxy_log}"
    );

    // An unreachable webserver is named, before anything is submitted.
    let unknown = run(ctx.dg().env("DG_RS_USER", "ci@example.com").args([
        "launch",
        "--remote",
        &format!("http://127.0.0.1:{}", free_port()),
        "--assets",
        "key:raw_orders",
    ]));
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown
            .stderr
            .contains("could not reach the Dagster webserver"),
        "{}",
        unknown.stderr
    );
}

#[cfg(feature = "tier-index")]
#[test]
fn a_postgres_instance_needs_dagster_postgres_in_the_locations_and_says_so() {
    let ctx = TestContext::with_envs();
    let home = ctx.path("pg_home");
    ctx.write(
        "pg_home/dagster.yaml",
        "storage:\n  postgres:\n    postgres_db: {hostname: 127.0.0.1, port: 1, username: u, password: p, db_name: d}\n",
    );
    let out = run(ctx
        .dg()
        .args(["launch", "--assets", "key:raw_orders"])
        .env("DAGSTER_HOME", &home));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("dagster_postgres"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("add dagster-postgres matching each location's Dagster"),
        "{}",
        out.stderr
    );
}
