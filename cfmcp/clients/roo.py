"""Roo Code: a project's `.roo/mcp.json` (it wins over Roo's global settings), `mcpServers`,
`{"type": "streamable-http", "url": …}`: Roo refuses a `url` without a `type`. Roo signs in by
itself, keeping the tokens in VS Code's secret storage.

Documented in RooCodeInc/Roo-Code-Docs `docs/features/mcp/using-mcp-in-roo.mdx` (the source,
`src/services/mcp/McpHub.ts`, checks the entry). Roo's global `mcp_settings.json` lives in VS
Code's extension storage, a folder neither names in a way cfmcp can rely on: only the project
file is written. Plain JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    return Location(project_root / ".roo" / "mcp.json")


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "streamable-http", "url": url}


SPEC = ClientSpec(
    name="roo",
    title="Roo Code",
    servers_key="mcpServers",
    scopes=("project",),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="stdio",
)
