"""Tests for python/components.py: the component registry of a throwaway project, read in
the environment under test (Dagster 1.12 or 1.13)."""

import json
import os
import sys
import unittest

from ._support import COMPONENTS, TempDirMixin, clean_env, make_project, run_script

sys.path.insert(0, os.path.dirname(COMPONENTS))
import components  # noqa: E402

COMPONENT = '''
import dagster as dg


class {name}(dg.Component):
    """{summary}

    Longer text.
    """

    def build_defs(self, context):
        return dg.Definitions()
'''


class ComponentsScriptTest(TempDirMixin, unittest.TestCase):
    def read(self, project, *extra):
        out = os.path.join(self.tmp, "registry.json")
        proc = run_script(
            COMPONENTS,
            ["--working-directory", project.src, "--output", out, *extra],
            cwd=project.root,
            env=clean_env(),
        )
        with open(out) as f:
            return proc, json.load(f)

    def project(self):
        return make_project(
            self.tmp,
            "acme",
            {
                "components/__init__.py": "",
                "components/rollup.py": COMPONENT.format(name="Rollup", summary="Weekly rollups."),
                "other/__init__.py": "",
                "other/thing.py": COMPONENT.format(name="Thing", summary="Not listed."),
            },
        )

    def test_the_projects_pattern_adds_its_own_types_after_the_environments(self):
        proc, doc = self.read(self.project(), "--registry-module", "acme.components.*")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        keys = [o["key"] for o in doc["objects"]]
        self.assertIn("dagster.DefsFolderComponent", keys)
        self.assertIn("acme.components.rollup.Rollup", keys)
        self.assertNotIn("acme.other.thing.Thing", keys)
        self.assertEqual(doc["modules"][0], "dagster")
        self.assertEqual(doc["modules"][-1], "acme.components.rollup")
        rollup = next(o for o in doc["objects"] if o["key"] == "acme.components.rollup.Rollup")
        self.assertEqual(rollup["summary"], "Weekly rollups.")
        self.assertIn("component", rollup["features"])
        schema = json.loads(rollup["defs_yaml_json_schema"])
        self.assertIn("type", schema["properties"])

    def test_an_entry_point_of_its_own_means_the_patterns_are_not_read(self):
        proc, doc = self.read(
            self.project(), "--registry-module", "acme.components.*", "--has-entry-point"
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("acme.components.rollup", doc["modules"])

    def test_a_registry_module_that_fails_to_import_is_a_load_failure(self):
        project = make_project(
            self.tmp,
            "broken",
            {"components/__init__.py": "", "components/bad.py": "raise ValueError('nope')\n"},
        )
        proc, doc = self.read(project, "--registry-module", "broken.components.*")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertEqual(doc["error"]["kind"], "import_error")
        self.assertIn("nope", doc["error"]["message"])

    def test_required_attributes_make_attributes_required(self):
        base = {"properties": {"type": {"type": "string"}, "attributes": {}}, "required": ["type"]}
        with_required = json.loads(
            components._defs_yaml_json_schema(base, {"required": ["path"], "properties": {}})
        )
        self.assertEqual(with_required["required"], ["type", "attributes"])
        self.assertEqual(with_required["properties"]["attributes"]["required"], ["path"])
        optional = json.loads(components._defs_yaml_json_schema(base, {"properties": {}}))
        self.assertEqual(optional["required"], ["type"])
        # The base schema is not changed for the next type.
        self.assertEqual(base["properties"]["attributes"], {})

    def test_an_extra_module_is_searched_and_templates_are_described(self):
        project = self.project()
        proc, doc = self.read(project, "--extra-module", "acme.other.thing")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        keys = [o["key"] for o in doc["objects"]]
        self.assertIn("acme.other.thing.Thing", keys)
        self.assertIn("env", doc["template_scope"])
        self.assertIn("context", doc["template_scope"])
        sql = next(o for o in doc["objects"] if o["key"] == "dagster.TemplatedSqlComponent")
        # The SQL template is rendered by the component with its own variables.
        self.assertEqual(sql["untemplated_attributes"], ["sql_template"])
        self.assertEqual(sql["template_vars"], [])
        thing = next(o for o in doc["objects"] if o["key"] == "acme.other.thing.Thing")
        self.assertEqual(thing["untemplated_attributes"], [])


if __name__ == "__main__":
    unittest.main()
