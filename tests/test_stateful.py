"""`cfmcp init --stateful` under `cfmcp dev`: a Durable Object session per 2025-era client on
/mcp and real HTTP+SSE on /sse, 2026-07-28 clients per request, and every session bound to the
user and client that started it."""

import json
from pathlib import Path

import httpx2
import pytest

from tests.conftest import copy_project, run_cfmcp
from tests.devserver import cfmcp_dev
from tests.signin import token_request, tokens_for

pytestmark = pytest.mark.integration

LEGACY = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
HELLO = {"protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}


@pytest.fixture(scope="module")
def dev(stateful_project: Path, tmp_path_factory):
    project = copy_project(stateful_project, tmp_path_factory.mktemp("sf") / "stateful-mcp")
    with cfmcp_dev(project, "--user", "ada@example.dev") as running:
        yield running


def test_check_passes_in_both_eras_and_over_real_sse(dev):
    result = run_cfmcp("check", dev.url, "--headless", "--era", "both", "--json", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = {step["name"]: step for step in json.loads(result.stdout)["steps"]}
    assert steps["server/discover (/mcp, 2026-07-28)"]["detail"].endswith("protocol 2026-07-28")
    assert steps["initialize (/mcp, 2025)"]["detail"].endswith(f"protocol {LEGACY}")
    assert steps["initialize (/sse, HTTP+SSE)"]["detail"].endswith(f"protocol {LEGACY}")
    for label in ("/mcp, 2026-07-28", "/mcp, 2025", "/sse, HTTP+SSE"):
        assert steps[f"tools/call add ({label})"]["detail"] == "42 (expected 42)"
    assert not any("alias" in name for name in steps)


def test_panel_names_both_transports(dev):
    panel = dev.log().split("signin │")[0]
    assert f"http://localhost:{dev.port}/mcp" in panel
    assert f"http://localhost:{dev.port}/sse" in panel and "HTTP+SSE" in panel


# --- sessions belong to their user and client -------------------------------------------------


def headers(token: str, session: str | None = None) -> dict[str, str]:
    found = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    if session:
        found |= {"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY}
    return found


def rpc(method: str, params: dict | None = None, id: int | None = 1) -> dict:
    message: dict = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    if id is not None:
        message["id"] = id
    return message


def start_session(base: str, token: str) -> str:
    response = httpx2.post(f"{base}/mcp", headers=headers(token), json=rpc("initialize", HELLO))
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    done = httpx2.post(
        f"{base}/mcp",
        headers=headers(token, session),
        json=rpc("notifications/initialized", id=None),
    )
    assert done.status_code == 202
    return session


def whoami(base: str, token: str, session: str) -> httpx2.Response:
    call = rpc("tools/call", {"name": "whoami", "arguments": {}}, id=7)
    return httpx2.post(f"{base}/mcp", headers=headers(token, session), json=call, timeout=30)


def email_in(response: httpx2.Response) -> str:
    """The email whoami reported, from an SSE-framed JSON-RPC result."""
    data = next(line[5:] for line in response.text.splitlines() if line.startswith("data:"))
    return json.loads(json.loads(data)["result"]["content"][0]["text"])["email"]


def test_a_session_answers_only_its_own_user_and_client(dev):
    alice = tokens_for(dev.url, "alice@example.dev")["access_token"]
    bob = tokens_for(dev.url, "bob@example.dev")["access_token"]
    alice_elsewhere = tokens_for(dev.url, "alice@example.dev")["access_token"]  # another client
    session = start_session(dev.url, alice)
    assert email_in(whoami(dev.url, alice, session)) == "alice@example.dev"

    for stranger in (bob, alice_elsewhere):
        taken = whoami(dev.url, stranger, session)
        assert taken.status_code == 404, taken.text
        assert taken.json()["error"]["message"] == "Session not found"
        listen = httpx2.get(f"{dev.url}/mcp", headers=headers(stranger, session), timeout=10)
        assert listen.status_code == 404
        ended = httpx2.delete(f"{dev.url}/mcp", headers=headers(stranger, session))
        assert ended.status_code == 404

    # Alice's session is untouched, and Bob's own session is Bob's.
    assert email_in(whoami(dev.url, alice, session)) == "alice@example.dev"
    bobs = start_session(dev.url, bob)
    assert email_in(whoami(dev.url, bob, bobs)) == "bob@example.dev"
    # An unknown session is as unknown as before; the owner can end hers.
    assert whoami(dev.url, alice, "f" * 64).status_code == 404
    assert httpx2.delete(f"{dev.url}/mcp", headers=headers(alice, session)).status_code == 204
    assert whoami(dev.url, alice, session).status_code == 404


def test_an_sse_session_answers_only_its_own_user(dev):
    alice = tokens_for(dev.url, "alice@example.dev")["access_token"]
    bob = tokens_for(dev.url, "bob@example.dev")["access_token"]
    hello = rpc("initialize", HELLO)
    sse = {"Authorization": f"Bearer {alice}", "Accept": "text/event-stream"}
    with httpx2.stream("GET", f"{dev.url}/sse", headers=sse, timeout=30) as stream:
        lines = stream.iter_lines()
        endpoint = next(line[5:].strip() for line in lines if line.startswith("data:"))
        session = endpoint.split("sessionId=")[1]
        # Bob can neither post into Alice's session nor listen to it.
        posted = httpx2.post(f"{dev.url}{endpoint}", headers=headers(bob), json=hello)
        assert posted.status_code == 404
        bob_sse = {"Authorization": f"Bearer {bob}", "Accept": "text/event-stream"}
        joined = httpx2.get(f"{dev.url}/sse?sessionId={session}", headers=bob_sse, timeout=10)
        assert joined.status_code == 404
        # Alice can, and her answer arrives on her stream.
        own = httpx2.post(f"{dev.url}{endpoint}", headers=headers(alice), json=hello)
        assert own.status_code == 202
        reply = next(line for line in lines if line.startswith("data:"))
        assert json.loads(reply[5:])["result"]["protocolVersion"] == LEGACY


def test_odd_session_ids_are_unknown_sessions_not_errors(dev):
    token = tokens_for(dev.url, "alice@example.dev")["access_token"]
    for session in ("A" * 64, "a" * 2000, "../../x", "f" * 64):
        response = whoami(dev.url, token, session)
        assert response.status_code == 404, (session[:20], response.text)
    sse = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    for session in ("", "a" * 2000):
        joined = httpx2.get(f"{dev.url}/sse?sessionId={session}", headers=sse, timeout=10)
        assert joined.status_code == 404


def test_a_refreshed_token_keeps_its_session(dev):
    tokens = tokens_for(dev.url, "alice@example.dev")
    session = start_session(dev.url, tokens["access_token"])
    refreshed = token_request(
        dev.url,
        tokens["client_id"],
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
    )
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()["access_token"]
    assert fresh != tokens["access_token"]
    assert email_in(whoami(dev.url, fresh, session)) == "alice@example.dev"
