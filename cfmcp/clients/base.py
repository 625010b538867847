"""What every client shares: the spec of a client, the entry to write, and the safe edit of
its config file (read, validate, compute the new text, diff; then backup and atomic write)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cfmcp.clients import jsonc, jsonfile, paths
from cfmcp.clients.formats import JSON, Format, FormatError
from cfmcp.clients.paths import Platform
from cfmcp.errors import CfmcpError, UsageError
from cfmcp.fsutil import atomic_write_text, backup_file

Scope = Literal["user", "project"]
SCOPES: tuple[Scope, ...] = ("user", "project")
Action = Literal["created", "added", "updated", "unchanged"]

BOM = "\ufeff"
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
    windows_cmd: bool = False  # wrap npx in `cmd /c` on Windows
    absolute_npx: bool = False  # name npx by its path, with a PATH for node (GUI apps)
    format: Format = JSON  # the config file's format (JSON with comments, TOML, YAML, …)
    scope_hint: Callable[[Scope, str, str], str] | None = None  # (scope, name, url)
    # What to do once the entry is written (project scope?, name): how it signs in, say.
    next_hint: Callable[[bool, str], str] | None = None

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


# --- planning an edit ---------------------------------------------------------------------


@dataclass
class EditPlan:
    spec: ClientSpec
    path: Path  # as the user knows it
    write_path: Path  # where the bytes go (the target when `path` is a symlink)
    name: str
    url: str
    entry: dict[str, Any]
    old_bytes: bytes | None  # None: the file does not exist
    old_text: str
    new_text: str
    old_entry: Any  # the entry of the same name already there, or None
    action: Action
    make_dirs: bool
    upgrade: bool = False  # the entry replaced is one cfmcp wrote earlier for this server
    owner: tuple[int, int] | None = None  # (uid, gid) to keep: the file is another user's
    project_scope: bool = False  # a project's file rather than the user's

    @property
    def conflict(self) -> bool:
        return self.action == "updated" and not self.upgrade

    def diff(self) -> str:
        before = "/dev/null" if self.old_bytes is None else f"{self.path} (current)"
        return _unified(self.old_text, self.new_text, before, f"{self.path} (new)")

    def entry_diff(self) -> str:
        where = f"{self.spec.servers_key}.{self.name}"
        show = self.spec.format.show
        old = (
            "" if self.old_entry is None else show(self.spec.servers_key, self.name, self.old_entry)
        )
        new = show(self.spec.servers_key, self.name, self.entry)
        return _unified(old, new, f"{where} (current)", f"{where} (new)")


def _unified(old: str, new: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), before, after, lineterm="", n=3
    )
    return "\n".join(lines)


def plan_edit(
    spec: ClientSpec,
    location: Location,
    *,
    name: str,
    url: str,
    entry: dict[str, Any],
    force: bool,
    earlier: Sequence[dict[str, Any]] = (),
) -> EditPlan:
    """Everything decided and checked, nothing written. An entry of the same name that equals
    one of `earlier` (what cfmcp wrote before for this server) is replaced without --force."""
    path = location.path
    write_path = path.resolve() if path.is_symlink() else path
    if location.project_root is not None:
        _check_inside_project(path, location.project_root, force=force)
    if write_path.is_dir():
        raise CfmcpError(f"{path} is a folder, not a config file.")
    owner = _foreign_owner(path, write_path, force=force)
    old_bytes = _read_bytes(path, write_path)
    make_dirs = False
    if old_bytes is None:
        _check_install_dir(spec, location, force=force)
        make_dirs = not write_path.parent.is_dir()

    text = "" if old_bytes is None else _decode(path, old_bytes)
    bom = BOM if text.startswith(BOM) else ""
    text = text[len(bom) :]
    newline = "\r\n" if "\r\n" in text else "\n"
    key = spec.servers_key

    data = _load(spec, path, text)
    servers = data.get(key, {})
    if not isinstance(servers, dict):
        raise CfmcpError(
            f"{path}: `{key}` is {_kind(servers)}, not an object; left the file untouched.",
            hint=f'`{key}` should map server names to entries: "{key}": {{"{name}": {{…}}}}.',
        )
    old_entry = servers.get(name)
    if old_entry == entry:
        action: Action = "unchanged"
        new_text = text
    else:
        action = "created" if old_bytes is None else "added" if old_entry is None else "updated"
        start, expected = text, dict(data)
        if old_bytes is None and spec.new_file:
            start, expected = jsonfile.dumps(spec.new_file) + newline, dict(spec.new_file)
        expected[key] = {**servers, name: entry}
        new_text = spec.format.set_member(start, key, name, entry, newline)
        _verify(spec, path, new_text, expected)
    return EditPlan(
        spec=spec,
        path=path,
        write_path=write_path,
        name=name,
        url=url,
        entry=entry,
        old_bytes=old_bytes,
        old_text=bom + text,
        new_text=bom + new_text,
        old_entry=old_entry,
        action=action,
        make_dirs=make_dirs,
        # cfmcp's own earlier bridge, and still a bridge: a native entry in its place is the
        # user's new choice to confirm, as any other change is.
        upgrade=action == "updated" and old_entry in earlier and "command" in entry,
        owner=owner,
        project_scope=location.project_root is not None,
    )


def _check_inside_project(path: Path, root: Path, *, force: bool) -> None:
    """A project's config file lands in the project: a symlink in a cloned repository (the
    file, or a folder such as .vscode) pointing elsewhere, even at nothing yet, would have
    cfmcp write wherever its author chose."""
    target = path.resolve()  # every link on the way, a dangling one included
    inside = root.resolve()
    if force or target == inside or inside in target.parents:
        return
    raise CfmcpError(
        f"{path} leads outside the project, to {target} (a symlink); left it untouched.",
        hint="Check where the link points and why; pass --force to write there anyway, or "
        "--config-path FILE to choose the file yourself.",
    )


def _foreign_owner(path: Path, write_path: Path, *, force: bool) -> tuple[int, int] | None:
    """The (uid, gid) of a file that belongs to another user, kept with --force (only root can
    do that) and otherwise a refusal: replacing it would hand it to us."""
    if not hasattr(os, "geteuid"):  # Windows: files have no uid to compare
        return None
    try:
        info = write_path.stat()
    except OSError:
        return None
    if info.st_uid == os.geteuid():
        return None
    if not force:
        raise CfmcpError(
            f"{path} belongs to another user (uid {info.st_uid}); left it untouched.",
            hint="Run cfmcp as that user, or pass --force to edit it and keep its owner.",
        )
    return info.st_uid, info.st_gid


def _read_bytes(path: Path, write_path: Path) -> bytes | None:
    try:
        return write_path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CfmcpError(f"Cannot read {path}: {exc.strerror}.") from exc


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        line, column = jsonc.position(before, len(before))
        raise CfmcpError(
            f"{path} is not UTF-8 text (line {line}, column {column}); left it untouched.",
            hint="Save the file as UTF-8, then run the command again.",
        ) from exc


def _check_install_dir(spec: ClientSpec, location: Location, *, force: bool) -> None:
    folder = location.install_dir
    if folder is None or folder.is_dir() or force:
        return
    if location.chosen:
        raise CfmcpError(
            f"The folder {folder} does not exist.",
            hint="Check the path, or pass --force to create the folder.",
        )
    raise CfmcpError(
        f"{folder} does not exist: {spec.title} does not seem to be installed here.",
        hint=f"Install {spec.title} and open it once, or pass --force to create the folder "
        "(or --config-path FILE to write somewhere else).",
    )


def _load(spec: ClientSpec, path: Path, text: str) -> dict[str, Any]:
    try:
        data = spec.format.parse(text)
    except FormatError as exc:
        if not exc.line:  # a key given twice, say: no position to give
            raise CfmcpError(
                f"{path}: {exc.message}; left the file untouched.",
                hint="Fix the file (remove one of the two, say), then run the command again.",
            ) from exc
        raise _invalid(path, spec.format.name, exc.message, exc.line, exc.column) from exc
    if not isinstance(data, dict):
        raise CfmcpError(
            f"{path} holds {_kind(data)}, not a {spec.format.name} object; left it untouched.",
            hint=f"The file should hold a table `{spec.servers_key}` of servers.",
        )
    return data


def _invalid(path: Path, kind: str, message: str, line: int, column: int) -> CfmcpError:
    return CfmcpError(
        f"{path} is not valid {kind}: {message} (line {line}, column {column}); left it untouched.",
        hint="Fix the file (or move it aside), then run the command again.",
    )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, jsonfile.RawNumber):
        return "a number"
    return "an object"


def _verify(spec: ClientSpec, path: Path, new_text: str, expected: dict[str, Any]) -> None:
    """Parse what would be written: it must say exactly what was meant, and nothing else."""
    try:
        written = spec.format.parse(new_text)
    except FormatError as exc:
        written = exc
    if written != expected:
        raise CfmcpError(
            f"cfmcp could not edit {path} safely; left it untouched.",
            hint="Please report this, with the file if you can; meanwhile add the entry by "
            "hand (see `cfmcp client-config … --print`).",
        )


# --- applying it --------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    action: Action
    backup: Path | None


def apply_plan(plan: EditPlan) -> ApplyResult:
    """Back up the file, then replace it in one step. Nothing happens for "unchanged"."""
    if plan.action == "unchanged":
        return ApplyResult(plan.action, None)
    if _read_bytes(plan.path, plan.write_path) != plan.old_bytes:
        raise CfmcpError(
            f"{plan.path} changed while cfmcp was working on it; left it as it is now.",
            hint="Run the command again.",
        )
    try:
        if plan.make_dirs:
            plan.write_path.parent.mkdir(parents=True, exist_ok=True)
        backup = backup_file(plan.write_path) if plan.old_bytes is not None else None
        atomic_write_text(plan.write_path, plan.new_text, owner=plan.owner)
    except OSError as exc:
        raise CfmcpError(f"Cannot write {plan.path}: {exc.strerror or exc}.") from exc
    return ApplyResult(plan.action, backup)


def show_diff(diff: str) -> None:
    """A unified diff on stderr, coloured on a terminal."""
    from rich.text import Text

    from cfmcp.console import err_console

    console = err_console()
    for line in diff.splitlines():
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        console.print(Text(line, style=style), soft_wrap=True)
