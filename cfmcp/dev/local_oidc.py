"""A local stand-in for an OpenID Connect issuer (and for Google, one of them), on the paths its
discovery document names and with the JSON of OpenID Connect Core 1.0 and Discovery 1.0:

- `GET /.well-known/openid-configuration`: the issuer (this server's URL), its endpoints, S256,
  RS256 and the client authentication methods.
- `GET <jwks_uri>`: the public half of an RSA key made at start (it lives in memory only).
- the authorize endpoint: the sign-in page of the other stand-ins (`cfmcp dev --user`
  prefilled); the `nonce` is kept with the code.
- the token endpoint: a code (client, redirect URI and S256 verifier checked) or a refresh token
  (rotated) for an access token, a refresh token and an RS256 ID token: `iss` this issuer,
  `aud` the client, `sub`, `email`, `name`, `iat`, `exp` and the sign-in's `nonce`.
- `GET <userinfo_endpoint>`: the user a bearer token was issued to.

LocalGoogle is the same issuer on Google's own paths (accounts.google.com's discovery document).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cfmcp.dev.identity import DevIdentity
from cfmcp.dev.local_oauth import LocalOAuth

ID_TOKEN_SECONDS = 3600


@dataclass
class LocalOIDC(LocalOAuth):
    PROVIDER: ClassVar[str] = "OpenID Connect"
    SPEC_NAME: ClassVar[str] = "oidc"
    AUTHORIZE_PATH: ClassVar[str] = "/authorize"
    EXTRA_PARAMS: ClassVar[tuple[str, ...]] = ("nonce",)
    TOKEN_PATH: ClassVar[str] = "/token"
    USERINFO_PATH: ClassVar[str] = "/userinfo"
    JWKS_PATH: ClassVar[str] = "/jwks"

    def provider_routes(self) -> list[Route]:
        return [
            Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route(self.JWKS_PATH, self.jwks, methods=["GET"]),
            Route(self.USERINFO_PATH, self.userinfo, methods=["GET"]),
        ]

    @classmethod
    def subject(cls, identity: DevIdentity) -> str:
        """The user's `sub`: stable for an address across runs."""
        return identity.user_id

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        # Signs this run's ID tokens; a restart makes a new one, as a key rotation would.
        self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)

    async def jwks(self, request: Request) -> Response:
        numbers = self._rsa.public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self._kid,
            "n": _b64_uint(numbers.n),
            "e": _b64_uint(numbers.e),
        }
        return JSONResponse({"keys": [jwk]}, headers={"Cache-Control": "public, max-age=3600"})

    # --- discovery, tokens, userinfo --------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        issuer = self.base_url
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": issuer + self.AUTHORIZE_PATH,
                "token_endpoint": issuer + self.TOKEN_PATH,
                "userinfo_endpoint": issuer + self.USERINFO_PATH,
                "jwks_uri": issuer + self.JWKS_PATH,
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile", "offline_access"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "email", "name", "nonce"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            }
        )

    def _more_token_fields(self, client_id: str, identity: DevIdentity, nonce: str) -> dict:
        import jwt

        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.base_url,
            "aud": client_id,
            "sub": self.subject(identity),
            "email": identity.email,
            "email_verified": True,
            "name": identity.user()["first_name"],
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
        }
        if nonce:
            claims["nonce"] = nonce
        token = jwt.encode(claims, self._rsa, algorithm="RS256", headers={"kid": self._kid})
        return {"id_token": token}

    async def userinfo(self, request: Request) -> Response:
        identity = self._bearer_identity(request)
        if identity is None:
            self.log("userinfo refused: invalid or expired bearer token")
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return JSONResponse(
            {
                "sub": self.subject(identity),
                "email": identity.email,
                "email_verified": True,
                "name": identity.user()["first_name"],
            }
        )


@dataclass
class LocalGoogle(LocalOIDC):
    """Google's paths, as https://accounts.google.com/.well-known/openid-configuration names
    them; `sub` a number, as Google's are."""

    PROVIDER: ClassVar[str] = "Google"
    SPEC_NAME: ClassVar[str] = "google"
    AUTHORIZE_PATH: ClassVar[str] = "/o/oauth2/v2/auth"
    TOKEN_PATH: ClassVar[str] = "/token"
    USERINFO_PATH: ClassVar[str] = "/v1/userinfo"
    JWKS_PATH: ClassVar[str] = "/oauth2/v3/certs"
    # Google's own: access_type=offline asks for a refresh token, prompt=consent for a new one.
    EXTRA_PARAMS: ClassVar[tuple[str, ...]] = ("nonce", "access_type", "prompt")

    @classmethod
    def subject(cls, identity: DevIdentity) -> str:
        return str(int.from_bytes(hashlib.sha256(identity.email.encode()).digest()[:8], "big"))


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
