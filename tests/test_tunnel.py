"""`cfmcp dev --tunnel`: the local server on a public https URL for hosted clients (claude.ai,
ChatGPT), as they reach it and as they sign in.

The tunnel is the real wrangler's (`wrangler tunnel quick-start`) running a cloudflared
stand-in (tests/fake_cloudflared.py) through CLOUDFLARED_PATH; clients reach the "public" URL by
its name through the stand-in's loopback port, with TLS from the tests' own CA. Everything else
is real: wrangler, workerd, the Worker, the local sign-in, the Python MCP SDK, `cfmcp check`.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import httpx2
import pytest

from cfmcp.headless import authorize_headless
from cfmcp.node import node_version
from cfmcp.process import wait_group_gone
from tests.conftest import copy_project, free_port
from tests.devserver import cfmcp_dev
from tests.signin import pkce, register
from tests.test_real_clients import HANDSHAKE
from tests.tunnel_kit import Edge, make_edge, pid_alive

pytestmark = pytest.mark.integration

# Where hosted clients want the code (FACTS: their callbacks, from their docs and servers).
HOSTED_CALLBACKS = (
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector/oauth/g-0a1b2c3d4e5f",
)
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
# A 2025-era request (no headers of 2026-07-28 needed); a stateless server answers it alone.
INITIALIZE = HANDSHAKE[0]


@pytest.fixture(scope="module")
def edge(tmp_path_factory) -> Edge:
    return make_edge(tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="module")
def tunneled(worker_project: Path, tmp_path_factory, edge: Edge):
    project = copy_project(worker_project, tmp_path_factory.mktemp("tunnel") / "tunnel-mcp")
    with cfmcp_dev(project, "--tunnel", env=edge.dev_env()) as running:
        public = running.record["tunnel_url"]
        assert public and public.endswith(".trycloudflare.com"), running.log()
        yield running, public


@pytest.fixture(autouse=True)
def _public_urls_reachable(edge: Edge):
    """During each test (not the module's setup, which may install packages from the
    registry), this process's HTTP clients reach public URLs through the tunnel's edge."""
    with edge.reachable():
        yield


# --- an OAuth walk of our own, as a hosted client makes it ----------------------------------


_registered: dict[tuple[str, str], str] = {}


def client_for(base: str, redirect_uri: str) -> str:
    """A client registered once per server and callback, as an installed client does. Through
    the tunnel, registrations count against the Worker's rate limit (10 a minute from one
    address), as the public's would."""
    key = (base, redirect_uri)
    if key not in _registered:
        _registered[key] = register(base, redirect_uri)
    return _registered[key]


def authorization_code(
    base: str, client_id: str, redirect_uri: str, resource: str, public: str
) -> tuple[str, str]:
    """Approve and sign in through the tunnel (the sign-in page on loopback): (code, verifier)."""
    verifier, challenge = pkce()
    query = httpx2.QueryParams(
        response_type="code", client_id=client_id, redirect_uri=redirect_uri, state="st",
        code_challenge=challenge, code_challenge_method="S256", resource=resource, scope="mcp",
    )  # fmt: skip
    walk = functools.partial(
        authorize_headless, f"{base}/authorize?{query}", redirect_uri, tunnels=(public,)
    )
    redirect = anyio.run(walk)
    assert redirect.state == "st"
    assert redirect.iss == base  # RFC 9207: the issuer is the public origin
    return redirect.code, verifier


def exchange(base: str, client_id: str, redirect_uri: str, code: str, verifier: str, **more: str):
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": client_id, "code_verifier": verifier, **more,
    }  # fmt: skip
    return httpx2.post(f"{base}/token", data=form)


def mcp_request(base: str, token: str, path: str = "/mcp") -> httpx2.Response:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    return httpx2.post(f"{base}{path}", headers=headers, json=INITIALIZE, timeout=30)


def sign_in(base: str, public: str, *, resource: str | None = None) -> dict:
    redirect_uri = HOSTED_CALLBACKS[0]
    client_id = client_for(base, redirect_uri)
    code, verifier = authorization_code(base, client_id, redirect_uri, resource or base, public)
    response = exchange(base, client_id, redirect_uri, code, verifier, resource=resource or base)
    assert response.status_code == 200, response.text
    return {"client_id": client_id, **response.json()}


# --- the public server ------------------------------------------------------------------------


def test_every_url_the_worker_gives_is_the_public_one(tunneled):
    _, public = tunneled
    challenge = httpx2.post(f"{public}/mcp", headers=MCP_HEADERS, json=INITIALIZE)
    assert challenge.status_code == 401
    pointer = f'resource_metadata="{public}/.well-known/oauth-protected-resource"'
    assert pointer in challenge.headers["www-authenticate"]
    resource = httpx2.get(f"{public}/.well-known/oauth-protected-resource").json()
    assert resource["resource"] == public
    assert resource["authorization_servers"] == [public]
    server = httpx2.get(f"{public}/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == public
    for endpoint in ("authorization_endpoint", "token_endpoint", "registration_endpoint"):
        assert server[endpoint].startswith(f"{public}/"), server
    assert server["client_id_metadata_document_supported"] is True
    assert "none" in server["token_endpoint_auth_methods_supported"]
    # RFC 9728 §3.1: the metadata of https://host/mcp is also found at its path-suffixed URL,
    # and names that URL, as a client comparing the two expects.
    for path in ("/mcp", "/sse"):
        suffixed = httpx2.get(f"{public}/.well-known/oauth-protected-resource{path}").json()
        assert suffixed["resource"] == f"{public}{path}"


def test_check_signs_in_and_calls_tools_through_the_tunnel(tunneled, edge):
    """Discovery, registration, sign-in and a tool call, in both protocol eras, on /mcp and
    /sse: `cfmcp check --headless <public URL>` as a user runs it."""
    running, public = tunneled
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "check", "--headless", public, "--json"],
        cwd=running.project, capture_output=True, text=True, timeout=120,
        env={**os.environ, **edge.client_env()}, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    names = [step["name"] for step in report["steps"]]
    assert report["url"] == public and all(step["ok"] for step in report["steps"])
    for era in ("2026-07-28", "2025"):
        assert f"tools/call add (/mcp, {era})" in names
    assert "authorization (PKCE S256)" in names


def test_check_headless_refuses_a_public_url_that_is_not_our_tunnel(tunneled, edge):
    running, _ = tunneled
    result = subprocess.run(
        [sys.executable, "-m", "cfmcp", "check", "--headless", "https://example.com"],
        cwd=running.project, capture_output=True, text=True, timeout=60,
        env={**os.environ, **edge.client_env()}, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not a loopback URL" in result.stderr


@pytest.mark.parametrize("path", ["", "/", "/mcp", "/mcp/", "/sse", "/sse/"])
def test_each_resource_form_names_the_server(tunneled, path):
    """RFC 8707 `resource` as clients send it: the origin from the metadata, or the URL they
    were given. Each gets a token for the one audience, which opens /mcp and /sse."""
    _, public = tunneled
    tokens = sign_in(public, public, resource=f"{public}{path}")
    for endpoint in ("/mcp", "/sse"):
        response = mcp_request(public, tokens["access_token"], endpoint)
        assert response.status_code == 200, (endpoint, response.text)
        assert "serverInfo" in response.text


@pytest.mark.parametrize(
    "resource", ["{public}/other", "{public}/mcp/extra", "{local}/mcp", "https://evil.example/mcp"]
)
def test_other_resources_are_refused(tunneled, resource):
    running, public = tunneled
    resource = resource.format(public=public, local=f"http://127.0.0.1:{running.port}")
    redirect_uri = HOSTED_CALLBACKS[0]
    client_id = client_for(public, redirect_uri)
    with pytest.raises(Exception, match="invalid_target"):
        authorization_code(public, client_id, redirect_uri, resource, public)
    # At the token endpoint too: a code for this server, asked for another resource.
    code, verifier = authorization_code(public, client_id, redirect_uri, f"{public}/mcp", public)
    refused = exchange(public, client_id, redirect_uri, code, verifier, resource=resource)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"


@pytest.mark.parametrize("callback", HOSTED_CALLBACKS)
def test_hosted_clients_callbacks_register_and_sign_in(tunneled, callback):
    _, public = tunneled
    client_id = client_for(public, callback)
    code, verifier = authorization_code(public, client_id, callback, f"{public}/mcp", public)
    tokens = exchange(public, client_id, callback, code, verifier, resource=f"{public}/mcp")
    assert tokens.status_code == 200, tokens.text
    assert mcp_request(public, tokens.json()["access_token"]).status_code == 200


def test_tokens_of_one_origin_are_refused_on_the_other(tunneled):
    running, public = tunneled
    local = f"http://127.0.0.1:{running.port}"
    public_token = sign_in(public, public)["access_token"]
    assert mcp_request(public, public_token).status_code == 200
    assert mcp_request(local, public_token).status_code == 401
    local_token = sign_in(local, public)["access_token"]
    assert mcp_request(local, local_token).status_code == 200
    assert mcp_request(public, local_token).status_code == 401


def test_host_and_origin_checks_take_exactly_the_tunnel(tunneled):
    running, public = tunneled
    local = f"http://127.0.0.1:{running.port}"
    token = sign_in(public, public)["access_token"]
    # Another trycloudflare host, straight at the Worker (a DNS rebinding, say): not ours.
    other = httpx2.get(f"{local}/", headers={"Host": "other-words-here.trycloudflare.com"})
    assert other.status_code == 421
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    for origin, allowed in (
        (public, True),
        ("https://evil.example", False),
        ("http://localhost:6274", False),  # a local page may call loopback, not the tunnel
    ):
        with_origin = {**headers, "Origin": origin}
        answer = httpx2.post(f"{public}/mcp", headers=with_origin, json=INITIALIZE)
        assert (answer.status_code == 200) is allowed, (origin, answer.status_code)


# --- a client identified by a metadata document ----------------------------------------------


class _Documents(http.server.ThreadingHTTPServer):
    documents: dict[str, dict]
    seen: list[tuple[str, str]]


class _DocumentHandler(http.server.BaseHTTPRequestHandler):
    server: _Documents

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("User-Agent", "")))
        document = self.server.documents.get(self.path)
        body = json.dumps(document).encode() if document else b"{}"
        self.send_response(200 if document else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


DOCUMENT_HOST = "claude.cimd.test"  # a name, as claude.ai's is: the Worker refuses loopback ones


def hosts_namespace(folder: Path) -> list[str]:
    """A command prefix that runs a command with DOCUMENT_HOST naming 127.0.0.1, in a mount
    namespace of its own (this machine's /etc/hosts is never touched)."""
    if not shutil.which("unshare"):
        pytest.skip("this machine has no unshare for a mount namespace")
    hosts = folder / "hosts"
    hosts.write_text(Path("/etc/hosts").read_text() + f"\n127.0.0.1 {DOCUMENT_HOST}\n")
    bind = 'mount --bind "$0" /etc/hosts && exec "$@"'
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", bind, str(hosts), "getent", "hosts",
                            DOCUMENT_HOST], capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"this machine cannot make a mount namespace (unshare -rm): {probe.stderr}")
    return ["unshare", "-rm", "sh", "-c", bind, str(hosts)]


@pytest.fixture(scope="module")
def document_tunneled(worker_project: Path, tmp_path_factory):
    """`cfmcp dev --tunnel` where DOCUMENT_HOST is this machine (see hosts_namespace), on an
    edge of its own: an edge's port carries one tunnel, and the module's may be in use."""
    folder = tmp_path_factory.mktemp("documents")
    project = copy_project(worker_project, folder / "documents-mcp")
    prefix = hosts_namespace(folder)
    edge = make_edge(folder / "edge")
    with cfmcp_dev(project, "--tunnel", env=edge.dev_env(), prefix=prefix) as running:
        yield running, running.record["tunnel_url"], edge


def test_a_client_metadata_document_client_signs_in_end_to_end(document_tunneled):
    """What claude.ai does: its client_id is the https URL of a metadata document listing its
    callbacks; the Worker fetches the document (workerd, `global_fetch_strictly_public`) and
    the sign-in completes at the client's callback. The document is served on loopback with a
    certificate of the tests' CA, which workerd trusts through NODE_EXTRA_CA_CERTS given to
    `cfmcp dev`, under a name that only cfmcp dev's namespace resolves there; only its host
    differs from claude.ai's."""
    _, public, edge = document_tunneled
    server = _Documents(("127.0.0.1", free_port()), _DocumentHandler)
    context = edge.ca.server_context(DOCUMENT_HOST)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    client_id = (
        f"https://{DOCUMENT_HOST}:{server.server_address[1]}/oauth/mcp-oauth-client-metadata"
    )
    server.documents = {
        "/oauth/mcp-oauth-client-metadata": {
            "client_id": client_id,
            "client_name": "Claude",
            "redirect_uris": list(HOSTED_CALLBACKS[:2]),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
    }
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with edge.reachable():  # this test's edge, not the module's
        try:
            callback, resource = HOSTED_CALLBACKS[1], f"{public}/mcp"
            code, verifier = authorization_code(public, client_id, callback, resource, public)
            tokens = exchange(public, client_id, callback, code, verifier, resource=resource)
            assert tokens.status_code == 200, tokens.text
            assert mcp_request(public, tokens.json()["access_token"]).status_code == 200
            refreshed = httpx2.post(f"{public}/token", data={
                "grant_type": "refresh_token", "client_id": client_id,
                "refresh_token": tokens.json()["refresh_token"],
            })  # fmt: skip
            assert refreshed.status_code == 200, refreshed.text
            assert server.seen, "the Worker never fetched the document"
            # A callback the document does not list is refused, not redirected to.
            with pytest.raises(Exception, match=r"Authorization failed|HTTP 400"):
                authorization_code(public, client_id, HOSTED_CALLBACKS[2], public, public)
        finally:
            server.shutdown()
            server.server_close()


# --- starting and stopping ---------------------------------------------------------------------


def start_dev(project: Path, edge: Edge, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cfmcp", "dev", "--tunnel", "--port", str(free_port()), *args],
        cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
        env={**os.environ, "COLUMNS": "200", **edge.dev_env(**env)},
    )  # fmt: skip


@pytest.fixture
def project(worker_project: Path, tmp_path: Path) -> Path:
    return copy_project(worker_project, tmp_path / "faults-mcp")


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("exit-early", "cloudflared stopped (exit 1)"),
        ("rate-limited", "rate limited"),
        ("silent", "not ready within 3 s"),
    ],
)
def test_a_tunnel_that_does_not_open_is_a_clear_error_with_nothing_left(
    project, tmp_path, mode, says
):
    edge = make_edge(tmp_path / "edge")
    started = time.monotonic()
    # Only the silent tunnel needs the timeout; the others end by themselves, and a short
    # timeout would race them on a loaded machine (the wait would end first).
    timeout = "3" if mode == "silent" else "20"
    process = start_dev(project, edge, "--tunnel-timeout", timeout, FAKE_CLOUDFLARED_MODE=mode)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1, output
    assert says in output
    if mode == "rate-limited":
        assert "Try again in a few minutes" in output and "--tunnel-name" in output
    assert time.monotonic() - started < 30
    assert wait_group_gone(process.pid)
    assert edge.runs() and not any(pid_alive(run["pid"]) for run in edge.runs())
    assert not list((project / ".wrangler").glob("cfmcp-dev-*.json")), "no Worker was started"


def _wait_record(project: Path, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (project / ".wrangler").glob("cfmcp-dev-*.json"):
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass
        time.sleep(0.1)
    raise AssertionError("cfmcp dev --tunnel did not get ready")


@pytest.mark.parametrize("how", ["ctrl-c", "sigkill"])
def test_stopping_cfmcp_dev_leaves_no_cloudflared_wrangler_or_workerd(project, tmp_path, how):
    edge = make_edge(tmp_path / "edge")
    process = start_dev(project, edge)
    try:
        record = _wait_record(project)
        tunnel_pid, wrangler_pid = int(record["tunnel_pid"]), int(record["pid"])
        (stand_in,) = [run["pid"] for run in edge.runs()]
        assert pid_alive(stand_in)
        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)  # as a terminal sends it, to the group
            output, _ = process.communicate(timeout=60)
            assert process.returncode == 130, output
            assert "Stopped the Worker, the tunnel and the local sign-in." in output
        else:
            process.kill()
            process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert wait_group_gone(tunnel_pid, timeout=20), "the tunnel's wrangler is still running"
    assert wait_group_gone(wrangler_pid, timeout=20), "wrangler dev or workerd is still running"
    deadline = time.monotonic() + 20
    while pid_alive(stand_in) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(stand_in), "cloudflared is still running"


def test_a_tunnel_that_stops_by_itself_leaves_the_worker_running(project, tmp_path):
    edge = make_edge(tmp_path / "edge")
    process = start_dev(project, edge)
    try:
        record = _wait_record(project)
        (stand_in,) = [run["pid"] for run in edge.runs()]
        os.kill(stand_in, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _wait_record(project)
            if now.get("tunnel_url") is None:
                break
            time.sleep(0.2)
        assert now["tunnel_url"] is None, now
        local = f"http://127.0.0.1:{record['port']}/.well-known/oauth-protected-resource"
        assert httpx2.get(local).status_code == 200
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert "The tunnel stopped" in output and "The Worker still runs" in output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- the real clients the suite drives, through the tunnel -------------------------------------


@pytest.fixture(scope="module")
def client_tools(current_node: Path) -> Path:
    from tests import nodes
    from tests.test_real_clients import INSPECTOR, MCP_REMOTE

    version = node_version(str(current_node / "node"))
    if version is None or version < (22, 21, 0):
        pytest.skip("Node's own proxy support (NODE_USE_ENV_PROXY) needs Node 22.21 or newer")
    return nodes.npm_tools(INSPECTOR, MCP_REMOTE)


@pytest.mark.parametrize("era", ["modern", "legacy"])
def test_mcp_inspector_cli_through_the_tunnel(tunneled, edge, client_tools, tmp_path, era):
    from tests.test_real_clients import private_file, quiet_home

    _, public = tunneled
    token = sign_in(public, public, resource=f"{public}/mcp")["access_token"]
    entry = {"type": "streamable-http", "url": f"{public}/mcp"}
    entry["headers"] = {"Authorization": f"Bearer {token}"}
    config = private_file(tmp_path / "servers.json", json.dumps({"mcpServers": {"demo": entry}}))
    result = subprocess.run(
        [str(client_tools / "mcp-inspector"), "--cli", "--config", str(config), "--server",
         "demo", "--protocol-era", era, "--method", "tools/call", "--tool-name", "add",
         "--tool-args-json", '{"a": 20, "b": 22}', "--format", "json"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**quiet_home(tmp_path), **edge.client_env()},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["result"]["content"] == [{"type": "text", "text": "42"}]


def test_mcp_remote_through_the_tunnel(tunneled, edge, client_tools, tmp_path):
    from tests.test_real_clients import HANDSHAKE, private_file, quiet_home, talk_over_stdio

    _, public = tunneled
    token = sign_in(public, public, resource=f"{public}/mcp")["access_token"]
    header_file = private_file(tmp_path / "headers", f"Authorization: Bearer {token}\n")
    env = {**quiet_home(tmp_path), **edge.client_env()}
    env["MCP_REMOTE_CONFIG_DIR"] = str(tmp_path / "mcp-auth")
    command = [str(client_tools / "mcp-remote"), f"{public}/mcp", "--header-file",
               str(header_file), "--protocol", "auto"]  # fmt: skip
    (hello, added), log = talk_over_stdio(command, HANDSHAKE, env)
    assert hello["result"]["serverInfo"]["name"] == "demo-mcp"
    assert added["result"]["content"] == [{"type": "text", "text": "42"}]
    assert token not in log


@pytest.fixture(scope="module")
def old_sdk_python() -> Path:
    from tests import nodes
    from tests.test_real_clients import OLD_SDK

    return nodes.python_venv("mcp1", OLD_SDK)


def test_python_mcp_sdk_old_line_through_the_tunnel(tunneled, edge, old_sdk_python, tmp_path):
    from tests.test_real_clients import OLD_SDK_CLIENT

    _, public = tunneled
    token = sign_in(public, public)["access_token"]
    python = old_sdk_python
    script = tmp_path / "old_client.py"
    script.write_text(OLD_SDK_CLIENT)
    result = subprocess.run(
        [str(python), str(script)], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **edge.client_env(), "MCP_TOKEN": token, "MCP_URL": f"{public}/mcp"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "42"


# --- the other variants and sign-ins ---------------------------------------------------------


def test_stateful_sessions_and_http_sse_through_the_tunnel(stateful_project, tmp_path):
    edge = make_edge(tmp_path / "edge")  # a tunnel of its own beside the module's
    project = copy_project(stateful_project, tmp_path / "stateful-tunnel")
    with cfmcp_dev(project, "--tunnel", env=edge.dev_env()) as running:
        public = running.record["tunnel_url"]
        result = subprocess.run(
            [sys.executable, "-m", "cfmcp", "check", "--headless", public, "--json"],
            cwd=project, capture_output=True, text=True, timeout=180,
            env={**os.environ, **edge.client_env()}, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        running.log_with("Quick Tunnels do not carry Server-Sent Events")
    assert result.returncode == 0, result.stdout + result.stderr
    names = [step["name"] for step in json.loads(result.stdout)["steps"]]
    assert "tools/call add (/sse, HTTP+SSE)" in names
    assert "tools/call add (/mcp, 2025)" in names and "tools/call add (/mcp, 2026-07-28)" in names


def test_a_public_server_under_a_tunnel_warns_and_answers_anyone(worker_project, tmp_path):
    from tests.conftest import sibling_project

    edge = make_edge(tmp_path / "edge")
    project = sibling_project(tmp_path / "public-tunnel", worker_project, "--auth", "none")
    with cfmcp_dev(project, "--tunnel", env=edge.dev_env()) as running, edge.reachable():
        public = running.record["tunnel_url"]
        answer = httpx2.post(f"{public}/mcp", headers=MCP_HEADERS, json=INITIALIZE)
        log = running.log_with("No authentication")
    assert answer.status_code == 200 and "serverInfo" in answer.text
    assert log.count("anyone who finds its URL can call your tools") == 1
    assert "No authentication" in log  # ChatGPT's steps for a server without sign-in


def test_the_real_provider_under_a_tunnel_gets_the_tunnel_callback(worker_project, tmp_path):
    """`--upstream real` with a tunnel: sign-in goes to the real provider with the tunnel's
    /callback, which cfmcp dev says to register."""
    from cfmcp.headless import consent_form

    edge = make_edge(tmp_path / "edge")
    project = copy_project(worker_project, tmp_path / "real-tunnel")
    dev_vars = project / ".dev.vars"
    dev_vars.write_text("CLOUDFLARE_CLIENT_ID=my-dev-client\nCLOUDFLARE_CLIENT_SECRET=s3cret\n")
    dev_vars.chmod(0o600)
    with (
        cfmcp_dev(project, "--tunnel", "--upstream", "real", env=edge.dev_env()) as running,
        edge.reachable(),
    ):
        public = running.record["tunnel_url"]
        log = running.log_with(f"{public}/callback")
        client_id = client_for(public, HOSTED_CALLBACKS[0])
        _, challenge = pkce()
        query = httpx2.QueryParams(
            response_type="code", client_id=client_id, redirect_uri=HOSTED_CALLBACKS[0],
            state="st", code_challenge=challenge, code_challenge_method="S256",
        )  # fmt: skip
        with httpx2.Client(follow_redirects=False) as browser:
            dialog = browser.get(f"{public}/authorize?{query}")
            form, (button, value) = consent_form(dialog.text)
            approved = browser.post(f"{public}/authorize", data={**form.fields, button: value})
    assert f"{public}/callback" in log  # what to register with the provider
    location = approved.headers["location"]
    assert location.startswith("https://dash.cloudflare.com/oauth2/auth?")
    sent = httpx2.URL(location).params
    assert sent["redirect_uri"] == f"{public}/callback" and sent["client_id"] == "my-dev-client"


# --- a named tunnel ------------------------------------------------------------------------------

NAMED_HOST = "mcp-dev.example.com"
TUNNEL_ID = "5f3a2b1c-0d9e-4f8a-9b7c-6d5e4f3a2b1c"


def serve_named_tunnel(api, port: int) -> None:
    """The account's tunnel `mcp-dev` in the fake API, its public hostname routed to the port."""
    from tests.fake_cloudflare import paginate

    tunnel = {"id": TUNNEL_ID, "name": "mcp-dev", "status": "inactive", "tun_type": "cfd_tunnel"}

    @api.route("GET", "/accounts/{account}/cfd_tunnel")
    def tunnels(request):
        wanted = request.query.get("name", [None])[0]
        return paginate(request, [tunnel] if wanted in (None, "mcp-dev") else [])

    @api.route("GET", f"/accounts/{{account}}/cfd_tunnel/{TUNNEL_ID}/configurations")
    def configuration(request):
        ingress = [
            {"hostname": "other.example.com", "service": "http://localhost:3000"},
            {"hostname": NAMED_HOST, "service": f"http://localhost:{port}"},
            {"service": "http_status:404"},
        ]
        return {"tunnel_id": TUNNEL_ID, "config": {"ingress": ingress}}

    @api.route("GET", f"/accounts/{{account}}/cfd_tunnel/{TUNNEL_ID}/token")
    def token(request):
        return "eyJhIjoiYWNjb3VudCIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0In0="


def test_a_named_tunnel_serves_its_stable_hostname(project, tmp_path, api):
    edge = make_edge(tmp_path / "edge")
    port = free_port()
    serve_named_tunnel(api, port)
    env = {
        **edge.dev_env(FAKE_CLOUDFLARED_HOST=NAMED_HOST,
                       FAKE_CLOUDFLARED_ORIGIN=f"http://127.0.0.1:{port}"),
        **api.env(),
    }  # fmt: skip
    with cfmcp_dev(project, "--tunnel-name", "mcp-dev", port=port, env=env) as running:
        assert running.record["tunnel_url"] == f"https://{NAMED_HOST}"
        with edge.reachable():
            metadata = httpx2.get(f"https://{NAMED_HOST}/.well-known/oauth-protected-resource")
        assert metadata.json()["resource"] == f"https://{NAMED_HOST}"
        running.log_with("Public URL · Cloudflare tunnel mcp-dev")
    (run,) = edge.runs()
    assert run["argv"][-1] == "run" and run["token_given"]  # the token never on argv
    assert not any("eyJ" in arg for arg in run["argv"])
    assert api.requests_to("GET", f"/accounts/{api.account_id}/cfd_tunnel/{TUNNEL_ID}/token")


def test_a_named_tunnel_without_a_route_to_the_port_says_what_to_add(project, tmp_path, api):
    edge = make_edge(tmp_path / "edge")
    serve_named_tunnel(api, 1)  # routed to another port than cfmcp dev's
    process = start_dev(project, edge, "--tunnel-name", "mcp-dev", **api.env())
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "has no public hostname that routes to http://localhost:" in output
    assert "Public Hostnames" in output
    assert not edge.runs(), "no tunnel was started"


# --- what an attacker sends to the new paths ----------------------------------------------------

ODD_RESOURCES = [
    "not a url", "https://", "{public}/mcp?x=1", "{public}/mcp#fragment", "{public}/%2e%2e/mcp",
    "{public}//mcp", "{public}/MCP", "{public}/" + "a" * 3000, "HTTPS://" + "x" * 300 + ".example",
]  # fmt: skip


@pytest.mark.parametrize("resource", ODD_RESOURCES, ids=lambda r: r[:24])
def test_odd_resources_get_a_4xx_never_a_500(tunneled, resource):
    _, public = tunneled
    resource = resource.format(public=public)
    redirect_uri = HOSTED_CALLBACKS[0]
    client_id = client_for(public, redirect_uri)
    _, challenge = pkce()
    query = httpx2.QueryParams(
        response_type="code", client_id=client_id, redirect_uri=redirect_uri, state="st",
        code_challenge=challenge, code_challenge_method="S256", resource=resource,
    )  # fmt: skip
    authorize = httpx2.get(f"{public}/authorize?{query}", follow_redirects=False)
    assert authorize.status_code < 500, authorize.text
    if authorize.is_redirect:  # back to the client, with the error
        assert "error=" in authorize.headers["location"]
        assert authorize.headers["location"].startswith(redirect_uri)
    token = httpx2.post(f"{public}/token", data={
        "grant_type": "authorization_code", "code": "not-a-code", "client_id": client_id,
        "redirect_uri": redirect_uri, "code_verifier": "v" * 43, "resource": resource,
    })  # fmt: skip
    assert 400 <= token.status_code < 500 and token.json()["error"], token.text


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD", "OPTIONS"])
def test_the_path_metadata_answers_other_methods_without_a_500(tunneled, method):
    _, public = tunneled
    answer = httpx2.request(method, f"{public}/.well-known/oauth-protected-resource/mcp")
    assert answer.status_code < 500
    nested = httpx2.get(f"{public}/.well-known/oauth-protected-resource/mcp/deeper")
    assert nested.status_code == 404


def test_requests_at_once_through_the_tunnel(tunneled):
    """Ten clients at the same moment, through the edge to one Worker: every answer right."""
    from concurrent.futures import ThreadPoolExecutor

    _, public = tunneled
    token = sign_in(public, public)["access_token"]
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: mcp_request(public, token), range(10)))
    assert [answer.status_code for answer in answers] == [200] * 10
