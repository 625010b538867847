"""What a token refresh costs, and whether parallel refreshes sign anyone out, on workerd
under `cfmcp dev` (the local Cloudflare stand-in, which rotates its refresh tokens as
Cloudflare does).

    python bench/bench_refresh.py [--refreshes N] [--rounds N] [--project PATH ...]

For each project: N refreshes one after another (each with the last answer's refresh token:
median and p95), then N rounds of 10 and of 20 refreshes of one refresh token released
together. A round signs someone out when its answers differ (the grant keeps one, the other
clients' next refresh is refused) or any is refused. Give several --project paths (say, one
made by an older cfmcp) to compare them in one run. Without --project it generates one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_dev import free_port, new_project, start_cfmcp_dev, stop_cfmcp_dev, wait_answer
from tests import nodes
from tests.signin import token_request, tokens_for
from tests.test_hardening_refresh import at_once


def refresh(base: str, client_id: str, token: str):  # type: ignore[no-untyped-def]
    return token_request(base, client_id, grant_type="refresh_token", refresh_token=token)


def sequential(base: str, count: int) -> list[float]:
    tokens = tokens_for(base)
    client_id, current = tokens["client_id"], tokens["refresh_token"]
    took = []
    for _ in range(count):
        began = time.perf_counter()
        answer = refresh(base, client_id, current)
        took.append(time.perf_counter() - began)
        answer.raise_for_status()
        current = answer.json()["refresh_token"]
    return took


def rounds(base: str, count: int, parallel: int) -> tuple[int, float]:
    """(rounds that signed someone out, median seconds a round took)."""
    tokens = tokens_for(base)
    client_id, current = tokens["client_id"], tokens["refresh_token"]
    lost, took = 0, []
    for _ in range(count):
        began = time.perf_counter()
        answers = at_once(lambda c=client_id, t=current: refresh(base, c, t), parallel)
        took.append(time.perf_counter() - began)
        good = [a.json() for a in answers if a.status_code == 200]
        issued = {body["refresh_token"] for body in good}
        if len(good) < parallel or len(issued) > 1:
            lost += 1
        # Go on with a token the grant still takes, so one bad round doesn't end the bench.
        for candidate in issued:
            probe = refresh(base, client_id, candidate)
            if probe.status_code == 200:
                current = probe.json()["refresh_token"]
                break
        else:
            tokens = tokens_for(base)
            client_id, current = tokens["client_id"], tokens["refresh_token"]
    return lost, statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--project", type=Path, action="append")
    options = parser.parse_args()
    nodes.put_current_node_first()
    scratch = Path(tempfile.mkdtemp(prefix="cfmcp-bench-refresh-"))
    try:
        for project in options.project or [new_project(scratch)]:
            port = free_port()
            process = start_cfmcp_dev(project, port)
            try:
                wait_answer(port, process)
                base = f"http://127.0.0.1:{port}"
                took = sorted(sequential(base, options.refreshes))
                p95 = took[max(0, round(0.95 * len(took)) - 1)]
                print(f"{project}: one refresh: median {statistics.median(took) * 1000:.1f} ms, "
                      f"p95 {p95 * 1000:.1f} ms ({len(took)} in a row)")  # fmt: skip
                for parallel in (10, 20):
                    lost, median = rounds(base, options.rounds, parallel)
                    print(f"  {parallel} at once: {lost} of {options.rounds} rounds signed "
                          f"someone out; a round took {median * 1000:.0f} ms (median)")  # fmt: skip
            finally:
                stop_cfmcp_dev(process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
