"""No sign-in (`cfmcp init --auth none`): a public server. `/mcp` answers anyone, there is no
`/authorize`, and nothing that sign-in needs is made: no OAUTH_KV, no secrets, no OAuth
client, no local stand-in. The commands that would make them say why there is nothing to do."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx2
import pytest
import tomlkit

from tests.conftest import copy_project, run_cfmcp, sibling_project
from tests.devserver import cfmcp_dev
from tests.fake_cloudflare import isolated_env
from tests.test_hardening_input import assert_declared_bodies_are_handled
from tests.test_project_tests import npm_test, passed

pytestmark = pytest.mark.integration

ERAS = ("modern", "legacy")
PUBLIC_TESTS = {
    "/mcp answers without a token",
    "there is no sign-in: /authorize, /token, /register and the OAuth metadata are 404",
    "a browser page from another site is refused",
    "add adds two numbers",
    "add refuses arguments that are not numbers",
    "whoami says nobody signed in",
    "clients of the 2025 protocol get the same tools",
    *(f"about is listed and read ({era} protocol)" for era in ERAS),
    *(f"summarize is listed and fills in its text ({era} protocol)" for era in ERAS),
}
SIGN_IN_FILES = (
    "src/oauth.ts",
    "src/auth-handler.ts",
    "src/approval-dialog.ts",
    "src/refresh-once.ts",
    "src/refresh-gate.ts",
    "src/token-reuse.ts",
    "src/token-cache.ts",
    "src/resource.ts",
    "src/upstream-kit.ts",
    "test/oauth.test.ts",
    "test/upstream-stub.ts",
)


@pytest.fixture(scope="module")
def public_project(tmp_path_factory, worker_project) -> Path:
    """A public project on the current toolchain: the same packages, so it shares the
    Cloudflare project's node_modules."""
    root = tmp_path_factory.mktemp("public") / "public-mcp"
    return sibling_project(root, worker_project, "--auth", "none")


def test_init_writes_a_public_server(public_project):
    assert json.loads((public_project / "cfmcp.json").read_text())["options"]["auth"] == "none"
    for name in SIGN_IN_FILES:
        assert not (public_project / name).exists(), name
    document = tomlkit.parse((public_project / "wrangler.toml").read_text())
    assert "kv_namespaces" not in document and "ratelimits" not in document
    assert "triggers" not in document
    env_types = (public_project / "src/env.d.ts").read_text()
    assert "OAUTH_KV" not in env_types and "COOKIE_ENCRYPTION_KEY" not in env_types
    readme = (public_project / "README.md").read_text()
    assert "anyone who knows its URL can call its\ntools" in readme
    assert "| `/authorize`" not in readme  # no OAuth endpoints listed


def test_init_refuses_a_stateful_public_server(tmp_path):
    result = run_cfmcp(
        "init", str(tmp_path / "p"), "--auth", "none", "--stateful", "--no-install", "--no-git"
    )
    assert result.returncode == 2
    assert "--stateful needs sign-in" in result.stderr
    assert not (tmp_path / "p").exists()


def test_the_public_project_tests_itself(public_project, tmp_path):
    project = copy_project(public_project, tmp_path / "public-mcp")
    code, output = npm_test(project, offline=True)
    assert code == 0, output
    assert passed(output) == PUBLIC_TESTS, output


def call_add_without_a_token(base: str) -> str:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def scenario() -> str:
        async with (
            httpx2.AsyncClient(timeout=30) as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            answer = await session.call_tool("add", {"a": 2, "b": 40})
            return answer.content[0].text

    return anyio.run(scenario)


def test_dev_serves_it_without_a_sign_in(public_project):
    with cfmcp_dev(public_project) as running:
        log = running.log()
        assert "Sign-in" in log and "none: anyone can call /mcp" in log
        assert "signin │" not in log, "no stand-in runs"
        check = run_cfmcp("check", running.url, "--headless", "--json", timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        report = json.loads(check.stdout)
        names = [step["name"] for step in report["steps"]]
        assert "401 challenge" not in names and "token" not in names
        assert names[-1] == "sign-in" and report["ok"] is True
        assert call_add_without_a_token(running.url) == "42"
        assert httpx2.get(f"{running.url}/authorize", timeout=10).status_code == 404
        # Anyone may call it, so a body over 4 MiB is refused, not read into memory.
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        }
        huge = httpx2.post(
            f"{running.url}/mcp", content=b" " * (4 * 1024 * 1024 + 1), headers=headers, timeout=60
        )
        assert huge.status_code == 413, huge.text[:300]
        assert_declared_bodies_are_handled(running, signed_in=False)


def test_up_deploys_with_no_kv_and_no_secrets(public_project, tmp_path, api):
    project = copy_project(public_project, tmp_path / "public-up")
    env = isolated_env(tmp_path, api)
    result = run_cfmcp("up", "--yes", "--json", cwd=project, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["KV namespace"]["status"] == "skipped"
    assert steps["OAuth client"]["status"] == "skipped"
    assert steps["Deploy"]["status"] == "done"
    assert not api.namespaces
    assert api.scripts["public-mcp"].secrets == {}
    assert not any("oauth_clients" in line for line in api.summary())


def test_what_has_nothing_to_do_says_so(public_project, tmp_path):
    project = copy_project(public_project, tmp_path / "public-cmds")
    env = isolated_env(tmp_path)
    kv = run_cfmcp("kv", "create", cwd=project, env=env)
    assert kv.returncode == 2 and "needs no KV namespace" in kv.stderr
    client = run_cfmcp("oauth-client", "show", cwd=project, env=env)
    assert client.returncode == 2 and "has no OAuth client" in client.stderr
    real = run_cfmcp("dev", "--upstream", "real", cwd=project, env=env)
    assert real.returncode == 2 and "no sign-in" in real.stderr
    local = run_cfmcp("secrets", "set", "--local", cwd=project, env=env)
    assert local.returncode == 0, local.stderr
    assert "Nothing to set" in local.stderr and not (project / ".dev.vars").exists()
    # On Cloudflare too, signed in or not: nothing is asked of wrangler.
    remote = run_cfmcp("secrets", "set", cwd=project, env=env)
    assert remote.returncode == 0, remote.stderr
    assert "Nothing to set" in remote.stderr and "Not signed in" not in remote.stderr
    cursor = run_cfmcp(
        "client-config", "cursor", "--local", "--scope", "project", cwd=project, env=env
    )
    assert cursor.returncode == 0, cursor.stderr
    assert "connects with no sign-in" in cursor.stderr
    doctor = run_cfmcp("doctor", "--offline", "--json", cwd=project, env=env)
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert checks["sign-in provider"]["status"] == "pass"
    assert "KV namespace" not in checks
