"""Cline: `~/.cline/data/settings/cline_mcp_settings.json`, the file Cline's CLI and its VS Code
and JetBrains extensions share (`$CLINE_MCP_SETTINGS_PATH`, else `$CLINE_DATA_DIR/settings/`,
else `$CLINE_DIR/data/settings/` move it), `mcpServers`, `{"type": "streamableHttp", "url": …}`:
without that `type`, Cline reads a `url` entry as SSE. Cline signs in to a remote server itself.

From cline/cline: `sdk/packages/shared/src/storage/paths.ts` (the file and its variables) and
`src/services/mcp/schemas.ts` (the entry). Cline reads the file with `JSON.parse`: plain JSON.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope

FILE_NAME = "cline_mcp_settings.json"


def _absolute(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value and Path(value).is_absolute() else None


def locate(scope: Scope, project_root: Path) -> Location:
    home = paths.home() / ".cline"
    chosen = _absolute("CLINE_MCP_SETTINGS_PATH")
    if chosen is not None:
        return Location(chosen, install_dir=chosen.parent)
    data = _absolute("CLINE_DATA_DIR")
    if data is None:
        data = (_absolute("CLINE_DIR") or home) / "data"
    return Location(data / "settings" / FILE_NAME, install_dir=data.parent)


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "streamableHttp", "url": url}


SPEC = ClientSpec(
    name="cline",
    title="Cline",
    servers_key="mcpServers",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="stdio",
)
