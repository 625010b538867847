"""The MCP conformance suite against `cfmcp dev` of each variant: every server scenario that
MCP 2026-07-28 requires (`--requirements 2026-07-28`), less those a tools-only server cannot
pass (tests/conformance-baseline.yml says which and why; the suite fails on an entry that
passes, so the list stays true), and the 2025-era scenarios that apply. The suite has no auth
option: a loopback proxy puts the test's token on its requests (tests/tokenproxy.py) and
passes its Host and Origin headers through."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests import nodes
from tests.signin import tokens_for
from tests.tokenproxy import token_proxy

pytestmark = pytest.mark.integration

CONFORMANCE = "@modelcontextprotocol/conformance@0.2.0-alpha.12"  # needs Node 22+
BASELINE = Path(__file__).with_name("conformance-baseline.yml")
LEGACY_SCENARIOS = [
    "server-initialize", "ping", "tools-list", "resources-list", "prompts-list",
    "dns-rebinding-protection",
]  # fmt: skip


@pytest.fixture(scope="module")
def conformance(current_node) -> str:
    return str(nodes.npm_tools(CONFORMANCE) / "conformance")


@pytest.fixture(scope="module")
def proxied(variant_dev):
    token = tokens_for(variant_dev.url)["access_token"]
    with token_proxy(variant_dev.port, token) as port:
        yield f"http://localhost:{port}/mcp"


def run(conformance: str, url: str, output: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [conformance, "server", "--url", url, "-o", str(output), *args],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def checks_of(output: Path) -> dict[str, list[dict]]:
    """scenario -> its checks, from the suite's reports."""
    found = {}
    for report in output.rglob("checks.json"):
        name = report.parent.name.removeprefix("server-")
        scenario = re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", name)
        found[scenario] = json.loads(report.read_text())
    return found


def test_what_2026_07_28_requires_passes(conformance, proxied, tmp_path):
    result = run(conformance, proxied, tmp_path, "--requirements", "2026-07-28",
                 "--expected-failures", str(BASELINE))  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Unexpected failures" not in result.stdout, result.stdout[-4000:]
    checks = checks_of(tmp_path)
    # What a tools-only server must do, each check passed: the stateless lifecycle, tools,
    # rebinding protection, caching hints on tools/list, and the SSE response streams.
    # Resources and prompts are listed, and an unknown resource is an error, as MCP says.
    served = ("tools-list", "resources-list", "prompts-list", "sep-2164-resource-not-found")
    for scenario in ("server-stateless", "dns-rebinding-protection", *served):
        assert checks.get(scenario), f"{scenario} did not run"
    failed = [
        (scenario, check["id"])
        for scenario in (*served, "dns-rebinding-protection", "server-sse-multiple-streams")
        for check in checks.get(scenario, [])
        if check["status"] not in ("SUCCESS", "INFO")
    ]
    assert failed == []
    stateless = {check["id"]: check["status"] for check in checks["server-stateless"]}
    passed = [name for name, status in stateless.items() if status == "SUCCESS"]
    assert len(passed) >= 20, stateless
    # The server declares no tools.listChanged: the suite has no notification to wait for.
    assert stateless.get("sep-2575-server-sends-tools-list-changed-on-subscription") != "FAILURE"
    # Header values with surrounding whitespace are accepted (through the proxy as well).
    headers = {c["id"]: c["status"] for c in checks.get("http-header-validation", [])}
    assert headers.get("sep-2243-server-accepts-whitespace-header-value") == "SUCCESS", headers


@pytest.mark.parametrize("scenario", LEGACY_SCENARIOS)
def test_2025_era_scenario_passes(conformance, proxied, scenario, tmp_path):
    result = run(conformance, proxied, tmp_path, "--scenario", scenario,
                 "--spec-version", "2025-11-25")  # fmt: skip
    [report] = tmp_path.rglob("checks.json")
    checks = json.loads(report.read_text())
    assert checks, result.stdout
    failed = [check for check in checks if check["status"] not in ("SUCCESS", "INFO")]
    assert failed == [], json.dumps(failed, indent=2)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rebinding_request_got_a_4xx_from_the_server(conformance, proxied, tmp_path):
    """Not the proxy's doing: the evil Host reached the Worker, which answered 421."""
    run(conformance, proxied, tmp_path, "--scenario", "dns-rebinding-protection",
        "--spec-version", "2025-11-25")  # fmt: skip
    [report] = tmp_path.rglob("checks.json")
    rejected = next(c for c in json.loads(report.read_text()) if "rejected" in c["id"])
    assert rejected["details"]["statusCode"] == 421
