"""Start and stop `wrangler dev` for tests, through cfmcp's own wrangler driver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from cfmcp.process import stop_process, wait_group_gone
from cfmcp.project import Project
from cfmcp.wrangler import start_dev
from tests.conftest import free_port


@dataclass
class DevServer:
    base_url: str
    log_path: Path
    pid: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def wrangler_dev(
    project_root: Path,
    env_files: list[Path],
    *,
    timeout: float = 90,
    extra_args: list[str] | None = None,
) -> Iterator[DevServer]:
    # A port found free can be taken before wrangler binds it (another process's connection
    # gets it from the same ephemeral range): then start again on other ports.
    for attempt in range(3):
        port = free_port()
        log_path = project_root.parent / f"wrangler-dev-{port}.log"
        with log_path.open("w") as log:
            process = start_dev(
                Project(project_root),
                port=port,
                inspector_port=free_port(),
                env_files=env_files,
                extra_args=extra_args or [],
                stdout=log,
            )
        server = DevServer(f"http://127.0.0.1:{port}", log_path, process.pid)
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < 20:
            try:
                httpx2.get(server.base_url + "/", timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.2)
        lost_port = process.poll() is not None and "Address already in use" in server.log()
        if not lost_port or attempt == 2:
            break
        assert wait_group_gone(process.pid), "wrangler dev left processes behind"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"wrangler dev exited early:\n{server.log()}")
            try:
                httpx2.get(server.base_url + "/", timeout=2)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"wrangler dev not ready:\n{server.log()}") from None
                time.sleep(0.2)
        yield server
    finally:
        stop_process(process)
        assert wait_group_gone(process.pid), "wrangler dev left processes behind"
