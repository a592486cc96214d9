//! What `dg deploy` tells the user: each file and what happened to it, where the secrets come
//! from (never copied), and the next commands; for `--check`, which files are out of step.

use crate::deploy::{Change, FileState, Generated, Target};
use crate::path;
use std::path::Path;

/// After writing: one line per file, the secrets, the next steps.
pub(crate) fn written(
    root: &Path,
    target: Target,
    generated: &Generated,
    changes: &[Change],
) -> String {
    let mut s = String::new();
    let touched = changes
        .iter()
        .filter(|c| c.state != FileState::InStep)
        .count();
    s.push_str(&format!(
        "{} {} file{} for {} ({} location{}, host Dagster {}):\n",
        if touched == 0 { "Checked" } else { "Wrote" },
        if touched == 0 { changes.len() } else { touched },
        if changes.len() == 1 { "" } else { "s" },
        target.as_str(),
        generated.topology.locations.len(),
        if generated.topology.locations.len() == 1 {
            ""
        } else {
            "s"
        },
        generated.topology.host.dagster_version,
    ));
    for c in changes {
        let what = match c.state {
            FileState::Missing => "created",
            FileState::InStep => "unchanged",
            FileState::OutOfDate => "updated",
            FileState::Edited => "replaced (--force)",
        };
        s.push_str(&format!(
            "  {what:<10} {}\n",
            path::display(&c.artifact.path, root)
        ));
    }
    s.push_str("\nLocations:\n");
    for (l, (_, image)) in generated.topology.locations.iter().zip(&generated.images) {
        s.push_str(&format!(
            "  {:<20} Python {}, Dagster {}, gRPC port {}, image {}\n",
            l.name, l.python_minor, l.dagster_version, l.port, image
        ));
    }
    s.push_str(&secrets(root, target, generated));
    s.push_str(&next_steps(root, target, generated));
    s
}

fn secrets(root: &Path, target: Target, generated: &Generated) -> String {
    let mut s = String::from(
        "\nSecrets are referenced, never copied into a file or an image (.dockerignore keeps .env out):\n",
    );
    for r in &generated.secrets {
        let exists = if r.dotenv.is_file() {
            ""
        } else {
            " (no such file yet; optional)"
        };
        s.push_str(&format!(
            "  {:<20} {}{exists} -> {}\n",
            r.location,
            path::display(&r.dotenv, root),
            r.reference
        ));
    }
    match target {
        Target::Compose => s.push_str(
            "  Postgres password: the variable DAGSTER_POSTGRES_PASSWORD (for example in a .env file beside compose.yaml)\n",
        ),
        Target::Helm => s.push_str(&format!(
            "  Postgres password: the Kubernetes Secret {} (key postgresql-password)\n",
            crate::deploy::POSTGRES_SECRET
        )),
    }
    s
}

fn next_steps(root: &Path, target: Target, generated: &Generated) -> String {
    let out = generated
        .artifacts
        .iter()
        .find(|a| {
            a.path
                .file_name()
                .is_some_and(|n| n == "compose.yaml" || n == "values.yaml")
        })
        .and_then(|a| a.path.parent())
        .map(|p| path::display(p, root))
        .unwrap_or_default();
    let mut s = String::from("\nNext (from the workspace root):\n");
    match target {
        Target::Compose => {
            s.push_str(&format!(
                "  echo DAGSTER_POSTGRES_PASSWORD=... > {out}/.env\n"
            ));
            if generated.access_proxy {
                s.push_str(&format!(
                    "  echo DG_RS_BINARY=/path/to/linux/dg >> {out}/.env   # the access proxy runs it\n"
                ));
            }
            s.push_str(&format!(
                "  docker compose -f {out}/compose.yaml up --build\n  open http://localhost:3000\n"
            ));
            if generated.access_proxy {
                s.push_str(
                    "\nThe UI is behind the access proxy (dg-rs.toml [access]); the webserver listens on loopback only.\nIdentity: bearer tokens from the policy's tokens file, or an SSO proxy's header once its address is in [access.proxy] trusted_sources.\n",
                );
            }
        }
        Target::Helm => {
            s.push_str(&format!("  {out}/build-images.sh\n"));
            for r in &generated.secrets {
                if r.dotenv.is_file() {
                    let name = r.reference.rsplit(' ').next().unwrap_or_default();
                    s.push_str(&format!(
                        "  kubectl create secret generic {name} --from-env-file={}\n",
                        path::display(&r.dotenv, root)
                    ));
                }
            }
            s.push_str(&format!(
                "  helm repo add dagster https://dagster-io.github.io/helm\n  helm upgrade --install dagster dagster/dagster --version {} -f {out}/values.yaml\n",
                generated.topology.host.dagster_version
            ));
        }
    }
    s
}

/// Refused: the diff of every file edited by hand (the headline error is the caller's).
pub(crate) fn refused(root: &Path, changes: &[Change]) -> String {
    changes
        .iter()
        .filter(|c| c.state == FileState::Edited)
        .map(|c| c.diff(&path::display(&c.artifact.path, root)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `--check`: every file's state, and the diffs of those not in step.
pub(crate) fn check(root: &Path, target: Target, changes: &[Change]) -> String {
    let bad: Vec<&Change> = changes
        .iter()
        .filter(|c| c.state != FileState::InStep)
        .collect();
    let mut s = String::new();
    for c in changes {
        s.push_str(&format!(
            "  {:<15} {}\n",
            c.state.as_str(),
            path::display(&c.artifact.path, root)
        ));
    }
    if bad.is_empty() {
        s.push_str(&format!(
            "All {} files of the {} deployment are in step with the workspace.\n",
            changes.len(),
            target.as_str()
        ));
    } else {
        for c in bad.iter().filter(|c| c.current.is_some()) {
            s.push('\n');
            s.push_str(&c.diff(&path::display(&c.artifact.path, root)));
        }
    }
    s
}
