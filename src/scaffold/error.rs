//! What can stop `create-dagster`, `dg scaffold defs` and `dg scaffold github-actions` before
//! (or, for registration, while) they write. What the user reads for each (message, hint,
//! exit code) is decided in `render::errors`.

use crate::diagnostic::{Problem, SourcePos};
use crate::fs::FsError;
use std::path::PathBuf;

pub type Result<T, E = ScaffoldError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A configuration file found on the way up that does not parse.
    #[error("{}", .0.message)]
    ConfigFile(Problem),
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    // create-dagster: where the new tree goes.
    #[error("{} is inside the workspace at {}", target.display(), workspace.display())]
    NestedWorkspace { target: PathBuf, workspace: PathBuf },
    #[error("{} is the workspace root; a project cannot be the workspace itself", root.display())]
    IsWorkspaceRoot { root: PathBuf },
    #[error(
        "{} is outside the workspace at {} that the current directory belongs to",
        root.display(),
        workspace.display()
    )]
    OutsideWorkspace { root: PathBuf, workspace: PathBuf },
    #[error("{} has no folder name to use", root.display())]
    NoFolderName { root: PathBuf },
    /// `what` is "folder", "project" or "workspace".
    #[error("a {what} already exists at {}", root.display())]
    AlreadyExists { what: String, root: PathBuf },
    #[error("{} already exists; nothing was written", path.display())]
    FileExists { path: PathBuf },

    // create-dagster: names and versions.
    /// `what` is "project" or "workspace"; `why` says what `name` is instead.
    #[error("`{folder}` cannot be a {what} name: `{name}` is {why}")]
    NotAnIdentifier {
        folder: String,
        what: &'static str,
        name: String,
        why: &'static str,
    },
    #[error("`{folder}` cannot be a project name: it must start with a letter")]
    NotStartingWithALetter { folder: String },
    #[error(
        "`{folder}` cannot be a project name: a package named `{name}` would hide {hidden} (`{name}`) from the location"
    )]
    HidesAModule {
        folder: String,
        name: String,
        hidden: &'static str,
    },
    #[error("`{given}` is not a Dagster version")]
    BadDagsterVersion { given: String },
    #[error("`{given}` is not a Python version")]
    BadPythonVersion { given: String },

    // create-dagster: registration in the workspace file.
    #[error("invalid TOML in {}: {message}", file.display())]
    WorkspaceToml { file: PathBuf, message: String },
    #[error("the workspace already lists a project at `{listed}`")]
    AlreadyListed { listed: String, at: Box<SourcePos> },
    /// `what` is "the name `x`" or "the package `x`".
    #[error("{what} is already used by the project at `{listed}`; nothing was written")]
    NameTaken { what: String, listed: String },
    #[error("cannot register the project in {}: {message}", file.display())]
    CannotRegister { file: PathBuf, message: String },
    /// Writing the workspace file failed after the project's files were written (and removed
    /// again).
    #[error("{source}")]
    RegistrationNotWritten { file: PathBuf, source: FsError },

    // dg scaffold defs.
    #[error("dg-rs cannot scaffold `{given}`")]
    UnknownType {
        given: String,
        known: Vec<&'static str>,
    },
    #[error("an asset check needs the key of the asset it checks")]
    AssetKeyMissing,
    #[error("`{key}` is not an asset key: every part between `/` must have a name")]
    BadAssetKey { key: String },
    #[error("the defs folder {} of project `{project}` does not exist", folder.display())]
    NoDefsFolder {
        folder: PathBuf,
        project: String,
        config_file: PathBuf,
    },
    /// `defs` is the defs folder relative to the project.
    #[error("`{path}` is not a path inside the defs folder")]
    NotInDefs { path: String, defs: PathBuf },
    /// `kind` is what is scaffolded ("asset", "sensor", ...).
    #[error("`{path}` has no file name before `.py`")]
    NoFileName { path: String, kind: &'static str },
    #[error("`{path}` does not end in `.py`")]
    NotPython { path: String, kind: &'static str },
    #[error(
        "`{stem}` is not a Python identifier, and the file name becomes the name of the {kind}'s function"
    )]
    StemNotIdentifier { stem: String, kind: &'static str },
    #[error("{} already exists", path.display())]
    DefsFileExists { path: PathBuf },
    /// A type the location's registry does not have (or cannot scaffold). `known` are the
    /// location's scaffoldable types.
    #[error("no scaffoldable type `{given}` in location `{location}`")]
    NotInRegistry {
        given: String,
        location: String,
        known: Vec<String>,
    },
    /// The location could not read its registry.
    #[error("{}", .0.message)]
    Registry(Box<crate::manifest::extract::LocationFailure>),
    /// The scaffolder's parameters do not fit its schema.
    #[error("{message}")]
    BadParams { given: String, message: String },
    /// The type's own scaffolder failed.
    #[error("scaffolding `{given}` failed: {message}")]
    ScaffolderFailed {
        given: String,
        message: String,
        detail: String,
    },

    // dg scaffold component, dg scaffold defs inline-component.
    #[error("`{name}` cannot name a component type: {why}")]
    BadComponentName { name: String, why: String },
    /// `what` is "root module" or "registry entry point module".
    #[error("component `{name}` must be nested under the {what} `{parent}`")]
    ComponentOutsideModule {
        name: String,
        parent: String,
        what: &'static str,
    },
    #[error("a module `{module}` already exists at {}", path.display())]
    ModuleExists { module: String, path: PathBuf },
    #[error("{} is a module, not a package, so no module can go below it", path.display())]
    NotAPackage { path: PathBuf },
    #[error("cannot add the module to `registry_modules` in {}: {message}", file.display())]
    CannotRegisterModule { file: PathBuf, message: String },
    #[error("`{given}` is not a class to inherit from")]
    BadSuperclass { given: String },

    // dg utils configure-editor.
    #[error("cannot change {}: {message}", file.display())]
    EditorSettings { file: PathBuf, message: String },

    // dg scaffold github-actions.
    #[error("{} exists; dg-rs does not overwrite it", path.display())]
    WorkflowExists { path: PathBuf },

    /// An embedded template that does not render: a bug in dg-rs.
    #[error("internal error: {0}")]
    Template(String),
}

impl ScaffoldError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        ScaffoldError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
