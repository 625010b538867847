"""The local stand-in for Cloudflare sign-in, served for real on a loopback port."""

import base64
import hashlib
import re
import secrets
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from cfmcp.dev.local_cloudflare import LocalCloudflare
from cfmcp.dev.local_oauth import CODE_TTL_SECONDS, DevIdentity
from cfmcp.dev.server import BackgroundServer

REDIRECT = "http://localhost:8788/callback"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def upstream(clock):
    events: list[str] = []
    local = LocalCloudflare(
        client_id="dev-client",
        client_secret="dev-secret",
        redirect_uris=[REDIRECT],
        identity=DevIdentity("ada@example.dev"),
        access_token_ttl=120,
        log=events.append,
        clock=clock,
    )
    with BackgroundServer(local.app()) as server:
        client = httpx2.Client(base_url=server.url, follow_redirects=False, timeout=10)
        client.events = events
        yield client
        client.close()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_in(
    client, challenge: str, *, decision: str = "allow", email: str | None = None, **overrides
) -> httpx2.Response:
    params = {
        "response_type": "code",
        "client_id": "dev-client",
        "redirect_uri": REDIRECT,
        "scope": "user-details.read offline_access",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    page = client.get("/oauth2/auth", params=params)
    if page.status_code != 200:
        return page
    assert 'name="email" value="ada@example.dev"' in page.text  # prefilled with --user
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {key: unescape(value) for key, value in fields.items()}
    if email is not None:
        fields["email"] = email
    return client.post("/oauth2/auth", data={**fields, "decision": decision})


def code_from(response: httpx2.Response) -> str:
    assert response.status_code == 302
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(client, code: str, verifier: str, *, secret: str = "dev-secret", **extra):
    return client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            **extra,
        },
        auth=("dev-client", secret),
    )


def test_full_sign_in_and_identity(upstream):
    verifier, challenge = pkce()
    tokens = exchange(upstream, code_from(sign_in(upstream, challenge)), verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 120
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    user = upstream.get("/client/v4/user", headers=headers).json()
    assert user["success"] is True
    assert user["result"]["email"] == "ada@example.dev"
    assert user["result"]["id"] == DevIdentity("ada@example.dev").user_id
    accounts = upstream.get("/client/v4/accounts", headers=headers).json()
    assert accounts["success"] is True and len(accounts["result"]) == 1


def test_sign_in_as_the_address_typed_and_each_token_keeps_its_user(upstream):
    tokens = {}
    for email in ("ada@example.dev", "bob@example.dev"):
        verifier, challenge = pkce()
        code = code_from(sign_in(upstream, challenge, email=email))
        tokens[email] = exchange(upstream, code, verifier).json()
        assert upstream.events[-2] == f"signed in as {email}"
    for email, body in tokens.items():
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        user = upstream.get("/client/v4/user", headers=headers).json()["result"]
        assert user["email"] == email and user["id"] == DevIdentity(email).user_id
        accounts = upstream.get("/client/v4/accounts", headers=headers).json()["result"]
        assert accounts[0]["id"] == DevIdentity(email).account_id
    # A refresh keeps the user.
    bobs = tokens["bob@example.dev"]["refresh_token"]
    refreshed = upstream.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": bobs},
        auth=("dev-client", "dev-secret"),
    ).json()
    headers = {"Authorization": f"Bearer {refreshed['access_token']}"}
    assert upstream.get("/client/v4/user", headers=headers).json()["result"]["email"] == (
        "bob@example.dev"
    )


@pytest.mark.parametrize(
    "email", ["", "not-an-address", "a@b@c", "<script>@x.dev", "x" * 250 + "@example.dev"]
)
def test_a_bad_address_gets_the_page_again_and_no_code(upstream, email):
    _, challenge = pkce()
    response = sign_in(upstream, challenge, email=email)
    if email == "":  # an empty field falls back to --user, as the prefilled page would
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert "Enter an email address" in response.text or "at most 254" in response.text
    assert "<script>" not in response.text  # what was typed comes back escaped
    assert "location" not in response.headers
    assert not any(event.startswith("signed in") for event in upstream.events)


def test_wrong_client_secret_is_refused(upstream):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    refused = exchange(upstream, code, verifier, secret="not-the-secret")
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert "wrong client id or secret" in upstream.events[-1]


def test_wrong_pkce_verifier_is_refused_and_burns_the_code(upstream):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    refused = exchange(upstream, code, "x" * 43)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert exchange(upstream, code, verifier).status_code == 400  # single use, even on failure


def test_code_is_single_use(upstream):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    assert exchange(upstream, code, verifier).status_code == 200
    again = exchange(upstream, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_code_expires(upstream, clock):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    clock.now += CODE_TTL_SECONDS + 1
    assert exchange(upstream, code, verifier).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization(upstream):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    response = exchange(upstream, code, verifier, redirect_uri="http://localhost:8788/other")
    assert response.status_code == 400


def test_unregistered_redirect_uri_is_never_followed(upstream):
    _, challenge = pkce()
    response = sign_in(upstream, challenge, redirect_uri="http://evil.example/callback")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_plain_pkce_is_refused(upstream):
    response = sign_in(upstream, "abc", code_challenge_method="plain")
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["location"]


def test_cancel_returns_access_denied(upstream):
    _, challenge = pkce()
    response = sign_in(upstream, challenge, decision="cancel")
    assert response.status_code == 302
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-1"]


def test_bad_and_expired_bearer_tokens(upstream, clock):
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = upstream.get("/client/v4/user", headers=header)
        assert response.status_code == 401
        assert response.json()["success"] is False
    verifier, challenge = pkce()
    token = exchange(upstream, code_from(sign_in(upstream, challenge)), verifier).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert upstream.get("/client/v4/user", headers=headers).status_code == 200
    clock.now += 121
    assert upstream.get("/client/v4/user", headers=headers).status_code == 401


def test_refresh_rotates_the_refresh_token(upstream):
    verifier, challenge = pkce()
    first = exchange(upstream, code_from(sign_in(upstream, challenge)), verifier).json()

    def refresh(token: str, secret: str = "dev-secret") -> httpx2.Response:
        return upstream.post(
            "/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": token},
            auth=("dev-client", secret),
        )

    assert refresh(first["refresh_token"], secret="wrong").status_code == 401
    second = refresh(first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["access_token"] != first["access_token"]
    assert refresh(first["refresh_token"]).json()["error"] == "invalid_grant"  # rotated
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert upstream.get("/client/v4/user", headers=headers).status_code == 200


def test_non_ascii_credentials_are_refused_not_a_crash(upstream):
    verifier, challenge = pkce()
    code = code_from(sign_in(upstream, challenge))
    refused = exchange(upstream, code, verifier, secret="sécret")
    assert refused.status_code == 401
    code = code_from(sign_in(upstream, challenge))
    assert exchange(upstream, code, "vérifier" * 6).status_code == 400


def test_dev_refuses_a_user_that_is_not_an_email_address(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("dev", "--user", "root")
    assert result.exit_code == 2
    assert "--user 'root' is not an email address" in " ".join(result.output.split())


def test_the_page_is_not_framed_cached_or_favicon_hungry(upstream):
    _, challenge = pkce()
    page = upstream.get("/oauth2/auth", params=authorize_params(challenge))
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<link rel="icon" href="data:,">' in page.text
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("samesite", "SameSite")
    error = upstream.get("/oauth2/auth", params={**authorize_params(challenge), "client_id": "x"})
    assert error.status_code == 400 and error.headers["x-frame-options"] == "DENY"


def test_a_form_without_this_browsers_csrf_cookie_is_refused(upstream):
    _, challenge = pkce()
    page = upstream.get("/oauth2/auth", params=authorize_params(challenge))
    fields = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
    assert fields["csrf"]
    upstream.cookies.clear()  # another browser, or a page elsewhere posting the form
    forged = upstream.post("/oauth2/auth", data={**fields, "decision": "allow"})
    assert forged.status_code == 403 and "location" not in forged.headers
    upstream.get("/oauth2/auth", params=authorize_params(challenge))  # this browser's cookie
    stale = upstream.post("/oauth2/auth", data={**fields, "decision": "allow"})  # old token
    assert stale.status_code == 403
    assert not any(event.startswith("signed in") for event in upstream.events)


def test_two_sign_ins_in_one_browser_dont_undo_each_other(upstream):
    pages = []
    for state in ("tab-one", "tab-two"):
        _, challenge = pkce()
        page = upstream.get("/oauth2/auth", params={**authorize_params(challenge), "state": state})
        found = re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
        pages.append({name: unescape(value) for name, value in found})
    for fields in pages:  # the first tab submits after the second one opened
        answer = upstream.post("/oauth2/auth", data={**fields, "decision": "allow"})
        assert answer.status_code == 302, answer.text


def test_only_loopback_host_names_are_answered(upstream):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host."""
    _, challenge = pkce()
    rebound = upstream.get(
        "/oauth2/auth", params=authorize_params(challenge), headers={"Host": "evil.example"}
    )
    assert rebound.status_code == 400
    local = upstream.get(
        "/oauth2/auth", params=authorize_params(challenge), headers={"Host": "localhost"}
    )
    assert local.status_code == 200


def authorize_params(challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "dev-client",
        "redirect_uri": REDIRECT,
        "scope": "user-details.read",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_without_memfd_the_env_file_is_private_and_removed(monkeypatch):
    """macOS and others: a 0600 file in a 0700 folder, gone when cfmcp dev stops."""
    import os
    import stat

    from cfmcp.dev import supervisor

    monkeypatch.delattr(os, "memfd_create", raising=False)
    env_file = supervisor.write_env_file({"SECRET": "p$ss word"})
    path = os.path.realpath(env_file.path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert Path(path).read_text() == "SECRET='p\\$ss word'\n"  # $ escaped
    env_file.remove()
    assert not os.path.exists(os.path.dirname(path))


def test_with_memfd_nothing_is_written_to_disk():
    import os

    from cfmcp.dev import supervisor

    if not hasattr(os, "memfd_create"):
        pytest.skip("memfd is Linux's")
    env_file = supervisor.write_env_file({"SECRET": "value"})
    try:
        assert env_file.path.startswith("/dev/fd/") and env_file.folder is None
        assert os.readlink(f"/proc/self/fd/{env_file.fd}").startswith("/memfd:")
        assert Path(env_file.path).read_text() == "SECRET=value\n"
        assert Path(env_file.path).read_text() == "SECRET=value\n"  # each reader reads it all
    finally:
        env_file.remove()
