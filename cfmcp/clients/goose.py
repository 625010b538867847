"""Goose: `config.yaml` in `$XDG_CONFIG_HOME/goose/` (else `~/.config/goose/`, macOS too), or
`%APPDATA%\\Block\\goose\\config\\` on Windows (`$GOOSE_PATH_ROOT/config/` when set). Servers
are `extensions`, filed under a key made from the name (lowercase, no whitespace, anything but
letters, digits, `_` and `-` folded to `_`), each a streamable-HTTP extension as `goose
configure` writes it. Goose signs in itself on the first 401 and keeps the tokens in the OS
keyring (`oauth_creds_NAME`).

Documented at https://block.github.io/goose/docs/guides/config-files; the fields are those of
`ExtensionConfig::StreamableHttp` in goose's `crates/goose/src/agents/extension.rs` (required:
`enabled`, `type`, `name`, `uri`; an entry Goose cannot read is skipped without a word, which is
why cfmcp writes every field `goose configure` does). The file is YAML edited round-trip
(ruamel.yaml): Goose's own rewrites drop comments, cfmcp's keep them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Location, Scope
from cfmcp.clients.formats import YAML

TIMEOUT_SECONDS = 300  # goose's default for an extension


def config_folder() -> Path:
    root = os.environ.get("GOOSE_PATH_ROOT")
    if root and Path(root).is_absolute():
        return Path(root) / "config"
    if paths.current_platform() == "windows":
        return paths.appdata() / "Block" / "goose" / "config"
    return paths.xdg_config_home() / "goose"


def locate(scope: Scope, project_root: Path) -> Location:
    folder = config_folder()
    return Location(folder / "config.yaml", install_dir=folder)


def entry_key(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", re.sub(r"\s", "", name).lower())


# https://block.github.io/goose/docs/guides/config-files: an `extensions` entry of `type`
# streamable_http with its `uri` (ExtensionConfig::StreamableHttp in goose's source)
def remote_entry(url: str) -> dict[str, Any]:
    return {"type": "streamable_http", "uri": url, "headers": {}}


def stdio_entry(command: str, args: list[str]) -> dict[str, Any]:
    return {"type": "stdio", "cmd": command, "args": args}


def named_entry(entry: dict[str, Any], name: str) -> dict[str, Any]:
    """In the order `goose configure` writes the fields."""
    return {
        "enabled": True,
        "type": entry["type"],
        "name": name,
        "description": "",
        **{key: value for key, value in entry.items() if key != "type"},
        "envs": {},
        "env_keys": [],
        "timeout": TIMEOUT_SECONDS,
        "available_tools": [],
    }


SPEC = ClientSpec(
    name="goose",
    title="Goose",
    servers_key="extensions",
    scopes=("user",),
    locate=locate,
    remote_entry=remote_entry,
    stdio_entry=stdio_entry,
    named_entry=named_entry,
    entry_key=entry_key,
    format=YAML,
)
