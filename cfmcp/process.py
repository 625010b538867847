"""Child processes we start and must stop: own process group, polite stop, group-kill fallback.

Every child cfmcp starts runs in its own process group, and the whole group is stopped on a
timeout, an error or Ctrl-C: `subprocess.run(timeout=…)` kills only the process it started, and
wrangler's launcher starts node, which kept calling the API under PID 1 (measured).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run_group(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `args` to completion in a process group of its own, output captured. On a timeout
    (subprocess.TimeoutExpired is raised), an error or Ctrl-C, the whole group is stopped first.
    It is done when the process it started is: what that process left behind in its group is
    stopped then, and cannot hold the output open."""
    process = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )
    output: dict[str, str] = {}
    threads = [
        threading.Thread(target=_read_all, args=(process.stdout, output, "stdout"), daemon=True),
        threading.Thread(target=_read_all, args=(process.stderr, output, "stderr"), daemon=True),
    ]
    if input is not None:
        writer = threading.Thread(target=_write_all, args=(process.stdin, input), daemon=True)
        threads.append(writer)
    for thread in threads:
        thread.start()
    try:
        process.wait(timeout=timeout)
    except BaseException:
        stop_process(process, timeout=5)
        raise
    finally:
        _signal_group(process, signal.SIGKILL)  # what the leader left behind
        for thread in threads:
            thread.join(timeout=10)
    return subprocess.CompletedProcess(
        list(args), process.returncode, output.get("stdout", ""), output.get("stderr", "")
    )


def _read_all(stream: Any, into: dict[str, str], key: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        into[key] = stream.read()


def _write_all(stream: Any, text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        stream.write(text)
        stream.close()


def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when cfmcp dies, even by SIGKILL, so a killed cfmcp
    does not leave wrangler (and through it workerd) running (Linux only)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_process(process: subprocess.Popen, *, timeout: float = 10.0) -> int | None:
    """Stop `process` and everything in its process group; returns its exit code.

    SIGTERM first (wrangler run directly exits cleanly on it and takes workerd along), then
    SIGKILL to the whole group for anything left behind.
    """
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    # Whatever the leader did, children may linger in its group (workerd): end them too.
    _signal_group(process, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    return process.poll()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            if process.poll() is None:
                process.send_signal(sig)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` is still running (zombies waiting to be reaped
    by init don't count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            return True
    return False


def wait_group_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.05)
    return not group_alive(pgid)
