"""The contract every local sign-in stand-in keeps (LocalOAuth and each provider's subclass),
run on each one served for real on a loopback port: the page can't be framed or cached, its
form is bound to the browser, a code is single-use and PKCE-bound, client credentials are
checked, refresh tokens rotate, and only loopback host names are answered. Each provider's own
paths and JSON are tested in tests/test_local_<provider>.py."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from cfmcp.dev.local_cloudflare import LocalCloudflare
from cfmcp.dev.local_github import LocalGitHub
from cfmcp.dev.local_oauth import DevIdentity, LocalOAuth
from cfmcp.dev.local_oidc import LocalGoogle, LocalOIDC
from cfmcp.dev.server import BackgroundServer, bind_loopback
from tests.test_local_cloudflare import pkce

REDIRECT = "http://localhost:8788/callback"
STAND_INS = [LocalCloudflare, LocalGitHub, LocalOIDC, LocalGoogle]


@pytest.fixture(params=STAND_INS, ids=lambda kind: kind.__name__)
def stand_in(request):
    kind: type[LocalOAuth] = request.param
    sock = bind_loopback(0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    local = kind(
        client_id="dev-client",
        client_secret="dev-secret",
        redirect_uris=[REDIRECT],
        identity=DevIdentity("ada@example.dev"),
        base_url=base,
    )
    server = BackgroundServer(local.app(), sock=sock).start()
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=10)
    client.kind = kind
    try:
        yield client
    finally:
        client.close()
        server.stop()


def authorize_params(challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "dev-client",
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }


def page_fields(page: httpx2.Response) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}


def sign_in(client, challenge: str, decision: str = "allow") -> httpx2.Response:
    path = client.kind.AUTHORIZE_PATH
    page = client.get(path, params=authorize_params(challenge))
    assert page.status_code == 200, page.text
    return client.post(path, data={**page_fields(page), "decision": decision})


def code_of(response: httpx2.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def token(client, secret: str = "dev-secret", **form: str) -> httpx2.Response:
    return client.post(
        client.kind.TOKEN_PATH,
        data={"client_id": "dev-client", "client_secret": secret, **form},
        headers={"Accept": "application/json"},
    )


def granted(response: httpx2.Response) -> bool:
    """Tokens issued (GitHub answers refusals with HTTP 200 and an `error` field)."""
    return response.status_code == 200 and "access_token" in response.json()


def exchange(client, code: str, verifier: str, **extra: str) -> httpx2.Response:
    return token(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        code_verifier=verifier, **extra,
    )  # fmt: skip


def test_the_page_is_not_framed_or_cached(stand_in):
    _, challenge = pkce()
    page = stand_in.get(stand_in.kind.AUTHORIZE_PATH, params=authorize_params(challenge))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert stand_in.kind.PROVIDER in page.text
    # Behind `cfmcp dev --tunnel` the Worker is public; this page is not, and says so.
    assert "answers only on this computer" in " ".join(page.text.split())


def test_unknown_clients_and_unregistered_redirects_get_a_page_not_a_redirect(stand_in):
    _, challenge = pkce()
    path = stand_in.kind.AUTHORIZE_PATH
    for overrides in ({"client_id": "someone-else"}, {"redirect_uri": "https://evil.example/cb"}):
        answer = stand_in.get(path, params=authorize_params(challenge, **overrides))
        assert answer.status_code == 400 and "location" not in answer.headers


def test_cancel_sends_access_denied(stand_in):
    _, challenge = pkce()
    answer = sign_in(stand_in, challenge, decision="cancel")
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-1"]


def test_a_form_from_another_browser_is_refused(stand_in):
    _, challenge = pkce()
    path = stand_in.kind.AUTHORIZE_PATH
    page = stand_in.get(path, params=authorize_params(challenge))
    stand_in.cookies.clear()
    answer = stand_in.post(path, data={**page_fields(page), "decision": "allow"})
    assert answer.status_code == 403


def test_a_code_is_single_use_and_bound_to_its_verifier(stand_in):
    verifier, challenge = pkce()
    code = code_of(sign_in(stand_in, challenge))
    assert not granted(exchange(stand_in, code, "x" * 43)), "wrong verifier"
    assert not granted(exchange(stand_in, code, verifier)), "the failed try burned the code"
    verifier, challenge = pkce()
    code = code_of(sign_in(stand_in, challenge))
    assert granted(exchange(stand_in, code, verifier))
    assert not granted(exchange(stand_in, code, verifier)), "used once already"


def test_client_credentials_are_checked(stand_in):
    verifier, challenge = pkce()
    code = code_of(sign_in(stand_in, challenge))
    wrong = token(
        stand_in, secret="not-it", grant_type="authorization_code", code=code,
        redirect_uri=REDIRECT, code_verifier=verifier,
    )  # fmt: skip
    assert not granted(wrong)


def test_refresh_tokens_rotate(stand_in):
    verifier, challenge = pkce()
    tokens = exchange(stand_in, code_of(sign_in(stand_in, challenge)), verifier).json()
    if stand_in.kind is LocalGitHub:
        assert "refresh_token" not in tokens, "an OAuth app's tokens have none"
        return
    first = token(stand_in, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert granted(first) and first.json()["refresh_token"] != tokens["refresh_token"]
    again = token(stand_in, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert not granted(again)


def test_only_loopback_host_names_are_answered(stand_in):
    _, challenge = pkce()
    answer = stand_in.get(
        stand_in.kind.AUTHORIZE_PATH,
        params=authorize_params(challenge),
        headers={"Host": "attacker.example"},
    )
    assert answer.status_code == 400
