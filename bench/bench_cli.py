"""Start-up and scaffolding times, as medians over several runs.

    python bench/bench_cli.py [--runs N] [--project PATH]

Measures `cfmcp --help`, `cfmcp init --no-install --no-git` and the generated project's own
`wrangler --version`. Without --project it generates and installs a project first (npm ci).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], *, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(runs: int, make_args, *, cwd: Path | None = None) -> tuple[float, float]:
    samples = [timed(make_args(i), cwd=cwd) for i in range(runs)]
    return statistics.median(samples), min(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--project", type=Path, help="an installed cfmcp project to reuse")
    options = parser.parse_args()
    cfmcp = [sys.executable, "-m", "cfmcp"]
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-"))
    try:
        print(f"python {platform.python_version()}, {os.cpu_count()} cores, {options.runs} runs")
        rows = []
        rows.append(("cfmcp --help", *median_of(options.runs, lambda i: [*cfmcp, "--help"])))
        rows.append(("cfmcp --version", *median_of(options.runs, lambda i: [*cfmcp, "--version"])))
        rows.append(
            (
                "cfmcp init --no-install --no-git",
                *median_of(
                    options.runs,
                    lambda i: [
                        *cfmcp,
                        "init",
                        str(scratch / f"p{i}"),
                        "-y",
                        "--no-install",
                        "--no-git",
                    ],
                ),
            )
        )
        project = options.project
        if project is None:
            project = scratch / "installed"
            start = time.perf_counter()
            subprocess.run(
                [*cfmcp, "init", str(project), "-y", "--no-git"], check=True, capture_output=True
            )
            print(f"(setup: cfmcp init with npm ci took {time.perf_counter() - start:.1f} s)")
        wrangler = project / "node_modules" / ".bin" / "wrangler"
        rows.append(
            (
                "project wrangler --version",
                *median_of(options.runs, lambda i: [str(wrangler), "--version"], cwd=project),
            )
        )
        width = max(len(name) for name, *_ in rows)
        print(f"{'command':<{width}}  median     min")
        for name, median, fastest in rows:
            print(f"{name:<{width}}  {median * 1000:6.0f} ms {fastest * 1000:5.0f} ms")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
