//! Each core module's typed error as what the user reads (message, hint, exit code), in
//! one place; and the report of locations that failed to load. Only `cli` and `render` use
//! these functions; the `From` conversions let a core error end a command with `?`.

use crate::error::{Error, ErrorKind, Problem};
use std::path::Path;

impl From<crate::fs::FsError> for Error {
    fn from(e: crate::fs::FsError) -> Self {
        use crate::fs::FsError;
        let hint = match &e {
            FsError::ReadOnly { path } => Some(format!(
                "make it writable (`chmod u+w {}`) if it should change",
                path.display()
            )),
            FsError::IsDirectory { .. } => Some("name a file, not a folder".to_string()),
            FsError::SymlinkLoop { .. } => Some("fix or remove the symlink".to_string()),
            FsError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
            {
                Some("the file system is mounted read-only".to_string())
            }
            FsError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some("check the folder's permissions".to_string())
            }
            _ => None,
        };
        let err = Error::usage(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<crate::process::ProcessError> for Error {
    fn from(e: crate::process::ProcessError) -> Self {
        Error::failed(e.to_string())
    }
}

impl From<crate::python::PythonError> for Error {
    fn from(e: crate::python::PythonError) -> Self {
        use crate::python::PythonError as E;
        let message = e.to_string();
        match e {
            E::Fs(e) => e.into(),
            E::Process(e) => e.into(),
            E::Interrupted => Error::interrupted(),
            E::InProject { project, source } => {
                let mut err = Error::from(*source);
                if let Some(p) = err.problems.first_mut() {
                    p.message = format!("{project}: {}", p.message);
                }
                err
            }
            E::UvSyncFailed { stale_lock, source } => {
                Error::from(*source).with_hint(if stale_lock {
                    "uv.lock no longer matches pyproject.toml: run `uv lock` where it lives and \
                     commit it (dg sync installs exactly what the lock says and never rewrites it)"
                } else {
                    "check the project's dependencies, its [tool.uv.sources] and that the \
                     package index is reachable"
                })
            }
            E::HostToml { at, .. } => {
                let mut p = Problem::new(message)
                    .hint("fix the syntax of the host environment's pyproject.toml");
                if let Some(at) = at {
                    p = p.at(*at);
                }
                Error::config(vec![p])
            }
            E::HostTooOld { want, .. } => Error::config(vec![Problem::new(message).hint(format!(
                "change it to \"dagster=={want}\" (or a range that allows it) and run `dg sync` again"
            ))]),
            E::HostDagsterUnknown { file } => Error::usage(message)
                .with_hint(format!("pin dagster in {file} (\"dagster==1.13.27\")")),
            E::HostBuildStopped | E::UvInstallIncomplete { .. } => Error::failed(message),
            E::StepFailed { .. } => Error::failed(message).with_hint(
                "check the project's dependencies in pyproject.toml and that the package index \
                 is reachable",
            ),
            E::Io { .. } | E::NotRunnable { .. } | E::UvNotInstalled => Error::usage(message),
            E::BadVersion { .. } => Error::usage(message).with_hint("write it like 3.12 or 3.12.1"),
            E::BadRequiresPython { .. } => {
                Error::usage(message).with_hint("use PEP 440 specifiers, like \">=3.11,<3.13\"")
            }
            E::NoInterpreter { .. } => Error::usage(message).with_hint(
                "install a matching Python (e.g. `pyenv install 3.12`), or change the project's \
                 requires-python / [tool.dg-rs] python",
            ),
            E::NotAVenv { .. } => Error::usage(message).with_hint(
                "point it at <venv>/bin/python, or remove it from the project's .env to use \
                 <project>/.venv",
            ),
            E::PipCannotBuild { .. } => Error::usage(message).with_hint(
                "unset DG_RS_INSTALLER (dg sync uses uv for it, installing uv when it is not on \
                 PATH)",
            ),
            E::NoCacheForUv { .. } => Error::usage(message)
                .with_hint("install uv (https://docs.astral.sh/uv/) or set HOME or XDG_CACHE_HOME"),
            E::NoPythonForUv { .. } => {
                Error::usage(message).with_hint("install uv (https://docs.astral.sh/uv/)")
            }
        }
    }
}

impl From<crate::config::ConfigError> for Error {
    fn from(e: crate::config::ConfigError) -> Self {
        use crate::config::ConfigError as E;
        let message = e.to_string();
        match e {
            E::Invalid(problems) => Error::config(problems),
            E::TargetPath { .. } => {
                Error::usage(message).with_hint("pass an existing directory with --target-path")
            }
            E::Unlisted {
                workspace_file,
                listed_as,
                ..
            } => Error::usage(message).with_hint(format!(
                "add it to {} as [[workspace.projects]] path = \"{listed_as}\"",
                workspace_file.display()
            )),
            E::NotFound { .. } => Error::usage(message).with_hint(
                "run inside a directory with a dg.toml (directory_type = \"workspace\") or a \
                 pyproject.toml with [tool.dg], pass --target-path, or create one with \
                 `create-dagster workspace NAME`",
            ),
        }
    }
}

/// What `dg dev` says for one of its own errors: the message and the hint (a wrapped error
/// of another module is shown by its message; [`From`] gives it that module's hint).
pub(crate) fn dev_problem(e: &crate::dev::DevError) -> Problem {
    use crate::dev::DevError as E;
    use crate::dev::host::HostSource;
    use crate::python::host::HOST_DIR;
    const SYNC: &str = "run `dg sync` at the workspace root";
    const HOST_FLAG: &str = "check --host: an address of this machine, like 127.0.0.1 or 0.0.0.0";
    let hint = match e {
        E::PortInUse { .. } => Some(
            "choose another with --port N (0 = any free port), or leave --port out to take the \
             first free port from 3000"
                .to_string(),
        ),
        E::CannotListen { .. } => Some(HOST_FLAG.to_string()),
        E::AllPortsInUse { .. } => Some("choose one with --port N (0 = any free port)".into()),
        E::WebserverExited { .. } => Some(
            "the lines above are the webserver's; check the host environment with `dg sync`".into(),
        ),
        E::NoInterpreter { project, .. } => Some(format!(
            "run `dg sync {project}` to create the project's environment"
        )),
        E::CodeServerExited {
            interpreter,
            project,
            ..
        } => Some(format!(
            "check that {} has dagster installed (`dg sync {project}`)",
            interpreter.display()
        )),
        E::CodeServerSilent { .. } => {
            Some("raise DG_RS_LOAD_TIMEOUT (seconds) for slow locations".into())
        }
        E::HostMissing { .. } => Some(format!(
            "{SYNC}: it builds every project's environment and {HOST_DIR}"
        )),
        E::NoHostProject { .. } => Some(format!(
            "create {HOST_DIR}/pyproject.toml as create-dagster does ([project] name = \
             \"workspace_local\", dependencies = [\"dagster\", \"dagster-webserver\", \
             \"dagster-dg-cli\"], and [tool.dg] directory_type = \"deployment\"), then run \
             `dg sync` at the workspace root"
        )),
        E::HostLacks { .. } => Some(SYNC.to_string()),
        E::Env(crate::config::DotenvError::InvalidLine { .. }) => {
            Some("each line of a .env file is KEY=value".into())
        }
        E::HostTooOld {
            want,
            source_of_host,
            ..
        } => Some(match source_of_host {
            HostSource::Deployment => format!("{SYNC}: it installs dagster {want} in {HOST_DIR}"),
            HostSource::Project => format!(
                "create {HOST_DIR} with dagster {want} at the workspace root and run `dg sync` \
                 there"
            ),
        }),
        _ => None,
    };
    let p = Problem::new(e.to_string());
    match hint {
        Some(h) => p.hint(h),
        None => p,
    }
}

impl From<crate::dev::DevError> for Error {
    fn from(e: crate::dev::DevError) -> Self {
        use crate::dev::DevError as E;
        let kind = match &e {
            E::Python(_) | E::Access(_) | E::Instance(_) | E::Fs(_) | E::Env(_) => None,
            E::PortInUse { .. }
            | E::CannotListen { .. }
            | E::AllPortsInUse { .. }
            | E::NoInterpreter { .. }
            | E::HostMissing { .. }
            | E::NoHostProject { .. }
            | E::HostLacks { .. }
            | E::HostTooOld { .. } => Some(ErrorKind::Usage),
            _ => Some(ErrorKind::Failed),
        };
        match (kind, e) {
            (Some(kind), e) => Error {
                kind,
                problems: vec![dev_problem(&e)],
            },
            (None, E::Python(e)) => e.into(),
            (None, E::Access(e)) => e.into(),
            (None, E::Instance(e)) => e.into(),
            (None, E::Fs(e)) => e.into(),
            (None, E::Env(e)) => e.into(),
            (None, e) => Error::failed(e.to_string()),
        }
    }
}

impl From<crate::scaffold::ScaffoldError> for Error {
    // One arm per ScaffoldError variant, each with its hint; splitting would scatter the mapping.
    fn from(e: crate::scaffold::ScaffoldError) -> Self {
        use crate::scaffold::ScaffoldError as E;
        const NAME: &str = "use letters, digits, `-` and `_`, starting with a letter (like \
                            `data-science`); the name becomes a Python package with `-` \
                            replaced by `_`";
        let message = e.to_string();
        let usage = |hint: String| Error::usage(message.clone()).with_hint(hint);
        match e {
            E::Fs(e) => e.into(),
            E::Config(e) => e.into(),
            E::ConfigFile(p) => Error::config(vec![p]),
            E::Io { .. } | E::WorkspaceToml { .. } => Error::usage(message),
            E::Template(_) => Error::failed(message)
                .with_hint("this is a bug in dg-rs's embedded templates; please report it"),
            E::RegistrationNotWritten { file, source } => Error::from(source).with_hint(format!(
                "the project was not created (its files were removed again); fix {}, then run \
                 the command again",
                file.display()
            )),
            E::NestedWorkspace { .. } => usage(
                "workspaces cannot be nested: create the workspace elsewhere, or add a project \
                 to this one with `create-dagster project projects/NAME`"
                    .into(),
            ),
            E::IsWorkspaceRoot { .. } => {
                usage("create the project in a folder below it, like `projects/NAME`".into())
            }
            E::OutsideWorkspace { .. } => usage(
                "create it below the workspace root (like `projects/NAME`), or run \
                 create-dagster outside the workspace for a standalone project"
                    .into(),
            ),
            E::NoFolderName { .. } => usage("pass a path like projects/my-project".into()),
            E::AlreadyExists { .. } => usage(
                "choose a new path; create-dagster never writes into an existing folder \
                 (except `.`, the current directory, where it adds only files that do not exist)"
                    .into(),
            ),
            E::FileExists { .. } => usage(
                "create-dagster never overwrites a file: move it away or pick another folder"
                    .into(),
            ),
            E::NotAnIdentifier { .. } | E::NotStartingWithALetter { .. } => usage(NAME.into()),
            E::HidesAModule { folder, .. } => usage(format!(
                "pick another name, like `my-{folder}` or `{folder}-project`"
            )),
            E::BadDagsterVersion { .. } => usage("write a release number like 1.12.22".into()),
            E::BadPythonVersion { .. } => usage("write it like 3.12 (or 3.12.1)".into()),
            E::AlreadyListed { at, .. } => {
                Error::config(vec![Problem::new(message).at(*at).hint(
                    "pick another path, or remove the entry if the project is gone",
                )])
            }
            E::NameTaken { .. } => usage(
                "choose another folder name: every location of a workspace needs its own name \
                 and package"
                    .into(),
            ),
            E::CannotRegister { .. } => {
                usage("add an empty `[workspace]` table (real dg needs it too)".into())
            }
            E::UnknownType { given, known } => {
                let known: Vec<String> =
                    known.iter().map(|k| format!("{k} (dagster.{k})")).collect();
                usage(format!(
                    "types: {}; for components and other types use real dg (`uvx --from \
                     dagster-dg-cli dg scaffold defs {given} ...`)",
                    known.join(", ")
                ))
            }
            E::NotInRegistry {
                given,
                location,
                known,
            } => {
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                usage(match crate::suggest::closest(&given, &names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "`{location}` can scaffold: {} (`dg list components` lists its component \
                         types)",
                        names.join(", ")
                    ),
                })
            }
            E::Registry(f) => location_failures(&[*f], false),
            E::BadParams { given, .. } => usage(format!(
                "the parameters `{given}` takes: `dg utils inspect-component {given} \
                 --scaffold-params-schema`; pass them as --json-params '{{...}}' or one option each \
                 (--name value)"
            )),
            E::ScaffolderFailed { detail, .. } if detail.is_empty() => Error::failed(message),
            E::ScaffolderFailed { detail, .. } => Error::failed(message).with_hint(detail),
            E::AssetKeyMissing => usage(
                "pass --asset-key KEY (or real dg's --json-params '{\"asset_key\": \"KEY\"}'); \
                 use / between the parts of a multi-part key"
                    .into(),
            ),
            E::BadAssetKey { .. } => {
                usage("write the key like `raw_orders` or `warehouse/raw_orders`".into())
            }
            E::NoDefsFolder { config_file, .. } => usage(format!(
                "create it (with an empty __init__.py), or set defs_module under \
                 [tool.dg.project] in {}",
                config_file.display()
            )),
            E::NotInDefs { defs, .. } => usage(format!(
                "paths are relative to {} and may not use `..`, like `ingest/raw_orders.py`",
                defs.display()
            )),
            E::NoFileName { kind, .. } => usage(format!(
                "the file name becomes the name of the {kind}'s function: write something like \
                 `raw_orders.py`"
            )),
            E::NotPython { path, kind } => usage(format!(
                "a scaffolded {kind} is one Python file: write `{path}.py`"
            )),
            E::StemNotIdentifier { .. } => usage(
                "use letters, digits and `_`, starting with a letter, like `raw_orders.py`".into(),
            ),
            E::DefsFileExists { .. } => {
                usage("dg scaffold never overwrites a file: pick another path or remove it".into())
            }
            E::BadComponentName { .. } => usage(
                "a class name is letters, digits and `_`, not starting with a digit, like \
                 `MyComponent`; `dg scaffold component` also takes it with its module, like \
                 `<root_module>.components.sub.MyComponent`"
                    .into(),
            ),
            E::ComponentOutsideModule { parent, .. } => usage(format!(
                "write a class name alone, like `MyComponent`, or a module below it, like \
                 `{parent}.components.MyComponent`"
            )),
            E::ModuleExists { .. } => usage(
                "choose a different name: dg scaffold never overwrites a module (edit the one \
                 there, or remove it first)"
                    .into(),
            ),
            E::NotAPackage { .. } => usage("choose a module that is not below it".into()),
            E::CannotRegisterModule { .. } => usage(
                "nothing was written; fix the file (`dg check toml` says what is wrong), or list \
                 the module in `registry_modules` yourself"
                    .into(),
            ),
            E::BadSuperclass { .. } => usage(
                "give its module and name, like `dagster.PythonScriptComponent` (`dg list \
                 components` lists the component types)"
                    .into(),
            ),
            E::EditorSettings { .. } => usage(
                "fix the file (VS Code shows where), or add the `yaml.schemas` entry yourself"
                    .into(),
            ),
            E::WorkflowExists { .. } => {
                usage("remove it first, or write elsewhere with --output FILE".into())
            }
        }
    }
}

impl From<crate::config::DotenvError> for Error {
    fn from(e: crate::config::DotenvError) -> Self {
        match e {
            crate::config::DotenvError::InvalidLine { .. } => {
                Error::usage(e.to_string()).with_hint("each line of a .env file is KEY=value")
            }
            other => Error::usage(other.to_string()),
        }
    }
}

impl From<crate::instance::InstanceError> for Error {
    fn from(e: crate::instance::InstanceError) -> Self {
        use crate::instance::InstanceError as E;
        match e {
            E::Fs(e) => e.into(),
            E::Interrupted => Error {
                kind: ErrorKind::Interrupted,
                problems: vec![Problem::new(E::Interrupted.to_string())],
            },
            E::Damaged {
                home,
                message,
                tables,
                head,
            } => damaged_instance(&home, &message, &tables, head.as_deref()),
            E::Failed {
                home,
                message,
                detail,
            } => instance_not_prepared(&home, &message, &detail),
        }
    }
}

/// A damaged instance: what is wrong and, when the tables are known, the commands that
/// repair them.
fn damaged_instance(
    home: &std::path::Path,
    message: &str,
    tables: &[crate::instance::DamagedTable],
    head: Option<&str>,
) -> Error {
    let mut what = format!("the Dagster instance at {} is damaged: ", home.display());
    let hint = match (tables, head) {
        ([], _) | (_, None) => {
            what.push_str(message);
            format!(
                "its alembic_version tables must hold one row each (the newest \
                 revision); repair them, or move {} away to start a new instance",
                home.display()
            )
        }
        (tables, Some(head)) => {
            let listed: Vec<String> = tables
                .iter()
                .map(|t| format!("{} holds {}", t.file.display(), t.revisions.join(", ")))
                .collect();
            what.push_str(&format!(
                "its schema version table has more than one row ({}), left by two \
                 processes that created the instance at the same time",
                listed.join("; ")
            ));
            let commands: Vec<String> = tables
                .iter()
                .map(|t| {
                    format!(
                        "sqlite3 {} \"DELETE FROM alembic_version WHERE version_num <> '{head}'\"",
                        t.file.display()
                    )
                })
                .collect();
            format!(
                "back up {}, then keep only the newest revision: {}; then run the command again",
                home.display(),
                commands.join(" && ")
            )
        }
    };
    Error::usage(what).with_hint(hint)
}

/// The instance could not be prepared: the script's message and detail, and a hint chosen
/// from the message.
fn instance_not_prepared(home: &std::path::Path, message: &str, detail: &str) -> Error {
    let mut msg = format!(
        "could not prepare the Dagster instance at {}: {message}",
        home.display()
    );
    if !detail.trim().is_empty() {
        for l in detail.trim_end().lines() {
            msg.push_str("\n    ");
            msg.push_str(l);
        }
    }
    let hint = if message.contains("Read-only") || message.contains("Permission denied") {
        "DAGSTER_HOME must be a folder dg-rs may write: point DAGSTER_HOME elsewhere, or unset it to use <workspace>/.dg/dagster_home"
    } else if message.contains("module dagster_postgres") {
        // A Postgres-backed instance (as `dg deploy` writes): every location that
        // runs against it imports the storage library.
        "the instance stores in Postgres: add dagster-postgres matching each location's Dagster (dagster 1.X.Y goes with dagster-postgres 0.(X+16).Y, e.g. 1.13.27 with 0.29.27) to every project's dependencies, then `dg sync`"
    } else {
        "check the instance's dagster.yaml (storage settings) and that its database is reachable"
    };
    Error::usage(msg).with_hint(hint)
}

impl From<crate::access::AccessError> for Error {
    fn from(e: crate::access::AccessError) -> Self {
        use crate::access::AccessError as A;
        match e {
            A::Config(problems) => Error::config(problems),
            A::LaunchRefused(verdict) => Error {
                kind: ErrorKind::Denied,
                problems: launch_refusal(&verdict),
            },
            A::NoPolicy { file } => Error::usage(format!(
                "the workspace has no access policy: {} has no [access] table",
                file.display()
            ))
            .with_hint("add an [access] table (README, \"Access control\") and run again"),
            A::Listen { addr, source } => {
                Error::usage(format!("could not listen on {addr}: {source}"))
                    .with_hint("pick another address or port (port 0 picks a free one)")
            }
            A::Runtime(source) => Error::failed(format!("the access proxy stopped: {source}")),
        }
    }
}

/// One problem per location a launch may not touch: the role needed, the person's role and
/// why, and who grants enough.
fn launch_refusal(verdict: &crate::access::roles::LaunchVerdict) -> Vec<Problem> {
    let person = &verdict.person;
    let file = verdict
        .policy_file
        .as_deref()
        .map(|f| {
            f.file_name().map_or(f.display().to_string(), |n| {
                n.to_string_lossy().into_owned()
            })
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for r in &verdict.refused {
        let e = &r.effective;
        let why: Vec<String> = e
            .reasons
            .iter()
            .filter(|reason| reason.role == e.role)
            .map(|reason| role_reason(reason, &file))
            .collect();
        let who = who_grants(r, &file);
        let email_note = if person.is_email() {
            String::new()
        } else {
            " (not an email address, so no grant can name it: set DG_RS_USER to your email)"
                .to_string()
        };
        let mut p = Problem::new(format!(
            "{} may not launch in {}: a launch needs {} in every location it touches, and {} \
             (from {}){email_note} has {} there ({})",
            person.id,
            e.location,
            r.needed,
            person.id,
            person.source.describe(),
            e.role,
            why.join("; ")
        ))
        .hint(format!(
            "{who}; ask for it, or leave {}'s assets out of the selection",
            e.location
        ));
        p.at = r.table_at.clone();
        out.push(p);
    }
    out.push(Problem::new(
        "nothing was launched: no run was created (dg access explain shows every role and why)",
    ));
    out
}

/// Why the person has a role, as `admins: GROUP, FILE:LINE`.
fn role_reason(reason: &crate::access::roles::Reason, file: &str) -> String {
    use crate::access::roles::Because;
    let line = reason
        .at
        .as_ref()
        .map(|a| format!(", {file}:{}", a.line))
        .unwrap_or_default();
    match &reason.because {
        Because::DefaultRole if reason.at.is_none() => "default_role, not set: viewer".to_string(),
        Because::DefaultRole => format!("default_role{line}"),
        Because::Admin(g) => format!("admins: {g}{line}"),
        Because::Grant(g) => format!("{} = {g}{line}", reason.role),
    }
}

/// Who grants the role a refused launch needs (or that nobody does).
fn who_grants(r: &crate::access::roles::Refusal, file: &str) -> String {
    let e = &r.effective;
    let grants: Vec<String> = r
        .granted_by
        .iter()
        .map(|g| format!("{} = {} ({file}:{})", g.rule(), g.grantee, g.at.line))
        .collect();
    if grants.is_empty() {
        format!(
            "nobody holds {} or more in {}; an admin can grant it",
            r.needed, e.location
        )
    } else {
        format!(
            "{} or more in {} is granted by {}",
            r.needed,
            e.location,
            grants.join(", ")
        )
    }
}

impl From<crate::launch::LaunchError> for Error {
    fn from(e: crate::launch::LaunchError) -> Self {
        use crate::launch::LaunchError as E;
        if let E::DependsOnFailedLocations {
            failures, verbose, ..
        } = &e
        {
            let mut err = location_failures(failures, *verbose);
            err.problems.push(Problem::new(e.to_string()).hint(
                "fix the location (see `dg check`), then launch again; or select assets that do not depend on it",
            ));
            return err;
        }
        let hint: Option<String> = match &e {
            E::MissingInterpreter { project, .. } => Some(format!(
                "run `dg sync {project}` to create the project's environment"
            )),
            E::NothingSelected(_) => Some("see the workspace's assets with `dg list assets`".into()),
            E::OnlyExternal { .. } => Some(
                "external assets are produced outside Dagster: select the assets that read them"
                    .into(),
            ),
            E::Cycle(_) => Some("`dg check` shows the whole cycle".into()),
            E::PartitionMissing(_) => Some(
                "pass --partition KEY, or leave the partitioned assets out of the selection".into(),
            ),
            E::NoSuchLocation { locations, .. } => Some(format!("locations: {locations}")),
            E::JobNotInLocation { jobs, .. } | E::NoSuchJob { jobs, .. } => {
                Some(format!("jobs: {jobs}"))
            }
            E::AmbiguousJob { .. } => Some("choose one with --location NAME".into()),
            E::ConfigYaml { .. } => Some(
                "a run config file is a YAML or JSON mapping, e.g. `ops: {my_asset: {config: {...}}}`"
                    .into(),
            ),
            E::ConfigUnused(_) => Some(
                "with several steps, `ops` entries go to the step of the asset with that op name and `resources` entries to the locations defining that resource"
                    .into(),
            ),
            _ => None,
        };
        let err = match &e {
            E::NoProject(_) | E::TempDir(_) => Error::failed(e.to_string()),
            _ => Error::usage(e.to_string()),
        };
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

/// A selection that did not parse or evaluate, shown with a caret under the bad part.
impl From<crate::affected::AffectedError> for Error {
    fn from(e: crate::affected::AffectedError) -> Self {
        let kind = if e.is_usage() {
            ErrorKind::Usage
        } else {
            ErrorKind::Failed
        };
        let mut problem = Problem::new(e.to_string());
        if let Some(h) = e.hint() {
            problem = problem.hint(h);
        }
        Error {
            kind,
            problems: vec![problem],
        }
    }
}

impl From<crate::graph::InvalidSelection> for Error {
    fn from(e: crate::graph::InvalidSelection) -> Self {
        Error::usage(format!(
            "invalid asset selection\n{}",
            e.error.caret_display(&e.text)
        ))
    }
}

/// The hint for a location that failed to load.
impl From<crate::deploy::DeployError> for Error {
    fn from(e: crate::deploy::DeployError) -> Self {
        use crate::deploy::DeployError as D;
        let e = match e {
            D::Fs(fs) => return Error::from(fs),
            D::Access(access) => return Error::from(*access),
            other => other,
        };
        let shown = |p: &Path| p.display().to_string();
        let message = e.to_string();
        let problem = match &e {
            D::NoProjects(file) => Problem::new(message)
                .hint(format!("list the projects under [workspace] in {}", shown(file))),
            D::NotPinned { location, at, .. } => {
                let p = Problem::new(message).hint(format!(
                    "pin it (`dagster==1.13.27`) in the `{location}` project's dependencies, or lock the project with `uv lock`: the image must get the Dagster the location was tested with"
                ));
                match at {
                    Some(at) => p.at((**at).clone()),
                    None => p,
                }
            }
            D::NotLocked { .. } => {
                Problem::new(message).hint("run `uv lock` in the project to lock its dependencies")
            }
            D::UnsupportedVersion { .. } => Problem::new(message)
                .hint("use a released Dagster 1.x (X.Y.Z); pre-releases have no matching dagster-postgres"),
            D::PythonUnknown { file, .. } => Problem::new(message).hint(format!(
                "set `[tool.dg-rs] python = \"3.12\"` in {}, or a `.python-version` file, or a requires-python that allows one minor (`>=3.12,<3.13`)",
                shown(file)
            )),
            D::WorkingDirOutside { .. } => {
                Problem::new(message).hint("keep the project's code inside its folder")
            }
            D::HostTooOld { file, version, .. } => Problem::new(message).hint(format!(
                "the webserver and daemon must run a Dagster at least every location's: raise the pin in {} to dagster=={version} (upgrade the host first, then the locations)",
                shown(file)
            )),
            D::Port { .. } => Problem::new(message).hint("choose a lower --grpc-base-port"),
            D::NotDns1035 {
                name,
                suggestion,
                project,
                at,
            } => {
                let p = Problem::new(format!(
                    "{message}: Kubernetes names each location's Service after it, and a Service name must be a DNS-1035 label (lowercase letters, digits and `-`, starting with a letter, ending with a letter or digit, at most 63 characters); `{name}` is not"
                ))
                .hint(format!(
                    "set `code_location_name = \"{suggestion}\"` under [tool.dg.project] in {} (renaming a location starts a new run history for it in Dagster)",
                    shown(project)
                ));
                match at {
                    Some(at) => p.at((**at).clone()),
                    None => p,
                }
            }
            D::NotServiceName { project, .. } => Problem::new(message).hint(format!(
                "set a `code_location_name` of letters, digits, `_`, `.` and `-` under [tool.dg.project] in {}",
                shown(project)
            )),
            D::ReservedName { project, .. } => Problem::new(message).hint(format!(
                "set another `code_location_name` under [tool.dg.project] in {}",
                shown(project)
            )),
            D::BadOption { .. } => Problem::new(message),
            D::Fs(_) | D::Access(_) => unreachable!("handled above"),
            D::Io { .. } | D::Template { .. } => Problem::new(message),
        };
        Error {
            kind: ErrorKind::Usage,
            problems: vec![problem],
        }
    }
}

impl From<crate::launch::remote::RemoteError> for Error {
    fn from(e: crate::launch::remote::RemoteError) -> Self {
        use crate::launch::remote::RemoteError as R;
        let message = e.to_string();
        let (kind, hint) = match &e {
            R::Unreachable { .. } => (
                ErrorKind::Failed,
                "check the URL given to --remote and that the webserver is running".to_string(),
            ),
            R::Refused { status: 401 | 403, .. } => (
                ErrorKind::Usage,
                "pass a token the webserver (or the proxy in front of it) accepts: --token, or DG_RS_REMOTE_TOKEN".to_string(),
            ),
            R::Refused { .. } | R::NotGraphql { .. } => (
                ErrorKind::Failed,
                "--remote takes the webserver's base URL (http://host:3000, with its path prefix if any)".to_string(),
            ),
            R::MissingLocation { location, .. } => (
                ErrorKind::Usage,
                format!("deploy `{location}` to that instance (dg deploy) or launch locally without --remote"),
            ),
            R::LocationError { .. } => (
                ErrorKind::Failed,
                "fix the location and reload it in the Dagster UI, then launch again".to_string(),
            ),
        };
        Error {
            kind,
            problems: vec![Problem::new(message).hint(hint)],
        }
    }
}

pub(crate) fn location_failure_hint(f: &crate::manifest::extract::LocationFailure) -> String {
    use crate::manifest::extract::FailureKind as K;
    match f.kind {
        K::MissingInterpreter => format!(
            "run `dg sync {}` to create the project's environment",
            f.project
        ),
        K::DagsterMissing => format!(
            "dagster is not installed in {}: run `dg sync {}`",
            f.interpreter.display(),
            f.project
        ),
        K::ImportError => format!(
            "fix the import, or run `dg sync {}` if a dependency is missing",
            f.project
        ),
        K::NoDefinitions => format!(
            "{} must define a `Definitions` object or a @definitions function",
            f.module
        ),
        K::Timeout => {
            "set DG_RS_LOAD_TIMEOUT (seconds) to allow more time, or make imports lighter".into()
        }
        K::State => "check that the workspace folder is writable".into(),
        K::Interrupted => "run the command again".into(),
        K::Protocol => "this is a dg-rs bug: please report it".into(),
        K::Crash => "run with --verbose to see the location's whole output".into(),
        K::SyntaxError | K::DefinitionsError => {
            "fix the error in the location's code shown above".into()
        }
    }
}

/// Every failed location as one problem each (exit 1: the others were still listed).
/// Locations that merely have no environment yet are named together in one problem. With
/// `verbose`, the whole output of each failed load is shown, not only its tail.
pub(crate) fn location_failures(
    failures: &[crate::manifest::extract::LocationFailure],
    verbose: bool,
) -> Error {
    use crate::manifest::extract::FailureKind;
    let (missing, other): (Vec<_>, Vec<_>) = failures
        .iter()
        .partition(|f| f.kind == FailureKind::MissingInterpreter && f.detail.trim().is_empty());
    let mut problems = Vec::new();
    match missing.as_slice() {
        [] => {}
        [one] => problems.push(
            Problem::new(format!(
                "location `{}` failed to load: {}",
                one.location, one.message
            ))
            .hint(location_failure_hint(one)),
        ),
        many => {
            let names: Vec<&str> = many.iter().map(|f| f.location.as_str()).collect();
            let shown = if names.len() > 8 {
                format!("{}, ... ({} in all)", names[..8].join(", "), names.len())
            } else {
                names.join(", ")
            };
            problems.push(
                Problem::new(format!(
                    "{} locations have no Python environment yet: {shown}",
                    names.len()
                ))
                .hint("run `dg sync` to create them (or `dg sync NAME...` for some)"),
            );
        }
    }
    for f in other {
        let mut msg = format!("location `{}` failed to load: {}", f.location, f.message);
        let detail = if verbose && !f.output.trim().is_empty() {
            &f.output
        } else {
            &f.detail
        };
        if !detail.trim().is_empty() {
            msg.push('\n');
            msg.push_str(
                &detail
                    .trim_end()
                    .lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        let mut hint = if verbose && f.kind == crate::manifest::extract::FailureKind::Crash {
            "the location's whole output is shown above".to_string()
        } else {
            location_failure_hint(f)
        };
        if f.remembered {
            hint.push_str(
                " (remembered from the last load: nothing the location depends on has changed \
                 since; `--refresh` loads it again)",
            );
        }
        problems.push(Problem::new(msg).hint(hint));
    }
    Error {
        kind: ErrorKind::Failed,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::PythonError;

    /// A failed `uv sync` reads as before the error was typed: the command's tail kept,
    /// the stale-lock hint chosen from uv's words, exit 1; an error found before anything
    /// ran is named by its project and exits 2.
    #[test]
    fn a_python_error_keeps_its_project_its_hint_and_its_exit_code() {
        let step = PythonError::StepFailed {
            project: "orders".into(),
            what: "run `uv sync`".into(),
            command: "uv sync --locked".into(),
            status: "exited with Some(1)".into(),
            tail: "The lockfile needs to be updated, but `--locked` was provided.".into(),
        };
        let err = Error::from(crate::python::uv::explain(step));
        assert_eq!(err.kind.exit_code(), 1);
        let p = &err.problems[0];
        assert_eq!(
            p.message,
            "orders: could not run `uv sync`: `uv sync --locked` exited with Some(1)\n\
             The lockfile needs to be updated, but `--locked` was provided."
        );
        let hint = p.hint.as_deref().unwrap_or_default();
        assert!(hint.starts_with("uv.lock no longer matches"), "{hint}");

        let none = PythonError::NoInterpreter {
            request: "Python 3.9".into(),
            requires_python: Some(">=3.9".into()),
            found: "none".into(),
        };
        let err = Error::from(none.in_project("orders"));
        assert_eq!(err.kind.exit_code(), 2);
        assert_eq!(
            err.problems[0].message,
            "orders: no Python interpreter on this machine satisfies Python 3.9 and \
             requires-python >=3.9; found: none"
        );
        assert!(
            err.problems[0]
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("pyenv install")
        );

        let interrupted = Error::from(PythonError::Interrupted.in_project("orders"));
        assert_eq!(interrupted.kind, ErrorKind::Interrupted);
    }

    /// dg dev's own errors keep their hint and exit code: a taken port is the user's to
    /// change (2), a webserver that stops while starting is a failure (1); a code server
    /// that exits says which environment to check.
    #[test]
    fn a_dev_error_keeps_its_hint_and_exit_code() {
        use crate::dev::DevError;
        let taken = Error::from(DevError::PortInUse {
            host: "127.0.0.1".into(),
            port: 3000,
        });
        assert_eq!(taken.kind.exit_code(), 2);
        assert_eq!(
            taken.problems[0].message,
            "port 3000 on 127.0.0.1 is in use"
        );
        assert!(
            taken.problems[0]
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("--port N")
        );
        let exited = Error::from(DevError::WebserverExited {
            status: "exit code 1".into(),
            tail: "ImportError".into(),
        });
        assert_eq!(exited.kind.exit_code(), 1);
        let p = dev_problem(&DevError::CodeServerExited {
            status: "exit code 1".into(),
            tail: "No module named dagster".into(),
            interpreter: "/w/p/.venv/bin/python".into(),
            project: "p".into(),
        });
        assert_eq!(
            p.message,
            "its code server exited (exit code 1) before listening:\nNo module named dagster"
        );
        assert_eq!(
            p.hint.as_deref(),
            Some("check that /w/p/.venv/bin/python has dagster installed (`dg sync p`)")
        );
    }
}
