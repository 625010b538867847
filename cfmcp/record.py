"""What cfmcp wrote into a project: the record in cfmcp.json (template, options, toolchain,
and a git blob id per file) and, for projects made before that record, the project's git
history (the commit that added cfmcp.json). `cfmcp upgrade` reads its merge base here.

Git is asked through its plumbing (`cat-file`, `ls-tree`, `hash-object`), so nothing here
depends on the user's git configuration, hooks or pager.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from cfmcp.errors import CfmcpError
from cfmcp.project import STATE_FILE, Project
from cfmcp.scaffold import Template

BLOB = re.compile(r"^[0-9a-f]{40}$")


def read_record(project: Project) -> dict[str, Any]:
    """cfmcp.json, checked for what an upgrade relies on: a CfmcpError naming the fix when it
    is missing or hand-edited beyond use."""
    if not project.state_path.is_file():
        raise CfmcpError(
            f"No {STATE_FILE} in {project.root}: cfmcp upgrade works on a project cfmcp init made.",
            hint="Run it in the project's folder (or pass -C DIR).",
        )
    state = project.read_state()
    template = state.get("template")
    options = state.get("options", {})
    files = state.get("files", {})
    if (
        not isinstance(template, dict)
        or not isinstance(template.get("version"), str | int)
        or not isinstance(options, dict)
        or not isinstance(files, dict)
        or not all(isinstance(v, str) and BLOB.match(v) for v in files.values())
    ):
        raise CfmcpError(
            f'{project.state_path} is not what cfmcp writes: "template" needs a version, '
            '"options" and "files" objects, and "files" maps paths to git blob ids.',
            hint=f"Restore {STATE_FILE} from git (git checkout -- {STATE_FILE}), then try again.",
        )
    for path in files:
        check_relative(path, project)
    return state


def check_relative(path: str, project: Project) -> None:
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or ".." in pure.parts
        or not pure.parts
        or "\\" in path
        or len(path) > 1024
        or any(len(part) > 255 for part in pure.parts)
    ):
        raise CfmcpError(
            f"{project.state_path} lists {path!r}, which is outside the project; nothing was "
            "changed.",
            hint=f"Restore {STATE_FILE} from git (git checkout -- {STATE_FILE}), then try again.",
        )


def version_number(text: str | int, project: Project) -> int:
    try:
        return int(text)
    except ValueError:
        raise CfmcpError(
            f"{project.state_path} says template version {text!r}, which is not a number.",
            hint=f"Restore {STATE_FILE} from git, then try again.",
        ) from None


def find_git(project: Project) -> str | None:
    """git, when the project is inside a work tree."""
    git = shutil.which("git")
    if git is None:
        return None
    inside = run_git(git, project, "rev-parse", "--is-inside-work-tree")
    return git if inside.returncode == 0 and inside.stdout.strip() == b"true" else None


def run_git(
    git: str, project: Project, *args: str, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [git, *args], cwd=project.root, input=input, capture_output=True, check=False, timeout=60
    )


def uncommitted_changes(project: Project) -> list[str]:
    """The project's files git sees as changed or new, relative to the project (empty outside
    a repository)."""
    git = find_git(project)
    if git is None:
        return []
    prefix = run_git(git, project, "rev-parse", "--show-prefix").stdout.decode().strip()
    status = run_git(
        git, project, "status", "--porcelain", "-z", "--untracked-files=all", "--", "."
    )
    entries = status.stdout.decode(errors="replace").split("\0")
    changed = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            index += 1  # a rename or copy: the next entry is where it came from
        path = entry[3:]
        changed.append(path[len(prefix) :] if path.startswith(prefix) else path)
    return changed


INIT_COMMIT_MESSAGE = "Initial commit from cfmcp init"


def first_commit_blobs(git: str, project: Project) -> tuple[str, dict[str, str]] | None:
    """cfmcp init's own commit (the one that added cfmcp.json, with cfmcp's message), and its
    files' blob ids. A first commit someone else made may hold their edits already: no base."""
    log = run_git(git, project, "log", "--format=%H %s", "--diff-filter=A", "--", STATE_FILE)
    lines = log.stdout.decode(errors="replace").splitlines()
    if log.returncode != 0 or not lines:
        return None
    commit, _, subject = lines[-1].partition(" ")
    if subject != INIT_COMMIT_MESSAGE:
        return None
    tree = run_git(git, project, "ls-tree", "-r", "-z", commit, "--", ".")
    blobs = {}
    for entry in tree.stdout.decode(errors="replace").split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs[path] = parts[2]
    return commit[:12], blobs


def template_targets(template: Template) -> set[str]:
    """Every path the template writes for some choice of options, and the ones it retired."""
    from itertools import product

    targets = set(template.retired)
    for variant, auth, toolchain in product(template.variants, template.providers,
                                            template.toolchains):  # fmt: skip
        options = {"variant": variant, "auth": auth, "toolchain": toolchain}
        targets |= {f.target.as_posix() for f in template.files(options)}
    return targets


def find_base(
    project: Project, template: Template, state: dict[str, Any], git: str | None
) -> tuple[dict[str, str], str, Callable[[str], bytes | None]]:
    def from_git(blob: str) -> bytes | None:
        if git is None:
            return None
        shown = run_git(git, project, "cat-file", "blob", blob)
        return shown.stdout if shown.returncode == 0 else None

    known = template_targets(template)
    recorded = state.get("files") or {}
    if recorded:
        # Only paths a template writes: a hand-edited record never names a file to remove.
        blobs = {path: blob for path, blob in recorded.items() if path in known}
        where = "cfmcp.json's record" + ("" if git else " (no git history to merge from)")
        return blobs, where, from_git
    if git is not None:
        found = first_commit_blobs(git, project)
        if found:
            commit, blobs = found
            blobs = {path: blob for path, blob in blobs.items() if path in known}
            return blobs, f"git commit {commit} (the one that added {STATE_FILE})", from_git
    return {}, "none: no record, and no commit by cfmcp init (a two-way plan)", from_git


def store_blobs(git: str | None, project: Project, contents: list[bytes]) -> None:
    """Put `contents` into git's object store, so a later upgrade reads its base by blob id
    even for a file that was merged, or changed before it was committed."""
    if git is None or not contents:
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cfmcp-blobs-") as folder:
        paths = []
        for index, data in enumerate(contents):
            path = Path(folder) / str(index)
            path.write_bytes(data)
            paths.append(str(path))
        run_git(git, project, "hash-object", "-w", "--no-filters", "--stdin-paths",
                input="\n".join(paths).encode())  # fmt: skip
