"""Signing in with GitHub for the registry's io.github.<user> namespaces, as `mcp-publisher
login github` does: GitHub's device flow (RFC 8628) with the registry's own OAuth app (its
client id from the registry), scopes `read:user read:org`. The token is kept in the OS keyring
and nowhere else (never a file, never a command line); without a keyring it lives for this
run only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from cfmcp.errors import CfmcpError

GITHUB_URL = "https://github.com"
GITHUB_VARIABLE = "CFMCP_GITHUB_URL"  # GitHub Enterprise, or a stand-in
SCOPES = "read:user read:org"
KEYRING_SERVICE = "cfmcp:mcp-registry"
KEYRING_NAME = "github-token"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def github_url() -> str:
    from cfmcp.registry.client import service_url

    url = os.environ.get(GITHUB_VARIABLE, GITHUB_URL).rstrip("/")
    return service_url(url, GITHUB_VARIABLE, "the sign-in's device code and receives your token")


@dataclass(frozen=True)
class DeviceCode:
    user_code: str
    verification_uri: str
    device_code: str
    interval: float
    expires_in: float


def stored_token() -> str | None:
    from cfmcp.secrets import SecretStore

    return SecretStore(KEYRING_SERVICE).get(KEYRING_NAME)


def store_token(token: str) -> str | None:
    """Keep `token` in the keyring; returns why it could not (None: kept)."""
    from cfmcp.secrets import SecretStore

    store = SecretStore(KEYRING_SERVICE)
    return None if store.set(KEYRING_NAME, token) else (store.unavailable or "no keyring")


def forget_token() -> None:
    from cfmcp.secrets import SecretStore

    SecretStore(KEYRING_SERVICE).delete(KEYRING_NAME)


def sign_in(
    client_id: str,
    *,
    show_code: Callable[[DeviceCode], None],
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 30.0,
) -> str:
    """A GitHub access token, once the user has entered the code shown at GitHub's page."""
    import httpx2

    base = github_url()
    headers = {"Accept": "application/json"}
    try:
        started = httpx2.post(
            f"{base}/login/device/code", json={"client_id": client_id, "scope": SCOPES},
            headers=headers, timeout=timeout,
        ).json()  # fmt: skip
    except (httpx2.HTTPError, ValueError) as exc:
        raise CfmcpError(f"GitHub's device sign-in did not start: {exc}.") from exc
    if not isinstance(started, dict) or "device_code" not in started:
        raise CfmcpError(f"GitHub's device sign-in did not start: {started}.")
    code = DeviceCode(
        user_code=str(started["user_code"]),
        verification_uri=str(started["verification_uri"]),
        device_code=str(started["device_code"]),
        interval=min(float(started.get("interval", 5)), 60.0),
        expires_in=min(float(started.get("expires_in", 900)), 3600.0),
    )
    show_code(code)
    deadline = time.monotonic() + code.expires_in
    interval = code.interval
    body = {"client_id": client_id, "device_code": code.device_code, "grant_type": DEVICE_GRANT}
    while time.monotonic() < deadline:
        sleep(interval)
        try:
            answer = httpx2.post(f"{base}/login/oauth/access_token", json=body, headers=headers,
                                 timeout=timeout).json()  # fmt: skip
        except (httpx2.HTTPError, ValueError):
            interval += 5  # GitHub having trouble: ask less often
            continue
        if isinstance(answer, dict) and answer.get("access_token"):
            return str(answer["access_token"])
        error = answer.get("error") if isinstance(answer, dict) else None
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        if error == "access_denied":
            raise CfmcpError("The sign-in was refused at GitHub; nothing was published.")
        if error == "expired_token":
            break
        raise CfmcpError(f"GitHub's sign-in failed: {error or answer}.")
    raise CfmcpError(
        "The GitHub code expired before it was entered; nothing was published.",
        hint="Run cfmcp publish again and enter the new code within 15 minutes.",
    )
