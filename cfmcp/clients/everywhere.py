"""`cfmcp client-config --all`: the server's entry in every client that looks installed on this
machine, each in its usual file (the client's default scope; outside a project, the user's
file where the client has one), and a row for every client saying what happened. A client
that is not installed gets nothing: no folder, no file.

Each client goes as `cfmcp client-config CLIENT` would, with no questions: an entry of the same
name with other settings is left alone (skipped, `--force` replaces it), and a client whose file
cannot be read or written fails on its own row without stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cfmcp.clients import paths
from cfmcp.errors import CfmcpError

if TYPE_CHECKING:
    from cfmcp.clients import Request


@dataclass
class ClientRow:
    client: str
    title: str
    # created, added, updated or unchanged ("would be …" in a dry run), skipped, failed
    status: str
    path: Path | None = None
    detail: str = ""
    backup: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "title": self.title,
            "status": self.status,
            "path": None if self.path is None else str(self.path),
            "detail": self.detail,
            "backup": None if self.backup is None else str(self.backup),
        }


def configure_all(request: Request, *, dry_run: bool, force: bool) -> list[ClientRow]:
    """One row per client cfmcp knows, in its order."""
    from cfmcp import clients
    from cfmcp.clients.inventory import is_installed
    from cfmcp.project import project_or_none

    project = project_or_none()
    root = project.root if project is not None else Path.cwd()
    rows = []
    for spec in clients.CLIENTS.values():
        if spec.platforms is not None and paths.current_platform() not in spec.platforms:
            why = f"runs on {' and '.join(p.capitalize() for p in spec.platforms)} only"
            rows.append(ClientRow(spec.name, spec.title, "skipped", detail=why))
            continue
        installed = is_installed(spec, root)
        if not installed:
            why = "not installed here" if installed is False else "cannot tell if it is installed"
            rows.append(ClientRow(spec.name, spec.title, "skipped", detail=why))
            continue
        scope = spec.default_scope
        if scope == "project" and project is None:
            # Outside a project there is no project file to write: the user's own, if any.
            if "user" not in spec.scopes:
                why = "writes the project's file: run it in a cfmcp project"
                rows.append(ClientRow(spec.name, spec.title, "skipped", detail=why))
                continue
            scope = "user"
        try:
            target = clients.resolve_target(replace(request, client=spec.name, scope=scope))
            plan = clients.plan(target, force=force)
            if plan.conflict and not force:
                rows.append(ClientRow(
                    spec.name, spec.title, "skipped", plan.path,
                    f"has a server named {plan.name!r} with other settings (--force replaces it)",
                ))  # fmt: skip
                continue
            if dry_run:
                status = "unchanged" if plan.action == "unchanged" else f"would be {plan.action}"
                rows.append(ClientRow(spec.name, spec.title, status, plan.path))
                continue
            result = clients.apply(plan)
        except CfmcpError as error:
            rows.append(ClientRow(spec.name, spec.title, "failed", detail=error.message))
            continue
        row = ClientRow(spec.name, spec.title, result.action, plan.path, backup=result.backup)
        rows.append(row)
    return rows
