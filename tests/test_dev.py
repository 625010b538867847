"""`cfmcp dev` for real: wrangler, workerd and the local sign-in, with real MCP clients."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
import pytest

from cfmcp.dev.supervisor import port_in_use
from cfmcp.headless import authorize_headless
from cfmcp.process import group_alive, wait_group_gone
from tests.conftest import copy_project, free_port, run_cfmcp
from tests.devserver import cfmcp_dev
from tests.signin import (
    CALLBACK,
    authorization_url,
    get_code,
    mcp_initialize,
    pkce,
    register,
    token_request,
    tokens_for,
)
from tests.test_worker import Browser, handle_from

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dev_project(worker_project: Path, tmp_path_factory) -> Path:
    return copy_project(worker_project, tmp_path_factory.mktemp("dev") / "dev-mcp")


@pytest.fixture(scope="module")
def dev(dev_project: Path):
    # Upstream tokens (and so the Worker's) last 60 s, KV's minimum, for the expiry test.
    with cfmcp_dev(dev_project, "--user", "ada@example.dev", "--token-ttl", "60") as running:
        yield running


# --- the happy paths -----------------------------------------------------------------------


def test_sdk_oauth_client_calls_add_and_whoami(dev):
    """The Python MCP SDK's own OAuth client, with a headless 'browser', end to end."""
    from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata

    class Storage:
        tokens = client_info = None

        async def get_tokens(self):
            return self.tokens

        async def set_tokens(self, tokens):
            self.tokens = tokens

        async def get_client_info(self):
            return self.client_info

        async def set_client_info(self, info):
            self.client_info = info

    redirects: dict = {}

    async def redirect_handler(url: str) -> None:
        redirects["result"] = await authorize_headless(url, CALLBACK)

    async def callback_handler() -> AuthorizationCodeResult:
        found = redirects["result"]
        return AuthorizationCodeResult(code=found.code, state=found.state, iss=found.iss)

    async def scenario() -> tuple[Any, str, str]:
        provider = OAuthClientProvider(
            server_url=f"{dev.url}/mcp",
            client_metadata=OAuthClientMetadata(
                client_name="sdk test",
                redirect_uris=[CALLBACK],
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
                token_endpoint_auth_method="none",
            ),
            storage=Storage(),
            redirect_handler=redirect_handler,
            callback_handler=callback_handler,
        )
        async with (
            httpx2.AsyncClient(auth=provider, timeout=30) as http,
            streamable_http_client(f"{dev.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            hello = await session.initialize()
            added = await session.call_tool("add", {"a": 2, "b": 40})
            whoami = await session.call_tool("whoami", {})
            return hello.capabilities, added.content[0].text, whoami.content[0].text

    capabilities, added, whoami = anyio.run(scenario)
    # A server that lives for one request declares only what it does: no list_changed notices.
    assert capabilities.tools is not None and not capabilities.tools.list_changed
    assert added == "42"
    user = json.loads(whoami)
    assert user["email"] == "ada@example.dev"
    assert "accessToken" not in whoami and "refreshToken" not in whoami
    assert user["accounts"][0]["name"] == "ada@example.dev's Account"


def test_cfmcp_check_as_a_program_loads_the_sdks_client_and_not_its_server(dev):
    # Python's own import log of the real command: the lean import is what a user runs, and a
    # change in the SDK that made it fall back would show here, not only as a slower check.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cfmcp", "check", dev.url, "--headless",
         "--json", "--era", "modern", "--transport", "mcp"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert json.loads(result.stdout)["ok"] is True
    # (The client modules themselves are loaded through importlib, which the log leaves out;
    # the passed check is their witness.)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "cfmcp.check" in imported  # the log is there
    server_side = ("mcp.server", "uvicorn", "starlette", "sse_starlette")
    assert not [name for name in imported if name.startswith(server_side)]


def test_cfmcp_check_headless_passes_in_both_eras_on_mcp_and_the_sse_alias(dev):
    result = run_cfmcp("check", dev.url, "--headless", "--json", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    steps = {step["name"]: step for step in report["steps"]}
    oauth = [
        "401 challenge",
        "protected-resource metadata",
        "authorization-server metadata",
        "client registration",
        "authorization (PKCE S256)",
        "token",
    ]
    assert [step["name"] for step in report["steps"]][: len(oauth)] == oauth
    for where in ("/mcp", "/sse alias"):
        modern, legacy = f"({where}, 2026-07-28)", f"({where}, 2025)"
        assert steps[f"server/discover {modern}"]["detail"].endswith("protocol 2026-07-28")
        assert steps[f"initialize {legacy}"]["detail"].endswith("protocol 2025-11-25")
        for label in (modern, legacy):
            assert steps[f"tools/list {label}"]["detail"] == "add, whoami"
            assert steps[f"tools/call add {label}"]["detail"] == "42 (expected 42)"
    assert not any("HTTP+SSE" in name for name in steps)  # a stateless server has none
    assert all(step["ok"] for step in report["steps"])


def test_cfmcp_check_one_era(dev):
    result = run_cfmcp(
        "check", dev.url, "--headless", "--json", "--era", "modern", "--transport", "mcp"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = [step["name"] for step in json.loads(result.stdout)["steps"]][6:]
    assert names == [
        "server/discover (/mcp, 2026-07-28)",
        "tools/list (/mcp, 2026-07-28)",
        "tools/call add (/mcp, 2026-07-28)",
    ]
    bad = run_cfmcp("check", dev.url, "--headless", "--era", "future")
    assert bad.returncode == 2 and "--era must be modern, legacy or both" in bad.stderr


def test_cfmcp_check_finds_the_running_dev_server(dev, dev_project):
    result = run_cfmcp("check", "--headless", cwd=dev_project, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checking {dev.url}" in result.stderr
    assert "42 (expected 42)" in result.stderr
    # One table: every step's time in the same column, the /sse alias rows' too.
    steps = [line for line in result.stderr.splitlines() if line.startswith("✓ ") and " ms" in line]
    assert any("/sse alias" in line for line in steps)
    assert len({line.index(" ms") for line in steps}) == 1, "\n".join(steps)


def test_cfmcp_check_interactive_catches_the_browser_redirect(dev, monkeypatch):
    """Without --headless, check opens the browser and catches the redirect on a loopback port;
    the 'browser' here approves and signs in, then follows the redirect to that port."""
    import threading
    import webbrowser

    from cfmcp.check import run_check
    from cfmcp.headless import AuthorizationRedirect

    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)

        def sign_in() -> None:
            redirect_uri = parse_qs(urlparse(url).query)["redirect_uri"][0]
            found: AuthorizationRedirect = anyio.run(authorize_headless, url, redirect_uri)
            query = httpx2.QueryParams({"code": found.code, "state": found.state, "iss": found.iss})
            page = httpx2.get(f"{redirect_uri}?{query}")  # the loopback catcher answers
            assert "Signed in" in page.text

        threading.Thread(target=sign_in, daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = anyio.run(lambda: run_check(dev.url, transports=("mcp",), sign_in_timeout=60))
    assert result.ok, result.error
    assert len(opened) == 1 and opened[0].startswith(f"{dev.url}/authorize?")
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in opened[0]


def test_cfmcp_check_fails_with_the_failing_step(dev):
    result = run_cfmcp("check", dev.url, "--headless", "--tool", "add", "--expect", "41")
    assert result.returncode == 1
    assert "check failed at tools/call add" in result.stderr
    missing = run_cfmcp("check", dev.url, "--headless", "--tool", "nope", "--transport", "sse")
    assert missing.returncode == 1 and "no tool 'nope'" in missing.stderr


def test_client_config_local_follows_the_running_dev_server(dev, dev_project, tmp_path):
    result = run_cfmcp(
        "client-config", "cursor", "--local", "--print", cwd=dev_project,
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Its own name beside the deployed entry's, and no warning: dev is running.
    assert json.loads(result.stdout)["demo-mcp-local"]["url"] == f"http://localhost:{dev.port}/mcp"
    assert "No cfmcp dev is running" not in result.stderr


def test_headless_refuses_remote_servers():
    result = run_cfmcp("check", "https://example.com", "--headless")
    assert result.returncode == 2
    assert "not a loopback URL" in result.stderr


def test_dev_panel_and_logs(dev):
    log = dev.log()
    panel = log.split("signin │")[0]
    assert f"http://localhost:{dev.port}/mcp" in panel
    assert "/sse" not in panel  # no SSE advice for a stateless server
    assert f"npx -y mcp-remote http://localhost:{dev.port}/mcp" in panel
    assert "client-config" in panel
    assert "signin │ signed in as ada@example.dev" in log
    assert "worker │ [wrangler:info]" in log


# --- the bad paths -------------------------------------------------------------------------


def test_wrong_pkce_verifier_is_refused(dev):
    client_id, code, _ = get_code(dev.url)
    response = token_request(
        dev.url,
        client_id,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier="w" * 43,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_reused_code_is_refused(dev):
    client_id, code, verifier = get_code(dev.url)
    form = dict(
        grant_type="authorization_code", code=code, redirect_uri=CALLBACK, code_verifier=verifier
    )
    assert token_request(dev.url, client_id, **form).status_code == 200
    again = token_request(dev.url, client_id, **form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_unregistered_redirect_uri_is_refused(dev):
    client_id = register(dev.url)
    _, challenge = pkce()
    url = authorization_url(dev.url, client_id, challenge).replace(
        "127.0.0.1%3A9%2Fcallback", "127.0.0.1%3A9%2Felsewhere"
    )
    response = httpx2.get(url, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_bad_bearer_tokens_are_refused(dev):
    tokens = tokens_for(dev.url)
    assert mcp_initialize(dev.url, tokens["access_token"]).status_code == 200
    for bad in ("nope", tokens["access_token"][:-2] + "xx", tokens["refresh_token"]):
        response = mcp_initialize(dev.url, bad)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_forged_csrf_token_and_tampered_approval_cookie(dev):
    client_id = register(dev.url)
    _, challenge = pkce()
    browser = Browser(dev.url)
    page = browser.request("GET", authorization_url(dev.url, client_id, challenge))
    assert page.status_code == 200
    forged = browser.request("POST", "/authorize", data={"handle": "f" * 43, "decision": "approve"})
    assert forged.status_code == 400
    approved = browser.request(
        "POST", "/authorize", data={"handle": handle_from(page.text), "decision": "approve"}
    )
    assert approved.status_code == 302
    # Remembered: straight to sign-in...
    again = browser.request("GET", authorization_url(dev.url, client_id, challenge))
    assert again.status_code == 302
    # ...unless the approval cookie is tampered with: then the dialog is back.
    name = next(n for n in browser.cookies if n.endswith("approvals"))
    value = browser.cookies[name]
    browser.cookies[name] = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    tampered = browser.request("GET", authorization_url(dev.url, client_id, challenge))
    assert tampered.status_code == 200 and 'value="approve"' in tampered.text


def test_denied_consent_and_cancelled_sign_in(dev):
    client_id = register(dev.url)
    _, challenge = pkce()
    browser = Browser(dev.url)
    page = browser.request("GET", authorization_url(dev.url, client_id, challenge, "s-deny"))
    denied = browser.request(
        "POST", "/authorize", data={"handle": handle_from(page.text), "decision": "deny"}
    )
    query = parse_qs(urlparse(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s-deny"]

    # Approve here, then Cancel at the (local) Cloudflare sign-in: the client hears access_denied.
    page = browser.request("GET", authorization_url(dev.url, register(dev.url), challenge, "s-2"))
    approved = browser.request(
        "POST", "/authorize", data={"handle": handle_from(page.text), "decision": "approve"}
    )
    signin_url = approved.headers["location"]
    signin_browser = httpx2.Client()  # keeps the sign-in page's CSRF cookie
    signin = signin_browser.get(signin_url)
    fields = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', signin.text)}
    cancelled = signin_browser.post(
        signin_url.split("?")[0], data={**fields, "decision": "cancel"}, follow_redirects=False
    )
    back = browser.request("GET", cancelled.headers["location"])
    query = parse_qs(urlparse(back.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s-2"]


def test_a_minute_later_expired_tokens_are_refused_and_replays_end_the_grant(dev):
    """What takes a minute, over one wait. An access token past its lifetime (the upstream's,
    mirrored) is refused, and a refresh brings one that works. And the theft the provider's
    grace for the previous refresh token would let through: a stolen token the client already
    exchanged, replayed after the retry minute while it is still the previous one, ends the
    grant for both parties (the variants share this oauth.ts)."""
    from tests.test_hardening_refresh import REPLAY_AFTER, refresh

    expiring = tokens_for(dev.url)
    assert expiring["expires_in"] <= 60  # mirrors the upstream token's lifetime
    assert mcp_initialize(dev.url, expiring["access_token"]).status_code == 200
    stolen = tokens_for(dev.url)
    legitimate = refresh(dev.url, stolen["client_id"], stolen["refresh_token"]).json()
    time.sleep(max(expiring["expires_in"], REPLAY_AFTER) + 3)

    expired = mcp_initialize(dev.url, expiring["access_token"])
    assert expired.status_code == 401
    refreshed = token_request(
        dev.url,
        expiring["client_id"],
        grant_type="refresh_token",
        refresh_token=expiring["refresh_token"],
    )
    assert refreshed.status_code == 200, refreshed.text
    assert mcp_initialize(dev.url, refreshed.json()["access_token"]).status_code == 200
    assert "signin │ refreshed upstream tokens" in dev.log()

    replay = refresh(dev.url, stolen["client_id"], stolen["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    ended = refresh(dev.url, stolen["client_id"], legitimate["refresh_token"])
    assert ended.status_code == 400, ended.text  # the legitimate client's grant ended too
    assert "exchanged again, long after" in dev.log()


def test_upstream_cloudflare_uses_the_developers_own_client(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "real-upstream")
    dev_vars = project / ".dev.vars"
    dev_vars.write_text(
        "# my dev client\nCLOUDFLARE_CLIENT_ID=my-dev-client\n"
        "CLOUDFLARE_CLIENT_SECRET=my-dev-secret\nMY_OWN_KEY=kept\n"
        "CLOUDFLARE_SCOPES='user-details.read$HOME account.read'\n"
    )
    dev_vars.chmod(0o600)
    with cfmcp_dev(project, "--upstream", "cloudflare") as running:
        log = running.log()
        assert f"http://localhost:{running.port}/callback" in log  # the URI to register
        assert "my-dev-secret" not in log
        client_id = register(running.url)
        _, challenge = pkce()
        browser = Browser(running.url)
        page = browser.request("GET", authorization_url(running.url, client_id, challenge))
        approved = browser.request(
            "POST", "/authorize", data={"handle": handle_from(page.text), "decision": "approve"}
        )
        location = urlparse(approved.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            "https://dash.cloudflare.com/oauth2/auth"
        )
        query = parse_qs(location.query)
        assert query["client_id"] == ["my-dev-client"]
        assert query["scope"] == ["user-details.read$HOME account.read"]  # no $ expansion
        assert query["redirect_uri"] == [f"{running.url}/callback"]
    assert "MY_OWN_KEY=kept\n" in dev_vars.read_text()  # untouched


def test_upstream_cloudflare_without_a_client_says_how_to_get_one(worker_project, tmp_path):
    from tests.fake_cloudflare import isolated_env

    project = copy_project(worker_project, tmp_path / "no-client")
    result = run_cfmcp(
        "dev", "--upstream", "cloudflare", "--port", str(free_port()),
        cwd=project, env=isolated_env(tmp_path), timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "cfmcp oauth-client create --dev" in result.stderr
    assert "/callback" in result.stderr


def test_tools_never_see_the_refresh_token(worker_project, tmp_path):
    """Cloudflare's refresh token stays in the encrypted grant; `user()` has the rest."""
    project = copy_project(worker_project, tmp_path / "props")
    tools = project / "src" / "tools.ts"
    source = tools.read_text()
    anchor = "export function registerTools(server: McpServer, user: () => UserProps) {\n"
    assert anchor in source
    tools.write_text(
        source.replace(
            anchor,
            anchor + '  server.registerTool("propkeys", { description: "test" }, async () => '
            '({ content: [{ type: "text", text: Object.keys(user()).sort().join(",") }] }));\n',
        )
    )
    with cfmcp_dev(project) as running:
        result = run_cfmcp(
            "check", running.url, "--headless", "--tool", "propkeys", "--expect",
            "accessToken,accessTokenExpiresAt,accounts,email,name,userId",
        )  # fmt: skip
    assert result.returncode == 0, result.stderr


# --- process handling ----------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_everything_on_ctrl_c_and_sigterm(worker_project, tmp_path, sig):
    project = copy_project(worker_project, tmp_path / "stop-test")
    with cfmcp_dev(project) as running:
        wrangler = running.wrangler_pid
        assert group_alive(wrangler)
        running.process.send_signal(sig)
        assert running.process.wait(timeout=20) == 128 + sig  # 130 for Ctrl-C, as shells say
        assert "Stopped the Worker" in running.log()
    assert wait_group_gone(wrangler, timeout=5)
    assert not port_in_use(running.port)
    assert not (project / ".wrangler" / f"cfmcp-dev-{running.port}.json").exists()


def test_stop_while_starting_leaves_nothing(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "early-stop")
    scratch = tmp_path / "tmp"  # this test's own temporary root: other runs can't disturb it
    scratch.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cfmcp", "dev", "--port", str(port)],
        cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True, text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not processes_mentioning(f"dev --port {port} --ip"):
            assert time.monotonic() < deadline, "wrangler never started"
            time.sleep(0.05)
        assert not port_in_use(port)  # still starting: workerd is not listening yet
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "Traceback" not in output
    assert process.returncode == 128 + signal.SIGTERM
    time.sleep(1)
    assert [p for p in processes_mentioning(f"--port {port}") if "wrangler" in p] == []
    assert list(scratch.glob("cfmcp-dev-*")) == []
    assert not (project / ".wrangler" / f"cfmcp-dev-{port}.json").exists()


def test_killed_cfmcp_dev_takes_wrangler_along_and_leaves_no_secret_on_disk(
    worker_project, tmp_path
):
    """Even SIGKILL, which cfmcp cannot catch: wrangler (and workerd) stop with it, and the
    Worker's secrets never touched the disk (a memfd, read through /dev/fd/N)."""
    import tempfile

    project = copy_project(worker_project, tmp_path / "killed")
    with cfmcp_dev(project) as running:
        wrangler = running.wrangler_pid
        cmdline = Path(f"/proc/{wrangler}/cmdline").read_bytes().split(b"\0")
        env_file = cmdline[cmdline.index(b"--env-file") + 1].decode()
        assert env_file.startswith("/dev/fd/")
        target = os.readlink(f"/proc/{wrangler}/fd/{env_file.rsplit('/', 1)[1]}")
        assert target.startswith("/memfd:")
        os.killpg(running.process.pid, signal.SIGKILL)
        running.process.wait(timeout=10)
        assert wait_group_gone(wrangler, timeout=15), "wrangler outlived a killed cfmcp dev"
        assert not port_in_use(running.port)
    assert list(Path(tempfile.gettempdir()).glob(f"cfmcp-dev-{running.process.pid}-*")) == []
    assert list(project.rglob("*.env")) == []


def test_the_sign_in_port_can_be_pinned(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "pinned")
    signin_port = free_port()
    with cfmcp_dev(project, "--signin-port", str(signin_port)) as running:
        assert f"http://127.0.0.1:{signin_port}" in running.log()
        assert running.record["signin_url"] == f"http://127.0.0.1:{signin_port}"
        busy = run_cfmcp(
            "dev", "--port", str(free_port()), "--signin-port", str(signin_port), cwd=project
        )
    assert busy.returncode == 1
    assert f"Port {signin_port} for the local sign-in is already in use" in busy.stderr
    assert "--signin-port" in busy.stderr


def test_port_in_use_is_a_clear_error(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "busy")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cfmcp("dev", "--port", str(port), cwd=project, timeout=60)
    assert result.returncode == 1
    assert f"Port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_node_modules_is_a_clear_error(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "bare")
    (project / "node_modules").unlink()
    result = run_cfmcp("dev", "--port", str(free_port()), cwd=project, timeout=60)
    assert result.returncode == 1
    assert "packages are not installed" in result.stderr and "npm ci" in result.stderr


def test_broken_worker_is_a_clear_error_and_leaves_nothing(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "broken")
    index = project / "src" / "index.ts"
    index.write_text(index.read_text() + "\nthis is not typescript(\n")
    port = free_port()
    result = run_cfmcp("dev", "--port", str(port), cwd=project, timeout=120)
    assert result.returncode == 1
    assert "The Worker does not build" in result.stderr
    assert "src/index.ts:" in result.stderr  # where, from esbuild's own message
    assert "Traceback" not in result.stderr
    assert not port_in_use(port)
    assert processes_mentioning(f"--port {port}") == []


def test_a_build_error_is_reported_at_once_by_dev_and_check(worker_project, tmp_path):
    """wrangler dev keeps running after a failed build and holds every request until a good
    one: cfmcp dev records the error, and check reports it instead of waiting for a timeout."""
    project = copy_project(worker_project, tmp_path / "rebuild")
    tools = project / "src" / "tools.ts"
    good = tools.read_text()
    with cfmcp_dev(project) as running:
        record_path = project / ".wrangler" / f"cfmcp-dev-{running.port}.json"

        def build_error() -> str | None:
            return json.loads(record_path.read_text()).get("build_error")

        tools.write_text(good + "\nexport const broken = (;\n")
        wait_until(lambda: build_error() is not None and "src/tools.ts:" in build_error())
        result = run_cfmcp("check", "--headless", cwd=project, timeout=60)
        assert result.returncode == 1
        assert "The Worker does not build" in result.stderr
        assert 'Unexpected ";"' in result.stderr and "src/tools.ts:" in result.stderr
        assert "Traceback" not in result.stderr

        tools.write_text(good)
        wait_until(lambda: build_error() is None)
        again = run_cfmcp("check", "--headless", "--transport", "mcp", cwd=project, timeout=60)
        assert again.returncode == 0, again.stderr


def test_check_headless_without_dev_says_how_to_start_it(worker_project, tmp_path):
    project = copy_project(worker_project, tmp_path / "not-running")
    result = run_cfmcp("check", "--headless", cwd=project)
    assert result.returncode == 1
    assert "No cfmcp dev is running for this project" in result.stderr
    assert "`cfmcp dev`" in result.stderr
    assert "loopback" not in result.stderr


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (OSError, ValueError):
            pass
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.1)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain `text` (read-only, from /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text in args and state != "Z":
            found.append(args)
    return found


def test_outside_a_project(tmp_path):
    result = run_cfmcp("dev", cwd=tmp_path)
    assert result.returncode == 1
    assert "No wrangler.toml" in result.stderr
