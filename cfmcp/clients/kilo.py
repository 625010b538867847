"""Kilo Code: `kilo.json` (or `kilo.jsonc`) in `$XDG_CONFIG_HOME/kilo/` (else `~/.config/kilo/`),
or in a project's root or `.kilo/` folder; servers under `mcp`, a remote one
`{"type": "remote", "url": …, "enabled": true}` (Kilo tries streamable HTTP, then SSE). Kilo
signs in by itself and keeps the tokens in `$XDG_DATA_HOME/kilo/mcp-auth.json`
(`kilo mcp logout NAME` clears them).

From Kilo-Org/kilocode: `packages/kilo-docs/pages/automate/mcp/using-in-kilo-code.md` (files,
key, entry) and `packages/opencode/src/global/index.ts` (the folder): Kilo Code is built on
OpenCode, and its files read as JSONC. The legacy VS Code extension's `mcp_settings.json` is not
written: the current Kilo reads `kilo.json`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC
from cfmcp.clients.opencode import remote_entry, stdio_entry  # Kilo reads OpenCode's entries


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(paths.json_or_jsonc(project_root, "kilo"))
    folder = paths.xdg_config_home() / "kilo"
    return Location(paths.json_or_jsonc(folder, "kilo"), install_dir=folder)


def next_hint(project_scope: bool, name: str) -> str:
    return f"Kilo signs in on first use; to sign in again: kilo mcp logout {shlex.quote(name)}"


SPEC = ClientSpec(
    name="kilo",
    title="Kilo Code",
    servers_key="mcp",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    stdio_entry=stdio_entry,
    format=JSONC,
    next_hint=next_hint,
)
