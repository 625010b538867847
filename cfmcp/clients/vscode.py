"""VS Code: the workspace's `.vscode/mcp.json` or the user `mcp.json`, key `servers`,
`{"type": "http", "url": …}`. VS Code reads these files as JSONC, so they are edited in
place (see jsonc.py) and the user's comments and trailing commas are kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".vscode" / "mcp.json")
    folder = paths.user_config_root() / "Code" / "User"
    return Location(folder / "mcp.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url}


SPEC = ClientSpec(
    name="vscode",
    title="VS Code",
    servers_key="servers",
    scopes=("project", "user"),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="stdio",
    format=JSONC,
)
