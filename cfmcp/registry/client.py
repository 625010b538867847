"""The official MCP Registry's HTTP API, as its own publisher (`mcp-publisher`) calls it:
`GET /v0/health` (which names the registry's GitHub OAuth app), a GitHub token exchanged for a
registry token at `POST /v0/auth/github-at`, or a domain's signed proof at `/v0/auth/http` (a
JWT that lives 5 minutes: taken right before publishing), `POST /v0/publish` with server.json
as the body, and a version read back at `GET /v0.1/servers/{name}/versions/{version}`. Errors
come as problem JSON (`title`, `detail`, `errors[].message`); each becomes a CfmcpError with
the registry's own words.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfmcp.errors import CfmcpError, UsageError

DEFAULT_REGISTRY = "https://registry.modelcontextprotocol.io"
REGISTRY_VARIABLE = "CFMCP_REGISTRY_URL"  # another registry: staging, a private one
TIMEOUT_SECONDS = 30.0


def registry_url(given: str | None = None) -> str:
    source = "--registry" if given else REGISTRY_VARIABLE
    url = (given or os.environ.get(REGISTRY_VARIABLE) or DEFAULT_REGISTRY).rstrip("/")
    return service_url(url, source, "the GitHub token or the domain's proof, and the listing")


def service_url(url: str, source: str, sent: str) -> str:
    """`url` if it is https (http only on this machine), else a UsageError naming `source`:
    what cfmcp sends there (`sent`) must not cross a network in the clear."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    secure = parts.scheme == "https" or (parts.scheme == "http" and loopback)
    if secure and parts.hostname and not (parts.query or parts.fragment or parts.username):
        return url
    raise UsageError(
        f"{source} {url!r} is not an https URL with a host (http only on this machine): cfmcp "
        f"sends {sent} there; nothing was written or sent.",
        hint=f"Give an https URL, or leave {source} out for the official one.",
    )


class RegistryError(CfmcpError):
    def __init__(self, message: str, *, status: int = 0, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass
class RegistryClient:
    base: str
    timeout: float = TIMEOUT_SECONDS

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx2

        url = f"{self.base}{path}"
        try:
            response = httpx2.request(method, url, timeout=self.timeout, **kwargs)
        except httpx2.TimeoutException as exc:
            raise RegistryError(
                f"The registry ({self.base}) did not answer in {self.timeout:.0f} s.",
                hint="Try again later; nothing was published.",
            ) from exc
        except httpx2.HTTPError as exc:
            raise RegistryError(
                f"Cannot reach the registry at {self.base}: {exc}.",
                hint="Check your connection (or the --registry URL); nothing was published.",
            ) from exc
        if response.status_code >= 400:
            raise RegistryError(_problem(response), status=response.status_code)
        try:
            return response.json()
        except ValueError as exc:
            raise RegistryError(f"The registry answered {method} {path} with no JSON.") from exc

    def github_client_id(self) -> str:
        health = self._request("GET", "/v0/health")
        client_id = health.get("github_client_id") if isinstance(health, dict) else None
        if not isinstance(client_id, str) or not client_id:
            raise RegistryError(f"The registry at {self.base} offers no GitHub sign-in.")
        return client_id

    def exchange_github(self, github_token: str) -> str:
        """A registry token for a GitHub token: permission for io.github.<login>/*."""
        answer = self._request("POST", "/v0/auth/github-at", json={"github_token": github_token})
        return _token(answer)

    def exchange_http(self, domain: str, timestamp: str, signature: str) -> str:
        """A registry token for a domain that serves its proof: permission for the domain's
        namespace (reversed)."""
        body = {"domain": domain, "timestamp": timestamp, "signed_timestamp": signature}
        return _token(self._request("POST", "/v0/auth/http", json=body))

    def publish(self, registry_token: str, document: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {registry_token}"}
        answer = self._request("POST", "/v0/publish", json=document, headers=headers)
        return answer if isinstance(answer, dict) else {}

    def version(self, name: str, version: str) -> dict[str, Any] | None:
        try:
            answer = self._request("GET", listing_path(name, version))
        except RegistryError as exc:
            if exc.status == 404:
                return None
            raise
        return answer if isinstance(answer, dict) else None


def listing_path(name: str, version: str) -> str:
    return f"/v0.1/servers/{quote(name, safe='')}/versions/{quote(version, safe='')}"


def _token(answer: Any) -> str:
    token = answer.get("registry_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise RegistryError("The registry's sign-in answered without a registry_token.")
    return token


def _problem(response: Any) -> str:
    """The registry's reason, from its problem JSON (detail and each error's message)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"The registry answered {response.status_code}."
    parts = [str(body.get("detail") or body.get("title") or f"HTTP {response.status_code}")]
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            parts.append(str(error["message"]))
    return f"The registry refused it ({response.status_code}): " + "; ".join(parts)
