"""OpenCode: its global `opencode.json` (`$XDG_CONFIG_HOME/opencode/`, else `~/.config/opencode/`
on every system, Windows included) or a project's `opencode.json` at its root; `.jsonc` where
that is the file the user has. Entries live under `mcp`: `{"type": "remote", "url": …,
"enabled": true}`; OpenCode registers itself and signs in on the first 401, keeping the tokens
in `~/.local/share/opencode/mcp-auth.json` (`opencode mcp logout NAME` clears them).

Documented at https://opencode.ai/v1/docs/mcp-servers/ (the shape of opencode-ai 1.x, the
release npm installs; the 2.x docs at opencode.ai/docs move servers under `mcp.servers`).
Measured with opencode-ai 1.18.33: the files are JSONC whatever their name, and OpenCode adds
`$schema` to a file that lacks it, so a file cfmcp creates starts with it.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC

SCHEMA = "https://opencode.ai/config.json"


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(paths.json_or_jsonc(project_root, "opencode"))
    folder = paths.xdg_config_home() / "opencode"
    return Location(paths.json_or_jsonc(folder, "opencode"), install_dir=folder)


# https://opencode.ai/v1/docs/mcp-servers/: "Remote" servers, `type` "remote", `url`, `enabled`
def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "remote", "url": url, "enabled": True}


# The same page, "Local" servers: `type` "local" and `command` as one array
def stdio_entry(command: str, args: list[str]) -> dict[str, Any]:
    return {"type": "local", "command": [command, *args], "enabled": True}


def next_hint(project_scope: bool, name: str) -> str:
    login = f"opencode mcp auth {shlex.quote(name)}"
    return f"OpenCode signs in on the first connection (or now: {login})."


SPEC = ClientSpec(
    name="opencode",
    title="OpenCode",
    servers_key="mcp",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    stdio_entry=stdio_entry,
    format=JSONC,
    next_hint=next_hint,
    new_file={"$schema": SCHEMA},
)
