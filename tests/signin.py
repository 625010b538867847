"""Signing in by hand against `cfmcp dev`: register a client, approve, sign in on the local
page, exchange the code. For tests that need tokens without an MCP client's OAuth."""

import base64
import functools
import hashlib
import secrets

import anyio
import httpx2

from cfmcp.headless import authorize_headless

CALLBACK = "http://127.0.0.1:9/callback"


def register(base: str, redirect_uri: str = CALLBACK) -> str:
    return register_client(base, redirect_uri)["client_id"]


def register_client(base: str, redirect_uri: str = CALLBACK, auth_method: str = "none") -> dict:
    """A new client's registration (with its `client_secret` when `auth_method` wants one)."""
    response = httpx2.post(
        f"{base}/register",
        json={
            "redirect_uris": [redirect_uri],
            "client_name": "test client",
            "token_endpoint_auth_method": auth_method,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_url(
    base: str,
    client_id: str,
    challenge: str,
    state: str = "st",
    *,
    redirect_uri: str = CALLBACK,
    scope: str | None = None,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": base,
    }
    if scope is not None:
        params["scope"] = scope
    return f"{base}/authorize?{httpx2.QueryParams(params)}"


def get_code(
    base: str,
    email: str | None = None,
    *,
    redirect_uri: str = CALLBACK,
    scope: str | None = None,
    client_id: str | None = None,
) -> tuple[str, str, str]:
    """Register (unless `client_id` is given), approve, sign in (as `email` on the local
    sign-in page, when given): (client_id, code, verifier)."""
    client_id = client_id or register(base, redirect_uri)
    verifier, challenge = pkce()
    url = authorization_url(base, client_id, challenge, redirect_uri=redirect_uri, scope=scope)
    answers = {"email": email} if email else None
    redirect = anyio.run(functools.partial(authorize_headless, url, redirect_uri, answers=answers))
    return client_id, redirect.code, verifier


def token_request(base: str, client_id: str, **form: str) -> httpx2.Response:
    return httpx2.post(f"{base}/token", data={"client_id": client_id, **form})


def tokens_for(base: str, email: str | None = None, *, client: dict | None = None) -> dict:
    """Tokens for a new client (or the registered `client`, its secret sent in the form),
    signed in as `email` (default: cfmcp dev's --user)."""
    client_id, code, verifier = get_code(base, email, client_id=client and client["client_id"])
    secret = {}
    if client and "client_secret" in client:
        secret = {"client_secret": client["client_secret"]}
    response = token_request(
        base,
        client_id,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        code_verifier=verifier,
        **secret,
    )
    assert response.status_code == 200, response.text
    return {"client_id": client_id, **secret, **response.json()}


def mcp_initialize(base: str, token: str) -> httpx2.Response:
    return httpx2.post(
        f"{base}/mcp",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
        },
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
        timeout=30,
    )
