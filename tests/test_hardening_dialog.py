"""Issue: the dialog shows the truth (a name as it will be read, the scopes granted, only the
scopes this server offers end up in a token), and every page gets the dialog's headers and
asks for no favicon."""

import re
from html import unescape

import httpx2
import pytest

from tests.signin import CALLBACK, get_code, pkce
from tests.test_worker import Browser

pytestmark = pytest.mark.integration


def dialog_for(dev, client_name: str, scope: str = "") -> httpx2.Response:
    response = httpx2.post(
        f"{dev.url}/register",
        json={
            "redirect_uris": [CALLBACK],
            "client_name": client_name,
            "token_endpoint_auth_method": "none",
        },
    )
    assert response.status_code == 201, response.text
    _, challenge = pkce()
    params = {
        "response_type": "code",
        "client_id": response.json()["client_id"],
        "redirect_uri": CALLBACK,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if scope:
        params["scope"] = scope
    return Browser(dev.url).request("GET", "/authorize", params=params)


def heading(page: httpx2.Response) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", page.text, re.S)[1])


def test_a_name_padded_to_hide_the_truth_reads_as_what_it_is(variant_dev):
    page = dialog_for(variant_dev, "Claude Desktop (verified)" + " " * 150 + "— by Mallory")
    assert heading(page).startswith("Claude Desktop (verified) — by Mallory wants to use")
    assert "its name is not verified" in page.text


@pytest.mark.parametrize(
    "name, shown",
    [
        ("Cur\u202esor\u202c", "Cursor"),  # a right-to-left override
        ("Zero\u200bWidth\u2066Isolate\u2069", "ZeroWidthIsolate"),
        ("tabs\tand\nnewlines\r\x07bell", "tabs and newlines bell"),
        ("x" * 200, "x" * 60 + "…"),
        ("\u200b\u200b", "Unnamed client"),
        ("Hangul\u3164filler soft\u00adhyphen", "Hangulfiller softhyphen"),
        ("tag\U000e0041\U000e0042s and vs\ufe0f", "tags and vs"),
        ("Z\u0301\u0302\u0303\u0304\u0305algo", "Z\u0301\u0302algo"),  # marks capped at two
        ("e\u0301" * 70, "e\u0301" * 60 + "…"),  # 60 letters, however many code points
    ],
)
def test_hidden_characters_and_length(variant_dev, name, shown):
    assert heading(dialog_for(variant_dev, name)).split(" wants to use ")[0] == shown


def test_a_redirect_uri_shows_its_hidden_characters(variant_dev):
    tricky = "com.example.app:/cb\u202etxt.exe"
    response = httpx2.post(
        f"{variant_dev.url}/register",
        json={
            "redirect_uris": [tricky],
            "client_name": "app",
            "token_endpoint_auth_method": "none",
        },
    )
    assert response.status_code == 201, response.text
    _, challenge = pkce()
    page = Browser(variant_dev.url).request(
        "GET",
        "/authorize",
        params={"response_type": "code", "client_id": response.json()["client_id"],
                "redirect_uri": tricky, "state": "s", "code_challenge": challenge,
                "code_challenge_method": "S256"},
    )  # fmt: skip
    assert page.status_code == 200, page.text
    assert "\u202e" not in page.text
    assert "com.example.app:/cb%E2%80%AEtxt.exe" in page.text


def test_a_client_that_asks_for_no_scope_gets_the_servers_and_sees_them(variant_dev):
    page = dialog_for(variant_dev, "no scope")
    assert "It will be able to: use this server&#39;s tools as you." in page.text
    client_id, code, verifier = get_code(variant_dev.url)
    tokens = httpx2.post(
        f"{variant_dev.url}/token",
        data={"client_id": client_id, "grant_type": "authorization_code", "code": code,
              "redirect_uri": CALLBACK, "code_verifier": verifier},
    ).json()  # fmt: skip
    assert tokens["scope"] == "mcp"


def test_scopes_are_shown_and_only_offered_ones_are_granted(variant_dev):
    page = dialog_for(variant_dev, "scoped", scope="mcp admin write:everything")
    assert "It will be able to: use this server&#39;s tools as you." in page.text
    assert "admin" not in page.text.split("<h1>")[1]
    metadata = httpx2.get(f"{variant_dev.url}/.well-known/oauth-authorization-server").json()
    assert metadata["scopes_supported"] == ["mcp"]
    client_id, code, verifier = get_code(variant_dev.url, scope="mcp admin write:everything")
    tokens = httpx2.post(
        f"{variant_dev.url}/token",
        data={"client_id": client_id, "grant_type": "authorization_code", "code": code,
              "redirect_uri": CALLBACK, "code_verifier": verifier},
    ).json()  # fmt: skip
    assert tokens["scope"] == "mcp"


def test_error_pages_get_the_dialogs_headers(variant_dev):
    for response in (
        httpx2.get(f"{variant_dev.url}/authorize", params={"client_id": "nope"}),
        httpx2.post(f"{variant_dev.url}/authorize", content=b"{}", headers={"Content-Type": "x"}),
        httpx2.get(f"{variant_dev.url}/callback"),
    ):
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_no_page_asks_for_a_favicon(variant_dev):
    page = dialog_for(variant_dev, "icons")
    assert '<link rel="icon" href="data:,">' in page.text
    error = httpx2.get(f"{variant_dev.url}/authorize", params={"client_id": "nope"})
    assert '<link rel="icon" href="data:,">' in error.text


def test_sign_in_still_works_end_to_end(variant_dev):
    client_id, code, _ = get_code(variant_dev.url)
    assert client_id and code
