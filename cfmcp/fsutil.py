"""Safe file writes for files that belong to the user."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from datetime import datetime
from pathlib import Path


def atomic_write_text(
    path: Path, text: str, *, mode: int | None = None, owner: tuple[int, int] | None = None
) -> None:
    """`atomic_write_bytes` of `text` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode, owner=owner)


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int | None = None, owner: tuple[int, int] | None = None
) -> None:
    """Replace `path` with `data` in one step: readers see the old file or the new one.

    The file keeps its current permission bits unless `mode` is given; a new file gets `mode`
    or the usual 0644 (less the umask). `owner` (uid, gid) is given to the new file before it
    takes the old one's place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        if owner is not None:
            os.fchown(fd, *owner)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def backup_file(path: Path, *, now: datetime | None = None) -> Path:
    """Copy `path` to `<name>.<timestamp>.bak` beside it, keeping its mode; returns the copy."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    mode = stat.S_IMODE(path.stat().st_mode)
    counter = 0
    while True:
        suffix = f"-{counter}" if counter else ""
        backup = path.with_name(f"{path.name}.{stamp}{suffix}.bak")
        try:
            # Born with the file's mode, never following a link: no moment when a 0600 file's
            # copy is readable by others, and no writing through a planted symlink.
            fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
        except FileExistsError:
            counter += 1
            continue
        break
    with os.fdopen(fd, "wb") as target, path.open("rb") as source:
        shutil.copyfileobj(source, target)
    shutil.copystat(path, backup)
    return backup


def set_aside(path: Path, *, now: datetime | None = None) -> Path:
    """Rename `path` (a file, or a symlink itself: never what it points at) to
    `<name>.<timestamp>.bak` beside it, so a new file can take its place; returns the new name."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    counter = 0
    while True:
        suffix = f"-{counter}" if counter else ""
        backup = path.with_name(f"{path.name}.{stamp}{suffix}.bak")
        if not backup.exists() and not backup.is_symlink():
            os.rename(path, backup)
            return backup
        counter += 1


def write_new_file(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create `path` with `data`; fails if anything (a symlink included) is already there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LockBusy(Exception):
    """Another process holds the lock (raised by `project_lock(..., wait=False)`)."""


@contextlib.contextmanager
def project_lock(root: Path, purpose: str, *, wait: bool):  # type: ignore[no-untyped-def]
    """One cfmcp `purpose` (upgrade, add) at a time in the project at `root`: an advisory lock
    on a file of this user's in the temp folder, never followed through a link. `wait` blocks
    until the other one ends; otherwise LockBusy. Where there is no such lock (Windows), or
    another user's file is in the way, it goes on without one."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    import hashlib

    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"cfmcp-{purpose}-{os.getuid()}-{key}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(purpose) from None
        yield
    finally:
        os.close(fd)
