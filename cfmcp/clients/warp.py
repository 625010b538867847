"""Warp: `~/.warp/.mcp.json` (under the home folder on every system; Stable and Preview share
it), `mcpServers`, a remote server `{"url": …}` (Warp signs in by itself and keeps the tokens in
the system's secure storage).

From warpdotdev/warp: `crates/warp_core/src/paths.rs` (the folder) and `app/src/ai/mcp/mod.rs`,
`parsing.rs` (the key and the entry, parsed as plain JSON). A project's `.warp/.mcp.json` is
read but not started on its own, so cfmcp writes the user's file only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    folder = paths.home() / ".warp"
    return Location(folder / ".mcp.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


SPEC = ClientSpec(
    name="warp",
    title="Warp",
    servers_key="mcpServers",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
)
