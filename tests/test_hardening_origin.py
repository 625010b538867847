"""Issue: the MCP endpoints check Origin (the transport says servers must): a browser page
from an origin that is not allowed gets 403, preflight included; requests without Origin (MCP
clients that are not browsers) keep working; allowed origins get correct CORS."""

import httpx2
import pytest

from tests.conftest import TEST_SECRETS, copy_project, write_env_file
from tests.signin import tokens_for
from tests.workerd import wrangler_dev

pytestmark = pytest.mark.integration

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {},
               "clientInfo": {"name": "t", "version": "0"}},
}  # fmt: skip


def post(url: str, token: str | None, origin: str | None) -> httpx2.Response:
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    return httpx2.post(url, headers=headers, json=INITIALIZE, timeout=30)


@pytest.mark.parametrize("path", ["/mcp", "/sse"])
def test_a_foreign_origin_is_refused_with_403(variant_dev, path):
    token = tokens_for(variant_dev.url)["access_token"]
    for origin in ("https://evil.example", "http://evil.example:8788", "null"):
        refused = post(f"{variant_dev.url}{path}", token, origin)
        assert refused.status_code == 403, (origin, refused.text)
        assert "is not allowed" in refused.json()["error"]["message"]
        preflight = httpx2.options(
            f"{variant_dev.url}{path}",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 403
        assert "access-control-allow-origin" not in preflight.headers


def test_no_origin_and_local_origins_work_under_cfmcp_dev(variant_dev):
    token = tokens_for(variant_dev.url)["access_token"]
    assert post(f"{variant_dev.url}/mcp", token, None).status_code == 200  # an MCP client
    for origin in (variant_dev.url, "http://localhost:6274", "http://127.0.0.1:5173"):
        answer = post(f"{variant_dev.url}/mcp", token, origin)
        assert answer.status_code == 200, (origin, answer.text)
        assert answer.headers["access-control-allow-origin"] == origin  # not "*"
        assert "Origin" in answer.headers["vary"]
        preflight = httpx2.options(
            f"{variant_dev.url}/mcp",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == origin
    unauthorized = post(f"{variant_dev.url}/mcp", None, "http://localhost:6274")
    assert unauthorized.status_code == 401
    assert "WWW-Authenticate" in unauthorized.headers["access-control-expose-headers"]


def test_a_deployed_server_allows_its_own_origin_and_the_listed_ones(worker_project, tmp_path):
    public = "https://mcp.example.com"
    project = copy_project(worker_project, tmp_path / "origins")
    env = write_env_file(
        tmp_path / "public.env",
        {
            **TEST_SECRETS,
            "PUBLIC_URL": public,
            "ALLOWED_ORIGINS": "https://App.example.org/ https://tools.example.net:443",
        },
    )
    with wrangler_dev(project, [env]) as server:
        url = f"{server.base_url}/mcp"
        assert post(url, None, public).status_code == 401  # allowed: on to the token check
        assert post(url, None, "https://app.example.org").status_code == 401  # listed, normalized
        assert post(url, None, "https://tools.example.net").status_code == 401
        assert post(url, None, "http://localhost:6274").status_code == 403  # not on loopback
        assert post(url, None, "https://claude.ai").status_code == 403
        assert post(url, None, None).status_code == 401
