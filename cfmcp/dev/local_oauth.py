"""What every local sign-in stand-in shares (`cfmcp dev`, `npm test`'s Python twin): the
sign-in page, authorization codes with S256 PKCE, the token endpoint's code and refresh grants
(rotation), and bearer-token bookkeeping. Each provider's stand-in subclasses LocalOAuth with
its own paths and JSON (`local_cloudflare.py`, `local_github.py`, `local_oidc.py`).

- `GET <AUTHORIZE_PATH>` shows a sign-in page whose email field holds the dev identity
  (`cfmcp dev --user`); `POST` signs in as the address submitted and redirects back with a code
  (or `error=access_denied` on Cancel).
- `POST <TOKEN_PATH>` exchanges a code (client id and secret, redirect URI and S256 PKCE
  verifier checked; codes single-use with a short lifetime) or a refresh token (rotated).

Like a real sign-in page, it can't be framed or cached, its form carries a CSRF token bound to
the browser by a cookie, and it answers only for loopback host names (DNS rebinding).

Everything lives in memory: restart `cfmcp dev` and every upstream token is gone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote_plus, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cfmcp.dev.identity import MAX_EMAIL_LENGTH, DevIdentity, email_problem

CSRF_COOKIE = "cfmcp_signin_csrf"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
CODE_TTL_SECONDS = 60
DEFAULT_ACCESS_TOKEN_TTL = 3600


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    identity: DevIdentity
    expires_at: float
    nonce: str = ""  # OpenID Connect's, echoed in the ID token


@dataclass
class _Grant:
    client_id: str
    scope: str
    identity: DevIdentity
    expires_at: float = 0.0  # access tokens only


@dataclass
class LocalOAuth:
    """A provider's stand-in: subclasses name the provider and its paths, add its identity
    routes (`provider_routes`) and the vars that point the Worker there (`dev_values`)."""

    PROVIDER: ClassVar[str] = "an OAuth provider"
    SPEC_NAME: ClassVar[str] = ""  # its provider's name in cfmcp.providers
    AUTHORIZE_PATH: ClassVar[str] = "/authorize"
    TOKEN_PATH: ClassVar[str] = "/token"
    # The grant a token request without `grant_type` means ("": none, it is refused).
    IMPLIED_GRANT_TYPE: ClassVar[str] = ""
    # Authorize parameters kept through the sign-in page besides OAuth's own.
    EXTRA_PARAMS: ClassVar[tuple[str, ...]] = ()

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    identity: DevIdentity = field(default_factory=DevIdentity)
    access_token_ttl: int = DEFAULT_ACCESS_TOKEN_TTL
    log: Callable[[str], None] = lambda message: None
    clock: Callable[[], float] = time.time
    base_url: str = ""  # where it is served, e.g. http://127.0.0.1:PORT (an OIDC issuer's URL)
    _codes: dict[str, _Code] = field(default_factory=dict)
    _access: dict[str, _Grant] = field(default_factory=dict)
    _refresh: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        from starlette.middleware import Middleware
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        return Starlette(
            middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_NAMES))],
            routes=[
                Route(self.AUTHORIZE_PATH, self.authorize_page, methods=["GET"]),
                Route(self.AUTHORIZE_PATH, self.authorize_submit, methods=["POST"]),
                Route(self.TOKEN_PATH, self.token, methods=["POST"]),
                *self.provider_routes(),
                Route("/", self.home, methods=["GET"]),
                Route("/favicon.ico", lambda request: Response(status_code=204)),
            ],
        )

    def provider_routes(self) -> list[Route]:
        """Who the user is (an API, userinfo), on the provider's own paths."""
        return []

    @classmethod
    def dev_values(cls, base_url: str) -> dict[str, str]:
        """The Worker vars that point it at this stand-in served on `base_url`: its provider's
        spec says where (`cfmcp dev` needs them before it loads this module)."""
        from cfmcp.providers import PROVIDERS

        return PROVIDERS[cls.SPEC_NAME].stand_in_values(base_url)

    # --- sign-in ----------------------------------------------------------------------------

    def _check_authorize_request(self, params: Any) -> tuple[dict[str, str], Response | None]:
        values = {
            key: str(params.get(key, ""))
            for key in (
                "response_type", "client_id", "redirect_uri", "scope", "state",
                "code_challenge", "code_challenge_method", *self.EXTRA_PARAMS,
            )
        }  # fmt: skip
        if values["client_id"] != self.client_id:
            return values, _error_page("Unknown client_id.", 400)
        if values["redirect_uri"] not in self.redirect_uris:
            # Never redirect to an unregistered URI: show the error here instead.
            return values, _error_page(f"Unregistered redirect_uri {values['redirect_uri']}.", 400)
        if values["response_type"] != "code":
            return values, self._redirect_error(values, "unsupported_response_type")
        if values["code_challenge_method"] != "S256" or not values["code_challenge"]:
            return values, self._redirect_error(values, "invalid_request", "S256 PKCE required")
        return values, None

    def _redirect_error(
        self, values: dict[str, str], error: str, description: str = ""
    ) -> RedirectResponse:
        query = {"error": error, "state": values["state"]}
        if description:
            query["error_description"] = description
        return RedirectResponse(f"{values['redirect_uri']}?{urlencode(query)}", status_code=302)

    async def authorize_page(self, request: Request) -> Response:
        values, problem = self._check_authorize_request(request.query_params)
        if problem:
            self.log(f"sign-in refused: {_describe(problem)}")
            return problem
        return self._sign_in_page(values, self.identity.email)

    def _sign_in_page(self, values: dict[str, str], email: str, problem: str = "") -> Response:
        csrf = secrets.token_urlsafe(24)
        fields = {**values, "csrf": csrf}
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in fields.items()
        )
        page = _SIGN_IN_PAGE.format(
            provider=html.escape(self.PROVIDER),
            action=self.AUTHORIZE_PATH,
            email=html.escape(email),
            hidden=hidden,
            problem=f'<p class="problem">{html.escape(problem)}</p>' if problem else "",
        )
        response = HTMLResponse(page, status_code=400 if problem else 200, headers=PAGE_HEADERS)
        # Double-submit: a form posted from anywhere else lacks this browser's cookie. One cookie
        # per sign-in (named after its state), so two tabs don't undo each other.
        response.set_cookie(
            _csrf_cookie(values["state"]), csrf, max_age=600, path=self.AUTHORIZE_PATH,
            httponly=True, samesite="strict",
        )  # fmt: skip
        return response

    async def authorize_submit(self, request: Request) -> Response:
        form = await request.form()
        values, problem = self._check_authorize_request(form)
        if problem:
            self.log(f"sign-in refused: {_describe(problem)}")
            return problem
        cookie = request.cookies.get(_csrf_cookie(values["state"]), "")
        posted = str(form.get("csrf", ""))
        if not cookie or not hmac.compare_digest(cookie.encode(), posted.encode()):
            self.log("sign-in refused: the form's CSRF token does not match this browser")
            return _error_page("This form expired or came from elsewhere: start again.", 403)
        if form.get("decision") != "allow":
            self.log("sign-in cancelled")
            return self._redirect_error(values, "access_denied", "The user cancelled sign-in.")
        email = str(form.get("email") or self.identity.email).strip()
        problem = email_problem(email)
        if problem:
            return self._sign_in_page(values, email[:MAX_EMAIL_LENGTH], problem)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                client_id=values["client_id"],
                redirect_uri=values["redirect_uri"],
                challenge=values["code_challenge"],
                scope=values["scope"],
                identity=DevIdentity(email),
                expires_at=self.clock() + CODE_TTL_SECONDS,
                nonce=values.get("nonce", ""),
            )
        self.log(f"signed in as {email}")
        query = urlencode({"code": code, "state": values["state"]})
        return RedirectResponse(f"{values['redirect_uri']}?{query}", status_code=302)

    # --- token ------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = await request.form()
        client_id, client_secret = _client_credentials(request, form)
        if not (
            client_id == self.client_id
            and client_secret is not None
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            self.log("token refused: wrong client id or secret")
            return _oauth_error("invalid_client", "Client authentication failed.", 401)
        grant_type = form.get("grant_type") or self.IMPLIED_GRANT_TYPE
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh_tokens(form)
        return _oauth_error("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")

    def _exchange_code(self, form: Any) -> Response:
        with self._lock:
            code = self._codes.pop(str(form.get("code", "")), None)  # single use, even on failure
        if code is None:
            self.log("token refused: unknown or reused code")
            return _oauth_error("invalid_grant", "The authorization code is invalid or used.")
        if code.expires_at < self.clock():
            return _oauth_error("invalid_grant", "The authorization code has expired.")
        if form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization.")
        verifier = str(form.get("code_verifier", ""))
        if not verifier or not hmac.compare_digest(
            _s256(verifier).encode(), code.challenge.encode()
        ):
            self.log("token refused: PKCE verifier does not match")
            return _oauth_error("invalid_grant", "PKCE verification failed.")
        self.log("issued upstream tokens")
        return self._issue(code.client_id, code.scope, code.identity, nonce=code.nonce)

    def _refresh_tokens(self, form: Any) -> Response:
        with self._lock:
            grant = self._refresh.pop(str(form.get("refresh_token", "")), None)  # rotation
        if grant is None or grant.client_id != self.client_id:
            self.log("refresh refused: unknown refresh token")
            return _oauth_error("invalid_grant", "The refresh token is invalid.")
        self.log("refreshed upstream tokens")
        return self._issue(grant.client_id, grant.scope, grant.identity)

    def _issue(
        self, client_id: str, scope: str, identity: DevIdentity, nonce: str = ""
    ) -> JSONResponse:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = self.clock() + self.access_token_ttl
        with self._lock:
            self._access[access] = _Grant(client_id, scope, identity, expires_at)
            self._refresh[refresh] = _Grant(client_id, scope, identity)
        body = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.access_token_ttl,
            "refresh_token": refresh,
            "scope": scope,
            **self._more_token_fields(client_id, identity, nonce),
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _more_token_fields(self, client_id: str, identity: DevIdentity, nonce: str) -> dict:
        """What a token answer carries besides OAuth's fields (an OpenID Connect ID token)."""
        return {}

    # --- bearer tokens -----------------------------------------------------------------------

    def _bearer_identity(self, request: Request) -> DevIdentity | None:
        """The user a valid, unexpired bearer token was issued to."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        with self._lock:
            grant = self._access.get(token)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant.identity

    async def home(self, request: Request) -> Response:
        page = _message_page("cfmcp local sign-in", f"Stand-in for {self.PROVIDER} sign-in.")
        return HTMLResponse(page, headers=PAGE_HEADERS)


def _csrf_cookie(state: str) -> str:
    return f"{CSRF_COOKIE}_{hashlib.sha256(state.encode()).hexdigest()[:12]}"


def _client_credentials(request: Request, form: Any) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        # RFC 6749, 2.3.1: both parts are form-encoded before the Base64.
        return unquote_plus(client_id), unquote_plus(secret)
    secret = form.get("client_secret")
    return form.get("client_id"), str(secret) if secret is not None else None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _describe(response: Response) -> str:
    if isinstance(response, RedirectResponse):
        return f"redirected with an error to {response.headers['location'].split('?')[0]}"
    return bytes(response.body).decode(errors="replace").split("<p>")[-1].split("</p>")[0]


def _error_page(message: str, status: int) -> HTMLResponse:
    page = _message_page("Sign-in error", message)
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def _message_page(title: str, message: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        f"<title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    )


_SIGN_IN_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Sign in (local {provider} stand-in)</title>
<style>
  body {{ font-family: system-ui, sans-serif; background: #f7f7f8; margin: 0; }}
  main {{ max-width: 28rem; margin: 5rem auto; background: #fff; border-radius: 12px;
         padding: 2rem; box-shadow: 0 2px 12px rgb(0 0 0 / 8%); }}
  .badge {{ display: inline-block; background: #fff6e5; color: #9a4d00; border-radius: 6px;
           padding: .15rem .5rem; font-size: .8rem; }}
  label {{ display: block; margin: 1rem 0 .3rem; font-weight: 600; }}
  input[type=email] {{ width: 100%; box-sizing: border-box; font-size: 1rem; padding: .5rem;
           border: 1px solid #c7c7cc; border-radius: 8px; }}
  .problem {{ color: #b00020; }}
  .local {{ color: #5f5f66; font-size: .9rem; }}
  .actions {{ display: flex; gap: .8rem; justify-content: flex-end; margin-top: 1.5rem; }}
  button {{ font-size: 1rem; padding: .55rem 1.2rem; border-radius: 8px; cursor: pointer;
           border: 1px solid #c7c7cc; background: #fff; }}
  button.primary {{ background: #f6821f; color: #fff; border-color: #f6821f; }}
</style>
</head>
<body>
<main>
  <span class="badge">cfmcp dev · local sign-in</span>
  <h1>Sign in</h1>
  <p>This stands in for {provider}'s sign-in while you develop: any address signs in, no
     password. The tools see this user.</p>
  <p class="local">It answers only on this computer, so only your own browser can sign in here,
     even while <code>cfmcp dev --tunnel</code> makes the server public.</p>
  {problem}
  <form method="post" action="{action}">
    {hidden}
    <label for="email">Email</label>
    <input type="email" id="email" name="email" value="{email}" required maxlength="254">
    <div class="actions">
      <button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
      <button type="submit" name="decision" value="allow" class="primary">Sign in</button>
    </div>
  </form>
</main>
</body>
</html>"""
