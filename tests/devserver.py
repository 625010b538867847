"""Run `cfmcp dev` for real, as a user does, and make sure nothing outlives the test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2

from cfmcp.process import wait_group_gone
from tests.conftest import free_port


@dataclass
class RunningDev:
    process: subprocess.Popen
    port: int
    record: dict
    log_path: Path
    project: Path
    variant: str = "stateless"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def wrangler_pid(self) -> int:
        return int(self.record["pid"])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_with(self, text: str, timeout: float = 20) -> str:
        """The log once it holds `text` (cfmcp dev prints its panels after the record that
        says it is ready); fails if it does not within `timeout` s."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in the log:\n{log}")
            time.sleep(0.05)
        return log


def _ready_or_failed(record_path: Path, port: int) -> bool:
    """True once `cfmcp dev` wrote its runtime record for `port` (the Worker answers)."""
    with suppress(OSError, ValueError):
        return json.loads(record_path.read_text()).get("port") == port
    return False


def _kill_group(pid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@contextmanager
def cfmcp_dev(
    project: Path,
    *args: str,
    timeout: float = 90,
    env: dict[str, str] | None = None,
    port: int | None = None,
    prefix: list[str] | None = None,
) -> Iterator[RunningDev]:
    """`cfmcp dev --port PORT *args` in `project` until the block ends; `prefix` runs it
    through another command that execs it (its PID stays cfmcp dev's), e.g. `unshare`."""
    # A port found free can be taken before wrangler binds it (another process's outgoing
    # connection gets it from the same ephemeral range): then start again on another port.
    chosen = port
    for attempt in range(3):
        port = chosen or free_port()
        log_path = project.parent / f"cfmcp-dev-{port}.log"
        record_path = project / ".wrangler" / f"cfmcp-dev-{port}.json"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [*(prefix or []), sys.executable, "-m", "cfmcp", "dev", "--port", str(port), *args],
                cwd=project,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "COLUMNS": "200", **(env or {})},
            )
        started = time.monotonic()
        while process.poll() is None and not _ready_or_failed(record_path, port):
            if time.monotonic() - started > timeout:
                break  # the wait below reports it
            time.sleep(0.1)
        lost_port = process.poll() is not None and "already in use" in log_path.read_text()
        if not lost_port or attempt == 2 or chosen is not None:
            break
        assert wait_group_gone(process.pid), "cfmcp dev left processes behind"
    record: dict = {}
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"cfmcp dev exited early:\n{log_path.read_text()}")
            with suppress(OSError, ValueError):
                record = json.loads(record_path.read_text())
            if record.get("port") == port:
                with suppress(httpx2.TransportError):
                    httpx2.get(f"http://127.0.0.1:{port}/", timeout=2)
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"cfmcp dev not ready:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield RunningDev(process, port, record, log_path, project)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait(timeout=5)
        if record.get("pid") and not wait_group_gone(int(record["pid"])):
            _kill_group(int(record["pid"]))
            raise AssertionError("cfmcp dev left wrangler running")
        assert wait_group_gone(process.pid), "cfmcp dev left processes behind"
