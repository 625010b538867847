"""Continue: `config.yaml` in `~/.continue/` (`$CONTINUE_GLOBAL_DIR` when set), read by the
VS Code and JetBrains extensions and the `cn` CLI, or a block file in a workspace's
`.continue/mcpServers/` folder, which the extensions add to every config. `mcpServers` is a
list of blocks, each naming itself: `{name, type: streamable-http, url}`.

Documented at https://docs.continue.dev/customize/deep-dives/mcp (a block file also needs the
`name`, `version` and `schema` that cfmcp gives a file it creates); the fields are those of
`@continuedev/config-yaml`'s MCP server schema. The file is YAML edited round-trip, comments
kept; on a 401 Continue signs in itself (the CLI through mcp-remote, in the browser).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import yaml_named_list

SERVERS = "mcpServers"


def global_folder() -> Path:
    value = os.environ.get("CONTINUE_GLOBAL_DIR")
    return Path(value) if value and Path(value).is_absolute() else paths.home() / ".continue"


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".continue" / SERVERS / "mcp.yaml")
    folder = global_folder()
    return Location(folder / "config.yaml", install_dir=folder)


# https://docs.continue.dev/customize/deep-dives/mcp: "type: streamable-http" with its url
def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "streamable-http", "url": url}


def named_entry(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return {"name": name, **entry}


SPEC = ClientSpec(
    name="continue",
    title="Continue",
    servers_key=SERVERS,
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    named_entry=named_entry,
    new_file={"name": "MCP servers", "version": "1.0.0", "schema": "v1"},
    format=yaml_named_list(SERVERS),
    next_hint=lambda project, name: (
        "Continue uses MCP servers in agent mode; it asks you to "
        "sign in the first time it connects."
    ),
)
