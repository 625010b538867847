"""The MCP conformance suite's server scenarios that apply to a tools-only server, against
`cfmcp dev` of each variant. The suite has no auth option: a loopback proxy puts the test's
token on its requests (tests/tokenproxy.py) and passes its Host and Origin headers through."""

import json
import subprocess

import pytest

from tests import nodes
from tests.signin import tokens_for
from tests.tokenproxy import token_proxy

pytestmark = pytest.mark.integration

CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16"
SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"]


@pytest.fixture(scope="module")
def conformance(current_node) -> str:
    return str(nodes.npm_tools(CONFORMANCE) / "conformance")


@pytest.fixture(scope="module")
def proxied(variant_dev):
    token = tokens_for(variant_dev.url)["access_token"]
    with token_proxy(variant_dev.port, token) as port:
        yield f"http://localhost:{port}/mcp"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_passes(conformance, proxied, scenario, tmp_path):
    result = subprocess.run(
        [conformance, "server", "--url", proxied, "--scenario", scenario, "-o", str(tmp_path)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    [report] = tmp_path.rglob("checks.json")
    checks = json.loads(report.read_text())
    assert checks, result.stdout
    failed = [check for check in checks if check["status"] != "SUCCESS"]
    assert failed == [], json.dumps(failed, indent=2)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rebinding_request_got_a_4xx_from_the_server(conformance, proxied, tmp_path):
    """Not the proxy's doing: the evil Host reached the Worker, which answered 421."""
    subprocess.run(
        [conformance, "server", "--url", proxied, "--scenario", "dns-rebinding-protection",
         "-o", str(tmp_path)],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    [report] = tmp_path.rglob("checks.json")
    rejected = next(c for c in json.loads(report.read_text()) if "rejected" in c["id"])
    assert rejected["details"]["statusCode"] == 421
