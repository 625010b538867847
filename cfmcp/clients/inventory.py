"""`cfmcp client-config --list`: every client cfmcp knows, whether it seems installed, its
config files, and which of their entries point at this project's server. Read only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfmcp.clients import paths
from cfmcp.clients.base import ClientSpec, Endpoints
from cfmcp.clients.formats import FormatError


@dataclass
class FileStatus:
    scope: str
    path: Path
    exists: bool
    entries: dict[str, str] = field(default_factory=dict)  # entry name -> which server
    problem: str | None = None  # the file could not be read


@dataclass
class ClientStatus:
    spec: ClientSpec
    installed: bool | None  # None: nothing tells (a project file only)
    files: list[FileStatus]

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.spec.name,
            "title": self.spec.title,
            "installed": self.installed,
            "files": [
                {
                    "scope": status.scope,
                    "path": str(status.path),
                    "exists": status.exists,
                    "entries": status.entries,
                    "problem": status.problem,
                }
                for status in self.files
            ],
        }


def is_installed(spec: ClientSpec, project_root: Path) -> bool | None:
    """Whether the client looks installed here: its own check, else whether one of its config
    folders exists (None: nothing tells, e.g. a client with project files only)."""
    if spec.platforms is not None and paths.current_platform() not in spec.platforms:
        return False
    if spec.installed is not None:
        return spec.installed()
    dirs = [spec.locate(scope, project_root).install_dir for scope in spec.scopes]
    known = [folder for folder in dirs if folder is not None]
    return any(folder.is_dir() for folder in known) if known else None


def list_clients(
    specs: list[ClientSpec], project_root: Path, servers: dict[str, Endpoints]
) -> list[ClientStatus]:
    """Each client's files and the entries in them that point at one of `servers` (a label,
    such as "deployed" or "local", for each server's endpoints)."""
    found = []
    for spec in specs:
        files = [
            _file_status(spec, scope, spec.locate(scope, project_root).path, servers)
            for scope in spec.scopes
        ]
        found.append(ClientStatus(spec, is_installed(spec, project_root), files))
    return found


def _file_status(
    spec: ClientSpec, scope: str, path: Path, servers: dict[str, Endpoints]
) -> FileStatus:
    status = FileStatus(scope, path, path.is_file())
    if not status.exists:
        return status
    try:
        data = spec.format.parse(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError, FormatError) as exc:
        status.problem = getattr(exc, "message", None) or str(exc)
        return status
    entries = data.get(spec.servers_key) if isinstance(data, dict) else None
    for name, entry in (entries or {}).items() if isinstance(entries, dict) else ():
        label = _points_at(entry, servers)
        if label is not None:
            status.entries[str(name)] = label
    return status


def _points_at(entry: Any, servers: dict[str, Endpoints]) -> str | None:
    """The label of the server an entry names in any of its strings (url, uri, httpUrl,
    serverUrl, or mcp-remote's argument), /mcp or /sse, with or without a trailing slash."""
    strings = list(_strings(entry))
    for label, endpoints in servers.items():
        wanted = {endpoints.mcp, endpoints.sse}
        if any(text.rstrip("/") in wanted for text in strings):
            return label
    return None


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
