"""Kiro: `~/.kiro/settings/mcp.json` or a workspace's `.kiro/settings/mcp.json` (which wins
when both name a server), `mcpServers`, `{"url": …}`; Kiro signs in to a remote server itself.

Documented at https://kiro.dev/docs/mcp/configuration (and kiro.dev/docs/cli/mcp/
configuration for Kiro's CLI, which reads the same files). The documentation says nothing of
comments in the file, so cfmcp treats it as plain JSON and refuses a file that is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".kiro" / "settings" / "mcp.json")
    folder = paths.home() / ".kiro"
    return Location(folder / "settings" / "mcp.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


SPEC = ClientSpec(
    name="kiro",
    title="Kiro",
    servers_key="mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
)
