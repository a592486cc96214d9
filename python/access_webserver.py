"""dagster-webserver that shows each person what the dg-rs access policy lets them do.

Run exactly like `dagster-webserver` (same arguments), behind `dg access proxy`. The proxy
authenticates every request and adds `X-Dg-Rs-Roles: {"default": ROLE, "locations": {...}}`;
this entry point turns that into the webserver's own permission maps, per request:

* `permissions_for_location` (what the UI reads per code location, and what the webserver's
  own checks such as `assert_permission_for_location` use) enables a permission only when
  the person's role in that location is high enough;
* `permissions` (the workspace-wide map) enables a permission only when the role is high
  enough in every location.

So the UI greys out launch buttons, schedule toggles, wipes and reloads a person may not
use, and the webserver refuses them too. The proxy stays the enforcement: it classifies
every request first and denies by default. The hook is Dagster's
`WorkspaceProcessContext.create_request_context` (private API, Dagster 1.12/1.13): when it
is not there, the webserver starts unchanged with a warning, and only the proxy enforces.
"""

import json
import logging
import sys

ROLES = ["none", "viewer", "launcher", "editor", "admin"]
HEADER = "x-dg-rs-roles"

# The role each Dagster permission needs (Dagster+'s roles). Anything not listed: editor.
LAUNCHER = {
    "launch_pipeline_execution",
    "launch_pipeline_reexecution",
    "terminate_pipeline_execution",
    "delete_pipeline_run",
    "launch_partition_backfill",
    "cancel_partition_backfill",
}
ADMIN = {"reload_workspace", "toggle_auto_materialize", "edit_concurrency_limit"}

log = logging.getLogger("dg-rs-access")


def needed(permission):
    if permission in LAUNCHER:
        return "launcher"
    if permission in ADMIN:
        return "admin"
    return "editor"


def rank(role):
    return ROLES.index(role) if role in ROLES else 0


def restrict(base, role_of, where):
    """`base` (the webserver's own map) with each permission also requiring its role."""
    from dagster._core.workspace.permissions import PermissionResult

    out = {}
    for permission, result in base.items():
        need = needed(permission)
        role = role_of(permission)
        if result.enabled and rank(role) < rank(need):
            out[permission] = PermissionResult(
                enabled=False,
                disabled_reason=f"dg-rs access: needs {need} {where}; you have {role}",
            )
        else:
            out[permission] = result
    return out


def install():
    from dagster._core.workspace import context as ctx

    process_cls = ctx.WorkspaceProcessContext
    request_cls = ctx.WorkspaceRequestContext
    original = process_cls.create_request_context

    class PersonRequestContext(request_cls):
        """A request context that knows the person's roles."""

        def __init__(self, *args, dg_rs_roles, **kwargs):
            super().__init__(*args, **kwargs)
            self._dg_rs_default = dg_rs_roles.get("default", "none")
            self._dg_rs_locations = dict(dg_rs_roles.get("locations", {}))

        def _dg_rs_role(self, location):
            return self._dg_rs_locations.get(location, self._dg_rs_default)

        def _dg_rs_lowest(self):
            roles = list(self._dg_rs_locations.values()) + [self._dg_rs_default]
            return min(roles, key=rank)

        @property
        def permissions(self):
            lowest = self._dg_rs_lowest()
            return restrict(super().permissions, lambda _p: lowest, "in every code location")

        def permissions_for_location(self, *, location_name):
            role = self._dg_rs_role(location_name)
            return restrict(
                super().permissions_for_location(location_name=location_name),
                lambda _p: role,
                f"in {location_name}",
            )

    def create_request_context(self, source=None):
        base = original(self, source)
        headers = getattr(source, "headers", None)
        raw = headers.get(HEADER) if headers is not None else None
        if not raw:
            return base
        try:
            roles = json.loads(raw)
            return PersonRequestContext(
                instance=base.instance,
                current_workspace=base.get_current_workspace(),
                process_context=self,
                version=base.version,
                source=source,
                read_only=base.read_only,
                dg_rs_roles=roles,
            )
        except Exception as e:  # never break a request over the UI hint
            log.warning("dg-rs access: could not apply the roles header (%s)", e)
            return base

    process_cls.create_request_context = create_request_context


def main():
    try:
        install()
    except Exception as e:
        print(
            f"dg-rs access: this Dagster has no per-request permission hook ({e}); "
            "the UI will not grey out what a person may not do (the proxy still enforces)",
            file=sys.stderr,
        )
    from dagster_webserver.cli import main as webserver_main

    sys.argv[0] = "dagster-webserver"
    webserver_main()


if __name__ == "__main__":
    main()
