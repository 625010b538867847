"""The generated Worker under the real toolchain: tsc, wrangler's bundler, workerd."""

import base64
import hashlib
import re
import secrets
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from tests.conftest import TEST_SECRETS, write_env_file
from tests.workerd import wrangler_dev

pytestmark = pytest.mark.integration

REDIRECT_URI = "http://127.0.0.1:9/callback"


def test_typecheck(worker_project: Path):
    result = subprocess.run(
        [str(worker_project / "node_modules/.bin/tsc"), "--noEmit"],
        cwd=worker_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bundles_with_wrangler(worker_project: Path, stateful_project: Path, tmp_path: Path):
    from cfmcp.project import Project
    from cfmcp.wrangler import run_wrangler

    sizes = {}
    for project in (worker_project, stateful_project):
        out = tmp_path / project.name
        result = run_wrangler(Project(project), ["deploy", "--dry-run", "--outdir", str(out)])
        bundle = (out / "index.js").read_text()
        sizes[project] = len(bundle)
        assert "OAUTH_KV" in result.stdout
        stateful = project == stateful_project
        assert ("MCP_OBJECT" in result.stdout) is stateful  # a Durable Object only if stateful
        assert ("McpAgent" in bundle) is stateful
    assert sizes[worker_project] < sizes[stateful_project] / 2


def test_the_stateful_project_type_checks(stateful_project: Path):
    result = subprocess.run(
        [str(stateful_project / "node_modules/.bin/tsc"), "--noEmit"],
        cwd=stateful_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def dev(worker_project: Path, tmp_path_factory):
    env_file = write_env_file(tmp_path_factory.mktemp("env") / "test.env", TEST_SECRETS)
    with wrangler_dev(worker_project, [env_file]) as server:
        yield server


class Browser:
    """Just enough of a browser: keeps cookies (Secure ones too, as browsers do on loopback)."""

    def __init__(self, base_url: str):
        self.client = httpx2.Client(base_url=base_url, follow_redirects=False, timeout=15)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> httpx2.Response:
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in header or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


def register(base_url: str, name: str = "Test <b>Client</b>") -> str:
    response = httpx2.post(
        f"{base_url}/register",
        json={
            "redirect_uris": [REDIRECT_URI],
            "client_name": name,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["client_id"]


def authorize_params(client_id: str, state: str = "client-state") -> dict[str, str]:
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }


def handle_from(page: str) -> str:
    match = re.search(r'name="handle" value="([^"]+)"', page)
    assert match, page
    return unescape(match[1])


def test_authorization_server_metadata(dev):
    metadata = httpx2.get(f"{dev.base_url}/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == dev.base_url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["registration_endpoint"] == f"{dev.base_url}/register"
    assert metadata["authorization_endpoint"] == f"{dev.base_url}/authorize"
    assert metadata["token_endpoint"] == f"{dev.base_url}/token"
    assert "refresh_token" in metadata["grant_types_supported"]
    assert metadata["client_id_metadata_document_supported"] is True
    resource = httpx2.get(f"{dev.base_url}/.well-known/oauth-protected-resource").json()
    assert resource["resource"] == dev.base_url
    assert resource["authorization_servers"] == [dev.base_url]


@pytest.mark.parametrize("path", ["/mcp", "/sse"])
def test_mcp_endpoints_demand_a_token(dev, path):
    for headers in ({}, {"Authorization": "Bearer not-a-real-token"}):
        response = httpx2.get(f"{dev.base_url}{path}", headers=headers)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer")
        assert (
            f'resource_metadata="{dev.base_url}/.well-known/oauth-protected-resource"' in challenge
        )


def test_approval_dialog_names_the_client_and_refuses_a_bad_csrf_token(dev):
    client_id = register(dev.base_url)
    browser = Browser(dev.base_url)
    page = browser.request("GET", "/authorize", params=authorize_params(client_id))
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    html = page.text
    assert "Test &#60;b&#62;Client&#60;/b&#62;" in html  # escaped, never raw markup
    assert "<b>Client</b>" not in html
    assert "127.0.0.1" in html  # the redirect host
    assert 'value="approve"' in html and 'value="deny"' in html
    handle = handle_from(html)

    forged = browser.request("POST", "/authorize", data={"handle": "forged", "decision": "approve"})
    assert forged.status_code == 400
    stranger = httpx2.post(
        f"{dev.base_url}/authorize", data={"handle": handle, "decision": "approve"}
    )
    assert stranger.status_code == 400  # right token, wrong browser (no binding cookie)

    approved = browser.request("POST", "/authorize", data={"handle": handle, "decision": "approve"})
    assert approved.status_code == 302
    upstream = urlparse(approved.headers["location"])
    query = parse_qs(upstream.query)
    assert f"{upstream.scheme}://{upstream.netloc}{upstream.path}" == (
        "https://dash.cloudflare.com/oauth2/auth"
    )
    assert query["client_id"] == [TEST_SECRETS["CLOUDFLARE_CLIENT_ID"]]
    assert query["redirect_uri"] == [f"{dev.base_url}/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0]
    assert "user-details.read" in query["scope"][0]

    # The token works once.
    replay = browser.request("POST", "/authorize", data={"handle": handle, "decision": "approve"})
    assert replay.status_code == 400

    # Approved once: this browser goes straight to Cloudflare for this client next time.
    again = browser.request("GET", "/authorize", params=authorize_params(client_id))
    assert again.status_code == 302
    assert again.headers["location"].startswith("https://dash.cloudflare.com/oauth2/auth?")
    # Another client still gets the dialog.
    other = browser.request("GET", "/authorize", params=authorize_params(register(dev.base_url)))
    assert other.status_code == 200


def test_deny_returns_access_denied_to_the_client(dev):
    client_id = register(dev.base_url)
    browser = Browser(dev.base_url)
    page = browser.request("GET", "/authorize", params=authorize_params(client_id, "s-123"))
    denied = browser.request(
        "POST", "/authorize", data={"handle": handle_from(page.text), "decision": "deny"}
    )
    assert denied.status_code == 302
    location = urlparse(denied.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s-123"]


def test_unregistered_redirect_uri_is_not_followed(dev):
    client_id = register(dev.base_url)
    params = {**authorize_params(client_id), "redirect_uri": "http://127.0.0.1:9/elsewhere"}
    response = httpx2.get(f"{dev.base_url}/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_public_url_is_the_origin_clients_see(worker_project: Path, tmp_path: Path):
    """Behind a proxy: with PUBLIC_URL set, metadata, challenge and redirects use it."""
    public = "https://mcp.example.com"
    env_file = write_env_file(tmp_path / "public.env", {**TEST_SECRETS, "PUBLIC_URL": public})
    with wrangler_dev(worker_project, [env_file]) as server:
        resource = httpx2.get(f"{server.base_url}/.well-known/oauth-protected-resource").json()
        assert resource == {**resource, "resource": public, "authorization_servers": [public]}
        metadata = httpx2.get(f"{server.base_url}/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == public
        assert metadata["authorization_endpoint"] == f"{public}/authorize"
        challenge = httpx2.get(f"{server.base_url}/mcp").headers["www-authenticate"]
        assert f'resource_metadata="{public}/.well-known/oauth-protected-resource"' in challenge
        # A path that reads as another host (//host/...) must not move the server there.
        sneaky = httpx2.get(
            f"{server.base_url}//evil.example/.well-known/oauth-authorization-server"
        )
        assert "evil.example" not in sneaky.text
