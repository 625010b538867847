"""The two variants of the generated server side by side, on the current toolchain: the bundle
(raw and gzip, as wrangler reports it), `npm ci` time and `node_modules` size (one lockfile
serves both variants), and the first MCP requests after `cfmcp dev` is ready and a client has
signed in: a 2026-07-28 `tools/call` and a 2025 `initialize`, each followed by a second one
(in the stateful variant every `initialize` starts a new session, a new Durable Object); and
the generated project's own `npm test` (its tests against the Worker in workerd).

    python bench/bench_variants.py [--runs N]

Runs on the machine's Node 22.19+ if it has one, else on the one the test suite fetches.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import nodes
from tests.devserver import cfmcp_dev
from tests.signin import tokens_for

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
MODERN_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {
        "name": "add",
        "arguments": {"a": 20, "b": 22},
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        },
    },
}
MODERN_HEADERS = {
    "MCP-Protocol-Version": "2026-07-28",
    "Mcp-Method": "tools/call",
    "Mcp-Name": "add",
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "0"},
    },
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def bundle(project: Path, out: Path) -> tuple[float, float]:
    """wrangler's own figures: KiB raw and gzip."""
    result = run(str(project / "node_modules/.bin/wrangler"), "deploy", "--dry-run",
                 "--outdir", str(out), cwd=project)  # fmt: skip
    match = re.search(r"Total Upload: ([\d.]+) KiB / gzip: ([\d.]+) KiB", result.stdout)
    assert match, result.stdout
    return float(match[1]), float(match[2])


def timed_post(url: str, token: str, body: dict, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    response = httpx2.post(
        url, json=body, headers={**HEADERS, **headers, "Authorization": f"Bearer {token}"},
        timeout=60,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return elapsed


def first_requests(project: Path) -> dict[str, float]:
    """After `cfmcp dev` answers and a client has signed in: the first and second request of
    each era, in ms."""
    with cfmcp_dev(project) as running:
        token = tokens_for(running.url)["access_token"]
        url = f"{running.url}/mcp"
        return {
            "modern first": timed_post(url, token, MODERN_CALL, MODERN_HEADERS) * 1000,
            "modern second": timed_post(url, token, MODERN_CALL, MODERN_HEADERS) * 1000,
            "legacy first": timed_post(url, token, INITIALIZE, {}) * 1000,
            "legacy second": timed_post(url, token, INITIALIZE, {}) * 1000,
        }


def project_tests(project: Path) -> tuple[float, int]:
    """`npm test` in the project: seconds, and how many tests passed."""
    start = time.perf_counter()
    result = run("npm", "test", cwd=project)
    elapsed = time.perf_counter() - start
    # Node's spec reporter ends with "<info sign> pass N" and "<info sign> fail N" lines.
    match = re.search(r"\N{INFORMATION SOURCE} pass (\d+)", result.stdout)
    assert match and "\N{INFORMATION SOURCE} fail 0" in result.stdout, result.stdout
    return elapsed, int(match[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    nodes.put_current_node_first()
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-variants-"))
    try:
        projects = {}
        for variant in ("stateless", "stateful"):
            root = scratch / f"{variant}-mcp"
            flags = ["--stateful"] if variant == "stateful" else []
            run(sys.executable, "-m", "cfmcp", "init", str(root), "--no-install", "--no-git",
                "--toolchain", "current", *flags)  # fmt: skip
            projects[variant] = root

        installs = []
        for _ in range(options.runs):
            shutil.rmtree(projects["stateless"] / "node_modules", ignore_errors=True)
            start = time.perf_counter()
            run("npm", "ci", "--no-fund", "--no-audit", cwd=projects["stateless"])
            installs.append(time.perf_counter() - start)
        modules = projects["stateless"] / "node_modules"
        (projects["stateful"] / "node_modules").symlink_to(modules, target_is_directory=True)
        report: dict = {
            "node": run("node", "--version").stdout.strip(),
            "cores": os.cpu_count(),
            "runs": options.runs,
            "npm ci seconds (median, npm cache warm)": round(statistics.median(installs), 1),
            "node_modules MiB": round(folder_size(modules) / 2**20),
        }
        for variant, root in projects.items():
            raw, gzip = bundle(root, scratch / f"{variant}-out")
            samples = [first_requests(root) for _ in range(options.runs)]
            medians = {k: round(statistics.median(s[k] for s in samples)) for k in samples[0]}
            tests = [project_tests(root) for _ in range(options.runs)]
            report[variant] = {
                "bundle KiB": raw,
                "bundle gzip KiB": gzip,
                "ms": medians,
                "npm test seconds (median)": round(statistics.median(t for t, _ in tests), 1),
                "npm test tests": tests[0][1],
            }
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
