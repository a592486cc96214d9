"""Tests for python/introspect.py, run against the interpreter under test (sys.executable)."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

from ._support import (
    INTROSPECT,
    PYTHON_DIR,
    RUN_STEP,
    TempDirMixin,
    clean_env,
    copy_workspace,
    fixture_project,
    has_module,
    introspect,
    make_project,
)

SCHEMA_RS = os.path.join(os.path.dirname(PYTHON_DIR), "src", "manifest", "schema.rs")

# Field sets of the manifest as schema.rs defines them (checked against schema.rs when present).
EXPECTED_FIELDS = {
    "Manifest": {"manifest_version", "location", "assets", "asset_checks", "jobs", "schedules", "sensors", "resources"},
    "LocationInfo": {"name", "module", "python_executable", "python_version", "dagster_version", "extraction_seconds", "warnings"},
    "AssetDef": {"key", "deps", "group_name", "kinds", "owners", "tags", "description", "is_executable", "partitions", "automation_condition", "code_version", "source", "dg_source", "metadata", "partition_mappings"},
    "PartitionsInfo": {"type", "num_keys", "sample_keys", "identity"},
    "AutomationConditionInfo": {"label", "expanded_label"},
    "SourceLocation": {"file", "line"},
    "AssetCheckDef": {"asset_key", "name", "additional_deps", "description", "blocking", "dg_source"},
    "JobDef": {"name", "description", "asset_keys", "dg_source"},
    "ScheduleDef": {"name", "cron_schedule", "job_name", "dg_source"},
    "SensorDef": {"name", "job_names", "dg_source"},
    "ResourceDef": {"name", "type"},
    "LoadFailure": {"manifest_version", "error"},
    "LoadError": {"kind", "message", "traceback_tail"},
}


def parse_schema_rs(path):
    """struct name -> set of JSON field names (honouring #[serde(rename = ...)])."""
    with open(path) as f:
        text = f.read()
    out = {}
    for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", text, re.S):
        fields, rename = set(), None
        for line in m.group(2).splitlines():
            line = line.strip()
            r = re.match(r'#\[serde\(rename = "(\w+)"\)\]', line)
            if r:
                rename = r.group(1)
                continue
            f = re.match(r"pub (\w+):", line)
            if f:
                fields.add(rename or f.group(1))
                rename = None
        out[m.group(1)] = fields
    return out


def to_dg_json(manifest):
    """What real `dg list defs --json` would print, derived from our manifest (normalized)."""

    def owners(os_):
        return [{"team": o[len("team:") :]} if o.startswith("team:") else {"email": o} for o in os_]

    return {
        "assets": [
            {
                "asset_key": "/".join(a["key"]),
                "description": a["description"],
                "group_name": a["group_name"],
                "kinds": a["kinds"],
                "dependency_keys": sorted("/".join(d) for d in a["deps"]),
                "owners": owners(a["owners"]),
                "tags": [{"key": k, "value": v} for k, v in sorted(a["tags"].items())],
                "automation_condition": a["automation_condition"],
                "is_executable": a["is_executable"],
                "source": a["dg_source"],
            }
            for a in manifest["assets"]
        ],
        "asset_checks": sorted(
            (
                {
                    "key": "/".join(c["asset_key"]) + ":" + c["name"],
                    "asset_key": "/".join(c["asset_key"]),
                    "name": c["name"],
                    "additional_deps": sorted("/".join(d) for d in c["additional_deps"]),
                    "description": c["description"],
                    "source": c["dg_source"],
                }
                for c in manifest["asset_checks"]
            ),
            key=lambda c: c["key"],
        ),
        "jobs": [
            {"name": j["name"], "description": j["description"], "source": j["dg_source"]}
            for j in manifest["jobs"]
        ],
        "resources": [{"name": r["name"], "type": r["type"]} for r in manifest["resources"]],
        "schedules": [
            {"name": s["name"], "cron_schedule": s["cron_schedule"], "source": s["dg_source"]}
            for s in manifest["schedules"]
        ],
        "sensors": [{"name": s["name"], "source": s["dg_source"]} for s in manifest["sensors"]],
    }


def normalize_real_dg(doc):
    defaults = {
        "assets": {"description": None, "group_name": None, "tags": [], "owners": [], "automation_condition": None, "source": None},
        "asset_checks": {"description": None, "source": None},
        "jobs": {"description": None, "source": None},
        "schedules": {"source": None},
        "sensors": {"source": None},
        "resources": {},
    }
    out = {}
    for section, dflt in defaults.items():
        items = []
        for item in doc[section]:
            item = {**dflt, **item}
            if section == "assets":
                item.pop("asset_key_parts", None)
            items.append(item)
        out[section] = items
    out["asset_checks"].sort(key=lambda c: c["key"])
    return out


def real_dg_list_defs(project, env):
    proc = subprocess.run(
        [sys.executable, "-m", "dagster_dg_cli.cli", "list", "defs", "--json"],
        cwd=project.root,
        env={**env, "PYTHONPATH": project.src, "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise AssertionError(f"real dg failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


FEATURES_DEFS = """
import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2020-01-01")


@dg.asset(partitions_def=daily, automation_condition=dg.AutomationCondition.eager())
def daily_asset():
    pass


@dg.asset(partitions_def=dg.DynamicPartitionsDefinition(name="dyn"))
def dyn_asset():
    pass


@dg.asset(
    partitions_def=dg.MultiPartitionsDefinition(
        {"a": dg.StaticPartitionsDefinition(["x", "y"]), "b": dg.StaticPartitionsDefinition(["1", "2", "3"])}
    )
)
def multi_asset():
    pass


@dg.asset(
    partitions_def=dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 9-17 * * 1-5", start="1990-01-01-00:00", fmt="%Y-%m-%d-%H:%M"
    )
)
def business_hours_asset():
    pass


@dg.asset(key_prefix=["p"], kinds={"sql"}, tags={"dagster/kind/extra": "", "t": "v"})
def plain():
    pass


@dg.asset(
    partitions_def=daily,
    metadata={"note": "lagged by a day", "rows": dg.MetadataValue.int(3)},
    deps=[dg.AssetDep(daily_asset, partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1))],
)
def lagged():
    pass


@dg.asset_check(asset=daily_asset, blocking=True, additional_deps=[plain])
def daily_check():
    return dg.AssetCheckResult(passed=True)


plain_job = dg.define_asset_job("plain_job", selection=[plain])
two_crons = dg.ScheduleDefinition(
    name="two_crons", cron_schedule=["0 1 * * *", "0 2 * * *"], job=plain_job
)


@dg.op
def an_op():
    pass


@dg.job
def op_job():
    an_op()


defs = dg.Definitions(
    assets=dg.with_source_code_references(
        [daily_asset, dyn_asset, multi_asset, business_hours_asset, plain, lagged]
    ),
    asset_checks=[daily_check],
    jobs=[plain_job, op_job],
    schedules=[two_crons],
    resources={"cfg": dg.ResourceDefinition.hardcoded_resource(1)},
)
"""

PYPROJECT = """
[project]
name = "{pkg}"
version = "0.1.0"

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{pkg}"
"""


class IntrospectFixtureTests(TempDirMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile

        cls._ws_tmp = tempfile.TemporaryDirectory(prefix="dgrs-ws-")
        cls.workspace = copy_workspace(cls._ws_tmp.name)
        cls.results = {}
        for name in ("data-engineering", "data-science"):
            project = fixture_project(cls.workspace, name)
            out = os.path.join(cls._ws_tmp.name, f"{name}.json")
            started = time.perf_counter()
            proc, doc = introspect(project, out)
            cls.results[name] = (project, proc, doc, time.perf_counter() - started)

    @classmethod
    def tearDownClass(cls):
        cls._ws_tmp.cleanup()

    def manifest(self, name):
        project, proc, doc, _ = self.results[name]
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertEqual(proc.stdout, "", "nothing may be printed to stdout")
        return doc

    def asset(self, doc, *key):
        for a in doc["assets"]:
            if a["key"] == list(key):
                return a
        self.fail(f"asset {key} not in manifest")

    def test_manifest_fields_match_schema(self):
        expected = EXPECTED_FIELDS
        if os.path.exists(SCHEMA_RS):
            parsed = parse_schema_rs(SCHEMA_RS)
            for struct, fields in expected.items():
                self.assertEqual(parsed.get(struct), fields, f"schema.rs {struct} changed")
        for name in self.results:
            doc = self.manifest(name)
            self.assertEqual(set(doc), expected["Manifest"])
            self.assertEqual(set(doc["location"]), expected["LocationInfo"])
            for a in doc["assets"]:
                self.assertEqual(set(a), expected["AssetDef"])
                if a["partitions"]:
                    self.assertEqual(set(a["partitions"]), expected["PartitionsInfo"])
                if a["source"]:
                    self.assertEqual(set(a["source"]), expected["SourceLocation"])
            for section, struct in (("asset_checks", "AssetCheckDef"), ("jobs", "JobDef"), ("schedules", "ScheduleDef"), ("sensors", "SensorDef"), ("resources", "ResourceDef")):
                for item in doc[section]:
                    self.assertEqual(set(item), expected[struct], section)

    def test_location_info(self):
        doc = self.manifest("data-engineering")
        loc = doc["location"]
        self.assertEqual(doc["manifest_version"], 1)
        self.assertEqual(loc["name"], "data-engineering")
        self.assertEqual(loc["module"], "data_engineering.definitions")
        self.assertEqual(os.path.realpath(loc["python_executable"]), os.path.realpath(sys.executable))
        self.assertEqual(loc["python_version"], ".".join(map(str, sys.version_info[:3])))
        self.assertRegex(loc["dagster_version"], r"^1\.\d+\.\d+")
        self.assertGreater(loc["extraction_seconds"], 0)
        self.assertLess(loc["extraction_seconds"], self.results["data-engineering"][3])

    def test_data_engineering_assets(self):
        doc = self.manifest("data-engineering")
        self.assertEqual(
            [a["key"] for a in doc["assets"]],
            [["cleaned_orders"], ["data_engineering_asset"], ["raw_orders"]],
        )
        raw = self.asset(doc, "raw_orders")
        self.assertEqual(raw["deps"], [])
        self.assertEqual(raw["group_name"], "ingestion")
        self.assertEqual(raw["kinds"], ["json", "python"])
        self.assertEqual(raw["owners"], ["team:data-engineering"])
        self.assertEqual(raw["tags"], {"tier": "bronze"})
        self.assertEqual(raw["description"], "Raw orders as they arrive from the shop.")
        self.assertTrue(raw["is_executable"])
        self.assertIsNone(raw["partitions"])
        self.assertIsNone(raw["dg_source"])
        self.assertEqual(raw["source"]["file"], os.path.join("src", "data_engineering", "defs", "assets.py"))
        with open(os.path.join(self.results["data-engineering"][0].root, raw["source"]["file"])) as f:
            src = f.read().splitlines()
        self.assertIn("raw_orders", "\n".join(src[raw["source"]["line"] - 1 : raw["source"]["line"] + 8]))
        gold = self.asset(doc, "data_engineering_asset")
        self.assertEqual(gold["deps"], [["cleaned_orders"]])
        self.assertEqual(gold["owners"], ["data-eng-lead@example.com"])
        self.assertEqual(gold["tags"], {"domain": "sales", "tier": "gold"})
        self.assertEqual(gold["kinds"], ["duckdb", "python"])
        self.assertEqual(gold["code_version"], "1")
        self.assertEqual(self.asset(doc, "cleaned_orders")["deps"], [["raw_orders"]])

    def test_data_engineering_other_defs(self):
        doc = self.manifest("data-engineering")
        self.assertEqual(
            doc["asset_checks"],
            [
                {
                    "asset_key": ["data_engineering_asset"],
                    "name": "data_engineering_asset_not_empty",
                    "additional_deps": [["data_engineering_asset"]],
                    "description": "The curated table is not empty.",
                    "blocking": False,
                    "dg_source": None,
                }
            ],
        )
        self.assertEqual(
            doc["jobs"],
            [
                {
                    "name": "ingestion_job",
                    "description": "Refresh the ingestion group.",
                    "asset_keys": [["cleaned_orders"], ["raw_orders"]],
                    "dg_source": None,
                }
            ],
        )
        self.assertEqual(
            doc["schedules"],
            [{"name": "nightly_ingestion", "cron_schedule": "0 2 * * *", "job_name": "ingestion_job", "dg_source": None}],
        )
        self.assertEqual(doc["sensors"], [])
        self.assertEqual(
            doc["resources"],
            [{"name": "warehouse", "type": "data_engineering.defs.resources.WarehouseResource"}],
        )

    def test_data_science_stub_partitions_sensor(self):
        doc = self.manifest("data-science")
        self.assertEqual(
            [a["key"] for a in doc["assets"]],
            [["data_engineering_asset"], ["data_science_asset"], ["reports", "regional_report"]],
        )
        stub = self.asset(doc, "data_engineering_asset")
        self.assertFalse(stub["is_executable"])
        self.assertEqual(stub["group_name"], "default")
        self.assertEqual(stub["deps"], [])
        self.assertIsNone(stub["source"])
        ds = self.asset(doc, "data_science_asset")
        self.assertTrue(ds["is_executable"])
        self.assertEqual(ds["deps"], [["data_engineering_asset"]])
        report = self.asset(doc, "reports", "regional_report")
        partitions = dict(report["partitions"])
        # What identifies the definition (for a saved-state comparison): Dagster's own id.
        self.assertRegex(partitions.pop("identity"), r"^[0-9a-f]{16,}$")
        self.assertEqual(
            partitions,
            {"type": "StaticPartitionsDefinition", "num_keys": 3, "sample_keys": ["eu", "us", "apac"]},
        )
        self.assertEqual(report["metadata"], {})
        self.assertEqual(report["partition_mappings"], {})
        self.assertEqual(report["owners"], [])
        self.assertEqual(len(doc["sensors"]), 1)
        self.assertEqual(doc["sensors"][0]["name"], "upstream_orders_sensor")
        self.assertEqual(len(doc["sensors"][0]["job_names"]), 1)
        self.assertEqual(doc["jobs"], [])
        self.assertEqual(doc["resources"], [])

    @unittest.skipUnless(has_module("dagster_dg_cli"), "dagster-dg-cli not installed in this venv")
    def test_agrees_with_real_dg(self):
        for name in self.results:
            with self.subTest(project=name):
                project = self.results[name][0]
                real = normalize_real_dg(real_dg_list_defs(project, clean_env()))
                self.assertEqual(to_dg_json(self.manifest(name)), real)


class IntrospectFeatureTests(TempDirMixin, unittest.TestCase):
    def features_project(self):
        project = make_project(self.tmp, "feat_proj", {"definitions.py": FEATURES_DEFS})
        with open(os.path.join(project.root, "pyproject.toml"), "w") as f:
            f.write(PYPROJECT.format(pkg="feat_proj"))
        return project

    def test_partitions_automation_checks_schedules(self):
        project = self.features_project()
        out = os.path.join(self.tmp, "m.json")
        started = time.perf_counter()
        proc, doc = introspect(project, out)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertLess(time.perf_counter() - started, 60)
        assets = {"/".join(a["key"]): a for a in doc["assets"]}
        daily = assets["daily_asset"]["partitions"]
        self.assertEqual(daily["type"], "DailyPartitionsDefinition")
        self.assertGreater(daily["num_keys"], 2000)
        self.assertEqual(daily["sample_keys"], ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05"])
        dynamic = dict(assets["dyn_asset"]["partitions"])
        # Dynamic partitions have no id without an instance: a digest of the definition.
        self.assertRegex(dynamic.pop("identity"), r"^[0-9a-f]{16}$")
        self.assertEqual(dynamic, {"type": "DynamicPartitionsDefinition", "num_keys": None, "sample_keys": []})
        # Metadata and partition mappings as digests, enough to tell a change; the code
        # references (absolute paths of this checkout) are not compared.
        lagged = assets["lagged"]
        self.assertEqual(set(lagged["metadata"]), {"note", "rows"})
        for digest in [*lagged["metadata"].values(), *lagged["partition_mappings"].values()]:
            self.assertRegex(digest, r"^[0-9a-f]{16}$")
        self.assertNotEqual(lagged["metadata"]["note"], lagged["metadata"]["rows"])
        self.assertEqual(set(lagged["partition_mappings"]), {"daily_asset"})
        self.assertEqual(assets["p/plain"]["partition_mappings"], {})
        # A daily definition keeps its identity as days pass: it is not a digest of the keys.
        self.assertEqual(lagged["partitions"]["identity"], daily["identity"])
        multi = assets["multi_asset"]["partitions"]
        self.assertEqual((multi["type"], multi["num_keys"], len(multi["sample_keys"])), ("MultiPartitionsDefinition", 6, 5))
        biz = assets["business_hours_asset"]["partitions"]
        self.assertEqual(biz["type"], "TimeWindowPartitionsDefinition")
        self.assertIsNone(biz["num_keys"], "expensive cron counts must be capped")
        self.assertEqual(biz["sample_keys"][0], "1990-01-01-09:00")
        ac = assets["daily_asset"]["automation_condition"]
        self.assertEqual(ac["label"], "eager")
        self.assertTrue(ac["expanded_label"])
        # A `dagster/kind/*` tag is a kind, and is not listed among the tags.
        self.assertEqual(assets["p/plain"]["kinds"], ["extra", "sql"])
        self.assertEqual(assets["p/plain"]["tags"], {"t": "v"})
        # Real dg prints the code reference's `source`: "<relative file>:<line>".
        self.assertRegex(assets["p/plain"]["dg_source"], r"^src/feat_proj/definitions\.py:\d+$")
        check = doc["asset_checks"][0]
        self.assertTrue(check["blocking"])
        self.assertEqual(check["additional_deps"], [["daily_asset"], ["p", "plain"]])
        self.assertEqual(doc["schedules"][0]["cron_schedule"], "0 1 * * *, 0 2 * * *")
        self.assertEqual(doc["schedules"][0]["job_name"], "plain_job")
        jobs = {j["name"]: j for j in doc["jobs"]}
        self.assertEqual(jobs["plain_job"]["asset_keys"], [["p", "plain"]])
        self.assertEqual(jobs["op_job"]["asset_keys"], [])
        self.assertIn("default_automation_condition_sensor", [s["name"] for s in doc["sensors"]])
        self.assertEqual(doc["resources"][0]["name"], "cfg")
        if has_module("dagster_dg_cli"):
            real = normalize_real_dg(real_dg_list_defs(project, clean_env()))
            self.assertEqual(to_dg_json(doc), real)

    def test_attribute_option(self):
        project = make_project(
            self.tmp,
            "attr_proj",
            {
                "definitions.py": """
                import dagster as dg

                @dg.asset
                def one():
                    pass

                @dg.asset
                def two():
                    pass

                first = dg.Definitions(assets=[one])
                second = dg.Definitions(assets=[two])
                """
            },
        )
        out = os.path.join(self.tmp, "m.json")
        proc, doc = introspect(project, out, attribute="second")
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertEqual([a["key"] for a in doc["assets"]], [["two"]])
        # Without --attribute, two Definitions objects are ambiguous.
        proc, doc = introspect(project, out)
        self.assertEqual(proc.returncode, 3, proc.stderr[-3000:])
        self.assertEqual(doc["error"]["kind"], "definitions_error")

    def test_stdout_noise_is_kept_off_stdout(self):
        project = make_project(
            self.tmp,
            "noisy_proj",
            {
                "definitions.py": """
                import os
                import sys
                import warnings
                import dagster as dg

                print("python-level noise {", end="")
                os.write(1, b"fd-level noise }\\n")
                sys.stdout.flush()
                warnings.warn("user warning from the project")

                @dg.asset
                def noisy():
                    pass

                @dg.definitions
                def defs():
                    print("noise while building")
                    return dg.Definitions(assets=[noisy])
                """
            },
        )
        out = os.path.join(self.tmp, "m.json")
        proc, doc = introspect(project, out)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertEqual(proc.stdout, "")
        self.assertIn("python-level noise", proc.stderr)
        self.assertIn("fd-level noise", proc.stderr)
        self.assertIn("noise while building", proc.stderr)
        self.assertEqual([a["key"] for a in doc["assets"]], [["noisy"]])
        self.assertTrue(
            any("UserWarning: user warning from the project" in w for w in doc["location"]["warnings"]),
            doc["location"]["warnings"],
        )
        self.assertFalse(os.path.exists(out + ".tmp"))

    def assert_load_failure(self, project, kind, file_hint, message_prefix):
        out = os.path.join(self.tmp, "m.json")
        proc, doc = introspect(project, out)
        self.assertEqual(proc.returncode, 3, proc.stderr[-3000:])
        self.assertEqual(set(doc), {"manifest_version", "error"})
        self.assertEqual(doc["manifest_version"], 1)
        err = doc["error"]
        self.assertEqual(err["kind"], kind, err)
        self.assertTrue(err["message"].startswith(message_prefix), err["message"])
        self.assertNotIn("\n", err["message"])
        self.assertIn(file_hint, err["traceback_tail"])
        self.assertLessEqual(len(err["traceback_tail"].splitlines()), 15)
        self.assertNotIn("site-packages/dagster/", err["traceback_tail"])
        self.assertNotIn("<frozen importlib", err["traceback_tail"])
        return err

    def test_import_error(self):
        project = make_project(
            self.tmp,
            "broken_imp",
            {"definitions.py": "import dagster as dg\nimport not_a_real_module_xyz\n\ndefs = dg.Definitions()\n"},
        )
        err = self.assert_load_failure(
            project, "import_error", os.path.join("broken_imp", "definitions.py"), "ModuleNotFoundError: "
        )
        self.assertIn("not_a_real_module_xyz", err["message"])

    def test_import_error_inside_defs_folder(self):
        project = make_project(
            self.tmp,
            "broken_defs",
            {
                "definitions.py": """
                from pathlib import Path
                from dagster import definitions, load_from_defs_folder

                @definitions
                def defs():
                    return load_from_defs_folder(path_within_project=Path(__file__).parent)
                """,
                "defs/__init__.py": "",
                "defs/assets.py": "import dagster as dg\nfrom missing_pkg_abc import thing\n",
            },
        )
        with open(os.path.join(project.root, "pyproject.toml"), "w") as f:
            f.write(PYPROJECT.format(pkg="broken_defs"))
        self.assert_load_failure(
            project, "import_error", os.path.join("defs", "assets.py"), "ModuleNotFoundError: "
        )

    def test_syntax_error(self):
        project = make_project(self.tmp, "broken_syn", {"definitions.py": "import dagster as dg\ndef oops(:\n    pass\n"})
        self.assert_load_failure(project, "syntax_error", "definitions.py", "SyntaxError: ")

    def test_no_definitions(self):
        project = make_project(self.tmp, "empty_defs", {"definitions.py": "import dagster as dg\nX = 1\n"})
        out = os.path.join(self.tmp, "m.json")
        proc, doc = introspect(project, out)
        self.assertEqual(proc.returncode, 3, proc.stderr[-3000:])
        self.assertEqual(doc["error"]["kind"], "no_definitions")
        self.assertIn("empty_defs.definitions", doc["error"]["message"])

    def test_definitions_error(self):
        project = make_project(
            self.tmp,
            "bad_build",
            {
                "definitions.py": """
                import dagster as dg

                @dg.definitions
                def defs():
                    raise ValueError("cannot build these defs")
                """
            },
        )
        self.assert_load_failure(
            project, "definitions_error", "definitions.py", "ValueError: cannot build these defs"
        )


class FastPathTests(unittest.TestCase):
    """The two load-time shortcuts keep Dagster's behaviour for anything that needs it."""

    def run_python(self, code):
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=os.path.dirname(INTROSPECT),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def test_deferred_test_package_loads_its_init_when_used(self):
        out = self.run_python(
            "import sys, dagster, introspect\n"
            "introspect.defer_dagster_test_utilities()\n"
            "import dagster._utils.test.definitions as d\n"
            "print('storage' , 'sqlalchemy' in sys.modules)\n"
            "from dagster._utils.test import wrap_op_in_graph_and_execute\n"
            "print('used', callable(wrap_op_in_graph_and_execute))\n"
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("storage False", out.stdout)
        self.assertIn("used True", out.stdout)

    def test_catalogue_builder_keeps_the_component_tree(self):
        out = self.run_python(
            "import introspect\n"
            "introspect.skip_component_type_catalogue()\n"
            "from dagster.components.core import load_defs\n"
            "d = load_defs.get_library_json_enriched_defs(None)\n"
            "print(type(d).__name__, dict(d.metadata or {}))\n"
        )
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Definitions {}", out.stdout)


if __name__ == "__main__":
    unittest.main()
