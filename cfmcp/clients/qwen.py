"""Qwen Code: `~/.qwen/settings.json` (`$QWEN_HOME/settings.json` when set) or a project's
`.qwen/settings.json`, `mcpServers`, `{"httpUrl": …}`: Qwen Code reads `httpUrl` as streamable
HTTP and `url` as SSE, whatever `type` says (its `createTransport`), and `qwen mcp add -t http`
writes `httpUrl`. It signs in to a remote server itself (`/mcp auth`), keeping the tokens in
`~/.qwen/mcp-oauth-tokens.json`.

Documented at QwenLM/qwen-code `docs/users/features/mcp.md`. Measured with 0.24.4: the file
may hold comments, and Qwen Code adds `"$version"` to it on each run, keeping them.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def config_folder() -> Path:
    folder = os.environ.get("QWEN_HOME")
    return Path(folder) if folder and Path(folder).is_absolute() else paths.home() / ".qwen"


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".qwen" / "settings.json")
    folder = config_folder()
    return Location(folder / "settings.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"httpUrl": url}


def next_hint(project_scope: bool, name: str) -> str:
    return f"In Qwen Code, sign in once with: /mcp auth {shlex.quote(name)}"


SPEC = ClientSpec(
    name="qwen",
    title="Qwen Code",
    servers_key="mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    format=JSONC,
    next_hint=next_hint,
)
