"""Amp: `~/.config/amp/settings.json` (`$XDG_CONFIG_HOME/amp/`; `settings.jsonc` when that is
the file there) or a workspace's `.amp/settings.json`. Servers sit under one flat, dotted key,
`"amp.mcpServers"`, each remote one `{"url": …}` (Amp finds the transport itself and signs in:
`amp mcp oauth login NAME`).

From Amp's own CLI (`amp mcp --help`, `amp mcp add --help`, and what `amp mcp add` writes),
measured with @ampcode/cli 0.0.1790142911: the files are JSONC (comments and trailing commas
read). No Windows location is documented; cfmcp uses the same folder under the home there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(paths.json_or_jsonc(project_root / ".amp", "settings"))
    folder = paths.xdg_config_home() / "amp"
    return Location(paths.json_or_jsonc(folder, "settings"), install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


SPEC = ClientSpec(
    name="amp",
    title="Amp",
    servers_key="amp.mcpServers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    format=JSONC,
)
