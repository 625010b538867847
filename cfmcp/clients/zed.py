"""Zed: its `settings.json` (`$XDG_CONFIG_HOME/zed/`, else `~/.config/zed/`, macOS too;
`%APPDATA%\\Zed\\` on Windows) or a project's `.zed/settings.json`, `context_servers`,
`{"url": …}`: a remote server is told from a local one by its shape, and Zed signs in to it
itself (the MCP OAuth flow) when the entry sets no `Authorization` header.

From zed-industries/zed: `crates/paths/src/paths.rs` (the folders),
`crates/settings_content/src/project.rs` (`context_servers` and the remote entry) and
`docs/src/configuring-zed.md` (the file is JSON with `//` comments, so it is edited in place,
keeping them: it is also where the user's whole editor setup lives).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import JSONC


def config_folder() -> Path:
    if paths.current_platform() == "windows":
        return paths.appdata() / "Zed"
    return paths.xdg_config_home() / "zed"


def locate(scope: Scope, project_root: Path) -> Location:
    if scope == "project":
        return Location(project_root / ".zed" / "settings.json")
    folder = config_folder()
    return Location(folder / "settings.json", install_dir=folder)


def remote_entry(url: str) -> dict[str, Any]:
    return {"url": url}


SPEC = ClientSpec(
    name="zed",
    title="Zed",
    servers_key="context_servers",
    scopes=("user", "project"),
    locate=locate,
    remote_entry=remote_entry,
    format=JSONC,
)
