"""When the identity provider fails, the sign-in ends where OAuth says it should, never in a
500: the MCP client gets `error=server_error` at its redirect URI (RFC 6749, 4.1.2.1), or the
browser a page that says what was refused, and the Worker's log names the cause. A refresh
that meets a failing provider is temporary (503 `temporarily_unavailable`): nobody is signed
out, and the same refresh token works once the provider does.

The providers are cfmcp dev's own stand-ins (GitHub, an OpenID Connect issuer, Cloudflare)
with one answer spoiled at a time, served on loopback to the real Worker under wrangler dev.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from cfmcp.dev.local_cloudflare import LocalCloudflare
from cfmcp.dev.local_github import LocalGitHub
from cfmcp.dev.local_oauth import LocalOAuth
from cfmcp.dev.local_oidc import LocalOIDC
from cfmcp.dev.server import BackgroundServer
from cfmcp.errors import CfmcpError
from cfmcp.headless import authorize_headless
from tests.conftest import free_port, sibling_project, write_env_file
from tests.signin import CALLBACK, authorization_url, pkce, register, token_request
from tests.workerd import DevServer, wrangler_dev

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "upstream-client", "upstream-secret"
COOKIE_KEY = "0123456789abcdef" * 4
ERROR_PAGE = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def nowhere() -> str:
    """A loopback URL nothing listens on: following a redirect there fails like a provider
    that cannot be reached."""
    return f"http://127.0.0.1:{free_port()}/"


@dataclass
class FaultyGitHub(LocalGitHub):
    fault: str = ""

    async def token(self, request: Request) -> Response:
        if self.fault == "token-html":
            return HTMLResponse(ERROR_PAGE)  # HTTP 200, as GitHub's own errors are
        return await super().token(request)

    async def user(self, request: Request) -> Response:
        spoiled: dict[str, Response] = {
            "user-500": HTMLResponse(ERROR_PAGE, status_code=500),
            "user-html": HTMLResponse(ERROR_PAGE),
            "user-null": JSONResponse(None),
            "user-without-id": JSONResponse({"login": "ada", "name": "Ada", "email": None}),
            "api-unreachable": RedirectResponse(nowhere(), status_code=307),
        }
        return spoiled.get(self.fault) or await super().user(request)

    async def emails(self, request: Request) -> Response:
        if self.fault == "emails-object":
            return JSONResponse({"message": "Not a list"})
        return await super().emails(request)


@dataclass
class FaultyIssuer(LocalOIDC):
    fault: str = ""

    def _more_token_fields(self, client_id: str, identity: Any, nonce: str) -> dict:
        import jwt

        fields = super()._more_token_fields(client_id, identity, nonce)
        claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
        if self.fault == "sub-not-a-string":
            claims["sub"] = 12345
        elif self.fault == "iat-in-the-future":
            claims["iat"] += 3600
        else:
            return fields
        token = jwt.encode(claims, self._rsa, algorithm="RS256", headers={"kid": self._kid})
        return {**fields, "id_token": token}


@dataclass
class FaultyCloudflare(LocalCloudflare):
    fault: str = ""

    async def token(self, request: Request) -> Response:
        if self.fault == "token-html":
            return HTMLResponse(ERROR_PAGE)
        if self.fault == "token-unreachable":
            return RedirectResponse(nowhere(), status_code=307)
        return await super().token(request)


@dataclass
class Upstream:
    """The Worker under wrangler dev, signing in with `stand_in`."""

    stand_in: Any
    worker: DevServer

    @property
    def base(self) -> str:
        return self.worker.base_url

    def sign_in(self) -> str:
        """The code the client's redirect URI gets (for `client_id`, with `verifier`);
        CfmcpError when the sign-in ends before."""
        self.verifier, challenge = pkce()
        self.client_id = register(self.base)
        url = authorization_url(self.base, self.client_id, challenge)
        return anyio.run(authorize_headless, url, CALLBACK).code

    def tokens(self) -> dict:
        code = self.sign_in()
        form = {"code": code, "redirect_uri": CALLBACK, "code_verifier": self.verifier}
        answer = token_request(self.base, self.client_id, grant_type="authorization_code", **form)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refresh(self, refresh_token: str) -> httpx2.Response:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return token_request(self.base, self.client_id, **form)

    def refused(self) -> str:
        with pytest.raises(CfmcpError) as refused:
            self.sign_in()
        return str(refused.value)

    def log_since(self, mark: int, expected: str) -> str:
        """The Worker's log after `mark`, once it has `expected` (workerd's console output comes
        a moment after the request's line), or after 10 s without."""
        deadline = time.monotonic() + 10
        while expected not in (log := self.worker.log()[mark:]) and time.monotonic() < deadline:
            time.sleep(0.1)
        return log


RUNNING: list[Upstream] = []


@pytest.fixture(autouse=True)
def answers_unspoiled() -> Iterator[None]:
    """One spoiled answer spoils one test: every stand-in answers well again after it."""
    yield
    for upstream in RUNNING:
        upstream.stand_in.fault = ""


def serve(kind: type[LocalOAuth], project: Path, secrets: dict[str, str]) -> Iterator[Upstream]:
    stand_in = kind(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[])
    server = BackgroundServer(stand_in.app()).start()
    stand_in.base_url = server.url
    values = {**secrets, "COOKIE_ENCRYPTION_KEY": COOKIE_KEY, **kind.dev_values(server.url)}
    env_file = write_env_file(project.parent / "upstream.env", values)
    try:
        with wrangler_dev(project, [env_file]) as worker:
            stand_in.redirect_uris.append(f"{worker.base_url}/callback")
            upstream = Upstream(stand_in, worker)
            RUNNING.append(upstream)
            yield upstream
            RUNNING.remove(upstream)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def github(tmp_path_factory, worker_project) -> Iterator[Upstream]:
    project = sibling_project(
        tmp_path_factory.mktemp("gh") / "gh-mcp", worker_project, "--auth", "github"
    )
    secrets = {"GITHUB_CLIENT_ID": CLIENT_ID, "GITHUB_CLIENT_SECRET": CLIENT_SECRET}
    yield from serve(FaultyGitHub, project, secrets)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory, worker_project) -> Iterator[Upstream]:
    args = ("--auth", "oidc", "--issuer", "https://issuer.example.com")
    project = sibling_project(tmp_path_factory.mktemp("oidc") / "oidc-mcp", worker_project, *args)
    secrets = {"OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET}
    yield from serve(FaultyIssuer, project, secrets)


@pytest.fixture(scope="module")
def cloudflare(worker_project) -> Iterator[Upstream]:
    secrets = {"CLOUDFLARE_CLIENT_ID": CLIENT_ID, "CLOUDFLARE_CLIENT_SECRET": CLIENT_SECRET}
    yield from serve(FaultyCloudflare, worker_project, secrets)


def assert_ends_with_server_error(upstream: Upstream, fault: str, told: str, logged: str):
    mark = len(upstream.worker.log())
    upstream.stand_in.fault = fault
    message = upstream.refused()
    assert message.startswith("Authorization refused: server_error"), message
    assert told in message, message
    log = upstream.log_since(mark, logged)
    assert logged in log, log
    assert "Something went wrong" not in log
    # The fault was the provider's, not the server's: the next sign-in works.
    upstream.stand_in.fault = ""
    assert upstream.sign_in()


@pytest.mark.parametrize(
    ("spoiled", "told", "logged"),
    [
        (
            "token-html",
            "GitHub's token endpoint answered HTTP 200 with something other than JSON",
            "GitHub's token endpoint answered HTTP 200 with text/html, not JSON",
        ),
        (
            "user-500",
            "GitHub's API answered HTTP 500",
            "GitHub's API (/user) answered HTTP 500",
        ),
        (
            "user-html",
            "GitHub's API (/user) answered HTTP 200 with something other than JSON",
            "GitHub's API (/user) answered HTTP 200 with text/html, not JSON",
        ),
        ("user-null", "GitHub's /user answer names no user", "GitHub's /user answered null"),
        (
            "user-without-id",
            "GitHub's /user answer names no user",
            "GitHub's /user answered object, without a numeric id",
        ),
        (
            "api-unreachable",
            "GitHub's API (/user) could not be reached",
            "GitHub's API (/user) could not be reached",
        ),
    ],
)
def test_a_failing_github_ends_the_sign_in_with_server_error(github, spoiled, told, logged):
    assert_ends_with_server_error(github, spoiled, told, logged)


def test_an_odd_email_list_signs_in_without_an_address(github):
    """/user/emails is optional (it needs the user:email scope): an answer that is not a list
    counts as no address, as its failure does, and the sign-in goes on."""
    github.stand_in.fault = "emails-object"
    assert github.tokens()["access_token"]


def test_a_failing_github_at_a_refresh_signs_nobody_out(github):
    tokens = github.tokens()
    for spoiled in ("user-html", "user-null", "user-500", "api-unreachable"):
        github.stand_in.fault = spoiled
        answer = github.refresh(tokens["refresh_token"])
        assert answer.status_code == 503, (spoiled, answer.text)
        assert answer.json()["error"] == "temporarily_unavailable", spoiled
    github.stand_in.fault = ""
    answer = github.refresh(tokens["refresh_token"])
    assert answer.status_code == 200, answer.text


def test_an_id_token_whose_sub_is_not_a_string_ends_with_server_error(issuer):
    assert_ends_with_server_error(
        issuer,
        "sub-not-a-string",
        "names no user (its sub is not a string)",
        "names no user (its sub is not a string)",
    )


def test_an_id_token_issued_in_the_future_is_refused(issuer):
    mark = len(issuer.worker.log())
    issuer.stand_in.fault = "iat-in-the-future"
    message = issuer.refused()
    assert "HTTP 403" in message and "issue time in the future" in message, message
    refused = "Sign-in refused: The ID token has an issue time in the future"
    assert refused in issuer.log_since(mark, refused)
    issuer.stand_in.fault = ""
    assert issuer.sign_in()


@pytest.mark.parametrize(
    ("spoiled", "told", "logged"),
    [
        (
            "token-html",
            "Cloudflare's token endpoint answered HTTP 200 with something other than JSON",
            "Cloudflare's token endpoint answered HTTP 200 with text/html, not JSON",
        ),
        (
            "token-unreachable",
            "Cloudflare's token endpoint could not be reached",
            "Cloudflare's token endpoint could not be reached",
        ),
    ],
)
def test_a_failing_cloudflare_ends_the_sign_in_with_server_error(cloudflare, spoiled, told, logged):
    assert_ends_with_server_error(cloudflare, spoiled, told, logged)
