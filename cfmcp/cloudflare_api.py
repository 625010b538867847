"""Cloudflare's REST API, called directly (what wrangler does not cover: OAuth clients).

Honours CLOUDFLARE_API_BASE_URL (as wrangler does), CLOUDFLARE_API_TOKEN and
CLOUDFLARE_ACCOUNT_ID. Answers come in Cloudflare's envelope
`{"success": ..., "errors": [...], "result": ...}`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfmcp.errors import CfmcpError

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
TOKENS_PAGE = "https://dash.cloudflare.com/profile/api-tokens"
OAUTH_CLIENT_PERMISSION = "OAuth Client Write"
ACCOUNT_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
# OAuth client ids and the like: what a URL path segment holds as it is, no dot segments.
RESOURCE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")


def id_segment(value: object, what: str, pattern: re.Pattern[str] = RESOURCE_ID_PATTERN) -> str:
    """`value` as one URL path segment, if it is an id of its kind. Ids come from files a user
    can edit (cfmcp.json) and from the environment: `x/../../workers/services/app` must never
    reach another endpoint with the user's token."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise CfmcpError(
            f"{value!r} is not a valid {what}.",
            hint="It comes from cfmcp.json or the environment: correct it there.",
        )
    return quote(value, safe="")


def account_path(account_id: str, *rest: str) -> str:
    """`/accounts/{id}/...` for a checked account id; `rest` must be constant path parts or
    come through `id_segment`."""
    account = id_segment(account_id, "Cloudflare account id (32 hex digits)", ACCOUNT_ID_PATTERN)
    return "/".join(["", "accounts", account, *rest])


# Codes of a refused request: an invalid token and a token short of a permission both give
# these (10000 "Authentication error" above all), so the token itself is asked about.
AUTH_FAILURE_CODES = {9109, 10000, 10001}


def invalid_token_error() -> CfmcpError:
    return CfmcpError(
        "Cloudflare does not accept the API token in CLOUDFLARE_API_TOKEN: it is not valid "
        "(mistyped, expired or revoked).",
        hint=f"Create a token at {TOKENS_PAGE} (the 'Edit Cloudflare Workers' template, plus the "
        f'Account permission "{OAUTH_CLIENT_PERMISSION}" for `cfmcp up`), then export '
        "CLOUDFLARE_API_TOKEN=… again.",
    )


def token_is_invalid(
    token: str | None = None,
    *,
    base_url: str | None = None,
    account_id: str | None = None,
    timeout: float = 10,
) -> bool:
    """Whether Cloudflare says the API token itself is not valid, as opposed to valid but short
    of a permission. Asks the token verification endpoints: the user one, then the account
    one (account-owned tokens verify only there). False when it cannot tell."""
    import httpx2

    token = token if token is not None else os.environ.get("CLOUDFLARE_API_TOKEN")
    if not token:
        return False
    base_url = (base_url or os.environ.get("CLOUDFLARE_API_BASE_URL") or DEFAULT_BASE_URL).rstrip(
        "/"
    )
    account_id = account_id or os.environ.get("CLOUDFLARE_ACCOUNT_ID")
    paths = ["/user/tokens/verify"]
    if account_id and ACCOUNT_ID_PATTERN.fullmatch(account_id):
        paths.append(account_path(account_id, "tokens", "verify"))
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "cfmcp"}
    try:
        with httpx2.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
            for path in paths:
                response = client.get(path)
                if response.is_success:
                    body = response.json()
                    status = (body.get("result") or {}).get("status")
                    return status not in (None, "active")
                if response.status_code not in (400, 401, 403):
                    return False  # an outage, not an answer about the token
    except (httpx2.TransportError, ValueError, AttributeError):
        return False
    return True


class CloudflareAPIError(CfmcpError):
    def __init__(self, message: str, *, status: int, codes: list[int], hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status
        self.codes = codes


@dataclass(frozen=True)
class Account:
    id: str
    name: str


class CloudflareAPI:
    def __init__(self, token: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30):
        import httpx2

        self._token = token
        self.base_url = base_url.rstrip("/")
        self._client = httpx2.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "cfmcp"},
            timeout=timeout,
        )

    @classmethod
    def from_env(cls, *, oauth_clients: bool = True) -> CloudflareAPI:
        """The API with CLOUDFLARE_API_TOKEN. `oauth_clients`: the caller manages Cloudflare
        OAuth clients (so the token needs that permission); else it only deploys."""
        token = os.environ.get("CLOUDFLARE_API_TOKEN")
        if not token:
            if not oauth_clients:
                raise CfmcpError(
                    "CLOUDFLARE_API_TOKEN is not set: `cfmcp up` needs an API token.",
                    hint=f"Create one at {TOKENS_PAGE} with the 'Edit Cloudflare Workers' "
                    "template (Workers Scripts Edit, Workers KV Storage Edit), then export "
                    "CLOUDFLARE_API_TOKEN.",
                )
            raise CfmcpError(
                "CLOUDFLARE_API_TOKEN is not set: managing OAuth clients needs an API token.",
                hint=f"Create one at {TOKENS_PAGE} with the Account permission "
                f'"{OAUTH_CLIENT_PERMISSION}" (plus Workers Scripts Edit and Workers KV Storage '
                "Edit for deploys), then export CLOUDFLARE_API_TOKEN.",
            )
        return cls(token, base_url=os.environ.get("CLOUDFLARE_API_BASE_URL") or DEFAULT_BASE_URL)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CloudflareAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        what: str = "",
        permission: str = OAUTH_CLIENT_PERMISSION,
    ) -> Any:
        import httpx2

        from cfmcp import console

        started = time.perf_counter()
        try:
            response = self._client.request(method, path, json=json)
            console.trace(
                f"API {method} {path} → {response.status_code} "
                f"({time.perf_counter() - started:.2f} s)"
            )
        except httpx2.TransportError as exc:
            console.trace(f"API {method} {path} → {type(exc).__name__}")
            raise CfmcpError(
                f"Could not reach Cloudflare's API at {self.base_url} ({type(exc).__name__}).",
                hint="Check your connection (and CLOUDFLARE_API_BASE_URL if set), then retry.",
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("success") and response.is_success:
            return body.get("result")
        errors = body.get("errors", []) if isinstance(body, dict) else []
        codes = [int(e.get("code", 0)) for e in errors if isinstance(e, dict)]
        detail = (
            "; ".join(
                f"{e.get('message', '')} [code {e.get('code')}]"
                for e in errors
                if isinstance(e, dict)
            )
            or f"HTTP {response.status_code}"
        )
        action = what or f"{method} {path}"
        hint = None
        if response.status_code in (401, 403) or set(codes) & AUTH_FAILURE_CODES:
            account_id = path.split("/")[2] if path.startswith("/accounts/") else None
            if token_is_invalid(self._token, base_url=self.base_url, account_id=account_id):
                raise invalid_token_error()
            hint = (
                f'The API token needs the Account permission "{permission}" for this account: '
                f"edit the token at {TOKENS_PAGE} (Permissions → Account), or create one that "
                "has it."
            )
        raise CloudflareAPIError(
            f"Cloudflare refused to {action}: {detail}",
            status=response.status_code,
            codes=codes,
            hint=hint,
        )

    # --- accounts ---------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        result = (
            self.request(
                "GET", "/accounts", what="list your accounts", permission="Account Settings Read"
            )
            or []
        )
        return [Account(str(item["id"]), str(item.get("name", ""))) for item in result]

    # --- OAuth clients ----------------------------------------------------------------------

    @staticmethod
    def _client_path(account_id: str, client_id: str, *rest: str) -> str:
        client = id_segment(client_id, "OAuth client id")
        return account_path(account_id, "oauth_clients", client, *rest)

    def create_oauth_client(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request(
            "POST", account_path(account_id, "oauth_clients"), json=body,
            what="create the OAuth client",
        )  # fmt: skip

    def list_oauth_clients(self, account_id: str) -> list[dict[str, Any]]:
        path = account_path(account_id, "oauth_clients")
        return self.request("GET", path, what="list OAuth clients") or []

    def get_oauth_client(self, account_id: str, client_id: str) -> dict[str, Any]:
        return self.request(
            "GET", self._client_path(account_id, client_id),
            what=f"read OAuth client {client_id}",
        )  # fmt: skip

    def update_oauth_client(
        self, account_id: str, client_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        return self.request(
            "PATCH", self._client_path(account_id, client_id), json=changes,
            what=f"update OAuth client {client_id}",
        )  # fmt: skip

    def delete_oauth_client(self, account_id: str, client_id: str) -> None:
        self.request(
            "DELETE", self._client_path(account_id, client_id),
            what=f"delete OAuth client {client_id}",
        )  # fmt: skip

    def rotate_oauth_client_secret(self, account_id: str, client_id: str) -> str:
        result = self.request(
            "POST", self._client_path(account_id, client_id, "rotate_secret"),
            what="rotate the client secret",
        )  # fmt: skip
        secret = (result or {}).get("client_secret")
        if not secret:
            raise CfmcpError("Cloudflare rotated the secret but returned no new secret.")
        return str(secret)

    def delete_rotated_oauth_client_secret(self, account_id: str, client_id: str) -> None:
        self.request(
            "DELETE", self._client_path(account_id, client_id, "rotate_secret"),
            what="retire the old client secret",
        )  # fmt: skip
