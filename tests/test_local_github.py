"""The local stand-in for GitHub sign-in, served for real on a loopback port: GitHub's paths,
its token endpoint's JSON (errors as HTTP 200 with an `error` field), /user and /user/emails.

Shapes from docs.github.com: "Authorizing OAuth apps" (apps/oauth-apps/building-oauth-apps/
authorizing-oauth-apps), "REST API endpoints for users" (rest/users/users) and "REST API
endpoints for emails" (rest/users/emails)."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from cfmcp.dev.local_github import LocalGitHub, github_id
from cfmcp.dev.local_oauth import DevIdentity
from cfmcp.dev.server import BackgroundServer
from tests.test_local_cloudflare import pkce

REDIRECT = "http://localhost:8788/callback"


@pytest.fixture
def github():
    events: list[str] = []
    local = LocalGitHub(
        client_id="Iv1.dev",
        client_secret="dev-secret",
        redirect_uris=[REDIRECT],
        identity=DevIdentity("ada@example.dev"),
        log=events.append,
    )
    with BackgroundServer(local.app()) as server:
        client = httpx2.Client(base_url=server.url, follow_redirects=False, timeout=10)
        client.events = events
        yield client
        client.close()


def sign_in(client, challenge: str, *, email: str | None = None, **overrides) -> httpx2.Response:
    # What the Worker's upstream.ts sends: no response_type (GitHub takes none).
    params = {
        "client_id": "Iv1.dev",
        "redirect_uri": REDIRECT,
        "scope": "read:user user:email",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    page = client.get("/login/oauth/authorize", params=params)
    if page.status_code != 200:
        return page
    assert "GitHub" in page.text and 'action="/login/oauth/authorize"' in page.text
    fields = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
    if email is not None:
        fields["email"] = email
    return client.post("/login/oauth/authorize", data={**fields, "decision": "allow"})


def code_from(response: httpx2.Response) -> str:
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(client, code: str, verifier: str, *, secret: str = "dev-secret"):
    # As the Worker does: client credentials in the form, no grant_type, JSON asked for.
    return client.post(
        "/login/oauth/access_token",
        data={
            "client_id": "Iv1.dev",
            "client_secret": secret,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        headers={"Accept": "application/json"},
    )


def test_sign_in_gives_an_oauth_app_token_and_the_user(github):
    verifier, challenge = pkce()
    answer = exchange(github, code_from(sign_in(github, challenge)), verifier)
    assert answer.status_code == 200
    body = answer.json()
    # An OAuth app's token: no expiry, no refresh token.
    assert set(body) == {"access_token", "token_type", "scope"}
    assert body["access_token"].startswith("gho_") and body["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    user = github.get("/user", headers=headers).json()
    assert user == {
        "login": "ada",
        "id": github_id(DevIdentity("ada@example.dev")),
        "type": "User",
        "name": "Ada",
        "email": None,  # a private address: /user/emails has it
    }
    emails = github.get("/user/emails", headers=headers).json()
    assert emails == [
        {"email": "ada@example.dev", "primary": True, "verified": True, "visibility": None}
    ]


def test_each_token_is_the_address_typed(github):
    verifier, challenge = pkce()
    code = code_from(sign_in(github, challenge, email="bob@example.dev"))
    token = exchange(github, code, verifier).json()["access_token"]
    emails = github.get("/user/emails", headers={"Authorization": f"Bearer {token}"}).json()
    assert emails[0]["email"] == "bob@example.dev"
    assert "signed in as bob@example.dev" in github.events


def test_token_errors_are_github_shaped(github):
    verifier, challenge = pkce()
    code = code_from(sign_in(github, challenge))
    wrong_secret = exchange(github, code, verifier, secret="nope")
    assert (wrong_secret.status_code, wrong_secret.json()["error"]) == (
        200,
        "incorrect_client_credentials",
    )
    # The code is still good after a refused client; a wrong verifier uses it up.
    wrong_verifier = exchange(github, code, "x" * 43)
    assert (wrong_verifier.status_code, wrong_verifier.json()["error"]) == (
        200,
        "bad_verification_code",
    )
    reused = exchange(github, code, verifier)
    assert reused.json()["error"] == "bad_verification_code"
    refresh = github.post(
        "/login/oauth/access_token",
        data={
            "client_id": "Iv1.dev",
            "client_secret": "dev-secret",
            "grant_type": "refresh_token",
            "refresh_token": "never-issued",
        },
    )
    assert refresh.json()["error"] == "bad_refresh_token"


def test_the_api_wants_a_valid_token(github):
    for headers in ({}, {"Authorization": "Bearer gho_forged"}):
        answer = github.get("/user", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["message"] == "Bad credentials"


def test_unknown_client_or_redirect_is_refused_on_the_page(github):
    _, challenge = pkce()
    assert sign_in(github, challenge, client_id="someone-else").status_code == 400
    assert sign_in(github, challenge, redirect_uri="https://evil.example/cb").status_code == 400
