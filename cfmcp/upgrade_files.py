"""What `cfmcp upgrade` does to one file, and why: the rules of a three-way update.

ours is the file as its owner has it, base what cfmcp wrote (by blob id, from the record or
git), new what the current template writes. Untouched (ours is base): replaced. Only the owner
changed it (new is base): kept. Both: merged (wrangler.toml and package.json by key, the rest
by git's merge), or the template's version beside it when there is no base to merge with.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from cfmcp.errors import CfmcpError
from cfmcp.merge import conflict_regions
from cfmcp.project import WRANGLER_FILE, Project
from cfmcp.scaffold import Template, blob_id

if TYPE_CHECKING:
    from cfmcp.upgrade import UpgradePlan

PACKAGE_JSON = "package.json"
LOCKFILE = "package-lock.json"
NEW_SUFFIX = ".cfmcp-new"
BOM = b"\xef\xbb\xbf"

# What happens to a file, in the order the summary lists them.
ACTIONS = {
    "add": "new in the template",
    "replace": "you never changed it: the template's new version",
    "merge": "changed on both sides: merged",
    "conflict": "changed on both sides: conflicts to resolve",
    "beside": f"changed by you, no base to merge with: the template's version is in {NEW_SUFFIX}",
    "remove": "gone from the template, never changed: removed",
    "keep": "kept as it is",
    "skip": "left alone",
    "unchanged": "already current",
}


@dataclass
class FileStep:
    path: str
    action: str
    reason: str = ""
    data: bytes | None = None  # what the file becomes (None: written elsewhere, or removed)
    conflicts: int = 0
    notes: list[str] = field(default_factory=list)
    added_lines: int = 0
    removed_lines: int = 0

    def describe(self) -> str:
        if self.action == "conflict":
            count = f"{self.conflicts} conflict{'s' if self.conflicts != 1 else ''} to resolve"
            return f"{count}: {self.reason}" if self.reason else count
        return self.reason or ACTIONS[self.action]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "action": self.action,
            "reason": self.describe(),
            "conflicts": self.conflicts,
            "notes": self.notes,
            "lines": {"added": self.added_lines, "removed": self.removed_lines},
        }


@dataclass
class Journal:
    """What an interrupted upgrade was doing: its target (template version and options), the
    files it was writing (path -> blob id of the new content), the `.cfmcp-new` files beside
    them, what it removed, the conflicts it left (path -> why) and the owner's packages."""

    options: dict[str, str] = field(default_factory=dict)  # variant, auth, toolchain
    files: dict[str, str] = field(default_factory=dict)
    beside: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)
    own_packages: list[str] = field(default_factory=list)

    @property
    def its_own(self) -> set[str]:
        """The paths an interrupted run changed: not the owner's uncommitted work."""
        return {*self.files, *self.beside, *self.removed}

    def to_json(self, template: Template) -> dict[str, Any]:
        return {
            "template": template.version,
            "options": self.options,
            "files": self.files,
            "beside": self.beside,
            "removed": self.removed,
            "conflicts": self.conflicts,
            "own_packages": self.own_packages,
        }

    @classmethod
    def read(cls, state: dict[str, Any], template: Template) -> Journal:
        """The journal in cfmcp.json, when it is for this template version (else none)."""
        journal = state.get("upgrading")
        if not isinstance(journal, dict) or journal.get("template") != template.version:
            return cls()

        def strings(key: str) -> list[str]:
            values = journal.get(key, [])
            return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []

        def mapping(key: str) -> dict[str, str]:
            values = journal.get(key, {})
            if not isinstance(values, dict):
                return {}
            return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}

        return cls(
            mapping("options"), mapping("files"), strings("beside"), strings("removed"),
            mapping("conflicts"), strings("own_packages"),
        )  # fmt: skip


def plan_file(
    project: Project,
    path: str,
    base_blob: str | None,
    new: bytes | None,
    read_base: Callable[[str], bytes | None],
    labels: tuple[str, str, str],
    journal: Journal,
    plan: UpgradePlan,
) -> FileStep | None:
    target = project.root / path
    link = _linked(project.root, path)
    if link is not None:
        return FileStep(path, "skip", f"{link} is a symlink; cfmcp upgrade does not write "
                        "through links")  # fmt: skip
    blocked = _file_in_the_way(project.root, path)
    if blocked is not None:
        return FileStep(path, "skip", f"{blocked} is a file where the template needs a folder")
    exists = target.is_file()
    if target.exists() and not exists:
        return FileStep(path, "skip", "not a regular file")
    raw = target.read_bytes() if exists else None
    if raw is not None and journal.files.get(path) == blob_id(raw):
        if path in journal.conflicts:
            why = f"{journal.conflicts[path]} (written by the interrupted run)"
            return FileStep(path, "conflict", why, conflicts=max(1, conflict_regions(raw)))
        return FileStep(path, "unchanged", "written by the interrupted run")
    # A checkout with CRLF line endings (git's core.autocrlf on Windows) holds what cfmcp wrote
    # with LF: compared and merged as LF, written back with CRLF (a line or two the owner added
    # with LF included). A byte-order mark is kept the same way.
    bom = raw is not None and raw.startswith(BOM)
    ours = raw[len(BOM) :] if bom and raw is not None else raw
    crlf = ours is not None and ours.count(b"\r\n") * 2 > ours.count(b"\n")
    if crlf and ours is not None:
        ours = ours.replace(b"\r\n", b"\n")
    step = _decide(project, path, base_blob, ours, new, read_base, labels, plan)
    if step is not None and step.data is not None:
        if crlf:
            step.data = step.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if bom:
            step.data = BOM + step.data
    return step


def _file_in_the_way(root: Path, path: str) -> str | None:
    current = root
    for part in PurePosixPath(path).parts[:-1]:
        current = current / part
        if current.exists() and not current.is_dir():
            return str(current.relative_to(root))
    return None


def _decide(
    project: Project,
    path: str,
    base_blob: str | None,
    ours: bytes | None,
    new: bytes | None,
    read_base: Callable[[str], bytes | None],
    labels: tuple[str, str, str],
    plan: UpgradePlan,
) -> FileStep | None:
    from cfmcp import merge

    ours_blob = blob_id(ours) if ours is not None else None
    unknown = "cfmcp cannot tell whether you changed it (no record of what it wrote)"
    if new is None:
        if ours is None:
            return None
        if base_blob is not None and ours_blob == base_blob:
            return FileStep(path, "remove")
        why = "you changed it" if base_blob is not None else unknown
        return FileStep(path, "keep", f"gone from the template, but {why}: delete it if unused")
    if ours is None:
        if base_blob is not None and path != LOCKFILE:
            return FileStep(path, "keep", "you deleted it; the template still has it (restore "
                            "it with cfmcp init in a scratch folder)")  # fmt: skip
        return FileStep(path, "add", data=new)
    if ours == new:
        return FileStep(path, "unchanged")
    base = read_base(base_blob) if base_blob is not None else None
    if path == LOCKFILE:
        if base_blob is not None and blob_id(new) == base_blob:
            return FileStep(path, "keep", "the template's package set did not change")
        # The template's set; npm install adds the owner's own packages to it.
        return FileStep(path, "replace", "the template's package set", data=new)
    if path == WRANGLER_FILE:
        # By key even when untouched: the Durable Object migrations already deployed must stay
        # as they are, in their order, whatever the template's list says now.
        merged = merge.merge_toml(_text(base), _utf8(ours, path), new.decode(),
                                  delete_classes=plan.deleted_classes)  # fmt: skip
        if ours_blob == base_blob and merge.same_migrations(merged.data, new):
            return FileStep(path, "replace", data=new)
        return _merged_step(path, merged, ours, by_key=True)
    if base_blob is not None and ours_blob == base_blob:
        return FileStep(path, "replace", data=new)
    if path == PACKAGE_JSON:
        merged = merge.merge_package_json(_text(base), _utf8(ours, path),
                                          new.decode())  # fmt: skip
        plan.own_packages = merged.own_packages
        return _merged_step(path, merged, ours, by_key=True)
    if base_blob is not None and blob_id(new) == base_blob:
        return FileStep(path, "keep", "you changed it; the template did not")
    if base is None:
        why = unknown if base_blob is None else "no copy of what cfmcp wrote in git to merge with"
        return FileStep(path, "beside", f"{why}: the template's version is in {path}{NEW_SUFFIX}",
                        data=new)  # fmt: skip
    if b"\0" in ours or b"\0" in new:
        return FileStep(path, "beside", f"a binary file, changed on both sides: the template's "
                        f"version is in {path}{NEW_SUFFIX}", data=new)  # fmt: skip
    try:
        merged = merge.merge_text(base, ours, new, labels=labels)
    except merge.MergeUnavailable:
        return FileStep(path, "beside", data=new)
    step = _merged_step(path, merged, ours)
    if merged.conflicts:
        step.action, step.conflicts = "conflict", merged.conflicts
    return step


def _merged_step(path: str, merged: Any, ours: bytes, *, by_key: bool = False) -> FileStep:
    if merged.unresolved:
        data = merged.data if merged.data != ours else None
        return FileStep(path, "conflict", "; ".join(merged.unresolved), data=data,
                        conflicts=len(merged.unresolved), notes=merged.notes)  # fmt: skip
    if merged.data == ours:
        return FileStep(path, "keep", "you changed it; none of the template's changes apply",
                        notes=merged.notes)  # fmt: skip
    reason = "merged by key: your values kept, the template's new ones added" if by_key else ""
    return FileStep(path, "merge", reason, data=merged.data, notes=merged.notes)


def _utf8(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CfmcpError(
            f"{path} is not UTF-8 text (byte {exc.start}); cfmcp upgrade changed nothing.",
            hint=f"Save {path} as UTF-8, then run cfmcp upgrade again.",
        ) from None


def _text(data: bytes | None) -> str | None:
    return data.decode("utf-8", "replace") if data is not None else None


def _linked(root: Path, path: str) -> str | None:
    """The first part of `path` under `root` that is a symlink, if any."""
    current = root
    for part in PurePosixPath(path).parts:
        current = current / part
        if current.is_symlink():
            return str(current.relative_to(root))
    return None


def count_lines(project: Project, step: FileStep) -> None:
    if step.data is None and step.action != "remove":
        return  # nothing to write (an interrupted run wrote it)
    target = project.root / step.path
    old = target.read_bytes() if step.action in ("replace", "merge", "conflict", "remove") else b""
    new = step.data if step.action != "remove" and step.data is not None else b""
    if step.action in ("keep", "unchanged", "skip", "beside"):
        return
    old_lines = old.decode("utf-8", "replace").splitlines()
    new_lines = new.decode("utf-8", "replace").splitlines()
    for line in difflib.unified_diff(old_lines, new_lines, lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            step.added_lines += 1
        elif line.startswith("-") and not line.startswith("---"):
            step.removed_lines += 1


# --- applying --------------------------------------------------------------------------------
