"""dg-rs shared loader: what introspect.py and run_step.py both need to load one Dagster code
location in the project's own interpreter (stdout protection, error classification, user-frame
traceback tails, atomic JSON writes, module import and repository build).

Imported by the two scripts from the folder dg-rs writes them to; stdlib + dagster only.
"""

import contextlib
import json
import os
import sys
import traceback

MANIFEST_VERSION = 1
EXIT_LOAD_FAILURE = 3
TRACEBACK_TAIL_LINES = 15


class LoadFailure(Exception):
    def __init__(self, kind, exc):
        super().__init__(kind)
        self.kind = kind
        self.exc = exc


# ---------------------------------------------------------------------------------------------
# stdout protection
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def stdout_to_stderr():
    """Send both Python-level and OS-level stdout to stderr for the duration."""
    sys.stdout.flush()
    saved_fd = None
    try:
        saved_fd = os.dup(1)
        os.dup2(2, 1)
    except OSError:
        saved_fd = None
    saved_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sys.stdout = saved_stdout
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)


# ---------------------------------------------------------------------------------------------
# error reporting
# ---------------------------------------------------------------------------------------------


def _exc_chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def system_dirs():
    dirs = []
    for name in ("dagster", "dagster_shared", "dagster_pipes"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(mod.__file__)) + os.sep)
    dirs.append(os.path.dirname(os.path.abspath(contextlib.__file__)) + os.sep + "importlib" + os.sep)
    dirs.append(os.path.abspath(contextlib.__file__))
    # introspect.py, run_step.py and this file all live in one folder of dg-rs scripts.
    dirs.append(os.path.dirname(os.path.abspath(__file__)) + os.sep)
    return dirs


def is_system_frame(filename, system_dirs):
    if filename.startswith("<frozen importlib") or filename.startswith("<frozen "):
        return True
    path = os.path.abspath(filename)
    return any(path.startswith(d) or path == d for d in system_dirs)


def format_traceback_tail(exc, max_lines=TRACEBACK_TAIL_LINES):
    """The traceback of ``exc`` (no chained exceptions), without dagster/importlib frames."""
    sys_dirs = system_dirs()
    frames = traceback.extract_tb(exc.__traceback__)
    # Only user frames; when there are none (e.g. a SyntaxError raised by the import machinery)
    # the exception lines below still name the user's file.
    user_frames = [f for f in frames if not is_system_frame(f.filename, sys_dirs)]
    lines = []
    if user_frames:
        lines.append("Traceback (most recent call last):")
        for line in traceback.format_list(user_frames):
            lines.extend(line.rstrip("\n").split("\n"))
    for line in traceback.format_exception_only(type(exc), exc):
        lines.extend(line.rstrip("\n").split("\n"))
    return "\n".join(lines[-max_lines:])


def one_line_message(exc):
    text = str(exc).strip().splitlines()
    msg = text[0] if text else ""
    if isinstance(exc, SyntaxError) and exc.filename:
        msg = f"{exc.msg} ({exc.filename}, line {exc.lineno})"
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def classify(exc, phase):
    """(kind, the exception to report) for a load failure in ``phase`` ('import' or 'build')."""
    for e in _exc_chain(exc):
        if isinstance(e, SyntaxError):
            return "syntax_error", e
    for e in _exc_chain(exc):
        if isinstance(e, ImportError):
            return "import_error", e
    return ("import_error" if phase == "import" else "definitions_error"), exc


def error_document(kind, exc):
    return {
        "manifest_version": MANIFEST_VERSION,
        "error": {
            "kind": kind,
            "message": one_line_message(exc),
            "traceback_tail": format_traceback_tail(exc),
        },
    }


def write_json_atomic(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------------


def import_dagster():
    try:
        import dagster  # noqa: F401
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        raise LoadFailure("dagster_missing", e) from e
    return sys.modules["dagster"]


def import_module(module_name, working_directory):
    import importlib

    if working_directory:
        wd = os.path.abspath(working_directory)
        while wd in sys.path:
            sys.path.remove(wd)
        sys.path.insert(0, wd)
    try:
        return importlib.import_module(module_name)
    except BaseException as e:  # noqa: BLE001 - user code may sys.exit()
        if isinstance(e, KeyboardInterrupt):
            raise
        kind, exc = classify(e, "import")
        raise LoadFailure(kind, exc) from e


def resolve_attribute(module, attribute):
    """Which module attribute holds the definitions (mirrors Dagster's own autodiscovery)."""
    from dagster import Definitions, RepositoryDefinition

    try:
        from dagster.components.definitions import LazyDefinitions
    except ImportError:  # older layouts
        from dagster._utils.test.definitions import LazyDefinitions

    if attribute:
        if not hasattr(module, attribute):
            raise LoadFailure(
                "no_definitions",
                _make_exc(
                    AttributeError,
                    f"module '{module.__name__}' has no attribute '{attribute}'",
                ),
            )
        return attribute
    if isinstance(getattr(module, "defs", None), (Definitions, LazyDefinitions, RepositoryDefinition)):
        return "defs"
    from dagster._core.workspace.autodiscovery import loadable_targets_from_loaded_module

    try:
        targets = loadable_targets_from_loaded_module(module)
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        if type(e).__name__ == "DagsterInvariantViolationError" and str(e).startswith("No "):
            raise LoadFailure("no_definitions", e) from e
        kind, exc = classify(e, "build")
        raise LoadFailure(kind, exc) from e
    if len(targets) != 1:
        raise LoadFailure(
            "no_definitions",
            _make_exc(
                LookupError,
                f"expected exactly one definitions target in '{module.__name__}', found "
                f"{[t.attribute for t in targets]}",
            ),
        )
    target = targets[0]
    if not isinstance(target.attribute, str) or target.attribute.startswith("<<"):
        # Dagster would synthesize a repository from loose assets (LOAD_ALL_ASSETS).
        raise LoadFailure(
            "no_definitions",
            _make_exc(
                LookupError,
                f"no Definitions object or @definitions function found in '{module.__name__}' "
                "(only loose assets)",
            ),
        )
    return target.attribute


def _make_exc(cls, message):
    try:
        raise cls(message)
    except cls as e:
        return e


def build_repository(module_name, attribute, working_directory):
    """Build the RepositoryDefinition as `dg list defs` does: in an initialization load.

    That is the load in which a state-backed component (dagster_dbt.DbtProjectComponent, whose
    state is the dbt manifest) refreshes its state under the dev CLI; a reconstruction only
    reads the state a previous load left (and fails without one). ``recon_repo.get_definition()``
    always reconstructs, so the repository is initialized from its pointer, as Dagster's own
    initial load does; where Dagster lacks that function, it is reconstructed as before.
    """
    from dagster._core.definitions import reconstruct
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )

    DefinitionsLoadContext.set(
        DefinitionsLoadContext(load_type=DefinitionsLoadType.INITIALIZATION)
    )
    recon_repo = reconstruct.ReconstructableRepository.for_module(
        module_name, attribute, working_directory=working_directory
    )
    initialize = getattr(reconstruct, "initialize_repository_def_from_pointer", None)
    try:
        if initialize is None:
            repo_def = recon_repo.get_definition()
        else:
            repo_def = initialize(recon_repo.pointer)
        # Force the lazy parts that evaluate user definitions (asset graph, job resolution),
        # so their errors are reported as definitions errors, not as crashes of this script.
        repo_def.asset_graph  # noqa: B018
        repo_def.get_all_jobs()
        return recon_repo, repo_def
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        kind, exc = classify(e, "build")
        raise LoadFailure(kind, exc) from e


def skip_component_type_catalogue():
    """Leave out the component-type catalogue Dagster attaches to every repository built from
    a defs folder.

    ``load_from_defs_folder`` asks every installed plugin for a JSON snapshot of its component
    types and stores it as repository metadata for the UI and editors (0.3-0.4 s per location
    on a 2-core machine; real dg pays it too). Nothing in a manifest comes from it. Both 1.12
    and 1.13 look the builder up from its module at call time, so replacing the module
    attribute is enough; if Dagster's internals differ, nothing is patched.
    """
    try:
        from dagster import Definitions
        from dagster.components.core import load_defs
    except Exception:  # noqa: BLE001 - an older or newer layout: keep Dagster's behaviour
        return
    if not callable(getattr(load_defs, "get_library_json_enriched_defs", None)):
        return

    def without_catalogue(tree=None, *_args, **_kwargs):
        return Definitions(component_tree=tree)

    load_defs.get_library_json_enriched_defs = without_catalogue


def load_location(module_name, working_directory, attribute, after_dagster_import=None):
    """Import + build. Returns (recon_repo, repo_def). Raises LoadFailure.

    ``after_dagster_import`` runs once dagster is imported and before user code is.
    """
    # Real dg marks every command as the dev CLI's before it imports anything (dagster_dg_cli's
    # group sets DAGSTER_IS_DEV_CLI): state-backed components refresh their state then, and dbt
    # projects are prepared (`dbt parse`) as `dg list defs` and `dg launch` prepare them.
    os.environ.setdefault("DAGSTER_IS_DEV_CLI", "1")
    import_dagster()
    if after_dagster_import is not None:
        after_dagster_import()
    module = import_module(module_name, working_directory)
    attribute = resolve_attribute(module, attribute)
    return build_repository(module_name, attribute, working_directory)
