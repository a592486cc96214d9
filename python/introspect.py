"""dg-rs introspection script: load one Dagster code location and write its manifest.

Run with the *project's own* interpreter:

    <python> introspect.py --module pkg.definitions --working-directory <project>/src \
        --location-name <name> --project-root <project> --output <file> [--attribute NAME]

The manifest (see src/manifest/schema.rs) is written only to --output (atomically, via
``<output>.tmp`` + ``os.replace``). stdout is never used for data: during import/build both
``sys.stdout`` and the OS-level fd 1 are redirected to stderr, so user prints cannot corrupt it.

Exit codes: 0 = manifest written; 3 = the location could not be loaded (a
``{"manifest_version": 1, "error": {...}}`` document was written); anything else = this script
crashed. Python 3.10-3.13, stdlib + dagster only.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
import warnings

from dg_rs_loader import *  # noqa: F401,F403 - the shared loader (python/dg_rs_loader.py)



MAX_WARNINGS = 20
SAMPLE_KEYS = 5
# Above this many (estimated) partitions we do not enumerate a non-trivial time-window cron.
MAX_ENUMERATED_PARTITIONS = 20000


# ---------------------------------------------------------------------------------------------
# manifest
# ---------------------------------------------------------------------------------------------


def _rel_file(path, project_root):
    if not path:
        return None
    ap = os.path.abspath(path)
    for root in (os.path.abspath(project_root), os.path.realpath(project_root)):
        for candidate in (ap, os.path.realpath(ap)):
            try:
                if os.path.commonpath([candidate, root]) == root:
                    return os.path.relpath(candidate, root)
            except ValueError:
                pass
    return ap


def dg_source(metadata, project_root):
    """What real `dg list defs` prints as `source` (dagster.components.list._get_source)."""
    from pathlib import Path

    try:
        from dagster._core.definitions.metadata import CodeReferencesMetadataValue
        from dagster._core.definitions.metadata.source_code import LocalFileCodeReference
    except ImportError:
        return None
    value = (metadata or {}).get("dagster/code_references")
    if not isinstance(value, CodeReferencesMetadataValue) or not value.code_references:
        return None
    root = Path(project_root)
    for ref in value.code_references:
        if isinstance(ref, LocalFileCodeReference):
            src = Path(ref.source)
            try:
                return str(src.relative_to(root))
            except ValueError:
                continue
    return None


def compute_fn_source(node, project_root):
    """File + line of the asset's compute function, when it has one."""
    import inspect

    try:
        assets_def = node.assets_def
        node_def = assets_def.node_def
    except Exception:
        return None
    fn = None
    compute_fn = getattr(node_def, "compute_fn", None)
    if compute_fn is not None:
        fn = getattr(compute_fn, "decorated_fn", compute_fn)
    if fn is None or not callable(fn):
        return None
    try:
        fn = inspect.unwrap(fn)
        file = inspect.getsourcefile(fn) or inspect.getfile(fn)
    except (TypeError, OSError):
        return None
    code = getattr(fn, "__code__", None)
    line = code.co_firstlineno if code is not None else None
    return {"file": _rel_file(file, project_root), "line": line}


def _digest(value):
    """A short digest of a Dagster value, stable across processes and machines: its serdes
    form when it has one, else its repr with memory addresses taken out."""
    import hashlib
    import re

    try:
        from dagster._serdes import serialize_value

        text = serialize_value(value)
    except Exception:
        text = re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


# Absolute paths of the checkout: they differ between machines without the asset changing.
_UNCOMPARED_METADATA = ("dagster/code_references",)


def metadata_digests(metadata):
    return {
        k: _digest(v) for k, v in sorted((metadata or {}).items()) if k not in _UNCOMPARED_METADATA
    }


def partition_mapping_digests(node):
    try:
        mappings = dict(node.partition_mappings or {})
    except Exception:
        return {}
    return {k.to_user_string(): _digest(m) for k, m in mappings.items()}


def partitions_identity(pd):
    """What identifies the definition, not today's keys (a daily definition gains a key a
    day): Dagster's own unique identifier where it has one."""
    try:
        return str(pd.get_serializable_unique_identifier())
    except Exception:
        return _digest(pd)


def partitions_info(partitions_def):
    if partitions_def is None:
        return None
    info = {
        "type": type(partitions_def).__name__,
        "num_keys": None,
        "sample_keys": [],
        "identity": partitions_identity(partitions_def),
    }
    try:
        info["num_keys"], info["sample_keys"] = _partition_counts(partitions_def)
    except Exception:
        pass
    return info


def _partition_counts(pd):
    """(num_keys or None, up to SAMPLE_KEYS first keys), never touching an instance."""
    from dagster import (
        DynamicPartitionsDefinition,
        MultiPartitionsDefinition,
        StaticPartitionsDefinition,
        TimeWindowPartitionsDefinition,
    )

    if isinstance(pd, DynamicPartitionsDefinition):
        return None, []
    if isinstance(pd, StaticPartitionsDefinition):
        keys = pd.get_partition_keys()
        return len(keys), list(keys[:SAMPLE_KEYS])
    if isinstance(pd, TimeWindowPartitionsDefinition):
        return _time_window_counts(pd)
    if isinstance(pd, MultiPartitionsDefinition):
        total = 1
        for dim in pd.partitions_defs:
            n, _ = _partition_counts(dim.partitions_def)
            if n is None:
                return None, []
            total *= n
        samples = []
        if total <= MAX_ENUMERATED_PARTITIONS:
            samples = [str(k) for k in pd.get_partition_keys()[:SAMPLE_KEYS]]
        return total, samples
    # Unknown (custom) partitions definition: may need an instance; best effort.
    keys = pd.get_partition_keys()
    return len(keys), [str(k) for k in keys[:SAMPLE_KEYS]]


def _time_window_counts(pd):
    samples = []
    key = pd.get_first_partition_key()
    while key is not None and len(samples) < SAMPLE_KEYS:
        samples.append(key)
        key = pd.get_next_partition_key(key)
    first = pd.get_first_partition_window()
    last = pd.get_last_partition_window()
    if first is None or last is None:
        return 0, samples
    fast = False
    try:
        from dagster._utils.cronstring import get_fixed_minute_interval

        fast = bool(pd.is_basic_daily) or (
            bool(get_fixed_minute_interval(pd.cron_schedule)) and not getattr(pd, "exclusions", None)
        )
    except Exception:
        fast = False
    if not fast:
        span = last.end.timestamp() - first.start.timestamp()
        width = max(first.end.timestamp() - first.start.timestamp(), 1.0)
        # Crons with irregular spacing: the estimate may be off, so leave generous headroom.
        if span / width > MAX_ENUMERATED_PARTITIONS:
            return None, samples
    return pd.get_num_partitions(), samples


def automation_condition_info(condition):
    if condition is None:
        return None
    from dagster._core.definitions.declarative_automation.serialized_objects import (
        get_expanded_label,
    )

    snapshot = condition.get_snapshot()
    return {
        "label": snapshot.node_snapshot.label,
        "expanded_label": list(get_expanded_label(snapshot)),
    }


def _keyparts(key):
    return list(key.path)


def build_manifest(repo_def, args, extraction_seconds, caught_warnings):
    import dagster
    from dagster._config.pythonic_config.resource import get_resource_type_name
    from dagster._core.definitions.assets.job.asset_job import is_reserved_asset_job_name

    project_root = args.project_root
    asset_graph = repo_def.asset_graph

    assets = []
    for key in sorted(asset_graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = asset_graph.get(key)
        assets.append(
            {
                "key": _keyparts(key),
                "deps": sorted(
                    (_keyparts(k) for k in node.parent_keys), key=lambda p: "/".join(p)
                ),
                "group_name": node.group_name,
                "kinds": sorted(node.kinds),
                "owners": list(node.owners),
                "tags": {
                    k: v for k, v in sorted(node.tags.items()) if not k.startswith("dagster/kind")
                },
                "description": node.description,
                "is_executable": bool(node.is_executable),
                "partitions": partitions_info(node.partitions_def),
                "automation_condition": automation_condition_info(node.automation_condition),
                "code_version": node.code_version,
                "source": compute_fn_source(node, project_root) if node.is_executable else None,
                "dg_source": dg_source(node.metadata, project_root),
                "metadata": metadata_digests(node.metadata),
                "partition_mappings": partition_mapping_digests(node),
            }
        )

    checks = []
    for check_key in sorted(
        asset_graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)
    ):
        node = asset_graph.get(check_key)
        checks.append(
            {
                "asset_key": _keyparts(check_key.asset_key),
                "name": check_key.name,
                "additional_deps": sorted(
                    (_keyparts(k) for k in node.parent_entity_keys), key=lambda p: "/".join(p)
                ),
                "description": node.description,
                "blocking": bool(getattr(node, "blocking", False)),
                "dg_source": dg_source(node.metadata, project_root),
            }
        )

    jobs = []
    for job in repo_def.get_all_jobs():
        if is_reserved_asset_job_name(job.name):
            continue
        try:
            asset_keys = sorted(
                (_keyparts(k) for k in job.asset_layer.selected_asset_keys),
                key=lambda p: "/".join(p),
            )
        except Exception:
            asset_keys = []
        jobs.append(
            {
                "name": job.name,
                "description": job.description,
                "asset_keys": asset_keys,
                "dg_source": dg_source(job.metadata, project_root),
            }
        )

    schedules = []
    for schedule in repo_def.schedule_defs:
        cron = schedule.cron_schedule
        try:
            job_name = schedule.job_name
        except Exception:
            job_name = None
        schedules.append(
            {
                "name": schedule.name,
                "cron_schedule": cron if isinstance(cron, str) else ", ".join(cron),
                "job_name": job_name,
                "dg_source": dg_source(schedule.metadata, project_root),
            }
        )

    sensors = []
    for sensor in repo_def.sensor_defs:
        job_names = []
        try:
            for target in sensor.targets:
                name = getattr(target, "job_name", None)
                if name and name not in job_names:
                    job_names.append(name)
        except Exception:
            pass
        sensors.append(
            {
                "name": sensor.name,
                "job_names": job_names,
                "dg_source": dg_source(sensor.metadata, project_root),
            }
        )

    resources = [
        {"name": name, "type": get_resource_type_name(resource)}
        for name, resource in repo_def.get_top_level_resources().items()
    ]

    return {
        "manifest_version": MANIFEST_VERSION,
        "location": {
            "name": args.location_name,
            "module": args.module,
            "python_executable": sys.executable,
            "python_version": ".".join(str(p) for p in sys.version_info[:3]),
            "dagster_version": dagster.__version__,
            "extraction_seconds": round(extraction_seconds, 4),
            "warnings": format_warnings(caught_warnings, project_root),
        },
        "assets": assets,
        "asset_checks": checks,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sensors,
        "resources": resources,
    }


def format_warnings(caught, project_root):
    out = []
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).strip()}"
        if w.filename:
            text = f"{_rel_file(w.filename, project_root)}:{w.lineno}: {text}"
        if text not in out:
            out.append(text)
        if len(out) >= MAX_WARNINGS:
            break
    return out


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description="dg-rs: write the manifest of one code location")
    p.add_argument("--module", required=True)
    p.add_argument("--working-directory", required=True)
    p.add_argument("--location-name", required=True)
    p.add_argument("--project-root", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--attribute", default=None)
    return p.parse_args(argv)


def defer_dagster_test_utilities():
    """Keep ``dagster._utils.test``'s package ``__init__`` from running unless it is used.

    Loading any code location goes through ``def_from_pointer``, which imports
    ``dagster._utils.test.definitions`` only to name one class; the package ``__init__`` around
    it imports Dagster's whole storage layer (SQLAlchemy, Alembic), about 0.5 s per location
    on a 2-core machine. The submodule does not need its package's ``__init__``. So the
    package is registered as a stand-in whose submodules load from the real folder, and whose
    real ``__init__`` runs the first time anything asks the package itself for an attribute.
    Guarded: if the layout differs, nothing changes.
    """
    import importlib.util
    import types

    name = "dagster._utils.test"
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except Exception:  # noqa: BLE001 - keep Dagster's behaviour
        return
    if spec is None or not spec.submodule_search_locations or spec.loader is None:
        return

    class DeferredPackage(types.ModuleType):
        def __getattr__(self, attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            # First real use: run the package's own __init__ in place, then stop deferring.
            self.__class__ = types.ModuleType
            spec.loader.exec_module(self)
            return getattr(self, attr)

    module = DeferredPackage(name)
    module.__spec__ = spec
    module.__path__ = list(spec.submodule_search_locations)
    module.__file__ = spec.origin
    module.__package__ = name
    module.__loader__ = spec.loader
    sys.modules[name] = module
    parent = sys.modules.get("dagster._utils")
    if parent is not None:
        parent.test = module


def prepare_dagster():
    skip_component_type_catalogue()
    defer_dagster_test_utilities()


def main(argv=None):
    args = parse_args(argv)
    args.output = os.path.abspath(args.output)
    args.project_root = os.path.abspath(args.project_root)
    args.working_directory = os.path.abspath(args.working_directory)

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            with stdout_to_stderr():
                _recon, repo_def = load_location(
                    args.module,
                    args.working_directory,
                    args.attribute,
                    after_dagster_import=prepare_dagster,
                )
                # Everything below may still run user code lazily (jobs are resolved, resource
                # factories inspected), so keep stdout protected.
                extraction_seconds = time.perf_counter() - started
                manifest = build_manifest(repo_def, args, extraction_seconds, caught)
        except LoadFailure as failure:
            write_json_atomic(args.output, error_document(failure.kind, failure.exc))
            return EXIT_LOAD_FAILURE
    write_json_atomic(args.output, manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
