//! Renders the files of a target from the topology (minijinja over the embedded templates).
//! Pure: paths and texts depend only on the workspace, the topology and the options.

use super::model::{APP_DIR, DAGSTER_HOME, Location, Topology};
use super::stamp::stamp;
use super::{Artifact, DeployError, DeployOptions, Generated, SecretReference, Target};
use crate::config::Workspace;
use crate::path;
use minijinja::Environment;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The compose network every container (and every run) joins.
pub(crate) const NETWORK: &str = "dagster_network";
/// The volume shared by the webserver, the daemon and the runs (IO manager and compute logs).
pub(crate) const STORAGE_VOLUME: &str = "dagster_storage";
/// The Postgres variables every process reads (the instance config refers to them).
pub(crate) const POSTGRES_ENV: [&str; 5] = [
    "DAGSTER_POSTGRES_HOST",
    "DAGSTER_POSTGRES_PORT",
    "DAGSTER_POSTGRES_USER",
    "DAGSTER_POSTGRES_PASSWORD",
    "DAGSTER_POSTGRES_DB",
];
/// The Secret holding the Postgres password (the chart's default name).
pub(crate) const POSTGRES_SECRET: &str = "dagster-postgresql-secret";
/// Name of the host image (compose builds it).
pub(crate) const HOST_IMAGE: &str = "dagster-host";
/// Where the access proxy's container sees the workspace's policy files.
pub(crate) const ACCESS_WORKSPACE: &str = "/workspace";
/// The webserver's own port behind the access proxy (loopback of the shared namespace).
pub(crate) const ACCESS_UPSTREAM: &str = "127.0.0.1:3001";

const TEMPLATES: [(&str, &str); 8] = [
    (
        "location.Dockerfile",
        include_str!("templates/location.Dockerfile.j2"),
    ),
    ("dockerignore", include_str!("templates/dockerignore.j2")),
    (
        "host.Dockerfile",
        include_str!("templates/host.Dockerfile.j2"),
    ),
    (
        "workspace.yaml",
        include_str!("templates/workspace.yaml.j2"),
    ),
    ("dagster.yaml", include_str!("templates/dagster.yaml.j2")),
    ("compose.yaml", include_str!("templates/compose.yaml.j2")),
    ("values.yaml", include_str!("templates/values.yaml.j2")),
    (
        "build-images.sh",
        include_str!("templates/build-images.sh.j2"),
    ),
];

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("a valid syntax"),
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Quoting is explicit (`tojson`); minijinja would JSON-escape `.yaml` templates by name.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    for (name, src) in TEMPLATES {
        env.add_template(name, src)
            .expect("embedded templates are valid");
    }
    env
}

fn render_one(env: &Environment, name: &str, ctx: Value) -> Result<String, DeployError> {
    env.get_template(name)
        .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
        .map_err(|e| DeployError::Template {
            name: name.to_string(),
            message: e.to_string(),
        })
}

/// `registry/location:tag`, or `location:tag` without a registry.
fn image(opts: &DeployOptions, loc: &Location) -> String {
    format!("{}:{}", repository(opts, &loc.name), opts.tag)
}

fn repository(opts: &DeployOptions, name: &str) -> String {
    match &opts.registry {
        Some(r) => format!("{r}/{name}"),
        None => name.to_string(),
    }
}

/// `from` → `to` as a relative path with `/`, as the files we write hold it.
fn relative(from: &Path, to: &Path) -> String {
    path::slash(&path::relative(from, to))
}

/// Packages every location image needs besides the project, pinned to its Dagster.
pub(crate) fn location_pins(loc: &Location) -> Vec<String> {
    ["dagster-postgres", "dagster-docker", "dagster-k8s"]
        .iter()
        .map(|p| format!("{p}=={}", loc.library_version))
        .collect()
}

pub(crate) fn render(
    ws: &Workspace,
    topo: &Topology,
    opts: &DeployOptions,
    access: Option<&[PathBuf]>,
) -> Result<Generated, DeployError> {
    let env = env();
    let command = format!("dg deploy {}", opts.target.as_str());
    let mut artifacts = location_images(&env, topo)?;
    let images: Vec<(String, String)> = topo
        .locations
        .iter()
        .map(|l| (l.name.clone(), image(opts, l)))
        .collect();
    let files = Files {
        env: &env,
        command: &command,
        ws,
        topo,
        opts,
    };
    match opts.target {
        Target::Compose => files.compose(access, &mut artifacts)?,
        Target::Helm => files.helm(&mut artifacts)?,
    }
    let out = &opts.output;
    // Where each location's `.env` reaches its code server.
    let secrets = topo
        .locations
        .iter()
        .map(|l| SecretReference {
            location: l.name.clone(),
            dotenv: l.project_root.join(".env"),
            reference: match opts.target {
                Target::Compose => {
                    format!("env_file {}", relative(out, &l.project_root.join(".env")))
                }
                Target::Helm => format!("Kubernetes Secret {}-env", l.name),
            },
        })
        .collect();
    Ok(Generated {
        topology: topo.clone(),
        artifacts,
        secrets,
        images,
        access_proxy: access.is_some(),
    })
}

/// Each location's Dockerfile and .dockerignore. They are the same for both targets: one
/// image per location serves either launcher, so a team can move from compose to
/// Kubernetes with the same images.
fn location_images(env: &Environment, topo: &Topology) -> Result<Vec<Artifact>, DeployError> {
    let mut artifacts = Vec::new();
    for loc in &topo.locations {
        let cmd: Vec<String> = ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p"]
            .iter()
            .map(|s| s.to_string())
            .chain([loc.port.to_string()])
            .chain(loc.grpc_args())
            .collect();
        let health = vec![
            "dagster".to_string(),
            "api".into(),
            "grpc-health-check".into(),
            "-p".into(),
            loc.port.to_string(),
        ];
        let ctx = json!({
            "loc": location_json(loc),
            "pins": location_pins(loc).join(" "),
            "dagster_home": DAGSTER_HOME,
            "app_dir": APP_DIR,
            "cmd": cmd,
            "health": health,
        });
        artifacts.push(Artifact {
            path: loc.project_root.join("Dockerfile"),
            contents: stamp(
                "dg deploy",
                &render_one(env, "location.Dockerfile", ctx.clone())?,
            ),
            executable: false,
        });
        artifacts.push(Artifact {
            path: loc.project_root.join(".dockerignore"),
            contents: stamp("dg deploy", &render_one(env, "dockerignore", ctx)?),
            executable: false,
        });
    }
    Ok(artifacts)
}

/// What the target's files are rendered from.
struct Files<'a> {
    env: &'a Environment<'a>,
    command: &'a str,
    ws: &'a Workspace,
    topo: &'a Topology,
    opts: &'a DeployOptions,
}

impl Files<'_> {
    /// deployments/compose: the host image, workspace.yaml, dagster.yaml, compose.yaml.
    fn compose(
        &self,
        access: Option<&[PathBuf]>,
        artifacts: &mut Vec<Artifact>,
    ) -> Result<(), DeployError> {
        let (env, command, ws, topo, opts) =
            (self.env, self.command, self.ws, self.topo, self.opts);
        let out = &opts.output;
        let host_pins: Vec<String> = ["dagster", "dagster-webserver", "dagster-graphql"]
            .iter()
            .map(|p| format!("{p}=={}", topo.host.dagster_version))
            .chain(
                ["dagster-postgres", "dagster-docker"]
                    .iter()
                    .map(|p| format!("{p}=={}", topo.host.library_version)),
            )
            .collect();
        let locations: Vec<Value> = topo
            .locations
            .iter()
            .map(|l| {
                let mut v = location_json(l);
                v["context"] = json!(relative(out, &l.project_root));
                v["image"] = json!(image(opts, l));
                v["env_file"] = json!(relative(out, &l.project_root.join(".env")));
                v
            })
            .collect();
        let ctx = json!({
            "host": host_json(topo),
            "pins": host_pins.join(" "),
            "dagster_home": DAGSTER_HOME,
            "locations": locations,
            "network": NETWORK,
            "postgres_env": POSTGRES_ENV,
            "storage_volume": STORAGE_VOLUME,
            "storage_mount": format!("{STORAGE_VOLUME}:{DAGSTER_HOME}/storage"),
            "host_image": format!("{HOST_IMAGE}:{}", topo.host.dagster_version),
            "compose_path": relative(&ws.root, &out.join("compose.yaml")),
            "access": access.map(|files| access_json(ws, out, files)),
        });
        for (file, template) in [
            ("Dockerfile", "host.Dockerfile"),
            ("workspace.yaml", "workspace.yaml"),
            ("dagster.yaml", "dagster.yaml"),
            ("compose.yaml", "compose.yaml"),
        ] {
            artifacts.push(Artifact {
                path: out.join(file),
                contents: stamp(command, &render_one(env, template, ctx.clone())?),
                executable: false,
            });
        }
        Ok(())
    }

    /// deployments/helm: values.yaml for Dagster's chart and the image build script.
    fn helm(&self, artifacts: &mut Vec<Artifact>) -> Result<(), DeployError> {
        let (env, command, ws, topo, opts) =
            (self.env, self.command, self.ws, self.topo, self.opts);
        let out = &opts.output;
        let locations: Vec<Value> = topo
            .locations
            .iter()
            .map(|l| {
                let mut v = location_json(l);
                v["repository"] = json!(repository(opts, &l.name));
                v["image"] = json!(shell_quote(&image(opts, l)));
                v["project_rel"] = json!(shell_quote(&relative(&ws.root, &l.project_root)));
                v
            })
            .collect();
        // A fixed `latest` tag must be pulled again to see a new build.
        let pull_policy = match (&opts.registry, opts.tag.as_str()) {
            (None, _) => "IfNotPresent",
            (Some(_), "latest") => "Always",
            (Some(_), _) => "IfNotPresent",
        };
        let ctx = json!({
            "host": host_json(topo),
            "locations": locations,
            "tag": opts.tag,
            "pull_policy": pull_policy,
            "postgres_host": opts.postgres_host,
            "postgres_secret": POSTGRES_SECRET,
            "values_path": relative(&ws.root, &out.join("values.yaml")),
            "to_root": relative(out, &ws.root),
            "push": opts.registry.is_some(),
        });
        artifacts.push(Artifact {
            path: out.join("values.yaml"),
            contents: stamp(command, &render_one(env, "values.yaml", ctx.clone())?),
            executable: false,
        });
        artifacts.push(Artifact {
            path: out.join("build-images.sh"),
            contents: format!(
                "#!/bin/sh\n{}",
                stamp(command, &render_one(env, "build-images.sh", ctx)?)
            ),
            executable: true,
        });
        Ok(())
    }
}

/// The access proxy's service: its command and its read-only mounts, each policy file at its
/// place under [`ACCESS_WORKSPACE`].
fn access_json(ws: &Workspace, out: &Path, files: &[PathBuf]) -> Value {
    let mounts: Vec<Value> = files
        .iter()
        .map(|f| {
            let inside = Path::new(ACCESS_WORKSPACE).join(relative(&ws.root, f));
            json!({
                "host": relative(out, f),
                "container": path::slash(&path::normalize(&inside)),
            })
        })
        .collect();
    json!({
        "workspace": ACCESS_WORKSPACE,
        "entrypoint": ["dg", "access", "proxy", "--listen", "0.0.0.0:3000", "--upstream", ACCESS_UPSTREAM],
        "mounts": mounts,
    })
}

fn location_json(l: &Location) -> Value {
    json!({
        "name": l.name,
        "python_minor": l.python_minor,
        "dagster_version": l.dagster_version,
        "port": l.port,
        "uv_lock": l.uv_lock,
        "grpc_args": l.grpc_args(),
    })
}

fn host_json(t: &Topology) -> Value {
    json!({
        "dagster_version": t.host.dagster_version,
        "python_minor": t.host.python_minor,
    })
}

/// A word for `sh`: left alone when it is plain, else single-quoted.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"/._-:@=+".contains(&c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
