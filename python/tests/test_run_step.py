"""Tests for python/run_step.py: real Dagster runs against a throwaway DAGSTER_HOME."""

import json
import os
import signal
import subprocess
import sys
import time
import unittest

from ._support import (
    EVENT_PREFIX,
    RUN_STEP,
    TempDirMixin,
    clean_env,
    copy_workspace,
    event_lines,
    fixture_project,
    make_project,
    python_json,
    run_script,
)

QUERY_INSTANCE = """
import json, sys
from dagster import AssetKey, DagsterInstance
keys = json.loads(sys.argv[1]) if len(sys.argv) > 1 else []
with DagsterInstance.get() as instance:
    out = {"materializations": {}, "runs": {}}
    for parts in KEYS:
        ev = instance.get_latest_materialization_event(AssetKey(parts))
        out["materializations"]["/".join(parts)] = ev.run_id if ev else None
    for run in instance.get_runs():
        out["runs"][run.run_id] = {"status": run.status.value, "tags": dict(run.tags)}
    print(json.dumps(out))
"""


def query_instance(env, keys):
    return python_json(QUERY_INSTANCE.replace("KEYS", json.dumps(keys)), env)


class RunStepTestBase(TempDirMixin, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.workspace = copy_workspace(self.tmp)
        self.home = os.path.join(self.tmp, "dagster_home")
        os.makedirs(self.home)
        with open(os.path.join(self.home, "dagster.yaml"), "w") as f:
            f.write("telemetry:\n  enabled: false\n")
        self.data_dir = os.path.join(self.tmp, "data")
        self.result = os.path.join(self.tmp, "result.json")

    def env(self, **extra):
        return clean_env(DAGSTER_HOME=self.home, DG_FIXTURE_DATA_DIR=self.data_dir, **extra)

    def run_step(self, project, extra_args, env=None, timeout=300):
        args = project.loader_args() + list(extra_args) + ["--result", self.result]
        proc = run_script(RUN_STEP, args, cwd=project.root, env=env or self.env(), timeout=timeout)
        doc = None
        if os.path.exists(self.result):
            with open(self.result) as f:
                doc = json.load(f)
        return proc, doc

    def assert_result_shape(self, doc):
        self.assertEqual(
            set(doc),
            {"run_id", "status", "dagster_version", "materialized", "failed_assets", "error"},
        )
        self.assertFalse(os.path.exists(self.result + ".tmp"))


class RunStepFixtureTests(RunStepTestBase):
    def test_chain_success_records_run_and_materializations(self):
        project = fixture_project(self.workspace, "data-engineering")
        keys = [["raw_orders"], ["cleaned_orders"], ["data_engineering_asset"]]
        proc, doc = self.run_step(
            project,
            [
                "--assets-json",
                json.dumps(keys),
                "--tags-json",
                json.dumps({"dg-rs/launch_id": "L-42", "dg-rs/step": "1"}),
            ],
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assert_result_shape(doc)
        self.assertEqual(doc["status"], "SUCCESS")
        self.assertIsNone(doc["error"])
        self.assertEqual(doc["failed_assets"], [])
        self.assertEqual(sorted(doc["materialized"]), sorted(keys))
        self.assertRegex(doc["dagster_version"], r"^1\.\d+\.\d+")
        for name in ("raw_orders", "cleaned_orders", "data_engineering_asset"):
            self.assertTrue(os.path.exists(os.path.join(self.data_dir, f"{name}.json")), name)

        # Every stdout line is an event line; events arrive in execution order.
        lines = [line for line in proc.stdout.splitlines() if line]
        self.assertTrue(lines)
        self.assertTrue(all(line.startswith(EVENT_PREFIX) for line in lines), lines)
        events = event_lines(proc.stdout)
        # The run's id comes first (so dg-rs can finish the run if it must stop the step).
        self.assertEqual(events[0]["event"], "RUN_CREATED")
        self.assertEqual(events[0]["run_id"], doc["run_id"])
        self.assertEqual(events[1]["event"], "RUN_START")
        self.assertEqual(events[-1]["event"], "RUN_SUCCESS")
        self.assertTrue(all(set(e) >= {"event", "asset", "message"} for e in events))
        started = [e["asset"] for e in events if e["event"] == "STEP_START" and e["asset"]]
        self.assertEqual(started, ["raw_orders", "cleaned_orders", "data_engineering_asset"])
        mats = [e["asset"] for e in events if e["event"] == "ASSET_MATERIALIZATION"]
        self.assertEqual(mats, ["raw_orders", "cleaned_orders", "data_engineering_asset"])

        state = query_instance(self.env(), keys)
        self.assertEqual(set(state["materializations"].values()), {doc["run_id"]})
        run = state["runs"][doc["run_id"]]
        self.assertEqual(run["status"], "SUCCESS")
        self.assertEqual(run["tags"].get("dg-rs/launch_id"), "L-42")
        self.assertEqual(run["tags"].get("dg-rs/step"), "1")

    def test_cross_location_steps_share_one_instance(self):
        de = fixture_project(self.workspace, "data-engineering")
        ds = fixture_project(self.workspace, "data-science")
        proc, first = self.run_step(de, ["--assets-json", '[["data_engineering_asset"]]'])
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        proc, second = self.run_step(ds, ["--assets-json", '[["data_science_asset"]]'])
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertEqual(second["materialized"], [["data_science_asset"]])
        state = query_instance(self.env(), [["data_engineering_asset"], ["data_science_asset"]])
        self.assertEqual(state["materializations"]["data_engineering_asset"], first["run_id"])
        self.assertEqual(state["materializations"]["data_science_asset"], second["run_id"])

    def test_injected_failure(self):
        project = fixture_project(self.workspace, "data-engineering")
        keys = [["raw_orders"], ["cleaned_orders"], ["data_engineering_asset"]]
        proc, doc = self.run_step(
            project,
            ["--assets-json", json.dumps(keys)],
            env=self.env(DG_FIXTURE_FAIL_ASSET="cleaned_orders"),
        )
        self.assertEqual(proc.returncode, 1, proc.stderr[-4000:])
        self.assert_result_shape(doc)
        self.assertEqual(doc["status"], "FAILURE")
        self.assertEqual(doc["materialized"], [["raw_orders"]])
        self.assertEqual(doc["failed_assets"], [["cleaned_orders"]])
        err = doc["error"]
        self.assertEqual(err["asset"], "cleaned_orders")
        self.assertEqual(err["message"], "RuntimeError: injected failure in cleaned_orders")
        self.assertIn("assets.py", err["traceback_tail"])
        self.assertIn("injected failure in cleaned_orders", err["traceback_tail"])
        self.assertNotIn("site-packages/dagster/", err["traceback_tail"])
        self.assertLessEqual(len(err["traceback_tail"].splitlines()), 15)
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "data_engineering_asset.json")))
        events = event_lines(proc.stdout)
        self.assertIn({"event": "STEP_FAILURE", "asset": "cleaned_orders"}, [
            {"event": e["event"], "asset": e["asset"]} for e in events
        ])
        self.assertEqual(events[-1]["event"], "RUN_FAILURE")
        state = query_instance(self.env(), [["cleaned_orders"]])
        self.assertEqual(state["runs"][doc["run_id"]]["status"], "FAILURE")
        self.assertIsNone(state["materializations"]["cleaned_orders"])

    def test_multiprocess_executor(self):
        project = fixture_project(self.workspace, "data-engineering")
        proc, doc = self.run_step(
            project,
            ["--assets-json", '[["raw_orders"], ["cleaned_orders"]]', "--executor", "multiprocess"],
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertEqual(sorted(doc["materialized"]), [["cleaned_orders"], ["raw_orders"]])
        events = event_lines(proc.stdout)
        self.assertIn("STEP_WORKER_STARTED", [e["event"] for e in events])
        self.assertTrue(os.path.exists(os.path.join(self.data_dir, "cleaned_orders.json")))

    def test_job(self):
        project = fixture_project(self.workspace, "data-engineering")
        proc, doc = self.run_step(project, ["--job", "ingestion_job"])
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertEqual(sorted(doc["materialized"]), [["cleaned_orders"], ["raw_orders"]])
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "data_engineering_asset.json")))

    def test_partition(self):
        project = fixture_project(self.workspace, "data-science")
        key = '[["reports", "regional_report"]]'
        proc, doc = self.run_step(project, ["--assets-json", key, "--partition", "us"])
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertEqual(doc["materialized"], [["reports", "regional_report"]])
        state = query_instance(self.env(), [])
        self.assertEqual(state["runs"][doc["run_id"]]["tags"].get("dagster/partition"), "us")

        proc, doc = self.run_step(project, ["--assets-json", key, "--partition", "mars"])
        self.assertEqual(proc.returncode, 1, proc.stderr[-4000:])
        self.assertIsNone(doc["run_id"])
        self.assertEqual(doc["error"]["kind"], "invalid_request")
        self.assertIn("mars", doc["error"]["message"])

        proc, doc = self.run_step(project, ["--assets-json", key])
        self.assertEqual(proc.returncode, 1)
        self.assertIn("partition", doc["error"]["message"])

    def test_run_config(self):
        project = make_project(
            self.tmp,
            "cfg_proj",
            {
                "definitions.py": """
                import json, os
                import dagster as dg

                class Cfg(dg.Config):
                    value: int

                @dg.asset
                def configured(config: Cfg):
                    with open(os.path.join(os.environ["DG_FIXTURE_DATA_DIR"], "cfg.json"), "w") as f:
                        json.dump(config.value, f)

                defs = dg.Definitions(assets=[configured])
                """
            },
        )
        os.makedirs(self.data_dir)
        proc, doc = self.run_step(
            project,
            [
                "--assets-json",
                '[["configured"]]',
                "--run-config-json",
                json.dumps({"ops": {"configured": {"config": {"value": 7}}}}),
            ],
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        with open(os.path.join(self.data_dir, "cfg.json")) as f:
            self.assertEqual(json.load(f), 7)
        proc, doc = self.run_step(project, ["--assets-json", '[["configured"]]'])
        self.assertEqual(proc.returncode, 1, proc.stderr[-4000:])
        self.assertEqual(doc["error"]["kind"], "invalid_request")

    def test_unknown_and_foreign_assets_are_rejected(self):
        project = fixture_project(self.workspace, "data-science")
        proc, doc = self.run_step(project, ["--assets-json", '[["data_engineering_asset"], ["nope"]]'])
        self.assertEqual(proc.returncode, 1, proc.stderr[-4000:])
        self.assertIsNone(doc["run_id"])
        self.assertIn("data_engineering_asset (not executable here)", doc["error"]["message"])
        self.assertIn("nope (unknown)", doc["error"]["message"])


class RunStepEdgeTests(RunStepTestBase):
    def test_load_failure_exit_3(self):
        project = make_project(
            self.tmp, "broken_run", {"definitions.py": "import dagster\nimport not_a_module_qq\n"}
        )
        proc, doc = self.run_step(project, ["--assets-json", '[["x"]]'])
        self.assertEqual(proc.returncode, 3, proc.stderr[-4000:])
        self.assert_result_shape(doc)
        self.assertIsNone(doc["run_id"])
        self.assertEqual(doc["error"]["kind"], "import_error")
        self.assertIn("not_a_module_qq", doc["error"]["message"])
        self.assertIn("definitions.py", doc["error"]["traceback_tail"])

    def test_dagster_home_required(self):
        project = fixture_project(self.workspace, "data-engineering")
        env = clean_env(DG_FIXTURE_DATA_DIR=self.data_dir)
        proc, doc = self.run_step(project, ["--assets-json", '[["raw_orders"]]'], env=env)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("DAGSTER_HOME", doc["error"]["message"])
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "raw_orders.json")))

    def test_user_prints_do_not_break_event_lines(self):
        project = make_project(
            self.tmp,
            "chatty",
            {
                "definitions.py": """
                import os
                import dagster as dg

                print("import-time noise without newline", end="")
                os.write(1, b"fd noise at import\\n")

                @dg.asset
                def chatty():
                    print("asset noise without newline", end="")

                defs = dg.Definitions(assets=[chatty])
                """
            },
        )
        proc, doc = self.run_step(project, ["--assets-json", '[["chatty"]]'])
        self.assertEqual(proc.returncode, 0, proc.stderr[-4000:])
        self.assertNotIn("import-time noise", proc.stdout)
        self.assertNotIn("fd noise at import", proc.stdout)
        self.assertIn("import-time noise", proc.stderr)
        self.assertIn("asset noise without newline", proc.stdout + proc.stderr)
        for line in proc.stdout.splitlines():
            if EVENT_PREFIX.strip() in line:
                self.assertTrue(line.startswith(EVENT_PREFIX), line)
        events = event_lines(proc.stdout)
        self.assertEqual(events[-1]["event"], "RUN_SUCCESS")
        self.assertEqual(doc["materialized"], [["chatty"]])

    @unittest.skipIf(sys.platform == "win32", "POSIX signals")
    def test_sigterm_ends_run_promptly_and_marks_it_finished(self):
        project = make_project(
            self.tmp,
            "sleepy",
            {
                "definitions.py": """
                import time
                import dagster as dg

                @dg.asset
                def sleepy():
                    time.sleep(120)

                defs = dg.Definitions(assets=[sleepy])
                """
            },
        )
        args = project.loader_args() + ["--assets-json", '[["sleepy"]]', "--result", self.result]
        proc = subprocess.Popen(
            [sys.executable, RUN_STEP, *args],
            cwd=project.root,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            for line in proc.stdout:
                if '"STEP_START"' in line:
                    break
                self.assertLess(time.monotonic(), deadline)
            time.sleep(0.5)
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.stdout.read()
            rc = proc.wait(timeout=60)
            elapsed = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        self.assertEqual(rc, 1)
        self.assertLess(elapsed, 30)
        with open(self.result) as f:
            doc = json.load(f)
        self.assertIn(doc["status"], ("FAILURE", "CANCELED"))
        self.assertEqual(doc["error"]["kind"], "interrupted")
        state = query_instance(self.env(), [])
        self.assertIn(state["runs"][doc["run_id"]]["status"], ("FAILURE", "CANCELED"))


if __name__ == "__main__":
    unittest.main()
