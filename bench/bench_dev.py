"""How long until the Worker answers: `cfmcp dev` against bare `wrangler dev` of the same
project, runs interleaved; then the time of `cfmcp check --headless` against the running dev
server (the whole command, and the check alone in-process).

    python bench/bench_dev.py [--runs N] [--project PATH] [--python PATH]

Without --project it generates and installs a project first (npm ci), on the current toolchain:
the machine's Node 22.19+ if it has one, else the one the test suite fetches. --python times
the cfmcp of another interpreter, e.g. a virtual environment with `pip install .` as a user
has it: the test extras bring trio (through selenium), which httpcore2 then imports (~50 ms).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cfmcp.check import run_check
from cfmcp.process import stop_process, wait_group_gone
from cfmcp.project import Project
from cfmcp.wrangler import start_dev
from tests import nodes

PYTHON = sys.executable  # whose cfmcp the timed commands run

SECRETS = {
    "CLOUDFLARE_CLIENT_ID": "bench",
    "CLOUDFLARE_CLIENT_SECRET": "bench-secret",
    "COOKIE_ENCRYPTION_KEY": "0123456789abcdef" * 4,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_answer(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process exited early ({process.returncode})")
        try:
            httpx2.get(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except httpx2.TransportError:
            time.sleep(0.02)
    raise SystemExit("timed out")


def time_bare_wrangler(project: Path, env_file: Path) -> float:
    port = free_port()
    start = time.perf_counter()
    process = start_dev(
        Project(project),
        port=port,
        inspector_port=free_port(),
        env_files=[env_file],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_answer(port, process)
        return time.perf_counter() - start
    finally:
        stop_process(process)
        wait_group_gone(process.pid)


# cfmcp dev in-process, stopped the moment it starts wrangler: what it spends before that.
UNTIL_WRANGLER = """
import os, subprocess, sys, time
start = time.perf_counter()
real = subprocess.Popen.__init__
def spawn(self, args, *rest, **options):
    if any("wrangler" in str(arg) for arg in args):
        print(time.perf_counter() - start)
        sys.stdout.flush()
        os._exit(0)
    return real(self, args, *rest, **options)
subprocess.Popen.__init__ = spawn
sys.argv = ["cfmcp", "dev", "--port", sys.argv[1]]
from cfmcp.cli import main
main()
"""


def time_until_wrangler(project: Path) -> float:
    result = subprocess.run(
        [PYTHON, "-c", UNTIL_WRANGLER, str(free_port())],
        cwd=project, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(result.stdout.strip().splitlines()[-1])


def start_cfmcp_dev(project: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "cfmcp", "dev", "--port", str(port)],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_cfmcp_dev(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)
    wait_group_gone(process.pid)


def time_cfmcp_dev(project: Path) -> float:
    port = free_port()
    start = time.perf_counter()
    process = start_cfmcp_dev(project, port)
    try:
        wait_answer(port, process)
        return time.perf_counter() - start
    finally:
        stop_cfmcp_dev(process)


def new_project(scratch: Path) -> Path:
    """A project made by `cfmcp init`, its packages installed."""
    project = scratch / "bench-mcp"
    subprocess.run(
        [sys.executable, "-m", "cfmcp", "init", str(project), "-y", "--no-git"],
        check=True, capture_output=True,
    )  # fmt: skip
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--project", type=Path)
    parser.add_argument("--python", default=sys.executable, help="whose cfmcp to time")
    options = parser.parse_args()
    global PYTHON
    PYTHON = options.python
    nodes.put_current_node_first()
    # As pip installs it: compiled once, so no run pays for compiling cfmcp's modules (an
    # editable install under PYTHONDONTWRITEBYTECODE would pay on every run).
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "cfmcp", quiet=1)
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-dev-"))
    try:
        project = options.project or new_project(scratch)
        env_file = scratch / "bench.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
        os.chmod(env_file, 0o600)

        bare, ours = [], []
        time_bare_wrangler(project, env_file)  # warm the file cache and wrangler's bundler
        for _ in range(options.runs):
            bare.append(time_bare_wrangler(project, env_file))
            ours.append(time_cfmcp_dev(project))
        bare_median, ours_median = statistics.median(bare), statistics.median(ours)
        print(f"{os.cpu_count()} cores, {options.runs} interleaved runs each")
        print(f"bare wrangler dev answers after  {bare_median:6.2f} s (median)")
        print(f"cfmcp dev answers after          {ours_median:6.2f} s (median)")
        print(f"ratio                            {ours_median / bare_median:6.2f}x (aim < 1.10x)")
        before = statistics.median(time_until_wrangler(project) for _ in range(options.runs))
        print(f"  cfmcp dev's own work before wrangler starts {before:6.2f} s (median)")

        port = free_port()
        process = start_cfmcp_dev(project, port)
        try:
            wait_answer(port, process)
            url = f"http://localhost:{port}"
            commands, checks = [], []
            for _ in range(options.runs):
                start = time.perf_counter()
                subprocess.run(
                    [PYTHON, "-m", "cfmcp", "check", url, "--headless"],
                    check=True, capture_output=True,
                )  # fmt: skip
                commands.append(time.perf_counter() - start)
                start = time.perf_counter()
                result = anyio.run(lambda: run_check(url, headless=True))
                assert result.ok, result.error
                checks.append(time.perf_counter() - start)
            print(f"cfmcp check --headless (command) {statistics.median(commands):6.2f} s (median)")
            print(f"  the check alone, in-process    {statistics.median(checks):6.2f} s (median)")
            import_time = subprocess.run(
                [PYTHON, "-c", "import time; t=time.perf_counter(); "
                 "from cfmcp.mcp_client import import_client_modules_only as load; "
                 "assert load(); print(time.perf_counter()-t)"],
                check=True, capture_output=True, text=True, cwd=project,
            )  # fmt: skip
            seconds = float(import_time.stdout)
            print(f"  of which importing the MCP SDK {seconds:6.2f} s (its client)")
        finally:
            stop_cfmcp_dev(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
