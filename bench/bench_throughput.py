"""Throughput of the signed-in stateless server against the same Worker serving
`createMcpHandler` with no OAuth in front, under MCP Inspector's load test (`--load`): one
tool (`add`), N calls in flight, for a fixed time, in both protocol eras.

    python bench/bench_throughput.py [--concurrency N] [--seconds S] [--rounds N]
                                     [--project PATH ...]

The bare Worker is the project's own src/ with an entry of a few lines (written into a copy
of the project) that hands every /mcp request straight to `createMcpHandler` as a signed-in
user. Every server runs under `cfmcp dev` (the same supervisor reads wrangler's line for each
request) on the same machine, loaded one after the other. Give several --project paths (say,
one made by an older cfmcp) to compare them in one run. Each round loads every server in
each era; the figures are the medians of the rounds, with each server's throughput as a
multiple of the bare Worker's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_dev import free_port, new_project, start_cfmcp_dev, wait_answer
from cfmcp.process import stop_process, wait_group_gone
from tests import nodes
from tests.signin import tokens_for
from tests.test_real_clients import INSPECTOR

BASELINE = "no OAuth"
ERAS = {"modern": "2026-07-28", "legacy": "2025 era"}

# The baseline: no OAuth provider, no guards; the tools see a fixed user.
PLAIN_ENTRY = """\
import { createMcpHandler } from "agents/mcp/server";
import { serverFor } from "./server";
export { RefreshGate } from "./refresh-gate";

const user = { id: "bench", email: "bench@example.com", name: "Bench" } as never;
const handler = createMcpHandler(() => serverFor(user), {
  route: "/mcp",
  allowedOriginHostnames: "*",
  corsOptions: false,
});

export default { fetch: handler };
"""


def load(
    inspector: Path, url: str, era: str, token: str | None, concurrency: int, seconds: int
) -> dict:
    command = [
        str(inspector), "--cli", url, "--transport", "http", "--protocol-era", era,
        "--method", "tools/call", "--tool-name", "add", "--tool-args-json", '{"a":20,"b":22}',
        "--load", "--load-concurrency", str(concurrency), "--load-duration", str(seconds),
        "--format", "json",
    ]  # fmt: skip
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    if result.returncode != 0:
        raise SystemExit(f"the load test failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def figures(summary: dict) -> tuple[float, float, float]:
    """(calls per second, p50 ms, p99 ms) from the Inspector's summary; failed calls stop it."""
    summary = summary["result"]
    if summary["errors"] or summary["toolErrors"]:
        raise SystemExit(f"calls failed under load: {json.dumps(summary)[:2000]}")
    latency = summary["latencyMs"]
    return summary["throughput"], latency["p50"], latency["p99"]


def refuse_unless_stateless_signed_in(project: Path) -> None:
    """The bare Worker is this project's own server without its sign-in: it exists for a
    stateless project with sign-in only (no sessions, no public server)."""
    state_path = project / "cfmcp.json"
    options = json.loads(state_path.read_text()).get("options", {}) if state_path.is_file() else {}
    if options.get("variant", "stateless") != "stateless" or options.get("auth") == "none":
        raise SystemExit(f"{project}: not a stateless project with sign-in; this bench needs one.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--project", type=Path, action="append")
    options = parser.parse_args()
    nodes.put_current_node_first()
    inspector = nodes.npm_tools(INSPECTOR) / "mcp-inspector"
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-throughput-"))
    processes = []
    try:
        projects = options.project or [new_project(scratch)]
        for project in projects:
            refuse_unless_stateless_signed_in(project)
        plain = scratch / "plain-mcp"
        shutil.copytree(
            projects[0], plain, symlinks=True, ignore=shutil.ignore_patterns(".wrangler")
        )
        (plain / "src" / "bench-plain.ts").write_text(PLAIN_ENTRY)
        config = plain / "wrangler.toml"
        config.write_text(
            config.read_text().replace('main = "src/index.ts"', 'main = "src/bench-plain.ts"', 1)
        )

        servers: dict[str, tuple[str, str | None]] = {}
        port = free_port()
        bare = start_cfmcp_dev(plain, port)
        processes.append(bare)
        wait_answer(port, bare)
        servers[BASELINE] = (f"http://127.0.0.1:{port}/mcp", None)
        for project in projects:
            port = free_port()
            process = start_cfmcp_dev(project, port)
            processes.append(process)
            wait_answer(port, process)
            token = tokens_for(f"http://127.0.0.1:{port}")["access_token"]
            servers[project.name] = (f"http://127.0.0.1:{port}/mcp", token)

        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for url, bearer in servers.values():  # warm every isolate
            load(inspector, url, "modern", bearer, options.concurrency, 2)
        for _ in range(options.rounds):
            for era in ERAS:
                for name, (url, bearer) in servers.items():
                    summary = load(
                        inspector, url, era, bearer, options.concurrency, options.seconds
                    )
                    results.setdefault((era, name), []).append(figures(summary))

        rounds = f"median of {options.rounds} rounds"
        print(f"concurrency {options.concurrency}, {options.seconds} s each, {rounds}")
        for era, label in ERAS.items():
            base = statistics.median(row[0] for row in results[(era, BASELINE)])
            for name in servers:
                throughput, p50, p99 = (
                    statistics.median(c) for c in zip(*results[(era, name)], strict=True)
                )
                print(f"{label:10} {name:12} {throughput:7.1f} calls/s ({throughput / base:.2f}x)"
                      f"  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")  # fmt: skip
    finally:
        for process in processes:
            stop_process(process)
            wait_group_gone(process.pid)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
