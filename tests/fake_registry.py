"""Loopback stand-ins for the official MCP Registry's API and for GitHub's device sign-in,
shaped from the registry's OpenAPI document and handlers (docs/reference/api/openapi.yaml,
internal/api/handlers/v0/): `/v0/health` naming its GitHub app, `/v0/auth/github-at` (the
GitHub token checked at GitHub's `/user`, a registry token for io.github.<login>/*),
`/v0/auth/http` (the domain's proof fetched from `/.well-known/mcp-registry-auth`, the signed
time checked with its Ed25519 key, 15 s of skew allowed: the domain's namespace, reversed),
`/v0/publish` (server.json checked against the schema kept in tests/fixtures/registry/, the
namespace against the token, a version published twice refused) with the registry's problem
JSON, and `/v0.1/servers/{name}/versions/{version}`. The real registry reads the proof over
https from the domain itself; here `domains` says where each domain is served (a `cfmcp dev`).
GitHub's side: `/login/device/code` and `/login/oauth/access_token` (pending until the user
"enters the code").
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cfmcp.dev.server import BackgroundServer

SCHEMA = Path(__file__).parent / "fixtures" / "registry" / "server.schema.json"
CLIENT_ID = "Iv1.registry-stand-in"


TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 422: "Unprocessable Entity"}


def problem(status: int, detail: str, *messages: str, title: str = "") -> JSONResponse:
    body = {
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": [{"message": message} for message in messages],
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


@dataclass
class FakeGitHub:
    login: str = "ada"
    tokens: set[str] = field(default_factory=set)
    polls: int = 0
    deny: bool = False
    pending_polls: int = 1  # the user takes this many polls to enter the code
    device_requests: list[dict] = field(default_factory=list)

    def revoke_all(self) -> None:
        self.tokens.clear()

    async def device_code(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.device_requests.append(body)
        if body.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "incorrect_client_credentials"}, status_code=400)
        return JSONResponse({"device_code": "dev-" + secrets.token_hex(8), "user_code": "WDJB-MJHT",
                             "verification_uri": "https://github.com/login/device",
                             "expires_in": 900, "interval": 0})  # fmt: skip

    async def access_token(self, request: Request) -> JSONResponse:
        await request.json()
        self.polls += 1
        if self.deny:
            return JSONResponse({"error": "access_denied"})
        if self.polls <= self.pending_polls:
            return JSONResponse({"error": "authorization_pending"})
        token = "gho_" + secrets.token_hex(16)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user"})

    def user_for(self, token: str) -> str | None:
        return self.login if token in self.tokens else None


@dataclass
class FakeRegistry:
    github: FakeGitHub
    # token -> (the namespace prefix it may publish to, when it expires)
    registry_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)  # domain -> where it is served
    proofs_read: list[str] = field(default_factory=list)
    servers: dict[tuple[str, str], dict] = field(default_factory=dict)
    published: list[dict] = field(default_factory=list)
    slow: float = 0.0  # seconds every answer waits: a registry that hangs

    async def _wait(self) -> None:
        if self.slow:
            import anyio

            await anyio.sleep(self.slow)

    async def health(self, request: Request) -> JSONResponse:
        await self._wait()
        return JSONResponse({"status": "ok", "github_client_id": CLIENT_ID})

    async def github_at(self, request: Request) -> JSONResponse:
        await self._wait()
        body = await request.json()
        login = self.github.user_for(str(body.get("github_token", "")))
        if login is None:
            return problem(401, "Token exchange failed")
        return self._token(f"io.github.{login}/")

    def _token(self, prefix: str) -> JSONResponse:
        token = "reg-" + secrets.token_hex(16)
        self.registry_tokens[token] = (prefix, time.time() + 300)
        return JSONResponse({"registry_token": token, "expires_at": int(time.time()) + 300})

    async def http_proof(self, request: Request) -> JSONResponse:
        import base64
        import calendar
        import re

        import httpx2
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        body = await request.json()
        domain = str(body.get("domain", ""))
        timestamp = str(body.get("timestamp", ""))
        try:
            moment = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            return problem(400, "invalid timestamp format")
        if abs(moment - time.time()) > 15:
            return problem(401, "HTTP authentication failed", "timestamp outside the window")
        base = self.domains.get(domain)
        if base is None:
            return problem(401, "HTTP authentication failed", f"cannot reach {domain}")
        async with httpx2.AsyncClient(follow_redirects=False) as client:
            served = await client.get(f"{base}/.well-known/mcp-registry-auth",
                                      headers={"Accept": "text/plain"})  # fmt: skip
        self.proofs_read.append(served.text)
        record = re.search(r"v=MCPv1;\s*k=([^;]+);\s*p=([A-Za-z0-9+/=]+)", served.text)
        if served.status_code != 200 or record is None or record[1] != "ed25519":
            found = f"no MCPv1 ed25519 record at {domain} ({served.status_code})"
            return problem(401, "HTTP authentication failed", found)
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(record[2]))
            key.verify(bytes.fromhex(str(body.get("signed_timestamp", ""))), timestamp.encode())
        except (ValueError, InvalidSignature):
            return problem(401, "HTTP authentication failed", "signature verification failed")
        return self._token(".".join(reversed(domain.split("."))) + "/")

    async def publish(self, request: Request) -> JSONResponse:
        await self._wait()
        header = request.headers.get("authorization")
        if header is None:
            return problem(422, "validation failed", "required header parameter is missing")
        token = header.removeprefix("Bearer ").strip()
        allowed, expires = self.registry_tokens.get(token, ("", 0.0))
        if not allowed or expires < time.time():
            return problem(401, "Invalid or expired Registry JWT token")
        document = await request.json()
        from jsonschema import Draft7Validator

        schema = json.loads(SCHEMA.read_text())
        errors = [e.message for e in Draft7Validator(schema).iter_errors(document)]
        if errors:
            return problem(422, "Failed to publish server, invalid schema: call /validate for "
                           "details", *errors)  # fmt: skip
        name, version = document["name"], document["version"]
        if not name.startswith(allowed):
            return problem(403, "Forbidden", "You do not have permission to publish this server. "
                           f"You have permission to publish: {allowed}*. Attempting to publish: "
                           f"{name}")  # fmt: skip
        if (name, version) in self.servers:
            return problem(400, "Failed to publish server", "invalid version: cannot publish "
                           f"duplicate version: {name}@{version} already exists")  # fmt: skip
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        official = {"status": "active", "publishedAt": now, "updatedAt": now, "isLatest": True}
        answer = {
            "server": document,
            "_meta": {"io.modelcontextprotocol.registry/official": official},
        }
        self.servers[(name, version)] = answer
        self.published.append(document)
        return JSONResponse(answer)

    async def version(self, request: Request) -> JSONResponse:
        key = (request.path_params["name"], request.path_params["version"])
        if key not in self.servers:
            return problem(404, "Server not found", title="Not Found")
        return JSONResponse(self.servers[key])


class RegistryStandIns:
    """Both stand-ins on one loopback server: the registry at `url`, GitHub at `github_url`
    (the same origin: cfmcp takes each base from its own variable)."""

    def __init__(self) -> None:
        self.github = FakeGitHub()
        self.registry = FakeRegistry(self.github)
        registry, github = self.registry, self.github
        app = Starlette(routes=[
            Route("/v0/health", registry.health),
            Route("/v0/auth/github-at", registry.github_at, methods=["POST"]),
            Route("/v0/auth/http", registry.http_proof, methods=["POST"]),
            Route("/v0/publish", registry.publish, methods=["POST"]),
            Route("/v0.1/servers/{name:path}/versions/{version}", registry.version),
            Route("/github/login/device/code", github.device_code, methods=["POST"]),
            Route("/github/login/oauth/access_token", github.access_token, methods=["POST"]),
        ])  # fmt: skip
        self._server = BackgroundServer(app)

    def __enter__(self) -> RegistryStandIns:
        self._server.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    def env(self) -> dict[str, str]:
        return {"CFMCP_REGISTRY_URL": self.url, "CFMCP_GITHUB_URL": f"{self.url}/github"}
