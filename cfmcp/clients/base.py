"""What every client shares: where its config file is (Location), what it writes there
(ClientSpec), and the entry itself for a server's endpoints. The safe edit of the file is in
edit.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cfmcp.clients import paths
from cfmcp.clients.formats import JSON, Format
from cfmcp.clients.paths import Platform
from cfmcp.errors import CfmcpError, UsageError

Scope = Literal["user", "project"]
SCOPES: tuple[Scope, ...] = ("user", "project")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Location:
    """A config file, and the folder whose absence means the client is not installed
    (None: the folders are created freely, as for project files)."""

    path: Path
    install_dir: Path | None = None
    chosen: bool = False  # given with --config-path rather than the client's usual place
    project_root: Path | None = None  # a project-scope file: it must stay inside this folder


@dataclass(frozen=True)
class ClientSpec:
    name: str  # as typed on the command line
    title: str  # as shown to people
    servers_key: str  # the top-level key that holds the servers
    scopes: tuple[Scope, ...]  # the supported scopes; the first is the default
    locate: Callable[[Scope, Path], Location]  # (scope, project root) -> file
    remote_entry: Callable[[str], dict[str, Any]] | None  # None: stdio servers only
    stdio_type: str | None = None  # a "type" for stdio entries, where the client wants one
    # A stdio entry of another shape than {"command": …, "args": […]}: (command, args) -> entry.
    stdio_entry: Callable[[str, list[str]], dict[str, Any]] | None = None
    # The entry completed with what depends on the server's name: (entry, name) -> entry.
    named_entry: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    # The key the client files an entry of this name under, when it is not the name itself.
    entry_key: Callable[[str], str] | None = None
    # What a file cfmcp creates starts with (a JSON format's top-level keys), e.g. `$schema`.
    new_file: dict[str, Any] | None = None
    # Why the client would not use a server of this name (None: it would), e.g. Codex's rule.
    name_problem: Callable[[str], str | None] | None = None
    windows_cmd: bool = False  # wrap npx in `cmd /c` on Windows
    absolute_npx: bool = False  # name npx by its path, with a PATH for node (GUI apps)
    format: Format = JSON  # the config file's format (JSON with comments, TOML, YAML, …)
    # What the client itself does with a file that does not parse, for the error's hint.
    invalid_note: str | None = None
    scope_hint: Callable[[Scope, str, str], str] | None = None  # (scope, name, url)
    # What to do once the entry is written (project scope?, name): how it signs in, say.
    next_hint: Callable[[bool, str], str] | None = None
    # Whether the client looks installed here, when its config folders do not tell (None from
    # it: nothing tells).
    installed: Callable[[], bool | None] | None = None
    platforms: tuple[str, ...] | None = None  # the systems it runs on (None: every one)

    @property
    def default_scope(self) -> Scope:
        return self.scopes[0]


@dataclass(frozen=True)
class Endpoints:
    """A server's base URL (origin and base path, no trailing slash) and its two endpoints."""

    base: str

    @property
    def mcp(self) -> str:
        return self.base + "/mcp"

    @property
    def sse(self) -> str:
        return self.base + "/sse"


def normalise_url(raw: str) -> Endpoints:
    """The server's base URL from what a user typed: `https://x.dev/mcp`, `https://x.dev/sse`
    and `https://x.dev/` all give `https://x.dev`. Raises UsageError for anything that is not
    an https URL (or http on this machine's loopback)."""
    text = raw.strip()
    example = "--url https://my-mcp.my-account.workers.dev"
    if not text or any(char.isspace() or ord(char) < 32 for char in text):
        raise UsageError(f"Invalid URL {raw!r}.", hint=f"Pass the server's URL, e.g. {example}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise UsageError(f"Invalid port in {text}.") from exc
    if scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{text} is not an http(s) URL.", hint=f"Pass the server's URL, e.g. {example}"
        )
    if parts.username is not None or parts.password is not None:
        raise UsageError(  # without the URL: it holds a secret
            "The URL holds a user name or password; config files are no place for those."
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"{text} has a query or fragment; pass the server's base URL.",
            hint="cfmcp adds /mcp or /sse itself.",
        )
    if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise UsageError(
            f"{text} uses plain http: remote MCP servers need https (http is accepted only for "
            "localhost, 127.0.0.1 and ::1).",
            hint=f"Use https://{parts.netloc}{parts.path}",
        )
    path = parts.path.rstrip("/")
    for endpoint in ("/mcp", "/sse"):
        if path.endswith(endpoint):
            path = path[: -len(endpoint)].rstrip("/")
            break
    return Endpoints(f"{scheme}://{parts.netloc.lower()}{path}")


def build_entry(
    spec: ClientSpec, endpoints: Endpoints, *, bridge: bool, platform: Platform, name: str = ""
) -> tuple[dict[str, Any], str]:
    """The entry for `spec` and the endpoint URL it points at: /mcp, natively or through the
    mcp-remote bridge (for clients that start stdio servers only, or with --bridge)."""
    if spec.remote_entry is not None and not bridge:
        entry = spec.remote_entry(endpoints.mcp)
    else:
        entry = bridge_entry(spec, endpoints.mcp, platform=platform)
    return _named(spec, entry, name), endpoints.mcp


def _named(spec: ClientSpec, entry: dict[str, Any], name: str) -> dict[str, Any]:
    return spec.named_entry(entry, name) if spec.named_entry is not None else entry


def bridge_entry(
    spec: ClientSpec, url: str, *, platform: Platform, plain: bool = False
) -> dict[str, Any]:
    """`npx -y mcp-remote URL`, as a stdio entry of `spec`'s shape (`plain`: npx by its name,
    as earlier cfmcp versions wrote it)."""
    args = ["-y", "mcp-remote", url]
    if spec.stdio_entry is not None:
        return spec.stdio_entry("npx", args)
    entry: dict[str, Any] = {}
    if spec.stdio_type:
        entry["type"] = spec.stdio_type
    if spec.windows_cmd and platform == "windows":
        if any(char in url for char in '&|<>^%"'):
            raise CfmcpError(
                f"{url} has characters that cmd.exe would interpret; it cannot be passed "
                "safely to npx on Windows.",
                hint="Use the server's plain base URL.",
            )
        entry.update(command="cmd", args=["/c", "npx", *args])
    elif spec.absolute_npx and not plain and (found := paths.npx_for_apps()) is not None:
        npx, search_path = found
        entry.update(command=npx, args=args, env={"PATH": search_path})
    else:
        entry.update(command="npx", args=args)
    return entry


def earlier_entries(
    spec: ClientSpec, endpoints: Endpoints, *, platform: Platform, name: str = ""
) -> list[dict]:
    """Entries earlier cfmcp versions wrote for this server: the mcp-remote bridge to /sse, and
    bridges that name npx without its path. Writing the bridge again replaces them as cfmcp's
    own, without --force."""
    earlier = []
    for url in (endpoints.sse, endpoints.mcp):
        for plain in (False, True):
            try:
                entry = _named(spec, bridge_entry(spec, url, platform=platform, plain=plain), name)
            except CfmcpError:
                continue
            if entry not in earlier:
                earlier.append(entry)
    return earlier
