"""Factory Droid: `~/.factory/mcp.json` (Windows `%USERPROFILE%\\.factory\\`) or a project's
`.factory/mcp.json` (the user's file wins where both name a server), `mcpServers`,
`{"type": "http", "url": …}`. Droid signs in by itself, keeping the tokens in the system keyring
(`/mcp` → the server → Clear Auth).

Documented at https://docs.factory.ai/cli/configuration/mcp (and Factory-AI/factory
`docs/cli/configuration/settings.mdx`): plain JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".factory" / "mcp.json")
    folder = paths.home() / ".factory"
    return Location(folder / "mcp.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url}


SPEC = ClientSpec(
    name="droid",
    title="Factory Droid",
    servers_key="mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="stdio",
)
