"""The local stand-ins for an OpenID Connect issuer and for Google, served for real on a
loopback port: discovery, JWKS, the sign-in page, the token endpoint's signed ID tokens and
userinfo. ID tokens are checked here with PyJWT against the stand-in's own JWKS, as the Worker
checks them with `jose`.

Shapes from OpenID Connect Core 1.0 (3.1.3.3 token response, 2 ID token, 5.3 userinfo) and
Discovery 1.0 (3 provider metadata); Google's paths from
https://accounts.google.com/.well-known/openid-configuration (developers.google.com/identity/
openid-connect/openid-connect, "The discovery document")."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2
import jwt
import pytest

from cfmcp.dev.local_oauth import DevIdentity
from cfmcp.dev.local_oidc import LocalGoogle, LocalOIDC
from cfmcp.dev.server import BackgroundServer, bind_loopback
from tests.test_local_cloudflare import pkce

REDIRECT = "http://localhost:8788/callback"
EMAIL = "ada@example.dev"


def serve(kind: type[LocalOIDC]):
    sock = bind_loopback(0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    events: list[str] = []
    local = kind(
        client_id="oidc-dev",
        client_secret="dev-secret",
        redirect_uris=[REDIRECT],
        identity=DevIdentity(EMAIL),
        log=events.append,
        base_url=base,
    )
    server = BackgroundServer(local.app(), sock=sock).start()
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=10)
    client.events = events
    client.local = local
    return server, client


@pytest.fixture(params=[LocalOIDC, LocalGoogle], ids=["oidc", "google"])
def issuer(request):
    server, client = serve(request.param)
    try:
        yield client
    finally:
        client.close()
        server.stop()


def discovery(client) -> dict:
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    return response.json()


def path(url: str) -> str:
    return urlparse(url).path


def sign_in(client, challenge: str, *, nonce: str = "n-1", email: str | None = None):
    authorize = discovery(client)["authorization_endpoint"]
    params = {
        "response_type": "code",
        "client_id": "oidc-dev",
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "st-1",
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get(path(authorize), params=params)
    assert page.status_code == 200, page.text
    fields = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}
    assert fields["nonce"] == nonce
    if email is not None:
        fields["email"] = email
    response = client.post(path(authorize), data={**fields, "decision": "allow"})
    assert response.status_code == 302, response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def token(client, **form) -> httpx2.Response:
    return client.post(
        path(discovery(client)["token_endpoint"]), data=form, auth=("oidc-dev", "dev-secret")
    )


def verified(client, id_token: str) -> dict:
    """The ID token's claims, verified as the Worker does: the issuer's JWKS, issuer, audience."""
    meta = discovery(client)
    keys = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(id_token)
    return jwt.decode(
        id_token, keys.key, algorithms=["RS256"], audience="oidc-dev", issuer=meta["issuer"]
    )


def test_discovery_names_this_issuer_and_its_endpoints(issuer):
    meta = discovery(issuer)
    assert meta["issuer"] == str(issuer.base_url).rstrip("/")
    for field in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert meta[field].startswith(meta["issuer"] + "/"), field
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    keys = issuer.get(path(meta["jwks_uri"])).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0], "the JWKS publishes the public half only"


def test_google_stand_in_has_googles_paths():
    server, client = serve(LocalGoogle)
    try:
        meta = discovery(client)
        # accounts.google.com's discovery document: .../o/oauth2/v2/auth, oauth2.googleapis.com
        # /token, openidconnect.googleapis.com/v1/userinfo, www.googleapis.com/oauth2/v3/certs.
        assert path(meta["authorization_endpoint"]) == "/o/oauth2/v2/auth"
        assert path(meta["token_endpoint"]) == "/token"
        assert path(meta["userinfo_endpoint"]) == "/v1/userinfo"
        assert path(meta["jwks_uri"]) == "/oauth2/v3/certs"
        assert LocalGoogle.dev_values("http://127.0.0.1:1") == {
            "GOOGLE_ISSUER": "http://127.0.0.1:1"
        }
    finally:
        client.close()
        server.stop()


def test_code_exchange_gives_a_signed_id_token_with_the_nonce(issuer):
    verifier, challenge = pkce()
    code = sign_in(issuer, challenge, nonce="nonce-42", email="grace@example.dev")
    response = token(
        issuer, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        code_verifier=verifier,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"access_token", "refresh_token", "id_token", "expires_in"} <= body.keys()
    claims = verified(issuer, body["id_token"])
    assert claims["nonce"] == "nonce-42"
    assert claims["email"] == "grace@example.dev"
    assert claims["sub"] == issuer.local.subject(DevIdentity("grace@example.dev"))
    assert claims["exp"] > claims["iat"]

    info = issuer.get(
        path(discovery(issuer)["userinfo_endpoint"]),
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"] and info.json()["email"] == "grace@example.dev"

    # A refresh rotates the refresh token; its new ID token is the same user's, with no nonce.
    refreshed = token(issuer, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    again = verified(issuer, refreshed.json()["id_token"])
    assert again["sub"] == claims["sub"] and "nonce" not in again
    reused = token(issuer, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_token_endpoint_refuses_bad_verifier_and_bad_client(issuer):
    _verifier, challenge = pkce()
    code = sign_in(issuer, challenge)
    wrong = token(
        issuer, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        code_verifier="x" * 43,
    )  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    stranger = issuer.post(
        path(discovery(issuer)["token_endpoint"]),
        data={"grant_type": "refresh_token", "refresh_token": "r"},
        auth=("oidc-dev", "not-the-secret"),
    )
    assert stranger.status_code == 401 and stranger.json()["error"] == "invalid_client"


def test_userinfo_refuses_a_bad_token(issuer):
    response = issuer.get(
        path(discovery(issuer)["userinfo_endpoint"]), headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_each_run_signs_with_its_own_key():
    first, second = (
        LocalOIDC(client_id="c", client_secret="s", redirect_uris=[REDIRECT]) for _ in range(2)
    )
    token_a = first._more_token_fields("c", DevIdentity(EMAIL), "n")["id_token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token_a, second._rsa.public_key(), algorithms=["RS256"], audience="c")
