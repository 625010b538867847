"""A local stand-in for the parts of Cloudflare that the Worker calls during sign-in: the
sign-in page at `/oauth2/auth`, the token endpoint at `/oauth2/token` (client secret by HTTP
Basic), and `GET /client/v4/user` and `/client/v4/accounts` for valid bearer tokens, for the
user the token was issued to, in Cloudflare's response envelope. The page, codes, PKCE and
tokens are LocalOAuth's (`local_oauth.py`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cfmcp.dev.local_oauth import LocalOAuth


class LocalCloudflare(LocalOAuth):
    PROVIDER: ClassVar[str] = "Cloudflare"
    SPEC_NAME: ClassVar[str] = "cloudflare"
    AUTHORIZE_PATH: ClassVar[str] = "/oauth2/auth"
    TOKEN_PATH: ClassVar[str] = "/oauth2/token"

    def provider_routes(self) -> list[Route]:
        """Cloudflare's API: the user and their accounts."""
        return [
            Route("/client/v4/user", self.user, methods=["GET"]),
            Route("/client/v4/accounts", self.accounts, methods=["GET"]),
        ]

    async def user(self, request: Request) -> Response:
        identity = self._bearer_identity(request)
        if identity is None:
            self.log("API refused: invalid or expired bearer token")
            return _api_error(10000, "Authentication error", 401)
        return _api_result(identity.user())

    async def accounts(self, request: Request) -> Response:
        identity = self._bearer_identity(request)
        if identity is None:
            self.log("API refused: invalid or expired bearer token")
            return _api_error(10000, "Authentication error", 401)
        accounts = identity.accounts()
        info = {"page": 1, "per_page": 20, "count": len(accounts), "total_count": len(accounts)}
        return _api_result(accounts, result_info=info)


def _api_result(result: Any, **extra: Any) -> JSONResponse:
    return JSONResponse({"success": True, "errors": [], "messages": [], "result": result, **extra})


def _api_error(code: int, message: str, status: int) -> JSONResponse:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": []}
    return JSONResponse(body, status_code=status)
