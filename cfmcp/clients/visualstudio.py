"""Visual Studio (2022 17.14 and later, Windows): `%USERPROFILE%\\.mcp.json` for every
solution, key `servers`, `{"type": "http", "url": …}` (streamable HTTP); Visual Studio signs in
by itself and keeps the tokens in its keychain. It also reads a solution's `.mcp.json`,
`.vs\\mcp.json`, `.vscode\\mcp.json` and `.cursor\\mcp.json`: the VS Code and Cursor entries
cfmcp writes serve it too.

Documented in MicrosoftDocs/visualstudio-docs `docs/ide/mcp-servers.md`. Nothing documented
tells whether Visual Studio is installed, so `--all` leaves it out; and it runs on Windows only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    return Location(paths.home() / ".mcp.json")


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url}


SPEC = ClientSpec(
    name="visualstudio",
    title="Visual Studio",
    servers_key="servers",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="stdio",
    platforms=("windows",),
    installed=lambda: None,  # nothing documented tells
)
