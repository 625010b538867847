"""Issue: the dialog shows the truth (a name as it will be read, the scopes granted, only the
scopes this server offers end up in a token), and every page gets the dialog's headers and
asks for no favicon."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2
import pytest

from tests.signin import CALLBACK, get_code, pkce, token_request
from tests.test_worker import Browser, handle_from

pytestmark = pytest.mark.integration


def dialog_for(
    dev,
    client_name: str,
    scope: str = "",
    challenge: str | None = None,
    browser: Browser | None = None,
) -> httpx2.Response:
    response = httpx2.post(
        f"{dev.url}/register",
        json={
            "redirect_uris": [CALLBACK],
            "client_name": client_name,
            "token_endpoint_auth_method": "none",
        },
    )
    assert response.status_code == 201, response.text
    if challenge is None:
        challenge = pkce()[1]
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
    return (browser or Browser(dev.url)).request("GET", "/authorize", params=params)


def exchange(base: str, client_id: str, code: str, verifier: str) -> dict:
    form = {"code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    return token_request(base, client_id, grant_type="authorization_code", **form).json()


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
    tokens = exchange(variant_dev.url, client_id, code, verifier)
    assert tokens["scope"] == "mcp"


def test_scopes_are_shown_and_only_offered_ones_are_granted(variant_dev):
    page = dialog_for(variant_dev, "scoped", scope="mcp admin write:everything")
    assert "It will be able to: use this server&#39;s tools as you." in page.text
    assert "admin" not in page.text.split("<h1>")[1]
    metadata = httpx2.get(f"{variant_dev.url}/.well-known/oauth-authorization-server").json()
    assert metadata["scopes_supported"] == ["mcp"]
    client_id, code, verifier = get_code(variant_dev.url, scope="mcp admin write:everything")
    tokens = exchange(variant_dev.url, client_id, code, verifier)
    assert tokens["scope"] == "mcp"


def test_a_scope_asked_twice_is_granted_once(variant_dev):
    client_id, code, verifier = get_code(variant_dev.url, scope="mcp mcp  mcp")
    tokens = exchange(variant_dev.url, client_id, code, verifier)
    assert tokens["scope"] == "mcp"


@pytest.mark.parametrize(
    "challenge",
    ["a" * 42, "a" * 129, "a" * 42 + "+", "a" * 42 + "/", "a" * 42 + "=", "a" * 42 + "%"],
)
def test_a_code_challenge_outside_rfc_7636_goes_back_as_invalid_request(variant_dev, challenge):
    answer = dialog_for(variant_dev, "odd challenge", challenge=challenge)
    assert answer.status_code == 302, answer.text
    sent_back = parse_qs(urlparse(answer.headers["location"]).query)
    assert answer.headers["location"].startswith(CALLBACK)
    assert sent_back["error"] == ["invalid_request"]
    assert "43 to 128" in sent_back["error_description"][0]
    assert sent_back["state"] == ["s"]


@pytest.mark.parametrize("length", [43, 128])
def test_a_code_challenge_of_either_bound_gets_the_dialog(variant_dev, length):
    challenge = ("A-._~z9" * 20)[:length]
    answer = dialog_for(variant_dev, "bounds", challenge=challenge)
    assert answer.status_code == 200, answer.text
    assert "wants to use" in answer.text


def approve_with(dev, headers: dict[str, str]) -> httpx2.Response:
    """POST the dialog's approval with `headers`, as a browser on some page would."""
    browser = Browser(dev.url)
    page = dialog_for(dev, "approval", browser=browser)
    form = {"handle": handle_from(page.text), "decision": "approve"}
    return browser.request("POST", "/authorize", data=form, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    ],
)
def test_an_approval_posted_from_another_site_is_refused(variant_dev, headers):
    answer = approve_with(variant_dev, headers)
    assert answer.status_code == 403, answer.text
    assert "another site" in answer.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {},  # a client that is no browser sends neither
        {"Origin": "null"},  # a browser under Referrer-Policy: no-referrer may
    ],
)
def test_an_approval_from_the_dialog_itself_goes_on(variant_dev, headers):
    answer = approve_with(variant_dev, headers)
    assert answer.status_code == 302, answer.text


def test_pages_are_not_sniffed_and_send_no_referrer(variant_dev):
    for response in (
        dialog_for(variant_dev, "headers"),
        httpx2.get(f"{variant_dev.url}/authorize", params={"client_id": "nope"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


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
