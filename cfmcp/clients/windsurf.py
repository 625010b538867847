"""Windsurf: `~/.codeium/windsurf/mcp_config.json`, `mcpServers`, `{"serverUrl": …}`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    folder = paths.home() / ".codeium" / "windsurf"
    return Location(folder / "mcp_config.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"serverUrl": url}


SPEC = ClientSpec(
    name="windsurf",
    title="Windsurf",
    servers_key="mcpServers",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
)
