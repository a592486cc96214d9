"""Shared helpers for the dg-rs Python script tests (stdlib only).

The scripts run as subprocesses of ``sys.executable`` (the venv under test), always with argv
lists. The fixture workspace comes from $DG_RS_FIXTURE_WORKSPACE (default: the repository's
fixtures/workspace) and is copied into a temp dir, so tests never write into it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INTROSPECT = os.path.join(PYTHON_DIR, "introspect.py")
RUN_STEP = os.path.join(PYTHON_DIR, "run_step.py")
COMPONENTS = os.path.join(PYTHON_DIR, "components.py")
EVENT_PREFIX = "@@dg-rs "

PROJECTS = {
    "data-engineering": "data_engineering",
    "data-science": "data_science",
}


def fixture_workspace_source():
    path = os.environ.get("DG_RS_FIXTURE_WORKSPACE") or os.path.join(
        os.path.dirname(PYTHON_DIR), "fixtures", "workspace"
    )
    if not os.path.isdir(os.path.join(path, "projects")):
        raise RuntimeError(
            f"fixture workspace not found at {path!r}; set DG_RS_FIXTURE_WORKSPACE"
        )
    return path


def copy_workspace(dest_dir):
    dest = os.path.join(dest_dir, "workspace")
    shutil.copytree(
        fixture_workspace_source(),
        dest,
        ignore=shutil.ignore_patterns("__pycache__", ".venv", "data", ".tmp_dagster_home_*"),
    )
    return dest


class Project:
    """A code location on disk: root, src dir, module, location name."""

    def __init__(self, root, package, location_name=None, module=None):
        self.root = root
        self.src = os.path.join(root, "src")
        self.package = package
        self.module = module or f"{package}.definitions"
        self.location_name = location_name or os.path.basename(root)

    def loader_args(self):
        return [
            "--module",
            self.module,
            "--working-directory",
            self.src,
            "--location-name",
            self.location_name,
            "--project-root",
            self.root,
        ]


def fixture_project(workspace, name):
    return Project(os.path.join(workspace, "projects", name), PROJECTS[name])


def make_project(parent, package, files):
    """A throwaway project: ``files`` maps paths relative to src/<package>/ to source text."""
    root = os.path.join(parent, package.replace("_", "-"))
    pkg_dir = os.path.join(root, "src", package)
    os.makedirs(pkg_dir)
    open(os.path.join(pkg_dir, "__init__.py"), "w").close()
    for rel, text in files.items():
        path = os.path.join(pkg_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
    return Project(root, package)


def clean_env(**extra):
    env = dict(os.environ)
    for key in ("DG_FIXTURE_FAIL_ASSET", "DG_FIXTURE_DATA_DIR", "DAGSTER_HOME", "PYTHONPATH"):
        env.pop(key, None)
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def run_script(script, args, cwd, env, timeout=300):
    return subprocess.run(
        [sys.executable, script, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )


def introspect(project, output, attribute=None, env=None):
    args = project.loader_args() + ["--output", output]
    if attribute:
        args += ["--attribute", attribute]
    proc = run_script(INTROSPECT, args, cwd=project.root, env=env or clean_env())
    doc = None
    if os.path.exists(output):
        with open(output) as f:
            doc = json.load(f)
    return proc, doc


def event_lines(stdout):
    return [
        json.loads(line[len(EVENT_PREFIX) :])
        for line in stdout.splitlines()
        if line.startswith(EVENT_PREFIX)
    ]


def python_json(code, env, cwd=None):
    """Run ``code`` in the interpreter under test; it must print one JSON document last."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"helper failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def has_module(name):
    proc = subprocess.run(
        [sys.executable, "-c", f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({name!r}) else 1)"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc.returncode == 0


class TempDirMixin:
    def setUp(self):
        super().setUp()
        self._tmp = tempfile.TemporaryDirectory(prefix="dgrs-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()
        super().tearDown()
