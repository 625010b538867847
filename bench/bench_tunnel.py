"""What `--tunnel` costs: `cfmcp dev` until the Worker answers with and without it (runs
interleaved), and `cfmcp check --headless` on loopback and through the tunnel's public URL.

    python bench/bench_tunnel.py [--runs N] [--project PATH]

cloudflared here is the tests' stand-in (tests/fake_cloudflared.py, run by the real wrangler
through CLOUDFLARED_PATH), which answers at once: the figures are cfmcp's and wrangler's own
cost (`wrangler tunnel quick-start` starting, the tunnel opening before the Worker), not
Cloudflare's, which depends on the network (a real Quick Tunnel takes a few seconds more).
Without --project it generates and installs a project first (npm ci).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_dev import free_port, new_project, stop_cfmcp_dev, wait_answer
from tests import nodes
from tests.tunnel_kit import make_edge


def start(project: Path, port: int, env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cfmcp", "dev", "--port", str(port), *args],
        cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True, env={**os.environ, **env},
    )  # fmt: skip


def ready(project: Path, port: int, process: subprocess.Popen) -> dict:
    """The runtime record once cfmcp dev wrote it (the tunnel, if any, is open then)."""
    wait_answer(port, process)
    record_path = project / ".wrangler" / f"cfmcp-dev-{port}.json"
    while not record_path.exists():
        time.sleep(0.01)
    return json.loads(record_path.read_text())


def time_start(project: Path, env: dict[str, str], *args: str) -> float:
    port = free_port()
    began = time.perf_counter()
    process = start(project, port, env, *args)
    try:
        ready(project, port, process)
        return time.perf_counter() - began
    finally:
        stop_cfmcp_dev(process)


def time_check(project: Path, url: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cfmcp", "check", url, "--headless"],
        cwd=project, check=True, capture_output=True, env={**os.environ, **env},
    )  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--project", type=Path)
    options = parser.parse_args()
    nodes.put_current_node_first()
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-tunnel-"))
    try:
        project = options.project or new_project(scratch)
        edge = make_edge(scratch / "edge")
        plain, tunneled = [], []
        time_start(project, {})  # warm the file cache and wrangler's bundler
        for _ in range(options.runs):
            plain.append(time_start(project, {}))
            tunneled.append(time_start(project, edge.dev_env(), "--tunnel"))
        print(f"{os.cpu_count()} cores, {options.runs} interleaved runs each (medians)")
        print(f"cfmcp dev answers after               {statistics.median(plain):6.2f} s")
        print(f"cfmcp dev --tunnel: tunnel and Worker {statistics.median(tunneled):6.2f} s")

        port = free_port()
        process = start(project, port, edge.dev_env(), "--tunnel")
        try:
            record = ready(project, port, process)
            local, public = [], []
            for _ in range(options.runs):
                local.append(time_check(project, f"http://localhost:{port}", {}))
                public.append(time_check(project, record["tunnel_url"], edge.client_env()))
            print(f"cfmcp check --headless, loopback      {statistics.median(local):6.2f} s")
            print(f"cfmcp check --headless, the tunnel    {statistics.median(public):6.2f} s")
        finally:
            stop_cfmcp_dev(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
