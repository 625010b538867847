"""Cursor: `~/.cursor/mcp.json` or the project's `.cursor/mcp.json`, `mcpServers`, and a
native remote entry `{"url": …}` (Cursor runs the OAuth sign-in itself)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".cursor" / "mcp.json")
    folder = paths.home() / ".cursor"
    return Location(folder / "mcp.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


SPEC = ClientSpec(
    name="cursor",
    title="Cursor",
    servers_key="mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    # Cursor's docs show plain JSON, and Cursor refuses a trailing comma there itself: cfmcp
    # edits it as JSON, not as VS Code's JSON with comments.
    invalid_note="Cursor reads this file as plain JSON too: it stops loading your servers "
    "until the file parses.",
)
