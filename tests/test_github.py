"""Sign in with GitHub (`cfmcp init --auth github`): the project, its own tests, `cfmcp dev`
with the local GitHub stand-in and the Python MCP SDK as the client, `cfmcp up` (GitHub has no
API for OAuth apps: it says what to register, then takes the id and secret), and what refuses
a GitHub project."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx2
import pytest
import tomlkit

from cfmcp.dev.local_github import github_id
from cfmcp.dev.local_oauth import DevIdentity
from tests.conftest import copy_project, run_cfmcp, sibling_project
from tests.devserver import cfmcp_dev
from tests.fake_cloudflare import isolated_env
from tests.signin import token_request, tokens_for
from tests.test_project_tests import OAUTH_TESTS, TOOL_TESTS, npm_test, passed

pytestmark = pytest.mark.integration

USER = "ada@example.dev"


@pytest.fixture(scope="module")
def github_project(tmp_path_factory, worker_project) -> Path:
    """A GitHub project on the current toolchain; the same packages as the Cloudflare one, so
    it shares that project's node_modules."""
    root = tmp_path_factory.mktemp("github") / "gh-mcp"
    return sibling_project(root, worker_project, "--auth", "github")


def test_init_writes_github_sign_in(github_project):
    state = json.loads((github_project / "cfmcp.json").read_text())
    assert state["options"]["auth"] == "github"
    upstream = (github_project / "src/upstream.ts").read_text()
    assert 'PROVIDER_NAME = "GitHub"' in upstream
    # The real endpoints, as docs.github.com "Authorizing OAuth apps" gives them
    # (https://github.com/login/oauth/authorize and .../access_token) and the REST API's base.
    variables = tomlkit.parse((github_project / "wrangler.toml").read_text())["vars"]
    assert variables["GITHUB_OAUTH_URL"] == "https://github.com/login/oauth"
    assert variables["GITHUB_API_URL"] == "https://api.github.com"
    assert variables["GITHUB_SCOPES"] == "read:user user:email"
    assert "CLOUDFLARE_OAUTH_URL" not in variables
    assert "/authorize" in upstream and "/access_token" in upstream
    assert '"/user"' in upstream and '"/user/emails"' in upstream
    example = (github_project / ".dev.vars.example").read_text()
    assert "GITHUB_CLIENT_ID=" in example and "CLOUDFLARE" not in example


def test_the_github_project_tests_itself(github_project, tmp_path):
    project = copy_project(github_project, tmp_path / "gh-mcp")
    code, output = npm_test(project, offline=True)
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS}, output


def whoami(base: str, access_token: str) -> dict:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def scenario() -> str:
        headers = {"Authorization": f"Bearer {access_token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            answer = await session.call_tool("whoami", {})
            return answer.content[0].text

    return json.loads(anyio.run(scenario))


def test_dev_signs_in_with_the_local_github_stand_in(github_project):
    with cfmcp_dev(github_project, "--user", USER) as running:
        assert "local stand-in for GitHub" in running.log()
        check = run_cfmcp("check", running.url, "--headless", "--json", timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        assert json.loads(check.stdout)["ok"] is True

        tokens = tokens_for(running.url)
        me = whoami(running.url, tokens["access_token"])
        assert me == {
            "id": str(github_id(DevIdentity(USER))),
            "login": "ada",
            "email": USER,  # from /user/emails: the stand-in's /user has none, like GitHub's
            "name": "Ada",
        }
        # A refresh of ours asks GitHub's /user again (an OAuth app's token never expires).
        refreshed = token_request(
            running.url, tokens["client_id"],
            grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        )  # fmt: skip
        assert refreshed.status_code == 200, refreshed.text
        assert whoami(running.url, refreshed.json()["access_token"])["email"] == USER
        assert "signed in as ada@example.dev" in running.log()


def test_up_says_what_to_register_then_takes_the_app(github_project, tmp_path, api):
    project = copy_project(github_project, tmp_path / "gh-up")
    env = isolated_env(tmp_path, api)
    worker = "gh-mcp"  # the copy keeps the project's Worker name
    url = f"https://{worker}.{api.subdomain}.workers.dev"

    first = run_cfmcp("up", "--yes", cwd=project, env=env)
    assert first.returncode == 1, first.stderr
    message = " ".join(first.stderr.split())
    assert "https://github.com/settings/applications/new" in message
    assert f"callback URL {url}/callback" in message
    assert "GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... cfmcp up" in message
    assert not any("oauth_clients" in line for line in api.summary())
    assert not api.namespaces, "nothing is created before up has the app"

    second = run_cfmcp(
        "up", "--yes", "--json", cwd=project,
        env={**env, "GITHUB_CLIENT_ID": "Iv1.abc", "GITHUB_CLIENT_SECRET": "shh-github"},
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    steps = {step["name"]: step["status"] for step in report["steps"]}
    assert steps["OAuth client"] == "skipped" and "Redirect URI" not in steps
    assert report["url"] == url
    put = api.scripts[worker].secrets
    assert put["GITHUB_CLIENT_ID"] == "Iv1.abc" and put["GITHUB_CLIENT_SECRET"] == "shh-github"
    assert len(put["COOKIE_ENCRYPTION_KEY"]) == 64 and "CLOUDFLARE_CLIENT_ID" not in put
    assert "shh-github" not in second.stdout + second.stderr
    assert not any("oauth_clients" in line for line in api.summary())

    # Done: the next run has nothing to ask.
    third = run_cfmcp("up", "--yes", "--json", cwd=project, env=env)
    assert third.returncode == 0, third.stderr


def test_oauth_client_is_cloudflare_only(github_project, tmp_path):
    project = copy_project(github_project, tmp_path / "gh-oc")
    result = run_cfmcp("oauth-client", "show", cwd=project, env=isolated_env(tmp_path))
    assert result.returncode == 2
    assert "signs in with GitHub" in result.stderr
    assert "https://github.com/settings/applications/new" in result.stderr


def test_up_without_a_token_asks_only_for_what_a_deploy_needs(github_project, tmp_path):
    """A GitHub app is registered by hand: the token needs no "OAuth Client Write"."""
    project = copy_project(github_project, tmp_path / "gh-token")
    result = run_cfmcp("up", "--yes", cwd=project, env=isolated_env(tmp_path))
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "CLOUDFLARE_API_TOKEN is not set" in message and "Workers KV Storage Edit" in message
    assert "OAuth Client Write" not in message


def test_upstream_cloudflare_is_refused_for_a_github_project(github_project, tmp_path):
    project = copy_project(github_project, tmp_path / "gh-real")
    result = run_cfmcp("dev", "--upstream", "cloudflare", cwd=project, timeout=60)
    assert result.returncode == 2
    assert "signs in with GitHub" in result.stderr and "--upstream real" in result.stderr
    real = run_cfmcp("dev", "--upstream", "real", cwd=project, env=isolated_env(tmp_path))
    assert real.returncode == 1
    assert "GITHUB_CLIENT_ID" in real.stderr and "/callback" in real.stderr


def test_doctor_and_secrets_know_the_github_secrets(github_project, tmp_path):
    project = copy_project(github_project, tmp_path / "gh-doc")
    env = isolated_env(tmp_path)
    doctor = run_cfmcp("doctor", "--offline", "--json", cwd=project, env=env)
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    provider = checks["sign-in provider"]
    assert provider["status"] == "pass"
    assert provider["message"].startswith("GitHub (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET")
    # `secrets set --local` with no names asks for GitHub's, and takes them from the environment.
    local = run_cfmcp(
        "secrets", "set", "--local", "--json", cwd=project,
        env={**env, "GITHUB_CLIENT_ID": "Iv1.dev", "GITHUB_CLIENT_SECRET": "dev-shh"},
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    dev_vars = (project / ".dev.vars").read_text()
    assert "GITHUB_CLIENT_ID=Iv1.dev" in dev_vars and "CLOUDFLARE" not in dev_vars
    assert "dev-shh" not in local.stdout + local.stderr


# A GitHub App's user tokens, swapped into a copy's stand-in: they expire (8 hours) and come
# with a refresh token that GitHub rotates; a refresh of the old one, or after a revoke, gets
# HTTP 200 with error "bad_refresh_token". Each refresh grant is logged to STUB_LOG.
GITHUB_APP_TOKENS = """
  const refreshTokens = new Map<string, string>();
  function appTokens(email: string): Reply {
    const token = `ghu_${randomBytes(18).toString("hex")}`;
    const refresh = `ghr_${randomBytes(30).toString("hex")}`;
    accessTokens.set(token, email);
    refreshTokens.set(refresh, email);
    return json(200, {
      access_token: token, expires_in: 28800, refresh_token: refresh,
      refresh_token_expires_in: 15811200, token_type: "bearer", scope: "",
    });
  }
  function accessToken(form: URLSearchParams): Reply {
    if (form.get("client_id") !== CLIENT_ID || form.get("client_secret") !== CLIENT_SECRET) {
      return json(200, { error: "incorrect_client_credentials" });
    }
    if (form.get("grant_type") === "refresh_token") {
      const email = refreshTokens.get(form.get("refresh_token") ?? "");
      appendFileSync(process.env.STUB_LOG!, `refresh ${email ?? "refused"}\\n`);
      if (!email) return json(200, { error: "bad_refresh_token" });
      refreshTokens.delete(form.get("refresh_token") ?? "");
      return appTokens(email);
    }
    const pending = redeemCode(codes, form);
    if (!pending) return json(200, { error: "bad_verification_code" });
    return appTokens(pending.email);
  }
"""


def test_github_app_tokens_are_refreshed_with_github(github_project, tmp_path):
    project = copy_project(github_project, tmp_path / "gh-app")
    stub = project / "test/upstream-stub.ts"
    source = stub.read_text()
    start = source.index("  function accessToken(")
    end = source.index("  function api(")
    revoke = (
        "for (const [token, owner] of accessTokens) if (owner === email) "
        "accessTokens.delete(token);"
    )
    assert revoke in source
    stub.write_text(
        'import { appendFileSync } from "node:fs";\n'
        + source[:start]
        + GITHUB_APP_TOKENS
        + "\n"
        + source[end:].replace(revoke, revoke + " refreshTokens.clear();")
    )
    log = tmp_path / "refreshes.log"
    log.touch()
    code, output = npm_test(project, env={"STUB_LOG": str(log)})
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS}, output
    # Our refreshes refreshed GitHub's tokens; after the revoke GitHub refused, and so did we.
    refreshes = log.read_text().splitlines()
    assert "refresh dev@example.com" in refreshes and "refresh ada@example.com" in refreshes
    assert "refresh refused" in refreshes
