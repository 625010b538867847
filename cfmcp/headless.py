"""Walk an OAuth authorization in code, for `cfmcp check --headless` against a local server.

It submits the Worker's approval dialog and the local sign-in page as a person would, keeping
cookies (the `__Host-` ones too, as browsers do on loopback), and stops at the client's
redirect URI. It only ever talks to loopback hosts, and to the public URL of a tunnel that a
`cfmcp dev --tunnel` of this machine opened (`tunnels`): the same local server, reached the way
hosted clients reach it. The sign-in page itself is always on loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urljoin, urlparse

from cfmcp.errors import CfmcpError, UsageError

if TYPE_CHECKING:
    import ssl

# Buttons that mean yes on the pages we know: the Worker's dialog and the local sign-in.
CONSENT_VALUES = ("approve", "allow")
MAX_HOPS = 12


def is_loopback_url(url: str) -> bool:
    """Loopback by its very name: `localhost` or a loopback IP literal (no DNS involved)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_url(url: str, tunnels: Sequence[str] = ()) -> bool:
    """Loopback, or the origin of one of `tunnels` (public URLs of this machine's cfmcp dev)."""
    if is_loopback_url(url):
        return True
    parts = urlparse(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    return parts.scheme == "https" and origin in {tunnel.rstrip("/").lower() for tunnel in tunnels}


def require_loopback(url: str, what: str, tunnels: Sequence[str] = ()) -> None:
    if not is_local_url(url, tunnels):
        shown = url.split("?", 1)[0]
        raise UsageError(
            f"--headless only signs in on this machine, and {what} {shown} is not a loopback URL"
            " (nor the tunnel of a cfmcp dev --tunnel running for this project).",
            hint="Drop --headless to sign in through your browser.",
        )


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            method = attributes.get("method", "get").lower()
            self.forms.append(Form(attributes.get("action", ""), method))
        elif self.forms and tag in ("input", "button"):
            kind = attributes.get("type", "submit" if tag == "button" else "text")
            name = attributes.get("name", "")
            if kind == "submit":
                self.buttons_of_last().append((name, attributes.get("value", "")))
            elif name:
                self.forms[-1].fields[name] = attributes.get("value", "")

    def buttons_of_last(self) -> list[tuple[str, str]]:
        return self.forms[-1].buttons


def consent_form(html: str) -> tuple[Form, tuple[str, str]] | None:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        for name, value in form.buttons:
            if value in CONSENT_VALUES:
                return form, (name, value)
    return None


@dataclass
class AuthorizationRedirect:
    code: str
    state: str | None
    iss: str | None


async def authorize_headless(
    authorization_url: str,
    redirect_uri: str,
    *,
    answers: dict[str, str] | None = None,
    tunnels: Sequence[str] = (),
    verify: ssl.SSLContext | bool = True,
) -> AuthorizationRedirect:
    """Follow `authorization_url` to `redirect_uri`, saying yes on every page on the way.

    `answers` fills in the pages' fields by name, e.g. the local sign-in's `email` to sign in
    as someone other than its default user; other fields keep the values the pages give.
    `tunnels`: public URLs of this machine's cfmcp dev that the flow may pass through.
    `verify`: an SSL context to share (making one loads the CA bundle, ~50 ms)."""
    import httpx2

    cookies: dict[tuple[str, str], str] = {}  # (host:port, name) -> value
    url, method, data = authorization_url, "GET", None
    async with httpx2.AsyncClient(follow_redirects=False, timeout=30, verify=verify) as client:
        for _ in range(MAX_HOPS):
            if url.startswith(redirect_uri):
                return _redirect_result(url)
            require_loopback(url, "the sign-in flow went to", tunnels)
            origin = urlparse(url).netloc
            jar = {name: value for (host, name), value in cookies.items() if host == origin}
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
            response = await client.request(method, url, data=data, headers=headers)
            for header in response.headers.get_list("set-cookie"):
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in header.lower():
                    cookies[(origin, name.strip())] = value
                else:
                    cookies.pop((origin, name.strip()), None)
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["location"]), "GET", None
                continue
            if response.status_code != 200:
                raise CfmcpError(
                    f"Sign-in stopped at {url.split('?')[0]}: HTTP {response.status_code} "
                    f"{_page_message(response.text)}"
                )
            found = consent_form(response.text)
            if found is None:
                raise CfmcpError(f"Sign-in stopped at {url.split('?')[0]}: no form to submit.")
            form, (button_name, button_value) = found
            given = {k: v for k, v in (answers or {}).items() if k in form.fields}
            fields = {**form.fields, **given}
            data = {**fields, button_name: button_value} if button_name else fields
            url, method = urljoin(url, form.action or url), form.method.upper()
    raise CfmcpError(f"Sign-in did not reach {redirect_uri} within {MAX_HOPS} steps.")


def _redirect_result(url: str) -> AuthorizationRedirect:
    query = parse_qs(urlparse(url).query)
    if "error" in query:
        detail = query.get("error_description", [""])[0]
        raise CfmcpError(f"Authorization refused: {query['error'][0]} {detail}".strip())
    if "code" not in query:
        raise CfmcpError("The authorization redirect carried no code.")
    return AuthorizationRedirect(
        code=query["code"][0],
        state=query.get("state", [None])[0],
        iss=query.get("iss", [None])[0],
    )


def _page_message(html: str) -> str:
    import re

    match = re.search(r"<p>(.*?)</p>", html, re.DOTALL)
    text = re.sub(r"<[^>]+>", "", match[1] if match else html[:200])
    return text.strip()
