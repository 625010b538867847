"""Claude Code: the project's `.mcp.json`, `mcpServers`, `{"type": "http", "url": …}`.

User-scope servers live in ~/.claude.json, which is Claude Code's own state file (rewritten
by Claude Code all the time); cfmcp leaves it to `claude mcp add`. A project's `.mcp.json`
is usually shared through git by people on different systems, so the --bridge entry stays
plain `npx` here even on Windows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope


def locate(scope: Scope, project_root: Path) -> Location:
    return Location(project_root / ".mcp.json")


def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "http", "url": url}


def scope_hint(scope: Scope, name: str, url: str) -> str:
    command = f"claude mcp add --transport http {name} {url} --scope {scope}"
    return f"Claude Code keeps its user servers in its own state file; run: {command}"


SPEC = ClientSpec(
    name="claude-code",
    title="Claude Code",
    servers_key="mcpServers",
    scopes=("project",),
    locate=locate,
    remote_entry=remote_entry,
    scope_hint=scope_hint,
    # Claude Code keeps its settings and sessions in ~/.claude from its first run.
    installed=lambda: (paths.home() / ".claude").is_dir(),
)
