"""dg-rs instance preparation: create (or migrate) the Dagster instance of $DAGSTER_HOME once,
before any run or service uses it.

Run with a location's own interpreter, while dg-rs holds the instance's inter-process lock:

    <python> instance.py --result FILE
    <python> instance.py --result FILE --finalize RUN_ID

Concurrent first uses of a fresh instance race while creating the schema (two processes stamp
the alembic version table, which then holds two revisions and every later use fails with "more
than one head present"); doing it once, under a lock, avoids that.

--result (written atomically): one of
  {"status": "ok", "dagster_version": V, "storage": "sqlite"|"postgres"|"mysql"|"other"}
  {"status": "damaged", "dagster_version": V, "storage": S, "head": REV,
   "tables": [{"file": PATH, "revisions": [REV, ...]}], "message": M}
  {"status": "error", "dagster_version": V|null, "message": M, "traceback_tail": T}
With --finalize, the run RUN_ID (of a launch step dg-rs had to stop) is put into a final state
if it is not in one yet (canceled, with a message saying why), and the result is
  {"status": "finalized", "run_status": S, "changed": bool}  (S: SUCCESS|FAILURE|CANCELED)
or {"status": "error", ...} as above.

Exit codes: 0 ok; 1 damaged or failed (see the result).
"""

import argparse
import glob
import os
import sys

from dg_rs_loader import format_traceback_tail, one_line_message, stdout_to_stderr, write_json_atomic


def storage_kind(instance):
    name = type(instance.run_storage).__name__.lower()
    for kind in ("sqlite", "postgres", "mysql"):
        if kind in name:
            return kind
    return "other"


def alembic_head():
    from alembic.script import ScriptDirectory
    from dagster._core.storage import sql
    import dagster._core.storage.runs.sqlite.sqlite_run_storage as run_storage

    heads = ScriptDirectory.from_config(sql.get_alembic_config(run_storage.__file__)).get_heads()
    return heads[0] if len(heads) == 1 else None


def sqlite_version_tables(home):
    """Every sqlite file of the instance whose alembic_version table holds several rows."""
    import sqlite3

    found = []
    for path in sorted(glob.glob(os.path.join(home, "**", "*.db"), recursive=True)):
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                rows = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
            finally:
                conn.close()
        except sqlite3.Error:
            continue
        if len(rows) > 1:
            found.append({"file": path, "revisions": rows})
    return found


def finalize(run_id, result):
    try:
        with stdout_to_stderr():
            from dagster import DagsterInstance
            from dagster._core.storage.dagster_run import FINISHED_STATUSES

            with DagsterInstance.get() as instance:
                run = instance.get_run_by_id(run_id)
                if run is None:
                    raise LookupError(f"no run {run_id} in the instance")
                changed = run.status not in FINISHED_STATUSES
                if changed:
                    instance.report_run_canceled(
                        run, message="dg-rs stopped this launch step before its run finished"
                    )
                    run = instance.get_run_by_id(run_id)
                status = run.status.value
    except Exception as e:  # noqa: BLE001
        write_json_atomic(
            result,
            {
                "status": "error",
                "dagster_version": None,
                "message": one_line_message(e),
                "traceback_tail": format_traceback_tail(e),
            },
        )
        return 1
    write_json_atomic(result, {"status": "finalized", "run_status": status, "changed": changed})
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", required=True)
    parser.add_argument("--finalize", metavar="RUN_ID")
    args = parser.parse_args(argv)
    result = os.path.abspath(args.result)
    if args.finalize:
        return finalize(args.finalize, result)
    version = None
    storage = None
    try:
        with stdout_to_stderr():
            import dagster
            from dagster import DagsterInstance

            version = dagster.__version__
            instance = DagsterInstance.get()
            storage = storage_kind(instance)
            instance.upgrade(print_fn=lambda *a, **k: None)
            instance.dispose()
    except Exception as e:  # noqa: BLE001 - every failure is reported in the result
        message = one_line_message(e)
        if "more than one head" in str(e):
            home = os.environ.get("DAGSTER_HOME", "")
            try:
                head = alembic_head()
            except Exception:  # noqa: BLE001
                head = None
            write_json_atomic(
                result,
                {
                    "status": "damaged",
                    "dagster_version": version,
                    "storage": storage or "other",
                    "head": head,
                    "tables": sqlite_version_tables(home) if home else [],
                    "message": message,
                },
            )
            return 1
        write_json_atomic(
            result,
            {
                "status": "error",
                "dagster_version": version,
                "message": message,
                "traceback_tail": format_traceback_tail(e),
            },
        )
        return 1
    write_json_atomic(result, {"status": "ok", "dagster_version": version, "storage": storage})
    return 0


if __name__ == "__main__":
    sys.exit(main())
