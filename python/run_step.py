"""dg-rs launch step: run ONE real Dagster run for assets (or a job) of one code location.

Run with the *project's own* interpreter:

    <python> run_step.py --module M --working-directory D --location-name N --project-root R \
        (--assets-json '[["a"],["reports","b"]]' | --job NAME) [--partition KEY] \
        [--run-config-json JSON] [--tags-json '{"k": "v"}'] [--executor in_process|multiprocess] \
        --result FILE

The run goes through Dagster's own machinery against the persistent instance of $DAGSTER_HOME
(`DagsterInstance.get()`), so the run, its events and materializations are visible in the UI.
Asset selections run the implicit asset job for the selected keys (as `dagster asset materialize`
/ `dg launch` do).

stdout: one line per Dagster event, ``@@dg-rs {"event": ..., "asset": ..., "message": ...,
"step": ..., "run_id": ...}``; user prints may interleave (an event line always starts at the
beginning of a line). Nothing else of ours is printed to stdout. During loading, user prints go to
stderr.

--result (written atomically): {"run_id", "status": "SUCCESS"|"FAILURE"|"CANCELED",
"dagster_version", "materialized": [[..]], "failed_assets": [[..]], "error": null | {"kind",
"asset", "message", "traceback_tail"}}.

Exit codes: 0 run succeeded; 1 run failed or was canceled, or the request was rejected before a
run was created (bad selection/partition/config; run_id is null then); 2 usage error (bad
arguments, DAGSTER_HOME unset); 3 the location could not be loaded; anything else = crash.
"""

import argparse
import contextlib
import json
import os
import signal
import sys
import time
import traceback

from dg_rs_loader import *  # noqa: F401,F403 - the shared loader (python/dg_rs_loader.py)



EXIT_SUCCESS = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_STARTED = 4  # --wait-for-go, and the launcher said the step will not run
EVENT_PREFIX = "@@dg-rs "


class RequestError(Exception):
    """The request cannot be turned into a run (unknown key, bad partition, bad config...)."""


class Interrupted(Exception):
    """SIGINT/SIGTERM arrived before the run's execution started."""


class _Stop:
    """Until Dagster's own interrupt handling takes over (during execution), SIGINT and
    SIGTERM only set a flag: the step checks it before and right after creating its run, so an
    interrupt never leaves a run behind that nothing will finish."""

    def __init__(self):
        self.requested = False

    def install(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):  # noqa: ARG002
        self.requested = True


STOP = _Stop()


# ---------------------------------------------------------------------------------------------
# event stream
# ---------------------------------------------------------------------------------------------


class _LineTrackingStdout:
    """Wraps sys.stdout to know whether user output left the cursor mid-line."""

    def __init__(self, inner):
        self._inner = inner
        self.at_line_start = True

    def write(self, s):
        if s:
            self.at_line_start = s.endswith("\n")
        return self._inner.write(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class EventWriter:
    def __init__(self):
        self.stdout = _LineTrackingStdout(sys.stdout)
        sys.stdout = self.stdout

    def emit(self, payload):
        line = EVENT_PREFIX + json.dumps(payload, separators=(",", ":"), default=str)
        if not self.stdout.at_line_start:
            line = "\n" + line
        try:
            self.stdout.write(line + "\n")
            self.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass


def _key_str(key):
    return "/".join(key.path)


def _first_line(text):
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def _user_error(error_info):
    """Unwrap Dagster's step-execution wrapper to the user's own exception (SerializableErrorInfo)."""
    err = error_info
    seen = 0
    while err is not None and seen < 10:
        seen += 1
        cls_name = getattr(err, "cls_name", None) or ""
        nxt = getattr(err, "cause", None) or getattr(err, "context", None)
        if cls_name.startswith("Dagster") and nxt is not None:
            err = nxt
            continue
        return err
    return error_info


def _error_info_message(err):
    if err is None:
        return None
    msg = _first_line(getattr(err, "message", "") or "")
    cls_name = getattr(err, "cls_name", None)
    if cls_name and not msg.startswith(cls_name):
        msg = f"{cls_name}: {msg}" if msg else cls_name
    return msg


def _error_info_tail(err, max_lines=TRACEBACK_TAIL_LINES):
    if err is None:
        return ""
    sys_dirs = system_dirs()
    frames = []
    for frame_text in getattr(err, "stack", None) or []:
        first = frame_text.strip().splitlines()[0] if frame_text.strip() else ""
        filename = None
        if first.startswith('File "'):
            filename = first[len('File "') :].split('"', 1)[0]
        if filename and is_system_frame(filename, sys_dirs):
            continue
        frames.append(frame_text.rstrip("\n"))
    lines = ["Traceback (most recent call last):"] if frames else []
    for f in frames:
        lines.extend(f.split("\n"))
    lines.extend((getattr(err, "message", "") or "").rstrip("\n").split("\n"))
    return "\n".join(lines[-max_lines:])


# ---------------------------------------------------------------------------------------------
# run construction
# ---------------------------------------------------------------------------------------------


def _deep_merge(base, override):
    out = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _executor_run_config(job_def, executor, run_config, notes):
    """Select in-process / multiprocess via run config when the job's executor allows it."""
    if "execution" in run_config:
        return run_config
    executor_name = getattr(job_def.executor_def, "name", None)
    if executor_name == "multi_or_in_process_executor":
        return {**run_config, "execution": {"config": {executor: {}}}}
    wanted = {"in_process": "in_process", "multiprocess": "multiprocess"}[executor]
    if executor_name != wanted:
        notes.append(
            f"job '{job_def.name}' uses executor '{executor_name}'; --executor {executor} ignored"
        )
    return run_config


def prepare_run(repo_def, recon_repo, args, instance, notes):
    """Returns (recon_job, job_def, asset_keys or None, run_config, tags). Raises RequestError."""
    from dagster import AssetKey
    from dagster._core.definitions.partitions.context import partition_loading_context

    try:
        user_run_config = json.loads(args.run_config_json) if args.run_config_json else {}
        tags = json.loads(args.tags_json) if args.tags_json else {}
    except json.JSONDecodeError as e:
        raise RequestError(f"invalid JSON argument: {e}") from e
    if not isinstance(user_run_config, dict):
        raise RequestError("--run-config-json must be a JSON object")
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise RequestError("--tags-json must be a JSON object of string to string")

    asset_keys = None
    if args.assets_json is not None:
        try:
            raw = json.loads(args.assets_json)
        except json.JSONDecodeError as e:
            raise RequestError(f"invalid --assets-json: {e}") from e
        if (
            not isinstance(raw, list)
            or not raw
            or not all(isinstance(p, list) and p and all(isinstance(x, str) for x in p) for p in raw)
        ):
            raise RequestError("--assets-json must be a non-empty list of key-part lists")
        asset_keys = [AssetKey(p) for p in raw]
        graph = repo_def.asset_graph
        executable = set(graph.executable_asset_keys)
        unknown = [k for k in asset_keys if k not in executable]
        if unknown:
            known = set(graph.get_all_asset_keys())
            details = ", ".join(
                _key_str(k) + (" (not executable here)" if k in known else " (unknown)")
                for k in unknown
            )
            raise RequestError(f"cannot materialize in location '{args.location_name}': {details}")
        job_def = repo_def.get_implicit_job_def_for_assets(asset_keys)
        if job_def is None:
            raise RequestError(
                "All selected assets must share the same PartitionsDefinition or have no "
                "PartitionsDefinition"
            )
    else:
        try:
            job_def = repo_def.get_job(args.job)
        except Exception as e:  # DagsterInvariantViolationError for unknown names
            raise RequestError(f"{type(e).__name__}: {_first_line(str(e))}") from e

    recon_job = recon_repo.get_reconstructable_job(job_def.name).with_repository_load_data(
        repo_def.repository_load_data
    )

    run_config = dict(user_run_config)
    with partition_loading_context(dynamic_partitions_store=instance) as ctx:
        if args.partition is not None:
            if asset_keys is not None and all(
                job_def.asset_layer.get(k).partitions_def is None for k in asset_keys
            ):
                raise RequestError("--partition given, but none of the selected assets is partitioned")
            try:
                job_def.validate_partition_key(
                    args.partition, selected_asset_keys=asset_keys, context=ctx
                )
                partition_tags = job_def.get_tags_for_partition_key(
                    args.partition, selected_asset_keys=asset_keys
                )
            except Exception as e:
                raise RequestError(
                    f"invalid partition '{args.partition}': {type(e).__name__}: {_first_line(str(e))}"
                ) from e
            tags = {**tags, **partition_tags}
            if asset_keys is None:
                run_config = _deep_merge(
                    dict(job_def.get_run_config_for_partition_key(args.partition) or {}),
                    run_config,
                )
        elif asset_keys is not None and any(
            job_def.asset_layer.get(k).partitions_def is not None for k in asset_keys
        ):
            raise RequestError("the selected assets are partitioned, but no --partition was given")

    run_config = _executor_run_config(job_def, args.executor, run_config, notes)
    tags = {**(job_def.run_tags or {}), **tags}
    return recon_job, job_def, asset_keys, run_config, tags


def _step_asset_map(repo_def, job_def, asset_keys):
    """op name -> asset keys it materializes (for naming the asset of step events)."""
    mapping = {}
    keys = asset_keys
    if keys is None:
        try:
            keys = list(job_def.asset_layer.selected_asset_keys)
        except Exception:
            keys = []
    graph = repo_def.asset_graph
    for key in keys:
        try:
            node_name = graph.get(key).assets_def.node_def.name
        except Exception:
            continue
        mapping.setdefault(node_name, []).append(key)
    return mapping


def _asset_for_event(event, step_assets, selected):
    try:
        key = event.asset_key
    except Exception:
        key = None
    if key is None:
        check_data = getattr(event, "event_specific_data", None)
        key = getattr(check_data, "asset_key", None)
    if key is not None:
        return [key]
    step_key = getattr(event, "step_key", None)
    if not step_key:
        return []
    node = step_key.split(".", 1)[0].split("[", 1)[0]
    keys = step_assets.get(node, [])
    if len(keys) > 1 and selected:
        keys = [k for k in keys if k in selected]
    return keys


def execute(recon_job, job_def, asset_keys, run_config, tags, instance, repo_def, writer, state):
    from dagster._core.execution.api import execute_run_iterator
    from dagster._utils.interrupts import capture_interrupts, setup_interrupt_handlers

    try:
        from dagster._grpc.impl import core_execute_run
    except ImportError:  # pragma: no cover - older/newer layouts
        core_execute_run = None

    if STOP.requested:
        raise Interrupted()
    try:
        dagster_run = instance.create_run_for_job(
            job_def=job_def,
            run_config=run_config,
            tags=tags,
            job_code_origin=recon_job.get_python_origin(),
            repository_load_data=repo_def.repository_load_data,
            asset_selection=frozenset(asset_keys) if asset_keys else None,
        )
    except Exception as e:
        raise RequestError(f"{type(e).__name__}: {_first_line(str(e))}") from e
    state["run_id"] = dagster_run.run_id
    # dg-rs learns the run id at once, so it can put the run in a final state even if this
    # process has to be killed.
    writer.emit(
        {"event": "RUN_CREATED", "asset": None, "message": None, "step": None,
         "run_id": dagster_run.run_id}
    )
    if STOP.requested:
        # Interrupted between creating the run and starting it: the run must not stay
        # NOT_STARTED forever.
        instance.report_run_canceled(dagster_run, message="interrupted before the run started")
        raise Interrupted()

    step_assets = _step_asset_map(repo_def, job_def, asset_keys)
    selected = set(asset_keys or [])

    def events():
        if core_execute_run is not None:
            return core_execute_run(recon_job, dagster_run, instance, inject_env_vars=False)
        return execute_run_iterator(recon_job, dagster_run, instance)

    # Like `dagster api execute_run`: SIGTERM behaves as SIGINT; the interrupt is captured and
    # re-raised inside step execution, so Dagster records the run as failed/canceled.
    setup_interrupt_handlers()
    if STOP.requested:
        # It arrived while Dagster's handlers were being put in place.
        instance.report_run_canceled(dagster_run, message="interrupted before the run started")
        raise Interrupted()
    with capture_interrupts():
        try:
            for event in events():
                handle_event(event, step_assets, selected, writer, state)
        except (KeyboardInterrupt, Exception) as e:  # noqa: BLE001
            # core_execute_run has already reported the run failure to the instance.
            state["interrupted"] = isinstance(e, KeyboardInterrupt) or (
                type(e).__name__ == "DagsterExecutionInterruptedError"
            )
            if not state["interrupted"]:
                state["framework_error"] = e
    return instance.get_run_by_id(dagster_run.run_id)


def _event_name(event):
    # Dagster still stores run events under their legacy PIPELINE_* values; print RUN_* like
    # Dagster's own console log does.
    value = event.event_type_value
    return "RUN_" + value[len("PIPELINE_") :] if value.startswith("PIPELINE_") else value


def handle_event(event, step_assets, selected, writer, state):
    from dagster._core.events import DagsterEventType

    keys = _asset_for_event(event, step_assets, selected)
    event_type = event.event_type
    writer.emit(
        {
            "event": _event_name(event),
            "asset": _key_str(keys[0]) if len(keys) == 1 else None,
            "message": _first_line(event.message),
            "step": getattr(event, "step_key", None),
            "run_id": state.get("run_id"),
        }
    )
    if event_type == DagsterEventType.ASSET_MATERIALIZATION:
        for k in keys:
            if k not in state["materialized"]:
                state["materialized"].append(k)
    elif event_type == DagsterEventType.STEP_FAILURE:
        for k in keys:
            if k not in state["failed_assets"]:
                state["failed_assets"].append(k)
        if state["error"] is None:
            err = _user_error(event.step_failure_data.error) if event.step_failure_data else None
            interrupted = getattr(err, "cls_name", None) == "DagsterExecutionInterruptedError"
            state["error"] = {
                "kind": "interrupted" if interrupted else "step_failure",
                "asset": _key_str(keys[0]) if len(keys) == 1 else None,
                "message": (
                    "DagsterExecutionInterruptedError: step interrupted by SIGINT/SIGTERM"
                    if interrupted
                    else _error_info_message(err) or _first_line(event.message)
                ),
                "traceback_tail": _error_info_tail(err),
            }
    elif event_type in (DagsterEventType.RUN_FAILURE, DagsterEventType.ENGINE_EVENT):
        err = None
        if event_type == DagsterEventType.RUN_FAILURE:
            data = getattr(event, "job_failure_data", None)
            err = getattr(data, "error", None)
        else:
            data = getattr(event, "engine_event_data", None)
            err = getattr(data, "error", None)
        if err is not None and state["run_error"] is None:
            err = _user_error(err)
            state["run_error"] = {
                "kind": "run_failure",
                "asset": None,
                "message": _error_info_message(err),
                "traceback_tail": _error_info_tail(err),
            }
        if event_type == DagsterEventType.RUN_FAILURE and state["run_error"] is None:
            state["run_error"] = {
                "kind": "run_failure",
                "asset": None,
                "message": _first_line(event.message) or "run failed",
                "traceback_tail": "",
            }


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description="dg-rs: execute one Dagster run in one code location")
    p.add_argument("--module", required=True)
    p.add_argument("--working-directory", required=True)
    p.add_argument("--location-name", required=True)
    p.add_argument("--project-root", required=True)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--assets-json")
    target.add_argument("--job")
    p.add_argument("--attribute", default=None)
    p.add_argument("--partition", default=None)
    p.add_argument("--run-config-json", default=None)
    p.add_argument("--tags-json", default=None)
    p.add_argument("--executor", choices=("in_process", "multiprocess"), default="in_process")
    p.add_argument("--result", required=True)
    p.add_argument(
        "--wait-for-go",
        action="store_true",
        help="load the location, then wait for a line 'go' on stdin before touching the "
        "instance; end of input means the step will not run (exit 4, no result)",
    )
    return p.parse_args(argv)


def _result(state, status, dagster_version, error):
    return {
        "run_id": state.get("run_id"),
        "status": status,
        "dagster_version": dagster_version,
        "materialized": [list(k.path) for k in state["materialized"]],
        "failed_assets": [list(k.path) for k in state["failed_assets"]],
        "error": error,
    }


def _simple_error(kind, message, traceback_tail=""):
    return {"kind": kind, "asset": None, "message": message, "traceback_tail": traceback_tail}


def wait_for_go():
    """A prewarmed step: the location is loaded and Dagster's run machinery imported while the
    steps it depends on still run. The instance is not touched until the launcher says go."""
    line = sys.stdin.readline()
    return line.strip() == "go"


def main(argv=None):
    STOP.install()
    args = parse_args(argv)
    args.result = os.path.abspath(args.result)
    args.working_directory = os.path.abspath(args.working_directory)
    args.project_root = os.path.abspath(args.project_root)
    state = {
        "run_id": None,
        "materialized": [],
        "failed_assets": [],
        "error": None,
        "run_error": None,
        "interrupted": False,
        "framework_error": None,
    }

    dagster_home = os.environ.get("DAGSTER_HOME")
    if not dagster_home:
        write_json_atomic(
            args.result,
            _result(
                state,
                "FAILURE",
                None,
                _simple_error(
                    "usage_error",
                    "DAGSTER_HOME is not set: run_step.py needs a persistent Dagster instance",
                ),
            ),
        )
        print("run_step.py: DAGSTER_HOME is not set", file=sys.stderr)
        return EXIT_USAGE

    try:
        with stdout_to_stderr():
            # A run does not need the UI's component-type catalogue (see the loader).
            recon_repo, repo_def = load_location(
                args.module,
                args.working_directory,
                args.attribute,
                after_dagster_import=skip_component_type_catalogue,
            )
    except LoadFailure as failure:
        import_dagster_version = getattr(sys.modules.get("dagster"), "__version__", None)
        doc = error_document(failure.kind, failure.exc)["error"]
        write_json_atomic(
            args.result,
            _result(state, "FAILURE", import_dagster_version, {"asset": None, **doc}),
        )
        return EXIT_LOAD_FAILURE

    import dagster
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRunStatus

    if args.wait_for_go and not wait_for_go():
        return EXIT_NOT_STARTED
    if STOP.requested:
        return EXIT_NOT_STARTED

    os.makedirs(dagster_home, exist_ok=True)
    writer = EventWriter()
    notes = []
    with DagsterInstance.get() as instance:
        try:
            recon_job, job_def, asset_keys, run_config, tags = prepare_run(
                repo_def, recon_repo, args, instance, notes
            )
            for note in notes:
                print(f"run_step.py: {note}", file=sys.stderr)
            run = execute(
                recon_job, job_def, asset_keys, run_config, tags, instance, repo_def, writer, state
            )
        except RequestError as e:
            write_json_atomic(
                args.result,
                _result(state, "FAILURE", dagster.__version__, _simple_error("invalid_request", str(e))),
            )
            return EXIT_RUN_FAILED
        except Interrupted:
            write_json_atomic(
                args.result,
                _result(
                    state,
                    "CANCELED",
                    dagster.__version__,
                    _simple_error("interrupted", "interrupted before the run started"),
                ),
            )
            return EXIT_RUN_FAILED

    status_value = run.status if run is not None else None
    # The status is what Dagster recorded for the run (an interrupt is normally recorded as a
    # failure: "Execution was interrupted unexpectedly").
    if status_value == DagsterRunStatus.SUCCESS and not state["framework_error"]:
        status = "SUCCESS"
    elif status_value in (DagsterRunStatus.CANCELED, DagsterRunStatus.CANCELING):
        status = "CANCELED"
    else:
        status = "FAILURE"

    error = None
    if status != "SUCCESS":
        error = state["error"] or state["run_error"]
        if error is None and state["framework_error"] is not None:
            e = state["framework_error"]
            error = _simple_error("run_failure", one_line_message(e), format_traceback_tail(e))
        if error is None:
            interrupted = state["interrupted"] or status == "CANCELED"
            error = _simple_error(
                "interrupted" if interrupted else "run_failure",
                "run interrupted" if interrupted else f"run ended with status {status_value}",
            )
    write_json_atomic(args.result, _result(state, status, dagster.__version__, error))
    return EXIT_SUCCESS if status == "SUCCESS" else EXIT_RUN_FAILED


if __name__ == "__main__":
    sys.exit(main())
