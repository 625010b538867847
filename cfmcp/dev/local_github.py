"""A local stand-in for the parts of GitHub that the Worker calls during sign-in, on GitHub's
paths and with GitHub's JSON (docs.github.com, "Authorizing OAuth apps" and the REST API's
"Users" and "Emails" pages):

- `GET /login/oauth/authorize` shows the sign-in page (`cfmcp dev --user` prefilled); the
  form signs in as the address submitted and redirects back with `code` and `state`. Unlike
  Cloudflare's, GitHub's authorize URL takes no `response_type`.
- `POST /login/oauth/access_token` (client id and secret in the form, `Accept:
  application/json`) exchanges a code: redirect URI and S256 PKCE verifier checked, codes
  single-use and short-lived. Like an OAuth app's, the token does not expire and comes without
  a refresh token; errors are HTTP 200 with an `error` field (`bad_verification_code`,
  `incorrect_client_credentials`, `redirect_uri_mismatch`).
- `GET /user` and `GET /user/emails` answer valid bearer tokens (401 "Bad credentials"
  otherwise); like a user with a private address, /user has `email: null`.

The page, the codes and PKCE are LocalOAuth's (`local_oauth.py`).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cfmcp.dev.identity import DevIdentity
from cfmcp.dev.local_oauth import LocalOAuth, _Grant

SCOPE = "read:user,user:email"  # how GitHub echoes the scopes it granted
NO_EXPIRY = float("inf")


def github_id(identity: DevIdentity) -> int:
    """GitHub user ids are numbers: one derived from the address, stable across runs."""
    return int.from_bytes(hashlib.sha256(identity.email.encode()).digest()[:4], "big")


class LocalGitHub(LocalOAuth):
    PROVIDER: ClassVar[str] = "GitHub"
    SPEC_NAME: ClassVar[str] = "github"
    AUTHORIZE_PATH: ClassVar[str] = "/login/oauth/authorize"
    TOKEN_PATH: ClassVar[str] = "/login/oauth/access_token"
    IMPLIED_GRANT_TYPE: ClassVar[str] = "authorization_code"  # a code exchange names none

    def provider_routes(self) -> list[Route]:
        return [
            Route("/user", self.user, methods=["GET"]),
            Route("/user/emails", self.emails, methods=["GET"]),
        ]

    def _check_authorize_request(self, params: Any) -> tuple[dict[str, str], Response | None]:
        # GitHub needs no response_type; the checks that follow are the same.
        with_code = {**dict(params), "response_type": "code"}
        return super()._check_authorize_request(with_code)

    async def token(self, request: Request) -> Response:
        response = await super().token(request)
        if response.status_code == 200:
            return response
        # GitHub answers token errors with 200 and its own error names.
        import json

        error = str(json.loads(bytes(response.body)).get("error", ""))
        refreshing = (await request.form()).get("grant_type") == "refresh_token"
        github_error = {
            "invalid_client": "incorrect_client_credentials",
            "invalid_grant": "bad_refresh_token" if refreshing else "bad_verification_code",
        }.get(error, error)
        return JSONResponse({"error": github_error, "error_description": error}, status_code=200)

    def _issue(
        self, client_id: str, scope: str, identity: DevIdentity, nonce: str = ""
    ) -> JSONResponse:
        token = "gho_" + secrets.token_urlsafe(27)
        with self._lock:
            self._access[token] = _Grant(client_id, scope, identity, NO_EXPIRY)
        body = {"access_token": token, "token_type": "bearer", "scope": SCOPE}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def user(self, request: Request) -> Response:
        identity = self._bearer_identity(request)
        if identity is None:
            self.log("API refused: invalid bearer token")
            return _bad_credentials()
        login = identity.email.split("@", 1)[0]
        return JSONResponse(
            {
                "login": login,
                "id": github_id(identity),
                "type": "User",
                "name": login.capitalize(),
                "email": None,
            }
        )

    async def emails(self, request: Request) -> Response:
        identity = self._bearer_identity(request)
        if identity is None:
            self.log("API refused: invalid bearer token")
            return _bad_credentials()
        entry = {"email": identity.email, "primary": True, "verified": True, "visibility": None}
        return JSONResponse([entry])


def _bad_credentials() -> JSONResponse:
    body = {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    return JSONResponse(body, status_code=401)
