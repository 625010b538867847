"""GitHub Copilot CLI: `~/.copilot/mcp-config.json` (`$COPILOT_HOME/mcp-config.json` when set),
`mcpServers`, `{"type": "http", "url": …, "tools": ["*"]}`; Copilot CLI signs in to a remote
server itself and keeps the tokens in `~/.copilot/mcp-oauth-config/`.

Documented in github/docs, `content/copilot/how-tos/copilot-cli/customize-copilot/
add-mcp-servers.md` (the entry, `tools` naming the tools it may call) and
`copilot-cli-reference/cli-config-dir-reference.md` (the folder, `COPILOT_HOME`). A project's
`.mcp.json` is read too, in folders the user trusts: that is Claude Code's file, written by
`cfmcp client-config claude-code` with the same shape. Copilot CLI 1.0.102 reads comments in
this file, so it is edited as JSONC.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def config_folder() -> Path:
    folder = os.environ.get("COPILOT_HOME")
    return Path(folder) if folder and Path(folder).is_absolute() else paths.home() / ".copilot"


def locate(scope: Scope, project_root: Path) -> Location:
    folder = config_folder()
    return Location(folder / "mcp-config.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url, "tools": ["*"]}


SPEC = ClientSpec(
    name="copilot",
    title="GitHub Copilot CLI",
    servers_key="mcpServers",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
    stdio_type="local",
    format=JSONC,
)
