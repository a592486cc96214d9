"""dg-rs component registry script: the component types and registry modules one location's
own environment offers, computed as real `dg list components` / `dg list registry-modules`
compute them inside that project (dagster_dg_core.component.EnvRegistry.from_dg_context):

1. everything the environment registers under the `dagster_dg_cli.registry_modules` entry
   point group (dagster itself, installed integrations such as dagster-dbt);
2. when the project has no such entry point of its own, the modules its
   `[tool.dg.project] registry_modules` patterns resolve to (`pkg.components.*`), each
   contributing the objects whose namespace is that module.

Run with the *project's own* interpreter, cwd = the project root:

    <python> components.py --working-directory <project>/src --output <file> \
        [--registry-module PATTERN ...] [--has-entry-point] [--extra-module MODULE ...] \
        [--use-component-module MODULE ...]

Writes ``{"dagster_version", "modules": [...], "objects": [{"key", "namespace", "name",
"aliases", "summary", "description", "features", "scaffolder_schema", "component_schema",
"defs_yaml_json_schema", "template_vars", "untemplated_attributes"}], "template_scope"}`` to --output only (stdout is
never used for data); the schemas are JSON text exactly as real `dg utils
inspect-component` prints them; the template names are what `dg check yaml` allows in a
defs.yaml's templates.
Exit codes: 0 = written; 3 = the registry could not be built (an ``{"error": ...}`` document
was written); anything else = this script crashed. Python 3.10-3.13, stdlib + dagster only
(no dagster-dg-cli needed).
"""

import argparse
import copy
import json
import os
import sys

from dg_rs_loader import (  # the shared loader (python/dg_rs_loader.py)
    EXIT_LOAD_FAILURE,
    LoadFailure,
    error_document,
    import_dagster,
    stdout_to_stderr,
    write_json_atomic,
)


class RegistryError(Exception):
    """An entry point or registry module failed to load (real dg prints it and stops)."""


def _manifest(result):
    # list_plugins returns a SerializableErrorInfo when an entry point fails to import.
    if hasattr(result, "objects") and hasattr(result, "modules"):
        return result
    message = getattr(result, "message", None) or str(result)
    raise RegistryError(message.strip())


def _from_modules(list_plugins, modules):
    """The objects whose namespace is one of `modules`, module by module (real dg's
    _load_module_registry_objects)."""
    if not modules:
        return []
    fetched = _manifest(list_plugins(entry_points=False, extra_modules=list(modules)))
    return [o for m in modules for o in fetched.objects if o.key.namespace == m]


def registry(patterns, has_entry_point, extra_modules=(), use_component_modules=()):
    """(modules, objects) as real dg's EnvRegistry holds them. `extra_modules` are searched
    too, as real `dg check yaml` searches the module of every type a defs.yaml names;
    `use_component_modules` (real dg's `[cli]` setting) replace the entry points."""
    try:
        from dagster.components.list import list_plugins
        from dagster_shared.seven import resolve_module_pattern
    except ImportError as e:
        import dagster

        version = getattr(dagster, "__version__", "?")
        message = (
            f"dagster {version} has no component registry (dagster.components.list, in "
            f"Dagster 1.11 and newer): {e}"
        )
        raise LoadFailure("import_error", ImportError(message)) from e

    if use_component_modules:
        modules = list(use_component_modules)
        objects = _from_modules(list_plugins, modules)
    else:
        first = _manifest(list_plugins(entry_points=True, extra_modules=[]))
        modules = list(first.modules)
        objects = list(first.objects)
    extra = sorted(set(extra_modules).difference(modules))
    objects.extend(_from_modules(list_plugins, extra))
    modules.extend(extra)
    if not has_entry_point and patterns:
        project_modules = sorted({m for p in patterns for m in resolve_module_pattern(p)})
        extra = sorted(set(project_modules).difference(modules))
        objects.extend(_from_modules(list_plugins, extra))
        modules.extend(extra)
    return modules, objects


def _dumps(schema):
    # As real dg prints a schema (`dg utils inspect-component`): json.dumps, indent 4.
    return json.dumps(schema, indent=4) if schema else None


def _defs_yaml_base_schema():
    """The JSON schema of a whole defs.yaml (type, attributes, ...), or None."""
    try:
        from dagster.components.core.defs_module import ComponentFileModel

        return ComponentFileModel.model_json_schema()
    except Exception:  # noqa: BLE001 - an older Dagster without it
        return None


def _defs_yaml_json_schema(base, component_schema):
    """Real dg's `inspect-component --defs-yaml-json-schema`: the defs.yaml schema with the
    component's attributes schema in `attributes` (required when it has required fields)."""
    if base is None:
        return None
    schema = copy.deepcopy(base)
    if component_schema:
        schema["properties"]["attributes"] = component_schema
        if component_schema.get("required"):
            if "required" not in schema:
                schema["required"] = ["type"]
            if "attributes" not in schema["required"]:
                schema["required"].append("attributes")
    return json.dumps(schema, indent=4)


# The names `Component.load` puts in scope for a Resolvable component's templates
# (Dagster 1.11-1.13: `context`, and the deprecated names it replaced). Not readable from
# Dagster without loading a component, so named here.
_LOAD_SCOPE = ("context", "project_root", "load_component_at_path", "build_defs_at_path")


def _template_scope():
    """The names every component's templates have in scope, or None if unknown."""
    try:
        from dagster.components.resolved.context import ResolutionContext

        names = set(ResolutionContext.default().scope)
    except Exception:  # noqa: BLE001 - an older Dagster: the check is skipped
        return None
    names.update(_LOAD_SCOPE)
    return sorted(names)


def _template_vars(o, is_component):
    """A component type's own template variables (its @template_var static methods and
    get_additional_scope), or None if unknown."""
    if not is_component:
        return None
    try:
        from dagster.components.component.template_vars import _get_all_static_template_vars
        from dagster_shared.seven import load_module_object

        cls = load_module_object(o.key.namespace, o.key.name)
        names = {name for name, _fn, _sig in _get_all_static_template_vars(cls)}
        names.update(cls.get_additional_scope())
    except Exception:  # noqa: BLE001 - unknown: the check is skipped for this type
        return None
    return sorted(names)


def _renders_templates(resolver, default_fn, passthrough_fn):
    """Whether Dagster renders the `{{ }}` templates in a field with this resolver."""
    import functools

    if resolver.fn is default_fn or getattr(resolver, "inject_before_resolve", False):
        return True
    if resolver.fn is passthrough_fn:
        return False
    fn = getattr(resolver.fn, "callable", None)
    # A nested Resolvable or a union, resolved field by field.
    if isinstance(fn, functools.partial):
        return True
    # The type's own function: templates are rendered if it resolves anything itself
    # (a `lambda ctx, value: value` hands the text to the component as it is).
    code = getattr(fn, "__code__", None)
    return code is not None and any("resolve" in n for n in code.co_names)


def _untemplated_attributes(o, is_component):
    """The top-level attributes whose templates Dagster leaves to the component (a SQL
    template rendered later with its own variables), or None if unknown."""
    if not is_component:
        return None
    try:
        from dagster.components.resolved.base import Resolvable, _get_annotations, _get_resolver
        from dagster.components.resolved.model import _default_fn, _passthrough_fn
        from dagster_shared.seven import load_module_object

        cls = load_module_object(o.key.namespace, o.key.name)
        if not issubclass(cls, Resolvable):
            return []
        out = []
        for name, info in _get_annotations(cls).items():
            resolver = _get_resolver(info.type, name)
            if not _renders_templates(resolver, _default_fn, _passthrough_fn):
                alias = getattr(info.field_info, "alias", None) if info.field_info else None
                out.append(alias or name)
    except Exception:  # noqa: BLE001 - unknown: templates are not checked for this type
        return None
    return sorted(out)


def _object(o, base):
    features = getattr(o, "features", None) or []
    component_schema = getattr(o, "component_schema", None)
    is_component = "component" in [str(f) for f in features]
    return {
        "key": o.key.to_typename(),
        "namespace": o.key.namespace,
        "name": o.key.name,
        "aliases": [a.to_typename() for a in (getattr(o, "aliases", None) or [])],
        "summary": getattr(o, "summary", None),
        "description": getattr(o, "description", None),
        "features": sorted(str(f) for f in features),
        "scaffolder_schema": _dumps(getattr(o, "scaffolder_schema", None)),
        "component_schema": _dumps(component_schema),
        "defs_yaml_json_schema": (
            _defs_yaml_json_schema(base, component_schema)
            if is_component
            else None
        ),
        "template_vars": _template_vars(o, is_component),
        "untemplated_attributes": _untemplated_attributes(o, is_component),
    }


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--working-directory", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--registry-module", action="append", default=[])
    p.add_argument("--has-entry-point", action="store_true")
    p.add_argument("--extra-module", action="append", default=[])
    p.add_argument("--use-component-module", action="append", default=[])
    # `dg scaffold defs TYPE PATH`: run the type's own scaffolder into --target.
    p.add_argument("--scaffold", metavar="TYPE")
    p.add_argument("--target")
    p.add_argument("--format", default="yaml", choices=["yaml", "python"])
    p.add_argument("--json-params")
    p.add_argument("--project-root")
    return p.parse_args(argv)


def scaffold(args):
    """Runs the scaffolder of args.scaffold into args.target as real `dg scaffold defs` does
    (dagster.components.component_scaffolding.scaffold_object); invalid parameters are a
    load failure whose detail is pydantic's error list."""
    from pathlib import Path

    try:
        from dagster.components.component_scaffolding import parse_params_model, scaffold_object
        from dagster_shared.serdes.objects import EnvRegistryKey
        from dagster_shared.seven import load_module_object
    except ImportError as e:
        raise LoadFailure("import_error", e) from e
    key = EnvRegistryKey.from_typename(args.scaffold)
    try:
        obj = load_module_object(key.namespace, key.name)
    except Exception as e:  # noqa: BLE001 - the module's own import error
        raise LoadFailure("import_error", e) from e
    # The parameters first, as scaffold_object checks them, so that a refusal is told apart
    # from a scaffolder that fails.
    try:
        parse_params_model(obj=obj, json_params=args.json_params)
    except Exception as e:  # noqa: BLE001 - pydantic's ValidationError, dagster's CheckError
        raise LoadFailure("invalid_params", InvalidParams(e)) from e
    try:
        scaffold_object(
            Path(args.target),
            args.scaffold,
            args.json_params,
            args.format,
            Path(args.project_root) if args.project_root else None,
        )
    except Exception as e:  # noqa: BLE001 - the scaffolder's own error
        raise LoadFailure("definitions_error", e) from e
    return {"dagster_version": _dagster_version(), "scaffolded": args.target}


class InvalidParams(Exception):
    def __init__(self, e):
        if hasattr(e, "errors"):
            what = "; ".join(
                f"{'.'.join(str(p) for p in err.get('loc', ())) or 'params'}: {err.get('msg')}"
                for err in e.errors()
            )
        else:
            what = str(e).replace("Invariant failed. Description: ", "")
        super().__init__(f"invalid scaffold parameters for `{_TYPE[0]}`: {what}")


_TYPE = [""]


def _dagster_version():
    return getattr(sys.modules.get("dagster"), "__version__", "unknown")


def main(argv=None):
    args = parse_args(argv)
    args.output = os.path.abspath(args.output)
    wd = os.path.abspath(args.working_directory)
    if wd not in sys.path:
        sys.path.insert(0, wd)
    if args.scaffold:
        _TYPE[0] = args.scaffold
        try:
            with stdout_to_stderr():
                import_dagster()
                doc = scaffold(args)
        except LoadFailure as failure:
            write_json_atomic(args.output, error_document(failure.kind, failure.exc))
            return EXIT_LOAD_FAILURE
        write_json_atomic(args.output, doc)
        return 0
    try:
        with stdout_to_stderr():
            dagster = import_dagster()
            try:
                modules, objects = registry(
                    args.registry_module,
                    args.has_entry_point,
                    args.extra_module,
                    args.use_component_module,
                )
            except LoadFailure:
                raise
            except Exception as e:  # noqa: BLE001 - a registry module's own error
                raise LoadFailure("import_error", e) from e
            base = _defs_yaml_base_schema()
            doc = {
                "dagster_version": getattr(dagster, "__version__", "unknown"),
                "modules": modules,
                "objects": [_object(o, base) for o in objects],
                "template_scope": _template_scope(),
            }
    except LoadFailure as failure:
        write_json_atomic(args.output, error_document(failure.kind, failure.exc))
        return EXIT_LOAD_FAILURE
    write_json_atomic(args.output, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
