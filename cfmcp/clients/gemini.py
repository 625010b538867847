"""Google's Gemini CLI: `~/.gemini/settings.json` or a project's `.gemini/settings.json`,
`mcpServers.NAME`. The file may hold comments (not trailing commas), so it is edited in place.

The documentation (https://geminicli.com/docs/tools/mcp-server) names `httpUrl` for streamable
HTTP and `url` for SSE; Gemini CLI 0.61.0 marks `httpUrl` deprecated in favour of `url` with
`"type": "http"`, which is what its own `gemini mcp add --transport http` writes, so cfmcp
writes that. Gemini CLI finds the OAuth sign-in from the server's 401 and keeps the tokens in
`~/.gemini/mcp-oauth-tokens.json`.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".gemini" / "settings.json")
    folder = paths.home() / ".gemini"
    return Location(folder / "settings.json", install_dir=folder)


# https://geminicli.com/docs/tools/mcp-server: `type` "http" and `url`, as `gemini mcp add
# --transport http` writes it (0.61.0); `httpUrl` still works but is deprecated there.
def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url}


def next_hint(project_scope: bool, name: str) -> str:
    return f"In Gemini CLI, sign in once with: /mcp auth {shlex.quote(name)}"


SPEC = ClientSpec(
    name="gemini",
    title="Gemini CLI",
    servers_key="mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    format=JSONC,
    next_hint=next_hint,
)
