"""The safe edit of a client's config file: read, validate and compute the new text (a plan,
nothing written: what --dry-run shows), then back up and replace it in one step."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cfmcp.clients import jsonc, jsonfile
from cfmcp.clients.base import ClientSpec, Location
from cfmcp.clients.formats import FormatError, Unsupported
from cfmcp.errors import CfmcpError
from cfmcp.fsutil import atomic_write_text, backup_file

Action = Literal["created", "added", "updated", "unchanged"]
BOM = "\ufeff"


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
            hint=f"`{key}` should map server names to their entries; `cfmcp client-config "
            f"{spec.name} --print` shows one.",
        )
    old_entry = servers.get(name)
    if old_entry == entry:
        action: Action = "unchanged"
        new_text = text
    else:
        action = "created" if old_bytes is None else "added" if old_entry is None else "updated"
        start, expected = text, dict(data)
        if old_bytes is None and spec.new_file:
            start = spec.format.new_text(spec.new_file).replace("\n", newline)
            expected = dict(spec.new_file)
        expected[key] = {**servers, name: entry}
        try:
            new_text = spec.format.set_member(start, key, name, entry, newline)
        except Unsupported as exc:
            raise CfmcpError(f"{path}: {exc.message}; left it untouched.", hint=exc.hint) from exc
        except Exception as exc:  # a layout the library cannot edit: refuse, never guess
            raise _unsafe(path) from exc
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
        upgrade=action == "updated"
        and "command" in entry
        and (old_entry in earlier or _same_bridge(old_entry, entry)),
        owner=owner,
        project_scope=location.project_root is not None,
    )


def _same_bridge(old: Any, new: dict[str, Any]) -> bool:
    """Both start mcp-remote the same way through npx, named by another path (another Node
    version under nvm, say): cfmcp's own entry, moved, not the user's to confirm."""
    if not isinstance(old, dict) or not isinstance(old.get("command"), str):
        return False
    names = {Path(str(entry.get("command", ""))).name for entry in (old, new)}
    return names <= {"npx", "npx.cmd"} and old.get("args") == new.get("args")


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
        raise _invalid(path, spec, exc.message, exc.line, exc.column) from exc
    if not isinstance(data, dict):
        raise CfmcpError(
            f"{path} holds {_kind(data)}, not a {spec.format.name} object; left it untouched.",
            hint=f"The file should hold a table `{spec.servers_key}` of servers.",
        )
    return data


def _invalid(path: Path, spec: ClientSpec, message: str, line: int, column: int) -> CfmcpError:
    note = f"{spec.invalid_note} " if spec.invalid_note else ""
    return CfmcpError(
        f"{path} is not valid {spec.format.name}: {message} (line {line}, column {column}); "
        "left it untouched.",
        hint=f"{note}Fix the file (or move it aside), then run the command again.",
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
        raise _unsafe(path)


def _unsafe(path: Path) -> CfmcpError:
    return CfmcpError(
        f"cfmcp could not edit {path} safely; left it untouched.",
        hint="Please report this, with the file if you can; meanwhile add the entry by hand "
        "(see `cfmcp client-config … --print`).",
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
