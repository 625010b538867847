"""The sign-in providers side by side (stateless, current toolchain): the Worker bundle (raw and
gzip, as wrangler reports it: `jose` is in it for Google and OpenID Connect, OAuth is not for
`none`), the whole `cfmcp check --headless` under `cfmcp dev` (sign-in through the provider's
local stand-in, then tools in both eras; no sign-in for `none`), and the project's own
`npm test`.

    python bench/bench_providers.py [--runs N]

Runs on the machine's Node 22.19+ if it has one, else on the one the test suite fetches; one
`npm ci`, shared by every project (one package set for every provider).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_variants import bundle, project_tests, run
from tests import nodes
from tests.devserver import cfmcp_dev

PROVIDERS = ("cloudflare", "github", "google", "oidc", "none")


def check_seconds(project: Path) -> float:
    """`cfmcp check --headless` against `cfmcp dev`: its own total, in seconds."""
    with cfmcp_dev(project) as running:
        started = time.perf_counter()
        result = run(sys.executable, "-m", "cfmcp", "check", running.url, "--headless", "--json")
        elapsed = time.perf_counter() - started
        assert json.loads(result.stdout)["ok"], result.stdout
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    nodes.put_current_node_first()
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-providers-"))
    try:
        projects: dict[str, Path] = {}
        for auth in PROVIDERS:
            root = scratch / f"{auth}-mcp"
            run(sys.executable, "-m", "cfmcp", "init", str(root), "--auth", auth,
                "--no-install", "--no-git", "--toolchain", "current")  # fmt: skip
            projects[auth] = root
        first = projects[PROVIDERS[0]]
        run("npm", "ci", "--no-fund", "--no-audit", cwd=first)
        for root in list(projects.values())[1:]:
            (root / "node_modules").symlink_to(first / "node_modules", target_is_directory=True)
        report: dict = {
            "node": run("node", "--version").stdout.strip(),
            "cores": os.cpu_count(),
            "runs": options.runs,
        }
        for auth, root in projects.items():
            raw, gzip = bundle(root, scratch / f"{auth}-out")
            checks = [check_seconds(root) for _ in range(options.runs)]
            tests = [project_tests(root) for _ in range(options.runs)]
            report[auth] = {
                "bundle KiB": raw,
                "bundle gzip KiB": gzip,
                "check --headless seconds (median)": round(statistics.median(checks), 2),
                "npm test seconds (median)": round(statistics.median(t for t, _ in tests), 1),
                "npm test tests": tests[0][1],
            }
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
