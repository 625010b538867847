"""Sign in with Google or any OpenID Connect issuer (`cfmcp init --auth google|oidc`): the
project, its own tests (ID tokens signed by another key, for another audience or issuer,
expired, or with another sign-in's nonce, each refused), `cfmcp dev` with the local issuer and
the Python MCP SDK as the client, `cfmcp up` (no API for OAuth clients: it says what to
register, then takes the id and secret) and what needs an issuer URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit

from cfmcp.dev.local_oauth import DevIdentity
from cfmcp.dev.local_oidc import LocalGoogle, LocalOIDC
from tests.conftest import copy_project, run_cfmcp, sibling_project
from tests.devserver import cfmcp_dev
from tests.fake_cloudflare import isolated_env
from tests.signin import token_request, tokens_for
from tests.test_github import whoami
from tests.test_project_tests import OAUTH_TESTS, TOOL_TESTS, failed, npm_test, passed

pytestmark = pytest.mark.integration

USER = "grace@example.dev"
ISSUER = "https://example.okta.com/oauth2/default"
ID_TOKEN_TESTS = (
    "an ID token signed by a key the issuer does not publish is refused, with no grant",
    "an ID token issued to another application is refused, with no grant",
    "an ID token from another issuer is refused, with no grant",
    "an ID token that has expired is refused, with no grant",
    "an ID token with another sign-in's nonce is refused, with no grant",
    "after a refused ID token, a good one signs in",
    "an address the issuer did not verify is not the user's email",
    "a refreshed ID token for another user ends the sign-in",
    "a refreshed ID token that can't be verified is left out, and the user stays signed in",
)


@pytest.fixture(scope="module")
def google_project(tmp_path_factory, worker_project) -> Path:
    root = tmp_path_factory.mktemp("google") / "google-mcp"
    return sibling_project(root, worker_project, "--auth", "google")


@pytest.fixture(scope="module")
def oidc_project(tmp_path_factory, worker_project) -> Path:
    root = tmp_path_factory.mktemp("oidc") / "oidc-mcp"
    return sibling_project(root, worker_project, "--auth", "oidc", "--issuer", ISSUER)


@pytest.fixture(params=["google", "oidc"])
def project(request) -> Path:
    return request.getfixturevalue(f"{request.param}_project")


def test_init_writes_google_sign_in(google_project):
    assert json.loads((google_project / "cfmcp.json").read_text())["options"]["auth"] == "google"
    upstream = (google_project / "src/upstream.ts").read_text()
    assert 'PROVIDER_NAME = "Google"' in upstream
    openid = (google_project / "src/openid-connect.ts").read_text()
    assert 'from "jose"' in openid and "/.well-known/openid-configuration" in openid
    variables = tomlkit.parse((google_project / "wrangler.toml").read_text())["vars"]
    # developers.google.com/identity/openid-connect/openid-connect: the issuer whose discovery
    # document is https://accounts.google.com/.well-known/openid-configuration, the scopes
    # "openid email profile"; developers.google.com/identity/protocols/oauth2/web-server:
    # access_type=offline for a refresh token, prompt=consent to get one on every consent.
    assert variables["GOOGLE_ISSUER"] == "https://accounts.google.com"
    assert variables["GOOGLE_SCOPES"] == "openid email profile"
    assert variables["GOOGLE_AUTHORIZE_PARAMS"] == "access_type=offline prompt=consent"
    assert "offline_access" not in variables["GOOGLE_SCOPES"], "Google refuses that scope"
    # Google names its issuer with or without the scheme in ID tokens (the same page,
    # "Validate an ID token").
    assert 'issuerAliases: (issuer) => [issuer.replace(/^https:\\/\\//, "")]' in upstream
    assert "GOOGLE_CLIENT_ID=" in (google_project / ".dev.vars.example").read_text()
    package = json.loads((google_project / "package.json").read_text())
    assert package["dependencies"]["jose"] == "6.2.18"


def test_init_writes_the_oidc_issuer(oidc_project):
    variables = tomlkit.parse((oidc_project / "wrangler.toml").read_text())["vars"]
    assert variables["OIDC_ISSUER"] == ISSUER
    assert variables["OIDC_SCOPES"] == "openid email profile offline_access"
    upstream = (oidc_project / "src/upstream.ts").read_text()
    assert "env.OIDC_CLIENT_ID" in upstream and "GOOGLE" not in upstream
    assert "issuerAliases" not in upstream
    openid = (oidc_project / "src/openid-connect.ts").read_text()
    assert 'searchParams.set("resource"' not in openid, "Entra ID refuses `resource`"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auth", "oidc", "--issuer", "http://idp.example.com"], "is not an issuer URL"),
        (["--auth", "oidc", "--issuer", 'https://x.example/"evil'], "is not an issuer URL"),
        (["--auth", "oidc", "--issuer", "https://x.example/?a=1"], "is not an issuer URL"),
        (["--auth", "github", "--issuer", "https://x.example"], "--issuer is for --auth oidc"),
    ],
)
def test_init_refuses_a_bad_issuer_and_writes_nothing(tmp_path, args, message):
    result = run_cfmcp("init", str(tmp_path / "p"), "--no-install", "--no-git", *args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "p").exists()


def test_the_project_tests_itself_and_refuses_bad_id_tokens(project, tmp_path):
    copy = copy_project(project, tmp_path / project.name)
    code, output = npm_test(copy, offline=True)
    assert code == 0, output
    assert passed(output) == {*TOOL_TESTS, *OAUTH_TESTS, *ID_TOKEN_TESTS}, output


def test_a_skipped_nonce_check_fails_the_projects_tests(oidc_project, tmp_path):
    copy = copy_project(oidc_project, tmp_path / "oidc-nonce")
    upstream = copy / "src/openid-connect.ts"
    source = upstream.read_text()
    check = "if (nonce !== undefined && payload.nonce !== nonce) {"
    assert source.count(check) == 1
    upstream.write_text(source.replace(check, "if (false) {"))
    for other in ("tools.test.ts", "oauth.test.ts"):  # the ID-token tests alone: quicker
        (copy / "test" / other).unlink()
    code, output = npm_test(copy)
    assert code != 0
    nonce_test = "an ID token with another sign-in's nonce is refused, with no grant"
    assert nonce_test in failed(output), output
    assert set(ID_TOKEN_TESTS) - {nonce_test} <= passed(output), output


@pytest.mark.parametrize("auth", ["google", "oidc"])
def test_dev_signs_in_with_the_local_issuer(auth, request):
    project = request.getfixturevalue(f"{auth}_project")
    stand_in = LocalGoogle if auth == "google" else LocalOIDC
    with cfmcp_dev(project, "--user", USER) as running:
        assert f"local stand-in for {stand_in.PROVIDER}" in running.log()
        check = run_cfmcp("check", running.url, "--headless", "--json", timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        assert json.loads(check.stdout)["ok"] is True

        tokens = tokens_for(running.url)
        me = whoami(running.url, tokens["access_token"])
        sub = stand_in.subject(DevIdentity(USER))
        assert me == {"id": sub, "email": USER, "name": "Grace"}
        refreshed = token_request(
            running.url, tokens["client_id"],
            grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        )  # fmt: skip
        assert refreshed.status_code == 200, refreshed.text
        assert whoami(running.url, refreshed.json()["access_token"]) == me
        assert f"signed in as {USER}" in running.log()
        assert "refreshed upstream tokens" in running.log()


def test_up_says_what_to_register_then_reads_the_client_from_stdin(google_project, tmp_path, api):
    project = copy_project(google_project, tmp_path / "google-up")
    env = isolated_env(tmp_path, api)
    url = f"https://google-mcp.{api.subdomain}.workers.dev"

    first = run_cfmcp("up", "--yes", cwd=project, env=env)
    assert first.returncode == 1, first.stderr
    message = " ".join(first.stderr.split())
    assert "https://console.cloud.google.com/auth/clients" in message
    assert f"authorized redirect URI {url}/callback" in message
    assert "GOOGLE_CLIENT_ID=... GOOGLE_CLIENT_SECRET=... cfmcp up" in message
    assert not api.namespaces, "nothing is created before up has the client"

    # Piped in: a line that is not NAME=value stops it, and says so without echoing the line.
    bad = run_cfmcp("up", "--yes", "--client-stdin", cwd=project, env=env, input="GOCSPX-shh\n")
    assert bad.returncode == 2 and "Line 1 of standard input" in bad.stderr
    assert "GOCSPX-shh" not in bad.stdout + bad.stderr
    piped = "GOOGLE_CLIENT_ID=123.apps.googleusercontent.com\nGOOGLE_CLIENT_SECRET=GOCSPX-shh\n"
    second = run_cfmcp("up", "--yes", "--json", "--client-stdin", cwd=project, env=env, input=piped)
    assert second.returncode == 0, second.stderr
    put = api.scripts["google-mcp"].secrets
    assert put["GOOGLE_CLIENT_ID"] == "123.apps.googleusercontent.com"
    assert put["GOOGLE_CLIENT_SECRET"] == "GOCSPX-shh" and "CLOUDFLARE_CLIENT_ID" not in put
    assert "GOCSPX-shh" not in second.stdout + second.stderr


def test_an_oidc_project_without_an_issuer(tmp_path, api, worker_project):
    root = tmp_path / "no-issuer"
    made = run_cfmcp("init", str(root), "--auth", "oidc", "--no-install", "--no-git", "--yes")
    assert made.returncode == 0, made.stderr
    assert tomlkit.parse((root / "wrangler.toml").read_text())["vars"]["OIDC_ISSUER"] == ""
    env = isolated_env(tmp_path, api)
    doctor = run_cfmcp("doctor", "--offline", "--json", cwd=root, env=env)
    provider = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}["sign-in provider"]
    assert provider["status"] == "warn" and "OIDC_ISSUER is empty" in provider["message"]
    up = run_cfmcp("up", "--yes", cwd=root, env=env)
    assert up.returncode == 1
    assert "OIDC_ISSUER in wrangler.toml is empty" in " ".join(up.stderr.split())
    assert api.summary() == [], "up stops before any API call"
    deploy = run_cfmcp("deploy", cwd=root, env=env)
    assert deploy.returncode == 1
    assert "OIDC_ISSUER in wrangler.toml is empty" in " ".join(deploy.stderr.split())
    real = run_cfmcp("dev", "--upstream", "real", cwd=root, env=env, timeout=60)
    assert real.returncode == 1
    assert "OIDC_ISSUER in wrangler.toml" in " ".join(real.stderr.split())

    # With the issuer set, up says what to register there (and still creates nothing).
    document = tomlkit.parse((root / "wrangler.toml").read_text())
    document["vars"]["OIDC_ISSUER"] = ISSUER
    (root / "wrangler.toml").write_text(tomlkit.dumps(document))
    (root / "node_modules").symlink_to(worker_project / "node_modules", target_is_directory=True)
    again = " ".join(run_cfmcp("up", "--yes", cwd=root, env=env).stderr.split())
    url = f"https://no-issuer.{api.subdomain}.workers.dev"
    assert "register a confidential web client, once, in your identity provider's" in again
    assert f"with the redirect URI {url}/callback" in again
    assert "offline_access" in again and not api.namespaces


def test_oauth_client_is_refused_for_google(google_project, tmp_path):
    project = copy_project(google_project, tmp_path / "google-oc")
    result = run_cfmcp("oauth-client", "show", cwd=project, env=isolated_env(tmp_path))
    assert result.returncode == 2
    assert "signs in with Google" in result.stderr
    assert "https://console.cloud.google.com/auth/clients" in result.stderr


def test_dev_upstream_real_signs_in_with_the_developers_own_issuer(oidc_project, tmp_path):
    """`--upstream real` with the developer's client in .dev.vars and OIDC_ISSUER in
    wrangler.toml: here the issuer is a loopback server this test runs (it cannot reach a real
    one), shaped like one, and the sign-in goes there and back."""
    from cfmcp.dev.server import BackgroundServer, bind_loopback

    project = copy_project(oidc_project, tmp_path / "oidc-real")
    sock = bind_loopback(0)
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    events: list[str] = []
    local = LocalOIDC(
        client_id="dev-app",
        client_secret="dev-app-secret",
        redirect_uris=[],
        log=events.append,
        base_url=issuer,
    )
    document = tomlkit.parse((project / "wrangler.toml").read_text())
    document["vars"]["OIDC_ISSUER"] = issuer
    (project / "wrangler.toml").write_text(tomlkit.dumps(document))
    dev_vars = "OIDC_CLIENT_ID=dev-app\nOIDC_CLIENT_SECRET=dev-app-secret\n"
    (project / ".dev.vars").write_text(dev_vars)
    with (
        BackgroundServer(local.app(), sock=sock),
        cfmcp_dev(project, "--upstream", "real", env=isolated_env(tmp_path)) as running,
    ):
        local.redirect_uris.append(f"{running.url}/callback")
        assert "OpenID Connect; your OAuth client must allow" in running.log()
        check = run_cfmcp("check", running.url, "--headless", "--json", timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr + running.log()
        assert "signed in as dev@localhost" in events and "issued upstream tokens" in events
    assert "dev-app-secret" not in running.log()
