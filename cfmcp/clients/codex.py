"""OpenAI Codex (CLI, app and IDE extension share one config): `~/.codex/config.toml`
(`$CODEX_HOME` when set) or a project's `.codex/config.toml`, a `[mcp_servers.NAME]` table
with `url` for a streamable-HTTP server; Codex signs in itself (`codex mcp login NAME`) and
keeps the tokens in the OS keyring, never in this file.

Documented at https://developers.openai.com/codex/mcp (config.toml, `[mcp_servers.<name>]`,
`url`; the project file is read in trusted projects only). Measured with codex-cli 0.169.0:
`codex mcp get NAME --json` reads the entry cfmcp writes as `streamable_http` without touching
the network; unknown keys are ignored silently, so nothing else is written.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import TOML


def codex_home() -> Path:
    value = os.environ.get("CODEX_HOME")
    return Path(value) if value and Path(value).is_absolute() else paths.home() / ".codex"


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".codex" / "config.toml")
    folder = codex_home()
    return Location(folder / "config.toml", install_dir=folder)


# https://developers.openai.com/codex/mcp: `[mcp_servers.<name>]` with `url` (streamable HTTP)
def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


# codex-rs skips (and `codex mcp add` refuses) any other name with "invalid server name".
VALID_NAME = re.compile(r"[A-Za-z0-9_-]+")


def name_problem(name: str) -> str | None:
    if VALID_NAME.fullmatch(name):
        return None
    return "Codex uses only server names of letters, digits, '_' and '-'"


def next_hint(project_scope: bool, name: str) -> str:
    if project_scope:
        return (
            "Codex reads a project's .codex/config.toml only in projects you trust (it asks the "
            "first time you run it there)."
        )
    return f"Sign in once with: codex mcp login {shlex.quote(name)}"


SPEC = ClientSpec(
    name="codex",
    title="Codex",
    servers_key="mcp_servers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    format=TOML,
    next_hint=next_hint,
    name_problem=name_problem,
)
